/* SPDX-License-Identifier: MIT */
/* Tests of the body decoder and chunk framing (http/wire/chunked.c):
 * valid and malformed chunked bodies fed whole and in every piece size,
 * the extension and trailer limits, Content-Length and until-close bodies
 * with EOF, and the chunk-size lines gale writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http/wire/h1_parser.h"

/* Decodes `in` fed in pieces of `step` bytes (0: at once), keeping unread
 * bytes like a connection buffer would.  Returns the final status; body in
 * out/outlen, bytes consumed in *used. */
static int decode_steps(const char *in, size_t len, size_t step, char *out, size_t *outlen,
                        size_t *used, const gale_h1_limits *lim) {
  gale_h1_body b;
  gale_h1_body_init_kind(&b, GALE_H1_BODY_CHUNKED, 0, lim);
  size_t off = 0, avail = step ? (step < len ? step : len) : len;
  *outlen = 0;
  for (;;) {
    size_t c, dl;
    const char *d;
    int rc = gale_h1_body_decode(&b, in + off, avail - off, &c, &d, &dl);
    assert_true(c <= avail - off);
    if (dl) {
      assert_true(d >= in + off && d + dl <= in + avail);
      memcpy(out + *outlen, d, dl);
      *outlen += dl;
    }
    off += c;
    if (rc == GALE_H1_BODY_DONE || (rc < 0 && rc != GALE_EAGAIN)) {
      *used = off;
      return rc;
    }
    if (rc == GALE_EAGAIN) {
      assert_int_equal(off, avail);
      if (avail == len) {
        *used = off;
        return GALE_EAGAIN;
      }
      avail = avail + step < len ? avail + step : len;
    }
  }
}

static void test_chunked_valid(void **state) {
  (void)state;
  static const struct {
    const char *in, *body;
  } cases[] = {
      {"5\r\nhello\r\n0\r\n\r\n", "hello"},
      {"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world"},
      {"A\r\n0123456789\r\n0\r\n\r\n", "0123456789"},
      {"000000000000000a\r\n0123456789\r\n0000\r\n\r\n", "0123456789"},
      {"5;foo=bar\r\nhello\r\n0\r\n\r\n", "hello"},
      {"5;foo\r\nhello\r\n0;last\r\n\r\n", "hello"},
      {"5 ;a = b ; c=\"q \\\" ;x\"\r\nhello\r\n0\r\n\r\n", "hello"},
      {"5;a=\"\"\r\nhello\r\n0\r\n\r\n", "hello"},
      {"3\r\nabc\r\n0\r\nX-Trailer: v\r\nY: w w\r\n\r\n", "abc"},
      {"3\r\nabc\r\n0\r\nEmpty:\r\n\r\n", "abc"},
      {"0\r\n\r\n", ""},
  };
  char out[256];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t len = strlen(cases[i].in), outlen, used;
    char *withnext = malloc(len + 4);
    memcpy(withnext, cases[i].in, len);
    memcpy(withnext + len, "NEXT", 4);
    for (size_t step = 0; step <= len; step++) {
      int rc = decode_steps(withnext, len + 4, step, out, &outlen, &used, NULL);
      if (rc != GALE_H1_BODY_DONE) fail_msg("case %zu step %zu: %s", i, step, gale_err_name(rc));
      assert_int_equal(used, len);
      assert_int_equal(outlen, strlen(cases[i].body));
      assert_memory_equal(out, cases[i].body, outlen);
    }
    free(withnext);
  }
}

