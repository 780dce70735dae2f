/* SPDX-License-Identifier: MIT */
/* tests/test_content_type.c — header parameters (http/util/content_type.c). */
#include <string.h>

#include "harness.h"
#include "gale/content_type.h"

#define S(x) (x), strlen(x)

static void expect(gale_params *p, const char *name, const char *value, size_t vlen) {
  size_t got_len;
  const char *v = gale_params_get(p, name, &got_len);
  if (!v) fail_msg("missing parameter %s", name);
  assert_int_equal(got_len, vlen);
  assert_memory_equal(v, value, vlen);
}

static void test_content_type(void **state) {
  (void)state;
  gale_params *p = gale_params_new();
  char type[64];
  assert_int_equal(
      gale_content_type_parse(S("Multipart/Form-Data ; Boundary=\"a b;c\\\"d\"; charset=UTF-8 ;"),
                              type, sizeof type, p),
      GALE_OK);
  assert_string_equal(type, "multipart/form-data");
  expect(p, "boundary", "a b;c\"d", 7);
  expect(p, "charset", "UTF-8", 5);
  assert_int_equal(gale_params_count(p), 2);
  gale_params_clear(p);
  assert_int_equal(gale_content_type_parse(S("text/html"), type, sizeof type, p), GALE_OK);
  assert_string_equal(type, "text/html");
  assert_int_equal(gale_params_count(p), 0);
  assert_int_equal(gale_content_type_parse(S("  text/plain;;  ;a=1  "), type, sizeof type, p),
                   GALE_OK);
  expect(p, "a", "1", 1);
  /* A boundary of token-ish characters without quotes (real clients send
   * '=' inside). */
  gale_params_clear(p);
  assert_int_equal(gale_content_type_parse(S("multipart/form-data; boundary=----=_Part_1/x:y"),
                                           type, sizeof type, p),
                   GALE_OK);
  expect(p, "boundary", "----=_Part_1/x:y", 16);
  assert_int_equal(gale_content_type_parse(S("text/html"), type, 9, NULL), GALE_ERANGE);
  assert_int_equal(gale_content_type_parse(S("text/html"), type, 10, NULL), GALE_OK);
  gale_params_free(p);
}

static void test_malformed(void **state) {
  (void)state;
  static const char *bad[] = {
      "",
      "text",
      "text/",
      "/html",
      "te xt/html",
      "text/html; charset",
      "text/html; =utf-8",
      "text/html; charset=\"utf-8",
      "text/html; charset=\"utf-8\\",
      "text/html; charset=\"utf-8\" x",
      "text/html; charset=utf 8",
      "text/html; charset=u\"tf",
      "text/html; ch(arset=utf-8",
      "text/html; charset=\"a\x01\"",
      "text/html; charset=a\x7f",
      "text/html\r\n; charset=a",
      "text/\"html\"",
  };
  gale_params *p = gale_params_new();
  gale_params_add(p, S("keep"), S("1"));
  char type[64];
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int rc = gale_content_type_parse(S(bad[i]), type, sizeof type, p);
    if (rc != GALE_EHTTP_PARSE) fail_msg("'%s': %d", bad[i], rc);
    assert_int_equal(gale_params_count(p), 1);
    /* Validation only (params NULL) agrees. */
    assert_int_equal(gale_content_type_parse(S(bad[i]), type, sizeof type, NULL), GALE_EHTTP_PARSE);
  }
  gale_params_free(p);
}

static void test_disposition(void **state) {
  (void)state;
  gale_params *p = gale_params_new();
  const char *first;
  size_t flen;
  assert_int_equal(gale_header_params_parse(S("form-data; name=\"file\"; filename=\"a\\\\b.txt\"; "
                                              "FILENAME*=UTF-8''na%C3%AFve%20file.txt"),
                                            &first, &flen, p),
                   GALE_OK);
  assert_int_equal(flen, 9);
  assert_memory_equal(first, "form-data", 9);
  expect(p, "name", "file", 4);
  expect(p, "filename", "a\\b.txt", 7);
  expect(p, "filename*", "na\xc3\xafve file.txt", 15);
  gale_params_clear(p);
  assert_int_equal(gale_header_params_parse(S("attachment; filename*=utf-8'en'"
                                              "%e2%82%ac.txt"),
                                            &first, &flen, p),
                   GALE_OK);
  expect(p, "filename*", "\xe2\x82\xac.txt", 7);
  const char *bad_ext[] = {
      "a; filename*=UTF-8%C3",   "a; filename*=koi8-r''x", "a; filename*=UTF-8'x",
      "a; filename*=UTF-8''%zz", "a; filename*=UTF-8''%C",
  };
  for (size_t i = 0; i < sizeof bad_ext / sizeof bad_ext[0]; i++)
    assert_int_equal(gale_header_params_parse(S(bad_ext[i]), &first, &flen, p), GALE_EHTTP_PARSE);
  /* Empty value, first element only. */
  assert_int_equal(gale_header_params_parse("", 0, &first, &flen, NULL), GALE_OK);
  assert_int_equal(flen, 0);
  gale_params_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_content_type),
      cmocka_unit_test(test_malformed),
      cmocka_unit_test(test_disposition),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
