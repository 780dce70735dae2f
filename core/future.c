/* SPDX-License-Identifier: MIT */
/* Futures: a reference-counted result slot whose done callbacks are always
 * scheduled on the loop, plus the combinators built on it. */
#include <math.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "core/future_internal.h"
#include "core/loop_internal.h"
#include "gale/future.h"
#include "gale/log.h"

struct done_cb {
  struct gale__cb_node qnode; /* queued on the loop without allocating */
  gale_future *future;        /* referenced once scheduled */
  gale_future_done_cb cb;
  void *arg;
  struct done_cb *next;
};

struct gale_future {
  gale_loop *loop;
  int refs;
  gale_future_state state;
  int status;
  void *result;
  gale_free_fn free_result;
  gale_future_cancel_cb cancel_cb;
  void *cancel_arg;
  struct done_cb *cbs_head, *cbs_tail; /* waiting for the outcome */
  struct gale__future_hook *hooks;     /* told at once (coroutines) */
  gale_future *keep;                   /* released with this one */
};

gale_future *gale_future_new(gale_loop *loop) {
  if (loop == NULL) return NULL;
  gale_future *f = gale__calloc(1, sizeof *f);
  if (f == NULL) return NULL;
  f->loop = loop;
  f->refs = 1;
  f->status = GALE_EAGAIN;
  return f;
}

gale_future *gale_future_ref(gale_future *f) {
  if (f != NULL) f->refs++;
  return f;
}

void gale_future_unref(gale_future *f) {
  if (f == NULL || --f->refs > 0) return;
  while (f->cbs_head != NULL) {
    struct done_cb *node = f->cbs_head;
    f->cbs_head = node->next;
    free(node);
  }
  if (f->result != NULL && f->free_result != NULL) f->free_result(f->result);
  gale_future *keep = f->keep;
  free(f);
  gale_future_unref(keep);
}

static void fire_done(gale_loop *loop, void *arg) {
  struct done_cb *node = arg;
  (void)loop;
  node->cb(node->future, node->arg);
  gale_future_unref(node->future);
  free(node);
}

static void schedule_done(gale_future *f, struct done_cb *node) {
  node->future = gale_future_ref(f);
  node->next = NULL;
  node->qnode.cb = fire_done;
  node->qnode.arg = node;
  node->qnode.drop = NULL; /* gale__future_drop() knows fire_done */
  node->qnode.embedded = true;
  gale__loop_add_node(f->loop, &node->qnode);
}

static void resolve(gale_future *f, gale_future_state state, int status) {
  f->state = state;
  f->status = status;
  struct done_cb *node = f->cbs_head;
  f->cbs_head = f->cbs_tail = NULL;
  while (node != NULL) {
    struct done_cb *next = node->next;
    schedule_done(f, node);
    node = next;
  }
  struct gale__future_hook *hook = f->hooks;
  f->hooks = NULL;
  while (hook != NULL) {
    struct gale__future_hook *next = hook->next;
    hook->linked = false;
    hook->next = NULL;
    hook->fired(hook);
    hook = next;
  }
}

void gale__future_hook_add(gale_future *f, struct gale__future_hook *hook) {
  struct gale__future_hook **p = &f->hooks;
  while (*p != NULL) p = &(*p)->next; /* FIFO: the first to wait wakes first */
  hook->next = NULL;
  hook->linked = true;
  *p = hook;
}

void gale__future_hook_remove(gale_future *f, struct gale__future_hook *hook) {
  if (!hook->linked) return;
  for (struct gale__future_hook **p = &f->hooks; *p != NULL; p = &(*p)->next) {
    if (*p == hook) {
      *p = hook->next;
      break;
    }
  }
  hook->linked = false;
  hook->next = NULL;
}

int gale_future_set_result(gale_future *f, void *result, gale_free_fn free_result) {
  if (f == NULL) return GALE_EINVAL;
  if (f->state != GALE_FUTURE_PENDING) return GALE_ESTATE;
  f->result = result;
  f->free_result = free_result;
  resolve(f, GALE_FUTURE_DONE, GALE_OK);
  return GALE_OK;
}

int gale_future_set_error(gale_future *f, int status) {
  if (f == NULL || status >= 0) return GALE_EINVAL;
  if (f->state != GALE_FUTURE_PENDING) return GALE_ESTATE;
  resolve(f, GALE_FUTURE_FAILED, status);
  return GALE_OK;
}

bool gale_future_cancel(gale_future *f) {
  if (f == NULL || f->state != GALE_FUTURE_PENDING) return false;
  gale_future_ref(f); /* the hook may drop the producer's reference */
  resolve(f, GALE_FUTURE_CANCELLED, GALE_ECANCELLED);
  gale_future_cancel_cb hook = f->cancel_cb;
  f->cancel_cb = NULL;
  if (hook != NULL) hook(f, f->cancel_arg);
  gale_future_unref(f);
  return true;
}

