/* SPDX-License-Identifier: MIT */
/* The loop: life cycle, run/stop, the callback queue and the cross-thread
 * wake-up.  Timers live in timer.c, fd watchers in watcher.c. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/loop_internal.h"
#include "gale/future.h"
#include "gale/log.h"

/* Nodes kept for reuse beyond this many are freed: a burst of callbacks does
 * not pin its memory forever. */
#define GALE_FREE_NODES_MAX 4096

static _Thread_local gale_loop *current_loop;

/* Live loops, so add_callback_threadsafe() can refuse a loop being freed.
 * Readers are the cross-thread adders; the writer is gale_loop_new/free. */
static pthread_rwlock_t registry_lock = PTHREAD_RWLOCK_INITIALIZER;
static gale_loop **registry;
static size_t registry_len, registry_cap;

static pthread_once_t sigpipe_once = PTHREAD_ONCE_INIT;

static void ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }

double gale__monotonic(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct timeval gale__timeval(double seconds) {
  struct timeval tv = {0, 0};
  if (!(seconds > 0)) return tv; /* also NaN */
  if (seconds > 1e9) seconds = 1e9;
  double whole = floor(seconds);
  double usec = ceil((seconds - whole) * 1e6);
  tv.tv_sec = (time_t)whole;
  tv.tv_usec = (suseconds_t)usec;
  if (tv.tv_usec >= 1000000) {
    tv.tv_sec++;
    tv.tv_usec -= 1000000;
  }
  return tv;
}

struct event_base *gale__loop_base(gale_loop *loop) {
  return loop ? loop->base : NULL;
}

/* ---- handles ------------------------------------------------------------ */

void gale__handle_link(gale_loop *loop, struct gale__handle *handle,
                       void (*destroy)(struct gale__handle *)) {
  handle->destroy = destroy;
  handle->next = loop->handles.next;
  handle->prev = &loop->handles;
  loop->handles.next->prev = handle;
  loop->handles.next = handle;
}

void gale__coro_link(gale_loop *loop, struct gale__handle *handle,
                     void (*destroy)(struct gale__handle *)) {
  handle->destroy = destroy;
  handle->next = &loop->coros; /* at the tail: unwound oldest first */
  handle->prev = loop->coros.prev;
  loop->coros.prev->next = handle;
  loop->coros.prev = handle;
}

static void unwind_coros(gale_loop *loop) {
  while (loop->coros.next != &loop->coros) {
    struct gale__handle *handle = loop->coros.next;
    gale__handle_unlink(handle);
    handle->destroy(handle);
  }
}

void gale__handle_unlink(struct gale__handle *handle) {
  if (handle->next == NULL) return;
  handle->prev->next = handle->next;
  handle->next->prev = handle->prev;
  handle->next = handle->prev = NULL;
}

/* ---- registry ----------------------------------------------------------- */

static int registry_add(gale_loop *loop) {
  int rc = GALE_OK;
  pthread_rwlock_wrlock(&registry_lock);
  if (registry_len == registry_cap) {
    size_t cap = registry_cap ? registry_cap * 2 : 8;
    gale_loop **items = gale__realloc(registry, cap * sizeof *items);
    if (items == NULL) {
      rc = GALE_ENOMEM;
      goto out;
    }
    registry = items;
    registry_cap = cap;
  }
  registry[registry_len++] = loop;
out:
  pthread_rwlock_unlock(&registry_lock);
  return rc;
}

static void registry_remove(gale_loop *loop) {
  pthread_rwlock_wrlock(&registry_lock);
  for (size_t i = 0; i < registry_len; i++) {
    if (registry[i] == loop) {
      registry[i] = registry[--registry_len];
      break;
    }
  }
  if (registry_len == 0) {
    free(registry);
    registry = NULL;
    registry_cap = 0;
  }
  pthread_rwlock_unlock(&registry_lock);
}

/* Caller holds the read lock. */
static bool registry_has(const gale_loop *loop) {
  for (size_t i = 0; i < registry_len; i++)
    if (registry[i] == loop) return true;
  return false;
}

/* ---- the callback queue ------------------------------------------------- */

static struct gale__cb_node *node_get(gale_loop *loop) {
  struct gale__cb_node *node = loop->free_nodes;
  if (node != NULL) {
    loop->free_nodes = node->next;
    loop->free_node_count--;
    return node;
  }
  return gale__malloc(sizeof *node);
}

static void node_put(gale_loop *loop, struct gale__cb_node *node) {
  if (loop->free_node_count >= GALE_FREE_NODES_MAX) {
    free(node);
    return;
  }
  node->next = loop->free_nodes;
  loop->free_nodes = node;
  loop->free_node_count++;
}

/* From inside the runner the queue is armed as a 0-second timer rather than
 * activated, so the next batch waits for the next iteration, after I/O has
 * been polled (Tornado's fairness). */
static void schedule_callbacks(gale_loop *loop) {
  static const struct timeval zero = {0, 0};
  if (loop->callbacks_scheduled) return;
  loop->callbacks_scheduled = true;
  if (loop->in_callbacks)
    event_add(&loop->callbacks_ev, &zero);
  else
    event_active(&loop->callbacks_ev, 0, 0);
}

static bool stopping(const gale_loop *loop) { return loop->stop_requested && loop->running; }

/* Coroutines woken by what just ran are resumed now rather than after the
 * next poll: a handoff between two coroutines costs a switch, not a loop
 * iteration.  The budget keeps I/O fair: past it, the rest wait for the
 * next iteration, after the poll, like any callback added by a callback. */
enum { READY_BUDGET = 1024 };

static void run_ready(gale_loop *loop) {
  unsigned budget = READY_BUDGET;
  while (loop->ready_head != NULL) {
    if (budget-- == 0 || stopping(loop)) {
      schedule_callbacks(loop);
      return;
    }
    struct gale__cb_node *node = loop->ready_head;
    loop->ready_head = node->next;
    if (loop->ready_head == NULL) loop->ready_tail = NULL;
    node->cb(loop, node->arg); /* embedded: nothing to recycle */
  }
}

void gale__loop_add_ready(gale_loop *loop, struct gale__cb_node *node) {
  node->next = NULL;
  if (loop->ready_tail != NULL)
    loop->ready_tail->next = node;
  else
    loop->ready_head = node;
  loop->ready_tail = node;
  if (!loop->in_callbacks) schedule_callbacks(loop); /* else drained after the batch */
}

/* Runs the callbacks queued when it starts (later ones wait), then the
 * coroutines they woke. */
static void run_callbacks(evutil_socket_t fd, short what, void *arg) {
  gale_loop *loop = arg;
  struct gale__cb_node *node = loop->head, *last = loop->tail;
  (void)fd;
  (void)what;
  loop->head = loop->tail = NULL;
  loop->callbacks_scheduled = false;
  loop->in_callbacks = true;
  while (node != NULL) {
    struct gale__cb_node *next = node->next;
    gale_loop_cb cb = node->cb;
    void *cb_arg = node->arg;
    if (!node->embedded) node_put(loop, node);
    cb(loop, cb_arg);
    node = next;
    if (node != NULL && stopping(loop)) {
      /* Stop after the current callback: the rest go back to the front. */
      last->next = loop->head;
      loop->head = node;
      if (loop->tail == NULL) loop->tail = last;
      schedule_callbacks(loop);
      event_base_loopbreak(loop->base);
      break;
    }
  }
  if (!stopping(loop))
    run_ready(loop);
  else if (loop->ready_head != NULL)
    schedule_callbacks(loop);
  loop->in_callbacks = false;
}

int gale__loop_add_callback_owned(gale_loop *loop, gale_loop_cb cb, void (*drop)(void *arg),
                                  void *arg) {
  if (loop == NULL || cb == NULL) return GALE_EINVAL;
  struct gale__cb_node *node = node_get(loop);
  if (node == NULL) return GALE_ENOMEM;
  node->cb = cb;
  node->arg = arg;
  node->drop = drop;
  node->embedded = false;
  gale__loop_add_node(loop, node);
  return GALE_OK;
}

int gale_loop_add_callback(gale_loop *loop, gale_loop_cb cb, void *arg) {
  return gale__loop_add_callback_owned(loop, cb, NULL, arg);
}

void gale__loop_add_node(gale_loop *loop, struct gale__cb_node *node) {
  node->next = NULL;
  if (loop->tail != NULL)
    loop->tail->next = node;
  else
    loop->head = node;
  loop->tail = node;
  schedule_callbacks(loop);
}

void gale__loop_wake(gale_loop *loop) {
  uint64_t one = 1;
  ssize_t n = write(loop->wake_fd, &one, sizeof one);
  (void)n; /* EAGAIN: the counter is saturated, a wake-up is pending anyway */
}

int gale_loop_add_callback_threadsafe(gale_loop *loop, gale_loop_cb cb, void *arg) {
  if (loop == NULL || cb == NULL) return GALE_EINVAL;
  int rc = GALE_OK;
  pthread_rwlock_rdlock(&registry_lock);
  if (!registry_has(loop)) {
    rc = GALE_ECLOSED;
    goto out;
  }
  struct gale__cb_node *node = gale__malloc(sizeof *node);
  if (node == NULL) {
    rc = GALE_ENOMEM;
    goto out;
  }
  node->cb = cb;
  node->arg = arg;
  node->next = NULL;
  node->drop = NULL;
  node->embedded = false;
  pthread_mutex_lock(&loop->remote_lock);
  if (loop->remote_tail != NULL)
    loop->remote_tail->next = node;
  else
    loop->remote_head = node;
  loop->remote_tail = node;
  pthread_mutex_unlock(&loop->remote_lock);
  if (!atomic_exchange(&loop->wake_pending, true)) gale__loop_wake(loop);
out:
  pthread_rwlock_unlock(&registry_lock);
  return rc;
}

/* The eventfd fired: remote callbacks, executor completions, or a stop.
 * wake_pending is cleared before the queue is taken, so an adder that
 * appends after the take sees it clear and writes again. */
static void on_wake(evutil_socket_t fd, short what, void *arg) {
  gale_loop *loop = arg;
  uint64_t count;
  (void)what;
  ssize_t n = read(fd, &count, sizeof count);
  (void)n;
  atomic_store(&loop->wake_pending, false);
  pthread_mutex_lock(&loop->remote_lock);
  struct gale__cb_node *head = loop->remote_head, *tail = loop->remote_tail;
  loop->remote_head = loop->remote_tail = NULL;
  pthread_mutex_unlock(&loop->remote_lock);
  if (head != NULL) {
    if (loop->tail != NULL)
      loop->tail->next = head;
    else
      loop->head = head;
    loop->tail = tail;
    schedule_callbacks(loop);
  }
  if (loop->executor != NULL) gale__executor_drain(loop);
  if (stopping(loop)) event_base_loopbreak(loop->base);
}

static void on_wait(evutil_socket_t fd, short what, void *arg) {
  (void)fd;
  (void)what;
  (void)arg; /* only ends run_once's wait */
}

/* ---- life cycle --------------------------------------------------------- */

static struct event_base *new_base(void) {
  struct event_config *cfg = event_config_new();
  if (cfg == NULL) return NULL;
  /* PRECISE_TIMER: the default clock is coarse (1-4 ms).  NOLOCK: a loop
   * belongs to one thread; other threads enter through the eventfd. */
  event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
  event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
  struct event_base *base = event_base_new_with_config(cfg);
  event_config_free(cfg);
  return base;
}

gale_loop *gale_loop_new(void) {
  pthread_once(&sigpipe_once, ignore_sigpipe);
  gale_loop *loop = gale__calloc(1, sizeof *loop);
  if (loop == NULL) return NULL;
  loop->wake_fd = -1;
  loop->handles.next = loop->handles.prev = &loop->handles;
  loop->coros.next = loop->coros.prev = &loop->coros;
  loop->rng =
      (uint64_t)(uintptr_t)loop ^ (uint64_t)(gale__monotonic() * 1e9) ^ 0x9e3779b97f4a7c15ull;
  atomic_init(&loop->wake_pending, false);
  if (pthread_mutex_init(&loop->remote_lock, NULL) != 0) {
    free(loop);
    return NULL;
  }
  loop->base = new_base();
  if (loop->base == NULL) goto fail;
  loop->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (loop->wake_fd < 0) goto fail;
  if (event_assign(&loop->wake_ev, loop->base, loop->wake_fd, EV_READ | EV_PERSIST, on_wake,
                   loop) != 0 ||
      event_add(&loop->wake_ev, NULL) != 0)
    goto fail;
  event_assign(&loop->callbacks_ev, loop->base, -1, 0, run_callbacks, loop);
  event_assign(&loop->wait_ev, loop->base, -1, 0, on_wait, loop);
  if (gale__timers_init(loop) != GALE_OK) goto fail;
  if (registry_add(loop) != GALE_OK) goto fail;
  loop->thread = pthread_self();
  if (current_loop == NULL) current_loop = loop;
  return loop;
fail:
  gale__timers_free(loop);
  if (loop->base != NULL) event_base_free(loop->base);
  if (loop->wake_fd >= 0) close(loop->wake_fd);
  pthread_mutex_destroy(&loop->remote_lock);
  free(loop);
  return NULL;
}

static void free_nodes(gale_loop *loop, struct gale__cb_node *node) {
  while (node != NULL) {
    struct gale__cb_node *next = node->next;
    bool embedded = node->embedded;
    if (node->drop != NULL)
      node->drop(node->arg);
    else
      gale__future_drop(node->cb, node->arg); /* frees an embedded node's owner */
    if (!embedded) free(node);
    node = next;
  }
}

void gale_loop_free(gale_loop *loop) {
  if (loop == NULL) return;
  if (loop->dispatching) {
    /* Freeing the base under event_base_loop() would crash: refuse (a leak
     * the log names beats a use-after-free). */
    gale_log_error("general", "gale_loop_free called from inside the loop's callbacks: ignored");
    return;
  }
  /* Coroutines first: their cleanup code may still use anything. */
  unwind_coros(loop);
  /* First, so adders from other threads get ECLOSED from now on; the write
   * lock waits out any adder still appending. */
  registry_remove(loop);
  gale__executor_free(loop);
  while (loop->handles.next != &loop->handles) {
    struct gale__handle *handle = loop->handles.next;
    gale__handle_unlink(handle);
    handle->destroy(handle);
  }
  gale__timers_free(loop);
  free_nodes(loop, loop->head);
  free_nodes(loop, loop->ready_head);
  free_nodes(loop, loop->remote_head);
  loop->head = loop->ready_head = loop->remote_head = NULL;
  struct gale__cb_node *node = loop->free_nodes;
  while (node != NULL) {
    struct gale__cb_node *next = node->next;
    free(node);
    node = next;
  }
  event_del(&loop->wake_ev);
  event_del(&loop->callbacks_ev);
  event_del(&loop->wait_ev);
  event_base_free(loop->base);
  close(loop->wake_fd);
  pthread_mutex_destroy(&loop->remote_lock);
  if (current_loop == loop) current_loop = NULL;
  free(loop);
}

gale_loop *gale_loop_current(void) { return current_loop; }

void gale_loop_make_current(gale_loop *loop) { current_loop = loop; }

double gale_loop_time(const gale_loop *loop) {
  (void)loop;
  return gale__monotonic();
}

bool gale_loop_is_running(const gale_loop *loop) { return loop != NULL && loop->running; }

/* ---- running ------------------------------------------------------------ */

/* One event_base_loop pass bounded by max_wait (0: poll only). */
static int dispatch_once(gale_loop *loop, double max_wait) {
  /* NONBLOCK alone would keep looping while anything is active. */
  int flags = EVLOOP_ONCE | EVLOOP_NONBLOCK;
  if (max_wait > 0) {
    struct timeval tv = gale__timeval(max_wait);
    event_add(&loop->wait_ev, &tv);
    flags = EVLOOP_ONCE;
  }
  loop->dispatching = true;
  int r = event_base_loop(loop->base, flags);
  loop->dispatching = false;
  if (max_wait > 0) event_del(&loop->wait_ev);
  return r < 0 ? GALE_ESYS : GALE_OK;
}

int gale_loop_run_once(gale_loop *loop, double max_wait) {
  if (loop == NULL) return GALE_EINVAL;
  if (loop->dispatching) return GALE_EBUSY;
  gale_loop *prev = current_loop;
  current_loop = loop;
  loop->thread = pthread_self();
  int rc = dispatch_once(loop, max_wait);
  current_loop = prev;
  return rc;
}

int gale_loop_run(gale_loop *loop) {
  if (loop == NULL) return GALE_EINVAL;
  if (loop->dispatching || loop->running) return GALE_EBUSY;
  gale_loop *prev = current_loop;
  current_loop = loop;
  loop->thread = pthread_self();
  loop->running = true;
  int rc = GALE_OK;
  if (loop->stop_requested) {
    rc = dispatch_once(loop, 0);
  } else {
    loop->dispatching = true;
    while (!loop->stop_requested) {
      /* wake_ev is always registered, so this returns only on a break
       * (a stop) or a backend error. */
      if (event_base_loop(loop->base, 0) < 0) {
        rc = GALE_ESYS;
        break;
      }
    }
    loop->dispatching = false;
  }
  loop->stop_requested = 0;
  loop->running = false;
  current_loop = prev;
  return rc;
}

int gale_loop_stop(gale_loop *loop) {
  if (loop == NULL) return GALE_EINVAL;
  loop->stop_requested = 1;
  /* On the loop's own thread (a callback, or a signal handler interrupting
   * it) break right after the current callback: without evthread locks
   * event_base_loopbreak only sets a flag.  The eventfd is written too, for
   * other threads and for a handler that ran just before epoll_wait. */
  if (loop->running && pthread_equal(pthread_self(), loop->thread))
    event_base_loopbreak(loop->base);
  gale__loop_wake(loop);
  return GALE_OK;
}

int gale_loop_run_until_complete(gale_loop *loop, gale_future *future, double timeout) {
  if (loop == NULL || future == NULL || isnan(timeout)) return GALE_EINVAL;
  if (loop->dispatching || loop->running) return GALE_EBUSY;
  gale_loop *prev = current_loop;
  current_loop = loop;
  loop->thread = pthread_self();
  loop->running = true;
  double deadline = timeout > 0 ? gale__monotonic() + timeout : INFINITY;
  bool one_pass = loop->stop_requested;
  int rc = GALE_OK;
  for (;;) {
    if (gale_future_done(future)) break;
    if (loop->stop_requested && !one_pass) {
      rc = GALE_ECANCELLED;
      break;
    }
    double now = gale__monotonic();
    if (now >= deadline) {
      rc = GALE_ETIMEDOUT;
      break;
    }
    double wait = one_pass ? 0 : (deadline - now > 3600 ? 3600 : deadline - now);
    rc = dispatch_once(loop, wait);
    if (rc != GALE_OK) break;
    if (one_pass) {
      rc = gale_future_done(future) ? GALE_OK : GALE_ECANCELLED;
      break;
    }
  }
  loop->stop_requested = 0;
  loop->running = false;
  current_loop = prev;
  return rc;
}
