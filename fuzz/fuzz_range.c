/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the Range header parser (http/util/range.c).  The
 * first two input bytes choose the file size (high bit set: near
 * INT64_MAX), the rest is the header value.  Invariants: a served range
 * lies inside the file with start <= end, a refused or ignored one leaves
 * the outputs alone, and a served range written back as "bytes=s-e"
 * parses to itself.  Only one range is ever served.
 * FUZZ-SOURCES: http/util/range.c
 * FUZZ-LIBS:
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "http/util/range.h"

const char gale_fuzz_corpus[] = "range";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  int64_t fsize = data[0] & 0x80 ? INT64_MAX - data[1] : (int64_t)((data[0] & 0x7f) << 8 | data[1]);
  size_t len = size - 2;
  char *v = malloc(len ? len : 1); /* exact size: ASan sees an overread */
  if (!v) return 0;
  memcpy(v, data + 2, len);
  int64_t s = -5, e = -5;
  int r = gale__range_parse(v, len, fsize, &s, &e);
  FUZZ_CHECK(r == GALE__RANGE_OK || r == GALE__RANGE_IGNORE || r == GALE__RANGE_UNSATISFIABLE);
  if (r != GALE__RANGE_OK) {
    FUZZ_CHECK(s == -5 && e == -5);
    /* Refused only when the value has the form of one range. */
    if (r == GALE__RANGE_UNSATISFIABLE) FUZZ_CHECK(len > 6 && memcmp(v, "bytes=", 6) == 0);
  } else {
    FUZZ_CHECK(0 <= s && s <= e && e < fsize);
    FUZZ_CHECK(!memchr(v, ',', len));
    char back[64];
    int n = snprintf(back, sizeof back, "bytes=%" PRId64 "-%" PRId64, s, e);
    int64_t s2, e2;
    FUZZ_CHECK(gale__range_parse(back, (size_t)n, fsize, &s2, &e2) == GALE__RANGE_OK);
    FUZZ_CHECK(s2 == s && e2 == e);
  }
  free(v);
  return 0;
}
