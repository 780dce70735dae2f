/* SPDX-License-Identifier: MIT */
/* http/util/cookie.c — Cookie header parsing (lenient, like Tornado's
 * parse_cookie, but bounded) and Set-Cookie formatting (strict). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "gale/cookie.h"
#include "gale/error.h"
#include "gale/headers.h"
#include "gale/httpdate.h"
#include "http/util/chars.h"
#include "http/util/params.h"

bool gale_cookie_name_valid(const char *name, size_t len) { return gale_http_is_token(name, len); }

bool gale_cookie_value_valid(const char *value, size_t len) {
  if (!value) return len == 0;
  /* One pair of surrounding double quotes is allowed (RFC 6265 §4.1.1). */
  if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {
    value++;
    len -= 2;
  }
  for (size_t i = 0; i < len; i++)
    if (!gale__is((unsigned char)value[i], GALE__C_COOKIE)) return false;
  return true;
}

/* A pair is kept when its name is non-empty and neither name nor value
 * holds a control byte (DEL included) — a lenient reading that still never
 * hands the application bytes a header could not carry. */
static bool clean(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

int gale_cookie_parse(gale_params *p, const char *s, size_t len, const gale_form_limits *lim) {
  gale_form_limits def;
  if (!lim) {
    gale_form_limits_init(&def);
    lim = &def;
  }
  if (!p || (!s && len)) return GALE_EINVAL;
  if (len > lim->max_length) return GALE_ELIMIT;
  size_t start = gale_params_count(p), kept = 0;
  const char *end = s + len;
  int rc = GALE_OK;
  while (s < end) {
    const char *semi = memchr(s, ';', (size_t)(end - s));
    const char *seg_end = semi ? semi : end;
    const char *eq = memchr(s, '=', (size_t)(seg_end - s));
    if (eq) {
      size_t nlen = (size_t)(eq - s), vlen = (size_t)(seg_end - eq - 1);
      const char *name = gale__trim_ows(s, &nlen);
      const char *val = gale__trim_ows(eq + 1, &vlen);
      if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"') {
        val++;
        vlen -= 2;
      }
      if (nlen && clean(name, nlen) && clean(val, vlen)) {
        if (++kept > lim->max_fields) {
          rc = GALE_ELIMIT;
          break;
        }
        rc = gale_params_add(p, name, nlen, val, vlen);
        if (rc != GALE_OK) break;
      }
    }
    s = semi ? semi + 1 : end;
  }
  if (rc != GALE_OK) gale__params_truncate(p, start);
  return rc;
}

void gale_cookie_opts_init(gale_cookie_opts *o) {
  if (!o) return;
  memset(o, 0, sizeof(*o));
}

/* Attribute values (Path, Domain): any CHAR but CTLs and ';'
 * (RFC 6265 §4.1.1 av-octet), and no empty Domain. */
static bool valid_av(const char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c < 0x20 || c >= 0x7f || c == ';') return false;
  }
  return true;
}

typedef struct sink {
  char *buf;
  size_t cap;
  size_t len;
} sink;

static void put(sink *k, const char *s, size_t n) {
  if (k->len < k->cap) {
    size_t room = k->cap - k->len;
    memcpy(k->buf + k->len, s, n < room ? n : room);
  }
  k->len += n;
}

static void puts_(sink *k, const char *s) { put(k, s, strlen(s)); }

int gale_cookie_format(const char *name, const char *value, const gale_cookie_opts *o, char *buf,
                       size_t cap, size_t *out_len) {
  if ((!buf && cap) || !name) return GALE_EINVAL;
  if (!value) value = "";
  size_t nlen = strlen(name), vlen = strlen(value);
  if (!gale_cookie_name_valid(name, nlen) || !gale_cookie_value_valid(value, vlen))
    return GALE_EINVAL;
  gale_cookie_opts none;
  if (!o) {
    gale_cookie_opts_init(&none);
    o = &none;
  }
  if ((o->path && !valid_av(o->path)) || (o->domain && (!o->domain[0] || !valid_av(o->domain))))
    return GALE_EINVAL;
  if (o->same_site > GALE_SAMESITE_NONE || (o->same_site == GALE_SAMESITE_NONE && !o->secure))
    return GALE_EINVAL;
  sink k = {buf, cap, 0};
  put(&k, name, nlen);
  put(&k, "=", 1);
  put(&k, value, vlen);
  if (o->expires) {
    char date[GALE_HTTP_DATE_LEN + 1];
    if (gale_http_date_format(o->expires, date, sizeof date) != GALE_OK) return GALE_EINVAL;
    puts_(&k, "; Expires=");
    puts_(&k, date);
  }
  if (o->has_max_age) {
    char num[32];
    snprintf(num, sizeof num, "%" PRId64, o->max_age < 0 ? 0 : o->max_age);
    puts_(&k, "; Max-Age=");
    puts_(&k, num);
  }
  if (o->domain) {
    puts_(&k, "; Domain=");
    puts_(&k, o->domain);
  }
  if (o->path) {
    puts_(&k, "; Path=");
    puts_(&k, o->path);
  }
  if (o->secure) puts_(&k, "; Secure");
  if (o->http_only) puts_(&k, "; HttpOnly");
  static const char *const ss[] = {NULL, "Lax", "Strict", "None"};
  if (o->same_site != GALE_SAMESITE_UNSET) {
    puts_(&k, "; SameSite=");
    puts_(&k, ss[o->same_site]);
  }
  if (out_len) *out_len = k.len;
  if (k.len + 1 > cap) {
    if (cap) buf[cap - 1] = '\0';
    return GALE_ERANGE;
  }
  buf[k.len] = '\0';
  return GALE_OK;
}
