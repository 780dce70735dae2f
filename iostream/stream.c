/* SPDX-License-Identifier: MIT */
/* gale_stream: life cycle, socket I/O, and the dispatch loop that hands
 * results to user code (gale/stream.h).  Reads live in stream_read.c, writes
 * in stream_write.c, TLS in stream_tls.c. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/assert.h"
#include "core/loop_internal.h"
#include "gale/log.h"
#include "iostream/stream_priv.h"

static void on_io(evutil_socket_t fd, short what, void *arg);

/* The stream's life cycle (enum gale__stream_phase): each row lists where
 * a phase may go.  CLOSING may be asked for again (a later linger wins). */
static const uint32_t phase_moves[] = {
    [GALE__SP_OPEN] = GALE__STATE_BIT(GALE__SP_CLOSING) | GALE__STATE_BIT(GALE__SP_CLOSED),
    [GALE__SP_CLOSING] = GALE__STATE_BIT(GALE__SP_CLOSING) | GALE__STATE_BIT(GALE__SP_LINGERING) |
                         GALE__STATE_BIT(GALE__SP_CLOSED),
    [GALE__SP_LINGERING] = GALE__STATE_BIT(GALE__SP_CLOSED),
    [GALE__SP_CLOSED] = GALE__STATE_BIT(GALE__SP_NOTIFIED),
    [GALE__SP_NOTIFIED] = 0,
};

static void stream_phase_to(gale_stream *s, enum gale__stream_phase to) {
  gale__transition(s->phase, to, phase_moves);
}

void gale_stream_options_init(gale_stream_options *opts) {
  if (!opts) return;
  memset(opts, 0, sizeof(*opts));
  opts->max_buffer_size = GALE_STREAM_DEFAULT_MAX_BUFFER_SIZE;
  opts->read_chunk_size = GALE_STREAM_DEFAULT_READ_CHUNK_SIZE;
}

/* ---- timers (allocated only when a timeout is set) ---------------------- */

static void on_idle_timeout(evutil_socket_t fd, short what, void *arg) {
  gale_stream *s = arg;
  gale__stream_ref(s);
  gale__stream_fail(s, GALE_ETIMEDOUT_IDLE, 0);
  gale__stream_dispatch(s);
  gale__stream_unref(s);
}

static void on_read_timeout(evutil_socket_t fd, short what, void *arg) {
  gale_stream *s = arg;
  gale__stream_ref(s);
  gale__stream_fail(s, GALE_ETIMEDOUT_READ, 0);
  gale__stream_dispatch(s);
  gale__stream_unref(s);
}

static void on_linger_timeout(evutil_socket_t fd, short what, void *arg) {
  gale_stream *s = arg;
  gale__stream_ref(s);
  gale__stream_fail(s, GALE_OK, 0);
  gale__stream_dispatch(s);
  gale__stream_unref(s);
}

static int timers_get(gale_stream *s) {
  if (s->tm) return GALE_OK;
  s->tm = calloc(1, sizeof(*s->tm));
  if (!s->tm) return GALE_ENOMEM;
  struct event_base *base = gale__stream_base(s);
  event_assign(&s->tm->idle_ev, base, -1, 0, on_idle_timeout, s);
  event_assign(&s->tm->read_ev, base, -1, 0, on_read_timeout, s);
  event_assign(&s->tm->linger_ev, base, -1, 0, on_linger_timeout, s);
  return GALE_OK;
}

/* Many streams share one timeout duration: libevent's common timeouts keep
 * them in a queue per duration, so adding and re-adding is O(1) instead of a
 * heap operation per read. */
static const struct timeval *common_tv(gale_stream *s, double seconds) {
  struct timeval tv = gale__timeval(seconds);
  const struct timeval *c = event_base_init_common_timeout(gale__stream_base(s), &tv);
  return c;
}

static int set_idle(gale_stream *s, double seconds) {
  if (seconds < 0) return GALE_EINVAL;
  if (seconds == 0 && !s->tm) return GALE_OK;
  int rc = timers_get(s);
  if (rc) return rc;
  s->tm->idle_s = seconds;
  s->tm->idle_on = seconds > 0;
  event_del(&s->tm->idle_ev);
  if (s->tm->idle_on) {
    s->tm->idle_tv = common_tv(s, seconds);
    if (!s->tm->idle_tv) return GALE_ENOMEM;
    event_add(&s->tm->idle_ev, s->tm->idle_tv);
  }
  return GALE_OK;
}

