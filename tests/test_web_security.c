/* SPDX-License-Identifier: MIT */
/* The web layer's cookies: plain cookies, signed values and XSRF, run
 * plainly and with the application's `user` set.  The app:
 * test_web_app.h. */
#include "test_web_app.h"

static void test_cookies(void **state) {
  (void)state;
  gale_web_app_options o;
  gale_web_app_options_init(&o);
  o.cookie_secret = "a very secret secret";
  wfix f;
  wstart(&f, &o);
  tresp r;
  wfix_fetch(&f, "GET /cookie HTTP/1.1\r\nHost: h\r\nCookie: a=1; c=\"two\"\r\n\r\n", &r);
  assert_string_equal(r.body, "c=two");
  assert_non_null(strstr(r.head, "Set-Cookie: n=v; "));
  assert_non_null(strstr(r.head, "Path=/p"));
  assert_non_null(strstr(r.head, "HttpOnly"));
  char *sc = strstr(r.head, "Set-Cookie: user=");
  assert_non_null(sc);
  sc += strlen("Set-Cookie: ");
  char cookie[512];
  size_t n = strcspn(sc, ";\r");
  memcpy(cookie, sc, n);
  cookie[n] = '\0';
  tresp_free(&r);
  char raw[1024];
  snprintf(raw, sizeof(raw), "GET /signed HTTP/1.1\r\nHost: h\r\nCookie: %s\r\n\r\n", cookie);
  wfix_fetch(&f, raw, &r);
  assert_string_equal(r.body, "user=alice");
  tresp_free(&r);
  /* Tampered value. */
  char *val = strstr(cookie, "YWxpY2U=");
  assert_non_null(val);
  val[0] = 'Z';
  snprintf(raw, sizeof(raw), "GET /signed HTTP/1.1\r\nHost: h\r\nCookie: %s\r\n\r\n", cookie);
  wfix_fetch(&f, raw, &r);
  assert_string_equal(r.body, "user=(none)");
  tresp_free(&r);
  wfix_stop(&f);
}

static void test_signed_value(void **state) {
  (void)state;
  time_t now = 1700000000;
  char *s = gale_web_signed_value_create("k", "name", "v|al:ue", now);
  assert_non_null(s);
  assert_memory_equal(s, "2|1:0|10:1700000000|4:name|", 27);
  char *v = gale_web_signed_value_decode("k", "name", s, 31, now + 10);
  assert_string_equal(v, "v|al:ue");
  free(v);
  assert_null(gale_web_signed_value_decode("other", "name", s, 31, now));          /* secret */
  assert_null(gale_web_signed_value_decode("k", "nom", s, 31, now));               /* name */
  assert_null(gale_web_signed_value_decode("k", "name", s, 31, now + 40 * 86400)); /* expired */
  assert_null(gale_web_signed_value_decode("k", "name", s, 31, now - 40 * 86400)); /* future */
  assert_null(gale_web_signed_value_decode("k", "name", "2|garbage", 31, now));
  assert_null(gale_web_signed_value_decode("k", "name", "", 31, now));
  size_t len = strlen(s);
  for (size_t i = 0; i < len; i++) { /* every single-byte change is caught */
    char saved = s[i];
    s[i] = saved == 'a' ? 'b' : 'a';
    char *d = gale_web_signed_value_decode("k", "name", s, 31, now);
    assert_null(d);
    s[i] = saved;
  }
  free(s);
}

/* Tornado's key rotation: sign with key_version's secret, verify with the
 * version each cookie names. */
static void test_cookie_key_rotation(void **state) {
  (void)state;
  time_t now = 1700000000;
  const gale_web_cookie_key keys[] = {{1, "old secret"}, {12, "new secret"}};
  char *old = gale_web_signed_value_create_key("old secret", 1, "user", "bob", now);
  assert_memory_equal(old, "2|1:1|10:1700000000|4:user|", 27);
  char *v = gale_web_signed_value_decode_keys(keys, 2, "user", old, 31, now);
  assert_string_equal(v, "bob");
  free(v);
  char *cur = gale_web_signed_value_create_key("new secret", 12, "user", "bob", now);
  assert_memory_equal(cur, "2|2:12|", 7);
  v = gale_web_signed_value_decode_keys(keys, 2, "user", cur, 31, now);
  assert_string_equal(v, "bob");
  free(v);
  /* Version 12's value under version 1's key, and a retired version. */
  assert_null(gale_web_signed_value_decode_keys(keys, 1, "user", cur, 31, now));
  char *lied = gale_web_signed_value_create_key("old secret", 12, "user", "bob", now);
  assert_null(gale_web_signed_value_decode_keys(keys, 2, "user", lied, 31, now));
  free(lied);
  /* A single secret ignores the version, as Tornado's plain secret. */
  v = gale_web_signed_value_decode("old secret", "user", old, 31, now);
  assert_string_equal(v, "bob");
  free(v);
  free(cur);

  /* The app signs with key_version and reads cookies of every version. */
  gale_web_app_options o;
  gale_web_app_options_init(&o);
  o.cookie_secrets = keys;
  o.ncookie_secrets = 2;
  o.key_version = 12;
  wfix f;
  wstart(&f, &o);
  tresp r;
  wfix_get(&f, "/cookie", NULL, &r);
  const char *set = strstr(r.head, "Set-Cookie: user=");
  assert_non_null(set);
  set += strlen("Set-Cookie: user=");
  if (*set == '"') set++;
  assert_memory_equal(set, "2|2:12|", 7);
  tresp_free(&r);
  char *now_old = gale_web_signed_value_create_key("old secret", 1, "user", "carol", time(NULL));
  char raw[1024];
  snprintf(raw, sizeof(raw), "GET /signed HTTP/1.1\r\nHost: h\r\nCookie: user=%s\r\n\r\n", now_old);
  wfix_fetch(&f, raw, &r);
  assert_string_equal(r.body, "user=carol");
  tresp_free(&r);
  free(now_old);
  wfix_stop(&f);
  free(old);

  /* A key_version with no key is refused. */
  o.key_version = 3;
  assert_null(gale_web_app_new(&o));
}

