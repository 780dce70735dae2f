/* SPDX-License-Identifier: MIT */
/* The Range header of a GET for a file (RFC 9110 §14.2), kept apart from
 * the static handler so it can be tested and fuzzed on its own. */
#include "http/util/range.h"

#include <string.h>

/* Decimal digits of s[0..n) into *out; false if empty, not all digits or
 * too large for a file offset. */
static bool read_pos(const char *s, size_t n, int64_t *out) {
  if (n == 0) return false;
  int64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9' || v > (INT64_MAX - (s[i] - '0')) / 10) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

int gale__range_parse(const char *v, size_t len, int64_t size, int64_t *start, int64_t *end) {
  if (size < 0 || len < 6 || memcmp(v, "bytes=", 6) != 0) return GALE__RANGE_IGNORE;
  v += 6;
  len -= 6;
  if (memchr(v, ',', len)) return GALE__RANGE_IGNORE;
  const char *dash = memchr(v, '-', len);
  if (!dash) return GALE__RANGE_IGNORE;
  size_t alen = (size_t)(dash - v), blen = len - alen - 1;
  int64_t a = -1, b = -1;
  if (alen && !read_pos(v, alen, &a)) return GALE__RANGE_IGNORE;
  if (blen && !read_pos(dash + 1, blen, &b)) return GALE__RANGE_IGNORE;
  if (a < 0 && b < 0) return GALE__RANGE_IGNORE;
  int64_t s, e;
  if (a < 0) { /* suffix: the last b bytes */
    if (b == 0 || size == 0) return GALE__RANGE_UNSATISFIABLE;
    s = b >= size ? 0 : size - b;
    e = size - 1;
  } else {
    if (b >= 0 && b < a) return GALE__RANGE_IGNORE;
    if (a >= size) return GALE__RANGE_UNSATISFIABLE;
    s = a;
    e = b < 0 || b >= size ? size - 1 : b;
  }
  *start = s;
  *end = e;
  return GALE__RANGE_OK;
}
