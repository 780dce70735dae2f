/* SPDX-License-Identifier: MIT */
/* gale/future.h — a placeholder for a result (Tornado's Future).
 *
 * A future moves once from pending to one of: done with a result, failed
 * with a status, or cancelled.  Done callbacks are always scheduled on the
 * loop (never run inside set_result/set_error/cancel), in the order they were
 * added; one added to a future that is already done is scheduled at once.
 *
 * Ownership: futures are reference-counted.  gale_future_new() and every
 * gale function that returns a future give the caller one reference, to be
 * dropped with gale_future_unref().  A producer keeps its own reference until
 * it resolves the future, so dropping yours early is safe.  A pending done
 * callback holds a reference until it has run.
 *
 * The result is a void * handed over with an optional destructor; the future
 * owns it and destroys it when the last reference goes, unless someone took
 * it with gale_future_steal_result().
 *
 * Futures belong to their loop's thread (no locking).  When the loop is
 * freed, done callbacks and timeouts still queued are dropped unrun and the
 * references they held are released.
 */
#ifndef GALE_FUTURE_H
#define GALE_FUTURE_H

#include "gale/common.h"
#include "gale/error.h"
#include "gale/loop.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gale_future_state {
  GALE_FUTURE_PENDING = 0,
  GALE_FUTURE_DONE,   /* a result */
  GALE_FUTURE_FAILED, /* a status < 0 */
  GALE_FUTURE_CANCELLED
} gale_future_state;

typedef void (*gale_future_done_cb)(gale_future *future, void *arg);

/* Told synchronously, inside gale_future_cancel(), that a pending future was
 * cancelled, so its producer can stop the work. */
typedef void (*gale_future_cancel_cb)(gale_future *future, void *arg);

/* A new pending future bound to `loop` (where its callbacks run).  Returns
 * NULL for a NULL loop or when out of memory. */
GALE_EXPORT gale_future *gale_future_new(gale_loop *loop);

GALE_EXPORT gale_future *gale_future_ref(gale_future *future);
/* Drops a reference; the last one frees the future and its result. */
GALE_EXPORT void gale_future_unref(gale_future *future);

/* Resolves with a result; the future takes `result` (destroyed with
 * `free_result`, which may be NULL).  Returns GALE_OK, GALE_EINVAL, or
 * GALE_ESTATE when the future is no longer pending (then `result` stays the
 * caller's). */
GALE_EXPORT int gale_future_set_result(gale_future *future, void *result, gale_free_fn free_result);

/* Fails with `status` (< 0).  Returns GALE_OK, GALE_EINVAL (status >= 0),
 * GALE_ESTATE when no longer pending. */
GALE_EXPORT int gale_future_set_error(gale_future *future, int status);

/* Cancels a pending future: its state becomes CANCELLED, its status
 * GALE_ECANCELLED, the producer's cancel hook runs, done callbacks are
 * scheduled.  Returns true if it was pending. */
GALE_EXPORT bool gale_future_cancel(gale_future *future);

/* Sets the producer's cancel hook (replacing any earlier one). */
GALE_EXPORT void gale_future_set_cancel_cb(gale_future *future, gale_future_cancel_cb cb,
                                           void *arg);

/* Schedules cb(future, arg) for when the future is done.  Returns GALE_OK,
 * GALE_EINVAL, GALE_ENOMEM. */
GALE_EXPORT int gale_future_add_done_callback(gale_future *future, gale_future_done_cb cb,
                                              void *arg);

GALE_EXPORT gale_future_state gale_future_get_state(const gale_future *future);
/* True unless pending. */
GALE_EXPORT bool gale_future_done(const gale_future *future);
/* GALE_OK for a result, the error for a failure, GALE_ECANCELLED,
 * GALE_EAGAIN while pending. */
GALE_EXPORT int gale_future_status(const gale_future *future);
/* The result (borrowed), or NULL if there is none. */
GALE_EXPORT void *gale_future_result(const gale_future *future);
/* Takes the result out: the caller now owns it and its destructor is
 * forgotten. */
GALE_EXPORT void *gale_future_steal_result(gale_future *future);
GALE_EXPORT gale_loop *gale_future_loop(const gale_future *future);

/* A future that is done when all `n` futures are (borrowed; each gets a
 * reference until then, so a child that never resolves keeps the returned
 * future, the other children and itself alive: resolve or cancel them).  It fails with the first failure (in array order)
 * once all are done, is cancelled if any was and none failed, and otherwise
 * completes with a NULL result.  n == 0 gives a future already done.
 * Returns NULL for bad arguments or when out of memory. */
GALE_EXPORT gale_future *gale_future_all(gale_loop *loop, gale_future *const *futures, size_t n);

/* A future that mirrors `future` (status and a borrowed view of its result:
 * the result stays owned by `future`, which is kept referenced) or fails with
 * GALE_ETIMEDOUT after `timeout` seconds.  The inner future is not cancelled
 * on timeout, as in Tornado.  Returns NULL for bad arguments or no memory. */
GALE_EXPORT gale_future *gale_future_with_timeout(gale_future *future, double timeout);

/* The executor's job as a future: the result is what fn returned, owned by
 * the future and destroyed with free_result (may be NULL). */
GALE_EXPORT gale_future *gale_loop_run_in_executor_future(gale_loop *loop, gale_executor_fn fn,
                                                          void *arg, gale_free_fn free_result);

#ifdef __cplusplus
}
#endif

#endif
