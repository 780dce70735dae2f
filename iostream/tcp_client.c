/* SPDX-License-Identifier: MIT */
/* gale_tcp_client: resolve, connect with Happy Eyeballs, optionally TLS.
 *
 * The connector follows RFC 8305 §5: the resolver hands back addresses with
 * the families interleaved (preferred family first); attempts start one at
 * a time in that order, the next one when the previous has been pending for
 * happy_eyeballs_delay or as soon as it fails; every attempt stays in
 * flight until one connects, then the rest are closed.  For a dual-stack
 * host this is Tornado's _Connector: the first family first, the other
 * after the delay or at once when the first fails.
 *
 * States: RESOLVE → CONNECT → (TLS) → DONE.  One deadline timer covers the
 * first two; the TLS handshake gets what is left of it as its own timeout,
 * so the stream reports GALE_ETIMEDOUT_TLS itself.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "gale/tcp_client.h"
#include "gale/tls.h"
#include "core/alloc.h"
#include "resolver/resolver_internal.h"

enum state { ST_RESOLVE, ST_CONNECT, ST_TLS, ST_DONE };

/* Allocations go through core/alloc.h so tests can fail each one. */
static char *tc_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = gale__malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

struct attempt {
  struct attempt *next;
  gale_tcp_connect *c;
  int fd;
  gale_watcher *watcher;
};

struct gale_tcp_client {
  gale_loop *loop;
  gale_resolver *resolver;
  bool own_resolver;
  bool closing;
  gale_tcp_connect *head;
  char *unix_path; /* gale_tcp_client_set_unix_socket */
};

struct gale_tcp_connect {
  gale_tcp_client *client;
  gale_loop *loop;
  gale_tcp_connect *prev, *next; /* in client->head while the callback is owed */
  bool in_client;
  enum state state;
  char *host;
  char *tls_hostname;
  char *unix_path; /* connect here instead of resolving host */
  int port;
  gale_tcp_connect_options opts; /* strings not kept */
  struct sockaddr_storage src;
  socklen_t src_len;
  bool have_src;
  gale_tcp_connect_cb cb;
  void *arg;
  gale_resolve_query *query;
  gale_addrinfo_list *addrs;
  size_t next_addr;
  struct attempt *attempts;
  gale_timer *stagger;  /* starts the next attempt */
  gale_timer *deadline; /* connect_timeout */
  double deadline_at;   /* loop time, 0 = none */
  int last_error;
  gale_stream *stream;    /* during the TLS handshake */
  bool handshake_pending; /* the stream still holds `c` as its handshake arg */
};

void gale_tcp_connect_options_init(gale_tcp_connect_options *o) {
  if (!o) return;
  memset(o, 0, sizeof *o);
  o->family = AF_UNSPEC;
  o->happy_eyeballs_delay = GALE_TCP_CLIENT_DEFAULT_HAPPY_EYEBALLS_DELAY;
}

int gale_tcp_client_new(gale_loop *loop, gale_resolver *resolver, gale_tcp_client **out) {
  if (!loop || !out) return GALE_EINVAL;
  *out = NULL;
  gale_tcp_client *client = gale__calloc(1, sizeof *client);
  if (!client) return GALE_ENOMEM;
  client->loop = loop;
  client->resolver = resolver;
  if (!resolver) {
    int rc = gale_resolver_new(loop, NULL, &client->resolver);
    if (rc != GALE_OK) {
      free(client);
      return rc;
    }
    client->own_resolver = true;
  }
  *out = client;
  return GALE_OK;
}

static bool unix_path_fits(const char *path) {
  return strlen(path) < sizeof(((struct sockaddr_un *)0)->sun_path);
}

int gale_tcp_client_set_unix_socket(gale_tcp_client *client, const char *path) {
  if (!client || (path && (!*path || !unix_path_fits(path)))) return GALE_EINVAL;
  char *copy = NULL;
  if (path && !(copy = tc_strdup(path))) return GALE_ENOMEM;
  free(client->unix_path);
  client->unix_path = copy;
  return GALE_OK;
}

gale_resolver *gale_tcp_client_resolver(gale_tcp_client *client) {
  return client ? client->resolver : NULL;
}

/* ---- tearing down -------------------------------------------------------- */

static void close_attempt(struct attempt *a) {
  gale_watcher_free(a->watcher);
  if (a->fd >= 0) close(a->fd);
  free(a);
}

