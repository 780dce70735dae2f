# SPDX-License-Identifier: MIT
# http/util/local.mk — the HTTP utilities (Tornado's httputil): headers,
# URLs, forms, multipart, cookies, dates, header parameters, gzip.  Pure code
# over bytes, no loop; includes nothing from the other http/ rooms.
galeinclude_HEADERS += include/gale/httputil.h include/gale/headers.h \
	include/gale/url.h include/gale/form.h include/gale/multipart.h \
	include/gale/cookie.h include/gale/httpdate.h include/gale/content_type.h \
	include/gale/escape.h
libgale_impl_la_SOURCES += \
	http/util/chars.h http/util/chars.c \
	http/util/arena.h http/util/arena.c \
	http/util/headers.c http/util/headers_internal.h \
	http/util/httpdate.c \
	http/util/url.c \
	http/util/params.h http/util/params.c http/util/form.c \
	http/util/content_type.c http/util/cookie.c \
	http/util/multipart.c \
	http/util/range.h http/util/range.c \
	http/util/gzip.h http/util/gzip.c \
	http/util/utf8.h http/util/utf8.c \
	http/util/escape.c

if HAVE_CMOCKA
check_PROGRAMS += tests/test_http_headers tests/test_httpdate tests/test_url \
	tests/test_form tests/test_content_type tests/test_cookie \
	tests/test_multipart tests/test_gzip tests/test_range tests/test_utf8
tests_test_utf8_SOURCES = tests/test_utf8.c
tests_test_http_headers_SOURCES = tests/test_http_headers.c
tests_test_httpdate_SOURCES = tests/test_httpdate.c
tests_test_url_SOURCES = tests/test_url.c
tests_test_form_SOURCES = tests/test_form.c
tests_test_content_type_SOURCES = tests/test_content_type.c
tests_test_cookie_SOURCES = tests/test_cookie.c
tests_test_multipart_SOURCES = tests/test_multipart.c
tests_test_gzip_SOURCES = tests/test_gzip.c
tests_test_range_SOURCES = tests/test_range.c
endif

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
