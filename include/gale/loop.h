/* SPDX-License-Identifier: MIT */
/* gale/loop.h — the event loop (Tornado's IOLoop).
 *
 * One gale_loop per thread, built on one libevent event_base.  Everything a
 * loop runs — callbacks, timers, fd watchers, signal handlers, executor
 * completions, future done-callbacks — runs on the thread that calls
 * gale_loop_run(), one at a time.  The only entry from other threads is
 * gale_loop_add_callback_threadsafe() (and gale_loop_stop()).
 *
 * Callback contract (all of gale): a call that takes a callback and fails
 * returns the error and never invokes the callback; otherwise the callback
 * runs exactly once (or, for repeating things, until stopped), and never
 * inside the call that scheduled it.
 *
 * Times are seconds as doubles on a monotonic clock (gale_loop_time()).
 *
 * gale ignores SIGPIPE process-wide the first time a loop is created:
 * writes to a closed socket then fail with EPIPE instead of killing the
 * process.
 */
#ifndef GALE_LOOP_H
#define GALE_LOOP_H

#include "gale/common.h"
#include "gale/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gale_loop gale_loop;
typedef struct gale_timer gale_timer;
typedef struct gale_periodic gale_periodic;
typedef struct gale_watcher gale_watcher;
typedef struct gale_signal gale_signal;
typedef struct gale_future gale_future;

/* A plain callback: add_callback, timers, periodic timers. */
typedef void (*gale_loop_cb)(gale_loop *loop, void *arg);

/* ---- life cycle --------------------------------------------------------- */

/* Creates a loop.  If the calling thread has no current loop, the new loop
 * becomes its current loop.  Returns NULL when memory or a kernel object
 * (eventfd, epoll) cannot be had. */
GALE_EXPORT gale_loop *gale_loop_new(void);

/* Frees the loop.  Pending callbacks and timers are dropped without being
 * run; watchers, signals and periodic timers still registered are freed
 * (their handles become invalid).  The executor is drained: queued jobs that
 * have not started are cancelled and running ones are waited for; each job's
 * done callback is called once, with GALE_ECANCELLED for jobs that never ran.
 * Streams, servers and clients must be closed or freed before (they own
 * memory the loop cannot free); one closed just before, its close still to
 * be delivered, is finished by this call (fd closed, memory freed, its close
 * callback dropped like any other callback).  Must not be called from inside the loop's own
 * callbacks.  May run concurrently with gale_loop_add_callback_threadsafe()
 * from other threads, which then return GALE_ECLOSED.  NULL is ignored. */
GALE_EXPORT void gale_loop_free(gale_loop *loop);

/* Runs the loop until gale_loop_stop().  Makes it the thread's current loop
 * while running.  Returns GALE_OK after a stop, GALE_EINVAL for NULL,
 * GALE_EBUSY if the loop is already running (re-entrant run), GALE_ESYS if
 * the backend failed. */
GALE_EXPORT int gale_loop_run(gale_loop *loop);

/* Asks the loop to return from gale_loop_run() after the current callback
 * (callbacks and timers not yet run stay queued for the next run).
 * Safe from any thread and from a signal handler (async-signal-safe).  A
 * stop requested while the loop is not running makes the next run return at
 * once after one pass.  Returns GALE_OK or GALE_EINVAL. */
GALE_EXPORT int gale_loop_stop(gale_loop *loop);

/* Runs the loop until `future` is done or `timeout` seconds pass (timeout
 * <= 0: no limit), then returns: GALE_OK when the future is done (whatever
 * its outcome — read it with gale_future_status()), GALE_ETIMEDOUT when the
 * time ran out first (the future is left pending), GALE_ECANCELLED if
 * gale_loop_stop() ended the run first, GALE_EINVAL / GALE_EBUSY as for
 * gale_loop_run().  The future is borrowed. */
GALE_EXPORT int gale_loop_run_until_complete(gale_loop *loop, gale_future *future, double timeout);

/* Runs one iteration of the loop: processes whatever is ready, waiting for
 * at most `max_wait` seconds (0 = do not block) for something to become
 * ready.  For tests and embedding into foreign loops.  Returns GALE_OK,
 * GALE_EINVAL, GALE_EBUSY when called from inside the loop's own callbacks,
 * GALE_ESYS.  It does not consume a pending gale_loop_stop(). */
GALE_EXPORT int gale_loop_run_once(gale_loop *loop, double max_wait);

