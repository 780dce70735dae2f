/* SPDX-License-Identifier: MIT */
/* The web layer's coroutine handlers (.coroutine = true): awaiting sleeps,
 * fetches of the same server and events inline, prepare awaiting, the
 * client leaving mid-await, failures answered 500, and many requests
 * suspended at once. */
#include "test_web_util.h"

static gale_loop *loop;          /* the fixture's, for the handlers */
static gale_http_client *client; /* for handlers fetching the server */
static int port;
static char trace[512];
static int cancelled_awaits, closed_calls, gone_checks_ok;

static void tr(const char *s) { strncat(trace, s, sizeof(trace) - strlen(trace) - 1); }

/* Sleeps `seconds` inside the running coroutine; returns the await's status. */
static int nap(double seconds) {
  gale_future *s = gale_sleep(loop, seconds);
  assert_non_null(s);
  int st = gale_await(s);
  if (st != GALE_OK) gale_future_cancel(s); /* stop the timer */
  gale_future_unref(s);
  return st;
}

/* ---- handler classes ---------------------------------------------------------- */

struct cctx {
  int magic;
  bool prepared;
};

static int sleep_init(gale_web_handler *h, void *args) {
  (void)args;
  assert_true(gale_coro_running());
  ((struct cctx *)gale_web_handler_ctx(h))->magic = 7;
  tr("init,");
  return GALE_OK;
}
static void sleep_prepare(gale_web_handler *h) {
  (void)h;
  assert_true(gale_coro_running());
  tr("prepare,");
}
static int sleep_get(gale_web_handler *h) {
  web_user_check_handler(h);
  tr("get,");
  int st = nap(0.01);
  if (st != GALE_OK) return st;
  tr("woke,");
  web_user_check_handler(h);
  return gale_web_printf(h, "slept magic=%d", ((struct cctx *)gale_web_handler_ctx(h))->magic);
}
static void sleep_finish(gale_web_handler *h) {
  (void)h;
  tr("finish");
}
static const gale_web_handler_class sleep_class = {
    .name = "Sleep",
    .ctx_size = sizeof(struct cctx),
    .coroutine = true,
    .initialize = sleep_init,
    .prepare = sleep_prepare,
    .co.get = sleep_get,
    .on_finish = sleep_finish,
};

/* The plain (void) forms run in the coroutine too. */
static void plain_get(gale_web_handler *h) {
  assert_true(gale_coro_running());
  assert_int_equal(nap(0.005), GALE_OK);
  gale_web_write_str(h, "plain after sleep");
}
static void plain_post(gale_web_handler *h) {
  size_t len = 0;
  const char *body = gale_web_body(h, &len);
  assert_int_equal(nap(0.001), GALE_OK);
  gale_web_printf(h, "got %zu:%.*s", len, (int)len, body);
}
static const gale_web_handler_class plain_class = {
    .coroutine = true, .get = plain_get, .post = plain_post};

static void inner_get(gale_web_handler *h) {
  gale_web_printf(h, "inner-%s", gale_web_get_argument(h, "n", "?"));
}
static const gale_web_handler_class inner_class = {.get = inner_get};

/* Fetches /inner of this very server and wraps its body. */
static int outer_get(gale_web_handler *h) {
  char url[128];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/inner?n=%s", port,
           gale_web_get_argument(h, "n", "0"));
  gale_http_request req;
  gale_http_request_init(&req, url);
  gale_future *f = gale_http_client_fetch_future(client, &req);
  if (!f) return GALE_ENOMEM;
  int st = gale_await(f);
  if (st == GALE_OK) {
    const gale_http_response *resp = gale_future_result(f);
    gale_web_printf(h, "outer(%d %.*s)", resp->code, (int)resp->body_len, resp->body);
  }
  gale_future_unref(f);
  return st;
}
static const gale_web_handler_class outer_class = {.coroutine = true, .co.get = outer_get};

