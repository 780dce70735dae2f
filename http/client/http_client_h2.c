/* SPDX-License-Identifier: MIT */
/* HTTP/2 connections of gale_http_client (RFC 9113 on libnghttp2, through
 * the pump, feed and hostile-peer guards of http/h2/h2_wire).
 *
 * A connection that may speak h2 (https with ALPN, or http with prior
 * knowledge) is opened by one fetch, the opener; fetches for the same key
 * that start meanwhile wait behind it (up to h2_max_streams each, up to
 * h2_connections_per_host openers and connections per key).  When the
 * connection is up and speaks h2 it becomes an hc_h2 carrying the opener
 * and its waiters as streams; when ALPN picked http/1.1 the key is noted
 * as HTTP/1 and the waiters start their hops again, each on its own
 * connection.  Past the peer's SETTINGS_MAX_CONCURRENT_STREAMS (or
 * h2_max_streams) a connection queues fetches and submits them as streams
 * end.  A connection with no stream stays for idle_timeout.
 *
 * Each stream's response goes through the same path as an HTTP/1 one
 * (http_client_response.c: redirect check, header callbacks, gzip, the body
 * limit, body_done).  A fetch on a stream has f->h2 set and f->conn NULL.
 *
 * Life of an hc_h2: live (streams and queue) -> idle (neither; idle timer)
 * -> live ..., or goaway (the server's GOAWAY, our idle GOAWAY, or a
 * protocol failure: no new streams, queued fetches start over elsewhere,
 * closes when its last stream ends) -> closed (the stream's close callback
 * fails what is left and frees it).
 */
#include "http/client/http_client_h2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nghttp2/nghttp2.h>

#include "http/h2/h2_wire.h"
#include "core/loop_internal.h"
#include "iostream/stream_internal.h"

#define STREAM_WINDOW ((int32_t)1 << 20)
#define CONN_WINDOW ((int32_t)16 << 20)
#define MAX_H1_KEYS 32
#define LINGER 0.5
static void h2_process(hc_h2 *h);

/* ---- small helpers ---------------------------------------------------------- */

bool gale__hc_h2_capable(const hc_fetch *f) {
  int v = f->req.http_version;
  if (f->absolute_form) return false; /* through an HTTP proxy */
  if (gale__hc_is_https(f)) return v != GALE_HTTP_VERSION_1_1 && v != GALE_HTTP_VERSION_1_0;
  return v == GALE_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
}

size_t gale__hc_h2_max_header(const hc_fetch *f) {
  return f->req.max_header_size ? f->req.max_header_size : GALE_H1_DEFAULT_MAX_HEADER_SIZE;
}

static bool h1_known(const gale_http_client *c, const char *key) {
  for (const struct hc_h1_key *k = c->h1_keys; k; k = k->next)
    if (strcmp(k->key, key) == 0) return true;
  return false;
}

static void h1_remember(gale_http_client *c, const char *key) {
  size_t n = 0, len = strlen(key);
  struct hc_h1_key *k;
  for (k = c->h1_keys; k; k = k->next, n++)
    if (strcmp(k->key, key) == 0) return;
  if (n >= MAX_H1_KEYS) return; /* bounded: past it, waiters just wait once more */
  k = gale__malloc(sizeof *k + len + 1);
  if (!k) return;
  memcpy(k->key, key, len + 1);
  k->next = c->h1_keys;
  c->h1_keys = k;
}

