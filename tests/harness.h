/* SPDX-License-Identifier: MIT */
/* The test harness shared by every cmocka suite.
 *
 * Rules it helps keep: tests bind 127.0.0.1 on ephemeral ports, never sleep
 * to wait for an event (they run the loop until a condition holds, with a
 * timeout), and leave no fd or allocation behind.
 *
 * Include after <cmocka.h>'s prerequisites; this header includes them.
 */
#ifndef GALE_TESTS_HARNESS_H
#define GALE_TESTS_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>
#include <cmocka.h>

#include "gale.h"

/* Monotonic seconds. */
double th_now(void);

/* Runs `loop` one iteration at a time until `cond` is true or `timeout`
 * seconds pass, then asserts `cond`.  The condition is re-evaluated after
 * every iteration, so it may read variables the callbacks set. */
#define TH_RUN_UNTIL(loop, cond, timeout)                                                          \
  do {                                                                                             \
    double th_deadline_ = th_now() + (timeout);                                                    \
    while (!(cond) && th_now() < th_deadline_)                                                     \
      gale_loop_run_once((loop), th_deadline_ - th_now() < 0.05 ? th_deadline_ - th_now() : 0.05); \
    if (!(cond)) fail_msg("timed out after %.1fs waiting for: %s", (double)(timeout), #cond);      \
  } while (0)

/* Like TH_RUN_UNTIL but returns whether `cond` became true, without
 * asserting (for loops that must show something does NOT happen in time:
 * prefer an explicit event over this where one exists). */
bool th_run_for(gale_loop *loop, double seconds);

/* A listening TCP socket on 127.0.0.1 and an
 * ephemeral port, non-blocking, SO_REUSEADDR; returns the fd and stores the
 * port.  Fails the test on error. */
int th_listen(int *port);  /* 127.0.0.1 */
int th_listen6(int *port); /* ::1 */

/* A free ephemeral port for a peer process to bind (bind :0, read, close).
 * Racy by nature but good enough on a test machine. */
int th_free_port(void);

/* A blocking TCP client socket connected to 127.0.0.1:port. */
int th_connect(int port);

/* A connected pair of non-blocking AF_UNIX stream sockets. */
void th_socketpair(int fds[2]);

/* Writes all of `len` bytes to a blocking or non-blocking fd (polling).
 * Reads exactly `len` bytes, or until EOF; returns bytes read. */
void th_write_all(int fd, const void *data, size_t len);
size_t th_read_full(int fd, void *buf, size_t len, double timeout);

/* Number of open fds in this process (from /proc/self/fd).  Take it at the
 * start of a test and assert it equals at the end. */
int th_count_fds(void);

/* Absolute path of a source file: $top_srcdir/<rel>.  Static buffer. */
const char *th_srcpath(const char *rel);
/* Absolute path of a build file: $top_builddir/<rel>.  Static buffer. */
const char *th_buildpath(const char *rel);

/* Full path of a program on PATH or in /usr/sbin:/sbin, or NULL. */
const char *th_which(const char *program);

/* Skips the current test (cmocka skip) with a message when `program` is not
 * installed; returns its path otherwise. */
const char *th_require_program(const char *program);

/* Starts a peer process (argv[0] found via th_which) with stdout/stderr to
 * `logfile` (NULL: /dev/null), in its own process group.  Returns the pid;
 * fails the test on error. */
pid_t th_spawn(const char *const argv[], const char *logfile);

/* Polls until something accepts TCP connections on 127.0.0.1:port (for peer
 * processes we started; their readiness has no other signal).  Returns
 * false after `timeout` seconds. */
bool th_wait_port(int port, double timeout);

/* SIGTERM to the peer's process group, then SIGKILL if it has not exited
 * within 2 s; reaps it. */
void th_kill(pid_t pid);

/* A fresh temporary directory (mkdtemp under $TMPDIR or /tmp); caller
 * frees with th_rmtree() which also removes it. */
char *th_mkdtemp(void);
void th_rmtree(char *dir);

/* Writes `len` bytes to `path` (created or truncated). */
void th_write_file(const char *path, const void *data, size_t len);
/* Reads a whole file into a malloc'd NUL-terminated buffer; NULL if absent. */
char *th_read_file(const char *path, size_t *len);

/* Runs a shell command, returns its exit status (-1 if it did not exit). */
int th_system(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
