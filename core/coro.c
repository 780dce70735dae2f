/* SPDX-License-Identifier: MIT */
/* Coroutines: spawn, await, cancellation, and unwinding when the loop is
 * freed.
 *
 * A coroutine is resumed only from a loop callback (or from gale_loop_free)
 * and always returns, when it suspends or ends, to the context that resumed
 * it: so a resumer may itself be a coroutine (a nested loop run inside one)
 * and the chain unwinds in order.  One node embedded in the coroutine queues
 * it on the loop, for its start and for every wake-up; one hook embedded in
 * it waits on the future it awaits.  Neither allocates.
 *
 * The coroutine's struct lives at the top of its own stack mapping: spawning
 * is one (pooled) mapping and one future, nothing else.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/assert.h"
#include "core/coro_stack.h"
#include "core/coro_switch.h"
#include "core/future_internal.h"
#include "core/loop_internal.h"
#include "gale/coro.h"
#include "gale/log.h"

#if defined(__SANITIZE_ADDRESS__)
#define GALE_ASAN_FIBERS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GALE_ASAN_FIBERS 1
#endif
#endif

#ifdef GALE_ASAN_FIBERS
#include <sanitizer/common_interface_defs.h>
#endif

enum { DEFAULT_STACK = 256 * 1024, MIN_STACK = 16 * 1024, NAME_MAX_LEN = 31 };

typedef enum coro_state {
  CORO_NEW = 0,   /* queued to start */
  CORO_RUNNING,   /* on the CPU (or resuming something that is) */
  CORO_SUSPENDED, /* in gale_await */
  CORO_DONE,      /* fn returned; its stack is no longer in use */
} coro_state;

static const uint32_t coro_moves[] = {
    [CORO_NEW] = GALE__STATE_BIT(CORO_RUNNING),
    [CORO_RUNNING] = GALE__STATE_BIT(CORO_SUSPENDED) | GALE__STATE_BIT(CORO_DONE),
    [CORO_SUSPENDED] = GALE__STATE_BIT(CORO_RUNNING),
    [CORO_DONE] = 0,
};

typedef struct gale__coro {
  gale__ctx ctx;      /* the coroutine's own, while it is not running */
  gale__ctx *resumer; /* where it returns when it suspends or ends */
  gale_loop *loop;
  gale_future *future; /* its outcome; the coroutine's reference */
  gale_coro_fn fn;
  void *arg;
  gale__stack *stack;
  gale_future *waiting; /* the awaited future (referenced) or NULL */
  struct gale__future_hook hook;
  struct gale__cb_node qnode; /* start / wake-up on the loop */
  struct gale__handle handle; /* on loop->coros until it ends */
  unsigned refs;              /* 1 while alive, 1 while qnode is queued */
  coro_state state;
  bool queued;
  bool cancelled;  /* deliver GALE_ECANCELLED at the current/next await */
  bool loop_dying; /* every await fails: the loop is being freed */
#ifdef GALE_ASAN_FIBERS
  void *fake_stack;           /* ASan's fake frames of this coroutine */
  const void *resumer_bottom; /* the resumer's stack, for switching back */
  size_t resumer_size;
#endif
  char name[NAME_MAX_LEN + 1];
} gale__coro;

static _Thread_local gale__coro *current;

bool gale_coro_running(void) { return current != NULL; }

const char *gale_coro_name(void) { return current ? current->name : NULL; }

/* ---- switching ------------------------------------------------------------ */

static void coro_unref(gale__coro *c) {
  if (--c->refs > 0) return;
  gale__stack_put(c->stack); /* c lives in it: last */
}

/* The resumer's side: runs c until it suspends or ends. */
static void coro_resume(gale__coro *c) {
  gale__ctx here;
  gale__coro *prev = current;
  c->resumer = &here;
  gale__transition(c->state, CORO_RUNNING, coro_moves);
  current = c;
  gale__stack_set_running(c->stack, c->name);
#ifdef GALE_ASAN_FIBERS
  void *fake = NULL;
  __sanitizer_start_switch_fiber(&fake, c->stack->lo, (size_t)((char *)c - c->stack->lo));
#endif
  gale__ctx_switch(&here, &c->ctx);
#ifdef GALE_ASAN_FIBERS
  __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
  current = prev;
  gale__stack_set_running(prev ? prev->stack : NULL, prev ? prev->name : NULL);
  if (c->state == CORO_DONE) coro_unref(c); /* the "alive" reference */
}

