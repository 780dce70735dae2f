/* SPDX-License-Identifier: MIT */
/* A stream's request on an HTTP/2 connection of gale_http_client: the
 * HEADERS (pseudo-headers, the fields gale adds, the caller's lower-cased,
 * connection-specific ones dropped) and the body through nghttp2's data
 * provider, from the caller's buffer or the producer (uploads). */
#include "http/client/http_client_h2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/loop_internal.h"
#include "iostream/stream_internal.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

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

/* Frees what gale__hc_h2_send_request() allocated rather than took from its stack. */
static void release_bufs(nghttp2_nv *nv, nghttp2_nv *nv_s, char *lower, char *lower_s, char *target,
                         char *target_s, char *authority, char *authority_s) {
  if (nv != nv_s) free(nv);
  if (lower != lower_s) free(lower);
  if (target != target_s) free(target);
  if (authority != authority_s) free(authority);
}

int gale__hc_h2_send_request(hc_h2 *h, hc_fetch *f) {
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
    bool def = (gale__hc_is_https(f) && u->port == 443) || (!gale__hc_is_https(f) && u->port == 80);
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
  gale__hc_h2_tab_put(h, f);
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
  hc_fetch *f = gale__hc_h2_find(h, id);
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

/* ---- uploads ---------------------------------------------------------------------- */

int gale__hc_h2_upload_write(hc_fetch *f, const void *data, size_t len) {
  hc_h2 *h = f->h2;
  if (f->h2_queued || !f->h2_up || f->h2_closed) return GALE_ECLOSED;
  if (evbuffer_add(f->h2_up, data, len) != 0) return GALE_ENOMEM;
  f->upload->written += len;
  f->resp.size_upload += len;
  f->upload->in_flight = true; /* until nghttp2 has framed it */
  nghttp2_session_resume_data(h->session, f->h2_id);
  gale__hc_h2_kick(h);
  return GALE_OK;
}

int gale__hc_h2_upload_finish(hc_fetch *f) {
  hc_h2 *h = f->h2;
  if (f->h2_queued || f->h2_closed) return GALE_ECLOSED;
  f->body_sent = true;
  nghttp2_session_resume_data(h->session, f->h2_id);
  gale__hc_h2_kick(h);
  return GALE_OK;
}
