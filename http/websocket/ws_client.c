/* The client side's opening handshake (RFC 6455 §4.1): connect with the
 * TCP client (TLS for wss://), send the upgrade request with a random key,
 * read the answer's head, check it, and hand the stream to a connection
 * in the client role.  Bytes after the head stay buffered for it. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/alloc.h"
#include "gale/tcp_client.h"
#include "gale/tls.h"
#include "gale/url.h"
#include "http/websocket/ws_conn.h"
#include "http/websocket/ws_handshake.h"

#define MAX_HEAD 65536

typedef struct wsc {
  gale_loop *loop;
  gale_future *future;         /* ours until resolved */
  gale_websocket_connect_options o; /* headers/subprotocols not kept */
  gale_tcp_client *tcp, *own_tcp;
  gale_tls_ctx *own_tls;
  gale_tcp_connect *attempt;
  gale_stream *stream;
  gale_timer *timer;
  gale_buf request;
  char *protocols;             /* "a, b" offered, or NULL */
  char accept[29];
  gale_ws_deflate_params deflate; /* agreed, when deflate_on */
  bool deflate_on;
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
  if (c->stream) {
    if (gale_stream_reading(c->stream)) gale_stream_read_stop(c->stream);
    gale_stream_close(c->stream);
  }
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

static void fail(wsc *c, int status) {
  gale_future_set_error(c->future, status);
  wsc_free(c);
}

/* ---- the answer ---------------------------------------------------------------- */

/* The value of header `name` in a head of `len` bytes (NUL-terminated
 * copy into out), or false. */
static bool head_field(const char *head, size_t len, const char *name, char *out, size_t cap) {
  size_t nl = strlen(name);
  const char *p = memchr(head, '\n', len), *end = head + len;
  while (p && p + 1 < end) {
    p++;
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol) break;
    if ((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
      const char *v = p + nl + 1, *ve = eol;
      while (v < ve && (*v == ' ' || *v == '\t')) v++;
      while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t')) ve--;
      size_t n = (size_t)(ve - v);
      if (n >= cap) return false;
      memcpy(out, v, n);
      out[n] = '\0';
      return true;
    }
    p = eol;
  }
  return false;
}

static bool has_token(const char *list, const char *token) {
  size_t n = strlen(token);
  for (const char *p = list; (p = strcasestr(p, token)) != NULL; p += n) {
    bool start = p == list || p[-1] == ',' || p[-1] == ' ';
    bool end = p[n] == '\0' || p[n] == ',' || p[n] == ' ';
    if (start && end) return true;
  }
  return false;
}

/* 0 when the head accepts the upgrade, else the status to fail with;
 * *proto receives the agreed subprotocol (malloc'd) or NULL. */
static int check_answer(wsc *c, const char *head, size_t len, char **proto) {
  *proto = NULL;
  if (len < 12 || memcmp(head, "HTTP/1.1 ", 9) != 0) return GALE_EHTTP_PARSE;
  if (memcmp(head + 9, "101", 3) != 0) return GALE_EHTTP_STATUS;
  char v[256];
  if (!head_field(head, len, "Upgrade", v, sizeof(v)) || !has_token(v, "websocket") ||
      !head_field(head, len, "Connection", v, sizeof(v)) || !has_token(v, "upgrade") ||
      !head_field(head, len, "Sec-WebSocket-Accept", v, sizeof(v)) || strcmp(v, c->accept) != 0)
    return GALE_EHTTP_PARSE;
  /* Only what was offered may be agreed (RFC 6455 §4.1). */
  c->deflate_on = false;
  if (head_field(head, len, "Sec-WebSocket-Extensions", v, sizeof(v))) {
    gale_ws_deflate_options o;
    gale__ws_deflate_options_of(&c->o.ws.compression, &o);
    if (!o.enabled || gale__ws_deflate_accept(v, &o, &c->deflate) != GALE_OK)
      return GALE_EHTTP_PARSE;
    c->deflate_on = true;
  }
  if (head_field(head, len, "Sec-WebSocket-Protocol", v, sizeof(v))) {
    if (!c->protocols || !has_token(c->protocols, v) || strchr(v, ',')) return GALE_EHTTP_PARSE;
    *proto = strdup(v);
    if (!*proto) return GALE_ENOMEM;
  }
  return 0;
}

static void unref_ws(void *ws) {
  gale_websocket_unref(ws);
}

static void got_head(gale_stream *stream, int status, const char *data, size_t len, void *arg) {
  wsc *c = arg;
  if (status != GALE_OK) {
    fail(c, status == GALE_EMAXBYTES ? GALE_EHTTP_PARSE : status);
    return;
  }
  char *proto = NULL;
  int rc = check_answer(c, data, len, &proto);
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

static void connected(int status, gale_stream *stream, void *arg) {
  wsc *c = arg;
  c->attempt = NULL;
  if (status != GALE_OK) {
    fail(c, status);
    return;
  }
  c->stream = stream;
  int rc = gale_stream_write(stream, c->request.data, c->request.len, NULL, NULL);
  if (rc == GALE_OK) rc = gale_stream_read_until(stream, "\r\n\r\n", 4, MAX_HEAD, got_head, c);
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

static bool line_ok(const char *s) {
  return !strpbrk(s, "\r\n") && strchr(s, ':');
}

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
    rc = gale_buf_printf(&list, "%s%s%s", c->protocols ? c->protocols : "", c->protocols ? ", " : "", p);
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

/* Everything that can fail before a callback is due. */
static int start(wsc *c, const char *url, const gale_websocket_connect_options *o) {
  gale_url *u = NULL;
  int rc = gale_url_parse(url, strlen(url), &u);
  if (rc != GALE_OK) return rc;
  bool tls = strcmp(u->scheme, "wss") == 0;
  if (!tls && strcmp(u->scheme, "ws") != 0) rc = GALE_ENOTSUP;
  if (rc == GALE_OK) rc = build_request(c, u, o);
  if (rc == GALE_OK && !o->tcp) rc = gale_tcp_client_new(c->loop, NULL, &c->own_tcp);
  c->tcp = o->tcp ? o->tcp : c->own_tcp;
  gale_tcp_connect_options to;
  gale_tcp_connect_options_init(&to);
  to.connect_timeout = o->connect_timeout;
  if (rc == GALE_OK && tls && !o->tls) rc = gale_tls_ctx_new_client(NULL, &c->own_tls);
  to.tls = tls ? (o->tls ? o->tls : c->own_tls) : NULL;
  if (rc == GALE_OK)
    rc = gale_tcp_client_connect(c->tcp, u->host, u->port, &to, connected, c, &c->attempt);
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
