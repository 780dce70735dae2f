/* SPDX-License-Identifier: MIT */
/* tests/test_range.c — the Range header against a file size
 * (http/util/range.c). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "http/util/range.h"

/* Parses `v` (copied to an exact-size buffer, so ASan sees an overread)
 * against `size`. */
static int parse(const char *v, int64_t size, int64_t *s, int64_t *e) {
  size_t n = strlen(v);
  char *copy = malloc(n ? n : 1);
  assert_non_null(copy);
  memcpy(copy, v, n);
  *s = *e = -7;
  int r = gale__range_parse(copy, n, size, s, e);
  free(copy);
  return r;
}

static void expect(const char *v, int64_t size, int64_t want_s, int64_t want_e) {
  int64_t s, e;
  assert_int_equal(parse(v, size, &s, &e), GALE__RANGE_OK);
  assert_int_equal(s, want_s);
  assert_int_equal(e, want_e);
}

static void test_satisfiable(void **state) {
  (void)state;
  expect("bytes=2-5", 10, 2, 5);
  expect("bytes=0-0", 10, 0, 0);
  expect("bytes=7-", 10, 7, 9);
  expect("bytes=8-100", 10, 8, 9);
  expect("bytes=-3", 10, 7, 9);
  expect("bytes=-30", 10, 0, 9); /* a suffix longer than the file: all of it */
  expect("bytes=9-9", 10, 9, 9);
  expect("bytes=0-9223372036854775", 10, 0, 9);
  /* Every offset up to INT64_MAX reads: a served range written back as
   * "bytes=s-e" is the same range. */
  expect("bytes=9223372036854775000-", INT64_MAX, 9223372036854775000, INT64_MAX - 1);
  expect("bytes=9223372036854775000-9223372036854775806", INT64_MAX, 9223372036854775000,
         INT64_MAX - 1);
  expect("bytes=0-9223372036854775807", INT64_MAX, 0, INT64_MAX - 1);
}

static void test_unsatisfiable(void **state) {
  (void)state;
  int64_t s, e;
  assert_int_equal(parse("bytes=10-", 10, &s, &e), GALE__RANGE_UNSATISFIABLE);
  assert_int_equal(parse("bytes=10-20", 10, &s, &e), GALE__RANGE_UNSATISFIABLE);
  assert_int_equal(parse("bytes=-0", 10, &s, &e), GALE__RANGE_UNSATISFIABLE);
  assert_int_equal(s, -7); /* untouched */
  assert_int_equal(parse("bytes=0-", 0, &s, &e), GALE__RANGE_UNSATISFIABLE);
  assert_int_equal(parse("bytes=-5", 0, &s, &e), GALE__RANGE_UNSATISFIABLE);
  assert_int_equal(s, -7);
}

static void test_ignored(void **state) {
  (void)state;
  int64_t s, e;
  static const char *bad[] = {
      "",
      "bytes",
      "bytes=",
      "bytes=-",
      "bytes=5-2",
      "bytes=1-2,4-5",
      "bits=0-1",
      "Bytes=0-1",
      "bytes=a-1",
      "bytes=1-b",
      "bytes= 1-2",
      "bytes=1-2 ",
      "bytes=1--2",
      "bytes=+1-2",
      "bytes=-1-2",
      "bytes=99999999999999999999-",
      "bytes=-99999999999999999999",
      "bytes=9223372036854775808-",
      "bytes=0-9223372036854775808",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(parse(bad[i], 10, &s, &e), GALE__RANGE_IGNORE);
    assert_int_equal(s, -7);
  }
  /* A negative size is no file at all. */
  assert_int_equal(parse("bytes=0-1", -1, &s, &e), GALE__RANGE_IGNORE);
  /* Only the given bytes are read: a range cut short is not the longer one. */
  char v[] = "bytes=1-23";
  assert_int_equal(gale__range_parse(v, 9, 100, &s, &e), GALE__RANGE_OK);
  assert_int_equal(e, 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_satisfiable),
      cmocka_unit_test(test_unsatisfiable),
      cmocka_unit_test(test_ignored),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
