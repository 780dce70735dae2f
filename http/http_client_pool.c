/* The connection pool: idle keep-alive connections per key, their idle
 * timeout, the TLS contexts shared by connections, and opening new
 * connections (resolve, connect, TLS) with each phase timed. */
#include "http/http_client_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "iostream/stream_internal.h"

/* ---- keys ---------------------------------------------------------------- */

/* Everything that makes two connections interchangeable (HARDENING.md):
 * scheme, host, port, proxy, TLS settings, address family and source. */
char *gale__hc_pool_key(const hc_fetch *f) {
  const gale_http_request *r = &f->req;
  const gale_url *u = f->purl;
  char *key = NULL;
  int n = asprintf(&key, "%s://%s:%u|%s:%d|%s|%d%d|%s|%s|%s|%p|%s", u->scheme, u->host,
                   (unsigned)u->port, r->proxy_host ? r->proxy_host : "",
                   r->proxy_host ? (r->proxy_port ? r->proxy_port : 8080) : 0,
                   r->proxy_username ? r->proxy_username : "", r->allow_ipv4, r->allow_ipv6,
                   r->network_interface ? r->network_interface : "",
                   strcmp(u->scheme, "https") == 0 ? (r->validate_cert ? "v" : "k") : "",
                   r->ca_certs ? r->ca_certs : "", (void *)r->tls_ctx,
                   r->client_cert ? r->client_cert : "");
  return n < 0 ? NULL : key;
}

/* ---- connections --------------------------------------------------------- */

static void idle_unlink(hc_conn *conn) {
  gale_http_client *c = conn->client;
  if (!conn->idle) return;
  if (conn->prev) conn->prev->next = conn->next;
  else if (c && c->idle == conn) c->idle = conn->next;
  if (conn->next) conn->next->prev = conn->prev;
  conn->prev = conn->next = NULL;
  conn->idle = false;
  if (c) c->idle_count--;
  if (conn->idle_timer) gale_timer_cancel(conn->idle_timer), conn->idle_timer = NULL;
}

void gale__hc_close_cb(gale_stream *stream, int reason, void *arg) {
  hc_conn *conn = arg;
  hc_fetch *f = conn->fetch;
  idle_unlink(conn);
  if (f) {
    conn->fetch = NULL;
    f->conn = NULL;
    gale__hc_conn_closed(f, reason, gale__stream_input(stream));
  }
  free(conn->key);
  free(conn);
}

hc_conn *gale__hc_conn_new(gale_http_client *c, gale_stream *stream, const char *key) {
  hc_conn *conn = calloc(1, sizeof *conn);
  if (!conn) return NULL;
  conn->key = strdup(key);
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
  conn->fetch = NULL;
  /* The close callback frees conn on a later turn. */
  gale_stream_close(conn->stream);
}

static void on_idle_timeout(gale_loop *loop, void *arg) {
  hc_conn *conn = arg;
  (void)loop;
  conn->idle_timer = NULL;
  gale__hc_conn_close(conn);
}

