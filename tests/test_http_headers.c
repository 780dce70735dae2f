/* SPDX-License-Identifier: MIT */
/* tests/test_http_headers.c — gale_headers (http/util/headers.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "gale/headers.h"

static void test_add_get_case_insensitive(void **state) {
  (void)state;
  gale_headers *h = gale_headers_new();
  assert_non_null(h);
  assert_int_equal(gale_headers_add(h, "Content-Type", "text/html"), GALE_OK);
  assert_int_equal(gale_headers_add(h, "X-Dup", "a"), GALE_OK);
  assert_int_equal(gale_headers_add(h, "x-dup", "b"), GALE_OK);
  assert_string_equal(gale_headers_get(h, "content-type"), "text/html");
  assert_string_equal(gale_headers_get(h, "CONTENT-TYPE"), "text/html");
  assert_string_equal(gale_headers_get(h, "X-DUP"), "a");
  assert_null(gale_headers_get(h, "Content-Length"));
  assert_null(gale_headers_get(h, "Content-Typ"));
  assert_int_equal(gale_headers_count(h), 3);
  assert_int_equal(gale_headers_count_name(h, "x-Dup"), 2);
  size_t vl = 0;
  assert_string_equal(gale_headers_get_n(h, "x-dupXXX", 5, &vl), "a");
  assert_int_equal(vl, 1);

  /* Order and case kept. */
  const char *n, *v;
  size_t nl;
  assert_int_equal(gale_headers_at(h, 2, &n, &nl, &v, &vl), GALE_OK);
  assert_string_equal(n, "x-dup");
  assert_string_equal(v, "b");
  assert_int_equal(gale_headers_at(h, 3, &n, &nl, &v, &vl), GALE_ERANGE);

  size_t cur = 0;
  assert_string_equal(gale_headers_next(h, "x-dup", &cur, NULL), "a");
  assert_string_equal(gale_headers_next(h, "x-dup", &cur, NULL), "b");
  assert_null(gale_headers_next(h, "x-dup", &cur, NULL));
  gale_headers_free(h);
}

static void test_trim_and_empty(void **state) {
  (void)state;
  gale_headers *h = gale_headers_new();
  assert_int_equal(gale_headers_add(h, "A", " \t value with  inner \t "), GALE_OK);
  assert_string_equal(gale_headers_get(h, "a"), "value with  inner");
  assert_int_equal(gale_headers_add(h, "Empty", ""), GALE_OK);
  assert_int_equal(gale_headers_add(h, "Blank", "   "), GALE_OK);
  assert_int_equal(gale_headers_add(h, "Null", NULL), GALE_OK);
  assert_string_equal(gale_headers_get(h, "empty"), "");
  assert_string_equal(gale_headers_get(h, "blank"), "");
  assert_string_equal(gale_headers_get(h, "null"), "");
  /* obs-text allowed */
  assert_int_equal(gale_headers_add(h, "U", "caf\xc3\xa9"), GALE_OK);
  gale_headers_free(h);
}

static void test_injection_refused(void **state) {
  (void)state;
  static const struct {
    const char *name;
    const char *value;
    size_t vlen; /* 0: strlen */
  } bad[] = {
      {"X", "a\r\nSet-Cookie: evil=1", 0},
      {"X", "a\nb", 0},
      {"X", "a\rb", 0},
      {"X", "a\0b", 3},
      {"X", "a\x01", 0},
      {"X", "a\x7f", 0},
      {"X", "\x0b", 0},
      {"X\r\nY", "v", 0},
      {"X Y", "v", 0},
      {"X:", "v", 0},
      {"", "v", 0},
      {" X", "v", 0},
      {"X\t", "v", 0},
      {"(X)", "v", 0},
      {"X\"", "v", 0},
      {"caf\xc3\xa9", "v", 0},
  };
  gale_headers *h = gale_headers_new();
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    size_t vlen = bad[i].vlen ? bad[i].vlen : strlen(bad[i].value);
    assert_int_equal(gale_headers_add_n(h, bad[i].name, strlen(bad[i].name), bad[i].value, vlen),
                     GALE_EINVAL);
    assert_int_equal(gale_headers_set_n(h, bad[i].name, strlen(bad[i].name), bad[i].value, vlen),
                     GALE_EINVAL);
  }
  assert_int_equal(gale_headers_add(h, NULL, "v"), GALE_EINVAL);
  assert_int_equal(gale_headers_add_n(h, "X", 1, NULL, 3), GALE_EINVAL);
  /* A NUL inside the given name length. */
  assert_int_equal(gale_headers_add_n(h, "X\0Y", 3, "v", 1), GALE_EINVAL);
  assert_int_equal(gale_headers_count(h), 0);
  assert_int_equal(gale_headers_wire_size(h), 0);
  assert_true(gale_http_is_token("!#$%&'*+-.^_`|~09azAZ", 21));
  assert_false(gale_http_is_token("", 0));
  assert_true(gale_http_is_field_value("", 0));
  gale_headers_free(h);
}

static void test_set_remove(void **state) {
  (void)state;
  gale_headers *h = gale_headers_new();
  gale_headers_add(h, "A", "1");
  gale_headers_add(h, "B", "2");
  gale_headers_add(h, "a", "3");
  gale_headers_add(h, "C", "4");
  gale_headers_add(h, "A", "5");
  assert_int_equal(gale_headers_set(h, "A", "x"), GALE_OK);
  assert_int_equal(gale_headers_count(h), 3);
  const char *n, *v;
  gale_headers_at(h, 0, &n, NULL, &v, NULL);
  assert_string_equal(n, "A");
  assert_string_equal(v, "x");
  gale_headers_at(h, 1, &n, NULL, &v, NULL);
  assert_string_equal(n, "B");
  gale_headers_at(h, 2, &n, NULL, &v, NULL);
  assert_string_equal(n, "C");
  assert_int_equal(gale_headers_set(h, "D", "new"), GALE_OK);
  gale_headers_at(h, 3, &n, NULL, &v, NULL);
  assert_string_equal(v, "new");
  assert_int_equal(gale_headers_remove(h, "b"), 1);
  assert_int_equal(gale_headers_remove(h, "b"), 0);
  assert_int_equal(gale_headers_count(h), 3);
  assert_int_equal(gale_headers_wire_size(h), (1 + 2 + 1 + 2) + (1 + 2 + 1 + 2) + (1 + 2 + 3 + 2));
  gale_headers_free(h);
}

