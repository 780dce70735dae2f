/* SPDX-License-Identifier: MIT */
/* https through an HTTP proxy: a CONNECT tunnel (RFC 9110 §9.3.6,
 * http/wire/h1_tunnel.c, the one the WebSocket client uses too), then TLS
 * with the origin inside it.  Plain http goes to the proxy in absolute
 * form and needs nothing here. */
#include "http/client/http_client_internal.h"
#include "http/wire/h1_client.h"

static void on_tunnel(const gale_h1_tunnel_result *r, void *arg) {
  hc_fetch *f = arg;
  f->proxy_tunnel = NULL;
  if (r->status != GALE_OK) {
    gale__hc_set_error(f, "%s", r->error);
    gale__hc_complete(f, r->status, NULL);
    return;
  }
  gale__hc_debug(f, GALE_HTTP_DEBUG_INFO, "CONNECT phase completed");
  gale__hc_set_state(f, HC_CONNECTING);
  gale__hc_tunnel_ready(f);
}

void gale__hc_proxy_start(hc_fetch *f) {
  const gale_url *u = f->purl;
  const char *open = u->host_is_ipv6 ? "[" : "", *close = u->host_is_ipv6 ? "]" : "";
  gale_h1_tunnel_options o = {
      .host = u->host,
      .port = (uint16_t)u->port,
      .username = f->req.proxy_username,
      .password = f->req.proxy_username ? f->req.proxy_password : NULL,
      .proxy_name = f->req.proxy_host,
      /* The tunnel is part of connecting: what is left of connect_timeout. */
      .timeout = gale__hc_connect_left(f),
  };
  gale__hc_set_state(f, HC_PROXY);
  gale__hc_debug(f, GALE_HTTP_DEBUG_INFO, "Establish HTTP proxy tunnel to %s%s%s:%u", open, u->host,
                 close, (unsigned)u->port);
  int st = gale_h1_tunnel_start(f->conn->stream, &o, on_tunnel, f, &f->proxy_tunnel);
  if (st != GALE_OK) gale__hc_complete(f, st, NULL);
}

void gale__hc_proxy_closed(hc_fetch *f, int reason) {
  gale_h1_tunnel *t = f->proxy_tunnel;
  if (!t) {
    gale__hc_complete(f, gale__hc_stream_error(f, reason), NULL);
    return;
  }
  gale_h1_tunnel_closed(t, reason); /* on_tunnel reports */
}

void gale__hc_proxy_cancel(hc_fetch *f) {
  gale_h1_tunnel_cancel(f->proxy_tunnel);
  f->proxy_tunnel = NULL;
}
