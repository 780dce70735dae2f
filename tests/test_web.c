/* SPDX-License-Identifier: MIT */
/* The web layer: routes, life cycle, response API, ETag, arguments,
 * asynchronous handlers, request accessors, prepare hold/resume, streamed
 * request bodies, redirects, long polls, HEAD, error pages, allocation
 * failures; each run plainly and with the application's `user` set.
 * Cookies, signed values and XSRF: test_web_security.c.  The app:
 * test_web_app.h. */
#include "test_web_app.h"

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
  assert_string_equal(r.body,
                      "<html><title>404: Not Found</title><body>404: Not Found</body></html>");
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

  /* Tornado's RedirectHandler: 301 by default, each {N} replaced (twice
   * here), the query kept. */
  wfix_get(&f, "/old/5", NULL, &r);
  assert_int_equal(r.status, 301);
  assert_true(tresp_header(&r, "Location", v, sizeof(v)));
  assert_string_equal(v, "/user/5/x5");
  tresp_free(&r);
  wfix_get(&f, "/old/123456789?a=1&b=%20", NULL, &r);
  assert_int_equal(r.status, 301);
  assert_true(tresp_header(&r, "Location", v, sizeof(v)));
  assert_string_equal(v, "/user/123456789/x123456789?a=1&b=%20");
  tresp_free(&r);
  wfix_get(&f, "/moved?q=2", NULL, &r);
  assert_int_equal(r.status, 302);
  assert_true(tresp_header(&r, "Location", v, sizeof(v)));
  assert_string_equal(v, "/new?from=old&q=2");
  tresp_free(&r);

  /* @removeslash / @addslash: GET redirected with the query, other methods
   * 404, the right form served, "/" left alone. */
  wfix_get(&f, "/docs/?x=1", NULL, &r);
  assert_int_equal(r.status, 301);
  assert_true(tresp_header(&r, "Location", v, sizeof(v)));
  assert_string_equal(v, "/docs?x=1");
  tresp_free(&r);
  wfix_get(&f, "/docs", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "0:");
  tresp_free(&r);
  wfix_get(&f, "/", NULL, &r);
  assert_int_equal(r.status, 200);
  tresp_free(&r);
  wfix_fetch(&f, "POST /docs/ HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", &r);
  assert_int_equal(r.status, 404);
  tresp_free(&r);
  wfix_get(&f, "/dir", NULL, &r);
  assert_int_equal(r.status, 301);
  assert_true(tresp_header(&r, "Location", v, sizeof(v)));
  assert_string_equal(v, "/dir/");
  tresp_free(&r);
  wfix_get(&f, "/dir/", NULL, &r);
  assert_int_equal(r.status, 200);
  tresp_free(&r);

  /* ErrorHandler: its status for every method, POST included (no XSRF). */
  wfix_get(&f, "/gone", NULL, &r);
  assert_int_equal(r.status, 410);
  assert_non_null(strstr(r.body, "410: Gone"));
  tresp_free(&r);
  wfix_fetch(&f, "POST /gone HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", &r);
  assert_int_equal(r.status, 410);
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
  assert_string_equal(r.body,
                      "{\"s\":\"q\\\"\\\\\\n<\\/script>\",\"n\":-42,\"a\":[true,null,1.5]}");
  tresp_free(&r);

  /* A JSON body read and answered; malformed or non-UTF-8 bodies get a 400
   * saying why. */
  wfix_fetch(
      &f,
      "POST /json HTTP/1.1\r\nHost: h\r\nContent-Length: 21\r\n\r\n{\"echo\": [1, \"\xc3\xa9\"]}  ",
      &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "{\"echo\":[1,\"\xc3\xa9\"]}");
  tresp_free(&r);
  wfix_fetch(&f, "POST /json HTTP/1.1\r\nHost: h\r\nContent-Length: 9\r\n\r\n{\"echo\": ", &r);
  assert_int_equal(r.status, 400);
  assert_true(tresp_header(&r, "Content-Type", v, sizeof(v)));
  assert_string_equal(v, "text/plain; charset=UTF-8");
  assert_non_null(strstr(r.body, "malformed JSON body: "));
  assert_non_null(strstr(r.body, "(line 1, column 9)"));
  tresp_free(&r);
  wfix_fetch(&f, "POST /json HTTP/1.1\r\nHost: h\r\nContent-Length: 13\r\n\r\n{\"echo\": \"\xff\"}",
             &r);
  assert_int_equal(r.status, 400);
  assert_non_null(strstr(r.body, "malformed JSON body: "));
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
  snprintf(raw, sizeof(raw), "GET /life HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"zz\", %s\r\n\r\n",
           etag);
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
             "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: "
             "15\r\n\r\na=1&a=2&b=x+y%21",
             &r);
  /* Content-Length 15 cuts the last byte: b=x+y%2 is lenient-kept. */
  tresp_free(&r);
  wfix_fetch(&f,
             "POST /form?q=query%20v&a=fromquery HTTP/1.1\r\nHost: h\r\n"
             "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: "
             "16\r\n\r\na=1&a=2&b=x+y%21",
             &r);
  assert_string_equal(r.body, "a=2 n=3 b=x y! q=query v");
  tresp_free(&r);
  wfix_get(&f, "/form?a=only", NULL, &r);
  assert_string_equal(r.body, "a=only n=1 b=- q=-");
  tresp_free(&r);
  /* As Tornado: whitespace stripped from both ends, control characters
   * (NUL too) turned to spaces, tabs and newlines inside kept. */
  wfix_get(&f, "/form?a=%20%09pad%0A%20&b=x%00y%01z%09w&q=%00%1f", NULL, &r);
  assert_string_equal(r.body, "a=pad n=1 b=x y z\tw q=");
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

