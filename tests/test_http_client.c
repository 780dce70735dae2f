/* SPDX-License-Identifier: MIT */
/* gale_http_client against the scripted server (scripted_server.h) inside
 * the test's own loop: framing (length, chunked, until close, HEAD,
 * 204/304, 1xx), keep-alive reuse and the retry of a reused connection, the
 * max_clients queue and its timeout, redirects (method rewriting, loops,
 * credentials across origins), the request head, refused requests, gzip,
 * limits, timeouts naming the phase, uploads (buffer, producer with and
 * without a length, 100-continue), streaming, cancellation, futures and
 * timings.  Hostile servers are in test_http_client_hostile.c, the network
 * around the exchange in test_http_client_net.c, the cause of each failure
 * in test_http_client_causes.c. */
#include "scripted_server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <zlib.h>

#include "gale/http_client.h"
#include "gale/httputil.h"
#include "gale/resolver.h"

static srv S; /* the running test's scripted server */

static int setup(void **state) { return srv_setup(state, &S); }
static int teardown(void **state) { return srv_teardown(state, &S); }
static const char *url(client_fx *f, const char *path) { return srv_url(f, &S, path); }
static cf_result *get(client_fx *f, const char *path) { return srv_get(f, &S, path); }

/* ---- tests --------------------------------------------------------------- */

static void test_get_and_reuse(void **state) {
  client_fx *f = *state;
  for (int i = 0; i < 5; i++) {
    cf_result *r = get(f, "/hello");
    assert_int_equal(r->status, GALE_OK);
    assert_int_equal(r->code, 200);
    assert_string_equal(r->body, "hello");
    assert_string_equal(r->xtest, "a");
    assert_int_equal(r->http_version, 11);
    assert_int_equal(r->reused, i > 0);
    free(r);
  }
  assert_int_equal(S.accepted, 1);
  assert_int_equal(gale_http_client_connections_opened(f->client), 1);
  assert_int_equal(gale_http_client_idle_connections(f->client), 1);
}

/* The usual end of a program: free the client, then the loop, with no loop
 * turn in between.  The kept-alive connection is released by the client's
 * free itself (fds equal; under ASan nothing leaks). */
static void test_free_client_then_loop(void **state) {
  void *st;
  (void)state;
  setup(&st);
  client_fx *f = st;
  cf_result *r = get(f, "/hello");
  assert_int_equal(r->code, 200);
  free(r);
  assert_int_equal(gale_http_client_idle_connections(f->client), 1);
  gale_http_client_free(f->client);
  f->client = NULL;
  srv_stop(&S);
  cf_close(f);
}

static void test_framing(void **state) {
  client_fx *f = *state;
  cf_result *r = get(f, "/chunked");
  assert_int_equal(r->status, GALE_OK);
  assert_string_equal(r->body, "hello");
  free(r);
  r = get(f, "/until-close");
  assert_int_equal(r->status, GALE_OK);
  assert_int_equal(r->http_version, 10);
  assert_string_equal(r->body, "all of it");
  free(r);
  r = get(f, "/204");
  assert_int_equal(r->code, 204);
  assert_int_equal(r->body_len, 0);
  free(r);
  r = get(f, "/304");
  assert_int_equal(r->code, 304);
  assert_int_equal(r->body_len, 0);
  free(r);
  r = get(f, "/interim");
  assert_int_equal(r->code, 200);
  assert_string_equal(r->body, "ok");
  free(r);
  {
    gale_http_request req;
    gale_http_request_init(&req, url(f, "/head"));
    req.method = "HEAD";
    r = cf_fetch(f, &req);
    assert_int_equal(r->status, GALE_OK);
    assert_int_equal(r->body_len, 0);
    free(r);
  }
  /* The HEAD's connection (Content-Length: 1000, no body) is reusable. */
  r = get(f, "/hello");
  assert_true(r->reused);
  free(r);
  /* Connection: close is obeyed, whether or not the server closes. */
  for (int i = 0; i < 2; i++) {
    int before;
    r = get(f, i ? "/close-open" : "/close");
    assert_int_equal(r->status, GALE_OK);
    assert_string_equal(r->body, "bye");
    free(r);
    before = S.accepted;
    r = get(f, "/hello");
    assert_false(r->reused);
    assert_int_equal(S.accepted, before + 1);
    free(r);
  }
  /* An HTTP/1.0 answer with keep-alive may be reused. */
  r = get(f, "/http10-ka");
  assert_string_equal(r->body, "ka");
  free(r);
  r = get(f, "/hello");
  assert_true(r->reused);
  free(r);
}

