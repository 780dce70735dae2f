/* SPDX-License-Identifier: MIT */
/* UTF-8 validation (http/util/utf8.c): RFC 3629's boundaries, overlongs,
 * surrogates, past U+10FFFF, truncation, and the incremental form failing
 * at the first bad byte whatever the split (Autobahn's 6.x cases in shape). */
#include <string.h>

#include "harness.h"
#include "http/util/utf8.h"

#define V(s) gale__utf8_valid((const uint8_t *)(s), sizeof(s) - 1)

static void test_valid(void **state) {
  (void)state;
  assert_true(V(""));
  assert_true(V("Hello, world"));
  assert_true(V("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5")); /* κόσμε */
  assert_true(V("\xc2\x80"));                                     /* U+0080 */
  assert_true(V("\xdf\xbf"));                                     /* U+07FF */
  assert_true(V("\xe0\xa0\x80"));                                 /* U+0800 */
  assert_true(V("\xed\x9f\xbf"));                                 /* U+D7FF */
  assert_true(V("\xee\x80\x80"));                                 /* U+E000 */
  assert_true(V("\xef\xbf\xbf"));                                 /* U+FFFF */
  assert_true(V("\xf0\x90\x80\x80"));                             /* U+10000 */
  assert_true(V("\xf4\x8f\xbf\xbf"));                             /* U+10FFFF */
  assert_true(V("0123456789abcdef\xc3\xa9 and more ASCII after it"));
}

static void test_invalid(void **state) {
  (void)state;
  assert_false(V("\x80")); /* lone continuation */
  assert_false(V("\xbf"));
  assert_false(V("\xc0\xaf")); /* overlong '/' */
  assert_false(V("\xc1\xbf"));
  assert_false(V("\xe0\x80\xaf")); /* overlong 3-byte */
  assert_false(V("\xe0\x9f\xbf"));
  assert_false(V("\xf0\x80\x80\xaf")); /* overlong 4-byte */
  assert_false(V("\xf0\x8f\xbf\xbf"));
  assert_false(V("\xed\xa0\x80"));     /* U+D800 */
  assert_false(V("\xed\xbf\xbf"));     /* U+DFFF */
  assert_false(V("\xf4\x90\x80\x80")); /* U+110000 */
  assert_false(V("\xf5\x80\x80\x80"));
  assert_false(V("\xfe"));
  assert_false(V("\xff"));
  assert_false(V("\xc3")); /* truncated */
  assert_false(V("\xe2\x82"));
  assert_false(V("\xf0\x9f\x98"));
  assert_false(V("\xc3\x28")); /* bad continuation */
  assert_false(V("abcdefgh\xe2\x28\xa1"));
}

/* Split at every point: same verdict, and failure at the first bad byte. */
static void test_incremental(void **state) {
  (void)state;
  static const char ok[] = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf0\x9f\x98\x80!";
  size_t n = sizeof ok - 1;
  for (size_t cut = 0; cut <= n; cut++) {
    gale__utf8 u = {0};
    assert_true(gale__utf8_feed(&u, (const uint8_t *)ok, cut));
    assert_true(gale__utf8_feed(&u, (const uint8_t *)ok + cut, n - cut));
    assert_true(gale__utf8_complete(&u));
  }
  /* "κόσμε" then U+D800: the bytes before it are fine on their own, the
   * first bad byte (0xa0 after 0xed) fails the feed that contains it. */
  static const char bad[] = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"
                            "edited";
  size_t bad_at = 12; /* index of 0xa0 */
  for (size_t cut = 0; cut < sizeof bad - 1; cut++) {
    gale__utf8 u = {0};
    bool first = gale__utf8_feed(&u, (const uint8_t *)bad, cut);
    assert_true(first == (cut <= bad_at));
    if (first) assert_false(gale__utf8_feed(&u, (const uint8_t *)bad + cut, sizeof bad - 1 - cut));
  }
  gale__utf8 u = {0};
  assert_true(gale__utf8_feed(&u, (const uint8_t *)"\xf0\x9f", 2));
  assert_false(gale__utf8_complete(&u)); /* mid-character */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid),
      cmocka_unit_test(test_invalid),
      cmocka_unit_test(test_incremental),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
