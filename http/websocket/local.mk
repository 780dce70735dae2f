# SPDX-License-Identifier: MIT
# http/websocket/local.mk — RFC 6455 WebSocket: the frame codec (shared by
# the server and the client side).  Includes http/util/ and below.
galeinclude_HEADERS += include/gale/websocket.h
libgale_impl_la_SOURCES += \
	http/websocket/ws_frame.h \
	http/websocket/ws_frame.c \
	http/websocket/ws_handshake.h \
	http/websocket/ws_handshake.c \
	http/websocket/ws_conn.h \
	http/websocket/ws_conn.c \
	http/websocket/ws_send.c \
	http/websocket/ws_client.c

if HAVE_CMOCKA
check_PROGRAMS += tests/test_ws_frame tests/test_websocket tests/test_websocket_proto \
	tests/test_websocket_client tests/test_websocket_client_bad
tests_test_ws_frame_SOURCES = tests/test_ws_frame.c
tests_test_websocket_SOURCES = tests/test_websocket.c tests/test_websocket_util.h \
	tests/test_web_util.h tests/test_http_server_util.h
tests_test_websocket_client_SOURCES = tests/test_websocket_client.c tests/test_ws_bad_proxy.h tests/test_websocket_util.h \
	tests/test_web_util.h tests/test_http_server_util.h
# The client against a scripted raw server (answers RFC 6455 §4.1 refuses).
tests_test_websocket_client_bad_SOURCES = tests/test_websocket_client_bad.c \
	tests/test_websocket_util.h tests/test_web_util.h tests/test_http_server_util.h
tests_test_websocket_proto_SOURCES = tests/test_websocket_proto.c tests/test_websocket_util.h \
	tests/test_web_util.h tests/test_http_server_util.h
endif

# permessage-deflate (RFC 7692): negotiation and the message codec.
libgale_impl_la_SOURCES += \
	http/websocket/ws_deflate.h \
	http/websocket/ws_deflate.c
if HAVE_CMOCKA
check_PROGRAMS += tests/test_ws_deflate
tests_test_ws_deflate_SOURCES = tests/test_ws_deflate.c
endif

# Interop with a real peer (Python's websockets) through examples/websocket_echo.
check_SCRIPTS += tests/test_websocket_peers.sh
EXTRA_DIST += tests/test_websocket_peers.sh tests/test_websocket_peer.py \
	tests/test_websocket_tornado.py

# Autobahn-style conformance with Python's wsproto, both roles.
check_SCRIPTS += tests/test_ws_conformance.sh
EXTRA_DIST += tests/test_ws_conformance.sh tests/test_ws_conformance.py
