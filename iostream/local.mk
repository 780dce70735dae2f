# iostream/local.mk: gale_stream (plain and TLS) and gale_tls_ctx.
galeinclude_HEADERS += \
	include/gale/stream.h \
	include/gale/tls.h

libgale_impl_la_SOURCES += \
	iostream/stream_internal.h
