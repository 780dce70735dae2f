/* SPDX-License-Identifier: MIT */
/* gale/queue.h: the cases of Tornado's tornado/test/queues_test.py, same
 * names and expectations (QueueBasicTest, QueueGetTest, QueuePutTest,
 * QueueJoinTest, PriorityQueueJoinTest, LifoQueueJoinTest,
 * ProducerConsumerTest), plus freeing a queue with items and waiters. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define I(n) ((void *)(intptr_t)(n))
#define N(p) ((int)(intptr_t)(p))

static void spin(gale_loop *loop) {
  for (int i = 0; i < 4; i++) gale_loop_run_once(loop, 0);
}

static int got(gale_future *f) {
  assert_int_equal(gale_future_status(f), GALE_OK);
  return N(gale_future_result(f));
}

/* ---- QueueBasicTest --------------------------------------------------------------- */

static void test_order(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_queue *q = gale_queue_new(loop, 0, NULL);
  int in[] = {1, 3, 2};
  for (int i = 0; i < 3; i++) assert_int_equal(gale_queue_put_nowait(q, I(in[i])), GALE_OK);
  void *item;
  for (int i = 0; i < 3; i++) {
    assert_int_equal(gale_queue_get_nowait(q, &item), GALE_OK);
    assert_int_equal(N(item), in[i]);
  }
  gale_queue_free(q);
  gale_loop_free(loop);
}

static void test_maxsize(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_queue *q = gale_queue_new(loop, 2, NULL);
  assert_true(gale_queue_empty(q));
  assert_false(gale_queue_full(q));
  assert_int_equal(gale_queue_maxsize(q), 2);
  gale_future *p0 = gale_queue_put(q, I(0), GALE_FOREVER);
  assert_true(gale_future_done(p0));
  assert_false(gale_queue_full(q));
  gale_future *p1 = gale_queue_put(q, I(1), GALE_FOREVER);
  assert_true(gale_future_done(p1));
  assert_true(gale_queue_full(q));
  gale_future *p2 = gale_queue_put(q, I(2), GALE_FOREVER);
  assert_false(gale_future_done(p2));
  assert_int_equal(gale_queue_qsize(q), 2);
  void *item;
  assert_int_equal(gale_queue_get_nowait(q, &item), GALE_OK);
  assert_int_equal(N(item), 0);
  assert_true(gale_future_done(p2)); /* the waiting put went in */
  assert_int_equal(gale_queue_qsize(q), 2);
  gale_future_unref(p0);
  gale_future_unref(p1);
  gale_future_unref(p2);
  gale_queue_free(q);
  gale_loop_free(loop);
}

/* ---- QueueGetTest ------------------------------------------------------------------ */

static void test_blocking_get(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_queue *q = gale_queue_new(loop, 0, NULL);
  gale_queue_put_nowait(q, I(0));
  gale_future *f = gale_queue_get(q, GALE_FOREVER);
  assert_int_equal(got(f), 0);
  gale_future_unref(f);
  gale_queue_free(q);
  gale_loop_free(loop);
}

static void test_nonblocking_get(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_queue *q = gale_queue_new(loop, 0, NULL);
  gale_queue_put_nowait(q, I(0));
  void *item = NULL;
  assert_int_equal(gale_queue_get_nowait(q, &item), GALE_OK);
  assert_int_equal(N(item), 0);
  gale_queue_free(q);
  gale_loop_free(loop);
}

static void test_nonblocking_get_exception(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_queue *q = gale_queue_new(loop, 0, NULL);
  void *item;
  assert_int_equal(gale_queue_get_nowait(q, &item), GALE_EQUEUEEMPTY);
  gale_queue_free(q);
  gale_loop_free(loop);
}

static void test_get_with_putters(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_queue *q = gale_queue_new(loop, 1, NULL);
  gale_queue_put_nowait(q, I(0));
  gale_future *put = gale_queue_put(q, I(1), GALE_FOREVER);
  gale_future *g = gale_queue_get(q, GALE_FOREVER);
  assert_int_equal(got(g), 0);
  assert_true(gale_future_done(put));
  assert_int_equal(gale_queue_qsize(q), 1);
  gale_future_unref(g);
  gale_future_unref(put);
  gale_queue_free(q);
  gale_loop_free(loop);
}

