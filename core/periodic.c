/* SPDX-License-Identifier: MIT */
/* Periodic timers (Tornado's PeriodicCallback): ticks on a fixed schedule
 * start + k * interval; ticks missed while the loop was blocked are skipped,
 * never run back to back. */
#include <math.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "core/loop_internal.h"

struct gale_periodic {
  struct gale__handle handle; /* first: the loop frees forgotten ones */
  gale_loop *loop;
  double interval, jitter;
  gale_loop_cb cb;
  void *arg;
  gale_timer *timer; /* the next tick, NULL when none is scheduled */
  double next;       /* the next tick's deadline */
  bool running;
  bool in_cb;
  bool freed; /* freed inside its callback: release after it returns */
};

/* xorshift64*: jitter needs spread, not quality. */
static double random_unit(gale_loop *loop) {
  uint64_t x = loop->rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  loop->rng = x;
  return (double)((x * 0x2545F4914F6CDD1Dull) >> 11) * (1.0 / 9007199254740992.0);
}

static void tick(gale_loop *loop, void *arg);

/* Tornado's _update_next: the next multiple of the interval after now. */
static void schedule_next(gale_periodic *p) {
  double now = gale__monotonic();
  double interval = p->interval;
  if (p->jitter > 0) interval *= 1 + p->jitter * (random_unit(p->loop) - 0.5);
  if (p->next <= now)
    p->next += (floor((now - p->next) / interval) + 1) * interval;
  else
    p->next += interval;
  if (gale_loop_call_at(p->loop, p->next, tick, p, &p->timer) != GALE_OK) {
    p->timer = NULL;
    p->running = false;
  }
}

static void destroy(gale_periodic *p) {
  if (p->timer != NULL) gale_timer_cancel(p->timer);
  gale__handle_unlink(&p->handle);
  free(p);
}

static void destroy_handle(struct gale__handle *handle) { destroy((gale_periodic *)handle); }

static void tick(gale_loop *loop, void *arg) {
  gale_periodic *p = arg;
  p->timer = NULL;
  p->in_cb = true;
  p->cb(loop, p->arg);
  p->in_cb = false;
  if (p->freed) {
    free(p);
    return;
  }
  if (p->running && p->timer == NULL) schedule_next(p);
}

int gale_periodic_new(gale_loop *loop, double interval, double jitter, gale_loop_cb cb, void *arg,
                      gale_periodic **out) {
  if (loop == NULL || cb == NULL || out == NULL || !(interval > 0) || !(jitter >= 0) ||
      jitter > 1 || isinf(interval))
    return GALE_EINVAL;
  gale_periodic *p = gale__calloc(1, sizeof *p);
  if (p == NULL) return GALE_ENOMEM;
  p->loop = loop;
  p->interval = interval;
  p->jitter = jitter;
  p->cb = cb;
  p->arg = arg;
  gale__handle_link(loop, &p->handle, destroy_handle);
  *out = p;
  return GALE_OK;
}

int gale_periodic_start(gale_periodic *p) {
  if (p == NULL || p->freed) return GALE_EINVAL;
  if (p->running) return GALE_OK;
  p->running = true;
  p->next = gale__monotonic();
  /* Inside its own callback the tick reschedules once it returns. */
  if (!p->in_cb) schedule_next(p);
  return p->running ? GALE_OK : GALE_ENOMEM;
}

int gale_periodic_stop(gale_periodic *p) {
  if (p == NULL || p->freed) return GALE_EINVAL;
  p->running = false;
  if (p->timer != NULL) {
    gale_timer_cancel(p->timer);
    p->timer = NULL;
  }
  return GALE_OK;
}

bool gale_periodic_is_running(const gale_periodic *p) { return p != NULL && p->running; }

void gale_periodic_free(gale_periodic *p) {
  if (p == NULL || p->freed) return;
  if (p->in_cb) {
    gale_periodic_stop(p);
    gale__handle_unlink(&p->handle);
    p->freed = true;
    return;
  }
  destroy(p);
}
