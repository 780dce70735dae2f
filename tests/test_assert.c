/* SPDX-License-Identifier: MIT */
/* core/assert.h: gale__transition accepts the moves its table allows and,
 * in a build with checks (GALE_ASSERTS), aborts on any other. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/assert.h"
#include "harness.h"

enum phase { PH_IDLE, PH_BUSY, PH_DONE, PH_COUNT };

static const uint32_t phase_moves[PH_COUNT] = {
    [PH_IDLE] = GALE__STATE_BIT(PH_BUSY),
    [PH_BUSY] = GALE__STATE_BIT(PH_IDLE) | GALE__STATE_BIT(PH_DONE),
    [PH_DONE] = 0,
};

static void test_allowed_moves(void **state) {
  (void)state;
  enum phase p = PH_IDLE;
  gale__transition(p, PH_BUSY, phase_moves);
  gale__transition(p, PH_IDLE, phase_moves);
  gale__transition(p, PH_BUSY, phase_moves);
  gale__transition(p, PH_DONE, phase_moves);
  assert_int_equal(p, PH_DONE);
}

/* Runs a forbidden move in a child; reports how the child ended. */
static int forbidden_move_status(void) {
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    /* The failure message is expected; keep the test log readable. */
    if (!freopen("/dev/null", "w", stderr)) _exit(3);
    enum phase p = PH_DONE;
    gale__transition(p, PH_BUSY, phase_moves);
    _exit(p == PH_BUSY ? 0 : 2);
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  return status;
}

static void test_forbidden_move(void **state) {
  (void)state;
  int status = forbidden_move_status();
#ifdef GALE_ASSERTS
  assert_true(WIFSIGNALED(status));
  assert_int_equal(WTERMSIG(status), SIGABRT);
#else
  /* Checks compiled out: the move happens unchecked. */
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
#endif
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_allowed_moves),
      cmocka_unit_test(test_forbidden_move),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
