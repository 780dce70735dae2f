# SPDX-License-Identifier: MIT
# http/h2/local.mk — the HTTP/2 wire on libnghttp2 (preface, pump into a
# gale_stream, hostile-peer guards), under http/server's HTTP/2 streams.
libgale_impl_la_SOURCES += http/h2/h2_wire.h http/h2/h2_wire.c
if HAVE_CMOCKA
check_PROGRAMS += tests/test_h2_server tests/test_h2_web
tests_test_h2_web_SOURCES = tests/test_h2_web.c tests/test_web_util.h
tests_test_h2_server_SOURCES = tests/test_h2_server.c
endif
EXTRA_DIST += tests/test_h2_peer.py
EXTRA_DIST += bench/h2.sh
