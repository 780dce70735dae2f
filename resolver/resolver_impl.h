/* SPDX-License-Identifier: MIT */
/* The resolver's objects, shared by resolver.c and its two back ends. */
#ifndef GALE_RESOLVER_IMPL_H
#define GALE_RESOLVER_IMPL_H

#include <ares.h>

#include "resolver/resolver_internal.h"

struct override;
struct gale__ares_sock;

struct gale_resolve_query {
  gale_resolver *r;                              /* NULL once the resolver is freed */
  gale_resolve_query *prev, *next;               /* r->live: callback still owed */
  gale_resolve_query *ready_next;                /* r->ready or r->wait FIFO */
  bool in_live, in_ready, in_wait, backend_busy; /* who still refers to it */
  char *host;                                    /* as given */
  char *key;                                     /* lower case, no trailing dot: cache key */
  int port, family;
  gale_resolver_resolve_cb cb;
  void *arg;
  int status;
  gale_addrinfo_list *result;
};

struct gale_resolver {
  gale_loop *loop;
  gale_resolver_options opts; /* servers not kept */
  gale_resolve_query *live_head, *live_tail;
  gale_resolve_query *ready_head, *ready_tail;
  gale_resolve_query *wait_head, *wait_tail; /* over max_concurrent */
  size_t inflight;                           /* back-end lookups running */
  bool pumping;
  gale_timer *deliver_timer;
  struct override *overrides;
  struct gale__cache *cache;
  int depth;    /* user callbacks on the stack */
  bool closing; /* gale_resolver_free() was called */

  /* c-ares back end */
  ares_channel channel;
  bool have_channel;
  gale_timer *ares_timer;
  struct gale__ares_sock *socks;
};

/* Hands the query's outcome over for delivery (or drops it if the query was
 * cancelled or the resolver is closing).  Takes `list`.  `ttl` (seconds) is
 * how long a positive answer may be cached; `from_backend` marks the back
 * end's single completion (it releases the back end's hold on q and makes
 * the answer cacheable). */
GALE_INTERNAL void gale__query_complete(gale_resolve_query *q, int status, gale_addrinfo_list *list,
                                        double ttl, bool from_backend);

GALE_INTERNAL void gale__resolver_destroy(gale_resolver *r);

/* ares_backend.c */
GALE_INTERNAL int gale__ares_init(gale_resolver *r, const char *servers);
GALE_INTERNAL int gale__ares_start(gale_resolver *r, gale_resolve_query *q);
GALE_INTERNAL void gale__ares_shutdown(gale_resolver *r);

/* gai_backend.c */
GALE_INTERNAL int gale__gai_start(gale_resolver *r, gale_resolve_query *q);

#endif
