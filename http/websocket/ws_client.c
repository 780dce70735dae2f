/* SPDX-License-Identifier: MIT */
/* The client side's opening handshake (RFC 6455 §4.1): connect with the
 * TCP client (TLS for wss://; through a proxy, a CONNECT tunnel first,
 * http/wire/h1_tunnel.c, and TLS inside it), send the upgrade request with
 * a random key, read the answer's head with the HTTP/1 parser the HTTP
 * client uses (obs-fold unfolded, 1xx skipped), check it strictly, and hand
 * the stream to a connection in the client role.  Bytes after the head
 * stay buffered for it.
 *
 * A connect moves CONNECTING [-> TUNNEL [-> TLS]] -> HANDSHAKE, and is
 * freed from any of them by wsc_free (resolved, failed or cancelled). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/alloc.h"
#include "core/assert.h"
#include "gale/tcp_client.h"
#include "gale/tls.h"
#include "gale/url.h"
#include "http/websocket/ws_conn.h"
#include "http/websocket/ws_handshake.h"
#include "http/wire/h1_client.h"
#include "http/wire/h1_parser.h"

#define MAX_HEAD 65536
#define MAX_FIELDS 100

typedef enum wsc_state { WSC_CONNECTING = 0, WSC_TUNNEL, WSC_TLS, WSC_HANDSHAKE } wsc_state;

#define B(s) GALE__STATE_BIT(s)
static const uint32_t wsc_moves[] = {
    [WSC_CONNECTING] = B(WSC_TUNNEL) | B(WSC_HANDSHAKE),
    [WSC_TUNNEL] = B(WSC_TLS) | B(WSC_HANDSHAKE),
    [WSC_TLS] = B(WSC_HANDSHAKE),
    [WSC_HANDSHAKE] = 0,
};
#undef B

typedef struct wsc {
  gale_loop *loop;
  gale_future *future;              /* ours until resolved */
  gale_websocket_connect_options o; /* headers/subprotocols not kept */
  gale_tcp_client *tcp, *own_tcp;
  gale_tls_ctx *own_tls;
  gale_tcp_connect *attempt;
  gale_stream *stream;
  gale_timer *timer;
  gale_buf request;
  char *protocols; /* "a, b" offered, or NULL */
  char accept[29];
  gale_ws_deflate_params deflate; /* agreed, when deflate_on */
  bool deflate_on;
  bool tls;      /* wss:// */
  uint8_t state; /* wsc_state */
  char *host;    /* the origin's, for TLS inside a tunnel */
  uint16_t port;
  char *proxy_user, *proxy_pass, *proxy_host; /* copies (o.proxy_host points here) */
  gale_h1_tunnel *tunnel;
  double deadline; /* connect_timeout's end (0: none) */
  gale_websocket_connect_info *info;
  gale_h1_parser parser;
} wsc;

void gale_websocket_connect_options_init(gale_websocket_connect_options *o) {
  if (!o) return;
  memset(o, 0, sizeof(*o));
  o->connect_timeout = 20;
  o->request_timeout = 20;
  gale_websocket_options_init(&o->ws);
}

static void wsc_free(wsc *c) {
  if (c->timer) gale_timer_cancel(c->timer);
  if (c->attempt) gale_tcp_connect_cancel(c->attempt);
  gale_h1_tunnel_cancel(c->tunnel);
  if (c->stream) {
    gale_stream_set_close_cb(c->stream, NULL, NULL);
    if (gale_stream_reading(c->stream)) gale_stream_read_stop(c->stream);
    gale_stream_close(c->stream);
  }
  free(c->host);
  free(c->proxy_user);
  free(c->proxy_pass);
  free(c->proxy_host);
  gale_tcp_client_free(c->own_tcp);
  gale_tls_ctx_unref(c->own_tls);
  gale_buf_release(&c->request);
  free(c->protocols);
  if (c->future) {
    gale_future_set_cancel_cb(c->future, NULL, NULL);
    gale_future_unref(c->future);
  }
  free(c);
}

