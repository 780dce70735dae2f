/* SPDX-License-Identifier: MIT */
/* gale_http_client against gale's own HTTP server (gale_http_server in the
 * same loop): keep-alive reuse, HEAD, uploads (buffer, chunked producer,
 * sized producer, 100-continue accepted and refused before the body),
 * gzip responses, chunked streaming responses, redirects, raise_error,
 * max_body_size, and a handler that never answers. */
#include "client_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gale/http_client.h"
#include "gale/http_server.h"

/* The running test's server. */
typedef struct peer {
  gale_http_server *server;
  int port;
  int continues; /* requests that announced 100-continue */
  gale_http_server_request *hanging;
} peer;

static peer G;

static void on_hang_closed(gale_http_server_request *req, int status, void *arg) {
  peer *g = arg;
  (void)req;
  (void)status;
  g->hanging = NULL;
}

/* Refuses /deny before its body is read; counts 100-continue requests. */
static void on_headers(gale_http_server_request *req, void *arg) {
  peer *g = arg;
  const char *expect = gale_http_server_request_header(req, "Expect");
  if (expect) g->continues++;
  if (strcmp(gale_http_server_request_path(req), "/deny") == 0) {
    gale_http_server_request_set_status(req, 401, NULL);
    gale_http_server_request_write(req, "no", 2);
    gale_http_server_request_finish(req);
  }
}

static void on_request(gale_http_server_request *req, void *arg) {
  peer *g = arg;
  const char *path = gale_http_server_request_path(req);
  if (strcmp(path, "/hello") == 0) {
    gale_http_server_request_write(req, "hello", 5);
  } else if (strcmp(path, "/echo") == 0) {
    size_t len = 0;
    const char *body = gale_http_server_request_body(req, &len);
    const char *te = gale_http_server_request_header(req, "Transfer-Encoding");
    gale_http_server_request_printf(req, "%s %zu %s %.16s", gale_http_server_request_method(req),
                                    len, te ? te : "-", body ? body : "");
  } else if (strcmp(path, "/text") == 0) {
    gale_http_server_request_set_header(req, "Content-Type", "text/plain");
    for (int i = 0; i < 200; i++) gale_http_server_request_write(req, "gale text line\n", 15);
  } else if (strcmp(path, "/stream") == 0) {
    char piece[1000];
    memset(piece, 's', sizeof piece);
    for (int i = 0; i < 5; i++) {
      gale_http_server_request_write(req, piece, sizeof piece);
      gale_http_server_request_flush(req);
    }
  } else if (strcmp(path, "/redirect") == 0) {
    gale_http_server_request_set_status(req, 302, NULL);
    gale_http_server_request_set_header(req, "Location", "/hello");
  } else if (strcmp(path, "/big") == 0) {
    static char big[1 << 20];
    memset(big, 'b', sizeof big);
    for (int i = 0; i < 4; i++) gale_http_server_request_write_ref(req, big, sizeof big, NULL);
  } else if (strcmp(path, "/hang") == 0) {
    g->hanging = req;
    gale_http_server_request_set_close_cb(req, on_hang_closed, g);
    return;
  } else {
    gale_http_server_request_set_status(req, 404, NULL);
    gale_http_server_request_write(req, "missing", 7);
  }
  gale_http_server_request_finish(req);
}

static int setup(void **state) {
  client_fx *f = cf_open(NULL);
  gale_http_server_options so;
  memset(&G, 0, sizeof G);
  gale_http_server_options_init(&so);
  so.headers_cb = on_headers;
  so.compress_response = true;
  so.access_log = false;
  assert_int_equal(gale_http_server_new(f->loop, &so, on_request, &G, &G.server), GALE_OK);
  assert_int_equal(gale_http_server_listen(G.server, 0, "127.0.0.1"), GALE_OK);
  G.port = gale_http_server_port(G.server);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  client_fx *f = *state;
  cf_close_client(f);
  gale_http_server_free(G.server);
  th_run_for(f->loop, 0.05);
  cf_close(f);
  return 0;
}

static const char *url(client_fx *f, const char *path) {
  return cf_url(f, "http://127.0.0.1:%d%s", G.port, path);
}

static void test_keepalive_basics(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  for (int i = 0; i < 10; i++) {
    cf_result *r;
    gale_http_request_init(&req, url(f, "/hello"));
    r = cf_fetch(f, &req);
    assert_int_equal(r->status, GALE_OK);
    assert_int_equal(r->code, 200);
    assert_string_equal(r->reason, "OK");
    assert_string_equal(r->body, "hello");
    assert_string_equal(r->request_url, f->url);
    assert_int_equal(r->reused, i > 0);
    free(r);
  }
  assert_int_equal(gale_http_client_connections_opened(f->client), 1);
  {
    cf_result *r;
    gale_http_request_init(&req, url(f, "/hello"));
    req.method = "HEAD";
    r = cf_fetch(f, &req);
    assert_int_equal(r->code, 200);
    assert_int_equal(r->body_len, 0);
    assert_true(r->reused);
    free(r);
  }
}

