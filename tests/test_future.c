/* SPDX-License-Identifier: MIT */
/* Futures: every outcome, done-callback scheduling and order, the cancel
 * hook, all(), with_timeout(), executor futures and reference counting
 * (ASan checks that nothing leaks or is used after free). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define MAX_LOG 32

struct log {
  int items[MAX_LOG];
  int n;
  gale_future *seen[MAX_LOG];
};

struct tagged {
  struct log *log;
  int tag;
};

static void done_cb(gale_future *f, void *arg) {
  struct tagged *t = arg;
  if (t->log->n < MAX_LOG) {
    t->log->seen[t->log->n] = f;
    t->log->items[t->log->n++] = t->tag;
  }
}

static int freed_results;
static void free_result(void *p) {
  freed_results++;
  free(p);
}

static void test_einval(void **state) {
  (void)state;
  assert_null(gale_future_new(NULL));
  assert_null(gale_future_ref(NULL));
  gale_future_unref(NULL);
  assert_int_equal(gale_future_set_result(NULL, NULL, NULL), GALE_EINVAL);
  assert_int_equal(gale_future_set_error(NULL, GALE_EINVAL), GALE_EINVAL);
  assert_false(gale_future_cancel(NULL));
  gale_future_set_cancel_cb(NULL, NULL, NULL);
  assert_int_equal(gale_future_add_done_callback(NULL, done_cb, NULL), GALE_EINVAL);
  assert_int_equal(gale_future_get_state(NULL), GALE_FUTURE_PENDING);
  assert_false(gale_future_done(NULL));
  assert_int_equal(gale_future_status(NULL), GALE_EINVAL);
  assert_null(gale_future_result(NULL));
  assert_null(gale_future_steal_result(NULL));
  assert_null(gale_future_loop(NULL));
  assert_null(gale_future_all(NULL, NULL, 0));
  assert_null(gale_future_with_timeout(NULL, 1));
  assert_null(gale_loop_run_in_executor_future(NULL, NULL, NULL, NULL));
  gale_loop *loop = gale_loop_new();
  gale_future *f = gale_future_new(loop);
  assert_int_equal(gale_future_add_done_callback(f, NULL, NULL), GALE_EINVAL);
  assert_int_equal(gale_future_set_error(f, GALE_OK), GALE_EINVAL);
  assert_int_equal(gale_future_set_error(f, 3), GALE_EINVAL);
  gale_future *const bad[2] = {f, NULL};
  assert_null(gale_future_all(loop, bad, 2));
  assert_null(gale_future_all(loop, NULL, 2));
  assert_null(gale_loop_run_in_executor_future(loop, NULL, NULL, NULL));
  gale_future_unref(f);
  gale_loop_free(loop);
}

static void test_result(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_future *f = gale_future_new(loop);
  assert_ptr_equal(gale_future_loop(f), loop);
  assert_int_equal(gale_future_get_state(f), GALE_FUTURE_PENDING);
  assert_int_equal(gale_future_status(f), GALE_EAGAIN);
  assert_false(gale_future_done(f));
  struct log log = {0};
  struct tagged a = {&log, 1}, b = {&log, 2}, c = {&log, 3};
  assert_int_equal(gale_future_add_done_callback(f, done_cb, &a), GALE_OK);
  assert_int_equal(gale_future_add_done_callback(f, done_cb, &b), GALE_OK);
  char *value = strdup("value");
  freed_results = 0;
  assert_int_equal(gale_future_set_result(f, value, free_result), GALE_OK);
  assert_int_equal(log.n, 0); /* scheduled, not run inside set_result */
  assert_true(gale_future_done(f));
  assert_int_equal(gale_future_get_state(f), GALE_FUTURE_DONE);
  assert_int_equal(gale_future_status(f), GALE_OK);
  assert_ptr_equal(gale_future_result(f), value);
  /* No longer pending: refused, the result stays the caller's. */
  char other[4];
  assert_int_equal(gale_future_set_result(f, other, NULL), GALE_ESTATE);
  assert_int_equal(gale_future_set_error(f, GALE_EOF), GALE_ESTATE);
  assert_false(gale_future_cancel(f));
  /* Added after done: scheduled at once, still after the earlier ones. */
  assert_int_equal(gale_future_add_done_callback(f, done_cb, &c), GALE_OK);
  assert_int_equal(log.n, 0);
  TH_RUN_UNTIL(loop, log.n == 3, 5);
  assert_int_equal(log.items[0], 1);
  assert_int_equal(log.items[1], 2);
  assert_int_equal(log.items[2], 3);
  assert_ptr_equal(log.seen[0], f);
  gale_future_unref(f);
  assert_int_equal(freed_results, 1);
  gale_loop_free(loop);
}

