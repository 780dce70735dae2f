/* SPDX-License-Identifier: MIT */
/* tests/test_xheaders.c — the proxy headers a server with xheaders set
 * believes (http/server/xheaders.c); tests/test_http_server.c runs them
 * through a connection. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "http/server/xheaders.h"

/* The address for the given X-Forwarded-For / X-Real-IP (NULL: absent),
 * each copied to an exact-size buffer so ASan sees an overread; "" when
 * the peer's address is kept. */
static const char *remote(const char *xff, const char *real, char *const *trusted,
                          size_t ntrusted) {
  static char ip[48];
  char *a = NULL, *b = NULL;
  size_t al = xff ? strlen(xff) : 0, bl = real ? strlen(real) : 0;
  if (xff) {
    a = malloc(al ? al : 1);
    memcpy(a, xff, al);
  }
  if (real) {
    b = malloc(bl ? bl : 1);
    memcpy(b, real, bl);
  }
  bool ok = gale__xheaders_remote_ip(a, al, b, bl, trusted, ntrusted, ip, sizeof ip);
  free(a);
  free(b);
  if (!ok) ip[0] = '\0';
  return ip;
}

static void test_forwarded_for(void **state) {
  (void)state;
  assert_string_equal(remote("1.2.3.4", NULL, NULL, 0), "1.2.3.4");
  assert_string_equal(remote("1.2.3.4, 5.6.7.8", NULL, NULL, 0), "5.6.7.8");
  assert_string_equal(remote(" \t2001:db8::1 \t", NULL, NULL, 0), "2001:db8::1");
  /* Trusted proxies are skipped from the right. */
  char *trusted[] = {"10.0.0.1", "10.0.0.2"};
  assert_string_equal(remote("1.2.3.4, 5.6.7.8, 10.0.0.2,10.0.0.1", NULL, trusted, 2), "5.6.7.8");
  /* All trusted: the leftmost is the answer. */
  assert_string_equal(remote("10.0.0.1, 10.0.0.2", NULL, trusted, 2), "10.0.0.1");
  /* An empty or oversize element stops the walk: the peer is kept. */
  assert_string_equal(remote("1.2.3.4, ,10.0.0.1", NULL, trusted, 2), "");
  assert_string_equal(remote("1.2.3.4,", NULL, NULL, 0), "");
  assert_string_equal(
      remote("1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb", NULL, NULL, 0), "");
  assert_string_equal(remote("not-an-ip", NULL, NULL, 0), "");
  assert_string_equal(remote("", NULL, NULL, 0), "");
  assert_string_equal(remote(",,,", NULL, NULL, 0), "");
  /* Only the given bytes count. */
  char ip[48];
  assert_true(gale__xheaders_remote_ip("1.2.3.45", 7, NULL, 0, NULL, 0, ip, sizeof ip));
  assert_string_equal(ip, "1.2.3.4");
  /* A NUL inside is not an address. */
  assert_false(gale__xheaders_remote_ip("1.2.3.4\0x", 9, NULL, 0, NULL, 0, ip, sizeof ip));
}

static void test_real_ip(void **state) {
  (void)state;
  assert_string_equal(remote(NULL, "2001:db8::1", NULL, 0), "2001:db8::1");
  /* X-Real-IP wins over X-Forwarded-For, even when it is not an address. */
  assert_string_equal(remote("1.2.3.4", "5.6.7.8", NULL, 0), "5.6.7.8");
  assert_string_equal(remote("1.2.3.4", "not-an-ip", NULL, 0), "");
  assert_string_equal(remote("1.2.3.4", "", NULL, 0), "");
  assert_string_equal(remote(NULL, " 1.2.3.4", NULL, 0), ""); /* not trimmed */
  /* Oversize: ignored, X-Forwarded-For stands. */
  char big[100];
  memset(big, '1', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  assert_string_equal(remote("1.2.3.4", big, NULL, 0), "1.2.3.4");
}

static void test_protocol(void **state) {
  (void)state;
  assert_string_equal(gale__xheaders_protocol("https", 5), "https");
  assert_string_equal(gale__xheaders_protocol("HTTP", 4), "http");
  assert_string_equal(gale__xheaders_protocol("http, https ", 12), "https");
  assert_string_equal(gale__xheaders_protocol("https,\thttp", 11), "http");
  assert_null(gale__xheaders_protocol("gopher", 6));
  assert_null(gale__xheaders_protocol("https,", 6));
  assert_null(gale__xheaders_protocol("", 0));
  assert_null(gale__xheaders_protocol("httpsx", 5 + 1));
  assert_string_equal(gale__xheaders_protocol("httpsx", 5), "https");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_forwarded_for),
      cmocka_unit_test(test_real_ip),
      cmocka_unit_test(test_protocol),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
