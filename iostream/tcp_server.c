/* SPDX-License-Identifier: MIT */
/* The TCP server (tornado.tcpserver.TCPServer): listening sockets feed
 * acceptors, each accepted fd becomes a gale_stream (TLS-wrapped when
 * configured) handed to the application, and the server keeps a list of
 * open streams for max_connections and graceful shutdown. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "gale/coro.h"
#include "gale/log.h"
#include "gale/process.h"
#include "gale/tcp_server.h"
#include "iostream/server_internal.h"
#include "iostream/stream_internal.h"

struct listener {
  int fd;
  gale_acceptor *acceptor; /* NULL while only bound */
};

/* Open connections are linked through the node each stream keeps for its
 * creator (gale__stream_link): the stream's user data belongs to the
 * application, and a node of the server's own would cost an allocation per
 * connection. */

enum server_state { SERVING, STOPPED, SHUTTING_DOWN };

/* A connection run in a coroutine (options.handle_stream_coro).  It lives
 * as long as its coroutine, which may outlive the server: the server only
 * links it, to cancel it when freed. */
struct coro_conn {
  struct coro_conn *prev, *next; /* on the server's list while it exists */
  gale_tcp_server *server;       /* NULL once the server is gone */
  gale_tcp_server_coro_fn fn;
  void *arg;
  gale_stream *stream; /* referenced for the handler's run */
  gale_future *future; /* the coroutine's; unref'd when it returns */
};

struct gale_tcp_server {
  gale_loop *loop;
  bool own_loop; /* made by start() in a forked child */
  gale_tcp_server_options opts;
  gale_stream_options stream_opts;
  gale_tcp_server_stream_cb handle_stream;
  void *arg;

  struct listener *listeners;
  size_t n_listeners, cap_listeners;
  bool started;
  bool accept_paused; /* at max_connections */

  struct gale__stream_link conns; /* sentinel of a circular list */
  size_t n_conns;

  enum server_state state;
  gale_timer *deadline;
  gale_tcp_server_done_cb done;
  void *done_arg;
  gale_timer *done_timer; /* the done callback, due on the next iteration */

  struct coro_conn coros; /* sentinel of the running connection coroutines */

  gale__proxy_reader pending; /* sentinel: connections reading a PROXY header */
  size_t n_pending;
};

void gale_tcp_server_options_init(gale_tcp_server_options *o) {
  if (!o) return;
  memset(o, 0, sizeof *o);
  o->tls_handshake_timeout = GALE_TLS_DEFAULT_HANDSHAKE_TIMEOUT;
  o->accept_backoff = 0.1;
  o->proxy_protocol_timeout = 10.0;
}

int gale_tcp_server_new(gale_loop *loop, const gale_tcp_server_options *opts,
                        gale_tcp_server_stream_cb handle_stream, void *arg, gale_tcp_server **out) {
  if (!out || !handle_stream == !(opts && opts->handle_stream_coro)) return GALE_EINVAL;
  gale_tcp_server *s = calloc(1, sizeof *s);
  if (!s) return GALE_ENOMEM;
  s->loop = loop;
  if (opts)
    s->opts = *opts;
  else
    gale_tcp_server_options_init(&s->opts);
  gale_stream_options_init(&s->stream_opts);
  if (s->opts.max_buffer_size) s->stream_opts.max_buffer_size = s->opts.max_buffer_size;
  if (s->opts.read_chunk_size) s->stream_opts.read_chunk_size = s->opts.read_chunk_size;
  s->stream_opts.max_write_buffer_size = s->opts.max_write_buffer_size;
  s->handle_stream = handle_stream;
  s->arg = arg;
  s->conns.prev = s->conns.next = &s->conns;
  s->coros.prev = s->coros.next = &s->coros;
  s->pending.prev = s->pending.next = &s->pending;
  *out = s;
  return GALE_OK;
}

/* ---- accepting ------------------------------------------------------------- */

static void set_accepting(gale_tcp_server *s, bool on) {
  for (size_t i = 0; i < s->n_listeners; i++) {
    if (!s->listeners[i].acceptor) continue;
    if (on)
      gale_acceptor_resume(s->listeners[i].acceptor);
    else
      gale_acceptor_pause(s->listeners[i].acceptor);
  }
  s->accept_paused = !on;
}

static bool at_limit(const gale_tcp_server *s) {
  return s->opts.max_connections && s->n_conns + s->n_pending >= s->opts.max_connections;
}