static int set_readto(gale_stream *s, double seconds) {
  if (seconds < 0) return GALE_EINVAL;
  if (seconds == 0 && !s->tm) return GALE_OK;
  int rc = timers_get(s);
  if (rc) return rc;
  s->tm->read_s = seconds;
  s->tm->read_on = seconds > 0;
  event_del(&s->tm->read_ev);
  if (s->tm->read_on) {
    s->tm->read_tv = common_tv(s, seconds);
    if (!s->tm->read_tv) return GALE_ENOMEM;
  }
  return GALE_OK;
}

void gale__stream_touch(gale_stream *s, bool read_progress) {
  if (!s->tm || gale__stream_is_closed(s)) return;
  if (s->tm->idle_on) event_add(&s->tm->idle_ev, s->tm->idle_tv);
  if (read_progress && s->tm->read_on && s->rkind != GALE__R_NONE)
    event_add(&s->tm->read_ev, s->tm->read_tv);
}

/* ---- construction, references ------------------------------------------- */

int gale_stream_new(gale_loop *loop, int fd, const gale_stream_options *opts, gale_stream **out) {
  if (!loop || !out || fd < 0) return GALE_EINVAL;
  if (opts && (opts->idle_timeout < 0 || opts->read_timeout < 0)) return GALE_EINVAL;
  gale_stream *s = calloc(1, sizeof(*s));
  if (!s) return GALE_ENOMEM;
  gale__stream_buffers_hold();
  gale_stream_options o;
  if (opts)
    o = *opts;
  else
    gale_stream_options_init(&o);
  s->max_buffer_size = o.max_buffer_size ? o.max_buffer_size : GALE_STREAM_DEFAULT_MAX_BUFFER_SIZE;
  s->max_write_buffer_size = o.max_write_buffer_size;
  s->read_chunk_size = o.read_chunk_size ? o.read_chunk_size : GALE_STREAM_DEFAULT_READ_CHUNK_SIZE;
  s->loop = loop;
  s->fd = fd;
  s->xp = &gale__transport_sock;
  s->refs = 1; /* the open stream's own reference, dropped once closed */
  event_assign(&s->ev, gale__loop_base(loop), fd, EV_PERSIST, on_io, s);
  if (set_idle(s, o.idle_timeout) || set_readto(s, o.read_timeout)) goto nomem;
  *out = s;
  return GALE_OK;
nomem:
  if (s->tm) {
    event_del(&s->tm->idle_ev);
    free(s->tm);
  }
  free(s);
  gale__stream_buffers_drop();
  return GALE_ENOMEM;
}

static void stream_destroy(gale_stream *s) {
  event_del(&s->ev);
  if (s->tm) {
    event_del(&s->tm->idle_ev);
    event_del(&s->tm->read_ev);
    event_del(&s->tm->linger_ev);
    free(s->tm);
  }
  gale__read_clear(s);
  gale__read_free_cache(s);
  s->xp->release(s);
  while (s->wq_head) {
    struct gale__wreq *w = s->wq_head;
    s->wq_head = w->next;
    free(w);
  }
  if (s->fd >= 0) close(s->fd);
  gale__stream_give_buffers(s);
  free(s->addrs);
  free(s);
  gale__stream_buffers_drop();
}

void gale__stream_ref(gale_stream *s) { s->refs++; }

void gale__stream_unref(gale_stream *s) {
  if (--s->refs == 0) stream_destroy(s);
}

gale_stream *gale_stream_ref(gale_stream *stream) {
  if (stream) gale__stream_ref(stream);
  return stream;
}

void gale_stream_unref(gale_stream *stream) {
  if (stream) gale__stream_unref(stream);
}

/* ---- deferred work ------------------------------------------------------- */

static void on_deferred(gale_loop *loop, void *arg) {
  gale_stream *s = arg;
  s->deferred = false;
  if (!gale__stream_is_closed(s) && s->xp->pending(s)) s->xp->read(s, GALE__READ_BUDGET);
  gale__stream_dispatch(s);
  gale__stream_unref(s);
}

/* The loop is being freed with on_deferred still queued: give back the
 * reference it held, so a stream closed just before gale_loop_free() is
 * destroyed (fd closed, memory freed) instead of leaked. */