static void test_retry_reused_closed(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *r = get(f, "/once");
  assert_string_equal(r->body, "once");
  free(r);
  /* The server drops the next request on that connection unanswered: a
   * GET is retried once on a fresh connection. */
  r = get(f, "/hello");
  assert_int_equal(r->status, GALE_OK);
  assert_string_equal(r->body, "hello");
  assert_false(r->reused);
  assert_int_equal(S.accepted, 2);
  free(r);
  /* A POST is never retried. */
  r = get(f, "/once");
  free(r);
  gale_http_request_init(&req, url(f, "/echo"));
  req.method = "POST";
  req.body = "x";
  req.body_len = 1;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_EOF);
  free(r);
}

static void test_errors(void **state) {
  client_fx *f = *state;
  struct {
    const char *path;
    int status;
  } cases[] = {
      {"/truncated", GALE_EHTTP_TRUNCATED}, {"/truncated-chunked", GALE_EHTTP_TRUNCATED},
      {"/empty-reply", GALE_EOF},           {"/bad", GALE_EHTTP_PARSE},
      {"/two-cl", GALE_EHTTP_PARSE},        {"/bad-chunk", GALE_EHTTP_BAD_CHUNK},
      {"/bad-gzip", GALE_EHTTP_DECOMPRESS},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cf_result *r = get(f, cases[i].path);
    if (r->status != cases[i].status)
      fail_msg("%s: got %s (%s)", cases[i].path, gale_err_name(r->status), r->error);
    assert_true(strlen(r->error) > 0);
    free(r);
  }
}

static void test_status_is_response(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  gale_future *fu;
  cf_result *r = get(f, "/404");
  assert_int_equal(r->status, GALE_OK);
  assert_int_equal(r->code, 404);
  assert_string_equal(r->body, "nope");
  free(r);
  /* With raise_error the future fails with GALE_EHTTP_STATUS. */
  gale_http_request_init(&req, url(f, "/404"));
  req.raise_error = true;
  fu = gale_http_client_fetch_future(f->client, &req);
  assert_non_null(fu);
  assert_int_equal(gale_loop_run_until_complete(f->loop, fu, 10), GALE_OK);
  assert_int_equal(gale_future_status(fu), GALE_EHTTP_STATUS);
  gale_future_unref(fu);
  /* A success as a future: the result is the response. */
  gale_http_request_init(&req, url(f, "/hello"));
  fu = gale_http_client_fetch_future(f->client, &req);
  assert_int_equal(gale_loop_run_until_complete(f->loop, fu, 10), GALE_OK);
  assert_int_equal(gale_future_status(fu), GALE_OK);
  {
    const gale_http_response *resp = gale_future_result(fu);
    assert_int_equal(resp->code, 200);
    assert_string_equal(resp->body, "hello");
  }
  gale_future_unref(fu);
}

