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
