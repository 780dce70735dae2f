/* SPDX-License-Identifier: MIT */
/* gale_http_client's http_version option while the client speaks only
 * HTTP/1.1: the HTTP/2 values are refused up front with GALE_ENOTSUP (no
 * callback, no connection) instead of silently falling back, unknown values
 * are GALE_EINVAL, and HTTP/1.1 (default or forced) against gale's server
 * with HTTP/2 on records version 11 in the response. */
#include "client_fixture.h"

#include <stdlib.h>
#include <string.h>

#include "gale/http_client.h"
#include "gale/http_server.h"

static gale_http_server *server;
static int server_port;

static void on_request(gale_http_server_request *req, void *arg) {
  (void)arg;
  gale_http_server_request_write(req, "hello", 5);
  gale_http_server_request_finish(req);
}

static int setup(void **state) {
  client_fx *f = cf_open(NULL);
  gale_http_server_options so;
  gale_http_server_options_init(&so);
  so.access_log = false;
  so.http2 = true; /* the server could speak h2c: the client must not */
  assert_int_equal(gale_http_server_new(f->loop, &so, on_request, NULL, &server), GALE_OK);
  assert_int_equal(gale_http_server_listen(server, 0, "127.0.0.1"), GALE_OK);
  server_port = gale_http_server_port(server);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  client_fx *f = *state;
  cf_close_client(f);
  gale_http_server_free(server);
  th_run_for(f->loop, 0.05);
  cf_close(f);
  return 0;
}

static void never_called(const gale_http_response *r, void *arg) {
  (void)r;
  (void)arg;
  fail_msg("a refused fetch called back");
}

static void test_refused_versions(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  const char *urls[] = {"http://127.0.0.1:%d/", "https://127.0.0.1:%d/"};
  for (size_t u = 0; u < 2; u++) {
    gale_http_request_init(&req, cf_url(f, urls[u], server_port));
    req.http_version = GALE_HTTP_VERSION_2;
    assert_int_equal(gale_http_client_fetch(f->client, &req, never_called, NULL, NULL),
                     GALE_ENOTSUP);
    assert_null(gale_http_client_fetch_future(f->client, &req));
    req.http_version = GALE_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
    assert_int_equal(gale_http_client_fetch(f->client, &req, never_called, NULL, NULL),
                     GALE_ENOTSUP);
    req.http_version = 4;
    assert_int_equal(gale_http_client_fetch(f->client, &req, never_called, NULL, NULL),
                     GALE_EINVAL);
    req.http_version = -1;
    assert_int_equal(gale_http_client_fetch(f->client, &req, never_called, NULL, NULL),
                     GALE_EINVAL);
  }
  th_run_for(f->loop, 0.05);
  assert_int_equal(gale_http_client_active(f->client), 0);
  assert_int_equal(gale_http_client_queued(f->client), 0);
  assert_int_equal(gale_http_client_connections_opened(f->client), 0);
}

static void test_http11(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  int versions[] = {GALE_HTTP_VERSION_DEFAULT, GALE_HTTP_VERSION_1_1};
  for (size_t i = 0; i < 2; i++) {
    cf_result *r;
    gale_http_request_init(&req, cf_url(f, "http://127.0.0.1:%d/", server_port));
    assert_int_equal(req.http_version, GALE_HTTP_VERSION_DEFAULT);
    req.http_version = versions[i];
    r = cf_fetch(f, &req);
    assert_int_equal(r->status, GALE_OK);
    assert_int_equal(r->code, 200);
    assert_int_equal(r->http_version, 11);
    assert_string_equal(r->body, "hello");
    free(r);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_refused_versions, setup, teardown),
      cmocka_unit_test_setup_teardown(test_http11, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
