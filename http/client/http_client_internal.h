/* SPDX-License-Identifier: MIT */
/* http/client/http_client_internal.h — the pieces of gale_http_client shared by its
 * files: the client and its queue (http_client.c), the connection pool
 * (http_client_pool.c), one HTTP/1.1 exchange on a connection (the request
 * out: http_client_conn.c; a producer's body: http_client_upload.c; the
 * response in: http_client_response.c), redirects (http_client_redirect.c),
 * the proxy CONNECT tunnel (http_client_proxy.c) and HTTP/2 connections,
 * many fetches at once on each (http_client_h2.c).
 *
 * Life of a fetch (hc_fetch.state):
 *   QUEUED      waiting for one of max_clients slots (queue timer armed)
 *   CONNECTING  a connection is being opened (DNS, TCP, TLS) or a pooled one
 *               was taken
 *   PROXY       waiting for the proxy's answer to CONNECT
 *   EXCHANGE    request written / being written, response head awaited
 *   BODY        reading the response body
 *   DONE        completed: the response is fixed, delivery is scheduled on
 *               the next loop turn, nothing else touches the fetch
 * A redirect goes from BODY back to CONNECTING for the next hop without
 * giving up its slot.  The fetch object is the response: it is freed after
 * the user callback ran, or handed to the future as its result.
 */
#ifndef GALE_HTTP_CLIENT_INTERNAL_H
#define GALE_HTTP_CLIENT_INTERNAL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "core/alloc.h"

#include "gale/buf.h"
#include "gale/http_client.h"
#include "gale/httputil.h"
#include "gale/resolver.h"
#include "gale/stream.h"
#include "gale/tcp_client.h"
#include "gale/tls.h"
#include "http/util/gzip.h"
#include "http/wire/h1_client.h"
#include "http/wire/h1_parser.h"

/* The client allocates through core/alloc.h so tests can fail any one of
 * its allocations (HARDENING.md: every path returns GALE_ENOMEM). */
static inline char *gale__hc_strndup(const char *s, size_t n) {
  size_t len = strnlen(s, n);
  char *d = gale__malloc(len + 1);
  if (d) {
    memcpy(d, s, len);
    d[len] = '\0';
  }
  return d;
}
static inline char *gale__hc_strdup(const char *s) { return gale__hc_strndup(s, SIZE_MAX); }

typedef struct hc_fetch hc_fetch;
typedef struct hc_conn hc_conn;
typedef struct hc_h2 hc_h2;

typedef enum hc_state {
  HC_QUEUED = 0,
  HC_CONNECTING,
  HC_PROXY,
  HC_EXCHANGE,
  HC_BODY,
  HC_DONE
} hc_state;

/* A fetch moves QUEUED -> CONNECTING [-> PROXY] -> EXCHANGE -> BODY ->
 * DONE, back to CONNECTING for a redirect or the one retry, and to DONE
 * from anywhere; gale__hc_set_state() checks each move (fetch_moves in
 * http_client.c). */

/* A connection is BUSY (opening, or carrying an exchange), IDLE in the
 * pool, or CLOSING (its stream closes; the close callback frees it).
 * Moves are checked against conn_moves in http_client_pool.c. */
typedef enum hc_conn_state { HC_CONN_BUSY = 0, HC_CONN_IDLE, HC_CONN_CLOSING } hc_conn_state;

#define HC_MAX_HEADERS 100
#define HC_KEY_ROOM 160

/* A pooled connection.  Idle ones sit in client->idle (most recent first). */
struct hc_conn {
  gale_http_client *client;
  gale_stream *stream;
  char *key;              /* pool key (see gale__hc_pool_key) */
  hc_conn *prev, *next;   /* idle list, or NULL */
  hc_fetch *fetch;        /* the exchange using it, or NULL when idle */
  gale_timer *idle_timer; /* closes it when idle too long (lazily re-armed) */
  double idle_deadline;   /* loop time it may stay idle until */
  uint64_t exchanges;     /* responses read on it */
  hc_conn_state state;
  hc_h2 *h2; /* an HTTP/2 connection (http_client_h2.c), or NULL */
  /* Its two ends, looked up on its first exchange and kept: they do not
   * change, and inet_ntop on every request was a tenth of its cost. */
  bool addrs_known;
  int remote_port, local_port;
  char remote_ip[64], local_ip[64];
};

