/* SPDX-License-Identifier: MIT */
/* tests/test_multipart.c — multipart/form-data parser and encoder
 * (http/util/multipart.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "gale/multipart.h"

#define S(x) (x), strlen(x)
#define B "AaB03x"

static gale_multipart *parse_ok(const char *body, size_t len) {
  gale_multipart *m = NULL;
  int rc = gale_multipart_parse(body, len, S(B), NULL, &m);
  if (rc != GALE_OK) fail_msg("parse failed: %d (%s)", rc, gale_err_name(rc));
  return m;
}

static void test_basic(void **state) {
  (void)state;
  const char *body =
      "preamble to ignore\r\n"
      "--" B "\r\n"
      "Content-Disposition: form-data; name=\"field1\"\r\n"
      "\r\n"
      "Joe Blow\r\nalmost tea time\r\n"
      "--" B "  \t\r\n"
      "content-disposition: form-data; name=\"pics\"; "
      "filename=\"file1.txt\"\r\n"
      "Content-Type: text/plain\r\n"
      "X-Other: ignored\r\n"
      "\r\n"
      "... contents of file1.txt ...\r\n"
      "--" B "\r\n"
      "Content-Disposition: form-data; name=\"empty\"; filename=\"\"\r\n"
      "\r\n"
      "\r\n"
      "--" B "--\r\n"
      "epilogue --" B "\r\n garbage";
  gale_multipart *m = parse_ok(S(body));
  assert_int_equal(gale_multipart_count(m), 3);
  const gale_multipart_part *p = gale_multipart_at(m, 0);
  assert_string_equal(p->name, "field1");
  assert_null(p->filename);
  assert_null(p->content_type);
  assert_int_equal(p->data_len, strlen("Joe Blow\r\nalmost tea time"));
  assert_memory_equal(p->data, "Joe Blow\r\nalmost tea time", p->data_len);
  /* Zero-copy: data points into the body. */
  assert_true(p->data > body && p->data < body + strlen(body));
  p = gale_multipart_at(m, 1);
  assert_string_equal(p->name, "pics");
  assert_string_equal(p->filename, "file1.txt");
  assert_string_equal(p->content_type, "text/plain");
  assert_int_equal(p->content_type_len, 10);
  assert_memory_equal(p->data, "... contents of file1.txt ...", p->data_len);
  p = gale_multipart_at(m, 2);
  assert_string_equal(p->filename, "");
  assert_int_equal(p->data_len, 0);
  assert_null(gale_multipart_at(m, 3));
  gale_multipart_free(m);
}

static void test_variants(void **state) {
  (void)state;
  /* Body starting with the delimiter; binary data with CR, LF, NUL and
   * near-misses of the delimiter (CRLF "--" boundary itself may not appear
   * in a part, RFC 2046 §5.1.1); quoted-pair and RFC 8187 filenames. */
  static const char body[] =
      "--" B "\r\n"
      "Content-Disposition: form-data; name=\"a\\\"b\"; "
      "filename=\"x.bin\"; filename*=UTF-8''%C3%A9.bin\r\n"
      "\r\n"
      "\0\r\n-" B "x\n--" B "\r--" B "\r\r\n"
      "\r\n--" B "--";
  gale_multipart *m = parse_ok(body, sizeof body - 1);
  assert_int_equal(gale_multipart_count(m), 1);
  const gale_multipart_part *p = gale_multipart_at(m, 0);
  assert_string_equal(p->name, "a\"b");
  assert_string_equal(p->filename, "\xc3\xa9.bin");
  const char want[] = "\0\r\n-" B "x\n--" B "\r--" B "\r\r\n";
  assert_int_equal(p->data_len, sizeof want - 1);
  assert_memory_equal(p->data, want, sizeof want - 1);
  gale_multipart_free(m);

  /* Only the closing delimiter: an empty form. */
  m = parse_ok(S("--" B "--"));
  assert_int_equal(gale_multipart_count(m), 0);
  gale_multipart_free(m);
}

