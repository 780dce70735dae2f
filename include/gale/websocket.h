/* SPDX-License-Identifier: MIT */
/* gale/websocket.h — WebSocket connections (RFC 6455), Tornado's
 * WebSocketHandler and WebSocketClientConnection in one connection type.
 *
 * A gale_websocket is one open WebSocket, whichever side opened it: the
 * server side comes from a route added with gale_web_app_add_websocket();
 * the client side from gale_websocket_connect().
 * Both send and receive through the calls below; only the role differs
 * (a client masks what it sends, a server refuses unmasked frames).
 *
 *   static void echo(gale_websocket *ws, const char *data, size_t len, bool binary) {
 *     gale_websocket_write_message(ws, data, len, binary, NULL);
 *   }
 *   static const gale_websocket_class echo_ws = {.on_message = echo};
 *   gale_web_app_add_websocket(app, "/echo", &echo_ws, NULL, NULL);
 *
 * ---- Server life cycle (Tornado's order) ----------------------------------
 * For each request on the route the web layer runs, as for any handler:
 *   prepare(h)           authentication: may answer (gale_web_send_error
 *                        403, a redirect...) instead of upgrading, or hold
 *                        (gale_web_hold) and gale_web_resume() later;
 *   the handshake        GET only (405), HTTP/1.1, "Upgrade: websocket",
 *                        "Connection: upgrade" (a token of the list),
 *                        a Sec-WebSocket-Key of 16 bytes in base64 (400
 *                        otherwise), Sec-WebSocket-Version 13 (426 with
 *                        "Sec-WebSocket-Version: 13" otherwise), then the
 *                        Origin: check_origin, by default same origin as
 *                        Tornado (a cross-origin browser gets 403; no
 *                        Origin header, a non-browser client, passes);
 *                        then select_subprotocol; then 101;
 *   open(ws, h)          the connection is open: the request (path
 *                        groups, headers, cookies) is readable through `h`
 *                        during this call only — copy into the context
 *                        what the connection needs later;
 *   on_message / on_ping / on_pong ...
 *   on_close(ws, code, reason)  exactly once, never inside a gale call.
 * Response headers set in prepare (Set-Cookie...) go out with the 101.
 * Once open, the connection belongs to neither the HTTP server's
 * connection count nor its timers (it still counts toward the TCP
 * server's max_connections); freeing the HTTP server closes it (on_close
 * with 1006).
 *
 * ---- Protocol --------------------------------------------------------------
 * Strict, each violation failing the connection with the RFC's close code:
 * frames of the wrong masking, reserved bits no extension defined,
 * unknown opcodes, fragmented or oversized control frames, a continuation
 * with nothing to continue or a new message inside a fragmented one, a
 * close frame with an invalid code (1002); text or a close reason that is
 * not UTF-8, checked as the bytes arrive, across fragments, failing at the
 * first bad byte (1007); a message or frame over the limits (1009).  Pings
 * are answered with a pong at once; a close frame is answered with one
 * echoing its code.  permessage-deflate (RFC 7692) is used when the
 * options' compression is enabled and the peer agrees; otherwise an
 * offer is declined (no Sec-WebSocket-Extensions in the 101) and RSV1
 * fails the connection.
 *
 * ---- Ownership -------------------------------------------------------------
 * gale owns every gale_websocket.  The handle is valid from open until
 * on_close returns; gale_websocket_ref() keeps the memory longer (calls on
 * a closed connection then return GALE_ECLOSED, getters keep working).
 * Every callback may call anything here, close and unref included.
 * Message data handed to callbacks is borrowed until the callback returns
 * and NUL-terminated after `len` (text and binary alike).
 *
 * ---- Memory ----------------------------------------------------------------
 * An idle open connection holds its stream (see gale/stream.h) and about
 * 500 bytes of state: the message buffer is released after every message,
 * timers exist only while pinging or closing, zlib streams only with
 * compression.  Measured: about 880 bytes of heap per idle server-side
 * WebSocket, stream included (an idle HTTP keep-alive connection: 430).
 *
 * Loop thread only.  Close or free what owns the connections (the HTTP
 * server) before gale_loop_free(); connections still open then are freed
 * with the loop without on_close.
 */
#ifndef GALE_WEBSOCKET_H
#define GALE_WEBSOCKET_H

#include "gale/common.h"
#include "gale/error.h"
#include "gale/future.h"
#include "gale/loop.h"
#include "gale/web.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gale_websocket gale_websocket;

