/* SPDX-License-Identifier: MIT */
/* The connection pool: idle keep-alive connections per key, their idle
 * timeout, the TLS contexts shared by connections, and opening new
 * connections through gale_tcp_client with each phase timed. */
#include "http/client/http_client_internal.h"

#include "core/assert.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "gale/tcp_client.h"
#include "iostream/stream_internal.h"

/* ---- keys ---------------------------------------------------------------- */

/* Everything that makes two connections interchangeable (HARDENING.md):
 * scheme, host, port, proxy, TLS settings, address family and source.
 * Built by hand, not with asprintf, in one pass into the fetch's key_room:
 * it runs once per request, and the printf machinery was an eighth of the
 * client's cost per request.  Writes stop at `cap` but the count goes on,
 * so a key that does not fit is measured by the same pass. */
typedef struct key_writer {
  char *out;
  size_t cap, n;
} key_writer;

static void key_bytes(key_writer *w, const char *s, size_t len) {
  if (w->n + len <= w->cap) memcpy(w->out + w->n, s, len);
  w->n += len;
}

static void key_put(key_writer *w, const char *s) {
  if (s) key_bytes(w, s, strlen(s));
}

static void key_char(key_writer *w, char ch) {
  if (w->n < w->cap) w->out[w->n] = ch;
  w->n++;
}

/* Digits of v in base 10 or 16, most significant first. */
static void key_num(key_writer *w, uintmax_t v, unsigned base) {
  char tmp[3 * sizeof v];
  size_t k = sizeof tmp;
  do {
    tmp[--k] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v);
  key_bytes(w, tmp + k, sizeof tmp - k);
}

static void key_write(const hc_fetch *f, key_writer *w) {
  const gale_http_request *r = &f->req;
  const gale_url *u = f->purl;
  key_put(w, u->scheme);
  key_bytes(w, "://", 3);
  key_put(w, u->host);
  key_char(w, ':');
  key_num(w, u->port, 10);
  key_char(w, '|');
  key_put(w, r->proxy_host);
  key_char(w, ':');
  key_num(w, r->proxy_host ? (r->proxy_port ? (unsigned)r->proxy_port : 8080u) : 0u, 10);
  key_char(w, '|');
  key_put(w, r->proxy_username);
  key_char(w, '|');
  key_char(w, r->allow_ipv4 ? '1' : '0');
  key_char(w, r->allow_ipv6 ? '1' : '0');
  key_char(w, '|');
  key_put(w, r->network_interface);
  key_char(w, '|');
  if (strcmp(u->scheme, "https") == 0) key_char(w, r->validate_cert ? 'v' : 'k');
  key_char(w, '|');
  key_put(w, r->ca_certs);
  key_char(w, '|');
  key_num(w, (uintmax_t)(uintptr_t)r->tls_ctx, 16);
  key_char(w, '|');
  key_put(w, r->client_cert);
  key_char(w, '|');
  key_put(w, r->connect_to_host);
  key_char(w, ':');
  key_num(w, r->connect_to_port > 0 ? (unsigned)r->connect_to_port : 0u, 10);
  key_char(w, '|');
  key_char(w, gale__hc_h2_capable(f) ? '2' : '1');
  key_char(w, '\0');
}

int gale__hc_pool_key(hc_fetch *f) {
  key_writer w = {f->key_room, sizeof f->key_room, 0};
  gale__hc_pool_key_free(f);
  key_write(f, &w);
  if (w.n > w.cap) {
    w.out = gale__malloc(w.n);
    if (!w.out) return GALE_ENOMEM;
    w.cap = w.n;
    w.n = 0;
    key_write(f, &w);
  }
  f->key = w.out;
  return GALE_OK;
}

void gale__hc_pool_key_free(hc_fetch *f) {
  if (f->key != f->key_room) free(f->key);
  f->key = NULL;
}

/* ---- connections --------------------------------------------------------- */

