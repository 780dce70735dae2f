/* SPDX-License-Identifier: MIT */
/* gale/resolver.h — asynchronous host name resolution (Tornado's Resolver).
 *
 * A gale_resolver turns a host name into socket addresses without blocking
 * the loop.  It runs c-ares on the loop (c-ares's sockets are loop fd
 * watchers, its timeouts one loop timer; no thread), or, when created with
 * use_getaddrinfo, the system's getaddrinfo() in the loop's executor.
 *
 * In front of either sit, in this order:
 *   1. the override map (gale_resolver_add_override(), curl's --resolve,
 *      Tornado's OverrideResolver);
 *   2. numeric hosts ("127.0.0.1", "::1", "[::1]") and "localhost"
 *      (127.0.0.1 then ::1, RFC 6761), answered without a query;
 *   3. the cache, when enabled (positive answers live for the smallest TTL
 *      of their records, negative ones for options.negative_ttl).
 * c-ares then reads /etc/hosts before DNS.
 *
 * Results: a gale_addrinfo_list of sockaddrs with the requested port, in
 * the order to try them (RFC 8305 §4): families interleaved, the preferred
 * family first (IPv6 for c-ares answers; for getaddrinfo answers the family
 * the system sorted first).  Duplicates are removed.
 *
 * Callbacks (gale's contract): a call that fails returns the error and never
 * calls back; otherwise the callback runs exactly once, on a later loop turn
 * (even for numeric hosts and cached answers), unless the query is
 * cancelled first with gale_resolver_cancel() — then it never runs.
 *
 * Statuses a lookup ends with:
 *   GALE_EDNS_NXDOMAIN   the name does not exist
 *   GALE_EDNS_NODATA     the name exists but has no address of the family
 *                        (also: a numeric address of the other family)
 *   GALE_EDNS_SERVFAIL   the server failed (SERVFAIL)
 *   GALE_EDNS_REFUSED    the server refused (REFUSED), or no configured
 *                        server could be reached (ICMP unreachable)
 *   GALE_EDNS_BADNAME    malformed host name (empty, control characters,
 *                        empty label, over 253 characters)
 *   GALE_ETIMEDOUT_DNS   no answer within timeout × tries
 *   GALE_EDNS_CONFIG     c-ares could not read the system configuration
 *   GALE_EDNS            anything else (malformed answer, ...)
 *   GALE_ECANCELLED      the resolver was freed while the query was pending
 *   GALE_ENOMEM
 * Thread safety: none; a resolver belongs to its loop's thread.  Cost: one
 * c-ares channel (a UDP socket per server while queries are pending) and
 * one timer; a query is one allocation plus its result.
 *
 * With several servers configured, SERVFAIL and REFUSED move on to the next
 * server and a query that fails on all of them reports GALE_EDNS_REFUSED;
 * with one server the server's own answer is reported.
 */
#ifndef GALE_RESOLVER_H
#define GALE_RESOLVER_H

#include <sys/socket.h>

#include "gale/common.h"
#include "gale/error.h"
#include "gale/future.h"
#include "gale/loop.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gale_resolver gale_resolver;
typedef struct gale_resolve_query gale_resolve_query;
typedef struct gale_addrinfo_list gale_addrinfo_list;

typedef struct gale_resolver_options {
  /* Name servers, "ip[:port],ip[:port]" ("[::1]:53" for IPv6 with a port);
   * NULL: the system's (/etc/resolv.conf).  Copied.  Default NULL. */
  const char *servers;
  /* Seconds to wait for one server's answer before retrying (c-ares's
   * per-try timeout; it grows on later rounds).  Default 5. */
  double timeout;
  /* Attempts per server.  Default 4 (c-ares's). */
  int tries;
  /* Spread queries over the servers rather than always asking the first
   * one first.  Default false. */
  bool rotate;
  /* Resolve with getaddrinfo() in the loop's executor instead of c-ares
   * (for systems whose resolver configuration c-ares cannot read: NSS
   * modules, mDNS...).  servers/timeout/tries/rotate then do not apply;
   * cancelling does not interrupt the running getaddrinfo(), it only drops
   * its result.  Default false. */
  bool use_getaddrinfo;
  /* Cache answers, positive ones for their TTL (at most max_ttl seconds),
   * negative ones (NXDOMAIN, NODATA) for negative_ttl seconds.  Timeouts and
   * server failures are never cached.  Default off (the HTTP client turns
   * it on). */
  bool cache;
  /* getaddrinfo() tells no TTL: its answers are cached for negative_ttl. */
  double max_ttl;       /* default 300 */
  double negative_ttl;  /* default 5 */
  size_t cache_entries; /* bound on cached names; default 1024 */
  /* Most lookups handed to c-ares (or the executor) at once; more wait in
   * a FIFO.  A burst of thousands of UDP queries on one socket overflows
   * socket buffers (ours or the server's) and turns into timeouts; queuing
   * keeps it flowing.  Default 64. */
  size_t max_concurrent;
  GALE_RESERVED(8); /* room for fields added later (README: ABI) */
} gale_resolver_options;

/* Fills `options` with the defaults above.  NULL is ignored. */
GALE_EXPORT void gale_resolver_options_init(gale_resolver_options *options);

