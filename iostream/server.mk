# SPDX-License-Identifier: MIT
# iostream/server.mk: the TCP server, socket helpers and process forking.
libgale_impl_la_SOURCES += \
	iostream/netutil.c \
	iostream/acceptor.c \
	iostream/process.c \
	iostream/tcp_server.c \
	iostream/proxy_protocol.c \
	iostream/proxy_protocol.h \
	iostream/proxy_accept.c \
	iostream/server_internal.h
galeinclude_HEADERS += \
	include/gale/netutil.h \
	include/gale/process.h \
	include/gale/tcp_server.h

if HAVE_CMOCKA
check_PROGRAMS += tests/test_netutil tests/test_process tests/test_tcp_server \
	tests/test_tcp_server_tls tests/test_tcp_server_example tests/test_tcp_server_coro \
	tests/test_proxy_protocol
tests_test_proxy_protocol_SOURCES = tests/test_proxy_protocol.c
tests_test_netutil_SOURCES = tests/test_netutil.c
tests_test_process_SOURCES = tests/test_process.c
tests_test_tcp_server_SOURCES = tests/test_tcp_server.c
tests_test_tcp_server_tls_SOURCES = tests/test_tcp_server_tls.c
tests_test_tcp_server_example_SOURCES = tests/test_tcp_server_example.c
tests_test_tcp_server_coro_SOURCES = tests/test_tcp_server_coro.c
endif

# Examples and benchmarks of this part.
EXTRA_PROGRAMS += bench/echo_gale bench/echo_libevent bench/echo_client
bench_programs += bench/echo_gale bench/echo_libevent bench/echo_client
bench_echo_gale_SOURCES = bench/echo_gale.c
bench_echo_gale_LDADD = libgale_impl.la $(DEP_LIBS)
bench_echo_libevent_SOURCES = bench/echo_libevent.c
bench_echo_libevent_LDADD = $(LIBEVENT_LIBS)
bench_echo_client_SOURCES = bench/echo_client.c
bench_echo_client_LDADD =
EXTRA_DIST += bench/echo.sh
