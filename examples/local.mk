# examples layer: sources, public headers, tests and programs.
noinst_PROGRAMS += examples/echo_server
examples_echo_server_SOURCES = examples/echo_server.c
examples_echo_server_LDADD = libgale_impl.la $(DEP_LIBS)
