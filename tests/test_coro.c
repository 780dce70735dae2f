/* SPDX-License-Identifier: MIT */
/* Coroutines: spawning, awaiting (done, pending, failed, cancelled
 * futures), sleep, cancellation at each point of a coroutine's life, the
 * loop freed with coroutines suspended, many at once, nesting, a stream read
 * awaited inline, and a stack overflow that names its coroutine.  ASan (the
 * sanitizer build) checks stacks and futures are all freed. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

typedef struct trail {
  gale_loop *loop;
  gale_future *gate; /* what the coroutine awaits */
  gale_future *self; /* the coroutine's own future */
  int statuses[8];
  int n;
  bool cleaned_up; /* the coroutine reached its end */
  bool saw_running;
  char name[32];
} trail;

static void note(trail *t, int status) {
  if (t->n < 8) t->statuses[t->n++] = status;
}

/* ---- basics ----------------------------------------------------------------- */

static int returns_status(void *arg) {
  trail *t = arg;
  t->saw_running = gale_coro_running();
  snprintf(t->name, sizeof t->name, "%s", gale_coro_name());
  t->cleaned_up = true;
  return t->statuses[0];
}

static void test_outside_a_coroutine(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_future *f = gale_future_new(loop);
  assert_false(gale_coro_running());
  assert_null(gale_coro_name());
  assert_int_equal(gale_await(f), GALE_ENOTCORO);
  assert_int_equal(gale_await(NULL), GALE_ENOTCORO);
  assert_false(gale_future_done(f)); /* waited for nothing */
  assert_null(gale_coro_spawn(NULL, returns_status, NULL, NULL));
  assert_null(gale_coro_spawn(loop, NULL, NULL, NULL));
  assert_null(gale_sleep(NULL, 1));
  gale_future_unref(f);
  gale_loop_free(loop);
}

static void test_spawn_runs_on_next_turn(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  trail t = {.statuses = {GALE_OK}};
  gale_coro_options opts = {.name = "first-one"};
  gale_future *f = gale_coro_spawn(loop, returns_status, &t, &opts);
  assert_non_null(f);
  assert_false(t.cleaned_up); /* not yet: on the loop's next turn */
  assert_int_equal(gale_loop_run_until_complete(loop, f, 5), GALE_OK);
  assert_true(t.cleaned_up);
  assert_true(t.saw_running);
  assert_string_equal(t.name, "first-one");
  assert_int_equal(gale_future_get_state(f), GALE_FUTURE_DONE);
  assert_null(gale_future_result(f));
  gale_future_unref(f);

  /* A failing coroutine fails its future with its status. */
  trail u = {.statuses = {GALE_ETIMEDOUT}};
  f = gale_coro_spawn(loop, returns_status, &u, NULL);
  gale_loop_run_until_complete(loop, f, 5);
  assert_int_equal(gale_future_get_state(f), GALE_FUTURE_FAILED);
  assert_int_equal(gale_future_status(f), GALE_ETIMEDOUT);
  assert_string_equal(u.name, "");
  gale_future_unref(f);
  gale_loop_free(loop);
}

/* ---- await -------------------------------------------------------------------- */

static int awaits_gate_then_sleeps(void *arg) {
  trail *t = arg;
  note(t, gale_await(t->gate));
  gale_future *s = gale_sleep(t->loop, 0.01);
  note(t, gale_await(s));
  gale_future_unref(s);
  t->cleaned_up = true;
  return GALE_OK;
}

static void resolve_gate(gale_loop *loop, void *arg) {
  (void)loop;
  gale_future_set_result(arg, strdup("payload"), free);
}

