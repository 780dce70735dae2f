/* SPDX-License-Identifier: MIT */
/* Allocation failure on every core path: the k-th allocation fails, for each
 * k, and every call returns GALE_ENOMEM (or NULL) without crashing; ASan's
 * leak check at exit shows nothing leaks on those paths. */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/alloc.h"
#include "harness.h"

static void count_cb(gale_loop *loop, void *arg) {
  (void)loop;
  (*(int *)arg)++;
}

static void watch_cb(gale_watcher *w, int fd, int events, void *arg) {
  (void)w;
  (void)fd;
  (void)events;
  (*(int *)arg)++;
}

static void sig_cb(gale_signal *s, int signum, void *arg) {
  (void)s;
  (void)signum;
  (*(int *)arg)++;
}

static void done_cb(gale_future *f, void *arg) {
  (void)f;
  (*(int *)arg)++;
}

static void *job(void *arg) { return arg; }

static void job_done(gale_loop *loop, int status, void *result, void *arg) {
  (void)loop;
  (void)status;
  (void)result;
  (*(int *)arg)++;
}

#define OK_OR_NOMEM(expr)                                    \
  do {                                                       \
    int rc_ = (expr);                                        \
    if (rc_ != GALE_OK && rc_ != GALE_ENOMEM)                \
      fail_msg("%s returned %s", #expr, gale_err_name(rc_)); \
  } while (0)

static void scenario(int fds[2]) {
  gale_loop *loop = gale_loop_new();
  if (loop == NULL) return;
  int n = 0;
  for (int i = 0; i < 5; i++) OK_OR_NOMEM(gale_loop_add_callback(loop, count_cb, &n));
  OK_OR_NOMEM(gale_loop_add_callback_threadsafe(loop, count_cb, &n));
  gale_timer *t = NULL;
  OK_OR_NOMEM(gale_loop_call_later(loop, 0, count_cb, &n, NULL));
  if (gale_loop_call_later(loop, 10, count_cb, &n, &t) == GALE_OK) gale_timer_cancel(t);
  gale_periodic *p = NULL;
  OK_OR_NOMEM(gale_periodic_new(loop, 0.001, 0.5, count_cb, &n, &p));
  if (p != NULL) OK_OR_NOMEM(gale_periodic_start(p));
  gale_watcher *w = NULL;
  OK_OR_NOMEM(gale_watcher_new(loop, fds[0], GALE_WRITE, watch_cb, &n, &w));
  gale_signal *s = NULL;
  OK_OR_NOMEM(gale_signal_new(loop, SIGUSR2, sig_cb, &n, &s));
  OK_OR_NOMEM(gale_loop_stop_on_signals(loop));
  OK_OR_NOMEM(gale_loop_set_executor_size(loop, 1));
  OK_OR_NOMEM(gale_loop_run_in_executor(loop, job, &n, job_done, &n));

  gale_future *a = gale_future_new(loop), *b = gale_future_new(loop);
  gale_future *all = NULL, *timed = NULL, *exec = NULL;
  if (a != NULL && b != NULL) {
    OK_OR_NOMEM(gale_future_add_done_callback(a, done_cb, &n));
    gale_future *both[2] = {a, b};
    all = gale_future_all(loop, both, 2);
    timed = gale_future_with_timeout(b, 0);
    gale_future_set_result(a, NULL, NULL);
    gale_future_set_error(b, GALE_EOF);
  }
  exec = gale_loop_run_in_executor_future(loop, job, NULL, NULL);
  for (int i = 0; i < 5; i++) gale_loop_run_once(loop, 0);
  gale_future_unref(a);
  gale_future_unref(b);
  gale_future_unref(all);
  gale_future_unref(timed);
  gale_future_unref(exec);
  gale_periodic_free(p);
  gale_watcher_free(w);
  gale_signal_free(s);
  gale_loop_free(loop); /* joins the executor, drops what is queued */
}

static void test_every_allocation_fails_once(void **state) {
  (void)state;
  int fds[2];
  th_socketpair(fds);
  int nfds = th_count_fds();
  long k;
  for (k = 1; k < 10000; k++) {
    gale__alloc_fail_at(k);
    scenario(fds);
    bool hit = gale__alloc_failed();
    gale__alloc_fail_at(0);
    if (!hit) break; /* the scenario made fewer than k allocations */
  }
  print_message("%ld allocation points failed in turn\n", k - 1);
  assert_true(k > 20);
  assert_int_equal(th_count_fds(), nfds);
  close(fds[0]);
  close(fds[1]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_allocation_fails_once),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
