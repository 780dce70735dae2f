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
 * side shut, input drained for a bounded time, then closed).
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
#include "gale/headers.h"
#include "gale/http_server.h"
#include "gale/stream.h"
#include "gale/tcp_server.h"
#include "http/util/gzip.h"
#include "http/wire/h1_parser.h"

struct gale__h1_conn;

typedef enum gale__conn_state {
  GALE__CONN_HEAD = 0, /* waiting for / parsing a request head */
  GALE__CONN_BODY,     /* reading the body */
  GALE__CONN_APP,      /* the application has the request */
  GALE__CONN_CLOSING,  /* an error answer or a close is under way */
} gale__conn_state;

struct gale_http_server_request {
  struct gale__h1_conn *conn;  /* NULL once the connection is gone */
  gale_http_server *server;
  struct gale_http_server_request *next_free;

  /* The head: parsed spans (NUL-terminated in place).  The parser lives
   * here, not in the connection, so an idle connection does not carry it. */
  gale_h1_parser parser;
  gale_h1_msg msg;
  char *head_copy;             /* owned copy once detached, else NULL */
  const char *head_base;       /* where the head starts (buffer or copy) */
  size_t head_len;
  const char *method, *target, *version, *host;
  gale_buf paths;              /* "path\0query\0[host\0]" (reused) */
  const char *path, *query;
  char remote_ip[48];
  const char *protocol;
  double start_time;

  /* Body. */
  gale_h1_body body_dec;
  gale_buf body;               /* buffered body, NUL-terminated (reused) */
  gale_gzip *inflate;          /* decompress_request */
  gale_http_body_cb body_cb;
  void *body_arg;
  bool streaming;
  bool body_done;
  bool continue_sent;
  bool app_seen;               /* headers_cb or request_cb has run */
  bool in_headers_cb;
  bool force_close;            /* Connection: close from the app, or an error */

  /* Application hooks. */
  gale_http_close_cb close_cb;
  void *close_arg;
  void *user;                  /* the application's alone */
  /* The layer above (the web layer's handler): its own slot, so an
   * application's `user` never collides with it.  layer_free runs when the
   * request is freed, with `layer` still set. */
  void *layer;
  void (*layer_free)(gale_http_server_request *req);

  /* Response. */
  int status;
  char reason[64];
  const char *reason_ptr;      /* reason, or a static phrase */
  gale_headers *resp_headers;
  struct evbuffer *pending;    /* written, not yet flushed */
  uint64_t declared_length;    /* Content-Length set by the app */
  bool has_declared_length;
  uint64_t sent_body;          /* body bytes handed to the connection */
  bool headers_sent;
  bool finished;
  bool chunked;                /* response uses chunked encoding */
  bool no_body;                /* HEAD, 1xx, 204, 304 */
  bool keep_alive;             /* decided when the head is written */
  gale_gzip *deflate;          /* compressing this (streamed) response */
  bool compress_checked;       /* streaming gzip ruled out (a file follows) */
};

typedef struct gale__h1_conn {
  gale_http_server *server;
  gale_stream *stream;
  struct gale__h1_conn *prev, *next;
  gale_http_server_request *req; /* current request or NULL */
  gale_timer *timer;             /* header or body deadline */
  double progress_time;          /* last body progress (body timeout) */
  size_t consumed;               /* input bytes of the current request not
                                    yet drained (head parsed in place) */
  unsigned requests;
  unsigned refs;                 /* stream open + scheduled callbacks + busy */
  uint8_t state;                 /* gale__conn_state */
  bool closed;                   /* the stream closed */
  bool processing;               /* conn_process is on the stack */
  bool scheduled;                /* a process callback is queued */
  bool paused;                   /* reading paused for back-pressure */
  bool paused_app;               /* ... while an async handler runs */
  bool timer_is_header;
  double last_active;            /* loop time of the last request activity */
  bool is_tls;
  bool write_watch;              /* write deadline armed (stream idle timer) */
} gale__h1_conn;

struct gale_http_server {
  gale_loop *loop;
  gale_tcp_server *tcp;
  gale_http_server_options opts;
  char **trusted;              /* copied trusted_downstream */
  size_t ntrusted;
  gale_http_request_cb request_cb;
  void *arg;
  gale_h1_limits limits;

  gale__h1_conn *conns;        /* every open connection */
  size_t nconns;
  gale_http_server_request *free_reqs;
  size_t nfree_reqs;

  time_t date_sec;
  char date_line[48];          /* "Date: Mon, 23 Nov 2026 10:00:00 GMT\r\n" */
  size_t date_len;

  unsigned busy;               /* connection code on the stack */
  gale_periodic *sweeper;      /* closes idle keep-alive connections */
  bool dead;                   /* gale_http_server_free() was called */
  bool shutting_down;
  gale_http_server_closed_cb closed_cb;
  void *closed_arg;
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
/* Formats the peer's IP of a connection into buf ("" if unknown). */
GALE_INTERNAL void gale__conn_peer_ip(gale__h1_conn *conn, char *buf, size_t len);

/* server_request.c */
GALE_INTERNAL gale_http_server_request *gale__request_new(gale__h1_conn *conn);
GALE_INTERNAL void gale__request_free(gale_http_server_request *req);
GALE_INTERNAL void gale__request_pool_free(gale_http_server *server);
GALE_INTERNAL int gale__request_set_head(gale_http_server_request *req, char *base);
GALE_INTERNAL int gale__request_detach(gale_http_server_request *req);
GALE_INTERNAL int gale__request_body_append(gale_http_server_request *req, const char *data,
                                            size_t len);

/* http1_server.c */
GALE_INTERNAL int gale__conn_new(gale_http_server *server, gale_stream *stream,
                                 const struct sockaddr *peer);
GALE_INTERNAL void gale__conn_close(gale__h1_conn *conn);
/* The application finished the current request: continue with the next
 * (scheduled, never inside the call). */
GALE_INTERNAL void gale__conn_request_finished(gale__h1_conn *conn);
/* Writes `len` bytes of response body framing into the output. */
GALE_INTERNAL struct evbuffer *gale__conn_output(gale__h1_conn *conn);
GALE_INTERNAL bool gale__conn_is_idle(const gale__h1_conn *conn);
/* Sends the simple error page for an HTTP `status` and closes. */
GALE_INTERNAL void gale__conn_fail(gale__h1_conn *conn, int http_status, const char *detail);
/* Arms the write deadline when output is pending (called by the sweep):
 * the stream's idle timer runs until everything queued was written. */
GALE_INTERNAL void gale__conn_watch_writes(gale__h1_conn *conn);
/* 100 Continue, if expected and not sent yet. */
GALE_INTERNAL void gale__conn_send_continue(gale__h1_conn *conn);

#endif