static void test_chunked_invalid(void **state) {
  (void)state;
  static const struct {
    const char *in;
    size_t len;
    int rc;
  } cases[] = {
#define C(str, rc) {str, sizeof(str) - 1, rc}
      C("g\r\nhello\r\n0\r\n\r\n", GALE_EHTTP_BAD_CHUNK),
      C("\r\nhello\r\n0\r\n\r\n", GALE_EHTTP_BAD_CHUNK),
      C("0x5\r\nhello\r\n0\r\n\r\n", GALE_EHTTP_BAD_CHUNK),
      C("-5\r\nhello\r\n0\r\n\r\n", GALE_EHTTP_BAD_CHUNK),
      C("+5\r\nhello\r\n0\r\n\r\n", GALE_EHTTP_BAD_CHUNK),
      C(" 5\r\nhello\r\n0\r\n\r\n", GALE_EHTTP_BAD_CHUNK),
      C("5 \r\nhello\r\n0\r\n\r\n", GALE_EHTTP_BAD_CHUNK),
      C("5\t\r\nhello\r\n0\r\n\r\n", GALE_EHTTP_BAD_CHUNK),
      C("5;a \r\nhello\r\n0\r\n\r\n", GALE_EHTTP_BAD_CHUNK),
      C("0000000000000000a\r\n", GALE_EHTTP_BAD_CHUNK),     /* 17 digits */
      C("10000000000000000\r\n", GALE_EHTTP_BAD_CHUNK),     /* overflow */
      C("ffffffffffffffff\r\n", GALE_EHTTP_BODY_TOO_LARGE), /* past limit */
      C("5\nhello\r\n0\r\n\r\n", GALE_EHTTP_BAD_CHUNK),     /* bare LF */
      C("5\rhello\r\n0\r\n\r\n", GALE_EHTTP_BAD_CHUNK),     /* bare CR */
      C("5\r\nhelloXX0\r\n\r\n", GALE_EHTTP_BAD_CHUNK),     /* no CRLF */
      C("5\r\nhello\n0\r\n\r\n", GALE_EHTTP_BAD_CHUNK),
      C("5\r\nhello\r\r\n0\r\n\r\n", GALE_EHTTP_BAD_CHUNK),
      C("5\r\nhelloo\r\n0\r\n\r\n", GALE_EHTTP_BAD_CHUNK), /* longer */
      C("5;\r\nhello\r\n0\r\n\r\n", GALE_EHTTP_BAD_CHUNK), /* empty ext name */
      C("5;a=\r\nhello\r\n0\r\n\r\n", GALE_EHTTP_BAD_CHUNK),
      C("5;a=\"x\r\nhello\r\n", GALE_EHTTP_BAD_CHUNK),     /* CR in quoted */
      C("5;a=\"x\0\"\r\nhello\r\n", GALE_EHTTP_BAD_CHUNK), /* NUL */
      C("5;a=b\0\r\nhello\r\n", GALE_EHTTP_BAD_CHUNK),
      C("5;a(b\r\nhello\r\n", GALE_EHTTP_BAD_CHUNK),
      C("5;a=\"x\"y\r\nhello\r\n", GALE_EHTTP_BAD_CHUNK),
      C("0\r\nX : v\r\n\r\n", GALE_EHTTP_BAD_CHUNK),           /* space before colon */
      C("0\r\nX: v\r\n folded\r\n\r\n", GALE_EHTTP_BAD_CHUNK), /* obs-fold */
      C("0\r\nX: a\0b\r\n\r\n", GALE_EHTTP_BAD_CHUNK),
      C("0\r\nX: v\n\r\n", GALE_EHTTP_BAD_CHUNK),
      C("0\r\nNoColon\r\n\r\n", GALE_EHTTP_BAD_CHUNK),
      C("0\r\n\n", GALE_EHTTP_BAD_CHUNK),
      C("0\r\n\rX", GALE_EHTTP_BAD_CHUNK),
#undef C
  };
  char out[256];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t len = cases[i].len; /* sizeof-based: keeps embedded NULs */
    for (size_t step = 0; step <= len; step++) {
      size_t outlen, used;
      int rc = decode_steps(cases[i].in, len, step, out, &outlen, &used, NULL);
      if (rc != cases[i].rc)
        fail_msg("case %zu (%s) step %zu: %s", i, cases[i].in, step, gale_err_name(rc));
    }
  }
}

static void test_chunked_limits(void **state) {
  (void)state;
  gale_h1_limits lim;
  char buf[8192], out[8192];
  size_t outlen, used;
  gale_h1_limits_init(&lim);
  lim.max_body_size = 10;
  const char *two = "6\r\nabcdef\r\n6\r\nabcdef\r\n0\r\n\r\n";
  assert_int_equal(decode_steps(two, strlen(two), 0, out, &outlen, &used, &lim),
                   GALE_EHTTP_BODY_TOO_LARGE);
  assert_int_equal(outlen, 6); /* refused before the second chunk's data */
  lim.max_body_size = 12;
  assert_int_equal(decode_steps(two, strlen(two), 0, out, &outlen, &used, &lim), GALE_H1_BODY_DONE);

  /* chunk extension bound */
  gale_h1_limits_init(&lim);
  lim.max_chunk_ext = 100;
  char *p = buf;
  *p++ = '1';
  *p++ = ';';
  *p++ = 'a';
  *p++ = '=';
  memset(p, 'x', 200);
  p += 200;
  memcpy(p, "\r\nZ\r\n0\r\n\r\n", 10);
  p += 10;
  assert_int_equal(decode_steps(buf, (size_t)(p - buf), 0, out, &outlen, &used, &lim),
                   GALE_EHTTP_BAD_CHUNK);
  lim.max_chunk_ext = 300;
  assert_int_equal(decode_steps(buf, (size_t)(p - buf), 0, out, &outlen, &used, &lim),
                   GALE_H1_BODY_DONE);
  /* trailer bound */
  gale_h1_limits_init(&lim);
  lim.max_trailer_size = 64;
  p = buf;
  memcpy(p, "0\r\nX: ", 6);
  p += 6;
  memset(p, 'v', 100);
  p += 100;
  memcpy(p, "\r\n\r\n", 4);
  p += 4;
  assert_int_equal(decode_steps(buf, (size_t)(p - buf), 0, out, &outlen, &used, &lim),
                   GALE_EHTTP_BAD_CHUNK);
  lim.max_trailer_size = 200;
  assert_int_equal(decode_steps(buf, (size_t)(p - buf), 0, out, &outlen, &used, &lim),
                   GALE_H1_BODY_DONE);
}