static void on_deferred_dropped(void *arg) {
  gale_stream *s = arg;
  s->deferred = false;
  if (gale__stream_is_closed(s) && s->phase != GALE__SP_NOTIFIED) {
    /* The close will never be delivered: drop the callbacks with the loop's
     * and give back the open stream's own reference too. */
    stream_phase_to(s, GALE__SP_NOTIFIED);
    s->close_cb = NULL;
    s->close_hook = NULL;
    gale__stream_unref(s);
  }
  gale__stream_unref(s);
}

void gale__stream_schedule(gale_stream *s) {
  if (s->deferred || s->depth > 0) return; /* a running dispatch will see it */
  if (gale__loop_add_callback_owned(s->loop, on_deferred, on_deferred_dropped, s) != GALE_OK) {
    gale_log_error("general", "stream: cannot schedule a callback (out of memory)");
    return;
  }
  s->deferred = true;
  gale__stream_ref(s);
}

/* ---- closing ------------------------------------------------------------- */

void gale__stream_fail(gale_stream *s, int reason, int errnum) {
  if (gale__stream_is_closed(s)) return;
  stream_phase_to(s, GALE__SP_CLOSED);
  s->close_reason = reason;
  if (errnum) s->err = errnum;
  event_del(&s->ev);
  s->ev_mask = 0;
  if (s->tm) {
    event_del(&s->tm->idle_ev);
    event_del(&s->tm->read_ev);
    event_del(&s->tm->linger_ev);
  }
  s->xp->shutdown(s);
  if (s->fd >= 0) {
    close(s->fd);
    s->fd = -1;
  }
  /* Queued output can no longer leave: drop it now so referenced buffers
   * and files go back to their owners at once. */
  if (s->out) evbuffer_drain(s->out, evbuffer_get_length(s->out));
  gale__stream_release_input(s);
  gale__stream_schedule(s);
}

int gale_stream_close(gale_stream *stream) {
  if (!stream) return GALE_EINVAL;
  gale__stream_fail(stream, GALE_OK, 0);
  return GALE_OK;
}

bool gale_stream_closed(const gale_stream *stream) {
  return !stream || gale__stream_is_closed(stream);
}

int gale_stream_close_reason(const gale_stream *stream) {
  return stream ? stream->close_reason : GALE_EINVAL;
}

int gale_stream_get_errno(const gale_stream *stream) { return stream ? stream->err : 0; }

void gale_stream_set_close_cb(gale_stream *stream, gale_stream_close_cb cb, void *arg) {
  if (!stream || stream->phase == GALE__SP_NOTIFIED) return;
  stream->close_cb = cb;
  stream->close_arg = arg;
  if (!gale__stream_is_closed(stream) && stream->depth == 0) gale__stream_update_events(stream);
}

/* ---- socket I/O ---------------------------------------------------------- */

/* Lingering close: the write side is shut, input is read and dropped until
 * the peer closes or the linger timer fires. */
static void linger_read(gale_stream *s) {
  char buf[16384];
  for (int i = 0; i < 64; i++) {
    ssize_t n = read(s->fd, buf, sizeof(buf));
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    gale__stream_fail(s, GALE_OK, 0);
    return;
  }
}

static void on_io(evutil_socket_t fd, short what, void *arg) {
  gale_stream *s = arg;
  gale__stream_ref(s);
  if (what & EV_READ) {
    if (s->phase == GALE__SP_LINGERING)
      linger_read(s);
    else
      s->xp->on_readable(s);
  }
  if ((what & EV_WRITE) && !gale__stream_is_closed(s)) {
    s->wait_writable = false;
    s->xp->on_writable(s);
  }
  gale__stream_dispatch(s);
  gale__stream_unref(s);
}

/* ---- event interest ------------------------------------------------------ */

bool gale__stream_wants_read(const gale_stream *s) {
  if (s->paused || s->eof) return false;
  if (s->rkind == GALE__R_CLOSE || s->rkind == GALE__R_CHUNKS) return true;
  if (s->rkind != GALE__R_NONE) return true;
  if (s->data_cb) return true;
  return s->close_cb && gale__buf_len(s->in) == 0;
}