static void test_await_pending_then_sleep(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  trail t = {.loop = loop, .gate = gale_future_new(loop)};
  /* Read before the gate's timer is set: the earliest finish is 0.02 s
   * after the moment that timer counts from. */
  double start = gale_loop_time(loop);
  gale_future *f = gale_coro_spawn(loop, awaits_gate_then_sleeps, &t, NULL);
  gale_loop_call_later(loop, 0.01, resolve_gate, t.gate, NULL);
  assert_int_equal(gale_loop_run_until_complete(loop, f, 5), GALE_OK);
  assert_true(gale_loop_time(loop) - start >= 0.02);
  assert_int_equal(t.n, 2);
  assert_int_equal(t.statuses[0], GALE_OK);
  assert_int_equal(t.statuses[1], GALE_OK);
  assert_string_equal(gale_future_result(t.gate), "payload"); /* still readable */
  gale_future_unref(t.gate);
  gale_future_unref(f);
  gale_loop_free(loop);
}

static int awaits_gate(void *arg) {
  trail *t = arg;
  note(t, gale_await(t->gate));
  note(t, gale_await(t->gate)); /* done now: returns at once */
  t->cleaned_up = true;
  return GALE_OK;
}

static void fail_gate(gale_loop *loop, void *arg) {
  (void)loop;
  gale_future_set_error(arg, GALE_ECONNRESET);
}

static void cancel_future(gale_loop *loop, void *arg) {
  (void)loop;
  gale_future_cancel(arg);
}

static void test_await_failed_and_cancelled(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  trail t = {.loop = loop, .gate = gale_future_new(loop)};
  gale_future *f = gale_coro_spawn(loop, awaits_gate, &t, NULL);
  gale_loop_add_callback(loop, fail_gate, t.gate);
  gale_loop_run_until_complete(loop, f, 5);
  assert_int_equal(t.statuses[0], GALE_ECONNRESET);
  assert_int_equal(t.statuses[1], GALE_ECONNRESET);
  gale_future_unref(f);
  gale_future_unref(t.gate);

  trail u = {.loop = loop, .gate = gale_future_new(loop)};
  f = gale_coro_spawn(loop, awaits_gate, &u, NULL);
  gale_loop_add_callback(loop, cancel_future, u.gate);
  gale_loop_run_until_complete(loop, f, 5);
  assert_int_equal(u.statuses[0], GALE_ECANCELLED);
  assert_int_equal(gale_future_get_state(f), GALE_FUTURE_DONE); /* the coroutine wasn't */
  gale_future_unref(f);
  gale_future_unref(u.gate);
  gale_loop_free(loop);
}

/* Dropping every reference but the coroutine's while it waits: gale_await
 * keeps the future alive until it returns. */
static int awaits_gate_once(void *arg) {
  trail *t = arg;
  note(t, gale_await(t->gate));
  return GALE_OK;
}

static void drop_and_fail(gale_loop *loop, void *arg) {
  (void)loop;
  gale_future *gate = arg;
  gale_future_set_error(gate, GALE_EOF);
  gale_future_unref(gate);
}

static void test_await_keeps_future_alive(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  trail t = {.loop = loop, .gate = gale_future_new(loop)};
  gale_future *f = gale_coro_spawn(loop, awaits_gate_once, &t, NULL);
  gale_loop_run_once(loop, 0); /* it starts and suspends */
  assert_int_equal(t.n, 0);
  gale_loop_add_callback(loop, drop_and_fail, t.gate);
  gale_loop_run_until_complete(loop, f, 5);
  assert_int_equal(t.statuses[0], GALE_EOF);
  gale_future_unref(f);
  gale_loop_free(loop);
}

/* ---- cancellation ------------------------------------------------------------- */

static int awaits_then_more(void *arg) {
  trail *t = arg;
  note(t, gale_await(t->gate));
  gale_future *s = gale_sleep(t->loop, 0);
  note(t, gale_await(s)); /* delivered once: this one works */
  gale_future_unref(s);
  t->cleaned_up = true;
  return GALE_EINVAL; /* ignored: the future was cancelled */
}