void gale__hc_pool_put(hc_conn *conn) {
  gale_http_client *c = conn->client;
  size_t same = 0;
  if (!c) {
    gale__hc_conn_close(conn);
    return;
  }
  for (hc_conn *i = c->idle; i; i = i->next)
    if (strcmp(i->key, conn->key) == 0) same++;
  if (same >= (size_t)c->opts.max_idle_per_host) {
    gale__hc_conn_close(conn);
    return;
  }
  if (c->opts.idle_timeout > 0 &&
      gale_loop_call_later(c->loop, c->opts.idle_timeout, on_idle_timeout, conn,
                           &conn->idle_timer) != GALE_OK) {
    gale__hc_conn_close(conn);
    return;
  }
  conn->idle = true;
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
    conn->client = NULL;
    gale_stream_close(conn->stream);
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
  if (asprintf(&key, "%d|%s|%s|%s", r->validate_cert, r->ca_certs ? r->ca_certs : "",
               r->client_cert ? r->client_cert : "", r->client_key ? r->client_key : "") < 0) {
    *status = GALE_ENOMEM;
    return NULL;
  }
  for (e = c->tls; e; e = e->next)
    if (strcmp(e->key, key) == 0) {
      free(key);
      return e->ctx;
    }
  e = calloc(1, sizeof *e);
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

/* The state of one open: resolution, then addresses tried in order. */
typedef struct hc_open {
  hc_fetch *fetch;
  gale_addrinfo_list *addrs;
  size_t next;
  int fd;
  gale_watcher *watcher;
  gale_timer *timer; /* connect_timeout */
  int last_error;
  char last_addr[64];
} hc_open;

static void open_free(hc_open *o) {
  if (o->watcher) gale_watcher_free(o->watcher);
  if (o->fd >= 0) close(o->fd);
  if (o->timer) gale_timer_cancel(o->timer);
  gale_addrinfo_list_free(o->addrs);
  free(o);
}

void gale__hc_open_cancel(hc_fetch *f) {
  if (f->dns_timer) gale_timer_cancel(f->dns_timer), f->dns_timer = NULL;
  if (f->query) {
    gale_resolver_cancel(f->query);
    f->query = NULL;
  }
  if (f->connect_op) {
    hc_open *o = f->connect_op;
    f->connect_op = NULL;
    open_free(o);
  }
}

static const char *conn_host(const hc_fetch *f) {
  return f->req.proxy_host ? f->req.proxy_host : f->purl->host;
}
static int conn_port(const hc_fetch *f) {
  return f->req.proxy_host ? (f->req.proxy_port ? f->req.proxy_port : 8080) : f->purl->port;
}

static void open_fail(hc_fetch *f, int status) { gale__hc_complete(f, status, NULL); }

static void on_handshake(gale_stream *s, int status, void *arg);

/* The TCP connection is up: wrap it, then TLS / proxy tunnel / exchange. */
static void connected(hc_fetch *f, int fd) {
  gale_stream_options so;
  gale_stream *stream;
  hc_conn *conn;
  int st, one = 1;
  f->t_connect = gale_loop_time(f->loop);
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  gale_stream_options_init(&so);
  so.max_buffer_size = f->client->opts.max_buffer_size;
  st = gale_stream_new(f->loop, fd, &so, &stream);
  if (st != GALE_OK) {
    close(fd);
    open_fail(f, st);
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
  {
    char ip[64];
    int port;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    ip[0] = '\0';
    port = conn_port(f);
    if (gale_stream_peer_addr(stream, (struct sockaddr *)&ss, &sl) == GALE_OK) {
      if (ss.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof ip);
      else if (ss.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip, sizeof ip);
    }
    gale__hc_debug(f, GALE_HTTP_DEBUG_INFO, "Connected to %s (%s) port %d", conn_host(f), ip, port);
  }
  if (f->tunnel) {
    gale__hc_proxy_start(f);
    return;
  }
  if (strcmp(f->purl->scheme, "https") == 0) {
    gale_tls_ctx *ctx = gale__hc_tls_ctx(f, &st);
    double left = f->req.connect_timeout > 0
                      ? f->req.connect_timeout - (gale_loop_time(f->loop) - f->t_hop)
                      : 0;
    if (!ctx) {
      open_fail(f, st);
      return;
    }
    if (f->req.connect_timeout > 0 && left < 0.001) left = 0.001;
    st = gale_stream_start_tls(stream, ctx, false, f->purl->host, left, on_handshake, conn);
    if (st != GALE_OK) {
      open_fail(f, st);
      return;
    }
    return;
  }
  gale__hc_exchange(f);
}

static void on_handshake(gale_stream *s, int status, void *arg) {
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
  gale__hc_exchange(f);
}

void gale__hc_tunnel_ready(hc_fetch *f) {
  gale_tls_ctx *ctx;
  int st = GALE_OK;
  double left;
  ctx = gale__hc_tls_ctx(f, &st);
  if (!ctx) {
    open_fail(f, st);
    return;
  }
  left = f->req.connect_timeout > 0 ? f->req.connect_timeout - (gale_loop_time(f->loop) - f->t_hop)
                                    : 0;
  if (f->req.connect_timeout > 0 && left < 0.001) left = 0.001;
  st = gale_stream_start_tls(f->conn->stream, ctx, false, f->purl->host, left, on_handshake,
                             f->conn);
  if (st != GALE_OK) open_fail(f, st);
}

static void try_next(hc_open *o);

static void on_connect_ready(gale_watcher *w, int fd, int events, void *arg) {
  hc_open *o = arg;
  hc_fetch *f = o->fetch;
  int err = 0;
  socklen_t el = sizeof err;
  (void)w;
  (void)events;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0) err = errno;
  gale_watcher_free(o->watcher);
  o->watcher = NULL;
  if (err) {
    close(o->fd);
    o->fd = -1;
    o->last_error = err;
    try_next(o);
    return;
  }
  o->fd = -1;
  f->connect_op = NULL;
  open_free(o);
  connected(f, fd);
}

static int bind_source(hc_fetch *f, int fd, int family) {
  struct sockaddr_storage ss;
  socklen_t sl;
  memset(&ss, 0, sizeof ss);
  if (family == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    in->sin_family = AF_INET;
    if (inet_pton(AF_INET, f->req.network_interface, &in->sin_addr) != 1) return EAFNOSUPPORT;
    sl = sizeof *in;
  } else {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    in6->sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, f->req.network_interface, &in6->sin6_addr) != 1) return EAFNOSUPPORT;
    sl = sizeof *in6;
  }
  return bind(fd, (struct sockaddr *)&ss, sl) == 0 ? 0 : errno;
}

