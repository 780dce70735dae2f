/* SPDX-License-Identifier: MIT */
/* Tests of the HTTP/1.x head parser (http/wire/h1_parser.c and the h1_*.c
 * beside it): a table of valid, malformed and smuggling messages with their
 * expected outcome and HTTP status, every valid message split at every byte
 * boundary, pipelining, and the limits.  The body decoder's tests are in
 * tests/test_chunked.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http/wire/h1_parser.h"

#define MAXH 128

typedef struct parsed {
  int rc;
  gale_h1_msg msg;
  gale_h1_header hdrs[MAXH];
  const char *detail;
} parsed;

/* One-shot parse of raw[0..len). */
static int parse_once(gale_h1_mode mode, unsigned flags, const char *raw, size_t len, parsed *out,
                      const gale_h1_limits *lim) {
  gale_h1_parser p;
  gale_h1_parser_init(&p, mode, lim);
  gale_h1_parser_reset(&p, flags);
  memset(out, 0, sizeof *out);
  out->msg.headers = out->hdrs;
  out->msg.headers_cap = MAXH;
  out->rc = gale_h1_parse_head(&p, raw, len, &out->msg);
  out->detail = gale_h1_parser_detail(&p);
  return out->rc;
}

/* Feeds growing prefixes raw[0..k) for each k in `cuts` (ascending) and then
 * the whole message, in a buffer that moves between calls (a fresh copy each
 * time) to prove the parser keeps no pointers. */
static int parse_cuts(gale_h1_mode mode, unsigned flags, const char *raw, size_t len,
                      const size_t *cuts, size_t ncuts, parsed *out, char **keep) {
  gale_h1_parser p;
  gale_h1_parser_init(&p, mode, NULL);
  gale_h1_parser_reset(&p, flags);
  memset(out, 0, sizeof *out);
  out->msg.headers = out->hdrs;
  out->msg.headers_cap = MAXH;
  for (size_t i = 0; i <= ncuts; i++) {
    size_t k = i < ncuts ? cuts[i] : len;
    char *copy = malloc(k ? k : 1);
    assert_non_null(copy);
    memcpy(copy, raw, k);
    int rc = gale_h1_parse_head(&p, copy, k, &out->msg);
    if (rc == GALE_EAGAIN && i < ncuts) {
      free(copy);
      continue;
    }
    out->rc = rc;
    *keep = copy;
    return rc;
  }
  return GALE_EAGAIN;
}

/* ---- the request table ------------------------------------------------- */

typedef struct req_case {
  const char *name;
  const char *raw;
  size_t len; /* 0: strlen(raw) */
  int rc;     /* > 0: valid (head length checked against this when > 1) */
  int http;   /* expected HTTP status for errors */
} req_case;

#define OKH 1
#define BAD GALE_EHTTP_PARSE, 400
#define H11(x) "GET / HTTP/1.1\r\nHost: a\r\n" x "\r\n"

