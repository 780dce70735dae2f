/* SPDX-License-Identifier: MIT */
/* gale_http_client against hostile servers, scripted (scripted_server.h;
 * HARDENING.md): malformed heads and framing, obs-fold, many fields,
 * trailers, bad chunk framing, bad Content-Length, response smuggling,
 * resets and stalls mid-body, decompression bombs, and mutated responses
 * (a deterministic fuzz smoke run). */
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

static void test_hostile_responses(void **state) {
  client_fx *f = *state;
  struct {
    const char *path;
    int status;
  } cases[] = {
      {"/long-line", GALE_EHTTP_HEADER_TOO_LARGE},
      {"/chunk-overflow", GALE_EHTTP_BAD_CHUNK},
      {"/chunk-sign", GALE_EHTTP_BAD_CHUNK},
      {"/chunk-0x", GALE_EHTTP_BAD_CHUNK},
      {"/chunk-nocrlf", GALE_EHTTP_BAD_CHUNK},
      {"/chunk-ext-crlf", GALE_EHTTP_BAD_CHUNK},
      {"/big-trailer", GALE_EHTTP_BAD_CHUNK},
      {"/cl-neg", GALE_EHTTP_PARSE},
      {"/cl-plus", GALE_EHTTP_PARSE},
      {"/cl-hex", GALE_EHTTP_PARSE},
      {"/cl-huge", GALE_EHTTP_PARSE},
      {"/garbage", GALE_EHTTP_PARSE},
      {"/bare-lf", GALE_EHTTP_PARSE},
      {"/obs-fold-first", GALE_EHTTP_PARSE},
      {"/nul", GALE_EHTTP_PARSE},
      {"/http2", GALE_EHTTP_VERSION},
      {"/101", GALE_EHTTP_PARSE},
      {"/reset", GALE_ECONNRESET},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cf_result *r = get(f, cases[i].path);
    if (r->status != cases[i].status)
      fail_msg("%s: got %s (%s), expected %s", cases[i].path, gale_err_name(r->status), r->error,
               gale_err_name(cases[i].status));
    assert_true(strlen(r->error) > 0);
    free(r);
    /* The bad connection was not pooled. */
    assert_int_equal(gale_http_client_idle_connections(f->client), 0);
  }
}

typedef struct interop_result {
  int done, status, code;
  size_t nheaders, ntrailers;
  char a[64], h499[16], t1[32], t1b[32], t2[32], body[16];
} interop_result;

static void copy_field(char *dst, size_t cap, const char *v) {
  snprintf(dst, cap, "%s", v ? v : "");
}

static void on_interop(const gale_http_response *r, void *arg) {
  interop_result *res = arg;
  const gale_headers *t = gale_http_response_trailers(r);
  size_t cur = 0;
  res->done++;
  res->status = r->status;
  res->code = r->code;
  res->nheaders = r->headers ? gale_headers_count(r->headers) : 0;
  assert_non_null(t);
  res->ntrailers = gale_headers_count(t);
  copy_field(res->a, sizeof res->a, gale_http_response_header(r, "X-A"));
  if (!res->a[0]) copy_field(res->a, sizeof res->a, gale_http_response_header(r, "X-Test"));
  copy_field(res->h499, sizeof res->h499, gale_http_response_header(r, "X-H-499"));
  copy_field(res->t1, sizeof res->t1, gale_headers_next(t, "X-T1", &cur, NULL));
  copy_field(res->t1b, sizeof res->t1b, gale_headers_next(t, "X-T1", &cur, NULL));
  copy_field(res->t2, sizeof res->t2, gale_headers_get(t, "x-t2"));
  snprintf(res->body, sizeof res->body, "%.*s", (int)(r->body_len < 15 ? r->body_len : 15),
           r->body);
}

static interop_result interop_get(client_fx *f, const char *path, size_t max_header_size) {
  interop_result res;
  gale_http_request req;
  memset(&res, 0, sizeof res);
  gale_http_request_init(&req, url(f, path));
  req.max_header_size = max_header_size;
  assert_int_equal(gale_http_client_fetch(f->client, &req, on_interop, &res, NULL), GALE_OK);
  TH_RUN_UNTIL(f->loop, res.done, 10);
  assert_int_equal(res.done, 1);
  return res;
}

