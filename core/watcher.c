/* SPDX-License-Identifier: MIT */
/* fd watchers: one embedded libevent event each, level-triggered. */
#include <stdlib.h>

#include "core/alloc.h"
#include "core/loop_internal.h"

struct gale_watcher {
  struct gale__handle handle; /* first: the loop frees forgotten ones */
  gale_loop *loop;
  struct event ev;
  int fd;
  int events;
  gale_watcher_cb cb;
  void *arg;
  bool in_cb;
  bool freed; /* freed inside its callback: release after it returns */
};

#define GALE_WATCH_MASK (GALE_READ | GALE_WRITE | GALE_ERROR)

static short to_libevent(int events) {
  short what = 0;
  if (events & GALE_READ) what |= EV_READ;
  if (events & GALE_WRITE) what |= EV_WRITE;
  if (events & GALE_ERROR) what |= EV_CLOSED;
  return what;
}

static void on_event(evutil_socket_t fd, short what, void *arg) {
  gale_watcher *w = arg;
  int events = 0;
  if (what & EV_READ) events |= GALE_READ;
  if (what & EV_WRITE) events |= GALE_WRITE;
  if (what & EV_CLOSED) events |= GALE_ERROR;
  events &= w->events;
  if (events == 0) return;
  w->in_cb = true;
  w->cb(w, (int)fd, events, w->arg);
  w->in_cb = false;
  if (w->freed) free(w);
}

/* Registers the current mask (0: assigned but not added). */
static int arm(gale_watcher *w) {
  if (event_assign(&w->ev, w->loop->base, w->fd, (short)(to_libevent(w->events) | EV_PERSIST),
                   on_event, w) != 0)
    return GALE_ESYS;
  if (w->events != 0 && event_add(&w->ev, NULL) != 0) return GALE_ESYS;
  return GALE_OK;
}

static void destroy_handle(struct gale__handle *handle) {
  gale_watcher *w = (gale_watcher *)handle;
  event_del(&w->ev);
  free(w);
}

int gale_watcher_new(gale_loop *loop, int fd, int events, gale_watcher_cb cb, void *arg,
                     gale_watcher **out) {
  if (loop == NULL || fd < 0 || cb == NULL || out == NULL || (events & ~GALE_WATCH_MASK))
    return GALE_EINVAL;
  gale_watcher *w = gale__calloc(1, sizeof *w);
  if (w == NULL) return GALE_ENOMEM;
  w->loop = loop;
  w->fd = fd;
  w->events = events;
  w->cb = cb;
  w->arg = arg;
  if (arm(w) != GALE_OK) {
    free(w);
    return GALE_ESYS;
  }
  gale__handle_link(loop, &w->handle, destroy_handle);
  *out = w;
  return GALE_OK;
}

int gale_watcher_update(gale_watcher *w, int events) {
  if (w == NULL || w->freed || (events & ~GALE_WATCH_MASK)) return GALE_EINVAL;
  if (events == w->events) return GALE_OK;
  event_del(&w->ev);
  w->events = events;
  return arm(w);
}

int gale_watcher_events(const gale_watcher *w) { return w != NULL ? w->events : 0; }

void gale_watcher_free(gale_watcher *w) {
  if (w == NULL || w->freed) return;
  event_del(&w->ev);
  gale__handle_unlink(&w->handle);
  if (w->in_cb) {
    w->freed = true;
    return;
  }
  free(w);
}
