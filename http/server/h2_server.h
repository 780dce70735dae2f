/* SPDX-License-Identifier: MIT */
/* http/server/h2_server.h — HTTP/2 connections of gale_http_server: one
 * nghttp2 server session per connection (over the wire of http/h2/), one
 * gale_http_server_request per stream, carried through gale__h2_req_ops
 * so the request API and web handlers are the same as over HTTP/1.
 *
 * Life of a stream's request: HEADERS (+ CONTINUATION) are turned into an
 * HTTP/1-style head and parsed by the same parser and limits as HTTP/1;
 * DATA goes to the buffer or body_cb; END_STREAM dispatches.  The response
 * is queued in the stream's `out` buffer and handed to nghttp2 as DATA when
 * the stream's and connection's windows allow (a slow reader stalls its
 * stream only); finish() ends it.  The request is freed when nghttp2
 * closes the stream (its close callback runs first when it was not
 * finished).
 */
#ifndef GALE_H2_SERVER_H
#define GALE_H2_SERVER_H

#include "http/h2/h2_wire.h"
#include "http/server/server_internal.h"

typedef struct gale__h2_conn gale__h2_conn;

typedef struct gale__h2_stream {
  gale__h2_conn *conn;
  struct gale__h2_stream *prev, *next;
  gale_http_server_request *req;
  int32_t id;
  gale_buf method, path;
  gale_buf fields; /* "name: value\r\n"... */
  gale_buf cookie; /* cookie crumbs joined by "; " */
  gale_buf authority;
  struct evbuffer *out; /* response body not yet in DATA frames */
  size_t header_bytes;  /* decoded, as SETTINGS_MAX_HEADER_LIST_SIZE counts */
  uint64_t body_bytes;
  double progress_time; /* last DATA sent (write_timeout) */
  bool has_host : 1;
  bool too_large : 1; /* header list past max_header_size: 431 */
  bool bad : 1;       /* a header the parser cannot take: 400 */
  bool eof : 1;       /* finish() ran: END_STREAM after `out` */
  bool deferred : 1;  /* nghttp2 waits for resume_data */
  bool closed : 1;    /* nghttp2 closed it (reset or done) */
} gale__h2_stream;

struct gale__h2_conn {
  gale_http_server *server;
  gale_stream *stream;
  nghttp2_session *session;
  gale__h2_conn *prev, *next; /* server->h2conns */
  gale__h2_stream *streams;
  gale__h2_guard guard;
  double last_active;
  size_t nstreams;
  uint16_t refs; /* stream open + scheduled callbacks + busy */
  bool closed : 1;
  bool processing : 1;
  bool scheduled : 1;
  bool waiting_drain : 1; /* output past high water: flushing */
  bool goaway : 1;        /* graceful shutdown's GOAWAY submitted */
  bool is_tls : 1;
};

GALE_INTERNAL extern const gale__req_ops gale__h2_req_ops;

/* h2_conn.c */
/* Takes over `stream` (its input may already hold the preface): the HTTP/2
 * connection counts in the server's connections.  GALE_ENOMEM. */
GALE_INTERNAL int gale__h2_conn_new(gale_http_server *server, gale_stream *stream);
/* Sends what is queued (soon, never inside the call). */
GALE_INTERNAL void gale__h2_conn_schedule(gale__h2_conn *c);
GALE_INTERNAL void gale__h2_conn_close(gale__h2_conn *c);
/* Graceful shutdown: GOAWAY, then close once the streams are done. */
GALE_INTERNAL void gale__h2_conn_shutdown(gale__h2_conn *c);
/* The sweep: idle connections close, stuck streams are reset. */
GALE_INTERNAL void gale__h2_conn_sweep(gale__h2_conn *c, double now);

/* h2_stream.c: nghttp2's callbacks about one stream. */
GALE_INTERNAL int gale__h2_stream_begin(gale__h2_conn *c, int32_t id);
GALE_INTERNAL int gale__h2_stream_header(gale__h2_stream *st, const uint8_t *name, size_t nlen,
                                         const uint8_t *value, size_t vlen);
/* The header block is complete (`end`: END_STREAM came with it). */
GALE_INTERNAL void gale__h2_stream_headers_done(gale__h2_stream *st, bool end);
GALE_INTERNAL void gale__h2_stream_data(gale__h2_stream *st, const uint8_t *data, size_t len);
GALE_INTERNAL void gale__h2_stream_end(gale__h2_stream *st);
/* nghttp2 closed the stream, or the connection went: the request goes
 * (its close_cb with `status` if unfinished). */
GALE_INTERNAL void gale__h2_stream_closed(gale__h2_stream *st, int status);

#endif
