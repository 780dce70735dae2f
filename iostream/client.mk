# SPDX-License-Identifier: MIT
# iostream/client.mk: sources, tests and programs of this part (owned by it).
# gale_tcp_client: resolve + Happy Eyeballs connect + optional TLS.
libgale_impl_la_SOURCES += iostream/tcp_client.c
galeinclude_HEADERS += include/gale/tcp_client.h

if HAVE_CMOCKA
check_PROGRAMS += tests/test_tcp_client
tests_test_tcp_client_SOURCES = tests/test_tcp_client.c
check_PROGRAMS += tests/test_unix_socket
tests_test_unix_socket_SOURCES = tests/test_unix_socket.c
endif
