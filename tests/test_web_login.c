/* SPDX-License-Identifier: MIT */
/* Login (Tornado's current_user, @authenticated, login_url): marked methods
 * without a user redirect GET/HEAD to login_url?next=... and answer 403
 * otherwise; unmarked methods run; a class's get_current_user takes the
 * place of the app's; the user is asked once per request; templates see
 * current_user. */
#include <jansson.h>
#include <string.h>

#include "harness.h"
#include "test_web_util.h"

static int asked;

/* The user is the "user" cookie (a real app signs it). */
static json_t *cookie_user(gale_web_handler *h) {
  asked++;
  const char *u = gale_web_get_cookie(h, "user", NULL);
  return u ? json_string(u) : NULL;
}

static json_t *always_bob(gale_web_handler *h) {
  (void)h;
  return json_string("bob");
}

static void hello(gale_web_handler *h) {
  json_t *u = gale_web_current_user(h);
  gale_web_current_user(h); /* asked once per request */
  gale_web_printf(h, "hello %s", u ? json_string_value(u) : "nobody");
}

static void render_me(gale_web_handler *h) { gale_web_render(h, "me.html", NULL); }

static const gale_web_handler_class secret_class = {.name = "secret",
                                                    .get = hello,
                                                    .post = hello,
                                                    .put = hello,
                                                    .authenticated =
                                                        GALE_WEB_AUTH_GET | GALE_WEB_AUTH_POST};
static const gale_web_handler_class bob_class = {.name = "bob",
                                                 .get = hello,
                                                 .authenticated = GALE_WEB_AUTH_ALL,
                                                 .get_current_user = always_bob};
static const gale_web_handler_class page_class = {.name = "page", .get = render_me};

static void open_app(wfix *w, const char *login_url) {
  char *dir = th_mkdtemp();
  char p[1024];
  snprintf(p, sizeof(p), "%s/me.html", dir);
  const char *tpl = "{% if current_user %}in as {{ current_user }}{% else %}out{% end %}";
  th_write_file(p, tpl, strlen(tpl));
  gale_web_app_options o;
  gale_web_app_options_init(&o);
  o.login_url = login_url;
  o.get_current_user = cookie_user;
  o.template_path = dir;
  wfix_open(w, &o);
  w->dir = dir;
  assert_int_equal(gale_web_app_add(w->app, "/secret", &secret_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(w->app, "/bob", &bob_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(w->app, "/me", &page_class, NULL, NULL), GALE_OK);
  wfix_listen(w, NULL);
}

static void test_authenticated(void **state) {
  (void)state;
  wfix w;
  tresp r;
  char loc[512];
  open_app(&w, "/login");
  asked = 0;
  wfix_get(&w, "/secret?a=1&b=2", NULL, &r);
  assert_int_equal(r.status, 302);
  assert_true(tresp_header(&r, "Location", loc, sizeof(loc)));
  assert_string_equal(loc, "/login?next=%2Fsecret%3Fa%3D1%26b%3D2");
  tresp_free(&r);
  wfix_fetch(&w, "HEAD /secret HTTP/1.1\r\nHost: h\r\n\r\n", &r);
  assert_int_equal(r.status, 302);
  tresp_free(&r);
  wfix_fetch(&w, "POST /secret HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", &r);
  assert_int_equal(r.status, 403);
  tresp_free(&r);
  /* PUT is not marked: it runs, with nobody logged in. */
  wfix_fetch(&w, "PUT /secret HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "hello nobody");
  tresp_free(&r);
  asked = 0;
  wfix_get(&w, "/secret", "Cookie: user=ann\r\n", &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "hello ann");
  assert_int_equal(asked, 1);
  tresp_free(&r);
  /* The class's hook takes the place of the app's. */
  asked = 0;
  wfix_get(&w, "/bob", NULL, &r);
  assert_string_equal(r.body, "hello bob");
  assert_int_equal(asked, 0);
  tresp_free(&r);
  /* Templates see current_user. */
  wfix_get(&w, "/me", "Cookie: user=<ann>\r\n", &r);
  assert_string_equal(r.body, "in as &lt;ann&gt;");
  tresp_free(&r);
  wfix_get(&w, "/me", NULL, &r);
  assert_string_equal(r.body, "out");
  tresp_free(&r);
  wfix_stop(&w);
}

static void test_absolute_login_url(void **state) {
  (void)state;
  wfix w;
  tresp r;
  char loc[512];
  open_app(&w, "https://login.example/auth?app=1");
  wfix_get(&w, "/secret?x=y", NULL, &r);
  assert_int_equal(r.status, 302);
  assert_true(tresp_header(&r, "Location", loc, sizeof(loc)));
  assert_string_equal(loc, "https://login.example/auth?app=1&next=http%3A%2F%2Fh%2Fsecret%3Fx%3Dy");
  tresp_free(&r);
  wfix_stop(&w);
}

static void test_no_login_url(void **state) {
  (void)state;
  wfix w;
  tresp r;
  open_app(&w, NULL);
  wfix_get(&w, "/secret", NULL, &r);
  assert_int_equal(r.status, 403);
  tresp_free(&r);
  wfix_stop(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_authenticated),
      cmocka_unit_test(test_absolute_login_url),
      cmocka_unit_test(test_no_login_url),
  };
  return cmocka_run_group_tests(tests, web_plain_setup, NULL);
}
