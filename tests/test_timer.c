/* SPDX-License-Identifier: MIT */
/* Timers and periodic timers: ordering, cancellation from callbacks, the
 * periodic schedule under a blocked loop. */
#include <math.h>
#include <stdlib.h>

#include "harness.h"

#define MAX_LOG 256

struct log {
  int items[MAX_LOG];
  int n;
};

struct tagged {
  struct log *log;
  int tag;
  gale_timer *other; /* for cancel tests */
  gale_timer *self;
};

static void record_cb(gale_loop *loop, void *arg) {
  struct tagged *t = arg;
  (void)loop;
  if (t->log->n < MAX_LOG) t->log->items[t->log->n++] = t->tag;
}

static void test_einval(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_timer *t;
  assert_int_equal(gale_loop_call_later(NULL, 1, record_cb, NULL, &t), GALE_EINVAL);
  assert_int_equal(gale_loop_call_later(loop, 1, NULL, NULL, &t), GALE_EINVAL);
  assert_int_equal(gale_loop_call_later(loop, NAN, record_cb, NULL, &t), GALE_EINVAL);
  assert_int_equal(gale_loop_call_at(loop, NAN, record_cb, NULL, &t), GALE_EINVAL);
  assert_int_equal(gale_timer_cancel(NULL), GALE_EINVAL);
  gale_periodic *p;
  assert_int_equal(gale_periodic_new(loop, 0, 0, record_cb, NULL, &p), GALE_EINVAL);
  assert_int_equal(gale_periodic_new(loop, -1, 0, record_cb, NULL, &p), GALE_EINVAL);
  assert_int_equal(gale_periodic_new(loop, NAN, 0, record_cb, NULL, &p), GALE_EINVAL);
  assert_int_equal(gale_periodic_new(loop, 1, 1.5, record_cb, NULL, &p), GALE_EINVAL);
  assert_int_equal(gale_periodic_new(loop, 1, -0.1, record_cb, NULL, &p), GALE_EINVAL);
  assert_int_equal(gale_periodic_new(NULL, 1, 0, record_cb, NULL, &p), GALE_EINVAL);
  assert_int_equal(gale_periodic_new(loop, 1, 0, NULL, NULL, &p), GALE_EINVAL);
  assert_int_equal(gale_periodic_start(NULL), GALE_EINVAL);
  assert_int_equal(gale_periodic_stop(NULL), GALE_EINVAL);
  assert_false(gale_periodic_is_running(NULL));
  gale_periodic_free(NULL);
  gale_loop_free(loop);
}

static void test_order(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  struct log log = {0};
  struct tagged t[8];
  double now = gale_loop_time(loop);
  /* Deadlines out of order, with ties that must keep scheduling order. */
  double when[8] = {0.03, 0.01, 0.02, 0.01, 0.03, 0.01, -1, 0.02};
  for (int i = 0; i < 8; i++) {
    t[i] = (struct tagged){&log, i, NULL, NULL};
    assert_int_equal(gale_loop_call_at(loop, now + when[i], record_cb, &t[i], NULL), GALE_OK);
  }
  TH_RUN_UNTIL(loop, log.n == 8, 5);
  int expect[8] = {6, 1, 3, 5, 2, 7, 0, 4};
  for (int i = 0; i < 8; i++) assert_int_equal(log.items[i], expect[i]);
  gale_loop_free(loop);
}

static void test_equal_deadlines_fifo(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  struct log log = {0};
  struct tagged t[200];
  double at = gale_loop_time(loop) + 0.01;
  for (int i = 0; i < 200; i++) {
    t[i] = (struct tagged){&log, i, NULL, NULL};
    gale_loop_call_at(loop, at, record_cb, &t[i], NULL);
  }
  TH_RUN_UNTIL(loop, log.n == 200, 5);
  for (int i = 0; i < 200; i++) assert_int_equal(log.items[i], i);
  gale_loop_free(loop);
}

