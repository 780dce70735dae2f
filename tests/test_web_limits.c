/* SPDX-License-Identifier: MIT */
/* tests/test_web_limits.c — per-handler body limits over HTTP/1: a class's
 * max_body_size above and below the server's (Content-Length answered 413
 * before the body, a chunked body cut off with 413 and the connection
 * closed), one set per request from prepare of a data_received class
 * (Tornado's set_max_body_size in prepare), refused once the body is
 * being read, and a class's body_timeout. (HTTP/2: tests/test_h2_web.c.) */
#include "test_web_util.h"

static struct {
  int posts;
  size_t body_len;
  size_t streamed;
  int set_late; /* gale_web_set_max_body_size from the method */
  int set_prepare;
} seen;

static void count_post(gale_web_handler *h) {
  seen.posts++;
  gale_web_body(h, &seen.body_len);
  seen.set_late = gale_web_set_max_body_size(h, 1);
  gale_web_printf(h, "got %zu", seen.body_len + seen.streamed);
}

static const gale_web_handler_class default_class = {.post = count_post};
static const gale_web_handler_class big_class = {.post = count_post, .max_body_size = 100000};
static const gale_web_handler_class small_class = {.post = count_post, .max_body_size = 10};
static const gale_web_handler_class slow_class = {.post = count_post, .body_timeout = 0.2};

/* data_received: the limit is chosen in prepare from a header. */
static void stream_prepare(gale_web_handler *h) {
  const char *want = gale_web_header(h, "X-Limit");
  if (want) seen.set_prepare = gale_web_set_max_body_size(h, strtoull(want, NULL, 10));
}
static int stream_data(gale_web_handler *h, const char *d, size_t n) {
  (void)h;
  (void)d;
  seen.streamed += n;
  return GALE_OK;
}
static const gale_web_handler_class stream_class = {
    .prepare = stream_prepare, .data_received = stream_data, .post = count_post};

static void setup(wfix *f) {
  memset(&seen, 0, sizeof seen);
  wfix_open(f, NULL);
  gale_web_app_add(f->app, "/default", &default_class, NULL, NULL);
  gale_web_app_add(f->app, "/big", &big_class, NULL, NULL);
  gale_web_app_add(f->app, "/small", &small_class, NULL, NULL);
  gale_web_app_add(f->app, "/slow", &slow_class, NULL, NULL);
  gale_web_app_add(f->app, "/stream", &stream_class, NULL, NULL);
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  o.access_log = false;
  o.max_body_size = 1000;
  wfix_listen(f, &o);
}

/* POST `len` bytes with Content-Length (or chunked), extra header lines;
 * returns the status, and whether the server closed after it. */
static int post(wfix *f, const char *path, size_t len, bool chunked, const char *extra,
                bool *closed) {
  char *body = malloc(len + 1);
  memset(body, 'x', len);
  char head[512];
  if (chunked)
    snprintf(head, sizeof head,
             "POST %s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n%s\r\n%zx\r\n", path,
             extra ? extra : "", len);
  else
    snprintf(head, sizeof head, "POST %s HTTP/1.1\r\nHost: h\r\nContent-Length: %zu\r\n%s\r\n",
             path, len, extra ? extra : "");
  tclient c;
  tc_open(&c, f->port);
  tc_send(&c, head);
  /* The body only once the head was looked at, as a client waiting for
   * an early answer would; a refused one is not read. */
  gale_loop_run_once(f->loop, 0);
  tc_poll(&c);
  if (c.len == 0) {
    tc_sendn(&c, body, len);
    if (chunked) tc_send(&c, "\r\n0\r\n\r\n");
  }
  free(body);
  TH_RUN_UNTIL(f->loop, tc_count(&c) >= 1, 5);
  tresp r;
  tc_get(&c, 0, false, &r);
  int status = r.status;
  char conn[32] = "";
  *closed = tresp_header(&r, "Connection", conn, sizeof conn) && strcasecmp(conn, "close") == 0;
  if (*closed) TH_RUN_UNTIL(f->loop, (tc_poll(&c), c.eof), 5);
  if (status == 413) assert_non_null(strstr(r.body, "413"));
  tresp_free(&r);
  tc_close(&c);
  return status;
}