static void test_blocking_get_wait(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_queue *q = gale_queue_new(loop, 0, NULL);
  gale_queue_put_nowait(q, I(0));
  gale_queue_put_nowait(q, I(1));
  gale_future *g0 = gale_queue_get(q, GALE_FOREVER);
  gale_future *g1 = gale_queue_get(q, GALE_FOREVER);
  assert_int_equal(got(g0), 0);
  assert_int_equal(got(g1), 1);
  gale_future *g2 = gale_queue_get(q, GALE_FOREVER);
  assert_false(gale_future_done(g2));
  gale_queue_put_nowait(q, I(2));
  assert_int_equal(got(g2), 2);
  gale_future_unref(g0);
  gale_future_unref(g1);
  gale_future_unref(g2);
  gale_queue_free(q);
  gale_loop_free(loop);
}

static void test_get_timeout(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_queue *q = gale_queue_new(loop, 0, NULL);
  gale_future *get_timeout = gale_queue_get(q, 0.01);
  gale_future *get = gale_queue_get(q, GALE_FOREVER);
  gale_loop_run_until_complete(loop, get_timeout, 5);
  assert_int_equal(gale_future_status(get_timeout), GALE_ETIMEDOUT);
  gale_queue_put_nowait(q, I(0));
  assert_int_equal(got(get), 0); /* the timed-out getter did not take it */
  gale_future_unref(get_timeout);
  gale_future_unref(get);
  gale_queue_free(q);
  gale_loop_free(loop);
}

static void test_get_timeout_preempted(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_queue *q = gale_queue_new(loop, 0, NULL);
  gale_future *get = gale_queue_get(q, 0.01);
  gale_queue_put_nowait(q, I(0));
  gale_future *s = gale_sleep(loop, 0.02);
  gale_loop_run_until_complete(loop, s, 5);
  assert_int_equal(got(get), 0);
  gale_future_unref(s);
  gale_future_unref(get);
  gale_queue_free(q);
  gale_loop_free(loop);
}

static void test_get_clears_timed_out_putters(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_queue *q = gale_queue_new(loop, 1, NULL);
  gale_future *putters[10];
  for (int i = 0; i < 10; i++) putters[i] = gale_queue_put(q, I(i), 0.01);
  gale_future *last = gale_queue_put(q, I(10), GALE_FOREVER);
  gale_loop_run_until_complete(loop, putters[9], 5);
  spin(loop);
  /* The first went in; the other nine timed out; the last waits. */
  assert_int_equal(gale_future_status(putters[0]), GALE_OK);
  for (int i = 1; i < 10; i++) assert_int_equal(gale_future_status(putters[i]), GALE_ETIMEDOUT);
  assert_false(gale_future_done(last));
  void *item;
  assert_int_equal(gale_queue_get_nowait(q, &item), GALE_OK);
  assert_int_equal(N(item), 0);
  assert_true(gale_future_done(last));
  assert_int_equal(gale_queue_get_nowait(q, &item), GALE_OK);
  assert_int_equal(N(item), 10);
  for (int i = 0; i < 10; i++) gale_future_unref(putters[i]);
  gale_future_unref(last);
  gale_queue_free(q);
  gale_loop_free(loop);
}

static void test_get_clears_timed_out_getters(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_queue *q = gale_queue_new(loop, 0, NULL);
  gale_future *getters[10];
  for (int i = 0; i < 10; i++) getters[i] = gale_queue_get(q, 0.01);
  gale_future *last = gale_queue_get(q, GALE_FOREVER);
  gale_loop_run_until_complete(loop, getters[9], 5);
  spin(loop);
  for (int i = 0; i < 10; i++) assert_int_equal(gale_future_status(getters[i]), GALE_ETIMEDOUT);
  gale_queue_put_nowait(q, I(7));
  assert_int_equal(got(last), 7);
  for (int i = 0; i < 10; i++) gale_future_unref(getters[i]);
  gale_future_unref(last);
  gale_queue_free(q);
  gale_loop_free(loop);
}

/* ---- QueuePutTest ------------------------------------------------------------------ */

static void test_blocking_put(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_queue *q = gale_queue_new(loop, 0, NULL);
  gale_future *p = gale_queue_put(q, I(0), GALE_FOREVER);
  assert_int_equal(gale_future_status(p), GALE_OK);
  void *item;
  assert_int_equal(gale_queue_get_nowait(q, &item), GALE_OK);
  assert_int_equal(N(item), 0);
  gale_future_unref(p);
  gale_queue_free(q);
  gale_loop_free(loop);
}

static void test_nonblocking_put_exception(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_queue *q = gale_queue_new(loop, 1, NULL);
  gale_queue_put_nowait(q, I(0));
  assert_int_equal(gale_queue_put_nowait(q, I(1)), GALE_EQUEUEFULL);
  gale_queue_free(q);
  gale_loop_free(loop);
}

