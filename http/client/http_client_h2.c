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
#include "http/client/http_client_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nghttp2/nghttp2.h>

#include "http/h2/h2_wire.h"
#include "core/loop_internal.h"
#include "iostream/stream_internal.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

#define MAX_REFUSALS 3
#define STREAM_WINDOW ((int32_t)1 << 20)
#define CONN_WINDOW ((int32_t)16 << 20)
#define MAX_H1_KEYS 32
#define LINGER 0.5
#define TAB 256

struct hc_h1_key {
  struct hc_h1_key *next;
  char key[];
};

struct hc_h2 {
  gale_http_client *client;
  hc_conn *conn; /* key and addresses; freed with the hc_h2 */
  gale_stream *stream;
  nghttp2_session *session;
  gale__h2_guard guard;
  hc_h2 *prev, *next; /* client->h2conns */
  hc_fetch *streams;  /* fetches with a stream */
  /* Streams by id: slot (id >> 1) % TAB holds one of them (a later one
   * whose slot is taken is found by walking the list), so a lookup is
   * one load where walking up to h2_max_streams fetches cost a cache miss
   * each. */
  hc_fetch *tab[TAB];
  hc_fetch *wq_head, *wq_tail; /* fetches waiting for one */
  size_t nstreams, nqueued;
  gale_timer *idle_timer;
  bool processing, closing, closed, goaway, idle, failed;
  bool kick_pending; /* a loop callback holds h: freed by it when dead */
  bool dead;
  double now; /* loop time of the read being fed: one clock read per read, not per frame */
  int fail_status;
  char fail_detail[200];
};

static void h2_process(hc_h2 *h);
static void slot_freed(hc_h2 *h);

/* ---- small helpers ---------------------------------------------------------- */

static bool is_https(const hc_fetch *f) { return strcmp(f->purl->scheme, "https") == 0; }

bool gale__hc_h2_capable(const hc_fetch *f) {
  int v = f->req.http_version;
  if (f->absolute_form) return false; /* through an HTTP proxy */
  if (is_https(f)) return v != GALE_HTTP_VERSION_1_1 && v != GALE_HTTP_VERSION_1_0;
  return v == GALE_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
}

