/* SPDX-License-Identifier: MIT */
/* X-Forwarded-For / X-Real-IP / X-Forwarded-Proto as Tornado reads them,
 * apart from the server so every byte of the headers can be fuzzed. */
#include "http/server/xheaders.h"

#include <arpa/inet.h>
#include <string.h>

#include "gale/headers.h"
#include "http/util/chars.h"

static bool valid_ip(const char *s) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static bool is_trusted(char *const *trusted, size_t ntrusted, const char *ip, size_t len) {
  for (size_t i = 0; i < ntrusted; i++)
    if (strlen(trusted[i]) == len && memcmp(trusted[i], ip, len) == 0) return true;
  return false;
}

/* Copies s[0..len) as a C string if it fits. */
static bool take(char *ip, size_t ipsize, const char *s, size_t len) {
  if (!len || len >= ipsize || memchr(s, '\0', len)) return false;
  memcpy(ip, s, len);
  ip[len] = '\0';
  return true;
}

bool gale__xheaders_remote_ip(const char *xff, size_t xff_len, const char *real, size_t real_len,
                              char *const *trusted, size_t ntrusted, char *ip, size_t ipsize) {
  bool have = false;
  if (xff) {
    /* The rightmost address that is not a trusted proxy of ours. */
    size_t end = xff_len;
    for (;;) {
      size_t start = end;
      while (start > 0 && xff[start - 1] != ',') start--;
      size_t elen = end - start;
      const char *e = gale__trim_ows(xff + start, &elen);
      have = take(ip, ipsize, e, elen);
      if (!have || !is_trusted(trusted, ntrusted, e, elen) || start == 0) break;
      end = start - 1;
    }
  }
  if (real && real_len < ipsize) {
    /* Present, it wins even when it is not an address (Tornado's order). */
    memcpy(ip, real, real_len);
    ip[real_len] = '\0';
    have = !memchr(real, '\0', real_len);
  }
  return have && valid_ip(ip);
}

const char *gale__xheaders_protocol(const char *v, size_t len) {
  /* The last element of a list, as the proxy nearest to us set it. */
  size_t start = len;
  while (start > 0 && v[start - 1] != ',') start--;
  size_t n = len - start;
  const char *p = gale__trim_ows(v + start, &n);
  if (gale_ascii_eq_cstr(p, n, "http")) return "http";
  if (gale_ascii_eq_cstr(p, n, "https")) return "https";
  return NULL;
}
