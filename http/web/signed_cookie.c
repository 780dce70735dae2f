/* SPDX-License-Identifier: MIT */
/* Signed cookies in Tornado's version 2 format, so a gale server and a
 * Tornado server sharing a cookie_secret read each other's cookies:
 *
 *   2|1:0|<len>:<timestamp>|<len>:<name>|<len>:<base64 value>|<hex HMAC>
 *
 * The HMAC-SHA256 (keyed with the secret) covers everything before it,
 * trailing '|' included, and is compared in constant time.  The "1:0"
 * field is the key version: Tornado's rotation signs with key_version's
 * secret and verifies with the secret of the version the cookie names. */
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

char *gale_web_signed_value_create_key(const char *secret, int key_version, const char *name,
                                       const char *value, time_t now) {
  if (!secret || !*secret || !name || !value || key_version < 0) return NULL;
  char *b64 = gale__b64_encode((const unsigned char *)value, strlen(value));
  if (!b64) return NULL;
  char ts[32], kv[16];
  snprintf(ts, sizeof(ts), "%lld", (long long)now);
  snprintf(kv, sizeof(kv), "%d", key_version);
  size_t need = 64 + strlen(kv) + strlen(ts) + strlen(name) + strlen(b64) + 65 + 1;
  char *out = malloc(need);
  if (!out) {
    free(b64);
    return NULL;
  }
  int n = snprintf(out, need, "2|%zu:%s|%zu:%s|%zu:%s|%zu:%s|", strlen(kv), kv, strlen(ts), ts,
                   strlen(name), name, strlen(b64), b64);
  free(b64);
  if (n < 0 || (size_t)n + 65 > need) {
    free(out);
    return NULL;
  }
  hmac_hex(secret, out, (size_t)n, out + n);
  return out;
}

char *gale_web_signed_value_create(const char *secret, const char *name, const char *value,
                                   time_t now) {
  return gale_web_signed_value_create_key(secret, 0, name, value, now);
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

/* The secret for key version field kv: `single` whatever the version (a
 * plain cookie_secret, as Tornado), else the one of that version. */
static const char *secret_for(const char *single, const gale_web_cookie_key *keys, size_t nkeys,
                              const char *kv, size_t kvl) {
  if (single) return single;
  if (kvl == 0 || kvl > 9) return NULL;
  int version = 0;
  for (size_t i = 0; i < kvl; i++) {
    if (kv[i] < '0' || kv[i] > '9') return NULL;
    version = version * 10 + (kv[i] - '0');
  }
  for (size_t i = 0; i < nkeys; i++)
    if (keys[i].version == version) return keys[i].secret;
  return NULL;
}

static char *decode(const char *single, const gale_web_cookie_key *keys, size_t nkeys,
                    const char *name, const char *signed_value, double max_age_days, time_t now) {
  if (!name || !signed_value) return NULL;
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
  const char *secret = secret_for(single, keys, nkeys, kv, kvl);
  if (!secret || !*secret) return NULL;
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

char *gale_web_signed_value_decode(const char *secret, const char *name, const char *signed_value,
                                   double max_age_days, time_t now) {
  if (!secret || !*secret) return NULL;
  return decode(secret, NULL, 0, name, signed_value, max_age_days, now);
}

char *gale_web_signed_value_decode_keys(const gale_web_cookie_key *keys, size_t nkeys,
                                        const char *name, const char *signed_value,
                                        double max_age_days, time_t now) {
  if (!keys || nkeys == 0) return NULL;
  return decode(NULL, keys, nkeys, name, signed_value, max_age_days, now);
}

/* The app's signing secret and version: the key of key_version when it has
 * versioned keys, else the plain secret (version 0). */
static const char *signing_secret(const gale_web_app *app, int *version) {
  *version = 0;
  if (!app->nkeys) return app->cookie_secret;
  for (size_t i = 0; i < app->nkeys; i++)
    if (app->keys[i].version == app->opts.key_version) {
      *version = app->keys[i].version;
      return app->keys[i].secret;
    }
  return NULL;
}

int gale_web_set_signed_cookie(gale_web_handler *h, const char *name, const char *value,
                               double expires_days) {
  if (!h || !name || !value) return GALE_EINVAL;
  if (!h->req) return GALE_ECLOSED;
  int version;
  const char *secret = signing_secret(h->app, &version);
  if (!secret) return GALE_ESTATE;
  char *sv = gale_web_signed_value_create_key(secret, version, name, value, time(NULL));
  if (!sv) return GALE_ENOMEM;
  gale_web_cookie_options o = {.path = "/", .expires_days = expires_days};
  int rc = gale_web_set_cookie(h, name, sv, &o);
  free(sv);
  return rc;
}

const char *gale_web_get_signed_cookie(gale_web_handler *h, const char *name, double max_age_days) {
  if (!h || !name || !h->req || (!h->app->cookie_secret && !h->app->nkeys)) return NULL;
  const char *raw = gale_web_get_cookie(h, name, NULL);
  if (!raw) return NULL;
  char *v = h->app->nkeys ? gale_web_signed_value_decode_keys(h->app->keys, h->app->nkeys, name,
                                                              raw, max_age_days, time(NULL))
                          : gale_web_signed_value_decode(h->app->cookie_secret, name, raw,
                                                         max_age_days, time(NULL));
  if (!v) return NULL;
  free(h->signed_value);
  h->signed_value = v;
  return v;
}
