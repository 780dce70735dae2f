/* SPDX-License-Identifier: MIT */
/* tests/test_form.c — gale_params, query strings and form bodies
 * (http/util/params.c, http/util/form.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "gale/form.h"

#define S(x) (x), strlen(x)

static void expect_pair(gale_params *p, size_t i, const char *n, size_t nl, const char *v,
                        size_t vl) {
  const char *gn, *gv;
  size_t gnl, gvl;
  assert_int_equal(gale_params_at(p, i, &gn, &gnl, &gv, &gvl), GALE_OK);
  assert_int_equal(gnl, nl);
  assert_memory_equal(gn, n, nl);
  assert_int_equal(gvl, vl);
  assert_memory_equal(gv, v, vl);
  assert_int_equal(gn[gnl], '\0');
  assert_int_equal(gv[gvl], '\0');
}

static void test_parse_basic(void **state) {
  (void)state;
  gale_params *p = gale_params_new();
  assert_int_equal(gale_form_parse(p, S("a=1&b=x+y&a=2&&c&=v&d=&e=%41%2b%3D"), NULL), GALE_OK);
  assert_int_equal(gale_params_count(p), 7);
  expect_pair(p, 0, "a", 1, "1", 1);
  expect_pair(p, 1, "b", 1, "x y", 3);
  expect_pair(p, 2, "a", 1, "2", 1);
  expect_pair(p, 3, "c", 1, "", 0);
  expect_pair(p, 4, "", 0, "v", 1);
  expect_pair(p, 5, "d", 1, "", 0);
  expect_pair(p, 6, "e", 1, "A+=", 3);
  assert_string_equal(gale_params_get(p, "a", NULL), "1");
  assert_string_equal(gale_params_get_last(p, "a", NULL), "2");
  assert_null(gale_params_get(p, "A", NULL));
  assert_null(gale_params_get_last(p, "zz", NULL));
  size_t cur = 0, vl;
  assert_string_equal(gale_params_next(p, "a", &cur, &vl), "1");
  assert_string_equal(gale_params_next(p, "a", &cur, &vl), "2");
  assert_null(gale_params_next(p, "a", &cur, &vl));
  assert_int_equal(gale_params_at(p, 7, NULL, NULL, NULL, NULL), GALE_ERANGE);
  /* '=' inside a value, NUL and binary from escapes, and ';' is not a
   * separator. */
  gale_params_clear(p);
  assert_int_equal(gale_form_parse(p, S("k=a=b&z=%00%ff;x=1"), NULL), GALE_OK);
  expect_pair(p, 0, "k", 1, "a=b", 3);
  expect_pair(p, 1, "z", 1, "\0\xff;x=1", 6);
  /* Empty input. */
  gale_params_clear(p);
  assert_int_equal(gale_form_parse(p, "", 0, NULL), GALE_OK);
  assert_int_equal(gale_form_parse(p, NULL, 0, NULL), GALE_OK);
  assert_int_equal(gale_form_parse(p, S("&&&"), NULL), GALE_OK);
  assert_int_equal(gale_params_count(p), 0);
  gale_params_free(p);
}

static void test_bad_escapes(void **state) {
  (void)state;
  gale_params *p = gale_params_new();
  gale_params_add(p, S("keep"), S("me"));
  const char *bad[] = {"a=%", "a=%4", "a=%zz", "%g=1", "ok=1&b=%4x"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(gale_form_parse(p, S(bad[i]), NULL), GALE_EURL);
    /* Nothing of the failed call stays. */
    assert_int_equal(gale_params_count(p), 1);
  }
  gale_form_limits lim;
  gale_form_limits_init(&lim);
  lim.lenient = true;
  assert_int_equal(gale_form_parse(p, S("a=%&b=%4&c=%zz%41"), &lim), GALE_OK);
  expect_pair(p, 1, "a", 1, "%", 1);
  expect_pair(p, 2, "b", 1, "%4", 2);
  expect_pair(p, 3, "c", 1, "%zzA", 4);
  gale_params_free(p);
}