/* prepare awaits, then the method sees what it did. */
static int aprep_prepare(gale_web_handler *h) {
  int st = nap(0.005);
  if (st != GALE_OK) return st;
  ((struct cctx *)gale_web_handler_ctx(h))->prepared = true;
  if (strcmp(gale_web_get_argument(h, "deny", "0"), "1") == 0) {
    gale_web_set_status(h, 403, NULL);
    return gale_web_finish(h); /* the method does not run */
  }
  return GALE_OK;
}
static int aprep_get(gale_web_handler *h) {
  tr("aprep-get,");
  return gale_web_printf(h, "prepared=%d", ((struct cctx *)gale_web_handler_ctx(h))->prepared);
}
static const gale_web_handler_class aprep_class = {
    .ctx_size = sizeof(struct cctx),
    .coroutine = true,
    .co.prepare = aprep_prepare,
    .co.get = aprep_get,
};

/* Waits long; the client leaves meanwhile. */
static int gone_get(gale_web_handler *h) {
  tr("gone-get,");
  int st = nap(30);
  if (st == GALE_ECANCELLED) cancelled_awaits++;
  tr("resumed,");
  /* The request is gone; the handler and its context are not. */
  struct cctx *ctx = gale_web_handler_ctx(h);
  if (ctx && ctx->magic == 0 && gale_web_write_str(h, "late") == GALE_ECLOSED &&
      gale_web_finish(h) != GALE_OK && strcmp(gale_web_method(h), "") == 0 &&
      gale_web_header(h, "Host") == NULL && gale_web_request(h) == NULL &&
      strcmp(gale_web_get_argument(h, "a", "dflt"), "dflt") == 0 &&
      gale_web_set_header(h, "X", "y") == GALE_ECLOSED)
    gone_checks_ok++;
  /* A second await right away is not cancelled again. */
  if (nap(0) == GALE_OK) tr("again,");
  return st;
}
static void gone_closed(gale_web_handler *h) {
  (void)h;
  closed_calls++;
  tr("close,");
}
static void gone_finish(gale_web_handler *h) {
  (void)h;
  tr("finish");
}
static const gale_web_handler_class gone_class = {
    .ctx_size = sizeof(struct cctx),
    .coroutine = true,
    .co.get = gone_get,
    .on_connection_close = gone_closed,
    .on_finish = gone_finish,
};

/* Finishes, then goes on waiting. */
static int linger_get(gale_web_handler *h) {
  gale_web_write_str(h, "bye");
  if (gale_web_finish(h) != GALE_OK) return GALE_ESTATE;
  tr("linger-finished,");
  int st = nap(30);
  if (st == GALE_ECANCELLED && gale_web_write_str(h, "x") == GALE_ESTATE &&
      gale_web_request(h) == NULL && gale_web_get_status(h) == 200)
    tr("linger-unwound,");
  return st;
}
static const gale_web_handler_class linger_class = {.coroutine = true, .co.get = linger_get};

/* Failures: /fail/pending (unflushed body dropped: a 500 page), /fail/prep
 * (prepare fails: no method), /fail/flushed (headers out: cut short),
 * /fail/after (after finishing: only logged). */
static int fail_prepare(gale_web_handler *h) {
  if (strcmp(gale_web_path_arg(h, 0), "prep") == 0) {
    assert_int_equal(nap(0.001), GALE_OK);
    return GALE_ESYS;
  }
  return GALE_OK;
}
static int fail_get(gale_web_handler *h) {
  const char *what = gale_web_path_arg(h, 0);
  tr("fail-get,");
  gale_web_write_str(h, "partial");
  if (strcmp(what, "flushed") == 0) gale_web_flush(h);
  if (strcmp(what, "after") == 0) gale_web_finish(h);
  assert_int_equal(nap(0.001), GALE_OK);
  return GALE_ENOTSUP;
}
static const gale_web_handler_class fail_class = {
    .name = "Fail", .coroutine = true, .co.prepare = fail_prepare, .co.get = fail_get};

/* Many at once: each waits until all have arrived. */
enum { MANY = 200 };
static gale_event *all_here;
static int arrived, max_suspended, suspended;
static int many_get(gale_web_handler *h) {
  if (++arrived == MANY) gale_event_set(all_here);
  suspended++;
  if (suspended > max_suspended) max_suspended = suspended;
  gale_future *w = gale_event_wait(all_here, 10);
  int st = gale_await(w);
  gale_future_unref(w);
  suspended--;
  if (st != GALE_OK) return st;
  return gale_web_printf(h, "n=%s", gale_web_get_argument(h, "i", "?"));
}
static const gale_web_handler_class many_class = {.coroutine = true, .co.get = many_get};

