/* SPDX-License-Identifier: MIT */
/* tests/test_url.c — URLs, percent-encoding, path normalization
 * (http/util/url.c). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "gale/url.h"

#define S(x) (x), strlen(x)

static void str_or_null(const char *got, const char *want) {
  if (!want)
    assert_null(got);
  else {
    assert_non_null(got);
    assert_string_equal(got, want);
  }
}

static void test_parse_good(void **state) {
  (void)state;
  static const struct {
    const char *in;
    const char *scheme, *userinfo, *host;
    unsigned port;
    bool explicit_port, v6;
    const char *path, *query, *fragment;
  } cases[] = {
      {"http://example.com", "http", NULL, "example.com", 80, false, false, "/", NULL, NULL},
      {"HTTPS://Example.COM/A/b?X=Y#Frag", "https", NULL, "example.com", 443, false, false, "/A/b",
       "X=Y", "Frag"},
      {"http://user:p%40ss@h:8080/p", "http", "user:p%40ss", "h", 8080, true, false, "/p", NULL,
       NULL},
      {"http://h:/p", "http", NULL, "h", 80, false, false, "/p", NULL, NULL},
      {"http://h:443/", "http", NULL, "h", 443, true, false, "/", NULL, NULL},
      {"https://[::1]/", "https", NULL, "::1", 443, false, true, "/", NULL, NULL},
      {"http://[2001:DB8::a]:8000?q", "http", NULL, "2001:db8::a", 8000, true, true, "/", "q",
       NULL},
      {"http://[::ffff:192.0.2.1]/", "http", NULL, "::ffff:192.0.2.1", 80, false, true, "/", NULL,
       NULL},
      {"http://127.0.0.1:65535/x", "http", NULL, "127.0.0.1", 65535, true, false, "/x", NULL, NULL},
      {"http://h/?", "http", NULL, "h", 80, false, false, "/", "", NULL},
      {"http://h/#", "http", NULL, "h", 80, false, false, "/", NULL, ""},
      {"ws://h/chat", "ws", NULL, "h", 80, false, false, "/chat", NULL, NULL},
      {"wss://h/chat", "wss", NULL, "h", 443, false, false, "/chat", NULL, NULL},
      {"/", NULL, NULL, NULL, 0, false, false, "/", NULL, NULL},
      {"/a/b%20c?x=1&y=%zz#f", NULL, NULL, NULL, 0, false, false, "/a/b%20c", "x=1&y=%zz", "f"},
      {"//evil.com/x", NULL, NULL, NULL, 0, false, false, "//evil.com/x", NULL, NULL},
      {"/caf\xc3\xa9?q=\xc3\xa9", NULL, NULL, NULL, 0, false, false, "/caf\xc3\xa9", "q=\xc3\xa9",
       NULL},
      {"/a:b@c", NULL, NULL, NULL, 0, false, false, "/a:b@c", NULL, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    gale_url *u = NULL;
    int rc = gale_url_parse(S(cases[i].in), &u);
    if (rc != GALE_OK) fail_msg("case %zu (%s): %d", i, cases[i].in, rc);
    str_or_null(u->scheme, cases[i].scheme);
    str_or_null(u->userinfo, cases[i].userinfo);
    str_or_null(u->host, cases[i].host);
    assert_int_equal(u->port, cases[i].port);
    assert_int_equal(u->port_explicit, cases[i].explicit_port);
    assert_int_equal(u->host_is_ipv6, cases[i].v6);
    str_or_null(u->path, cases[i].path);
    str_or_null(u->query, cases[i].query);
    str_or_null(u->fragment, cases[i].fragment);
    gale_url_free(u);
  }
}

static void test_parse_bad(void **state) {
  (void)state;
  static const struct {
    const char *in;
    int rc;
  } cases[] = {
      {"", GALE_EURL},
      {"example.com", GALE_EURL},
      {"a/b", GALE_EURL},
      {"?q", GALE_EURL},
      {"http:/x", GALE_EURL},
      {"http:x", GALE_EURL},
      {"http://", GALE_EURL},
      {"http:///p", GALE_EURL},
      {"http://:80/", GALE_EURL},
      {"http://h:0/", GALE_EURL},
      {"http://h:65536/", GALE_EURL},
      {"http://h:99999999999999999999/", GALE_EURL},
      {"http://h:8o/", GALE_EURL},
      {"http://h:+80/", GALE_EURL},
      {"http://h:-1/", GALE_EURL},
      {"http://h:80:81/", GALE_EURL},
      {"http://h h/", GALE_EURL},
      {"http://h/a b", GALE_EURL},
      {"http://h/a\tb", GALE_EURL},
      {"http://h/a\r\nHost: x", GALE_EURL},
      {"http://h/a\x7f", GALE_EURL},
      {"/a\x01", GALE_EURL},
      {" http://h/", GALE_EURL},
      {"http://h/ ", GALE_EURL},
      {"http://a@b@c/", GALE_EURL},
      {"http://us er@h/", GALE_EURL},
      {"http://u%zz@h/", GALE_EURL},
      {"http://h%2e/", GALE_EURL},
      {"http://h!/", GALE_EURL},
      {"http://caf\xc3\xa9.com/", GALE_EURL},
      {"http://[::1/", GALE_EURL},
      {"http://[::1]x/", GALE_EURL},
      {"http://[::g]/", GALE_EURL},
      {"http://[1.2.3.4]/", GALE_EURL},
      {"http://[fe80::1%25eth0]/", GALE_EURL},
      {"http://[v1.x]/", GALE_EURL},
      {"http://[]/", GALE_EURL},
      {"http://::1/", GALE_EURL},
      {"http://h/%", GALE_EURL},
      {"http://h/%4", GALE_EURL},
      {"http://h/%g0", GALE_EURL},
      {"/%zz", GALE_EURL},
      {"1http://h/", GALE_EURL},
      {"ht tp://h/", GALE_EURL},
      {"ftp://h/", GALE_ENOTSUP},
      {"mailto:a@b", GALE_ENOTSUP},
      {"file:///etc/passwd", GALE_ENOTSUP},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    gale_url *u = (gale_url *)1;
    int rc = gale_url_parse(S(cases[i].in), &u);
    if (rc != cases[i].rc)
      fail_msg("case %zu (%s): got %d want %d", i, cases[i].in, rc, cases[i].rc);
    assert_null(u);
  }
  gale_url *u;
  /* A NUL inside the length. */
  assert_int_equal(gale_url_parse("http://h/\0x", 11, &u), GALE_EURL);
  assert_int_equal(gale_url_parse(NULL, 3, &u), GALE_EURL);
  assert_int_equal(gale_url_parse("/", 1, NULL), GALE_EINVAL);
}