static void set_error(wsc *c, const char *fmt, ...) GALE_PRINTF(2, 3);
static void set_error(wsc *c, const char *fmt, ...) {
  if (!c->info || c->info->error[0]) return; /* the first cause stands */
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->info->error, sizeof(c->info->error), fmt, ap);
  va_end(ap);
}

static void fail(wsc *c, int status) {
  set_error(c, "%s", gale_strerror(status));
  gale_future_set_error(c->future, status);
  wsc_free(c);
}

/* ---- the answer ---------------------------------------------------------------- */

static bool span_is(gale_h1_span s, const char *text) {
  return s.len == strlen(text) && memcmp(s.ptr, text, s.len) == 0;
}

/* Whether any field `name` holds `token` in its list (all the fields of
 * one name form one list, RFC 9110 §5.3). */
static bool fields_have(const gale_h1_msg *m, const char *name, const char *token) {
  for (size_t i = 0; i < m->num_headers; i++) {
    const gale_h1_header *h = &m->headers[i];
    if (h->name.len == strlen(name) && strncasecmp(h->name.ptr, name, h->name.len) == 0 &&
        gale_h1_list_has_token(h->value.ptr, h->value.len, token))
      return true;
  }
  return false;
}

/* The fields named `name`: how many, the first in *first. */
static size_t fields_count(const gale_h1_msg *m, const char *name, const gale_h1_header **first) {
  size_t n = 0;
  *first = NULL;
  for (size_t i = 0; i < m->num_headers; i++) {
    const gale_h1_header *h = &m->headers[i];
    if (h->name.len != strlen(name) || strncasecmp(h->name.ptr, name, h->name.len) != 0) continue;
    if (!n++) *first = h;
  }
  return n;
}

static bool offered(const wsc *c, gale_h1_span name) {
  const char *p = c->protocols;
  while (p && *p) {
    size_t n = strcspn(p, ",");
    if (n == name.len && memcmp(p, name.ptr, n) == 0) return true;
    p += n;
    while (*p == ',' || *p == ' ') p++;
  }
  return false;
}

/* The extensions agreed: every Sec-WebSocket-Extensions field as one list. */
static int check_extensions(wsc *c, const gale_h1_msg *m) {
  gale_buf ext;
  gale_buf_init(&ext, MAX_HEAD);
  int rc = GALE_OK;
  for (size_t i = 0; i < m->num_headers && rc == GALE_OK; i++) {
    const gale_h1_header *h = &m->headers[i];
    if (h->name.len != 24 || strncasecmp(h->name.ptr, "Sec-WebSocket-Extensions", 24) != 0)
      continue;
    if (ext.len) rc = gale_buf_append(&ext, ", ", 2);
    if (rc == GALE_OK) rc = gale_buf_append(&ext, h->value.ptr, h->value.len);
  }
  c->deflate_on = false;
  if (rc == GALE_OK && ext.len) {
    gale_ws_deflate_options o;
    gale__ws_deflate_options_of(&c->o.ws.compression, &o);
    if (!o.enabled || gale__ws_deflate_accept(ext.data, &o, &c->deflate) != GALE_OK) {
      set_error(c, "the server agreed to an extension that was not offered or is invalid: %.80s",
                ext.data);
      rc = GALE_EWS_HANDSHAKE;
    } else {
      c->deflate_on = true;
    }
  }
  gale_buf_release(&ext);
  return rc;
}

/* GALE_OK when the 101 in `m` is ours (RFC 6455 §4.1, the client's list),
 * else GALE_EWS_HANDSHAKE with the cause; *proto: the agreed subprotocol. */