static void test_redirects(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *r;
  struct {
    const char *path, *method, *expect;
  } cases[] = {
      {"/r301", "POST", "GET 0\n"}, {"/r302", "POST", "GET 0\n"},  {"/r303", "POST", "GET 0\n"},
      {"/r303", "HEAD", ""},        {"/r307", "POST", "POST 4\n"}, {"/r308", "PUT", "PUT 4\n"},
      {"/r301", "PUT", "PUT 4\n"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    gale_http_request_init(&req, url(f, cases[i].path));
    req.method = cases[i].method;
    if (strcmp(cases[i].method, "HEAD") != 0) {
      req.body = "data";
      req.body_len = 4;
    }
    r = cf_fetch(f, &req);
    if (r->status != GALE_OK)
      fail_msg("%s %s: %s (%s)", cases[i].method, cases[i].path, gale_err_name(r->status),
               r->error);
    assert_int_equal(r->code, 200);
    assert_int_equal(r->redirects, 1);
    if (strncmp(r->body, cases[i].expect, strlen(cases[i].expect)) != 0)
      fail_msg("%s %s: got '%.40s'", cases[i].method, cases[i].path, r->body);
    assert_non_null(strstr(r->url, "/echo"));
    if (strcmp(cases[i].expect, "GET 0\n") == 0)
      assert_null(strcasestr(S.last_head, "Content-Length"));
    free(r);
  }
  /* A chain of two. */
  r = get(f, "/chain");
  assert_int_equal(r->redirects, 2);
  assert_int_equal(r->code, 200);
  free(r);
  /* Not followed when asked not to. */
  gale_http_request_init(&req, url(f, "/r302"));
  req.follow_redirects = false;
  r = cf_fetch(f, &req);
  assert_int_equal(r->code, 302);
  assert_string_equal(r->body, "moved!!");
  free(r);
  /* All of it over one connection, redirect bodies read and dropped. */
  assert_int_equal(S.accepted, 1);
  /* A loop stops at max_redirects. */
  gale_http_request_init(&req, url(f, "/loop"));
  req.max_redirects = 3;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_EHTTP_TOO_MANY_REDIRECTS);
  assert_int_equal(r->redirects, 3);
  free(r);
  /* Only http and https. */
  r = get(f, "/to-ftp");
  assert_int_equal(r->status, GALE_ENOTSUP);
  free(r);
}

static void test_redirect_drops_credentials(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  gale_headers *h = gale_headers_new();
  cf_result *r;
  gale_headers_add(h, "Cookie", "a=b");
  gale_http_request_init(&req, url(f, "/r302"));
  req.auth_username = "user";
  req.auth_password = "pass";
  req.headers = h;
  r = cf_fetch(f, &req);
  assert_non_null(strstr(r->body, "Authorization: Basic dXNlcjpwYXNz"));
  assert_non_null(strstr(r->body, "Cookie: a=b"));
  free(r);
  /* 127.0.0.1 → localhost is another origin. */
  gale_http_request_init(&req, url(f, "/cross"));
  req.auth_username = "user";
  req.auth_password = "pass";
  req.headers = h;
  r = cf_fetch(f, &req);
  assert_int_equal(r->code, 200);
  assert_null(strstr(r->body, "Authorization"));
  assert_null(strstr(r->body, "Cookie"));
  free(r);
  gale_headers_free(h);
}

static void test_request_head(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  gale_headers *h = gale_headers_new();
  cf_result *r;
  gale_headers_add(h, "X-One", "1");
  gale_http_request_init(&req, url(f, "/echo?q=1#frag"));
  req.headers = h;
  req.user_agent = "tester/1";
  req.referer = "http://ref/";
  req.if_modified_since = 784111777;
  r = cf_fetch(f, &req);
  assert_non_null(strstr(r->body, "GET /echo?q=1 HTTP/1.1\r\n"));
  assert_non_null(strstr(r->body, "Host: 127.0.0.1:"));
  assert_non_null(strstr(r->body, "User-Agent: tester/1"));
  assert_non_null(strstr(r->body, "Referer: http://ref/"));
  assert_non_null(strstr(r->body, "Accept-Encoding: gzip"));
  assert_non_null(strstr(r->body, "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT"));
  assert_non_null(strstr(r->body, "X-One: 1"));
  free(r);
  /* Credentials in the URL. */
  snprintf(f->url, sizeof f->url, "http://us%%65r:pa%%3Ass@127.0.0.1:%d/echo", S.port);
  gale_http_request_init(&req, f->url);
  r = cf_fetch(f, &req);
  assert_non_null(strstr(r->body, "Authorization: Basic dXNlcjpwYTpzcw==")); /* user:pa:ss */
  free(r);
  gale_headers_free(h);
}