static void test_put_with_getters(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_queue *q = gale_queue_new(loop, 0, NULL);
  gale_future *g0 = gale_queue_get(q, GALE_FOREVER);
  gale_future *g1 = gale_queue_get(q, GALE_FOREVER);
  gale_future *p0 = gale_queue_put(q, I(0), GALE_FOREVER);
  assert_true(gale_future_done(p0));
  assert_int_equal(got(g0), 0);
  gale_future *p1 = gale_queue_put(q, I(1), GALE_FOREVER);
  assert_int_equal(got(g1), 1);
  assert_true(gale_queue_empty(q)); /* handed over, not stored */
  gale_future_unref(g0);
  gale_future_unref(g1);
  gale_future_unref(p0);
  gale_future_unref(p1);
  gale_queue_free(q);
  gale_loop_free(loop);
}

static void test_nonblocking_put_with_getters(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_queue *q = gale_queue_new(loop, 0, NULL);
  gale_future *g0 = gale_queue_get(q, GALE_FOREVER);
  gale_future *g1 = gale_queue_get(q, GALE_FOREVER);
  gale_queue_put_nowait(q, I(0));
  assert_int_equal(got(g0), 0);
  gale_queue_put_nowait(q, I(1));
  assert_int_equal(got(g1), 1);
  gale_future_unref(g0);
  gale_future_unref(g1);
  gale_queue_free(q);
  gale_loop_free(loop);
}

static void test_blocking_put_wait(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_queue *q = gale_queue_new(loop, 1, NULL);
  gale_queue_put_nowait(q, I(0));
  gale_future *p1 = gale_queue_put(q, I(1), GALE_FOREVER);
  gale_future *p2 = gale_queue_put(q, I(2), GALE_FOREVER);
  void *item;
  gale_queue_get_nowait(q, &item);
  assert_int_equal(N(item), 0);
  assert_true(gale_future_done(p1));
  assert_false(gale_future_done(p2));
  gale_queue_get_nowait(q, &item);
  assert_int_equal(N(item), 1);
  assert_true(gale_future_done(p2));
  gale_future_unref(p1);
  gale_future_unref(p2);
  gale_queue_free(q);
  gale_loop_free(loop);
}

static void test_put_timeout(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_queue *q = gale_queue_new(loop, 1, NULL);
  gale_queue_put_nowait(q, I(0));
  gale_future *put_timeout = gale_queue_put(q, I(1), 0.01);
  gale_future *put = gale_queue_put(q, I(2), GALE_FOREVER);
  gale_loop_run_until_complete(loop, put_timeout, 5);
  assert_int_equal(gale_future_status(put_timeout), GALE_ETIMEDOUT);
  void *item;
  gale_queue_get_nowait(q, &item);
  assert_int_equal(N(item), 0);
  gale_queue_get_nowait(q, &item);
  assert_int_equal(N(item), 2); /* 1 never went in */
  assert_true(gale_future_done(put));
  gale_future_unref(put_timeout);
  gale_future_unref(put);
  gale_queue_free(q);
  gale_loop_free(loop);
}

static void test_put_timeout_preempted(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_queue *q = gale_queue_new(loop, 1, NULL);
  gale_queue_put_nowait(q, I(0));
  gale_future *put = gale_queue_put(q, I(1), 0.01);
  void *item;
  gale_queue_get_nowait(q, &item);
  gale_future *s = gale_sleep(loop, 0.02);
  gale_loop_run_until_complete(loop, s, 5);
  assert_int_equal(gale_future_status(put), GALE_OK);
  gale_future_unref(s);
  gale_future_unref(put);
  gale_queue_free(q);
  gale_loop_free(loop);
}

static void test_put_clears_timed_out_putters(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_queue *q = gale_queue_new(loop, 1, NULL);
  gale_future *putters[10];
  for (int i = 0; i < 10; i++) putters[i] = gale_queue_put(q, I(i), 0.01);
  gale_future *last = gale_queue_put(q, I(10), GALE_FOREVER);
  gale_loop_run_until_complete(loop, putters[9], 5);
  spin(loop);
  assert_false(gale_future_done(last));
  assert_int_equal(gale_queue_put_nowait(q, I(11)), GALE_EQUEUEFULL);
  gale_future *g = gale_queue_get(q, GALE_FOREVER);
  assert_int_equal(got(g), 0);
  assert_true(gale_future_done(last));
  for (int i = 0; i < 10; i++) gale_future_unref(putters[i]);
  gale_future_unref(last);
  gale_future_unref(g);
  gale_queue_free(q);
  gale_loop_free(loop);
}