static void test_class_limits(void **state) {
  (void)state;
  wfix f;
  setup(&f);
  bool closed;
  /* The server's 1000 bytes for a class that sets nothing. */
  assert_int_equal(post(&f, "/default", 1000, false, NULL, &closed), 200);
  assert_int_equal(post(&f, "/default", 1001, false, NULL, &closed), 413);
  assert_true(closed);
  assert_int_equal(post(&f, "/default", 1001, true, NULL, &closed), 413);
  /* A class above the server's limit. */
  assert_int_equal(post(&f, "/big", 50000, false, NULL, &closed), 200);
  assert_int_equal(seen.body_len, 50000);
  assert_int_equal(post(&f, "/big", 60000, true, NULL, &closed), 200);
  assert_int_equal(post(&f, "/big", 100001, false, NULL, &closed), 413);
  assert_true(closed);
  /* And one below it: Content-Length and chunked alike. */
  int before = seen.posts;
  assert_int_equal(post(&f, "/small", 10, false, NULL, &closed), 200);
  assert_false(closed);
  assert_int_equal(post(&f, "/small", 11, false, NULL, &closed), 413);
  assert_true(closed);
  assert_int_equal(post(&f, "/small", 20, true, NULL, &closed), 413);
  assert_true(closed);
  assert_int_equal(seen.posts, before + 1);
  /* Too late from the method: the body was read. */
  assert_int_equal(seen.set_late, GALE_ESTATE);
  wfix_stop(&f);
}

static void test_prepare_limit(void **state) {
  (void)state;
  wfix f;
  setup(&f);
  bool closed;
  /* data_received's prepare raises the limit for this request. */
  assert_int_equal(post(&f, "/stream", 5000, false, "X-Limit: 8000\r\n", &closed), 200);
  assert_int_equal(seen.set_prepare, GALE_OK);
  assert_int_equal(seen.streamed, 5000);
  seen.streamed = 0;
  assert_int_equal(post(&f, "/stream", 5000, true, "X-Limit: 8000\r\n", &closed), 200);
  assert_int_equal(seen.streamed, 5000);
  seen.streamed = 0;
  assert_int_equal(post(&f, "/stream", 5000, false, NULL, &closed), 413);
  assert_int_equal(post(&f, "/stream", 900, false, "X-Limit: 100\r\n", &closed), 413);
  assert_int_equal(post(&f, "/stream", 300, true, "X-Limit: 100\r\n", &closed), 413);
  assert_true(closed);
  wfix_stop(&f);
}

static void test_body_timeout(void **state) {
  (void)state;
  wfix f;
  setup(&f);
  /* The class's 0.2 s, not the server's 60 s: a body that stalls. */
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "POST /slow HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc");
  double t0 = th_now();
  TH_RUN_UNTIL(f.loop, tc_count(&c) >= 1, 5);
  double waited = th_now() - t0;
  tresp r;
  tc_get(&c, 0, false, &r);
  assert_int_equal(r.status, 408);
  assert_true(waited < 5);
  tresp_free(&r);
  tc_close(&c);
  /* Refused arguments. */
  assert_int_equal(gale_web_set_max_body_size(NULL, 1), GALE_EINVAL);
  assert_int_equal(gale_http_server_request_set_max_body_size(NULL, 1), GALE_EINVAL);
  assert_int_equal(gale_http_server_request_set_body_timeout(NULL, 1), GALE_EINVAL);
  wfix_stop(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_class_limits),
      cmocka_unit_test(test_prepare_limit),
      cmocka_unit_test(test_body_timeout),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
