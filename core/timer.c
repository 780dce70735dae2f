/* SPDX-License-Identifier: MIT */
/* One-shot timers: a binary min-heap keyed (deadline, sequence), so timers
 * due at the same time run in the order they were scheduled, armed on the
 * base as a single libevent timer for the earliest deadline. */
#include <math.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "core/loop_internal.h"

#define GALE_FREE_TIMERS_MAX 4096

enum timer_state {
  TIMER_FREE,      /* on the free list */
  TIMER_PENDING,   /* in the heap */
  TIMER_DUE,       /* popped, waiting in the runner's batch */
  TIMER_CANCELLED, /* cancelled while in the batch */
  TIMER_RUNNING    /* its callback is on the stack */
};

struct gale_timer {
  double when;
  uint64_t seq;
  size_t index; /* in the heap while pending */
  gale_loop_cb cb;
  void *arg;
  void (*drop)(void *arg); /* instead of cb when the loop is freed first */
  gale_loop *loop;
  struct gale_timer *next; /* free list, or the runner's batch */
  enum timer_state state;
};

static bool before(const struct gale_timer *a, const struct gale_timer *b) {
  return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void heap_set(struct gale__timer_heap *heap, size_t i, struct gale_timer *t) {
  heap->items[i] = t;
  t->index = i;
}

static void sift_up(struct gale__timer_heap *heap, size_t i) {
  struct gale_timer *t = heap->items[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!before(t, heap->items[parent])) break;
    heap_set(heap, i, heap->items[parent]);
    i = parent;
  }
  heap_set(heap, i, t);
}

static void sift_down(struct gale__timer_heap *heap, size_t i) {
  struct gale_timer *t = heap->items[i];
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= heap->len) break;
    if (child + 1 < heap->len && before(heap->items[child + 1], heap->items[child])) child++;
    if (!before(heap->items[child], t)) break;
    heap_set(heap, i, heap->items[child]);
    i = child;
  }
  heap_set(heap, i, t);
}

static int heap_push(struct gale__timer_heap *heap, struct gale_timer *t) {
  if (heap->len == heap->cap) {
    size_t cap = heap->cap ? heap->cap * 2 : 64;
    struct gale_timer **items = gale__realloc(heap->items, cap * sizeof *items);
    if (items == NULL) return GALE_ENOMEM;
    heap->items = items;
    heap->cap = cap;
  }
  heap->items[heap->len] = t;
  t->index = heap->len++;
  sift_up(heap, t->index);
  return GALE_OK;
}

static void heap_remove(struct gale__timer_heap *heap, size_t i) {
  struct gale_timer *last = heap->items[--heap->len];
  if (i == heap->len) return;
  heap_set(heap, i, last);
  if (i > 0 && before(last, heap->items[(i - 1) / 2]))
    sift_up(heap, i);
  else
    sift_down(heap, i);
}

static void timer_put(gale_loop *loop, struct gale_timer *t) {
  t->state = TIMER_FREE;
  if (loop->free_timer_count >= GALE_FREE_TIMERS_MAX) {
    free(t);
    return;
  }
  t->next = loop->free_timers;
  loop->free_timers = t;
  loop->free_timer_count++;
}

/* Arms the libevent timer for the heap's top unless it already fires no
 * later than that. */
static void arm(gale_loop *loop) {
  if (loop->timers.len == 0) return; /* a stale arming only wakes us early */
  double when = loop->timers.items[0]->when;
  if (loop->timer_armed && loop->armed_when <= when) return;
  /* libevent adds a relative timeout to its cached time, which inside a
   * callback is from before the callbacks ran: refresh it, else the timer
   * fires early and re-arms. */
  if (loop->dispatching) event_base_update_cache_time(loop->base);
  struct timeval tv = gale__timeval(when - gale__monotonic());
  event_add(&loop->timer_ev, &tv);
  loop->timer_armed = true;
  loop->armed_when = when;
}