static void test_put_clears_timed_out_getters(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_queue *q = gale_queue_new(loop, 0, NULL);
  gale_future *getters[10];
  for (int i = 0; i < 10; i++) getters[i] = gale_queue_get(q, 0.01);
  gale_future *get = gale_queue_get(q, GALE_FOREVER);
  gale_loop_run_until_complete(loop, getters[9], 5);
  spin(loop);
  gale_future *p = gale_queue_put(q, I(0), GALE_FOREVER);
  assert_int_equal(got(get), 0);
  gale_future_unref(p);
  for (int i = 0; i < 10; i++) gale_future_unref(getters[i]);
  gale_future_unref(get);
  gale_queue_free(q);
  gale_loop_free(loop);
}

static void test_float_maxsize(void **state) {
  (void)state;
  /* Tornado: maxsize 1.3 behaves as 1; C sizes are whole: 1. */
  gale_loop *loop = gale_loop_new();
  gale_queue *q = gale_queue_new(loop, 1, NULL);
  assert_int_equal(gale_queue_put_nowait(q, I(0)), GALE_OK);
  assert_int_equal(gale_queue_put_nowait(q, I(1)), GALE_EQUEUEFULL);
  gale_queue_free(q);
  gale_loop_free(loop);
}

/* ---- QueueJoinTest ------------------------------------------------------------------ */

static void test_task_done_underflow(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_queue *q = gale_queue_new(loop, 0, NULL);
  assert_int_equal(gale_queue_task_done(q), GALE_EINVAL);
  gale_queue_free(q);
  gale_loop_free(loop);
}

static void test_task_done(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_queue *q = gale_queue_new(loop, 0, NULL);
  for (int i = 0; i < 100; i++) gale_queue_put_nowait(q, I(i));
  gale_future *join = gale_queue_join(q, GALE_FOREVER);
  long sum = 0;
  void *item;
  while (gale_queue_get_nowait(q, &item) == GALE_OK) {
    sum += N(item);
    spin(loop);
    assert_false(gale_future_done(join));
    gale_queue_task_done(q);
  }
  spin(loop);
  assert_true(gale_future_done(join));
  assert_int_equal(sum, 4950);
  gale_future_unref(join);
  gale_queue_free(q);
  gale_loop_free(loop);
}

static void test_join_empty_queue(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_queue *q = gale_queue_new(loop, 0, NULL);
  gale_future *j1 = gale_queue_join(q, GALE_FOREVER);
  gale_future *j2 = gale_queue_join(q, GALE_FOREVER);
  assert_true(gale_future_done(j1) && gale_future_done(j2));
  gale_future_unref(j1);
  gale_future_unref(j2);
  gale_queue_free(q);
  gale_loop_free(loop);
}

static void test_join_timeout(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_queue *q = gale_queue_new(loop, 0, NULL);
  gale_queue_put_nowait(q, I(0));
  gale_future *j = gale_queue_join(q, 0.01);
  gale_loop_run_until_complete(loop, j, 5);
  assert_int_equal(gale_future_status(j), GALE_ETIMEDOUT);
  gale_future_unref(j);
  gale_queue_free(q);
  gale_loop_free(loop);
}

/* ---- Priority / Lifo ------------------------------------------------------------------ */

static int cmp_int(const void *a, const void *b) { return N(a) - N(b); }

static void test_priority_order(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_queue *q = gale_queue_new_priority(loop, 0, cmp_int, NULL);
  int in[] = {1, 0, 3, 2, 1, 5, 4, 0};
  for (size_t i = 0; i < sizeof in / sizeof *in; i++) gale_queue_put_nowait(q, I(in[i]));
  int want[] = {0, 0, 1, 1, 2, 3, 4, 5};
  void *item;
  for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
    assert_int_equal(gale_queue_get_nowait(q, &item), GALE_OK);
    assert_int_equal(N(item), want[i]);
  }
  assert_null(gale_queue_new_priority(loop, 0, NULL, NULL));
  gale_queue_free(q);
  gale_loop_free(loop);
}

static void test_lifo_order(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_queue *q = gale_queue_new_lifo(loop, 0, NULL);
  for (int i = 1; i <= 3; i++) gale_queue_put_nowait(q, I(i));
  void *item;
  for (int i = 3; i >= 1; i--) {
    assert_int_equal(gale_queue_get_nowait(q, &item), GALE_OK);
    assert_int_equal(N(item), i);
  }
  gale_queue_free(q);
  gale_loop_free(loop);
}

/* ---- ProducerConsumerTest ----------------------------------------------------------- */

typedef struct pc {
  gale_queue *q;
  char history[64];
  int n;
} pc;