/* Stops everything still running for `c` except a TLS handshake. */
static void stop_work(gale_tcp_connect *c) {
  if (c->query) {
    gale_resolver_cancel(c->query);
    c->query = NULL;
  }
  if (c->stagger) {
    gale_timer_cancel(c->stagger);
    c->stagger = NULL;
  }
  if (c->deadline) {
    gale_timer_cancel(c->deadline);
    c->deadline = NULL;
  }
  while (c->attempts) {
    struct attempt *a = c->attempts;
    c->attempts = a->next;
    close_attempt(a);
  }
  gale_addrinfo_list_free(c->addrs);
  c->addrs = NULL;
}

static void unlink_conn(gale_tcp_connect *c) {
  if (!c->in_client) return;
  gale_tcp_client *client = c->client;
  if (c->prev)
    c->prev->next = c->next;
  else
    client->head = c->next;
  if (c->next) c->next->prev = c->prev;
  c->prev = c->next = NULL;
  c->in_client = false;
}

static void free_conn(gale_tcp_connect *c) {
  free(c->unix_path);
  free(c->host);
  free(c->tls_hostname);
  free(c);
}

/* Ends the connect: `c` is released (or left to the pending handshake
 * callback, which releases it), then the user's callback runs.  Nothing may
 * touch `c` or the client after this. */
static void finish(gale_tcp_connect *c, int status, gale_stream *stream) {
  c->state = ST_DONE;
  stop_work(c);
  unlink_conn(c);
  c->client = NULL;
  gale_tcp_connect_cb cb = c->cb;
  void *arg = c->arg;
  c->cb = NULL;
  if (c->handshake_pending) {
    /* Failing while TLS runs (client freed): close the stream; its
     * handshake callback comes later and frees c. */
    if (c->stream) gale_stream_close(c->stream);
    c->stream = NULL;
  } else {
    free_conn(c);
  }
  if (cb) cb(status, stream, arg);
}

int gale_tcp_connect_cancel(gale_tcp_connect *c) {
  if (!c || c->state == ST_DONE || !c->cb) return GALE_EINVAL;
  c->cb = NULL;
  finish(c, GALE_ECANCELLED, NULL);
  return GALE_OK;
}

void gale_tcp_client_free(gale_tcp_client *client) {
  if (!client || client->closing) return;
  client->closing = true;
  while (client->head) finish(client->head, GALE_ECANCELLED, NULL);
  if (client->own_resolver) gale_resolver_free(client->resolver);
  free(client->unix_path);
  free(client);
}

static void phase(gale_tcp_connect *c, gale_tcp_phase ph, gale_stream *stream) {
  if (c->opts.on_phase) c->opts.on_phase(ph, stream, c->opts.phase_arg);
}

/* ---- TLS ----------------------------------------------------------------- */

static void handshake_cb(gale_stream *stream, int status, void *arg) {
  gale_tcp_connect *c = arg;
  c->handshake_pending = false;
  if (c->state == ST_DONE) { /* cancelled or client freed meanwhile */
    free_conn(c);
    return;
  }
  c->stream = NULL;
  /* On failure the stream closes itself (gale/tls.h), after this call:
   * the hook can still read why. */
  if (status != GALE_OK) phase(c, GALE_TCP_PHASE_TLS_FAILED, stream);
  finish(c, status, status == GALE_OK ? stream : NULL);
}

/* ---- connecting ---------------------------------------------------------- */

static void connected(gale_tcp_connect *c, int fd) {
  stop_work(c); /* the other attempts lose */
  gale_stream_options so;
  gale_stream_options_init(&so);
  if (c->opts.max_buffer_size) so.max_buffer_size = c->opts.max_buffer_size;
  gale_stream *stream;
  int rc = gale_stream_new(c->loop, fd, &so, &stream);
  if (rc != GALE_OK) {
    close(fd);
    finish(c, rc, NULL);
    return;
  }
  phase(c, GALE_TCP_PHASE_CONNECTED, stream);
  if (!c->opts.tls) {
    finish(c, GALE_OK, stream);
    return;
  }
  double timeout = GALE_TLS_DEFAULT_HANDSHAKE_TIMEOUT;
  if (c->deadline_at > 0) {
    timeout = c->deadline_at - gale_loop_time(c->loop);
    if (timeout < 0.001) timeout = 0.001;
  }
  const char *name = c->tls_hostname ? c->tls_hostname : c->host;
  c->state = ST_TLS;
  c->stream = stream;
  c->handshake_pending = true;
  rc = gale_stream_start_tls(stream, c->opts.tls, false, name, timeout, handshake_cb, c);
  if (rc != GALE_OK) {
    c->handshake_pending = false;
    c->stream = NULL;
    gale_stream_close(stream);
    finish(c, rc, NULL);
  }
}

