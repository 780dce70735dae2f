/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the proxy headers of http/server/xheaders.c.  The
 * first byte's bits say which of X-Forwarded-For and X-Real-IP are present
 * and how big the address buffer is; the rest is split at '\n' into the
 * X-Forwarded-For, X-Real-IP and X-Forwarded-Proto values and up to three
 * trusted proxies.  Invariants: an accepted address is a valid IPv4/IPv6
 * literal that fits the buffer (nothing written past it) and is X-Real-IP
 * exactly or one element of X-Forwarded-For; otherwise the peer's address
 * is kept.  A scheme is "http", "https" or none.  Every value is an
 * exact-size copy, so ASan sees a read past it.
 * FUZZ-SOURCES: http/server/xheaders.c http/util/headers.c http/util/chars.c http/util/arena.c
 * FUZZ-LIBS:
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz/fuzz.h"
#include "http/server/xheaders.h"

const char gale_fuzz_corpus[] = "xheaders";

enum { FIELDS = 6, CANARY = 16 };

static bool valid_ip(const char *s) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  uint8_t flags = data[0];
  const char *in = (const char *)data + 1;
  size_t len = size - 1;
  char *field[FIELDS] = {0};
  size_t flen[FIELDS] = {0};
  int nf = 0;
  for (size_t start = 0; nf < FIELDS;) {
    const char *nl = memchr(in + start, '\n', len - start);
    size_t end = nl ? (size_t)(nl - in) : len;
    flen[nf] = end - start;
    field[nf] = malloc(flen[nf] ? flen[nf] : 1);
    if (!field[nf]) goto out;
    memcpy(field[nf], in + start, flen[nf]);
    nf++;
    if (!nl) break;
    start = end + 1;
  }
  bool has_xff = (flags & 1) && nf > 0, has_real = (flags & 2) && nf > 1;
  size_t ipsize = flags & 4 ? 16 : 48; /* INET_ADDRSTRLEN, the server's */
  char *trusted[3];
  size_t ntrusted = 0;
  for (int i = 3; i < nf; i++) {
    /* Trusted proxies are C strings (the server's copies). */
    trusted[ntrusted] = strndup(field[i], flen[i]);
    if (!trusted[ntrusted]) goto out_trusted;
    ntrusted++;
  }
  char ip[48 + CANARY];
  memset(ip, 0x5a, sizeof ip);
  bool ok = gale__xheaders_remote_ip(has_xff ? field[0] : NULL, flen[0], has_real ? field[1] : NULL,
                                     flen[1], trusted, ntrusted, ip, ipsize);
  for (size_t i = ipsize; i < sizeof ip; i++) FUZZ_CHECK(ip[i] == 0x5a);
  if (ok) {
    size_t n = strnlen(ip, ipsize);
    FUZZ_CHECK(n > 0 && n < ipsize);
    FUZZ_CHECK(valid_ip(ip));
    if (has_real && flen[1] < ipsize)
      FUZZ_CHECK(n == flen[1] && memcmp(ip, field[1], n) == 0);
    else
      FUZZ_CHECK(has_xff && memmem(field[0], flen[0], ip, n) != NULL);
  }
  if (!has_real && !has_xff) FUZZ_CHECK(!ok);
  if (nf > 2) {
    const char *p = gale__xheaders_protocol(field[2], flen[2]);
    FUZZ_CHECK(!p || strcmp(p, "http") == 0 || strcmp(p, "https") == 0);
    if (p) {
      /* The value ends with the scheme, give or take blanks. */
      size_t e = flen[2];
      while (e && (field[2][e - 1] == ' ' || field[2][e - 1] == '\t')) e--;
      size_t pl = strlen(p);
      FUZZ_CHECK(e >= pl && strncasecmp(field[2] + e - pl, p, pl) == 0);
    }
  }
out_trusted:
  for (size_t i = 0; i < ntrusted; i++) free(trusted[i]);
out:
  for (int i = 0; i < nf; i++) free(field[i]);
  return 0;
}
