/* SPDX-License-Identifier: MIT */
/* The status table and the logger. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

static void test_table(void **state) {
  (void)state;
  static const int codes[] = {
#define X(name, value, text) value,
      GALE_STATUS_TABLE(X)
#undef X
  };
  static const char *const names[] = {
#define X(name, value, text) #name,
      GALE_STATUS_TABLE(X)
#undef X
  };
  size_t n = sizeof codes / sizeof codes[0];
  for (size_t i = 0; i < n; i++) {
    assert_true(codes[i] <= 0);
    assert_string_equal(gale_err_name(codes[i]), names[i]);
    assert_true(strlen(gale_strerror(codes[i])) > 0);
    assert_string_not_equal(gale_strerror(codes[i]), "unknown gale status");
    for (size_t j = 0; j < i; j++) assert_int_not_equal(codes[i], codes[j]); /* unique */
  }
  assert_string_equal(gale_strerror(GALE_OK), "success");
  assert_string_equal(gale_err_name(GALE_ECONNREFUSED), "ECONNREFUSED");
  assert_string_equal(gale_strerror(-9999), "unknown gale status");
  assert_string_equal(gale_strerror(5), "unknown gale status");
  assert_string_equal(gale_err_name(-9999), "UNKNOWN");
}

static void test_errno(void **state) {
  (void)state;
  assert_int_equal(gale_err_from_errno(0), GALE_OK);
  assert_int_equal(gale_err_from_errno(ECONNREFUSED), GALE_ECONNREFUSED);
  assert_int_equal(gale_err_from_errno(ECONNRESET), GALE_ECONNRESET);
  assert_int_equal(gale_err_from_errno(EPIPE), GALE_EPIPE);
  assert_int_equal(gale_err_from_errno(ENOMEM), GALE_ENOMEM);
  assert_int_equal(gale_err_from_errno(EMFILE), GALE_EMFILE);
  assert_int_equal(gale_err_from_errno(EIO), GALE_ESYS);
}

struct sink {
  int calls;
  gale_log_level level;
  char domain[32];
  char message[8192];
};

static void sink_cb(gale_log_level level, const char *domain, const char *message, void *arg) {
  struct sink *s = arg;
  s->calls++;
  s->level = level;
  snprintf(s->domain, sizeof s->domain, "%s", domain);
  snprintf(s->message, sizeof s->message, "%s", message);
}

static void test_log(void **state) {
  (void)state;
  struct sink s = {0};
  gale_log_level saved = gale_log_get_level();
  gale_log_set_sink(sink_cb, &s);
  gale_log_set_level(GALE_LOG_WARNING);
  assert_int_equal(gale_log_get_level(), GALE_LOG_WARNING);
  assert_false(gale_log_enabled(GALE_LOG_INFO));
  assert_true(gale_log_enabled(GALE_LOG_ERROR));
  gale_log_info("app", "dropped %d", 1);
  assert_int_equal(s.calls, 0);
  gale_log_warning("app", "kept %d", 2);
  assert_int_equal(s.calls, 1);
  assert_int_equal(s.level, GALE_LOG_WARNING);
  assert_string_equal(s.domain, "app");
  assert_string_equal(s.message, "kept 2");
  gale_log_error(NULL, "no domain");
  assert_string_equal(s.domain, "general");
  /* Truncated, not overflowed. */
  char big[6000];
  memset(big, 'a', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  gale_log_error("app", "%s", big);
  assert_true(strlen(s.message) < 4096);
  gale_log_set_level(GALE_LOG_NONE);
  gale_log_error("app", "nothing");
  assert_int_equal(s.calls, 3);
  gale_log_set_sink(NULL, NULL);
  gale_log_set_level(saved);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table),
      cmocka_unit_test(test_errno),
      cmocka_unit_test(test_log),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
