/* SPDX-License-Identifier: MIT */
/* gale_resolver: queries, their delivery, cancellation and the front
 * stages (overrides, numeric hosts, cache).  The back ends live in
 * ares_backend.c (c-ares on the loop) and gai_backend.c (getaddrinfo in the
 * executor).
 *
 * Life of a query: resolve() links it into `live` and either completes it
 * at once (front stages) or hands it to a back end.  Completion puts it on
 * the `ready` FIFO and arms one zero-delay timer; the timer pops the FIFO
 * and calls back.  Delivering from a timer rather than from the back end
 * keeps every callback off the resolve() stack (c-ares answers some names
 * synchronously) and lets gale_resolver_free() cancel the timer, so nothing
 * is left scheduled on the loop that points into freed memory.
 *
 * A query's memory is freed when nobody refers to it any more: the user
 * (until the callback starts or the query is cancelled), the ready FIFO, or
 * a back end (c-ares and the executor cannot be asked to forget a pointer:
 * a cancelled query waits for their completion, which then drops it).
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "resolver/resolver_impl.h"

void gale_resolver_options_init(gale_resolver_options *o) {
  if (!o) return;
  memset(o, 0, sizeof *o);
  o->timeout = 5.0;
  o->tries = 4;
  o->max_ttl = 300.0;
  o->negative_ttl = 5.0;
  o->cache_entries = 1024;
  o->max_concurrent = 64;
}

/* ---- query life --------------------------------------------------------- */

static void live_unlink(gale_resolver *r, gale_resolve_query *q) {
  if (q->prev)
    q->prev->next = q->next;
  else
    r->live_head = q->next;
  if (q->next)
    q->next->prev = q->prev;
  else
    r->live_tail = q->prev;
  q->prev = q->next = NULL;
  q->in_live = false;
}

static void maybe_free(gale_resolve_query *q) {
  if (q->in_live || q->in_ready || q->in_wait || q->backend_busy) return;
  gale_addrinfo_list_free(q->result);
  free(q->host);
  free(q->key);
  free(q);
}

static void deliver_cb(gale_loop *loop, void *arg);

static void push_ready(gale_resolver *r, gale_resolve_query *q) {
  q->in_ready = true;
  q->ready_next = NULL;
  if (r->ready_tail)
    r->ready_tail->ready_next = q;
  else
    r->ready_head = q;
  r->ready_tail = q;
  if (!r->deliver_timer &&
      gale_loop_call_later(r->loop, 0, deliver_cb, r, &r->deliver_timer) != GALE_OK)
    r->deliver_timer = NULL; /* retried by the next completion or by free */
}

static bool cacheable(int status) {
  return status == GALE_OK || status == GALE_EDNS_NXDOMAIN || status == GALE_EDNS_NODATA;
}

static int backend_start(gale_resolver *r, gale_resolve_query *q) {
  int rc = r->opts.use_getaddrinfo ? gale__gai_start(r, q) : gale__ares_start(r, q);
  if (rc == GALE_OK) r->inflight++;
  return rc;
}

/* Starts waiting lookups while there is room.  Not re-entered: a lookup
 * that completes synchronously inside backend_start() only frees its slot
 * and this loop goes on. */
static void pump(gale_resolver *r) {
  if (r->pumping) return;
  r->pumping = true;
  while (!r->closing && r->inflight < r->opts.max_concurrent && r->wait_head) {
    gale_resolve_query *q = r->wait_head;
    r->wait_head = q->ready_next;
    if (!r->wait_head) r->wait_tail = NULL;
    q->in_wait = false;
    if (!q->in_live) {
      maybe_free(q); /* cancelled while waiting */
      continue;
    }
    int rc = backend_start(r, q);
    if (rc != GALE_OK) gale__query_complete(q, rc, NULL, 0, false);
  }
  r->pumping = false;
}

