# http/websocket/local.mk — RFC 6455 WebSocket: the frame codec (shared by
# the server and the client side).  Includes http/util/ and below.
libgale_impl_la_SOURCES += \
	http/websocket/ws_frame.h \
	http/websocket/ws_frame.c

if HAVE_CMOCKA
check_PROGRAMS += tests/test_ws_frame
tests_test_ws_frame_SOURCES = tests/test_ws_frame.c
endif

# permessage-deflate (RFC 7692): negotiation and the message codec.
libgale_impl_la_SOURCES += \
	http/websocket/ws_deflate.h \
	http/websocket/ws_deflate.c
if HAVE_CMOCKA
check_PROGRAMS += tests/test_ws_deflate
tests_test_ws_deflate_SOURCES = tests/test_ws_deflate.c
endif