static void test_error_and_steal(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_future *f = gale_future_new(loop);
  struct log log = {0};
  struct tagged a = {&log, 1};
  gale_future_add_done_callback(f, done_cb, &a);
  assert_int_equal(gale_future_set_error(f, GALE_ECONNREFUSED), GALE_OK);
  assert_int_equal(gale_future_get_state(f), GALE_FUTURE_FAILED);
  assert_int_equal(gale_future_status(f), GALE_ECONNREFUSED);
  assert_null(gale_future_result(f));
  TH_RUN_UNTIL(loop, log.n == 1, 5);
  gale_future_unref(f);

  f = gale_future_new(loop);
  freed_results = 0;
  char *value = strdup("mine");
  gale_future_set_result(f, value, free_result);
  char *stolen = gale_future_steal_result(f);
  assert_ptr_equal(stolen, value);
  assert_null(gale_future_result(f));
  gale_future_unref(f);
  assert_int_equal(freed_results, 0);
  free(stolen);
  gale_loop_free(loop);
}

struct hook {
  int calls;
  gale_future *seen;
  bool drop_ref; /* the producer drops its reference inside the hook */
};

static void cancel_hook(gale_future *f, void *arg) {
  struct hook *h = arg;
  h->calls++;
  h->seen = f;
  assert_int_equal(gale_future_get_state(f), GALE_FUTURE_CANCELLED);
  if (h->drop_ref) gale_future_unref(f);
}

static void test_cancel(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_future *f = gale_future_new(loop);
  struct hook h = {.drop_ref = true};
  struct log log = {0};
  struct tagged a = {&log, 1};
  gale_future_ref(f); /* the producer's */
  gale_future_set_cancel_cb(f, cancel_hook, &h);
  gale_future_add_done_callback(f, done_cb, &a);
  assert_true(gale_future_cancel(f));
  assert_int_equal(h.calls, 1); /* synchronous */
  assert_ptr_equal(h.seen, f);
  assert_int_equal(gale_future_status(f), GALE_ECANCELLED);
  assert_int_equal(gale_future_get_state(f), GALE_FUTURE_CANCELLED);
  assert_false(gale_future_cancel(f));
  assert_int_equal(h.calls, 1);
  assert_int_equal(gale_future_set_result(f, NULL, NULL), GALE_ESTATE);
  assert_int_equal(log.n, 0);
  TH_RUN_UNTIL(loop, log.n == 1, 5);
  gale_future_unref(f);
  gale_loop_free(loop);
}

/* Dropping every reference early: pending callbacks keep the future. */
static void test_unref_before_callbacks(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_future *f = gale_future_new(loop);
  struct log log = {0};
  struct tagged a = {&log, 1};
  gale_future_add_done_callback(f, done_cb, &a);
  gale_future_set_result(f, strdup("x"), free);
  gale_future_unref(f);
  TH_RUN_UNTIL(loop, log.n == 1, 5);
  /* A never-resolved future with callbacks, freed by its last unref. */
  f = gale_future_new(loop);
  gale_future_add_done_callback(f, done_cb, &a);
  gale_future_unref(f);
  /* A resolved one whose callbacks are still queued when the loop goes. */
  f = gale_future_new(loop);
  gale_future_add_done_callback(f, done_cb, &a);
  gale_future_set_result(f, strdup("y"), free);
  gale_future_unref(f);
  gale_loop_free(loop);
  assert_int_equal(log.n, 1);
}

static void test_all(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  struct log log = {0};
  struct tagged t = {&log, 1};

  /* Empty: already done. */
  gale_future *all = gale_future_all(loop, NULL, 0);
  assert_true(gale_future_done(all));
  assert_int_equal(gale_future_status(all), GALE_OK);
  gale_future_unref(all);

  /* All succeed, one already done before all(). */
  gale_future *f[3];
  for (int i = 0; i < 3; i++) f[i] = gale_future_new(loop);
  gale_future_set_result(f[0], NULL, NULL);
  all = gale_future_all(loop, f, 3);
  gale_future_add_done_callback(all, done_cb, &t);
  gale_future_set_result(f[2], NULL, NULL);
  th_run_for(loop, 0.01);
  assert_false(gale_future_done(all));
  gale_future_set_result(f[1], NULL, NULL);
  TH_RUN_UNTIL(loop, log.n == 1, 5);
  assert_int_equal(gale_future_status(all), GALE_OK);
  assert_null(gale_future_result(all));
  gale_future_unref(all);
  for (int i = 0; i < 3; i++) gale_future_unref(f[i]);

  /* Failures: the first in array order wins, once all are done. */
  for (int i = 0; i < 3; i++) f[i] = gale_future_new(loop);
  all = gale_future_all(loop, f, 3);
  for (int i = 0; i < 3; i++) gale_future_unref(f[i]); /* all() keeps them */
  gale_future_set_error(f[2], GALE_EOF);
  gale_future_cancel(f[0]);
  th_run_for(loop, 0.01);
  assert_false(gale_future_done(all));
  gale_future_set_error(f[1], GALE_ECONNRESET);
  TH_RUN_UNTIL(loop, gale_future_done(all), 5);
  assert_int_equal(gale_future_status(all), GALE_ECONNRESET);
  gale_future_unref(all);

  /* Cancelled without failures. */
  for (int i = 0; i < 2; i++) f[i] = gale_future_new(loop);
  all = gale_future_all(loop, f, 2);
  gale_future_cancel(f[1]);
  gale_future_set_result(f[0], NULL, NULL);
  TH_RUN_UNTIL(loop, gale_future_done(all), 5);
  assert_int_equal(gale_future_get_state(all), GALE_FUTURE_CANCELLED);
  gale_future_unref(all);
  for (int i = 0; i < 2; i++) gale_future_unref(f[i]);
  gale_loop_free(loop);
}