static void try_next(hc_open *o) {
  hc_fetch *f = o->fetch;
  size_t n = gale_addrinfo_list_count(o->addrs);
  while (o->next < n) {
    size_t i = o->next++;
    socklen_t sl;
    const struct sockaddr *sa = gale_addrinfo_list_get(o->addrs, i, &sl);
    int family = gale_addrinfo_list_family(o->addrs, i), fd, st;
    gale_addrinfo_list_ntop(o->addrs, i, o->last_addr, sizeof o->last_addr);
    if ((family == AF_INET && !f->req.allow_ipv4) || (family == AF_INET6 && !f->req.allow_ipv6))
      continue;
    fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      o->last_error = errno;
      continue;
    }
    if (f->req.network_interface) {
      int err = bind_source(f, fd, family);
      if (err) {
        close(fd);
        o->last_error = err == EAFNOSUPPORT ? EAFNOSUPPORT : err;
        if (err != EAFNOSUPPORT) {
          gale__hc_set_error(f, "cannot bind the source address %s: %s", f->req.network_interface,
                             strerror(err));
          f->connect_op = NULL;
          open_free(o);
          open_fail(f, gale_err_from_errno(err) == GALE_ESYS ? GALE_EADDRNOTAVAIL
                                                             : gale_err_from_errno(err));
          return;
        }
        continue;
      }
    }
    if (connect(fd, sa, sl) == 0) {
      f->connect_op = NULL;
      open_free(o);
      connected(f, fd);
      return;
    }
    if (errno != EINPROGRESS) {
      o->last_error = errno;
      close(fd);
      continue;
    }
    o->fd = fd;
    st = gale_watcher_new(f->loop, fd, GALE_WRITE, on_connect_ready, o, &o->watcher);
    if (st != GALE_OK) {
      close(fd);
      o->fd = -1;
      f->connect_op = NULL;
      open_free(o);
      open_fail(f, st);
      return;
    }
    return;
  }
  /* Every address failed. */
  {
    int err = o->last_error ? o->last_error : EAFNOSUPPORT;
    int st = gale_err_from_errno(err);
    if (st == GALE_ETIMEDOUT) st = GALE_ETIMEDOUT_CONNECT;
    if (err == EAFNOSUPPORT) st = GALE_EDNS_NODATA;
    gale__hc_set_error(f, "Failed to connect to %s port %d: %s", conn_host(f), conn_port(f),
                       err == EAFNOSUPPORT ? "no address of an allowed family" : strerror(err));
    f->connect_op = NULL;
    open_free(o);
    open_fail(f, st == GALE_ESYS ? GALE_ECONNREFUSED : st);
  }
}

