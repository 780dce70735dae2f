/* SPDX-License-Identifier: MIT */
/* http/util/utf8.h — UTF-8 validation, whole or incremental (internal).
 *
 * RFC 3629 exactly: no overlong forms, no surrogates (U+D800..U+DFFF), nothing
 * past U+10FFFF.  The incremental form keeps its state between calls, so a
 * text message split across WebSocket fragments (or network reads) is
 * checked as it arrives and fails at the first byte that cannot be part of
 * valid UTF-8 (RFC 6455 §8.1: fail fast), not at the end.
 */
#ifndef GALE_HTTP_UTF8_H
#define GALE_HTTP_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gale/common.h"

/* The incremental state: zero-initialise, or gale__utf8_reset(). */
typedef struct gale__utf8 {
  uint8_t need;   /* continuation bytes still expected */
  uint8_t lo, hi; /* the range the next continuation byte must fall in */
} gale__utf8;

static inline void gale__utf8_reset(gale__utf8 *u) { u->need = 0; }

/* Feeds n bytes.  False as soon as they cannot continue valid UTF-8 (the
 * state is then meaningless); true otherwise, even mid-character. */
GALE_INTERNAL bool gale__utf8_feed(gale__utf8 *u, const uint8_t *s, size_t n);

/* True when what was fed ends on a character boundary. */
static inline bool gale__utf8_complete(const gale__utf8 *u) { return u->need == 0; }

/* Whole-buffer check: gale__utf8_feed then gale__utf8_complete. */
GALE_INTERNAL bool gale__utf8_valid(const uint8_t *s, size_t n);

#endif