/* gale_web_hold in a coroutine: finished later by a timer. */
static gale_web_handler *held;
static int hold_get(gale_web_handler *h) {
  assert_int_equal(nap(0.001), GALE_OK);
  gale_web_hold(h);
  held = h;
  return GALE_OK;
}
static const gale_web_handler_class hold_class = {.coroutine = true, .co.get = hold_get};

/* prepare holds; gale_web_resume runs the method in a new coroutine. */
static void holdprep_prepare(gale_web_handler *h) {
  gale_web_hold(h);
  held = h;
}
static int holdprep_get(gale_web_handler *h) {
  assert_true(gale_coro_running());
  assert_int_equal(nap(0.001), GALE_OK);
  return gale_web_write_str(h, "resumed");
}
static const gale_web_handler_class holdprep_class = {
    .coroutine = true, .prepare = holdprep_prepare, .co.get = holdprep_get};

static int stream_body(gale_web_handler *h, const char *data, size_t len) {
  (void)h, (void)data, (void)len;
  return GALE_OK;
}
static const gale_web_handler_class bad_stream_class = {
    .coroutine = true, .co.post = holdprep_get, .data_received = stream_body};

/* ---- fixture ------------------------------------------------------------------- */

static void cstart(wfix *f) {
  wfix_open(f, NULL);
  loop = f->loop;
  trace[0] = '\0';
  cancelled_awaits = closed_calls = gone_checks_ok = 0;
  held = NULL;
  assert_int_equal(gale_web_app_add(f->app, "/sleep", &sleep_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/plain", &plain_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/inner", &inner_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/outer", &outer_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/aprep", &aprep_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/gone", &gone_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/fail/(.*)", &fail_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/linger", &linger_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/many", &many_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/hold", &hold_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/holdprep", &holdprep_class, NULL, NULL), GALE_OK);
  wfix_listen(f, NULL);
  port = f->port;
}

static void cstop(wfix *f) {
  if (client) gale_http_client_free(client);
  client = NULL;
  wfix_stop(f);
  loop = NULL;
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_sleep_then_write(void **state) {
  (void)state;
  wfix f;
  cstart(&f);
  tresp r;
  wfix_get(&f, "/sleep", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "slept magic=7");
  tresp_free(&r);
  TH_RUN_UNTIL(f.loop, strstr(trace, "finish") != NULL, 5);
  assert_string_equal(trace, "init,prepare,get,woke,finish");
  /* HEAD runs co.get without the body. */
  wfix_fetch(&f, "HEAD /sleep HTTP/1.1\r\nHost: h\r\n\r\n", &r);
  assert_int_equal(r.status, 200);
  tresp_free(&r);
  /* The plain forms, a request body included. */
  wfix_get(&f, "/plain", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "plain after sleep");
  tresp_free(&r);
  wfix_fetch(&f, "POST /plain HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello", &r);
  assert_string_equal(r.body, "got 5:hello");
  tresp_free(&r);
  /* 405 lists the co methods. */
  wfix_fetch(&f, "DELETE /sleep HTTP/1.1\r\nHost: h\r\n\r\n", &r);
  assert_int_equal(r.status, 405);
  char allow[64];
  assert_true(tresp_header(&r, "Allow", allow, sizeof(allow)));
  assert_string_equal(allow, "GET, HEAD");
  tresp_free(&r);
  cstop(&f);
}

/* Keep-alive: the coroutine's request answered, the next one is served. */
static void test_pipelined_keepalive(void **state) {
  (void)state;
  wfix f;
  cstart(&f);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET /sleep HTTP/1.1\r\nHost: h\r\n\r\nGET /plain HTTP/1.1\r\nHost: h\r\n\r\n"
              "GET /inner?n=3 HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 3, 5);
  tresp r;
  tc_get(&c, 0, false, &r);
  assert_string_equal(r.body, "slept magic=7");
  tresp_free(&r);
  tc_get(&c, 1, false, &r);
  assert_string_equal(r.body, "plain after sleep");
  tresp_free(&r);
  tc_get(&c, 2, false, &r);
  assert_string_equal(r.body, "inner-3");
  tresp_free(&r);
  tc_close(&c);
  cstop(&f);
}

static void test_fetch_same_server(void **state) {
  (void)state;
  wfix f;
  cstart(&f);
  assert_int_equal(gale_http_client_new(f.loop, NULL, &client), GALE_OK);
  tresp r;
  wfix_get(&f, "/outer?n=5", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "outer(200 inner-5)");
  tresp_free(&r);
  cstop(&f);
}

static void test_prepare_awaits(void **state) {
  (void)state;
  wfix f;
  cstart(&f);
  tresp r;
  wfix_get(&f, "/aprep", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "prepared=1");
  tresp_free(&r);
  wfix_get(&f, "/aprep?deny=1", NULL, &r);
  assert_int_equal(r.status, 403);
  tresp_free(&r);
  assert_string_equal(trace, "aprep-get,"); /* only the first ran the method */
  cstop(&f);
}

static void test_client_gone_mid_await(void **state) {
  (void)state;
  wfix f;
  cstart(&f);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET /gone HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, strstr(trace, "gone-get,") != NULL, 5);
  th_run_for(f.loop, 0.01);
  assert_string_equal(trace, "gone-get,");
  tc_close(&c);
  TH_RUN_UNTIL(f.loop, strstr(trace, "finish") != NULL, 5);
  /* close first, then the coroutine resumes cancelled, and on_finish only
   * once it returned. */
  assert_string_equal(trace, "gone-get,close,resumed,again,finish");
  assert_int_equal(cancelled_awaits, 1);
  assert_int_equal(closed_calls, 1);
  assert_int_equal(gone_checks_ok, 1);
  cstop(&f);
}

