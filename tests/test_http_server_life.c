/* SPDX-License-Identifier: MIT */
/* The HTTP server's life cycles seen from outside: the moves of the
 * connection and of the request that test_http_server.c does not reach
 * (a handler answering while its body still streams in), pooled requests
 * that must come back clean whatever the previous request did, and what
 * an idle keep-alive connection still holds (as little as possible). */
#include "test_http_server_util.h"
#include "http/server/server_internal.h"
#include "iostream/stream_priv.h"

typedef struct fixture {
  gale_loop *loop;
  gale_http_server *server;
  int port;
  int fds_before;
  int requests;
  int chunks;
  int closes;
  int streamed;                   /* body_cb calls of /prev-body */
  gale_http_server_request *prev; /* the previous request object */
  gale_http_server_request *held;
  int probes;
  const char *probe_failed; /* what a probe found left over */
  int finish_rc;            /* finish() from inside close_cb */
} fixture;

static int marker;

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

static int count_body(gale_http_server_request *req, const char *data, size_t len, void *arg) {
  fixture *f = arg;
  (void)req;
  (void)data;
  (void)len;
  f->streamed++;
  return GALE_OK;
}

static void on_close(gale_http_server_request *req, int status, void *arg) {
  fixture *f = arg;
  (void)req;
  (void)status;
  f->closes++;
}

/* The client went away before the answer: finishing now is refused as
 * closed, and marks the request finished (OPEN → FINISHED). */
static void finish_in_close(gale_http_server_request *req, int status, void *arg) {
  fixture *f = arg;
  (void)status;
  f->closes++;
  f->finish_rc = gale_http_server_request_finish(req);
  assert_true(gale_http_server_request_finished(req));
  assert_false(gale_http_server_request_headers_sent(req));
  assert_int_equal(gale_http_server_request_finish(req), GALE_ESTATE);
}

static void on_headers(gale_http_server_request *req, void *arg) {
  fixture *f = arg;
  const char *path = gale_http_server_request_path(req);
  if (strncmp(path, "/probe", 6) != 0) f->prev = req;
  if (strcmp(path, "/deny-body") == 0) gale_http_server_request_stream_body(req, deny_on_body, f);
  if (strcmp(path, "/prev-body") == 0) gale_http_server_request_stream_body(req, count_body, f);
}

/* A request that follows another on the same pooled object: finds nothing
 * of it. */
static const char *probe_leftover(fixture *f, gale_http_server_request *req) {
  size_t blen = 0;
  const char *body = gale_http_server_request_body(req, &blen);
  if (req != f->prev) return "not the pooled object";
  if (gale_http_server_request_get_user(req)) return "user";
  if (gale_http_server_request_get_status(req) != 200) return "status";
  if (gale_http_server_request_get_response_header(req, "X-Prev")) return "response header";
  if (gale_http_server_request_get_response_header(req, "Vary")) return "Vary";
  if (gale_http_server_request_headers_sent(req)) return "headers_sent";
  if (gale_http_server_request_finished(req)) return "finished";
  if (gale_http_server_request_pending(req)) return "pending bytes";
  if (blen != 3 || memcmp(body, "xyz", 3) != 0) return "body";
  if (gale_http_server_request_header_count(req) != 2) return "request headers";
  if (gale_http_server_request_header(req, "Accept-Encoding")) return "request header";
  if (strcmp(gale_http_server_request_query(req), "q=1") != 0) return "query";
  if (strcmp(gale_http_server_request_remote_ip(req), "127.0.0.1") != 0) return "remote ip";
  if (strcmp(gale_http_server_request_protocol(req), "http") != 0) return "protocol";
  if (gale_http_server_request_elapsed(req) > 5) return "start time";
  return NULL;
}

