# SPDX-License-Identifier: MIT
# http/server/local.mk — gale_http_server: connections, requests, limits,
# over the HTTP/1 wire (http/wire/) and the utilities (http/util/).
galeinclude_HEADERS += include/gale/http_server.h
libgale_impl_la_SOURCES += \
	http/server/server_internal.h \
	http/server/http_server.c \
	http/server/http1_server.c \
	http/server/http1_response.c \
	http/server/h2_server.h http/server/h2_conn.c http/server/h2_stream.c \
	http/server/h2_response.c \
	http/server/server_request.c \
	http/server/server_request_head.c \
	http/server/server_response.c \
	http/server/xheaders.h http/server/xheaders.c
if HAVE_CMOCKA
check_PROGRAMS += tests/test_http_server tests/test_http_server_parse tests/test_http_server_body \
	tests/test_http_server_timeouts tests/test_http_server_life tests/test_http_curl \
	tests/test_xheaders
tests_test_xheaders_SOURCES = tests/test_xheaders.c
tests_test_http_curl_SOURCES = tests/test_http_curl.c tests/test_web_util.h tests/test_http_server_util.h
# The server tests share tests/server_fixture.[ch] (in the harness library).
tests_test_http_server_SOURCES = tests/test_http_server.c tests/test_http_server_util.h
tests_test_http_server_parse_SOURCES = tests/test_http_server_parse.c tests/test_http_server_util.h
tests_test_http_server_body_SOURCES = tests/test_http_server_body.c tests/test_http_server_util.h
tests_test_http_server_timeouts_SOURCES = tests/test_http_server_timeouts.c \
	tests/test_http_server_util.h
tests_test_http_server_life_SOURCES = tests/test_http_server_life.c tests/test_http_server_util.h
endif

# bench/http.sh (make bench B=http) and its drivers.
EXTRA_DIST += bench/http.sh bench/http_tornado.py bench/http_idle.py bench/http_pipeline.lua
if HAVE_LIBEVENT_EXTRA
EXTRA_PROGRAMS += bench/http_evhttp
bench_programs += bench/http_evhttp
bench_http_evhttp_SOURCES = bench/http_evhttp.c
bench_http_evhttp_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_EXTRA_CFLAGS)
bench_http_evhttp_LDADD = $(LIBEVENT_EXTRA_LIBS) $(LIBEVENT_LIBS)
endif
