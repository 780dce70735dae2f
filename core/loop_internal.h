/* SPDX-License-Identifier: MIT */
/* Internals of the loop shared by core/ and the layers above it.
 *
 * Higher layers (streams, resolver, HTTP) drive their sockets with libevent
 * events on the loop's base directly: one struct event per fd is cheaper than
 * a gale_watcher indirection on the hot path.  They reach the base here.
 */
#ifndef GALE_CORE_LOOP_INTERNAL_H
#define GALE_CORE_LOOP_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "gale/loop.h"

/* One queued callback; nodes are recycled through a per-loop free list,
 * except embedded ones, which live inside another object (a future's
 * done-callback record) so scheduling them cannot fail. */
struct gale__cb_node {
  gale_loop_cb cb;
  void *arg;
  struct gale__cb_node *next;
  /* Called with arg instead of cb when the loop is freed with the node still
   * queued, so an object the callback would have released is released. */
  void (*drop)(void *arg);
  bool embedded;
};

/* Handles the loop frees if the user did not (watchers, signals,
 * periodics): an intrusive doubly-linked list. */
struct gale__handle {
  struct gale__handle *prev, *next;
  void (*destroy)(struct gale__handle *handle);
};

struct gale__timer_heap {
  struct gale_timer **items;
  size_t len, cap;
  uint64_t next_seq; /* FIFO among equal deadlines */
};

struct gale__executor;

struct gale_loop {
  struct event_base *base;

  /* Callbacks of this thread: FIFO singly-linked queue. */
  struct gale__cb_node *head, *tail;
  struct gale__cb_node *ready_head, *ready_tail; /* woken coroutines */
  struct gale__cb_node *free_nodes;
  size_t free_node_count;
  struct event callbacks_ev; /* runs the queue */
  bool callbacks_scheduled;  /* callbacks_ev active or armed */
  bool in_callbacks;         /* the runner is on the stack */

  /* Cross-thread entry: a locked queue and an eventfd that wakes the loop. */
  pthread_mutex_t remote_lock;
  struct gale__cb_node *remote_head, *remote_tail;
  int wake_fd;
  struct event wake_ev;
  atomic_bool wake_pending;
  volatile sig_atomic_t stop_requested;

  /* Timers: gale's own heap, armed as one libevent timer.  The libevent
   * timer may be armed earlier than the heap's top (after a cancel): an
   * early fire finds nothing due and re-arms. */
  struct gale__timer_heap timers;
  struct event timer_ev;
  struct gale_timer *free_timers;
  size_t free_timer_count;
  bool timer_armed;
  bool in_timers;
  double armed_when;
  struct event wait_ev; /* bounds run_once's wait */

  struct gale__handle handles; /* sentinel */
  struct gale__handle coros;   /* sentinel: live coroutines */
  struct gale__executor *executor;
  gale_signal *stop_signals[2];
  uint64_t rng; /* periodic jitter */

  pthread_t thread;
  bool running;     /* run() or run_until_complete() on the stack */
  bool dispatching; /* event_base_loop() on the stack */
};

/* The loop's libevent base. */
GALE_INTERNAL struct event_base *gale__loop_base(gale_loop *loop);

/* Queues an embedded node (cb and arg set by the caller) like
 * gale_loop_add_callback(), without allocating.  The node must stay valid
 * until its callback runs, or until gale__future_drop() is told of it when
 * the loop is freed first. */
GALE_INTERNAL void gale__loop_add_node(gale_loop *loop, struct gale__cb_node *node);

/* Queues an embedded node on the ready queue: run right after the current
 * batch of callbacks (in the same iteration, up to a budget), for
 * coroutine wake-ups.  Same validity rules as gale__loop_add_node(). */
GALE_INTERNAL void gale__loop_add_ready(gale_loop *loop, struct gale__cb_node *node);

/* gale_loop_add_callback() for a callback that owns something: if the loop
 * is freed before cb runs, drop(arg) runs instead (no other loop call is
 * allowed in it).  Returns GALE_OK, GALE_EINVAL, GALE_ENOMEM. */
GALE_INTERNAL int gale__loop_add_callback_owned(gale_loop *loop, gale_loop_cb cb,
                                                void (*drop)(void *arg), void *arg);

/* gale_loop_call_later() for a timer whose argument owns something: if the
 * loop is freed with the timer pending, drop(arg) runs instead of cb. */
GALE_INTERNAL int gale__loop_call_later_owned(gale_loop *loop, double delay, gale_loop_cb cb,
                                              void (*drop)(void *arg), void *arg, gale_timer **out);

/* Adds a coroutine's handle to the loop's coroutines: gale_loop_free()
 * unwinds them first, while everything else they may use still works. */
GALE_INTERNAL void gale__coro_link(gale_loop *loop, struct gale__handle *handle,
                                   void (*destroy)(struct gale__handle *));

/* Wakes the loop from another thread (async-signal-safe). */
GALE_INTERNAL void gale__loop_wake(gale_loop *loop);

GALE_INTERNAL void gale__handle_link(gale_loop *loop, struct gale__handle *handle,
                                     void (*destroy)(struct gale__handle *));
GALE_INTERNAL void gale__handle_unlink(struct gale__handle *handle);

/* timer.c */
GALE_INTERNAL int gale__timers_init(gale_loop *loop);
GALE_INTERNAL void gale__timers_free(gale_loop *loop);

/* executor.c: drains completions on the loop thread; frees the pool. */
GALE_INTERNAL void gale__executor_drain(gale_loop *loop);
GALE_INTERNAL void gale__executor_free(gale_loop *loop);
/* True once gale_loop_free() has taken the executor's queue (tests: a job
 * can wait for it, from its worker thread). */
GALE_INTERNAL bool gale__executor_shutting_down(gale_loop *loop);

/* future.c: a queued callback or timer whose argument holds references
 * (future done-callbacks, with_timeout timers) is released, not run, when
 * the loop is freed with it still pending.  Returns true if it knew `cb`. */
GALE_INTERNAL bool gale__future_drop(gale_loop_cb cb, void *arg);

/* timeval from seconds, clamped to [0, ~30 years]; rounds up to the
 * microsecond so a timer never fires before its deadline. */
GALE_INTERNAL struct timeval gale__timeval(double seconds);

/* CLOCK_MONOTONIC seconds. */
GALE_INTERNAL double gale__monotonic(void);

#endif