static void test_malformed(void **state) {
  (void)state;
  static const struct {
    const char *body;
    int rc;
  } cases[] = {
      {"", GALE_EHTTP_PARSE},
      {"no delimiter at all", GALE_EHTTP_PARSE},
      /* missing closing delimiter */
      {"--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv",
       GALE_EHTTP_PARSE},
      {"--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--" B,
       GALE_EHTTP_PARSE},
      /* delimiter followed by garbage */
      {"--" B "x\r\n", GALE_EHTTP_PARSE},
      {"--" B "\n", GALE_EHTTP_PARSE},
      {"--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--" B
       "junk\r\n",
       GALE_EHTTP_PARSE},
      /* header section never ends */
      {"--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n",
       GALE_EHTTP_PARSE},
      /* no Content-Disposition, or not form-data, or no name */
      {"--" B "\r\n\r\nv\r\n--" B "--", GALE_EHTTP_PARSE},
      {"--" B "\r\nContent-Type: text/plain\r\n\r\nv\r\n--" B "--",
       GALE_EHTTP_PARSE},
      {"--" B "\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nv\r\n--" B
       "--",
       GALE_EHTTP_PARSE},
      {"--" B "\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\nv\r\n"
       "--" B "--",
       GALE_EHTTP_PARSE},
      /* malformed header lines: obs-fold, bare LF, bad name, no colon,
       * control bytes, unterminated quote, duplicates */
      {"--" B "\r\nContent-Disposition: form-data;\r\n name=\"a\"\r\n\r\nv\r\n"
       "--" B "--",
       GALE_EHTTP_PARSE},
      {"--" B "\r\nContent-Disposition: form-data; name=\"a\"\nX: y\r\n\r\nv"
       "\r\n--" B "--",
       GALE_EHTTP_PARSE},
      {"--" B "\r\nContent Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--" B
       "--",
       GALE_EHTTP_PARSE},
      {"--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\njunk\r\n\r\nv"
       "\r\n--" B "--",
       GALE_EHTTP_PARSE},
      {"--" B "\r\nContent-Disposition: form-data; name=\"a\x01\"\r\n\r\nv\r\n"
       "--" B "--",
       GALE_EHTTP_PARSE},
      {"--" B "\r\nContent-Disposition: form-data; name=\"a\r\n\r\nv\r\n--" B
       "--",
       GALE_EHTTP_PARSE},
      {"--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n"
       "Content-Disposition: form-data; name=\"b\"\r\n\r\nv\r\n--" B "--",
       GALE_EHTTP_PARSE},
      {"--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n"
       "Content-Type: a/b\r\nContent-Type: c/d\r\n\r\nv\r\n--" B "--",
       GALE_EHTTP_PARSE},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    gale_multipart *m = (gale_multipart *)1;
    int rc = gale_multipart_parse(S(cases[i].body), S(B), NULL, &m);
    if (rc != cases[i].rc) fail_msg("case %zu: got %d want %d", i, rc,
                                    cases[i].rc);
    assert_null(m);
  }
  gale_multipart *m;
  /* Bad boundaries. */
  assert_int_equal(gale_multipart_parse(S("x"), "", 0, NULL, &m), GALE_EINVAL);
  assert_int_equal(gale_multipart_parse(S("x"), S("a\r\nb"), NULL, &m),
                   GALE_EINVAL);
  assert_int_equal(gale_multipart_parse(S("x"), S("ab "), NULL, &m),
                   GALE_EINVAL);
  char longb[80];
  memset(longb, 'b', 71);
  longb[71] = '\0';
  assert_int_equal(gale_multipart_parse(S("x"), S(longb), NULL, &m),
                   GALE_EINVAL);
  assert_int_equal(gale_multipart_parse(NULL, 0, S(B), NULL, &m),
                   GALE_EHTTP_PARSE);
  assert_int_equal(gale_multipart_parse(S("x"), S(B), NULL, NULL),
                   GALE_EINVAL);
  /* Every truncation of a valid body fails cleanly (never reads past). */
  const char *ok =
      "--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n"
      "--" B "--";
  for (size_t n = 0; n < strlen(ok); n++) {
    char *copy = malloc(n ? n : 1);
    memcpy(copy, ok, n);
    m = NULL;
    assert_int_not_equal(gale_multipart_parse(copy, n, S(B), NULL, &m),
                         GALE_OK);
    assert_null(m);
    free(copy);
  }
}

