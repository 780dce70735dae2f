/* SPDX-License-Identifier: MIT */
/* The HTTP/1.1 server's bodies both ways: chunked and split requests,
 * chunked and streamed responses, 100-continue, HEAD and 204, gzip (whole,
 * streamed, and a request bomb), the cap on buffered bodies across
 * connections.  The server_fx: server_fixture.h. */
#include <zlib.h>

#include "http/server/server_internal.h"
#include "server_fixture.h"
#include "test_http_server_util.h"

static void test_chunked_request(void **state) {
  (void)state;
  server_fx f;
  sf_start(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
  th_run_for(f.loop, 0.05);
  tc_send(&c, "6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tresp r;
  tc_get(&c, 0, false, &r);
  assert_string_equal(r.body, "11:hello world");
  tresp_free(&r);
  tc_close(&c);
  sf_stop(&f);
}

static void test_body_split_everywhere(void **state) {
  (void)state;
  server_fx f;
  sf_start(&f, NULL);
  const char *msg = "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789";
  tclient c;
  tc_open(&c, f.port);
  for (size_t i = 0; msg[i]; i++) {
    tc_sendn(&c, msg + i, 1);
    gale_loop_run_once(f.loop, 0);
  }
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tresp r;
  tc_get(&c, 0, false, &r);
  assert_string_equal(r.body, "10:0123456789");
  tresp_free(&r);
  tc_close(&c);
  sf_stop(&f);
}

static void test_chunked_response(void **state) {
  (void)state;
  server_fx f;
  sf_start(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET /chunked HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 2, 5);
  tresp r;
  tc_get(&c, 0, false, &r);
  char v[32];
  assert_true(tresp_header(&r, "Transfer-Encoding", v, sizeof(v)));
  assert_string_equal(v, "chunked");
  assert_string_equal(r.body, "part1,part2");
  tresp_free(&r);
  tc_close(&c);
  sf_stop(&f);
}

static void test_streamed_body(void **state) {
  (void)state;
  server_fx f;
  sf_start(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  char *body = malloc(300000);
  memset(body, 'z', 300000);
  tc_send(&c, "PUT /stream HTTP/1.1\r\nHost: h\r\nContent-Length: 300000\r\n\r\n");
  tc_sendn(&c, body, 300000);
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 10);
  assert_int_equal(f.streamed, 300000);
  assert_int_equal(f.last_body_len, 0); /* not buffered */
  free(body);
  tc_close(&c);
  sf_stop(&f);
}

static void test_100_continue(void **state) {
  (void)state;
  server_fx f;
  sf_start(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c,
          "POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), strstr(c.buf, "\r\n\r\n") != NULL), 5);
  assert_memory_equal(c.buf, "HTTP/1.1 100 Continue\r\n\r\n", 25);
  c.len = 0;
  tc_send(&c, "data");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tresp r;
  tc_get(&c, 0, false, &r);
  assert_string_equal(r.body, "4:data");
  tresp_free(&r);
  tc_close(&c);

  /* Answered from the headers: no 100 Continue, and the connection closes
   * since the body was not read. */
  tc_open(&c, f.port);
  tc_send(&c,
          "POST /deny HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  tc_get(&c, 0, false, &r);
  assert_int_equal(r.status, 401);
  assert_null(strstr(c.buf, "100 Continue"));
  tresp_free(&r);
  tc_close(&c);
  sf_stop(&f);
}

static void test_head_and_204(void **state) {
  (void)state;
  server_fx f;
  sf_start(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "HEAD / HTTP/1.1\r\nHost: h\r\n\r\nGET /nocontent HTTP/1.1\r\nHost: h\r\n\r\nGET / "
              "HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), strstr(c.buf, "Hello, world") != NULL), 5);
  tresp r;
  tc_get(&c, 0, true, &r);
  char v[32];
  assert_int_equal(r.status, 200);
  assert_true(tresp_header(&r, "Content-Length", v, sizeof(v)));
  assert_string_equal(v, "12");
  tresp_free(&r);
  size_t hl = strstr(c.buf, "\r\n\r\n") - c.buf + 4;
  assert_memory_equal(c.buf + hl, "HTTP/1.1 204", 12);
  tc_close(&c);
  sf_stop(&f);
}

/* HEAD of a streamed response (flushed before finish, so GET is chunked)
 * carries GET's framing and no body; the connection goes on. */
static void test_head_streamed(void **state) {
  (void)state;
  server_fx f;
  sf_start(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET /chunked HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) >= 1, 5);
  tresp r;
  char v[64];
  tc_get(&c, 0, false, &r);
  assert_true(tresp_header(&r, "Transfer-Encoding", v, sizeof(v)));
  assert_string_equal(v, "chunked");
  assert_string_equal(r.body, "part1,part2");
  tresp_free(&r);
  tc_close(&c);

  tc_open(&c, f.port);
  tc_send(&c, "HEAD /chunked HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), strstr(c.buf, "Hello, world") != NULL), 5);
  tc_get(&c, 0, true, &r);
  assert_int_equal(r.status, 200);
  assert_true(tresp_header(&r, "Transfer-Encoding", v, sizeof(v)));
  assert_string_equal(v, "chunked");
  assert_false(tresp_header(&r, "Content-Length", NULL, 0));
  assert_false(tresp_header(&r, "Connection", NULL, 0));
  tresp_free(&r);
  size_t hl = (size_t)(strstr(c.buf, "\r\n\r\n") - c.buf) + 4;
  assert_memory_equal(c.buf + hl, "HTTP/1.1 200 OK\r\n", 17); /* no chunk bytes between */
  tc_close(&c);

  /* HTTP/1.0: GET would be close-delimited; HEAD has no body, and closes
   * as GET would. */
  tc_open(&c, f.port);
  tc_send(&c, "HEAD /chunked HTTP/1.0\r\n\r\n");
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  assert_false(strstr(c.buf, "part1") != NULL);
  hl = (size_t)(strstr(c.buf, "\r\n\r\n") - c.buf) + 4;
  assert_int_equal(c.len, hl);
  tc_close(&c);
  sf_stop(&f);
}

static int inflate_all(const char *in, size_t len, char *out, size_t cap) {
  z_stream z;
  memset(&z, 0, sizeof(z));
  inflateInit2(&z, 16 + 15);
  z.next_in = (Bytef *)in;
  z.avail_in = (uInt)len;
  z.next_out = (Bytef *)out;
  z.avail_out = (uInt)cap;
  int rc = inflate(&z, Z_FINISH);
  int n = (int)z.total_out;
  inflateEnd(&z);
  return rc == Z_STREAM_END ? n : -1;
}

static void test_gzip(void **state) {
  (void)state;
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  o.compress_response = true;
  o.decompress_request = true;
  server_fx f;
  sf_start(&f, &o);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET /big HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip, deflate\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tresp r;
  tc_get(&c, 0, false, &r);
  char v[64];
  assert_true(tresp_header(&r, "Content-Encoding", v, sizeof(v)));
  assert_string_equal(v, "gzip");
  assert_true(tresp_header(&r, "Vary", v, sizeof(v)));
  char *plain = malloc(20000);
  int n = inflate_all(r.body, r.body_len, plain, 20000);
  assert_int_equal(n, 400 * 18);
  assert_memory_equal(plain, "line 0000 of text\n", 18);
  assert_true(r.body_len < 2000);
  tresp_free(&r);

  /* Not accepted: plain. */
  c.len = 0;
  tc_send(&c, "GET /big HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tc_get(&c, 0, false, &r);
  assert_false(tresp_header(&r, "Content-Encoding", NULL, 0));
  assert_int_equal(r.body_len, 7200);
  tresp_free(&r);

  /* A gzip request body is inflated for the handler. */
  char gz[256];
  z_stream z;
  memset(&z, 0, sizeof(z));
  deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY);
  z.next_in = (Bytef *)"compressed body!";
  z.avail_in = 16;
  z.next_out = (Bytef *)gz;
  z.avail_out = sizeof(gz);
  deflate(&z, Z_FINISH);
  size_t gzlen = z.total_out;
  deflateEnd(&z);
  c.len = 0;
  char head[256];
  sprintf(head,
          "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n",
          gzlen);
  tc_send(&c, head);
  tc_sendn(&c, gz, gzlen);
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tc_get(&c, 0, false, &r);
  assert_string_equal(r.body, "16:compressed body!");
  tresp_free(&r);
  free(plain);
  tc_close(&c);
  sf_stop(&f);
}

static void test_gzip_bomb(void **state) {
  (void)state;
  gale_http_server_options o;
  sf_opts_small(&o); /* max_body_size 1000 */
  o.decompress_request = true;
  server_fx f;
  sf_start(&f, &o);
  /* 100 KB of zeros deflate to ~100 bytes: the limit is on the inflated size. */
  size_t plain_len = 100000;
  char *plain = calloc(1, plain_len);
  char gz[4096];
  z_stream z;
  memset(&z, 0, sizeof(z));
  deflateInit2(&z, 9, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY);
  z.next_in = (Bytef *)plain;
  z.avail_in = (uInt)plain_len;
  z.next_out = (Bytef *)gz;
  z.avail_out = sizeof(gz);
  assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
  size_t gzlen = z.total_out;
  deflateEnd(&z);
  free(plain);
  assert_true(gzlen < 1000);
  tclient c;
  tc_open(&c, f.port);
  char head[256];
  snprintf(
      head, sizeof(head),
      "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n",
      gzlen);
  tc_send(&c, head);
  tc_sendn(&c, gz, gzlen);
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  tresp r;
  assert_true(parse_resp(c.buf, c.len, true, false, &r) > 0);
  assert_int_equal(r.status, 413);
  tresp_free(&r);
  tc_close(&c);
  /* Garbage that claims to be gzip: 400. */
  tc_open(&c, f.port);
  tc_send(&c, "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Encoding: gzip\r\nContent-Length: "
              "10\r\n\r\nnot gzip!!");
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  assert_true(parse_resp(c.buf, c.len, true, false, &r) > 0);
  assert_int_equal(r.status, 400);
  tresp_free(&r);
  tc_close(&c);
  assert_int_equal(f.requests, 0);
  sf_stop(&f);
}

/* Decodes the first chunk of a chunked body starting at `p` with a fresh
 * inflater (sync-flushed data must decode on its own). */
static int inflate_first_chunk(const char *p, char *out, size_t cap) {
  unsigned size = 0;
  if (sscanf(p, "%x", &size) != 1) return -1;
  const char *data = strstr(p, "\r\n");
  if (!data) return -1;
  data += 2;
  z_stream z;
  memset(&z, 0, sizeof(z));
  inflateInit2(&z, 16 + 15);
  z.next_in = (Bytef *)data;
  z.avail_in = size;
  z.next_out = (Bytef *)out;
  z.avail_out = (uInt)cap;
  int rc = inflate(&z, Z_SYNC_FLUSH);
  int n = (int)z.total_out;
  inflateEnd(&z);
  return rc == Z_OK || rc == Z_STREAM_END ? n : -1;
}

static void test_gzip_streamed(void **state) {
  (void)state;
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  o.compress_response = true;
  server_fx f;
  sf_start(&f, &o);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET /streamtext HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\n\r\n");
  TH_RUN_UNTIL(f.loop, f.held != NULL, 5);
  /* The first flush reaches the client decodable before the end. */
  TH_RUN_UNTIL(
      f.loop,
      (tc_poll(&c), strstr(c.buf, "\r\n\r\n") && strstr(strstr(c.buf, "\r\n\r\n") + 4, "\r\n")), 5);
  assert_non_null(strstr(c.buf, "Content-Encoding: gzip\r\n"));
  assert_non_null(strstr(c.buf, "Transfer-Encoding: chunked\r\n"));
  char plain[64];
  TH_RUN_UNTIL(
      f.loop,
      (tc_poll(&c), inflate_first_chunk(strstr(c.buf, "\r\n\r\n") + 4, plain, sizeof(plain)) == 6),
      5);
  assert_memory_equal(plain, "part1,", 6);
  sf_finish_held(f.loop, &f);
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tresp r;
  tc_get(&c, 0, false, &r);
  int n = inflate_all(r.body, r.body_len, plain, sizeof(plain));
  assert_int_equal(n, 10);
  assert_memory_equal(plain, "part1,late", 10);
  tresp_free(&r);
  /* Not accepted: plain chunks. */
  c.len = 0;
  tc_send(&c, "GET /streamtext HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, f.held != NULL, 5);
  sf_finish_held(f.loop, &f);
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tc_get(&c, 0, false, &r);
  assert_false(tresp_header(&r, "Content-Encoding", NULL, 0));
  assert_string_equal(r.body, "part1,late");
  tresp_free(&r);
  tc_close(&c);
  sf_stop(&f);
}

/* Starts a POST /echo of `len` bytes with only its first `sent` bytes. */
static void upload_start(tclient *c, int port, size_t len, size_t sent) {
  char head[128];
  tc_open(c, port);
  snprintf(head, sizeof(head), "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: %zu\r\n\r\n",
           len);
  tc_send(c, head);
  char *body = malloc(sent + 1);
  memset(body, 'x', sent);
  tc_sendn(c, body, sent);
  free(body);
}

static void upload_rest(tclient *c, size_t n) {
  char *body = malloc(n + 1);
  memset(body, 'x', n);
  tc_sendn(c, body, n);
  free(body);
}

/* max_body_buffer caps buffered bodies across connections: two uploads
 * in progress hold their Content-Length; a third that would pass the cap
 * gets 503 and its connection closes while the two finish; the charge is
 * gone once they are freed, so the next upload is taken.  A chunked body
 * is charged as it grows and stopped when it passes the cap. */
static void test_max_body_buffer(void **state) {
  (void)state;
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  o.max_body_buffer = 10000;
  server_fx f;
  sf_start(&f, &o);
  tclient a, b, c, d, e;
  upload_start(&a, f.port, 4000, 100);
  TH_RUN_UNTIL(f.loop, f.server->body_buffered >= 4001, 5);
  upload_start(&b, f.port, 4000, 100);
  TH_RUN_UNTIL(f.loop, f.server->body_buffered >= 8002, 5);
  upload_start(&c, f.port, 4000, 100);
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  tresp r;
  assert_true(parse_resp(c.buf, c.len, true, false, &r) > 0);
  assert_int_equal(r.status, 503);
  tresp_free(&r);
  assert_true(f.server->body_buffered <= 10000);
  upload_rest(&a, 3900);
  upload_rest(&b, 3900);
  TH_RUN_UNTIL(f.loop, (tc_poll(&a), tc_poll(&b), tc_count(&a) + tc_count(&b) == 2), 5);
  tc_get(&a, 0, false, &r);
  assert_int_equal(r.status, 200);
  assert_int_equal(strncmp(r.body, "4000:xxx", 8), 0);
  tresp_free(&r);
  tc_get(&b, 0, false, &r);
  assert_int_equal(r.status, 200);
  tresp_free(&r);
  assert_int_equal(f.server->body_buffered, 0);
  /* Released: a body of the same size is taken now. */
  upload_start(&d, f.port, 4000, 4000);
  TH_RUN_UNTIL(f.loop, (tc_poll(&d), tc_count(&d) == 1), 5);
  tc_get(&d, 0, false, &r);
  assert_int_equal(r.status, 200);
  tresp_free(&r);
  /* Chunked: 3 KiB chunks until the buffer passes the cap. */
  tc_open(&e, f.port);
  tc_send(&e, "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
  char chunk[3072 + 16];
  int n = snprintf(chunk, sizeof(chunk), "c00\r\n");
  memset(chunk + n, 'y', 3072);
  memcpy(chunk + n + 3072, "\r\n", 2);
  for (int i = 0; i < 5 && !e.eof; i++) {
    tc_sendn(&e, chunk, (size_t)n + 3074);
    th_run_for(f.loop, 0.02);
    tc_poll(&e);
  }
  TH_RUN_UNTIL(f.loop, (tc_poll(&e), e.eof), 5);
  assert_true(parse_resp(e.buf, e.len, true, false, &r) > 0);
  assert_int_equal(r.status, 503);
  tresp_free(&r);
  TH_RUN_UNTIL(f.loop, f.server->body_buffered == 0, 5);
  assert_int_equal(f.requests, 3);
  tc_close(&a);
  tc_close(&b);
  tc_close(&c);
  tc_close(&d);
  tc_close(&e);
  sf_stop(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_chunked_request),  cmocka_unit_test(test_body_split_everywhere),
      cmocka_unit_test(test_chunked_response), cmocka_unit_test(test_streamed_body),
      cmocka_unit_test(test_100_continue),     cmocka_unit_test(test_head_and_204),
      cmocka_unit_test(test_head_streamed),    cmocka_unit_test(test_gzip),
      cmocka_unit_test(test_gzip_bomb),        cmocka_unit_test(test_gzip_streamed),
      cmocka_unit_test(test_max_body_buffer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
