/* SPDX-License-Identifier: MIT */
/* WebSocket routes of a web app (Tornado's WebSocketHandler): a built-in
 * handler class whose prepare is the WebSocket class's and whose get does
 * the handshake, answers 101 and hands the connection's stream to a
 * gale_websocket (http/websocket/). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "gale/log.h"
#include "http/web/web_internal.h"
#include "http/websocket/ws_conn.h"
#include "http/websocket/ws_handshake.h"

typedef struct ws_route {
  const gale_websocket_class *cls;
  void *args;
  gale_websocket_options opts;
} ws_route;

static ws_route *route_of(gale_web_handler *h) { return h->route->args; }

/* The handler sees the application's route args, not ours. */
static void ws_prepare(gale_web_handler *h) {
  ws_route *wr = route_of(h);
  h->route_args = wr->args;
  if (wr->cls->prepare) wr->cls->prepare(h);
}

static void refuse(gale_web_handler *h, int status, const char *why) {
  gale_log_warning("access", "WebSocket handshake refused with %d: %s", status, why);
  gale_web_set_status(h, status, NULL);
  gale_web_set_header(h, "Content-Type", "text/plain; charset=UTF-8");
  if (status == 426) gale_web_set_header(h, "Sec-WebSocket-Version", "13");
  if (status == 405) gale_web_set_header(h, "Allow", "GET");
  gale_web_write_str(h, why);
  gale_web_finish(h);
}

/* Response headers the handshake writes itself, or that make no sense on
 * a 101. */
