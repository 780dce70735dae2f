/* SPDX-License-Identifier: MIT */
/* The CONNECT tunnel through an HTTP proxy (RFC 9110 §9.3.6), shared by
 * the HTTP client (https:// through a proxy) and the WebSocket client
 * (ws:// and wss://); see h1_client.h. */
#include "http/wire/h1_client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/alloc.h"
#include "gale/loop.h"
#include "http/wire/h1_head.h"
#include "http/wire/h1_parser.h"
#include "iostream/stream_internal.h"

/* A proxy's answer to CONNECT is a status line and a few fields. */
#define TUNNEL_MAX_HEADERS 64
#define TUNNEL_MAX_HEAD 16384

struct gale_h1_tunnel {
  gale_stream *stream;
  gale_loop *loop;
  gale_timer *timer;
  gale_h1_tunnel_cb cb;
  void *arg;
  char *proxy_name; /* for the sentences */
  double timeout;
  gale_h1_parser parser;
  gale_h1_unfold_state unfold;
  gale_h1_header headers[TUNNEL_MAX_HEADERS];
};

static void tunnel_free(gale_h1_tunnel *t) {
  if (t->timer) gale_timer_cancel(t->timer);
  if (t->stream && !gale_stream_closed(t->stream)) gale__stream_set_data_cb(t->stream, NULL, NULL);
  free(t->proxy_name);
  free(t);
}

/* Reports `r` (status and sentence filled by the caller) and frees the
 * tunnel first, so the callback may do anything with the stream. */
static void report(gale_h1_tunnel *t, gale_h1_tunnel_result *r) {
  gale_h1_tunnel_cb cb = t->cb;
  void *arg = t->arg;
  tunnel_free(t);
  cb(r, arg);
}

static void fail(gale_h1_tunnel *t, gale_h1_tunnel_result *r, int status, const char *fmt, ...)
    GALE_PRINTF(4, 5);
static void fail(gale_h1_tunnel *t, gale_h1_tunnel_result *r, int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->error, sizeof r->error, fmt, ap);
  va_end(ap);
  r->status = status;
  report(t, r);
}

static void result_init(gale_h1_tunnel_result *r) { memset(r, 0, sizeof *r); }

static void on_timeout(gale_loop *loop, void *arg) {
  gale_h1_tunnel *t = arg;
  gale_h1_tunnel_result r;
  (void)loop;
  t->timer = NULL;
  result_init(&r);
  fail(t, &r, GALE_ETIMEDOUT_CONNECT, "%s did not answer CONNECT within %.3g s", t->proxy_name,
       t->timeout);
}

/* A complete final answer of `n` head bytes in msg. */
static void answered(gale_h1_tunnel *t, struct evbuffer *in, const gale_h1_msg *m, size_t n,
                     gale_h1_tunnel_result *r) {
  r->proxy_status = m->status;
  snprintf(r->reason, sizeof r->reason, "%.*s", (int)m->reason.len,
           m->reason.ptr ? m->reason.ptr : "");
  if (m->status == 407) {
    fail(t, r, GALE_EHTTP_PROXY, "%s requires authentication: 407 %s to CONNECT", t->proxy_name,
         r->reason);
    return;
  }
  if (m->status < 200 || m->status >= 300) {
    fail(t, r, GALE_EHTTP_PROXY, "%s answered %d %s to CONNECT", t->proxy_name, m->status,
         r->reason);
    return;
  }
  evbuffer_drain(in, n);
  /* Nothing was sent into the tunnel yet: the origin cannot have spoken. */
  if (evbuffer_get_length(in)) {
    fail(t, r, GALE_EHTTP_PROXY, "%s sent data after its %d answer to CONNECT", t->proxy_name,
         m->status);
    return;
  }
  r->status = GALE_OK;
  report(t, r);
}

static void on_data(gale_stream *stream, struct evbuffer *in, void *arg) {
  gale_h1_tunnel *t = arg;
  gale_h1_tunnel_result r;
  (void)stream;
  result_init(&r);
  for (;;) {
    size_t len = evbuffer_get_length(in);
    if (!len) return;
    if (len > TUNNEL_MAX_HEAD + 1) len = TUNNEL_MAX_HEAD + 1;
    char *p = (char *)evbuffer_pullup(in, (ev_ssize_t)len);
    if (!p) {
      fail(t, &r, GALE_ENOMEM, "out of memory reading the answer of %s", t->proxy_name);
      return;
    }
    gale_h1_msg m;
    memset(&m, 0, sizeof m);
    m.headers = t->headers;
    m.headers_cap = TUNNEL_MAX_HEADERS;
    gale_h1_unfold(p, len, &t->unfold);
    int n = gale_h1_parse_head(&t->parser, p, len, &m);
    if (n == GALE_EAGAIN) return;
    if (n < 0) {
      const char *why = gale_h1_parser_detail(&t->parser);
      fail(t, &r, GALE_EHTTP_PROXY, "bad answer from %s to CONNECT: %s", t->proxy_name,
           why ? why : gale_strerror(n));
      return;
    }
    if (m.status >= 200 || m.status == 101) {
      answered(t, in, &m, (size_t)n, &r);
      return;
    }
    /* 1xx: an interim answer; the final one follows. */
    evbuffer_drain(in, (size_t)n);
    gale_h1_parser_reset(&t->parser, GALE_H1_F_CONNECT_REQUEST);
    memset(&t->unfold, 0, sizeof t->unfold);
  }
}