static int check_101(wsc *c, const gale_h1_msg *m, char **proto) {
  const gale_h1_header *h;
  *proto = NULL;
  if (m->version_minor != 1) {
    set_error(c, "the 101 is not HTTP/1.1");
    return GALE_EWS_HANDSHAKE;
  }
  if (!fields_have(m, "Upgrade", "websocket")) {
    set_error(c, "the 101 has no \"Upgrade: websocket\"");
    return GALE_EWS_HANDSHAKE;
  }
  if (!fields_have(m, "Connection", "upgrade")) {
    set_error(c, "the 101 has no \"Connection: upgrade\"");
    return GALE_EWS_HANDSHAKE;
  }
  size_t n = fields_count(m, "Sec-WebSocket-Accept", &h);
  if (n != 1 || !span_is(h->value, c->accept)) {
    set_error(c, "the 101's Sec-WebSocket-Accept is %s",
              n == 0  ? "missing"
              : n > 1 ? "repeated"
                      : "not the key's");
    return GALE_EWS_HANDSHAKE;
  }
  n = fields_count(m, "Sec-WebSocket-Protocol", &h);
  if (n > 1 || (n == 1 && !offered(c, h->value))) {
    set_error(c, "the server chose the subprotocol \"%.*s\", which was not offered",
              (int)(h->value.len > 64 ? 64 : h->value.len), h->value.ptr);
    return GALE_EWS_HANDSHAKE;
  }
  int rc = check_extensions(c, m);
  if (rc == GALE_OK && n == 1) {
    *proto = gale__malloc(h->value.len + 1);
    if (!*proto) return GALE_ENOMEM;
    memcpy(*proto, h->value.ptr, h->value.len);
    (*proto)[h->value.len] = '\0';
  }
  return rc;
}

/* 0 when the head data[0..len) accepts the upgrade, 1 for an interim
 * (1xx) answer to skip, else the status to fail with. */
static int check_answer(wsc *c, const char *data, size_t len, char **proto) {
  *proto = NULL;
  gale_buf copy; /* unfolded in place: the read's bytes are borrowed */
  gale_buf_init(&copy, MAX_HEAD + 1);
  if (gale_buf_append(&copy, data, len) != GALE_OK) return GALE_ENOMEM;
  gale_h1_unfold_state us = {0, 0};
  gale_h1_unfold(copy.data, len, &us);
  gale_h1_header fields[MAX_FIELDS];
  gale_h1_msg m;
  memset(&m, 0, sizeof(m));
  m.headers = fields;
  m.headers_cap = MAX_FIELDS;
  gale_h1_parser_reset(&c->parser, 0);
  int rc = gale_h1_parse_head(&c->parser, copy.data, len, &m);
  if (rc < 0) {
    const char *why = gale_h1_parser_detail(&c->parser);
    set_error(c, "the answer to the handshake is not HTTP: %s", why ? why : gale_strerror(rc));
    rc = rc == GALE_EAGAIN ? GALE_EHTTP_PARSE : rc;
  } else if (m.status != 101 && m.status < 200) {
    rc = 1;
  } else {
    if (c->info) {
      c->info->http_status = m.status;
      snprintf(c->info->reason, sizeof(c->info->reason), "%.*s", (int)m.reason.len,
               m.reason.ptr ? m.reason.ptr : "");
    }
    if (m.status != 101) {
      set_error(c, "the server answered %d %.*s instead of 101 Switching Protocols", m.status,
                (int)(m.reason.len > 80 ? 80 : m.reason.len), m.reason.ptr ? m.reason.ptr : "");
      rc = GALE_EWS_REFUSED;
    } else {
      rc = check_101(c, &m, proto);
    }
  }
  gale_buf_release(&copy);
  return rc;
}

static void unref_ws(void *ws) { gale_websocket_unref(ws); }