static void test_cancel_suspended(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  trail t = {.loop = loop, .gate = gale_future_new(loop)};
  gale_future *f = gale_coro_spawn(loop, awaits_then_more, &t, NULL);
  gale_loop_run_once(loop, 0);
  assert_true(gale_future_cancel(f));
  assert_int_equal(gale_future_get_state(f), GALE_FUTURE_CANCELLED);
  TH_RUN_UNTIL(loop, t.cleaned_up, 5);
  assert_int_equal(t.statuses[0], GALE_ECANCELLED);
  assert_int_equal(t.statuses[1], GALE_OK);
  assert_false(gale_future_done(t.gate)); /* the awaited future is not touched */
  assert_int_equal(gale_future_status(f), GALE_ECANCELLED);
  gale_future_unref(t.gate);
  gale_future_unref(f);
  gale_loop_free(loop);
}

static void test_cancel_before_start(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  trail t = {.loop = loop, .gate = gale_future_new(loop)};
  gale_future *f = gale_coro_spawn(loop, awaits_then_more, &t, NULL);
  assert_true(gale_future_cancel(f));
  TH_RUN_UNTIL(loop, t.cleaned_up, 5);
  assert_int_equal(t.statuses[0], GALE_ECANCELLED); /* the first await */
  assert_int_equal(t.statuses[1], GALE_OK);
  gale_future_unref(t.gate);
  gale_future_unref(f);
  gale_loop_free(loop);
}

/* Cancelled after the awaited future resolved but before the coroutine ran
 * again: the await still reports the cancellation. */
static void resolve_then_cancel(gale_loop *loop, void *arg) {
  trail *t = arg;
  (void)loop;
  gale_future_set_result(t->gate, NULL, NULL);
  gale_future_cancel(t->self);
}

static void test_cancel_after_wakeup(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  trail t = {.loop = loop, .gate = gale_future_new(loop)};
  gale_future *f = t.self = gale_coro_spawn(loop, awaits_then_more, &t, NULL);
  gale_loop_run_once(loop, 0);
  gale_loop_add_callback(loop, resolve_then_cancel, &t);
  TH_RUN_UNTIL(loop, t.cleaned_up, 5);
  assert_int_equal(t.statuses[0], GALE_ECANCELLED);
  assert_int_equal(t.statuses[1], GALE_OK);
  gale_future_unref(t.gate);
  gale_future_unref(f);
  gale_loop_free(loop);
}

static int cancels_itself(void *arg) {
  trail *t = arg;
  gale_future_cancel(t->self);
  gale_future *s = gale_sleep(t->loop, 0);
  note(t, gale_await(s));
  note(t, gale_await(s));
  gale_future_unref(s);
  t->cleaned_up = true;
  return GALE_OK;
}

static void test_cancel_from_inside(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  trail t = {.loop = loop};
  gale_future *f = t.self = gale_coro_spawn(loop, cancels_itself, &t, NULL);
  TH_RUN_UNTIL(loop, t.cleaned_up, 5);
  assert_int_equal(t.statuses[0], GALE_ECANCELLED);
  assert_int_equal(t.statuses[1], GALE_OK); /* the sleep itself finished */
  gale_future_unref(f);
  gale_loop_free(loop);
}

static void test_sleep_cancel(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_future *s = gale_sleep(loop, 3600);
  assert_non_null(s);
  assert_true(gale_future_cancel(s));
  assert_int_equal(gale_future_status(s), GALE_ECANCELLED);
  gale_future_unref(s);
  gale_future *z = gale_sleep(loop, -1); /* negative: at once */
  assert_int_equal(gale_loop_run_until_complete(loop, z, 5), GALE_OK);
  gale_future_unref(z);
  assert_null(gale_sleep(loop, 0.0 / 0.0));
  gale_loop_free(loop);
}

/* ---- the loop freed with coroutines alive ------------------------------------- */

static int awaits_forever(void *arg) {
  trail *t = arg;
  note(t, gale_await(t->gate));
  gale_future *s = gale_sleep(t->loop, 3600);
  note(t, gale_await(s)); /* the loop is going: at once */
  gale_future_unref(s);
  t->cleaned_up = true;
  return GALE_OK;
}

