# http/parser.mk: sources, tests and programs of this part (owned by it).
# The HTTP/1.x parser (head + body decoder), chunked encoding helpers and the
# streaming gzip codec, shared by the server and the client.
libgale_impl_la_SOURCES += \
	http/h1_parser.h \
	http/gzip.h
libgale_impl_la_SOURCES += \
	http/h1_parser.c \
	http/chunked.c \
	http/gzip.c

if HAVE_CMOCKA
check_PROGRAMS += tests/test_h1_parser
tests_test_h1_parser_SOURCES = tests/test_h1_parser.c
endif
