/* SPDX-License-Identifier: MIT */
/* Internals of resolver/ shared between its files and with the TCP client
 * (iostream/tcp_client.c), which builds address lists for its own use. */
#ifndef GALE_RESOLVER_INTERNAL_H
#define GALE_RESOLVER_INTERNAL_H

#include <sys/socket.h>

#include "gale/resolver.h"

struct gale__addr {
  socklen_t len;
  struct sockaddr_storage ss;
};

struct gale_addrinfo_list {
  size_t count, cap;
  struct gale__addr *items;
};

/* An empty list, or NULL without memory. */
GALE_INTERNAL gale_addrinfo_list *gale__addrlist_new(void);

/* Appends a copy of `sa` (AF_INET or AF_INET6 only; others are skipped)
 * unless an equal address is already in the list.  GALE_OK or GALE_ENOMEM. */
GALE_INTERNAL int gale__addrlist_add(gale_addrinfo_list *list, const struct sockaddr *sa,
                                     socklen_t len);

/* Writes `port` into every address. */
GALE_INTERNAL void gale__addrlist_set_port(gale_addrinfo_list *list, int port);

/* Keeps only addresses of `family` (AF_UNSPEC keeps all). */
GALE_INTERNAL void gale__addrlist_filter(gale_addrinfo_list *list, int family);

/* Reorders per RFC 8305 §4: alternates families starting with `first`
 * (AF_INET6 or AF_INET; AF_UNSPEC: the family of the first address), each
 * family keeping its relative order.  GALE_OK or GALE_ENOMEM (list kept). */
GALE_INTERNAL int gale__addrlist_interleave(gale_addrinfo_list *list, int first);

/* Parses a numeric host ("1.2.3.4", "::1", "[::1]", "fe80::1%lo") into a
 * sockaddr with port 0.  Returns true if `host` is numeric. */
GALE_INTERNAL bool gale__parse_numeric(const char *host, struct sockaddr_storage *ss,
                                       socklen_t *len);

/* Checks a host name for resolve(): not empty, at most 253 characters
 * (plus a trailing dot), no empty label, no label over 63, no byte outside
 * printable ASCII except that bytes >= 0x80 (IDN in UTF-8) are left to the
 * server.  Returns GALE_OK or GALE_EDNS_BADNAME. */
GALE_INTERNAL int gale__check_hostname(const char *host);

/* Lower-cased copy of `host` without a trailing dot or IPv6 brackets, for
 * cache and override keys; NULL without memory. */
GALE_INTERNAL char *gale__host_key(const char *host);

/* ---- cache (cache.c) ---------------------------------------------------- */

struct gale__cache;

GALE_INTERNAL struct gale__cache *gale__cache_new(size_t max_entries);
GALE_INTERNAL void gale__cache_free(struct gale__cache *cache);

/* Looks up (key, family) at time `now`.  Returns true on a hit: *status is
 * the cached status and, for GALE_OK, *out a fresh copy of the addresses
 * (port 0) owned by the caller (NULL and a hit with GALE_ENOMEM if the copy
 * failed).  Expired entries are dropped. */
GALE_INTERNAL bool gale__cache_get(struct gale__cache *cache, const char *key, int family,
                                   double now, int *status, gale_addrinfo_list **out);

/* Stores an answer (a copy of `list` for GALE_OK) until `expires`. */
GALE_INTERNAL void gale__cache_put(struct gale__cache *cache, const char *key, int family,
                                   int status, const gale_addrinfo_list *list, double expires);

#endif