typedef struct prod {
  int left;
} prod;

static void produce(gale_http_upload *up, void *arg) {
  prod *p = arg;
  if (p->left-- > 0)
    assert_int_equal(gale_http_upload_write(up, "0123456789", 10), GALE_OK);
  else
    assert_int_equal(gale_http_upload_finish(up, GALE_OK), GALE_OK);
}

static void test_uploads(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  prod p = {50};
  cf_result *r;
  gale_http_request_init(&req, url(f, "/echo"));
  req.method = "POST";
  req.body = "buffered body";
  req.body_len = 13;
  r = cf_fetch(f, &req);
  assert_string_equal(r->body, "POST 13 - buffered body");
  free(r);
  /* A producer of unknown length: chunked. */
  gale_http_request_init(&req, url(f, "/echo"));
  req.method = "PUT";
  req.body_producer = produce;
  req.body_producer_arg = &p;
  r = cf_fetch(f, &req);
  assert_string_equal(r->body, "PUT 500 chunked 0123456789012345");
  free(r);
  /* Of known length: Content-Length. */
  p.left = 3;
  req.body_size = 30;
  r = cf_fetch(f, &req);
  assert_string_equal(r->body, "PUT 30 - 0123456789012345");
  free(r);
  /* 100-continue: gale's server says go on, the body follows. */
  gale_http_request_init(&req, url(f, "/echo"));
  req.method = "POST";
  req.body = "after continue";
  req.body_len = 14;
  req.expect_100_continue = true;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_string_equal(r->body, "POST 14 - after continue");
  assert_int_equal(G.continues, 1);
  free(r);
  /* Refused before the body: the answer is the response, the body never
   * goes out, and that connection is not reused. */
  gale_http_request_init(&req, url(f, "/deny"));
  req.method = "POST";
  req.body = "never sent";
  req.body_len = 10;
  req.expect_100_continue = true;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_int_equal(r->code, 401);
  assert_string_equal(r->body, "no");
  free(r);
  gale_http_request_init(&req, url(f, "/hello"));
  r = cf_fetch(f, &req);
  assert_false(r->reused);
  free(r);
}

static int count(const void *data, size_t len, void *arg) {
  (void)data;
  ((size_t *)arg)[0] += len;
  ((size_t *)arg)[1]++;
  return GALE_OK;
}

static void test_gzip_stream_redirect(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  size_t got[2] = {0, 0};
  cf_result *r;
  gale_http_request_init(&req, url(f, "/text"));
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_string_equal(r->encoding, "gzip");
  assert_int_equal(r->body_len, 200 * 15);
  assert_int_equal(strncmp(r->body, "gale text line\ngale", 19), 0);
  free(r);
  gale_http_request_init(&req, url(f, "/stream"));
  req.streaming_callback = count;
  req.streaming_callback_arg = got;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_int_equal(got[0], 5000);
  assert_int_equal(r->body_len, 0);
  free(r);
  got[0] = got[1] = 0;
  gale_http_request_init(&req, url(f, "/big"));
  req.streaming_callback = count;
  req.streaming_callback_arg = got;
  r = cf_fetch(f, &req);
  assert_int_equal(got[0], 4u << 20);
  assert_true(got[1] > 1); /* in pieces, not one buffer */
  free(r);
  gale_http_request_init(&req, url(f, "/redirect"));
  r = cf_fetch(f, &req);
  assert_int_equal(r->code, 200);
  assert_int_equal(r->redirects, 1);
  assert_string_equal(r->body, "hello");
  assert_non_null(strstr(r->url, "/hello"));
  free(r);
}

static void test_errors(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *r;
  gale_http_request_init(&req, url(f, "/nothing"));
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_int_equal(r->code, 404);
  assert_string_equal(r->reason, "Not Found");
  free(r);
  req.raise_error = true;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_EHTTP_STATUS);
  assert_string_equal(r->body, "missing");
  free(r);
  gale_http_request_init(&req, url(f, "/big"));
  req.max_body_size = 1 << 20;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_EHTTP_BODY_TOO_LARGE);
  free(r);
  gale_http_request_init(&req, url(f, "/hang"));
  req.request_timeout = 0.3;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_ETIMEDOUT_REQUEST);
  free(r);
  /* The server saw the client go away. */
  TH_RUN_UNTIL(f->loop, G.hanging == NULL, 5);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_keepalive_basics, setup, teardown),
      cmocka_unit_test_setup_teardown(test_uploads, setup, teardown),
      cmocka_unit_test_setup_teardown(test_gzip_stream_redirect, setup, teardown),
      cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