static void got_head(gale_stream *stream, int status, const char *data, size_t len, void *arg) {
  wsc *c = arg;
  if (status != GALE_OK) {
    bool partial = gale_stream_read_buffer_size(stream) > 0;
    if (status == GALE_EMAXBYTES)
      set_error(c, "the answer's head is over %d bytes", MAX_HEAD);
    else if (status == GALE_EOF || status == GALE_OK)
      set_error(c, "the server closed the connection %s",
                partial ? "in the middle of its answer" : "before answering the handshake");
    fail(c, status == GALE_EMAXBYTES        ? GALE_EHTTP_HEADER_TOO_LARGE
            : status == GALE_EOF && partial ? GALE_EHTTP_HEAD_TRUNCATED
                                            : status);
    return;
  }
  char *proto = NULL;
  int rc = check_answer(c, data, len, &proto);
  if (rc == 1) { /* an interim answer: the final one follows */
    rc = gale_stream_read_until(stream, "\r\n\r\n", 4, MAX_HEAD, got_head, c);
    if (rc != GALE_OK) fail(c, rc);
    return;
  }
  if (rc) {
    fail(c, rc);
    return;
  }
  gale__ws_events ev = {c->o.on_message, c->o.on_ping, c->o.on_pong, c->o.on_close, c->o.run};
  gale_websocket *ws = gale__ws_conn_new(stream, false, &c->o.ws, &ev, c->o.ctx_size);
  if (!ws || (c->deflate_on && gale__ws_enable_deflate(ws, &c->deflate) != GALE_OK) ||
      gale__ws_conn_start(ws) != GALE_OK) {
    free(proto);
    gale_websocket_unref(ws);
    fail(c, GALE_ENOMEM);
    return;
  }
  c->stream = NULL; /* the connection's now */
  ws->user = c->o.user_data;
  gale__ws_set_subprotocol(ws, proto);
  gale_websocket_ref(ws); /* the future's */
  gale_future_set_result(c->future, ws, unref_ws);
  gale__ws_conn_run(ws);
  wsc_free(c);
}

/* ---- the request --------------------------------------------------------------------- */

static void send_request(wsc *c) {
  gale__transition(c->state, WSC_HANDSHAKE, wsc_moves);
  int rc = gale_stream_write(c->stream, c->request.data, c->request.len, NULL, NULL);
  if (rc == GALE_OK) rc = gale_stream_read_until(c->stream, "\r\n\r\n", 4, MAX_HEAD, got_head, c);
  if (rc != GALE_OK) fail(c, rc);
}

/* What is left of connect_timeout (0: no limit). */
static double connect_left(const wsc *c) {
  if (c->deadline <= 0) return 0;
  double left = c->deadline - gale_loop_time(c->loop);
  return left < 0.001 ? 0.001 : left;
}

static void on_tls(gale_stream *stream, int status, void *arg) {
  wsc *c = arg;
  if (status != GALE_OK) {
    const char *why = gale_stream_tls_error(stream);
    set_error(c, "TLS handshake with %s inside the proxy tunnel failed: %s", c->host,
              why && *why ? why : gale_strerror(status));
    fail(c, status);
    return;
  }
  send_request(c);
}

static void on_tunnel(const gale_h1_tunnel_result *r, void *arg) {
  wsc *c = arg;
  c->tunnel = NULL;
  if (c->info) c->info->proxy_status = r->proxy_status;
  if (r->status != GALE_OK) {
    set_error(c, "%s", r->error);
    fail(c, r->status);
    return;
  }
  if (!c->tls) {
    send_request(c);
    return;
  }
  gale__transition(c->state, WSC_TLS, wsc_moves);
  gale_tls_ctx *ctx = c->o.tls ? c->o.tls : c->own_tls;
  int rc = gale_stream_start_tls(c->stream, ctx, false, c->host, connect_left(c), on_tls, c);
  if (rc != GALE_OK) fail(c, rc);
}

/* The stream closed before the connection took it: the tunnel reports
 * its own failure; the TLS handshake and the read of the answer have
 * already reported theirs (their callbacks run before this one). */
static void early_close(gale_stream *stream, int reason, void *arg) {
  (void)stream;
  wsc *c = arg;
  c->stream = NULL;
  if (c->tunnel) gale_h1_tunnel_closed(c->tunnel, reason);
}

