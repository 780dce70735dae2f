/* The web layer: routes, life cycle, response API, arguments, cookies,
 * signed cookies, XSRF, ETag, redirects, error pages. */
#include <time.h>

#include "test_web_util.h"


static char trace[256];
static gale_web_handler *held;
static int closes;

static void tr(const char *s) {
  strncat(trace, s, sizeof(trace) - strlen(trace) - 1);
}

/* ---- handler classes ---------------------------------------------------------- */

struct life_ctx {
  int magic;
};

static int life_init(gale_web_handler *h, void *args) {
  struct life_ctx *ctx = gale_web_handler_ctx(h);
  assert_non_null(ctx);
  assert_int_equal(ctx->magic, 0);
  ctx->magic = *(int *)args;
  tr("init,");
  return GALE_OK;
}
static void life_prepare(gale_web_handler *h) {
  (void)h;
  tr("prepare,");
}
static void life_get(gale_web_handler *h) {
  web_user_check_handler(h);
  struct life_ctx *ctx = gale_web_handler_ctx(h);
  tr("get,");
  gale_web_printf(h, "magic=%d", ctx->magic);
}
static void life_finish(gale_web_handler *h) {
  web_user_check_handler(h);
  tr("finish");
}
static const gale_web_handler_class life_class = {
    .ctx_size = sizeof(struct life_ctx),
    .initialize = life_init,
    .prepare = life_prepare,
    .get = life_get,
    .on_finish = life_finish,
};

static void args_get(gale_web_handler *h) {
  web_user_check_handler(h);
  gale_web_printf(h, "%zu:", gale_web_path_arg_count(h));
  for (size_t i = 0; i < gale_web_path_arg_count(h); i++)
    gale_web_printf(h, "[%s]", gale_web_path_arg(h, i));
  const char *kw = gale_web_path_kwarg(h, "id");
  if (kw) gale_web_printf(h, "id=%s", kw);
}
static const gale_web_handler_class args_class = {.get = args_get};

static void form_post(gale_web_handler *h) {
  const char *vals[4];
  size_t n = gale_web_get_arguments(h, "a", vals, 4);
  gale_web_printf(h, "a=%s n=%zu b=%s q=%s", gale_web_get_argument(h, "a", "-"), n,
                  gale_web_get_argument(h, "b", "-"), gale_web_get_query_argument(h, "q", "-"));
}
static const gale_web_handler_class form_class = {.get = form_post, .post = form_post};

static void resp_get(gale_web_handler *h) {
  assert_int_equal(gale_web_set_header(h, "X-Bad", "a\r\nInjected: 1"), GALE_EINVAL);
  assert_int_equal(gale_web_set_header(h, "Bad Name", "v"), GALE_EINVAL);
  assert_int_equal(gale_web_set_status(h, 299, "Fine\r\nX: y"), GALE_EINVAL);
  assert_int_equal(gale_web_set_status(h, 299, "Quite Fine"), GALE_OK);
  gale_web_set_header(h, "X-One", "1");
  gale_web_add_header(h, "X-Multi", "a");
  gale_web_add_header(h, "X-Multi", "b");
  gale_web_set_header(h, "X-Gone", "z");
  gale_web_clear_header(h, "X-Gone");
  gale_web_write_html_escaped(h, "<a href='x'>&\"</a>");
}
static const gale_web_handler_class resp_class = {.get = resp_get};

static void json_get(gale_web_handler *h) {
  web_user_check_handler(h);
  gale_web_json_begin_object(h);
  gale_web_json_key(h, "s");
  gale_web_json_string(h, "q\"\\\n</script>");
  gale_web_json_key(h, "n");
  gale_web_json_int(h, -42);
  gale_web_json_key(h, "a");
  gale_web_json_begin_array(h);
  gale_web_json_bool(h, true);
  gale_web_json_null(h);
  gale_web_json_double(h, 1.5);
  gale_web_json_end_array(h);
  gale_web_json_end_object(h);
  assert_int_equal(gale_web_json_end(h), GALE_OK);
}
static const gale_web_handler_class json_class = {.get = json_get};