static void test_not_before_deadline(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  struct log log = {0};
  struct tagged t = {&log, 1, NULL, NULL};
  double start = gale_loop_time(loop);
  gale_loop_call_later(loop, 0.05, record_cb, &t, NULL);
  TH_RUN_UNTIL(loop, log.n == 1, 5);
  assert_true(gale_loop_time(loop) - start >= 0.05);
  gale_loop_free(loop);
}

static void cancel_other_cb(gale_loop *loop, void *arg) {
  struct tagged *t = arg;
  record_cb(loop, arg);
  assert_int_equal(gale_timer_cancel(t->other), GALE_OK);
}

static void cancel_self_cb(gale_loop *loop, void *arg) {
  struct tagged *t = arg;
  record_cb(loop, arg);
  assert_int_equal(gale_timer_cancel(t->self), GALE_OK);
}

static void test_cancel(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  struct log log = {0};
  struct tagged a = {&log, 1, NULL, NULL}, b = {&log, 2, NULL, NULL}, c = {&log, 3, NULL, NULL};
  struct tagged d = {&log, 4, NULL, NULL}, e = {&log, 5, NULL, NULL};
  gale_timer *ta, *tb, *tc, *td;
  double at = gale_loop_time(loop) + 0.01;
  /* Pending cancel. */
  gale_loop_call_at(loop, at, record_cb, &a, &ta);
  assert_int_equal(gale_timer_cancel(ta), GALE_OK);
  /* Cancel a timer due in the same batch from an earlier one. */
  gale_loop_call_at(loop, at, cancel_other_cb, &b, &tb);
  gale_loop_call_at(loop, at, record_cb, &c, &tc);
  b.other = tc;
  /* Cancel a later pending timer. */
  gale_loop_call_at(loop, at + 10, record_cb, &d, &td);
  e.other = td;
  gale_loop_call_at(loop, at, cancel_other_cb, &e, NULL);
  TH_RUN_UNTIL(loop, log.n == 2, 5);
  assert_int_equal(log.items[0], 2);
  assert_int_equal(log.items[1], 5);
  /* Cancel itself. */
  struct tagged s = {&log, 6, NULL, NULL};
  gale_loop_call_later(loop, 0, cancel_self_cb, &s, &s.self);
  TH_RUN_UNTIL(loop, log.n == 3, 5);
  assert_int_equal(log.items[2], 6);
  gale_loop_free(loop);
}

/* Cancelling the earliest timer leaves the later one on time. */
static void test_cancel_top_then_later(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  struct log log = {0};
  struct tagged a = {&log, 1, NULL, NULL}, b = {&log, 2, NULL, NULL};
  gale_timer *ta;
  gale_loop_call_later(loop, 0.01, record_cb, &a, &ta);
  gale_loop_call_later(loop, 0.03, record_cb, &b, NULL);
  gale_timer_cancel(ta);
  TH_RUN_UNTIL(loop, log.n == 1, 5);
  assert_int_equal(log.items[0], 2);
  gale_loop_free(loop);
}

static void chain_cb(gale_loop *loop, void *arg) {
  int *n = arg;
  if (++*n < 1000) gale_loop_call_later(loop, 0, chain_cb, n, NULL);
}

static void test_many_recycled(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  int n = 0;
  gale_loop_call_later(loop, 0, chain_cb, &n, NULL);
  TH_RUN_UNTIL(loop, n == 1000, 10);
  /* Many pending at once, half cancelled. */
  gale_timer *timers[5000];
  struct log log = {0};
  struct tagged t = {&log, 1, NULL, NULL};
  for (int i = 0; i < 5000; i++)
    gale_loop_call_later(loop, (i % 7) * 0.001, record_cb, &t, &timers[i]);
  for (int i = 0; i < 5000; i += 2) gale_timer_cancel(timers[i]);
  /* log caps at MAX_LOG; count via a second pass. */
  TH_RUN_UNTIL(loop, log.n == MAX_LOG, 5);
  gale_loop_free(loop);
}

/* ---- periodic ----------------------------------------------------------- */

struct ticker {
  gale_periodic *p;
  int ticks;
  double times[64];
  int stop_at, free_at;
};

