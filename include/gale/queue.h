/* SPDX-License-Identifier: MIT */
/* gale/queue.h — a queue between coroutines (and callbacks) on one loop:
 * Tornado's tornado.queues (Queue, PriorityQueue, LifoQueue), with the same
 * semantics.
 *
 * Items are void pointers; the queue never looks inside them except to
 * order a priority queue with its compare function.  With maxsize 0 the
 * queue is unbounded; otherwise put waits while it holds maxsize items and
 * get waits while it is empty, waiters served in FIFO order.  Timeouts are
 * as in gale/locks.h: seconds from now, GALE_FOREVER for none; a wait that
 * times out fails with GALE_ETIMEDOUT, and a put that times out or is
 * cancelled leaves its item with the caller.
 *
 * task_done / join count the work, as Tornado's do: every put adds an
 * unfinished task, every task_done removes one, and join resolves when none
 * is left.  Not thread-safe: the loop's thread only.
 */
#ifndef GALE_QUEUE_H
#define GALE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

#include "gale/common.h"
#include "gale/future.h"
#include "gale/locks.h"
#include "gale/loop.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gale_queue gale_queue;

/* Orders a priority queue: negative when a comes out before b. */
typedef int (*gale_queue_cmp)(const void *a, const void *b);

/* A FIFO queue holding at most `maxsize` items (0: unbounded).  free_item
 * (may be NULL) is called on every item still inside when the queue is
 * freed, and on an item a get future holds when that future is dropped
 * without the item taken (gale_future_steal_result).  NULL for a NULL loop
 * or no memory. */
GALE_EXPORT gale_queue *gale_queue_new(gale_loop *loop, size_t maxsize, gale_free_fn free_item);
/* The same, smallest item (by cmp) first; ties in put order. */
GALE_EXPORT gale_queue *gale_queue_new_priority(gale_loop *loop, size_t maxsize, gale_queue_cmp cmp,
                                                gale_free_fn free_item);
/* The same, last put first out. */
GALE_EXPORT gale_queue *gale_queue_new_lifo(gale_loop *loop, size_t maxsize,
                                            gale_free_fn free_item);
/* Frees the queue and the items left in it; pending gets, puts and joins
 * are cancelled (a waiting put's item stays its caller's). */
GALE_EXPORT void gale_queue_free(gale_queue *q);

/* Puts `item` in, waiting for room while the queue is full.  The future
 * resolves (NULL result) once the item is in; the queue owns it from then
 * on.  NULL for a NULL queue or no memory. */
GALE_EXPORT gale_future *gale_queue_put(gale_queue *q, void *item, double timeout);
/* Puts `item` in without waiting: GALE_OK, GALE_EQUEUEFULL (the item stays
 * the caller's), GALE_EINVAL, GALE_ENOMEM. */
GALE_EXPORT int gale_queue_put_nowait(gale_queue *q, void *item);

/* Takes the next item, waiting while the queue is empty.  The future's
 * result is the item: take it with gale_future_steal_result().  NULL for a
 * NULL queue or no memory. */
GALE_EXPORT gale_future *gale_queue_get(gale_queue *q, double timeout);
/* Takes the next item without waiting: GALE_OK (*item set, now the
 * caller's), GALE_EQUEUEEMPTY, GALE_EINVAL. */
GALE_EXPORT int gale_queue_get_nowait(gale_queue *q, void **item);

/* Marks one item taken with get as processed.  GALE_OK, GALE_EINVAL when
 * called more times than items were put (Tornado's ValueError). */
GALE_EXPORT int gale_queue_task_done(gale_queue *q);
/* Resolves (NULL result) when every item put has been marked done. */
GALE_EXPORT gale_future *gale_queue_join(gale_queue *q, double timeout);

/* Items in the queue now (not counting puts waiting for room). */
GALE_EXPORT size_t gale_queue_qsize(const gale_queue *q);
GALE_EXPORT bool gale_queue_empty(const gale_queue *q);
/* True when bounded and holding maxsize items. */
GALE_EXPORT bool gale_queue_full(const gale_queue *q);
GALE_EXPORT size_t gale_queue_maxsize(const gale_queue *q);

#ifdef __cplusplus
}
#endif

#endif
