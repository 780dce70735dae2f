/* SPDX-License-Identifier: MIT */
/* Tests for iostream/process.c: forking workers, restarts, signals.
 *
 * Each test forks a "supervisor" process that calls gale_fork_processes(),
 * since the supervisor never returns; its workers report "task pid" lines
 * on a pipe. */
#include "harness.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gale/process.h"
#include "iostream/server_internal.h"

struct report {
  int n;
  int task[64];
  int pid[64];
};

/* Reads "task pid" lines until `want` arrived or the timeout. */
static void read_reports(int fd, struct report *r, int want, double timeout) {
  static char buf[4096];
  static size_t used;
  double deadline = th_now() + timeout;
  while (r->n < want && th_now() < deadline) {
    char *nl;
    while (r->n < want && (nl = memchr(buf, '\n', used))) {
      *nl = '\0';
      sscanf(buf, "%d %d", &r->task[r->n], &r->pid[r->n]);
      r->n++;
      size_t line = (size_t)(nl - buf) + 1;
      memmove(buf, buf + line, used - line);
      used -= line;
    }
    if (r->n >= want) break;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 100) <= 0) continue;
    ssize_t got = read(fd, buf + used, sizeof buf - used);
    if (got <= 0) break;
    used += (size_t)got;
  }
  used = 0;
}

static void report(int fd, int task) {
  char line[64];
  int len = snprintf(line, sizeof line, "%d %d\n", task, (int)getpid());
  if (write(fd, line, (size_t)len) != len) _exit(99);
}

/* Task 1 creates it before crashing, so its restart runs normally. */
static char marker[64];

enum behaviour { EXIT_OK, CRASH_TASK1_ONCE, ALWAYS_FAIL, WAIT_FOR_SIGNAL };

/* Forks the supervisor; returns its pid and the read end of the pipe. */
static pid_t spawn_supervisor(int n, int max_restarts, enum behaviour how, int *rd) {
  int p[2];
  assert_int_equal(pipe(p), 0);
  snprintf(marker, sizeof marker, "/tmp/gale-test-process-XXXXXX");
  int mfd = mkstemp(marker);
  assert_true(mfd >= 0);
  close(mfd);
  unlink(marker); /* absent = task 1 has not crashed yet */
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(p[0]);
    gale__process_reset();
    gale_log_set_level(GALE_LOG_NONE);
    int id = gale_fork_processes(n, max_restarts);
    if (id < 0) _exit(50);
    if (gale_process_task_id() != id) _exit(51);
    report(p[1], id);
    switch (how) {
    case EXIT_OK: _exit(0);
    case ALWAYS_FAIL: _exit(3);
    case CRASH_TASK1_ONCE:
      if (id == 1 && access(marker, F_OK) != 0) {
        FILE *f = fopen(marker, "w");
        if (f) fclose(f);
        kill(getpid(), SIGKILL); /* dies of a signal */
      }
      _exit(0);
    case WAIT_FOR_SIGNAL:
      for (;;) pause();
    }
    _exit(0);
  }
  close(p[1]);
  *rd = p[0];
  return pid;
}

static int wait_supervisor(pid_t pid) {
  int status = -1;
  double deadline = th_now() + 10;
  while (th_now() < deadline) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    usleep(10000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  fail_msg("supervisor did not exit");
  return status;
}

static int distinct(const int *v, int n) {
  int d = 0;
  for (int i = 0; i < n; i++) {
    bool seen = false;
    for (int j = 0; j < i; j++) seen |= v[j] == v[i];
    d += !seen;
  }
  return d;
}

static void test_cpu_count(void **state) {
  /* (Also links the loop in: the harness needs it and this suite does not
   * otherwise use one.) */
  gale_loop_free(gale_loop_new());
  assert_true(gale_cpu_count() >= 1);
  assert_int_equal(gale_process_task_id(), -1);
  assert_int_equal(gale_fork_processes(5000, 0), GALE_EINVAL);
}

static void test_all_workers_run(void **state) {
  int rd;
  pid_t sup = spawn_supervisor(3, -1, EXIT_OK, &rd);
  struct report r = {0};
  read_reports(rd, &r, 3, 10);
  int status = wait_supervisor(sup);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  assert_int_equal(r.n, 3);
  assert_int_equal(distinct(r.task, 3), 3);
  assert_int_equal(distinct(r.pid, 3), 3);
  for (int i = 0; i < 3; i++) assert_in_range(r.task[i], 0, 2);
  close(rd);
}

static void test_restart_after_crash(void **state) {
  int rd;
  pid_t sup = spawn_supervisor(3, -1, CRASH_TASK1_ONCE, &rd);
  struct report r = {0};
  read_reports(rd, &r, 4, 10);
  int status = wait_supervisor(sup);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  assert_int_equal(r.n, 4);
  int ones = 0;
  for (int i = 0; i < 4; i++) ones += r.task[i] == 1;
  assert_int_equal(ones, 2); /* task 1 ran twice, in two processes */
  assert_int_equal(distinct(r.pid, 4), 4);
  unlink(marker);
  close(rd);
}

static void test_too_many_restarts(void **state) {
  int rd;
  pid_t sup = spawn_supervisor(1, 2, ALWAYS_FAIL, &rd);
  struct report r = {0};
  read_reports(rd, &r, 10, 3);
  int status = wait_supervisor(sup);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 1);
  assert_int_equal(r.n, 3); /* the first run and two restarts */
  close(rd);
}

/* A worker killed from outside is replaced; SIGTERM to the supervisor ends
 * everyone without restarts. */
static void test_kill_worker_then_term(void **state) {
  int rd;
  pid_t sup = spawn_supervisor(2, -1, WAIT_FOR_SIGNAL, &rd);
  struct report r = {0};
  read_reports(rd, &r, 2, 10);
  assert_int_equal(r.n, 2);
  kill(r.pid[0], SIGKILL);
  read_reports(rd, &r, 3, 10);
  assert_int_equal(r.n, 3);
  assert_int_equal(r.task[2], r.task[0]);
  assert_int_not_equal(r.pid[2], r.pid[0]);

  kill(sup, SIGTERM);
  int status = wait_supervisor(sup);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  /* The workers are gone: signal 0 finds no process. */
  assert_int_equal(kill(r.pid[1], 0), -1);
  assert_int_equal(kill(r.pid[2], 0), -1);
  /* Nothing was restarted after SIGTERM. */
  r.n = 0;
  read_reports(rd, &r, 1, 0.2);
  assert_int_equal(r.n, 0);
  close(rd);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cpu_count),
      cmocka_unit_test(test_all_workers_run),
      cmocka_unit_test(test_restart_after_crash),
      cmocka_unit_test(test_too_many_restarts),
      cmocka_unit_test(test_kill_worker_then_term),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
