/* SPDX-License-Identifier: MIT */
/* The PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and 2)
 * that a load balancer sends first on each connection to tell the real
 * client's address.  A pure parser over bytes (no loop, no allocation), used
 * by the TCP server (iostream/proxy_accept.c) and fuzzed and unit-tested on
 * its own. */
#ifndef GALE_IOSTREAM_PROXY_PROTOCOL_H
#define GALE_IOSTREAM_PROXY_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "gale/common.h"
#include "gale/error.h"

/* The longest header accepted: a v1 line is at most 107 bytes; a v2 header
 * is 16 bytes plus its address block (216 for AF_UNIX) and TLVs, which
 * HAProxy keeps small.  Longer ones close the connection. */
#define GALE__PROXY_MAX_HEADER 1024

typedef struct gale__proxy_addrs {
  /* False for v1 UNKNOWN, v2 LOCAL (the balancer's own health checks) and
   * v2 UNSPEC: the connection's own addresses stand. */
  bool known;
  struct sockaddr_storage src, dst; /* the client, and the address it reached */
  socklen_t src_len, dst_len;
} gale__proxy_addrs;

enum {
  GALE__PROXY_INCOMPLETE = 0, /* a valid prefix: read more */
  GALE__PROXY_BAD = -1,       /* not a PROXY header, or a malformed one */
  GALE__PROXY_TOO_LONG = -2   /* would exceed GALE__PROXY_MAX_HEADER */
};

/* Parses the header at the start of `buf` (`len` bytes; more may follow).
 * Returns the header's length (> 0) with *out filled, or one of the values
 * above.  Decides as early as the bytes allow: the first byte that cannot
 * begin a header returns GALE__PROXY_BAD, so a client speaking the
 * application protocol directly is refused at once. */
GALE_INTERNAL int gale__proxy_parse(const uint8_t *buf, size_t len, gale__proxy_addrs *out);

#endif
