/* gale_http_client against gale's own HTTP server (gale_http_server in the
 * same loop): keep-alive reuse, HEAD, uploads (buffer, chunked producer,
 * sized producer, 100-continue accepted and refused before the body),
 * gzip responses, chunked streaming responses, redirects, raise_error,
 * max_body_size, and a handler that never answers. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gale/http_client.h"
#include "gale/http_server.h"

typedef struct fx {
  gale_loop *loop;
  gale_http_server *server;
  gale_http_client *client;
  int port, fds;
  int continues; /* requests that announced 100-continue */
  gale_http_server_request *hanging;
  char url[256];
} fx;

static void on_hang_closed(gale_http_server_request *req, int status, void *arg) {
  fx *f = arg;
  (void)req;
  (void)status;
  f->hanging = NULL;
}

/* Refuses /deny before its body is read; counts 100-continue requests. */
static void on_headers(gale_http_server_request *req, void *arg) {
  fx *f = arg;
  const char *expect = gale_http_server_request_header(req, "Expect");
  if (expect) f->continues++;
  if (strcmp(gale_http_server_request_path(req), "/deny") == 0) {
    gale_http_server_request_set_status(req, 401, NULL);
    gale_http_server_request_write(req, "no", 2);
    gale_http_server_request_finish(req);
  }
}

static void on_request(gale_http_server_request *req, void *arg) {
  fx *f = arg;
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
    f->hanging = req;
    gale_http_server_request_set_close_cb(req, on_hang_closed, f);
    return;
  } else {
    gale_http_server_request_set_status(req, 404, NULL);
    gale_http_server_request_write(req, "missing", 7);
  }
  gale_http_server_request_finish(req);
}

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  gale_http_server_options so;
  f->fds = th_count_fds();
  f->loop = gale_loop_new();
  gale_http_server_options_init(&so);
  so.headers_cb = on_headers;
  so.compress_response = true;
  so.access_log = false;
  assert_int_equal(gale_http_server_new(f->loop, &so, on_request, f, &f->server), GALE_OK);
  assert_int_equal(gale_http_server_listen(f->server, 0, "127.0.0.1"), GALE_OK);
  f->port = gale_http_server_port(f->server);
  assert_int_equal(gale_http_client_new(f->loop, NULL, &f->client), GALE_OK);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  gale_http_client_free(f->client);
  th_run_for(f->loop, 0.05);
  gale_http_server_free(f->server);
  th_run_for(f->loop, 0.05);
  gale_loop_free(f->loop);
  assert_int_equal(th_count_fds(), f->fds);
  free(f);
  return 0;
}

typedef struct result {
  int done, status, code, redirects;
  char body[8192];
  size_t body_len;
  char reason[64], error[256], url[256], request_url[256], consumed[32];
  bool reused;
} result;

static void on_resp(const gale_http_response *r, void *arg) {
  result *res = arg;
  const char *ce = gale_http_response_header(r, "X-Consumed-Content-Encoding");
  res->done++;
  res->status = r->status;
  res->code = r->code;
  res->redirects = r->num_redirects;
  res->reused = r->reused;
  res->body_len = r->body_len;
  snprintf(res->body, sizeof res->body, "%s", r->body);
  snprintf(res->reason, sizeof res->reason, "%s", r->reason);
  snprintf(res->error, sizeof res->error, "%s", r->error);
  snprintf(res->url, sizeof res->url, "%s", r->effective_url);
  snprintf(res->request_url, sizeof res->request_url, "%s", r->request->url);
  snprintf(res->consumed, sizeof res->consumed, "%s", ce ? ce : "");
}

static const char *url(fx *f, const char *path) {
  snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d%s", f->port, path);
  return f->url;
}

static result *fetch(fx *f, gale_http_request *req) {
  result *res = calloc(1, sizeof *res);
  assert_int_equal(gale_http_client_fetch(f->client, req, on_resp, res, NULL), GALE_OK);
  TH_RUN_UNTIL(f->loop, res->done, 10);
  return res;
}

