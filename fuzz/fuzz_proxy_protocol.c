/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the PROXY protocol header parser (iostream/proxy_protocol.c),
 * which reads the first bytes of every connection when a server expects a
 * load balancer's header.  The input is the connection's first bytes.
 * Invariants: a header is never longer than the bytes given or
 * GALE__PROXY_MAX_HEADER; a known address has a family and a length that
 * fit that family; parsing any prefix of a complete header says INCOMPLETE
 * (never BAD: a slow balancer is not refused), and parsing the header with
 * other bytes after it gives the same length and addresses (what follows
 * belongs to the application).
 * FUZZ-SOURCES: iostream/proxy_protocol.c
 * FUZZ-LIBS:
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "fuzz/fuzz.h"
#include "iostream/proxy_protocol.h"

const char gale_fuzz_corpus[] = "proxy_protocol";

static void check_addr(const struct sockaddr_storage *ss, socklen_t len) {
  switch (ss->ss_family) {
  case AF_INET: FUZZ_CHECK(len == sizeof(struct sockaddr_in)); break;
  case AF_INET6: FUZZ_CHECK(len == sizeof(struct sockaddr_in6)); break;
  case AF_UNIX: {
    FUZZ_CHECK(len == sizeof(struct sockaddr_un));
    const struct sockaddr_un *u = (const struct sockaddr_un *)ss;
    FUZZ_CHECK(memchr(u->sun_path, 0, sizeof u->sun_path) != NULL);
    break;
  }
  default: FUZZ_CHECK(0);
  }
}

static bool same(const gale__proxy_addrs *a, const gale__proxy_addrs *b) {
  return a->known == b->known && a->src_len == b->src_len && a->dst_len == b->dst_len &&
         memcmp(&a->src, &b->src, a->src_len) == 0 && memcmp(&a->dst, &b->dst, a->dst_len) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* Exact-size copies: ASan sees any read past the bytes given. */
  uint8_t *buf = malloc(size ? size : 1);
  if (!buf) return 0;
  memcpy(buf, data, size);
  gale__proxy_addrs a;
  int r = gale__proxy_parse(buf, size, &a);
  FUZZ_CHECK(r == GALE__PROXY_INCOMPLETE || r == GALE__PROXY_BAD || r == GALE__PROXY_TOO_LONG ||
             r > 0);
  if (r == GALE__PROXY_INCOMPLETE) FUZZ_CHECK(size < GALE__PROXY_MAX_HEADER);
  if (r <= 0) {
    FUZZ_CHECK(!a.known);
    free(buf);
    return 0;
  }
  size_t n = (size_t)r;
  FUZZ_CHECK(n <= size && n <= GALE__PROXY_MAX_HEADER);
  if (a.known) {
    check_addr(&a.src, a.src_len);
    check_addr(&a.dst, a.dst_len);
    FUZZ_CHECK(a.src.ss_family == a.dst.ss_family);
  }
  /* Every prefix of the header asks for more. */
  for (size_t k = 0; k < n; k++) {
    uint8_t *p = malloc(k ? k : 1);
    if (!p) break;
    memcpy(p, buf, k);
    gale__proxy_addrs b;
    FUZZ_CHECK(gale__proxy_parse(p, k, &b) == GALE__PROXY_INCOMPLETE);
    free(p);
  }
  /* The header alone parses the same as with what followed it. */
  uint8_t *h = malloc(n);
  if (h) {
    memcpy(h, buf, n);
    gale__proxy_addrs c;
    FUZZ_CHECK(gale__proxy_parse(h, n, &c) == r && same(&a, &c));
    free(h);
  }
  free(buf);
  return 0;
}