static void stream_get(gale_web_handler *h) {
  web_user_check_handler(h);
  gale_web_write_str(h, "one,");
  assert_int_equal(gale_web_flush(h), GALE_OK);
  gale_web_write_str(h, "two");
}
static const gale_web_handler_class stream_class = {.get = stream_get};

static void redir_get(gale_web_handler *h) {
  web_user_check_handler(h);
  assert_int_equal(gale_web_redirect(h, "/x\r\nSet-Cookie: a=b", 302), GALE_EINVAL);
  assert_int_equal(gale_web_redirect(h, "/elsewhere", 307), GALE_OK);
}
static const gale_web_handler_class redir_class = {.get = redir_get};

static const gale_web_handler_class postonly_class = {.post = form_post};

static void err_get(gale_web_handler *h) {
  web_user_check_handler(h);
  gale_web_write_str(h, "discarded");
  gale_web_send_error(h, 503);
}
static void err_write_error(gale_web_handler *h, int status) {
  gale_web_printf(h, "custom %d", status);
}
static const gale_web_handler_class err_class = {.get = err_get, .write_error = err_write_error};

static void async_get(gale_web_handler *h) {
  web_user_check_handler(h);
  held = h;
  gale_web_hold(h);
}
static void async_closed(gale_web_handler *h) {
  (void)h;
  closes++;
  held = NULL;
}
static const gale_web_handler_class async_class = {.get = async_get,
                                                   .on_connection_close = async_closed};

static void early_prepare(gale_web_handler *h) {
  gale_web_set_status(h, 403, NULL);
  gale_web_finish(h);
}
static void never_get(gale_web_handler *h) {
  (void)h;
  fail_msg("the method must not run after prepare finished");
}
static const gale_web_handler_class early_class = {.prepare = early_prepare, .get = never_get};

static void cookie_get(gale_web_handler *h) {
  web_user_check_handler(h);
  gale_web_printf(h, "c=%s", gale_web_get_cookie(h, "c", "-"));
  gale_web_cookie_options o = {.path = "/p", .httponly = true, .expires_days = 1};
  assert_int_equal(gale_web_set_cookie(h, "n", "v", &o), GALE_OK);
  assert_int_equal(gale_web_set_cookie(h, "bad", "a;b", NULL), GALE_EINVAL);
  assert_int_equal(gale_web_set_signed_cookie(h, "user", "alice", 30), GALE_OK);
}
static void signed_get(gale_web_handler *h) {
  web_user_check_handler(h);
  const char *u = gale_web_get_signed_cookie(h, "user", 31);
  gale_web_printf(h, "user=%s", u ? u : "(none)");
}
static const gale_web_handler_class cookie_class = {.get = cookie_get};
static const gale_web_handler_class signed_class = {.get = signed_get};

static void xsrf_get(gale_web_handler *h) {
  web_user_check_handler(h);
  gale_web_write_str(h, gale_web_xsrf_token(h));
}
static void xsrf_post(gale_web_handler *h) {
  gale_web_write_str(h, "posted");
}
static const gale_web_handler_class xsrf_class = {.get = xsrf_get, .post = xsrf_post};

static void dflt_get(gale_web_handler *h) {
  gale_web_set_status(h, 404, NULL);
  gale_web_write_str(h, "my default");
}
static const gale_web_handler_class dflt_class = {.get = dflt_get};

/* The request accessors through the web layer. */
static void info_get(gale_web_handler *h) {
  gale_web_printf(h, "%s|%s|%s|%s|%s|%s|%s|%s|%s", gale_web_remote_ip(h), gale_web_protocol(h),
                  gale_web_host(h), gale_http_server_request_version(gale_web_request(h)),
                  gale_web_method(h), gale_web_uri(h), gale_web_path(h), gale_web_query(h),
                  gale_web_header(h, "x-a") ? gale_web_header(h, "x-a") : "-");
}
static const gale_web_handler_class info_class = {.get = info_get};

