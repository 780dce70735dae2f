/* SPDX-License-Identifier: MIT */
/* gale/locks.h: the cases of Tornado's tornado/test/locks_test.py, same
 * names and expectations (ConditionTest, EventTest, SemaphoreTest,
 * BoundedSemaphoreTest, LockTests), plus cancellation of a waiter, freeing
 * a primitive with waiters, and the loop freed with timed waits pending. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* The order in which futures completed: done callbacks append a tag. */
typedef struct history {
  char text[64];
} history;

typedef struct tag {
  history *h;
  char c;
} tag;

static void record(gale_future *f, void *arg) {
  tag *t = arg;
  size_t n = strlen(t->h->text);
  if (n + 2 < sizeof t->h->text) {
    t->h->text[n] = gale_future_status(f) == GALE_OK ? t->c : (char)(t->c - 'a' + 'A');
    t->h->text[n + 1] = '\0';
  }
}

static void on_done(gale_future *f, history *h, tag *t, char c) {
  t->h = h;
  t->c = c;
  assert_non_null(f);
  assert_int_equal(gale_future_add_done_callback(f, record, t), GALE_OK);
}

static void spin(gale_loop *loop) {
  for (int i = 0; i < 4; i++) gale_loop_run_once(loop, 0);
}

/* ---- ConditionTest -------------------------------------------------------------- */

static void test_condition_notify(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_condition *c = gale_condition_new(loop);
  gale_future *f = gale_condition_wait(c, GALE_FOREVER);
  assert_int_equal(gale_condition_waiters(c), 1);
  assert_int_equal(gale_condition_notify(c, 1), 1);
  assert_int_equal(gale_loop_run_until_complete(loop, f, 5), GALE_OK);
  assert_int_equal(gale_future_status(f), GALE_OK);
  gale_future_unref(f);
  gale_condition_free(c);
  gale_loop_free(loop);
}

static void test_condition_notify_1(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_condition *c = gale_condition_new(loop);
  history h = {""};
  tag t[3];
  gale_future *f1 = gale_condition_wait(c, GALE_FOREVER);
  on_done(f1, &h, &t[0], 'a');
  gale_future *f2 = gale_condition_wait(c, GALE_FOREVER);
  on_done(f2, &h, &t[1], 'b');
  gale_condition_notify(c, 1);
  spin(loop);
  assert_string_equal(h.text, "a");
  gale_condition_notify(c, 1);
  spin(loop);
  assert_string_equal(h.text, "ab");
  gale_future_unref(f1);
  gale_future_unref(f2);
  gale_condition_free(c);
  gale_loop_free(loop);
}

static void test_condition_notify_n(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_condition *c = gale_condition_new(loop);
  history h = {""};
  tag t[6];
  gale_future *fs[6];
  for (int i = 0; i < 6; i++) {
    fs[i] = gale_condition_wait(c, GALE_FOREVER);
    on_done(fs[i], &h, &t[i], (char)('a' + i));
  }
  assert_int_equal(gale_condition_notify(c, 1), 1);
  spin(loop);
  assert_string_equal(h.text, "a");
  assert_int_equal(gale_condition_notify(c, 2), 2);
  spin(loop);
  assert_string_equal(h.text, "abc");
  assert_int_equal(gale_condition_notify(c, 3), 3);
  spin(loop);
  assert_string_equal(h.text, "abcdef");
  assert_int_equal(gale_condition_notify(c, 1), 0);
  for (int i = 0; i < 6; i++) gale_future_unref(fs[i]);
  gale_condition_free(c);
  gale_loop_free(loop);
}

static void test_condition_notify_all(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_condition *c = gale_condition_new(loop);
  history h = {""};
  tag t[4];
  gale_future *fs[4];
  for (int i = 0; i < 4; i++) {
    fs[i] = gale_condition_wait(c, GALE_FOREVER);
    on_done(fs[i], &h, &t[i], (char)('a' + i));
  }
  assert_int_equal(gale_condition_notify_all(c), 4);
  spin(loop);
  assert_string_equal(h.text, "abcd");
  for (int i = 0; i < 4; i++) gale_future_unref(fs[i]);
  gale_condition_free(c);
  gale_loop_free(loop);
}

