/* SPDX-License-Identifier: MIT */
/* gale/coro.h — coroutines: straight-line asynchronous code (Tornado's
 * tornado.gen, async def / await).
 *
 * A coroutine is a function that runs on its own stack on the loop's thread
 * and can wait for any gale_future with gale_await() without blocking the
 * loop: the call suspends the coroutine, the loop runs everything else, and
 * the call returns when the future is done.  Every gale call that returns a
 * future (stream reads and flushes, TCP connects, DNS, HTTP fetches, the
 * executor, gale_sleep) is awaitable as it is:
 *
 *   static int fetch_two(void *arg) {
 *     gale_future *a = gale_http_fetch(client, &req_a);
 *     int st = gale_await(a);                      // suspends, loop runs
 *     ... gale_future_result(a) ...
 *     gale_future_unref(a);
 *     return gale_await(sleep = gale_sleep(loop, 0.5)); // unref sleep too
 *   }
 *   gale_future *done = gale_coro_spawn(loop, fetch_two, NULL, NULL);
 *
 * Stacks are mmap'd with a guard page below them and committed only as far
 * as they are used (a suspended coroutine that went a few frames deep costs
 * a page or two); finished stacks are pooled for reuse.  An overflow hits
 * the guard page and the process dies with a message naming the coroutine
 * (never silent corruption).  Everything here belongs to the loop's thread.
 */
#ifndef GALE_CORO_H
#define GALE_CORO_H

#include <stdbool.h>
#include <stddef.h>

#include "gale/common.h"
#include "gale/future.h"
#include "gale/loop.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A coroutine's body: returns GALE_OK or a (negative) GALE_E... status. */
typedef int (*gale_coro_fn)(void *arg);

typedef struct gale_coro_options {
  /* Bytes of stack, rounded up to pages; 0 = 256 KiB.  Reserved, not
   * committed: only the pages the coroutine touches cost memory. */
  size_t stack_size;
  /* For logs and the overflow report; copied (the first 31 bytes). */
  const char *name;
  GALE_RESERVED(8); /* room for fields added later (README: ABI) */
} gale_coro_options;

/* Starts fn(arg) on the loop's next turn, on its own stack (opts may be
 * NULL for the defaults).  Returns a future (the caller owns one reference)
 * that resolves when fn returns: with a NULL result for GALE_OK, failed with
 * fn's status otherwise.  Cancelling the future (gale_future_cancel) makes
 * the coroutine's current or next gale_await return GALE_ECANCELLED, once;
 * the coroutine still runs to its end, and what it returns is then ignored.
 * Freeing the loop unwinds every coroutine still alive: each is resumed
 * with all its awaits returning GALE_ECANCELLED until it returns, so its
 * cleanup code runs and its stack is freed.  NULL for a NULL loop or fn,
 * or when out of memory or address space. */
GALE_EXPORT gale_future *gale_coro_spawn(gale_loop *loop, gale_coro_fn fn, void *arg,
                                         const gale_coro_options *opts);

/* Inside a coroutine: suspends it until `future` is done and returns its
 * status (GALE_OK, its error, or GALE_ECANCELLED if the future or the
 * coroutine was cancelled); the result stays readable with
 * gale_future_result().  A future that is already done returns at once
 * without suspending.  Outside a coroutine: returns GALE_ENOTCORO at once
 * and waits for nothing.  GALE_EINVAL for NULL.  Takes no reference: the
 * caller keeps its own until it is done with the future. */
GALE_EXPORT int gale_await(gale_future *future);

/* A future that completes (NULL result) after `seconds` (tornado.gen.sleep);
 * cancelling it stops the timer.  The caller owns one reference.  NULL for
 * a NULL loop, a NaN delay, or no memory. */
GALE_EXPORT gale_future *gale_sleep(gale_loop *loop, double seconds);

/* True when called from inside a coroutine. */
GALE_EXPORT bool gale_coro_running(void);

/* The running coroutine's name ("" when unnamed), or NULL outside one. */
GALE_EXPORT const char *gale_coro_name(void);

#ifdef __cplusplus
}
#endif

#endif
