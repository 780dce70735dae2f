/* SPDX-License-Identifier: MIT */
/* Waiter queues: FIFO, with timeouts and cancellation taking a waiter out
 * wherever it is. */
#include "core/waitq.h"

#include <stdlib.h>

#include "core/alloc.h"
#include "core/loop_internal.h"

void gale__waitq_init(gale__waitq *q, gale_loop *loop) {
  q->loop = loop;
  q->head = q->tail = NULL;
  q->len = 0;
}

static void unlink_waiter(gale__waiter *w) {
  gale__waitq *q = w->q;
  if (w->prev)
    w->prev->next = w->next;
  else
    q->head = w->next;
  if (w->next)
    w->next->prev = w->prev;
  else
    q->tail = w->prev;
  q->len--;
  w->prev = w->next = NULL;
}

/* Leaves without being popped (an item stays its putter's). */
static void abandon(gale__waiter *w) {
  unlink_waiter(w);
  gale_future_set_cancel_cb(w->future, NULL, NULL);
  gale_future_unref(w->future);
  free(w);
}

static void on_timeout(gale_loop *loop, void *arg) {
  gale__waiter *w = arg;
  (void)loop;
  w->timer = NULL;
  gale_future *f = gale_future_ref(w->future);
  abandon(w);
  gale_future_set_error(f, GALE_ETIMEDOUT);
  gale_future_unref(f);
}

/* The loop is freed with the timeout pending: the wait ends unresolved. */
static void on_timer_dropped(void *arg) {
  gale__waiter *w = arg;
  w->timer = NULL;
  abandon(w);
}

static void on_cancel(gale_future *f, void *arg) {
  gale__waiter *w = arg;
  (void)f;
  if (w->timer != NULL) gale_timer_cancel(w->timer);
  abandon(w);
}

gale_future *gale__waitq_add(gale__waitq *q, double timeout, void *item) {
  gale_future *f = gale_future_new(q->loop);
  gale__waiter *w = gale__calloc(1, sizeof *w);
  if (f == NULL || w == NULL) {
    gale_future_unref(f);
    free(w);
    return NULL;
  }
  w->q = q;
  w->future = f;
  w->item = item;
  if (timeout >= 0 && gale__loop_call_later_owned(q->loop, timeout, on_timeout, on_timer_dropped, w,
                                                  &w->timer) != GALE_OK) {
    gale_future_unref(f);
    free(w);
    return NULL;
  }
  w->prev = q->tail;
  if (q->tail)
    q->tail->next = w;
  else
    q->head = w;
  q->tail = w;
  q->len++;
  gale_future_set_cancel_cb(f, on_cancel, w);
  return gale_future_ref(f);
}

bool gale__waitq_pop(gale__waitq *q, gale_future **future, void **item) {
  gale__waiter *w = q->head;
  if (w == NULL) return false;
  unlink_waiter(w);
  if (w->timer != NULL) gale_timer_cancel(w->timer);
  gale_future_set_cancel_cb(w->future, NULL, NULL);
  *future = w->future;
  if (item != NULL) *item = w->item;
  free(w);
  return true;
}

void gale__waitq_clear(gale__waitq *q, int status) {
  gale_future *f;
  while (gale__waitq_pop(q, &f, NULL)) {
    if (status == GALE_ECANCELLED)
      gale_future_cancel(f);
    else
      gale_future_set_error(f, status);
    gale_future_unref(f);
  }
}
