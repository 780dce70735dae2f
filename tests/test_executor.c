/* SPDX-License-Identifier: MIT */
/* The executor pool: every job done exactly once on the loop thread, sizes,
 * and freeing the loop with jobs queued. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/loop_internal.h"
#include "harness.h"

#define JOBS 1000

struct job_state {
  int index;
  atomic_int ran;
  int done_calls;
  int status;
  void *result;
  pthread_t done_thread;
};

static void *square(void *arg) {
  struct job_state *j = arg;
  atomic_fetch_add(&j->ran, 1);
  return (void *)(intptr_t)(j->index * j->index);
}

static int total_done;

static void job_done(gale_loop *loop, int status, void *result, void *arg) {
  struct job_state *j = arg;
  (void)loop;
  j->done_calls++;
  j->status = status;
  j->result = result;
  j->done_thread = pthread_self();
  total_done++;
}

static void test_einval(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  assert_int_equal(gale_loop_run_in_executor(NULL, square, NULL, NULL, NULL), GALE_EINVAL);
  assert_int_equal(gale_loop_run_in_executor(loop, NULL, NULL, NULL, NULL), GALE_EINVAL);
  assert_int_equal(gale_loop_set_executor_size(NULL, 4), GALE_EINVAL);
  assert_int_equal(gale_loop_set_executor_size(loop, 0), GALE_EINVAL);
  assert_int_equal(gale_loop_set_executor_size(loop, 1025), GALE_EINVAL);
  /* Tornado's default: CPUs x 5. */
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  assert_int_equal(gale_loop_get_executor_size(loop), (int)(cpus < 1 ? 1 : cpus) * 5);
  assert_int_equal(gale_loop_get_executor_size(NULL), GALE_EINVAL);
  assert_int_equal(gale_loop_set_executor_size(loop, 2), GALE_OK);
  assert_int_equal(gale_loop_get_executor_size(loop), 2);
  gale_loop_free(loop);
}

static void test_thousand_jobs(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  static struct job_state jobs[JOBS];
  total_done = 0;
  for (int i = 0; i < JOBS; i++) {
    jobs[i] = (struct job_state){.index = i};
    assert_int_equal(gale_loop_run_in_executor(loop, square, &jobs[i], job_done, &jobs[i]),
                     GALE_OK);
  }
  assert_int_equal(total_done, 0); /* never inside the call */
  TH_RUN_UNTIL(loop, total_done == JOBS, 30);
  pthread_t self = pthread_self();
  for (int i = 0; i < JOBS; i++) {
    assert_int_equal(atomic_load(&jobs[i].ran), 1);
    assert_int_equal(jobs[i].done_calls, 1);
    assert_int_equal(jobs[i].status, GALE_OK);
    assert_int_equal((intptr_t)jobs[i].result, i * i);
    assert_true(pthread_equal(jobs[i].done_thread, self));
  }
  assert_int_equal(gale_loop_set_executor_size(loop, 3), GALE_ESTATE);
  /* NULL done is allowed. */
  struct job_state extra = {.index = 7};
  assert_int_equal(gale_loop_run_in_executor(loop, square, &extra, NULL, NULL), GALE_OK);
  TH_RUN_UNTIL(loop, atomic_load(&extra.ran) == 1, 10);
  gale_loop_free(loop);
}

/* A job that runs until gale_loop_free() has taken the queue, so the jobs
 * behind it are cancelled deterministically while it is waited for. */
struct gate {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  bool entered;
  gale_loop *loop;
};

static void *wait_gate(void *arg) {
  struct gate *g = arg;
  pthread_mutex_lock(&g->lock);
  g->entered = true;
  pthread_cond_broadcast(&g->cond);
  pthread_mutex_unlock(&g->lock);
  while (!gale__executor_shutting_down(g->loop)) sched_yield();
  return g;
}

static void test_free_with_queued(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  assert_int_equal(gale_loop_set_executor_size(loop, 1), GALE_OK);
  struct gate g = {
      .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER, .loop = loop};
  struct job_state running = {.index = 1};
  struct job_state queued[10];
  total_done = 0;
  assert_int_equal(gale_loop_run_in_executor(loop, wait_gate, &g, job_done, &running), GALE_OK);
  for (int i = 0; i < 10; i++) {
    queued[i] = (struct job_state){.index = i};
    gale_loop_run_in_executor(loop, square, &queued[i], job_done, &queued[i]);
  }
  /* The single worker is inside wait_gate: the others stay queued. */
  pthread_mutex_lock(&g.lock);
  while (!g.entered) pthread_cond_wait(&g.cond, &g.lock);
  pthread_mutex_unlock(&g.lock);
  gale_loop_free(loop);
  assert_int_equal(running.done_calls, 1);
  assert_int_equal(running.status, GALE_OK);
  assert_ptr_equal(running.result, &g);
  for (int i = 0; i < 10; i++) {
    assert_int_equal(atomic_load(&queued[i].ran), 0);
    assert_int_equal(queued[i].done_calls, 1);
    assert_int_equal(queued[i].status, GALE_ECANCELLED);
    assert_null(queued[i].result);
  }
  assert_int_equal(total_done, 11);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_einval),
      cmocka_unit_test(test_thousand_jobs),
      cmocka_unit_test(test_free_with_queued),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
