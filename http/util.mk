# http/util.mk: sources, tests and programs of this part (owned by it).
# HTTP utilities (Tornado's httputil): headers, URLs, forms, multipart,
# cookies, dates, header parameters.  Pure code over bytes, no loop.
galeinclude_HEADERS += include/gale/httputil.h include/gale/headers.h \
	include/gale/url.h include/gale/form.h include/gale/multipart.h \
	include/gale/cookie.h include/gale/httpdate.h include/gale/content_type.h
libgale_impl_la_SOURCES += http/chars.h http/chars.c http/arena.h http/arena.c \
	http/headers.c

if HAVE_CMOCKA
check_PROGRAMS += tests/test_http_headers
tests_test_http_headers_SOURCES = tests/test_http_headers.c
endif
libgale_impl_la_SOURCES += http/httpdate.c
if HAVE_CMOCKA
check_PROGRAMS += tests/test_httpdate
tests_test_httpdate_SOURCES = tests/test_httpdate.c
endif
libgale_impl_la_SOURCES += http/url.c
if HAVE_CMOCKA
check_PROGRAMS += tests/test_url
tests_test_url_SOURCES = tests/test_url.c
endif
libgale_impl_la_SOURCES += http/params.h http/params.c http/form.c
if HAVE_CMOCKA
check_PROGRAMS += tests/test_form
tests_test_form_SOURCES = tests/test_form.c
endif
libgale_impl_la_SOURCES += http/content_type.c http/cookie.c
if HAVE_CMOCKA
check_PROGRAMS += tests/test_content_type tests/test_cookie
tests_test_content_type_SOURCES = tests/test_content_type.c
tests_test_cookie_SOURCES = tests/test_cookie.c
endif
libgale_impl_la_SOURCES += http/multipart.c
if HAVE_CMOCKA
check_PROGRAMS += tests/test_multipart
tests_test_multipart_SOURCES = tests/test_multipart.c
endif

# Fuzzing the utilities' parsers, on the machinery of http/parser.mk
# (FUZZ_CC, FUZZ_CFLAGS, fuzz/fuzz.h, fuzz/replay.c): `make fuzz` also
# builds these; `make check` replays fuzz/corpus/{url,multipart,cookie}/.
# To run one: make fuzz && fuzz/fuzz_url -max_total_time=60 fuzz/corpus/url
util_fuzz_sources = $(top_srcdir)/http/chars.c $(top_srcdir)/http/arena.c \
	$(top_srcdir)/http/headers.c $(top_srcdir)/http/url.c \
	$(top_srcdir)/http/params.c $(top_srcdir)/http/form.c \
	$(top_srcdir)/http/content_type.c $(top_srcdir)/http/cookie.c \
	$(top_srcdir)/http/httpdate.c $(top_srcdir)/http/multipart.c
util_fuzz_targets = fuzz/fuzz_url fuzz/fuzz_multipart fuzz/fuzz_cookie
UTIL_FUZZ_LINK = $(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(util_fuzz_sources) $(OPENSSL_LIBS)
CLEANFILES += $(util_fuzz_targets)

fuzz: $(util_fuzz_targets)
fuzz/fuzz_url: $(top_srcdir)/fuzz/fuzz_url.c $(util_fuzz_sources)
	@mkdir -p fuzz
	$(AM_V_CC)$(UTIL_FUZZ_LINK) $(top_srcdir)/fuzz/fuzz_url.c
fuzz/fuzz_multipart: $(top_srcdir)/fuzz/fuzz_multipart.c $(util_fuzz_sources)
	@mkdir -p fuzz
	$(AM_V_CC)$(UTIL_FUZZ_LINK) $(top_srcdir)/fuzz/fuzz_multipart.c
fuzz/fuzz_cookie: $(top_srcdir)/fuzz/fuzz_cookie.c $(util_fuzz_sources)
	@mkdir -p fuzz
	$(AM_V_CC)$(UTIL_FUZZ_LINK) $(top_srcdir)/fuzz/fuzz_cookie.c

check_PROGRAMS += fuzz/replay_url fuzz/replay_multipart fuzz/replay_cookie
fuzz_replay_url_SOURCES = fuzz/fuzz_url.c fuzz/replay.c fuzz/fuzz.h
fuzz_replay_multipart_SOURCES = fuzz/fuzz_multipart.c fuzz/replay.c fuzz/fuzz.h
fuzz_replay_cookie_SOURCES = fuzz/fuzz_cookie.c fuzz/replay.c fuzz/fuzz.h
fuzz_replay_url_LDADD = libgale_impl.la $(DEP_LIBS)
fuzz_replay_multipart_LDADD = libgale_impl.la $(DEP_LIBS)
fuzz_replay_cookie_LDADD = libgale_impl.la $(DEP_LIBS)

# bench/httputil.sh: the utilities beside evhttp's (make bench B=httputil).
EXTRA_PROGRAMS += bench/httputil_bench
bench_programs += bench/httputil_bench
EXTRA_DIST += bench/httputil.sh
bench_httputil_bench_SOURCES = bench/httputil_bench.c
if HAVE_LIBEVENT_EXTRA
bench_httputil_bench_CPPFLAGS = $(AM_CPPFLAGS) -DHAVE_EVHTTP $(LIBEVENT_EXTRA_CFLAGS)
bench_httputil_bench_LDADD = libgale_impl.la $(LIBEVENT_EXTRA_LIBS) $(DEP_LIBS)
else
bench_httputil_bench_LDADD = libgale_impl.la $(DEP_LIBS)
endif