void gale__stream_update_events(gale_stream *s) {
  if (gale__stream_is_closed(s)) return;
  bool want_r, want_w;
  if (s->phase == GALE__SP_LINGERING) {
    want_r = true;
    want_w = false;
  } else {
    want_r = s->xp->want_read(s);
    want_w = s->xp->want_write(s);
    /* Input the transport already holds (TLS records read ahead) will not
     * wake the socket: fetch it on the next loop turn. */
    if (want_r && s->xp->pending(s)) gale__stream_schedule(s);
  }
  short mask = (short)((want_r ? EV_READ : 0) | (want_w ? EV_WRITE : 0));
  if (mask != s->ev_mask) {
    if (s->ev_mask) event_del(&s->ev);
    event_assign(&s->ev, gale__stream_base(s), s->fd, (short)(mask | EV_PERSIST), on_io, s);
    if (mask) event_add(&s->ev, NULL);
    s->ev_mask = mask;
  }
  if (s->tm && s->tm->read_on) {
    bool pending = event_pending(&s->tm->read_ev, EV_TIMEOUT, NULL);
    bool need = s->rkind != GALE__R_NONE && !s->paused;
    if (need && !pending)
      event_add(&s->tm->read_ev, s->tm->read_tv);
    else if (!need && pending)
      event_del(&s->tm->read_ev);
  }
}

/* ---- the dispatch loop ---------------------------------------------------- */

static int cancel_status(const gale_stream *s) {
  return s->close_reason == GALE_OK ? GALE_ECANCELLED : s->close_reason;
}

static bool pop_write(gale_stream *s, int status) {
  struct gale__wreq *w = s->wq_head;
  s->wq_head = w->next;
  if (!s->wq_head) s->wq_tail = NULL;
  gale_stream_write_cb cb = w->cb;
  void *arg = w->arg;
  free(w);
  if (cb) cb(s, status, arg);
  return true;
}

static void begin_linger(gale_stream *s) {
  s->xp->shutdown(s);
  if (shutdown(s->fd, SHUT_WR) != 0 || s->linger_s <= 0 || s->eof) {
    gale__stream_fail(s, GALE_OK, 0);
    return;
  }
  if (timers_get(s)) {
    gale__stream_fail(s, GALE_OK, 0);
    return;
  }
  stream_phase_to(s, GALE__SP_LINGERING);
  struct timeval tv = gale__timeval(s->linger_s);
  event_add(&s->tm->linger_ev, &tv);
  if (s->in) evbuffer_drain(s->in, evbuffer_get_length(s->in));
}

/* One step of work that may run user code; returns false when idle. */
static bool dispatch_step(gale_stream *s) {
  if (s->xp->notify(s)) return true;
  if (s->rkind != GALE__R_NONE && !gale__stream_is_closed(s)) {
    int r = gale__read_ready(s);
    if (r == 1) {
      gale__read_deliver(s);
      return true;
    }
    if (r < 0) {
      gale__stream_fail(s, r, 0);
      return true;
    }
  }
  if (s->data_cb && s->new_data && s->phase != GALE__SP_LINGERING) {
    s->new_data = false;
    if (gale__buf_len(s->in) > 0) {
      s->data_cb(s, s->in, s->data_arg);
      return true;
    }
  }
  if (s->wq_head && s->wq_head->upto <= s->written) return pop_write(s, GALE_OK);
  if (!gale__stream_is_closed(s)) {
    if (gale__buf_len(s->in) > s->max_buffer_size) {
      gale_log_warning("general", "stream: read buffer over %zu bytes, closing",
                       s->max_buffer_size);
      gale__stream_fail(s, GALE_EBUFFULL, 0);
      return true;
    }
    if (s->eof && s->phase != GALE__SP_LINGERING) {
      gale__stream_fail(s, s->pending_reason, s->pending_errno);
      return true;
    }
    if (s->xp->advance(s)) return true;
    if (gale__buf_len(s->out) > 0 && !s->wait_writable) {
      uint64_t before = s->written;
      int rc = s->xp->write(s);
      if (rc) {
        gale__stream_fail(s, rc, s->err);
        return true;
      }
      if (s->written > before && !s->wait_writable) return true;
    }
    if (s->phase == GALE__SP_CLOSING && gale__buf_len(s->out) == 0) {
      begin_linger(s);
      return true;
    }
    return false;
  }
  if (s->rkind != GALE__R_NONE) {
    gale__read_finish_closed(s, cancel_status(s));
    return true;
  }
  if (s->wq_head) return pop_write(s, cancel_status(s));
  if (s->phase != GALE__SP_NOTIFIED) {
    stream_phase_to(s, GALE__SP_NOTIFIED);
    gale_stream_close_cb cb = s->close_cb;
    s->close_cb = NULL;
    if (cb) cb(s, s->close_reason, s->close_arg);
    /* Read after the public callback: it may have removed the hook. */
    gale_stream_close_cb hook = s->close_hook;
    s->close_hook = NULL;
    if (hook) hook(s, s->close_reason, s->close_hook_arg);
    gale__stream_unref(s); /* the open stream's own reference */
    return true;
  }
  return false;
}