static void test_bad_requests_refused(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result res;
  gale_http_request_init(&req, url(f, "/hello"));
  req.method = "GE T";
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, &res, NULL),
                   GALE_EINVAL);
  req.method = "GET\r\nX: y";
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, &res, NULL),
                   GALE_EINVAL);
  gale_http_request_init(&req, "http://127.0.0.1/a b");
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, &res, NULL), GALE_EURL);
  gale_http_request_init(&req, "http://127.0.0.1/a\r\nX: y");
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, &res, NULL), GALE_EURL);
  gale_http_request_init(&req, "not a url");
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, &res, NULL), GALE_EURL);
  gale_http_request_init(&req, "ftp://example.org/");
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, &res, NULL),
                   GALE_ENOTSUP);
  gale_http_request_init(&req, url(f, "/hello"));
  req.user_agent = "a\r\nb";
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, &res, NULL),
                   GALE_EINVAL);
  /* Request fields cannot carry CR/LF/NUL or a non-token name: the headers
   * object refuses them before the client sees them. */
  {
    gale_headers *h = gale_headers_new();
    assert_int_equal(gale_headers_add(h, "X-A", "a\r\nX-B: b"), GALE_EINVAL);
    assert_int_equal(gale_headers_add(h, "X A", "a"), GALE_EINVAL);
    assert_int_equal(gale_headers_add(h, "X-A:", "a"), GALE_EINVAL);
    assert_int_equal(gale_headers_count(h), 0);
    gale_headers_free(h);
  }
  gale_http_request_init(&req, url(f, "/hello"));
  req.proxy_host = "127.0.0.1\r\nX: y";
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, &res, NULL),
                   GALE_EINVAL);
  gale_http_request_init(&req, url(f, "/hello"));
  req.body = "x";
  req.body_len = 1; /* a GET with a body */
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, &res, NULL),
                   GALE_EINVAL);
  assert_int_equal(gale_http_client_fetch(NULL, &req, cf_on_response, &res, NULL), GALE_EINVAL);
}

static void test_gzip(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *r = get(f, "/gzip");
  assert_int_equal(r->status, GALE_OK);
  assert_non_null(strstr(r->body, "compressible compressible"));
  free(r);
  r = get(f, "/gzip-chunked");
  assert_int_equal(r->status, GALE_OK);
  assert_non_null(strstr(r->body, "compressible compressible"));
  free(r);
  /* Without decompress_response the bytes come as sent. */
  gale_http_request_init(&req, url(f, "/gzip"));
  req.decompress_response = false;
  r = cf_fetch(f, &req);
  assert_int_equal((unsigned char)r->body[0], 0x1f);
  free(r);
}

static void test_limits(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *r;
  gale_http_request_init(&req, url(f, "/big"));
  req.max_body_size = 100000;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_EHTTP_BODY_TOO_LARGE);
  free(r);
  gale_http_request_init(&req, url(f, "/big-chunked"));
  req.max_body_size = 150000;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_EHTTP_BODY_TOO_LARGE);
  free(r);
  gale_http_request_init(&req, url(f, "/big"));
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_int_equal(r->body_len, 200000);
  free(r);
  gale_http_request_init(&req, url(f, "/hello"));
  req.max_header_size = 40;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_EHTTP_HEADER_TOO_LARGE);
  free(r);
}

