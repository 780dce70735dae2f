/* SPDX-License-Identifier: MIT */
/* Translations (gale/locale.h, tornado.locale): CSV tables with quoting, a
 * byte-order mark, plural rows and bad rows skipped; the closest locale
 * for codes and for Accept-Language (q-values, malformed items); and
 * templates translating through gale_web_render in the request's locale. */
#include <jansson.h>
#include <string.h>

#include "harness.h"
#include "gale/locale.h"
#include "test_web_util.h"

static char *dir;

static void put(const char *name, const char *text) {
  char p[1024];
  snprintf(p, sizeof(p), "%s/%s", dir, name);
  th_write_file(p, text, strlen(text));
}

static int setup(void **state) {
  (void)state;
  dir = th_mkdtemp();
  put("es_LA.csv", "\xef\xbb\xbf\"Sign in\",\"Iniciar sesión\"\n"
                   "\"%(n)d post\",\"%(n)d entrada\",\"singular\"\r\n"
                   "\"%(n)d posts\",\"%(n)d entradas\",\"plural\"\n"
                   "\"a, \"\"quoted\"\" one\",\"una, \"\"citada\"\"\"\n"
                   "\"bad\",\"malo\",\"dual\"\n"
                   "\"latin1\",\"\xe9\"\n"
                   "\n"
                   "lonely\n");
  put("fr.csv", "Sign in,Connexion\n");
  put("notes.txt", "ignored");
  put("x-y-z.csv", "not,a locale\n");
  put("page.html",
      "{{ _('Sign in') }} / {{ _('%(n)d post', '%(n)d posts', n) }} / {{ locale.code }}");
  return 0;
}

static int teardown(void **state) {
  (void)state;
  th_rmtree(dir);
  return 0;
}

static void test_tables(void **state) {
  (void)state;
  gale_locale_set *s;
  assert_int_equal(gale_locale_set_load(dir, NULL, &s), GALE_OK);
  const char *es[] = {"es-la"};
  const gale_locale *l = gale_locale_get_closest(s, es, 1);
  assert_string_equal(gale_locale_code(l), "es_LA");
  assert_string_equal(gale_locale_translate(l, "Sign in", NULL, 0), "Iniciar sesión");
  assert_string_equal(gale_locale_translate(l, "%(n)d post", "%(n)d posts", 1), "%(n)d entrada");
  assert_string_equal(gale_locale_translate(l, "%(n)d post", "%(n)d posts", 3), "%(n)d entradas");
  assert_string_equal(gale_locale_translate(l, "a, \"quoted\" one", NULL, 0), "una, \"citada\"");
  assert_string_equal(gale_locale_translate(l, "bad", NULL, 0), "bad"); /* bad indicator: skipped */
  assert_string_equal(gale_locale_translate(l, "latin1", NULL, 0),
                      "latin1"); /* not UTF-8: skipped */
  assert_string_equal(gale_locale_translate(l, "untranslated", "plural", 2), "plural");
  /* The default is supported without a file and translates nothing. */
  const gale_locale *d = gale_locale_get_default(s);
  assert_string_equal(gale_locale_code(d), "en_US");
  assert_string_equal(gale_locale_translate(d, "Sign in", NULL, 0), "Sign in");
  const char *fr[] = {"de_DE", "fr_CA", "es"};
  assert_string_equal(gale_locale_code(gale_locale_get_closest(s, fr, 3)), "fr"); /* fr_CA -> fr */
  const char *none[] = {"es", "x_y_z", "", "12"};
  assert_string_equal(gale_locale_code(gale_locale_get_closest(s, none, 4)), "en_US");
  gale_locale_set_free(s);

  assert_int_equal(gale_locale_set_load("/nonexistent-dir", NULL, &s), GALE_ESYS);
  assert_int_equal(gale_locale_set_load(NULL, "bad code!", &s), GALE_EINVAL);
  assert_int_equal(gale_locale_set_load(NULL, "pt-br", &s), GALE_OK);
  assert_string_equal(gale_locale_code(gale_locale_get_default(s)), "pt_BR");
  gale_locale_set_free(s);
}

static void test_accept_language(void **state) {
  (void)state;
  gale_locale_set *s;
  assert_int_equal(gale_locale_set_load(dir, NULL, &s), GALE_OK);
  struct {
    const char *header, *want;
  } cases[] = {
      {"fr;q=0.5, es-LA;q=0.9, en;q=0.1", "es_LA"},
      {"de, fr-CH;q=0.8", "fr"},
      {"es-LA;q=0, fr", "fr"},          /* q=0: not acceptable */
      {"es-LA;q=abc, fr;q=2", "en_US"}, /* malformed q-values are dropped */
      {"", "en_US"},
      {NULL, "en_US"},
      {",,,;;;,", "en_US"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    assert_string_equal(gale_locale_code(gale_locale_from_accept_language(s, cases[i].header)),
                        cases[i].want);
  gale_locale_set_free(s);
}

static void get_page(gale_web_handler *h) {
  json_t *ctx = json_pack("{s:i}", "n", 2);
  gale_web_render(h, "page.html", ctx);
  json_decref(ctx);
}
static const gale_web_handler_class page_class = {.name = "page", .get = get_page};

static void test_web(void **state) {
  (void)state;
  gale_web_app_options o;
  gale_web_app_options_init(&o);
  o.template_path = dir;
  o.locale_path = dir;
  wfix w;
  tresp r;
  wfix_open(&w, &o);
  assert_int_equal(gale_web_app_add(w.app, "/", &page_class, NULL, NULL), GALE_OK);
  wfix_listen(&w, NULL);
  wfix_get(&w, "/", "Accept-Language: es-LA,es;q=0.9\r\n", &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "Iniciar sesión / %(n)d entradas / es_LA");
  tresp_free(&r);
  wfix_get(&w, "/", NULL, &r);
  assert_string_equal(r.body, "Sign in / %(n)d posts / en_US");
  tresp_free(&r);
  wfix_stop(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tables),
      cmocka_unit_test(test_accept_language),
      cmocka_unit_test(test_web),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
