# http/websocket/local.mk — RFC 6455 WebSocket: the frame codec (shared by
# the server and the client side).  Includes http/util/ and below.
galeinclude_HEADERS += include/gale/websocket.h
libgale_impl_la_SOURCES += \
	http/websocket/ws_frame.h \
	http/websocket/ws_frame.c

if HAVE_CMOCKA
check_PROGRAMS += tests/test_ws_frame
tests_test_ws_frame_SOURCES = tests/test_ws_frame.c
endif