/* Close codes (RFC 6455 §7.4.1). */
#define GALE_WS_NORMAL 1000
#define GALE_WS_GOING_AWAY 1001
#define GALE_WS_PROTOCOL_ERROR 1002
#define GALE_WS_UNSUPPORTED_DATA 1003
#define GALE_WS_NO_STATUS 1005 /* reported only: the close frame had no code */
#define GALE_WS_ABNORMAL 1006  /* reported only: no close frame (dropped) */
#define GALE_WS_INVALID_DATA 1007
#define GALE_WS_POLICY 1008
#define GALE_WS_TOO_BIG 1009
#define GALE_WS_INTERNAL_ERROR 1011

/* Defaults (Tornado's where it has one). */
#define GALE_WS_DEFAULT_MAX_MESSAGE_SIZE ((uint64_t)10 * 1024 * 1024) /* 10 MiB */
#define GALE_WS_DEFAULT_MAX_WRITE_BUFFER ((size_t)16 * 1024 * 1024)   /* 16 MiB */
#define GALE_WS_DEFAULT_CLOSE_TIMEOUT 5.0                             /* s */

/* permessage-deflate (RFC 7692), opt-in as in Tornado: each compressing
 * connection holds zlib streams (about 256 KiB to deflate, 40 KiB to
 * inflate, made on first use and, without context takeover, freed after
 * every message).  Inflated size counts against max_message_size as it is
 * produced (a deflate bomb fails with 1009); corrupt data fails with 1007. */
typedef struct gale_websocket_compression {
  /* Accept (server) or offer (client) the extension.  Default false. */
  bool enabled;
  /* zlib level 0..9 or -1 (zlib's default, 6) and memLevel 1..9 (8), as
   * Tornado's compression_level and mem_level. */
  int level;
  int mem_level;
  /* Parameters asked for (§7.1): a server answers with them, a client
   * offers them.  0 window bits: no request (15).  An 8-bit window is
   * accepted and compressed with zlib's 9 (its matches never reach past
   * 250 bytes). */
  bool server_no_context_takeover;
  bool client_no_context_takeover;
  int server_max_window_bits;
  int client_max_window_bits;
  /* Messages shorter than this go out uncompressed.  Default 0. */
  size_t min_size;
  GALE_RESERVED(8); /* room for fields added later (README: ABI) */
} gale_websocket_compression;

typedef struct gale_websocket_options {
  /* Largest message received, in bytes; a bigger one fails the
   * connection with 1009.  Default 10 MiB (Tornado's
   * websocket_max_message_size).  0 means the default. */
  uint64_t max_message_size;
  /* Largest single frame received; 1009 past it.  0 (default): the same
   * as max_message_size. */
  uint64_t max_frame_size;
  /* Outgoing back-pressure: a message that would take the bytes queued
   * for the peer past this, while older bytes are still queued, is
   * refused with GALE_EBUFFULL and the connection is closed with 1008 (a
   * peer that stopped reading), rather than memory growing without bound.
   * One message bigger than the limit still goes out alone.  Default
   * 16 MiB; SIZE_MAX: unlimited (Tornado's behaviour).  0 means the
   * default. */
  size_t max_write_buffer_size;
  /* Seconds between pings sent to the peer; 0 (default, as Tornado):
   * none. */
  double ping_interval;
  /* With ping_interval: a peer whose last pong is this old while a ping
   * is unanswered is dropped (on_close with 1006, reason "ping
   * timeout").  0 (default): max(3 *
   * ping_interval, 30) as Tornado. */
  double ping_timeout;
  /* Seconds to wait for the peer's answer to our close frame (and, on the
   * client side, for the server to close the TCP connection) before
   * dropping the connection.  Default 5 (Tornado).  0 means the
   * default. */
  double close_timeout;
  /* permessage-deflate; off by default. */
  gale_websocket_compression compression;
  GALE_RESERVED(8); /* room for fields added later (README: ABI) */
} gale_websocket_options;

/* Fills `opts` with the defaults above. */
GALE_EXPORT void gale_websocket_options_init(gale_websocket_options *opts);

/* ---- events (the same on both sides) -------------------------------------- */

/* A whole message (fragments joined; text already checked as UTF-8).
 * `data` is borrowed, NUL-terminated after `len`. */
typedef void (*gale_websocket_message_fn)(gale_websocket *ws, const char *data, size_t len,
                                          bool binary);
/* A ping (already answered with a pong) or a pong: its payload, at most
 * 125 bytes, borrowed. */
