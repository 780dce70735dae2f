/* SPDX-License-Identifier: MIT */
/* The loop: life cycle, run/stop, callback ordering and fairness. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

#define MAX_LOG 64

struct log {
  int items[MAX_LOG];
  int n;
};

static void record(struct log *log, int v) {
  if (log->n < MAX_LOG) log->items[log->n++] = v;
}

struct tagged {
  struct log *log;
  int tag;
};

static void record_cb(gale_loop *loop, void *arg) {
  struct tagged *t = arg;
  (void)loop;
  record(t->log, t->tag);
}

static void test_new_free(void **state) {
  (void)state;
  int fds = th_count_fds();
  gale_loop *loop = gale_loop_new();
  assert_non_null(loop);
  assert_ptr_equal(gale_loop_current(), loop);
  gale_loop *other = gale_loop_new();
  assert_non_null(other);
  assert_ptr_equal(gale_loop_current(), loop); /* the first stays current */
  gale_loop_make_current(other);
  assert_ptr_equal(gale_loop_current(), other);
  gale_loop_free(other);
  assert_null(gale_loop_current());
  gale_loop_make_current(loop);
  assert_false(gale_loop_is_running(loop));
  gale_loop_free(loop);
  gale_loop_free(NULL);
  assert_int_equal(th_count_fds(), fds);
}

static void test_einval(void **state) {
  (void)state;
  assert_int_equal(gale_loop_run(NULL), GALE_EINVAL);
  assert_int_equal(gale_loop_stop(NULL), GALE_EINVAL);
  assert_int_equal(gale_loop_run_once(NULL, 0), GALE_EINVAL);
  assert_int_equal(gale_loop_run_until_complete(NULL, NULL, 0), GALE_EINVAL);
  assert_int_equal(gale_loop_add_callback(NULL, record_cb, NULL), GALE_EINVAL);
  assert_int_equal(gale_loop_add_callback_threadsafe(NULL, record_cb, NULL), GALE_EINVAL);
  assert_false(gale_loop_is_running(NULL));
  gale_loop *loop = gale_loop_new();
  assert_int_equal(gale_loop_add_callback(loop, NULL, NULL), GALE_EINVAL);
  assert_int_equal(gale_loop_add_callback_threadsafe(loop, NULL, NULL), GALE_EINVAL);
  assert_int_equal(gale_loop_run_until_complete(loop, NULL, 0), GALE_EINVAL);
  gale_loop_free(loop);
}

static void test_fifo(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  struct log log = {0};
  struct tagged t[10];
  for (int i = 0; i < 10; i++) {
    t[i] = (struct tagged){&log, i};
    assert_int_equal(gale_loop_add_callback(loop, record_cb, &t[i]), GALE_OK);
  }
  assert_int_equal(log.n, 0); /* never inside the call */
  TH_RUN_UNTIL(loop, log.n == 10, 5);
  for (int i = 0; i < 10; i++) assert_int_equal(log.items[i], i);
  gale_loop_free(loop);
}

/* Callbacks added by a callback run on the next iteration, after I/O. */
struct fair {
  struct log log;
  int fds[2];
  gale_watcher *w;
  int readable_seen;
};

static void fair_second(gale_loop *loop, void *arg) {
  struct fair *f = arg;
  (void)loop;
  record(&f->log, 2);
}

static void fair_first(gale_loop *loop, void *arg) {
  struct fair *f = arg;
  record(&f->log, 1);
  /* Readable now: the watcher must run before fair_second. */
  assert_int_equal(write(f->fds[1], "x", 1), 1);
  gale_loop_add_callback(loop, fair_second, f);
}

static void fair_sibling(gale_loop *loop, void *arg) {
  struct fair *f = arg;
  (void)loop;
  record(&f->log, 3); /* queued before fair_first ran: same iteration */
}

static void fair_read(gale_watcher *w, int fd, int events, void *arg) {
  struct fair *f = arg;
  char c;
  (void)w;
  (void)events;
  assert_int_equal(read(fd, &c, 1), 1);
  record(&f->log, 9);
}