#define B(s) GALE__STATE_BIT(s)
static const uint32_t conn_moves[] = {
    [HC_CONN_BUSY] = B(HC_CONN_IDLE) | B(HC_CONN_CLOSING),
    [HC_CONN_IDLE] = B(HC_CONN_BUSY),
    [HC_CONN_CLOSING] = B(HC_CONN_CLOSING), /* closing twice is harmless */
};
#undef B

static void idle_timer_stop(hc_conn *conn) {
  if (conn->idle_timer) gale_timer_cancel(conn->idle_timer), conn->idle_timer = NULL;
}

/* Takes an idle connection out of the pool (it becomes BUSY).  Its idle
 * timer stays armed: a connection taken and put back on every request
 * would otherwise insert and remove a heap entry each time; the timer
 * checks when it fires (on_idle_timeout). */
static void idle_unlink(hc_conn *conn) {
  gale_http_client *c = conn->client;
  if (conn->state != HC_CONN_IDLE) return;
  if (conn->prev)
    conn->prev->next = conn->next;
  else if (c && c->idle == conn)
    c->idle = conn->next;
  if (conn->next) conn->next->prev = conn->prev;
  conn->prev = conn->next = NULL;
  gale__transition(conn->state, HC_CONN_BUSY, conn_moves);
  if (c) c->idle_count--;
}

void gale__hc_close_cb(gale_stream *stream, int reason, void *arg) {
  hc_conn *conn = arg;
  hc_fetch *f = conn->fetch;
  idle_unlink(conn);
  idle_timer_stop(conn);
  if (f) {
    conn->fetch = NULL;
    f->conn = NULL;
    gale__hc_conn_closed(f, reason, gale__stream_input(stream));
  }
  free(conn->key);
  free(conn);
}

hc_conn *gale__hc_conn_new(gale_http_client *c, gale_stream *stream, const char *key) {
  hc_conn *conn = gale__calloc(1, sizeof *conn);
  if (!conn) return NULL;
  conn->key = gale__hc_strdup(key);
  if (!conn->key) {
    free(conn);
    return NULL;
  }
  conn->client = c;
  conn->stream = stream;
  gale_stream_set_close_cb(stream, gale__hc_close_cb, conn);
  c->opened++;
  return conn;
}

void gale__hc_conn_close(hc_conn *conn) {
  idle_unlink(conn);
  idle_timer_stop(conn);
  gale__transition(conn->state, HC_CONN_CLOSING, conn_moves);
  conn->fetch = NULL;
  /* The close callback frees conn on a later turn. */
  gale_stream_close(conn->stream);
}

static void on_idle_timeout(gale_loop *loop, void *arg) {
  hc_conn *conn = arg;
  double left = conn->idle_deadline - gale_loop_time(loop);
  conn->idle_timer = NULL;
  if (conn->state != HC_CONN_IDLE) return; /* busy: the next put arms it again */
  /* Taken and put back since it was armed: wait for what is left. */
  if (left > 0 &&
      gale_loop_call_later(loop, left, on_idle_timeout, conn, &conn->idle_timer) == GALE_OK)
    return;
  gale__hc_conn_close(conn);
}

void gale__hc_pool_put(hc_conn *conn) {
  gale_http_client *c = conn->client;
  size_t same = 0;
  if (!c) {
    gale__hc_conn_close(conn);
    return;
  }
  /* Fewer idle connections in all than the per-key limit: no key can be
   * full, and the count (a strcmp per idle connection) is skipped. */
  if (c->idle_count >= (size_t)c->opts.max_idle_per_host)
    for (hc_conn *i = c->idle; i; i = i->next)
      if (strcmp(i->key, conn->key) == 0) same++;
  if (same >= (size_t)c->opts.max_idle_per_host) {
    gale__hc_conn_close(conn);
    return;
  }
  conn->idle_deadline = gale_loop_time(c->loop) + c->opts.idle_timeout;
  if (c->opts.idle_timeout > 0 && !conn->idle_timer &&
      gale_loop_call_later(c->loop, c->opts.idle_timeout, on_idle_timeout, conn,
                           &conn->idle_timer) != GALE_OK) {
    gale__hc_conn_close(conn);
    return;
  }
  gale__transition(conn->state, HC_CONN_IDLE, conn_moves);
  conn->prev = NULL;
  conn->next = c->idle;
  if (c->idle) c->idle->prev = conn;
  c->idle = conn;
  c->idle_count++;
}

