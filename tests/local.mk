# SPDX-License-Identifier: MIT
# The shared test harness (tests/harness.h).  Test programs default to the
# flags and libraries below, so a layer only lists `tests_test_x_SOURCES`.
if HAVE_CMOCKA
check_LTLIBRARIES = tests/libharness.la
tests_libharness_la_SOURCES = tests/harness.c tests/harness.h
# The HTTP client tests' fixture (loop, client, fetch helpers) and their
# scripted peer; the HTTP server tests' fixture; the stream tests' fixture.
tests_libharness_la_SOURCES += tests/client_fixture.c tests/client_fixture.h \
	tests/scripted_server.c tests/scripted_server.h \
	tests/server_fixture.c tests/server_fixture.h \
	tests/stream_fixture.c tests/stream_fixture.h
endif
# Programs under tests/ use the harness flags (per-target CFLAGS would rename
# objects; setting the defaults keeps each test to one SOURCES line).
LDADD = $(TEST_LIBS)

# The layering of DESIGN.md: includes run only downward (core < resolver <
# iostream < http/util < http/wire < http/server, http/client < http/web).
check_SCRIPTS += tests/test_layers.sh
EXTRA_DIST += tests/test_layers.sh

# gale's WebSocket server against node's ws and Tornado's client.
check_SCRIPTS += tests/test_websocket_interop.sh
EXTRA_DIST += tests/test_websocket_interop.sh tests/ws_interop_node.js tests/ws_interop_tornado.py

# A C++ program builds against every public header and links the shared
# libgale (extern "C" guards, exported symbols).
if HAVE_CXX
check_PROGRAMS += tests/test_cxx_link
tests_test_cxx_link_SOURCES = tests/test_cxx_link.cc
tests_test_cxx_link_CPPFLAGS = -I$(top_builddir)/include -I$(top_srcdir)/include
tests_test_cxx_link_CXXFLAGS = -std=c++11 -Wall -Wextra -pedantic $(GALE_SAN_FLAGS)
tests_test_cxx_link_LDADD = libgale.la
endif

# The ABI policy: init functions zero the reserved room; sizes frozen
# (tests/abi_sizes.h, rewritten only by tests/gen_abi_sizes.sh).
if HAVE_CMOCKA
check_PROGRAMS += tests/test_abi
tests_test_abi_SOURCES = tests/test_abi.c tests/abi_sizes.h
endif
EXTRA_DIST += tests/gen_abi_sizes.sh
