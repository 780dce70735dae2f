# http/server.mk: the HTTP/1.1 server and the web layer (owned by httpserver).
galeinclude_HEADERS += include/gale/http_server.h include/gale/web.h
libgale_impl_la_SOURCES += \
	http/server_internal.h \
	http/http_server.c \
	http/http1_server.c \
	http/server_request.c
libgale_impl_la_SOURCES += \
	http/web_internal.h \
	http/web.c \
	http/web_request.c \
	http/web_response.c \
	http/signed_cookie.c \
	http/xsrf.c \
	http/static.c
if HAVE_CMOCKA
check_PROGRAMS += tests/test_http_server tests/test_web tests/test_static tests/test_http_curl
tests_test_http_curl_SOURCES = tests/test_http_curl.c tests/test_http_server_util.h
tests_test_static_SOURCES = tests/test_static.c tests/test_http_server_util.h
tests_test_web_SOURCES = tests/test_web.c tests/test_http_server_util.h
tests_test_http_server_SOURCES = tests/test_http_server.c tests/test_http_server_util.h
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
