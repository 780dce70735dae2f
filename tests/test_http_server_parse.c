/* SPDX-License-Identifier: MIT */
/* The HTTP/1.1 server's answers to what it cannot take: malformed and
 * smuggling requests (table-driven), size limits, its own error answers
 * (their bytes, and no body for HEAD: RFC 9112 §6.3), trailer and chunk
 * extension limits.  The server_fx: server_fixture.h. */
#include "server_fixture.h"
#include "test_http_server_util.h"

struct bad_case {
  const char *name;
  const char *request;
  int status;
};

static const struct bad_case bad_cases[] = {
    {"CL+TE",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: "
     "chunked\r\n\r\n0\r\n\r\n",
     400},
    {"two CL", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
     400},
    {"CL list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello", 400},
    {"CL sign", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello", 400},
    {"CL hex", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\nhello", 400},
    {"CL empty", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n", 400},
    {"CL overflow", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n",
     400},
    {"CL too big", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n", 413},
    {"TE unknown", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
    {"TE not last", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400},
    {"TE twice",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
     "chunked\r\n\r\n",
     400},
    {"TE in 1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
    {"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n  b\r\n\r\n", 400},
    {"bare LF", "GET / HTTP/1.1\nHost: a\n\n", 400},
    {"bare CR", "GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", 400},
    {"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},
    {"NUL in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n", 400},
    {"no Host", "GET / HTTP/1.1\r\n\r\n", 400},
    {"two Host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
    {"bad Host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
    {"version 2", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
    {"version 0.9", "GET /\r\n\r\n", 400},
    {"double space", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"bad method", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"star not OPTIONS", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"Expect other", "POST / HTTP/1.1\r\nHost: a\r\nExpect: magic\r\nContent-Length: 1\r\n\r\nx",
     417},
    {"bad chunk size", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
     400},
    {"chunk 0x",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n",
     400},
    {"chunk overflow",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n", 400},
    {"chunk no CRLF",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", 400},
    {"chunked too big", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3e9\r\n",
     413},
    {"CONNECT", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", 501},
    {"bad name char", "GET / HTTP/1.1\r\nHost: a\r\nX(Y): z\r\n\r\n", 400},
    {"non-ASCII name", "GET / HTTP/1.1\r\nHost: a\r\nX\xc3\xa9: z\r\n\r\n", 400},
    {"DEL in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n", 400},
    {"ESC in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x1b[0m\r\n\r\n", 400},
    {"bare CR in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400},
    {"bare LF in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\nb\r\n\r\n", 400},
    {"fold first line", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400},
    {"target high byte", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"target fragment", "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"lowercase version", "GET / http/1.1\r\nHost: a\r\n\r\n", 400},
    {"Host bad port", "GET / HTTP/1.1\r\nHost: a:99999\r\n\r\n", 400},
    {"Host userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400},
    {"absolute userinfo", "GET http://u@h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400},
    {"TE identity", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", 400},
    {"TE vertical tab",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \x0b"
     "chunked\r\n\r\n",
     400},
    {"TE space before colon", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n",
     400},
    {"chunk size sign",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n",
     400},
    {"chunk size space",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n",
     400},
    {"chunk size empty",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\r\nhello\r\n0\r\n\r\n", 400},
    {"chunk ext bare CR",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
     "chunked\r\n\r\n5;a=b\rc\r\nhello\r\n0\r\n\r\n",
     400},
    {"chunk ext bad char",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a(b\r\nhello\r\n0\r\n\r\n",
     400},
    {"chunk bare LF",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", 400},
    {"chunk data LF only",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n", 400},
    {"chunk 17 digits",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
     "chunked\r\n\r\n00000000000000005\r\nhello\r\n0\r\n\r\n",
     400},
    {"chunked sum too big",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
     "1f4\r\n"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxx\r\n"
     "1f5\r\n",
     413},
    {"HTTP/1.1 bare request", "GET / HTTP/1.1\r\n\r\n", 400},
    {"TLS handshake", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400},
};

static void test_malformed_table(void **state) {
  (void)state;
  gale_http_server_options o;
  sf_opts_small(&o);
  server_fx f;
  sf_start(&f, &o);
  for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
    const struct bad_case *bc = &bad_cases[i];
    tclient c;
    tc_open(&c, f.port);
    size_t n = strlen(bc->request);
    if (strcmp(bc->name, "NUL in value") == 0) n = 35; /* past the NUL */
    tc_sendn(&c, bc->request, n);
    double end = th_now() + 5;
    while (!(tc_poll(&c), c.eof) && th_now() < end) gale_loop_run_once(f.loop, 0.05);
    if (!c.eof) fail_msg("%s: connection not closed: %s", bc->name, c.buf);
    tresp r;
    size_t used = parse_resp(c.buf, c.len, true, false, &r);
    if (!used) fail_msg("%s: no response: %s", bc->name, c.buf);
    if (r.status != bc->status)
      fail_msg("%s: expected %d, got %d (%s)", bc->name, bc->status, r.status, r.body);
    char v[32];
    assert_true(tresp_header(&r, "Connection", v, sizeof(v)));
    assert_string_equal(v, "close");
    tresp_free(&r);
    tc_close(&c);
  }
  assert_int_equal(f.requests, 0);
  TH_RUN_UNTIL(f.loop, gale_http_server_connection_count(f.server) == 0, 5);
  sf_stop(&f);
}

static void test_limits(void **state) {
  (void)state;
  gale_http_server_options o;
  sf_opts_small(&o);
  server_fx f;
  sf_start(&f, &o);
  char *big = malloc(8192);
  struct {
    const char *what;
    int status;
  } cases[] = {{"uri", 414}, {"header", 431}, {"count", 431}};
  for (size_t k = 0; k < 3; k++) {
    size_t n = 0;
    if (k == 0) {
      n += (size_t)sprintf(big, "GET /");
      memset(big + n, 'a', 2000);
      n += 2000;
      n += (size_t)sprintf(big + n, " HTTP/1.1\r\nHost: a\r\n\r\n");
    } else if (k == 1) {
      n += (size_t)sprintf(big, "GET / HTTP/1.1\r\nHost: a\r\nX: ");
      memset(big + n, 'b', 5000);
      n += 5000;
      n += (size_t)sprintf(big + n, "\r\n\r\n");
    } else {
      n += (size_t)sprintf(big, "GET / HTTP/1.1\r\nHost: a\r\n");
      for (int i = 0; i < 30; i++) n += (size_t)sprintf(big + n, "X-%d: y\r\n", i);
      n += (size_t)sprintf(big + n, "\r\n");
    }
    tclient c;
    tc_open(&c, f.port);
    tc_sendn(&c, big, n);
    TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
    tresp r;
    assert_true(parse_resp(c.buf, c.len, true, false, &r) > 0);
    if (r.status != cases[k].status)
      fail_msg("%s: expected %d got %d", cases[k].what, cases[k].status, r.status);
    tresp_free(&r);
    tc_close(&c);
  }
  /* Checked before buffering: an unterminated target or header line gets
   * its answer as soon as it passes the limit, not at the header deadline. */
  for (size_t k = 0; k < 2; k++) {
    size_t n = (size_t)sprintf(big, k == 0 ? "GET /" : "GET / HTTP/1.1\r\nHost: a\r\nX: ");
    memset(big + n, 'c', 6000);
    n += 6000;
    tclient c;
    tc_open(&c, f.port);
    tc_sendn(&c, big, n);
    TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
    tresp r;
    assert_true(parse_resp(c.buf, c.len, true, false, &r) > 0);
    assert_int_equal(r.status, k == 0 ? 414 : 431);
    tresp_free(&r);
    tc_close(&c);
  }
  free(big);
  sf_stop(&f);
}

/* Error answers of the server itself to HEAD: the status and
 * Content-Length GET gets, no body (RFC 9112 §6.3). */
static const struct head_error_case {
  const char *name;
  const char *rest; /* after the method */
  int status;
} head_error_cases[] = {
    {"no Host", " / HTTP/1.1\r\n\r\n", 400},
    {"bad Host", " / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
    {"CL too big", " / HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n", 413},
    {"TE unknown", " / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
    {"version 2", " / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
    {"Expect other", " / HTTP/1.1\r\nHost: a\r\nExpect: magic\r\nContent-Length: 1\r\n\r\nx", 417},
    {"many headers",
     " / HTTP/1.1\r\nHost: a\r\n"
     "A: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\n"
     "A: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\n\r\n",
     431},
};

/* Sends `method` + `rest`, waits for the close, parses the answer. */
static void error_answer(server_fx *f, const char *method, const char *rest, tclient *c, tresp *r) {
  char raw[2048];
  snprintf(raw, sizeof(raw), "%s%s", method, rest);
  tc_open(c, f->port);
  tc_send(c, raw);
  TH_RUN_UNTIL(f->loop, (tc_poll(c), c->eof), 5);
  size_t used = parse_resp(c->buf, c->len, true, strcmp(method, "HEAD") == 0, r);
  if (!used) fail_msg("%s: no response: %s", rest, c->buf);
}

static void test_head_errors(void **state) {
  (void)state;
  gale_http_server_options o;
  sf_opts_small(&o);
  server_fx f;
  sf_start(&f, &o);
  for (size_t i = 0; i < sizeof(head_error_cases) / sizeof(head_error_cases[0]); i++) {
    const struct head_error_case *hc = &head_error_cases[i];
    tclient cg, ch;
    tresp rg, rh;
    char lg[32], lh[32];
    error_answer(&f, "GET", hc->rest, &cg, &rg);
    error_answer(&f, "HEAD", hc->rest, &ch, &rh);
    if (rg.status != hc->status || rh.status != hc->status)
      fail_msg("%s: GET %d, HEAD %d, want %d", hc->name, rg.status, rh.status, hc->status);
    assert_true(rg.body_len > 0);
    assert_true(tresp_header(&rg, "Content-Length", lg, sizeof(lg)));
    assert_true(tresp_header(&rh, "Content-Length", lh, sizeof(lh)));
    assert_string_equal(lg, lh);
    size_t hl = strlen(rh.head);
    if (ch.len != hl) fail_msg("%s: HEAD answer has a body: %s", hc->name, ch.buf + hl);
    tresp_free(&rg);
    tresp_free(&rh);
    tc_close(&cg);
    tc_close(&ch);
  }
  assert_int_equal(f.requests, 0);
  sf_stop(&f);
}

/* The bytes of an error answer: status line, Date, type, length, close,
 * then the text page (none for HEAD). */
static void test_error_answer_bytes(void **state) {
  (void)state;
  server_fx f;
  sf_start(&f, NULL);
  static const char *const methods[] = {"GET", "HEAD"};
  for (int m = 0; m < 2; m++) {
    tclient c;
    tresp r;
    error_answer(&f, methods[m], " / HTTP/1.1\r\n\r\n", &c, &r);
    const char *date = strstr(c.buf, "\r\nDate: ");
    assert_non_null(date);
    const char *date_end = strstr(date + 2, "\r\n");
    char got[1024];
    snprintf(got, sizeof(got), "%.*s%s", (int)(date - c.buf), c.buf, date_end);
    const char *detail = "missing Host";
    char page[256], want[1024];
    int plen = snprintf(page, sizeof(page), "400 Bad Request: %s\n", detail);
    snprintf(want, sizeof(want),
             "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
             "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
             plen, m == 0 ? page : "");
    assert_string_equal(got, want);
    tresp_free(&r);
    tc_close(&c);
  }
  sf_stop(&f);
}

/* Trailers and chunk extensions are bounded (16 KiB of trailer section,
 * a bounded extension per chunk line); OPTIONS * is served. */
static void test_trailer_and_ext_limits(void **state) {
  (void)state;
  server_fx f;
  sf_start(&f, NULL);
  size_t big = 20000;
  char *buf = malloc(big + 512);
  for (int k = 0; k < 2; k++) {
    size_t n = (size_t)sprintf(
        buf, "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
    if (k == 0) {
      n += (size_t)sprintf(buf + n, "3\r\nabc\r\n0\r\nX-Trailer: ");
      memset(buf + n, 't', big);
      n += big;
      n += (size_t)sprintf(buf + n, "\r\n\r\n");
    } else {
      n += (size_t)sprintf(buf + n, "3;ext=");
      memset(buf + n, 'e', big);
      n += big;
      n += (size_t)sprintf(buf + n, "\r\nabc\r\n0\r\n\r\n");
    }
    tclient c;
    tc_open(&c, f.port);
    tc_sendn(&c, buf, n);
    TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
    tresp r;
    assert_true(parse_resp(c.buf, c.len, true, false, &r) > 0);
    if (r.status != 400) fail_msg("%s: got %d", k == 0 ? "trailer" : "chunk ext", r.status);
    tresp_free(&r);
    tc_close(&c);
  }
  free(buf);
  assert_int_equal(f.requests, 0);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  assert_int_equal(f.requests, 1);
  tc_close(&c);
  sf_stop(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_malformed_table),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_head_errors),
      cmocka_unit_test(test_error_answer_bytes),
      cmocka_unit_test(test_trailer_and_ext_limits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
