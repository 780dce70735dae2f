/* SPDX-License-Identifier: MIT */
/* Every failure of gale_http_client names its cause (status and
 * sentence): reset and EOF before, in the middle of the head and mid-body,
 * each timeout phase, TLS, parse errors and the size limits, against the
 * scripted server (scripted_server.h). */
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

/* ---- every failure names its cause ----------------------------------------- */

/* Fetches `req` and checks the status and that the sentence says why. */
static void expect_cause(client_fx *f, gale_http_request *req, int status, const char *words) {
  cf_result *r = cf_fetch(f, req);
  if (r->status != status)
    fail_msg("%s: got %s (%s), expected %s", req->url, gale_err_name(r->status), r->error,
             gale_err_name(status));
  if (!strstr(r->error, words))
    fail_msg("%s: \"%s\" does not say \"%s\"", req->url, r->error, words);
  free(r);
  assert_int_equal(gale_http_client_idle_connections(f->client), 0);
}

static void expect_get_cause(client_fx *f, const char *path, int status, const char *words) {
  gale_http_request req;
  gale_http_request_init(&req, url(f, path));
  expect_cause(f, &req, status, words);
}

static void test_cause_reset_before_head(void **state) {
  expect_get_cause(*state, "/reset", GALE_ECONNRESET,
                   "reset the connection before the response head");
}

static void test_cause_reset_mid_head(void **state) {
  expect_get_cause(*state, "/reset-mid-head", GALE_ECONNRESET,
                   "in the middle of the response head");
}

static void test_cause_reset_mid_body(void **state) {
  expect_get_cause(*state, "/reset-mid-body", GALE_ECONNRESET,
                   "reset the connection after 10 of 100 body bytes");
}

static void test_cause_eof_before_head(void **state) {
  expect_get_cause(*state, "/empty-reply", GALE_EOF,
                   "closed the connection before the response head");
}

static void test_cause_eof_mid_head(void **state) {
  expect_get_cause(*state, "/close-mid-head", GALE_EHTTP_HEAD_TRUNCATED,
                   "closed the connection in the middle of the response head");
}

static void test_cause_eof_mid_body(void **state) {
  expect_get_cause(*state, "/truncated", GALE_EHTTP_TRUNCATED, "closed after 10 of 100 body bytes");
  expect_get_cause(*state, "/truncated-chunked", GALE_EHTTP_TRUNCATED,
                   "closed in the middle of the chunked body (5 bytes)");
}

static void test_cause_timeout_connect(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  /* A listener whose backlog is full drops further SYNs. */
  int port, lfd = cf_black_hole(&port), fill[4];
  for (int i = 0; i < 4; i++) fill[i] = cf_nb_connect(port);
  snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d/", port);
  gale_http_request_init(&req, f->url);
  req.connect_timeout = 0.2;
  expect_cause(f, &req, GALE_ETIMEDOUT_CONNECT, "timed out after 0.2 s");
  for (int i = 0; i < 4; i++) close(fill[i]);
  close(lfd);
}

static void test_cause_timeout_tls(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  /* The scripted server accepts and never answers a ClientHello. */
  snprintf(f->url, sizeof f->url, "https://127.0.0.1:%d/", S.port);
  gale_http_request_init(&req, f->url);
  req.connect_timeout = 0.2;
  expect_cause(f, &req, GALE_ETIMEDOUT_TLS, "handshake timed out");
}

static void test_cause_timeout_head(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  gale_http_request_init(&req, url(f, "/slow-head"));
  req.header_timeout = 0.2;
  expect_cause(f, &req, GALE_ETIMEDOUT_HEADER, "within header_timeout (0.2 s); part of one came");
  gale_http_request_init(&req, url(f, "/hang"));
  req.header_timeout = 0.2;
  expect_cause(f, &req, GALE_ETIMEDOUT_HEADER, "no complete response head within header_timeout");
}

static void test_cause_timeout_body_idle(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  gale_http_request_init(&req, url(f, "/hold-body"));
  req.body_idle_timeout = 0.2;
  expect_cause(f, &req, GALE_ETIMEDOUT_READ,
               "no body byte for 0.2 s (body_idle_timeout) after 10 body bytes");
  /* Set and not reached: the fetch is unaffected, and the connection that
   * goes back to the pool carries no timer. */
  gale_http_request_init(&req, url(f, "/big-chunked"));
  req.body_idle_timeout = 5;
  req.header_timeout = 5;
  {
    cf_result *r = cf_fetch(f, &req);
    assert_int_equal(r->status, GALE_OK);
    assert_int_equal(r->body_len, 200000);
    free(r);
  }
}

static void test_cause_timeout_request(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  gale_http_request_init(&req, url(f, "/hold-body"));
  req.request_timeout = 0.2;
  expect_cause(f, &req, GALE_ETIMEDOUT_REQUEST, "request timed out after 0.2 s");
}

static void test_cause_tls_failure(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *r;
  S.not_tls = true;
  snprintf(f->url, sizeof f->url, "https://127.0.0.1:%d/", S.port);
  gale_http_request_init(&req, f->url);
  r = cf_fetch(f, &req);
  if (r->status > GALE_ETLS || r->status < GALE_ETLS_EXPIRED)
    fail_msg("not a TLS failure: %s (%s)", gale_err_name(r->status), r->error);
  assert_non_null(strstr(r->error, "TLS handshake with 127.0.0.1 failed: "));
  free(r);
}

static void test_cause_parse(void **state) {
  expect_get_cause(*state, "/garbage", GALE_EHTTP_PARSE, "bad response from the server: ");
}

static void test_cause_head_too_large(void **state) {
  expect_get_cause(*state, "/long-line", GALE_EHTTP_HEADER_TOO_LARGE,
                   "response head over max_header_size (65536 bytes)");
}

static void test_cause_body_too_large(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  gale_http_request_init(&req, url(f, "/big"));
  req.max_body_size = 100000;
  expect_cause(f, &req, GALE_EHTTP_BODY_TOO_LARGE, "larger than max_body_size (100000 bytes)");
  gale_http_request_init(&req, url(f, "/big-chunked"));
  req.max_body_size = 150000;
  expect_cause(f, &req, GALE_EHTTP_BODY_TOO_LARGE, "larger than max_body_size (150000 bytes)");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_cause_reset_before_head, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cause_reset_mid_head, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cause_reset_mid_body, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cause_eof_before_head, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cause_eof_mid_head, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cause_eof_mid_body, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cause_timeout_connect, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cause_timeout_tls, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cause_timeout_head, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cause_timeout_body_idle, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cause_timeout_request, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cause_tls_failure, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cause_parse, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cause_head_too_large, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cause_body_too_large, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