static void test_timeouts(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *r;
  int closed_port;
  gale_http_request_init(&req, url(f, "/hang"));
  req.request_timeout = 0.3;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_ETIMEDOUT_REQUEST);
  free(r);
  /* Refused. */
  {
    int fd = th_listen(&closed_port);
    close(fd);
  }
  snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d/", closed_port);
  gale_http_request_init(&req, f->url);
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_ECONNREFUSED);
  assert_non_null(strstr(r->error, "Failed to connect"));
  free(r);
  /* A connect that never completes: a listener whose backlog is full
   * drops further SYNs. */
  {
    int port, lfd = cf_black_hole(&port), fill[4];
    for (int i = 0; i < 4; i++) fill[i] = cf_nb_connect(port);
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d/", port);
    gale_http_request_init(&req, f->url);
    req.connect_timeout = 0.3;
    r = cf_fetch(f, &req);
    if (r->status != GALE_ETIMEDOUT_CONNECT)
      fail_msg("black hole: %s (%s)", gale_err_name(r->status), r->error);
    free(r);
    for (int i = 0; i < 4; i++) close(fill[i]);
    close(lfd);
  }
}

static void test_queue(void **state) {
  client_fx *f = *state;
  gale_http_client_options o;
  gale_http_client *c;
  gale_http_request req;
  cf_result *res = calloc(3, sizeof *res);
  gale_http_client_options_init(&o);
  o.max_clients = 1;
  assert_int_equal(gale_http_client_new(f->loop, &o, &c), GALE_OK);
  /* One slot: a hanging request holds it; the next waits and times out in
   * the queue; the third is cancelled while queued. */
  gale_http_request_init(&req, url(f, "/hang"));
  req.request_timeout = 2;
  assert_int_equal(gale_http_client_fetch(c, &req, cf_on_response, &res[0], NULL), GALE_OK);
  gale_http_request_init(&req, url(f, "/hello"));
  req.connect_timeout = 0.3;
  assert_int_equal(gale_http_client_fetch(c, &req, cf_on_response, &res[1], NULL), GALE_OK);
  {
    uint64_t id;
    gale_http_request_init(&req, url(f, "/hello"));
    assert_int_equal(gale_http_client_fetch(c, &req, cf_on_response, &res[2], &id), GALE_OK);
    TH_RUN_UNTIL(f->loop, gale_http_client_active(c) == 1, 5);
    assert_int_equal(gale_http_client_queued(c), 2);
    assert_int_equal(gale_http_client_cancel(c, id), GALE_OK);
    assert_int_equal(gale_http_client_cancel(c, id), GALE_ENOENT);
  }
  TH_RUN_UNTIL(f->loop, res[1].done && res[2].done, 5);
  assert_int_equal(res[1].status, GALE_ETIMEDOUT_QUEUE);
  assert_int_equal(res[2].status, GALE_ECANCELLED);
  TH_RUN_UNTIL(f->loop, res[0].done, 5);
  assert_int_equal(res[0].status, GALE_ETIMEDOUT_REQUEST);
  gale_http_client_free(c);
  free(res);
}

static void test_parallel(void **state) {
  client_fx *f = *state;
  enum { N = 30 };
  cf_result *res = calloc(N, sizeof *res);
  gale_http_request req;
  int done = 0;
  gale_http_request_init(&req, url(f, "/hello"));
  for (int i = 0; i < N; i++)
    assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, &res[i], NULL),
                     GALE_OK);
  while (done < N) {
    done = 0;
    TH_RUN_UNTIL(f->loop, res[N - 1].done, 10);
    for (int i = 0; i < N; i++) done += res[i].done;
    if (done < N) gale_loop_run_once(f->loop, 0.05);
  }
  for (int i = 0; i < N; i++) {
    assert_int_equal(res[i].status, GALE_OK);
    assert_string_equal(res[i].body, "hello");
  }
  /* max_clients 10: never more than 10 connections. */
  assert_true(S.accepted <= 10);
  free(res);
}

