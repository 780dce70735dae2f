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