static bool own_header(const char *name) {
  static const char *const names[] = {"Content-Type", "Content-Length", "Transfer-Encoding",
                                      "Connection",   "Upgrade",        "Date"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (strcasecmp(name, names[i]) == 0) return true;
  return strncasecmp(name, "Sec-WebSocket-", 14) == 0;
}

/* Negotiates permessage-deflate when the route enables it: true with
 * *params and the answer in `answer` when agreed. */
static bool negotiate_deflate(gale_web_handler *h, const ws_route *wr,
                              gale_ws_deflate_params *params, gale_buf *answer) {
  if (!wr->opts.compression.enabled) return false;
  gale_buf offer;
  gale_buf_init(&offer, 8192);
  size_t count = gale_http_server_request_header_count(h->req);
  for (size_t i = 0; i < count; i++) {
    const char *n, *v;
    if (!gale_http_server_request_header_at(h->req, i, &n, &v)) break;
    if (strcasecmp(n, "Sec-WebSocket-Extensions") != 0) continue;
    if ((offer.len && gale_buf_append(&offer, ", ", 2) != GALE_OK) ||
        gale_buf_append_str(&offer, v) != GALE_OK) {
      gale_buf_release(&offer);
      return false; /* an offer that large is declined */
    }
  }
  gale_ws_deflate_options o;
  gale__ws_deflate_options_of(&wr->opts.compression, &o);
  bool ok = offer.len && gale__ws_deflate_negotiate(offer.data, &o, params, answer);
  gale_buf_release(&offer);
  return ok;
}

static int build_101(gale_web_handler *h, const char *accept, const char *protocol,
                     const char *extensions, gale_buf *out) {
  int rc = gale_buf_printf(out,
                           "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n",
                           accept);
  if (rc == GALE_OK && protocol)
    rc = gale_buf_printf(out, "Sec-WebSocket-Protocol: %s\r\n", protocol);
  if (rc == GALE_OK && extensions)
    rc = gale_buf_printf(out, "Sec-WebSocket-Extensions: %s\r\n", extensions);
  gale_headers *hs = h->req->resp_headers;
  size_t n = gale_headers_count(hs);
  for (size_t i = 0; i < n && rc == GALE_OK; i++) {
    const char *name, *value;
    if (gale_headers_at(hs, i, &name, NULL, &value, NULL) != GALE_OK) break;
    if (!own_header(name)) rc = gale_buf_printf(out, "%s: %s\r\n", name, value);
  }
  size_t dlen;
  const char *date = gale__server_date_line(h->req->server, &dlen);
  if (rc == GALE_OK) rc = gale_buf_append(out, date, dlen);
  if (rc == GALE_OK) rc = gale_buf_append(out, "\r\n", 2);
  return rc;
}

/* The subprotocol the class picks among the offer (a copy), or NULL. */
static char *pick_protocol(gale_web_handler *h, const gale_websocket_class *cls) {
  char buf[1024];
  const char *list[GALE_WS_MAX_PROTOCOLS];
  size_t n = gale__ws_offered_protocols(h->req, buf, sizeof(buf), list, GALE_WS_MAX_PROTOCOLS);
  if (!n || !cls->select_subprotocol) return NULL;
  const char *pick = cls->select_subprotocol(h, list, n);
  if (!pick) return NULL;
  for (size_t i = 0; i < n; i++)
    if (strcmp(pick, list[i]) == 0) return strdup(list[i]);
  gale_log_error("app", "select_subprotocol returned \"%s\", which was not offered", pick);
  return NULL;
}

static bool origin_ok(gale_web_handler *h, const gale_websocket_class *cls) {
  const char *origin = gale_web_header(h, "Origin");
  if (!origin) origin = gale_web_header(h, "Sec-WebSocket-Origin");
  if (!origin) return true; /* not a browser */
  if (cls->check_origin) return cls->check_origin(h, origin);
  return gale__ws_same_origin(origin, gale_web_header(h, "Host"));
}

/* Upgrades: the stream goes to a new gale_websocket, which opens. */
static void upgrade(gale_web_handler *h, ws_route *wr, gale_buf *resp, char *protocol,
                    const gale_ws_deflate_params *deflate) {
  const gale_websocket_class *cls = wr->cls;
  gale_http_server_request *req = h->req;
  gale_http_server_request_set_status(req, 101, NULL);
  gale__server_access_log(req);
  gale_stream *stream = gale__http_server_request_detach(req);
  if (!stream) {
    free(protocol);
    gale_web_send_error(h, 500);
    return;
  }
  gale__ws_events ev = {cls->on_message, cls->on_ping, cls->on_pong, cls->on_close, cls->run};
  gale_websocket *ws = gale__ws_conn_new(stream, true, &wr->opts, &ev, cls->ctx_size);
  if (!ws || (deflate && gale__ws_enable_deflate(ws, deflate) != GALE_OK) ||
      gale_stream_write(stream, resp->data, resp->len, NULL, NULL) != GALE_OK ||
      gale__ws_conn_start(ws) != GALE_OK) {
    free(protocol);
    gale_websocket_unref(ws);
    gale_stream_close(stream);
    return;
  }
  ws->user = wr->args;
  gale__ws_set_subprotocol(ws, protocol);
  gale_websocket_ref(ws);
  if (cls->open) cls->open(ws, h);
  gale__ws_conn_run(ws);
  gale_websocket_unref(ws);
}

static void ws_get(gale_web_handler *h) {
  ws_route *wr = route_of(h);
  const char *why = NULL;
  int st = gale__ws_check_request(h->req, &why);
  if (st) {
    refuse(h, st, why);
    return;
  }
  if (!origin_ok(h, wr->cls)) {
    refuse(h, 403, "cross-origin WebSockets are not allowed");
    return;
  }
  char accept[29];
  if (gale__ws_accept_key(gale_web_header(h, "Sec-WebSocket-Key"), accept) != GALE_OK) {
    gale_web_send_error(h, 500);
    return;
  }
  char *protocol = pick_protocol(h, wr->cls);
  if (h->finished || h->gone) {
    free(protocol);
    return;
  }
  gale_buf resp, ext;
  gale_buf_init(&resp, 0);
  gale_buf_init(&ext, 0);
  gale_ws_deflate_params params;
  bool deflate = negotiate_deflate(h, wr, &params, &ext);
  if (build_101(h, accept, protocol, deflate ? ext.data : NULL, &resp) != GALE_OK) {
    free(protocol);
    gale_web_send_error(h, 500);
  } else {
    upgrade(h, wr, &resp, protocol, deflate ? &params : NULL);
  }
  gale_buf_release(&resp);
  gale_buf_release(&ext);
}

static const gale_web_handler_class ws_web_class = {
    .name = "WebSocket",
    .prepare = ws_prepare,
    .get = ws_get,
    .head = ws_get, /* refused with 405 by the handshake checks */
};

int gale_web_app_add_websocket(gale_web_app *app, const char *pattern,
                               const gale_websocket_class *cls, void *route_args,
                               const gale_websocket_options *opts) {
  if (!app || !pattern || !cls) return GALE_EINVAL;
  if (opts && (opts->ping_interval < 0 || opts->ping_timeout < 0 || opts->close_timeout < 0))
    return GALE_EINVAL;
  ws_route *wr = gale__calloc(1, sizeof(*wr));
  if (!wr) return GALE_ENOMEM;
  wr->cls = cls;
  wr->args = route_args;
  if (opts)
    wr->opts = *opts;
  else
    gale_websocket_options_init(&wr->opts);
  int rc = gale_web_app_add(app, pattern, &ws_web_class, wr, NULL);
  if (rc != GALE_OK) {
    free(wr);
    return rc;
  }
  app->routes[app->nroutes - 1].args_free = free;
  return GALE_OK;
}
