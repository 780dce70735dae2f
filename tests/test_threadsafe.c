/* SPDX-License-Identifier: MIT */
/* add_callback_threadsafe: many producers, order per producer, and racing
 * gale_loop_free. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "harness.h"

#define THREADS 8
#define PER_THREAD 10000

struct shared {
  gale_loop *loop;
  int next[THREADS]; /* next expected sequence per producer */
  long received;
  bool out_of_order;
};

struct msg {
  struct shared *sh;
  int thread, seq;
};

struct producer {
  struct shared *sh;
  int thread;
  struct msg *msgs;
  pthread_t tid;
};

static void on_msg(gale_loop *loop, void *arg) {
  struct msg *m = arg;
  (void)loop;
  if (m->sh->next[m->thread] != m->seq) m->sh->out_of_order = true;
  m->sh->next[m->thread] = m->seq + 1;
  m->sh->received++;
}

static void *produce(void *arg) {
  struct producer *p = arg;
  for (int i = 0; i < PER_THREAD; i++) {
    p->msgs[i] = (struct msg){p->sh, p->thread, i};
    if (gale_loop_add_callback_threadsafe(p->sh->loop, on_msg, &p->msgs[i]) != GALE_OK) abort();
  }
  return NULL;
}

static void test_many_threads(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  struct shared sh = {.loop = loop};
  struct producer prods[THREADS];
  for (int t = 0; t < THREADS; t++) {
    prods[t] = (struct producer){&sh, t, calloc(PER_THREAD, sizeof(struct msg)), 0};
    assert_int_equal(pthread_create(&prods[t].tid, NULL, produce, &prods[t]), 0);
  }
  TH_RUN_UNTIL(loop, sh.received == (long)THREADS * PER_THREAD, 30);
  for (int t = 0; t < THREADS; t++) {
    pthread_join(prods[t].tid, NULL);
    free(prods[t].msgs);
  }
  assert_false(sh.out_of_order);
  for (int t = 0; t < THREADS; t++) assert_int_equal(sh.next[t], PER_THREAD);
  gale_loop_free(loop);
}

/* Wakes a loop blocked in run(): the callback stops it. */
static void stop_cb(gale_loop *loop, void *arg) {
  (void)arg;
  gale_loop_stop(loop);
}

static void *wake_later(void *arg) {
  gale_loop_add_callback_threadsafe(arg, stop_cb, NULL);
  return NULL;
}

static void test_wakes_blocked_run(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, wake_later, loop), 0);
  assert_int_equal(gale_loop_run(loop), GALE_OK);
  pthread_join(t, NULL);
  gale_loop_free(loop);
}

/* Producers keep adding while the loop is freed: each call either lands
 * (then is dropped with the loop) or returns GALE_ECLOSED; nothing crashes
 * or leaks under ASan. */
struct racer {
  gale_loop *loop;
  atomic_int ok, closed;
  atomic_bool go;
};

static void noop(gale_loop *loop, void *arg) {
  (void)loop;
  (void)arg;
}

static void *race(void *arg) {
  struct racer *r = arg;
  while (!atomic_load(&r->go)) {}
  for (int i = 0; i < 200000; i++) {
    int rc = gale_loop_add_callback_threadsafe(r->loop, noop, NULL);
    if (rc == GALE_OK) {
      atomic_fetch_add(&r->ok, 1);
    } else {
      if (rc != GALE_ECLOSED) abort();
      atomic_fetch_add(&r->closed, 1);
      break;
    }
  }
  return NULL;
}

static void test_race_with_free(void **state) {
  (void)state;
  int fds = th_count_fds();
  for (int round = 0; round < 5; round++) {
    struct racer r = {.loop = gale_loop_new()};
    pthread_t t[4];
    for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&t[i], NULL, race, &r), 0);
    atomic_store(&r.go, true);
    while (atomic_load(&r.ok) < 100) {}
    gale_loop_free(r.loop);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    assert_true(atomic_load(&r.closed) >= 1);
    /* After free: always ECLOSED. */
    assert_int_equal(gale_loop_add_callback_threadsafe(r.loop, noop, NULL), GALE_ECLOSED);
  }
  assert_int_equal(th_count_fds(), fds);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_many_threads),
      cmocka_unit_test(test_wakes_blocked_run),
      cmocka_unit_test(test_race_with_free),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