static void test_condition_wait_timeout(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_condition *c = gale_condition_new(loop);
  gale_future *f = gale_condition_wait(c, 0.01);
  gale_loop_run_until_complete(loop, f, 5);
  assert_int_equal(gale_future_status(f), GALE_ETIMEDOUT); /* Tornado: False */
  assert_int_equal(gale_condition_waiters(c), 0);          /* left the line */
  gale_future_unref(f);
  gale_condition_free(c);
  gale_loop_free(loop);
}

static void test_condition_wait_timeout_preempted(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_condition *c = gale_condition_new(loop);
  gale_future *f = gale_condition_wait(c, 0.05);
  gale_condition_notify(c, 1); /* before the timeout */
  gale_loop_run_until_complete(loop, f, 5);
  assert_int_equal(gale_future_status(f), GALE_OK);
  gale_future *s = gale_sleep(loop, 0.06); /* the timer is gone: nothing fires */
  gale_loop_run_until_complete(loop, s, 5);
  assert_int_equal(gale_future_status(f), GALE_OK);
  gale_future_unref(s);
  gale_future_unref(f);
  gale_condition_free(c);
  gale_loop_free(loop);
}

static void test_condition_notify_n_with_timeout(void **state) {
  (void)state;
  /* Waiters a, b (timeout), c, d: b times out, then notify(2) wakes a and c. */
  gale_loop *loop = gale_loop_new();
  gale_condition *c = gale_condition_new(loop);
  history h = {""};
  tag t[4];
  gale_future *fs[4];
  fs[0] = gale_condition_wait(c, GALE_FOREVER);
  fs[1] = gale_condition_wait(c, 0.01);
  fs[2] = gale_condition_wait(c, GALE_FOREVER);
  fs[3] = gale_condition_wait(c, GALE_FOREVER);
  for (int i = 0; i < 4; i++) on_done(fs[i], &h, &t[i], (char)('a' + i));
  gale_loop_run_until_complete(loop, fs[1], 5);
  spin(loop);
  assert_string_equal(h.text, "B");
  assert_int_equal(gale_condition_notify(c, 2), 2);
  spin(loop);
  assert_string_equal(h.text, "Bac");
  gale_condition_notify_all(c);
  spin(loop);
  assert_string_equal(h.text, "Bacd");
  for (int i = 0; i < 4; i++) gale_future_unref(fs[i]);
  gale_condition_free(c);
  gale_loop_free(loop);
}

static void test_condition_notify_all_with_timeout(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_condition *c = gale_condition_new(loop);
  history h = {""};
  tag t[3];
  gale_future *fs[3];
  fs[0] = gale_condition_wait(c, GALE_FOREVER);
  fs[1] = gale_condition_wait(c, 0.01);
  fs[2] = gale_condition_wait(c, GALE_FOREVER);
  for (int i = 0; i < 3; i++) on_done(fs[i], &h, &t[i], (char)('a' + i));
  gale_loop_run_until_complete(loop, fs[1], 5);
  spin(loop);
  assert_string_equal(h.text, "B");
  assert_int_equal(gale_condition_notify_all(c), 2);
  spin(loop);
  assert_string_equal(h.text, "Bac");
  for (int i = 0; i < 3; i++) gale_future_unref(fs[i]);
  gale_condition_free(c);
  gale_loop_free(loop);
}

/* A waiter woken by a notify that waits again is not woken by the same
 * notify (Tornado's test_nested_notify). */
static gale_condition *nested_cond;
static gale_future *nested_again;
static void wait_again(gale_future *f, void *arg) {
  (void)f;
  (void)arg;
  nested_again = gale_condition_wait(nested_cond, GALE_FOREVER);
}

static void test_condition_nested_notify(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  nested_cond = gale_condition_new(loop);
  gale_future *f1 = gale_condition_wait(nested_cond, GALE_FOREVER);
  gale_future *f2 = gale_condition_wait(nested_cond, GALE_FOREVER);
  gale_future_add_done_callback(f1, wait_again, NULL);
  assert_int_equal(gale_condition_notify(nested_cond, 2), 2);
  spin(loop);
  assert_true(gale_future_done(f2));
  assert_false(gale_future_done(nested_again));
  assert_int_equal(gale_condition_waiters(nested_cond), 1);
  gale_condition_free(nested_cond); /* cancels the one still waiting */
  assert_int_equal(gale_future_status(nested_again), GALE_ECANCELLED);
  gale_future_unref(nested_again);
  gale_future_unref(f1);
  gale_future_unref(f2);
  gale_loop_free(loop);
}

