# SPDX-License-Identifier: MIT
# http/client/local.mk — gale_http_client: the pool, proxies, redirects,
# over the HTTP/1 wire (http/wire/), HTTP/2 (http/h2/) and the utilities
# (http/util/).
galeinclude_HEADERS += include/gale/http_client.h
libgale_impl_la_SOURCES += \
	http/client/http_client_internal.h \
	http/client/http_client.c \
	http/client/http_client_pool.c \
	http/client/http_client_conn.c \
	http/client/http_client_upload.c \
	http/client/http_client_response.c \
	http/client/http_client_redirect.c \
	http/client/http_client_proxy.c \
	http/client/http_client_h2.h http/client/http_client_h2.c http/client/http_client_h2_request.c \
	http/client/http_client_h2_response.c \
	http/client/http_client_rate.c

if HAVE_CMOCKA
check_PROGRAMS += tests/test_http_client tests/test_http_client_hostile \
	tests/test_http_client_net tests/test_http_client_causes
tests_test_http_client_SOURCES = tests/test_http_client.c
tests_test_http_client_hostile_SOURCES = tests/test_http_client_hostile.c
tests_test_http_client_net_SOURCES = tests/test_http_client_net.c
tests_test_http_client_causes_SOURCES = tests/test_http_client_causes.c
check_PROGRAMS += tests/test_http_client_alloc
tests_test_http_client_alloc_SOURCES = tests/test_http_client_alloc.c
# The CONNECT tunnel against a scripted bad proxy.
check_PROGRAMS += tests/test_http_client_proxy
tests_test_http_client_proxy_SOURCES = tests/test_http_client_proxy.c tests/test_ws_bad_proxy.h
check_PROGRAMS += tests/test_http_client_gale
tests_test_http_client_gale_SOURCES = tests/test_http_client_gale.c
check_PROGRAMS += tests/test_http_client_peers
tests_test_http_client_peers_SOURCES = tests/test_http_client_peers.c
check_PROGRAMS += tests/test_http_client_tls
tests_test_http_client_tls_SOURCES = tests/test_http_client_peers.c
tests_test_http_client_tls_CPPFLAGS = $(AM_CPPFLAGS) -DPEERS_TLS
check_PROGRAMS += tests/test_http_client_h2
tests_test_http_client_h2_SOURCES = tests/test_http_client_h2.c
EXTRA_DIST += tests/test_http_client_h2_peer.py
endif
