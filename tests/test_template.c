/* SPDX-License-Identifier: MIT */
/* Templates compiled from strings (gale/template.h): Tornado's syntax over
 * JSON values, autoescape, whitespace modes, the environment's names and
 * functions, and every error and limit a hostile template or value can
 * reach (each names the line; none crashes or grows without bound). */
#include <jansson.h>
#include <string.h>

#include "harness.h"
#include "gale/error.h"
#include "gale/template.h"

static char *last_error;

/* Renders src with ctx (JSON text, may be NULL); returns the output (the
 * caller frees) or NULL, with the error in last_error. */
static char *render_opts(const char *src, const char *name, const char *ctx_json,
                         const gale_template_options *opts, const gale_template_env *env) {
  static char msg[512];
  gale_template_error err;
  gale_template *t = NULL;
  last_error = msg;
  msg[0] = '\0';
  int rc = gale_template_compile(src, strlen(src), name, opts, &t, &err);
  if (rc != GALE_OK) {
    assert_int_equal(rc, GALE_ETEMPLATE);
    snprintf(msg, sizeof(msg), "%s:%d: %s", err.name, err.line, err.message);
    return NULL;
  }
  json_t *ctx = ctx_json ? json_loads(ctx_json, 0, NULL) : NULL;
  if (ctx_json) assert_non_null(ctx);
  gale_buf out;
  gale_buf_init(&out, 0);
  rc = gale_template_render(t, ctx, env, &out, &err);
  json_decref(ctx);
  gale_template_free(t);
  if (rc != GALE_OK) {
    assert_int_equal(rc, GALE_ETEMPLATE);
    snprintf(msg, sizeof(msg), "%s:%d: %s", err.name, err.line, err.message);
    gale_buf_release(&out);
    return NULL;
  }
  if (!out.data) return strdup("");
  return gale_buf_take(&out, NULL);
}

static char *render(const char *src, const char *ctx) {
  return render_opts(src, NULL, ctx, NULL, NULL);
}

#define EXPECT(src, ctx, want)                      \
  do {                                              \
    char *got_ = render(src, ctx);                  \
    if (!got_) fail_msg("%s: %s", src, last_error); \
    assert_string_equal(got_, want);                \
    free(got_);                                     \
  } while (0)

/* Fails to compile or render with a message containing `part`. */
#define EXPECT_ERROR(src, ctx, part)                                                             \
  do {                                                                                           \
    char *got_ = render(src, ctx);                                                               \
    if (got_) fail_msg("%s: rendered '%s', expected an error", src, got_);                       \
    if (!strstr(last_error, part)) fail_msg("%s: error '%s' lacks '%s'", src, last_error, part); \
  } while (0)

static void test_text_and_values(void **state) {
  (void)state;
  EXPECT("", NULL, "");
  EXPECT("Hello, {{ name }}!", "{\"name\": \"world\"}", "Hello, world!");
  EXPECT("{{ n }} {{ f }} {{ t }} {{ z }} {{ i }}",
         "{\"n\": 3, \"f\": 2.5, \"t\": true, \"z\": null, \"i\": 1.0}", "3 2.5 True None 1.0");
  EXPECT("{{ xs }}", "{\"xs\": [1, \"a\"]}", "[1,&quot;a&quot;]");
  EXPECT("{{ 'a\\'b' }}{{ \"q\" }}", NULL, "a&#39;bq");
  EXPECT("{{ user.name }} {{ user['age'] }} {{ xs[0] }} {{ xs[-1] }}",
         "{\"user\": {\"name\": \"ann\", \"age\": 7}, \"xs\": [1, 2, 3]}", "ann 7 1 3");
}

