/* SPDX-License-Identifier: MIT */
/* http/server/server_internal.h — what the HTTP server's files share: the server,
 * connection and request structures.
 *
 * Life of a connection (http1_server.c), one request at a time:
 *
 *   HEAD ──head parsed──▶ BODY ──body complete──▶ APP ──finish──▶ DONE ─┐
 *     ▲                     (headers_cb; 100-continue)  (request_cb)      │
 *     └───────────── keep-alive: next request from the buffer ◀───────────┘
 *
 * Any error answers with a short status page and moves to CLOSING (write
 * side shut, input drained for a bounded time, then closed).  The
 * connection's state (gale__conn_state) moves only through conn_to() in
 * http1_server.c, checked against its table of allowed moves.
 *
 * Life of a request: two phases that run side by side, since a handler
 * may answer before the body is in (an early 401 from headers_cb):
 *   input:  HEAD ──head parsed──▶ BODY ──body complete──▶ DONE
 *           (HEAD ──▶ DONE when there is no body)
 *   output: OPEN ──head written──▶ HEAD_SENT ──finish──▶ FINISHED
 *           (OPEN ──finish──▶ UNSENT when finished on a closed connection
 *           or when writing the head failed: finished, nothing sent)
 * each moved only through gale__request_input_to() / _output_to().
 *
 * Zero copy: the head is parsed where it lies in the stream's input buffer
 * and NUL-terminated in place (each span is followed by a delimiter byte:
 * ':' after a name, SP/HTAB/CR after a value, SP after the target), so the
 * accessors hand out C strings with no allocation.  When the request
 * outlives the data hook that parsed it (a body still to come, an
 * asynchronous handler) the head is copied out once ("detached") and the
 * spans rebased.
 */
#ifndef GALE_HTTP_SERVER_INTERNAL_H
#define GALE_HTTP_SERVER_INTERNAL_H

#include <time.h>

#include <event2/buffer.h>

#include "gale/buf.h"
#include "gale/future.h"
#include "gale/headers.h"
#include "gale/http_server.h"
#include "gale/stream.h"
#include "gale/tcp_server.h"
#include "http/util/gzip.h"
#include "http/wire/h1_parser.h"

struct gale__h1_conn;

/* What a request asks of the protocol carrying it (HTTP/1 connection or
 * HTTP/2 stream): the request API (server_request.c) decides what to send
 * (status, headers, gzip, lengths), the protocol how it goes on the wire.
 * req->conn is the protocol's own object, NULL once it is gone. */
typedef struct gale__req_ops {
  /* The response head: `final_len` >= 0 when the whole body is known (its
   * length), -1 when streamed; `gzipped`: add Content-Encoding: gzip. */
  int (*write_head)(gale_http_server_request *req, int64_t final_len, bool gzipped);
  /* Moves all of req->pending (`len` bytes, final form) onto the wire. */
  int (*write_body)(gale_http_server_request *req, size_t len);
  /* `length` bytes of the open file `fd` (owned: closed when sent or on
   * error) from `offset`, after the head. */
  int (*write_file)(gale_http_server_request *req, int fd, off_t offset, off_t length);
  /* After the last body byte (finish): the body's terminator, if any. */
  int (*end_body)(gale_http_server_request *req);
  /* finish() ran: the request is the protocol's again. */
  void (*finished)(gale_http_server_request *req);
  bool (*closed)(const gale_http_server_request *req);
  /* Cuts the response short (an error after the head went out). */
  void (*abort)(gale_http_server_request *req);
  void (*peer_ip)(const gale_http_server_request *req, char *buf, size_t len);
} gale__req_ops;

typedef enum gale__conn_state {
  GALE__CONN_HEAD = 0, /* waiting for / parsing a request head */
  GALE__CONN_BODY,     /* reading the body */
  GALE__CONN_APP,      /* the application has the request */
  GALE__CONN_CLOSING,  /* an error answer or a close is under way */
} gale__conn_state;

typedef enum gale__req_input {
  GALE__RQ_HEAD = 0, /* the head is being parsed */
  GALE__RQ_BODY,     /* the body is being read */
  GALE__RQ_DONE,     /* the whole body is in (or there was none) */
} gale__req_input;