void gale_future_set_cancel_cb(gale_future *f, gale_future_cancel_cb cb, void *arg) {
  if (f == NULL) return;
  f->cancel_cb = cb;
  f->cancel_arg = arg;
}

int gale_future_add_done_callback(gale_future *f, gale_future_done_cb cb, void *arg) {
  if (f == NULL || cb == NULL) return GALE_EINVAL;
  struct done_cb *node = gale__malloc(sizeof *node);
  if (node == NULL) return GALE_ENOMEM;
  node->cb = cb;
  node->arg = arg;
  node->next = NULL;
  if (f->state != GALE_FUTURE_PENDING) {
    schedule_done(f, node);
    return GALE_OK;
  }
  node->future = f;
  if (f->cbs_tail != NULL)
    f->cbs_tail->next = node;
  else
    f->cbs_head = node;
  f->cbs_tail = node;
  return GALE_OK;
}

/* Unhooks a callback still waiting on a pending future. */
static void remove_done_callback(gale_future *f, gale_future_done_cb cb, void *arg) {
  struct done_cb **p = &f->cbs_head, *prev = NULL;
  while (*p != NULL) {
    struct done_cb *node = *p;
    if (node->cb == cb && node->arg == arg) {
      *p = node->next;
      if (f->cbs_tail == node) f->cbs_tail = prev;
      free(node);
      return;
    }
    prev = node;
    p = &node->next;
  }
}

gale_future_state gale_future_get_state(const gale_future *f) {
  return f != NULL ? f->state : GALE_FUTURE_PENDING;
}

bool gale_future_done(const gale_future *f) { return f != NULL && f->state != GALE_FUTURE_PENDING; }

int gale_future_status(const gale_future *f) { return f != NULL ? f->status : GALE_EINVAL; }

void *gale_future_result(const gale_future *f) { return f != NULL ? f->result : NULL; }

void *gale_future_steal_result(gale_future *f) {
  if (f == NULL) return NULL;
  void *result = f->result;
  f->result = NULL;
  f->free_result = NULL;
  return result;
}

gale_loop *gale_future_loop(const gale_future *f) { return f != NULL ? f->loop : NULL; }

/* ---- all ---------------------------------------------------------------- */

struct all_state {
  gale_future *outer;
  gale_future **children;
  size_t n, remaining;
};

static void all_child_done(gale_future *child, void *arg) {
  struct all_state *st = arg;
  (void)child;
  if (--st->remaining > 0) return;
  int failure = GALE_OK;
  bool cancelled = false;
  for (size_t i = 0; i < st->n; i++) {
    gale_future *c = st->children[i];
    if (c->state == GALE_FUTURE_FAILED && failure == GALE_OK) failure = c->status;
    if (c->state == GALE_FUTURE_CANCELLED) cancelled = true;
  }
  if (failure != GALE_OK)
    gale_future_set_error(st->outer, failure);
  else if (cancelled)
    gale_future_cancel(st->outer);
  else
    gale_future_set_result(st->outer, NULL, NULL);
  for (size_t i = 0; i < st->n; i++) gale_future_unref(st->children[i]);
  gale_future_unref(st->outer);
  free(st->children);
  free(st);
}

gale_future *gale_future_all(gale_loop *loop, gale_future *const *futures, size_t n) {
  if (loop == NULL || (n > 0 && futures == NULL)) return NULL;
  for (size_t i = 0; i < n; i++)
    if (futures[i] == NULL) return NULL;
  gale_future *outer = gale_future_new(loop);
  if (outer == NULL) return NULL;
  if (n == 0) {
    gale_future_set_result(outer, NULL, NULL);
    return outer;
  }
  struct all_state *st = gale__calloc(1, sizeof *st);
  struct done_cb **nodes = gale__calloc(n, sizeof *nodes);
  if (st != NULL) st->children = gale__calloc(n, sizeof *st->children);
  bool ok = st != NULL && nodes != NULL && st->children != NULL;
  /* Allocate every hook first so a failure leaves the children untouched. */
  for (size_t i = 0; ok && i < n; i++)
    if ((nodes[i] = gale__malloc(sizeof **nodes)) == NULL) ok = false;
  if (!ok) {
    for (size_t i = 0; nodes != NULL && i < n; i++) free(nodes[i]);
    free(nodes);
    if (st != NULL) free(st->children);
    free(st);
    gale_future_unref(outer);
    return NULL;
  }
  st->outer = gale_future_ref(outer);
  st->n = st->remaining = n;
  for (size_t i = 0; i < n; i++) {
    gale_future *c = futures[i];
    struct done_cb *node = nodes[i];
    st->children[i] = gale_future_ref(c);
    node->cb = all_child_done;
    node->arg = st;
    node->next = NULL;
    if (c->state != GALE_FUTURE_PENDING) {
      schedule_done(c, node);
    } else {
      node->future = c;
      if (c->cbs_tail != NULL)
        c->cbs_tail->next = node;
      else
        c->cbs_head = node;
      c->cbs_tail = node;
    }
  }
  free(nodes);
  return outer;
}

