/* SPDX-License-Identifier: MIT */
/* tests/test_cookie.c — Cookie parsing and Set-Cookie formatting
 * (http/util/cookie.c). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "gale/cookie.h"

#define S(x) (x), strlen(x)

static void test_parse(void **state) {
  (void)state;
  gale_params *p = gale_params_new();
  assert_int_equal(
      gale_cookie_parse(p, S(" a=1; b = \"quoted v\" ;c=;noeq; =noname;d=x=y; a=2;;  "), NULL),
      GALE_OK);
  assert_int_equal(gale_params_count(p), 5);
  const char *n, *v;
  size_t nl, vl;
  gale_params_at(p, 0, &n, &nl, &v, &vl);
  assert_string_equal(n, "a");
  assert_string_equal(v, "1");
  gale_params_at(p, 1, &n, &nl, &v, &vl);
  assert_string_equal(n, "b");
  assert_string_equal(v, "quoted v");
  gale_params_at(p, 2, &n, &nl, &v, &vl);
  assert_string_equal(n, "c");
  assert_int_equal(vl, 0);
  gale_params_at(p, 3, &n, &nl, &v, &vl);
  assert_string_equal(n, "d");
  assert_string_equal(v, "x=y");
  assert_string_equal(gale_params_get(p, "a", NULL), "1");
  assert_string_equal(gale_params_get_last(p, "a", NULL), "2");
  /* Not percent-decoded; a lone quote stays. */
  gale_params_clear(p);
  assert_int_equal(gale_cookie_parse(p, S("x=%41; y=\"; z=\"\""), NULL), GALE_OK);
  assert_string_equal(gale_params_get(p, "x", NULL), "%41");
  assert_string_equal(gale_params_get(p, "y", NULL), "\"");
  assert_string_equal(gale_params_get(p, "z", NULL), "");
  /* Pairs with control bytes are skipped, the rest kept. */
  gale_params_clear(p);
  assert_int_equal(gale_cookie_parse(p, "a=1; b=\x01; c\x7f=2; d=\0; e=5",
                                     sizeof("a=1; b=\x01; c\x7f=2; d=\0; e=5") - 1, NULL),
                   GALE_OK);
  assert_int_equal(gale_params_count(p), 2);
  assert_string_equal(gale_params_get(p, "e", NULL), "5");
  gale_params_clear(p);
  assert_int_equal(gale_cookie_parse(p, "", 0, NULL), GALE_OK);
  assert_int_equal(gale_cookie_parse(p, S(";;;"), NULL), GALE_OK);
  assert_int_equal(gale_params_count(p), 0);
  gale_params_free(p);
}

static void test_parse_limits(void **state) {
  (void)state;
  gale_params *p = gale_params_new();
  gale_form_limits lim;
  gale_form_limits_init(&lim);
  lim.max_fields = 2;
  assert_int_equal(gale_cookie_parse(p, S("a=1; junk; b=2"), &lim), GALE_OK);
  assert_int_equal(gale_cookie_parse(p, S("a=1; b=2; c=3"), &lim), GALE_ELIMIT);
  assert_int_equal(gale_params_count(p), 2);
  lim.max_length = 5;
  assert_int_equal(gale_cookie_parse(p, S("a=123"), &lim), GALE_OK);
  assert_int_equal(gale_cookie_parse(p, S("a=1234"), &lim), GALE_ELIMIT);
  gale_params_free(p);
  /* 100k cookies in one header: linear. */
  size_t n = 100000;
  char *big = malloc(n * 6 + 1);
  for (size_t i = 0; i < n; i++) memcpy(big + i * 6, "ab=cd;", 6);
  p = gale_params_new();
  gale_form_limits_init(&lim);
  lim.max_fields = n;
  assert_int_equal(gale_cookie_parse(p, big, n * 6, &lim), GALE_OK);
  assert_int_equal(gale_params_count(p), n);
  free(big);
  gale_params_free(p);
}

