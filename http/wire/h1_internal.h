/* SPDX-License-Identifier: MIT */
/* http/wire/h1_internal.h — what the HTTP/1 parser's files share (private
 * to http/wire/; the contract is http/wire/h1_parser.h).
 *
 * The parser is split by concept: h1_chars.c (character classes and the
 * validators built on them, the authority grammar included), h1_fields.c
 * (what field lines mean: lists, Content-Length, Transfer-Encoding,
 * Connection, Expect), h1_status.c (status codes and reasons) and
 * h1_parser.c (the head itself: start lines and the request target, field
 * lines, the framing verdict, limits, and the scan for slow senders).
 * What runs for every byte or every field line is static inline here;
 * what runs once per head in a fixed order stays in h1_parser.c beside its
 * one caller, where the compiler inlines it (moved out, the start lines,
 * target and framing cost 5% more instructions per parsed head).
 */
#ifndef GALE_HTTP_H1_INTERNAL_H
#define GALE_HTTP_H1_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "http/wire/h1_parser.h"

/* Character classes, one bit each (generated from the RFC 9110/3986 sets). */
enum {
  C_TOKEN = 1,  /* tchar */
  C_VALUE = 2,  /* field-vchar / obs-text / SP / HTAB */
  C_TARGET = 4, /* 0x21-0x7E except '#' */
  C_HEX = 8,    /* HEXDIG */
  C_REG = 16,   /* reg-name: unreserved / pct '%' / sub-delims */
};

#define IS(c, cls) (gale__h1_ctab[(unsigned char)(c)] & (cls))

static inline bool is_alpha(char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }

static inline int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

/* s[0..n) equals the literal `lit` of the same length, case-insensitively.
 * `lit` holds only lowercase letters, digits and '-', and s is a checked
 * token or field value: then OR-ing 0x20 into each byte of s is an exact
 * fold (the other byte it maps onto each literal character is a control
 * byte the parser has already refused), eight bytes at a time: these
 * compares run for every field of every head. */
static inline bool eq_ci(const char *s, size_t n, const char *lit, size_t litlen) {
  size_t i = 0;
  if (n != litlen) return false;
  for (; i + 8 <= n; i += 8) {
    uint64_t a, b;
    memcpy(&a, s + i, 8);
    memcpy(&b, lit + i, 8);
    if ((a | UINT64_C(0x2020202020202020)) != b) return false;
  }
  for (; i < n; i++)
    if ((s[i] | 0x20) != lit[i]) return false;
  return true;
}
#define EQ_CI(s, n, lit) eq_ci((s), (n), lit, sizeof(lit) - 1)

/* The two long runs of a head, field values and targets, are scanned 16
 * bytes at a time where SSE2 exists (every x86-64): a block with no byte
 * that needs a look is skipped whole; the byte that stops a block is judged
 * one at a time.  Everything else is one table lookup per byte. */

/* First byte in [s, end) that is not a field-value char (VCHAR, obs-text,
 * SP, HTAB), or end. */
static inline const char *skip_value(const char *s, const char *end) {
#if defined(__SSE2__)
  const __m128i sp = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);
  for (;;) {
    while (end - s >= 16) {
      __m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
      /* ok: x >= 0x20 (unsigned) and x != 0x7f */
      __m128i ge = _mm_cmpeq_epi8(_mm_max_epu8(x, sp), x);
      __m128i bad = _mm_or_si128(_mm_xor_si128(ge, _mm_set1_epi8(-1)), _mm_cmpeq_epi8(x, del));
      unsigned mask = (unsigned)_mm_movemask_epi8(bad);
      if (mask) {
        s += __builtin_ctz(mask);
        break;
      }
      s += 16;
    }
    if (end - s < 16) break;
    if (*s != '\t') return s;
    s++;
  }
#endif
  while (s < end && IS(*s, C_VALUE)) s++;
  return s;
}

