/* SPDX-License-Identifier: MIT */
/* core/waitq.h — a FIFO of futures waiting for something (a lock, an event,
 * a queue slot), each with an optional timeout.  The machinery under
 * gale/locks.h and gale/queue.h.
 *
 * A waiter leaves the queue when it is popped (to be resolved by the
 * primitive), when its timeout fires (its future fails with GALE_ETIMEDOUT),
 * when its future is cancelled, or when the loop is freed with its timer
 * pending.  So popping never yields a waiter nobody waits for.
 */
#ifndef GALE_CORE_WAITQ_H
#define GALE_CORE_WAITQ_H

#include <stddef.h>

#include "gale/future.h"
#include "gale/loop.h"

typedef struct gale__waiter {
  struct gale__waiter *prev, *next;
  struct gale__waitq *q;
  gale_future *future; /* the waiter's (producer) reference */
  gale_timer *timer;   /* NULL without a timeout */
  void *item;          /* a queue put's item, waiting for room (the
                        * putter's until popped) */
} gale__waiter;

typedef struct gale__waitq {
  gale_loop *loop;
  gale__waiter *head, *tail;
  size_t len;
} gale__waitq;

GALE_INTERNAL void gale__waitq_init(gale__waitq *q, gale_loop *loop);

/* Queues a new waiter; returns its future (one reference for the caller) or
 * NULL when out of memory.  timeout < 0: none. */
GALE_INTERNAL gale_future *gale__waitq_add(gale__waitq *q, double timeout, void *item);

/* Takes the oldest waiter off (its timer stopped) and stores its future
 * (the reference is now the caller's, to resolve then unref) and item.
 * Returns false when no one waits. */
GALE_INTERNAL bool gale__waitq_pop(gale__waitq *q, gale_future **future, void **item);

/* Fails every waiter with `status` (GALE_ECANCELLED when the primitive is
 * freed); items stay their putters'. */
GALE_INTERNAL void gale__waitq_clear(gale__waitq *q, int status);

#endif