static void test_format(void **state) {
  (void)state;
  char buf[256];
  size_t n;
  gale_url u = {0};
  u.scheme = "http";
  u.host = "example.com";
  u.port = 80;
  u.path = "/a";
  u.query = "b=1";
  assert_int_equal(gale_url_format(&u, buf, sizeof buf, &n), GALE_OK);
  assert_string_equal(buf, "http://example.com/a?b=1");
  assert_int_equal(n, strlen(buf));
  u.port = 8080;
  u.host = "::1";
  u.path = NULL;
  u.query = NULL;
  u.fragment = "top";
  u.userinfo = "me";
  assert_int_equal(gale_url_format(&u, buf, sizeof buf, &n), GALE_OK);
  assert_string_equal(buf, "http://me@[::1]:8080/#top");
  /* Size query and too-small buffer. */
  assert_int_equal(gale_url_format(&u, NULL, 0, &n), GALE_ERANGE);
  assert_int_equal(n, strlen("http://me@[::1]:8080/#top"));
  assert_int_equal(gale_url_format(&u, buf, n, &n), GALE_ERANGE);
  /* Origin form. */
  gale_url o = {0};
  o.path = "/x/y";
  o.query = "";
  assert_int_equal(gale_url_format(&o, buf, sizeof buf, &n), GALE_OK);
  assert_string_equal(buf, "/x/y?");
  /* Structure-changing or injected bytes are refused. */
  const char *bad_paths[] = {"/a b", "/a?b", "/a#b", "x", "//evil.com", "/a\r\n"};
  for (size_t i = 0; i < sizeof bad_paths / sizeof bad_paths[0]; i++) {
    o.path = bad_paths[i];
    assert_int_equal(gale_url_format(&o, buf, sizeof buf, &n), GALE_EURL);
  }
  o.path = "/";
  o.query = "a#b";
  assert_int_equal(gale_url_format(&o, buf, sizeof buf, &n), GALE_EURL);
  gale_url h = {0};
  h.scheme = "http";
  h.host = "a/b";
  assert_int_equal(gale_url_format(&h, buf, sizeof buf, &n), GALE_EURL);
  h.host = "a";
  h.userinfo = "x@y";
  assert_int_equal(gale_url_format(&h, buf, sizeof buf, &n), GALE_EURL);
  h.userinfo = NULL;
  h.scheme = NULL;
  assert_int_equal(gale_url_format(&h, buf, sizeof buf, &n), GALE_EURL);
}