static void test_loop_freed_mid_await(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  trail a = {.loop = loop, .gate = gale_future_new(loop)};
  trail b = {.loop = loop, .gate = gale_future_new(loop)};
  trail c = {.loop = loop, .gate = gale_future_new(loop)};
  gale_future *fa = gale_coro_spawn(loop, awaits_forever, &a, NULL);
  gale_future *fb = gale_coro_spawn(loop, awaits_forever, &b, NULL);
  gale_loop_run_once(loop, 0);                                       /* a and b suspended */
  gale_future *fc = gale_coro_spawn(loop, awaits_forever, &c, NULL); /* never started */
  gale_future *pending_sleep = gale_sleep(loop, 3600);
  gale_loop_free(loop);
  assert_true(a.cleaned_up && b.cleaned_up && c.cleaned_up);
  assert_int_equal(a.statuses[0], GALE_ECANCELLED);
  assert_int_equal(a.statuses[1], GALE_ECANCELLED);
  assert_int_equal(c.statuses[0], GALE_ECANCELLED);
  gale_future_unref(a.gate);
  gale_future_unref(b.gate);
  gale_future_unref(c.gate);
  gale_future_unref(fa);
  gale_future_unref(fb);
  gale_future_unref(fc);
  gale_future_unref(pending_sleep);
}

/* ---- many, nested, ping-pong -------------------------------------------------- */

static int sleepy(void *arg) {
  int *finished = arg;
  gale_future *s = gale_sleep(gale_loop_current(), 0.001);
  int st = gale_await(s);
  gale_future_unref(s);
  if (st == GALE_OK) ++*finished;
  return st;
}

static void test_ten_thousand(void **state) {
  (void)state;
  enum { N = 10000 };
  gale_loop *loop = gale_loop_new();
  gale_loop_make_current(loop);
  int finished = 0;
  gale_future **fs = calloc(N, sizeof *fs);
  gale_coro_options small = {.stack_size = 32 * 1024};
  for (int i = 0; i < N; i++) {
    fs[i] = gale_coro_spawn(loop, sleepy, &finished, &small);
    assert_non_null(fs[i]);
  }
  gale_future *all = gale_future_all(loop, fs, N);
  assert_int_equal(gale_loop_run_until_complete(loop, all, 30), GALE_OK);
  assert_int_equal(finished, N);
  gale_future_unref(all);
  for (int i = 0; i < N; i++) gale_future_unref(fs[i]);
  free(fs);
  gale_loop_free(loop);
}

typedef struct pingpong {
  gale_loop *loop;
  gale_future *to_ping, *to_pong;
  int rounds, seen;
} pingpong;

static int pinger(void *arg) {
  pingpong *p = arg;
  for (int i = 0; i < p->rounds; i++) {
    gale_future *mine = p->to_ping = gale_future_new(p->loop);
    gale_future_set_result(p->to_pong, NULL, NULL); /* pong's turn */
    if (gale_await(mine) != GALE_OK) return GALE_EINVAL;
    gale_future_unref(mine);
    p->seen++;
  }
  return GALE_OK;
}

static int ponger(void *arg) {
  pingpong *p = arg;
  for (int i = 0; i < p->rounds; i++) {
    gale_future *mine = p->to_pong;
    if (gale_await(mine) != GALE_OK) return GALE_EINVAL;
    gale_future_unref(mine);
    p->to_pong = gale_future_new(p->loop);
    gale_future_set_result(p->to_ping, NULL, NULL);
  }
  gale_future_unref(p->to_pong);
  return GALE_OK;
}

