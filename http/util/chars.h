/* SPDX-License-Identifier: MIT */
/* http/util/chars.h — character classes shared by the HTTP utilities (internal).
 *
 * Table lookups rather than chains of comparisons: the parsers call these
 * once per input byte.
 */
#ifndef GALE_HTTP_CHARS_H
#define GALE_HTTP_CHARS_H

#include <stddef.h>
#include <stdint.h>

#include "gale/common.h"

enum {
  GALE__C_TOKEN = 1 << 0, /* RFC 9110 tchar */
  GALE__C_VALUE = 1 << 1, /* field-vchar, SP, HTAB */
  GALE__C_UNRES = 1 << 2, /* RFC 3986 unreserved: ALPHA DIGIT - . _ ~ */
  GALE__C_SUBD = 1 << 3,  /* RFC 3986 sub-delims */
  GALE__C_HEX = 1 << 4,
  GALE__C_COOKIE = 1 << 5, /* RFC 6265 cookie-octet */
  GALE__C_URLBAD = 1 << 6  /* never in a URL: CTL, SP, DEL */
};

GALE_INTERNAL extern const uint8_t gale__char_class[256];
GALE_INTERNAL extern const unsigned char gale__lower[256];

static inline int gale__is(unsigned char c, int cls) { return (gale__char_class[c] & cls) != 0; }

static inline int gale__hexval(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Trims SP and HTAB from both ends of s[0..*len); returns the new start. */
static inline const char *gale__trim_ows(const char *s, size_t *len) {
  size_t n = *len;
  while (n > 0 && (*s == ' ' || *s == '\t')) {
    s++;
    n--;
  }
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
  *len = n;
  return s;
}

#endif
