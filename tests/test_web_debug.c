/* SPDX-License-Identifier: MIT */
/* tests/test_web_debug.c — the app's debug option: the default 500 page of
 * a failing handler shows the error code and message, where it failed, the
 * request's method and path and the handler class and route, all
 * HTML-escaped (a path holding <script> too); with debug off the page is
 * the plain one and says nothing of the failure.  Debug also turns on
 * template recompilation (check_mtime). */
#include <sys/stat.h>
#include <time.h>

#include "test_web_util.h"

static int fail_get(gale_web_handler *h) {
  (void)h;
  return GALE_ETIMEDOUT;
}
static const gale_web_handler_class failing_class = {
    .name = "Failing<Class>", .coroutine = true, .co.get = fail_get};

static void explicit_get(gale_web_handler *h) { gale_web_send_error(h, 500); }
static const gale_web_handler_class explicit_class = {.name = "Explicit", .get = explicit_get};

static int bad_init(gale_web_handler *h, void *args) {
  (void)h;
  (void)args;
  return GALE_EINVAL;
}
static void never(gale_web_handler *h) { gale_web_write_str(h, "ran"); }
static const gale_web_handler_class init_class = {
    .name = "BadInit", .initialize = bad_init, .get = never};

static void render_get(gale_web_handler *h) { gale_web_render(h, "bad.html", NULL); }
static const gale_web_handler_class render_class = {.name = "Render", .get = render_get};

/* A class's own error page reads the same facts. */
static void own_write_error(gale_web_handler *h, int status) {
  const char *where = NULL, *message = NULL;
  int code = gale_web_error_info(h, &where, &message);
  gale_web_printf(h, "%d %s %s %s %d", status, gale_err_name(code), where ? where : "-",
                  message ? "msg" : "-", gale_web_debug(h));
}
static const gale_web_handler_class own_class = {
    .name = "Own", .coroutine = true, .co.get = fail_get, .write_error = own_write_error};

static void start(wfix *f, bool debug) {
  char *dir = th_mkdtemp();
  char p[700];
  snprintf(p, sizeof p, "%s/bad.html", dir);
  th_write_file(p, "line one\n{% if %}\n", 18);
  snprintf(p, sizeof p, "%s/ok.html", dir);
  th_write_file(p, "v1", 2);
  gale_web_app_options o;
  gale_web_app_options_init(&o);
  o.debug = debug;
  o.template_path = dir;
  wfix_open(f, &o);
  f->dir = dir;
  assert_int_equal(gale_web_app_add(f->app, "/fail/(.*)", &failing_class, NULL, "fail"), GALE_OK);
  gale_web_app_add(f->app, "/explicit", &explicit_class, NULL, NULL);
  gale_web_app_add(f->app, "/init", &init_class, NULL, NULL);
  gale_web_app_add(f->app, "/render", &render_class, NULL, NULL);
  gale_web_app_add(f->app, "/own", &own_class, NULL, NULL);
  wfix_listen(f, NULL);
}

static char *get500(wfix *f, const char *path) {
  tresp r;
  wfix_get(f, path, NULL, &r);
  assert_int_equal(r.status, 500);
  char *body = r.body;
  return body; /* the caller frees */
}

static const char plain_500[] =
    "<html><title>500: Internal Server Error</title><body>500: Internal Server Error</body></html>";

static void test_debug_on(void **state) {
  (void)state;
  wfix f;
  start(&f, true);
  char *b = get500(&f, "/fail/<script>alert(1)</script>?q=<b>");
  assert_non_null(strstr(b, "GALE_ETIMEDOUT"));
  assert_non_null(strstr(b, "in:      method"));
  assert_non_null(strstr(b, "handler: Failing&lt;Class&gt;"));
  assert_non_null(strstr(b, "route:   /fail/(.*) (fail)"));
  assert_non_null(strstr(b, "request: GET /fail/&lt;script&gt;alert(1)&lt;/script&gt;"));
  assert_null(strstr(b, "<script>"));
  assert_null(strstr(b, "<b>"));
  free(b);
  /* The message of the code, escaped too. */
  b = get500(&f, "/fail/x");
  char msg[256];
  gale_buf esc;
  gale_buf_init(&esc, 0);
  gale_xhtml_escape(&esc, gale_strerror(GALE_ETIMEDOUT), strlen(gale_strerror(GALE_ETIMEDOUT)));
  gale_buf_append_byte(&esc, '\0');
  snprintf(msg, sizeof msg, ": %s\n", esc.data);
  gale_buf_release(&esc);
  assert_non_null(strstr(b, msg));
  free(b);
  b = get500(&f, "/explicit");
  assert_non_null(strstr(b, "in:      the handler (send_error)"));
  assert_non_null(strstr(b, "handler: Explicit"));
  assert_null(strstr(b, "error:"));
  free(b);
  b = get500(&f, "/init");
  assert_non_null(strstr(b, "GALE_EINVAL"));
  assert_non_null(strstr(b, "in:      initialize"));
  free(b);
  b = get500(&f, "/render");
  assert_non_null(strstr(b, "in:      render"));
  assert_non_null(strstr(b, "message: template bad.html: bad.html:2: "));
  free(b);
  b = get500(&f, "/own");
  assert_string_equal(b, "500 ETIMEDOUT method - 1");
  free(b);
  assert_int_equal(gale_web_error_info(NULL, NULL, NULL), 0);
  assert_false(gale_web_debug(NULL));
  /* Only 500 pages carry it. */
  tresp r;
  wfix_get(&f, "/nowhere", NULL, &r);
  assert_int_equal(r.status, 404);
  assert_null(strstr(r.body, "Debug"));
  tresp_free(&r);
  wfix_stop(&f);
}

static void test_debug_off(void **state) {
  (void)state;
  wfix f;
  start(&f, false);
  static const char *const paths[] = {"/fail/<script>alert(1)</script>", "/explicit", "/init",
                                      "/render"};
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    char *b = get500(&f, paths[i]);
    assert_string_equal(b, plain_500);
    free(b);
  }
  wfix_stop(&f);
}

/* debug turns on check_mtime: an edited template is picked up. */
static void ok_get(gale_web_handler *h) { gale_web_render(h, "ok.html", NULL); }
static const gale_web_handler_class ok_class = {.get = ok_get};

static void test_debug_templates(void **state) {
  (void)state;
  for (int debug = 0; debug < 2; debug++) {
    wfix f;
    start(&f, debug);
    gale_web_app_add(f.app, "/ok", &ok_class, NULL, NULL);
    tresp r;
    wfix_get(&f, "/ok", NULL, &r);
    assert_string_equal(r.body, "v1");
    tresp_free(&r);
    char p[700];
    snprintf(p, sizeof p, "%s/ok.html", f.dir);
    th_write_file(p, "v2 edited", 9);
    struct timespec ts[2] = {{0, UTIME_OMIT}, {time(NULL) + 10, 0}};
    utimensat(AT_FDCWD, p, ts, 0);
    wfix_get(&f, "/ok", NULL, &r);
    assert_string_equal(r.body, debug ? "v2 edited" : "v1");
    tresp_free(&r);
    wfix_stop(&f);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_debug_on),
      cmocka_unit_test(test_debug_off),
      cmocka_unit_test(test_debug_templates),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