hc_conn *gale__hc_pool_take(gale_http_client *c, const char *key) {
  for (hc_conn *i = c->idle; i; i = i->next) {
    if (strcmp(i->key, key) != 0) continue;
    idle_unlink(i);
    if (gale_stream_closed(i->stream)) { /* its close callback is on the way */
      continue;
    }
    return i;
  }
  return NULL;
}

void gale__hc_pool_close_all(gale_http_client *c) {
  while (c->idle) {
    hc_conn *conn = c->idle;
    idle_unlink(conn);
    idle_timer_stop(conn);
    /* An idle connection has no fetch to tell: free it now rather than in
     * its close callback, which would never run if the loop is freed next
     * (the usual end of a program). */
    gale_stream_set_close_cb(conn->stream, NULL, NULL);
    gale_stream_close(conn->stream);
    free(conn->key);
    free(conn);
  }
}

/* ---- TLS contexts -------------------------------------------------------- */

struct hc_tls_entry {
  struct hc_tls_entry *next;
  char *key;
  gale_tls_ctx *ctx;
};

gale_tls_ctx *gale__hc_tls_ctx(hc_fetch *f, int *status) {
  gale_http_client *c = f->client;
  const gale_http_request *r = &f->req;
  struct hc_tls_entry *e;
  gale_tls_client_options o;
  char *key = NULL;
  int st;
  if (r->tls_ctx) return r->tls_ctx;
  bool h2 = r->http_version != GALE_HTTP_VERSION_1_1 && r->http_version != GALE_HTTP_VERSION_1_0;
  static const char *const alpn_h2[] = {"h2", "http/1.1"};
  static const char *const alpn_h1[] = {"http/1.1"};
  if (asprintf(&key, "%d|%s|%s|%s|%d", r->validate_cert, r->ca_certs ? r->ca_certs : "",
               r->client_cert ? r->client_cert : "", r->client_key ? r->client_key : "", h2) < 0) {
    *status = GALE_ENOMEM;
    return NULL;
  }
  for (e = c->tls; e; e = e->next)
    if (strcmp(e->key, key) == 0) {
      free(key);
      return e->ctx;
    }
  e = gale__calloc(1, sizeof *e);
  if (!e) {
    free(key);
    *status = GALE_ENOMEM;
    return NULL;
  }
  gale_tls_client_options_init(&o);
  o.insecure = !r->validate_cert;
  o.ca_file = r->ca_certs;
  o.cert_file = r->client_cert;
  o.key_file = r->client_cert ? (r->client_key ? r->client_key : r->client_cert) : NULL;
  /* ALPN: h2 first unless HTTP/1.1 is forced (http_client.h). */
  o.alpn = h2 ? alpn_h2 : alpn_h1;
  o.alpn_count = h2 ? 2 : 1;
  st = gale_tls_ctx_new_client(&o, &e->ctx);
  if (st != GALE_OK) {
    gale__hc_set_error(f, "TLS configuration: %s", gale_tls_config_error());
    free(key);
    free(e);
    *status = st;
    return NULL;
  }
  e->key = key;
  e->next = c->tls;
  c->tls = e;
  return e->ctx;
}

void gale__hc_tls_free_all(gale_http_client *c) {
  while (c->tls) {
    struct hc_tls_entry *e = c->tls;
    c->tls = e->next;
    gale_tls_ctx_unref(e->ctx);
    free(e->key);
    free(e);
  }
}

/* ---- opening a connection ------------------------------------------------ */

/* Connections are opened by gale_tcp_client (resolver, Happy Eyeballs,
 * source address, TLS, connect_timeout naming the phase); its phase hook
 * stamps the DNS / connect / TLS timings.  Only TLS inside a proxy tunnel
 * is started here, once CONNECT succeeded. */

