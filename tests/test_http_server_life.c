/* The HTTP server's life cycles seen from outside: the moves of the
 * connection and of the request that test_http_server.c does not reach
 * (a handler answering while its body still streams in), and pooled
 * requests that must come back clean whatever the previous request did. */
#include "test_http_server_util.h"

typedef struct fixture {
  gale_loop *loop;
  gale_http_server *server;
  int port;
  int fds_before;
  int requests;
  int chunks;
  int closes;
} fixture;

/* Answers from the body callback, on the first piece of the body. */
static int deny_on_body(gale_http_server_request *req, const char *data, size_t len, void *arg) {
  fixture *f = arg;
  (void)data;
  (void)len;
  if (f->chunks++ == 0) {
    gale_http_server_request_set_status(req, 413, NULL);
    gale_http_server_request_write(req, "too big", 7);
    gale_http_server_request_finish(req);
  }
  return GALE_OK;
}

static void on_headers(gale_http_server_request *req, void *arg) {
  if (strcmp(gale_http_server_request_path(req), "/deny-body") == 0)
    gale_http_server_request_stream_body(req, deny_on_body, arg);
}

static void on_request(gale_http_server_request *req, void *arg) {
  fixture *f = arg;
  f->requests++;
  gale_http_server_request_write(req, "ok", 2);
  gale_http_server_request_finish(req);
}

static void start(fixture *f) {
  memset(f, 0, sizeof(*f));
  f->fds_before = th_count_fds();
  f->loop = gale_loop_new();
  assert_non_null(f->loop);
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  o.headers_cb = on_headers;
  o.access_log = false;
  assert_int_equal(gale_http_server_new(f->loop, &o, on_request, f, &f->server), GALE_OK);
  assert_int_equal(gale_http_server_listen(f->server, 0, "127.0.0.1"), GALE_OK);
  f->port = gale_http_server_port(f->server);
  assert_true(f->port > 0);
}

static void stop(fixture *f) {
  if (f->server) gale_http_server_free(f->server);
  th_run_for(f->loop, 0.05);
  gale_loop_free(f->loop);
  assert_int_equal(th_count_fds(), f->fds_before);
}

/* BODY → APP with the request already finished: the answer went out while
 * the body streamed in, so the connection refuses keep-alive and closes as
 * soon as the body is in, with a pipelined request behind it left alone
 * (it used to stay in BODY and spin on the next request's bytes). */
static void test_answer_while_body_streams(void **state) {
  (void)state;
  fixture f;
  start(&f);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "PUT /deny-body HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n01234");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tc_send(&c, "56789GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  tresp r;
  tc_get(&c, 0, false, &r);
  assert_int_equal(r.status, 413);
  assert_string_equal(r.body, "too big");
  assert_true(tresp_header(&r, "Connection", NULL, 0));
  tresp_free(&r);
  assert_int_equal(tc_count(&c), 1);
  assert_int_equal(f.requests, 0);
  tc_close(&c);
  stop(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_answer_while_body_streams),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