static void on_timer(evutil_socket_t fd, short what, void *arg) {
  gale_loop *loop = arg;
  struct gale__timer_heap *heap = &loop->timers;
  struct gale_timer *batch = NULL, **tail = &batch;
  (void)fd;
  (void)what;
  loop->timer_armed = false;
  /* Take every timer due now first: those scheduled by the callbacks below
   * wait for the next iteration even if already due. */
  double now = gale__monotonic();
  while (heap->len > 0 && heap->items[0]->when <= now) {
    struct gale_timer *t = heap->items[0];
    heap_remove(heap, 0);
    t->state = TIMER_DUE;
    t->next = NULL;
    *tail = t;
    tail = &t->next;
  }
  loop->in_timers = true;
  while (batch != NULL) {
    struct gale_timer *t = batch;
    batch = t->next;
    if (t->state == TIMER_CANCELLED) {
      timer_put(loop, t);
      continue;
    }
    t->state = TIMER_RUNNING;
    t->cb(loop, t->arg);
    timer_put(loop, t);
    if (batch != NULL && loop->stop_requested && loop->running) {
      /* Stop after the current callback; the rest keep their place. */
      while (batch != NULL) {
        t = batch;
        batch = t->next;
        if (t->state == TIMER_CANCELLED || heap_push(heap, t) != GALE_OK) {
          timer_put(loop, t);
          continue;
        }
        t->state = TIMER_PENDING;
      }
      event_base_loopbreak(loop->base);
    }
  }
  loop->in_timers = false;
  arm(loop);
}

int gale__timers_init(gale_loop *loop) {
  return event_assign(&loop->timer_ev, loop->base, -1, 0, on_timer, loop) == 0 ? GALE_OK
                                                                               : GALE_ESYS;
}

void gale__timers_free(gale_loop *loop) {
  struct gale__timer_heap *heap = &loop->timers;
  for (size_t i = 0; i < heap->len; i++) {
    struct gale_timer *t = heap->items[i];
    if (t->drop != NULL)
      t->drop(t->arg);
    else
      gale__future_drop(t->cb, t->arg);
    free(heap->items[i]);
  }
  free(heap->items);
  heap->items = NULL;
  heap->len = heap->cap = 0;
  while (loop->free_timers != NULL) {
    struct gale_timer *t = loop->free_timers;
    loop->free_timers = t->next;
    free(t);
  }
  loop->free_timer_count = 0;
  if (loop->base != NULL) event_del(&loop->timer_ev);
}

int gale_loop_call_at(gale_loop *loop, double when, gale_loop_cb cb, void *arg, gale_timer **out) {
  if (loop == NULL || cb == NULL || isnan(when)) return GALE_EINVAL;
  struct gale_timer *t = loop->free_timers;
  if (t != NULL) {
    loop->free_timers = t->next;
    loop->free_timer_count--;
  } else if ((t = gale__malloc(sizeof *t)) == NULL) {
    return GALE_ENOMEM;
  }
  t->when = when;
  t->seq = loop->timers.next_seq++;
  t->cb = cb;
  t->arg = arg;
  t->drop = NULL;
  t->loop = loop;
  t->next = NULL;
  t->state = TIMER_PENDING;
  if (heap_push(&loop->timers, t) != GALE_OK) {
    timer_put(loop, t);
    return GALE_ENOMEM;
  }
  if (t->index == 0 && !loop->in_timers) arm(loop);
  if (out != NULL) *out = t;
  return GALE_OK;
}

int gale_loop_call_later(gale_loop *loop, double delay, gale_loop_cb cb, void *arg,
                         gale_timer **out) {
  if (isnan(delay)) return GALE_EINVAL;
  if (delay < 0) delay = 0;
  if (delay > 1e9) delay = 1e9;
  return gale_loop_call_at(loop, gale__monotonic() + delay, cb, arg, out);
}

int gale__loop_call_later_owned(gale_loop *loop, double delay, gale_loop_cb cb,
                                void (*drop)(void *arg), void *arg, gale_timer **out) {
  gale_timer *t = NULL;
  int rc = gale_loop_call_later(loop, delay, cb, arg, &t);
  if (rc != GALE_OK) return rc;
  t->drop = drop;
  if (out != NULL) *out = t;
  return GALE_OK;
}

int gale_timer_cancel(gale_timer *timer) {
  if (timer == NULL) return GALE_EINVAL;
  switch (timer->state) {
  case TIMER_PENDING:
    /* The libevent timer stays armed: an early fire is cheaper than
     * re-arming on every cancel. */
    heap_remove(&timer->loop->timers, timer->index);
    timer_put(timer->loop, timer);
    return GALE_OK;
  case TIMER_DUE: timer->state = TIMER_CANCELLED; return GALE_OK;
  case TIMER_RUNNING: return GALE_OK; /* freed when its callback returns */
  default: return GALE_EINVAL;
  }
}