void gale__stream_dispatch(gale_stream *s) {
  if (s->depth > 0) return;
  gale__stream_ref(s);
  s->depth++;
  while (dispatch_step(s)) {}
  s->depth--;
  gale__stream_trim_buffers(s);
  if (!gale__stream_is_closed(s)) gale__stream_update_events(s);
  gale__stream_unref(s);
}

/* ---- pause / resume, options, addresses ---------------------------------- */

int gale_stream_pause_reading(gale_stream *stream) {
  if (!stream) return GALE_EINVAL;
  if (gale__stream_is_closed(stream)) return GALE_ECLOSED;
  stream->paused = true;
  if (stream->depth == 0) gale__stream_update_events(stream);
  return GALE_OK;
}

int gale_stream_resume_reading(gale_stream *stream) {
  if (!stream) return GALE_EINVAL;
  if (gale__stream_is_closed(stream)) return GALE_ECLOSED;
  if (!stream->paused) return GALE_OK;
  stream->paused = false;
  if (gale__buf_len(stream->in) > 0) stream->new_data = true;
  gale__stream_schedule(stream);
  return GALE_OK;
}

int gale_stream_set_nodelay(gale_stream *stream, bool on) {
  if (!stream) return GALE_EINVAL;
  if (gale__stream_is_closed(stream)) return GALE_ECLOSED;
  int v = on;
  if (setsockopt(stream->fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)) != 0) {
    stream->err = errno;
    return GALE_ESYS;
  }
  return GALE_OK;
}

int gale_stream_set_keepalive(gale_stream *stream, bool on, int idle, int interval, int count) {
  if (!stream || idle < 0 || interval < 0 || count < 0) return GALE_EINVAL;
  if (gale__stream_is_closed(stream)) return GALE_ECLOSED;
  int v = on;
  if (setsockopt(stream->fd, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof(v)) != 0) goto fail;
  if (on && idle > 0 && setsockopt(stream->fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)))
    goto fail;
  if (on && interval > 0 &&
      setsockopt(stream->fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval)))
    goto fail;
  if (on && count > 0 && setsockopt(stream->fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count)))
    goto fail;
  return GALE_OK;
fail:
  stream->err = errno;
  return GALE_ESYS;
}

int gale_stream_set_idle_timeout(gale_stream *stream, double seconds) {
  if (!stream || seconds < 0) return GALE_EINVAL;
  if (gale__stream_is_closed(stream)) return GALE_ECLOSED;
  return set_idle(stream, seconds);
}

int gale_stream_set_read_timeout(gale_stream *stream, double seconds) {
  if (!stream || seconds < 0) return GALE_EINVAL;
  if (gale__stream_is_closed(stream)) return GALE_ECLOSED;
  int rc = set_readto(stream, seconds);
  if (!rc && stream->depth == 0) gale__stream_update_events(stream);
  return rc;
}

/* The addresses are fetched one at a time, when first asked for (a length
 * of 0: not known yet), and kept: the HTTP server asks only for the peer's,
 * which the acceptor already had. */
static int addrs_alloc(gale_stream *s) {
  if (s->addrs) return GALE_OK;
  if (gale__stream_is_closed(s)) return GALE_ECLOSED;
  s->addrs = calloc(1, sizeof(*s->addrs));
  return s->addrs ? GALE_OK : GALE_ENOMEM;
}

static int addrs_fill(gale_stream *s, bool local) {
  int rc = addrs_alloc(s);
  if (rc) return rc;
  struct gale__stream_addrs *a = s->addrs;
  socklen_t *len = local ? &a->local_len : &a->peer_len;
  if (*len) return GALE_OK;
  if (gale__stream_is_closed(s)) return GALE_ECLOSED;
  struct sockaddr *sa = (struct sockaddr *)(local ? &a->local : &a->peer);
  socklen_t n = sizeof(struct sockaddr_storage);
  if ((local ? getsockname(s->fd, sa, &n) : getpeername(s->fd, sa, &n)) != 0) {
    s->err = errno;
    return GALE_ESYS;
  }
  *len = n;
  return GALE_OK;
}