/* Creates a resolver bound to `loop` (it must outlive the resolver).
 * `options` is copied; NULL means the defaults.  Returns GALE_OK,
 * GALE_EINVAL (NULL loop/out, timeout <= 0, tries < 1, malformed servers),
 * GALE_ENOMEM, GALE_EDNS_CONFIG (c-ares could not initialise from the
 * system's configuration: use servers or use_getaddrinfo). */
GALE_EXPORT int gale_resolver_new(gale_loop *loop, const gale_resolver_options *options,
                                  gale_resolver **out);

/* Frees the resolver.  Queries still pending are failed first, inside this
 * call, with GALE_ECANCELLED (their callbacks may not start new queries on
 * this resolver: gale_resolver_resolve() returns GALE_ECLOSED then).  Safe
 * from inside one of its own callbacks.  NULL is ignored. */
GALE_EXPORT void gale_resolver_free(gale_resolver *resolver);

/* Makes lookups of `host` (case-insensitive; exact name, no wildcard) with
 * `port` (0 = any port) answer `addresses`, a comma-separated list of
 * numeric IPv4/IPv6 addresses ("::1,127.0.0.1"), without a query.  Later
 * entries for the same host and port replace earlier ones.  Strings are
 * copied.  Returns GALE_OK, GALE_EINVAL (NULL, bad host, an address that is
 * not numeric, port outside 0..65535), GALE_ENOMEM. */
GALE_EXPORT int gale_resolver_add_override(gale_resolver *resolver, const char *host, int port,
                                           const char *addresses);

/* Called once with the outcome: status GALE_OK and the addresses (borrowed
 * for the duration of the call: copy with gale_addrinfo_list_copy() to keep
 * them), or a status from the list at the top and NULL. */
typedef void (*gale_resolver_resolve_cb)(int status, const gale_addrinfo_list *addresses,
                                         void *arg);

/* Looks up `host` (copied; a trailing dot is allowed; "[::1]" is accepted
 * for IPv6 literals) for `port` (0..65535, written into each sockaddr) in
 * `family` (AF_UNSPEC, AF_INET or AF_INET6).  If `out` is not NULL it
 * receives a handle for gale_resolver_cancel(), valid until the callback
 * has started or the query is cancelled.  Returns GALE_OK, GALE_EINVAL
 * (NULL, bad port or family), GALE_EDNS_BADNAME (malformed host),
 * GALE_ECLOSED (the resolver is being freed), GALE_ENOMEM. */
GALE_EXPORT int gale_resolver_resolve(gale_resolver *resolver, const char *host, int port,
                                      int family, gale_resolver_resolve_cb cb, void *arg,
                                      gale_resolve_query **out);

/* Cancels a pending query: its callback will not be called and the handle
 * is invalid afterwards.  A DNS query already sent is left to finish inside
 * c-ares (its answer is dropped).  Must not be called once the callback has
 * started.  Returns GALE_OK or GALE_EINVAL (NULL). */
GALE_EXPORT int gale_resolver_cancel(gale_resolve_query *query);

/* gale_resolver_resolve() as a future (one reference for the caller).  The
 * result is a gale_addrinfo_list owned by the future; the failure status is
 * one of the above.  gale_future_cancel() cancels the query.  Returns NULL
 * when the call itself fails (bad arguments, bad name, no memory). */
GALE_EXPORT gale_future *gale_resolver_resolve_future(gale_resolver *resolver, const char *host,
                                                      int port, int family);

/* The loop the resolver runs on. */
GALE_EXPORT gale_loop *gale_resolver_loop(const gale_resolver *resolver);

/* ---- address lists ------------------------------------------------------ */

/* Number of addresses (>= 1 in a successful result).  0 for NULL. */
GALE_EXPORT size_t gale_addrinfo_list_count(const gale_addrinfo_list *list);

/* The i-th address (borrowed from the list) and its length in *len (may be
 * NULL); NULL when i is out of range. */
GALE_EXPORT const struct sockaddr *gale_addrinfo_list_get(const gale_addrinfo_list *list, size_t i,
                                                          socklen_t *len);

/* The i-th address's family (AF_INET, AF_INET6), or AF_UNSPEC when out of
 * range. */
GALE_EXPORT int gale_addrinfo_list_family(const gale_addrinfo_list *list, size_t i);

/* Formats the i-th address as "1.2.3.4" or "::1" (no port) into buf;
 * returns buf, or NULL when i is out of range or buf is too small
 * (INET6_ADDRSTRLEN always suffices). */
GALE_EXPORT const char *gale_addrinfo_list_ntop(const gale_addrinfo_list *list, size_t i, char *buf,
                                                size_t buflen);

/* A deep copy owned by the caller (gale_addrinfo_list_free()), or NULL when
 * out of memory or list is NULL. */
GALE_EXPORT gale_addrinfo_list *gale_addrinfo_list_copy(const gale_addrinfo_list *list);

/* Frees a list obtained from gale_addrinfo_list_copy() or stolen from a
 * future.  NULL is ignored. */
GALE_EXPORT void gale_addrinfo_list_free(gale_addrinfo_list *list);

#ifdef __cplusplus
}
#endif

#endif