void gale__hc_open_cancel(hc_fetch *f) {
  if (f->connect_op) {
    gale_tcp_connect *op = f->connect_op;
    f->connect_op = NULL;
    gale_tcp_connect_cancel(op);
  }
}

/* Where the TCP connection goes: the proxy, connect_to, or the URL's host. */
static const char *conn_host(const hc_fetch *f) {
  if (f->req.proxy_host) return f->req.proxy_host;
  return f->req.connect_to_host && *f->req.connect_to_host ? f->req.connect_to_host : f->purl->host;
}
static int conn_port(const hc_fetch *f) {
  if (f->req.proxy_host) return f->req.proxy_port ? f->req.proxy_port : 8080;
  return f->req.connect_to_port > 0 ? f->req.connect_to_port : f->purl->port;
}

static void open_fail(hc_fetch *f, int status) { gale__hc_complete(f, status, NULL); }

static bool direct_tls(const hc_fetch *f) {
  return strcmp(f->purl->scheme, "https") == 0 && !f->tunnel;
}

static void on_phase(gale_tcp_phase phase, gale_stream *stream, void *arg) {
  hc_fetch *f = arg;
  if (phase == GALE_TCP_PHASE_RESOLVED) {
    f->t_dns = gale_loop_time(f->loop);
  } else if (phase == GALE_TCP_PHASE_CONNECTED) {
    char ip[64];
    int port = 0;
    f->t_connect = gale_loop_time(f->loop);
    gale_stream_set_nodelay(stream, true);
    gale__hc_addr_of(stream, true, ip, sizeof ip, &port);
    gale__hc_debug(f, GALE_HTTP_DEBUG_INFO, "Connected to %s (%s) port %d", conn_host(f), ip,
                   conn_port(f));
  } else if (phase == GALE_TCP_PHASE_TLS_FAILED) {
    const char *why = gale_stream_tls_error(stream);
    if (why && *why) {
      gale__hc_set_error(f, "TLS handshake with %s failed: %s", f->purl->host, why);
      f->tls_detail = true;
    }
  }
}

/* The sentence for a failed open, from the status and the phase it names. */
static void open_error(hc_fetch *f, int st) {
  const char *host = conn_host(f);
  int port = conn_port(f);
  if (f->tls_detail) return; /* OpenSSL's reason, set by the hook */
  if (st == GALE_ETIMEDOUT_DNS)
    gale__hc_set_error(f, "resolving %s timed out after %.3g s", host, f->req.connect_timeout);
  else if (st == GALE_ETIMEDOUT_CONNECT)
    gale__hc_set_error(f, "connection to %s port %d timed out after %.3g s", host, port,
                       f->req.connect_timeout);
  else if (st == GALE_ETIMEDOUT_TLS)
    gale__hc_set_error(f, "TLS handshake with %s timed out (connect_timeout %.3g s)", f->purl->host,
                       f->req.connect_timeout);
  else if (st <= GALE_EDNS_NXDOMAIN && st >= GALE_EDNS)
    gale__hc_set_error(f, "Could not resolve host: %s (%s)", host, gale_strerror(st));
  else if (st <= GALE_ETLS && st >= GALE_ETLS_EXPIRED)
    gale__hc_set_error(f, "TLS handshake with %s failed: %s", f->purl->host, gale_strerror(st));
  else if (st == GALE_EADDRNOTAVAIL || st == GALE_EADDRINUSE)
    gale__hc_set_error(f, "cannot bind the source address %s: %s",
                       f->req.network_interface ? f->req.network_interface : "(any)",
                       gale_strerror(st));
  else if (st != GALE_ECANCELLED && st != GALE_ENOMEM)
    gale__hc_set_error(f, "Failed to connect to %s port %d: %s", host, port, gale_strerror(st));
}