static void test_keepalive_basics(void **state) {
  fx *f = *state;
  gale_http_request req;
  for (int i = 0; i < 10; i++) {
    result *r;
    gale_http_request_init(&req, url(f, "/hello"));
    r = fetch(f, &req);
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
    result *r;
    gale_http_request_init(&req, url(f, "/hello"));
    req.method = "HEAD";
    r = fetch(f, &req);
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
  if (p->left-- > 0) assert_int_equal(gale_http_upload_write(up, "0123456789", 10), GALE_OK);
  else assert_int_equal(gale_http_upload_finish(up, GALE_OK), GALE_OK);
}

static void test_uploads(void **state) {
  fx *f = *state;
  gale_http_request req;
  prod p = {50};
  result *r;
  gale_http_request_init(&req, url(f, "/echo"));
  req.method = "POST";
  req.body = "buffered body";
  req.body_len = 13;
  r = fetch(f, &req);
  assert_string_equal(r->body, "POST 13 - buffered body");
  free(r);
  /* A producer of unknown length: chunked. */
  gale_http_request_init(&req, url(f, "/echo"));
  req.method = "PUT";
  req.body_producer = produce;
  req.body_producer_arg = &p;
  r = fetch(f, &req);
  assert_string_equal(r->body, "PUT 500 chunked 0123456789012345");
  free(r);
  /* Of known length: Content-Length. */
  p.left = 3;
  req.body_size = 30;
  r = fetch(f, &req);
  assert_string_equal(r->body, "PUT 30 - 0123456789012345");
  free(r);
  /* 100-continue: gale's server says go on, the body follows. */
  gale_http_request_init(&req, url(f, "/echo"));
  req.method = "POST";
  req.body = "after continue";
  req.body_len = 14;
  req.expect_100_continue = true;
  r = fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_string_equal(r->body, "POST 14 - after continue");
  assert_int_equal(f->continues, 1);
  free(r);
  /* Refused before the body: the answer is the response, the body never
   * goes out, and that connection is not reused. */
  gale_http_request_init(&req, url(f, "/deny"));
  req.method = "POST";
  req.body = "never sent";
  req.body_len = 10;
  req.expect_100_continue = true;
  r = fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_int_equal(r->code, 401);
  assert_string_equal(r->body, "no");
  free(r);
  gale_http_request_init(&req, url(f, "/hello"));
  r = fetch(f, &req);
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
  fx *f = *state;
  gale_http_request req;
  size_t got[2] = {0, 0};
  result *r;
  gale_http_request_init(&req, url(f, "/text"));
  r = fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_string_equal(r->consumed, "gzip");
  assert_int_equal(r->body_len, 200 * 15);
  assert_int_equal(strncmp(r->body, "gale text line\ngale", 19), 0);
  free(r);
  gale_http_request_init(&req, url(f, "/stream"));
  req.streaming_callback = count;
  req.streaming_callback_arg = got;
  r = fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_int_equal(got[0], 5000);
  assert_int_equal(r->body_len, 0);
  free(r);
  got[0] = got[1] = 0;
  gale_http_request_init(&req, url(f, "/big"));
  req.streaming_callback = count;
  req.streaming_callback_arg = got;
  r = fetch(f, &req);
  assert_int_equal(got[0], 4u << 20);
  assert_true(got[1] > 1); /* in pieces, not one buffer */
  free(r);
  gale_http_request_init(&req, url(f, "/redirect"));
  r = fetch(f, &req);
  assert_int_equal(r->code, 200);
  assert_int_equal(r->redirects, 1);
  assert_string_equal(r->body, "hello");
  assert_non_null(strstr(r->url, "/hello"));
  free(r);
}

static void test_errors(void **state) {
  fx *f = *state;
  gale_http_request req;
  result *r;
  gale_http_request_init(&req, url(f, "/nothing"));
  r = fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_int_equal(r->code, 404);
  assert_string_equal(r->reason, "Not Found");
  free(r);
  req.raise_error = true;
  r = fetch(f, &req);
  assert_int_equal(r->status, GALE_EHTTP_STATUS);
  assert_string_equal(r->body, "missing");
  free(r);
  gale_http_request_init(&req, url(f, "/big"));
  req.max_body_size = 1 << 20;
  r = fetch(f, &req);
  assert_int_equal(r->status, GALE_EHTTP_BODY_TOO_LARGE);
  free(r);
  gale_http_request_init(&req, url(f, "/hang"));
  req.request_timeout = 0.3;
  r = fetch(f, &req);
  assert_int_equal(r->status, GALE_ETIMEDOUT_REQUEST);
  free(r);
  /* The server saw the client go away. */
  TH_RUN_UNTIL(f->loop, f->hanging == NULL, 5);
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
