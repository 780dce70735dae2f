# examples layer: sources, public headers, tests and programs.

# examples/resolve: asynchronous lookups with gale_resolver (resolver layer).
noinst_PROGRAMS += examples/resolve
examples_resolve_SOURCES = examples/resolve.c
examples_resolve_LDADD = libgale_impl.la $(DEP_LIBS)