static bool start_next(gale_tcp_connect *c);

static void remove_attempt(gale_tcp_connect *c, struct attempt *a) {
  struct attempt **p = &c->attempts;
  while (*p != a) p = &(*p)->next;
  *p = a->next;
}

/* After a failed attempt: start the next address at once; fail when
 * nothing is left in flight. */
static void attempt_failed(gale_tcp_connect *c, int status) {
  c->last_error = status;
  if (!start_next(c) && !c->attempts) finish(c, c->last_error, NULL);
}

static void attempt_cb(gale_watcher *w, int fd, int events, void *arg) {
  struct attempt *a = arg;
  gale_tcp_connect *c = a->c;
  (void)w;
  (void)events;
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err == EINPROGRESS || err == EALREADY) return; /* not done yet */
  remove_attempt(c, a);
  if (err == 0) {
    a->fd = -1; /* handed to the stream */
    close_attempt(a);
    connected(c, fd);
    return;
  }
  close_attempt(a);
  attempt_failed(c, gale_err_from_errno(err));
}

/* Starts one attempt; returns GALE_OK when it is in flight, or the
 * failure. */
static int start_attempt(gale_tcp_connect *c, const struct sockaddr *sa, socklen_t len) {
  int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return gale_err_from_errno(errno);
  if (c->have_src && bind(fd, (const struct sockaddr *)&c->src, c->src_len) != 0) {
    int rc = gale_err_from_errno(errno);
    close(fd);
    return rc;
  }
  if (connect(fd, sa, len) != 0 && errno != EINPROGRESS) {
    int rc = gale_err_from_errno(errno);
    close(fd);
    return rc;
  }
  struct attempt *a = gale__calloc(1, sizeof *a);
  int rc = a ? gale_watcher_new(c->loop, fd, GALE_WRITE, attempt_cb, a, &a->watcher) : GALE_ENOMEM;
  if (rc != GALE_OK) {
    free(a);
    close(fd);
    return rc;
  }
  a->c = c;
  a->fd = fd;
  a->next = c->attempts;
  c->attempts = a;
  return GALE_OK;
}

static void stagger_cb(gale_loop *loop, void *arg) {
  gale_tcp_connect *c = arg;
  (void)loop;
  c->stagger = NULL;
  if (!start_next(c) && !c->attempts) finish(c, c->last_error, NULL);
}

/* Starts the next address that can be started; arms the stagger timer if
 * more remain.  Returns true if an attempt was started. */
static bool start_next(gale_tcp_connect *c) {
  if (c->stagger) {
    gale_timer_cancel(c->stagger);
    c->stagger = NULL;
  }
  size_t n = gale_addrinfo_list_count(c->addrs);
  while (c->next_addr < n) {
    socklen_t len;
    const struct sockaddr *sa = gale_addrinfo_list_get(c->addrs, c->next_addr++, &len);
    int rc = start_attempt(c, sa, len);
    if (rc != GALE_OK) {
      c->last_error = rc;
      continue;
    }
    if (c->next_addr < n && gale_loop_call_later(c->loop, c->opts.happy_eyeballs_delay, stagger_cb,
                                                 c, &c->stagger) != GALE_OK)
      c->stagger = NULL; /* the next address then waits for a failure */
    return true;
  }
  return false;
}

static void resolved(int status, const gale_addrinfo_list *list, void *arg) {
  gale_tcp_connect *c = arg;
  c->query = NULL;
  if (status != GALE_OK) {
    finish(c, status, NULL);
    return;
  }
  c->addrs = gale_addrinfo_list_copy(list);
  if (!c->addrs) {
    finish(c, GALE_ENOMEM, NULL);
    return;
  }
  if (c->have_src) gale__addrlist_filter(c->addrs, c->src.ss_family);
  c->state = ST_CONNECT;
  phase(c, GALE_TCP_PHASE_RESOLVED, NULL);
  c->last_error = GALE_EADDRNOTAVAIL; /* if the source family filtered all */
  if (!start_next(c) && !c->attempts) finish(c, c->last_error, NULL);
}