/* The calling thread's current loop, or NULL. */
GALE_EXPORT gale_loop *gale_loop_current(void);

/* Makes `loop` (or NULL) the calling thread's current loop. */
GALE_EXPORT void gale_loop_make_current(gale_loop *loop);

/* Monotonic loop time in seconds.  Reads the clock (cheap, vDSO). */
GALE_EXPORT double gale_loop_time(const gale_loop *loop);

/* True while gale_loop_run() (or run_until_complete) is on the stack. */
GALE_EXPORT bool gale_loop_is_running(const gale_loop *loop);

/* ---- callbacks ---------------------------------------------------------- */

/* Schedules cb(loop, arg) on the next iteration of the loop.  Callbacks run
 * in FIFO order; one added while callbacks are being run waits for the next
 * iteration, so a callback re-adding itself cannot starve I/O.  Loop thread
 * only.  O(1), no allocation in steady state.  Returns GALE_OK,
 * GALE_EINVAL (NULL loop or cb), GALE_ENOMEM. */
GALE_EXPORT int gale_loop_add_callback(gale_loop *loop, gale_loop_cb cb, void *arg);

/* Like gale_loop_add_callback() but callable from any thread; wakes a
 * sleeping loop at once.  Callbacks from one thread keep their order.
 * Returns GALE_OK, GALE_EINVAL, GALE_ENOMEM, or GALE_ECLOSED when the loop is
 * being freed or has been freed (the callback will not run). */
GALE_EXPORT int gale_loop_add_callback_threadsafe(gale_loop *loop, gale_loop_cb cb, void *arg);

/* ---- timers ------------------------------------------------------------- */

/* Runs cb(loop, arg) once, `delay` seconds from now (negative = 0).  If
 * `out` is not NULL it receives a handle for gale_timer_cancel(); the handle
 * stays valid until the callback has returned or the timer is cancelled.
 * Timers due at the same time run in the order they were scheduled.
 * Returns GALE_OK, GALE_EINVAL, GALE_ENOMEM. */
GALE_EXPORT int gale_loop_call_later(gale_loop *loop, double delay, gale_loop_cb cb, void *arg,
                                     gale_timer **out);

/* Like gale_loop_call_later() at an absolute gale_loop_time() deadline. */
GALE_EXPORT int gale_loop_call_at(gale_loop *loop, double when, gale_loop_cb cb, void *arg,
                                  gale_timer **out);

/* Cancels a timer: its callback will not run, and the handle is freed.
 * Safe from any callback on the loop, including the timer's own callback
 * (then it only invalidates the handle), and on a timer due in the same
 * iteration as the running one.  Not allowed once the timer's callback has
 * returned or after a cancel: handles are recycled, so a stale handle may
 * name a newer timer (clear your copy in the callback).  Returns GALE_OK or
 * GALE_EINVAL (NULL, or a handle seen to be free). */
GALE_EXPORT int gale_timer_cancel(gale_timer *timer);

/* ---- periodic timers (Tornado's PeriodicCallback) ----------------------- */

/* Creates a periodic timer that runs cb every `interval` seconds once
 * started.  Ticks stay on a fixed schedule (start + k × interval); when the
 * loop was blocked past one or more ticks they are skipped, never bunched.
 * `jitter` in [0, 1] randomizes each interval by ± jitter/2 of it (0 = none),
 * to keep many processes from waking together.  The handle is owned by the
 * caller: gale_periodic_free().  Returns GALE_OK, GALE_EINVAL (interval <= 0,
 * jitter outside [0, 1]), GALE_ENOMEM. */
GALE_EXPORT int gale_periodic_new(gale_loop *loop, double interval, double jitter, gale_loop_cb cb,
                                  void *arg, gale_periodic **out);

/* Starts ticking; the first tick is one interval from now.  Starting a
 * running timer does nothing.  Returns GALE_OK or GALE_EINVAL. */
GALE_EXPORT int gale_periodic_start(gale_periodic *periodic);

/* Stops ticking (also from inside its callback).  Returns GALE_OK or
 * GALE_EINVAL. */
GALE_EXPORT int gale_periodic_stop(gale_periodic *periodic);

GALE_EXPORT bool gale_periodic_is_running(const gale_periodic *periodic);

/* Stops and frees; safe from inside its own callback.  NULL is ignored. */
GALE_EXPORT void gale_periodic_free(gale_periodic *periodic);

/* ---- fd watchers -------------------------------------------------------- */