typedef struct producer {
  int calls;
  int chunks;
  bool fail;
} producer;

static void produce(gale_http_upload *up, void *arg) {
  producer *p = arg;
  p->calls++;
  if (p->chunks-- > 0) {
    assert_int_equal(gale_http_upload_write(up, "abcd", 4), GALE_OK);
    return;
  }
  assert_int_equal(gale_http_upload_finish(up, p->fail ? GALE_ESYS : GALE_OK), GALE_OK);
}

static void never_called(const gale_http_response *resp, void *arg) {
  (void)resp, (void)arg;
  fail_msg("a refused fetch called back");
}

/* connect_to: the connection goes to the scripted server while the URL
 * names a host that does not resolve; Host keeps the URL's. */
static void test_connect_to(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  char u[128];
  cf_result *r;
  snprintf(u, sizeof u, "http://name.invalid:%d/echo", S.port + 1 > 65535 ? 1 : S.port + 1);
  gale_http_request_init(&req, u);
  req.connect_to_host = "127.0.0.1";
  req.connect_to_port = S.port;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_int_equal(r->code, 200);
  assert_non_null(strstr(S.last_head, "Host: name.invalid:"));
  free(r);
  /* a port of 0 keeps the URL's; out of range is refused */
  req.connect_to_port = 70000;
  assert_int_equal(gale_http_client_fetch(f->client, &req, never_called, NULL, NULL), GALE_EINVAL);
}

/* HTTP/1.0: the request line says so, no connection is reused, a
 * producer needs a size (no chunks). */
static void test_http10(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *r;
  int before = S.accepted;
  for (int i = 0; i < 2; i++) {
    gale_http_request_init(&req, url(f, "/echo"));
    req.http_version = GALE_HTTP_VERSION_1_0;
    r = cf_fetch(f, &req);
    assert_int_equal(r->status, GALE_OK);
    assert_int_equal(r->code, 200);
    assert_non_null(strstr(S.last_head, "GET /echo HTTP/1.0\r\n"));
    free(r);
  }
  assert_int_equal(S.accepted, before + 2);
  req.body_producer = produce;
  req.body_size = -1;
  req.method = "POST";
  assert_int_equal(gale_http_client_fetch(f->client, &req, never_called, NULL, NULL), GALE_EINVAL);
}

/* max_recv_speed: 200,000 bytes at 1 MB/s take at least 0.1 s even with
 * a first read of up to 64 KiB (a lower bound: a slow machine only adds);
 * the connection goes back to the pool reading again. */
static void test_max_recv_speed(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *r;
  double t0;
  gale_http_request_init(&req, url(f, "/big"));
  req.max_recv_speed = 1000000;
  t0 = gale_loop_time(f->loop);
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_int_equal(r->body_len, 200000);
  assert_true(gale_loop_time(f->loop) - t0 >= 0.1);
  free(r);
  r = get(f, "/echo");
  assert_int_equal(r->status, GALE_OK);
  assert_int_equal(r->code, 200);
  assert_int_equal(S.accepted, 1);
  free(r);
}

typedef struct rewinder {
  producer p;
  int rewinds;
  int result;
} rewinder;

static int rewind_body(void *arg) {
  rewinder *w = arg;
  w->rewinds++;
  w->p.chunks = 2;
  return w->result;
}

static void produce_rw(gale_http_upload *up, void *arg) { produce(up, &((rewinder *)arg)->p); }

/* post_redirects keeps a POST and its body; a producer's body follows a
 * redirect that keeps the method only through body_rewind. */