typedef enum gale__req_output {
  GALE__RS_OPEN = 0,  /* nothing of the response on the wire */
  GALE__RS_HEAD_SENT, /* status line and headers written */
  GALE__RS_FINISHED,  /* finish() ran: the request is the connection's again */
  GALE__RS_UNSENT,    /* finished with nothing on the wire (the connection
                          was gone, or the head could not be written) */
} gale__req_output;

struct gale_http_server_request {
  /* ---- Kept by the server's pool from one request to the next: memory
   * that would otherwise be allocated again (the header array after the
   * struct, the buffers' capacity, the response header table, the pending
   * evbuffer).  gale__request_free() empties them; they hold no data of
   * the previous request. */
  gale_http_server *server;
  struct gale_http_server_request *next_free;
  gale_buf paths; /* "path\0query\0[host\0]" */
  gale_buf body;  /* buffered body, NUL-terminated */
  gale_headers *resp_headers;
  struct evbuffer *pending; /* written, not yet flushed */

  /* ---- Per request: everything from `conn` to the end is zeroed by one
   * memset in request_reset() (server_request.c), which then sets the few
   * fields whose start is not zero.  A new field goes below and is reset
   * with the rest. */
  void *conn;               /* the protocol's (gale__h1_conn or an HTTP/2
                                  stream); NULL once it is gone */
  const gale__req_ops *ops; /* how `conn` carries the request */

  /* The head: parsed spans (NUL-terminated in place).  The parser lives
   * here, not in the connection, so an idle connection does not carry it. */
  gale_h1_parser parser;
  gale_h1_msg msg;
  char *head_copy;       /* owned copy once detached, else NULL */
  const char *head_base; /* where the head starts (buffer or copy) */
  size_t head_len;
  const char *method, *target, *version, *host;
  const char *path, *query;
  const char *protocol;
  double start_time;
  char remote_ip[48];

  /* Body. */
  gale_h1_body body_dec;
  gale_gzip *inflate;   /* decompress_request */
  size_t body_charged;  /* bytes of the server's max_body_buffer
                                  this request holds (server->body_buffered) */
  double progress_time; /* last body progress (body timeout) */
  size_t consumed;      /* input bytes of this request not yet
                                  drained (head parsed in place) */
  /* The connection's header or body deadline: kept here, not in the
   * connection, as only a connection with a request has one. */
  gale_timer *timer;
  gale_http_body_cb body_cb;
  void *body_arg;
  /* This request's body limits: the server's, unless headers_cb set others
   * (gale_http_server_request_set_max_body_size / _set_body_timeout).
   * The parser's own Content-Length check is off (its limit is
   * UINT64_MAX): the protocols check against max_body_size once
   * headers_cb has run. */
  uint64_t max_body_size; /* UINT64_MAX: none */
  double body_timeout;    /* HTTP/1; 0: none */
  /* Set by a body_cb about to return an error: the reason the error page
   * gives in place of the status's generic one.  A static string. */
  const char *body_error;

  /* Application hooks. */
  gale_http_close_cb close_cb;
  void *close_arg;
  void *user; /* the application's alone */
  /* The layer above (the web layer's handler): its own slot, so an
   * application's `user` never collides with it.  layer_free runs when the
   * request is freed, with `layer` still set. */
  void *layer;
  void (*layer_free)(gale_http_server_request *req);

  /* Response. */
  const char *reason_ptr;   /* reason, or a static phrase */
  uint64_t declared_length; /* Content-Length set by the app */
  uint64_t sent_body;       /* body bytes handed to the connection */
  gale_gzip *deflate;       /* compressing this (streamed) response */
  int status;
  char reason[64];

  uint8_t input;  /* gale__req_input */
  uint8_t output; /* gale__req_output */
  /* Flags that are options or facts, not the life cycle. */
  bool streaming : 1; /* the body goes to body_cb, not the buffer */
  bool continue_sent : 1;
  bool app_seen : 1; /* headers_cb or request_cb has run */
  bool in_headers_cb : 1;
  bool force_close : 1; /* Connection: close from the app, or an error */
  bool has_declared_length : 1;
  bool chunked : 1;          /* response uses chunked encoding */
  bool no_body : 1;          /* HEAD, 1xx, 204, 304 */
  bool keep_alive : 1;       /* decided when the head is written */
  bool compress_checked : 1; /* streaming gzip ruled out (a file follows) */
  bool timer_is_header : 1;
  /* Whether the body is all in and whether the head went out are read from
   * the phases (gale__request_body_done / _head_sent): no mirror flags. */
};