void gale__query_complete(gale_resolve_query *q, int status, gale_addrinfo_list *list, double ttl,
                          bool from_backend) {
  gale_resolver *r = q->r;
  if (from_backend) {
    q->backend_busy = false;
    if (r) {
      r->inflight--;
      if (r->wait_head && !r->closing) pump(r);
    }
  }
  if (!r || !q->in_live || r->closing) {
    gale_addrinfo_list_free(list);
    maybe_free(q);
    return;
  }
  if (status == GALE_OK && (!list || list->count == 0)) status = GALE_EDNS_NODATA;
  if (from_backend && r->cache && cacheable(status)) {
    double life = status == GALE_OK ? ttl : r->opts.negative_ttl;
    if (life > r->opts.max_ttl) life = r->opts.max_ttl;
    if (life > 0)
      gale__cache_put(r->cache, q->key, q->family, status, list, gale_loop_time(r->loop) + life);
  }
  if (status == GALE_OK) {
    gale__addrlist_set_port(list, q->port);
    q->result = list;
  } else {
    gale_addrinfo_list_free(list);
  }
  q->status = status;
  push_ready(r, q);
}

static void deliver_cb(gale_loop *loop, void *arg) {
  gale_resolver *r = arg;
  (void)loop;
  r->deliver_timer = NULL;
  r->depth++;
  gale_resolve_query *q;
  while (!r->closing && (q = r->ready_head)) {
    r->ready_head = q->ready_next;
    if (!r->ready_head) r->ready_tail = NULL;
    q->in_ready = false;
    if (!q->in_live) { /* cancelled while waiting */
      maybe_free(q);
      continue;
    }
    live_unlink(r, q);
    gale_resolver_resolve_cb cb = q->cb;
    void *cb_arg = q->arg;
    int status = q->status;
    gale_addrinfo_list *list = q->result;
    q->result = NULL;
    maybe_free(q);
    cb(status, status == GALE_OK ? list : NULL, cb_arg);
    gale_addrinfo_list_free(list);
  }
  r->depth--;
  if (r->closing && r->depth == 0) gale__resolver_destroy(r);
}

/* ---- front stages ------------------------------------------------------- */

struct override {
  struct override *next;
  char *key;
  int port;
  gale_addrinfo_list *list;
};

int gale_resolver_add_override(gale_resolver *r, const char *host, int port,
                               const char *addresses) {
  if (!r || !host || !addresses || port < 0 || port > 65535) return GALE_EINVAL;
  if (gale__check_hostname(host) != GALE_OK) return GALE_EINVAL;
  gale_addrinfo_list *list = gale__addrlist_new();
  char *copy = strdup(addresses);
  char *key = gale__host_key(host);
  struct override *o = calloc(1, sizeof *o);
  int rc = (list && copy && key && o) ? GALE_OK : GALE_ENOMEM;
  char *save = NULL;
  for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && rc == GALE_OK;
       tok = strtok_r(NULL, ",", &save)) {
    while (*tok == ' ') tok++;
    size_t n = strlen(tok);
    while (n && tok[n - 1] == ' ') tok[--n] = '\0';
    struct sockaddr_storage ss;
    socklen_t len;
    if (!gale__parse_numeric(tok, &ss, &len))
      rc = GALE_EINVAL;
    else
      rc = gale__addrlist_add(list, (struct sockaddr *)&ss, len);
  }
  free(copy);
  if (rc == GALE_OK && list->count == 0) rc = GALE_EINVAL;
  if (rc != GALE_OK) {
    gale_addrinfo_list_free(list);
    free(key);
    free(o);
    return rc;
  }
  /* Replace an entry for the same host and port. */
  for (struct override **p = &r->overrides; *p; p = &(*p)->next) {
    if ((*p)->port == port && strcmp((*p)->key, key) == 0) {
      struct override *old = *p;
      *p = old->next;
      gale_addrinfo_list_free(old->list);
      free(old->key);
      free(old);
      break;
    }
  }
  o->key = key;
  o->port = port;
  o->list = list;
  o->next = r->overrides;
  r->overrides = o;
  return GALE_OK;
}

static const struct override *find_override(const gale_resolver *r, const char *key, int port) {
  const struct override *any = NULL;
  for (const struct override *o = r->overrides; o; o = o->next) {
    if (strcmp(o->key, key) != 0) continue;
    if (o->port == port) return o;
    if (o->port == 0 && !any) any = o;
  }
  return any;
}

static void free_overrides(gale_resolver *r) {
  while (r->overrides) {
    struct override *o = r->overrides;
    r->overrides = o->next;
    gale_addrinfo_list_free(o->list);
    free(o->key);
    free(o);
  }
}

/* Answers from a fixed list (override or numeric host), filtered to the
 * family.  Consumes `list`. */