static void on_connect_timeout(gale_loop *loop, void *arg) {
  hc_open *o = arg;
  hc_fetch *f = o->fetch;
  (void)loop;
  o->timer = NULL;
  gale__hc_set_error(f, "connection to %s port %d timed out after %.3g s", conn_host(f),
                     conn_port(f), f->req.connect_timeout);
  gale__hc_complete(f, GALE_ETIMEDOUT_CONNECT, NULL);
}

static void on_dns_timeout(gale_loop *loop, void *arg);

static void on_resolved(int status, const gale_addrinfo_list *addrs, void *arg) {
  hc_fetch *f = arg;
  hc_open *o;
  f->query = NULL;
  if (f->dns_timer) gale_timer_cancel(f->dns_timer), f->dns_timer = NULL;
  if (status != GALE_OK) {
    gale__hc_set_error(f, "Could not resolve host: %s (%s)", conn_host(f), gale_strerror(status));
    open_fail(f, status);
    return;
  }
  f->t_dns = gale_loop_time(f->loop);
  o = calloc(1, sizeof *o);
  if (!o) {
    open_fail(f, GALE_ENOMEM);
    return;
  }
  o->fetch = f;
  o->fd = -1;
  o->addrs = gale_addrinfo_list_copy(addrs);
  if (!o->addrs) {
    free(o);
    open_fail(f, GALE_ENOMEM);
    return;
  }
  f->connect_op = o;
  if (f->req.connect_timeout > 0) {
    double left = f->req.connect_timeout - (f->t_dns - f->t_hop);
    if (gale_loop_call_later(f->loop, left > 0 ? left : 0, on_connect_timeout, o, &o->timer) !=
        GALE_OK) {
      f->connect_op = NULL;
      open_free(o);
      open_fail(f, GALE_ENOMEM);
      return;
    }
  }
  try_next(o);
}

static void on_dns_timeout(gale_loop *loop, void *arg) {
  hc_fetch *f = arg;
  (void)loop;
  f->dns_timer = NULL;
  if (f->query) {
    gale_resolver_cancel(f->query);
    f->query = NULL;
  }
  gale__hc_set_error(f, "resolving %s timed out after %.3g s", conn_host(f), f->req.connect_timeout);
  gale__hc_complete(f, GALE_ETIMEDOUT_DNS, NULL);
}

void gale__hc_open(hc_fetch *f) {
  int family = AF_UNSPEC, st;
  gale_resolve_query *q = NULL;
  if (strcmp(f->purl->scheme, "https") == 0 && !gale__hc_tls_ctx(f, &st)) {
    open_fail(f, st); /* a bad CA file or client key fails before connecting */
    return;
  }
  if (!f->req.allow_ipv6) family = AF_INET;
  else if (!f->req.allow_ipv4) family = AF_INET6;
  st = gale_resolver_resolve(f->client->resolver, conn_host(f), conn_port(f), family, on_resolved,
                             f, &q);
  if (st != GALE_OK) {
    gale__hc_set_error(f, "Could not resolve host: %s (%s)", conn_host(f), gale_strerror(st));
    open_fail(f, st);
    return;
  }
  f->query = q;
  if (f->req.connect_timeout > 0 &&
      gale_loop_call_later(f->loop, f->req.connect_timeout, on_dns_timeout, f, &f->dns_timer) !=
          GALE_OK) {
    gale_resolver_cancel(q);
    f->query = NULL;
    open_fail(f, GALE_ENOMEM);
  }
}
