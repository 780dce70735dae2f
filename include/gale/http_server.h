/* SPDX-License-Identifier: MIT */
/* gale/http_server.h — the HTTP/1.1 server (Tornado's HTTPServer and
 * HTTP1ServerConnection), and HTTP/2 beside it when opts.http2 is on.
 *
 * A gale_http_server accepts connections through a gale_tcp_server (so TLS,
 * several listening sockets and forked worker processes come with it) and
 * speaks HTTP/1.0 and 1.1 on each: keep-alive, pipelining (answers in
 * order, everything produced while handling one read sent with one write),
 * chunked bodies both ways, Expect: 100-continue, HEAD, gzip responses,
 * optional gunzip of request bodies, timeouts and size limits.
 *
 * Each request reaches the application as a gale_http_server_request: the
 * parsed request (method, target, headers, body) and the response being
 * built (status, headers, body).  The application answers at once or later
 * from any callback on the loop thread, and must eventually call
 * gale_http_server_request_finish() — or be told through the close callback
 * that the client went away.  Requests of one connection are handled one at
 * a time, in order: the next pipelined request is dispatched only after the
 * previous one finished.
 *
 * Malformed or hostile requests never reach the application: the server
 * answers with a short plain-text error (400 malformed, 413 body too large,
 * 414 target too long, 431 header section too large, 501 unknown transfer
 * coding, 505 HTTP version, 417 unknown expectation) with
 * "Connection: close", then closes (after a bounded lingering drain so the
 * client reads the answer).  Every request before the bad one in a pipeline
 * is answered first.
 *
 * Strings returned by the accessors below are NUL-terminated, borrowed, and
 * valid until the request is finished (or its close callback returned).
 * Everything here is for the loop thread only.
 */
#ifndef GALE_HTTP_SERVER_H
#define GALE_HTTP_SERVER_H

#include <stdarg.h>
#include <sys/types.h>

#include "gale/common.h"
#include "gale/error.h"
#include "gale/loop.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gale_http_server gale_http_server;
typedef struct gale_http_server_request gale_http_server_request;
/* From gale/tcp_server.h and gale/stream.h (repeated typedefs are valid C11). */
typedef struct gale_tcp_server gale_tcp_server;
typedef struct gale_tls_ctx gale_tls_ctx;

/* The application's entry point.  With the default (buffered) body mode it
 * runs once the whole request, body included, has arrived; if the
 * headers_cb chose streaming it runs when the body has been streamed.  The
 * request is borrowed until finished. */
typedef void (*gale_http_request_cb)(gale_http_server_request *req, void *arg);

/* Streamed body data (see gale_http_server_request_stream_body()).  `data`
 * is borrowed for the call; already de-chunked (and gunzipped when the
 * server decompresses).  Return GALE_OK to go on, or an error status to
 * abandon the request: the server then answers 400 unless the application
 * already started a response, and closes the connection. */
typedef int (*gale_http_body_cb)(gale_http_server_request *req, const char *data, size_t len,
                                 void *arg);

/* The client went away (or the connection failed: `status` says why, e.g.
 * GALE_EOF, GALE_ECONNRESET, GALE_ETIMEDOUT_READ) before the application
 * finished the request.  After this returns the request is freed: the
 * application must drop its pointer and not call finish. */
typedef void (*gale_http_close_cb)(gale_http_server_request *req, int status, void *arg);

/* Told when gale_http_server_shutdown() has closed every connection. */
typedef void (*gale_http_server_closed_cb)(gale_http_server *server, void *arg);

/* Server options.  Initialise with gale_http_server_options_init(), which
 * fills the defaults listed beside each field, then change what you need.
 * Strings and arrays are copied by gale_http_server_new(). */
