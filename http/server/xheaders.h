/* SPDX-License-Identifier: MIT */
/* http/server/xheaders.h — the proxy headers a server with xheaders set
 * believes (Tornado's _apply_xheaders), as pure functions over the header
 * values so they can be tested and fuzzed without a connection (internal). */
#ifndef GALE_HTTP_SERVER_XHEADERS_H
#define GALE_HTTP_SERVER_XHEADERS_H

#include <stdbool.h>
#include <stddef.h>

#include "gale/common.h"

/* The client address the proxy headers name: X-Real-IP when present,
 * else the rightmost X-Forwarded-For element that is not one of the
 * `ntrusted` trusted proxies (exact strings).  `xff` and `real` are the
 * header values (NULL when absent; lengths given, no NUL needed).  Returns
 * true with the address in ip[0..ipsize) (NUL-terminated) when it is an
 * IPv4 or IPv6 literal; false (ip undefined) to keep the peer's address. */
GALE_INTERNAL bool gale__xheaders_remote_ip(const char *xff, size_t xff_len, const char *real,
                                            size_t real_len, char *const *trusted, size_t ntrusted,
                                            char *ip, size_t ipsize);

/* The scheme a proxy says the client used: "http" or "https" from the
 * last element of an X-Scheme / X-Forwarded-Proto value v[0..len), or NULL
 * (keep the connection's own) for anything else. */
GALE_INTERNAL const char *gale__xheaders_protocol(const char *v, size_t len);

#endif
