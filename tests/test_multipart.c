/* SPDX-License-Identifier: MIT */
/* tests/test_multipart.c — multipart/form-data parser and encoder
 * (http/util/multipart.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "gale/multipart.h"
#include "core/alloc.h"

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
  const char *body = "preamble to ignore\r\n"
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
  static const char body[] = "--" B "\r\n"
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
      {"--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv", GALE_EHTTP_PARSE},
      {"--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--" B, GALE_EHTTP_PARSE},
      /* delimiter followed by garbage */
      {"--" B "x\r\n", GALE_EHTTP_PARSE},
      {"--" B "\n", GALE_EHTTP_PARSE},
      {"--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--" B "junk\r\n",
       GALE_EHTTP_PARSE},
      /* header section never ends */
      {"--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n", GALE_EHTTP_PARSE},
      /* no Content-Disposition, or not form-data, or no name */
      {"--" B "\r\n\r\nv\r\n--" B "--", GALE_EHTTP_PARSE},
      {"--" B "\r\nContent-Type: text/plain\r\n\r\nv\r\n--" B "--", GALE_EHTTP_PARSE},
      {"--" B "\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nv\r\n--" B "--",
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
      {"--" B "\r\nContent Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--" B "--",
       GALE_EHTTP_PARSE},
      {"--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\njunk\r\n\r\nv"
       "\r\n--" B "--",
       GALE_EHTTP_PARSE},
      {"--" B "\r\nContent-Disposition: form-data; name=\"a\x01\"\r\n\r\nv\r\n"
       "--" B "--",
       GALE_EHTTP_PARSE},
      {"--" B "\r\nContent-Disposition: form-data; name=\"a\r\n\r\nv\r\n--" B "--",
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
    if (rc != cases[i].rc) fail_msg("case %zu: got %d want %d", i, rc, cases[i].rc);
    assert_null(m);
  }
  gale_multipart *m;
  /* Bad boundaries. */
  assert_int_equal(gale_multipart_parse(S("x"), "", 0, NULL, &m), GALE_EINVAL);
  assert_int_equal(gale_multipart_parse(S("x"), S("a\r\nb"), NULL, &m), GALE_EINVAL);
  assert_int_equal(gale_multipart_parse(S("x"), S("ab "), NULL, &m), GALE_EINVAL);
  char longb[80];
  memset(longb, 'b', 71);
  longb[71] = '\0';
  assert_int_equal(gale_multipart_parse(S("x"), S(longb), NULL, &m), GALE_EINVAL);
  assert_int_equal(gale_multipart_parse(NULL, 0, S(B), NULL, &m), GALE_EHTTP_PARSE);
  assert_int_equal(gale_multipart_parse(S("x"), S(B), NULL, NULL), GALE_EINVAL);
  /* Every truncation of a valid body fails cleanly (never reads past). */
  const char *ok = "--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n"
                   "--" B "--";
  for (size_t n = 0; n < strlen(ok); n++) {
    char *copy = malloc(n ? n : 1);
    memcpy(copy, ok, n);
    m = NULL;
    assert_int_not_equal(gale_multipart_parse(copy, n, S(B), NULL, &m), GALE_OK);
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
  assert_int_equal(gale_multipart_parse(body, len, S(B), &lim, &m), GALE_ELIMIT);
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
  assert_int_equal(gale_multipart_enc_add_field(e, "name", S("value")), GALE_OK);
  static const char bin[] = "\0\r\n--\r\n\xff";
  assert_int_equal(gale_multipart_enc_add_file(e, "up", "a b.bin", NULL, bin, sizeof bin - 1),
                   GALE_OK);
  assert_int_equal(gale_multipart_enc_add_file(e, "t", NULL, "text/plain", "", 0), GALE_OK);
  assert_int_equal(gale_multipart_enc_add_field(e, "bad\"name", S("v")), GALE_EINVAL);
  assert_int_equal(gale_multipart_enc_add_field(e, "n\r\n", S("v")), GALE_EINVAL);
  assert_int_equal(gale_multipart_enc_add_file(e, "n", "f\n", NULL, "", 0), GALE_EINVAL);
  /* What the parser would refuse is refused here (no body it can't read). */
  assert_int_equal(gale_multipart_enc_add_field(e, "n\x01", S("v")), GALE_EINVAL);
  assert_int_equal(gale_multipart_enc_add_file(e, "n", "f\x7f", NULL, "", 0), GALE_EINVAL);
  assert_int_equal(gale_multipart_enc_add_file(e, "n", "f", "a\r\nX: y", "", 0), GALE_EINVAL);
  const char *body;
  size_t len;
  assert_int_equal(gale_multipart_enc_finish(e, &body, &len), GALE_OK);
  assert_int_equal(gale_multipart_enc_add_field(e, "late", S("v")), GALE_ESTATE);
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
  assert_string_equal(gale_multipart_enc_content_type(e), "multipart/form-data; boundary=fixed");
  assert_int_equal(gale_multipart_enc_add_field(e, "x", S("a--fixedb")), GALE_EEXIST);
  assert_int_equal(gale_multipart_enc_add_field(e, "x", S("a-fixed")), GALE_OK);
  assert_int_equal(gale_multipart_enc_finish(e, &body, &len), GALE_OK);
  const char *want = "--fixed\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n"
                     "a-fixed\r\n--fixed--\r\n";
  assert_int_equal(len, strlen(want));
  assert_memory_equal(body, want, len);
  gale_multipart_enc_free(e);

  /* A backslash survives the round trip: it goes out as a quoted-pair. */
  e = gale_multipart_enc_new("fixed");
  assert_int_equal(gale_multipart_enc_add_file(e, "a\\b", "C:\\x\\", NULL, S("d")), GALE_OK);
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

/* ---- the streaming parser ---- */

/* What the callbacks saw, as text: "B name|filename|ct\n", the data, "E\n". */
typedef struct ev_log {
  gale_buf out;
  int stop_at; /* part_begin number that answers GALE_ECANCELLED (1-based) */
  int begins;
  gale_multipart_stream *s;
  int inner_rc; /* what a feed from inside a callback returned */
} ev_log;

static int ev_begin(const gale_multipart_part *p, void *arg) {
  ev_log *l = arg;
  l->begins++;
  if (l->s) l->inner_rc = gale_multipart_stream_feed(l->s, "x", 1);
  if (l->stop_at && l->begins == l->stop_at) return GALE_ECANCELLED;
  assert_null(p->data);
  gale_buf_append_str(&l->out, "B ");
  gale_buf_append(&l->out, p->name, p->name_len);
  gale_buf_append_str(&l->out, "|");
  if (p->filename) gale_buf_append(&l->out, p->filename, p->filename_len);
  gale_buf_append_str(&l->out, "|");
  if (p->content_type) gale_buf_append(&l->out, p->content_type, p->content_type_len);
  gale_buf_append_str(&l->out, "\n");
  return GALE_OK;
}

static int ev_data(const char *d, size_t n, void *arg) {
  ev_log *l = arg;
  assert_true(n > 0);
  gale_buf_append(&l->out, d, n);
  return GALE_OK;
}

static int ev_end(void *arg) {
  ev_log *l = arg;
  gale_buf_append_str(&l->out, "E\n");
  return GALE_OK;
}

static const gale_multipart_callbacks ev_cb = {
    .part_begin = ev_begin, .part_data = ev_data, .part_end = ev_end};

/* Feeds `body` cut at the given points (sorted, ncuts of them); returns
 * the status of the first failing call (or of finish) and fills log. */
static int feed_cuts(const char *body, size_t len, const size_t *cuts, size_t ncuts,
                     const gale_multipart_limits *lim, ev_log *l) {
  gale_multipart_stream *s = NULL;
  gale_buf_init(&l->out, 0);
  int rc = gale_multipart_stream_new(S(B), lim, &ev_cb, l, &s);
  assert_int_equal(rc, GALE_OK);
  size_t at = 0;
  for (size_t i = 0; i <= ncuts && rc == GALE_OK; i++) {
    size_t to = i < ncuts ? cuts[i] : len;
    /* Each piece in its own allocation, so reading past it is caught. */
    char *piece = malloc(to - at + 1);
    memcpy(piece, body + at, to - at);
    rc = gale_multipart_stream_feed(s, piece, to - at);
    free(piece);
    at = to;
  }
  if (rc == GALE_OK) rc = gale_multipart_stream_finish(s);
  gale_multipart_stream_free(s);
  return rc;
}

static const char sample[] = "preamble \r\n--AaB03 not yet\r\n-" B "\r\n"
                             "--" B " \t\r\n"
                             "Content-Disposition: form-data; name=\"field1\"\r\n"
                             "\r\n"
                             "Joe Blow\r\n-\r\n--\r\n--A\r\n--AaB03\r--" B "\r\r\n--AaB03\r\n"
                             "--" B "\r\n"
                             "Content-Disposition: form-data; name=\"pics\"; filename=\"f.txt\"\r\n"
                             "Content-Type: text/plain\r\n"
                             "\r\n"
                             "\r\r\r\n\n\0binary\r\n"
                             "--" B "\r\n"
                             "Content-Disposition: form-data; name=\"empty\"\r\n"
                             "\r\n"
                             "\r\n"
                             "--" B "--\r\nepilogue\r\n--" B "junk";

static void test_stream_splits(void **state) {
  (void)state;
  size_t len = sizeof sample - 1;
  ev_log whole = {0};
  assert_int_equal(feed_cuts(sample, len, NULL, 0, NULL, &whole), GALE_OK);
  const char *want_head =
      "B field1||\nJoe Blow\r\n-\r\n--\r\n--A\r\n--AaB03\r--" B "\r\r\n--AaB03E\n";
  assert_true(whole.out.len > strlen(want_head));
  assert_memory_equal(whole.out.data, want_head, strlen(want_head));
  static const char want_tail[] = "B pics|f.txt|text/plain\n\r\r\r\n\n\0binaryE\nB empty||\nE\n";
  assert_int_equal(whole.out.len, strlen(want_head) + sizeof want_tail - 1);
  assert_memory_equal(whole.out.data + strlen(want_head), want_tail, sizeof want_tail - 1);
  /* The whole-body parser agrees. */
  gale_multipart *m = parse_ok(sample, len);
  assert_int_equal(gale_multipart_count(m), 3);
  assert_int_equal(gale_multipart_at(m, 1)->data_len, 12);
  gale_multipart_free(m);
  /* Every split into two pieces, and every split into three. */
  for (size_t i = 0; i <= len; i++) {
    ev_log l = {0};
    assert_int_equal(feed_cuts(sample, len, &i, 1, NULL, &l), GALE_OK);
    assert_int_equal(l.out.len, whole.out.len);
    assert_memory_equal(l.out.data, whole.out.data, whole.out.len);
    gale_buf_release(&l.out);
  }
  for (size_t i = 0; i <= len; i++) {
    for (size_t j = i; j <= len; j++) {
      size_t cuts[2] = {i, j};
      ev_log l = {0};
      assert_int_equal(feed_cuts(sample, len, cuts, 2, NULL, &l), GALE_OK);
      if (l.out.len != whole.out.len || memcmp(l.out.data, whole.out.data, l.out.len) != 0)
        fail_msg("cuts at %zu and %zu differ", i, j);
      gale_buf_release(&l.out);
    }
  }
  /* One byte at a time. */
  size_t *cuts = malloc(len * sizeof(*cuts));
  for (size_t i = 0; i < len; i++) cuts[i] = i + 1;
  ev_log l = {0};
  assert_int_equal(feed_cuts(sample, len, cuts, len - 1, NULL, &l), GALE_OK);
  assert_int_equal(l.out.len, whole.out.len);
  assert_memory_equal(l.out.data, whole.out.data, whole.out.len);
  gale_buf_release(&l.out);
  free(cuts);
  gale_buf_release(&whole.out);
}

/* Every malformed body of test_malformed fails the same way fed a byte at
 * a time; and the streaming parser's own cases. */
static void test_stream_hostile(void **state) {
  (void)state;
  static const struct {
    const char *body;
    int rc;
    const char *detail;
  } cases[] = {
      {"", GALE_EHTTP_PARSE, "no multipart boundary delimiter in the body"},
      {"just text, no delimiter", GALE_EHTTP_PARSE, "no multipart boundary delimiter in the body"},
      {"--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv", GALE_EHTTP_PARSE,
       "the body ends before the closing multipart boundary delimiter"},
      {"--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--" B "-",
       GALE_EHTTP_PARSE, "the body ends before the closing multipart boundary delimiter"},
      {"--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--" B, GALE_EHTTP_PARSE,
       "the body ends before the closing multipart boundary delimiter"},
      {"--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n", GALE_EHTTP_PARSE,
       "the body ends inside a multipart part's header section"},
      /* boundary-like bytes inside data: CRLF "--" boundary then junk */
      {"--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--" B "X--",
       GALE_EHTTP_PARSE, "a multipart boundary delimiter followed by other bytes"},
      {"--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--" B "-x",
       GALE_EHTTP_PARSE, "a multipart boundary delimiter followed by other bytes"},
      {"--" B " \r\r\n", GALE_EHTTP_PARSE,
       "a multipart boundary delimiter followed by other bytes"},
      {"--" B "\r\n\r\nv\r\n--" B "--", GALE_EHTTP_PARSE,
       "a multipart part without a header section"},
      {"--" B "\r\nX-No-Disposition: 1\r\n\r\nv\r\n--" B "--", GALE_EHTTP_PARSE,
       "malformed multipart part header (each part needs one Content-Disposition: "
       "form-data; name=\"...\")"},
      {"--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n bad\r\n\r\nv\r\n--" B "--",
       GALE_EHTTP_PARSE,
       "malformed multipart part header (each part needs one Content-Disposition: "
       "form-data; name=\"...\")"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *body = cases[i].body;
    size_t len = strlen(body);
    for (int bytewise = 0; bytewise < 2; bytewise++) {
      gale_multipart_stream *s = NULL;
      assert_int_equal(gale_multipart_stream_new(S(B), NULL, NULL, NULL, &s), GALE_OK);
      assert_string_equal(gale_multipart_stream_detail(s), "");
      int rc = GALE_OK;
      if (bytewise) {
        for (size_t k = 0; k < len && rc == GALE_OK; k++)
          rc = gale_multipart_stream_feed(s, body + k, 1);
      } else {
        rc = gale_multipart_stream_feed(s, body, len);
      }
      if (rc == GALE_OK) rc = gale_multipart_stream_finish(s);
      if (rc != cases[i].rc) fail_msg("case %zu (%d): got %d", i, bytewise, rc);
      assert_string_equal(gale_multipart_stream_detail(s), cases[i].detail);
      /* Stopped: every later call says so. */
      assert_int_equal(gale_multipart_stream_feed(s, "x", 1), cases[i].rc);
      assert_int_equal(gale_multipart_stream_finish(s), cases[i].rc);
      gale_multipart_stream_free(s);
    }
  }

  /* Limits: parts, header size, field size (files are not limited). */
  gale_multipart_limits lim;
  gale_multipart_limits_init(&lim);
  assert_int_equal(lim.max_field_size, SIZE_MAX);
  const char *two = "--" B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n12345\r\n"
                    "--" B "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n"
                    "\r\n1234567890\r\n--" B "--";
  ev_log l = {0};
  lim.max_parts = 1;
  assert_int_equal(feed_cuts(two, strlen(two), NULL, 0, &lim, &l), GALE_ELIMIT);
  gale_buf_release(&l.out);
  gale_multipart_limits_init(&lim);
  lim.max_field_size = 5;
  assert_int_equal(feed_cuts(two, strlen(two), NULL, 0, &lim, &l), GALE_OK);
  gale_buf_release(&l.out);
  lim.max_field_size = 4;
  assert_int_equal(feed_cuts(two, strlen(two), NULL, 0, &lim, &l), GALE_ELIMIT);
  gale_buf_release(&l.out);
  gale_multipart_limits_init(&lim);
  lim.max_header_size = 20;
  assert_int_equal(feed_cuts(two, strlen(two), NULL, 0, &lim, &l), GALE_ELIMIT);
  gale_buf_release(&l.out);

  /* A header section that never ends stops at its limit, holding no more
   * than max_header_size + 4 bytes whatever is fed. */
  gale_multipart_stream *s = NULL;
  lim.max_header_size = 100;
  assert_int_equal(gale_multipart_stream_new(S(B), &lim, NULL, NULL, &s), GALE_OK);
  assert_int_equal(gale_multipart_stream_feed(s, S("--" B "\r\nX: ")), GALE_OK);
  char junk[4096];
  memset(junk, 'y', sizeof junk);
  assert_int_equal(gale_multipart_stream_feed(s, junk, sizeof junk), GALE_ELIMIT);
  assert_true(gale_multipart_stream_memory(s) <= 4096);
  assert_string_equal(gale_multipart_stream_detail(s), "a multipart part header section too large");
  gale_multipart_stream_free(s);

  /* A callback stops the parser with its status; a feed from inside a
   * callback is refused. */
  l = (ev_log){.stop_at = 2};
  assert_int_equal(feed_cuts(two, strlen(two), NULL, 0, NULL, &l), GALE_ECANCELLED);
  assert_int_equal(l.begins, 2);
  gale_buf_release(&l.out);
  l = (ev_log){0};
  assert_int_equal(gale_multipart_stream_new(S(B), NULL, &ev_cb, &l, &l.s), GALE_OK);
  assert_int_equal(gale_multipart_stream_feed(l.s, two, strlen(two)), GALE_OK);
  assert_int_equal(l.inner_rc, GALE_ESTATE);
  assert_int_equal(gale_multipart_stream_finish(l.s), GALE_OK);
  gale_multipart_stream_free(l.s);
  gale_buf_release(&l.out);

  /* Bad arguments. */
  assert_int_equal(gale_multipart_stream_new("", 0, NULL, NULL, NULL, &s), GALE_EINVAL);
  assert_null(s);
  assert_int_equal(gale_multipart_stream_new(S(B), NULL, NULL, NULL, NULL), GALE_EINVAL);
  assert_int_equal(gale_multipart_stream_feed(NULL, "x", 1), GALE_EINVAL);
  assert_int_equal(gale_multipart_stream_finish(NULL), GALE_EINVAL);
  gale_multipart_stream_free(NULL);
}

/* Data the size of a big upload passes through in pieces with nothing
 * kept: the parser's memory stays at its header buffer. */
static void test_stream_large(void **state) {
  (void)state;
  gale_multipart_stream *s = NULL;
  ev_log l = {0};
  static const gale_multipart_callbacks count_only = {.part_begin = ev_begin, .part_end = ev_end};
  gale_buf_init(&l.out, 0);
  assert_int_equal(gale_multipart_stream_new(S(B), NULL, &count_only, &l, &s), GALE_OK);
  assert_int_equal(
      gale_multipart_stream_feed(s, S("--" B "\r\nContent-Disposition: form-data; name=\"f\"; "
                                      "filename=\"big\"\r\n\r\n")),
      GALE_OK);
  char chunk[65536];
  for (size_t i = 0; i < sizeof chunk; i++) chunk[i] = (i % 97 == 0) ? '\r' : (char)('a' + i % 26);
  memcpy(chunk + sizeof chunk - 6, "\r\n--Aa", 6); /* a delimiter prefix at each end */
  for (int i = 0; i < 160; i++)                    /* 10 MiB */
    assert_int_equal(gale_multipart_stream_feed(s, chunk, sizeof chunk), GALE_OK);
  assert_true(gale_multipart_stream_memory(s) <= 8192 + 4 + 4096);
  assert_int_equal(gale_multipart_stream_feed(s, S("B03x--")), GALE_OK);
  assert_int_equal(gale_multipart_stream_finish(s), GALE_OK);
  gale_multipart_stream_free(s);
  assert_string_equal(l.out.data, "B f|big|\nE\n");
  gale_buf_release(&l.out);
}

/* Every allocation of the parsers failing in turn: GALE_ENOMEM, nothing
 * leaked (the sanitizer build checks), never a crash. */
static void test_stream_alloc_failures(void **state) {
  (void)state;
  size_t len = sizeof sample - 1;
  long k;
  for (k = 1; k < 1000; k++) {
    gale__alloc_fail_at(k);
    gale_multipart *m = NULL;
    int rc = gale_multipart_parse(sample, len, S(B), NULL, &m);
    bool hit = gale__alloc_failed();
    gale__alloc_fail_at(0);
    if (!hit) {
      assert_int_equal(rc, GALE_OK);
      gale_multipart_free(m);
      break;
    }
    assert_int_equal(rc, GALE_ENOMEM);
    assert_null(m);
  }
  assert_true(k > 2);
  for (k = 1; k < 1000; k++) {
    size_t cuts[3] = {40, 41, 200};
    ev_log l = {0};
    gale__alloc_fail_at(k);
    gale_multipart_stream *s = NULL;
    int rc = gale_multipart_stream_new(S(B), NULL, &ev_cb, &l, &s);
    gale_buf_init(&l.out, 0);
    size_t at = 0;
    for (size_t i = 0; i <= 3 && rc == GALE_OK; i++) {
      size_t to = i < 3 ? cuts[i] : len;
      rc = gale_multipart_stream_feed(s, sample + at, to - at);
      at = to;
    }
    if (rc == GALE_OK) rc = gale_multipart_stream_finish(s);
    bool hit = gale__alloc_failed();
    gale__alloc_fail_at(0);
    gale_multipart_stream_free(s);
    gale_buf_release(&l.out);
    if (!hit) {
      assert_int_equal(rc, GALE_OK);
      break;
    }
    /* The log's own buffer may be the one that failed: then the parser
     * still succeeded. */
    assert_true(rc == GALE_ENOMEM || rc == GALE_OK);
  }
  assert_true(k > 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_basic),
      cmocka_unit_test(test_variants),
      cmocka_unit_test(test_malformed),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_encoder_roundtrip),
      cmocka_unit_test(test_stream_splits),
      cmocka_unit_test(test_stream_hostile),
      cmocka_unit_test(test_stream_large),
      cmocka_unit_test(test_stream_alloc_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