static void test_body_length_and_eof(void **state) {
  (void)state;
  gale_h1_body b;
  size_t c, dl;
  const char *d;
  gale_h1_body_init_kind(&b, GALE_H1_BODY_LENGTH, 5, NULL);
  assert_int_equal(gale_h1_body_decode(&b, "he", 2, &c, &d, &dl), GALE_OK);
  assert_int_equal(dl, 2);
  assert_int_equal(gale_h1_body_decode(&b, "", 0, &c, &d, &dl), GALE_EAGAIN);
  assert_int_equal(gale_h1_body_eof(&b), GALE_EHTTP_TRUNCATED);
  gale_h1_body_init_kind(&b, GALE_H1_BODY_LENGTH, 5, NULL);
  assert_int_equal(gale_h1_body_decode(&b, "helloGET", 8, &c, &d, &dl), GALE_H1_BODY_DONE);
  assert_int_equal(c, 5);
  assert_int_equal(dl, 5);
  assert_int_equal(gale_h1_body_decode(&b, "GET", 3, &c, &d, &dl), GALE_H1_BODY_DONE);
  assert_int_equal(c, 0);
  assert_int_equal(gale_h1_body_total(&b), 5);
  assert_int_equal(gale_h1_body_eof(&b), GALE_H1_BODY_DONE);
  gale_h1_body_init_kind(&b, GALE_H1_BODY_LENGTH, 0, NULL);
  assert_int_equal(gale_h1_body_decode(&b, "x", 1, &c, &d, &dl), GALE_H1_BODY_DONE);
  assert_int_equal(c, 0);
  gale_h1_body_init_kind(&b, GALE_H1_BODY_NONE, 0, NULL);
  assert_int_equal(gale_h1_body_decode(&b, "x", 1, &c, &d, &dl), GALE_H1_BODY_DONE);

  gale_h1_limits lim;
  gale_h1_limits_init(&lim);
  lim.max_body_size = 4;
  gale_h1_body_init_kind(&b, GALE_H1_BODY_UNTIL_CLOSE, 0, &lim);
  assert_int_equal(gale_h1_body_decode(&b, "abc", 3, &c, &d, &dl), GALE_OK);
  assert_int_equal(gale_h1_body_decode(&b, "", 0, &c, &d, &dl), GALE_EAGAIN);
  assert_int_equal(gale_h1_body_eof(&b), GALE_H1_BODY_DONE);
  assert_int_equal(gale_h1_body_decode(&b, "de", 2, &c, &d, &dl), GALE_EHTTP_BODY_TOO_LARGE);

  gale_h1_body_init_kind(&b, GALE_H1_BODY_CHUNKED, 0, NULL);
  assert_int_equal(gale_h1_body_decode(&b, "5\r\nhel", 6, &c, &d, &dl), GALE_OK);
  assert_int_equal(gale_h1_body_eof(&b), GALE_EHTTP_TRUNCATED);
  /* errors are sticky */
  gale_h1_body_init_kind(&b, GALE_H1_BODY_CHUNKED, 0, NULL);
  assert_int_equal(gale_h1_body_decode(&b, "z", 1, &c, &d, &dl), GALE_EHTTP_BAD_CHUNK);
  assert_int_equal(gale_h1_body_decode(&b, "5\r\n", 3, &c, &d, &dl), GALE_EHTTP_BAD_CHUNK);
}

static void test_chunk_encoder(void **state) {
  (void)state;
  char h[GALE_H1_CHUNK_HEADER_MAX];
  size_t n = gale_h1_chunk_header(h, 0x1a2b);
  assert_int_equal(n, 6);
  assert_memory_equal(h, "1a2b\r\n", 6);
  n = gale_h1_chunk_header(h, UINT64_MAX);
  assert_int_equal(n, 18);
  assert_memory_equal(h, "ffffffffffffffff\r\n", 18);
  /* round trip through the decoder */
  char enc[4096], out[4096];
  size_t e = 0, outlen, used;
  const char *pieces[] = {"a", "hello world", "0123456789abcdef0123"};
  for (int i = 0; i < 3; i++) {
    e += gale_h1_chunk_header(enc + e, strlen(pieces[i]));
    memcpy(enc + e, pieces[i], strlen(pieces[i]));
    e += strlen(pieces[i]);
    memcpy(enc + e, GALE_H1_CHUNK_END, 2);
    e += 2;
  }
  memcpy(enc + e, GALE_H1_CHUNK_LAST, 5);
  e += 5;
  assert_int_equal(decode_steps(enc, e, 3, out, &outlen, &used, NULL), GALE_H1_BODY_DONE);
  assert_int_equal(used, e);
  assert_int_equal(outlen, 1 + 11 + 20);
  assert_memory_equal(out, "ahello world0123456789abcdef0123", outlen);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_chunked_valid),  cmocka_unit_test(test_chunked_invalid),
      cmocka_unit_test(test_chunked_limits), cmocka_unit_test(test_body_length_and_eof),
      cmocka_unit_test(test_chunk_encoder),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