static const req_case req_cases[] = {
    /* valid */
    {"simple", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, OKH, 0},
    {"browser",
     "GET /index.html?q=1&r=%20 HTTP/1.1\r\n"
     "Host: www.example.com:8080\r\n"
     "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0\r\n"
     "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
     "Accept-Language: en-US,en;q=0.5\r\n"
     "Accept-Encoding: gzip, deflate, br\r\n"
     "Connection: keep-alive\r\n"
     "Cookie: a=b; c=d\r\n"
     "Upgrade-Insecure-Requests: 1\r\n"
     "Sec-Fetch-Dest: document\r\n"
     "\r\n",
     0, OKH, 0},
    {"absolute form", "GET http://example.com/x?y HTTP/1.1\r\nHost: other\r\n\r\n", 0, OKH, 0},
    {"absolute form https port", "GET https://ex.com:8443 HTTP/1.1\r\nHost: x\r\n\r\n", 0, OKH, 0},
    {"asterisk OPTIONS", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 0, OKH, 0},
    {"CONNECT authority", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 0,
     OKH, 0},
    {"HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n", 0, OKH, 0},
    {"leading CRLFs", "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, OKH, 0},
    {"content-length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", 0, OKH, 0},
    {"content-length zero", H11("Content-Length: 0\r\n"), 0, OKH, 0},
    {"content-length leading zeros", H11("Content-Length: 007\r\n"), 0, OKH, 0},
    {"chunked", H11("Transfer-Encoding: chunked\r\n"), 0, OKH, 0},
    {"chunked mixed case", H11("Transfer-Encoding: ChUnKeD\r\n"), 0, OKH, 0},
    {"chunked trailing space", H11("Transfer-Encoding: chunked \r\n"), 0, OKH, 0},
    {"chunked empty list element", H11("Transfer-Encoding: ,chunked\r\n"), 0, OKH, 0},
    {"host ipv6", "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", 0, OKH, 0},
    {"host ipv4", "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 0, OKH, 0},
    {"host empty", "GET / HTTP/1.1\r\nHost:\r\n\r\n", 0, OKH, 0},
    {"HTTP/1.2 read as 1.1", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 0, OKH, 0},
    {"obs-text value", H11("X-A: caf\xc3\xa9\r\n"), 0, OKH, 0},
    {"htab in value", H11("X-A: a\tb\r\n"), 0, OKH, 0},
    {"empty value", H11("X-Empty:\r\n"), 0, OKH, 0},
    {"lowercase method is a token", "get / HTTP/1.1\r\nHost: a\r\n\r\n", 0, OKH, 0},
    {"unknown method token", "FOO-BAR / HTTP/1.1\r\nHost: a\r\n\r\n", 0, OKH, 0},

    /* long runs (the 16-byte block scans) */
    {"long value tabs",
     H11("X-A: 0123456789abcdef\t0123456789abcdef\t\t0123456789abcdef0123456789abcdef\r\n"), 0, OKH,
     0},
    {"long value obs-text",
     H11("X-A: 0123456789abcdef\xff\x80\xfe"
         "0123456789abcdef0123456789abcdef\r\n"),
     0, OKH, 0},
    {"long value NUL at 40",
     H11("X-A: 0123456789abcdef0123456789abcdef0123\0"
         "456789abcdef\r\n"),
     sizeof(H11("X-A: 0123456789abcdef0123456789abcdef0123\0"
                "456789abcdef\r\n")) -
         1,
     BAD},
    {"long value DEL at 17",
     H11("X-A: 0123456789abcdef0\x7f"
         "123456789abcdef0123456789abcdef\r\n"),
     0, BAD},
    {"long value bare CR at 33", H11("X-A: 0123456789abcdef0123456789abcdef0\r123456789abcdef\r\n"),
     0, BAD},
    {"long value LF at 20", H11("X-A: 0123456789abcdef0123\n456789abcdef0123456789abcdef\r\n"), 0,
     BAD},
    {"long value ESC after tab",
     H11("X-A: 0123456789abcdef\t\x1b"
         "0123456789abcdef0123456789abcdef\r\n"),
     0, BAD},
    {"long target",
     "GET /0123456789abcdef/0123456789abcdef/0123456789abcdef?x=~!$&'()*+,;=:@ HTTP/1.1\r\nHost: "
     "a\r\n\r\n",
     0, OKH, 0},
    {"long target hash at 30",
     "GET /0123456789abcdef/012345678#abcdef/0123456789abcdef HTTP/1.1\r\nHost: a\r\n\r\n", 0, BAD},
    {"long target high byte at 20",
     "GET /0123456789abcdef/01\xc3\xa9"
     "3456789abcdef/0123456789abcdef HTTP/1.1\r\nHost: a\r\n\r\n",
     0, BAD},
    {"long target tab at 18",
     "GET /0123456789abcdef/\t123456789abcdef/0123456789abcdef HTTP/1.1\r\nHost: a\r\n\r\n", 0,
     BAD},
    {"long target DEL at 35",
     "GET /0123456789abcdef/0123456789abcdef\x7f/0123456789abcdef HTTP/1.1\r\nHost: a\r\n\r\n", 0,
     BAD},
    {"long name", H11("X-0123456789abcdef-0123456789abcdef-0123456789abcdef: v\r\n"), 0, OKH, 0},
    {"long name bad char at 37", H11("X-0123456789abcdef-0123456789abcdef-{123456789abcdef: v\r\n"),
     0, BAD},

    /* framing: Content-Length */
    {"CL and TE", H11("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"), 0, BAD},
    {"TE and CL", H11("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"), 0, BAD},
    {"CL twice equal", H11("Content-Length: 5\r\nContent-Length: 5\r\n"), 0, BAD},
    {"CL twice differ", H11("Content-Length: 5\r\nContent-Length: 6\r\n"), 0, BAD},
    {"CL list", H11("Content-Length: 5, 5\r\n"), 0, BAD},
    {"CL negative", H11("Content-Length: -1\r\n"), 0, BAD},
    {"CL plus", H11("Content-Length: +5\r\n"), 0, BAD},
    {"CL hex", H11("Content-Length: 0x5\r\n"), 0, BAD},
    {"CL empty", H11("Content-Length:\r\n"), 0, BAD},
    {"CL spaces only", H11("Content-Length:   \r\n"), 0, BAD},
    {"CL inner space", H11("Content-Length: 5 5\r\n"), 0, BAD},
    {"CL letters", H11("Content-Length: 5a\r\n"), 0, BAD},
    {"CL decimal", H11("Content-Length: 5.0\r\n"), 0, BAD},
    {"CL overflow", H11("Content-Length: 99999999999999999999\r\n"), 0, BAD},
    {"CL over body limit", H11("Content-Length: 104857601\r\n"), 0, GALE_EHTTP_BODY_TOO_LARGE, 413},
    {"CL space before colon", H11("Content-Length : 5\r\n"), 0, BAD},

    /* framing: Transfer-Encoding */
    {"TE chunked then x", H11("Transfer-Encoding: chunked, x\r\n"), 0, BAD},
    {"TE x alone", H11("Transfer-Encoding: x\r\n"), 0, BAD},
    {"TE gzip alone", H11("Transfer-Encoding: gzip\r\n"), 0, BAD},
    {"TE gzip then chunked", H11("Transfer-Encoding: gzip, chunked\r\n"), 0, GALE_EHTTP_ENCODING,
     501},
    {"TE chunked twice", H11("Transfer-Encoding: chunked, chunked\r\n"), 0, BAD},
    {"TE two fields", H11("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"), 0, BAD},
    {"TE split fields", H11("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n"), 0, BAD},
    {"TE chunked params", H11("Transfer-Encoding: chunked;a=b\r\n"), 0, BAD},
    {"TE chunked junk", H11("Transfer-Encoding: chunked x\r\n"), 0, BAD},
    {"TE xchunked", H11("Transfer-Encoding: xchunked\r\n"), 0, BAD},
    {"TE empty", H11("Transfer-Encoding:\r\n"), 0, BAD},
    {"TE in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 0, BAD},
    {"TE space before colon", H11("Transfer-Encoding : chunked\r\n"), 0, BAD},
    {"TE tab before colon", H11("Transfer-Encoding\t: chunked\r\n"), 0, BAD},
    {"TE vertical tab",
     H11("Transfer-Encoding: \x0b"
         "chunked\r\n"),
     0, BAD},

    /* line structure */
    {"obs-fold", H11("X-A: a\r\n b\r\n"), 0, BAD},
    {"obs-fold tab", H11("X-A: a\r\n\tb\r\n"), 0, BAD},
    {"space before first field", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", 0, BAD},
    {"bare CR in value", H11("X-A: a\rb\r\n"), 0, BAD},
    {"bare CR line end", "GET / HTTP/1.1\r\nHost: a\r\r\n\r\n", 0, BAD},
    {"bare CR request line", "GET / HTTP/1.1\rHost: a\r\n\r\n", 0, BAD},
    {"bare LF everywhere", "GET / HTTP/1.1\nHost: a\n\n", 0, BAD},
    {"bare LF field", "GET / HTTP/1.1\r\nHost: a\n\r\n", 0, BAD},
    {"bare LF end", "GET / HTTP/1.1\r\nHost: a\r\n\n", 0, BAD},
    {"bare LF before request", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, BAD},
    {"too many empty lines",
     "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, BAD},
    {"NUL in value", H11("X-A: a\0b\r\n"), sizeof(H11("X-A: a\0b\r\n")) - 1, BAD},
    {"NUL in name", H11("X-\0A: b\r\n"), sizeof(H11("X-\0A: b\r\n")) - 1, BAD},
    {"NUL in target", "GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n",
     sizeof("GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n") - 1, BAD},
    {"DEL in value", H11("X-A: a\x7f\r\n"), 0, BAD},
    {"ESC in value", H11("X-A: a\x1b[0m\r\n"), 0, BAD},
    {"invalid name char", H11("X(A): b\r\n"), 0, BAD},
    {"name with slash", H11("X/A: b\r\n"), 0, BAD},
    {"empty name", H11(": b\r\n"), 0, BAD},
    {"no colon", H11("Foo\r\n"), 0, BAD},
    {"non-ascii name", H11("X\xc3\xa9: b\r\n"), 0, BAD},

    /* request line */
    {"method with paren", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 0, BAD},
    {"empty method", " / HTTP/1.1\r\nHost: a\r\n\r\n", 0, BAD},
    {"double space", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 0, BAD},
    {"tab separator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 0, BAD},
    {"HTTP/0.9", "GET /\r\n\r\n", 0, BAD},
    {"HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 0, GALE_EHTTP_VERSION, 505},
    {"HTTP/0.9 versioned", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", 0, GALE_EHTTP_VERSION, 505},
    {"trailing space", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 0, BAD},
    {"lowercase version", "GET / http/1.1\r\nHost: a\r\n\r\n", 0, BAD},
    {"version 11", "GET / HTTP/11\r\nHost: a\r\n\r\n", 0, BAD},
    {"version 1.10", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", 0, BAD},
    {"version letters", "GET / HTTP/x.y\r\nHost: a\r\n\r\n", 0, BAD},
    {"target hash", "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", 0, BAD},
    {"target non-ascii", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 0, BAD},
    {"target DEL", "GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 0, BAD},
    {"asterisk with GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 0, BAD},
    {"relative target", "GET index.html HTTP/1.1\r\nHost: a\r\n\r\n", 0, BAD},
    {"CONNECT origin", "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", 0, BAD},
    {"CONNECT no port", "CONNECT example.com HTTP/1.1\r\nHost: a\r\n\r\n", 0, BAD},
    {"absolute userinfo", "GET http://u@h/ HTTP/1.1\r\nHost: h\r\n\r\n", 0, BAD},
    {"absolute no authority", "GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n", 0, BAD},
    {"absolute bad port", "GET http://h:99999/ HTTP/1.1\r\nHost: h\r\n\r\n", 0, BAD},
    {"TLS handshake", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 0, BAD},

    /* Host */
    {"missing Host", "GET / HTTP/1.1\r\nX: y\r\n\r\n", 0, BAD},
    {"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 0, BAD},
    {"two Hosts 1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 0, BAD},
    {"Host with space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 0, BAD},
    {"Host with userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 0, BAD},
    {"Host bad port", "GET / HTTP/1.1\r\nHost: a:99999\r\n\r\n", 0, BAD},
    {"Host port letters", "GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", 0, BAD},
    {"Host only port", "GET / HTTP/1.1\r\nHost: :80\r\n\r\n", 0, BAD},
    {"Host slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 0, BAD},
    {"Host unclosed v6", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 0, BAD},
};

static void check_req_case(const req_case *c, parsed *r) {
  if (c->rc > 0) {
    if (r->rc <= 0)
      fail_msg("%s: expected success, got %s (%s)", c->name, gale_err_name(r->rc),
               r->detail ? r->detail : "");
  } else {
    if (r->rc != c->rc)
      fail_msg("%s: expected %s, got %s (%s)", c->name, gale_err_name(c->rc), gale_err_name(r->rc),
               r->detail ? r->detail : "-");
    if (gale_h1_error_status(r->rc, NULL) != c->http)
      fail_msg("%s: expected HTTP %d", c->name, c->http);
    if (!r->detail) fail_msg("%s: no detail", c->name);
  }
}

static size_t case_len(const req_case *c) { return c->len ? c->len : strlen(c->raw); }

static void test_request_table(void **state) {
  (void)state;
  parsed r;
  for (size_t i = 0; i < sizeof req_cases / sizeof req_cases[0]; i++) {
    const req_case *c = &req_cases[i];
    parse_once(GALE_H1_REQUEST, 0, c->raw, case_len(c), &r, NULL);
    check_req_case(c, &r);
  }
}

/* Byte by byte, and every two-piece split: same outcome as one shot. */
static void test_request_table_incremental(void **state) {
  (void)state;
  static parsed once, inc;
  for (size_t i = 0; i < sizeof req_cases / sizeof req_cases[0]; i++) {
    const req_case *c = &req_cases[i];
    size_t len = case_len(c);
    parse_once(GALE_H1_REQUEST, 0, c->raw, len, &once, NULL);
    size_t *cuts = malloc(len * sizeof *cuts);
    for (size_t k = 0; k < len; k++) cuts[k] = k;
    char *keep = NULL;
    parse_cuts(GALE_H1_REQUEST, 0, c->raw, len, cuts, len, &inc, &keep);
    if (inc.rc != once.rc)
      fail_msg("%s byte-by-byte: %s vs %s", c->name, gale_err_name(inc.rc), gale_err_name(once.rc));
    if (once.rc > 0) {
      assert_int_equal(inc.msg.num_headers, once.msg.num_headers);
      assert_int_equal(inc.msg.body_kind, once.msg.body_kind);
      assert_int_equal(inc.msg.keep_alive, once.msg.keep_alive);
      assert_int_equal(inc.msg.target.len, once.msg.target.len);
      assert_int_equal(inc.msg.target.ptr - keep, once.msg.target.ptr - c->raw);
      for (size_t h = 0; h < once.msg.num_headers; h++) {
        assert_int_equal(inc.hdrs[h].value.ptr - keep, once.hdrs[h].value.ptr - c->raw);
        assert_int_equal(inc.hdrs[h].value.len, once.hdrs[h].value.len);
      }
    }
    free(keep);
    for (size_t k = 1; k < len; k++) {
      keep = NULL;
      parse_cuts(GALE_H1_REQUEST, 0, c->raw, len, &k, 1, &inc, &keep);
      if (inc.rc != once.rc)
        fail_msg("%s split at %zu: %s vs %s", c->name, k, gale_err_name(inc.rc),
                 gale_err_name(once.rc));
      free(keep);
    }
    free(cuts);
  }
}

/* ---- request semantics -------------------------------------------------- */

static parsed R;

static void req(const char *raw) {
  parse_once(GALE_H1_REQUEST, 0, raw, strlen(raw), &R, NULL);
  if (R.rc <= 0) fail_msg("%s: %s", raw, R.detail ? R.detail : gale_err_name(R.rc));
}

static bool span_is(gale_h1_span s, const char *lit) {
  return s.len == strlen(lit) && memcmp(s.ptr, lit, s.len) == 0;
}

static void test_request_fields(void **state) {
  (void)state;
  const char *raw = "POST /up?x=1 HTTP/1.1\r\nHost: ex.com:81\r\nX-Sp:  a b \t\r\n"
                    "Content-Length: 5\r\n\r\nhello";
  req(raw);
  assert_int_equal(R.rc, strlen(raw) - 5);
  assert_int_equal(R.msg.head_len, strlen(raw) - 5);
  assert_true(span_is(R.msg.method, "POST"));
  assert_int_equal(R.msg.method_id, GALE_H1_METHOD_POST);
  assert_true(span_is(R.msg.target, "/up?x=1"));
  assert_int_equal(R.msg.target_form, GALE_H1_TARGET_ORIGIN);
  assert_true(span_is(R.msg.host, "ex.com:81"));
  assert_int_equal(R.msg.version_minor, 1);
  assert_int_equal(R.msg.num_headers, 3);
  assert_true(span_is(R.hdrs[1].name, "X-Sp"));
  assert_true(span_is(R.hdrs[1].value, "a b"));
  assert_int_equal(R.msg.body_kind, GALE_H1_BODY_LENGTH);
  assert_int_equal(R.msg.content_length, 5);
  assert_true(R.msg.keep_alive);
  const gale_h1_header *h = gale_h1_find_header(&R.msg, "content-LENGTH", 14);
  assert_non_null(h);
  assert_true(span_is(h->value, "5"));
  assert_null(gale_h1_find_header(&R.msg, "Cookie", 6));

  req("GET http://example.com:8080/x HTTP/1.1\r\nHost: other\r\n\r\n");
  assert_int_equal(R.msg.target_form, GALE_H1_TARGET_ABSOLUTE);
  assert_true(span_is(R.msg.host, "example.com:8080"));
  req("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n");
  assert_int_equal(R.msg.target_form, GALE_H1_TARGET_ASTERISK);
  assert_int_equal(R.msg.method_id, GALE_H1_METHOD_OPTIONS);
  req("CONNECT ex.com:443 HTTP/1.1\r\nHost: ex.com:443\r\n\r\n");
  assert_int_equal(R.msg.target_form, GALE_H1_TARGET_AUTHORITY);
  assert_true(span_is(R.msg.host, "ex.com:443"));
  req("\r\n\r\nHEAD /x HTTP/1.1\r\nHost: a\r\n\r\n");
  assert_true(span_is(R.msg.method, "HEAD"));
  assert_int_equal(R.msg.method_id, GALE_H1_METHOD_HEAD);
  assert_int_equal(R.msg.body_kind, GALE_H1_BODY_NONE);
  req("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\n");
  assert_int_equal(R.msg.content_length, 7);
  req("PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
  assert_int_equal(R.msg.body_kind, GALE_H1_BODY_CHUNKED);
}

static void test_request_keepalive_expect_upgrade(void **state) {
  (void)state;
  req("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  assert_true(R.msg.keep_alive);
  assert_false(R.msg.expect_continue);
  assert_false(R.msg.upgrade);
  req("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  assert_false(R.msg.keep_alive);
  req("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, Close\r\n\r\n");
  assert_false(R.msg.keep_alive);
  req("GET / HTTP/1.0\r\n\r\n");
  assert_false(R.msg.keep_alive);
  req("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
  assert_true(R.msg.keep_alive);
  req("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n");
  assert_false(R.msg.keep_alive);
  req("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n");
  assert_true(R.msg.expect_continue);
  assert_false(R.msg.expect_other);
  req("POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n");
  assert_false(R.msg.expect_continue);
  assert_true(R.msg.expect_other);
  req("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n"); /* ignored in 1.0 */
  assert_false(R.msg.expect_continue);
  req("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: keep-alive, "
      "Upgrade\r\n\r\n");
  assert_true(R.msg.upgrade);
  req("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n");
  assert_false(R.msg.upgrade);
  req("POST / HTTP/1.1\r\nHost: a\r\nContent-Encoding: GZIP\r\n\r\n");
  assert_true(R.msg.content_gzip);
  req("POST / HTTP/1.1\r\nHost: a\r\nContent-Encoding: br\r\n\r\n");
  assert_false(R.msg.content_gzip);
}

/* ---- limits ---------------------------------------------------------- */

static char *repeat_into(char *p, const char *s, size_t times) {
  size_t n = strlen(s);
  for (size_t i = 0; i < times; i++, p += n) memcpy(p, s, n);
  return p;
}

/* max_start_line: 414 past it, fine at it. */
static void test_limit_start_line(void **state) {
  (void)state;
  static parsed r;
  char *buf = malloc(200000);
  assert_non_null(buf);
  char *p;

  /* a target past max_start_line: 414 */
  p = buf;
  p = repeat_into(p, "GET /", 1);
  memset(p, 'a', 9000);
  p += 9000;
  p = repeat_into(p, " HTTP/1.1\r\nHost: a\r\n\r\n", 1);
  parse_once(GALE_H1_REQUEST, 0, buf, (size_t)(p - buf), &r, NULL);
  assert_int_equal(r.rc, GALE_EHTTP_URI_TOO_LONG);
  assert_int_equal(gale_h1_error_status(r.rc, NULL), 414);
  /* ... also when the line has not ended yet */
  parse_once(GALE_H1_REQUEST, 0, buf, 8500, &r, NULL);
  assert_int_equal(r.rc, GALE_EHTTP_URI_TOO_LONG);
  /* exactly at the limit is fine: line = 8192 bytes with CRLF */
  p = buf;
  p = repeat_into(p, "GET /", 1);
  memset(p, 'a', 8192 - 16);
  p += 8192 - 16;
  p = repeat_into(p, " HTTP/1.1\r\nHost: a\r\n\r\n", 1);
  parse_once(GALE_H1_REQUEST, 0, buf, (size_t)(p - buf), &r, NULL);
  assert_true(r.rc > 0);
  free(buf);
}

/* max_header_size: 431, complete or arriving slowly; sticky. */
static void test_limit_head_size(void **state) {
  (void)state;
  static parsed r;
  char *buf = malloc(200000);
  assert_non_null(buf);
  char *p;

  /* a head past 64 KiB: 431, complete or not */
  p = buf;
  p = repeat_into(p, "GET / HTTP/1.1\r\nHost: a\r\n", 1);
  p = repeat_into(
      p,
      "X-Long: "
      "01234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901"
      "23456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123"
      "45678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345"
      "67890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567"
      "89012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
      "012345678901234567890123456789012345678901234567890123456789\r\n",
      140);
  p = repeat_into(p, "\r\n", 1);
  parse_once(GALE_H1_REQUEST, 0, buf, (size_t)(p - buf), &r, NULL);
  assert_int_equal(r.rc, GALE_EHTTP_HEADER_TOO_LARGE);
  assert_int_equal(gale_h1_error_status(r.rc, NULL), 431);
  parse_once(GALE_H1_REQUEST, 0, buf, 70000, &r, NULL);
  assert_int_equal(r.rc, GALE_EHTTP_HEADER_TOO_LARGE);
  /* the same growing slowly: caught once 64 KiB have arrived */
  {
    gale_h1_parser ps;
    gale_h1_parser_init(&ps, GALE_H1_REQUEST, NULL);
    r.msg.headers = r.hdrs;
    r.msg.headers_cap = MAXH;
    int rc = GALE_EAGAIN;
    size_t k;
    for (k = 1; k <= 70000 && rc == GALE_EAGAIN; k += 7)
      rc = gale_h1_parse_head(&ps, buf, k, &r.msg);
    assert_int_equal(rc, GALE_EHTTP_HEADER_TOO_LARGE);
    assert_true(k - 7 <= 65536 + 8);
    /* sticky */
    assert_int_equal(gale_h1_parse_head(&ps, buf, 10, &r.msg), GALE_EHTTP_HEADER_TOO_LARGE);
    gale_h1_parser_reset(&ps, 0);
    assert_int_equal(gale_h1_parse_head(&ps, "GET / HTTP/1.0\r\n\r\n", 18, &r.msg), 18);
  }
  free(buf);
}

/* max_headers and the caller's array: 431 past them. */
static void test_limit_field_count(void **state) {
  (void)state;
  static parsed r;
  char *buf = malloc(200000);
  assert_non_null(buf);
  char *p;

  /* too many fields: 431 */
  p = buf;
  p = repeat_into(p, "GET / HTTP/1.1\r\nHost: a\r\n", 1);
  p = repeat_into(p, "X: y\r\n", 100);
  p = repeat_into(p, "\r\n", 1);
  parse_once(GALE_H1_REQUEST, 0, buf, (size_t)(p - buf), &r, NULL);
  assert_int_equal(r.rc, GALE_EHTTP_HEADER_TOO_LARGE);
  /* 100 exactly is fine */
  parse_once(GALE_H1_REQUEST, 0, buf + 0, (size_t)(p - buf), &r, NULL);
  p = buf;
  p = repeat_into(p, "GET / HTTP/1.1\r\nHost: a\r\n", 1);
  p = repeat_into(p, "X: y\r\n", 99);
  p = repeat_into(p, "\r\n", 1);
  parse_once(GALE_H1_REQUEST, 0, buf, (size_t)(p - buf), &r, NULL);
  assert_true(r.rc > 0);
  assert_int_equal(r.msg.num_headers, 100);
  /* and incrementally: the scanner counts lines too */
  {
    gale_h1_parser ps;
    gale_h1_parser_init(&ps, GALE_H1_REQUEST, NULL);
    size_t full = (size_t)(p - buf) + 6; /* one more field */
    memmove(buf + 25 + 6, buf + 25, (size_t)(p - buf) - 25);
    memcpy(buf + 25, "X: y\r\n", 6);
    int rc = GALE_EAGAIN;
    for (size_t k = 1; k <= full && rc == GALE_EAGAIN; k++)
      rc = gale_h1_parse_head(&ps, buf, k, &r.msg);
    assert_int_equal(rc, GALE_EHTTP_HEADER_TOO_LARGE);
  }
  /* the caller's array caps the count too */
  {
    gale_h1_parser ps;
    gale_h1_header few[2];
    gale_h1_msg m;
    memset(&m, 0, sizeof m);
    m.headers = few;
    m.headers_cap = 2;
    gale_h1_parser_init(&ps, GALE_H1_REQUEST, NULL);
    const char *three = "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n";
    assert_int_equal(gale_h1_parse_head(&ps, three, strlen(three), &m),
                     GALE_EHTTP_HEADER_TOO_LARGE);
  }
  free(buf);
}

/* Limits of the caller's own. */
static void test_limit_custom(void **state) {
  (void)state;
  static parsed r;

  /* custom limits */
  {
    gale_h1_limits lim;
    gale_h1_limits_init(&lim);
    lim.max_body_size = 10;
    lim.max_start_line = 20;
    parse_once(GALE_H1_REQUEST, 0, "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", 47,
               &r, &lim);
    assert_int_equal(r.rc, GALE_EHTTP_BODY_TOO_LARGE);
    assert_int_equal(gale_h1_error_status(r.rc, NULL), 413);
    parse_once(GALE_H1_REQUEST, 0, "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n", 47,
               &r, &lim);
    assert_true(r.rc > 0);
    parse_once(GALE_H1_REQUEST, 0, "GET /abcdefgh HTTP/1.1\r\nHost: a\r\n\r\n", 36, &r, &lim);
    assert_int_equal(r.rc, GALE_EHTTP_URI_TOO_LONG);
  }
}

/* ---- pipelining -------------------------------------------------------- */

static void test_pipelined(void **state) {
  (void)state;
  const char *buf = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
                    "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
                    "POST /3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: v\r\n\r\n"
                    "GET /4 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
                    "GARBAGE";
  const char *targets[] = {"/1", "/2", "/3", "/4"};
  const char *bodies[] = {"", "hello", "abcde", ""};
  size_t len = strlen(buf), off = 0;
  gale_h1_parser p;
  gale_h1_header hdrs[16];
  gale_h1_msg msg;
  gale_h1_parser_init(&p, GALE_H1_REQUEST, NULL);
  for (int i = 0; i < 4; i++) {
    memset(&msg, 0, sizeof msg);
    msg.headers = hdrs;
    msg.headers_cap = 16;
    gale_h1_parser_reset(&p, 0);
    int rc = gale_h1_parse_head(&p, buf + off, len - off, &msg);
    assert_true(rc > 0);
    assert_true(span_is(msg.target, targets[i]));
    off += (size_t)rc;
    gale_h1_body b;
    gale_h1_body_init(&b, &p, &msg);
    char body[64];
    size_t blen = 0;
    for (;;) {
      size_t used, dlen;
      const char *d;
      rc = gale_h1_body_decode(&b, buf + off, len - off, &used, &d, &dlen);
      memcpy(body + blen, d, dlen);
      blen += dlen;
      off += used;
      if (rc == GALE_H1_BODY_DONE) break;
      assert_int_equal(rc, GALE_OK);
    }
    assert_int_equal(blen, strlen(bodies[i]));
    assert_memory_equal(body, bodies[i], blen);
    assert_int_equal(msg.keep_alive, i != 3);
  }
  assert_string_equal(buf + off, "GARBAGE");
}

/* ---- responses ------------------------------------------------------ */

typedef struct resp_case {
  const char *name;
  const char *raw;
  unsigned flags;
  int rc; /* 1 ok, else error */
  int status;
  gale_h1_body_kind kind;
  bool keep_alive;
  bool upgrade;
} resp_case;

#define NOBODY GALE_H1_BODY_NONE
#define LEN GALE_H1_BODY_LENGTH
#define CHK GALE_H1_BODY_CHUNKED
#define EOFB GALE_H1_BODY_UNTIL_CLOSE

static const resp_case resp_cases[] = {
    {"200 length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 0, 1, 200, LEN, true,
     false},
    {"200 until close", "HTTP/1.1 200 OK\r\n\r\n", 0, 1, 200, EOFB, false, false},
    {"200 chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0, 1, 200, CHK, true,
     false},
    {"chunked wins over CL",
     "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 0, 1, 200, CHK,
     false, false},
    {"TE gzip: until close", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", 0, 1, 200, EOFB,
     false, false},
    {"TE gzip,chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 0,
     GALE_EHTTP_ENCODING, 0, 0, false, false},
    {"204 with CL", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", 0, 1, 204, NOBODY, true,
     false},
    {"304", "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n", 0, 1, 304, NOBODY, true, false},
    {"100 continue", "HTTP/1.1 100 Continue\r\n\r\n", 0, 1, 100, NOBODY, true, false},
    {"101 upgrade",
     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", 0, 1,
     101, NOBODY, true, true},
    {"HEAD response", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", GALE_H1_F_HEAD_REQUEST, 1,
     200, NOBODY, true, false},
    {"HEAD chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
     GALE_H1_F_HEAD_REQUEST, 1, 200, NOBODY, true, false},
    {"CONNECT 200", "HTTP/1.1 200 Connection established\r\n\r\n", GALE_H1_F_CONNECT_REQUEST, 1,
     200, NOBODY, true, true},
    {"CONNECT 407", "HTTP/1.1 407 Proxy Auth\r\nContent-Length: 0\r\n\r\n",
     GALE_H1_F_CONNECT_REQUEST, 1, 407, LEN, true, false},
    {"CL equal twice", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", 0, 1,
     200, LEN, true, false},
    {"CL equal list", "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n", 0, 1, 200, LEN, true,
     false},
    {"CL differ", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 0,
     GALE_EHTTP_PARSE, 0, 0, false, false},
    {"CL list differ", "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n", 0, GALE_EHTTP_PARSE, 0, 0,
     false, false},
    {"CL negative", "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n", 0, GALE_EHTTP_PARSE, 0, 0,
     false, false},
    {"HTTP/1.0 length", "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\n", 0, 1, 200, LEN, false,
     false},
    {"HTTP/1.0 keep-alive",
     "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\n", 0, 1, 200, LEN, true,
     false},
    {"close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\n", 0, 1, 200, LEN,
     false, false},
    {"no reason", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", 0, 1, 200, LEN, true, false},
    {"empty reason", "HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n", 0, 1, 404, LEN, true, false},
    {"custom code", "HTTP/1.1 599 Whatever Man\r\nContent-Length: 0\r\n\r\n", 0, 1, 599, LEN, true,
     false},
    {"HTTP/2", "HTTP/2 200 OK\r\n\r\n", 0, GALE_EHTTP_PARSE, 0, 0, false, false},
    {"HTTP/2.0", "HTTP/2.0 200 OK\r\n\r\n", 0, GALE_EHTTP_VERSION, 0, 0, false, false},
    {"4-digit status", "HTTP/1.1 2000 OK\r\n\r\n", 0, GALE_EHTTP_PARSE, 0, 0, false, false},
    {"2-digit status", "HTTP/1.1 20 OK\r\n\r\n", 0, GALE_EHTTP_PARSE, 0, 0, false, false},
    {"status 099", "HTTP/1.1 099 x\r\n\r\n", 0, GALE_EHTTP_PARSE, 0, 0, false, false},
    {"bare CR reason", "HTTP/1.1 200 O\rK\r\n\r\n", 0, GALE_EHTTP_PARSE, 0, 0, false, false},
    {"bare LF", "HTTP/1.1 200 OK\nContent-Length: 0\n\n", 0, GALE_EHTTP_PARSE, 0, 0, false, false},
    {"obs-fold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", 0, GALE_EHTTP_PARSE, 0, 0, false, false},
    {"leading CRLF", "\r\nHTTP/1.1 200 OK\r\n\r\n", 0, GALE_EHTTP_PARSE, 0, 0, false, false},
    {"garbage", "<html>hello</html>\r\n\r\n", 0, GALE_EHTTP_PARSE, 0, 0, false, false},
};

static void test_response_table(void **state) {
  (void)state;
  static parsed r, inc;
  for (size_t i = 0; i < sizeof resp_cases / sizeof resp_cases[0]; i++) {
    const resp_case *c = &resp_cases[i];
    size_t len = strlen(c->raw);
    parse_once(GALE_H1_RESPONSE, c->flags, c->raw, len, &r, NULL);
    if (c->rc == 1) {
      if (r.rc <= 0) fail_msg("%s: got %s (%s)", c->name, gale_err_name(r.rc), r.detail);
      if (r.msg.status != c->status) fail_msg("%s: status %d", c->name, r.msg.status);
      if (r.msg.body_kind != c->kind) fail_msg("%s: kind %d", c->name, r.msg.body_kind);
      if (r.msg.keep_alive != c->keep_alive) fail_msg("%s: keep_alive", c->name);
      if (r.msg.upgrade != c->upgrade) fail_msg("%s: upgrade", c->name);
    } else if (r.rc != c->rc) {
      fail_msg("%s: expected %s got %s", c->name, gale_err_name(c->rc), gale_err_name(r.rc));
    }
    for (size_t k = 0; k < len; k++) {
      char *keep = NULL;
      size_t cuts[2] = {k, k + 1 < len ? k + 1 : k};
      parse_cuts(GALE_H1_RESPONSE, c->flags, c->raw, len, cuts, 2, &inc, &keep);
      if (inc.rc != r.rc) fail_msg("%s split %zu: %s", c->name, k, gale_err_name(inc.rc));
      if (r.rc > 0) assert_int_equal(inc.msg.status, r.msg.status);
      free(keep);
    }
  }
  parse_once(GALE_H1_RESPONSE, 0, "HTTP/1.1 404 Not Found\r\n\r\n", 26, &r, NULL);
  assert_true(span_is(r.msg.reason, "Not Found"));
}

static void test_helpers(void **state) {
  (void)state;
  const char *reason;
  assert_int_equal(gale_h1_error_status(GALE_EHTTP_PARSE, &reason), 400);
  assert_string_equal(reason, "Bad Request");
  assert_int_equal(gale_h1_error_status(GALE_EHTTP_BAD_CHUNK, NULL), 400);
  assert_int_equal(gale_h1_error_status(GALE_EHTTP_URI_TOO_LONG, &reason), 414);
  assert_string_equal(reason, "URI Too Long");
  assert_int_equal(gale_h1_error_status(GALE_EHTTP_HEADER_TOO_LARGE, &reason), 431);
  assert_string_equal(reason, "Request Header Fields Too Large");
  assert_int_equal(gale_h1_error_status(GALE_EHTTP_ENCODING, NULL), 501);
  assert_int_equal(gale_h1_error_status(GALE_EHTTP_VERSION, NULL), 505);
  assert_int_equal(gale_h1_error_status(GALE_EHTTP_BODY_TOO_LARGE, NULL), 413);
  assert_string_equal(gale_h1_reason_phrase(404), "Not Found");
  assert_string_equal(gale_h1_reason_phrase(799), "Unknown");

  assert_true(gale_h1_list_has_token("a, Close ,b", 11, "close"));
  assert_false(gale_h1_list_has_token("closed", 6, "close"));
  assert_false(gale_h1_list_has_token("", 0, "close"));

  assert_true(gale_h1_valid_token("X-Foo", 5));
  assert_false(gale_h1_valid_token("", 0));
  assert_false(gale_h1_valid_token("X Foo", 5));
  assert_false(gale_h1_valid_token("X:", 2));
  assert_true(gale_h1_valid_field_value("a b\tc\x80", 6));
  assert_true(gale_h1_valid_field_value("", 0));
  assert_false(gale_h1_valid_field_value("a\r\nSet-Cookie: x", 16));
  assert_false(gale_h1_valid_field_value("a\0", 2));
  assert_false(gale_h1_valid_reason("OK\n", 3));
  assert_true(gale_h1_valid_target("/a?b=c", 6));
  assert_false(gale_h1_valid_target("/a b", 4));
  assert_false(gale_h1_valid_target("/a#b", 4));
  assert_false(gale_h1_valid_target("", 0));

  /* EINVAL: no header array */
  gale_h1_parser p;
  gale_h1_msg m;
  memset(&m, 0, sizeof m);
  m.headers_cap = 4;
  gale_h1_parser_init(&p, GALE_H1_REQUEST, NULL);
  assert_int_equal(gale_h1_parse_head(&p, "GET", 3, &m), GALE_EINVAL);
  /* a zero-capacity array refuses the first field */
  m.headers_cap = 0;
  assert_int_equal(gale_h1_parse_head(&p, "GET / HTTP/1.0\r\n\r\n", 18, &m), 18);
  assert_null(gale_h1_parser_detail(&p));
}

/* A long head arriving one byte per call stays cheap: the parser resumes
 * where it left off (a quadratic rescan would take seconds here). */
static void test_slow_sender(void **state) {
  (void)state;
  size_t n = 60000;
  char *buf = malloc(n + 64);
  char *p = buf;
  p = repeat_into(p, "GET / HTTP/1.1\r\nHost: a\r\nX: ", 1);
  size_t fill = n - (size_t)(p - buf);
  memset(p, 'v', fill);
  p += fill;
  p = repeat_into(p, "\r\n\r\n", 1);
  size_t len = (size_t)(p - buf);
  gale_h1_parser ps;
  gale_h1_header h[4];
  gale_h1_msg m;
  memset(&m, 0, sizeof m);
  m.headers = h;
  m.headers_cap = 4;
  gale_h1_parser_init(&ps, GALE_H1_REQUEST, NULL);
  int rc = GALE_EAGAIN;
  for (size_t k = 1; k <= len; k++) {
    rc = gale_h1_parse_head(&ps, buf, k, &m);
    if (k < len) assert_int_equal(rc, GALE_EAGAIN);
  }
  assert_int_equal(rc, (int)len);
  assert_int_equal(m.headers[1].value.len, fill);
  free(buf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_request_table),
      cmocka_unit_test(test_request_table_incremental),
      cmocka_unit_test(test_request_fields),
      cmocka_unit_test(test_request_keepalive_expect_upgrade),
      cmocka_unit_test(test_limit_start_line),
      cmocka_unit_test(test_limit_head_size),
      cmocka_unit_test(test_limit_field_count),
      cmocka_unit_test(test_limit_custom),
      cmocka_unit_test(test_pipelined),
      cmocka_unit_test(test_response_table),
      cmocka_unit_test(test_helpers),
      cmocka_unit_test(test_slow_sender),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