/* Interop: obs-fold in a response is unfolded (RFC 9112 §5.2), not fatal. */
static void test_response_obs_fold(void **state) {
  client_fx *f = *state;
  interop_result r = interop_get(f, "/obs-fold", 0);
  assert_int_equal(r.status, GALE_OK);
  assert_string_equal(r.a, "1   folded");
  assert_string_equal(r.body, "ok");
  r = interop_get(f, "/obs-fold-split", 0);
  assert_int_equal(r.status, GALE_OK);
  assert_string_equal(r.a, "a  \tb       c");
  assert_string_equal(r.body, "ok");
  /* The connection stays usable. */
  r = interop_get(f, "/obs-fold", 0);
  assert_int_equal(r.status, GALE_OK);
}

/* Interop: no fixed cap of 100 fields; max_header_size is the only limit. */
static void test_response_many_headers(void **state) {
  client_fx *f = *state;
  interop_result r = interop_get(f, "/many-headers", 0);
  assert_int_equal(r.status, GALE_OK);
  assert_int_equal(r.nheaders, 501);
  assert_string_equal(r.h499, "499");
  r = interop_get(f, "/many-headers", 2000);
  assert_int_equal(r.status, GALE_EHTTP_HEADER_TOO_LARGE);
  r = interop_get(f, "/many-headers", 0); /* the big array is reused */
  assert_int_equal(r.status, GALE_OK);
  assert_int_equal(r.nheaders, 501);
}

/* Interop: trailers of a chunked response are kept. */
static void test_response_trailers(void **state) {
  client_fx *f = *state;
  interop_result r = interop_get(f, "/trailers", 0);
  assert_int_equal(r.status, GALE_OK);
  assert_string_equal(r.body, "hello");
  assert_int_equal(r.ntrailers, 3);
  assert_string_equal(r.t1, "one");
  assert_string_equal(r.t1b, "again");
  assert_string_equal(r.t2, "two");
  r = interop_get(f, "/hello", 0); /* none: empty, also on a reused connection */
  assert_int_equal(r.status, GALE_OK);
  assert_int_equal(r.ntrailers, 0);
  r = interop_get(f, "/chunked", 0);
  assert_int_equal(r.ntrailers, 1);
  r = interop_get(f, "/reset", 0); /* failed: empty */
  assert_int_not_equal(r.status, GALE_OK);
  assert_int_equal(r.ntrailers, 0);
}

static void test_smuggling(void **state) {
  client_fx *f = *state;
  cf_result *r = get(f, "/smuggle");
  assert_int_equal(r->status, GALE_OK);
  assert_string_equal(r->body, "ok");
  free(r);
  /* The appended "response" is never taken as the answer to the next
   * request: that connection was closed, not pooled. */
  r = get(f, "/hello");
  assert_int_equal(r->status, GALE_OK);
  assert_string_equal(r->body, "hello");
  assert_false(r->reused);
  assert_int_equal(S.accepted, 2);
  free(r);
  /* Content-Length with chunked: chunked wins, the connection is not
   * reused. */
  r = get(f, "/cl-te");
  assert_int_equal(r->status, GALE_OK);
  assert_string_equal(r->body, "hello");
  free(r);
  r = get(f, "/hello");
  assert_false(r->reused);
  free(r);
  /* An unknown transfer coding: the body runs until close, undecoded. */
  r = get(f, "/te-unknown");
  assert_int_equal(r->status, GALE_OK);
  assert_string_equal(r->body, "hello");
  free(r);
}

static int count_stream(const void *data, size_t len, void *arg) {
  (void)data;
  *(size_t *)arg += len;
  return GALE_OK;
}

static void test_mid_body(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *res = calloc(1, sizeof *res);
  size_t got = 0;
  /* A reset after part of the body. */
  gale_http_request_init(&req, url(f, "/hold-body"));
  req.streaming_callback = count_stream;
  req.streaming_callback_arg = &got;
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, res, NULL), GALE_OK);
  TH_RUN_UNTIL(f->loop, got == 10, 5);
  assert_non_null(S.held);
  sconn_reset(S.held);
  TH_RUN_UNTIL(f->loop, res->done, 5);
  assert_int_equal(res->status, GALE_ECONNRESET);
  assert_non_null(strstr(res->error, "10 of 100"));
  /* A server that stops sending mid-body: the request timeout. */
  memset(res, 0, sizeof *res);
  got = 0;
  req.request_timeout = 0.3;
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, res, NULL), GALE_OK);
  TH_RUN_UNTIL(f->loop, res->done, 5);
  assert_int_equal(res->status, GALE_ETIMEDOUT_REQUEST);
  assert_int_equal(got, 10);
  /* ...and one that stops in the middle of the head. */
  memset(res, 0, sizeof *res);
  gale_http_request_init(&req, url(f, "/slow-head"));
  req.request_timeout = 0.3;
  assert_int_equal(gale_http_client_fetch(f->client, &req, cf_on_response, res, NULL), GALE_OK);
  TH_RUN_UNTIL(f->loop, res->done, 5);
  assert_int_equal(res->status, GALE_ETIMEDOUT_REQUEST);
  free(res);
}