typedef void (*gale_websocket_control_fn)(gale_websocket *ws, const char *data, size_t len);
/* The connection has closed.  `code` and `reason` (borrowed, UTF-8, ""
 * when none) are the peer's close frame's after a closing handshake
 * (1005 when it had no code); the code gale sent when it failed the
 * connection for a protocol violation or a limit (1002, 1007, 1008,
 * 1009...); 1006 when the connection dropped without a close frame (the
 * peer vanished, a ping or close timeout, the server was freed). */
typedef void (*gale_websocket_close_fn)(gale_websocket *ws, int code, const char *reason);

/* ---- the server side: a handler class --------------------------------------- */

/* Every member is optional; keep the class static const. */
typedef struct gale_websocket_class {
  const char *name; /* for logs */
  /* Bytes of zeroed per-connection context (gale_websocket_ctx()), freed
   * with the connection. */
  size_t ctx_size;
  /* Before the handshake, as the web layer's prepare (see the top). */
  gale_web_handler_fn prepare;
  /* Whether to accept a handshake whose Origin (or Sec-WebSocket-Origin)
   * header is `origin`; false answers 403.  Not called without the header.
   * NULL: same origin, the Origin's host[:port] equal to the Host header
   * (case-insensitive), as Tornado. */
  bool (*check_origin)(gale_web_handler *h, const char *origin);
  /* Picks one of the `n` subprotocols the client offered (in its order,
   * borrowed for the call) by returning one of those pointers, or NULL
   * for none.  Called only when the client offered some.  Default: none. */
  const char *(*select_subprotocol)(gale_web_handler *h, const char *const *offered, size_t n);
  /* The connection is open (see the top: `h` only during the call). */
  void (*open)(gale_websocket *ws, gale_web_handler *h);
  /* Messages.  When NULL, messages wait for gale_websocket_read_message()
   * instead. */
  gale_websocket_message_fn on_message;
  gale_websocket_control_fn on_ping, on_pong;
  gale_websocket_close_fn on_close;
  /* When set, runs right after open in a coroutine of its own
   * (gale/coro.h), typically reading with gale_websocket_read_message in
   * a loop; the connection stays valid until it returns and is then
   * closed with 1000 if still open.  Its status is logged when < 0. */
  int (*run)(gale_websocket *ws);
  GALE_RESERVED(8); /* room for fields added later (README: ABI) */
} gale_websocket_class;

/* Adds a WebSocket route to `app`, matched like gale_web_app_add()
 * routes (PCRE2, anchored; groups become the path arguments readable
 * through the handler in prepare, check_origin and open).  `cls` is
 * borrowed (static); `route_args` is borrowed and becomes each
 * connection's initial user data (gale_websocket_get_user_data), also
 * readable with gale_web_handler_route_args() in prepare and open;
 * `opts` (may be NULL: defaults) is copied.
 * Returns GALE_OK, GALE_EINVAL (NULL app/pattern/cls, bad regex, bad
 * options), GALE_ENOMEM. */
GALE_EXPORT int gale_web_app_add_websocket(gale_web_app *app, const char *pattern,
                                           const gale_websocket_class *cls, void *route_args,
                                           const gale_websocket_options *opts);

/* ---- the client side ------------------------------------------------------------ */

typedef struct gale_tls_ctx gale_tls_ctx;
typedef struct gale_tcp_client gale_tcp_client;

/* What a connect learnt, written by gale_websocket_connect() as it goes
 * (zeroed when it starts) and complete when its future resolves. */
typedef struct gale_websocket_connect_info {
  /* The server's answer to the upgrade: 101 when it opened; its status
   * when it refused (GALE_EWS_REFUSED: 403, 404, 426...); 0 when none
   * came.  Its reason phrase ("Not Found"), "" when none. */
  int http_status;
  char reason[128];
  /* With a proxy: its answer to CONNECT (200; 407 when it wants
   * credentials...), 0 when none came. */
  int proxy_status;
  /* One English sentence for a failure ("the server answered 404 Not
   * Found instead of 101 Switching Protocols"), "" on success. */
  char error[256];
} gale_websocket_connect_info;

/* Options of gale_websocket_connect(); gale_websocket_connect_options_init()
 * fills the defaults.  Strings and arrays are copied by the call. */
