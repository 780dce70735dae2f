/* SPDX-License-Identifier: MIT */
/* PROXY protocol v1 and v2 header parsing (iostream/proxy_protocol.h). */
#include "iostream/proxy_protocol.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#define V1_MAX 107 /* "PROXY TCP6 " + two full IPv6 + two ports + CRLF */

static const uint8_t v2_sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                   0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
static const char v1_sig[] = "PROXY ";

/* The bytes seen so far agree with the signature's start. */
static bool prefix_of(const uint8_t *buf, size_t len, const void *sig, size_t sig_len) {
  return memcmp(buf, sig, len < sig_len ? len : sig_len) == 0;
}

/* A decimal port: 1 to 5 digits, no leading zero, at most 65535. */
static bool parse_port(const char *s, size_t n, uint16_t *out) {
  if (n == 0 || n > 5 || (n > 1 && s[0] == '0')) return false;
  unsigned v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (unsigned)(s[i] - '0');
  }
  if (v > 65535) return false;
  *out = (uint16_t)v;
  return true;
}

static bool parse_ip(int family, const char *s, size_t n, struct sockaddr_storage *ss,
                     socklen_t *sl, uint16_t port) {
  char text[INET6_ADDRSTRLEN];
  if (n == 0 || n >= sizeof text) return false;
  memcpy(text, s, n);
  text[n] = '\0';
  memset(ss, 0, sizeof *ss);
  if (family == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    *sl = sizeof *in;
    return inet_pton(AF_INET, text, &in->sin_addr) == 1;
  }
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(port);
  *sl = sizeof *in6;
  return inet_pton(AF_INET6, text, &in6->sin6_addr) == 1;
}

/* "PROXY TCP4 SRC DST SPORT DPORT" (CRLF already cut off); UNKNOWN takes
 * anything after it. */
static int parse_v1_line(const char *line, size_t n, gale__proxy_addrs *out) {
  const char *f[6];
  size_t fl[6], k = 0, start = 0;
  for (size_t i = 0; i <= n && k < 6; i++) {
    if (i == n || line[i] == ' ') {
      f[k] = line + start;
      fl[k++] = i - start;
      start = i + 1;
      if (k == 2 && fl[1] == 7 && memcmp(f[1], "UNKNOWN", 7) == 0) return GALE_OK;
    }
  }
  if (k != 6 || start != n + 1) return GALE__PROXY_BAD; /* wrong count, or trailing text */
  int family;
  if (fl[1] == 4 && memcmp(f[1], "TCP4", 4) == 0)
    family = AF_INET;
  else if (fl[1] == 4 && memcmp(f[1], "TCP6", 4) == 0)
    family = AF_INET6;
  else
    return GALE__PROXY_BAD;
  uint16_t sport, dport;
  if (!parse_port(f[4], fl[4], &sport) || !parse_port(f[5], fl[5], &dport) ||
      !parse_ip(family, f[2], fl[2], &out->src, &out->src_len, sport) ||
      !parse_ip(family, f[3], fl[3], &out->dst, &out->dst_len, dport))
    return GALE__PROXY_BAD;
  out->known = true;
  return GALE_OK;
}

static int parse_v1(const uint8_t *buf, size_t len, gale__proxy_addrs *out) {
  size_t max = len < V1_MAX ? len : V1_MAX;
  for (size_t i = 0; i < max; i++) {
    if (buf[i] == '\r') {
      if (i + 1 == len) return GALE__PROXY_INCOMPLETE;
      if (buf[i + 1] != '\n') return GALE__PROXY_BAD;
      int rc = parse_v1_line((const char *)buf, i, out);
      return rc == GALE_OK ? (int)(i + 2) : rc;
    }
    if (buf[i] == '\n' || buf[i] == '\0') return GALE__PROXY_BAD;
  }
  return len < V1_MAX ? GALE__PROXY_INCOMPLETE : GALE__PROXY_TOO_LONG;
}

static void v2_inet(const uint8_t *a, gale__proxy_addrs *out) {
  struct sockaddr_in *s = (struct sockaddr_in *)&out->src, *d = (struct sockaddr_in *)&out->dst;
  s->sin_family = d->sin_family = AF_INET;
  memcpy(&s->sin_addr, a, 4);
  memcpy(&d->sin_addr, a + 4, 4);
  memcpy(&s->sin_port, a + 8, 2);
  memcpy(&d->sin_port, a + 10, 2);
  out->src_len = out->dst_len = sizeof *s;
}

static void v2_inet6(const uint8_t *a, gale__proxy_addrs *out) {
  struct sockaddr_in6 *s = (struct sockaddr_in6 *)&out->src;
  struct sockaddr_in6 *d = (struct sockaddr_in6 *)&out->dst;
  s->sin6_family = d->sin6_family = AF_INET6;
  memcpy(&s->sin6_addr, a, 16);
  memcpy(&d->sin6_addr, a + 16, 16);
  memcpy(&s->sin6_port, a + 32, 2);
  memcpy(&d->sin6_port, a + 34, 2);
  out->src_len = out->dst_len = sizeof *s;
}

/* Each 108-byte path is NUL-padded; one without a NUL is malformed. */
static bool v2_unix(const uint8_t *a, gale__proxy_addrs *out) {
  struct sockaddr_un *s = (struct sockaddr_un *)&out->src, *d = (struct sockaddr_un *)&out->dst;
  if (!memchr(a, 0, 108) || !memchr(a + 108, 0, 108)) return false;
  s->sun_family = d->sun_family = AF_UNIX;
  memcpy(s->sun_path, a, 108);
  memcpy(d->sun_path, a + 108, 108);
  out->src_len = out->dst_len = (socklen_t)sizeof *s;
  return true;
}

static int parse_v2(const uint8_t *buf, size_t len, gale__proxy_addrs *out) {
  if (len < 16) return GALE__PROXY_INCOMPLETE;
  uint8_t ver = buf[12] >> 4, cmd = buf[12] & 0x0F, fam = buf[13] >> 4, proto = buf[13] & 0x0F;
  size_t body = ((size_t)buf[14] << 8) | buf[15];
  if (ver != 2 || cmd > 1 || fam > 3 || proto > 2) return GALE__PROXY_BAD;
  if (16 + body > GALE__PROXY_MAX_HEADER) return GALE__PROXY_TOO_LONG;
  static const size_t need[4] = {0, 12, 36, 216};
  if (body < need[fam]) return GALE__PROXY_BAD;
  if (len < 16 + body) return GALE__PROXY_INCOMPLETE;
  /* LOCAL: the balancer speaking for itself; UNSPEC: it did not say. */
  if (cmd == 1 && fam != 0 && proto != 0) {
    const uint8_t *a = buf + 16;
    if (fam == 1)
      v2_inet(a, out);
    else if (fam == 2)
      v2_inet6(a, out);
    else if (!v2_unix(a, out))
      return GALE__PROXY_BAD;
    out->known = true;
  }
  return (int)(16 + body);
}

int gale__proxy_parse(const uint8_t *buf, size_t len, gale__proxy_addrs *out) {
  memset(out, 0, sizeof *out);
  if (len == 0) return GALE__PROXY_INCOMPLETE;
  if (prefix_of(buf, len, v1_sig, sizeof v1_sig - 1)) {
    if (len < sizeof v1_sig - 1) return GALE__PROXY_INCOMPLETE;
    return parse_v1(buf, len, out);
  }
  if (prefix_of(buf, len, v2_sig, sizeof v2_sig)) return parse_v2(buf, len, out);
  return GALE__PROXY_BAD;
}