/* The server is freed under a suspended coroutine: cancelled the same
 * way, and it returns before the loop is freed. */
static void test_server_freed_mid_await(void **state) {
  (void)state;
  wfix f;
  cstart(&f);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET /gone HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, strstr(trace, "gone-get,") != NULL, 5);
  gale_http_server_free(f.server);
  f.server = NULL;
  TH_RUN_UNTIL(f.loop, strstr(trace, "finish") != NULL, 5);
  assert_string_equal(trace, "gone-get,close,resumed,again,finish");
  assert_int_equal(gone_checks_ok, 1);
  tc_close(&c);
  cstop(&f);
}

/* Code after finishing keeps running (Tornado's too): the request is
 * answered and freed under the coroutine, which is then suspended when the
 * server and the loop are freed; gale_loop_free unwinds it (its await
 * returns GALE_ECANCELLED) and it frees the handler: nothing leaks. */
static void test_loop_freed_mid_await(void **state) {
  (void)state;
  wfix f;
  cstart(&f);
  tresp r;
  wfix_get(&f, "/linger", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "bye");
  tresp_free(&r);
  th_run_for(f.loop, 0.02);
  assert_string_equal(trace, "linger-finished,");
  gale_http_server_free(f.server);
  th_run_for(f.loop, 0.05);
  assert_string_equal(trace, "linger-finished,");
  gale_loop_free(f.loop);
  assert_string_equal(trace, "linger-finished,linger-unwound,");
  gale_web_app_free(f.app);
  assert_int_equal(th_count_fds(), f.fds_before);
  loop = NULL;
}

static void test_coroutine_error_500(void **state) {
  (void)state;
  wfix f;
  cstart(&f);
  tresp r;
  wfix_get(&f, "/fail/pending", NULL, &r);
  assert_int_equal(r.status, 500);
  assert_null(strstr(r.body, "partial"));
  assert_non_null(strstr(r.body, "500"));
  tresp_free(&r);
  trace[0] = '\0';
  wfix_get(&f, "/fail/prep", NULL, &r);
  assert_int_equal(r.status, 500);
  tresp_free(&r);
  assert_string_equal(trace, ""); /* the method did not run */
  wfix_get(&f, "/fail/after", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "partial");
  tresp_free(&r);
  /* Headers out: the response is cut short (chunked, no last chunk). */
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET /fail/flushed HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  assert_non_null(strstr(c.buf, "HTTP/1.1 200"));
  assert_non_null(strstr(c.buf, "partial"));
  assert_null(strstr(c.buf, "\r\n0\r\n\r\n"));
  tc_close(&c);
  cstop(&f);
}

