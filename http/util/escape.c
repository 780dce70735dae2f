/* SPDX-License-Identifier: MIT */
/* http/util/escape.c — tornado.escape's xhtml_escape, url_escape, squeeze and
 * linkify over bytes into a gale_buf (gale/escape.h). */
#include <string.h>

#include "gale/error.h"
#include "gale/escape.h"
#include "gale/url.h"

int gale_xhtml_escape(gale_buf *out, const char *s, size_t len) {
  if (!out || (!s && len)) return GALE_EINVAL;
  size_t run = 0;
  for (size_t i = 0; i < len; i++) {
    const char *ent;
    switch (s[i]) {
    case '&': ent = "&amp;"; break;
    case '<': ent = "&lt;"; break;
    case '>': ent = "&gt;"; break;
    case '"': ent = "&quot;"; break;
    case '\'': ent = "&#39;"; break;
    default: continue;
    }
    int rc = gale_buf_append(out, s + run, i - run);
    if (rc == GALE_OK) rc = gale_buf_append_str(out, ent);
    if (rc != GALE_OK) return rc;
    run = i + 1;
  }
  return gale_buf_append(out, s + run, len - run);
}

int gale_url_escape(gale_buf *out, const char *s, size_t len, bool plus) {
  if (!out || (!s && len)) return GALE_EINVAL;
  if (len > (SIZE_MAX - 1) / 3) return GALE_ENOMEM;
  int rc = gale_buf_reserve(out, 3 * len + 1);
  if (rc != GALE_OK) return rc;
  size_t n = 0;
  rc = gale_percent_encode(s, len, plus ? GALE_PCT_PLUS_SPACE : 0, out->data + out->len,
                           out->cap - out->len, &n);
  if (rc != GALE_OK) return rc;
  return gale_buf_set_len(out, out->len + n);
}

int gale_squeeze(gale_buf *out, const char *s, size_t len) {
  if (!out || (!s && len)) return GALE_EINVAL;
  size_t i = 0;
  bool first = true;
  while (i < len) {
    while (i < len && (unsigned char)s[i] <= 0x20) i++;
    size_t start = i;
    while (i < len && (unsigned char)s[i] > 0x20) i++;
    if (i == start) break;
    int rc = first ? GALE_OK : gale_buf_append_byte(out, ' ');
    if (rc == GALE_OK) rc = gale_buf_append(out, s + start, i - start);
    if (rc != GALE_OK) return rc;
    first = false;
  }
  return GALE_OK;
}

/* Length of the link starting at s[0..len), 0 if none starts there. */
static size_t link_len(const char *s, size_t len, size_t *scheme_missing) {
  *scheme_missing = 0;
  size_t pre;
  if (len > 7 && !strncmp(s, "http://", 7))
    pre = 7;
  else if (len > 8 && !strncmp(s, "https://", 8))
    pre = 8;
  else if (len > 4 && !strncmp(s, "www.", 4))
    pre = 4, *scheme_missing = 1;
  else
    return 0;
  size_t n = pre;
  while (n < len && (unsigned char)s[n] > 0x20 && !strchr("<>\"'", s[n])) n++;
  /* Trailing punctuation belongs to the sentence; a ')' stays only when it
   * closes a '(' inside the link (Wikipedia's links). */
  while (n > pre) {
    char c = s[n - 1];
    if (strchr(".,;:!?", c)) {
      n--;
      continue;
    }
    if (c == ')') {
      int depth = 0;
      for (size_t i = pre; i < n; i++) depth += s[i] == '(' ? 1 : s[i] == ')' ? -1 : 0;
      if (depth < 0) {
        n--;
        continue;
      }
    }
    break;
  }
  return n > pre ? n : 0;
}

int gale_linkify(gale_buf *out, const char *s, size_t len) {
  if (!out || (!s && len)) return GALE_EINVAL;
  size_t run = 0, i = 0;
  int rc = GALE_OK;
  while (i < len) {
    /* A link starts at a word boundary only ("xhttp://" is not one). */
    bool boundary =
        i == 0 || !((s[i - 1] >= 'a' && s[i - 1] <= 'z') || (s[i - 1] >= 'A' && s[i - 1] <= 'Z') ||
                    (s[i - 1] >= '0' && s[i - 1] <= '9') || s[i - 1] == '/');
    size_t missing,
        n = boundary && (s[i] == 'h' || s[i] == 'w') ? link_len(s + i, len - i, &missing) : 0;
    if (!n) {
      i++;
      continue;
    }
    if ((rc = gale_xhtml_escape(out, s + run, i - run)) != GALE_OK ||
        (rc = gale_buf_append_str(out, "<a href=\"")) != GALE_OK ||
        (missing && (rc = gale_buf_append_str(out, "http://")) != GALE_OK) ||
        (rc = gale_xhtml_escape(out, s + i, n)) != GALE_OK ||
        (rc = gale_buf_append_str(out, "\">")) != GALE_OK ||
        (rc = gale_xhtml_escape(out, s + i, n)) != GALE_OK ||
        (rc = gale_buf_append_str(out, "</a>")) != GALE_OK)
      return rc;
    i += n;
    run = i;
  }
  return gale_xhtml_escape(out, s + run, len - run);
}
