# SPDX-License-Identifier: MIT
# http/wire/local.mk — the HTTP/1 wire shared by the server and the client:
# the message parser, the head writer, the body decoders and chunk
# framing.  Includes only http/util/ below it.
libgale_impl_la_SOURCES += \
	http/wire/h1_parser.h \
	http/wire/h1_internal.h \
	http/wire/h1_parser.c \
	http/wire/h1_chars.c \
	http/wire/h1_fields.c \
	http/wire/h1_status.c \
	http/wire/chunked.c \
	http/wire/h1_head.h \
	http/wire/h1_head.c \
	http/wire/h1_client.h \
	http/wire/h1_unfold.c \
	http/wire/h1_tunnel.c

if HAVE_CMOCKA
check_PROGRAMS += tests/test_h1_parser
tests_test_h1_parser_SOURCES = tests/test_h1_parser.c
check_PROGRAMS += tests/test_chunked tests/test_h1_head
tests_test_chunked_SOURCES = tests/test_chunked.c
tests_test_h1_head_SOURCES = tests/test_h1_head.c
endif

# bench/parser.sh: ns per request head, gale vs Node's http-parser.
EXTRA_PROGRAMS += bench/parser_bench
bench_programs += bench/parser_bench
bench_parser_bench_SOURCES = bench/parser_bench.c bench/parser_requests.h
bench_parser_bench_LDADD = libgale_impl.la $(DEP_LIBS)
EXTRA_DIST += bench/parser.sh bench/parser_peer_http_parser.c