static void count_response(const gale_http_response *resp, void *arg) {
  int *ok = arg;
  char want[32];
  const char *q = strstr(resp->effective_url, "i=");
  snprintf(want, sizeof(want), "n=%s", q ? q + 2 : "?");
  if (resp->status == GALE_OK && resp->code == 200 && resp->body_len == strlen(want) &&
      memcmp(resp->body, want, resp->body_len) == 0)
    (*ok)++;
  else
    ok[1]++;
}

static void test_many_concurrent(void **state) {
  (void)state;
  wfix f;
  cstart(&f);
  gale_http_client_options co;
  gale_http_client_options_init(&co);
  co.max_clients = MANY;
  assert_int_equal(gale_http_client_new(f.loop, &co, &client), GALE_OK);
  all_here = gale_event_new(f.loop);
  arrived = max_suspended = suspended = 0;
  int counts[2] = {0, 0};
  for (int i = 0; i < MANY; i++) {
    char url[96];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/many?i=%d", f.port, i);
    gale_http_request req;
    gale_http_request_init(&req, url);
    assert_int_equal(gale_http_client_fetch(client, &req, count_response, counts, NULL), GALE_OK);
  }
  TH_RUN_UNTIL(f.loop, counts[0] + counts[1] == MANY, 20);
  assert_int_equal(counts[0], MANY);
  assert_int_equal(max_suspended, MANY); /* all suspended at once */
  gale_event_free(all_here);
  all_here = NULL;
  cstop(&f);
}

static void finish_held(gale_loop *l, void *arg) {
  (void)l, (void)arg;
  gale_web_write_str(held, "finished by a callback");
  gale_web_finish(held);
  held = NULL;
}

static void test_hold_and_resume(void **state) {
  (void)state;
  wfix f;
  cstart(&f);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET /hold HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, held != NULL, 5);
  th_run_for(f.loop, 0.02);
  assert_int_equal(tc_count(&c), 0); /* held: not finished for it */
  assert_int_equal(gale_loop_call_later(f.loop, 0.001, finish_held, NULL, NULL), GALE_OK);
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tresp r;
  tc_get(&c, 0, false, &r);
  assert_string_equal(r.body, "finished by a callback");
  tresp_free(&r);
  tc_close(&c);

  tc_open(&c, f.port);
  tc_send(&c, "GET /holdprep HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, held != NULL, 5);
  assert_int_equal(gale_web_resume(held), GALE_OK);
  held = NULL;
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tc_get(&c, 0, false, &r);
  assert_string_equal(r.body, "resumed");
  tresp_free(&r);
  tc_close(&c);
  cstop(&f);
}

static void test_refuses_streaming_coroutine(void **state) {
  (void)state;
  gale_web_app *app = gale_web_app_new(NULL);
  assert_int_equal(gale_web_app_add(app, "/x", &bad_stream_class, NULL, NULL), GALE_EINVAL);
  gale_web_app_free(app);
  gale_web_app_options o;
  gale_web_app_options_init(&o);
  o.default_handler = &bad_stream_class;
  assert_null(gale_web_app_new(&o));
}

#define CORO_TESTS                                                                                 \
  cmocka_unit_test(test_sleep_then_write), cmocka_unit_test(test_pipelined_keepalive),             \
      cmocka_unit_test(test_fetch_same_server), cmocka_unit_test(test_prepare_awaits),             \
      cmocka_unit_test(test_client_gone_mid_await), cmocka_unit_test(test_server_freed_mid_await), \
      cmocka_unit_test(test_loop_freed_mid_await), cmocka_unit_test(test_coroutine_error_500),     \
      cmocka_unit_test(test_many_concurrent), cmocka_unit_test(test_hold_and_resume)

int main(void) {
  gale_log_set_level(GALE_LOG_NONE); /* the failures above log errors on purpose */
  const struct CMUnitTest tests[] = {CORO_TESTS,
                                     cmocka_unit_test(test_refuses_streaming_coroutine)};
  const struct CMUnitTest user_tests[] = {CORO_TESTS};
  int failed = cmocka_run_group_tests_name("plain", tests, web_plain_setup, NULL);
  failed += cmocka_run_group_tests_name("user", user_tests, web_user_setup, web_user_teardown);
  return failed;
}