/* The upload handle of a body producer. */
struct gale_http_upload {
  hc_fetch *fetch; /* NULL once the fetch ended */
  uint64_t written;
  bool finished;
  bool in_flight; /* a flush is pending: the producer is told when it ends */
};

struct hc_fetch {
  gale_http_response resp; /* first: the fetch is the future's result */

  gale_http_client *client; /* NULL after gale_http_client_free() */
  gale_loop *loop;
  hc_fetch *prev, *next; /* client->fetches (every fetch not yet DONE) */
  hc_fetch *qnext;       /* client queue */
  uint64_t id;
  hc_state state;
  int status; /* the outcome once DONE */

  gale_http_fetch_cb cb;
  void *cb_arg;
  gale_future *future;

  /* The caller's request, deep-copied (resp.request points here). */
  gale_http_request req;
  gale_headers *req_headers;

  /* The current hop. */
  /* url and method start as req's copies (borrowed) and are allocated
   * only when a redirect replaces them: gale__hc_hop_str_free(). */
  char *url; /* absolute URL of this hop */
  gale_url *purl;
  char *method;   /* may be rewritten to GET by a redirect */
  bool send_body; /* this hop carries the body */
  bool head;      /* HEAD request: no body in the response */
  char *auth;     /* "Basic ..." value for this hop, or NULL */
  char *next_url; /* where the redirect being read goes */
  bool drop_auth; /* a redirect left the origin: no more credentials */
  int redirects;
  bool retried;  /* the one automatic retry is used */
  bool no_reuse; /* the retry: a fresh connection, not a pooled one */
  hc_conn *conn;
  char *key;          /* pool key of this hop: key_room or allocated */
  bool tunnel;        /* https through a proxy: CONNECT first */
  bool absolute_form; /* http through a proxy */

  gale_timer *queue_timer;
  gale_timer *continue_timer; /* gives up waiting for 100 Continue */
  gale_timer *request_timer;
  gale_h1_tunnel *proxy_tunnel; /* CONNECT sent, its answer awaited */
  gale_timer *phase_timer;      /* header_timeout, then body_idle_timeout */
  gale_timer *rate_timer;       /* max_recv_speed: resumes reading */
  bool rate_paused;             /* this fetch paused the connection's reading */
  uint64_t rate_bytes;          /* body bytes counted since t_rate */
  double t_rate;                /* the first body byte of this hop */
  double t_progress;            /* last body byte (body_idle_timeout) */
  gale_tcp_connect *connect_op; /* the pending gale_tcp_client connect */
  bool tls_detail;              /* the error already has OpenSSL's reason */

  /* Timestamps (loop time); 0 when not reached. */
  double t_start, t_dequeue, t_hop, t_dns, t_connect, t_tls, t_sent, t_first, t_end;

  /* Parsing the response. */
  gale_h1_parser parser;
  gale_h1_msg msg;
  gale_h1_body bdec;
  gale_gzip *gz;
  bool got_byte;       /* a response byte arrived on this hop */
  bool follow;         /* this response is a redirect that will be followed */
  bool await_continue; /* head sent with Expect: 100-continue, body held */
  bool body_sent;
  bool keep_alive;
  uint64_t wire_body;  /* body bytes received on the wire this hop */
  uint64_t body_limit; /* decoded body limit */

  /* The response being built (resp points into these). */
  char *reason;
  char *error;
  gale_buf body; /* the response body read whole, NUL-terminated */
  gale_headers *headers;
  char remote_ip[64], local_ip[64];
  double redirect_time;

  gale_http_upload *upload;