typedef struct gale_websocket_connect_options {
  /* Extra request header lines, each "Name: value" (no CR/LF: GALE_EINVAL),
   * NULL-terminated array; NULL for none.  Origin, cookies, auth... */
  const char *const *headers;
  /* Subprotocols to offer, in preference order, NULL-terminated; NULL for
   * none.  The server's choice is gale_websocket_subprotocol(). */
  const char *const *subprotocols;
  /* Seconds for DNS, TCP and TLS (20, Tornado's connect_timeout), and for
   * the whole connect, the opening handshake included (20, Tornado's
   * request_timeout); 0 = no limit. */
  double connect_timeout;
  double request_timeout;
  /* wss://: the client TLS context (borrowed until the future resolves);
   * NULL: a context verifying against the system store, made per call. */
  gale_tls_ctx *tls;
  /* The TCP client to connect with (borrowed; its resolver is used); NULL:
   * one made and freed by this connect. */
  gale_tcp_client *tcp;
  /* An HTTP proxy to tunnel through with CONNECT (RFC 9110 §9.3.6), for
   * ws:// and wss:// alike (TLS with the origin then runs inside the
   * tunnel); NULL host: none.  Port 0: 8080, as gale_http_client.
   * username (NULL: none) and password go as Proxy-Authorization: Basic.
   * The tunnel counts as connecting (connect_timeout). */
  const char *proxy_host;
  int proxy_port;
  const char *proxy_username;
  const char *proxy_password;
  /* Filled as the connect goes (borrowed until the future resolves;
   * NULL: none). */
  gale_websocket_connect_info *info;
  /* The connection's limits and timers (gale_websocket_options_init's
   * defaults). */
  gale_websocket_options ws;
  /* As the server class's members of the same names. */
  size_t ctx_size;
  gale_websocket_message_fn on_message;
  gale_websocket_control_fn on_ping, on_pong;
  gale_websocket_close_fn on_close;
  int (*run)(gale_websocket *ws);
  void *user_data;  /* the connection's initial user data */
  GALE_RESERVED(8); /* room for fields added later (README: ABI) */
} gale_websocket_connect_options;

GALE_EXPORT void gale_websocket_connect_options_init(gale_websocket_connect_options *opts);

/* Opens a WebSocket to `url` (ws:// or wss://, copied) as a client
 * (Tornado's websocket_connect).  Returns a future (one reference for the
 * caller) whose result is the open gale_websocket: the future holds a
 * reference on it, dropped when the future is freed (take your own with
 * gale_websocket_ref to outlive it).  The future fails with the TCP
 * client's errors (GALE_ECONNREFUSED, GALE_EDNS_*, GALE_ETLS_*,
 * GALE_ETIMEDOUT_CONNECT...), GALE_ETIMEDOUT_REQUEST (request_timeout),
 * GALE_EWS_REFUSED (the server answered something else than 101: a 403,
 * a 404, a 426...; info->http_status and reason say which),
 * GALE_EWS_HANDSHAKE (a 101 breaking RFC 6455 §4.1: no "Upgrade:
 * websocket" or "Connection: upgrade" among their fields' tokens, a
 * Sec-WebSocket-Accept missing, repeated or not exactly the key's, an
 * extension or subprotocol not offered, not HTTP/1.1), GALE_EHTTP_PARSE
 * (an answer that is not HTTP: the shared parser's rules, obs-fold
 * unfolded as a user agent may), GALE_EOF / GALE_EHTTP_HEAD_TRUNCATED
 * (closed before or during the answer); through a proxy also
 * GALE_EHTTP_PROXY (the proxy refused CONNECT: info->proxy_status, 407
 * for credentials) and GALE_ETIMEDOUT_CONNECT (it did not answer in
 * time); info->error has a sentence for each.  Cancelling the future
 * abandons the connect.
 * Returns NULL when the connect cannot start, with *status_out (may be
 * NULL): GALE_EINVAL (NULL loop or url, a header or a proxy string with CR/LF), GALE_EURL
 * (malformed), GALE_ENOTSUP (not ws/wss), GALE_ENOMEM, GALE_ETLS_CONFIG. */
GALE_EXPORT gale_future *gale_websocket_connect(gale_loop *loop, const char *url,
                                                const gale_websocket_connect_options *opts,
                                                int *status_out);

/* ---- sending --------------------------------------------------------------------- */

/* Sends one message (copied; a text message must be valid UTF-8).
 * `flushed` (may be NULL) receives a new future (one reference for the
 * caller) that resolves (NULL result) once the message has been handed
 * to the kernel, or fails with GALE_ECLOSED if the connection closes
 * first; it is set only when this returns GALE_OK.
 * Returns GALE_OK, GALE_EINVAL (NULL ws, NULL data with len > 0, text not
 * UTF-8: nothing sent, the connection stays open), GALE_ECLOSED (closed
 * or closing), GALE_EBUFFULL (past max_write_buffer_size: the connection
 * is being closed with 1008), GALE_ENOMEM. */
