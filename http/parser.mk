# http/parser.mk: sources, tests and programs of this part (owned by it).
# The HTTP/1.x parser (head + body decoder), chunked encoding helpers and the
# streaming gzip codec, shared by the server and the client.
libgale_impl_la_SOURCES += \
	http/h1_parser.h \
	http/gzip.h
libgale_impl_la_SOURCES += \
	http/h1_parser.c \
	http/chunked.c \
	http/gzip.c

if HAVE_CMOCKA
check_PROGRAMS += tests/test_h1_parser tests/test_gzip
tests_test_h1_parser_SOURCES = tests/test_h1_parser.c
tests_test_gzip_SOURCES = tests/test_gzip.c
endif

# Fuzzing (HARDENING.md: every parser has a libFuzzer target, its seed corpus
# lives in the tree and `make check` replays it).
#   make fuzz        builds fuzz/fuzz_<target> with clang-14 and libFuzzer
#                    (an independent rule: the normal build uses $(CC))
#   .ci/fuzz [SECS]  builds them and runs each for SECS seconds (30)
# The replay programs below run each target over fuzz/corpus/<target>/ with
# the normal compiler, sanitizers included in --enable-sanitizers builds.
fuzz_lib_sources = $(top_srcdir)/http/h1_parser.c $(top_srcdir)/http/chunked.c \
	$(top_srcdir)/http/gzip.c
fuzz_deps = $(fuzz_lib_sources) $(top_srcdir)/fuzz/fuzz.h $(top_srcdir)/fuzz/fuzz_head.h \
	$(top_srcdir)/http/h1_parser.h $(top_srcdir)/http/gzip.h
fuzz_targets = fuzz/fuzz_request fuzz/fuzz_response fuzz/fuzz_chunked fuzz/fuzz_gunzip
FUZZ_CC = clang-14
FUZZ_CFLAGS = -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer \
	-I$(top_srcdir)/include -I$(top_srcdir)
FUZZ_LINK = $(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(fuzz_lib_sources) $(ZLIB_LIBS)
EXTRA_DIST += fuzz/fuzz.h fuzz/fuzz_head.h fuzz/corpus .ci/fuzz
CLEANFILES += $(fuzz_targets)

fuzz: $(fuzz_targets)
fuzz/fuzz_request: $(top_srcdir)/fuzz/fuzz_request.c $(fuzz_deps)
	@mkdir -p fuzz
	$(AM_V_CC)$(FUZZ_LINK) $(top_srcdir)/fuzz/fuzz_request.c
fuzz/fuzz_response: $(top_srcdir)/fuzz/fuzz_response.c $(fuzz_deps)
	@mkdir -p fuzz
	$(AM_V_CC)$(FUZZ_LINK) $(top_srcdir)/fuzz/fuzz_response.c
fuzz/fuzz_chunked: $(top_srcdir)/fuzz/fuzz_chunked.c $(fuzz_deps)
	@mkdir -p fuzz
	$(AM_V_CC)$(FUZZ_LINK) $(top_srcdir)/fuzz/fuzz_chunked.c
fuzz/fuzz_gunzip: $(top_srcdir)/fuzz/fuzz_gunzip.c $(fuzz_deps)
	@mkdir -p fuzz
	$(AM_V_CC)$(FUZZ_LINK) $(top_srcdir)/fuzz/fuzz_gunzip.c

check_PROGRAMS += fuzz/replay_request fuzz/replay_response fuzz/replay_chunked \
	fuzz/replay_gunzip
fuzz_replay_request_SOURCES = fuzz/fuzz_request.c fuzz/replay.c fuzz/fuzz.h fuzz/fuzz_head.h
fuzz_replay_response_SOURCES = fuzz/fuzz_response.c fuzz/replay.c fuzz/fuzz.h fuzz/fuzz_head.h
fuzz_replay_chunked_SOURCES = fuzz/fuzz_chunked.c fuzz/replay.c fuzz/fuzz.h
fuzz_replay_gunzip_SOURCES = fuzz/fuzz_gunzip.c fuzz/replay.c fuzz/fuzz.h
fuzz_replay_request_LDADD = libgale_impl.la $(DEP_LIBS)
fuzz_replay_response_LDADD = libgale_impl.la $(DEP_LIBS)
fuzz_replay_chunked_LDADD = libgale_impl.la $(DEP_LIBS)
fuzz_replay_gunzip_LDADD = libgale_impl.la $(DEP_LIBS)

# bench/parser.sh: ns per request head, gale vs Node's http-parser.
EXTRA_PROGRAMS += bench/parser_bench
bench_programs += bench/parser_bench
bench_parser_bench_SOURCES = bench/parser_bench.c bench/parser_requests.h
bench_parser_bench_LDADD = libgale_impl.la $(DEP_LIBS)
EXTRA_DIST += bench/parser.sh bench/parser_peer_http_parser.c