static void complete_static(gale_resolve_query *q, gale_addrinfo_list *list) {
  gale__addrlist_filter(list, q->family);
  if (gale__addrlist_interleave(list, AF_UNSPEC) != GALE_OK) {
    gale_addrinfo_list_free(list);
    gale__query_complete(q, GALE_ENOMEM, NULL, 0, false);
    return;
  }
  gale__query_complete(q, list->count ? GALE_OK : GALE_EDNS_NODATA, list, 0, false);
}

/* Tries the override map, numeric parsing and the cache.  Returns true if
 * the query was completed (or failed for memory). */
static bool front_stages(gale_resolver *r, gale_resolve_query *q) {
  const struct override *o = find_override(r, q->key, q->port);
  if (o) {
    gale_addrinfo_list *copy = gale_addrinfo_list_copy(o->list);
    if (!copy)
      gale__query_complete(q, GALE_ENOMEM, NULL, 0, false);
    else
      complete_static(q, copy);
    return true;
  }
  struct sockaddr_storage ss;
  socklen_t len;
  if (gale__parse_numeric(q->host, &ss, &len)) {
    gale_addrinfo_list *list = gale__addrlist_new();
    if (!list || gale__addrlist_add(list, (struct sockaddr *)&ss, len) != GALE_OK) {
      gale_addrinfo_list_free(list);
      gale__query_complete(q, GALE_ENOMEM, NULL, 0, false);
    } else {
      complete_static(q, list);
    }
    return true;
  }
  if (strcmp(q->key, "localhost") == 0) {
    /* RFC 6761 §6.3: always loopback, never asked of DNS.  Answered here
     * because c-ares 1.18 leaks memory on its own IPv6 localhost path. */
    gale_addrinfo_list *list = gale__addrlist_new();
    struct sockaddr_in sin = {.sin_family = AF_INET};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    if (!list || gale__addrlist_add(list, (struct sockaddr *)&sin, sizeof sin) != GALE_OK ||
        gale__addrlist_add(list, (struct sockaddr *)&sin6, sizeof sin6) != GALE_OK) {
      gale_addrinfo_list_free(list);
      gale__query_complete(q, GALE_ENOMEM, NULL, 0, false);
    } else {
      complete_static(q, list);
    }
    return true;
  }
  if (r->cache) {
    int status;
    gale_addrinfo_list *list;
    if (gale__cache_get(r->cache, q->key, q->family, gale_loop_time(r->loop), &status, &list)) {
      gale__query_complete(q, status, list, 0, false);
      return true;
    }
  }
  return false;
}

/* ---- public API --------------------------------------------------------- */

int gale_resolver_new(gale_loop *loop, const gale_resolver_options *options, gale_resolver **out) {
  if (!loop || !out) return GALE_EINVAL;
  *out = NULL;
  gale_resolver_options defaults;
  if (!options) {
    gale_resolver_options_init(&defaults);
    options = &defaults;
  }
  if (!(options->timeout > 0) || options->tries < 1 || options->negative_ttl < 0 ||
      options->max_ttl < 0 || options->max_concurrent < 1)
    return GALE_EINVAL;
  gale_resolver *r = calloc(1, sizeof *r);
  if (!r) return GALE_ENOMEM;
  r->loop = loop;
  r->opts = *options;
  r->opts.servers = NULL;
  int rc = GALE_OK;
  if (options->cache && !(r->cache = gale__cache_new(options->cache_entries))) rc = GALE_ENOMEM;
  if (rc == GALE_OK) rc = options->use_getaddrinfo ? GALE_OK : gale__ares_init(r, options->servers);
  if (rc != GALE_OK) {
    gale__cache_free(r->cache);
    free(r);
    return rc;
  }
  *out = r;
  return GALE_OK;
}

void gale__resolver_destroy(gale_resolver *r) {
  free_overrides(r);
  gale__cache_free(r->cache);
  free(r);
}