void gale_h1_tunnel_closed(gale_h1_tunnel *t, int reason) {
  gale_h1_tunnel_result r;
  if (!t) return;
  result_init(&r);
  struct evbuffer *in = gale__stream_input(t->stream);
  bool partial = in && evbuffer_get_length(in) > 0;
  t->stream = NULL; /* closed: its hook goes with it */
  if (reason == GALE_OK || reason == GALE_EOF || reason == GALE_ECANCELLED)
    fail(t, &r, partial ? GALE_EHTTP_HEAD_TRUNCATED : GALE_EOF, "%s closed the connection %s",
         t->proxy_name,
         partial ? "in the middle of its answer to CONNECT" : "before answering CONNECT");
  else
    fail(t, &r, reason, "the connection to %s failed before the tunnel opened: %s", t->proxy_name,
         gale_strerror(reason));
}

void gale_h1_tunnel_cancel(gale_h1_tunnel *t) {
  if (t) tunnel_free(t);
}

static bool clean(const char *s) { return !s || !strpbrk(s, "\r\n"); }

/* "Basic base64(user:pass)", malloc'd, or NULL (out of memory). */
static char *basic(const char *user, const char *pass) {
  size_t ul = strlen(user), pl = pass ? strlen(pass) : 0, n = ul + 1 + pl;
  char *plain = gale__malloc(n + 1), *out;
  if (!plain) return NULL;
  memcpy(plain, user, ul);
  plain[ul] = ':';
  if (pl) memcpy(plain + ul + 1, pass, pl);
  out = gale__malloc(6 + 4 * ((n + 2) / 3) + 1);
  if (out) {
    memcpy(out, "Basic ", 6);
    EVP_EncodeBlock((unsigned char *)out + 6, (unsigned char *)plain, (int)n);
  }
  OPENSSL_cleanse(plain, n);
  free(plain);
  return out;
}

/* The CONNECT request into the stream's output. */
static int write_request(gale_stream *stream, const gale_h1_tunnel_options *o) {
  struct evbuffer *out = gale__stream_output(stream);
  if (!out) return GALE_ECLOSED;
  bool v6 = strchr(o->host, ':') != NULL;
  /* The authority form, the same in the Host field. */
  size_t room = strlen(o->host) + sizeof "[]:65535";
  char *authority = gale__malloc(room), *pa = NULL;
  if (!authority || (o->username && !(pa = basic(o->username, o->password)))) {
    free(authority);
    return GALE_ENOMEM;
  }
  int alen = snprintf(authority, room, "%s%s%s:%u", v6 ? "[" : "", o->host, v6 ? "]" : "",
                      (unsigned)o->port);
  gale_h1_head h;
  gale_h1_head_init(&h, out,
                    GALE_H1_REQUEST_LINE_SIZE(7, alen) + GALE_H1_FIELD_SIZE(4, alen) +
                        (pa ? GALE_H1_FIELD_SIZE(19, strlen(pa)) : 0) + GALE_H1_HEAD_END_SIZE);
  gale_h1_head_request_line(&h, "CONNECT", 7, authority, (size_t)alen, NULL, 0);
  gale_h1_head_field(&h, "Host", 4, authority, (size_t)alen);
  if (pa) gale_h1_head_field(&h, "Proxy-Authorization", 19, pa, strlen(pa));
  if (pa) OPENSSL_cleanse(pa, strlen(pa));
  free(pa);
  free(authority);
  ssize_t wrote = gale_h1_head_finish(&h);
  return wrote < 0 ? (int)wrote : GALE_OK;
}

int gale_h1_tunnel_start(gale_stream *stream, const gale_h1_tunnel_options *o, gale_h1_tunnel_cb cb,
                         void *arg, gale_h1_tunnel **out) {
  if (out) *out = NULL;
  if (!stream || !o || !o->host || !*o->host || !cb || !out || o->timeout < 0 || !clean(o->host) ||
      !clean(o->username) || !clean(o->password) || (o->password && !o->username))
    return GALE_EINVAL;
  if (gale_stream_closed(stream)) return GALE_ECLOSED;
  gale_h1_tunnel *t = gale__calloc(1, sizeof *t);
  if (!t) return GALE_ENOMEM;
  t->stream = stream;
  t->loop = gale_stream_loop(stream);
  t->cb = cb;
  t->arg = arg;
  t->timeout = o->timeout;
  size_t nl = o->proxy_name ? strlen(o->proxy_name) : 0;
  t->proxy_name = gale__malloc(nl + sizeof "the proxy ");
  if (!t->proxy_name) {
    free(t);
    return GALE_ENOMEM;
  }
  snprintf(t->proxy_name, nl + sizeof "the proxy ", "the proxy%s%s", nl ? " " : "",
           nl ? o->proxy_name : "");
  gale_h1_limits lim;
  gale_h1_limits_init(&lim);
  lim.max_header_size = TUNNEL_MAX_HEAD;
  gale_h1_parser_init(&t->parser, GALE_H1_RESPONSE, &lim);
  gale_h1_parser_reset(&t->parser, GALE_H1_F_CONNECT_REQUEST);
  int st = gale__stream_set_data_cb(stream, on_data, t);
  if (st != GALE_OK) {
    t->stream = NULL;
    tunnel_free(t);
    return st;
  }
  st = write_request(stream, o);
  if (st == GALE_OK && o->timeout > 0)
    st = gale_loop_call_later(t->loop, o->timeout, on_timeout, t, &t->timer);
  if (st == GALE_OK) st = gale__stream_flush(stream, NULL, NULL);
  if (st != GALE_OK) {
    tunnel_free(t);
    return st;
  }
  *out = t;
  return GALE_OK;
}