static void run_done(gale_loop *loop, void *arg) {
  gale_tcp_server *s = arg;
  s->done_timer = NULL;
  gale_tcp_server_done_cb done = s->done;
  s->done = NULL;
  if (s->deadline) {
    gale_timer_cancel(s->deadline);
    s->deadline = NULL;
  }
  if (done) done(s, s->done_arg);
}

static void maybe_finish_shutdown(gale_tcp_server *s) {
  if (s->state != SHUTTING_DOWN || s->n_conns || s->done_timer) return;
  /* A timer rather than add_callback: gale_tcp_server_free() can cancel it. */
  if (gale_loop_call_later(s->loop, 0, run_done, s, &s->done_timer) != GALE_OK)
    s->done_timer = NULL;
}

static void below_limit(gale_tcp_server *s) {
  if (s->accept_paused && s->state == SERVING && !at_limit(s)) set_accepting(s, true);
  maybe_finish_shutdown(s);
}

static void untrack(gale_tcp_server *s, gale_stream *stream) {
  struct gale__stream_link *c = gale__stream_link(stream);
  c->prev->next = c->next;
  c->next->prev = c->prev;
  c->prev = c->next = NULL;
  s->n_conns--;
  below_limit(s);
}

static void stream_closed_hook(gale_stream *stream, int reason, void *arg) { untrack(arg, stream); }

/* ---- connection coroutines ------------------------------------------------ */

/* The ends of a connection that are not the handler's fault. */
static bool ordinary_end(int status) {
  switch (status) {
  case GALE_OK:
  case GALE_EOF:
  case GALE_ECONNRESET:
  case GALE_EPIPE:
  case GALE_ECLOSED:
  case GALE_ECANCELLED:
  case GALE_ETIMEDOUT_READ:
  case GALE_ETIMEDOUT_WRITE:
  case GALE_ETIMEDOUT_IDLE:
  case GALE_ETLS_TRUNCATED: return true;
  default: return false;
  }
}

static void coro_unlink(struct coro_conn *c) {
  c->prev->next = c->next;
  c->next->prev = c->prev;
  c->prev = c->next = NULL;
}

static int coro_conn_main(void *arg) {
  struct coro_conn *c = arg;
  int status = c->fn(c->stream, c->arg);
  if (!ordinary_end(status))
    gale_log_error(NULL, "connection coroutine failed: %s", gale_strerror(status));
  if (!gale_stream_closed(c->stream) && gale_stream_writing(c->stream)) {
    /* A graceful end: what the handler queued leaves before the close
     * (which would drop it).  A close by the server ends this wait. */
    gale_future *f = gale_stream_flush_future(c->stream, NULL);
    if (f) gale_await(f);
    gale_future_unref(f);
  }
  gale_stream_close(c->stream); /* nothing if the handler or the server did */
  gale_stream_unref(c->stream);
  if (c->server) coro_unlink(c);
  gale_future_unref(c->future); /* the coroutine keeps its own until it returns */
  free(c);
  return GALE_OK; /* the status is the connection's, reported above */
}

static void spawn_handler(gale_tcp_server *s, gale_stream *stream) {
  struct coro_conn *c = gale__calloc(1, sizeof *c);
  if (c) {
    gale_coro_options o = {.stack_size = s->opts.coro_stack_size, .name = "tcp connection"};
    c->server = s;
    c->fn = s->opts.handle_stream_coro;
    c->arg = s->arg;
    c->stream = gale_stream_ref(stream);
    c->future = gale_coro_spawn(s->loop, coro_conn_main, c, &o);
    if (c->future) {
      c->next = &s->coros;
      c->prev = s->coros.prev;
      c->prev->next = c;
      s->coros.prev = c;
      return;
    }
    gale_stream_unref(stream);
    free(c);
  }
  gale_log_error(NULL, "cannot start a coroutine for a new connection; dropping it");
  gale_stream_close(stream);
}

/* Server freed: every coroutine unwinds on its own from here. */
static void cancel_coros(gale_tcp_server *s) {
  while (s->coros.next != &s->coros) {
    struct coro_conn *c = s->coros.next;
    coro_unlink(c);
    c->server = NULL;
    gale_future_cancel(c->future);
  }
}

/* ---- handing a stream over ------------------------------------------------ */

