/* SPDX-License-Identifier: MIT */
/* XSRF protection as Tornado's (version 2 tokens): the _xsrf cookie holds
 * a random 16-byte token; forms and headers carry it masked with 4 fresh
 * random bytes per page ("2|<mask hex>|<masked token hex>|<timestamp>"),
 * so the token never appears twice the same way (BREACH).  A check decodes
 * both sides and compares the raw tokens in constant time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "gale/log.h"
#include "http/web/web_internal.h"

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static bool unhex(const char *s, size_t len, unsigned char *out, size_t out_len) {
  if (len != 2 * out_len) return false;
  for (size_t i = 0; i < out_len; i++) {
    int a = hexval(s[2 * i]), b = hexval(s[2 * i + 1]);
    if (a < 0 || b < 0) return false;
    out[i] = (unsigned char)(a << 4 | b);
  }
  return true;
}

static void tohex(const unsigned char *in, size_t len, char *out) {
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < len; i++) {
    out[2 * i] = hex[in[i] >> 4];
    out[2 * i + 1] = hex[in[i] & 15];
  }
  out[2 * len] = '\0';
}

bool gale__xsrf_decode(const char *s, unsigned char out[16]) {
  if (!s) return false;
  size_t len = strlen(s);
  if (len > 2 && s[0] == '2' && s[1] == '|') {
    const char *m = s + 2;
    const char *bar = strchr(m, '|');
    if (!bar) return false;
    unsigned char mask[4];
    if (!unhex(m, (size_t)(bar - m), mask, 4)) return false;
    const char *t = bar + 1;
    const char *bar2 = strchr(t, '|');
    if (!bar2) return false;
    if (!unhex(t, (size_t)(bar2 - t), out, 16)) return false;
    for (int i = 0; i < 16; i++) out[i] ^= mask[i % 4];
    for (const char *ts = bar2 + 1; *ts; ts++)
      if (*ts < '0' || *ts > '9') return false;
    return true;
  }
  /* Version 1: the bare token in hex. */
  return unhex(s, len, out, 16);
}

/* The raw token of this client: from its cookie, or a new one. */
static const unsigned char *raw_token(gale_web_handler *h, bool *from_cookie) {
  if (h->xsrf_raw) {
    *from_cookie = true;
    return h->xsrf_raw;
  }
  h->xsrf_raw = malloc(16);
  if (!h->xsrf_raw) return NULL;
  const char *cookie = gale_web_get_cookie(h, "_xsrf", NULL);
  if (cookie && gale__xsrf_decode(cookie, h->xsrf_raw)) {
    *from_cookie = true;
    return h->xsrf_raw;
  }
  *from_cookie = false;
  if (RAND_bytes(h->xsrf_raw, 16) != 1) {
    free(h->xsrf_raw);
    h->xsrf_raw = NULL;
    return NULL;
  }
  return h->xsrf_raw;
}

const char *gale_web_xsrf_token(gale_web_handler *h) {
  if (!h) return NULL;
  if (h->xsrf_token) return h->xsrf_token;
  bool from_cookie = false;
  const unsigned char *tok = raw_token(h, &from_cookie);
  if (!tok) return NULL;
  unsigned char mask[4], masked[16];
  if (RAND_bytes(mask, 4) != 1) return NULL;
  for (int i = 0; i < 16; i++) masked[i] = tok[i] ^ mask[i % 4];
  char mh[9], th[33];
  tohex(mask, 4, mh);
  tohex(masked, 16, th);
  char *s = malloc(64);
  if (!s) return NULL;
  snprintf(s, 64, "2|%s|%s|%lld", mh, th, (long long)time(NULL));
  h->xsrf_token = s;
  if (!from_cookie) gale_web_set_cookie(h, "_xsrf", s, NULL);
  return s;
}

const char *gale_web_xsrf_form_html(gale_web_handler *h) {
  if (!h) return NULL;
  if (h->xsrf_html) return h->xsrf_html;
  const char *t = gale_web_xsrf_token(h);
  if (!t) return NULL;
  size_t n = strlen(t) + 64;
  h->xsrf_html = malloc(n);
  if (!h->xsrf_html) return NULL;
  /* The token holds only hex digits, digits and '|': nothing to escape. */
  snprintf(h->xsrf_html, n, "<input type=\"hidden\" name=\"_xsrf\" value=\"%s\"/>", t);
  return h->xsrf_html;
}

int gale_web_check_xsrf(gale_web_handler *h) {
  if (!h) return GALE_EINVAL;
  const char *sent = gale_web_get_argument(h, "_xsrf", NULL);
  if (!sent) sent = gale_web_header(h, "X-Xsrftoken");
  if (!sent) sent = gale_web_header(h, "X-Csrftoken");
  if (!sent) return GALE_EACCES;
  unsigned char got[16], want[16];
  if (!gale__xsrf_decode(sent, got)) return GALE_EACCES;
  const char *cookie = gale_web_get_cookie(h, "_xsrf", NULL);
  if (!cookie || !gale__xsrf_decode(cookie, want)) return GALE_EACCES;
  return CRYPTO_memcmp(got, want, 16) == 0 ? GALE_OK : GALE_EACCES;
}