/* Streams at once: ours and the peer's limit, the lower. */
static size_t h2_limit(const hc_h2 *h) {
  uint32_t peer =
      nghttp2_session_get_remote_settings(h->session, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
  size_t ours = (size_t)h->client->opts.h2_max_streams;
  return peer < ours ? peer : ours;
}

/* ---- scheduling ---------------------------------------------------------------- */

static void h2_release(hc_h2 *h);

static void on_kick(gale_loop *loop, void *arg) {
  hc_h2 *h = arg;
  (void)loop;
  h->kick_pending = false;
  if (h->dead)
    h2_release(h);
  else
    h2_process(h);
}

static void drop_kick(void *arg) {
  hc_h2 *h = arg;
  h->kick_pending = false;
  if (h->dead) h2_release(h);
}

/* Frames what was submitted outside a read (a new stream, a reset, an
 * upload's bytes) once the loop's callbacks of this turn ran, so every
 * request started by them leaves in one write.  A loop callback, not a
 * zero timer: re-arming the timer was a syscall per request. */
void gale__hc_h2_kick(hc_h2 *h) {
  if (h->closed || h->processing || h->kick_pending) return;
  if (gale__loop_add_callback_owned(h->client->loop, on_kick, drop_kick, h) == GALE_OK)
    h->kick_pending = true;
}

static void conn_close(hc_h2 *h) {
  h->goaway = true;
  if (h->closing || h->closed) return;
  h->closing = true;
  gale__stream_close_after_flush(h->stream, LINGER);
}

void gale__hc_h2_set_busy(hc_h2 *h) {
  if (!h->idle) return;
  h->idle = false;
  h->client->h2_idle--;
  if (h->idle_timer) gale_timer_cancel(h->idle_timer), h->idle_timer = NULL;
}

static void on_idle_timeout(gale_loop *loop, void *arg) {
  hc_h2 *h = arg;
  (void)loop;
  h->idle_timer = NULL;
  gale__hc_h2_set_busy(h);
  h->goaway = true;
  nghttp2_submit_goaway(h->session, NGHTTP2_FLAG_NONE, 0, NGHTTP2_NO_ERROR, NULL, 0);
  gale__h2_pump(h->session, h->stream, SIZE_MAX);
  conn_close(h);
}

static void go_idle(hc_h2 *h) {
  gale_http_client *c = h->client;
  if (h->idle || h->closed) return;
  if (h->goaway) {
    if (!h->processing) conn_close(h); /* else after_process() does */
    return;
  }
  h->idle = true;
  c->h2_idle++;
  if (c->opts.idle_timeout > 0)
    gale_loop_call_later(c->loop, c->opts.idle_timeout, on_idle_timeout, h, &h->idle_timer);
}

/* Starts the hops of fetches linked by h2_wnext again (their opener's
 * connection speaks HTTP/1.1, failed, or went away). */
static void restart_list(hc_fetch *w) {
  while (w) {
    hc_fetch *next = w->h2_wnext;
    w->h2_wnext = NULL;
    w->h2_opener = NULL;
    if (w->state != HC_DONE) gale__hc_start_hop(w);
    w = next;
  }
}

/* Moves every queued fetch off `h` to start over. */
void gale__hc_h2_requeue_all(hc_h2 *h) {
  while (h->wq_head) {
    hc_fetch *f = h->wq_head;
    wq_del(h, f);
    f->h2 = NULL;
    gale__hc_start_hop(f);
  }
}

/* Takes f off its connection; `rst` resets a stream still open. */
void gale__hc_h2_detach(hc_fetch *f, bool rst) {
  hc_h2 *h = f->h2;
  if (!h) return;
  f->h2 = NULL;
  if (f->h2_queued) {
    wq_del(h, f);
    if (h->nstreams == 0 && h->nqueued == 0) go_idle(h);
    return;
  }
  streams_del(h, f);
  if (rst && f->h2_id > 0 && !f->h2_closed && !h->failed && !h->closed) {
    nghttp2_submit_rst_stream(h->session, NGHTTP2_FLAG_NONE, f->h2_id, NGHTTP2_CANCEL);
    gale__hc_h2_kick(h);
  }
  f->h2_id = 0;
  gale__hc_h2_slot_freed(h);
}

/* Removes an opener from the client's list; returns its waiters. */
static hc_fetch *take_opener(hc_fetch *f) {
  gale_http_client *c = f->client;
  hc_fetch **pp, *w;
  if (!f->h2_opening) return NULL;
  f->h2_opening = false;
  for (pp = &c->h2_opening; *pp; pp = &(*pp)->h2_onext)
    if (*pp == f) {
      *pp = f->h2_onext;
      break;
    }
  f->h2_onext = NULL;
  w = f->h2_waiters;
  f->h2_waiters = NULL;
  for (hc_fetch *i = w; i; i = i->h2_wnext) i->h2_opener = NULL;
  return w;
}

/* A failure of the connection itself (resolving, connecting, TLS): what
 * waited for it would only fail the same way, one after the other. */
static bool open_failure(int st) {
  return st == GALE_ECONNREFUSED || st == GALE_EHOSTUNREACH || st == GALE_ENETUNREACH ||
         st == GALE_ETIMEDOUT_DNS || st == GALE_ETIMEDOUT_CONNECT || st == GALE_ETIMEDOUT_TLS ||
         (st <= GALE_EDNS_NXDOMAIN && st >= GALE_EDNS) ||
         (st <= GALE_ETLS && st >= GALE_ETLS_EXPIRED);
}

void gale__hc_h2_forget(hc_fetch *f) {
  if (f->h2_opening) {
    hc_fetch *w = take_opener(f);
    if (open_failure(f->status)) {
      while (w) { /* the opener's failure is theirs */
        hc_fetch *next = w->h2_wnext;
        w->h2_wnext = NULL;
        if (w->state != HC_DONE) {
          gale__hc_set_error(w, "%s", f->error ? f->error : gale_strerror(f->status));
          gale__hc_complete(w, f->status, NULL);
        }
        w = next;
      }
    }
    restart_list(w);
  }
  if (f->h2_opener) {
    hc_fetch **pp;
    for (pp = &f->h2_opener->h2_waiters; *pp; pp = &(*pp)->h2_wnext)
      if (*pp == f) {
        *pp = f->h2_wnext;
        break;
      }
    f->h2_wnext = NULL;
    f->h2_opener = NULL;
  }
  if (f->h2) gale__hc_h2_detach(f, true);
}

/* ---- submitting ------------------------------------------------------------- */

static void submit(hc_h2 *h, hc_fetch *f) {
  int st;
  gale__hc_h2_set_busy(h);
  f->h2 = h;
  f->h2_queued = false;
  streams_add(h, f);
  gale__hc_set_state(f, HC_EXCHANGE);
  f->t_sent = gale_loop_time(f->loop);
  f->got_byte = f->follow = f->body_sent = false;
  f->await_continue = false;
  f->wire_body = 0;
  f->resp.size_upload = 0;
  f->h2_final = f->h2_closed = f->h2_malformed = false;
  f->h2_code = 0;
  f->h2_body_off = 0;
  f->h2_id = 0;
  if (f->trailers) gale_headers_clear(f->trailers);
  gale__hc_note_addresses(f, h->conn);
  if (f->resp.reused)
    gale__hc_debug(f, GALE_HTTP_DEBUG_INFO, "Re-using existing HTTP/2 connection to %s port %d",
                   f->remote_ip, f->resp.remote_port);
  if (f->send_body && f->req.body_producer) {
    if (!f->h2_up)
      f->h2_up = evbuffer_new();
    else
      evbuffer_drain(f->h2_up, evbuffer_get_length(f->h2_up));
    if (!f->h2_up) {
      gale__hc_complete(f, GALE_ENOMEM, NULL);
      return;
    }
  }
  st = gale__hc_h2_send_request(h, f);
  if (st != GALE_OK) {
    gale__hc_complete(f, st, NULL);
    return;
  }
  if (!f->send_body) f->body_sent = true;
  gale__hc_wait_head(f);
  if (f->state == HC_DONE) return;
  if (f->send_body && f->req.body_producer) {
    gale__hc_upload_start(f);
    if (f->state == HC_DONE) return;
  }
  gale__hc_h2_kick(h);
}

/* On `h` now, or in its queue. */
static void place(hc_h2 *h, hc_fetch *f) {
  if (h->nstreams < h2_limit(h) && h->nqueued == 0) {
    submit(h, f);
  } else {
    gale__hc_h2_set_busy(h);
    f->h2 = h;
    wq_add(h, f);
  }
}

void gale__hc_h2_slot_freed(hc_h2 *h) {
  if (h->closed) return;
  while (h->wq_head && !h->goaway && h->nstreams < h2_limit(h)) {
    hc_fetch *f = h->wq_head;
    wq_del(h, f);
    f->h2 = NULL;
    submit(h, f);
  }
  if (h->nstreams == 0 && h->nqueued == 0) go_idle(h);
}

bool gale__hc_h2_start_hop(hc_fetch *f) {
  gale_http_client *c = f->client;
  hc_h2 *best = NULL;
  hc_fetch *bo = NULL;
  size_t best_load = SIZE_MAX, bo_load = SIZE_MAX;
  int conns = 0;
  if (!c || !gale__hc_h2_capable(f) || h1_known(c, f->key)) return false;
  for (hc_h2 *h = c->h2conns; h; h = h->next) {
    size_t load;
    if (h->goaway || h->closed || strcmp(h->conn->key, f->key) != 0) continue;
    conns++;
    if (h->nstreams < h2_limit(h) && h->nqueued == 0) {
      f->resp.reused = true;
      submit(h, f);
      return true;
    }
    load = h->nstreams + h->nqueued;
    if (load < best_load) best = h, best_load = load;
  }
  for (hc_fetch *o = c->h2_opening; o; o = o->h2_onext) {
    size_t load = 1;
    if (strcmp(o->key, f->key) != 0) continue;
    conns++;
    for (hc_fetch *w = o->h2_waiters; w; w = w->h2_wnext) load++;
    if (load < bo_load) bo = o, bo_load = load;
  }
  if (bo &&
      (bo_load < (size_t)c->opts.h2_max_streams || conns >= c->opts.h2_connections_per_host)) {
    /* Behind the opener: appended, so they start in order. */
    hc_fetch **pp = &bo->h2_waiters;
    while (*pp) pp = &(*pp)->h2_wnext;
    f->h2_wnext = NULL;
    *pp = f;
    f->h2_opener = bo;
    return true;
  }
  if (best && conns >= c->opts.h2_connections_per_host) {
    f->resp.reused = true;
    place(best, f);
    return true;
  }
  /* A new connection; others may wait for it. */
  f->h2_opening = true;
  f->h2_onext = c->h2_opening;
  c->h2_opening = f;
  return false;
}

/* ---- the connection ---------------------------------------------------------- */

/* The connection is unusable: every stream fails with `status`; what waits
 * starts over elsewhere. */
void gale__hc_h2_fail_conn(hc_h2 *h, int status, const char *detail) {
  if (h->failed) return;
  h->failed = true;
  h->goaway = true;
  h->fail_status = status;
  snprintf(h->fail_detail, sizeof h->fail_detail, "%s", detail);
  gale__hc_h2_set_busy(h);
  gale__hc_h2_requeue_all(h);
  while (h->streams) {
    hc_fetch *f = h->streams;
    f->h2_closed = true;
    gale__hc_set_error(f, "%s (stream %d)", detail, (int)f->h2_id);
    gale__hc_complete(f, status, NULL);                /* detaches it */
    if (h->streams == f) gale__hc_h2_detach(f, false); /* cannot happen; no spin */
  }
}

static void after_process(hc_h2 *h) {
  if (h->closed) return;
  if (h->failed ||
      (!nghttp2_session_want_read(h->session) && !nghttp2_session_want_write(h->session)) ||
      (h->goaway && h->nstreams == 0 && h->nqueued == 0))
    conn_close(h);
}

static void h2_process(hc_h2 *h) {
  int rc;
  if (h->closed || h->processing) return;
  h->processing = true;
  h->now = gale_loop_time(h->client->loop);
  if (!h->failed && !h->closing && nghttp2_session_want_read(h->session) &&
      gale__h2_feed(h->session, h->stream) != GALE_OK)
    gale__hc_h2_fail_conn(h, GALE_EHTTP_PARSE, "malformed HTTP/2 frames from the server");
  rc = gale__h2_pump(h->session, h->stream, SIZE_MAX);
  if (rc != GALE_OK && rc != GALE_ECLOSED)
    gale__hc_h2_fail_conn(h, rc == GALE_ENOMEM ? GALE_ENOMEM : GALE_EHTTP_PARSE,
                          "HTTP/2 framing failed");
  h->processing = false;
  after_process(h);
}

static void on_data(gale_stream *stream, struct evbuffer *input, void *arg) {
  (void)stream;
  (void)input;
  h2_process(arg);
}

static void unlink_h2(hc_h2 *h) {
  gale_http_client *c = h->client;
  if (h->prev)
    h->prev->next = h->next;
  else if (c->h2conns == h)
    c->h2conns = h->next;
  if (h->next) h->next->prev = h->prev;
  h->prev = h->next = NULL;
}

static void h2_release(hc_h2 *h) {
  nghttp2_session_del(h->session);
  free(h->conn->key);
  free(h->conn);
  free(h);
}

/* Frees now, or when the pending kick runs (or is dropped with the loop). */
static void h2_free(hc_h2 *h) {
  if (h->idle_timer) gale_timer_cancel(h->idle_timer), h->idle_timer = NULL;
  h->dead = true;
  h->closed = true;
  if (!h->kick_pending) h2_release(h);
}

static void on_close(gale_stream *stream, int reason, void *arg) {
  hc_h2 *h = arg;
  struct evbuffer *in = gale__stream_input(stream);
  /* What arrived with the close is still ours (the last answers before a
   * server's FIN). */
  if (in && evbuffer_get_length(in) && !h->failed && !h->processing) {
    h->processing = true;
    h->now = gale_loop_time(h->client->loop);
    if (gale__h2_feed(h->session, stream) != GALE_OK)
      gale__hc_h2_fail_conn(h, GALE_EHTTP_PARSE, "malformed HTTP/2 frames from the server");
    h->processing = false;
  }
  gale__hc_h2_set_busy(h);
  h->closed = true;
  h->goaway = true;
  unlink_h2(h);
  gale__hc_h2_requeue_all(h);
  while (h->streams) {
    hc_fetch *f = h->streams;
    int st;
    f->h2_closed = true;
    if (h->failed) {
      st = h->fail_status;
      gale__hc_set_error(f, "%s (stream %d)", h->fail_detail, (int)f->h2_id);
    } else if (!f->got_byte && f->resp.reused && !f->retried && gale__hc_idempotent(f->method) &&
               (reason == GALE_OK || reason == GALE_EOF || reason == GALE_ECONNRESET ||
                reason == GALE_EPIPE)) {
      /* A kept connection closed as we used it: once more, fresh. */
      f->retried = true;
      gale__hc_h2_detach(f, false);
      gale__hc_start_hop(f);
      continue;
    } else if (reason == GALE_ECONNRESET) {
      st = GALE_ECONNRESET;
      gale__hc_set_error(f, "the server reset the HTTP/2 connection %s(stream %d)",
                         f->h2_final ? "in the middle of the body " : "", (int)f->h2_id);
    } else if (reason == GALE_OK || reason == GALE_EOF || reason == GALE_ETLS_TRUNCATED) {
      st = f->h2_final ? GALE_EHTTP_TRUNCATED : GALE_EOF;
      gale__hc_set_error(f, "the server closed the HTTP/2 connection %s %s(stream %d)",
                         f->h2_final ? "in the middle of the body" : "before the response head",
                         h->fail_detail, (int)f->h2_id);
    } else {
      st = reason;
      gale__hc_set_error(f, "the HTTP/2 connection failed: %s (stream %d)", gale_strerror(reason),
                         (int)f->h2_id);
    }
    gale__hc_complete(f, st, NULL);
    if (h->streams == f) gale__hc_h2_detach(f, false);
  }
  h2_free(h);
}

static hc_h2 *h2_new(gale_http_client *c, hc_conn *conn, const hc_fetch *f) {
  hc_h2 *h = gale__calloc(1, sizeof *h);
  nghttp2_option *opt = NULL;
  nghttp2_session_callbacks *cbs = gale__hc_h2_callbacks();
  size_t mh = gale__hc_h2_max_header(f);
  nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, STREAM_WINDOW},
  };
  if (!h) return NULL;
  if (!cbs || nghttp2_option_new(&opt) != 0) {
    free(h);
    return NULL;
  }
  nghttp2_option_set_max_outbound_ack(opt, 100);
  if (nghttp2_session_client_new2(&h->session, cbs, h, opt) != 0) {
    nghttp2_option_del(opt);
    free(h);
    return NULL;
  }
  nghttp2_option_del(opt);
  if (nghttp2_submit_settings(h->session, NGHTTP2_FLAG_NONE, iv, 3) != 0 ||
      nghttp2_session_set_local_window_size(h->session, NGHTTP2_FLAG_NONE, 0, CONN_WINDOW) != 0 ||
      gale__stream_set_data_cb(conn->stream, on_data, h) != GALE_OK) {
    nghttp2_session_del(h->session);
    free(h);
    return NULL;
  }
  h->client = c;
  h->conn = conn;
  h->stream = conn->stream;
  h->guard.client_side = true;
  if (mh < GALE_H1_DEFAULT_MAX_HEADER_SIZE) mh = GALE_H1_DEFAULT_MAX_HEADER_SIZE;
  h->guard.max_block = 2 * mh + 16384;
  h->guard.window_start = gale_loop_time(c->loop);
  gale_stream_set_close_cb(conn->stream, on_close, h);
  h->next = c->h2conns;
  if (c->h2conns) c->h2conns->prev = h;
  c->h2conns = h;
  return h;
}