typedef struct gale__h1_conn {
  gale_http_server *server;
  gale_stream *stream;
  struct gale__h1_conn *prev, *next;
  gale_http_server_request *req; /* current request or NULL */
  double last_active;            /* loop time of the accept until the first
                                    request ends, then of the last request
                                    activity */
  unsigned requests;
  uint16_t refs;       /* stream open + scheduled callbacks + busy */
  uint8_t state;       /* gale__conn_state, moved by conn_to() */
  bool closed : 1;     /* the stream closed */
  bool processing : 1; /* conn_process is on the stack */
  bool scheduled : 1;  /* a process callback is queued */
  bool paused : 1;     /* reading paused for back-pressure */
  bool paused_app : 1; /* ... while an async handler runs */
  bool is_tls : 1;
  bool write_watch : 1; /* write deadline armed (stream idle timer) */
} gale__h1_conn;

struct gale_http_server {
  gale_loop *loop;
  gale_tcp_server *tcp;
  gale_http_server_options opts;
  char **trusted; /* copied trusted_downstream */
  size_t ntrusted;
  gale_http_request_cb request_cb;
  void *arg;
  gale_h1_limits limits;

  gale__h1_conn *conns;          /* every open HTTP/1 connection */
  struct gale__h2_conn *h2conns; /* every open HTTP/2 connection (h2_server.h) */
  size_t body_buffered;          /* bytes charged by buffered request bodies
                                  (opts.max_body_buffer) */
  size_t nconns;
  gale_http_server_request *free_reqs;
  size_t nfree_reqs;

  time_t date_sec;
  char date_line[48]; /* "Date: Mon, 23 Nov 2026 10:00:00 GMT\r\n" */
  size_t date_len;

  unsigned busy;          /* connection code on the stack */
  gale_periodic *sweeper; /* closes idle keep-alive connections */
  bool dead;              /* gale_http_server_free() was called */
  bool shutting_down;
  gale_http_server_closed_cb closed_cb;
  void *closed_arg;
  gale_future *shutdown_future; /* gale_http_server_shutdown_future's */
  bool closed_cb_pending;
};

/* http_server.c */
GALE_INTERNAL void gale__server_tcp_stream(gale_tcp_server *tcp, gale_stream *stream,
                                           const struct sockaddr *peer, socklen_t peer_len,
                                           void *arg);
GALE_INTERNAL const char *gale__server_date_line(gale_http_server *server, size_t *len);
GALE_INTERNAL void gale__server_conn_gone(gale_http_server *server, gale__h1_conn *conn);
GALE_INTERNAL void gale__server_maybe_free(gale_http_server *server);
GALE_INTERNAL void gale__server_apply_xheaders(gale_http_server *server,
                                               gale_http_server_request *req);
GALE_INTERNAL void gale__server_access_log(gale_http_server_request *req);
/* Formats the peer's IP of a stream into buf ("" if unknown). */
GALE_INTERNAL void gale__server_peer_ip(gale_stream *stream, char *buf, size_t len);
/* Formats the peer's IP of a connection into buf ("" if unknown). */
GALE_INTERNAL void gale__conn_peer_ip(gale__h1_conn *conn, char *buf, size_t len);

/* server_request.c, server_request_head.c, server_response.c */
/* A request from the pool (or new) carried by `conn` through `ops`. */
GALE_INTERNAL gale_http_server_request *gale__request_new(gale_http_server *server,
                                                          const gale__req_ops *ops, void *conn,
                                                          bool is_tls, double start_time);
GALE_INTERNAL void gale__request_free(gale_http_server_request *req);
GALE_INTERNAL void gale__request_pool_free(gale_http_server *server);
GALE_INTERNAL int gale__request_set_head(gale_http_server_request *req, char *base);
GALE_INTERNAL int gale__request_detach(gale_http_server_request *req);
/* Move the request's input / output phase to `to` (checked against the
 * tables in server_request.c). */