static void test_roundtrip(void **state) {
  (void)state;
  const char *urls[] = {"http://example.com/", "https://u:p@h.example:8443/a/b?c=d&e#f",
                        "http://[2001:db8::1]:81/x", "/just/a/path?q"};
  for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
    gale_url *u;
    assert_int_equal(gale_url_parse(S(urls[i]), &u), GALE_OK);
    char buf[256];
    size_t n;
    assert_int_equal(gale_url_format(u, buf, sizeof buf, &n), GALE_OK);
    assert_string_equal(buf, urls[i]);
    gale_url_free(u);
  }
}

/* RFC 3986 §5.4.1 and §5.4.2, verbatim. */
static void test_resolve_rfc3986(void **state) {
  (void)state;
  const char *base = "http://a/b/c/d;p?q";
  static const char *cases[][2] = {
      {"g:h", "g:h"},
      {"g", "http://a/b/c/g"},
      {"./g", "http://a/b/c/g"},
      {"g/", "http://a/b/c/g/"},
      {"/g", "http://a/g"},
      {"//g", "http://g"},
      {"?y", "http://a/b/c/d;p?y"},
      {"g?y", "http://a/b/c/g?y"},
      {"#s", "http://a/b/c/d;p?q#s"},
      {"g#s", "http://a/b/c/g#s"},
      {"g?y#s", "http://a/b/c/g?y#s"},
      {";x", "http://a/b/c/;x"},
      {"g;x", "http://a/b/c/g;x"},
      {"g;x?y#s", "http://a/b/c/g;x?y#s"},
      {"", "http://a/b/c/d;p?q"},
      {".", "http://a/b/c/"},
      {"./", "http://a/b/c/"},
      {"..", "http://a/b/"},
      {"../", "http://a/b/"},
      {"../g", "http://a/b/g"},
      {"../..", "http://a/"},
      {"../../", "http://a/"},
      {"../../g", "http://a/g"},
      /* abnormal */
      {"../../../g", "http://a/g"},
      {"../../../../g", "http://a/g"},
      {"/./g", "http://a/g"},
      {"/../g", "http://a/g"},
      {"g.", "http://a/b/c/g."},
      {".g", "http://a/b/c/.g"},
      {"g..", "http://a/b/c/g.."},
      {"..g", "http://a/b/c/..g"},
      {"./../g", "http://a/b/g"},
      {"./g/.", "http://a/b/c/g/"},
      {"g/./h", "http://a/b/c/g/h"},
      {"g/../h", "http://a/b/c/h"},
      {"g;x=1/./y", "http://a/b/c/g;x=1/y"},
      {"g;x=1/../y", "http://a/b/c/y"},
      {"g?y/./x", "http://a/b/c/g?y/./x"},
      {"g?y/../x", "http://a/b/c/g?y/../x"},
      {"g#s/./x", "http://a/b/c/g#s/./x"},
      {"g#s/../x", "http://a/b/c/g#s/../x"},
      {"http:g", "http:g"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *out = NULL;
    assert_int_equal(gale_url_resolve(base, cases[i][0], &out), GALE_OK);
    if (strcmp(out, cases[i][1]) != 0)
      fail_msg("ref '%s': got '%s' want '%s'", cases[i][0], out, cases[i][1]);
    free(out);
  }
}

static void test_resolve_more(void **state) {
  (void)state;
  char *out = NULL;
  assert_int_equal(gale_url_resolve("http://h", "x", &out), GALE_OK);
  assert_string_equal(out, "http://h/x");
  free(out);
  assert_int_equal(gale_url_resolve("https://h/a/b#frag", "https://o:1/p/../q", &out), GALE_OK);
  assert_string_equal(out, "https://o:1/q");
  free(out);
  assert_int_equal(gale_url_resolve("/relative", "x", &out), GALE_EURL);
  assert_null(out);
  assert_int_equal(gale_url_resolve("http://h/", "a b", &out), GALE_EURL);
  assert_int_equal(gale_url_resolve("http://h/", "/x\r\nSet-Cookie: a", &out), GALE_EURL);
  assert_int_equal(gale_url_resolve("http://h/", "1a:b", &out), GALE_EURL);
  assert_int_equal(gale_url_resolve(NULL, "x", &out), GALE_EURL);
  /* Linear on long dot-segment chains. */
  size_t n = 300000;
  char *ref = malloc(n + 1);
  for (size_t i = 0; i < n; i += 3) memcpy(ref + i, "../", 3);
  ref[n] = '\0';
  assert_int_equal(gale_url_resolve("http://h/a/b/c", ref, &out), GALE_OK);
  assert_string_equal(out, "http://h/");
  free(out);
  for (size_t i = 0; i < n; i += 3) memcpy(ref + i, "ab/", 3);
  assert_int_equal(gale_url_resolve("http://h/", ref, &out), GALE_OK);
  assert_int_equal(strlen(out), strlen("http://h/") + n);
  free(out);
  free(ref);
}

static void test_percent(void **state) {
  (void)state;
  char out[64];
  size_t n;
  assert_int_equal(gale_percent_decode(S("a%20b%2Fc%2f+d"), 0, out, &n), GALE_OK);
  assert_int_equal(n, 8);
  assert_memory_equal(out, "a b/c/+d", 8);
  assert_int_equal(gale_percent_decode(S("a+b%2B"), GALE_PCT_PLUS_SPACE, out, &n), GALE_OK);
  assert_memory_equal(out, "a b+", 4);
  assert_int_equal(n, 4);
  assert_int_equal(gale_percent_decode(S("%00"), 0, out, &n), GALE_OK);
  assert_int_equal(n, 1);
  assert_int_equal(out[0], 0);
  assert_int_equal(gale_percent_decode(S("%00"), GALE_PCT_NO_NUL, out, &n), GALE_EURL);
  const char *bad[] = {"%", "%4", "%g1", "%1g", "a%", "%%41", "% 1"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(gale_percent_decode(S(bad[i]), 0, out, &n), GALE_EURL);
  /* In place. */
  char inplace[] = "x%41%42y";
  assert_int_equal(gale_percent_decode(S(inplace), 0, inplace, &n), GALE_OK);
  assert_memory_equal(inplace, "xABy", 4);

  assert_int_equal(gale_percent_encode(S("a b/c~d\xff\n"), 0, out, sizeof out, &n), GALE_OK);
  assert_string_equal(out, "a%20b%2Fc~d%FF%0A");
  assert_int_equal(gale_percent_encode(S("a b/c"), GALE_PCT_PLUS_SPACE | GALE_PCT_KEEP_SLASH, out,
                                       sizeof out, &n),
                   GALE_OK);
  assert_string_equal(out, "a+b/c");
  assert_int_equal(gale_percent_encode(S("\xff\xff"), 0, NULL, 0, &n), GALE_ERANGE);
  assert_int_equal(n, 6);
  assert_int_equal(gale_percent_encode(S("\xff\xff"), 0, out, 6, &n), GALE_ERANGE);
  assert_int_equal(gale_percent_encode(S("\xff\xff"), 0, out, 7, &n), GALE_OK);
  /* Round trip of every byte. */
  char all[256], enc[800], dec[256];
  for (int i = 0; i < 256; i++) all[i] = (char)i;
  assert_int_equal(gale_percent_encode(all, 256, 0, enc, sizeof enc, &n), GALE_OK);
  assert_int_equal(gale_percent_decode(enc, n, 0, dec, &n), GALE_OK);
  assert_int_equal(n, 256);
  assert_memory_equal(all, dec, 256);
}

static void test_path_normalize(void **state) {
  (void)state;
  static const struct {
    const char *in;
    int rc;
    const char *out;
  } cases[] = {
      {"/", GALE_OK, ""},
      {"/a/b.txt", GALE_OK, "a/b.txt"},
      {"//a///b/", GALE_OK, "a/b/"},
      {"/./a/./b/.", GALE_OK, "a/b"},
      {"/a%20b/c%2Fd", GALE_OK, "a b/c/d"},
      {"/...", GALE_OK, "..."},
      {"/..a/b..", GALE_OK, "..a/b.."},
      {"/.hidden", GALE_OK, ".hidden"},
      {"/..", GALE_EACCES, NULL},
      {"/../etc/passwd", GALE_EACCES, NULL},
      {"/a/../b", GALE_EACCES, NULL},
      {"/a/..", GALE_EACCES, NULL},
      {"/%2e%2e/etc/passwd", GALE_EACCES, NULL},
      {"/%2E%2e/x", GALE_EACCES, NULL},
      {"/.%2e/x", GALE_EACCES, NULL},
      {"/a%2f..%2fb", GALE_EACCES, NULL},
      {"/a%2F%2E%2E", GALE_EACCES, NULL},
      {"/a%00.txt", GALE_EACCES, NULL},
      {"/a\\..\\b", GALE_EACCES, NULL},
      {"/a%5c..%5cb", GALE_EACCES, NULL},
      {"/a%zz", GALE_EURL, NULL},
      {"/a%2", GALE_EURL, NULL},
      {"a/b", GALE_EURL, NULL},
      {"", GALE_EURL, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char out[64];
    size_t n = 99;
    int rc = gale_url_path_normalize(S(cases[i].in), out, sizeof out, &n);
    if (rc != cases[i].rc) fail_msg("case '%s': got %d want %d", cases[i].in, rc, cases[i].rc);
    if (rc == GALE_OK) {
      assert_string_equal(out, cases[i].out);
      assert_int_equal(n, strlen(cases[i].out));
    }
  }
  char out[64];
  size_t n;
  assert_int_equal(gale_url_path_normalize("/a\0b", 4, out, sizeof out, &n), GALE_EACCES);
  assert_int_equal(gale_url_path_normalize(S("/abc"), out, 4, &n), GALE_ERANGE);
  assert_int_equal(gale_url_path_normalize(S("/abc"), out, 5, &n), GALE_OK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_good),      cmocka_unit_test(test_parse_bad),
      cmocka_unit_test(test_format),          cmocka_unit_test(test_roundtrip),
      cmocka_unit_test(test_resolve_rfc3986), cmocka_unit_test(test_resolve_more),
      cmocka_unit_test(test_percent),         cmocka_unit_test(test_path_normalize),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