  /* HTTP/2 (http_client_h2.c).  A fetch is at most one of: the opener of
   * a connection others wait for (h2_opening, in client->h2_opening by
   * h2_onext, waiters by h2_wnext from h2_waiters), a waiter (h2_opener),
   * or on an h2 connection (h2: a stream in h2->streams, or queued in its
   * wait queue when h2_queued). */
  hc_h2 *h2;
  hc_fetch *h2_prev, *h2_next; /* h2->streams, or its wait queue */
  bool h2_queued;
  bool h2_opening;
  hc_fetch *h2_onext;   /* client->h2_opening */
  hc_fetch *h2_waiters; /* fetches waiting for this opener's connection */
  hc_fetch *h2_wnext;
  hc_fetch *h2_opener;    /* the opener this fetch waits for */
  int32_t h2_id;          /* stream id; 0 before it is submitted */
  int h2_code;            /* :status of the head being received */
  bool h2_final;          /* the final head arrived */
  bool h2_closed;         /* nghttp2 closed the stream */
  bool h2_malformed;      /* nghttp2 found the response malformed */
  int h2_refusals;        /* REFUSED_STREAM / GOAWAY retries */
  size_t h2_hdr_bytes;    /* field section being received */
  size_t h2_body_off;     /* buffer body: bytes handed to nghttp2 */
  struct evbuffer *h2_up; /* a producer's bytes not yet framed */
  gale_buf h2_lines;      /* the head as header lines */

  /* Field lines past hbuf's HC_MAX_HEADERS: a response head may carry as
   * many as fit max_header_size, so the array grows when the parser runs
   * out of it (the head is then parsed again).  Freed with the fetch. */
  gale_h1_header *hbig;
  size_t hbig_cap;
  /* obs-fold unfolding of the head being received: start of the line being
   * searched and how far; SIZE_MAX once the blank line was seen. */
  size_t unfold_ls, unfold_pos;
  /* Chunked framing received since the last data byte; when the body ends
   * it holds the last chunk and the trailer section. */
  gale_buf tail;
  gale_headers *trailers; /* response trailer fields (empty when none) */

  /* Last, and left unzeroed when the fetch is allocated (3 KB of the
   * fetch's 4.5: zeroing it was a sixth of the cost of a request): the
   * parser writes the entries before anything reads them. */
  gale_h1_header hbuf[HC_MAX_HEADERS];
  /* The pool key when it fits (it always has, but for long hosts or
   * proxies): written before it is read, so also left unzeroed. */
  char key_room[HC_KEY_ROOM];
};

/* Frees a hop string (f->url, f->method) unless it is borrowed from the
 * request copy. */
static inline void gale__hc_hop_str_free(char *s, const char *borrowed) {
  if (s != borrowed) free(s);
}

struct gale_http_client {
  gale_loop *loop;
  gale_http_client_options opts;
  gale_resolver *resolver;
  bool own_resolver;
  uint64_t next_id;
  uint64_t opened;
  size_t active; /* fetches holding a slot */
  size_t queued;
  hc_fetch *fetches; /* every fetch not yet DONE */
  hc_fetch *qhead, *qtail;
  gale_tcp_client *tcp; /* opens every connection */
  hc_conn *idle;        /* idle connections, most recent first */
  size_t idle_count;
  struct hc_tls_entry *tls;  /* client contexts by settings */
  hc_h2 *h2conns;            /* every HTTP/2 connection */
  size_t h2_idle;            /* of them with no stream */
  hc_fetch *h2_opening;      /* fetches opening a connection that may speak h2 */
  struct hc_h1_key *h1_keys; /* keys whose server answered ALPN with http/1.1 */
};

/* http_client.c */
/* Completes the fetch with `status` (GALE_OK or an error; `detail` may be
 * NULL), releases its slot and connection, schedules the delivery.  Safe to
 * call more than once (later calls do nothing). */
GALE_INTERNAL void gale__hc_complete(hc_fetch *f, int status, const char *detail);
/* Moves the fetch to `to` (checked against the fetch's transition table in
 * builds with asserts). */
GALE_INTERNAL void gale__hc_set_state(hc_fetch *f, hc_state to);
/* Sets the detail sentence of the error (printf-like). */
GALE_INTERNAL void gale__hc_set_error(hc_fetch *f, const char *fmt, ...) GALE_PRINTF(2, 3);
GALE_INTERNAL void gale__hc_debug(hc_fetch *f, gale_http_debug_kind kind, const char *fmt, ...)
    GALE_PRINTF(3, 4);