static void connected(int status, gale_stream *stream, void *arg) {
  wsc *c = arg;
  c->attempt = NULL;
  if (status != GALE_OK) {
    if (c->o.proxy_host)
      set_error(c, "cannot connect to the proxy %s: %s", c->o.proxy_host, gale_strerror(status));
    fail(c, status);
    return;
  }
  c->stream = stream;
  gale_stream_set_close_cb(stream, early_close, c);
  if (!c->o.proxy_host) {
    send_request(c);
    return;
  }
  gale__transition(c->state, WSC_TUNNEL, wsc_moves);
  gale_h1_tunnel_options t = {.host = c->host,
                              .port = c->port,
                              .username = c->proxy_user,
                              .password = c->proxy_pass,
                              .proxy_name = c->o.proxy_host,
                              .timeout = connect_left(c)};
  int rc = gale_h1_tunnel_start(stream, &t, on_tunnel, c, &c->tunnel);
  if (rc != GALE_OK) fail(c, rc);
}

static void timed_out(gale_loop *loop, void *arg) {
  (void)loop;
  wsc *c = arg;
  c->timer = NULL;
  fail(c, GALE_ETIMEDOUT_REQUEST);
}

static void cancelled(gale_future *f, void *arg) {
  (void)f;
  wsc_free(arg);
}

static bool line_ok(const char *s) { return !strpbrk(s, "\r\n") && strchr(s, ':'); }

static int build_request(wsc *c, const gale_url *u, const gale_websocket_connect_options *o) {
  unsigned char raw[16];
  char key[25];
  if (RAND_bytes(raw, sizeof(raw)) != 1) return GALE_ENOMEM;
  EVP_EncodeBlock((unsigned char *)key, raw, sizeof(raw));
  if (gale__ws_accept_key(key, c->accept) != GALE_OK) return GALE_ENOMEM;
  gale_buf *b = &c->request;
  bool v6 = u->host_is_ipv6;
  int rc = gale_buf_printf(b, "GET %s%s%s HTTP/1.1\r\nHost: %s%s%s", u->path, u->query ? "?" : "",
                           u->query ? u->query : "", v6 ? "[" : "", u->host, v6 ? "]" : "");
  if (rc == GALE_OK && u->port_explicit) rc = gale_buf_printf(b, ":%u", (unsigned)u->port);
  if (rc == GALE_OK)
    rc = gale_buf_printf(b,
                         "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n",
                         key);
  for (size_t i = 0; rc == GALE_OK && o->subprotocols && o->subprotocols[i]; i++) {
    const char *p = o->subprotocols[i];
    if (!*p || strpbrk(p, "\r\n, ")) return GALE_EINVAL;
    gale_buf list;
    gale_buf_init(&list, 0);
    rc = gale_buf_printf(&list, "%s%s%s", c->protocols ? c->protocols : "",
                         c->protocols ? ", " : "", p);
    free(c->protocols);
    c->protocols = rc == GALE_OK ? gale_buf_take(&list, NULL) : NULL;
    gale_buf_release(&list);
    if (rc == GALE_OK && !c->protocols) rc = GALE_ENOMEM;
  }
  if (rc == GALE_OK && c->protocols)
    rc = gale_buf_printf(b, "Sec-WebSocket-Protocol: %s\r\n", c->protocols);
  gale_ws_deflate_options d;
  gale__ws_deflate_options_of(&o->ws.compression, &d);
  if (rc == GALE_OK && d.enabled) {
    gale_buf offer;
    gale_buf_init(&offer, 1024);
    rc = gale__ws_deflate_offer(&d, &offer);
    if (rc == GALE_OK) rc = gale_buf_printf(b, "Sec-WebSocket-Extensions: %s\r\n", offer.data);
    gale_buf_release(&offer);
  }
  for (size_t i = 0; rc == GALE_OK && o->headers && o->headers[i]; i++) {
    if (!line_ok(o->headers[i])) return GALE_EINVAL;
    rc = gale_buf_printf(b, "%s\r\n", o->headers[i]);
  }
  if (rc == GALE_OK) rc = gale_buf_append(b, "\r\n", 2);
  return rc;
}

static int copy_str(const char *s, char **out) {
  *out = NULL;
  if (!s) return GALE_OK;
  if (strpbrk(s, "\r\n")) return GALE_EINVAL;
  *out = gale__malloc(strlen(s) + 1);
  if (!*out) return GALE_ENOMEM;
  memcpy(*out, s, strlen(s) + 1);
  return GALE_OK;
}