static void deliver(gale_tcp_server *s, gale_stream *stream) {
  if (s->opts.handle_stream_coro) {
    spawn_handler(s, stream);
    return;
  }
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  memset(&ss, 0, sizeof ss);
  if (gale_stream_peer_addr(stream, (struct sockaddr *)&ss, &len) != GALE_OK) len = 0;
  s->handle_stream(s, stream, (struct sockaddr *)&ss, len, s->arg);
}

static void handshake_done(gale_stream *stream, int status, void *arg) {
  gale_tcp_server *s = arg;
  if (status != GALE_OK) {
    /* The stream closes itself; the hook untracks it. */
    gale_log_debug(NULL, "TLS handshake failed: %s (%s)", gale_strerror(status),
                   gale_stream_tls_error(stream));
    return;
  }
  deliver(s, stream);
}

/* A connection (its PROXY header read, when one was expected) becomes a
 * tracked stream; `peer` is the address the application is told. */
static void adopt(gale_tcp_server *s, int fd, const gale__proxy_addrs *pa,
                  const struct sockaddr *peer, socklen_t peer_len) {
  gale_stream *stream;
  if (gale_stream_new(s->loop, fd, &s->stream_opts, &stream) != GALE_OK) {
    gale_log_error(NULL, "out of memory for a new connection; dropping it");
    close(fd);
    return;
  }
  if (pa && pa->known) {
    if (gale__stream_set_addrs(stream, (const struct sockaddr *)&pa->src, pa->src_len,
                               (const struct sockaddr *)&pa->dst, pa->dst_len) != GALE_OK) {
      gale_log_error(NULL, "cannot record a PROXY header's addresses; dropping the connection");
      gale_stream_close(stream);
      return;
    }
    peer = (const struct sockaddr *)&pa->src;
    peer_len = pa->src_len;
  } else if (peer_len > 0 && gale__stream_set_addrs(stream, peer, peer_len, NULL, 0) != GALE_OK) {
    /* accept() told the peer: no getpeername when the application asks */
    gale_log_error(NULL, "out of memory for a new connection; dropping it");
    gale_stream_close(stream);
    return;
  }
  struct gale__stream_link *c = gale__stream_link(stream);
  c->next = &s->conns;
  c->prev = s->conns.prev;
  c->prev->next = c;
  s->conns.prev = c;
  s->n_conns++;
  gale__stream_set_close_hook(stream, stream_closed_hook, s);
  if (at_limit(s)) set_accepting(s, false);

  if (s->opts.tls) {
    int rc = gale_stream_start_tls(
        stream, s->opts.tls, true, NULL,
        s->opts.tls_handshake_timeout > 0 ? s->opts.tls_handshake_timeout : 0, handshake_done, s);
    if (rc != GALE_OK) {
      gale_log_error(NULL, "cannot start TLS on a new connection: %s", gale_strerror(rc));
      gale_stream_close(stream);
    }
    return;
  }
  if (s->opts.handle_stream_coro)
    spawn_handler(s, stream);
  else
    s->handle_stream(s, stream, peer, peer_len, s->arg);
}

/* ---- PROXY protocol -------------------------------------------------------- */

static void pending_unlink(gale_tcp_server *s, gale__proxy_reader *r) {
  r->prev->next = r->next;
  r->next->prev = r->prev;
  r->prev = r->next = NULL;
  s->n_pending--;
}

static void close_pending(gale_tcp_server *s) {
  while (s->pending.next != &s->pending) {
    gale__proxy_reader *r = s->pending.next;
    pending_unlink(s, r);
    gale__proxy_reader_free(r);
  }
}

static void proxy_done(gale__proxy_reader *r, int status, int fd, const gale__proxy_addrs *pa,
                       void *arg) {
  gale_tcp_server *s = arg;
  pending_unlink(s, r);
  if (status == GALE_OK) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    memset(&ss, 0, sizeof ss);
    if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0) len = 0;
    adopt(s, fd, pa, (struct sockaddr *)&ss, len);
  }
  below_limit(s);
}

static void on_accept(gale_acceptor *a, int fd, const struct sockaddr *peer, socklen_t peer_len,
                      void *arg) {
  gale_tcp_server *s = arg;
  if (!s->opts.proxy_protocol) {
    adopt(s, fd, NULL, peer, peer_len);
    return;
  }
  gale__proxy_reader *r;
  if (gale__proxy_reader_new(s->loop, fd, s->opts.proxy_protocol_timeout, proxy_done, s, &r) !=
      GALE_OK) {
    gale_log_error(NULL, "out of memory for a new connection; dropping it");
    return;
  }
  r->next = &s->pending;
  r->prev = s->pending.prev;
  r->prev->next = r;
  s->pending.prev = r;
  s->n_pending++;
  if (at_limit(s)) set_accepting(s, false);
}