static void deadline_cb(gale_loop *loop, void *arg) {
  gale_tcp_connect *c = arg;
  (void)loop;
  c->deadline = NULL;
  finish(c, c->state == ST_RESOLVE ? GALE_ETIMEDOUT_DNS : GALE_ETIMEDOUT_CONNECT, NULL);
}

/* ---- unix domain sockets ----------------------------------------------- */

/* On the loop turn after connect(): the contract forbids calling back from
 * inside it, and a unix connect settles at once. */
static void unix_start_cb(gale_loop *loop, void *arg) {
  gale_tcp_connect *c = arg;
  (void)loop;
  c->stagger = NULL;
  struct sockaddr_un sun;
  memset(&sun, 0, sizeof sun);
  sun.sun_family = AF_UNIX;
  memcpy(sun.sun_path, c->unix_path, strlen(c->unix_path) + 1);
  c->state = ST_CONNECT;
  phase(c, GALE_TCP_PHASE_RESOLVED, NULL);
  int rc = start_attempt(c, (struct sockaddr *)&sun, sizeof sun);
  /* Nobody listening there, as curl counts it: no file (ENOENT), or a
   * full backlog (EAGAIN on a unix socket). */
  if (rc == GALE_EAGAIN || rc == GALE_ENOENT) rc = GALE_ECONNREFUSED;
  if (rc != GALE_OK) finish(c, rc, NULL);
}

static int start_unix(gale_tcp_connect *c) {
  int rc = gale_loop_call_later(c->loop, 0, unix_start_cb, c, &c->stagger);
  if (rc == GALE_OK && c->opts.connect_timeout > 0) {
    c->deadline_at = gale_loop_time(c->loop) + c->opts.connect_timeout;
    rc = gale_loop_call_later(c->loop, c->opts.connect_timeout, deadline_cb, c, &c->deadline);
    if (rc != GALE_OK) {
      gale_timer_cancel(c->stagger);
      c->stagger = NULL;
    }
  }
  return rc;
}

/* ---- public entry -------------------------------------------------------- */

/* The caller's arguments before anything is made. */
static int check_args(const gale_tcp_client *client, const char *host, int port,
                      const gale_tcp_connect_options *opts, gale_tcp_connect_cb cb) {
  if (!client || !host || !cb || port < 1 || port > 65535) return GALE_EINVAL;
  if (opts->family != AF_UNSPEC && opts->family != AF_INET && opts->family != AF_INET6)
    return GALE_EINVAL;
  if (opts->connect_timeout < 0 || opts->happy_eyeballs_delay < 0 || opts->source_port < 0 ||
      opts->source_port > 65535)
    return GALE_EINVAL;
  if (opts->tls && gale_tls_ctx_is_server(opts->tls)) return GALE_EINVAL;
  if (opts->unix_path && (!*opts->unix_path || !unix_path_fits(opts->unix_path)))
    return GALE_EINVAL;
  if (client->closing) return GALE_ECLOSED;
  return GALE_OK;
}

/* Copies the host and the name the certificate is checked against. */
static int copy_names(gale_tcp_connect *c, const char *host, const gale_tcp_connect_options *opts) {
  c->host = tc_strdup(host);
  if (opts->tls_hostname) {
    c->tls_hostname = tc_strdup(opts->tls_hostname);
  } else if (opts->tls && host[0] == '[') {
    /* "[::1]": the certificate check wants the bare address. */
    c->tls_hostname = gale__host_key(host);
  }
  if (!c->host || ((opts->tls_hostname || (opts->tls && host[0] == '[')) && !c->tls_hostname))
    return GALE_ENOMEM;
  return GALE_OK;
}

