# SPDX-License-Identifier: MIT
# http/web/local.mk — the web framework over gale_http_server: routing,
# handlers, static files, signed cookies, XSRF.  The top room of http/.
galeinclude_HEADERS += include/gale/web.h include/gale/locale.h
libgale_impl_la_SOURCES += \
	http/web/web_internal.h \
	http/web/web.c \
	http/web/web_coro.c \
	http/web/web_request.c \
	http/web/web_response.c \
	http/web/web_json.c \
	http/web/web_template.c \
	http/web/web_login.c \
	http/web/locale.c \
	http/web/signed_cookie.c \
	http/web/xsrf.c \
	http/web/static.c \
	http/web/web_websocket.c \
	http/web/web_upload.c
if HAVE_CMOCKA
check_PROGRAMS += tests/test_web tests/test_web_security tests/test_static tests/test_web_coro \
	tests/test_web_template tests/test_web_login tests/test_locale tests/test_web_upload \
	tests/test_web_limits tests/test_web_debug
tests_test_web_debug_SOURCES = tests/test_web_debug.c tests/test_web_util.h tests/test_http_server_util.h
tests_test_web_limits_SOURCES = tests/test_web_limits.c tests/test_web_util.h tests/test_http_server_util.h
tests_test_web_upload_SOURCES = tests/test_web_upload.c tests/test_web_util.h tests/test_http_server_util.h
tests_test_locale_SOURCES = tests/test_locale.c tests/test_web_util.h tests/test_http_server_util.h
tests_test_web_login_SOURCES = tests/test_web_login.c tests/test_web_util.h tests/test_http_server_util.h
tests_test_web_template_SOURCES = tests/test_web_template.c tests/test_web_util.h tests/test_http_server_util.h
tests_test_static_SOURCES = tests/test_static.c tests/test_web_util.h tests/test_http_server_util.h
# test_web and test_web_security share one application (test_web_app.h).
tests_test_web_SOURCES = tests/test_web.c tests/test_web_app.h tests/test_web_util.h \
	tests/test_http_server_util.h
tests_test_web_security_SOURCES = tests/test_web_security.c tests/test_web_app.h \
	tests/test_web_util.h tests/test_http_server_util.h
tests_test_web_coro_SOURCES = tests/test_web_coro.c tests/test_web_util.h tests/test_http_server_util.h
endif
