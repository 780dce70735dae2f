/* SPDX-License-Identifier: MIT */
/* UTF-8 validation (RFC 3629 §4's grammar): ASCII runs are skipped eight
 * bytes at a time, the rest goes through the byte-range rules, where the
 * second byte's range depends on the first (that is what excludes overlong
 * forms, surrogates and code points past U+10FFFF). */
#include "http/util/utf8.h"

#include <string.h>

/* The first byte of a multi-byte sequence: how many continuation bytes
 * follow and the range of the first of them. */
static bool lead(gale__utf8 *u, uint8_t c) {
  if (c >= 0xC2 && c <= 0xDF) {
    u->need = 1, u->lo = 0x80, u->hi = 0xBF;
  } else if (c == 0xE0) {
    u->need = 2, u->lo = 0xA0, u->hi = 0xBF; /* no overlong 3-byte */
  } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
    u->need = 2, u->lo = 0x80, u->hi = 0xBF;
  } else if (c == 0xED) {
    u->need = 2, u->lo = 0x80, u->hi = 0x9F; /* no surrogates */
  } else if (c == 0xF0) {
    u->need = 3, u->lo = 0x90, u->hi = 0xBF; /* no overlong 4-byte */
  } else if (c >= 0xF1 && c <= 0xF3) {
    u->need = 3, u->lo = 0x80, u->hi = 0xBF;
  } else if (c == 0xF4) {
    u->need = 3, u->lo = 0x80, u->hi = 0x8F; /* nothing past U+10FFFF */
  } else {
    return false; /* 0x80..0xC1 (continuation, overlong 2-byte), 0xF5.. */
  }
  return true;
}

bool gale__utf8_feed(gale__utf8 *u, const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    if (u->need == 0) {
      /* The common case in text: ASCII, checked a word at a time. */
      while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & UINT64_C(0x8080808080808080)) break;
        i += 8;
      }
      while (i < n && s[i] < 0x80) i++;
      if (i == n) break;
      if (!lead(u, s[i++])) return false;
      continue;
    }
    uint8_t c = s[i++];
    if (c < u->lo || c > u->hi) return false;
    u->need--;
    u->lo = 0x80, u->hi = 0xBF; /* later continuation bytes: any */
  }
  return true;
}

bool gale__utf8_valid(const uint8_t *s, size_t n) {
  gale__utf8 u = {0};
  return gale__utf8_feed(&u, s, n) && gale__utf8_complete(&u);
}