static void test_escaping(void **state) {
  (void)state;
  const char *ctx = "{\"x\": \"<script>alert('x')</script>\"}";
  EXPECT("{{ x }}", ctx, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
  EXPECT("{% raw x %}", ctx, "<script>alert('x')</script>");
  EXPECT("{% autoescape None %}{{ x }}", ctx, "<script>alert('x')</script>");
  EXPECT("{% autoescape None %}{{ escape(x) }}", ctx,
         "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
  EXPECT("{% raw json_encode(x) %}", ctx, "\"<script>alert('x')<\\/script>\"");
  EXPECT("{{! x }} {%! y %} {#! z #}", NULL, "{{ x }} {% y %} {# z #}");
  gale_template_options o;
  gale_template_options_init(&o);
  o.autoescape = false;
  char *s = render_opts("{{ x }}", NULL, ctx, &o, NULL);
  assert_string_equal(s, "<script>alert('x')</script>");
  free(s);
}

static void test_control(void **state) {
  (void)state;
  const char *ctx = "{\"n\": 2, \"xs\": [1, 2, 3, 4], \"d\": {\"a\": 1, \"b\": 2}, \"empty\": []}";
  EXPECT("{% if n == 1 %}one{% elif n == 2 %}two{% else %}many{% end %}", ctx, "two");
  EXPECT("{% if not empty %}none{% end %}", ctx, "none");
  EXPECT("{% for x in xs %}{{ x }},{% end %}", ctx, "1,2,3,4,");
  EXPECT("{% for x in xs %}{% if x == 3 %}{% break %}{% end %}{{ x }}{% else %}!{% end %}", ctx,
         "12");
  EXPECT("{% for x in xs %}{% if x % 2 %}{% continue %}{% end %}{{ x }}{% else %}!{% end %}", ctx,
         "24!");
  EXPECT("{% for x in empty %}x{% else %}nothing{% end %}", ctx, "nothing");
  EXPECT("{% for k in d %}{{ k }}{% end %}", ctx, "ab");
  EXPECT("{% for k, v in items(d) %}{{ k }}={{ v }};{% end %}", ctx, "a=1;b=2;");
  EXPECT("{% set total = 0 %}{% for x in xs %}{% set total = total + x %}{% end %}{{ total }}", ctx,
         "10");
  EXPECT("a{% comment this goes %}b{# and this #}c", NULL, "abc");
  EXPECT("{% for i in range(3) %}{% for j in range(i) %}{{ i }}{{ j }} {% end %}{% end %}", NULL,
         "10 20 21 ");
}

static void test_operators(void **state) {
  (void)state;
  EXPECT("{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 / 2 }}",
         NULL, "7 9 3 -4 2 3.5");
  EXPECT("{{ 'a' + 'b' }} {{ [1] + [2] }}", NULL, "ab [1,2]");
  EXPECT("{{ 1 < 2 }} {{ 'b' >= 'a' }} {{ 2 == 2.0 }} {{ 1 != 1 }}", NULL, "True True True False");
  EXPECT("{{ 'ell' in 'hello' }} {{ 3 in [1, 2] }} {{ 'k' in d }} {{ 'z' not in d }}",
         "{\"d\": {\"k\": 1}}", "True False True True");
  EXPECT("{{ 0 or 'x' }} {{ 1 and 'y' }} {{ not 0 }} {{ None or [] }}", NULL, "x y True []");
  EXPECT("{{ 'y' if n > 1 else 'n' }} {{ 'a' if 0 else 'b' if 0 else 'c' }}", "{\"n\": 2}", "y c");
  EXPECT_ERROR("{{ 1 if 2 }}", NULL, "expected 'else'");
  EXPECT("{{ len('abc') }} {{ len([1, 2]) }} {{ str(5) + 'x' }} {{ int('42') + 1 }}", NULL,
         "3 2 5x 43");
  EXPECT("{{ get(d, 'k') }} {{ get(d, 'missing', 'dflt') }} {{ get(d, 'missing') }}",
         "{\"d\": {\"k\": 1}}", "1 dflt None");
  EXPECT("{{ url_escape('a b&c') }} {{ url_escape('a b', False) }} {{ squeeze('  a   b ') }}", NULL,
         "a+b%26c a%20b a b");
  EXPECT("{% raw linkify('go to http://x.org.') %}", NULL,
         "go to <a href=\"http://x.org\">http://x.org</a>.");
  EXPECT("{{ range(1, 10, 4) }} {{ range(5, 0, -2) }} {{ keys(d) }}", "{\"d\": {\"k\": 1}}",
         "[1,5,9] [5,3,1] [&quot;k&quot;]");
}

static void test_whitespace(void **state) {
  (void)state;
  const char *src = "<p>\n\n   {{ x }}   \t </p>\n";
  char *s = render_opts(src, "page.html", "{\"x\": 1}", NULL, NULL);
  assert_string_equal(s, "<p>\n1 </p>\n");
  free(s);
  s = render_opts(src, "page.txt", "{\"x\": 1}", NULL, NULL);
  assert_string_equal(s, src[0] ? "<p>\n\n   1   \t </p>\n" : "");
  free(s);
  s = render_opts("{% whitespace oneline %}a \n\n b", "x.html", NULL, NULL, NULL);
  assert_string_equal(s, "a b");
  free(s);
}

static json_t *twice(json_t *args, void *arg, char *err, size_t errlen) {
  (void)arg;
  if (json_array_size(args) != 1 || !json_is_integer(json_array_get(args, 0))) {
    snprintf(err, errlen, "needs one integer");
    return NULL;
  }
  return json_integer(2 * json_integer_value(json_array_get(args, 0)));
}

static void test_environment(void **state) {
  (void)state;
  gale_template_function fns[] = {{"twice", twice, NULL}};
  json_t *globals = json_pack("{s:s, s:i}", "site", "gale", "n", 1);
  gale_template_env env = {.globals = globals, .functions = fns, .nfunctions = 1};
  /* The context comes before the globals, the template's own names first. */
  char *s = render_opts("{{ site }} {{ n }} {{ twice(21) }}{% set n = 9 %} {{ n }}", NULL,
                        "{\"n\": 5}", NULL, &env);
  assert_string_equal(s, "gale 5 42 9");
  free(s);
  assert_null(render_opts("{{ twice('x') }}", NULL, NULL, NULL, &env));
  assert_non_null(strstr(last_error, "twice(): needs one integer"));
  json_decref(globals);
}

static void test_syntax_errors(void **state) {
  (void)state;
  EXPECT_ERROR("line 1\n{% if x %}\nno end", NULL, ":2: missing {% end %} for {% if %}");
  EXPECT_ERROR("a\n\n{% end %}", NULL, ":3: unexpected {% end %}");
  EXPECT_ERROR("{% else %}", NULL, "unexpected {% else %}");
  EXPECT_ERROR("{% for x in xs %}{% elif y %}{% end %}", NULL,
               "unexpected {% elif %} in {% for %}");
  EXPECT_ERROR("{% while x %}{% end %}", NULL, "{% while %} is not supported");
  EXPECT_ERROR("{% break %}", NULL, "{% break %} outside {% for %}");
  EXPECT_ERROR("{{ x", NULL, "missing }}");
  EXPECT_ERROR("{% if x", NULL, "missing %}");
  EXPECT_ERROR("{# x", NULL, "missing #}");
  EXPECT_ERROR("{{ }}", NULL, "empty expression");
  EXPECT_ERROR("{{ 'abc }}", NULL, "unterminated string");
  EXPECT_ERROR("{{ 1 + }}", NULL, "expression ends early");
  EXPECT_ERROR("{{ a b }}", NULL, "unexpected 'b'");
  EXPECT_ERROR("{{ f(1, }}", NULL, "expression ends early");
  EXPECT_ERROR("{% set x %}", NULL, "{% set %} needs 'name = expression'");
  EXPECT_ERROR("{% for in xs %}{% end %}", NULL, "{% for %} needs 'in'");
  EXPECT_ERROR("{% for 1 in xs %}{% end %}", NULL, "needs 'name in expression'");
  EXPECT_ERROR("{% extends base.html %}", NULL, "needs a quoted template name");
  EXPECT_ERROR("{% autoescape url_escape %}", NULL, "takes xhtml_escape or None");
  EXPECT_ERROR("{{ 99999999999999999999 }}", NULL, "bad number");
}

static void test_render_errors(void **state) {
  (void)state;
  EXPECT_ERROR("ok\n{{ missing }}", NULL, "<string>:2: name 'missing' is not defined");
  EXPECT_ERROR("{{ d.nope }}", "{\"d\": {}}", "has no attribute 'nope'");
  EXPECT_ERROR("{{ xs[5] }}", "{\"xs\": [1]}", "index 5 out of range");
  EXPECT_ERROR("{{ 1 // 0 }}", NULL, "division by zero");
  EXPECT_ERROR("{{ 1.5 % 0 }}", NULL, "division by zero");
  EXPECT_ERROR("{{ 9223372036854775807 + 1 }}", NULL, "integer overflow");
  EXPECT_ERROR("{{ 'a' - 1 }}", NULL, "unsupported operand");
  EXPECT_ERROR("{{ 'a' < 1 }}", NULL, "cannot compare");
  EXPECT_ERROR("{{ nofunc(1) }}", NULL, "'nofunc' is not a function");
  EXPECT_ERROR("{{ len(1, 2) }}", NULL, "len() takes other arguments");
  EXPECT_ERROR("{% for x in 5 %}{% end %}", NULL, "cannot loop over");
  EXPECT_ERROR("{% for a, b in [1] %}{% end %}", NULL, "needs pairs");
  EXPECT_ERROR("{% include 'x.html' %}", NULL, "needs a template loader");
  EXPECT_ERROR("{% extends 'x.html' %}", NULL, "needs a template loader");
}

static void test_limits(void **state) {
  (void)state;
  /* A huge range is refused before it is built. */
  EXPECT_ERROR("{% for i in range(100000000) %}{% end %}", NULL, "past the limit");
  EXPECT_ERROR("{{ range(-9223372036854775807, 9223372036854775807) }}", NULL, "past the limit");
  /* Nested loops past max_iterations. */
  gale_template_options o;
  gale_template_options_init(&o);
  o.max_iterations = 1000;
  assert_null(render_opts("{% for i in range(100) %}{% for j in range(100) %}{% end %}{% end %}",
                          NULL, NULL, &o, NULL));
  assert_non_null(strstr(last_error, "max_iterations"));
  /* Output past max_output. */
  gale_template_options_init(&o);
  o.max_output = 1000;
  assert_null(render_opts("{% for i in range(1000) %}xx{% end %}", NULL, NULL, &o, NULL));
  assert_non_null(strstr(last_error, "max_output"));
  /* A string doubled until it passes the limit stops there. */
  assert_null(
      render_opts("{% set s = 'xxxxxxxxxx' %}{% for i in range(40) %}{% set s = s + s %}{% end %}",
                  NULL, NULL, &o, NULL));
  assert_non_null(strstr(last_error, "string too long"));
  /* Deep nesting is an error, not a stack overflow. */
  char deep[4096];
  memset(deep, '(', 2000);
  strcpy(deep + 2000, "1");
  memset(deep + 2001, ')', 2000);
  deep[4001] = '\0';
  char src[4200];
  snprintf(src, sizeof(src), "{{ %s }}", deep);
  EXPECT_ERROR(src, NULL, "nested too deep");
  memset(deep, 0, sizeof(deep));
  for (int i = 0; i < 1000; i++) strcat(deep, "not ");
  snprintf(src, sizeof(src), "{{ %s1 }}", deep);
  EXPECT_ERROR(src, NULL, "nested too deep");
  /* Statement nesting past its bound. */
  char *nest = malloc(300 * 20 + 1);
  nest[0] = '\0';
  for (int i = 0; i < 300; i++) strcat(nest, "{% if 1 %}");
  EXPECT_ERROR(nest, NULL, "nested too deep");
  free(nest);
}

static void test_bad_arguments(void **state) {
  (void)state;
  gale_template *t;
  assert_int_equal(gale_template_compile(NULL, 1, NULL, NULL, &t, NULL), GALE_EINVAL);
  assert_int_equal(gale_template_compile("x", 1, NULL, NULL, NULL, NULL), GALE_EINVAL);
  assert_int_equal(gale_template_compile("x", 1, NULL, NULL, &t, NULL), GALE_OK);
  gale_buf b;
  gale_buf_init(&b, 0);
  json_t *arr = json_array();
  assert_int_equal(gale_template_render(t, arr, NULL, &b, NULL),
                   GALE_EINVAL); /* ctx not an object */
  assert_int_equal(gale_template_render(t, NULL, NULL, &b, NULL), GALE_OK);
  assert_string_equal(b.data, "x");
  json_decref(arr);
  gale_buf_release(&b);
  gale_template_free(t);
  gale_template_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_text_and_values), cmocka_unit_test(test_escaping),
      cmocka_unit_test(test_control),         cmocka_unit_test(test_operators),
      cmocka_unit_test(test_whitespace),      cmocka_unit_test(test_environment),
      cmocka_unit_test(test_syntax_errors),   cmocka_unit_test(test_render_errors),
      cmocka_unit_test(test_limits),          cmocka_unit_test(test_bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
