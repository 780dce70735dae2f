/* SPDX-License-Identifier: MIT */
/* http/websocket/ws_conn.h — one open WebSocket connection, for either role
 * (internal; the public face is gale/websocket.h).
 *
 * Life cycle (gale__ws_state, moved only by gale__ws_to()):
 *
 *   OPEN ──we send close──▶ CLOSE_SENT ──peer's close──▶ CLOSING ──stream closed──▶ CLOSED
 *     │                          └─────────────── stream closed / close timeout ──────┘
 *     └── peer's close answered, or the connection failed ──▶ CLOSING
 *     └── stream dropped ───────────────────────────────────────────────────▶ CLOSED
 *
 * In CLOSING the server closes the TCP connection once its last frame is
 * out; a client waits for the server to close it.  Either way the close
 * timer (close_timeout) bounds it: a peer that stopped reading never takes
 * our last frame.
 *
 * Receive path (ws_conn.c): the stream's data hook feeds bytes to the frame
 * parser, which appends data payloads to `msg` (max = max_message_size);
 * new bytes of an uncompressed text message are UTF-8 checked at once.
 * Send path (ws_send.c): frame headers and payloads go straight into the
 * stream's output buffer (masked with RAND_bytes keys in the client role).
 *
 * Compression (permessage-deflate, http/websocket/ws_deflate.*), when the
 * handshake agreed it (gale__ws_enable_deflate): the first frame's rsv1
 * marks a compressed message (`msg_compressed`); it is inflated whole,
 * capped at max_message_size, before its UTF-8 check in message_done();
 * write_message compresses and sets rsv1.  Without it the parser's
 * allow_rsv1 stays false: RSV1 fails the connection with 1002.
 */
#ifndef GALE_HTTP_WS_CONN_H
#define GALE_HTTP_WS_CONN_H

#include "core/loop_internal.h"
#include "gale/buf.h"
#include "gale/stream.h"
#include "gale/websocket.h"
#include "http/util/utf8.h"
#include "http/websocket/ws_deflate.h"
#include "http/websocket/ws_frame.h"

typedef enum gale__ws_state {
  GALE__WS_OPEN = 0,
  GALE__WS_CLOSE_SENT, /* our close frame went out; waiting for the peer's */
  GALE__WS_CLOSING,    /* handshake over or failed: the stream is closing */
  GALE__WS_CLOSED,     /* the stream closed; on_close ran */
} gale__ws_state;

/* The events of one connection (copied from the server class or the
 * client's options). */
typedef struct gale__ws_events {
  gale_websocket_message_fn on_message;
  gale_websocket_control_fn on_ping, on_pong;
  gale_websocket_close_fn on_close;
  int (*run)(gale_websocket *ws); /* a coroutine started by gale__ws_conn_run */
} gale__ws_events;

struct gale_websocket {
  struct gale__handle handle; /* in the loop: freed with it if still alive */
  gale_loop *loop;
  gale_stream *stream; /* NULL once its close callback ran */
  gale__ws_events ev;
  gale_websocket_options opts;
  void *user;
  void *ctx;                      /* ctx_size bytes after the struct, or NULL */
  char *subprotocol;              /* owned, or NULL */
  char *close_reason;             /* owned once known, else NULL */
  gale_future *read;              /* a pending read_message (our reference) */
  gale_websocket_message *queued; /* one message waiting for a read */
  gale_timer *close_timer;
  gale_timer *ping_timer;
  gale_ws_deflate *deflate; /* permessage-deflate agreed, or NULL */
  double last_ping, last_pong;

  gale_ws_parser parser;
  gale_buf msg; /* the message being received */
  gale__utf8 utf8;
  int close_code; /* what on_close gets (0 until known) */
  uint32_t refs;  /* the open connection's + gale_websocket_ref() */
  uint8_t state;  /* gale__ws_state */
  bool server : 1;
  bool msg_text : 1;       /* the message being received is text */
  bool msg_compressed : 1; /* ... with rsv1 (permessage-deflate) */
  bool peer_closed : 1;    /* the peer's close frame arrived */
  bool failed : 1;         /* we failed the connection (close_code is ours) */
  bool paused : 1;         /* reading paused: a message waits for a read */
};

/* Makes a connection over `stream` (whose data hook and close callback it
 * takes) once the handshake is done: `server` is the role, `opts` copied
 * (NULL: defaults), `ctx_size` zeroed bytes of context.  Input already
 * buffered in the stream is parsed on the next loop turn.  Returns NULL
 * when out of memory (the stream is left as it was). */
GALE_INTERNAL gale_websocket *gale__ws_conn_new(gale_stream *stream, bool server,
                                                const gale_websocket_options *opts,
                                                const gale__ws_events *ev, size_t ctx_size);
/* Starts reading (separate from new so open runs first). */
GALE_INTERNAL int gale__ws_conn_start(gale_websocket *ws);
/* Spawns ev.run in a coroutine holding a reference (nothing without it). */
GALE_INTERNAL void gale__ws_conn_run(gale_websocket *ws);
/* Turns permessage-deflate on with what the handshake agreed (before
 * gale__ws_conn_start).  Returns GALE_OK or GALE_ENOMEM. */
GALE_INTERNAL int gale__ws_enable_deflate(gale_websocket *ws, const gale_ws_deflate_params *params);
/* The codec options of a connection's compression settings. */
GALE_INTERNAL void gale__ws_deflate_options_of(const gale_websocket_compression *c,
                                               gale_ws_deflate_options *out);
/* Takes ownership of a malloc'd subprotocol name. */
GALE_INTERNAL void gale__ws_set_subprotocol(gale_websocket *ws, char *name);

GALE_INTERNAL void gale__ws_to(gale_websocket *ws, gale__ws_state to);
/* Fails the connection: sends a close frame with `code` and `why`, and
 * closes the stream once it is out. */
GALE_INTERNAL void gale__ws_fail(gale_websocket *ws, int code, const char *why);
/* Drops the connection at once (timeouts): on_close gets 1006 unless a
 * code is known. */
GALE_INTERNAL void gale__ws_abort(gale_websocket *ws, const char *why);
/* Records what on_close will get: code and reason (copied, len bytes). */
GALE_INTERNAL void gale__ws_set_close(gale_websocket *ws, int code, const char *reason, size_t len);

/* ws_send.c */
GALE_INTERNAL int gale__ws_send_frame(gale_websocket *ws, gale_ws_opcode op, const void *data,
                                      size_t len);
/* A close frame: code 0 sends an empty payload. */
GALE_INTERNAL int gale__ws_send_close(gale_websocket *ws, int code, const char *reason, size_t len);
/* Arms the close timer (close_timeout). */
GALE_INTERNAL void gale__ws_arm_close_timer(gale_websocket *ws);
/* Starts the ping timer when ping_interval is set. */
GALE_INTERNAL void gale__ws_start_pings(gale_websocket *ws);
GALE_INTERNAL void gale__ws_cancel_timers(gale_websocket *ws);

#endif