/* ---- sockets ------------------------------------------------------------- */

static int need_loop(gale_tcp_server *s) {
  if (!s->loop) s->loop = gale_loop_current();
  return s->loop ? GALE_OK : GALE_ESTATE;
}

static int add_listener(gale_tcp_server *s, int fd) {
  if (s->n_listeners == s->cap_listeners) {
    size_t cap = s->cap_listeners ? 2 * s->cap_listeners : 4;
    struct listener *l = realloc(s->listeners, cap * sizeof *l);
    if (!l) return GALE_ENOMEM;
    s->listeners = l;
    s->cap_listeners = cap;
  }
  s->listeners[s->n_listeners].fd = fd;
  s->listeners[s->n_listeners].acceptor = NULL;
  s->n_listeners++;
  return GALE_OK;
}

static int start_accepting(gale_tcp_server *s, struct listener *l) {
  int rc = gale_acceptor_new(s->loop, l->fd, s->opts.accept_backoff, on_accept, s, &l->acceptor);
  if (rc == GALE_OK && s->accept_paused) gale_acceptor_pause(l->acceptor);
  return rc;
}

int gale_tcp_server_add_sockets(gale_tcp_server *s, const int *fds, size_t n) {
  int rc = GALE_OK;
  if (!s || (!fds && n))
    rc = GALE_EINVAL;
  else if (s->state != SERVING)
    rc = GALE_ESTATE;
  else
    rc = need_loop(s);
  size_t i = 0;
  for (; rc == GALE_OK && i < n; i++) {
    if (fds[i] < 0) {
      rc = GALE_EINVAL;
      break;
    }
    if (gale_socket_set_nonblocking(fds[i]) != GALE_OK) {
      rc = GALE_ESYS;
      break;
    }
    rc = add_listener(s, fds[i]);
    if (rc != GALE_OK) break;
    rc = start_accepting(s, &s->listeners[s->n_listeners - 1]);
    if (rc != GALE_OK) {
      s->n_listeners--;
      break;
    }
  }
  if (rc != GALE_OK && fds)
    for (; i < n; i++)
      if (fds[i] >= 0) close(fds[i]);
  return rc;
}

int gale_tcp_server_bind(gale_tcp_server *s, int port, const char *address, int family, int backlog,
                         unsigned flags) {
  if (!s) return GALE_EINVAL;
  if (s->state != SERVING || s->started) return GALE_ESTATE;
  int fds[GALE_MAX_LISTEN_SOCKETS];
  size_t n;
  int rc =
      gale_bind_sockets(port, address, family, backlog, flags, fds, GALE_MAX_LISTEN_SOCKETS, &n);
  if (rc != GALE_OK) return rc;
  for (size_t i = 0; i < n; i++) {
    if (add_listener(s, fds[i]) != GALE_OK) {
      for (size_t j = i; j < n; j++) close(fds[j]);
      return GALE_ENOMEM;
    }
  }
  return GALE_OK;
}

int gale_tcp_server_listen(gale_tcp_server *s, int port, const char *address) {
  if (!s) return GALE_EINVAL;
  if (s->state != SERVING) return GALE_ESTATE;
  int rc = need_loop(s);
  if (rc != GALE_OK) return rc;
  int fds[GALE_MAX_LISTEN_SOCKETS];
  size_t n;
  rc = gale_bind_sockets(port, address, AF_UNSPEC, 0, 0, fds, GALE_MAX_LISTEN_SOCKETS, &n);
  if (rc != GALE_OK) return rc;
  return gale_tcp_server_add_sockets(s, fds, n);
}

int gale_tcp_server_listen_unix(gale_tcp_server *s, const char *path, int mode) {
  if (!s) return GALE_EINVAL;
  if (s->state != SERVING) return GALE_ESTATE;
  int rc = need_loop(s);
  if (rc != GALE_OK) return rc;
  int fd;
  rc = gale_bind_unix_socket(path, mode, 0, &fd);
  if (rc != GALE_OK) return rc;
  return gale_tcp_server_add_sockets(s, &fd, 1);
}

