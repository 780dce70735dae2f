/* SPDX-License-Identifier: MIT */
/* Runs examples/echo_server and speaks its protocol, so the example a user
 * copies from keeps working. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_example_session(void **state) {
  gale_loop_free(gale_loop_new()); /* links the loop in, for the harness */
  const char *prog = th_buildpath("examples/echo_server");
  if (access(prog, X_OK) != 0) skip();
  char *dir = th_mkdtemp();
  char log[512];
  snprintf(log, sizeof log, "%s/out", dir);
  const char *argv[] = {prog, "0", NULL};
  pid_t pid = th_spawn(argv, log);
  int port = 0;
  double deadline = th_now() + 10;
  while (!port && th_now() < deadline) {
    char *out = th_read_file(log, NULL);
    if (out) sscanf(out, "listening on port %d", &port);
    free(out);
    if (!port) usleep(20000);
  }
  assert_true(port > 0);

  int fd = th_connect(port);
  const char *script = "ECHO hi there\r\nSET color blue\nGET color\nDEL color\nGET color\n"
                       "BOGUS x\nQUIT\nGET never\n";
  const char *expect = "hi there\nOK\nVALUE blue\nDELETED\nNOT_FOUND\nERR unknown command\n"
                       "BYE\n";
  th_write_all(fd, script, strlen(script));
  char buf[256] = {0};
  size_t got = th_read_full(fd, buf, sizeof buf - 1, 10); /* until the server closes */
  assert_int_equal(got, strlen(expect));
  assert_string_equal(buf, expect);
  close(fd);

  /* A line over 4 KiB closes the connection; the server keeps serving. */
  fd = th_connect(port);
  char big[5000];
  memset(big, 'k', sizeof big);
  th_write_all(fd, big, sizeof big);
  assert_int_equal(th_read_full(fd, buf, sizeof buf, 10), 0);
  close(fd);
  fd = th_connect(port);
  th_write_all(fd, "GET nothing\n", 12);
  assert_int_equal(th_read_full(fd, buf, 10, 10), 10);
  assert_memory_equal(buf, "NOT_FOUND\n", 10);
  close(fd);

  th_kill(pid);
  th_rmtree(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_example_session),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