typedef struct gale_http_server_options {
  /* Optional: runs when a request's header section is complete, before any
   * body byte is read.  It may inspect the request, answer at once (e.g.
   * 401: the body is then not read and the connection closes after the
   * answer if a body was announced), or call
   * gale_http_server_request_stream_body() to receive the body in chunks
   * instead of having it buffered.  "100 Continue" is sent after this
   * callback, only when the body will be read. */
  gale_http_request_cb headers_cb;

  size_t max_header_size;               /* 65536: request line + headers; 431 past it */
  size_t max_uri_size;                  /* 8192: request target; 414 past it */
  size_t max_header_count;              /* 100: header fields; 431 past it */
  uint64_t max_body_size;               /* 100 MiB (buffered or streamed; after
                                   inflation when decompressing); 413 */
  size_t max_body_buffer;               /* 256 MiB: the storage of buffered request
                                   bodies across all connections of the
                                   server, so many slow uploads cannot grow
                                   the process without bound.  A body with a
                                   Content-Length is charged in full when its
                                   head arrives (an admitted body is never
                                   cut off half-way); a chunked or gzipped
                                   one as it grows.  A body that would pass
                                   the cap gets 503 and its connection closes;
                                   the others go on.  Streamed bodies
                                   (headers_cb) are not counted.  The charge
                                   is released when the request is freed.
                                   0 = no limit */
  double header_timeout;                /* 60 s (nginx's client_header_timeout) for a
                                   request's header section (slowloris): a
                                   connection's first request counts from the
                                   accept, so a connection that never sends a
                                   byte is closed (silently) after it; later
                                   requests count from their first byte.  A
                                   head begun and not finished gets 408.
                                   Tornado has none of its own (it waits
                                   idle_connection_timeout, 3600 s).
                                   0 = none */
  double body_timeout;                  /* 60 s without body progress; 0 = none */
  double write_timeout;                 /* 60 s without any byte of a pending response
                                   leaving (a client that stopped reading):
                                   the connection closes (checked by the same
                                   sweep as idle_connection_timeout); 0 = none */
  double idle_connection_timeout;       /* 3600 s (Tornado; nginx's keepalive_timeout
                                   is 75 s) idle between keep-alive requests
                                   (checked by one sweep of the connections
                                   a few times per timeout, at most 1 s
                                   apart: no timer per connection) */
  unsigned max_requests_per_connection; /* 100000 (then Connection: close);
                                           0: unlimited */
  bool no_keep_alive;                   /* false: close after each response */
  bool xheaders;                        /* false: trust X-Real-IP / X-Forwarded-For /
                                   X-Forwarded-Proto / X-Scheme */
  /* With xheaders: proxies (IP literals) to skip when reading
   * X-Forwarded-For from the right; NULL-terminated array, may be NULL. */
  const char *const *trusted_downstream;
  bool compress_response;  /* false: gzip responses when the client
                                   accepts it, the type compresses and the
                                   body exceeds 1 KiB (any size when
                                   streamed with flush: each flush is a
                                   zlib sync flush) */
  bool decompress_request; /* false: gunzip Content-Encoding: gzip bodies */
  bool access_log;         /* true: one line per request on the "access"
                                   domain at INFO (skipped when INFO is off) */
  gale_tls_ctx *tls;       /* NULL: plain HTTP; borrowed, must outlive
                                   the server */
  /* false: also speak HTTP/2 (RFC 9113, on libnghttp2) on the same port.
   * Cleartext: a client that opens with the HTTP/2 connection preface
   * ("prior knowledge", curl --http2-prior-knowledge) gets HTTP/2, any
   * other gets HTTP/1.1 as before.  Upgrade: h2c is NOT supported (it is
   * declined: such a request is answered over HTTP/1.1, as RFC 9113 §3.1
   * allows and as h2c is deprecated there).  TLS: HTTP/2 when ALPN agrees
   * on "h2": create `tls` with alpn {"h2", "http/1.1"} (a client offering
   * only http/1.1, or no ALPN, gets HTTP/1.1).  The same request API and
   * handlers serve both; gale_http_server_request_version() says
   * "HTTP/2.0".  Settings: at most 100 concurrent streams per connection,
   * SETTINGS_MAX_HEADER_LIST_SIZE = max_header_size, server push off.
   * Limits and timeouts are those above: header list (431), body size
   * (413), body buffer (503), idle_connection_timeout (GOAWAY when idle),
   * write_timeout (a stream whose answer does not move for it, e.g. a
   * peer holding its window at zero, is reset with CANCEL; the others go
   * on); header_timeout and body_timeout apply to HTTP/1 only.  Graceful
   * shutdown sends GOAWAY and lets the open streams finish.  Hostile
   * peers get GOAWAY: ENHANCE_YOUR_CALM for floods (more than 200
   * RST_STREAM, 100 PING, 100 SETTINGS or 100 empty DATA frames in one
   * second: rapid reset, CVE-2023-44487), a header block of more than 32
   * frames or 2 * max_header_size + 16 KiB (CONTINUATION flood), a header
   * list decoding past 4 * max_header_size + 64 KiB (HPACK bomb);
   * PROTOCOL_ERROR for HEADERS on a lower, never-used stream id; nghttp2
   * itself answers malformed frames (FRAME_SIZE_ERROR, STREAM_CLOSED,
   * PROTOCOL_ERROR, FLOW_CONTROL_ERROR).  WebSocket over HTTP/2 (RFC 8441)
   * is not offered: WebSocket clients use HTTP/1.1.  An answer sent before
   * the request's body was all read (an early 413, or a headers_cb answer)
   * ends the stream; the rest of that body is read and dropped within the
   * flow-control windows (no RST_STREAM NO_ERROR: curl 7.88 takes it for a
   * failure).  Memory: about 14 KB per idle HTTP/2 connection (nghttp2's
   * session and buffers; nginx 1.22: 1.7 KB). */
  bool http2;
  /* Limits of the TCP server underneath (gale/tcp_server.h). */
  size_t max_connections;       /* 10000 open connections (TLS handshakes
                                   included; Tornado has no limit, nginx's
                                   worker_connections defaults to 512 per
                                   worker).  At the limit the server stops
                                   accepting (new clients wait in the listen
                                   backlog) instead of accepting and closing,
                                   and resumes as connections close.
                                   0 = no limit */
  double tls_handshake_timeout; /* 20 s (GALE_TLS_DEFAULT_HANDSHAKE_TIMEOUT;
                                   nginx's ssl_handshake_timeout is 60 s):
                                   a TLS client that has not finished its
                                   handshake by then is dropped.  0 = none */
  bool proxy_protocol;          /* false: expect a PROXY protocol header (v1/v2)
                                   on each connection; its client address is
                                   remote_ip (gale/tcp_server.h) */
  GALE_RESERVED(8);             /* room for fields added later (README: ABI) */
} gale_http_server_options;

