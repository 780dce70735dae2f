/* SPDX-License-Identifier: MIT */
/* The HTTP/2 connection of gale_http_client, shared by its three files:
 * http_client_h2.c (connections and scheduling), http_client_h2_request.c
 * (a stream's request HEADERS and its body) and http_client_h2_response.c
 * (nghttp2's callbacks: the response side). */
#ifndef GALE_HTTP_CLIENT_H2_H
#define GALE_HTTP_CLIENT_H2_H

#include "http/client/http_client_internal.h"

#include <string.h>

#include <nghttp2/nghttp2.h>

#include "http/h2/h2_wire.h"

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

static inline bool gale__hc_is_https(const hc_fetch *f) {
  return strcmp(f->purl->scheme, "https") == 0;
}

static inline hc_fetch **gale__hc_h2_slot(hc_h2 *h, int32_t id) {
  return &h->tab[((uint32_t)id >> 1) % TAB];
}

/* O(1) through the table; O(streams) for a stream whose slot was taken. */
static inline hc_fetch *gale__hc_h2_find(hc_h2 *h, int32_t id) {
  hc_fetch *f = *gale__hc_h2_slot(h, id);
  if (f && f->h2_id == id) return f;
  for (f = h->streams; f; f = f->h2_next)
    if (f->h2_id == id) return f;
  return NULL;
}

/* Once the stream has its id. */
static inline void gale__hc_h2_tab_put(hc_h2 *h, hc_fetch *f) {
  hc_fetch **s = gale__hc_h2_slot(h, f->h2_id);
  if (!*s) *s = f;
}

static inline void streams_add(hc_h2 *h, hc_fetch *f) {
  f->h2_prev = NULL;
  f->h2_next = h->streams;
  if (h->streams) h->streams->h2_prev = f;
  h->streams = f;
  h->nstreams++;
}

static inline void streams_del(hc_h2 *h, hc_fetch *f) {
  if (f->h2_id > 0 && *gale__hc_h2_slot(h, f->h2_id) == f) *gale__hc_h2_slot(h, f->h2_id) = NULL;
  if (f->h2_prev)
    f->h2_prev->h2_next = f->h2_next;
  else
    h->streams = f->h2_next;
  if (f->h2_next) f->h2_next->h2_prev = f->h2_prev;
  f->h2_prev = f->h2_next = NULL;
  h->nstreams--;
}

static inline void wq_add(hc_h2 *h, hc_fetch *f) {
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

static inline void wq_del(hc_h2 *h, hc_fetch *f) {
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

/* http_client_h2.c: the connection's bookkeeping the other two use. */
/* Frames what was submitted outside a read on a later loop callback. */
GALE_INTERNAL void gale__hc_h2_kick(hc_h2 *h);
/* The limit on a response's field section (max_header_size or default). */
GALE_INTERNAL size_t gale__hc_h2_max_header(const hc_fetch *f);
/* h carries a stream again: no longer idle. */
GALE_INTERNAL void gale__hc_h2_set_busy(hc_h2 *h);
/* Moves every queued fetch off h to start over elsewhere. */
GALE_INTERNAL void gale__hc_h2_requeue_all(hc_h2 *h);
/* Takes f off its connection; `rst` resets a stream still open. */
GALE_INTERNAL void gale__hc_h2_detach(hc_fetch *f, bool rst);
/* A stream ended: submits a queued fetch, or lets h go idle or close. */
GALE_INTERNAL void gale__hc_h2_slot_freed(hc_h2 *h);
/* The connection is unusable: every stream fails with `status`; what
 * waits starts over elsewhere. */
GALE_INTERNAL void gale__hc_h2_fail_conn(hc_h2 *h, int status, const char *detail);

/* http_client_h2_request.c: submits f's request as a new stream of h
 * (HEADERS, and DATA from the buffer or the producer through nghttp2's
 * data provider).  GALE_OK, GALE_ENOMEM, or GALE_EHTTP_PARSE when nghttp2
 * refused it (error set). */
GALE_INTERNAL int gale__hc_h2_send_request(hc_h2 *h, hc_fetch *f);

/* http_client_h2_response.c: nghttp2's callbacks for a client session,
 * one set for every session, made once; NULL when out of memory. */
GALE_INTERNAL nghttp2_session_callbacks *gale__hc_h2_callbacks(void);

#endif
