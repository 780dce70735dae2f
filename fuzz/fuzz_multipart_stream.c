/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the streaming multipart/form-data parser
 * (http/util/multipart.c).  Input: one byte whose low 4 bits pick the
 * boundary length (1..16, the next bytes) and whose high bits seed the
 * piece sizes; one byte of limits; then the body.  The body is parsed
 * three ways: fed whole, fed in pieces of pseudo-random sizes (1..64
 * bytes, with single bytes and empty feeds among them), and by the
 * whole-body gale_multipart_parse.  Invariants: the same status and the
 * same callbacks (parts, headers, data bytes) every way (on a failure, data
 * delivered before it may differ in length: one account is a prefix of the
 * other); the header buffer
 * never passes max_header_size + 4; fields never pass max_field_size; a
 * failure has a detail. */
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "gale/buf.h"
#include "gale/error.h"
#include "gale/multipart.h"

const char gale_fuzz_corpus[] = "multipart_stream";

typedef struct fz_log {
  gale_buf out;
  size_t max_field;
  size_t field_len;
  int in_part;
  bool is_field;
} fz_log;

static int fz_begin(const gale_multipart_part *p, void *arg) {
  fz_log *l = arg;
  FUZZ_CHECK(!l->in_part);
  FUZZ_CHECK(p->name && p->name[p->name_len] == '\0' && !p->data);
  l->in_part = 1;
  l->is_field = p->filename == NULL;
  l->field_len = 0;
  gale_buf_append_byte(&l->out, 'B');
  gale_buf_append(&l->out, p->name, p->name_len + 1);
  if (p->filename) gale_buf_append(&l->out, p->filename, p->filename_len + 1);
  gale_buf_append_byte(&l->out, '|');
  if (p->content_type) gale_buf_append(&l->out, p->content_type, p->content_type_len + 1);
  gale_buf_append_byte(&l->out, '|');
  return GALE_OK;
}

static int fz_data(const char *d, size_t n, void *arg) {
  fz_log *l = arg;
  FUZZ_CHECK(l->in_part && n > 0);
  l->field_len += n;
  if (l->is_field) FUZZ_CHECK(l->field_len <= l->max_field);
  gale_buf_append(&l->out, d, n);
  return GALE_OK;
}

static int fz_end(void *arg) {
  fz_log *l = arg;
  FUZZ_CHECK(l->in_part);
  l->in_part = 0;
  gale_buf_append_byte(&l->out, 'E');
  return GALE_OK;
}

static const gale_multipart_callbacks fz_cb = {
    .part_begin = fz_begin, .part_data = fz_data, .part_end = fz_end};

/* Feeds body in pieces: sizes from a small LCG seeded by `seed` (0: whole). */
static int run(const char *b, size_t blen, const gale_multipart_limits *lim, const char *body,
               size_t len, unsigned seed, fz_log *l) {
  gale_multipart_stream *s = NULL;
  gale_buf_init(&l->out, 0);
  l->max_field = lim->max_field_size;
  l->in_part = 0;
  int rc = gale_multipart_stream_new(b, blen, lim, &fz_cb, l, &s);
  if (rc != GALE_OK) return rc;
  size_t at = 0;
  unsigned x = seed;
  while (rc == GALE_OK && at < len) {
    size_t n = len - at;
    if (seed) {
      x = x * 1103515245u + 12345u;
      size_t r = (x >> 16) % 70;
      n = r < 4 ? r % 2 : r - 5; /* 0, 1, or up to 64 */
      if (n > len - at) n = len - at;
    }
    /* A piece of its own, so a read past it is caught. */
    char *piece = malloc(n ? n : 1);
    memcpy(piece, body + at, n);
    rc = gale_multipart_stream_feed(s, piece, n);
    free(piece);
    FUZZ_CHECK(gale_multipart_stream_memory(s) <= 2 * (lim->max_header_size + 4) + 64);
    at += n;
  }
  if (rc == GALE_OK) rc = gale_multipart_stream_finish(s);
  if (rc != GALE_OK) FUZZ_CHECK(gale_multipart_stream_detail(s)[0] != '\0');
  gale_multipart_stream_free(s);
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 3) return 0;
  size_t blen = 1 + (data[0] & 15);
  unsigned seed = 1u + (data[0] >> 4);
  if (size < 2 + blen) return 0;
  gale_multipart_limits lim;
  gale_multipart_limits_init(&lim);
  lim.max_parts = 1 + (data[1] & 15);
  lim.max_header_size = 16 + (size_t)(data[1] >> 4) * 32;
  lim.max_field_size = (data[1] & 16) ? 8 : SIZE_MAX;
  const char *b = (const char *)data + 2;
  const char *body = b + blen;
  size_t len = size - 2 - blen;
  fz_log whole, pieces;
  int rc1 = run(b, blen, &lim, body, len, 0, &whole);
  int rc2 = run(b, blen, &lim, body, len, seed, &pieces);
  FUZZ_CHECK(rc1 == rc2);
  if (rc1 == GALE_OK) {
    FUZZ_CHECK(whole.out.len == pieces.out.len);
  }
  /* After a failure, how much data came before it depends on the split:
   * one account is then a prefix of the other. */
  size_t common = whole.out.len < pieces.out.len ? whole.out.len : pieces.out.len;
  FUZZ_CHECK(common == 0 || memcmp(whole.out.data, pieces.out.data, common) == 0);
  /* The whole-body parser is the same machine. */
  gale_multipart *m = NULL;
  int rc3 = gale_multipart_parse(body, len, b, blen, &lim, &m);
  FUZZ_CHECK(rc3 == rc1 || (rc1 == GALE_EINVAL && rc3 == GALE_EINVAL));
  if (m) {
    size_t parts = gale_multipart_count(m);
    for (size_t i = 0; i < parts; i++) {
      const gale_multipart_part *p = gale_multipart_at(m, i);
      FUZZ_CHECK(p->data >= body && p->data + p->data_len <= body + len);
      if (p->data_len) FUZZ_CHECK(memmem(whole.out.data, whole.out.len, p->data, p->data_len));
    }
    gale_multipart_free(m);
  }
  gale_buf_release(&whole.out);
  gale_buf_release(&pieces.out);
  return 0;
}