GALE_INTERNAL void gale__request_input_to(gale_http_server_request *req, gale__req_input to);
GALE_INTERNAL void gale__request_output_to(gale_http_server_request *req, gale__req_output to);
/* 1xx, 204 and 304 answers carry no body. */
static inline bool gale__status_has_no_body(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}
/* The protocol under the request is gone (the client left). */
static inline bool gale__request_gone(const gale_http_server_request *req) {
  return !req->conn || req->ops->closed(req);
}
/* Cuts the response short: the connection (HTTP/1) or stream (HTTP/2)
 * is reset. */
static inline void gale__request_abort(gale_http_server_request *req) {
  if (req->conn) req->ops->abort(req);
}
static inline bool gale__request_finished(const gale_http_server_request *req) {
  return req->output == GALE__RS_FINISHED || req->output == GALE__RS_UNSENT;
}
static inline bool gale__request_head_sent(const gale_http_server_request *req) {
  return req->output == GALE__RS_HEAD_SENT || req->output == GALE__RS_FINISHED;
}
static inline bool gale__request_body_done(const gale_http_server_request *req) {
  return req->input == GALE__RQ_DONE;
}
/* GALE_OK if the response may still take bytes, else GALE_EINVAL (no
 * request), GALE_ESTATE (finished) or GALE_ECLOSED. */
GALE_INTERNAL int gale__request_check_writable(const gale_http_server_request *req);
/* Appends to the buffered body, charging its storage to the server's
 * max_body_buffer: GALE_ELIMIT (nothing appended) when that would pass it. */
GALE_INTERNAL int gale__request_body_append(gale_http_server_request *req, const char *data,
                                            size_t len);
/* Charges a buffered body of `length` bytes (a Content-Length) to the
 * server's max_body_buffer at once, so a body admitted is never refused
 * half-way: GALE_ELIMIT when it would pass the cap. */
GALE_INTERNAL int gale__request_body_reserve(gale_http_server_request *req, uint64_t length);

/* http1_response.c: HTTP/1's gale__req_ops. */
GALE_INTERNAL extern const gale__req_ops gale__h1_req_ops;

/* http1_server.c */
GALE_INTERNAL int gale__conn_new(gale_http_server *server, gale_stream *stream,
                                 const struct sockaddr *peer);
GALE_INTERNAL void gale__conn_close(gale__h1_conn *conn);
/* The application finished the current request: continue with the next
 * (scheduled, never inside the call). */
GALE_INTERNAL void gale__conn_request_finished(gale__h1_conn *conn);
/* Writes `len` bytes of response body framing into the output. */
GALE_INTERNAL struct evbuffer *gale__conn_output(gale__h1_conn *conn);
/* Between requests with nothing left to send (the idle sweep may close it). */
GALE_INTERNAL bool gale__conn_is_idle(const gale__h1_conn *conn);
/* A graceful shutdown's step: a connection between requests closes, once
 * the last response has left; returns false (nothing done) while a
 * request is in flight. */
GALE_INTERNAL bool gale__conn_stop_if_between(gale__h1_conn *conn);
/* Sends the simple error page for an HTTP `status` and closes. */
GALE_INTERNAL void gale__conn_fail(gale__h1_conn *conn, int http_status, const char *detail);
/* Arms the write deadline when output is pending (called by the sweep):
 * the stream's idle timer runs until everything queued was written. */
GALE_INTERNAL void gale__conn_watch_writes(gale__h1_conn *conn);
/* 100 Continue, if expected and not sent yet. */
GALE_INTERNAL void gale__conn_send_continue(gale__h1_conn *conn);
/* Hands the connection of `req` over to another protocol (a WebSocket
 * after its handshake): returns its stream with every byte after the
 * request's head still in the input buffer, the HTTP server's data hook
 * and close callback removed, paused reading and the write deadline
 * undone.  From then on the connection is not the HTTP server's (not in
 * its count, sweeps or shutdown; the TCP server still tracks the stream).
 * The request stays readable (its head copied out) until the app finishes
 * it, which answers GALE_ECLOSED and sends nothing; it is freed on the
 * next loop turn like one whose client left.  NULL (nothing changed)
 * unless the request is the connection's current one, its body complete
 * and nothing of its response sent. */
GALE_INTERNAL gale_stream *gale__http_server_request_detach(gale_http_server_request *req);

#endif