static void test_condition_garbage_collection(void **state) {
  (void)state;
  /* Timed-out waiters leave no trace: 100 of them, then one notify. */
  gale_loop *loop = gale_loop_new();
  gale_condition *c = gale_condition_new(loop);
  gale_future *fs[100];
  for (int i = 0; i < 100; i++) fs[i] = gale_condition_wait(c, 0.01);
  gale_future *last = gale_condition_wait(c, GALE_FOREVER);
  gale_loop_run_until_complete(loop, fs[99], 5);
  spin(loop);
  assert_int_equal(gale_condition_waiters(c), 1);
  gale_condition_notify(c, 1);
  gale_loop_run_until_complete(loop, last, 5);
  assert_int_equal(gale_future_status(last), GALE_OK);
  for (int i = 0; i < 100; i++) gale_future_unref(fs[i]);
  gale_future_unref(last);
  gale_condition_free(c);
  gale_loop_free(loop);
}

/* ---- EventTest -------------------------------------------------------------------- */

static void test_event(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_event *e = gale_event_new(loop);
  gale_future *f1 = gale_event_wait(e, GALE_FOREVER);
  gale_future *f2 = gale_event_wait(e, GALE_FOREVER);
  assert_false(gale_event_is_set(e));
  gale_event_set(e);
  assert_true(gale_event_is_set(e));
  spin(loop);
  assert_true(gale_future_done(f1) && gale_future_done(f2));
  gale_future *f3 = gale_event_wait(e, GALE_FOREVER); /* already set */
  assert_true(gale_future_done(f3));
  gale_future_unref(f1);
  gale_future_unref(f2);
  gale_future_unref(f3);
  gale_event_free(e);
  gale_loop_free(loop);
}

static void test_event_timeout(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_event *e = gale_event_new(loop);
  gale_future *f = gale_event_wait(e, 0.01);
  gale_loop_run_until_complete(loop, f, 5);
  assert_int_equal(gale_future_status(f), GALE_ETIMEDOUT);
  gale_future_unref(f);
  /* After set, a wait with a timeout completes at once. */
  gale_event_set(e);
  f = gale_event_wait(e, 0.01);
  assert_int_equal(gale_future_status(f), GALE_OK);
  gale_future_unref(f);
  gale_event_free(e);
  gale_loop_free(loop);
}

static void test_event_set_multiple(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_event *e = gale_event_new(loop);
  gale_event_set(e);
  gale_event_set(e);
  assert_true(gale_event_is_set(e));
  gale_event_free(e);
  gale_loop_free(loop);
}

static void test_event_wait_clear(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_event *e = gale_event_new(loop);
  gale_future *f0 = gale_event_wait(e, GALE_FOREVER);
  gale_event_clear(e);
  gale_event_set(e);
  gale_future *f1 = gale_event_wait(e, GALE_FOREVER);
  spin(loop);
  assert_true(gale_future_done(f0)); /* set after clear still wakes it */
  assert_true(gale_future_done(f1));
  gale_future_unref(f0);
  gale_future_unref(f1);
  gale_event_free(e);
  gale_loop_free(loop);
}

/* ---- SemaphoreTest / BoundedSemaphoreTest --------------------------------------- */

static void test_semaphore_acquire(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_semaphore *s = gale_semaphore_new(loop, 2);
  assert_int_equal(gale_semaphore_value(s), 2);
  gale_future *a = gale_semaphore_acquire(s, GALE_FOREVER);
  gale_future *b = gale_semaphore_acquire(s, GALE_FOREVER);
  assert_true(gale_future_done(a) && gale_future_done(b));
  assert_int_equal(gale_semaphore_value(s), 0);
  history h = {""};
  tag t[3];
  gale_future *c = gale_semaphore_acquire(s, GALE_FOREVER);
  gale_future *d = gale_semaphore_acquire(s, 0.01); /* times out */
  gale_future *e = gale_semaphore_acquire(s, GALE_FOREVER);
  on_done(c, &h, &t[0], 'c');
  on_done(d, &h, &t[1], 'd');
  on_done(e, &h, &t[2], 'e');
  assert_false(gale_future_done(c));
  gale_loop_run_until_complete(loop, d, 5);
  spin(loop);
  assert_string_equal(h.text, "D");
  gale_semaphore_release(s); /* to c, the first in line */
  spin(loop);
  assert_string_equal(h.text, "Dc");
  gale_semaphore_release(s); /* to e: d left the line */
  spin(loop);
  assert_string_equal(h.text, "Dce");
  assert_int_equal(gale_semaphore_value(s), 0);
  gale_semaphore_release(s);
  assert_int_equal(gale_semaphore_value(s), 1);
  gale_future_unref(a);
  gale_future_unref(b);
  gale_future_unref(c);
  gale_future_unref(d);
  gale_future_unref(e);
  gale_semaphore_free(s);
  gale_loop_free(loop);
}