/* GALE_ERROR reports the peer's hang-up (EPOLLRDHUP).  A pending socket
 * error (EPOLLERR) is reported, as libevent does, as GALE_READ|GALE_WRITE
 * readiness: watch GALE_READ or GALE_WRITE to see it (a watcher for
 * GALE_ERROR alone on a socket in error is not told). */
enum {
  GALE_READ = 0x01,  /* readable, or EOF pending */
  GALE_WRITE = 0x02, /* writable (or the socket has an error) */
  GALE_ERROR = 0x04  /* peer hung up */
};

typedef void (*gale_watcher_cb)(gale_watcher *watcher, int fd, int events, void *arg);

/* Watches `fd` (not owned: the caller closes it, after freeing the watcher)
 * for `events` (a mask of GALE_READ, GALE_WRITE, GALE_ERROR; 0 = registered
 * but idle).  The callback receives the events that are ready; it keeps
 * firing while the condition holds (level-triggered).  Returns GALE_OK,
 * GALE_EINVAL (NULL, negative fd, unknown bits), GALE_ENOMEM, GALE_ESYS. */
GALE_EXPORT int gale_watcher_new(gale_loop *loop, int fd, int events, gale_watcher_cb cb, void *arg,
                                 gale_watcher **out);

/* Changes the watched events.  Returns GALE_OK, GALE_EINVAL, GALE_ESYS. */
GALE_EXPORT int gale_watcher_update(gale_watcher *watcher, int events);

GALE_EXPORT int gale_watcher_events(const gale_watcher *watcher);

/* Stops watching and frees the handle; safe from inside its own callback.
 * NULL is ignored. */
GALE_EXPORT void gale_watcher_free(gale_watcher *watcher);

/* ---- signals ------------------------------------------------------------ */

typedef void (*gale_signal_cb)(gale_signal *sig, int signum, void *arg);

/* Runs cb on the loop thread each time `signum` is delivered to the process
 * (the handler itself only records it).  One loop per process should own
 * signals: libevent delivers each signal to the last base that added it.
 * Returns GALE_OK, GALE_EINVAL, GALE_ENOMEM, GALE_ESYS. */
GALE_EXPORT int gale_signal_new(gale_loop *loop, int signum, gale_signal_cb cb, void *arg,
                                gale_signal **out);

/* Stops handling and frees; safe from inside its callback.  NULL ignored. */
GALE_EXPORT void gale_signal_free(gale_signal *sig);

/* Makes SIGINT and SIGTERM stop the loop cleanly (gale_loop_run returns).
 * The handlers are freed with the loop.  Returns GALE_OK or an error. */
GALE_EXPORT int gale_loop_stop_on_signals(gale_loop *loop);

/* ---- executor (a bounded thread pool for blocking work) ---------------- */

/* Runs on a worker thread; returns the job's result. */
typedef void *(*gale_executor_fn)(void *arg);

/* Runs on the loop thread once the job has finished (status GALE_OK, result
 * as returned) or was cancelled before it ran (GALE_ECANCELLED, result
 * NULL). */
typedef void (*gale_executor_done_cb)(gale_loop *loop, int status, void *result, void *arg);

/* Sets the number of worker threads (default: CPUs x 5, at most 1024, as
 * Tornado's IOLoop; they start only as jobs need them).  Must be called
 * before the first job.  Returns GALE_OK, GALE_EINVAL (n < 1 or > 1024),
 * GALE_ESTATE (threads already started). */
GALE_EXPORT int gale_loop_set_executor_size(gale_loop *loop, int threads);
/* The most worker threads the executor will run.  Returns it, or
 * GALE_EINVAL (NULL loop) / GALE_ENOMEM. */
GALE_EXPORT int gale_loop_get_executor_size(gale_loop *loop);

/* Queues fn(arg) for a worker thread; threads start lazily up to the
 * executor size.  `done` (may be NULL) gets the result on the loop thread.
 * `arg` is borrowed until `done` runs.  Returns GALE_OK, GALE_EINVAL,
 * GALE_ENOMEM, GALE_ESYS (thread creation failed with no worker left),
 * GALE_ECLOSED (called from a done callback run by gale_loop_free()). */
GALE_EXPORT int gale_loop_run_in_executor(gale_loop *loop, gale_executor_fn fn, void *arg,
                                          gale_executor_done_cb done, void *done_arg);

#ifdef __cplusplus
}
#endif

#endif