GALE_EXPORT int gale_websocket_write_message(gale_websocket *ws, const void *data, size_t len,
                                             bool binary, gale_future **flushed);

/* Sends a ping with `len` <= 125 bytes of payload (copied; may be NULL
 * when len is 0).  The answer arrives at on_pong.  Returns GALE_OK,
 * GALE_EINVAL (len > 125), GALE_ECLOSED, GALE_ENOMEM. */
GALE_EXPORT int gale_websocket_ping(gale_websocket *ws, const void *data, size_t len);

/* Starts the closing handshake: sends a close frame with `code` and
 * `reason` (copied, UTF-8, at most 123 bytes; may be NULL) and waits up to
 * close_timeout for the peer's close, then the connection closes and
 * on_close runs (never inside this call).  code 0 sends no code (1000
 * when a reason is given, as Tornado).  Messages arriving meanwhile are
 * dropped.  Closing a closing or closed connection does nothing.
 * Returns GALE_OK, GALE_EINVAL (a code that may not be sent: 1004-1006,
 * 1015, outside 1000-4999...; reason too long or not UTF-8). */
GALE_EXPORT int gale_websocket_close(gale_websocket *ws, int code, const char *reason);

/* Bytes queued for the peer and not yet handed to the kernel. */
GALE_EXPORT size_t gale_websocket_write_buffer_size(const gale_websocket *ws);

/* ---- receiving by future (Tornado's read_message) ------------------------------ */

/* A message read with gale_websocket_read_message(): owned by the future
 * (freed with it); `data` NUL-terminated after `len`. */
typedef struct gale_websocket_message {
  char *data;
  size_t len;
  bool binary;
} gale_websocket_message;

/* The next message as a future (one reference for the caller) whose
 * result is a gale_websocket_message, or which fails with GALE_ECLOSED
 * once the connection has closed (gale_websocket_close_code tells why).
 * For connections whose class has no on_message.  While no read is
 * pending, at most one message waits and the connection stops reading
 * (TCP back-pressure on the peer).  Cancelling the future gives up the
 * read (a message then waits for the next one).  Returns NULL when the
 * read cannot start, with *status_out (may be NULL) set: GALE_EINVAL,
 * GALE_ESTATE (the class has on_message), GALE_EBUSY (a read is
 * pending), GALE_ENOMEM. */
GALE_EXPORT gale_future *gale_websocket_read_message(gale_websocket *ws, int *status_out);

/* ---- state and accessors ---------------------------------------------------------- */

GALE_EXPORT gale_websocket *gale_websocket_ref(gale_websocket *ws);
/* Drops a reference from gale_websocket_ref().  NULL is ignored. */
GALE_EXPORT void gale_websocket_unref(gale_websocket *ws);

/* True once the closing handshake started or the connection closed:
 * nothing more can be sent. */
GALE_EXPORT bool gale_websocket_closing(const gale_websocket *ws);
/* True once on_close has run (or is running). */
GALE_EXPORT bool gale_websocket_closed(const gale_websocket *ws);
/* The code and reason on_close got (0 and "" before). */
GALE_EXPORT int gale_websocket_close_code(const gale_websocket *ws);
GALE_EXPORT const char *gale_websocket_close_reason(const gale_websocket *ws);

/* The subprotocol agreed in the handshake, or NULL.  Borrowed. */
GALE_EXPORT const char *gale_websocket_subprotocol(const gale_websocket *ws);
/* True when the handshake agreed permessage-deflate. */
GALE_EXPORT bool gale_websocket_compressed(const gale_websocket *ws);
/* The zeroed context of the class's ctx_size bytes (NULL when 0). */
GALE_EXPORT void *gale_websocket_ctx(const gale_websocket *ws);
GALE_EXPORT gale_loop *gale_websocket_loop(const gale_websocket *ws);
/* True on the server side. */
GALE_EXPORT bool gale_websocket_is_server(const gale_websocket *ws);
/* An opaque pointer for the application (server side: starts as the
 * route's route_args). */
GALE_EXPORT void gale_websocket_set_user_data(gale_websocket *ws, void *data);
GALE_EXPORT void *gale_websocket_get_user_data(const gale_websocket *ws);

#ifdef __cplusplus
}
#endif

#endif