/* prepare goes asynchronous; the test resumes it. */
static gale_web_handler *held_prep;
static void holdprep_prepare(gale_web_handler *h) {
  tr("prepare,");
  held_prep = h;
  gale_web_hold(h);
}
static void holdprep_get(gale_web_handler *h) {
  web_user_check_handler(h);
  tr("get,");
  gale_web_write_str(h, "resumed");
}
static const gale_web_handler_class holdprep_class = {.prepare = holdprep_prepare,
                                                      .get = holdprep_get};

/* Tornado's @stream_request_body. */
struct sink_ctx {
  size_t got;
  int calls;
};
static int sink_data(gale_web_handler *h, const char *data, size_t len) {
  struct sink_ctx *ctx = gale_web_handler_ctx(h);
  (void)data;
  ctx->got += len;
  ctx->calls++;
  return GALE_OK;
}
static void sink_put(gale_web_handler *h) {
  web_user_check_handler(h);
  struct sink_ctx *ctx = gale_web_handler_ctx(h);
  size_t blen = 0;
  gale_web_body(h, &blen);
  gale_web_printf(h, "got %zu buffered %zu", ctx->got, blen);
}
static const gale_web_handler_class sink_class = {
    .ctx_size = sizeof(struct sink_ctx), .data_received = sink_data, .put = sink_put};

/* gale_web_redirect with the status from the path. */
static void rstatus_get(gale_web_handler *h) {
  int status = atoi(gale_web_path_arg(h, 0));
  if (gale_web_redirect(h, "/target", status) != GALE_OK) gale_web_write_str(h, "refused");
}
static const gale_web_handler_class rstatus_class = {.get = rstatus_get};

/* on_finish of an asynchronous handler whose client went away. */
static int lp_finishes, lp_closes;
static gale_web_handler *lp_held;
static void lp_get(gale_web_handler *h) {
  web_user_check_handler(h);
  lp_held = h;
  gale_web_hold(h);
}
static void lp_closed(gale_web_handler *h) {
  web_user_check_handler(h);
  lp_closes++;
}
static void lp_finish(gale_web_handler *h) {
  web_user_check_handler(h);
  lp_finishes++;
  lp_held = NULL;
}
static const gale_web_handler_class lp_class = {
    .get = lp_get, .on_connection_close = lp_closed, .on_finish = lp_finish};

/* Cookie attributes are checked too (response splitting). */
static void badcookie_get(gale_web_handler *h) {
  gale_web_cookie_options o = {.path = "/a;b"};
  gale_web_printf(h, "%d,", gale_web_set_cookie(h, "n", "v", &o) == GALE_EINVAL);
  gale_web_cookie_options o2 = {.domain = "x\r\nSet-Cookie: evil=1"};
  gale_web_printf(h, "%d,", gale_web_set_cookie(h, "n", "v", &o2) == GALE_EINVAL);
  gale_web_cookie_options o3 = {.samesite = "Bogus"};
  gale_web_printf(h, "%d,", gale_web_set_cookie(h, "n", "v", &o3) == GALE_EINVAL);
  gale_web_printf(h, "%d", gale_web_set_cookie(h, "bad name", "v", NULL) == GALE_EINVAL);
}
static const gale_web_handler_class badcookie_class = {.get = badcookie_get};

static int life_magic = 7;

