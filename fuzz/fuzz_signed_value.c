/* SPDX-License-Identifier: MIT */
/* libFuzzer target: signed values (http/web/signed_cookie.c) and XSRF
 * tokens (http/web/xsrf.c) under a fixed secret.  The first byte picks:
 *   0: the rest decoded as a hostile signed value;
 *   1: the rest taken as the "2|...|" fields and signed here with the right
 *      HMAC-SHA256, so the checks past the signature (name, timestamp,
 *      base64) see hostile bytes too;
 *   2: the rest split at the first NUL into name and value: create then
 *      decode must give the value back (and fail under another secret or
 *      name);
 *   3: the rest decoded as an XSRF token (v1 hex or v2 masked).
 * Every string is an exact-size copy, so ASan sees a read past it.
 * FUZZ-SOURCES: http/web/signed_cookie.c http/web/xsrf.c
 * FUZZ-LIBS: -lcrypto
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fuzz/fuzz.h"
#include "gale/web.h"

const char gale_fuzz_corpus[] = "signed_value";

bool gale__xsrf_decode(const char *s, unsigned char out[16]);

/* The web layer's cookie and argument access, which the decoders never
 * reach; weak so the replay's library copies win when linked. */
__attribute__((weak)) const char *gale_web_get_cookie(gale_web_handler *h, const char *name,
                                                      const char *dflt) {
  (void)h, (void)name;
  return dflt;
}
__attribute__((weak)) int gale_web_set_cookie(gale_web_handler *h, const char *name,
                                              const char *value,
                                              const gale_web_cookie_options *opts) {
  (void)h, (void)name, (void)value, (void)opts;
  return GALE_EINVAL;
}
__attribute__((weak)) const char *gale_web_get_argument(gale_web_handler *h, const char *name,
                                                        const char *dflt) {
  (void)h, (void)name;
  return dflt;
}
__attribute__((weak)) const char *gale_web_header(const gale_web_handler *h, const char *name) {
  (void)h, (void)name;
  return NULL;
}

static const char secret[] = "fuzz-secret-0123456789";
static const time_t now = 1700000000;

static char *cstr(const uint8_t *d, size_t n) {
  char *s = malloc(n + 1);
  if (!s) return NULL;
  memcpy(s, d, n);
  s[n] = '\0';
  return s;
}

static void decode_hostile(const char *s) {
  char *v = gale_web_signed_value_decode(secret, "name", s, 31, now);
  if (v) FUZZ_CHECK(strlen(v) <= strlen(s));
  free(v);
}

static void decode_signed(const char *fields) {
  size_t n = strlen(fields);
  char *s = malloc(n + 65);
  unsigned char mac[32];
  unsigned int mlen = 0;
  if (!s) return;
  memcpy(s, fields, n);
  HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)fields, n, mac, &mlen);
  for (unsigned i = 0; i < 32; i++) snprintf(s + n + 2 * i, 3, "%02x", mac[i]);
  decode_hostile(s);
  free(s);
}

static void round_trip(const char *name, const char *value) {
  char *sv = gale_web_signed_value_create(secret, name, value, now);
  if (!sv) return;
  char *back = gale_web_signed_value_decode(secret, name, sv, 31, now);
  if (strlen(sv) <= 16384) {
    FUZZ_CHECK(back && strcmp(back, value) == 0);
  }
  free(back);
  FUZZ_CHECK(!gale_web_signed_value_decode("another-secret", name, sv, 31, now));
  char *other = malloc(strlen(name) + 2);
  if (other) {
    snprintf(other, strlen(name) + 2, "%sx", name);
    FUZZ_CHECK(!gale_web_signed_value_decode(secret, other, sv, 31, now));
    free(other);
  }
  /* Too old: a day past a one-day max age. */
  FUZZ_CHECK(!gale_web_signed_value_decode(secret, name, sv, 1, now + 2 * 86400));
  free(sv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  char *s = cstr(data + 1, size - 1);
  if (!s) return 0;
  switch (data[0] % 4) {
  case 0: decode_hostile(s); break;
  case 1: decode_signed(s); break;
  case 2: {
    const uint8_t *nul = memchr(data + 1, '\0', size - 1);
    if (nul) {
      char *name = cstr(data + 1, (size_t)(nul - data - 1));
      char *value = cstr(nul + 1, size - 1 - (size_t)(nul - data));
      if (name && value && !memchr(value, '\0', strlen(value))) round_trip(name, value);
      free(name);
      free(value);
    }
    break;
  }
  default: {
    unsigned char tok[16];
    gale__xsrf_decode(s, tok);
    break;
  }
  }
  free(s);
  return 0;
}
