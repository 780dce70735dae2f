# SPDX-License-Identifier: MIT
# resolver layer: sources, public headers, tests and programs.
libgale_impl_la_SOURCES += \
	resolver/resolver.c \
	resolver/ares_backend.c \
	resolver/gai_backend.c \
	resolver/addrlist.c \
	resolver/cache.c \
	resolver/resolver_internal.h \
	resolver/resolver_impl.h

galeinclude_HEADERS += include/gale/resolver.h

if HAVE_CMOCKA
check_PROGRAMS += tests/test_resolver
tests_test_resolver_SOURCES = tests/test_resolver.c
endif

# bench/resolve.sh: gale_resolver vs getaddrinfo in a thread pool.
EXTRA_PROGRAMS += bench/resolve_bench
bench_programs += bench/resolve_bench
bench_resolve_bench_SOURCES = bench/resolve_bench.c
bench_resolve_bench_LDADD = libgale_impl.la $(DEP_LIBS)
EXTRA_DIST += bench/resolve.sh