static void wstart(wfix *f, gale_web_app_options *o) {
  wfix_open(f, o);
  trace[0] = '\0';
  held = NULL;
  closes = 0;
  assert_int_equal(gale_web_app_add(f->app, "/life", &life_class, &life_magic, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/user/([0-9]+)/(?<id>[a-z%0-9]+)", &args_class, NULL, "user"), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/opt(/x)?", &args_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/form", &form_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/postonly", &postonly_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/resp", &resp_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/json", &json_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/stream", &stream_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/redir", &redir_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/err", &err_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/async", &async_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/early", &early_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/cookie", &cookie_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/signed", &signed_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/xsrf", &xsrf_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/info", &info_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/holdprep", &holdprep_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/sink", &sink_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/rstatus/([0-9]+)", &rstatus_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/longpoll", &lp_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/badcookie", &badcookie_class, NULL, NULL), GALE_OK);
  static const gale_web_redirect_options ro = {.url = "/user/{0}/x", .permanent = true};
  assert_int_equal(gale_web_app_add(f->app, "/old/([0-9]+)", &gale_web_redirect_handler, (void *)&ro, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/bad(", &args_class, NULL, NULL), GALE_EINVAL);
  assert_int_equal(gale_web_app_add(f->app, "/dup", &args_class, NULL, "user"), GALE_EEXIST);
  wfix_listen(f, NULL);
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_routes(void **state) {
  (void)state;
  wfix f;
  wstart(&f, NULL);
  tresp r;
  wfix_get(&f, "/life", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "magic=7");
  char v[128];
  assert_true(tresp_header(&r, "Content-Type", v, sizeof(v)));
  assert_string_equal(v, "text/html; charset=UTF-8");
  assert_true(tresp_header(&r, "Server", v, sizeof(v)));
  tresp_free(&r);
  TH_RUN_UNTIL(f.loop, strcmp(trace, "init,prepare,get,finish") == 0, 5);

  wfix_get(&f, "/user/42/b%2fc%20d", NULL, &r);
  assert_string_equal(r.body, "2:[42][b/c d]id=b/c d");
  tresp_free(&r);
  wfix_get(&f, "/opt", NULL, &r);
  assert_string_equal(r.body, "1:[]");
  tresp_free(&r);
  wfix_get(&f, "/life/x", NULL, &r); /* a literal route matches only itself */
  assert_int_equal(r.status, 404);
  tresp_free(&r);
  wfix_get(&f, "/lif", NULL, &r);
  assert_int_equal(r.status, 404);
  tresp_free(&r);
  wfix_get(&f, "/user/42/abc/extra", NULL, &r); /* anchored at the end */
  assert_int_equal(r.status, 404);
  assert_string_equal(r.body, "<html><title>404: Not Found</title><body>404: Not Found</body></html>");
  tresp_free(&r);
  wfix_fetch(&f, "DELETE /life HTTP/1.1\r\nHost: h\r\n\r\n", &r);
  assert_int_equal(r.status, 405);
  assert_true(tresp_header(&r, "Allow", v, sizeof(v)));
  assert_string_equal(v, "GET, HEAD");
  tresp_free(&r);
  wfix_fetch(&f, "BREW /life HTTP/1.1\r\nHost: h\r\n\r\n", &r);
  assert_int_equal(r.status, 405);
  tresp_free(&r);

  const char *args[] = {"7", "a b"};
  char *url = gale_web_app_reverse_url(f.app, "user", 2, args);
  assert_string_equal(url, "/user/7/a%20b");
  free(url);
  assert_null(gale_web_app_reverse_url(f.app, "user", 1, args));
  assert_null(gale_web_app_reverse_url(f.app, "nope", 0, NULL));

  wfix_get(&f, "/old/5", NULL, &r);
  assert_int_equal(r.status, 301);
  assert_true(tresp_header(&r, "Location", v, sizeof(v)));
  assert_string_equal(v, "/user/5/x");
  tresp_free(&r);
  wfix_stop(&f);

  gale_web_app_options o;
  gale_web_app_options_init(&o);
  o.default_handler = &dflt_class;
  wstart(&f, &o);
  wfix_get(&f, "/nothing/here", NULL, &r);
  assert_int_equal(r.status, 404);
  assert_string_equal(r.body, "my default");
  tresp_free(&r);
  wfix_stop(&f);
}

static void test_response_api(void **state) {
  (void)state;
  wfix f;
  wstart(&f, NULL);
  tresp r;
  wfix_get(&f, "/resp", NULL, &r);
  assert_int_equal(r.status, 299);
  assert_non_null(strstr(r.head, "HTTP/1.1 299 Quite Fine\r\n"));
  assert_non_null(strstr(r.head, "X-Multi: a\r\nX-Multi: b\r\n"));
  assert_null(strstr(r.head, "X-Gone"));
  assert_null(strstr(r.head, "Injected"));
  assert_string_equal(r.body, "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
  tresp_free(&r);

  wfix_get(&f, "/json", NULL, &r);
  char v[128];
  assert_true(tresp_header(&r, "Content-Type", v, sizeof(v)));
  assert_string_equal(v, "application/json; charset=UTF-8");
  assert_string_equal(r.body, "{\"s\":\"q\\\"\\\\\\n\\u003c/script\\u003e\",\"n\":-42,\"a\":[true,null,1.5]}");
  tresp_free(&r);

  wfix_get(&f, "/stream", NULL, &r);
  assert_true(tresp_header(&r, "Transfer-Encoding", v, sizeof(v)));
  assert_string_equal(r.body, "one,two");
  tresp_free(&r);

  wfix_get(&f, "/redir", NULL, &r);
  assert_int_equal(r.status, 307);
  assert_true(tresp_header(&r, "Location", v, sizeof(v)));
  assert_string_equal(v, "/elsewhere");
  tresp_free(&r);

  wfix_get(&f, "/err", NULL, &r);
  assert_int_equal(r.status, 503);
  assert_string_equal(r.body, "custom 503");
  tresp_free(&r);

  wfix_get(&f, "/early", NULL, &r);
  assert_int_equal(r.status, 403);
  tresp_free(&r);
  wfix_stop(&f);
}

static void test_etag(void **state) {
  (void)state;
  wfix f;
  wstart(&f, NULL);
  tresp r;
  wfix_get(&f, "/life", NULL, &r);
  char etag[64], raw[256];
  assert_true(tresp_header(&r, "Etag", etag, sizeof(etag)));
  tresp_free(&r);
  snprintf(raw, sizeof(raw), "GET /life HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"zz\", %s\r\n\r\n", etag);
  wfix_fetch(&f, raw, &r);
  assert_int_equal(r.status, 304);
  assert_int_equal(r.body_len, 0);
  assert_false(tresp_header(&r, "Content-Type", NULL, 0));
  tresp_free(&r);
  wfix_fetch(&f, "GET /life HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"other\"\r\n\r\n", &r);
  assert_int_equal(r.status, 200);
  tresp_free(&r);
  wfix_stop(&f);
}

static void test_arguments(void **state) {
  (void)state;
  wfix f;
  wstart(&f, NULL);
  tresp r;
  wfix_fetch(&f,
             "POST /form?q=query%20v&a=fromquery HTTP/1.1\r\nHost: h\r\n"
             "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 15\r\n\r\na=1&a=2&b=x+y%21",
             &r);
  /* Content-Length 15 cuts the last byte: b=x+y%2 is lenient-kept. */
  tresp_free(&r);
  wfix_fetch(&f,
             "POST /form?q=query%20v&a=fromquery HTTP/1.1\r\nHost: h\r\n"
             "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 16\r\n\r\na=1&a=2&b=x+y%21",
             &r);
  assert_string_equal(r.body, "a=2 n=3 b=x y! q=query v");
  tresp_free(&r);
  wfix_get(&f, "/form?a=only", NULL, &r);
  assert_string_equal(r.body, "a=only n=1 b=- q=-");
  tresp_free(&r);
  wfix_stop(&f);
}

static void test_async_handler(void **state) {
  (void)state;
  wfix f;
  wstart(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET /async HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, held != NULL, 5);
  th_run_for(f.loop, 0.05);
  assert_int_equal(tc_count(&c), 0);
  gale_web_write_str(held, "later");
  assert_int_equal(gale_web_finish(held), GALE_OK);
  held = NULL;
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tresp r;
  tc_get(&c, 0, false, &r);
  assert_string_equal(r.body, "later");
  tresp_free(&r);
  /* The client leaves before the handler finishes. */
  tc_send(&c, "GET /async HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, held != NULL, 5);
  tc_close(&c);
  TH_RUN_UNTIL(f.loop, closes == 1, 5);
  assert_null(held);
  wfix_stop(&f);
}

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
  assert_null(gale_web_signed_value_decode("other", "name", s, 31, now));      /* secret */
  assert_null(gale_web_signed_value_decode("k", "nom", s, 31, now));           /* name */
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
  snprintf(raw, sizeof(raw), "POST /xsrf HTTP/1.1\r\nHost: h\r\nCookie: _xsrf=%s\r\nContent-Length: 0\r\n\r\n", cookie);
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
  snprintf(raw, sizeof(raw), "POST /xsrf HTTP/1.1\r\nHost: h\r\nCookie: _xsrf=%s\r\nX-XSRFToken: %s\r\nContent-Length: 0\r\n\r\n", cookie, token);
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
  snprintf(raw, sizeof(raw), "POST /xsrf HTTP/1.1\r\nHost: h\r\nCookie: _xsrf=%s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s", cookie, bl, body);
  wfix_fetch(&f, raw, &r);
  assert_int_equal(r.status, 200);
  tresp_free(&r);
  /* A token of another client. */
  snprintf(raw, sizeof(raw), "POST /xsrf HTTP/1.1\r\nHost: h\r\nCookie: _xsrf=2|00000000|0123456789abcdef0123456789abcdef|1\r\nX-XSRFToken: %s\r\nContent-Length: 0\r\n\r\n", token);
  wfix_fetch(&f, raw, &r);
  assert_int_equal(r.status, 403);
  tresp_free(&r);
  wfix_stop(&f);
}

static void test_request_accessors(void **state) {
  (void)state;
  wfix f;
  wstart(&f, NULL);
  tresp r;
  wfix_fetch(&f, "GET /info?k=v%20w HTTP/1.1\r\nHost: example.org:81\r\nX-A: hdr\r\n\r\n", &r);
  assert_string_equal(r.body, "127.0.0.1|http|example.org:81|HTTP/1.1|GET|/info?k=v%20w|/info|k=v%20w|hdr");
  tresp_free(&r);
  wfix_fetch(&f, "GET /info HTTP/1.0\r\n\r\n", &r);
  assert_string_equal(r.body, "127.0.0.1|http||HTTP/1.0|GET|/info|/info||-");
  tresp_free(&r);
  /* HEAD runs get; the headers say what GET would send, no body follows. */
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "HEAD /life HTTP/1.1\r\nHost: h\r\n\r\nGET /life HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), strstr(c.buf, "magic=7") != NULL), 5);
  tc_get(&c, 0, true, &r);
  assert_int_equal(r.status, 200);
  char v[64];
  assert_true(tresp_header(&r, "Content-Length", v, sizeof(v)));
  assert_string_equal(v, "7");
  tresp_free(&r);
  size_t hl = (size_t)(strstr(c.buf, "\r\n\r\n") - c.buf) + 4;
  assert_memory_equal(c.buf + hl, "HTTP/1.1 200", 12); /* no body between the two */
  tc_close(&c);
  wfix_stop(&f);
}

static void test_prepare_hold_resume(void **state) {
  (void)state;
  wfix f;
  wstart(&f, NULL);
  held_prep = NULL;
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET /holdprep HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, held_prep != NULL, 5);
  th_run_for(f.loop, 0.05);
  assert_string_equal(trace, "prepare,");
  assert_int_equal(tc_count(&c), 0);
  assert_int_equal(gale_web_resume(held_prep), GALE_OK);
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tresp r;
  tc_get(&c, 0, false, &r);
  assert_string_equal(r.body, "resumed");
  assert_string_equal(trace, "prepare,get,");
  tresp_free(&r);
  tc_close(&c);
  wfix_stop(&f);
}

static void test_stream_request_body(void **state) {
  (void)state;
  wfix f;
  wstart(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  enum { N = 500000 };
  char *body = malloc(N);
  memset(body, 'u', N);
  char head[128];
  snprintf(head, sizeof(head), "PUT /sink HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n", N);
  tc_send(&c, head);
  tc_sendn(&c, body, N);
  free(body);
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 10);
  tresp r;
  tc_get(&c, 0, false, &r);
  assert_string_equal(r.body, "got 500000 buffered 0");
  tresp_free(&r);
  /* Chunked too. */
  tc_send(&c, "PUT /sink HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 2, 5);
  tc_get(&c, 1, false, &r);
  assert_string_equal(r.body, "got 5 buffered 0");
  tresp_free(&r);
  tc_close(&c);
  wfix_stop(&f);
}

static void test_redirect_statuses(void **state) {
  (void)state;
  wfix f;
  wstart(&f, NULL);
  static const int ok[] = {301, 302, 303, 307, 308};
  tresp r;
  char path[64], v[64];
  for (size_t i = 0; i < 5; i++) {
    snprintf(path, sizeof(path), "/rstatus/%d", ok[i]);
    wfix_get(&f, path, NULL, &r);
    assert_int_equal(r.status, ok[i]);
    assert_true(tresp_header(&r, "Location", v, sizeof(v)));
    assert_string_equal(v, "/target");
    tresp_free(&r);
  }
  wfix_get(&f, "/rstatus/0", NULL, &r); /* default */
  assert_int_equal(r.status, 302);
  tresp_free(&r);
  wfix_get(&f, "/rstatus/305", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "refused");
  tresp_free(&r);
  wfix_get(&f, "/badcookie", NULL, &r);
  assert_string_equal(r.body, "1,1,1,1");
  assert_null(strstr(r.head, "Set-Cookie"));
  tresp_free(&r);
  /* A flushed (streamed) response gets no ETag. */
  wfix_get(&f, "/stream", NULL, &r);
  assert_false(tresp_header(&r, "Etag", NULL, 0));
  tresp_free(&r);
  wfix_stop(&f);
}

static void test_longpoll_client_gone(void **state) {
  (void)state;
  wfix f;
  wstart(&f, NULL);
  lp_finishes = lp_closes = 0;
  lp_held = NULL;
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET /longpoll HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, lp_held != NULL, 5);
  assert_int_equal(lp_finishes, 0);
  tc_close(&c);
  TH_RUN_UNTIL(f.loop, lp_finishes == 1, 5);
  assert_int_equal(lp_closes, 1);
  assert_null(lp_held);
  wfix_stop(&f);
}

/* HEAD answers of the web layer, errors and streamed ones included: GET's
 * status and framing headers, no body, the connection kept as for GET. */
static void test_head_answers(void **state) {
  (void)state;
  wfix f;
  wstart(&f, NULL);
  const char *paths[] = {"/nothing", "/postonly", "/err", "/stream", "/life", "/redir"};
  for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
    tresp g, hd;
    char raw[256], vg[64], vh[64];
    wfix_get(&f, paths[i], NULL, &g);
    tclient c;
    tc_open(&c, f.port);
    snprintf(raw, sizeof(raw), "HEAD %s HTTP/1.1\r\nHost: h\r\n\r\nGET /life HTTP/1.1\r\nHost: h\r\n\r\n",
             paths[i]);
    tc_send(&c, raw);
    TH_RUN_UNTIL(f.loop, (tc_poll(&c), strstr(c.buf, "magic=7") != NULL), 5);
    tc_get(&c, 0, true, &hd);
    if (hd.status != g.status) fail_msg("%s: GET %d, HEAD %d", paths[i], g.status, hd.status);
    bool gl = tresp_header(&g, "Content-Length", vg, sizeof(vg));
    bool hl = tresp_header(&hd, "Content-Length", vh, sizeof(vh));
    assert_int_equal(gl, hl);
    if (gl) assert_string_equal(vg, vh);
    gl = tresp_header(&g, "Transfer-Encoding", vg, sizeof(vg));
    hl = tresp_header(&hd, "Transfer-Encoding", vh, sizeof(vh));
    assert_int_equal(gl, hl);
    if (gl) assert_string_equal(vg, vh);
    size_t n = strlen(hd.head);
    if (strncmp(c.buf + n, "HTTP/1.1 200 OK\r\n", 17) != 0)
      fail_msg("%s: HEAD answer has a body: %.200s", paths[i], c.buf + n);
    tresp_free(&g);
    tresp_free(&hd);
    tc_close(&c);
  }
  wfix_stop(&f);
}

/* An app with a few routes answering three pipelined requests; returns
 * the number of answers. */
static int web_alloc_scenario(void) {
  int answers = -1;
  trace[0] = '\0';
  gale_loop *loop = gale_loop_new();
  if (!loop) return answers;
  gale_web_app_options o;
  gale_web_app_options_init(&o);
  o.cookie_secret = "secret secret secret";
  gale_web_app *app = gale_web_app_new(&o);
  gale_http_server *server = NULL;
  gale_http_server_options ho;
  gale_http_server_options_init(&ho);
  ho.access_log = false;
  if (app && gale_web_app_add(app, "/life", &life_class, &life_magic, NULL) == GALE_OK &&
      gale_web_app_add(app, "/user/([0-9]+)/(?<id>[a-z%0-9]+)", &args_class, NULL, "user") == GALE_OK &&
      gale_web_app_add(app, "/form", &form_class, NULL, NULL) == GALE_OK &&
      gale_web_app_add(app, "/cookie", &cookie_class, NULL, NULL) == GALE_OK &&
      gale_web_app_listen(app, loop, 0, "127.0.0.1", &ho, &server) == GALE_OK) {
    tclient c;
    tc_open(&c, gale_http_server_port(server));
    tc_send(&c, "GET /user/42/abc HTTP/1.1\r\nHost: h\r\n\r\n"
                "POST /form?q=1 HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                "Content-Length: 7\r\n\r\na=1&b=2"
                "GET /cookie HTTP/1.1\r\nHost: h\r\nCookie: c=1\r\n\r\n");
    double end = th_now() + 2;
    while (th_now() < end && !(tc_poll(&c), c.eof) && tc_count(&c) < 3)
      gale_loop_run_once(loop, 0.02);
    answers = tc_count(&c);
    tc_close(&c);
    gale_http_server_free(server);
  }
  th_run_for(loop, 0.02);
  gale_web_app_free(app);
  gale_loop_free(loop);
  return answers;
}

/* HARDENING: each allocation of the web layer and the server under it
 * fails in turn (see test_http_server's test_allocation_failures for the
 * stream layer's known limit, skipped the same way). */
static void test_allocation_failures(void **state) {
  (void)state;
  int checked;
  long points = http_alloc_sweep(web_alloc_scenario, &checked);
  assert_true(points >= 10 && points < 9999);
  assert_true(checked > 10);
}

#define WEB_TESTS                                                                          \
  cmocka_unit_test(test_routes), cmocka_unit_test(test_response_api),                      \
      cmocka_unit_test(test_etag), cmocka_unit_test(test_arguments),                       \
      cmocka_unit_test(test_async_handler), cmocka_unit_test(test_cookies),                \
      cmocka_unit_test(test_signed_value), cmocka_unit_test(test_xsrf),                    \
      cmocka_unit_test(test_request_accessors), cmocka_unit_test(test_prepare_hold_resume), \
      cmocka_unit_test(test_stream_request_body), cmocka_unit_test(test_redirect_statuses), \
      cmocka_unit_test(test_longpoll_client_gone), cmocka_unit_test(test_head_answers)

int main(void) {
  const struct CMUnitTest tests[] = {WEB_TESTS, cmocka_unit_test(test_allocation_failures)};
  /* Every web feature again with the application's `user` set on each
   * request (the allocation sweep is left to the plain run). */
  const struct CMUnitTest user_tests[] = {WEB_TESTS};
  int failed = cmocka_run_group_tests_name("plain", tests, web_plain_setup, NULL);
  failed += cmocka_run_group_tests_name("user", user_tests, web_user_setup, web_user_teardown);
  return failed;
}
