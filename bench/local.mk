# SPDX-License-Identifier: MIT
# Benchmarks (bench/README.md).  Each bench/<name>.sh compares gale with its
# peers in one run; C drivers are EXTRA_PROGRAMS listed in bench_programs so
# `make` does not build them but `make bench` does.
#   make bench            every benchmark
#   make bench B=echo     only bench/echo.sh
EXTRA_DIST += bench/run-all bench/README.md bench/lib.sh bench/restart.sh
CLEANFILES += $(bench_programs)

.PHONY: bench
bench: all $(bench_programs)
	@top_builddir="$(abs_top_builddir)" top_srcdir="$(abs_top_srcdir)" \
	  $(SHELL) $(top_srcdir)/bench/run-all $(B)

# bench/websocket.sh: the WebSocket load client, and the peers' servers.
EXTRA_PROGRAMS += bench/ws_client bench/ws_gale
bench_programs += bench/ws_client bench/ws_gale
bench_ws_client_SOURCES = bench/ws_client.c
bench_ws_client_LDADD =
bench_ws_gale_SOURCES = bench/ws_gale.c
bench_ws_gale_LDADD = libgale_impl.la $(DEP_LIBS)
EXTRA_DIST += bench/websocket.sh bench/ws_node.js bench/ws_tornado.py
EXTRA_DIST += bench/tls.sh bench/static.sh

# bench/multipart.sh: the multipart parsers beside Tornado's.
EXTRA_PROGRAMS += bench/multipart_bench
bench_programs += bench/multipart_bench
bench_multipart_bench_SOURCES = bench/multipart_bench.c
bench_multipart_bench_LDADD = libgale_impl.la $(DEP_LIBS)
EXTRA_DIST += bench/multipart.sh