static void test_semaphore_release_unacquired(void **state) {
  (void)state;
  /* An unbounded semaphore may be released past its initial value. */
  gale_loop *loop = gale_loop_new();
  gale_semaphore *s = gale_semaphore_new(loop, 0);
  assert_int_equal(gale_semaphore_release(s), GALE_OK);
  assert_int_equal(gale_semaphore_release(s), GALE_OK);
  assert_int_equal(gale_semaphore_value(s), 2);
  gale_semaphore_free(s);
  gale_loop_free(loop);
}

static void test_bounded_semaphore_release_unacquired(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_semaphore *s = gale_semaphore_new_bounded(loop, 1);
  assert_int_equal(gale_semaphore_release(s), GALE_EINVAL);
  gale_future *a = gale_semaphore_acquire(s, GALE_FOREVER);
  assert_true(gale_future_done(a));
  assert_int_equal(gale_semaphore_release(s), GALE_OK);
  assert_int_equal(gale_semaphore_release(s), GALE_EINVAL);
  gale_future_unref(a);
  gale_semaphore_free(s);
  gale_loop_free(loop);
}

static void test_semaphore_cancelled_waiter(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_semaphore *s = gale_semaphore_new(loop, 0);
  gale_future *a = gale_semaphore_acquire(s, GALE_FOREVER);
  gale_future *b = gale_semaphore_acquire(s, GALE_FOREVER);
  assert_true(gale_future_cancel(a)); /* leaves the line */
  gale_semaphore_release(s);
  assert_true(gale_future_done(b));
  assert_int_equal(gale_future_status(b), GALE_OK);
  gale_future_unref(a);
  gale_future_unref(b);
  gale_semaphore_free(s);
  gale_loop_free(loop);
}

/* ---- LockTests ------------------------------------------------------------------ */

static void test_lock_acquire_release(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_lock *l = gale_lock_new(loop);
  assert_false(gale_lock_locked(l));
  gale_future *f = gale_lock_acquire(l, GALE_FOREVER);
  assert_true(gale_future_done(f));
  assert_true(gale_lock_locked(l));
  assert_int_equal(gale_lock_release(l), GALE_OK);
  assert_false(gale_lock_locked(l));
  gale_future_unref(f);
  gale_lock_free(l);
  gale_loop_free(loop);
}

/* Coroutines take the lock in the order they asked for it. */
typedef struct fifo {
  gale_lock *lock;
  char order[16];
  int n;
} fifo;

typedef struct fifo_arg {
  fifo *f;
  char c;
} fifo_arg;

static int locker(void *arg) {
  fifo_arg *a = arg;
  gale_future *f = gale_lock_acquire(a->f->lock, GALE_FOREVER);
  int st = gale_await(f);
  gale_future_unref(f);
  if (st != GALE_OK) return st;
  gale_future *s = gale_sleep(gale_loop_current(), 0); /* hold it across a turn */
  gale_await(s);
  gale_future_unref(s);
  a->f->order[a->f->n++] = a->c;
  return gale_lock_release(a->f->lock);
}

static void test_lock_acquire_fifo(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_loop_make_current(loop);
  fifo f = {.lock = gale_lock_new(loop)};
  fifo_arg args[5];
  gale_future *fs[5];
  for (int i = 0; i < 5; i++) {
    args[i] = (fifo_arg){&f, (char)('a' + i)};
    fs[i] = gale_coro_spawn(loop, locker, &args[i], NULL);
  }
  gale_future *all = gale_future_all(loop, fs, 5);
  assert_int_equal(gale_loop_run_until_complete(loop, all, 5), GALE_OK);
  assert_int_equal(gale_future_status(all), GALE_OK);
  assert_string_equal(f.order, "abcde");
  gale_future_unref(all);
  for (int i = 0; i < 5; i++) gale_future_unref(fs[i]);
  gale_lock_free(f.lock);
  gale_loop_free(loop);
}