static void test_added_inside_runs_next_iteration(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  struct fair f = {0};
  th_socketpair(f.fds);
  assert_int_equal(gale_watcher_new(loop, f.fds[0], GALE_READ, fair_read, &f, &f.w), GALE_OK);
  gale_loop_add_callback(loop, fair_first, &f);
  gale_loop_add_callback(loop, fair_sibling, &f);
  assert_int_equal(gale_loop_run_once(loop, 0), GALE_OK);
  assert_int_equal(f.log.n, 2);
  assert_int_equal(f.log.items[0], 1);
  assert_int_equal(f.log.items[1], 3);
  TH_RUN_UNTIL(loop, f.log.n == 4, 5);
  assert_int_equal(f.log.items[2], 9); /* I/O first */
  assert_int_equal(f.log.items[3], 2);
  gale_watcher_free(f.w);
  close(f.fds[0]);
  close(f.fds[1]);
  gale_loop_free(loop);
}

/* A callback re-adding itself forever does not starve a timer. */
struct spin {
  int spins;
  bool timer_ran;
};

static void spin_timer(gale_loop *loop, void *arg);

static void spin_cb(gale_loop *loop, void *arg) {
  struct spin *s = arg;
  /* Spinning already: a timer due now must still get its turn. */
  if (++s->spins == 10) gale_loop_call_later(loop, 0, spin_timer, s, NULL);
  if (!s->timer_ran) gale_loop_add_callback(loop, spin_cb, s);
}

static void spin_timer(gale_loop *loop, void *arg) {
  struct spin *s = arg;
  (void)loop;
  s->timer_ran = true;
}

static void test_self_readding_does_not_starve(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  struct spin s = {0};
  gale_loop_add_callback(loop, spin_cb, &s);
  TH_RUN_UNTIL(loop, s.timer_ran, 10);
  assert_true(s.spins >= 10);
  th_run_for(loop, 0.02); /* the last re-added one drains */
  gale_loop_free(loop);
}

static void stop_cb(gale_loop *loop, void *arg) {
  int *n = arg;
  (*n)++;
  gale_loop_stop(loop);
}

static void count_cb(gale_loop *loop, void *arg) {
  int *n = arg;
  (void)loop;
  (*n)++;
}

static void check_running_cb(gale_loop *loop, void *arg) {
  bool *seen = arg;
  *seen = gale_loop_is_running(loop) && gale_loop_current() == loop &&
          gale_loop_run(loop) == GALE_EBUSY && gale_loop_run_once(loop, 0) == GALE_EBUSY;
}

static void test_run_stop(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  int stops = 0, after = 0;
  bool seen = false;
  gale_loop_add_callback(loop, check_running_cb, &seen);
  gale_loop_add_callback(loop, stop_cb, &stops);
  gale_loop_add_callback(loop, count_cb, &after); /* after the stop: kept */
  assert_int_equal(gale_loop_run(loop), GALE_OK);
  assert_true(seen);
  assert_int_equal(stops, 1);
  assert_int_equal(after, 0);
  assert_false(gale_loop_is_running(loop));
  /* The kept callback runs on the next run. */
  gale_loop_add_callback(loop, stop_cb, &stops);
  assert_int_equal(gale_loop_run(loop), GALE_OK);
  assert_int_equal(after, 1);
  assert_int_equal(stops, 2);
  gale_loop_free(loop);
}

static void test_stop_before_run(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  int n = 0;
  gale_loop_add_callback(loop, count_cb, &n);
  assert_int_equal(gale_loop_stop(loop), GALE_OK);
  assert_int_equal(gale_loop_run(loop), GALE_OK); /* one pass, returns */
  assert_int_equal(n, 1);
  gale_loop_free(loop);
}

static void *stopper_thread(void *arg) {
  gale_loop_stop(arg);
  return NULL;
}

static void start_stopper(gale_loop *loop, void *arg) {
  pthread_t *t = arg;
  assert_int_equal(pthread_create(t, NULL, stopper_thread, loop), 0);
}

static void test_stop_from_thread(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  pthread_t t;
  gale_loop_add_callback(loop, start_stopper, &t);
  assert_int_equal(gale_loop_run(loop), GALE_OK);
  pthread_join(t, NULL);
  gale_loop_free(loop);
}

