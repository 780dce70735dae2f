# SPDX-License-Identifier: MIT
# fuzz/local.mk — the libFuzzer targets (HARDENING.md: every parser has one,
# its seed corpus lives in the tree and `make check` replays it).
#   make fuzz [FUZZ_SECONDS=N] [FUZZ_TARGETS="url cookie"]
#                    builds every fuzz/fuzz_NAME.c with clang-14 and libFuzzer
#                    and runs each for N seconds (30) from fuzz/corpus/NAME/
#                    (.ci/fuzz does the work: one machinery for CI and users)
# The replay programs below run each target over its corpus with the normal
# compiler, sanitizers included in --enable-sanitizers builds.
FUZZ_SECONDS = 30
FUZZ_TARGETS =
EXTRA_DIST += fuzz/fuzz.h fuzz/fuzz_head.h fuzz/corpus .ci/fuzz

fuzz:
	cd $(top_srcdir) && $(SHELL) .ci/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz_replay = fuzz/replay.c fuzz/fuzz.h
check_PROGRAMS += fuzz/replay_request fuzz/replay_response fuzz/replay_chunked \
	fuzz/replay_gunzip fuzz/replay_url fuzz/replay_multipart fuzz/replay_cookie \
	fuzz/replay_range fuzz/replay_xheaders fuzz/replay_signed_value fuzz/replay_writeout \
	fuzz/replay_multipart_enc fuzz/replay_chunked_enc fuzz/replay_ws_frame
check_PROGRAMS += fuzz/replay_client fuzz/replay_h2_server
fuzz_replay_h2_server_SOURCES = fuzz/fuzz_h2_server.c $(fuzz_replay)
fuzz_replay_h2_server_LDADD = libgale_impl.la $(DEP_LIBS)
fuzz_replay_client_SOURCES = fuzz/fuzz_client.c $(fuzz_replay)
fuzz_replay_client_LDADD = libgale_impl.la $(DEP_LIBS)
fuzz_replay_request_SOURCES = fuzz/fuzz_request.c fuzz/fuzz_head.h $(fuzz_replay)
fuzz_replay_response_SOURCES = fuzz/fuzz_response.c fuzz/fuzz_head.h $(fuzz_replay)
fuzz_replay_chunked_SOURCES = fuzz/fuzz_chunked.c $(fuzz_replay)
fuzz_replay_gunzip_SOURCES = fuzz/fuzz_gunzip.c $(fuzz_replay)
fuzz_replay_url_SOURCES = fuzz/fuzz_url.c $(fuzz_replay)
fuzz_replay_multipart_SOURCES = fuzz/fuzz_multipart.c $(fuzz_replay)
fuzz_replay_cookie_SOURCES = fuzz/fuzz_cookie.c $(fuzz_replay)
fuzz_replay_range_SOURCES = fuzz/fuzz_range.c $(fuzz_replay)
fuzz_replay_xheaders_SOURCES = fuzz/fuzz_xheaders.c $(fuzz_replay)
fuzz_replay_signed_value_SOURCES = fuzz/fuzz_signed_value.c $(fuzz_replay)
fuzz_replay_writeout_SOURCES = fuzz/fuzz_writeout.c tools/writeout.c $(fuzz_replay)
fuzz_replay_multipart_enc_SOURCES = fuzz/fuzz_multipart_enc.c $(fuzz_replay)
fuzz_replay_chunked_enc_SOURCES = fuzz/fuzz_chunked_enc.c $(fuzz_replay)
fuzz_replay_ws_frame_SOURCES = fuzz/fuzz_ws_frame.c $(fuzz_replay)
# Replays link the library, not the harness.
fuzz_replay_request_LDADD = libgale_impl.la $(DEP_LIBS)
fuzz_replay_response_LDADD = libgale_impl.la $(DEP_LIBS)
fuzz_replay_chunked_LDADD = libgale_impl.la $(DEP_LIBS)
fuzz_replay_gunzip_LDADD = libgale_impl.la $(DEP_LIBS)
fuzz_replay_url_LDADD = libgale_impl.la $(DEP_LIBS)
fuzz_replay_multipart_LDADD = libgale_impl.la $(DEP_LIBS)
fuzz_replay_cookie_LDADD = libgale_impl.la $(DEP_LIBS)
fuzz_replay_range_LDADD = libgale_impl.la $(DEP_LIBS)
fuzz_replay_xheaders_LDADD = libgale_impl.la $(DEP_LIBS)
fuzz_replay_signed_value_LDADD = libgale_impl.la $(DEP_LIBS)
fuzz_replay_writeout_LDADD = libgale_impl.la $(DEP_LIBS)
fuzz_replay_multipart_enc_LDADD = libgale_impl.la $(DEP_LIBS)
fuzz_replay_chunked_enc_LDADD = libgale_impl.la $(DEP_LIBS)
fuzz_replay_ws_frame_LDADD = libgale_impl.la $(DEP_LIBS)

# permessage-deflate's inflate path and negotiation (http/websocket/ws_deflate.c).
check_PROGRAMS += fuzz/replay_ws_inflate
fuzz_replay_ws_inflate_SOURCES = fuzz/fuzz_ws_inflate.c $(fuzz_replay)
fuzz_replay_ws_inflate_LDADD = libgale_impl.la $(DEP_LIBS)

# Templates (http/template/): compile and render hostile sources.
check_PROGRAMS += fuzz/replay_template
fuzz_replay_template_SOURCES = fuzz/fuzz_template.c $(fuzz_replay)
fuzz_replay_template_LDADD = libgale_impl.la $(DEP_LIBS)

# The streaming multipart parser: chunked feeding equals whole feeding.
check_PROGRAMS += fuzz/replay_multipart_stream
fuzz_replay_multipart_stream_SOURCES = fuzz/fuzz_multipart_stream.c $(fuzz_replay)
fuzz_replay_multipart_stream_LDADD = libgale_impl.la $(DEP_LIBS)

# The PROXY protocol header (iostream/proxy_protocol.c).
check_PROGRAMS += fuzz/replay_proxy_protocol
fuzz_replay_proxy_protocol_SOURCES = fuzz/fuzz_proxy_protocol.c $(fuzz_replay)
fuzz_replay_proxy_protocol_LDADD = libgale_impl.la $(DEP_LIBS)