static void test_limits(void **state) {
  (void)state;
  gale_multipart_limits lim;
  gale_multipart_limits_init(&lim);
  assert_int_equal(lim.max_parts, 1000);
  /* Many parts: linear, and max_parts enforced. */
  size_t n = 20000;
  const char *part = "--" B "\r\nContent-Disposition: form-data; "
                     "name=\"f\"\r\n\r\nvalue\r\n";
  size_t plen = strlen(part);
  char *body = malloc(n * plen + 16);
  for (size_t i = 0; i < n; i++) memcpy(body + i * plen, part, plen);
  size_t len = n * plen;
  memcpy(body + len, "--" B "--", strlen("--" B "--"));
  len += strlen("--" B "--");
  gale_multipart *m;
  lim.max_parts = n;
  assert_int_equal(gale_multipart_parse(body, len, S(B), &lim, &m), GALE_OK);
  assert_int_equal(gale_multipart_count(m), n);
  gale_multipart_free(m);
  lim.max_parts = n - 1;
  assert_int_equal(gale_multipart_parse(body, len, S(B), &lim, &m),
                   GALE_ELIMIT);
  free(body);

  /* A part header section over max_header_size. */
  gale_multipart_limits_init(&lim);
  lim.max_header_size = 64;
  char big[512];
  snprintf(big, sizeof big,
           "--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n"
           "X-Pad: %060d\r\n\r\nv\r\n--" B "--",
           0);
  assert_int_equal(gale_multipart_parse(S(big), S(B), &lim, &m), GALE_ELIMIT);
  lim.max_header_size = 200;
  assert_int_equal(gale_multipart_parse(S(big), S(B), &lim, &m), GALE_OK);
  gale_multipart_free(m);
  /* Unterminated headers longer than the limit: ELIMIT, without scanning
   * the rest of a large body for the end of the section. */
  lim.max_header_size = 64;
  size_t hl = 1 << 20;
  char *h = malloc(hl);
  memset(h, 'x', hl);
  memcpy(h, "--" B "\r\nX-", strlen("--" B "\r\nX-"));
  assert_int_equal(gale_multipart_parse(h, hl, S(B), &lim, &m), GALE_ELIMIT);
  free(h);
}

