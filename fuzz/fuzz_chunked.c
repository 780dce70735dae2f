/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the chunked body decoder, whole and in pieces whose
 * sizes the input chooses; both must agree on status, data and the bytes
 * consumed.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "http/wire/h1_parser.h"

const char gale_fuzz_corpus[] = "chunked";

/* Decodes buf in pieces (step 0: all at once).  Returns the final status;
 * the decoded bytes go to out (at most len of them). */
static int run(const char *buf, size_t len, size_t step, char *out, size_t *outlen,
               size_t *used_total, const gale_h1_limits *lim) {
  gale_h1_body b;
  gale_h1_body_init_kind(&b, GALE_H1_BODY_CHUNKED, 0, lim);
  size_t off = 0, avail = step && step < len ? step : len;
  int rc;
  *outlen = 0;
  for (;;) {
    size_t used, dl;
    const char *d;
    rc = gale_h1_body_decode(&b, buf + off, avail - off, &used, &d, &dl);
    FUZZ_CHECK(used <= avail - off);
    FUZZ_CHECK(dl <= used);
    if (dl) {
      FUZZ_CHECK(d >= buf + off && d + dl <= buf + off + used);
      memcpy(out + *outlen, d, dl);
      *outlen += dl;
    }
    off += used;
    if (rc == GALE_OK) continue;
    if (rc != GALE_EAGAIN) break;
    FUZZ_CHECK(off == avail);
    if (avail == len) break;
    avail = avail + step < len ? avail + step : len;
  }
  FUZZ_CHECK(gale_h1_body_total(&b) == *outlen);
  *used_total = off;
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t step = (size_t)data[0] % 17;
  size_t len = size - 1;
  char *buf = malloc(len ? len : 1);
  char *o1 = malloc(len ? len : 1), *o2 = malloc(len ? len : 1);
  if (!buf || !o1 || !o2) goto out;
  memcpy(buf, data + 1, len);
  gale_h1_limits lim;
  gale_h1_limits_init(&lim);
  lim.max_body_size = 4096;
  lim.max_chunk_ext = 32;
  lim.max_trailer_size = 128;
  size_t n1, n2, u1, u2;
  int r1 = run(buf, len, 0, o1, &n1, &u1, &lim);
  int r2 = run(buf, len, step, o2, &n2, &u2, &lim);
  FUZZ_CHECK(r1 == r2);
  if (r1 == GALE_H1_BODY_DONE || r1 == GALE_EAGAIN) {
    FUZZ_CHECK(n1 == n2 && u1 == u2);
    FUZZ_CHECK(n1 == 0 || memcmp(o1, o2, n1) == 0);
  }
  if (r1 == GALE_H1_BODY_DONE) {
    /* The decoded body re-encoded and decoded again is the same body. */
    size_t cap = n1 + 64, e = 0;
    char *enc = malloc(cap), *o3 = malloc(cap);
    if (enc && o3) {
      if (n1) {
        e += gale_h1_chunk_header(enc, n1);
        memcpy(enc + e, o1, n1);
        e += n1;
        memcpy(enc + e, GALE_H1_CHUNK_END, 2);
        e += 2;
      }
      memcpy(enc + e, GALE_H1_CHUNK_LAST, 5);
      e += 5;
      size_t n3, u3;
      FUZZ_CHECK(run(enc, e, 0, o3, &n3, &u3, &lim) == GALE_H1_BODY_DONE);
      FUZZ_CHECK(n3 == n1 && u3 == e && (n1 == 0 || memcmp(o3, o1, n1) == 0));
    }
    free(enc);
    free(o3);
  }
out:
  free(buf);
  free(o1);
  free(o2);
  return 0;
}
