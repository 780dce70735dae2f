# examples layer: sources, public headers, tests and programs.
noinst_PROGRAMS += examples/hello
examples_hello_SOURCES = examples/hello.c
examples_hello_LDADD = libgale_impl.la $(DEP_LIBS)