/* Everything that can fail before a callback is due. */
static int start(wsc *c, const char *url, const gale_websocket_connect_options *o) {
  gale_url *u = NULL;
  int rc = gale_url_parse(url, strlen(url), &u);
  if (rc != GALE_OK) return rc;
  bool tls = strcmp(u->scheme, "wss") == 0;
  c->tls = tls;
  c->port = (uint16_t)u->port;
  if (!tls && strcmp(u->scheme, "ws") != 0) rc = GALE_ENOTSUP;
  if (rc == GALE_OK) rc = build_request(c, u, o);
  if (rc == GALE_OK) rc = copy_str(u->host, &c->host);
  if (rc == GALE_OK) rc = copy_str(o->proxy_username, &c->proxy_user);
  if (rc == GALE_OK && o->proxy_username) rc = copy_str(o->proxy_password, &c->proxy_pass);
  if (rc == GALE_OK && o->proxy_host &&
      (!*o->proxy_host || strpbrk(o->proxy_host, "\r\n") || o->proxy_port < 0 ||
       o->proxy_port > 65535))
    rc = GALE_EINVAL;
  if (rc == GALE_OK) rc = copy_str(o->proxy_host, &c->proxy_host);
  c->o.proxy_host = c->proxy_host;
  if (rc == GALE_OK && !o->tcp) rc = gale_tcp_client_new(c->loop, NULL, &c->own_tcp);
  c->tcp = o->tcp ? o->tcp : c->own_tcp;
  gale_tcp_connect_options to;
  gale_tcp_connect_options_init(&to);
  to.connect_timeout = o->connect_timeout;
  if (o->connect_timeout > 0) c->deadline = gale_loop_time(c->loop) + o->connect_timeout;
  if (rc == GALE_OK && tls && !o->tls) rc = gale_tls_ctx_new_client(NULL, &c->own_tls);
  /* Through a proxy, TLS starts inside the tunnel (on_tunnel). */
  to.tls = tls && !o->proxy_host ? (o->tls ? o->tls : c->own_tls) : NULL;
  const char *host = o->proxy_host ? o->proxy_host : u->host;
  int port = o->proxy_host ? (o->proxy_port ? o->proxy_port : 8080) : u->port;
  if (rc == GALE_OK)
    rc = gale_tcp_client_connect(c->tcp, host, port, &to, connected, c, &c->attempt);
  gale_url_free(u);
  return rc;
}

gale_future *gale_websocket_connect(gale_loop *loop, const char *url,
                                    const gale_websocket_connect_options *opts, int *status_out) {
  gale_websocket_connect_options dflt;
  if (!opts) {
    gale_websocket_connect_options_init(&dflt);
    opts = &dflt;
  }
  int rc = !loop || !url || opts->connect_timeout < 0 || opts->request_timeout < 0 ? GALE_EINVAL
                                                                                   : GALE_OK;
  wsc *c = rc == GALE_OK ? gale__calloc(1, sizeof(*c)) : NULL;
  if (rc == GALE_OK && !c) rc = GALE_ENOMEM;
  if (c) {
    c->loop = loop;
    c->o = *opts;
    c->o.headers = c->o.subprotocols = NULL;
    c->o.proxy_username = c->o.proxy_password = NULL; /* copied in start */
    c->info = opts->info;
    if (c->info) memset(c->info, 0, sizeof(*c->info));
    gale_h1_parser_init(&c->parser, GALE_H1_RESPONSE, NULL);
    gale_buf_init(&c->request, MAX_HEAD);
    c->future = gale_future_new(loop);
    rc = c->future ? start(c, url, opts) : GALE_ENOMEM;
    if (rc == GALE_OK && opts->request_timeout > 0)
      rc = gale_loop_call_later(loop, opts->request_timeout, timed_out, c, &c->timer);
  }
  if (status_out) *status_out = rc;
  if (rc != GALE_OK) {
    if (c) wsc_free(c);
    return NULL;
  }
  gale_future *f = gale_future_ref(c->future);
  gale_future_set_cancel_cb(f, cancelled, c);
  return f;
}