static void test_combined(void **state) {
  (void)state;
  gale_headers *h = gale_headers_new();
  gale_headers_add(h, "Accept", "text/html");
  gale_headers_add(h, "X", "y");
  gale_headers_add(h, "accept", "application/json");
  size_t len = 0;
  assert_int_equal(gale_headers_get_combined(h, "ACCEPT", NULL, 0, &len), GALE_ERANGE);
  assert_int_equal(len, strlen("text/html, application/json"));
  char buf[64];
  assert_int_equal(gale_headers_get_combined(h, "accept", buf, len, &len), GALE_ERANGE);
  assert_int_equal(gale_headers_get_combined(h, "accept", buf, sizeof buf, &len), GALE_OK);
  assert_string_equal(buf, "text/html, application/json");
  assert_int_equal(gale_headers_get_combined(h, "nope", buf, sizeof buf, &len), GALE_ENOENT);
  gale_headers_free(h);
}

static void test_serialize_copy_clear(void **state) {
  (void)state;
  gale_headers *h = gale_headers_new();
  gale_headers_add(h, "Host", "example.com");
  gale_headers_add(h, "Set-Cookie", "a=1");
  gale_headers_add(h, "Set-Cookie", "b=2");
  size_t len;
  assert_int_equal(gale_headers_serialize(h, NULL, 0, &len), GALE_ERANGE);
  const char *want = "Host: example.com\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n";
  assert_int_equal(len, strlen(want));
  assert_int_equal(gale_headers_wire_size(h), strlen(want));
  char buf[128];
  assert_int_equal(gale_headers_serialize(h, buf, sizeof buf, &len), GALE_OK);
  assert_memory_equal(buf, want, len);

  gale_headers *c = gale_headers_copy(h);
  assert_non_null(c);
  gale_headers_clear(h);
  assert_int_equal(gale_headers_count(h), 0);
  assert_int_equal(gale_headers_wire_size(h), 0);
  assert_null(gale_headers_get(h, "host"));
  assert_int_equal(gale_headers_serialize(c, buf, sizeof buf, &len), GALE_OK);
  assert_memory_equal(buf, want, len);
  /* Reuse after clear. */
  assert_int_equal(gale_headers_add(h, "K", "v"), GALE_OK);
  assert_string_equal(gale_headers_get(h, "k"), "v");
  gale_headers_free(c);
  gale_headers_free(h);
}

/* Many fields and long values: growth of the entry array and of the text
 * blocks keeps earlier pointers valid; linear behaviour with 100k fields. */
static void test_growth_and_stability(void **state) {
  (void)state;
  gale_headers *h = gale_headers_new();
  gale_headers_add(h, "First", "one");
  const char *first = gale_headers_get(h, "first");
  char name[32], value[64];
  for (int i = 0; i < 100000; i++) {
    snprintf(name, sizeof name, "X-H%d", i);
    snprintf(value, sizeof value, "value-%d", i);
    assert_int_equal(gale_headers_add(h, name, value), GALE_OK);
  }
  char *big = malloc(100000);
  memset(big, 'v', 99999);
  big[99999] = '\0';
  assert_int_equal(gale_headers_add(h, "Big", big), GALE_OK);
  assert_string_equal(first, "one");
  assert_ptr_equal(first, gale_headers_get(h, "FIRST"));
  assert_string_equal(gale_headers_get(h, "x-h99999"), "value-99999");
  assert_string_equal(gale_headers_get(h, "big"), big);
  assert_int_equal(gale_headers_count(h), 100002);
  /* One remove pass over many matching fields is linear. */
  for (int i = 0; i < 50000; i++) gale_headers_add(h, "Rep", "r");
  assert_int_equal(gale_headers_remove(h, "rep"), 50000);
  gale_headers_clear(h);
  assert_int_equal(gale_headers_count(h), 0);
  free(big);
  gale_headers_free(h);
}

static void test_ascii_eq(void **state) {
  (void)state;
  assert_true(gale_ascii_eq("AbC", 3, "aBc", 3));
  assert_false(gale_ascii_eq("AbC", 3, "aBd", 3));
  assert_false(gale_ascii_eq("ab", 2, "abc", 3));
  assert_true(gale_ascii_eq_cstr("Keep-Alive", 10, "keep-alive"));
  assert_false(gale_ascii_eq_cstr("Keep-Alive", 10, NULL));
  /* No locale folding of non-ASCII, and '@' vs '`' are not letters. */
  assert_false(gale_ascii_eq("\xc9", 1, "\xe9", 1));
  assert_false(gale_ascii_eq("@", 1, "`", 1));
  assert_false(gale_ascii_eq("[", 1, "{", 1));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_add_get_case_insensitive),
      cmocka_unit_test(test_trim_and_empty),
      cmocka_unit_test(test_injection_refused),
      cmocka_unit_test(test_set_remove),
      cmocka_unit_test(test_combined),
      cmocka_unit_test(test_serialize_copy_clear),
      cmocka_unit_test(test_growth_and_stability),
      cmocka_unit_test(test_ascii_eq),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