static void on_request(gale_http_server_request *req, void *arg) {
  fixture *f = arg;
  const char *path = gale_http_server_request_path(req);
  f->requests++;
  if (strcmp(path, "/probe") == 0) {
    f->probes++;
    const char *bad = probe_leftover(f, req);
    if (bad && !f->probe_failed) f->probe_failed = bad;
    gale_http_server_request_write(req, "probe-ok", 8);
  } else if (strcmp(path, "/probe-held") == 0) {
    f->probes++;
    f->held = req; /* the client goes away: no close_cb of before may run */
    return;
  } else if (strcmp(path, "/prev-stream") == 0) {
    gale_http_server_request_set_header(req, "X-Prev", "1");
    gale_http_server_request_write(req, "a", 1);
    gale_http_server_request_flush(req);
    gale_http_server_request_write(req, "b", 1);
  } else if (strcmp(path, "/prev-gzip") == 0 || strcmp(path, "/prev-gzip-stream") == 0) {
    gale_http_server_request_set_header(req, "Content-Type", "text/plain");
    for (int i = 0; i < 200; i++) gale_http_server_request_printf(req, "line %04d\n", i);
    if (path[10] == '-') gale_http_server_request_flush(req);
  } else if (strcmp(path, "/prev-user") == 0) {
    gale_http_server_request_set_user(req, &marker);
    gale_http_server_request_set_close_cb(req, on_close, f);
    gale_http_server_request_set_status(req, 404, "Gone Fishing");
    gale_http_server_request_set_header(req, "Content-Length", "3");
    gale_http_server_request_set_header(req, "X-Prev", "1");
    gale_http_server_request_write(req, "abc", 3);
  } else if (strcmp(path, "/finish-late") == 0) {
    gale_http_server_request_set_close_cb(req, finish_in_close, f);
    return;
  } else if (strcmp(path, "/prev-async") == 0) {
    gale_http_server_request_set_user(req, &marker);
    gale_http_server_request_set_close_cb(req, on_close, f);
    gale_http_server_request_set_header(req, "X-Prev", "1");
    return; /* the client closes before an answer */
  } else {
    gale_http_server_request_write(req, "ok", 2);
  }
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
  o.compress_response = true;
  o.decompress_request = true;
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

static const char PROBE[] = "POST /probe?q=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz";

/* Sends `prev` then a probe on one connection; the probe must be answered
 * plainly and find nothing of `prev` on the reused object. */
static void prev_then_probe(fixture *f, const char *prev) {
  tclient c;
  tc_open(&c, f->port);
  tc_send(&c, prev);
  TH_RUN_UNTIL(f->loop, tc_count(&c) == 1, 5);
  tc_send(&c, PROBE);
  TH_RUN_UNTIL(f->loop, tc_count(&c) == 2, 5);
  tresp r;
  tc_get(&c, 1, false, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "probe-ok");
  assert_false(tresp_header(&r, "X-Prev", NULL, 0));
  assert_false(tresp_header(&r, "Content-Encoding", NULL, 0));
  assert_false(tresp_header(&r, "Transfer-Encoding", NULL, 0));
  assert_false(tresp_header(&r, "Connection", NULL, 0));
  tresp_free(&r);
  tc_close(&c);
  if (f->probe_failed) fail_msg("after %.40s: left over: %s", prev, f->probe_failed);
}

/* The probe on a new connection, after a request that ended its own. */
static void probe_alone(fixture *f, const char *label) {
  tclient c;
  tc_open(&c, f->port);
  tc_send(&c, PROBE);
  TH_RUN_UNTIL(f->loop, tc_count(&c) == 1, 5);
  tresp r;
  tc_get(&c, 0, false, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "probe-ok");
  tresp_free(&r);
  tc_close(&c);
  if (f->probe_failed) fail_msg("after %s: left over: %s", label, f->probe_failed);
}

static void test_pool_reuse_is_clean(void **state) {
  (void)state;
  fixture f;
  start(&f);
  prev_then_probe(&f, "GET /prev-stream HTTP/1.1\r\nHost: h\r\n\r\n");
  prev_then_probe(&f, "GET /prev-gzip HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\n\r\n");
  prev_then_probe(&f, "GET /prev-gzip-stream HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\n\r\n");
  prev_then_probe(&f, "PUT /prev-body HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");
  prev_then_probe(&f, "GET /prev-user HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nX-B: 2\r\n\r\n");
  assert_int_equal(f.streamed, 1);
  assert_int_equal(f.closes, 0);

  /* An errored request (the head is malformed: the request object was
   * taken for it, then the connection answered 400 and closed). */
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET /x HTTP/1.1\r\nHost: h\r\nBad Header\r\n\r\n");
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  assert_non_null(strstr(c.buf, "400"));
  tc_close(&c);
  probe_alone(&f, "a malformed request");

  /* A gzipped request body (inflate), then one whose client went away
   * with close_cb and user set. */
  static const unsigned char gz[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                     0x03, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x86,
                                     0xa6, 0x10, 0x36, 0x05, 0x00, 0x00, 0x00};
  char head[160];
  snprintf(head, sizeof(head),
           "POST /gz HTTP/1.1\r\nHost: h\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n",
           sizeof(gz));
  tc_open(&c, f.port);
  tc_send(&c, head);
  tc_sendn(&c, gz, sizeof(gz));
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tc_send(&c, PROBE);
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 2, 5);
  tc_close(&c);
  if (f.probe_failed) fail_msg("after a gzipped body: left over: %s", f.probe_failed);

  int before = f.requests;
  tc_open(&c, f.port);
  tc_send(&c, "GET /prev-async HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, f.requests == before + 1, 5);
  tc_close(&c);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  probe_alone(&f, "a request whose client went away");

  /* close_cb and user of before do not follow into a request that is
   * itself dropped. */
  tc_open(&c, f.port);
  tc_send(&c, "GET /prev-user HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tc_send(&c, "GET /probe-held HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, f.held != NULL, 5);
  assert_ptr_equal(f.held, f.prev);
  assert_null(gale_http_server_request_get_user(f.held));
  tc_close(&c);
  th_run_for(f.loop, 0.05);
  assert_int_equal(f.closes, 1);
  assert_int_equal(f.probes, 9);
  stop(&f);
}

/* Idle between keep-alive requests: no request, no deadline timer, no
 * stream buffer, little memory; the next request is served as usual. */
static void test_idle_connection_is_lean(void **state) {
  (void)state;
  fixture f;
  start(&f);
  tclient c;
  tc_open(&c, f.port);
  for (int i = 1; i <= 3; i++) {
    tc_send(&c, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    TH_RUN_UNTIL(f.loop, tc_count(&c) == i, 5);
    th_run_for(f.loop, 0.01);
    assert_int_equal(gale_http_server_connection_count(f.server), 1);
    gale__h1_conn *conn = f.server->conns;
    assert_non_null(conn);
    assert_null(conn->req);
    assert_true(gale__conn_is_idle(conn));
    assert_null(conn->stream->in);
    assert_null(conn->stream->out);
    assert_null(conn->stream->tm);
  }
  /* What is left is the connection and its stream: with malloc's header
   * each, within the 512 bytes an idle connection may cost (issue 11,
   * item 10; bench/http.sh measures the whole process's growth). */
  assert_true(sizeof(gale__h1_conn) + sizeof(gale_stream) + 2 * 16 <= 512);
  /* A head arriving in pieces gets its deadline back. */
  tc_send(&c, "GET / HTTP/1.1\r\n");
  TH_RUN_UNTIL(f.loop, f.server->conns->req != NULL, 5);
  assert_non_null(f.server->conns->req->timer);
  tc_send(&c, "Host: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 4, 5);
  tc_close(&c);
  stop(&f);
}

static void test_finish_after_client_left(void **state) {
  (void)state;
  fixture f;
  start(&f);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET /finish-late HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, f.requests == 1, 5);
  tc_close(&c);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_int_equal(f.finish_rc, GALE_ECLOSED);
  stop(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_answer_while_body_streams),
      cmocka_unit_test(test_pool_reuse_is_clean),
      cmocka_unit_test(test_idle_connection_is_lean),
      cmocka_unit_test(test_finish_after_client_left),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
