/* SPDX-License-Identifier: MIT */
/* libFuzzer target: round trip of the multipart/form-data encoder
 * (gale_multipart_enc_*) through the parser (gale_multipart_parse), both in
 * http/util/multipart.c.  Byte 0 picks the boundary (a one-letter one, so
 * data hits it, or a long one); then records: a flags byte (file part,
 * filename, content type), then name, filename and type as a length byte
 * and that many bytes, then the data as a length byte (x 4) and bytes.
 * Parts the encoder refuses (GALE_EINVAL, GALE_EEXIST) are skipped: a
 * refused part must leave the body as it was.  Invariant: the parser gives
 * back every accepted part, in order, with the same name, filename, type
 * (application/octet-stream for a file without one) and data.  Every
 * string is an exact-size copy, so ASan sees a read past it.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "gale/error.h"
#include "gale/multipart.h"

const char gale_fuzz_corpus[] = "multipart_enc";

enum { MAX_PARTS = 16 };

typedef struct part {
  char *name, *filename, *type, *data;
  size_t len;
  bool file;
} part;

/* Takes a length byte and that many bytes (clipped) as a new C string. */
static char *take(const uint8_t **p, const uint8_t *end, size_t scale, size_t *len) {
  size_t n = 0;
  if (*p < end) n = (size_t) * (*p)++ * scale;
  if (n > (size_t)(end - *p)) n = (size_t)(end - *p);
  char *s = malloc(n + 1);
  if (!s) return NULL;
  memcpy(s, *p, n);
  s[n] = '\0';
  *p += n;
  if (len) *len = n;
  return s;
}

/* A header value's surrounding whitespace is not part of it (RFC 9110
 * §5.5), so a type is given without; an empty one is none. */
static char *trim_type(char *t) {
  if (!t) return NULL;
  size_t n = strlen(t), a = 0;
  while (a < n && (t[a] == ' ' || t[a] == '\t')) a++;
  while (n > a && (t[n - 1] == ' ' || t[n - 1] == '\t')) n--;
  memmove(t, t + a, n - a);
  t[n - a] = '\0';
  if (!*t) {
    free(t);
    return NULL;
  }
  return t;
}

static bool same(const char *a, size_t alen, const char *b) {
  return a && alen == strlen(b) && memcmp(a, b, alen) == 0;
}

static void check(const char *body, size_t blen, const char *boundary, const part *parts,
                  size_t n) {
  gale_multipart_limits lim;
  gale_multipart_limits_init(&lim);
  lim.max_header_size = 4096;
  gale_multipart *m = NULL;
  int rc = gale_multipart_parse(body, blen, boundary, strlen(boundary), &lim, &m);
  if (n == 0) { /* a body with no part is just the closing delimiter */
    FUZZ_CHECK(rc != GALE_OK || gale_multipart_count(m) == 0);
    gale_multipart_free(m);
    return;
  }
  FUZZ_CHECK(rc == GALE_OK && gale_multipart_count(m) == n);
  for (size_t i = 0; i < n; i++) {
    const gale_multipart_part *q = gale_multipart_at(m, i);
    const part *p = &parts[i];
    FUZZ_CHECK(same(q->name, q->name_len, p->name));
    if (p->filename)
      FUZZ_CHECK(same(q->filename, q->filename_len, p->filename));
    else
      FUZZ_CHECK(!q->filename);
    const char *type = p->type ? p->type : p->file ? "application/octet-stream" : NULL;
    if (type)
      FUZZ_CHECK(same(q->content_type, q->content_type_len, type));
    else
      FUZZ_CHECK(!q->content_type);
    FUZZ_CHECK(q->data_len == p->len && (!p->len || memcmp(q->data, p->data, p->len) == 0));
  }
  gale_multipart_free(m);
}

static void free_part(part *p) { free(p->name), free(p->filename), free(p->type), free(p->data); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const char *boundary = data[0] & 1 ? "b" : "gale-fuzz-0123456789abcdef";
  const uint8_t *p = data + 1, *end = data + size;
  gale_multipart_enc *e = gale_multipart_enc_new(boundary);
  part parts[MAX_PARTS];
  size_t n = 0;
  FUZZ_CHECK(e);
  while (p < end && n < MAX_PARTS) {
    part *q = &parts[n];
    uint8_t flags = *p++;
    memset(q, 0, sizeof *q);
    q->file = flags & 1;
    q->name = take(&p, end, 1, NULL);
    if (flags & 2) q->filename = take(&p, end, 1, NULL);
    if (flags & 4) q->type = take(&p, end, 1, NULL);
    q->data = take(&p, end, 4, &q->len);
    if (!q->name || !q->data || ((flags & 2) && !q->filename) || ((flags & 4) && !q->type)) {
      free_part(q);
      break;
    }
    q->type = trim_type(q->type);
    int rc = q->file || q->filename || q->type
                 ? gale_multipart_enc_add_file(e, q->name, q->filename, q->type, q->data, q->len)
                 : gale_multipart_enc_add_field(e, q->name, q->data, q->len);
    if (rc != GALE_OK) {
      FUZZ_CHECK(rc == GALE_EINVAL || rc == GALE_EEXIST);
      free_part(q);
      continue;
    }
    q->file = true;
    if (!(flags & 1) && !q->filename && !q->type) q->file = false;
    n++;
  }
  const char *body;
  size_t blen;
  FUZZ_CHECK(gale_multipart_enc_finish(e, &body, &blen) == GALE_OK);
  FUZZ_CHECK(gale_multipart_enc_add_field(e, "late", "x", 1) == GALE_ESTATE);
  char *copy = malloc(blen ? blen : 1);
  if (copy) {
    memcpy(copy, body, blen);
    check(copy, blen, boundary, parts, n);
  }
  free(copy);
  gale_multipart_enc_free(e);
  for (size_t i = 0; i < n; i++) free_part(&parts[i]);
  return 0;
}