static void test_request_accessors(void **state) {
  (void)state;
  wfix f;
  wstart(&f, NULL);
  tresp r;
  wfix_fetch(&f, "GET /info?k=v%20w HTTP/1.1\r\nHost: example.org:81\r\nX-A: hdr\r\n\r\n", &r);
  assert_string_equal(r.body,
                      "127.0.0.1|http|example.org:81|HTTP/1.1|GET|/info?k=v%20w|/info|k=v%20w|hdr");
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
  tc_send(&c, "PUT /sink HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
              "chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
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
    snprintf(raw, sizeof(raw),
             "HEAD %s HTTP/1.1\r\nHost: h\r\n\r\nGET /life HTTP/1.1\r\nHost: h\r\n\r\n", paths[i]);
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
      gale_web_app_add(app, "/user/([0-9]+)/(?<id>[a-z%0-9]+)", &args_class, NULL, "user") ==
          GALE_OK &&
      gale_web_app_add(app, "/form", &form_class, NULL, NULL) == GALE_OK &&
      gale_web_app_add(app, "/cookie", &cookie_class, NULL, NULL) == GALE_OK &&
      gale_web_app_listen(app, loop, 0, "127.0.0.1", &ho, &server) == GALE_OK) {
    tclient c;
    tc_open(&c, gale_http_server_port(server));
    tc_send(
        &c,
        "GET /user/42/abc HTTP/1.1\r\nHost: h\r\n\r\n"
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

static void named_get(gale_web_handler *h) {
  gale_web_write_str(h, gale_web_handler_route_args(h));
}
static const gale_web_handler_class named_class = {.get = named_get};

/* Tornado's add_handlers: host routes first, case and port ignored, then
 * the routes for any host. */
static void test_host_routing(void **state) {
  (void)state;
  wfix f;
  wfix_open(&f, NULL);
  assert_int_equal(gale_web_app_add(f.app, "/x", &named_class, "any", NULL), GALE_OK);
  assert_int_equal(gale_web_app_set_host(f.app, "api\\.example\\.com"), GALE_OK);
  assert_int_equal(gale_web_app_add(f.app, "/x", &named_class, "api", NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f.app, "/only", &named_class, "api-only", NULL), GALE_OK);
  assert_int_equal(gale_web_app_set_host(f.app, "(www\\.)?example\\.com|\\[::1\\]"), GALE_OK);
  assert_int_equal(gale_web_app_add(f.app, "/x", &named_class, "www", NULL), GALE_OK);
  assert_int_equal(gale_web_app_set_host(f.app, "bad("), GALE_EINVAL);
  assert_int_equal(gale_web_app_set_host(f.app, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f.app, "/late", &named_class, "late", NULL), GALE_OK);
  wfix_listen(&f, NULL);
  static const struct {
    const char *host, *path;
    int status;
    const char *body;
  } cases[] = {
      {"api.example.com", "/x", 200, "api"},
      {"API.Example.COM:8080", "/x", 200, "api"},
      {"api.example.com", "/only", 200, "api-only"},
      {"www.example.com", "/x", 200, "www"},
      {"example.com", "/x", 200, "www"},
      {"[::1]:80", "/x", 200, "www"},
      {"other.example.com", "/x", 200, "any"},
      {"api.example.com.evil", "/x", 200, "any"}, /* anchored at the end */
      {"other.example.com", "/only", 404, NULL},
      {"api.example.com", "/late", 200, "late"}, /* falls through to any host */
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char raw[256];
    snprintf(raw, sizeof(raw), "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", cases[i].path, cases[i].host);
    tresp r;
    wfix_fetch(&f, raw, &r);
    if (r.status != cases[i].status) fail_msg("%s%s: %d", cases[i].host, cases[i].path, r.status);
    if (cases[i].body) assert_string_equal(r.body, cases[i].body);
    tresp_free(&r);
  }
  wfix_stop(&f);
}

#define WEB_TESTS                                                                                  \
  cmocka_unit_test(test_routes), cmocka_unit_test(test_response_api), cmocka_unit_test(test_etag), \
      cmocka_unit_test(test_arguments), cmocka_unit_test(test_async_handler),                      \
      cmocka_unit_test(test_request_accessors), cmocka_unit_test(test_prepare_hold_resume),        \
      cmocka_unit_test(test_stream_request_body), cmocka_unit_test(test_redirect_statuses),        \
      cmocka_unit_test(test_longpoll_client_gone), cmocka_unit_test(test_head_answers),            \
      cmocka_unit_test(test_host_routing)

int main(void) {
  const struct CMUnitTest tests[] = {WEB_TESTS, cmocka_unit_test(test_allocation_failures)};
  /* Every web feature again with the application's `user` set on each
   * request (the allocation sweep is left to the plain run). */
  const struct CMUnitTest user_tests[] = {WEB_TESTS};
  int failed = cmocka_run_group_tests_name("plain", tests, web_plain_setup, NULL);
  failed += cmocka_run_group_tests_name("user", user_tests, web_user_setup, web_user_teardown);
  return failed;
}