static void test_xsrf(void **state) {
  (void)state;
  gale_web_app_options o;
  gale_web_app_options_init(&o);
  o.xsrf_cookies = true;
  wfix f;
  wstart(&f, &o);
  tresp r;
  wfix_get(&f, "/xsrf", NULL, &r);
  char *sc = strstr(r.head, "Set-Cookie: _xsrf=");
  assert_non_null(sc);
  sc += strlen("Set-Cookie: _xsrf=");
  char cookie[128];
  size_t n = strcspn(sc, ";\r");
  memcpy(cookie, sc, n);
  cookie[n] = '\0';
  tresp_free(&r);
  char raw[1024];
  /* Missing token. */
  snprintf(raw, sizeof(raw),
           "POST /xsrf HTTP/1.1\r\nHost: h\r\nCookie: _xsrf=%s\r\nContent-Length: 0\r\n\r\n",
           cookie);
  wfix_fetch(&f, raw, &r);
  assert_int_equal(r.status, 403);
  tresp_free(&r);
  /* A token masked differently (fresh GET with the cookie) matches. */
  snprintf(raw, sizeof(raw), "GET /xsrf HTTP/1.1\r\nHost: h\r\nCookie: _xsrf=%s\r\n\r\n", cookie);
  wfix_fetch(&f, raw, &r);
  char token[128];
  snprintf(token, sizeof(token), "%s", r.body);
  assert_null(strstr(r.head, "Set-Cookie"));
  assert_string_not_equal(token, cookie);
  tresp_free(&r);
  snprintf(raw, sizeof(raw),
           "POST /xsrf HTTP/1.1\r\nHost: h\r\nCookie: _xsrf=%s\r\nX-XSRFToken: "
           "%s\r\nContent-Length: 0\r\n\r\n",
           cookie, token);
  wfix_fetch(&f, raw, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "posted");
  tresp_free(&r);
  /* As a form field. */
  char body[256];
  int bl = snprintf(body, sizeof(body), "_xsrf=%s", token);
  for (char *p = body; *p; p++)
    if (*p == '|') {
      memmove(p + 3, p + 1, strlen(p + 1) + 1);
      memcpy(p, "%7C", 3);
      bl += 2;
    }
  snprintf(raw, sizeof(raw),
           "POST /xsrf HTTP/1.1\r\nHost: h\r\nCookie: _xsrf=%s\r\nContent-Type: "
           "application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s",
           cookie, bl, body);
  wfix_fetch(&f, raw, &r);
  assert_int_equal(r.status, 200);
  tresp_free(&r);
  /* A token of another client. */
  snprintf(raw, sizeof(raw),
           "POST /xsrf HTTP/1.1\r\nHost: h\r\nCookie: "
           "_xsrf=2|00000000|0123456789abcdef0123456789abcdef|1\r\nX-XSRFToken: "
           "%s\r\nContent-Length: 0\r\n\r\n",
           token);
  wfix_fetch(&f, raw, &r);
  assert_int_equal(r.status, 403);
  tresp_free(&r);
  wfix_stop(&f);
}

#define WEB_TESTS                                                      \
  cmocka_unit_test(test_cookies), cmocka_unit_test(test_signed_value), \
      cmocka_unit_test(test_cookie_key_rotation), cmocka_unit_test(test_xsrf)

int main(void) {
  const struct CMUnitTest tests[] = {WEB_TESTS};
  /* The same again with the application's `user` set on each request. */
  int failed = cmocka_run_group_tests_name("plain", tests, web_plain_setup, NULL);
  failed += cmocka_run_group_tests_name("user", tests, web_user_setup, web_user_teardown);
  return failed;
}
