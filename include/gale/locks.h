/* SPDX-License-Identifier: MIT */
/* gale/locks.h — coordination between coroutines (and callbacks) on one
 * loop: Tornado's tornado.locks, with the same semantics.
 *
 * None of these is thread-safe: like everything on a loop they belong to
 * its thread, and they coordinate tasks that interleave at their awaits.
 * Every wait returns a future, so a coroutine awaits it (gale_await) and
 * callback code adds a done callback.  Waiters wake in FIFO order.
 *
 * Timeouts: `timeout` is in seconds from now; GALE_FOREVER (any negative
 * value) waits without one.  For an absolute deadline on the loop's clock,
 * pass deadline - gale_loop_time(loop).  A wait that times out fails with
 * GALE_ETIMEDOUT (where Tornado's Condition resolves False and the others
 * raise TimeoutError); one whose future is cancelled just leaves the line.
 *
 * The wait functions return a future the caller owns one reference to, or
 * NULL for a NULL object or no memory.  Freeing a primitive with waiters
 * cancels their futures.
 */
#ifndef GALE_LOCKS_H
#define GALE_LOCKS_H

#include <stdbool.h>
#include <stddef.h>

#include "gale/common.h"
#include "gale/future.h"
#include "gale/loop.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Wait without a timeout. */
#define GALE_FOREVER (-1.0)

/* ---- event: a flag tasks wait to see set ----------------------------------- */

typedef struct gale_event gale_event;

/* A new, clear event; NULL for a NULL loop or no memory. */
GALE_EXPORT gale_event *gale_event_new(gale_loop *loop);
GALE_EXPORT void gale_event_free(gale_event *event);
GALE_EXPORT bool gale_event_is_set(const gale_event *event);
/* Sets the flag and wakes every waiter; waits from now on complete at once. */
GALE_EXPORT void gale_event_set(gale_event *event);
/* Clears the flag: later waits block until the next set. */
GALE_EXPORT void gale_event_clear(gale_event *event);
/* Resolves (NULL result) once the flag is set: already done if it is. */
GALE_EXPORT gale_future *gale_event_wait(gale_event *event, double timeout);

/* ---- condition: wait to be notified -------------------------------------- */

typedef struct gale_condition gale_condition;

GALE_EXPORT gale_condition *gale_condition_new(gale_loop *loop);
GALE_EXPORT void gale_condition_free(gale_condition *cond);
/* Resolves (NULL result) when notified. */
GALE_EXPORT gale_future *gale_condition_wait(gale_condition *cond, double timeout);
/* Wakes the `n` longest waiting (fewer if fewer wait); returns how many. */
GALE_EXPORT size_t gale_condition_notify(gale_condition *cond, size_t n);
/* Wakes every waiter; returns how many. */
GALE_EXPORT size_t gale_condition_notify_all(gale_condition *cond);
/* How many wait. */
GALE_EXPORT size_t gale_condition_waiters(const gale_condition *cond);

/* ---- semaphore: a counter of free slots ------------------------------------ */

typedef struct gale_semaphore gale_semaphore;

/* A semaphore with `value` free slots.  NULL for a NULL loop or no memory. */
GALE_EXPORT gale_semaphore *gale_semaphore_new(gale_loop *loop, unsigned value);
/* A bounded semaphore: a release that would raise the value past its
 * initial `value` fails with GALE_EINVAL (Tornado's BoundedSemaphore). */
GALE_EXPORT gale_semaphore *gale_semaphore_new_bounded(gale_loop *loop, unsigned value);
GALE_EXPORT void gale_semaphore_free(gale_semaphore *sem);
/* Takes a slot: done at once if one is free (and no one waits), else when a
 * release hands one over. */
GALE_EXPORT gale_future *gale_semaphore_acquire(gale_semaphore *sem, double timeout);
/* Gives a slot back, to the longest waiter if there is one.  GALE_OK,
 * GALE_EINVAL (NULL, or a bounded semaphore released too often). */
GALE_EXPORT int gale_semaphore_release(gale_semaphore *sem);
/* Free slots now. */
GALE_EXPORT unsigned gale_semaphore_value(const gale_semaphore *sem);

/* ---- lock: one holder at a time ------------------------------------------ */

typedef struct gale_lock gale_lock;

GALE_EXPORT gale_lock *gale_lock_new(gale_loop *loop);
GALE_EXPORT void gale_lock_free(gale_lock *lock);
/* Resolves once the caller holds the lock (FIFO among waiters). */
GALE_EXPORT gale_future *gale_lock_acquire(gale_lock *lock, double timeout);
/* Unlocks, handing the lock to the longest waiter.  GALE_OK, GALE_ESTATE
 * when it is not locked (Tornado's RuntimeError), GALE_EINVAL for NULL. */
GALE_EXPORT int gale_lock_release(gale_lock *lock);
GALE_EXPORT bool gale_lock_locked(const gale_lock *lock);

#ifdef __cplusplus
}
#endif

#endif
