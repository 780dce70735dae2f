/* SPDX-License-Identifier: MIT */
/* fd watchers on a socketpair, and signals. */
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

struct watch {
  gale_watcher *w;
  int calls;
  int last_events;
  int fd_seen;
  char buf[64];
  size_t got;
  bool free_in_cb;
  int update_to; /* -1: none */
};

static void watch_cb(gale_watcher *w, int fd, int events, void *arg) {
  struct watch *s = arg;
  s->calls++;
  s->last_events = events;
  s->fd_seen = fd;
  if (events & GALE_READ) {
    ssize_t n = read(fd, s->buf + s->got, sizeof s->buf - s->got);
    if (n > 0) s->got += (size_t)n;
  }
  if (s->update_to >= 0) {
    assert_int_equal(gale_watcher_update(w, s->update_to), GALE_OK);
    s->update_to = -1;
  }
  if (s->free_in_cb) {
    gale_watcher_free(w);
    s->w = NULL;
  }
}

static void test_einval(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_watcher *w;
  int fds[2];
  th_socketpair(fds);
  assert_int_equal(gale_watcher_new(NULL, fds[0], GALE_READ, watch_cb, NULL, &w), GALE_EINVAL);
  assert_int_equal(gale_watcher_new(loop, -1, GALE_READ, watch_cb, NULL, &w), GALE_EINVAL);
  assert_int_equal(gale_watcher_new(loop, fds[0], 0x80, watch_cb, NULL, &w), GALE_EINVAL);
  assert_int_equal(gale_watcher_new(loop, fds[0], GALE_READ, NULL, NULL, &w), GALE_EINVAL);
  assert_int_equal(gale_watcher_new(loop, fds[0], GALE_READ, watch_cb, NULL, NULL), GALE_EINVAL);
  assert_int_equal(gale_watcher_update(NULL, GALE_READ), GALE_EINVAL);
  assert_int_equal(gale_watcher_events(NULL), 0);
  gale_watcher_free(NULL);
  gale_signal *sig;
  assert_int_equal(gale_signal_new(NULL, SIGUSR1, NULL, NULL, &sig), GALE_EINVAL);
  assert_int_equal(gale_signal_new(loop, 0, NULL, NULL, &sig), GALE_EINVAL);
  assert_int_equal(gale_signal_new(loop, SIGKILL, NULL, NULL, &sig), GALE_EINVAL);
  assert_int_equal(gale_signal_new(loop, 1000, NULL, NULL, &sig), GALE_EINVAL);
  gale_signal_free(NULL);
  assert_int_equal(gale_loop_stop_on_signals(NULL), GALE_EINVAL);
  close(fds[0]);
  close(fds[1]);
  gale_loop_free(loop);
}

static void test_read_write_update(void **state) {
  (void)state;
  int nfds = th_count_fds();
  gale_loop *loop = gale_loop_new();
  int fds[2];
  th_socketpair(fds);
  struct watch s = {.update_to = -1};
  assert_int_equal(gale_watcher_new(loop, fds[0], GALE_READ, watch_cb, &s, &s.w), GALE_OK);
  assert_int_equal(gale_watcher_events(s.w), GALE_READ);
  th_run_for(loop, 0.02);
  assert_int_equal(s.calls, 0);
  th_write_all(fds[1], "hello", 5);
  TH_RUN_UNTIL(loop, s.got == 5, 5);
  assert_memory_equal(s.buf, "hello", 5);
  assert_int_equal(s.fd_seen, fds[0]);
  assert_int_equal(s.last_events, GALE_READ);

  /* Writable, then idle (0) from inside the callback. */
  s.calls = 0;
  s.update_to = 0;
  assert_int_equal(gale_watcher_update(s.w, GALE_WRITE), GALE_OK);
  TH_RUN_UNTIL(loop, s.calls == 1, 5);
  assert_int_equal(s.last_events, GALE_WRITE);
  assert_int_equal(gale_watcher_events(s.w), 0);
  th_run_for(loop, 0.02);
  assert_int_equal(s.calls, 1);

  /* Level-triggered: keeps firing while writable. */
  gale_watcher_update(s.w, GALE_WRITE);
  TH_RUN_UNTIL(loop, s.calls >= 4, 5);

  /* Peer hang-up: GALE_ERROR. */
  s.calls = 0;
  gale_watcher_update(s.w, GALE_ERROR);
  close(fds[1]);
  TH_RUN_UNTIL(loop, s.calls >= 1, 5);
  assert_true(s.last_events & GALE_ERROR);

  gale_watcher_free(s.w);
  close(fds[0]);
  gale_loop_free(loop);
  assert_int_equal(th_count_fds(), nfds);
}

static void test_free_in_callback(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  int fds[2];
  th_socketpair(fds);
  struct watch a = {.update_to = -1, .free_in_cb = true};
  struct watch b = {.update_to = -1};
  gale_watcher_new(loop, fds[0], GALE_READ, watch_cb, &a, &a.w);
  gale_watcher_new(loop, fds[1], GALE_WRITE, watch_cb, &b, &b.w); /* left for the loop */
  th_write_all(fds[1], "x", 1);
  TH_RUN_UNTIL(loop, a.calls == 1 && b.calls > 0, 5);
  th_write_all(fds[1], "y", 1);
  th_run_for(loop, 0.02);
  assert_int_equal(a.calls, 1);
  assert_null(a.w);
  gale_loop_free(loop); /* frees b's watcher */
  close(fds[0]);
  close(fds[1]);
}

struct sig {
  gale_signal *s;
  int calls;
  int signum;
  bool free_in_cb;
};

static void sig_cb(gale_signal *s, int signum, void *arg) {
  struct sig *st = arg;
  st->calls++;
  st->signum = signum;
  if (st->free_in_cb) {
    gale_signal_free(s);
    st->s = NULL;
  }
}

static void test_signal(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  struct sig st = {0};
  assert_int_equal(gale_signal_new(loop, SIGUSR1, sig_cb, &st, &st.s), GALE_OK);
  raise(SIGUSR1);
  TH_RUN_UNTIL(loop, st.calls == 1, 5);
  assert_int_equal(st.signum, SIGUSR1);
  st.free_in_cb = true;
  raise(SIGUSR1);
  TH_RUN_UNTIL(loop, st.calls == 2, 5);
  assert_null(st.s);
  /* Another handler, left for the loop to free. */
  struct sig other = {0};
  assert_int_equal(gale_signal_new(loop, SIGUSR2, sig_cb, &other, &other.s), GALE_OK);
  raise(SIGUSR2);
  TH_RUN_UNTIL(loop, other.calls == 1, 5);
  gale_loop_free(loop);
}

static void raise_term(gale_loop *loop, void *arg) {
  (void)loop;
  (void)arg;
  raise(SIGTERM);
}

static void test_stop_on_signals(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  assert_int_equal(gale_loop_stop_on_signals(loop), GALE_OK);
  assert_int_equal(gale_loop_stop_on_signals(loop), GALE_OK); /* idempotent */
  gale_loop_add_callback(loop, raise_term, NULL);
  assert_int_equal(gale_loop_run(loop), GALE_OK);
  gale_loop_free(loop);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_einval),           cmocka_unit_test(test_read_write_update),
      cmocka_unit_test(test_free_in_callback), cmocka_unit_test(test_signal),
      cmocka_unit_test(test_stop_on_signals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