static size_t max_header(const hc_fetch *f) {
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

static hc_fetch **slot(hc_h2 *h, int32_t id) { return &h->tab[((uint32_t)id >> 1) % TAB]; }

/* O(1) through the table; O(streams) for a stream whose slot was taken. */
static hc_fetch *find(hc_h2 *h, int32_t id) {
  hc_fetch *f = *slot(h, id);
  if (f && f->h2_id == id) return f;
  for (f = h->streams; f; f = f->h2_next)
    if (f->h2_id == id) return f;
  return NULL;
}

/* Once the stream has its id. */
static void tab_put(hc_h2 *h, hc_fetch *f) {
  hc_fetch **s = slot(h, f->h2_id);
  if (!*s) *s = f;
}

static void streams_add(hc_h2 *h, hc_fetch *f) {
  f->h2_prev = NULL;
  f->h2_next = h->streams;
  if (h->streams) h->streams->h2_prev = f;
  h->streams = f;
  h->nstreams++;
}

static void streams_del(hc_h2 *h, hc_fetch *f) {
  if (f->h2_id > 0 && *slot(h, f->h2_id) == f) *slot(h, f->h2_id) = NULL;
  if (f->h2_prev)
    f->h2_prev->h2_next = f->h2_next;
  else
    h->streams = f->h2_next;
  if (f->h2_next) f->h2_next->h2_prev = f->h2_prev;
  f->h2_prev = f->h2_next = NULL;
  h->nstreams--;
}

static void wq_add(hc_h2 *h, hc_fetch *f) {
  f->h2_next = NULL;
  f->h2_prev = h->wq_tail;
  if (h->wq_tail)
    h->wq_tail->h2_next = f;
  else
    h->wq_head = f;
  h->wq_tail = f;
  h->nqueued++;
  f->h2_queued = true;
}

static void wq_del(hc_h2 *h, hc_fetch *f) {
  if (f->h2_prev)
    f->h2_prev->h2_next = f->h2_next;
  else
    h->wq_head = f->h2_next;
  if (f->h2_next)
    f->h2_next->h2_prev = f->h2_prev;
  else
    h->wq_tail = f->h2_prev;
  f->h2_prev = f->h2_next = NULL;
  h->nqueued--;
  f->h2_queued = false;
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
static void kick(hc_h2 *h) {
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

static void set_busy(hc_h2 *h) {
  if (!h->idle) return;
  h->idle = false;
  h->client->h2_idle--;
  if (h->idle_timer) gale_timer_cancel(h->idle_timer), h->idle_timer = NULL;
}

static void on_idle_timeout(gale_loop *loop, void *arg) {
  hc_h2 *h = arg;
  (void)loop;
  h->idle_timer = NULL;
  set_busy(h);
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
static void requeue_all(hc_h2 *h) {
  while (h->wq_head) {
    hc_fetch *f = h->wq_head;
    wq_del(h, f);
    f->h2 = NULL;
    gale__hc_start_hop(f);
  }
}

/* Takes f off its connection; `rst` resets a stream still open. */
static void detach(hc_fetch *f, bool rst) {
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
    kick(h);
  }
  f->h2_id = 0;
  slot_freed(h);
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
  if (f->h2) detach(f, true);
}

/* ---- the request ------------------------------------------------------------ */

static bool user_has(const hc_fetch *f, const char *name) {
  return f->req_headers && gale_headers_get(f->req_headers, name) != NULL;
}

/* Fields RFC 9113 §8.2.2 forbids, Host (it is :authority), and what a
 * redirect's hop must not carry (as the HTTP/1 side). */
static bool skip_field(const hc_fetch *f, const char *n, size_t nl, const char *v, size_t vl) {
  static const char *const conn_specific[] = {"Connection",        "Keep-Alive", "Proxy-Connection",
                                              "Transfer-Encoding", "Upgrade",    "Host"};
  for (size_t i = 0; i < sizeof conn_specific / sizeof conn_specific[0]; i++)
    if (gale_ascii_eq_cstr(n, nl, conn_specific[i])) return true;
  if (gale_ascii_eq_cstr(n, nl, "TE") && !gale_ascii_eq_cstr(v, vl, "trailers")) return true;
  if (!f->send_body && f->redirects > 0 &&
      (gale_ascii_eq_cstr(n, nl, "Content-Length") || gale_ascii_eq_cstr(n, nl, "Content-Type")))
    return true;
  if (f->drop_auth &&
      (gale_ascii_eq_cstr(n, nl, "Authorization") || gale_ascii_eq_cstr(n, nl, "Cookie")))
    return true;
  return false;
}

static nghttp2_nv nv_of(const char *n, size_t nl, const char *v, size_t vl) {
  nghttp2_nv nv = {(uint8_t *)(uintptr_t)n, (uint8_t *)(uintptr_t)v, nl, vl, NGHTTP2_NV_FLAG_NONE};
  return nv;
}
#define NV_C(n, v) nv_of(n, sizeof(n) - 1, v, strlen(v))

static void debug_out(hc_fetch *f, const nghttp2_nv *nv, size_t n) {
  gale_buf b;
  gale_buf_init(&b, 0);
  /* As a head: "GET /path HTTP/2", then the fields. */
  gale_buf_append(&b, nv[0].value, nv[0].valuelen);
  gale_buf_append(&b, " ", 1);
  gale_buf_append(&b, nv[3].value, nv[3].valuelen);
  gale_buf_append(&b, " HTTP/2\r\n", 9);
  for (size_t i = 4; i < n; i++) {
    gale_buf_append(&b, nv[i].name, nv[i].namelen);
    gale_buf_append(&b, ": ", 2);
    gale_buf_append(&b, nv[i].value, nv[i].valuelen);
    gale_buf_append(&b, "\r\n", 2);
  }
  if (gale_buf_append(&b, "\r\n", 2) == GALE_OK)
    f->req.debug_callback(GALE_HTTP_DEBUG_HEADER_OUT, b.data, b.len, f->req.debug_callback_arg);
  gale_buf_release(&b);
}

static ssize_t read_body(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                         nghttp2_data_source *src, void *arg);

/* Frees what send_request() allocated rather than took from its stack. */
static void release_bufs(nghttp2_nv *nv, nghttp2_nv *nv_s, char *lower, char *lower_s, char *target,
                         char *target_s, char *authority, char *authority_s) {
  if (nv != nv_s) free(nv);
  if (lower != lower_s) free(lower);
  if (target != target_s) free(target);
  if (authority != authority_s) free(authority);
}

static int send_request(hc_h2 *h, hc_fetch *f) {
  const gale_url *u = f->purl;
  const gale_http_request *r = &f->req;
  size_t nuser = f->req_headers ? gale_headers_count(f->req_headers) : 0, n = 0, names = 0;
  nghttp2_nv *nv;
  char *lower, *lp, *target, *authority, clen[24], date[GALE_HTTP_DATE_LEN + 1];
  nghttp2_nv nv_s[32];
  char lower_s[512], target_s[1024], authority_s[280];
  size_t tlen = strlen(u->path ? u->path : "") + strlen(u->query ? u->query : "") + 3,
         alen = strlen(u->host) + 16;
  nghttp2_data_provider prd;
  int32_t id;
  for (size_t i = 0; i < nuser; i++) {
    const char *nm, *v;
    size_t nl, vl;
    gale_headers_at(f->req_headers, i, &nm, &nl, &v, &vl);
    names += nl;
  }
  /* On the stack when they fit (the usual request): no allocation. */
  nv = 12 + nuser <= sizeof nv_s / sizeof nv_s[0] ? nv_s : gale__malloc((12 + nuser) * sizeof *nv);
  lower = names + 1 <= sizeof lower_s ? lower_s : gale__malloc(names + 1);
  target = tlen <= sizeof target_s ? target_s : gale__malloc(tlen);
  authority = alen <= sizeof authority_s ? authority_s : gale__malloc(alen);
  if (!nv || !lower || !target || !authority) {
    release_bufs(nv, nv_s, lower, lower_s, target, target_s, authority, authority_s);
    return GALE_ENOMEM;
  }
  {
    /* Built by hand: printf was a visible part of a request's cost. */
    const char *path = u->path && *u->path ? u->path : "/";
    size_t pl = strlen(path), ql = u->query ? strlen(u->query) : 0, hl = strlen(u->host), k = 0;
    bool def = (is_https(f) && u->port == 443) || (!is_https(f) && u->port == 80);
    memcpy(target, path, pl);
    if (u->query) target[pl] = '?', memcpy(target + pl + 1, u->query, ql);
    target[pl + (u->query ? 1 + ql : 0)] = '\0';
    if (u->host_is_ipv6) authority[k++] = '[';
    memcpy(authority + k, u->host, hl);
    k += hl;
    if (u->host_is_ipv6) authority[k++] = ']';
    if (!def) {
      char digits[8];
      int nd = 0;
      unsigned port = u->port;
      do digits[nd++] = (char)('0' + port % 10);
      while ((port /= 10) && nd < 7);
      authority[k++] = ':';
      while (nd) authority[k++] = digits[--nd];
    }
    authority[k] = '\0';
    (void)tlen;
    (void)alen;
  }
  nv[n++] = NV_C(":method", f->method);
  nv[n++] = NV_C(":scheme", u->scheme);
  nv[n++] = NV_C(":authority",
                 user_has(f, "Host") ? gale_headers_get(f->req_headers, "Host") : authority);
  nv[n++] = NV_C(":path", target);
  if (!user_has(f, "User-Agent")) {
    if (!r->user_agent)
      nv[n++] = NV_C("user-agent", "gale/" PACKAGE_VERSION);
    else if (*r->user_agent)
      nv[n++] = NV_C("user-agent", r->user_agent);
  }
  if (f->auth && !user_has(f, "Authorization")) nv[n++] = NV_C("authorization", f->auth);
  if (r->referer && !user_has(f, "Referer")) nv[n++] = NV_C("referer", r->referer);
  if (r->decompress_response && !user_has(f, "Accept-Encoding"))
    nv[n++] = NV_C("accept-encoding", "gzip");
  if (r->if_modified_since && !user_has(f, "If-Modified-Since") &&
      gale_http_date_format(r->if_modified_since, date, sizeof date) == GALE_OK)
    nv[n++] = NV_C("if-modified-since", date);
  clen[0] = '\0';
  if (f->send_body && !(r->body_producer && r->body_size < 0))
    snprintf(clen, sizeof clen, "%llu",
             (unsigned long long)(r->body_producer ? (uint64_t)r->body_size : r->body_len));
  else if (!f->send_body &&
           (strcasecmp(f->method, "POST") == 0 || strcasecmp(f->method, "PUT") == 0 ||
            strcasecmp(f->method, "PATCH") == 0))
    memcpy(clen, "0", 2);
  if (clen[0] && !user_has(f, "Content-Length")) nv[n++] = NV_C("content-length", clen);
  lp = lower;
  for (size_t i = 0; i < nuser; i++) {
    const char *nm, *v;
    size_t nl, vl;
    gale_headers_at(f->req_headers, i, &nm, &nl, &v, &vl);
    if (skip_field(f, nm, nl, v, vl)) continue;
    for (size_t k = 0; k < nl; k++)
      lp[k] = (char)(nm[k] >= 'A' && nm[k] <= 'Z' ? nm[k] + 32 : nm[k]);
    nv[n++] = nv_of(lp, nl, v, vl);
    lp += nl;
  }
  for (size_t i = 0; i < n; i++) f->resp.size_request += nv[i].namelen + nv[i].valuelen + 4;
  if (r->debug_callback) debug_out(f, nv, n);
  prd.source.ptr = f;
  prd.read_callback = read_body;
  /* nghttp2 copies the fields. */
  id = nghttp2_submit_request(h->session, NULL, nv, n, f->send_body ? &prd : NULL, NULL);
  release_bufs(nv, nv_s, lower, lower_s, target, target_s, authority, authority_s);
  if (id < 0) {
    gale__hc_set_error(f, "HTTP/2 request not submitted: %s", nghttp2_strerror(id));
    return id == NGHTTP2_ERR_NOMEM ? GALE_ENOMEM : GALE_EHTTP_PARSE;
  }
  f->h2_id = id;
  tab_put(h, f);
  return GALE_OK;
}

/* The producer's next call, on the turn after nghttp2 framed its bytes.
 * The fetch is still there: its delivery, queued when it completes, runs
 * after this (callbacks run in order). */
static void producer_turn(gale_loop *loop, void *arg) {
  hc_fetch *f = arg;
  (void)loop;
  if (f->state == HC_DONE || !f->h2 || !f->upload || f->upload->finished || f->upload->in_flight)
    return;
  f->req.body_producer(f->upload, f->req.body_producer_arg);
}

/* The body, from the caller's buffer or the producer's bytes. */
static ssize_t read_body(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                         nghttp2_data_source *src, void *arg) {
  hc_h2 *h = arg;
  hc_fetch *f = find(h, id);
  size_t n;
  (void)s;
  (void)src;
  if (!f) return NGHTTP2_ERR_DEFERRED; /* detached: its RST_STREAM is queued */
  if (!f->req.body_producer) {
    n = f->req.body_len - f->h2_body_off;
    if (n > len) n = len;
    if (n) memcpy(buf, (const char *)f->req.body + f->h2_body_off, n);
    f->h2_body_off += n;
    f->resp.size_upload += n;
    if (f->h2_body_off == f->req.body_len) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      f->body_sent = true;
    }
    return (ssize_t)n;
  }
  n = f->h2_up ? (size_t)evbuffer_remove(f->h2_up, buf, len) : 0;
  if (!f->h2_up || evbuffer_get_length(f->h2_up) == 0) {
    if (f->upload && f->upload->finished) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      return (ssize_t)n;
    }
    if (f->upload && f->upload->in_flight) {
      /* What was written is framed: the producer may write more (on the
       * next turn: this runs inside nghttp2). */
      f->upload->in_flight = false;
      gale_loop_add_callback(f->loop, producer_turn, f);
    }
    if (n == 0) return NGHTTP2_ERR_DEFERRED;
  }
  return (ssize_t)n;
}

/* ---- submitting ------------------------------------------------------------- */

static void submit(hc_h2 *h, hc_fetch *f) {
  int st;
  set_busy(h);
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
  st = send_request(h, f);
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
  kick(h);
}

/* On `h` now, or in its queue. */
static void place(hc_h2 *h, hc_fetch *f) {
  if (h->nstreams < h2_limit(h) && h->nqueued == 0) {
    submit(h, f);
  } else {
    set_busy(h);
    f->h2 = h;
    wq_add(h, f);
  }
}

static void slot_freed(hc_h2 *h) {
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

/* ---- nghttp2 callbacks: the response --------------------------------------- */

static void fail_conn(hc_h2 *h, int status, const char *detail);

static int on_begin_frame(nghttp2_session *s, const nghttp2_frame_hd *hd, void *arg) {
  hc_h2 *h = arg;
  uint32_t code = gale__h2_guard_frame(&h->guard, s, hd, h->now);
  if (!code) return 0;
  nghttp2_session_terminate_session(s, code);
  fail_conn(h, GALE_EHTTP_PARSE,
            code == NGHTTP2_ENHANCE_YOUR_CALM
                ? "the server flooded the HTTP/2 connection (too many frames of one kind, or an "
                  "oversized header block)"
                : "the server broke the HTTP/2 protocol");
  return NGHTTP2_ERR_CALLBACK_FAILURE;
}

static int on_begin_headers(nghttp2_session *s, const nghttp2_frame *fr, void *arg) {
  hc_h2 *h = arg;
  hc_fetch *f;
  (void)s;
  if (fr->hd.type != NGHTTP2_HEADERS || !(f = find(h, fr->hd.stream_id))) return 0;
  if (!f->got_byte) {
    f->got_byte = true;
    f->t_first = h->now;
  }
  f->h2_hdr_bytes = 0;
  if (!f->h2_final) {
    f->h2_code = 0;
    if (f->headers) gale_headers_clear(f->headers);
  }
  return 0;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *fr, const uint8_t *name, size_t nlen,
                     const uint8_t *value, size_t vlen, uint8_t flags, void *arg) {
  hc_h2 *h = arg;
  hc_fetch *f;
  const char *n = (const char *)name, *v = (const char *)value;
  gale_headers **set;
  (void)s;
  (void)flags;
  if (fr->hd.type != NGHTTP2_HEADERS || !(f = find(h, fr->hd.stream_id))) return 0;
  f->h2_hdr_bytes += nlen + vlen + 32; /* RFC 9113 §6.5.2's measure */
  if (f->h2_hdr_bytes > max_header(f)) {
    gale__hc_set_error(f, "HTTP/2 response %s over max_header_size (%zu bytes) on stream %d",
                       f->h2_final ? "trailers" : "head", max_header(f), (int)f->h2_id);
    gale__hc_complete(f, GALE_EHTTP_HEADER_TOO_LARGE, NULL);
    return 0;
  }
  if (!f->h2_final && nlen == 7 && memcmp(n, ":status", 7) == 0) {
    f->h2_code = vlen == 3 ? (v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0') : 0;
    return 0;
  }
  if (nlen && n[0] == ':') return 0;              /* nghttp2 checked them */
  if (!f->h2_final && f->h2_code < 200) return 0; /* an interim answer's fields */
  set = f->h2_final ? &f->trailers : &f->headers;
  if (!*set) *set = gale_headers_new();
  if (!*set || gale_headers_add_n(*set, n, nlen, v, vlen) == GALE_ENOMEM)
    gale__hc_complete(f, GALE_ENOMEM, NULL);
  return 0;
}

/* The response ended (END_STREAM): the stream is let go, then the same
 * ending as HTTP/1's. */
static void finish(hc_h2 *h, hc_fetch *f) {
  bool local_open = nghttp2_session_get_stream_local_close(h->session, f->h2_id) == 0;
  f->resp.size_download = f->wire_body;
  detach(f, local_open); /* still uploading: the server has answered, stop */
  gale__hc_body_done(f);
}

static bool gzip_coding(const hc_fetch *f) {
  const char *ce = gale_headers_get(f->headers, "content-encoding");
  return ce && (strcasecmp(ce, "gzip") == 0 || strcasecmp(ce, "x-gzip") == 0);
}

static void head(hc_h2 *h, hc_fetch *f, bool end) {
  gale_buf *b = &f->h2_lines;
  char status[16];
  size_t lines_len;
  bool has_body, lines;
  int st;
  f->h2_final = true;
  f->resp.code = f->h2_code;
  f->msg.status = f->h2_code; /* the redirect check reads it */
  f->resp.http_version = 20;
  free(f->reason);
  f->reason = NULL; /* HTTP/2 has none: the response says "" */
  if (!f->headers) f->headers = gale_headers_new();
  if (!f->headers) {
    gale__hc_complete(f, GALE_ENOMEM, NULL);
    return;
  }
  /* The head as header lines, as curl shows it ("HTTP/2 200 "), made only
   * when a callback reads them; size_header counts them either way. */
  gale_buf_reset(b);
  memcpy(status, "HTTP/2 000 \r\n", 13);
  status[7] = (char)('0' + f->h2_code / 100 % 10);
  status[8] = (char)('0' + f->h2_code / 10 % 10);
  status[9] = (char)('0' + f->h2_code % 10);
  lines_len = 13 + 2;
  lines = f->req.header_callback || f->req.debug_callback;
  st = lines ? gale_buf_append(b, status, 13) : GALE_OK;
  for (size_t i = 0, n = gale_headers_count(f->headers); i < n && st == GALE_OK; i++) {
    const char *nm, *v;
    size_t nl, vl;
    gale_headers_at(f->headers, i, &nm, &nl, &v, &vl);
    lines_len += nl + vl + 4;
    if (!lines) continue;
    st = gale_buf_append(b, nm, nl);
    if (st == GALE_OK) st = gale_buf_append(b, ": ", 2);
    if (st == GALE_OK) st = gale_buf_append(b, v, vl);
    if (st == GALE_OK) st = gale_buf_append(b, "\r\n", 2);
  }
  if (st == GALE_OK && lines) st = gale_buf_append(b, "\r\n", 2);
  if (st != GALE_OK) {
    gale__hc_complete(f, st, NULL);
    return;
  }
  f->resp.size_header += lines_len;
  has_body = !end && !f->head && f->h2_code != 204 && f->h2_code != 304;
  gale__hc_body_phase(f, has_body);
  if (f->state == HC_DONE) return;
  st = gale__hc_head_common(f, has_body, gzip_coding(f), lines ? b->data : "", lines ? b->len : 0);
  if (f->state == HC_DONE) return;
  if (st != GALE_OK) {
    gale__hc_complete(f, st, NULL);
    return;
  }
  gale__hc_set_state(f, HC_BODY);
  if (f->follow) { /* its body is not wanted: reset the stream, go on */
    bool open = !end;
    detach(f, open);
    gale__hc_body_done(f);
    return;
  }
  if (end) finish(h, f);
}

/* Refused (REFUSED_STREAM, above a GOAWAY's last_stream_id, or never sent):
 * the server did not process it (RFC 9113 §8.7), so it starts over. */
static void retry(hc_fetch *f, const char *why) {
  int32_t id = f->h2_id;
  f->h2_closed = true;
  detach(f, false);
  if (++f->h2_refusals > MAX_REFUSALS || (f->send_body && f->req.body_producer)) {
    gale__hc_set_error(f, "the server refused HTTP/2 stream %d (%s)%s", (int)id, why,
                       f->h2_refusals > MAX_REFUSALS ? " again"
                                                     : "; a streamed body is not sent twice");
    gale__hc_complete(f, GALE_ECONNRESET, NULL);
    return;
  }
  gale__hc_debug(f, GALE_HTTP_DEBUG_INFO, "HTTP/2 stream %d refused (%s): retrying", (int)id, why);
  gale__hc_start_hop(f);
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *fr, void *arg) {
  hc_h2 *h = arg;
  hc_fetch *f;
  bool end = fr->hd.flags & NGHTTP2_FLAG_END_STREAM;
  (void)s;
  switch (fr->hd.type) {
  case NGHTTP2_HEADERS:
    if (!(f = find(h, fr->hd.stream_id))) break;
    if (!f->h2_final) {
      if (f->h2_code >= 200) head(h, f, end);
      /* else an interim (1xx) answer: the final one follows */
    } else if (end) {
      finish(h, f);
    }
    break;
  case NGHTTP2_DATA:
    if (end && (f = find(h, fr->hd.stream_id)) && f->h2_final) finish(h, f);
    break;
  case NGHTTP2_GOAWAY:
    /* Streams above last_stream_id are closed by nghttp2 as refused (and
     * retried); those below finish.  Nothing new goes here. */
    h->goaway = true;
    set_busy(h);
    if (fr->goaway.error_code != NGHTTP2_NO_ERROR)
      snprintf(h->fail_detail, sizeof h->fail_detail, "after the server's GOAWAY (%s)",
               nghttp2_http2_strerror(fr->goaway.error_code));
    requeue_all(h);
    break;
  case NGHTTP2_SETTINGS:
    if (!(fr->hd.flags & NGHTTP2_FLAG_ACK) && h->wq_head) slot_freed(h);
    break;
  default: break;
  }
  return 0;
}

static int on_data_chunk(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data,
                         size_t len, void *arg) {
  hc_h2 *h = arg;
  hc_fetch *f = find(h, id);
  (void)s;
  (void)flags;
  if (!f || !f->h2_final) return 0;
  f->t_progress = h->now;
  gale__hc_take_body(f, (const char *)data, len);
  return 0;
}

static int on_invalid_frame(nghttp2_session *s, const nghttp2_frame *fr, int lib_error, void *arg) {
  hc_h2 *h = arg;
  hc_fetch *f = fr->hd.stream_id ? find(h, fr->hd.stream_id) : NULL;
  (void)s;
  if (f && !f->h2_malformed) {
    f->h2_malformed = true;
    gale__hc_set_error(f, "malformed HTTP/2 response on stream %d: %s", (int)f->h2_id,
                       nghttp2_strerror(lib_error));
  }
  return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t id, uint32_t code, void *arg) {
  hc_h2 *h = arg;
  hc_fetch *f = find(h, id);
  (void)s;
  if (!f) return 0;
  f->h2_closed = true;
  if (code == NGHTTP2_REFUSED_STREAM && !f->got_byte && !f->h2_malformed) {
    retry(f, h->goaway ? "GOAWAY" : "REFUSED_STREAM");
    return 0;
  }
  if (f->h2_malformed) {
    gale__hc_complete(f, GALE_EHTTP_PARSE, NULL);
  } else if (code != NGHTTP2_NO_ERROR) {
    gale__hc_set_error(f, "the server reset HTTP/2 stream %d: %s%s", (int)id,
                       nghttp2_http2_strerror(code),
                       f->h2_final ? " (in the middle of the body)" : "");
    gale__hc_complete(f, GALE_ECONNRESET, NULL);
  } else if (!f->h2_final) {
    gale__hc_set_error(f, "the server closed HTTP/2 stream %d before the response head", (int)id);
    gale__hc_complete(f, GALE_EOF, NULL);
  } else {
    gale__hc_set_error(f, "the server closed HTTP/2 stream %d after %llu body bytes", (int)id,
                       (unsigned long long)f->wire_body);
    gale__hc_complete(f, GALE_EHTTP_TRUNCATED, NULL);
  }
  return 0;
}

static int on_frame_not_send(nghttp2_session *s, const nghttp2_frame *fr, int lib_error,
                             void *arg) {
  hc_h2 *h = arg;
  hc_fetch *f;
  (void)s;
  if (fr->hd.type != NGHTTP2_HEADERS || fr->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  if ((f = find(h, fr->hd.stream_id))) retry(f, nghttp2_strerror(lib_error));
  return 0;
}

/* What nghttp2 itself sends: a RST_STREAM on a stream still ours means it
 * found the response malformed (Content-Length against DATA, a bad field);
 * a GOAWAY with an error, that the server broke the protocol. */
static int on_frame_send(nghttp2_session *s, const nghttp2_frame *fr, void *arg) {
  hc_h2 *h = arg;
  hc_fetch *f;
  char why[160];
  (void)s;
  if (fr->hd.type == NGHTTP2_RST_STREAM && (f = find(h, fr->hd.stream_id)) && !f->h2_malformed) {
    f->h2_malformed = true;
    gale__hc_set_error(f, "malformed HTTP/2 response on stream %d (reset with %s)", (int)f->h2_id,
                       nghttp2_http2_strerror(fr->rst_stream.error_code));
  } else if (fr->hd.type == NGHTTP2_GOAWAY && fr->goaway.error_code != NGHTTP2_NO_ERROR) {
    snprintf(why, sizeof why, "malformed HTTP/2 frames from the server (GOAWAY %s sent)",
             nghttp2_http2_strerror(fr->goaway.error_code));
    fail_conn(h, GALE_EHTTP_PARSE, why);
  }
  return 0;
}

static nghttp2_session_callbacks *callbacks(void) {
  static nghttp2_session_callbacks *cbs; /* made once, read only after */
  if (cbs || nghttp2_session_callbacks_new(&cbs) != 0) return cbs;
  nghttp2_session_callbacks_set_on_begin_frame_callback(cbs, on_begin_frame);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
  nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cbs, on_invalid_frame);
  nghttp2_session_callbacks_set_on_frame_not_send_callback(cbs, on_frame_not_send);
  nghttp2_session_callbacks_set_on_frame_send_callback(cbs, on_frame_send);
  return cbs;
}

/* ---- the connection ---------------------------------------------------------- */

/* The connection is unusable: every stream fails with `status`; what waits
 * starts over elsewhere. */
static void fail_conn(hc_h2 *h, int status, const char *detail) {
  if (h->failed) return;
  h->failed = true;
  h->goaway = true;
  h->fail_status = status;
  snprintf(h->fail_detail, sizeof h->fail_detail, "%s", detail);
  set_busy(h);
  requeue_all(h);
  while (h->streams) {
    hc_fetch *f = h->streams;
    f->h2_closed = true;
    gale__hc_set_error(f, "%s (stream %d)", detail, (int)f->h2_id);
    gale__hc_complete(f, status, NULL);    /* detaches it */
    if (h->streams == f) detach(f, false); /* cannot happen; no spin */
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
    fail_conn(h, GALE_EHTTP_PARSE, "malformed HTTP/2 frames from the server");
  rc = gale__h2_pump(h->session, h->stream, SIZE_MAX);
  if (rc != GALE_OK && rc != GALE_ECLOSED)
    fail_conn(h, rc == GALE_ENOMEM ? GALE_ENOMEM : GALE_EHTTP_PARSE, "HTTP/2 framing failed");
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
      fail_conn(h, GALE_EHTTP_PARSE, "malformed HTTP/2 frames from the server");
    h->processing = false;
  }
  set_busy(h);
  h->closed = true;
  h->goaway = true;
  unlink_h2(h);
  requeue_all(h);
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
      detach(f, false);
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
    if (h->streams == f) detach(f, false);
  }
  h2_free(h);
}

static hc_h2 *h2_new(gale_http_client *c, hc_conn *conn, const hc_fetch *f) {
  hc_h2 *h = gale__calloc(1, sizeof *h);
  nghttp2_option *opt = NULL;
  nghttp2_session_callbacks *cbs = callbacks();
  size_t mh = max_header(f);
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

/* ---- uploads ---------------------------------------------------------------------- */

int gale__hc_h2_upload_write(hc_fetch *f, const void *data, size_t len) {
  hc_h2 *h = f->h2;
  if (f->h2_queued || !f->h2_up || f->h2_closed) return GALE_ECLOSED;
  if (evbuffer_add(f->h2_up, data, len) != 0) return GALE_ENOMEM;
  f->upload->written += len;
  f->resp.size_upload += len;
  f->upload->in_flight = true; /* until nghttp2 has framed it */
  nghttp2_session_resume_data(h->session, f->h2_id);
  kick(h);
  return GALE_OK;
}

int gale__hc_h2_upload_finish(hc_fetch *f) {
  hc_h2 *h = f->h2;
  if (f->h2_queued || f->h2_closed) return GALE_ECLOSED;
  f->body_sent = true;
  nghttp2_session_resume_data(h->session, f->h2_id);
  kick(h);
  return GALE_OK;
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
