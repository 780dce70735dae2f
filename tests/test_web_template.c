/* SPDX-License-Identifier: MIT */
/* gale_web_render over HTTP: a page from a template folder with the
 * handler's names (request, xsrf_form_html, static_url), escaping of
 * hostile values, a template error answering 500 with nothing half sent,
 * and render_string. */
#include <jansson.h>
#include <string.h>

#include "harness.h"
#include "test_web_util.h"

static void get_page(gale_web_handler *h) {
  json_t *ctx = json_pack("{s:s, s:[s,s]}", "title", "<script>x</script>", "items", "a&b", "c");
  gale_web_render(h, "page.html", ctx);
  json_decref(ctx);
}

static void get_broken(gale_web_handler *h) { gale_web_render(h, "broken.html", NULL); }
static void get_missing(gale_web_handler *h) { gale_web_render(h, "nothere.html", NULL); }

static void get_string(gale_web_handler *h) {
  gale_buf b;
  gale_buf_init(&b, 0);
  json_t *ctx = json_pack("{s:i}", "n", 41);
  int rc = gale_web_render_string(h, "n.txt", ctx, &b);
  json_decref(ctx);
  gale_web_set_header(h, "Content-Type", "text/plain");
  gale_web_printf(h, "rc=%d body=%s", rc, b.data ? b.data : "");
  gale_buf_release(&b);
  gale_web_finish(h);
}

static const gale_web_handler_class page_class = {.name = "page", .get = get_page};
static const gale_web_handler_class broken_class = {.name = "broken", .get = get_broken};
static const gale_web_handler_class missing_class = {.name = "missing", .get = get_missing};
static const gale_web_handler_class string_class = {.name = "string", .get = get_string};

static void open_app(wfix *w) {
  char *dir = th_mkdtemp();
  char p[1024];
  snprintf(p, sizeof(p), "%s/base.html", dir);
  const char *base = "<title>{{ title }}</title>{% block body %}{% end %}";
  th_write_file(p, base, strlen(base));
  snprintf(p, sizeof(p), "%s/page.html", dir);
  const char *page = "{% extends \"base.html\" %}{% block body %}<ul>{% for i in items %}<li>{{ i "
                     "}}</li>{% end %}</ul>"
                     "<p>{{ request.method }} {{ request.path }}</p>{% raw xsrf_form_html() %}"
                     "<img src=\"{{ static_url('a.png') }}\">{% end %}";
  th_write_file(p, page, strlen(page));
  snprintf(p, sizeof(p), "%s/broken.html", dir);
  th_write_file(p, "ok\n{{ nope }}", 13);
  snprintf(p, sizeof(p), "%s/n.txt", dir);
  th_write_file(p, "{{ n + 1 }}", 11);
  snprintf(p, sizeof(p), "%s/a.png", dir);
  th_write_file(p, "PNG", 3);
  gale_web_app_options o;
  gale_web_app_options_init(&o);
  o.template_path = dir;
  o.static_path = dir;
  o.cookie_secret = "0123456789abcdef0123456789abcdef";
  o.xsrf_cookies = true;
  wfix_open(w, &o);
  w->dir = dir;
  assert_int_equal(gale_web_app_add(w->app, "/page", &page_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(w->app, "/broken", &broken_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(w->app, "/missing", &missing_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(w->app, "/string", &string_class, NULL, NULL), GALE_OK);
  wfix_listen(w, NULL);
}

static void test_render_page(void **state) {
  (void)state;
  wfix w;
  tresp r;
  open_app(&w);
  wfix_get(&w, "/page", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.head, "text/html; charset=UTF-8"));
  assert_non_null(strstr(r.body, "<title>&lt;script&gt;x&lt;/script&gt;</title>"));
  assert_non_null(strstr(r.body, "<li>a&amp;b</li><li>c</li>"));
  assert_non_null(strstr(r.body, "<p>GET /page</p>"));
  assert_non_null(strstr(r.body, "<input type=\"hidden\" name=\"_xsrf\" value=\""));
  assert_non_null(strstr(r.body, "/static/a.png?v="));
  assert_null(strstr(r.body, "<script>"));
  tresp_free(&r);
  wfix_get(&w, "/string", NULL, &r);
  assert_string_equal(r.body, "rc=0 body=42");
  tresp_free(&r);
  wfix_stop(&w);
}

static void test_render_errors(void **state) {
  (void)state;
  wfix w;
  tresp r;
  open_app(&w);
  wfix_get(&w, "/broken", NULL, &r);
  assert_int_equal(r.status, 500);
  assert_null(strstr(r.body, "ok")); /* nothing of the page went out */
  tresp_free(&r);
  wfix_get(&w, "/missing", NULL, &r);
  assert_int_equal(r.status, 500);
  tresp_free(&r);
  wfix_stop(&w);
}

static void get_no_templates(gale_web_handler *h) {
  int rc = gale_web_render(h, "x.html", NULL);
  if (!gale_web_finished(h)) gale_web_finish(h);
  (void)rc;
}
static const gale_web_handler_class none_class = {.name = "none", .get = get_no_templates};

static void test_no_template_path(void **state) {
  (void)state;
  wfix w;
  tresp r;
  wfix_open(&w, NULL);
  assert_int_equal(gale_web_app_add(w.app, "/", &none_class, NULL, NULL), GALE_OK);
  wfix_listen(&w, NULL);
  wfix_get(&w, "/", NULL, &r);
  assert_int_equal(r.status, 500);
  tresp_free(&r);
  wfix_stop(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_render_page),
      cmocka_unit_test(test_render_errors),
      cmocka_unit_test(test_no_template_path),
  };
  return cmocka_run_group_tests(tests, web_plain_setup, NULL);
}