static void test_format(void **state) {
  (void)state;
  char buf[256];
  size_t n;
  assert_int_equal(gale_cookie_format("sid", "abc", NULL, buf, sizeof buf, &n), GALE_OK);
  assert_string_equal(buf, "sid=abc");
  assert_int_equal(n, 7);
  gale_cookie_opts o;
  gale_cookie_opts_init(&o);
  o.path = "/";
  o.domain = "example.com";
  o.has_max_age = true;
  o.max_age = 3600;
  o.expires = 784111777;
  o.secure = true;
  o.http_only = true;
  o.same_site = GALE_SAMESITE_STRICT;
  assert_int_equal(gale_cookie_format("sid", "\"v\"", &o, buf, sizeof buf, &n), GALE_OK);
  assert_string_equal(buf, "sid=\"v\"; Expires=Sun, 06 Nov 1994 08:49:37 GMT; "
                           "Max-Age=3600; Domain=example.com; Path=/; Secure; "
                           "HttpOnly; SameSite=Strict");
  size_t full = n;
  assert_int_equal(gale_cookie_format("sid", "\"v\"", &o, NULL, 0, &n), GALE_ERANGE);
  assert_int_equal(n, full);
  assert_int_equal(gale_cookie_format("sid", "\"v\"", &o, buf, full, &n), GALE_ERANGE);
  gale_cookie_opts_init(&o);
  o.has_max_age = true;
  o.max_age = -5;
  o.same_site = GALE_SAMESITE_LAX;
  assert_int_equal(gale_cookie_format("a", "", &o, buf, sizeof buf, &n), GALE_OK);
  assert_string_equal(buf, "a=; Max-Age=0; SameSite=Lax");
  o.same_site = GALE_SAMESITE_NONE;
  assert_int_equal(gale_cookie_format("a", "b", &o, buf, sizeof buf, &n), GALE_EINVAL);
  o.secure = true;
  assert_int_equal(gale_cookie_format("a", "b", &o, buf, sizeof buf, &n), GALE_OK);
  assert_string_equal(buf, "a=b; Max-Age=0; Secure; SameSite=None");
}

static void test_format_refuses_injection(void **state) {
  (void)state;
  char buf[256];
  size_t n;
  static const char *bad_names[] = {"",          "a b", "a;b", "a=b",
                                    "a\r\nX: y", "a\"", "a,b", "caf\xc3\xa9"};
  for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++)
    assert_int_equal(gale_cookie_format(bad_names[i], "v", NULL, buf, sizeof buf, &n), GALE_EINVAL);
  static const char *bad_values[] = {"a b", "a;b",   "a,b",   "a\\b",        "a\"b", "\"",
                                     "\"a", "a\r\n", "a\x7f", "caf\xc3\xa9", "\t"};
  for (size_t i = 0; i < sizeof bad_values / sizeof bad_values[0]; i++)
    assert_int_equal(gale_cookie_format("n", bad_values[i], NULL, buf, sizeof buf, &n),
                     GALE_EINVAL);
  gale_cookie_opts o;
  gale_cookie_opts_init(&o);
  o.path = "/a; Domain=evil.com";
  assert_int_equal(gale_cookie_format("n", "v", &o, buf, sizeof buf, &n), GALE_EINVAL);
  o.path = "/a\r\nX: y";
  assert_int_equal(gale_cookie_format("n", "v", &o, buf, sizeof buf, &n), GALE_EINVAL);
  o.path = NULL;
  o.domain = "";
  assert_int_equal(gale_cookie_format("n", "v", &o, buf, sizeof buf, &n), GALE_EINVAL);
  o.domain = NULL;
  o.same_site = (gale_cookie_samesite)7;
  assert_int_equal(gale_cookie_format("n", "v", &o, buf, sizeof buf, &n), GALE_EINVAL);
  assert_int_equal(gale_cookie_format(NULL, "v", NULL, buf, sizeof buf, &n), GALE_EINVAL);
  assert_true(gale_cookie_value_valid(S("!#$%&'()*+-./09:<=>?@AZ[]^_`az{|}~")));
  assert_true(gale_cookie_value_valid("", 0));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse),
      cmocka_unit_test(test_parse_limits),
      cmocka_unit_test(test_format),
      cmocka_unit_test(test_format_refuses_injection),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