static void test_encoder_roundtrip(void **state) {
  (void)state;
  gale_multipart_enc *e = gale_multipart_enc_new(NULL);
  assert_non_null(e);
  const char *ct = gale_multipart_enc_content_type(e);
  assert_true(strncmp(ct, "multipart/form-data; boundary=gale-", 35) == 0);
  assert_int_equal(strlen(ct), 30 + 37);
  assert_int_equal(gale_multipart_enc_add_field(e, "name", S("value")),
                   GALE_OK);
  static const char bin[] = "\0\r\n--\r\n\xff";
  assert_int_equal(gale_multipart_enc_add_file(e, "up", "a b.bin", NULL, bin,
                                               sizeof bin - 1),
                   GALE_OK);
  assert_int_equal(gale_multipart_enc_add_file(e, "t", NULL, "text/plain",
                                               "", 0),
                   GALE_OK);
  assert_int_equal(gale_multipart_enc_add_field(e, "bad\"name", S("v")),
                   GALE_EINVAL);
  assert_int_equal(gale_multipart_enc_add_field(e, "n\r\n", S("v")),
                   GALE_EINVAL);
  assert_int_equal(gale_multipart_enc_add_file(e, "n", "f\n", NULL, "", 0),
                   GALE_EINVAL);
  /* What the parser would refuse is refused here (no body it can't read). */
  assert_int_equal(gale_multipart_enc_add_field(e, "n\x01", S("v")),
                   GALE_EINVAL);
  assert_int_equal(gale_multipart_enc_add_file(e, "n", "f\x7f", NULL, "", 0),
                   GALE_EINVAL);
  assert_int_equal(gale_multipart_enc_add_file(e, "n", "f", "a\r\nX: y", "",
                                               0),
                   GALE_EINVAL);
  const char *body;
  size_t len;
  assert_int_equal(gale_multipart_enc_finish(e, &body, &len), GALE_OK);
  assert_int_equal(gale_multipart_enc_add_field(e, "late", S("v")),
                   GALE_ESTATE);
  const char *b = strstr(ct, "boundary=") + 9;
  gale_multipart *m;
  assert_int_equal(gale_multipart_parse(body, len, S(b), NULL, &m), GALE_OK);
  assert_int_equal(gale_multipart_count(m), 3);
  const gale_multipart_part *p = gale_multipart_at(m, 0);
  assert_string_equal(p->name, "name");
  assert_null(p->filename);
  assert_memory_equal(p->data, "value", 5);
  p = gale_multipart_at(m, 1);
  assert_string_equal(p->filename, "a b.bin");
  assert_string_equal(p->content_type, "application/octet-stream");
  assert_int_equal(p->data_len, sizeof bin - 1);
  assert_memory_equal(p->data, bin, sizeof bin - 1);
  p = gale_multipart_at(m, 2);
  assert_null(p->filename);
  assert_string_equal(p->content_type, "text/plain");
  assert_int_equal(p->data_len, 0);
  gale_multipart_free(m);
  gale_multipart_enc_free(e);

  /* A fixed boundary, and data that contains it. */
  e = gale_multipart_enc_new("fixed");
  assert_string_equal(gale_multipart_enc_content_type(e),
                      "multipart/form-data; boundary=fixed");
  assert_int_equal(gale_multipart_enc_add_field(e, "x", S("a--fixedb")),
                   GALE_EEXIST);
  assert_int_equal(gale_multipart_enc_add_field(e, "x", S("a-fixed")),
                   GALE_OK);
  assert_int_equal(gale_multipart_enc_finish(e, &body, &len), GALE_OK);
  const char *want =
      "--fixed\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n"
      "a-fixed\r\n--fixed--\r\n";
  assert_int_equal(len, strlen(want));
  assert_memory_equal(body, want, len);
  gale_multipart_enc_free(e);

  /* A backslash survives the round trip: it goes out as a quoted-pair. */
  e = gale_multipart_enc_new("fixed");
  assert_int_equal(gale_multipart_enc_add_file(e, "a\\b", "C:\\x\\", NULL,
                                               S("d")),
                   GALE_OK);
  assert_int_equal(gale_multipart_enc_finish(e, &body, &len), GALE_OK);
  const char *pair = "name=\"a\\\\b\"; filename=\"C:\\\\x\\\\\"";
  assert_non_null(memmem(body, len, pair, strlen(pair)));
  assert_int_equal(gale_multipart_parse(body, len, S("fixed"), NULL, &m), GALE_OK);
  p = gale_multipart_at(m, 0);
  assert_string_equal(p->name, "a\\b");
  assert_string_equal(p->filename, "C:\\x\\");
  gale_multipart_free(m);
  gale_multipart_enc_free(e);
  assert_null(gale_multipart_enc_new(""));
  assert_null(gale_multipart_enc_new("a b"));
  assert_null(gale_multipart_enc_new("a\r\n"));
  assert_null(gale_multipart_enc_new("a~"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_basic),
      cmocka_unit_test(test_variants),
      cmocka_unit_test(test_malformed),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_encoder_roundtrip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