static void on_connected(int status, gale_stream *stream, void *arg) {
  hc_fetch *f = arg;
  hc_conn *conn;
  f->connect_op = NULL;
  if (status != GALE_OK) {
    open_error(f, status);
    open_fail(f, status);
    return;
  }
  conn = gale__hc_conn_new(f->client, stream, f->key);
  if (!conn) {
    gale_stream_close(stream);
    open_fail(f, GALE_ENOMEM);
    return;
  }
  conn->fetch = f;
  f->conn = conn;
  if (f->tunnel) {
    gale__hc_proxy_start(f);
    return;
  }
  if (direct_tls(f)) {
    f->t_tls = gale_loop_time(f->loop);
    gale__hc_debug(f, GALE_HTTP_DEBUG_INFO, "TLS connection using %s",
                   gale_stream_tls_version(stream) ? gale_stream_tls_version(stream) : "TLS");
  }
  if (gale__hc_h2_connected(f)) return;
  gale__hc_exchange(f);
}

/* TLS inside the proxy tunnel: the handshake gale_tcp_client would have
 * done, had the stream not been the proxy's. */
static void on_tunnel_handshake(gale_stream *s, int status, void *arg) {
  hc_conn *conn = arg;
  hc_fetch *f = conn->fetch;
  if (!f || f->state == HC_DONE) return;
  if (status != GALE_OK) {
    const char *why = gale_stream_tls_error(s);
    gale__hc_set_error(f, "TLS handshake with %s failed: %s", f->purl->host,
                       why && *why ? why : gale_strerror(status));
    /* Detach first: the close callback that follows must not report again. */
    conn->fetch = NULL;
    f->conn = NULL;
    gale__hc_complete(f, status, NULL);
    return;
  }
  f->t_tls = gale_loop_time(f->loop);
  gale__hc_debug(f, GALE_HTTP_DEBUG_INFO, "TLS connection using %s",
                 gale_stream_tls_version(s) ? gale_stream_tls_version(s) : "TLS");
  if (gale__hc_h2_connected(f)) return;
  gale__hc_exchange(f);
}

/* What is left of connect_timeout for the current hop (0: no limit). */
double gale__hc_connect_left(const hc_fetch *f) {
  double left;
  if (f->req.connect_timeout <= 0) return 0;
  left = f->req.connect_timeout - (gale_loop_time(f->loop) - f->t_hop);
  return left < 0.001 ? 0.001 : left;
}

void gale__hc_tunnel_ready(hc_fetch *f) {
  gale_tls_ctx *ctx;
  int st = GALE_OK;
  ctx = gale__hc_tls_ctx(f, &st);
  if (!ctx) {
    open_fail(f, st);
    return;
  }
  st = gale_stream_start_tls(f->conn->stream, ctx, false, f->purl->host, gale__hc_connect_left(f),
                             on_tunnel_handshake, f->conn);
  if (st != GALE_OK) open_fail(f, st);
}

void gale__hc_open(hc_fetch *f) {
  gale_tcp_connect_options o;
  gale_tcp_connect *op = NULL;
  gale_tls_ctx *ctx = NULL;
  int st = GALE_OK;
  if (strcmp(f->purl->scheme, "https") == 0) {
    ctx = gale__hc_tls_ctx(f, &st);
    if (!ctx) {
      open_fail(f, st); /* a bad CA file or client key fails before connecting */
      return;
    }
  }
  f->tls_detail = false;
  gale_tcp_connect_options_init(&o);
  if (!f->req.allow_ipv6)
    o.family = AF_INET;
  else if (!f->req.allow_ipv4)
    o.family = AF_INET6;
  o.connect_timeout = f->req.connect_timeout;
  o.source_address = f->req.network_interface;
  if (direct_tls(f)) {
    o.tls = ctx;
    o.tls_hostname = f->purl->host;
  }
  o.max_buffer_size = f->client->opts.max_buffer_size;
  o.on_phase = on_phase;
  o.phase_arg = f;
  st =
      gale_tcp_client_connect(f->client->tcp, conn_host(f), conn_port(f), &o, on_connected, f, &op);
  if (st != GALE_OK) {
    if (st == GALE_EINVAL && f->req.network_interface)
      gale__hc_set_error(f, "the source address %s cannot reach %s (address family)",
                         f->req.network_interface, conn_host(f));
    else
      open_error(f, st);
    open_fail(f, st);
    return;
  }
  f->connect_op = op;
}