static void tick_cb(gale_loop *loop, void *arg) {
  struct ticker *t = arg;
  if (t->ticks < 64) t->times[t->ticks] = gale_loop_time(loop);
  t->ticks++;
  if (t->ticks == t->stop_at) gale_periodic_stop(t->p);
  if (t->ticks == t->free_at) {
    gale_periodic_free(t->p);
    t->p = NULL;
  }
}

static void test_periodic_basic(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  struct ticker t = {0};
  assert_int_equal(gale_periodic_new(loop, 0.01, 0, tick_cb, &t, &t.p), GALE_OK);
  assert_false(gale_periodic_is_running(t.p));
  double start = gale_loop_time(loop);
  assert_int_equal(gale_periodic_start(t.p), GALE_OK);
  assert_int_equal(gale_periodic_start(t.p), GALE_OK); /* no-op */
  assert_true(gale_periodic_is_running(t.p));
  TH_RUN_UNTIL(loop, t.ticks >= 3, 5);
  /* On the schedule start + k * interval, never early. */
  for (int i = 0; i < 3; i++) assert_true(t.times[i] >= start + (i + 1) * 0.01 - 1e-9);
  gale_periodic_stop(t.p);
  assert_false(gale_periodic_is_running(t.p));
  int ticks = t.ticks;
  th_run_for(loop, 0.03);
  assert_int_equal(t.ticks, ticks);
  gale_periodic_free(t.p);
  gale_loop_free(loop);
}

static void test_periodic_stop_and_free_inside(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  struct ticker a = {0}, b = {0};
  a.stop_at = 2;
  b.free_at = 2;
  gale_periodic_new(loop, 0.005, 0.5, tick_cb, &a, &a.p);
  gale_periodic_new(loop, 0.005, 0, tick_cb, &b, &b.p);
  gale_periodic_start(a.p);
  gale_periodic_start(b.p);
  TH_RUN_UNTIL(loop, a.ticks == 2 && b.ticks == 2, 5);
  assert_false(gale_periodic_is_running(a.p));
  assert_null(b.p);
  th_run_for(loop, 0.03);
  assert_int_equal(a.ticks, 2);
  assert_int_equal(b.ticks, 2);
  /* Restart after a stop. */
  a.stop_at = 0;
  gale_periodic_start(a.p);
  TH_RUN_UNTIL(loop, a.ticks == 3, 5);
  /* a is left running: the loop frees it. */
  gale_loop_free(loop);
}

static void busy_cb(gale_loop *loop, void *arg) {
  double until = *(double *)arg;
  while (gale_loop_time(loop) < until) {}
}

/* Blocked past three ticks: one late tick, then back on the schedule. */
static void test_periodic_skips_missed_ticks(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  struct ticker t = {0};
  const double interval = 0.02;
  gale_periodic_new(loop, interval, 0, tick_cb, &t, &t.p);
  double start = gale_loop_time(loop);
  gale_periodic_start(t.p);
  double until = start + 3.5 * interval;
  gale_loop_add_callback(loop, busy_cb, &until);
  TH_RUN_UNTIL(loop, t.ticks >= 2, 5);
  /* Bunching would run ticks 1, 2 and 3 back to back after the block. */
  double end_of_block = until;
  assert_true(t.times[0] >= end_of_block);
  /* The next tick is on the original grid, past the block: k >= 4. */
  double k = (t.times[1] - start) / interval;
  assert_true(k >= 4 - 1e-6);
  gale_periodic_free(t.p);
  gale_loop_free(loop);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_einval),
      cmocka_unit_test(test_order),
      cmocka_unit_test(test_equal_deadlines_fifo),
      cmocka_unit_test(test_not_before_deadline),
      cmocka_unit_test(test_cancel),
      cmocka_unit_test(test_cancel_top_then_later),
      cmocka_unit_test(test_many_recycled),
      cmocka_unit_test(test_periodic_basic),
      cmocka_unit_test(test_periodic_stop_and_free_inside),
      cmocka_unit_test(test_periodic_skips_missed_ticks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