/* "Basic base64(user:pass)", malloc'd, or NULL when out of memory. */
GALE_INTERNAL char *gale__hc_basic_auth(const char *user, const char *pass);
/* Sets up hop state for f->url (parsing it).  Returns a status. */
GALE_INTERNAL int gale__hc_prepare_hop(hc_fetch *f);
/* Starts the current hop: takes a pooled connection or opens one. */
GALE_INTERNAL void gale__hc_start_hop(hc_fetch *f);

/* http_client_pool.c */
/* Sets f->key for the current hop (in f->key_room when it fits).
 * Returns GALE_OK or GALE_ENOMEM. */
GALE_INTERNAL int gale__hc_pool_key(hc_fetch *f);
/* Frees f->key (when allocated) and clears it. */
GALE_INTERNAL void gale__hc_pool_key_free(hc_fetch *f);
/* Takes an idle connection for `key`, or NULL. */
GALE_INTERNAL hc_conn *gale__hc_pool_take(gale_http_client *c, const char *key);
/* Returns a connection whose exchange finished cleanly to the pool (or
 * closes it when the pool for its key is full). */
GALE_INTERNAL void gale__hc_pool_put(hc_conn *conn);
/* Closes a connection and frees it (it must not be idle-listed or in use
 * by anyone who will touch it again). */
GALE_INTERNAL void gale__hc_conn_close(hc_conn *conn);
GALE_INTERNAL hc_conn *gale__hc_conn_new(gale_http_client *c, gale_stream *stream, const char *key);
GALE_INTERNAL void gale__hc_pool_close_all(gale_http_client *c);
/* The client TLS context for the fetch's TLS options (borrowed), or NULL
 * with the status in *status. */
GALE_INTERNAL gale_tls_ctx *gale__hc_tls_ctx(hc_fetch *f, int *status);
GALE_INTERNAL void gale__hc_tls_free_all(gale_http_client *c);
/* TLS over the proxy tunnel once CONNECT succeeded. */
GALE_INTERNAL void gale__hc_tunnel_ready(hc_fetch *f);
/* Opens a new connection for the current hop with gale_tcp_client
 * (resolve, connect, TLS; then the proxy tunnel), then runs the exchange. */
GALE_INTERNAL void gale__hc_open(hc_fetch *f);
/* Cancels a pending open. */
GALE_INTERNAL void gale__hc_open_cancel(hc_fetch *f);
/* What is left of connect_timeout for the current hop (0: no limit). */
GALE_INTERNAL double gale__hc_connect_left(const hc_fetch *f);

/* http_client_conn.c: the request's side of an exchange. */
/* Runs the exchange of the current hop on f->conn. */
GALE_INTERNAL void gale__hc_exchange(hc_fetch *f);
/* Sends the body now (no 100 Continue to wait for, or it came). */
GALE_INTERNAL void gale__hc_send_body(hc_fetch *f);
GALE_INTERNAL void gale__hc_close_cb(gale_stream *stream, int reason, void *arg);
/* The numeric address and port of the stream's peer (or local end). */
GALE_INTERNAL void gale__hc_addr_of(gale_stream *stream, bool peer, char *ip, size_t len,
                                    int *port);

/* This hop's body comes from a producer of unknown size: chunked. */
static inline bool gale__hc_chunked_upload(const hc_fetch *f) {
  return f->send_body && f->req.body_producer && f->req.body_size < 0;
}

/* http_client_upload.c: the body producer. */
/* Starts (or restarts, for a redirect's hop) f->upload and calls the
 * producer; completes the fetch with GALE_ENOMEM when it cannot. */
GALE_INTERNAL void gale__hc_upload_start(hc_fetch *f);

/* http_client_response.c: the response's side of an exchange. */
/* Arms header_timeout for the response head the exchange now waits for. */
GALE_INTERNAL void gale__hc_wait_head(hc_fetch *f);
/* The connection closed under the fetch (close callback); `in` is what was
 * left unread. */