static void test_decompression_bomb(void **state) {
  client_fx *f = *state;
  gale_http_request req;
  cf_result *r;
  size_t got = 0;
  /* 8 KiB on the wire inflating to 8 MiB: the limit applies after
   * inflation. */
  gale_http_request_init(&req, url(f, "/bomb"));
  req.max_body_size = 1 << 20;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_EHTTP_BODY_TOO_LARGE);
  free(r);
  /* Streamed, it flows through in pieces with no limit. */
  gale_http_request_init(&req, url(f, "/bomb"));
  req.streaming_callback = count_stream;
  req.streaming_callback_arg = &got;
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_int_equal(got, 8u << 20);
  free(r);
  /* Chained codings are not undone: the bytes come as sent, with their
   * Content-Encoding. */
  gale_http_request_init(&req, url(f, "/gzip-gzip"));
  r = cf_fetch(f, &req);
  assert_int_equal(r->status, GALE_OK);
  assert_true(r->body_len < 65536);
  assert_int_equal((unsigned char)r->body[0], 0x1f);
  free(r);
}

/* Mutated responses (a deterministic fuzz smoke run inside make check):
 * whatever the bytes, the fetch calls back exactly once, nothing leaks or
 * crashes (ASan), and no connection that carried garbage is pooled. */
static void test_mutated_responses(void **state) {
  client_fx *f = *state;
  static const char *const base[] = {
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2;e=1\r\nlo\r\n0\r\nT: x\r\n\r\n",
      "HTTP/1.1 302 Found\r\nLocation: /hello\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
      "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close",
  };
  static const char special[] = "\r\n :;0f-+\t\"\x7f\x80";
  /* GALE_FUZZ_N / GALE_FUZZ_SEED run more or other cases by hand. */
  const char *en = getenv("GALE_FUZZ_N"), *es = getenv("GALE_FUZZ_SEED");
  int n = en ? atoi(en) : 400;
  uint32_t seed = es ? (uint32_t)strtoul(es, NULL, 10) : 12345;
  char buf[512];
  int ok = 0, failed = 0, timeouts = 0;
#define RND() (seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7fff)
  for (int i = 0; i < n; i++) {
    const char *b = base[i % (sizeof base / sizeof base[0])];
    size_t len = strlen(b);
    int edits = 1 + (int)(RND() % 4);
    gale_http_request req;
    cf_result *r;
    memcpy(buf, b, len);
    for (int e = 0; e < edits; e++) {
      size_t at = RND() % len;
      switch (RND() % 4) {
      case 0: buf[at] = special[RND() % (sizeof special - 1)]; break;
      case 1: buf[at] = (char)(RND() & 0xff); break;
      case 2: len = at + 1; break; /* truncate */
      default:                     /* duplicate a slice */
        if (len + 16 < sizeof buf) {
          memmove(buf + at + 8, buf + at, len - at);
          len += 8;
        }
      }
    }
    S.fuzz = buf;
    S.fuzz_len = len;
    gale_http_request_init(&req, url(f, "/fuzz"));
    req.request_timeout = 2;
    req.max_redirects = 1;
    r = cf_fetch(f, &req);
    if (r->status == GALE_OK)
      ok++;
    else
      failed++;
    if (r->status == GALE_ETIMEDOUT_REQUEST) timeouts++;
    free(r);
  }
#undef RND
  print_message("mutated responses: %d fetched, %d failed cleanly (%d timed out)\n", ok, failed,
                timeouts);
  assert_int_equal(ok + failed, n);
  assert_true(failed > 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_hostile_responses, setup, teardown),
      cmocka_unit_test_setup_teardown(test_response_obs_fold, setup, teardown),
      cmocka_unit_test_setup_teardown(test_response_many_headers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_response_trailers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_smuggling, setup, teardown),
      cmocka_unit_test_setup_teardown(test_mid_body, setup, teardown),
      cmocka_unit_test_setup_teardown(test_decompression_bomb, setup, teardown),
      cmocka_unit_test_setup_teardown(test_mutated_responses, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