/* First byte in [s, end) that is not a target char (0x21-0x7E but '#'). */
static inline const char *skip_target(const char *s, const char *end) {
#if defined(__SSE2__)
  const __m128i lo = _mm_set1_epi8(0x21), hi = _mm_set1_epi8(0x7e), hash = _mm_set1_epi8('#');
  while (end - s >= 16) {
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
    __m128i ok = _mm_and_si128(_mm_cmpeq_epi8(_mm_max_epu8(x, lo), x),
                               _mm_cmpeq_epi8(_mm_min_epu8(x, hi), x));
    unsigned mask = (unsigned)_mm_movemask_epi8(
        _mm_or_si128(_mm_xor_si128(ok, _mm_set1_epi8(-1)), _mm_cmpeq_epi8(x, hash)));
    if (mask) return s + __builtin_ctz(mask);
    s += 16;
  }
#endif
  while (s < end && IS(*s, C_TARGET)) s++;
  return s;
}

/* First byte in [s, end) that is not a tchar, or end. */
static inline const char *skip_token(const char *s, const char *end) {
  while (end - s >= 4 && IS(s[0], C_TOKEN) && IS(s[1], C_TOKEN) && IS(s[2], C_TOKEN) &&
         IS(s[3], C_TOKEN))
    s += 4;
  while (s < end && IS(*s, C_TOKEN)) s++;
  return s;
}

/* Makes the parser failed (sticky) with `status` and a static `detail`. */
static inline int fail(gale_h1_parser *p, int status, const char *detail) {
  p->status = status;
  p->detail = detail;
  return status;
}

/* What the full parse learns about framing headers, judged at the end. */
typedef struct gale__h1_sem {
  uint64_t cl;
  unsigned cl_fields; /* Content-Length fields (or list elements) */
  unsigned host_fields;
  const char *host;
  size_t host_len;
  bool te_seen;
  bool te_last_chunked;
  unsigned te_chunked; /* "chunked" elements */
  unsigned te_other;   /* other codings */
  bool te_bad;         /* malformed element (parameters on chunked...) */
  bool conn_close, conn_keep_alive, conn_upgrade;
  bool upgrade_field;
  bool expect_continue, expect_other;
  bool content_gzip;
} gale__h1_sem;

/* host [":" port], host = "[" v6 "]" / reg-name (IPv4 included); `need_port`
 * for CONNECT's authority-form.  h1_chars.c. */
GALE_INTERNAL bool gale__h1_valid_authority(const char *s, size_t len, bool need_port);

/* The framing and connection fields, h1_fields.c.  Content-Length returns
 * GALE_OK or fails the parser; the others only record what they saw. */
GALE_INTERNAL int gale__h1_sem_content_length(gale_h1_parser *p, gale__h1_sem *sem, const char *v,
                                              size_t n);
GALE_INTERNAL void gale__h1_sem_transfer_encoding(gale__h1_sem *sem, const char *v, size_t n);
GALE_INTERNAL void gale__h1_sem_connection(gale__h1_sem *sem, const char *v, size_t n);
GALE_INTERNAL void gale__h1_sem_expect(gale__h1_sem *sem, const char *v, size_t n);

/* Looks at one field line for the headers that change framing or
 * connection handling.  Dispatch on length first: most names are none. */
static inline int sem_field(gale_h1_parser *p, gale__h1_sem *sem, const char *name, size_t nlen,
                            const char *v, size_t vlen) {
  switch (nlen) {
  case 4:
    if (EQ_CI(name, nlen, "host")) {
      sem->host_fields++;
      sem->host = v;
      sem->host_len = vlen;
    }
    break;
  case 6:
    if (EQ_CI(name, nlen, "expect")) gale__h1_sem_expect(sem, v, vlen);
    break;
  case 7:
    if (EQ_CI(name, nlen, "upgrade")) sem->upgrade_field = true;
    break;
  case 10:
    if (EQ_CI(name, nlen, "connection")) gale__h1_sem_connection(sem, v, vlen);
    break;
  case 14:
    if (EQ_CI(name, nlen, "content-length")) return gale__h1_sem_content_length(p, sem, v, vlen);
    break;
  case 16:
    if (EQ_CI(name, nlen, "content-encoding"))
      sem->content_gzip = EQ_CI(v, vlen, "gzip") || EQ_CI(v, vlen, "x-gzip");
    break;
  case 17:
    if (EQ_CI(name, nlen, "transfer-encoding")) gale__h1_sem_transfer_encoding(sem, v, vlen);
    break;
  }
  return GALE_OK;
}

#endif