int gale_tcp_server_start(gale_tcp_server *s, int num_processes, int max_restarts) {
  if (!s) return GALE_EINVAL;
  if (s->started || s->state != SERVING || s->n_listeners == 0) return GALE_ESTATE;
  int task = 0;
  if (num_processes != 1) {
    if (s->loop) return GALE_ESTATE; /* an epoll set must not cross fork */
    task = gale_fork_processes(num_processes, max_restarts);
    if (task < 0) return task;
    s->loop = gale_loop_new();
    if (!s->loop) {
      gale_log_error(NULL, "worker %d: cannot create a loop", task);
      return GALE_ENOMEM;
    }
    s->own_loop = true;
  } else {
    int rc = need_loop(s);
    if (rc != GALE_OK) return rc;
  }
  s->started = true;
  for (size_t i = 0; i < s->n_listeners; i++) {
    if (s->listeners[i].acceptor) continue;
    int rc = start_accepting(s, &s->listeners[i]);
    if (rc != GALE_OK) return rc;
  }
  return task;
}

/* ---- stopping ------------------------------------------------------------ */

static void close_listeners(gale_tcp_server *s) {
  for (size_t i = 0; i < s->n_listeners; i++) {
    gale_acceptor_free(s->listeners[i].acceptor);
    close(s->listeners[i].fd);
  }
  s->n_listeners = 0;
}

int gale_tcp_server_stop(gale_tcp_server *s) {
  if (!s) return GALE_EINVAL;
  close_listeners(s);
  if (s->state == SERVING) s->state = STOPPED;
  return GALE_OK;
}

static void deadline_cb(gale_loop *loop, void *arg) {
  gale_tcp_server *s = arg;
  s->deadline = NULL;
  if (s->n_conns)
    gale_log_info(NULL, "shutdown deadline: closing %zu open connection(s)", s->n_conns);
  /* Each close runs its hook on a later iteration, which unlinks the node:
   * walking the list here is safe. */
  for (struct gale__stream_link *c = s->conns.next; c != &s->conns; c = c->next)
    gale_stream_close(gale__stream_from_link(c));
}

int gale_tcp_server_shutdown(gale_tcp_server *s, double timeout, gale_tcp_server_done_cb done,
                             void *arg) {
  if (!s) return GALE_EINVAL;
  if (s->state == SHUTTING_DOWN) return GALE_EBUSY;
  if (!s->loop) return GALE_ESTATE; /* never listened: no loop to call back on */
  close_pending(s);                 /* no request yet: nothing to drain */
  if (s->n_conns && timeout > 0) {
    int rc = gale_loop_call_later(s->loop, timeout, deadline_cb, s, &s->deadline);
    if (rc != GALE_OK) return rc;
  }
  close_listeners(s);
  s->state = SHUTTING_DOWN;
  s->done = done;
  s->done_arg = arg;
  if (s->n_conns && timeout <= 0) deadline_cb(s->loop, s);
  maybe_finish_shutdown(s);
  return GALE_OK;
}

bool gale_tcp_server_is_shutting_down(const gale_tcp_server *s) {
  return s && s->state == SHUTTING_DOWN;
}

size_t gale_tcp_server_connection_count(const gale_tcp_server *s) { return s ? s->n_conns : 0; }

gale_loop *gale_tcp_server_loop(const gale_tcp_server *s) { return s ? s->loop : NULL; }

size_t gale_tcp_server_sockets(const gale_tcp_server *s, int *fds, size_t max) {
  if (!s) return 0;
  for (size_t i = 0; i < s->n_listeners && i < max && fds; i++) fds[i] = s->listeners[i].fd;
  return s->n_listeners;
}

void gale_tcp_server_free(gale_tcp_server *s) {
  if (!s) return;
  close_listeners(s);
  free(s->listeners);
  if (s->deadline) gale_timer_cancel(s->deadline);
  if (s->done_timer) gale_timer_cancel(s->done_timer);
  cancel_coros(s);
  close_pending(s);
  /* The streams outlive the server by a loop iteration (their close
   * callbacks are deferred): detach them first. */
  struct gale__stream_link *c = s->conns.next;
  while (c != &s->conns) {
    struct gale__stream_link *next = c->next;
    gale_stream *stream = gale__stream_from_link(c);
    c->prev = c->next = NULL;
    gale__stream_set_close_hook(stream, NULL, NULL);
    gale_stream_close(stream);
    c = next;
  }
  if (s->own_loop) {
    /* Let the closed streams run their close callbacks and free
     * themselves before the loop goes. */
    for (int i = 0; i < 3; i++) gale_loop_run_once(s->loop, 0);
    gale_loop_free(s->loop);
  }
  free(s);
}
