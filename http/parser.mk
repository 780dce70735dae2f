# http/parser.mk: sources, tests and programs of this part (owned by it).
# The HTTP/1.x parser (head + body decoder), chunked encoding helpers and the
# streaming gzip codec, shared by the server and the client.
libgale_impl_la_SOURCES += \
	http/h1_parser.h \
	http/gzip.h