static void test_ping_pong(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  pingpong p = {.loop = loop, .rounds = 1000};
  p.to_pong = gale_future_new(loop);
  gale_future *fb = gale_coro_spawn(loop, ponger, &p, NULL);
  gale_future *fa = gale_coro_spawn(loop, pinger, &p, NULL);
  gale_future *both[2] = {fa, fb};
  gale_future *all = gale_future_all(loop, both, 2);
  assert_int_equal(gale_loop_run_until_complete(loop, all, 10), GALE_OK);
  assert_int_equal(p.seen, 1000);
  gale_future_unref(all);
  gale_future_unref(fa);
  gale_future_unref(fb);
  gale_loop_free(loop);
}

/* Coroutines handing over to each other forever run without a poll per
 * hop, yet a timer (and so I/O) still gets its turn. */
typedef struct spinner {
  gale_loop *loop;
  gale_future *to_a, *to_b;
  bool stop;
  long hops;
} spinner;

static int spin_a(void *arg) {
  spinner *p = arg;
  while (!p->stop) {
    gale_future *mine = p->to_a = gale_future_new(p->loop);
    gale_future_set_result(p->to_b, NULL, NULL);
    gale_await(mine);
    gale_future_unref(mine);
    p->to_a = NULL;
    p->hops++;
  }
  if (p->to_b) gale_future_set_result(p->to_b, NULL, NULL); /* let b see the stop */
  return GALE_OK;
}

static int spin_b(void *arg) {
  spinner *p = arg;
  for (;;) {
    gale_future *mine = p->to_b;
    gale_await(mine);
    gale_future_unref(mine);
    if (p->stop) { /* a's last hand-over, or a is still waiting for one */
      p->to_b = NULL;
      if (p->to_a) gale_future_set_result(p->to_a, NULL, NULL);
      return GALE_OK;
    }
    p->to_b = gale_future_new(p->loop);
    gale_future_set_result(p->to_a, NULL, NULL);
  }
}

static void set_stop(gale_loop *loop, void *arg) {
  (void)loop;
  ((spinner *)arg)->stop = true;
}

static void test_handoff_does_not_starve_timers(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  spinner p = {.loop = loop};
  p.to_b = gale_future_new(loop);
  gale_future *fb = gale_coro_spawn(loop, spin_b, &p, NULL);
  gale_future *fa = gale_coro_spawn(loop, spin_a, &p, NULL);
  gale_loop_call_later(loop, 0.02, set_stop, &p, NULL);
  gale_future *both[2] = {fa, fb};
  gale_future *all = gale_future_all(loop, both, 2);
  assert_int_equal(gale_loop_run_until_complete(loop, all, 10), GALE_OK);
  assert_true(p.stop);
  assert_true(p.hops > 100);
  gale_future_unref(all);
  gale_future_unref(fa);
  gale_future_unref(fb);
  gale_loop_free(loop);
}

static int child(void *arg) {
  int *depth = arg;
  ++*depth;
  gale_future *s = gale_sleep(gale_loop_current(), 0);
  int st = gale_await(s);
  gale_future_unref(s);
  return st == GALE_OK ? GALE_ETIMEDOUT : st; /* a status the parent sees */
}

static int parent(void *arg) {
  int *depth = arg;
  gale_future *c = gale_coro_spawn(gale_loop_current(), child, depth, NULL);
  int st = gale_await(c);
  gale_future_unref(c);
  return st == GALE_ETIMEDOUT ? GALE_OK : GALE_EINVAL;
}

static void test_nested_spawn(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_loop_make_current(loop);
  int depth = 0;
  gale_future *f = gale_coro_spawn(loop, parent, &depth, NULL);
  assert_int_equal(gale_loop_run_until_complete(loop, f, 5), GALE_OK);
  assert_int_equal(depth, 1);
  gale_future_unref(f);
  gale_loop_free(loop);
}

/* ---- a stream read, inline ---------------------------------------------------- */

typedef struct line_reader {
  gale_stream *stream;
  char line[64];
} line_reader;

