/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the multipart/form-data parser (http/util/multipart.c).
 * The first input byte picks the boundary length (1..16) taken from the
 * next bytes; the rest is the body.  Invariants: every part's data lies
 * inside the body, parts are in order and don't overlap. */
#include <string.h>

#include "fuzz/fuzz.h"
#include "gale/error.h"
#include "gale/multipart.h"

const char gale_fuzz_corpus[] = "multipart";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  size_t blen = 1 + data[0] % 16;
  if (size < 1 + blen) return 0;
  const char *b = (const char *)data + 1;
  const char *body = b + blen;
  size_t len = size - 1 - blen;
  gale_multipart_limits lim;
  gale_multipart_limits_init(&lim);
  lim.max_parts = 64;
  lim.max_header_size = 512;
  gale_multipart *m = NULL;
  int rc = gale_multipart_parse(body, len, b, blen, &lim, &m);
  FUZZ_CHECK((rc == GALE_OK) == (m != NULL));
  if (!m) return 0;
  const char *prev = body;
  FUZZ_CHECK(gale_multipart_count(m) <= 64);
  for (size_t i = 0; i < gale_multipart_count(m); i++) {
    const gale_multipart_part *p = gale_multipart_at(m, i);
    FUZZ_CHECK(p && p->name && p->name[p->name_len] == '\0');
    FUZZ_CHECK(p->data >= prev && p->data + p->data_len <= body + len);
    prev = p->data + p->data_len;
    if (p->filename) FUZZ_CHECK(p->filename[p->filename_len] == '\0');
    if (p->content_type) {
      FUZZ_CHECK(!memchr(p->content_type, '\r', p->content_type_len));
      FUZZ_CHECK(!memchr(p->content_type, '\n', p->content_type_len));
    }
  }
  gale_multipart_free(m);
  return 0;
}