static void test_lock_acquire_timeout(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_lock *l = gale_lock_new(loop);
  gale_future *held = gale_lock_acquire(l, GALE_FOREVER);
  gale_future *f = gale_lock_acquire(l, 0.01);
  gale_loop_run_until_complete(loop, f, 5);
  assert_int_equal(gale_future_status(f), GALE_ETIMEDOUT);
  gale_future_unref(f);
  /* The lock is still held and can be released, then acquired. */
  assert_int_equal(gale_lock_release(l), GALE_OK);
  f = gale_lock_acquire(l, GALE_FOREVER);
  assert_true(gale_future_done(f));
  gale_future_unref(f);
  gale_future_unref(held);
  gale_lock_free(l);
  gale_loop_free(loop);
}

static void test_lock_multi_release(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_lock *l = gale_lock_new(loop);
  assert_int_equal(gale_lock_release(l), GALE_ESTATE); /* Tornado: RuntimeError */
  gale_future *f = gale_lock_acquire(l, GALE_FOREVER);
  assert_int_equal(gale_lock_release(l), GALE_OK);
  assert_int_equal(gale_lock_release(l), GALE_ESTATE);
  gale_future_unref(f);
  gale_lock_free(l);
  gale_loop_free(loop);
}

/* ---- teardown ----------------------------------------------------------------------- */

static void test_loop_freed_with_timed_waits(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_condition *c = gale_condition_new(loop);
  gale_event *e = gale_event_new(loop);
  gale_future *f1 = gale_condition_wait(c, 3600);
  gale_future *f2 = gale_event_wait(e, 3600);
  gale_loop_free(loop); /* the timers go; the waits end unresolved */
  assert_int_equal(gale_condition_waiters(c), 0);
  gale_condition_free(c);
  gale_event_free(e);
  gale_future_unref(f1);
  gale_future_unref(f2);
}

static void test_null_arguments(void **state) {
  (void)state;
  assert_null(gale_event_new(NULL));
  assert_null(gale_condition_new(NULL));
  assert_null(gale_semaphore_new(NULL, 1));
  assert_null(gale_lock_new(NULL));
  assert_null(gale_event_wait(NULL, 1));
  assert_null(gale_condition_wait(NULL, 1));
  assert_null(gale_semaphore_acquire(NULL, 1));
  assert_null(gale_lock_acquire(NULL, 1));
  assert_int_equal(gale_semaphore_release(NULL), GALE_EINVAL);
  assert_int_equal(gale_lock_release(NULL), GALE_EINVAL);
  assert_int_equal(gale_condition_notify(NULL, 1), 0);
  gale_event_set(NULL);
  gale_event_clear(NULL);
  gale_event_free(NULL);
  gale_condition_free(NULL);
  gale_semaphore_free(NULL);
  gale_lock_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_condition_notify),
      cmocka_unit_test(test_condition_notify_1),
      cmocka_unit_test(test_condition_notify_n),
      cmocka_unit_test(test_condition_notify_all),
      cmocka_unit_test(test_condition_wait_timeout),
      cmocka_unit_test(test_condition_wait_timeout_preempted),
      cmocka_unit_test(test_condition_notify_n_with_timeout),
      cmocka_unit_test(test_condition_notify_all_with_timeout),
      cmocka_unit_test(test_condition_nested_notify),
      cmocka_unit_test(test_condition_garbage_collection),
      cmocka_unit_test(test_event),
      cmocka_unit_test(test_event_timeout),
      cmocka_unit_test(test_event_set_multiple),
      cmocka_unit_test(test_event_wait_clear),
      cmocka_unit_test(test_semaphore_acquire),
      cmocka_unit_test(test_semaphore_release_unacquired),
      cmocka_unit_test(test_bounded_semaphore_release_unacquired),
      cmocka_unit_test(test_semaphore_cancelled_waiter),
      cmocka_unit_test(test_lock_acquire_release),
      cmocka_unit_test(test_lock_acquire_fifo),
      cmocka_unit_test(test_lock_acquire_timeout),
      cmocka_unit_test(test_lock_multi_release),
      cmocka_unit_test(test_loop_freed_with_timed_waits),
      cmocka_unit_test(test_null_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
