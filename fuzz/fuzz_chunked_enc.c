/* SPDX-License-Identifier: MIT */
/* libFuzzer target: round trip of the chunked framing gale writes
 * (gale_h1_chunk_header() for each size line, as the server and client
 * do; the data's CRLF, the last chunk and the trailer section as RFC 9112
 * §7.1 spells them) through the chunked decoder of http/wire/chunked.c.
 * Input: byte 0 is the decoder's piece size (0: all at once), byte 1 the
 * number of trailer fields (0..3); then records of one length byte
 * (1..256) and that many body bytes (the last record clipped).  Trailer
 * names and values are drawn from the body bytes (mapped to tchar and
 * visible ASCII).  Invariants: the decoder returns DONE, gives back the
 * body exactly, consumes the encoding to its last byte and no further (a
 * pipelined byte follows), and so in any piece size.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "http/wire/h1_parser.h"

const char gale_fuzz_corpus[] = "chunked_enc";

static const char tchar[] =
    "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* Encodes into enc (big enough); returns its length.  body gets the plain
 * body, *body_len its length. */
static size_t encode(const uint8_t *in, size_t n, unsigned ntrailers, char *enc, char *body,
                     size_t *body_len) {
  size_t e = 0, b = 0, i = 0;
  while (i < n) {
    size_t len = (size_t)in[i++] + 1;
    if (len > n - i) len = n - i;
    if (!len) break;
    e += gale_h1_chunk_header(enc + e, len);
    memcpy(enc + e, in + i, len);
    memcpy(body + b, in + i, len);
    e += len, b += len, i += len;
    enc[e++] = '\r', enc[e++] = '\n';
  }
  enc[e++] = '0', enc[e++] = '\r', enc[e++] = '\n';
  for (unsigned t = 0; t < ntrailers; t++) {
    /* name 1..8 tchars, value 0..15 visible chars, from the body */
    size_t nl = 1 + (b ? (unsigned char)body[t % b] % 8 : 0);
    size_t vl = b ? (unsigned char)body[(t + 1) % b] % 16 : 3;
    for (size_t k = 0; k < nl; k++)
      enc[e++] = tchar[(b ? (unsigned char)body[(t + k) % b] : k) % (sizeof tchar - 1)];
    enc[e++] = ':', enc[e++] = ' ';
    for (size_t k = 0; k < vl; k++)
      enc[e++] = (char)(0x21 + (b ? (unsigned char)body[(t * 7 + k) % b] : k) % 94);
    enc[e++] = '\r', enc[e++] = '\n';
  }
  enc[e++] = '\r', enc[e++] = '\n';
  *body_len = b;
  return e;
}

/* Decodes enc[0..len) (a pipelined byte after it) in pieces of `step`. */
static void decode(const char *enc, size_t len, size_t step, const char *body, size_t body_len) {
  gale_h1_limits lim;
  gale_h1_limits_init(&lim);
  lim.max_body_size = UINT64_MAX;
  lim.max_trailer_size = 4096;
  gale_h1_body d;
  gale_h1_body_init_kind(&d, GALE_H1_BODY_CHUNKED, 0, &lim);
  size_t off = 0, got = 0, avail = step && step < len ? step : len + 1;
  int rc;
  for (;;) {
    size_t used, dl;
    const char *data;
    rc = gale_h1_body_decode(&d, enc + off, avail - off, &used, &data, &dl);
    FUZZ_CHECK(used <= avail - off);
    if (dl) {
      FUZZ_CHECK(got + dl <= body_len && memcmp(data, body + got, dl) == 0);
      got += dl;
    }
    off += used;
    if (rc == GALE_OK) continue;
    FUZZ_CHECK(rc == GALE_H1_BODY_DONE || rc == GALE_EAGAIN);
    if (rc == GALE_H1_BODY_DONE) break;
    FUZZ_CHECK(off == avail && avail <= len);
    avail = avail + step <= len ? avail + step : len + 1;
  }
  FUZZ_CHECK(got == body_len && off == len);
  FUZZ_CHECK(gale_h1_body_total(&d) == body_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  size_t n = size - 2;
  /* Per record: a size line (at most 5 bytes here), CRLF; trailers: 3 x
   * (8 + 2 + 15 + 2); last chunk and end: 5. */
  size_t cap = n * 8 + 128;
  char *enc = malloc(cap + 1), *body = malloc(n ? n : 1);
  if (enc && body) {
    size_t blen, len = encode(data + 2, n, data[1] % 4, enc, body, &blen);
    FUZZ_CHECK(len <= cap);
    enc[len] = 'G'; /* the next request's first byte */
    decode(enc, len, 0, body, blen);
    decode(enc, len, 1 + data[0] % 17, body, blen);
  }
  free(enc);
  free(body);
  return 0;
}