static void test_limits(void **state) {
  (void)state;
  gale_params *p = gale_params_new();
  gale_form_limits lim;
  gale_form_limits_init(&lim);
  assert_int_equal(lim.max_fields, 1000);
  lim.max_fields = 3;
  assert_int_equal(gale_form_parse(p, S("a&b&c"), &lim), GALE_OK);
  assert_int_equal(gale_form_parse(p, S("a&b&&c&d"), &lim), GALE_ELIMIT);
  assert_int_equal(gale_params_count(p), 3);
  lim.max_fields = 100;
  lim.max_length = 4;
  assert_int_equal(gale_form_parse(p, S("a=12"), &lim), GALE_OK);
  assert_int_equal(gale_form_parse(p, S("a=123"), &lim), GALE_ELIMIT);
  assert_int_equal(gale_params_count(p), 4);
  gale_params_free(p);
  /* Many fields: linear, all kept in order. */
  size_t n = 200000;
  char *big = malloc(n * 16);
  size_t len = 0;
  for (size_t i = 0; i < n; i++)
    len += (size_t)sprintf(big + len, "%s%zu=%zu", i ? "&" : "", i % 1000, i);
  p = gale_params_new();
  gale_form_limits_init(&lim);
  lim.max_fields = n;
  assert_int_equal(gale_form_parse(p, big, len, &lim), GALE_OK);
  assert_int_equal(gale_params_count(p), n);
  assert_string_equal(gale_params_get_last(p, "999", NULL), "199999");
  lim.max_fields = n - 1;
  assert_int_equal(gale_form_parse(p, big, len, &lim), GALE_ELIMIT);
  assert_int_equal(gale_params_count(p), n);
  free(big);
  gale_params_free(p);
}

static void test_encode_roundtrip(void **state) {
  (void)state;
  gale_params *p = gale_params_new();
  gale_params_add(p, S("q"), S("a b&c=d"));
  gale_params_add(p, S("caf\xc3\xa9"), S("~-._"));
  gale_params_add(p, "bin", 3, "\0\n+", 3);
  gale_params_add(p, S(""), S(""));
  size_t n;
  assert_int_equal(gale_form_encode(p, NULL, 0, &n), GALE_ERANGE);
  const char *want = "q=a+b%26c%3Dd&caf%C3%A9=~-._&bin=%00%0A%2B&=";
  assert_int_equal(n, strlen(want));
  char *buf = malloc(n + 1);
  for (size_t cap = 1; cap <= n; cap++)
    assert_int_equal(gale_form_encode(p, buf, cap, &n), GALE_ERANGE);
  assert_int_equal(gale_form_encode(p, buf, n + 1, &n), GALE_OK);
  assert_string_equal(buf, want);
  gale_params *q = gale_params_new();
  assert_int_equal(gale_form_parse(q, buf, n, NULL), GALE_OK);
  assert_int_equal(gale_params_count(q), 4);
  expect_pair(q, 0, "q", 1, "a b&c=d", 7);
  expect_pair(q, 2, "bin", 3, "\0\n+", 3);
  expect_pair(q, 3, "", 0, "", 0);
  free(buf);
  gale_params_free(q);
  gale_params_clear(p);
  char empty[4];
  assert_int_equal(gale_form_encode(p, empty, sizeof empty, &n), GALE_OK);
  assert_int_equal(n, 0);
  assert_string_equal(empty, "");
  gale_params_free(p);
}

static void test_params_misc(void **state) {
  (void)state;
  gale_params *p = gale_params_new();
  assert_int_equal(gale_params_add(p, NULL, 1, "v", 1), GALE_EINVAL);
  assert_int_equal(gale_params_add(NULL, "n", 1, "v", 1), GALE_EINVAL);
  /* Pointers stay valid while the map grows. */
  gale_params_add(p, S("first"), S("1"));
  const char *v = gale_params_get(p, "first", NULL);
  char name[16];
  for (int i = 0; i < 10000; i++) {
    snprintf(name, sizeof name, "n%d", i);
    assert_int_equal(gale_params_add(p, S(name), S("valuevaluevalue")), GALE_OK);
  }
  assert_ptr_equal(v, gale_params_get(p, "first", NULL));
  assert_string_equal(v, "1");
  gale_params_free(p);
  gale_params_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_basic), cmocka_unit_test(test_bad_escapes),
      cmocka_unit_test(test_limits),      cmocka_unit_test(test_encode_roundtrip),
      cmocka_unit_test(test_params_misc),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
