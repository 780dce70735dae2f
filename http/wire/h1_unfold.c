/* SPDX-License-Identifier: MIT */
/* obs-fold unfolding for clients (RFC 9112 §5.2); see h1_client.h. */
#include "http/wire/h1_client.h"

#include <string.h>

void gale_h1_unfold(char *p, size_t len, gale_h1_unfold_state *st) {
  size_t ls = st->line_start, pos = st->pos;
  if (ls == SIZE_MAX) return;
  while (pos < len) {
    char *nl = memchr(p + pos, '\n', len - pos);
    if (!nl) {
      pos = len;
      break;
    }
    size_t e = (size_t)(nl - p);
    if (e == ls + 1 && p[ls] == '\r') { /* the blank line: the head is complete */
      ls = SIZE_MAX;
      break;
    }
    if (e + 1 >= len) { /* what follows the LF has not arrived */
      pos = e;
      break;
    }
    /* ls > 0: the status line (line 0) is never continued. */
    if (ls > 0 && e > ls && p[e - 1] == '\r' && (p[e + 1] == ' ' || p[e + 1] == '\t')) {
      p[e - 1] = ' ';
      p[e] = ' ';
    } else {
      ls = e + 1;
    }
    pos = e + 1;
  }
  st->line_start = ls;
  st->pos = pos;
}