/* Fills `opts` with the defaults above. */
GALE_EXPORT void gale_http_server_options_init(gale_http_server_options *opts);

/* ---- the server ---------------------------------------------------------- */

/* Creates a server on `loop` calling request_cb(req, arg) for each request.
 * `opts` may be NULL (defaults); it is copied.  The server does not listen
 * until gale_http_server_listen() or the TCP server's own bind/add calls.
 * Returns GALE_OK and stores the server in *out, or GALE_EINVAL,
 * GALE_ENOMEM. */
GALE_EXPORT int gale_http_server_new(gale_loop *loop, const gale_http_server_options *opts,
                                     gale_http_request_cb request_cb, void *arg,
                                     gale_http_server **out);

/* Listens on `address` (NULL: all interfaces, IPv4 and IPv6) and `port`
 * (0: an ephemeral port, read it back with gale_http_server_port()).
 * Returns GALE_OK or the TCP server's errors (GALE_EADDRINUSE, ...). */
GALE_EXPORT int gale_http_server_listen(gale_http_server *server, int port, const char *address);

/* The port of the first listening socket, or -1. */
GALE_EXPORT int gale_http_server_port(const gale_http_server *server);

/* The underlying TCP server (borrowed), for bind_sockets / add_sockets /
 * start(n) (forked workers); its limits come from the options above. */
GALE_EXPORT gale_tcp_server *gale_http_server_tcp(gale_http_server *server);

/* Graceful shutdown (a drain, over gale_tcp_server_shutdown()): stops
 * accepting (the listening sockets close at once), closes idle keep-alive
 * connections at once, lets requests in flight finish — and responses
 * still being sent, such as downloads, leave whole — with "Connection:
 * close" on every answer whose head is written from now on, closes each
 * connection when its request is done, and force-closes whatever remains
 * after `timeout` seconds (<= 0: wait forever; gale serve uses 30 s)
 * (their requests get the close callback, GALE_ECANCELLED).  closed_cb (may
 * be NULL) runs once every connection is closed, never inside this call;
 * the server may be freed from it.  Returns GALE_OK, GALE_EINVAL,
 * GALE_ESTATE (already shutting down, or the server never had a loop),
 * GALE_ENOMEM. */
GALE_EXPORT int gale_http_server_shutdown(gale_http_server *server, double timeout,
                                          gale_http_server_closed_cb closed_cb, void *arg);

/* gale_http_server_shutdown() as a future (for coroutines: gale_await it):
 * resolves (result NULL) once every connection is closed; cancelled if the
 * server is freed first.  The caller owns the returned reference
 * (gale_future_unref).  NULL on failure, with the status of
 * gale_http_server_shutdown() in *status_out (may be NULL), which is
 * GALE_OK on success. */
GALE_EXPORT gale_future *gale_http_server_shutdown_future(gale_http_server *server, double timeout,
                                                          int *status_out);

/* Closes every connection at once (requests in flight get their close
 * callbacks with GALE_ECANCELLED) and frees the server.  Safe from inside a
 * request or close callback.  NULL is ignored.  With connections still
 * open, their closes (and the server's memory) complete on the loop's next
 * turns: before gale_loop_free(), run the loop a few turns
 * (gale_loop_run_once(loop, 0)) or memory leaks. */