static void resolve_later(gale_loop *loop, void *arg) {
  (void)loop;
  gale_future_set_result(arg, strdup("late"), free);
}

static void test_with_timeout(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();

  /* The inner future wins: the outer mirrors it, result borrowed. */
  gale_future *inner = gale_future_new(loop);
  gale_future *outer = gale_future_with_timeout(inner, 10);
  assert_non_null(outer);
  gale_loop_call_later(loop, 0.005, resolve_later, inner, NULL);
  gale_future_unref(inner); /* outer keeps it (and its result) alive */
  assert_int_equal(gale_loop_run_until_complete(loop, outer, 10), GALE_OK);
  assert_int_equal(gale_future_status(outer), GALE_OK);
  assert_string_equal(gale_future_result(outer), "late");
  gale_future_unref(outer);

  /* Time wins: ETIMEDOUT, the inner is not cancelled. */
  inner = gale_future_new(loop);
  outer = gale_future_with_timeout(inner, 0.01);
  assert_int_equal(gale_loop_run_until_complete(loop, outer, 10), GALE_OK);
  assert_int_equal(gale_future_status(outer), GALE_ETIMEDOUT);
  assert_false(gale_future_done(inner));
  gale_future_set_error(inner, GALE_EOF); /* later: no effect on outer */
  th_run_for(loop, 0.01);
  assert_int_equal(gale_future_status(outer), GALE_ETIMEDOUT);
  gale_future_unref(outer);
  gale_future_unref(inner);

  /* Failure and cancel are mirrored. */
  inner = gale_future_new(loop);
  outer = gale_future_with_timeout(inner, 10);
  gale_future_set_error(inner, GALE_ECONNREFUSED);
  assert_int_equal(gale_loop_run_until_complete(loop, outer, 10), GALE_OK);
  assert_int_equal(gale_future_status(outer), GALE_ECONNREFUSED);
  gale_future_unref(outer);
  gale_future_unref(inner);
  inner = gale_future_new(loop);
  outer = gale_future_with_timeout(inner, 10);
  gale_future_cancel(inner);
  assert_int_equal(gale_loop_run_until_complete(loop, outer, 10), GALE_OK);
  assert_int_equal(gale_future_get_state(outer), GALE_FUTURE_CANCELLED);
  gale_future_unref(outer);
  gale_future_unref(inner);

  /* Already done when wrapped. */
  inner = gale_future_new(loop);
  gale_future_set_result(inner, NULL, NULL);
  outer = gale_future_with_timeout(inner, 10);
  gale_future_unref(inner);
  assert_int_equal(gale_loop_run_until_complete(loop, outer, 10), GALE_OK);
  assert_int_equal(gale_future_status(outer), GALE_OK);
  gale_future_unref(outer);

  /* Resolved, and the timer due, in the same iteration: no double release. */
  inner = gale_future_new(loop);
  gale_loop_call_later(loop, 0, resolve_later, inner, NULL);
  outer = gale_future_with_timeout(inner, 0);
  assert_int_equal(gale_loop_run_until_complete(loop, outer, 10), GALE_OK);
  th_run_for(loop, 0.01);
  gale_future_unref(outer);
  gale_future_unref(inner);

  /* Loop freed with everything pending: released, not leaked. */
  inner = gale_future_new(loop);
  outer = gale_future_with_timeout(inner, 10);
  gale_future_unref(outer);
  gale_loop_free(loop);
  gale_future_unref(inner);
}

static void *make_value(void *arg) {
  int *v = malloc(sizeof *v);
  *v = *(int *)arg * 2;
  return v;
}

static void test_executor_future(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  int in = 21;
  gale_future *f = gale_loop_run_in_executor_future(loop, make_value, &in, free);
  assert_non_null(f);
  assert_int_equal(gale_loop_run_until_complete(loop, f, 10), GALE_OK);
  assert_int_equal(gale_future_status(f), GALE_OK);
  assert_int_equal(*(int *)gale_future_result(f), 42);
  gale_future_unref(f);

  /* Cancelled by the user while running: the late result is freed. */
  f = gale_loop_run_in_executor_future(loop, make_value, &in, free);
  gale_future_cancel(f);
  gale_future_unref(f);
  /* Still running when the loop is freed: delivered, then released. */
  f = gale_loop_run_in_executor_future(loop, make_value, &in, free);
  gale_future_unref(f);
  gale_loop_free(loop);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_einval),
      cmocka_unit_test(test_result),
      cmocka_unit_test(test_error_and_steal),
      cmocka_unit_test(test_cancel),
      cmocka_unit_test(test_unref_before_callbacks),
      cmocka_unit_test(test_all),
      cmocka_unit_test(test_with_timeout),
      cmocka_unit_test(test_executor_future),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
