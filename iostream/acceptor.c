/* SPDX-License-Identifier: MIT */
/* Accepting connections on one listening socket (tornado.netutil's
 * add_accept_handler), with a bounded number of accepts per wake-up and a
 * back-off instead of a spin when the process runs out of descriptors. */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "gale/log.h"
#include "iostream/server_internal.h"

#define DEFAULT_BACKOFF 0.1

struct gale_acceptor {
  gale_loop *loop;
  int fd;
  double backoff;
  gale_acceptor_cb cb;
  void *arg;
  gale_watcher *watcher;
  gale_timer *retry; /* armed during a back-off */
  bool paused;       /* by the user */
  bool warned;       /* logged this back-off episode */
  bool *freed;       /* set when freed from inside the callback */
  unsigned long wakeups;
};

static void update_watch(gale_acceptor *a) {
  int events = (a->paused || a->retry) ? 0 : GALE_READ;
  if (gale_watcher_events(a->watcher) != events) gale_watcher_update(a->watcher, events);
}

static void retry_cb(gale_loop *loop, void *arg) {
  gale_acceptor *a = arg;
  a->retry = NULL;
  update_watch(a);
}

/* Out of descriptors (or kernel memory): the listening socket stays
 * readable, so watching it would spin.  Stop for a while. */
static void back_off(gale_acceptor *a, int err) {
  if (!a->warned)
    gale_log_warning(NULL, "accept on fd %d: %s; pausing accepts for %.0f ms at a time", a->fd,
                     gale_strerror(gale_err_from_errno(err)), a->backoff * 1000);
  a->warned = true;
  if (gale_loop_call_later(a->loop, a->backoff, retry_cb, a, &a->retry) != GALE_OK) {
    a->retry = NULL;
    return; /* no memory for a timer: keep watching rather than go deaf */
  }
  update_watch(a);
}

static void readable_cb(gale_watcher *w, int fd, int events, void *arg) {
  gale_acceptor *a = arg;
  a->wakeups++;
  bool freed = false;
  a->freed = &freed;
  for (int i = 0; i < GALE_DEFAULT_BACKLOG && !a->paused; i++) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int cfd = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) {
      int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK) break;
      if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
        back_off(a, err);
        break;
      }
      /* The connection died in the backlog (ECONNABORTED, EPROTO, the
       * network errors Linux passes on from the new socket) or a signal
       * interrupted us: take the next one. */
      if (err == EBADF || err == EINVAL || err == ENOTSOCK || err == EOPNOTSUPP) {
        gale_log_error(NULL, "accept on fd %d failed: errno %d; stopping", fd, err);
        a->paused = true;
        update_watch(a);
        break;
      }
      continue;
    }
    a->warned = false;
    a->cb(a, cfd, (struct sockaddr *)&ss, len, a->arg);
    if (freed) return;
  }
  a->freed = NULL;
}

int gale_acceptor_new(gale_loop *loop, int listen_fd, double backoff, gale_acceptor_cb cb,
                      void *arg, gale_acceptor **out) {
  if (!loop || listen_fd < 0 || !cb || !out) return GALE_EINVAL;
  gale_acceptor *a = calloc(1, sizeof *a);
  if (!a) return GALE_ENOMEM;
  a->loop = loop;
  a->fd = listen_fd;
  a->backoff = backoff > 0 ? backoff : DEFAULT_BACKOFF;
  a->cb = cb;
  a->arg = arg;
  int rc = gale_watcher_new(loop, listen_fd, GALE_READ, readable_cb, a, &a->watcher);
  if (rc != GALE_OK) {
    free(a);
    return rc;
  }
  *out = a;
  return GALE_OK;
}

int gale_acceptor_pause(gale_acceptor *a) {
  if (!a) return GALE_EINVAL;
  a->paused = true;
  update_watch(a);
  return GALE_OK;
}

int gale_acceptor_resume(gale_acceptor *a) {
  if (!a) return GALE_EINVAL;
  a->paused = false;
  update_watch(a);
  return GALE_OK;
}

int gale_acceptor_fd(const gale_acceptor *a) { return a ? a->fd : -1; }

void gale_acceptor_free(gale_acceptor *a) {
  if (!a) return;
  if (a->freed) *a->freed = true;
  if (a->retry) gale_timer_cancel(a->retry);
  gale_watcher_free(a->watcher);
  free(a);
}

unsigned long gale__acceptor_wakeups(const gale_acceptor *a) { return a->wakeups; }

bool gale__acceptor_backing_off(const gale_acceptor *a) { return a->retry != NULL; }