static void test_redirect_keeps_post_and_rewinds(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  rewinder w = {{0, 2, false}, 0, GALE_OK};
  cf_result *r;
  const char *paths[] = {"/r301", "/r302", "/r303"};
  int bits[] = {GALE_HTTP_POST_301, GALE_HTTP_POST_302, GALE_HTTP_POST_303};
  for (int i = 0; i < 3; i++) {
    gale_http_request_init(&req, url(f, paths[i]));
    req.method = "POST";
    req.body = "data";
    req.body_len = 4;
    req.post_redirects = bits[i];
    r = cf_fetch(f, &req);
    assert_int_equal(r->code, 200);
    assert_int_equal(strncmp(r->body, "POST 4\n", 7), 0);
    free(r);
    /* another code's bit does not keep this one */
    req.post_redirects = bits[(i + 1) % 3];
    r = cf_fetch(f, &req);
    assert_int_equal(strncmp(r->body, "GET 0\n", 6), 0);
    free(r);
  }
  /* A producer with a rewind: sent twice, whole both times. */
  gale_http_request_init(&req, url(f, "/r307"));
  req.method = "POST";
  req.body_producer = produce_rw;
  req.body_producer_arg = &w;
  req.body_rewind = rewind_body;
  req.body_size = 8;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_int_equal(r->code, 200);
  assert_int_equal(strncmp(r->body, "POST 8\n", 7), 0);
  assert_int_equal(w.rewinds, 1);
  assert_string_equal(S.last_body, "abcdabcd");
  free(r);
  /* A rewind that fails, or none: the 307 is the response. */
  w.p.chunks = 2;
  w.result = GALE_ESYS;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_int_equal(r->code, 307);
  assert_int_equal(w.rewinds, 2);
  free(r);
  w.p.chunks = 2;
  req.body_rewind = NULL;
  r = cf_fetch(f, &req);
  assert_int_equal(r->code, 307);
  assert_int_equal(w.rewinds, 2);
  free(r);
}

static void test_uploads(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  producer p = {0, 3, false};
  cf_result *r;
  /* Unknown length: chunked. */
  gale_http_request_init(&req, url(f, "/echo"));
  req.method = "POST";
  req.body_producer = produce;
  req.body_producer_arg = &p;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_non_null(strstr(S.last_head, "Transfer-Encoding: chunked"));
  assert_string_equal(S.last_body, "4\r\nabcd\r\n4\r\nabcd\r\n4\r\nabcd\r\n0\r\n\r\n");
  free(r);
  /* Known length. */
  p.chunks = 2;
  req.body_size = 8;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_non_null(strstr(S.last_head, "Content-Length: 8"));
  assert_string_equal(S.last_body, "abcdabcd");
  free(r);
  /* The producer failing fails the fetch. */
  p.chunks = 1;
  p.fail = true;
  req.body_size = -1;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_ESYS);
  free(r);
  /* 100-continue: the body follows the interim answer. */
  gale_http_request_init(&req, url(f, "/continue"));
  req.method = "PUT";
  req.body = "0123456789";
  req.body_len = 10;
  req.expect_100_continue = true;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_string_equal(r->body, "ok");
  assert_non_null(strstr(S.last_head, "Expect: 100-continue"));
  assert_string_equal(S.last_body, "0123456789");
  free(r);
  /* POST without a body says Content-Length: 0. */
  gale_http_request_init(&req, url(f, "/echo"));
  req.method = "POST";
  r = cf_fetch(f, &req);
  assert_non_null(strstr(r->body, "Content-Length: 0"));
  free(r);
}

typedef struct stream_ctx {
  size_t got;
  int calls;
  bool cancel;
  gale_http_client *client;
  uint64_t id;
} stream_ctx;

static int on_chunk(const void *data, size_t len, void *arg) {
  stream_ctx *s = arg;
  (void)data;
  s->got += len;
  s->calls++;
  if (s->cancel) gale_http_client_cancel(s->client, s->id);
  return GALE_OK;
}

static int on_chunk_fail(const void *data, size_t len, void *arg) {
  (void)data;
  (void)len;
  (void)arg;
  return GALE_ESYS;
}