/* The coroutine's side: back to whoever resumed it, until resumed again. */
static void coro_suspend(gale__coro *c) {
  gale__transition(c->state, CORO_SUSPENDED, coro_moves);
#ifdef GALE_ASAN_FIBERS
  __sanitizer_start_switch_fiber(&c->fake_stack, c->resumer_bottom, c->resumer_size);
#endif
  gale__ctx_switch(&c->ctx, c->resumer);
#ifdef GALE_ASAN_FIBERS
  __sanitizer_finish_switch_fiber(c->fake_stack, &c->resumer_bottom, &c->resumer_size);
#endif
}

static void finish(gale__coro *c, int status) {
  gale_future *f = c->future;
  c->future = NULL;
  gale_future_set_cancel_cb(f, NULL, NULL);
  if (status >= 0)
    gale_future_set_result(f, NULL, NULL); /* ESTATE if cancelled: ignored */
  else
    gale_future_set_error(f, status);
  gale_future_unref(f);
  gale__handle_unlink(&c->handle);
}

static void coro_main(void *arg) {
  gale__coro *c = arg;
#ifdef GALE_ASAN_FIBERS
  __sanitizer_finish_switch_fiber(NULL, &c->resumer_bottom, &c->resumer_size);
#endif
  finish(c, c->fn(c->arg));
  gale__transition(c->state, CORO_DONE, coro_moves);
#ifdef GALE_ASAN_FIBERS
  /* NULL: this fiber's fake stack can go, it never runs again. */
  __sanitizer_start_switch_fiber(NULL, c->resumer_bottom, c->resumer_size);
#endif
  gale__ctx_switch(&c->ctx, c->resumer);
  abort(); /* a finished coroutine is never resumed */
}

/* ---- waking --------------------------------------------------------------- */

static void on_queued(gale_loop *loop, void *arg) {
  gale__coro *c = arg;
  (void)loop;
  c->queued = false;
  if (c->state == CORO_NEW || c->state == CORO_SUSPENDED) coro_resume(c);
  coro_unref(c);
}

/* The loop was freed with the wake-up still queued. */
static void on_queued_dropped(void *arg) {
  gale__coro *c = arg;
  c->queued = false;
  coro_unref(c);
}

/* A start waits for the loop's next turn (like any callback); a wake-up
 * runs as soon as the current callbacks are done. */
static void wake(gale__coro *c) {
  if (c->queued) return;
  c->queued = true;
  c->refs++;
  if (c->state == CORO_NEW)
    gale__loop_add_node(c->loop, &c->qnode);
  else
    gale__loop_add_ready(c->loop, &c->qnode);
}

static void on_awaited_done(struct gale__future_hook *hook) {
  gale__coro *c = (gale__coro *)((char *)hook - offsetof(gale__coro, hook));
  wake(c);
}

static void on_cancel(gale_future *f, void *arg) {
  gale__coro *c = arg;
  (void)f;
  c->cancelled = true;
  if (c->state == CORO_SUSPENDED && c->waiting != NULL && c->hook.linked) {
    gale__future_hook_remove(c->waiting, &c->hook);
    wake(c);
  }
}

int gale_await(gale_future *f) {
  gale__coro *c = current;
  if (c == NULL) return GALE_ENOTCORO;
  if (f == NULL) return GALE_EINVAL;
  if (c->loop_dying) return GALE_ECANCELLED;
  if (c->cancelled) {
    c->cancelled = false;
    return GALE_ECANCELLED;
  }
  if (gale_future_done(f)) return gale_future_status(f);
  c->waiting = gale_future_ref(f); /* alive while we wait, whatever the caller does */
  gale__future_hook_add(f, &c->hook);
  coro_suspend(c);
  gale__future_hook_remove(f, &c->hook); /* cancelled or unwound: still linked */
  c->waiting = NULL;
  int status = gale_future_status(f);
  gale_future_unref(f);
  if (c->loop_dying) return GALE_ECANCELLED;
  if (c->cancelled) {
    c->cancelled = false;
    return GALE_ECANCELLED;
  }
  return status;
}

