/* SPDX-License-Identifier: MIT */
/* http/util/content_type.c — header values with parameters (RFC 9110 §5.6.6),
 * quoted strings (§5.6.4) and RFC 8187 extended values. */
#include <string.h>

#include "gale/content_type.h"
#include "gale/error.h"
#include "gale/headers.h"
#include "http/util/chars.h"
#include "http/util/params.h"

static bool is_ows(char c) { return c == ' ' || c == '\t'; }

/* Unquotes the quoted-string starting at *pp (on the opening quote) into
 * out (room for end - *pp bytes); leaves *pp after the closing quote. */
static int unquote(const char **pp, const char *end, char *out, size_t *n) {
  const char *p = *pp + 1;
  size_t o = 0;
  while (p < end) {
    unsigned char c = (unsigned char)*p;
    if (c == '"') {
      *pp = p + 1;
      *n = o;
      return GALE_OK;
    }
    if (c == '\\') {
      if (++p == end) break;
      c = (unsigned char)*p;
    }
    if (!gale__is(c, GALE__C_VALUE)) return GALE_EHTTP_PARSE;
    out[o++] = (char)c;
    p++;
  }
  return GALE_EHTTP_PARSE; /* unterminated */
}

/* RFC 8187: charset "'" [ language ] "'" value-chars, decoded in place. */
static int decode_ext(char *v, size_t *n) {
  char *q1 = memchr(v, '\'', *n);
  if (!q1) return GALE_EHTTP_PARSE;
  size_t cs = (size_t)(q1 - v);
  if (!gale_ascii_eq(v, cs, "utf-8", 5) && !gale_ascii_eq(v, cs, "iso-8859-1", 10))
    return GALE_EHTTP_PARSE;
  char *q2 = memchr(q1 + 1, '\'', *n - cs - 1);
  if (!q2) return GALE_EHTTP_PARSE;
  const char *s = q2 + 1;
  size_t len = *n - (size_t)(s - v), o = 0;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (c == '%') {
      int hi = len - i >= 3 ? gale__hexval((unsigned char)s[i + 1]) : -1;
      int lo = len - i >= 3 ? gale__hexval((unsigned char)s[i + 2]) : -1;
      if (hi < 0 || lo < 0) return GALE_EHTTP_PARSE;
      c = (char)(hi << 4 | lo);
      i += 2;
    }
    v[o++] = c;
  }
  *n = o;
  return GALE_OK;
}

static int parse_param(const char **pp, const char *end, gale_params *params) {
  const char *p = *pp, *name = p;
  while (p < end && gale__is((unsigned char)*p, GALE__C_TOKEN)) p++;
  size_t nlen = (size_t)(p - name);
  while (p < end && is_ows(*p)) p++;
  if (nlen == 0 || p == end || *p != '=') return GALE_EHTTP_PARSE;
  p++;
  while (p < end && is_ows(*p)) p++;
  char *n = NULL, *v = NULL;
  size_t vmax = (size_t)(end - p), vlen = 0;
  if (params) {
    int rc = gale__params_reserve(params, nlen, vmax, &n, &v);
    if (rc != GALE_OK) return rc;
  }
  if (p < end && *p == '"') {
    if (!params) {
      /* Validate only: unquote into nothing would need room; walk it. */
      const char *q = p + 1;
      while (q < end && *q != '"') {
        if (*q == '\\' && ++q == end) break;
        if (!gale__is((unsigned char)*q, GALE__C_VALUE)) return GALE_EHTTP_PARSE;
        q++;
      }
      if (q == end) return GALE_EHTTP_PARSE;
      p = q + 1;
    } else {
      int rc = unquote(&p, end, v, &vlen);
      if (rc != GALE_OK) return rc;
    }
  } else {
    const char *val = p;
    while (p < end && *p != ';' && !is_ows(*p)) {
      unsigned char c = (unsigned char)*p;
      if (!gale__is(c, GALE__C_VALUE) || c == '"') return GALE_EHTTP_PARSE;
      p++;
    }
    vlen = (size_t)(p - val);
    if (v) memcpy(v, val, vlen);
  }
  while (p < end && is_ows(*p)) p++;
  if (p < end && *p != ';') return GALE_EHTTP_PARSE;
  if (params) {
    memcpy(n, name, nlen);
    if (name[nlen - 1] == '*') {
      int rc = decode_ext(v, &vlen);
      if (rc != GALE_OK) return rc;
    }
    gale__params_commit(params, nlen, vlen);
    gale__params_lower_last_name(params);
  }
  *pp = p;
  return GALE_OK;
}

int gale_header_params_parse(const char *s, size_t len, const char **first, size_t *first_len,
                             gale_params *params) {
  if (!s && len) return GALE_EINVAL;
  if (!s) s = "";
  const char *end = s + len, *p = s;
  const char *semi = memchr(s, ';', len);
  size_t flen = (size_t)((semi ? semi : end) - s);
  const char *f = gale__trim_ows(s, &flen);
  for (size_t i = 0; i < flen; i++)
    if (!gale__is((unsigned char)f[i], GALE__C_VALUE) || f[i] == '"') return GALE_EHTTP_PARSE;
  if (first) *first = f;
  if (first_len) *first_len = flen;
  size_t start = gale_params_count(params);
  p = semi ? semi : end;
  int rc = GALE_OK;
  while (p < end) {
    p++; /* the ';' */
    while (p < end && is_ows(*p)) p++;
    if (p == end) break;
    if (*p == ';') continue;
    rc = parse_param(&p, end, params);
    if (rc != GALE_OK) break;
  }
  if (rc != GALE_OK && params) gale__params_truncate(params, start);
  return rc;
}

int gale_content_type_parse(const char *s, size_t len, char *type, size_t type_cap,
                            gale_params *params) {
  if (!type && type_cap) return GALE_EINVAL;
  const char *f;
  size_t flen;
  size_t start = gale_params_count(params);
  int rc = gale_header_params_parse(s, len, &f, &flen, params);
  if (rc != GALE_OK) return rc;
  const char *slash = memchr(f, '/', flen);
  if (!slash || !gale_http_is_token(f, (size_t)(slash - f)) ||
      !gale_http_is_token(slash + 1, flen - (size_t)(slash - f) - 1)) {
    rc = GALE_EHTTP_PARSE;
  } else if (type_cap < flen + 1) {
    rc = GALE_ERANGE;
  } else {
    for (size_t i = 0; i < flen; i++) type[i] = (char)gale__lower[(unsigned char)f[i]];
    type[flen] = '\0';
  }
  if (rc != GALE_OK && params) gale__params_truncate(params, start);
  return rc;
}
