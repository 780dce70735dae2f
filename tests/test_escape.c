/* SPDX-License-Identifier: MIT */
/* tornado.escape's functions (gale/escape.h): xhtml_escape, url_escape,
 * squeeze and linkify, including their edges (empty input, trailing
 * punctuation, parentheses, a buffer past its max). */
#include <string.h>

#include "harness.h"
#include "gale/error.h"
#include "gale/escape.h"

typedef int (*fn3)(gale_buf *, const char *, size_t);

static void expect(fn3 fn, const char *in, const char *want) {
  gale_buf b;
  gale_buf_init(&b, 0);
  assert_int_equal(fn(&b, in, strlen(in)), GALE_OK);
  assert_string_equal(b.data ? b.data : "", want);
  gale_buf_release(&b);
}

static void test_xhtml(void **state) {
  (void)state;
  expect(gale_xhtml_escape, "", "");
  expect(gale_xhtml_escape, "plain", "plain");
  expect(gale_xhtml_escape, "<a href=\"x\">'&'</a>",
         "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  expect(gale_xhtml_escape, "caf\xc3\xa9", "caf\xc3\xa9");
}

static int url_plus(gale_buf *b, const char *s, size_t n) { return gale_url_escape(b, s, n, true); }
static int url_pct(gale_buf *b, const char *s, size_t n) { return gale_url_escape(b, s, n, false); }

static void test_url(void **state) {
  (void)state;
  expect(url_plus, "a b&c=d/é", "a+b%26c%3Dd%2F%C3%A9");
  expect(url_pct, "a b", "a%20b");
  expect(url_plus, "-._~", "-._~");
}

static void test_squeeze(void **state) {
  (void)state;
  expect(gale_squeeze, "  a \t\n b  c\r\n", "a b c");
  expect(gale_squeeze, "", "");
  expect(gale_squeeze, " \n ", "");
}

static void test_linkify(void **state) {
  (void)state;
  expect(gale_linkify, "see http://example.com/a?b=1&c=2.",
         "see <a href=\"http://example.com/a?b=1&amp;c=2\">http://example.com/a?b=1&amp;c=2</a>.");
  expect(gale_linkify, "www.x.org", "<a href=\"http://www.x.org\">www.x.org</a>");
  expect(gale_linkify, "(https://en.wikipedia.org/wiki/C_(language))",
         "(<a "
         "href=\"https://en.wikipedia.org/wiki/C_(language)\">https://en.wikipedia.org/wiki/"
         "C_(language)</a>)");
  expect(gale_linkify, "<b>not http:// a link</b>", "&lt;b&gt;not http:// a link&lt;/b&gt;");
  expect(gale_linkify, "xhttp://no", "xhttp://no");
  expect(gale_linkify, "http://a\"onmouseover=\"x",
         "<a href=\"http://a\">http://a</a>&quot;onmouseover=&quot;x");
}

static void test_limits(void **state) {
  (void)state;
  gale_buf b;
  gale_buf_init(&b, 8);
  assert_int_equal(gale_xhtml_escape(&b, "<<<<", 4), GALE_EBUFFULL);
  gale_buf_release(&b);
  assert_int_equal(gale_xhtml_escape(NULL, "x", 1), GALE_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_xhtml),   cmocka_unit_test(test_url),    cmocka_unit_test(test_squeeze),
      cmocka_unit_test(test_linkify), cmocka_unit_test(test_limits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