void gale_resolver_free(gale_resolver *r) {
  if (!r || r->closing) return;
  r->closing = true;
  r->depth++;
  if (r->deliver_timer) {
    gale_timer_cancel(r->deliver_timer);
    r->deliver_timer = NULL;
  }
  /* c-ares answers its pending callbacks with ARES_EDESTRUCTION here; they
   * only release their queries. */
  gale__ares_shutdown(r);
  while (r->ready_head) {
    gale_resolve_query *q = r->ready_head;
    r->ready_head = q->ready_next;
    q->in_ready = false;
    gale_addrinfo_list_free(q->result);
    q->result = NULL;
    if (!q->in_live) maybe_free(q);
  }
  r->ready_tail = NULL;
  while (r->wait_head) {
    gale_resolve_query *q = r->wait_head;
    r->wait_head = q->ready_next;
    q->in_wait = false;
    if (!q->in_live) maybe_free(q);
  }
  r->wait_tail = NULL;
  while (r->live_head) {
    gale_resolve_query *q = r->live_head;
    live_unlink(r, q);
    q->r = NULL;
    gale_resolver_resolve_cb cb = q->cb;
    void *cb_arg = q->arg;
    maybe_free(q); /* kept while the executor still holds it */
    cb(GALE_ECANCELLED, NULL, cb_arg);
  }
  r->depth--;
  if (r->depth == 0) gale__resolver_destroy(r);
}

gale_loop *gale_resolver_loop(const gale_resolver *r) { return r ? r->loop : NULL; }

int gale_resolver_resolve(gale_resolver *r, const char *host, int port, int family,
                          gale_resolver_resolve_cb cb, void *arg, gale_resolve_query **out) {
  if (out) *out = NULL;
  if (!r || !host || !cb || port < 0 || port > 65535) return GALE_EINVAL;
  if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6) return GALE_EINVAL;
  if (r->closing) return GALE_ECLOSED;
  struct sockaddr_storage ss;
  socklen_t len;
  bool numeric = gale__parse_numeric(host, &ss, &len);
  if (!numeric && gale__check_hostname(host) != GALE_OK) return GALE_EDNS_BADNAME;
  gale_resolve_query *q = calloc(1, sizeof *q);
  if (!q) return GALE_ENOMEM;
  q->host = strdup(host);
  q->key = gale__host_key(host);
  if (!q->host || !q->key) {
    free(q->host);
    free(q->key);
    free(q);
    return GALE_ENOMEM;
  }
  q->r = r;
  q->port = port;
  q->family = family;
  q->cb = cb;
  q->arg = arg;
  q->in_live = true;
  q->prev = r->live_tail;
  if (r->live_tail)
    r->live_tail->next = q;
  else
    r->live_head = q;
  r->live_tail = q;
  if (!front_stages(r, q)) {
    int rc = GALE_OK;
    if (r->inflight >= r->opts.max_concurrent) {
      q->in_wait = true;
      q->ready_next = NULL;
      if (r->wait_tail)
        r->wait_tail->ready_next = q;
      else
        r->wait_head = q;
      r->wait_tail = q;
    } else {
      rc = backend_start(r, q);
    }
    if (rc != GALE_OK) {
      live_unlink(r, q);
      q->backend_busy = false;
      maybe_free(q);
      return rc;
    }
  }
  if (out) *out = q;
  return GALE_OK;
}

int gale_resolver_cancel(gale_resolve_query *q) {
  if (!q || !q->in_live) return GALE_EINVAL;
  if (q->r) live_unlink(q->r, q);
  q->in_live = false;
  q->cb = NULL;
  maybe_free(q);
  return GALE_OK;
}

/* ---- future variant ----------------------------------------------------- */

static void future_done(int status, const gale_addrinfo_list *list, void *arg) {
  gale_future *f = arg;
  gale_future_set_cancel_cb(f, NULL, NULL);
  if (status == GALE_OK) {
    gale_addrinfo_list *copy = gale_addrinfo_list_copy(list);
    if (copy)
      gale_future_set_result(f, copy, (gale_free_fn)gale_addrinfo_list_free);
    else
      gale_future_set_error(f, GALE_ENOMEM);
  } else {
    gale_future_set_error(f, status);
  }
  gale_future_unref(f); /* the producer's reference */
}

static void future_cancelled(gale_future *f, void *arg) {
  gale_resolver_cancel(arg);
  gale_future_unref(f);
}

gale_future *gale_resolver_resolve_future(gale_resolver *r, const char *host, int port,
                                          int family) {
  if (!r) return NULL;
  gale_future *f = gale_future_new(r->loop);
  if (!f) return NULL;
  gale_future_ref(f);
  gale_resolve_query *q;
  if (gale_resolver_resolve(r, host, port, family, future_done, f, &q) != GALE_OK) {
    gale_future_unref(f);
    gale_future_unref(f);
    return NULL;
  }
  gale_future_set_cancel_cb(f, future_cancelled, q);
  return f;
}