/* ---- with_timeout ------------------------------------------------------- */

struct timeout_state {
  gale_future *inner, *outer;
  gale_timer *timer;
};

static void timeout_release(struct timeout_state *st) {
  gale_future_unref(st->inner);
  gale_future_unref(st->outer);
  free(st);
}

static void timeout_inner_done(gale_future *inner, void *arg) {
  struct timeout_state *st = arg;
  if (st->timer != NULL) gale_timer_cancel(st->timer);
  if (st->outer->state == GALE_FUTURE_PENDING) {
    /* A borrowed view: the outer keeps the inner (and its result) alive. */
    st->outer->keep = gale_future_ref(inner);
    if (inner->state == GALE_FUTURE_DONE)
      gale_future_set_result(st->outer, inner->result, NULL);
    else if (inner->state == GALE_FUTURE_FAILED)
      gale_future_set_error(st->outer, inner->status);
    else
      gale_future_cancel(st->outer);
  }
  timeout_release(st);
}

/* Stops waiting for the inner future: it is not cancelled (Tornado). */
static void timeout_detach(struct timeout_state *st) {
  remove_done_callback(st->inner, timeout_inner_done, st);
  timeout_release(st);
}

static void timeout_fired(gale_loop *loop, void *arg) {
  struct timeout_state *st = arg;
  (void)loop;
  st->timer = NULL;
  gale_future_set_error(st->outer, GALE_ETIMEDOUT);
  /* If the inner future is done its callback is already queued: it will
   * release the state. */
  if (st->inner->state == GALE_FUTURE_PENDING) timeout_detach(st);
}

gale_future *gale_future_with_timeout(gale_future *future, double timeout) {
  if (future == NULL || isnan(timeout)) return NULL;
  gale_future *outer = gale_future_new(future->loop);
  if (outer == NULL) return NULL;
  struct timeout_state *st = gale__calloc(1, sizeof *st);
  if (st == NULL) {
    gale_future_unref(outer);
    return NULL;
  }
  st->inner = gale_future_ref(future);
  st->outer = gale_future_ref(outer);
  if (gale_future_add_done_callback(future, timeout_inner_done, st) != GALE_OK) {
    timeout_release(st);
    gale_future_unref(outer);
    return NULL;
  }
  if (future->state == GALE_FUTURE_PENDING &&
      gale_loop_call_later(future->loop, timeout, timeout_fired, st, &st->timer) != GALE_OK) {
    timeout_detach(st);
    gale_future_unref(outer);
    return NULL;
  }
  return outer;
}

/* ---- executor ----------------------------------------------------------- */

struct exec_state {
  gale_future *future;
  gale_free_fn free_result;
};

static void exec_done(gale_loop *loop, int status, void *result, void *arg) {
  struct exec_state *st = arg;
  (void)loop;
  if (status == GALE_OK) {
    if (gale_future_set_result(st->future, result, st->free_result) != GALE_OK && result != NULL &&
        st->free_result != NULL)
      st->free_result(result); /* cancelled meanwhile */
  } else {
    gale_future_cancel(st->future);
  }
  gale_future_unref(st->future);
  free(st);
}

gale_future *gale_loop_run_in_executor_future(gale_loop *loop, gale_executor_fn fn, void *arg,
                                              gale_free_fn free_result) {
  if (loop == NULL || fn == NULL) return NULL;
  gale_future *f = gale_future_new(loop);
  struct exec_state *st = gale__malloc(sizeof *st);
  if (f == NULL || st == NULL) {
    gale_future_unref(f);
    free(st);
    return NULL;
  }
  st->future = gale_future_ref(f); /* the producer's reference */
  st->free_result = free_result;
  if (gale_loop_run_in_executor(loop, fn, arg, exec_done, st) != GALE_OK) {
    gale_future_unref(f);
    gale_future_unref(f);
    free(st);
    return NULL;
  }
  return f;
}

/* ---- loop teardown ------------------------------------------------------ */

/* Pending when the loop is freed: release what the callback would have,
 * without resolving anything (the loop can run nothing more).  Timers are
 * dropped before queued callbacks. */
bool gale__future_drop(gale_loop_cb cb, void *arg) {
  if (cb == fire_done) {
    struct done_cb *node = arg;
    if (node->cb == timeout_inner_done) {
      timeout_release(node->arg); /* its timer is gone already */
    } else if (node->cb == all_child_done) {
      struct all_state *st = node->arg;
      if (--st->remaining == 0) {
        for (size_t i = 0; i < st->n; i++) gale_future_unref(st->children[i]);
        gale_future_unref(st->outer);
        free(st->children);
        free(st);
      }
    }
    gale_future_unref(node->future);
    free(node);
    return true;
  }
  if (cb == timeout_fired) {
    struct timeout_state *st = arg;
    st->timer = NULL;
    if (st->inner->state == GALE_FUTURE_PENDING) timeout_detach(st);
    return true;
  }
  return false;
}
