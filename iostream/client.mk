# iostream/client.mk: sources, tests and programs of this part (owned by it).
# gale_tcp_client: resolve + Happy Eyeballs connect + optional TLS.
# (Built once gale_stream's implementation is on main: tcp_client.c wraps
# its connected sockets in streams.)
EXTRA_DIST += include/gale/tcp_client.h iostream/tcp_client.c tests/test_tcp_client.c