bool gale__hc_h2_connected(hc_fetch *f) {
  gale_http_client *c = f->client;
  hc_conn *conn = f->conn;
  bool tls = gale_stream_is_tls(conn->stream), speak;
  const char *alpn = tls ? gale_stream_tls_alpn(conn->stream) : NULL;
  hc_fetch *waiters;
  hc_h2 *h;
  if (!f->h2_opening && !gale__hc_h2_capable(f) && !(alpn && strcmp(alpn, "h2") == 0)) return false;
  waiters = take_opener(f);
  speak = tls ? alpn && strcmp(alpn, "h2") == 0 : gale__hc_h2_capable(f);
  if (!speak) {
    if (tls && gale__hc_h2_capable(f)) h1_remember(c, f->key);
    restart_list(waiters);
    return false;
  }
  h = h2_new(c, conn, f);
  if (!h) {
    gale__hc_complete(f, GALE_ENOMEM, NULL);
    restart_list(waiters);
    return true;
  }
  conn->fetch = NULL;
  f->conn = NULL;
  gale__hc_debug(f, GALE_HTTP_DEBUG_INFO, "Using HTTP/2, server supports multiplexing");
  submit(h, f);
  while (waiters) {
    hc_fetch *w = waiters;
    waiters = w->h2_wnext;
    w->h2_wnext = NULL;
    if (w->state != HC_DONE) place(h, w);
  }
  return true;
}

void gale__hc_h2_close_all(gale_http_client *c) {
  while (c->h2conns) {
    hc_h2 *h = c->h2conns;
    unlink_h2(h);
    if (h->idle) c->h2_idle--;
    h->closed = true;
    while (h->streams) streams_del(h, h->streams); /* none: every fetch completed */
    gale_stream_set_close_cb(h->stream, NULL, NULL);
    gale__stream_set_data_cb(h->stream, NULL, NULL);
    gale_stream_close(h->stream);
    h2_free(h);
  }
  while (c->h1_keys) {
    struct hc_h1_key *k = c->h1_keys;
    c->h1_keys = k->next;
    free(k);
  }
}
