/* SPDX-License-Identifier: MIT */
/* http/h2/h2_wire.h — the HTTP/2 wire under gale's server and its client: libnghttp2 owns framing, HPACK and flow control; this layer
 * owns what nghttp2 leaves to its user: the connection preface check, the
 * pump from an nghttp2 session into a gale_stream's output with
 * back-pressure, and the guards against hostile peers (floods, rapid
 * reset, CONTINUATION floods, HEADERS on a lower never-used stream id)
 * that nghttp2 1.52 does not have or does not check.
 */
#ifndef GALE_H2_WIRE_H
#define GALE_H2_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nghttp2/nghttp2.h>

#include "gale/common.h"
#include "gale/stream.h"

#define GALE__H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define GALE__H2_PREFACE_LEN 24

/* Whether `len` bytes at `p` start the client connection preface: 1 (the
 * whole preface is there), 0 (a prefix of it: wait for more), -1 (not
 * HTTP/2). */
GALE_INTERNAL int gale__h2_preface(const char *p, size_t len);

/* Per-connection counters of what a hostile peer may repeat.  Zeroed by
 * the owner; `window_start` is the start of the current one-second
 * window. */
typedef struct gale__h2_guard {
  double window_start;
  uint32_t pings, settings, resets, empty_data, priorities;
  uint32_t block_frames; /* frames of the header block being received */
  size_t block_bytes;    /* their payload */
  size_t max_block;      /* limit of a header block's bytes (HPACK-coded) */
  int32_t max_seen_id;   /* highest client stream id opened */
  /* Set by a client's session: HEADERS on a stream id below the highest
   * is the server answering a stream we reset, not a reused id. */
  bool client_side;
} gale__h2_guard;

/* Limits per one-second window; past one the connection gets GOAWAY
 * ENHANCE_YOUR_CALM.  Far above what real clients do (browsers ping a
 * few times a minute, reset a handful of streams per page).  WINDOW_UPDATE
 * is not counted: a client with small windows sends one per DATA frame. */
#define GALE__H2_MAX_RESETS 200 /* rapid reset, CVE-2023-44487 */
#define GALE__H2_MAX_PINGS 100
#define GALE__H2_MAX_SETTINGS 100
#define GALE__H2_MAX_EMPTY_DATA 100 /* DATA without payload nor END_STREAM */
#define GALE__H2_MAX_PRIORITY 1000
#define GALE__H2_MAX_BLOCK_FRAMES 32 /* HEADERS + CONTINUATIONs of one block */

/* Sees every frame header first (nghttp2's on_begin_frame_callback):
 * returns 0 to go on, or the HTTP/2 error code (NGHTTP2_PROTOCOL_ERROR,
 * NGHTTP2_ENHANCE_YOUR_CALM) with which the caller must end the
 * connection (nghttp2_session_terminate_session). */
GALE_INTERNAL uint32_t gale__h2_guard_frame(gale__h2_guard *g, nghttp2_session *session,
                                            const nghttp2_frame_hd *hd, double now);

/* Moves what nghttp2 has to send into the stream's output until the output
 * holds `high_water` bytes.  Returns GALE_OK (all sent), GALE_EAGAIN (the
 * output is full: flush the stream and call again when it drained), or
 * GALE_EHTTP_PARSE / GALE_ENOMEM (nghttp2 failed: close). */
GALE_INTERNAL int gale__h2_pump(nghttp2_session *session, gale_stream *stream, size_t high_water);

/* Feeds the stream's input to the session and drains what it used.
 * Returns GALE_OK or GALE_EHTTP_PARSE (nghttp2 gave up: its GOAWAY is
 * queued, pump then close). */
GALE_INTERNAL int gale__h2_feed(nghttp2_session *session, gale_stream *stream);

#endif
