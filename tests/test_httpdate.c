/* SPDX-License-Identifier: MIT */
/* tests/test_httpdate.c — HTTP dates (http/util/httpdate.c). */
#include <string.h>
#include <time.h>

#include "harness.h"
#include "gale/httpdate.h"

static void test_format(void **state) {
  (void)state;
  char buf[GALE_HTTP_DATE_LEN + 1];
  assert_int_equal(gale_http_date_format(784111777, buf, sizeof buf), GALE_OK);
  assert_string_equal(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
  assert_int_equal(gale_http_date_format(0, buf, sizeof buf), GALE_OK);
  assert_string_equal(buf, "Thu, 01 Jan 1970 00:00:00 GMT");
  assert_int_equal(gale_http_date_format(951782400, buf, sizeof buf), GALE_OK);
  assert_string_equal(buf, "Tue, 29 Feb 2000 00:00:00 GMT");
  assert_int_equal(gale_http_date_format(-1, buf, sizeof buf), GALE_OK);
  assert_string_equal(buf, "Wed, 31 Dec 1969 23:59:59 GMT");
  assert_int_equal(gale_http_date_format(253402300799, buf, sizeof buf), GALE_OK);
  assert_string_equal(buf, "Fri, 31 Dec 9999 23:59:59 GMT");
  assert_int_equal(gale_http_date_format(253402300800, buf, sizeof buf), GALE_ERANGE);
  assert_int_equal(gale_http_date_format(0, buf, GALE_HTTP_DATE_LEN), GALE_ERANGE);
  assert_int_equal(gale_http_date_format(0, NULL, 64), GALE_ERANGE);
}

/* Agrees with gmtime_r + strftime (C locale) over a sweep of instants. */
static void test_format_matches_libc(void **state) {
  (void)state;
  char a[64], b[GALE_HTTP_DATE_LEN + 1];
  for (int64_t t = -2208988800LL; t < 4102444800LL; t += 86400 * 37 + 3607) {
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(a, sizeof a, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    assert_int_equal(gale_http_date_format(tt, b, sizeof b), GALE_OK);
    assert_string_equal(a, b);
    time_t back;
    assert_int_equal(gale_http_date_parse(b, strlen(b), &back), GALE_OK);
    assert_true(back == tt);
  }
}

static void test_parse_forms(void **state) {
  (void)state;
  static const char *good[] = {
      "Sun, 06 Nov 1994 08:49:37 GMT",
      "Sunday, 06-Nov-94 08:49:37 GMT",
      "Sun Nov  6 08:49:37 1994",
      "Sun Nov 06 08:49:37 1994",
      /* Weekday names are checked, not matched to the date. */
      "Mon, 06 Nov 1994 08:49:37 GMT",
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    time_t t = 0;
    assert_int_equal(gale_http_date_parse(good[i], strlen(good[i]), &t), GALE_OK);
    assert_true(t == 784111777);
  }
  time_t t;
  assert_int_equal(gale_http_date_parse("Thursday, 01-Jan-37 00:00:00 GMT", 32, &t), GALE_OK);
  assert_true(t == 2114380800); /* 2037 */
  assert_int_equal(gale_http_date_parse("Thu, 29 Feb 2024 12:00:60 GMT", 29, &t), GALE_OK);
}

static void test_parse_garbage(void **state) {
  (void)state;
  static const char *bad[] = {
      "",
      "Sun",
      "Sun, 06 Nov 1994 08:49:37",
      "Sun, 06 Nov 1994 08:49:37 GMT ",
      " Sun, 06 Nov 1994 08:49:37 GMT",
      "Sun, 06 Nov 1994 08:49:37 UTC",
      "Sun, 06 Nov 1994 08:49:37 +0000",
      "Sun, 6 Nov 1994 08:49:37 GMT",
      "sun, 06 Nov 1994 08:49:37 GMT",
      "Sun, 06 nov 1994 08:49:37 GMT",
      "Xyz, 06 Nov 1994 08:49:37 GMT",
      "Sun, 32 Jan 1994 08:49:37 GMT",
      "Sun, 00 Jan 1994 08:49:37 GMT",
      "Sun, 29 Feb 1900 08:49:37 GMT",
      "Sun, 30 Feb 2000 08:49:37 GMT",
      "Sun, 06 Nov 1994 24:00:00 GMT",
      "Sun, 06 Nov 1994 08:60:00 GMT",
      "Sun, 06 Nov 1994 08:49:61 GMT",
      "Sun, 06 Nov 0000 08:49:37 GMT",
      "Sun, 06 Nov 19a4 08:49:37 GMT",
      "Sun, 06 Nov 1994 08:49:-7 GMT",
      "Sun, 06 Nov 1994 8:49:37 GMT",
      "Sunday, 06-Nov-1994 08:49:37 GMT",
      "Sunday, 06 Nov 94 08:49:37 GMT",
      "Sun Nov 6 08:49:37 1994",
      "Sun Nov  6 08:49:37 94",
      "Sun Nov  6 08:49:37 1994 GMT",
      "Sun,  06 Nov 1994 08:49:37 GMT",
      "Sun, 06 Nov 1994 08:49:37 GMT\0",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    time_t t = 12345;
    size_t len = strlen(bad[i]) + (i == sizeof bad / sizeof bad[0] - 1);
    assert_int_equal(gale_http_date_parse(bad[i], len, &t), GALE_EINVAL);
    assert_true(t == 12345);
  }
  /* Truncations of a valid date never read past the given length. */
  time_t t;
  const char *ok = "Sun, 06 Nov 1994 08:49:37 GMT";
  for (size_t n = 0; n < strlen(ok); n++) {
    char *copy = test_malloc(n ? n : 1);
    memcpy(copy, ok, n);
    assert_int_equal(gale_http_date_parse(copy, n, &t), GALE_EINVAL);
    test_free(copy);
  }
  assert_int_equal(gale_http_date_parse(NULL, 0, &t), GALE_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_format),
      cmocka_unit_test(test_format_matches_libc),
      cmocka_unit_test(test_parse_forms),
      cmocka_unit_test(test_parse_garbage),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