static int copy_addr(const struct sockaddr_storage *src, socklen_t srclen, struct sockaddr *addr,
                     socklen_t *len) {
  socklen_t n = srclen < *len ? srclen : *len;
  memcpy(addr, src, n);
  *len = srclen;
  return GALE_OK;
}

int gale__stream_set_addrs(gale_stream *s, const struct sockaddr *peer, socklen_t peer_len,
                           const struct sockaddr *local, socklen_t local_len) {
  if (peer_len > sizeof(struct sockaddr_storage) || local_len > sizeof(struct sockaddr_storage) ||
      (peer_len && !peer) || (local_len && !local))
    return GALE_EINVAL;
  int rc = addrs_alloc(s);
  if (rc) return rc;
  if (peer_len) memcpy(&s->addrs->peer, peer, peer_len);
  s->addrs->peer_len = peer_len;
  if (local_len) memcpy(&s->addrs->local, local, local_len);
  s->addrs->local_len = local_len;
  return GALE_OK;
}

int gale_stream_peer_addr(gale_stream *stream, struct sockaddr *addr, socklen_t *len) {
  if (!stream || !addr || !len) return GALE_EINVAL;
  int rc = addrs_fill(stream, false);
  if (rc) return rc;
  return copy_addr(&stream->addrs->peer, stream->addrs->peer_len, addr, len);
}

int gale_stream_local_addr(gale_stream *stream, struct sockaddr *addr, socklen_t *len) {
  if (!stream || !addr || !len) return GALE_EINVAL;
  int rc = addrs_fill(stream, true);
  if (rc) return rc;
  return copy_addr(&stream->addrs->local, stream->addrs->local_len, addr, len);
}

int gale_stream_fd(const gale_stream *stream) { return stream ? stream->fd : -1; }
gale_loop *gale_stream_loop(const gale_stream *stream) { return stream ? stream->loop : NULL; }
void gale_stream_set_user_data(gale_stream *stream, void *data) {
  if (stream) stream->user_data = data;
}
void *gale_stream_get_user_data(const gale_stream *stream) {
  return stream ? stream->user_data : NULL;
}

/* ---- internal API for the HTTP layer -------------------------------------- */

int gale__stream_set_data_cb(gale_stream *stream, gale__stream_data_cb cb, void *arg) {
  if (!stream) return GALE_EINVAL;
  if (gale__stream_is_closed(stream)) return GALE_ECLOSED;
  if (cb && stream->rkind != GALE__R_NONE) return GALE_EBUSY;
  stream->data_cb = cb;
  stream->data_arg = arg;
  if (cb && gale__buf_len(stream->in) > 0) {
    stream->new_data = true;
    gale__stream_schedule(stream);
  } else if (stream->depth == 0) {
    gale__stream_update_events(stream);
  }
  return GALE_OK;
}

struct gale__stream_link *gale__stream_link(gale_stream *stream) {
  return &stream->link;
}

gale_stream *gale__stream_from_link(struct gale__stream_link *link) {
  return (gale_stream *)((char *)link - offsetof(gale_stream, link));
}

struct evbuffer *gale__stream_input(gale_stream *stream) {
  return stream ? gale__stream_in(stream) : NULL;
}

struct evbuffer *gale__stream_output(gale_stream *stream) {
  if (!stream || gale__stream_is_closed(stream)) return NULL;
  gale__stream_schedule(stream);
  return gale__stream_out(stream);
}

int gale__stream_close_after_flush(gale_stream *stream, double linger) {
  if (!stream || linger < 0) return GALE_EINVAL;
  if (gale__stream_is_closed(stream)) return GALE_ECLOSED;
  /* Already lingering: the write side is shut, there is nothing to flush. */
  if (stream->phase != GALE__SP_LINGERING) stream_phase_to(stream, GALE__SP_CLOSING);
  stream->linger_s = (float)linger;
  stream->data_cb = NULL;
  gale__stream_schedule(stream);
  return GALE_OK;
}

void gale__stream_set_close_hook(gale_stream *stream, gale_stream_close_cb cb, void *arg) {
  /* Removing stays possible inside the public close callback (the owner
   * freed from there, e.g. a TCP server freed by its HTTP server). */
  if (!stream || (stream->phase == GALE__SP_NOTIFIED && cb)) return;
  stream->close_hook = cb;
  stream->close_hook_arg = arg;
}
