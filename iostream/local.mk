# SPDX-License-Identifier: MIT
# iostream/local.mk: gale_stream (plain and TLS) and gale_tls_ctx.
galeinclude_HEADERS += \
	include/gale/stream.h \
	include/gale/tls.h

libgale_impl_la_SOURCES += \
	iostream/stream_internal.h \
	iostream/stream_priv.h \
	iostream/stream.c \
	iostream/stream_buf.c \
	iostream/stream_read.c \
	iostream/stream_write.c \
	iostream/stream_sock.c \
	iostream/stream_tls.c \
	iostream/tls_ctx.c

if HAVE_CMOCKA
check_PROGRAMS += tests/test_stream tests/test_stream_flow tests/test_stream_life tests/test_tls
# The stream tests share tests/stream_fixture.[ch] (in the harness library).
tests_test_stream_SOURCES = tests/test_stream.c
tests_test_stream_flow_SOURCES = tests/test_stream_flow.c
tests_test_stream_life_SOURCES = tests/test_stream_life.c
tests_test_tls_SOURCES = tests/test_tls.c
endif

# bench/idle.sh: bytes per idle connection (gale_stream vs bufferevent).
EXTRA_PROGRAMS += bench/idle_streams
bench_programs += bench/idle_streams
bench_idle_streams_SOURCES = bench/idle_streams.c
bench_idle_streams_LDADD = libgale_impl.la $(DEP_LIBS)
EXTRA_DIST += bench/idle.sh