/* ---- spawning and unwinding --------------------------------------------- */

static void destroy_handle(struct gale__handle *handle);

gale_future *gale_coro_spawn(gale_loop *loop, gale_coro_fn fn, void *arg,
                             const gale_coro_options *opts) {
  if (loop == NULL || fn == NULL) return NULL;
  size_t size = opts && opts->stack_size ? opts->stack_size : DEFAULT_STACK;
  if (size < MIN_STACK) size = MIN_STACK;
  gale_future *f = gale_future_new(loop);
  if (f == NULL) return NULL;
  gale__stack *stack = gale__stack_get(size);
  if (stack == NULL) {
    gale_log_error("general", "gale_coro_spawn: cannot map a %zu-byte stack", size);
    gale_future_unref(f);
    return NULL;
  }
  uintptr_t top = ((uintptr_t)stack->hi - sizeof(gale__coro)) & ~(uintptr_t)63;
  gale__coro *c = (gale__coro *)top;
  memset(c, 0, sizeof *c);
  c->loop = loop;
  c->future = f;
  c->fn = fn;
  c->arg = arg;
  c->stack = stack;
  c->refs = 1;
  c->state = CORO_NEW;
  c->hook.fired = on_awaited_done;
  c->qnode.cb = on_queued;
  c->qnode.arg = c;
  c->qnode.drop = on_queued_dropped;
  c->qnode.embedded = true;
  if (opts && opts->name) {
    strncpy(c->name, opts->name, NAME_MAX_LEN);
    c->name[NAME_MAX_LEN] = '\0';
  }
  gale__ctx_init(&c->ctx, stack->lo, (size_t)((char *)c - stack->lo), coro_main, c);
  gale_future_set_cancel_cb(f, on_cancel, c);
  gale__coro_link(loop, &c->handle, destroy_handle);
  wake(c);
  return gale_future_ref(f);
}

/* gale_loop_free(): run the coroutine to its end, every await failing. */
static void destroy_handle(struct gale__handle *handle) {
  gale__coro *c = (gale__coro *)((char *)handle - offsetof(gale__coro, handle));
  c->loop_dying = true;
  c->refs++; /* ours, across the resume */
  if (c->state == CORO_SUSPENDED && c->waiting != NULL)
    gale__future_hook_remove(c->waiting, &c->hook);
  if (c->state == CORO_NEW || c->state == CORO_SUSPENDED) coro_resume(c);
  if (c->state != CORO_DONE)
    gale_log_error("general", "coroutine '%s' survived its loop's end", c->name);
  coro_unref(c);
}

/* ---- sleep ------------------------------------------------------------------ */

struct sleep_state {
  gale_future *future;
  gale_timer *timer;
};

static void sleep_fired(gale_loop *loop, void *arg) {
  struct sleep_state *st = arg;
  (void)loop;
  gale_future_set_cancel_cb(st->future, NULL, NULL);
  gale_future_set_result(st->future, NULL, NULL);
  gale_future_unref(st->future);
  free(st);
}

static void sleep_cancelled(gale_future *f, void *arg) {
  struct sleep_state *st = arg;
  (void)f;
  gale_timer_cancel(st->timer);
  gale_future_unref(st->future);
  free(st);
}

/* The loop is freed with the timer pending. */
static void sleep_dropped(void *arg) {
  struct sleep_state *st = arg;
  gale_future_set_cancel_cb(st->future, NULL, NULL);
  gale_future_unref(st->future);
  free(st);
}

gale_future *gale_sleep(gale_loop *loop, double seconds) {
  if (loop == NULL || isnan(seconds)) return NULL;
  gale_future *f = gale_future_new(loop);
  struct sleep_state *st = gale__malloc(sizeof *st);
  if (f == NULL || st == NULL) {
    gale_future_unref(f);
    free(st);
    return NULL;
  }
  st->future = gale_future_ref(f); /* the timer's */
  if (gale__loop_call_later_owned(loop, seconds, sleep_fired, sleep_dropped, st, &st->timer) !=
      GALE_OK) {
    gale_future_unref(f);
    gale_future_unref(f);
    free(st);
    return NULL;
  }
  gale_future_set_cancel_cb(f, sleep_cancelled, st);
  return f;
}
