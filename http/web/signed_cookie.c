/* Signed cookies in Tornado's version 2 format, so a gale server and a
 * Tornado server sharing a cookie_secret read each other's cookies:
 *
 *   2|1:0|<len>:<timestamp>|<len>:<name>|<len>:<base64 value>|<hex HMAC>
 *
 * The HMAC-SHA256 (keyed with the secret) covers everything before it,
 * trailing '|' included, and is compared in constant time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "http/web/web_internal.h"

#define MAX_FUTURE_SECONDS (31 * 86400) /* Tornado refuses timestamps further ahead */

char *gale__b64_encode(const unsigned char *data, size_t len) {
  if (len > (SIZE_MAX / 4) * 3 - 4) return NULL;
  char *out = malloc(4 * ((len + 2) / 3) + 1);
  if (!out) return NULL;
  EVP_EncodeBlock((unsigned char *)out, data, (int)len);
  return out;
}

unsigned char *gale__b64_decode(const char *s, size_t len, size_t *out_len) {
  if (len % 4 != 0 || len > INT32_MAX) return NULL;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/' || (c == '=' && i >= len - 2);
    if (!ok) return NULL;
  }
  unsigned char *out = malloc(len / 4 * 3 + 1);
  if (!out) return NULL;
  int n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
  if (n < 0) {
    free(out);
    return NULL;
  }
  size_t pad = 0;
  if (len && s[len - 1] == '=') pad++;
  if (len > 1 && s[len - 2] == '=') pad++;
  if (pad && s[len - 1] != '=') pad = 0;
  *out_len = (size_t)n - pad;
  out[*out_len] = '\0';
  return out;
}

static void hmac_hex(const char *secret, const char *msg, size_t len, char out[65]) {
  unsigned char mac[32];
  unsigned int maclen = 0;
  HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)msg, len, mac, &maclen);
  static const char hex[] = "0123456789abcdef";
  for (unsigned i = 0; i < 32; i++) {
    out[2 * i] = hex[mac[i] >> 4];
    out[2 * i + 1] = hex[mac[i] & 15];
  }
  out[64] = '\0';
}

char *gale_web_signed_value_create(const char *secret, const char *name, const char *value,
                                   time_t now) {
  if (!secret || !*secret || !name || !value) return NULL;
  char *b64 = gale__b64_encode((const unsigned char *)value, strlen(value));
  if (!b64) return NULL;
  char ts[32];
  snprintf(ts, sizeof(ts), "%lld", (long long)now);
  size_t need = 64 + strlen(ts) + strlen(name) + strlen(b64) + 65 + 1;
  char *out = malloc(need);
  if (!out) {
    free(b64);
    return NULL;
  }
  int n = snprintf(out, need, "2|1:0|%zu:%s|%zu:%s|%zu:%s|", strlen(ts), ts, strlen(name), name,
                   strlen(b64), b64);
  free(b64);
  if (n < 0 || (size_t)n + 65 > need) {
    free(out);
    return NULL;
  }
  hmac_hex(secret, out, (size_t)n, out + n);
  return out;
}

/* Reads "<len>:<bytes>|" at *p; returns false if malformed. */
static bool read_field(const char **p, const char *end, const char **val, size_t *vlen) {
  const char *s = *p;
  size_t n = 0;
  int digits = 0;
  while (s < end && *s >= '0' && *s <= '9') {
    if (++digits > 9) return false;
    n = n * 10 + (size_t)(*s - '0');
    s++;
  }
  if (!digits || s >= end || *s != ':') return false;
  s++;
  if ((size_t)(end - s) < n + 1 || s[n] != '|') return false;
  *val = s;
  *vlen = n;
  *p = s + n + 1;
  return true;
}

char *gale_web_signed_value_decode(const char *secret, const char *name, const char *signed_value,
                                   double max_age_days, time_t now) {
  if (!secret || !*secret || !name || !signed_value) return NULL;
  size_t len = strlen(signed_value);
  if (len < 2 + 65 || len > 16384 || memcmp(signed_value, "2|", 2) != 0) return NULL;
  const char *end = signed_value + len;
  const char *p = signed_value + 2;
  const char *kv, *ts, *nm, *val;
  size_t kvl, tsl, nml, vall;
  if (!read_field(&p, end, &kv, &kvl) || !read_field(&p, end, &ts, &tsl) ||
      !read_field(&p, end, &nm, &nml) || !read_field(&p, end, &val, &vall))
    return NULL;
  size_t signed_len = (size_t)(p - signed_value);
  if ((size_t)(end - p) != 64) return NULL;
  char expect[65];
  hmac_hex(secret, signed_value, signed_len, expect);
  if (CRYPTO_memcmp(expect, p, 64) != 0) return NULL;
  if (nml != strlen(name) || memcmp(nm, name, nml) != 0) return NULL;
  long long t = 0;
  if (tsl == 0 || tsl > 18) return NULL;
  for (size_t i = 0; i < tsl; i++) {
    if (ts[i] < '0' || ts[i] > '9') return NULL;
    t = t * 10 + (ts[i] - '0');
  }
  if (max_age_days > 0 && (double)t < (double)now - max_age_days * 86400.0) return NULL;
  if (t > (long long)now + MAX_FUTURE_SECONDS) return NULL;
  size_t outlen = 0;
  unsigned char *out = gale__b64_decode(val, vall, &outlen);
  if (!out) return NULL;
  if (memchr(out, '\0', outlen)) { /* a C string cannot carry it */
    free(out);
    return NULL;
  }
  return (char *)out;
}

int gale_web_set_signed_cookie(gale_web_handler *h, const char *name, const char *value,
                               double expires_days) {
  if (!h || !name || !value) return GALE_EINVAL;
  if (!h->req) return GALE_ECLOSED;
  if (!h->app->cookie_secret) return GALE_ESTATE;
  char *sv = gale_web_signed_value_create(h->app->cookie_secret, name, value, time(NULL));
  if (!sv) return GALE_ENOMEM;
  gale_web_cookie_options o = {.path = "/", .expires_days = expires_days};
  int rc = gale_web_set_cookie(h, name, sv, &o);
  free(sv);
  return rc;
}

const char *gale_web_get_signed_cookie(gale_web_handler *h, const char *name,
                                       double max_age_days) {
  if (!h || !name || !h->req || !h->app->cookie_secret) return NULL;
  const char *raw = gale_web_get_cookie(h, name, NULL);
  if (!raw) return NULL;
  char *v = gale_web_signed_value_decode(h->app->cookie_secret, name, raw, max_age_days,
                                         time(NULL));
  if (!v) return NULL;
  free(h->signed_value);
  h->signed_value = v;
  return v;
}