GALE_EXPORT void gale_http_server_free(gale_http_server *server);

/* Number of open connections. */
GALE_EXPORT size_t gale_http_server_connection_count(const gale_http_server *server);

/* ---- the request: what the client sent ----------------------------------- */

GALE_EXPORT gale_http_server *gale_http_server_request_server(const gale_http_server_request *req);

/* "GET", "POST", ... as sent (case-sensitive, as RFC 9110 says). */
GALE_EXPORT const char *gale_http_server_request_method(const gale_http_server_request *req);
/* The request target as sent ("/a%20b?x=1"; absolute-form targets are kept
 * whole: "http://host/a"). */
GALE_EXPORT const char *gale_http_server_request_uri(const gale_http_server_request *req);
/* The path part of the target, still percent-encoded ("/a%20b"). */
GALE_EXPORT const char *gale_http_server_request_path(const gale_http_server_request *req);
/* The query string without '?' ("x=1"), "" when there is none. */
GALE_EXPORT const char *gale_http_server_request_query(const gale_http_server_request *req);
/* "HTTP/1.1" or "HTTP/1.0". */
GALE_EXPORT const char *gale_http_server_request_version(const gale_http_server_request *req);
/* The Host (or the absolute-form authority), "" when none. */
GALE_EXPORT const char *gale_http_server_request_host(const gale_http_server_request *req);
/* The client's IP address as text; with xheaders, the forwarded one. */
GALE_EXPORT const char *gale_http_server_request_remote_ip(const gale_http_server_request *req);
/* "http" or "https" (TLS, or with xheaders X-Forwarded-Proto/X-Scheme). */
GALE_EXPORT const char *gale_http_server_request_protocol(const gale_http_server_request *req);

/* The first value of header `name` (case-insensitive), or NULL.  O(number
 * of headers). */
GALE_EXPORT const char *gale_http_server_request_header(const gale_http_server_request *req,
                                                        const char *name);
/* Header fields in order, repeated ones included: index 0..count-1.
 * Returns false past the end. */
GALE_EXPORT size_t gale_http_server_request_header_count(const gale_http_server_request *req);
GALE_EXPORT bool gale_http_server_request_header_at(const gale_http_server_request *req,
                                                    size_t index, const char **name,
                                                    const char **value);

/* The buffered body (NUL-terminated for convenience; `len` excludes the
 * NUL; may be NULL).  Empty when the body was streamed or absent. */
GALE_EXPORT const char *gale_http_server_request_body(const gale_http_server_request *req,
                                                      size_t *len);

/* Seconds since the request's first byte arrived (loop time). */
GALE_EXPORT double gale_http_server_request_elapsed(const gale_http_server_request *req);

/* Asks for the body in chunks instead of buffered: body_cb for each piece,
 * then request_cb of the server when the body is complete.  Only valid from
 * the server's headers_cb.  Returns GALE_OK, GALE_EINVAL, GALE_ESTATE. */
GALE_EXPORT int gale_http_server_request_stream_body(gale_http_server_request *req,
                                                     gale_http_body_cb body_cb, void *arg);

/* This request's body limit in place of the server's max_body_size
 * (Tornado's request.connection.set_max_body_size, for a handler that
 * takes larger or smaller bodies than the rest): 0 means none.  A
 * Content-Length past it answers 413 before a byte of the body is read,
 * a chunked or decompressed body is cut off with 413 when it passes it;
 * on HTTP/1 and HTTP/2 alike.  And its body_timeout (HTTP/1 only; 0:
 * none).  Only valid from the server's headers_cb, before the body.
 * Returns GALE_OK, GALE_EINVAL (NULL, a negative timeout), GALE_ESTATE. */
GALE_EXPORT int gale_http_server_request_set_max_body_size(gale_http_server_request *req,
                                                           uint64_t max);
GALE_EXPORT int gale_http_server_request_set_body_timeout(gale_http_server_request *req,
                                                          double seconds);
/* The limit in force (UINT64_MAX: none). */
GALE_EXPORT uint64_t gale_http_server_request_max_body_size(const gale_http_server_request *req);

/* Sets the callback told when the connection goes away before the request
 * is finished (Tornado's on_connection_close).  NULL clears it. */
GALE_EXPORT void gale_http_server_request_set_close_cb(gale_http_server_request *req,
                                                       gale_http_close_cb cb, void *arg);