static void test_streaming(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  stream_ctx s = {0};
  cf_result *r, *res;
  gale_http_request_init(&req, url(f, "/big"));
  req.streaming_callback = on_chunk;
  req.streaming_callback_arg = &s;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_int_equal(s.got, 200000);
  assert_int_equal(r->body_len, 0);
  free(r);
  /* The callback aborting. */
  req.streaming_callback = on_chunk_fail;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_ESYS);
  free(r);
  /* Cancelling from inside the streaming callback. */
  memset(&s, 0, sizeof s);
  s.cancel = true;
  s.client = f->client;
  req.streaming_callback = on_chunk;
  res = calloc(1, sizeof *res);
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, res, &s.id), GALE_OK);
  TH_RUN_UNTIL(f->loop, res->done, 10);
  assert_int_equal(res->status, GALE_ECANCELLED);
  assert_int_equal(s.calls, 1);
  free(res);
}

static void on_resp_free_client(const gale_http_response *r, void *arg) {
  client_fx *f = arg;
  (void)r;
  gale_http_client_free(f->client);
  f->client = NULL;
}

static void test_free_inside_callback(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *res = calloc(1, sizeof *res);
  gale_http_request_init(&req, url(f, "/hang"));
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, res, NULL), GALE_OK);
  gale_http_request_init(&req, url(f, "/hello"));
  assert_int_equal(gale_http_client_fetch(f->client, &req, on_resp_free_client, f, NULL), GALE_OK);
  TH_RUN_UNTIL(f->loop, f->client == NULL && res->done, 10);
  assert_int_equal(res->status, GALE_ECANCELLED);
  free(res);
}

static void test_future_cancel(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  gale_future *fu;
  gale_http_request_init(&req, url(f, "/hang"));
  fu = gale_http_client_fetch_future(f->client, &req);
  assert_non_null(fu);
  TH_RUN_UNTIL(f->loop, S.requests == 1, 5);
  assert_true(gale_future_cancel(fu));
  th_run_for(f->loop, 0.05);
  assert_int_equal(gale_future_status(fu), GALE_ECANCELLED);
  assert_int_equal(gale_http_client_active(f->client), 0);
  gale_future_unref(fu);
}

static void test_timings(void **state) {
  client_fx *f = *state;
  cf_result *r = get(f, "/hello");
  assert_true(r->t.total > 0);
  assert_true(r->t.total >= r->t.connect);
  assert_true(r->t.first_byte > 0);
  free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_get_and_reuse, setup, teardown),
      cmocka_unit_test(test_free_client_then_loop),
      cmocka_unit_test_setup_teardown(test_framing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_retry_reused_closed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_status_is_response, setup, teardown),
      cmocka_unit_test_setup_teardown(test_redirects, setup, teardown),
      cmocka_unit_test_setup_teardown(test_redirect_drops_credentials, setup, teardown),
      cmocka_unit_test_setup_teardown(test_redirect_keeps_post_and_rewinds, setup, teardown),
      cmocka_unit_test_setup_teardown(test_connect_to, setup, teardown),
      cmocka_unit_test_setup_teardown(test_http10, setup, teardown),
      cmocka_unit_test_setup_teardown(test_max_recv_speed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_request_head, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_requests_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_gzip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
      cmocka_unit_test_setup_teardown(test_timeouts, setup, teardown),
      cmocka_unit_test_setup_teardown(test_queue, setup, teardown),
      cmocka_unit_test_setup_teardown(test_parallel, setup, teardown),
      cmocka_unit_test_setup_teardown(test_uploads, setup, teardown),
      cmocka_unit_test_setup_teardown(test_streaming, setup, teardown),
      cmocka_unit_test_setup_teardown(test_free_inside_callback, setup, teardown),
      cmocka_unit_test_setup_teardown(test_future_cancel, setup, teardown),
      cmocka_unit_test_setup_teardown(test_timings, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
