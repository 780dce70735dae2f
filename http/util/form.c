/* SPDX-License-Identifier: MIT */
/* http/util/form.c — query strings and application/x-www-form-urlencoded
 * bodies: parse into a gale_params, encode from one.  One pass; each pair
 * is decoded straight into the params' arena. */
#include <string.h>

#include "gale/error.h"
#include "gale/form.h"
#include "gale/url.h"
#include "http/util/chars.h"
#include "http/util/params.h"

void gale_form_limits_init(gale_form_limits *lim) {
  if (!lim) return;
  memset(lim, 0, sizeof *lim);
  lim->max_fields = 1000;
  lim->max_length = (size_t)100 << 20;
  lim->lenient = false;
}

/* Decodes '+' and %XX; a malformed escape fails, or with `lenient` is kept
 * as is.  out has room for len bytes. */
static int decode(const char *s, size_t len, bool lenient, char *out, size_t *out_len) {
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (c == '+') {
      c = ' ';
    } else if (c == '%') {
      int hi = len - i >= 3 ? gale__hexval((unsigned char)s[i + 1]) : -1;
      int lo = len - i >= 3 ? gale__hexval((unsigned char)s[i + 2]) : -1;
      if (hi >= 0 && lo >= 0) {
        c = (char)(hi << 4 | lo);
        i += 2;
      } else if (!lenient) {
        return GALE_EURL;
      }
    }
    out[o++] = c;
  }
  *out_len = o;
  return GALE_OK;
}

int gale_form_parse(gale_params *p, const char *s, size_t len, const gale_form_limits *lim) {
  gale_form_limits def;
  if (!lim) {
    gale_form_limits_init(&def);
    lim = &def;
  }
  if (!p || (!s && len)) return GALE_EINVAL;
  if (len > lim->max_length) return GALE_ELIMIT;
  size_t start = gale_params_count(p), fields = 0;
  const char *end = s + len;
  int rc = GALE_OK;
  while (s < end) {
    const char *amp = memchr(s, '&', (size_t)(end - s));
    const char *seg_end = amp ? amp : end;
    if (seg_end > s) {
      if (++fields > lim->max_fields) {
        rc = GALE_ELIMIT;
        break;
      }
      const char *eq = memchr(s, '=', (size_t)(seg_end - s));
      const char *name_end = eq ? eq : seg_end;
      const char *val = eq ? eq + 1 : seg_end;
      size_t nmax = (size_t)(name_end - s), vmax = (size_t)(seg_end - val);
      char *n, *v;
      size_t nlen, vlen;
      rc = gale__params_reserve(p, nmax, vmax, &n, &v);
      if (rc == GALE_OK) rc = decode(s, nmax, lim->lenient, n, &nlen);
      if (rc == GALE_OK) rc = decode(val, vmax, lim->lenient, v, &vlen);
      if (rc != GALE_OK) break;
      gale__params_commit(p, nlen, vlen);
    }
    s = amp ? amp + 1 : end;
  }
  if (rc != GALE_OK) gale__params_truncate(p, start);
  return rc;
}

typedef struct sink {
  char *buf;
  size_t cap;
  size_t len;
} sink;

static void put_encoded(sink *k, const char *s, size_t n) {
  size_t room = k->len < k->cap ? k->cap - k->len : 0, used = 0;
  gale_percent_encode(s, n, GALE_PCT_PLUS_SPACE, room ? k->buf + k->len : NULL, room, &used);
  k->len += used;
}

static void put_char(sink *k, char c) {
  if (k->len < k->cap) k->buf[k->len] = c;
  k->len++;
}

int gale_form_encode(const gale_params *p, char *buf, size_t cap, size_t *out_len) {
  if (!p || (!buf && cap)) return GALE_EINVAL;
  sink k = {buf, cap, 0};
  for (size_t i = 0; i < gale_params_count(p); i++) {
    const char *n, *v;
    size_t nl, vl;
    gale_params_at(p, i, &n, &nl, &v, &vl);
    if (i) put_char(&k, '&');
    put_encoded(&k, n, nl);
    put_char(&k, '=');
    put_encoded(&k, v, vl);
  }
  if (out_len) *out_len = k.len;
  if (k.len + 1 > cap) {
    if (cap) buf[cap - 1] = '\0';
    return GALE_ERANGE;
  }
  buf[k.len] = '\0';
  return GALE_OK;
}
