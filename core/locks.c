/* SPDX-License-Identifier: MIT */
/* Event, condition, semaphore and lock (tornado.locks) over core/waitq. */
#include <stdlib.h>

#include "core/alloc.h"
#include "core/waitq.h"
#include "gale/locks.h"

/* Resolves a popped waiter's future and drops the reference it came with. */
static void wake_one(gale_future *f) {
  gale_future_set_result(f, NULL, NULL);
  gale_future_unref(f);
}

static gale_future *done_future(gale_loop *loop) {
  gale_future *f = gale_future_new(loop);
  if (f != NULL) gale_future_set_result(f, NULL, NULL);
  return f;
}

/* ---- event ------------------------------------------------------------------ */

struct gale_event {
  gale__waitq waiters;
  bool set;
};

gale_event *gale_event_new(gale_loop *loop) {
  if (loop == NULL) return NULL;
  gale_event *e = gale__calloc(1, sizeof *e);
  if (e != NULL) gale__waitq_init(&e->waiters, loop);
  return e;
}

void gale_event_free(gale_event *e) {
  if (e == NULL) return;
  gale__waitq_clear(&e->waiters, GALE_ECANCELLED);
  free(e);
}

bool gale_event_is_set(const gale_event *e) { return e != NULL && e->set; }

void gale_event_set(gale_event *e) {
  if (e == NULL || e->set) return;
  e->set = true;
  gale_future *f;
  while (gale__waitq_pop(&e->waiters, &f, NULL)) wake_one(f);
}

void gale_event_clear(gale_event *e) {
  if (e != NULL) e->set = false;
}

gale_future *gale_event_wait(gale_event *e, double timeout) {
  if (e == NULL) return NULL;
  if (e->set) return done_future(e->waiters.loop);
  return gale__waitq_add(&e->waiters, timeout, NULL);
}

/* ---- condition ------------------------------------------------------------------ */

struct gale_condition {
  gale__waitq waiters;
};

gale_condition *gale_condition_new(gale_loop *loop) {
  if (loop == NULL) return NULL;
  gale_condition *c = gale__calloc(1, sizeof *c);
  if (c != NULL) gale__waitq_init(&c->waiters, loop);
  return c;
}

void gale_condition_free(gale_condition *c) {
  if (c == NULL) return;
  gale__waitq_clear(&c->waiters, GALE_ECANCELLED);
  free(c);
}

gale_future *gale_condition_wait(gale_condition *c, double timeout) {
  return c != NULL ? gale__waitq_add(&c->waiters, timeout, NULL) : NULL;
}

size_t gale_condition_notify(gale_condition *c, size_t n) {
  size_t woken = 0;
  gale_future *f;
  while (c != NULL && woken < n && gale__waitq_pop(&c->waiters, &f, NULL)) {
    wake_one(f);
    woken++;
  }
  return woken;
}

size_t gale_condition_notify_all(gale_condition *c) { return gale_condition_notify(c, (size_t)-1); }

size_t gale_condition_waiters(const gale_condition *c) { return c ? c->waiters.len : 0; }

/* ---- semaphore ------------------------------------------------------------------ */

struct gale_semaphore {
  gale__waitq waiters;
  unsigned value;
  unsigned bound; /* the initial value of a bounded one, else 0 */
  bool bounded;
};

/* The one field setup of a semaphore, shared by the heap ones and the one a
 * lock embeds. */
static void sem_init(gale_semaphore *s, gale_loop *loop, unsigned value, bool bounded) {
  gale__waitq_init(&s->waiters, loop);
  s->value = value;
  s->bound = value;
  s->bounded = bounded;
}

static gale_semaphore *sem_new(gale_loop *loop, unsigned value, bool bounded) {
  if (loop == NULL) return NULL;
  gale_semaphore *s = gale__calloc(1, sizeof *s);
  if (s != NULL) sem_init(s, loop, value, bounded);
  return s;
}

gale_semaphore *gale_semaphore_new(gale_loop *loop, unsigned value) {
  return sem_new(loop, value, false);
}

gale_semaphore *gale_semaphore_new_bounded(gale_loop *loop, unsigned value) {
  return sem_new(loop, value, true);
}

void gale_semaphore_free(gale_semaphore *s) {
  if (s == NULL) return;
  gale__waitq_clear(&s->waiters, GALE_ECANCELLED);
  free(s);
}

gale_future *gale_semaphore_acquire(gale_semaphore *s, double timeout) {
  if (s == NULL) return NULL;
  if (s->value > 0) {
    gale_future *f = done_future(s->waiters.loop);
    if (f != NULL) s->value--;
    return f;
  }
  return gale__waitq_add(&s->waiters, timeout, NULL);
}

int gale_semaphore_release(gale_semaphore *s) {
  if (s == NULL) return GALE_EINVAL;
  if (s->bounded && s->value >= s->bound) return GALE_EINVAL;
  gale_future *f;
  if (gale__waitq_pop(&s->waiters, &f, NULL))
    wake_one(f); /* the slot goes straight to the waiter */
  else
    s->value++;
  return GALE_OK;
}

unsigned gale_semaphore_value(const gale_semaphore *s) { return s ? s->value : 0; }

/* ---- lock ------------------------------------------------------------------------ */

struct gale_lock {
  gale_semaphore sem; /* bounded, 1 */
};

gale_lock *gale_lock_new(gale_loop *loop) {
  if (loop == NULL) return NULL;
  gale_lock *l = gale__calloc(1, sizeof *l);
  if (l != NULL) sem_init(&l->sem, loop, 1, true);
  return l;
}

void gale_lock_free(gale_lock *l) {
  if (l == NULL) return;
  gale__waitq_clear(&l->sem.waiters, GALE_ECANCELLED);
  free(l);
}

gale_future *gale_lock_acquire(gale_lock *l, double timeout) {
  return l != NULL ? gale_semaphore_acquire(&l->sem, timeout) : NULL;
}

int gale_lock_release(gale_lock *l) {
  if (l == NULL) return GALE_EINVAL;
  return gale_semaphore_release(&l->sem) == GALE_OK ? GALE_OK : GALE_ESTATE;
}

bool gale_lock_locked(const gale_lock *l) { return l != NULL && l->sem.value == 0; }