/* A per-request pointer the application may use freely. */
GALE_EXPORT void gale_http_server_request_set_user(gale_http_server_request *req, void *user);
GALE_EXPORT void *gale_http_server_request_get_user(const gale_http_server_request *req);

/* ---- the request: the response being built ------------------------------ */

/* Sets the status (100..599; default 200) and optionally the reason phrase
 * (copied; NULL: the standard phrase, or "Unknown").  Returns GALE_OK,
 * GALE_EINVAL (code out of range, CR/LF/NUL in the reason), GALE_ESTATE
 * (headers already sent). */
GALE_EXPORT int gale_http_server_request_set_status(gale_http_server_request *req, int code,
                                                    const char *reason);
GALE_EXPORT int gale_http_server_request_get_status(const gale_http_server_request *req);

/* Response headers.  set replaces every field of that name, add appends
 * one more, clear removes all of them.  Names must be tokens and values
 * free of CR, LF and NUL (response splitting): GALE_EINVAL otherwise.
 * Copied.  GALE_ESTATE once the headers were sent.  The server adds Date,
 * Server, Content-Length / Transfer-Encoding and Connection itself; a
 * Content-Length set here is trusted and checked against what is written. */
GALE_EXPORT int gale_http_server_request_set_header(gale_http_server_request *req, const char *name,
                                                    const char *value);
GALE_EXPORT int gale_http_server_request_add_header(gale_http_server_request *req, const char *name,
                                                    const char *value);
GALE_EXPORT int gale_http_server_request_clear_header(gale_http_server_request *req,
                                                      const char *name);
/* The first value of a response header, or NULL. */
GALE_EXPORT const char *
gale_http_server_request_get_response_header(const gale_http_server_request *req, const char *name);

/* Appends body bytes (copied) to the response.  They are held until
 * flush/finish so small bodies get a Content-Length (and an ETag in the web
 * layer).  Returns GALE_OK, GALE_EINVAL, GALE_ENOMEM, GALE_ESTATE (already
 * finished), GALE_ECLOSED (the client is gone). */
GALE_EXPORT int gale_http_server_request_write(gale_http_server_request *req, const void *data,
                                               size_t len);
/* Appends `len` bytes by reference: `data` must stay valid until `free_fn`
 * (may be NULL for static data) is called with it. */
GALE_EXPORT int gale_http_server_request_write_ref(gale_http_server_request *req, const void *data,
                                                   size_t len, gale_free_fn free_fn);
/* Appends `length` bytes of the open file `fd` from `offset`, sent with
 * sendfile on plain connections (copied through TLS otherwise).  The server
 * takes ownership of `fd` and closes it (also on error).  GALE_ESTATE when
 * the response is already being gzipped (a streamed response flushed with
 * compression on: file bytes cannot join a gzip stream). */
GALE_EXPORT int gale_http_server_request_write_file(gale_http_server_request *req, int fd,
                                                    off_t offset, off_t length);
GALE_EXPORT int gale_http_server_request_printf(gale_http_server_request *req, const char *fmt, ...)
    GALE_PRINTF(2, 3);

/* Bytes written but not yet flushed. */
GALE_EXPORT size_t gale_http_server_request_pending(const gale_http_server_request *req);
/* Drops the bytes written but not yet flushed (for error pages). */
GALE_EXPORT void gale_http_server_request_discard(gale_http_server_request *req);

/* Sends the headers if not yet sent (chunked for HTTP/1.1 when no
 * Content-Length was set; close-delimited for HTTP/1.0) and what was
 * written so far.  Streaming responses (long polls, server-sent events)
 * call this repeatedly.  Returns GALE_OK, GALE_ESTATE, GALE_ECLOSED. */
GALE_EXPORT int gale_http_server_request_flush(gale_http_server_request *req);

/* Completes the response.  When nothing was flushed yet the whole body is
 * sent with a Content-Length (gzipped if the server compresses and the
 * response qualifies).  For HEAD the body is not sent but its headers are.
 * The request is freed by the server afterwards (not inside this call when
 * called from request_cb): do not touch it after finish.  Returns GALE_OK,
 * GALE_ESTATE (already finished), GALE_ECLOSED (client gone: the request is
 * freed all the same), GALE_EINVAL (Content-Length set but a different
 * number of bytes written: the connection is closed). */
GALE_EXPORT int gale_http_server_request_finish(gale_http_server_request *req);

/* True once the headers went out (set_status/set_header now fail). */
GALE_EXPORT bool gale_http_server_request_headers_sent(const gale_http_server_request *req);
GALE_EXPORT bool gale_http_server_request_finished(const gale_http_server_request *req);

#ifdef __cplusplus
}
#endif

#endif