static int read_two_lines(void *arg) {
  line_reader *r = arg;
  for (int i = 0; i < 2; i++) {
    gale_future *f = gale_stream_read_until_future(r->stream, "\n", 1, 1024, NULL);
    int st = gale_await(f);
    if (st == GALE_OK) {
      gale_stream_data *d = gale_future_result(f);
      size_t used = strlen(r->line);
      snprintf(r->line + used, sizeof r->line - used, "%.*s", (int)d->len, d->data);
    }
    gale_future_unref(f);
    if (st != GALE_OK) return st;
  }
  return GALE_OK;
}

static void test_await_stream_read(void **state) {
  (void)state;
  int fds0 = th_count_fds();
  gale_loop *loop = gale_loop_new();
  int fds[2];
  th_socketpair(fds);
  line_reader r = {.line = ""};
  assert_int_equal(gale_stream_new(loop, fds[0], NULL, &r.stream), GALE_OK);
  gale_future *f = gale_coro_spawn(loop, read_two_lines, &r, NULL);
  th_write_all(fds[1], "one\ntw", 6);
  gale_loop_run_once(loop, 0.01);
  th_write_all(fds[1], "o\n", 2);
  assert_int_equal(gale_loop_run_until_complete(loop, f, 5), GALE_OK);
  assert_string_equal(r.line, "one\ntwo\n");
  gale_future_unref(f);
  gale_stream_close(r.stream);
  close(fds[1]);
  gale_loop_free(loop);
  assert_int_equal(th_count_fds(), fds0);
}

/* ---- overflow ---------------------------------------------------------------- */

static int recurse(int n) {
  volatile char pad[512];
  pad[0] = (char)n;
  return n == 0 ? pad[0] : recurse(n - 1) + pad[0];
}

static int overflows(void *arg) {
  (void)arg;
  return recurse(1 << 20) ? GALE_OK : GALE_EINVAL;
}

static void test_overflow_names_the_coroutine(void **state) {
  (void)state;
  char log[] = "/tmp/gale-coro-overflow-XXXXXX";
  int lfd = mkstemp(log);
  assert_true(lfd >= 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    dup2(lfd, STDERR_FILENO);
    signal(SIGSEGV, SIG_DFL); /* not cmocka's: die of it */
    gale_loop *loop = gale_loop_new();
    gale_coro_options opts = {.stack_size = 64 * 1024, .name = "deep-thought"};
    gale_future *f = gale_coro_spawn(loop, overflows, NULL, &opts);
    gale_loop_run_until_complete(loop, f, 5);
    _exit(0); /* not reached: the guard page stops it */
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  char text[4096] = "";
  ssize_t n = pread(lfd, text, sizeof text - 1, 0);
  text[n > 0 ? n : 0] = '\0';
  close(lfd);
  unlink(log);
  assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  assert_non_null(strstr(text, "coroutine 'deep-thought' overflowed its stack"));
#if !defined(__SANITIZE_ADDRESS__)
  /* Under ASan its SEGV handler, which ours hands over to, exits instead. */
  assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
#endif
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_outside_a_coroutine),
      cmocka_unit_test(test_spawn_runs_on_next_turn),
      cmocka_unit_test(test_await_pending_then_sleep),
      cmocka_unit_test(test_await_failed_and_cancelled),
      cmocka_unit_test(test_await_keeps_future_alive),
      cmocka_unit_test(test_cancel_suspended),
      cmocka_unit_test(test_cancel_before_start),
      cmocka_unit_test(test_cancel_after_wakeup),
      cmocka_unit_test(test_cancel_from_inside),
      cmocka_unit_test(test_sleep_cancel),
      cmocka_unit_test(test_loop_freed_mid_await),
      cmocka_unit_test(test_ten_thousand),
      cmocka_unit_test(test_ping_pong),
      cmocka_unit_test(test_handoff_does_not_starve_timers),
      cmocka_unit_test(test_nested_spawn),
      cmocka_unit_test(test_await_stream_read),
      cmocka_unit_test(test_overflow_names_the_coroutine),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
