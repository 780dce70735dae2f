/* SPDX-License-Identifier: MIT */
/* The web tests' application (test_web.c, test_web_security.c): handler
 * classes for the life cycle, path arguments, forms, the response API,
 * JSON, streaming, redirects, errors, asynchronous and long-poll handlers,
 * cookies, signed cookies, XSRF and request accessors, routed by wstart()
 * on the web fixture (test_web_util.h).  What the handlers saw goes into
 * `trace` (the life cycle), `held` / `closes` (an asynchronous handler)
 * and lp_* (long poll).  Static: each test program has its own copy of
 * the state. */
#ifndef GALE_TEST_WEB_APP_H
#define GALE_TEST_WEB_APP_H

#include <jansson.h>
#include <time.h>

#include "test_web_util.h"

static char trace[256];
static gale_web_handler *held;
static int closes;

static void tr(const char *s) { strncat(trace, s, sizeof(trace) - strlen(trace) - 1); }

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
  json_t *v = json_pack("{s:s, s:i, s:[b, n, f]}", "s", "q\"\\\n</script>", "n", -42, "a", 1, 1.5);
  assert_non_null(v);
  assert_int_equal(gale_web_write_json(h, v), GALE_OK);
  json_decref(v);
  /* Arrays at the top are refused, as Tornado (JSON hijacking). */
  json_t *list = json_array();
  assert_int_equal(gale_web_write_json(h, list), GALE_EINVAL);
  json_decref(list);
  assert_int_equal(gale_web_write_json(h, NULL), GALE_EINVAL);
}

/* Echoes a JSON body's "echo" member back in an object. */
static void json_post(gale_web_handler *h) {
  web_user_check_handler(h);
  json_t *doc = gale_web_json_body(h);
  if (!doc) return; /* answered 400 */
  json_t *out = json_pack("{s:O}", "echo", json_object_get(doc, "echo"));
  gale_web_write_json(h, out);
  json_decref(out);
  json_decref(doc);
}
static const gale_web_handler_class json_class = {.get = json_get, .post = json_post};

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
static void xsrf_post(gale_web_handler *h) { gale_web_write_str(h, "posted"); }
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
  assert_int_equal(
      gale_web_app_add(f->app, "/user/([0-9]+)/(?<id>[a-z%0-9]+)", &args_class, NULL, "user"),
      GALE_OK);
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
  assert_int_equal(gale_web_app_add(f->app, "/rstatus/([0-9]+)", &rstatus_class, NULL, NULL),
                   GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/longpoll", &lp_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/badcookie", &badcookie_class, NULL, NULL), GALE_OK);
  static const gale_web_redirect_options ro = {.url = "/user/{0}/x{0}"};
  assert_int_equal(
      gale_web_app_add(f->app, "/old/([0-9]+)", &gale_web_redirect_handler, (void *)&ro, NULL),
      GALE_OK);
  static const gale_web_handler_class noslash = {
      .get = args_get, .post = args_get, .removeslash = true};
  static const gale_web_handler_class slash = {.get = args_get, .addslash = true};
  assert_int_equal(gale_web_app_add(f->app, "/docs/?", &noslash, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/", &noslash, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/dir/?", &slash, NULL, NULL), GALE_OK);
  static const gale_web_error_options gone = {.status = 410};
  assert_int_equal(gale_web_app_add(f->app, "/gone", &gale_web_error_handler, (void *)&gone, NULL),
                   GALE_OK);
  static const gale_web_redirect_options ro_tmp = {.url = "/new?from=old", .temporary = true};
  assert_int_equal(
      gale_web_app_add(f->app, "/moved", &gale_web_redirect_handler, (void *)&ro_tmp, NULL),
      GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/bad(", &args_class, NULL, NULL), GALE_EINVAL);
  assert_int_equal(gale_web_app_add(f->app, "/dup", &args_class, NULL, "user"), GALE_EEXIST);
  wfix_listen(f, NULL);
}

#endif