static void resolve_cb(gale_loop *loop, void *arg) {
  (void)loop;
  gale_future_set_result(arg, NULL, NULL);
}

static void test_run_until_complete(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_future *f = gale_future_new(loop);
  gale_loop_call_later(loop, 0.01, resolve_cb, f, NULL);
  assert_int_equal(gale_loop_run_until_complete(loop, f, 10), GALE_OK);
  assert_true(gale_future_done(f));
  gale_future_unref(f);

  /* Time runs out first: the future stays pending. */
  f = gale_future_new(loop);
  assert_int_equal(gale_loop_run_until_complete(loop, f, 0.02), GALE_ETIMEDOUT);
  assert_false(gale_future_done(f));

  /* A stop ends it first. */
  int n = 0;
  gale_loop_add_callback(loop, stop_cb, &n);
  assert_int_equal(gale_loop_run_until_complete(loop, f, 10), GALE_ECANCELLED);
  assert_int_equal(n, 1);
  gale_future_unref(f);
  gale_loop_free(loop);
}

static void test_pending_dropped_on_free(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  int n = 0;
  for (int i = 0; i < 100; i++) gale_loop_add_callback(loop, count_cb, &n);
  gale_loop_call_later(loop, 0, count_cb, &n, NULL);
  gale_loop_call_later(loop, 100, count_cb, &n, NULL);
  gale_loop_free(loop); /* ASan: nothing leaks */
  assert_int_equal(n, 0);
}

static void test_time(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  double a = gale_loop_time(loop);
  double b = gale_loop_time(loop);
  assert_true(b >= a);
  assert_true(a > 0);
  gale_loop_free(loop);
}

/* A stop inside an I/O callback ends the run before the next ready one. */
static void stop_watch_cb(gale_watcher *w, int fd, int events, void *arg) {
  int *n = arg;
  (void)w;
  (void)fd;
  (void)events;
  (*n)++;
  gale_loop_stop(gale_loop_current());
}

static void test_stop_after_current_io_callback(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  int a[2], b[2], n = 0;
  gale_watcher *wa, *wb;
  th_socketpair(a);
  th_socketpair(b);
  gale_watcher_new(loop, a[0], GALE_READ, stop_watch_cb, &n, &wa);
  gale_watcher_new(loop, b[0], GALE_READ, stop_watch_cb, &n, &wb);
  th_write_all(a[1], "x", 1);
  th_write_all(b[1], "x", 1);
  assert_int_equal(gale_loop_run(loop), GALE_OK);
  assert_int_equal(n, 1);
  gale_watcher_free(wa);
  gale_watcher_free(wb);
  close(a[0]);
  close(a[1]);
  close(b[0]);
  close(b[1]);
  gale_loop_free(loop);
}

static int log_errors;
static void count_log(gale_log_level level, const char *domain, const char *message, void *arg) {
  (void)domain;
  (void)message;
  (void)arg;
  if (level >= GALE_LOG_ERROR) log_errors++;
}

static void free_inside_cb(gale_loop *loop, void *arg) {
  bool *done = arg;
  gale_loop_free(loop); /* refused: the loop is dispatching */
  *done = true;
}

static void test_free_inside_refused(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  bool done = false;
  log_errors = 0;
  gale_log_set_sink(count_log, NULL);
  gale_loop_add_callback(loop, free_inside_cb, &done);
  TH_RUN_UNTIL(loop, done, 5);
  gale_log_set_sink(NULL, NULL);
  assert_int_equal(log_errors, 1);
  gale_loop_free(loop);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_new_free),
      cmocka_unit_test(test_einval),
      cmocka_unit_test(test_fifo),
      cmocka_unit_test(test_added_inside_runs_next_iteration),
      cmocka_unit_test(test_self_readding_does_not_starve),
      cmocka_unit_test(test_run_stop),
      cmocka_unit_test(test_stop_before_run),
      cmocka_unit_test(test_stop_from_thread),
      cmocka_unit_test(test_run_until_complete),
      cmocka_unit_test(test_pending_dropped_on_free),
      cmocka_unit_test(test_time),
      cmocka_unit_test(test_stop_after_current_io_callback),
      cmocka_unit_test(test_free_inside_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