static int consumer(void *arg) {
  pc *p = arg;
  for (;;) {
    gale_future *f = gale_queue_get(p->q, GALE_FOREVER);
    int st = gale_await(f);
    if (st != GALE_OK) {
      gale_future_unref(f);
      return st == GALE_ECANCELLED ? GALE_OK : st;
    }
    p->history[p->n++] = (char)('0' + N(gale_future_result(f)));
    gale_future_unref(f);
    gale_queue_task_done(p->q);
  }
}

static int producer(void *arg) {
  pc *p = arg;
  for (int i = 0; i < 10; i++) {
    gale_future *f = gale_queue_put(p->q, I(i), GALE_FOREVER);
    int st = gale_await(f);
    gale_future_unref(f);
    if (st != GALE_OK) return st;
    p->history[p->n++] = 'p';
  }
  gale_future *j = gale_queue_join(p->q, GALE_FOREVER);
  int st = gale_await(j);
  gale_future_unref(j);
  return st;
}

static void test_producer_consumer(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  pc p = {.q = gale_queue_new(loop, 3, NULL)};
  gale_future *c = gale_coro_spawn(loop, consumer, &p, NULL);
  gale_future *pr = gale_coro_spawn(loop, producer, &p, NULL);
  assert_int_equal(gale_loop_run_until_complete(loop, pr, 5), GALE_OK);
  assert_int_equal(gale_future_status(pr), GALE_OK);
  /* Every item was consumed, in order. */
  char consumed[16] = "";
  for (int i = 0, k = 0; i < p.n; i++)
    if (p.history[i] != 'p') consumed[k++] = p.history[i];
  assert_string_equal(consumed, "0123456789");
  gale_future_cancel(c); /* the consumer's get returns ECANCELLED */
  gale_loop_run_until_complete(loop, c, 5);
  gale_future_unref(c);
  gale_future_unref(pr);
  gale_queue_free(p.q);
  gale_loop_free(loop);
}

/* ---- teardown ------------------------------------------------------------------------- */

static void test_free_with_items_and_waiters(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_queue *q = gale_queue_new(loop, 2, free);
  gale_queue_put_nowait(q, strdup("a"));
  gale_queue_put_nowait(q, strdup("b"));
  char *mine = strdup("c");
  gale_future *put = gale_queue_put(q, mine, GALE_FOREVER);
  gale_future *join = gale_queue_join(q, GALE_FOREVER);
  gale_queue_free(q); /* frees a and b; c stays mine */
  assert_int_equal(gale_future_status(put), GALE_ECANCELLED);
  assert_int_equal(gale_future_status(join), GALE_ECANCELLED);
  free(mine);
  gale_future_unref(put);
  gale_future_unref(join);

  /* A get future dropped unread frees its item with free_item. */
  q = gale_queue_new(loop, 0, free);
  gale_future *g = gale_queue_get(q, GALE_FOREVER);
  gale_queue_put_nowait(q, strdup("d"));
  assert_string_equal(gale_future_result(g), "d");
  gale_future_unref(g);
  gale_queue_free(q);
  gale_loop_free(loop);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_order),
      cmocka_unit_test(test_maxsize),
      cmocka_unit_test(test_blocking_get),
      cmocka_unit_test(test_nonblocking_get),
      cmocka_unit_test(test_nonblocking_get_exception),
      cmocka_unit_test(test_get_with_putters),
      cmocka_unit_test(test_blocking_get_wait),
      cmocka_unit_test(test_get_timeout),
      cmocka_unit_test(test_get_timeout_preempted),
      cmocka_unit_test(test_get_clears_timed_out_putters),
      cmocka_unit_test(test_get_clears_timed_out_getters),
      cmocka_unit_test(test_blocking_put),
      cmocka_unit_test(test_nonblocking_put_exception),
      cmocka_unit_test(test_put_with_getters),
      cmocka_unit_test(test_nonblocking_put_with_getters),
      cmocka_unit_test(test_blocking_put_wait),
      cmocka_unit_test(test_put_timeout),
      cmocka_unit_test(test_put_timeout_preempted),
      cmocka_unit_test(test_put_clears_timed_out_putters),
      cmocka_unit_test(test_put_clears_timed_out_getters),
      cmocka_unit_test(test_float_maxsize),
      cmocka_unit_test(test_task_done_underflow),
      cmocka_unit_test(test_task_done),
      cmocka_unit_test(test_join_empty_queue),
      cmocka_unit_test(test_join_timeout),
      cmocka_unit_test(test_priority_order),
      cmocka_unit_test(test_lifo_order),
      cmocka_unit_test(test_producer_consumer),
      cmocka_unit_test(test_free_with_items_and_waiters),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