/* The source address and port to bind, if the options name one. */
static int set_source(gale_tcp_connect *c, const gale_tcp_connect_options *opts) {
  if (!opts->source_address && !opts->source_port) return GALE_OK;
  if (opts->source_address) {
    if (!gale__parse_numeric(opts->source_address, &c->src, &c->src_len)) return GALE_EINVAL;
  } else {
    /* A port alone: bind the wildcard of the target's family; only IPv4
     * then, as with Tornado's source_port without source_ip. */
    struct sockaddr_in *sin = (struct sockaddr_in *)&c->src;
    sin->sin_family = AF_INET;
    c->src_len = sizeof *sin;
  }
  if (c->src.ss_family == AF_INET)
    ((struct sockaddr_in *)&c->src)->sin_port = htons((uint16_t)opts->source_port);
  else
    ((struct sockaddr_in6 *)&c->src)->sin6_port = htons((uint16_t)opts->source_port);
  c->have_src = true;
  return GALE_OK;
}

/* Starts the lookup (of the source's family when one is bound) and the
 * connect_timeout deadline. */
static int start_resolve(gale_tcp_connect *c, const char *host, int port) {
  int family = c->opts.family;
  if (c->have_src) {
    if (family != AF_UNSPEC && family != c->src.ss_family) return GALE_EINVAL;
    family = c->src.ss_family;
  }
  int rc = gale_resolver_resolve(c->client->resolver, host, port, family, resolved, c, &c->query);
  if (rc != GALE_OK) return rc;
  if (c->opts.connect_timeout > 0) {
    c->deadline_at = gale_loop_time(c->loop) + c->opts.connect_timeout;
    rc = gale_loop_call_later(c->loop, c->opts.connect_timeout, deadline_cb, c, &c->deadline);
    if (rc != GALE_OK) {
      gale_resolver_cancel(c->query);
      c->query = NULL;
      return rc;
    }
  }
  return GALE_OK;
}

int gale_tcp_client_connect(gale_tcp_client *client, const char *host, int port,
                            const gale_tcp_connect_options *opts, gale_tcp_connect_cb cb, void *arg,
                            gale_tcp_connect **out) {
  if (out) *out = NULL;
  gale_tcp_connect_options defaults;
  if (!opts) {
    gale_tcp_connect_options_init(&defaults);
    opts = &defaults;
  }
  int rc = check_args(client, host, port, opts, cb);
  if (rc != GALE_OK) return rc;
  gale_tcp_connect *c = gale__calloc(1, sizeof *c);
  if (!c) return GALE_ENOMEM;
  c->opts = *opts;
  c->opts.source_address = NULL;
  c->opts.tls_hostname = NULL;
  c->client = client;
  c->loop = client->loop;
  c->port = port;
  c->cb = cb;
  c->arg = arg;
  rc = copy_names(c, host, opts);
  const char *upath = opts->unix_path ? opts->unix_path : client->unix_path;
  c->opts.unix_path = NULL;
  if (rc == GALE_OK && upath) rc = (c->unix_path = tc_strdup(upath)) ? GALE_OK : GALE_ENOMEM;
  if (rc == GALE_OK && !upath) rc = set_source(c, opts);
  if (rc == GALE_OK) rc = upath ? start_unix(c) : start_resolve(c, host, port);
  if (rc != GALE_OK) {
    free_conn(c);
    return rc;
  }
  c->in_client = true;
  c->next = client->head;
  if (client->head) client->head->prev = c;
  client->head = c;
  if (out) *out = c;
  return GALE_OK;
}

/* ---- future variant ------------------------------------------------------ */

static void close_stream(void *stream) { gale_stream_close(stream); }

static void future_connected(int status, gale_stream *stream, void *arg) {
  gale_future *f = arg;
  gale_future_set_cancel_cb(f, NULL, NULL);
  if (status == GALE_OK)
    gale_future_set_result(f, stream, close_stream);
  else
    gale_future_set_error(f, status);
  gale_future_unref(f);
}

static void future_cancelled(gale_future *f, void *arg) {
  gale_tcp_connect_cancel(arg);
  gale_future_unref(f);
}

gale_future *gale_tcp_client_connect_future(gale_tcp_client *client, const char *host, int port,
                                            const gale_tcp_connect_options *opts) {
  if (!client) return NULL;
  gale_future *f = gale_future_new(client->loop);
  if (!f) return NULL;
  gale_future_ref(f);
  gale_tcp_connect *c;
  if (gale_tcp_client_connect(client, host, port, opts, future_connected, f, &c) != GALE_OK) {
    gale_future_unref(f);
    gale_future_unref(f);
    return NULL;
  }
  gale_future_set_cancel_cb(f, future_cancelled, c);
  return f;
}
