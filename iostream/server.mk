# iostream/server.mk: the TCP server, socket helpers and process forking.
libgale_impl_la_SOURCES += \
	iostream/netutil.c \
	iostream/acceptor.c \
	iostream/process.c \
	iostream/server_internal.h
galeinclude_HEADERS += \
	include/gale/netutil.h \
	include/gale/process.h \
	include/gale/tcp_server.h

if HAVE_CMOCKA
check_PROGRAMS += tests/test_netutil tests/test_process
tests_test_netutil_SOURCES = tests/test_netutil.c
tests_test_process_SOURCES = tests/test_process.c
endif

# Kept out of the build until gale_stream (iostream/local.mk) lands:
# iostream/tcp_server.c, tests/test_tcp_server*.c, bench/echo_*.c and
# examples/echo_server.c (examples/local.mk).
EXTRA_DIST += examples/echo_server.c iostream/tcp_server.c tests/test_tcp_server.c tests/test_tcp_server_tls.c \
	tests/test_tcp_server_example.c bench/echo.sh bench/echo_gale.c bench/echo_libevent.c \
	bench/echo_client.c