GALE_INTERNAL void gale__hc_conn_closed(hc_fetch *f, int reason, struct evbuffer *in);
GALE_INTERNAL void gale__hc_data(gale_stream *stream, struct evbuffer *input, void *arg);
/* Maps a stream close reason while reading a response to the fetch status. */
GALE_INTERNAL int gale__hc_stream_error(hc_fetch *f, int reason);

/* http_client_proxy.c: the CONNECT tunnel (http/wire/h1_tunnel.c). */
/* Sends CONNECT on the fresh connection to the proxy. */
GALE_INTERNAL void gale__hc_proxy_start(hc_fetch *f);
/* The connection closed while the proxy's answer was awaited. */
GALE_INTERNAL void gale__hc_proxy_closed(hc_fetch *f, int reason);
/* Abandons a tunnel being opened (the fetch completes). */
GALE_INTERNAL void gale__hc_proxy_cancel(hc_fetch *f);

/* http_client_response.c, shared with the HTTP/2 side. */
/* The final head is in f->headers and f->resp.code (f->msg.status too):
 * redirect check, the header and debug callbacks get `lines`, gzip set
 * up when `gzip` and a body follows, body_idle_timeout armed.  Returns a
 * status (the fetch is not completed). */
GALE_INTERNAL int gale__hc_head_common(hc_fetch *f, bool has_body, bool gzip, const char *lines,
                                       size_t len);
/* The head is in: body_idle_timeout armed when a body follows, else the
 * phase timer stopped. */
GALE_INTERNAL void gale__hc_body_phase(hc_fetch *f, bool has_body);
/* Decoded body bytes (counted, inflated, handed on); false when the fetch
 * ended. */
GALE_INTERNAL bool gale__hc_take_body(hc_fetch *f, const char *data, size_t len);
/* The body ended: gzip finished, the connection released, the redirect
 * followed or the fetch completed. */
GALE_INTERNAL void gale__hc_body_done(hc_fetch *f);
/* Copies the connection's two ends into the fetch's response. */
GALE_INTERNAL void gale__hc_note_addresses(hc_fetch *f, hc_conn *conn);
GALE_INTERNAL bool gale__hc_idempotent(const char *method);

/* http_client_h2.c: HTTP/2 connections in the pool. */
/* Whether this hop may speak HTTP/2 (the pool key says so too). */
GALE_INTERNAL bool gale__hc_h2_capable(const hc_fetch *f);
/* At the start of a hop with no idle HTTP/1 connection: puts the fetch on
 * an HTTP/2 connection for its key, or behind one being opened, and
 * returns true; false when the caller must open a connection (the fetch
 * is then registered as an opener others may wait for). */
GALE_INTERNAL bool gale__hc_h2_start_hop(hc_fetch *f);
/* The fetch's new connection (f->conn) is up: when it speaks h2, turns it
 * into an HTTP/2 connection carrying the fetch and its waiters and returns
 * true; else releases the waiters and returns false (HTTP/1.1 follows). */
GALE_INTERNAL bool gale__hc_h2_connected(hc_fetch *f);
/* Detaches a completing fetch from everything HTTP/2 (RST_STREAM for a
 * stream still open). */
GALE_INTERNAL void gale__hc_h2_forget(hc_fetch *f);
GALE_INTERNAL int gale__hc_h2_upload_write(hc_fetch *f, const void *data, size_t len);
GALE_INTERNAL int gale__hc_h2_upload_finish(hc_fetch *f);
GALE_INTERNAL void gale__hc_h2_close_all(gale_http_client *c);

/* http_client_redirect.c */
/* Whether the response head in f->msg is a redirect to follow; if so,
 * prepares the next hop's URL, method and body. */
GALE_INTERNAL bool gale__hc_redirect_check(hc_fetch *f, int *status);
/* Moves to the URL chosen by gale__hc_redirect_check(). */
GALE_INTERNAL void gale__hc_redirect_apply(hc_fetch *f);

/* http_client_rate.c: max_recv_speed.  account: `len` body bytes came
 * (pauses reading when ahead of the limit); stop: cancels the pause (at
 * the end of a hop or of the fetch). */
void gale__hc_rate_account(hc_fetch *f, size_t len);
void gale__hc_rate_stop(hc_fetch *f);

#endif
