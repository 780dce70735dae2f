/* https through an HTTP proxy: a CONNECT tunnel (RFC 9110 §9.3.6), then
 * TLS with the origin inside it.  Plain http goes to the proxy in absolute
 * form and needs nothing here. */
#include "http/client/http_client_internal.h"
#include "core/alloc.h"
#include "http/wire/h1_head.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iostream/stream_internal.h"

static void on_proxy_timeout(gale_loop *loop, void *arg) {
  hc_fetch *f = arg;
  (void)loop;
  f->proxy_timer = NULL;
  gale__hc_set_error(f, "the proxy %s did not answer CONNECT within connect_timeout (%.3g s)",
                     f->req.proxy_host, f->req.connect_timeout);
  gale__hc_complete(f, GALE_ETIMEDOUT_CONNECT, NULL);
}

void gale__hc_proxy_start(hc_fetch *f) {
  struct evbuffer *out = gale__stream_output(f->conn->stream);
  const gale_url *u = f->purl;
  const char *open = u->host_is_ipv6 ? "[" : "", *close = u->host_is_ipv6 ? "]" : "";
  gale_h1_limits lim;
  int st;
  gale__hc_set_state(f, HC_PROXY);
  if (!out) {
    gale__hc_complete(f, GALE_ECLOSED, NULL);
    return;
  }
  /* The authority form (RFC 9110 §9.3.6), the same in the Host field. */
  size_t room = strlen(u->host) + sizeof "[]:65535";
  char *authority = gale__malloc(room), *pa = NULL;
  if (!authority || (f->req.proxy_username &&
                     !(pa = gale__hc_basic_auth(f->req.proxy_username, f->req.proxy_password)))) {
    free(authority);
    gale__hc_complete(f, GALE_ENOMEM, NULL);
    return;
  }
  int alen = snprintf(authority, room, "%s%s%s:%u", open, u->host, close, (unsigned)u->port);
  gale_h1_head h;
  gale_h1_head_init(&h, out,
                    GALE_H1_REQUEST_LINE_SIZE(7, alen) + GALE_H1_FIELD_SIZE(4, alen) +
                        (pa ? GALE_H1_FIELD_SIZE(19, strlen(pa)) : 0) + GALE_H1_HEAD_END_SIZE);
  gale_h1_head_request_line(&h, "CONNECT", 7, authority, (size_t)alen, NULL, 0);
  gale_h1_head_field(&h, "Host", 4, authority, (size_t)alen);
  if (pa) gale_h1_head_field(&h, "Proxy-Authorization", 19, pa, strlen(pa));
  free(pa);
  free(authority);
  ssize_t wrote = gale_h1_head_finish(&h);
  if (wrote < 0) {
    gale__hc_complete(f, (int)wrote, NULL);
    return;
  }
  gale__hc_debug(f, GALE_HTTP_DEBUG_INFO, "Establish HTTP proxy tunnel to %s%s%s:%u", open,
                 u->host, close, (unsigned)u->port);
  gale_h1_limits_init(&lim);
  gale_h1_parser_init(&f->parser, GALE_H1_RESPONSE, &lim);
  gale_h1_parser_reset(&f->parser, GALE_H1_F_CONNECT_REQUEST);
  memset(&f->msg, 0, sizeof f->msg);
  f->msg.headers = f->hbuf;
  f->msg.headers_cap = HC_MAX_HEADERS;
  st = gale__stream_set_data_cb(f->conn->stream, gale__hc_data, f->conn);
  if (st != GALE_OK) {
    gale__hc_complete(f, st, NULL);
    return;
  }
  /* The tunnel is part of connecting: what is left of connect_timeout. */
  if (f->req.connect_timeout > 0 &&
      gale_loop_call_later(f->loop, gale__hc_connect_left(f), on_proxy_timeout, f,
                           &f->proxy_timer) != GALE_OK) {
    gale__hc_complete(f, GALE_ENOMEM, NULL);
    return;
  }
  gale__stream_flush(f->conn->stream, NULL, NULL);
}

void gale__hc_proxy_data(hc_fetch *f, struct evbuffer *in) {
  size_t len = evbuffer_get_length(in);
  const char *p;
  int r, st;
  if (!len) return;
  if (len > 65537) len = 65537;
  p = (const char *)evbuffer_pullup(in, (ssize_t)len);
  if (!p) {
    gale__hc_complete(f, GALE_ENOMEM, NULL);
    return;
  }
  r = gale_h1_parse_head(&f->parser, p, len, &f->msg);
  if (r == GALE_EAGAIN) return;
  if (f->proxy_timer && !(r >= 0 && f->msg.status >= 100 && f->msg.status < 200))
    gale_timer_cancel(f->proxy_timer), f->proxy_timer = NULL;
  if (r < 0) {
    gale__hc_set_error(f, "bad answer from the proxy to CONNECT");
    gale__hc_complete(f, GALE_EHTTP_PROXY, NULL);
    return;
  }
  if (f->msg.status >= 100 && f->msg.status < 200) {
    evbuffer_drain(in, (size_t)r);
    gale_h1_parser_reset(&f->parser, GALE_H1_F_CONNECT_REQUEST);
    gale__hc_proxy_data(f, in);
    return;
  }
  if (f->msg.status < 200 || f->msg.status >= 300) {
    gale__hc_set_error(f, "the proxy answered %d %.*s to CONNECT", f->msg.status,
                       (int)f->msg.reason.len, f->msg.reason.ptr ? f->msg.reason.ptr : "");
    gale__hc_complete(f, GALE_EHTTP_PROXY, NULL);
    return;
  }
  evbuffer_drain(in, (size_t)r);
  if (evbuffer_get_length(in)) {
    gale__hc_set_error(f, "the proxy sent data after its CONNECT answer");
    gale__hc_complete(f, GALE_EHTTP_PROXY, NULL);
    return;
  }
  st = gale__stream_set_data_cb(f->conn->stream, NULL, NULL);
  if (st != GALE_OK) {
    gale__hc_complete(f, st, NULL);
    return;
  }
  gale__hc_debug(f, GALE_HTTP_DEBUG_INFO, "CONNECT phase completed");
  gale__hc_set_state(f, HC_CONNECTING);
  gale__hc_tunnel_ready(f);
}
