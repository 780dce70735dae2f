/* SPDX-License-Identifier: MIT */
/* The c-ares back end, driven by the loop (DESIGN.md, c-ares 1.18 notes):
 * c-ares reports its sockets through ARES_OPT_SOCK_STATE_CB and we watch
 * them with loop fd watchers; one loop timer, re-armed from ares_timeout()
 * after every query start and every ares_process_fd(), runs its retries.
 * No thread, no blocking call. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "gale/log.h"
#include "resolver/resolver_impl.h"

struct gale__ares_sock {
  struct gale__ares_sock *next;
  ares_socket_t fd;
  gale_watcher *watcher;
};

static pthread_once_t library_once = PTHREAD_ONCE_INIT;
static int library_status;

static void library_init(void) { library_status = ares_library_init(ARES_LIB_INIT_ALL); }

static int map_status(int status) {
  switch (status) {
  case ARES_SUCCESS: return GALE_OK;
  case ARES_ENOTFOUND: return GALE_EDNS_NXDOMAIN;
  case ARES_ENODATA: return GALE_EDNS_NODATA;
  case ARES_ESERVFAIL: return GALE_EDNS_SERVFAIL;
  case ARES_EREFUSED:
  case ARES_ECONNREFUSED: return GALE_EDNS_REFUSED;
  case ARES_ETIMEOUT: return GALE_ETIMEDOUT_DNS;
  case ARES_EBADNAME: return GALE_EDNS_BADNAME;
  case ARES_ENOMEM: return GALE_ENOMEM;
  case ARES_ECANCELLED:
  case ARES_EDESTRUCTION: return GALE_ECANCELLED;
  case ARES_EFILE: return GALE_EDNS_CONFIG;
  default: return GALE_EDNS;
  }
}

static void timer_cb(gale_loop *loop, void *arg);

static void rearm(gale_resolver *r) {
  if (!r->have_channel || r->closing) return;
  struct timeval tv, *tvp = ares_timeout(r->channel, NULL, &tv);
  if (r->ares_timer) {
    gale_timer_cancel(r->ares_timer);
    r->ares_timer = NULL;
  }
  if (!tvp) return; /* nothing pending */
  double delay = (double)tvp->tv_sec + (double)tvp->tv_usec / 1e6;
  if (gale_loop_call_later(r->loop, delay, timer_cb, r, &r->ares_timer) != GALE_OK) {
    r->ares_timer = NULL;
    gale_log_error("resolver", "cannot arm the DNS retry timer: queries may hang");
  }
}

static void timer_cb(gale_loop *loop, void *arg) {
  gale_resolver *r = arg;
  (void)loop;
  r->ares_timer = NULL;
  ares_process_fd(r->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  rearm(r);
}

static void watcher_cb(gale_watcher *w, int fd, int events, void *arg) {
  gale_resolver *r = arg;
  (void)w;
  ares_socket_t rfd = (events & (GALE_READ | GALE_ERROR)) ? fd : ARES_SOCKET_BAD;
  ares_socket_t wfd = (events & GALE_WRITE) ? fd : ARES_SOCKET_BAD;
  ares_process_fd(r->channel, rfd, wfd); /* may free w through sock_state_cb */
  rearm(r);
}

static void sock_state_cb(void *data, ares_socket_t fd, int readable, int writable) {
  gale_resolver *r = data;
  struct gale__ares_sock **p = &r->socks;
  while (*p && (*p)->fd != fd) p = &(*p)->next;
  struct gale__ares_sock *s = *p;
  if (!readable && !writable) {
    if (s) {
      *p = s->next;
      gale_watcher_free(s->watcher);
      free(s);
    }
    return;
  }
  int events = (readable ? GALE_READ : 0) | (writable ? GALE_WRITE : 0);
  if (s) {
    if (gale_watcher_update(s->watcher, events) != GALE_OK)
      gale_log_error("resolver", "cannot watch DNS socket %d", (int)fd);
    return;
  }
  s = calloc(1, sizeof *s);
  if (!s || gale_watcher_new(r->loop, fd, events, watcher_cb, r, &s->watcher) != GALE_OK) {
    /* The query on this socket will time out rather than hang: the timer
     * still runs. */
    gale_log_error("resolver", "cannot watch DNS socket %d", (int)fd);
    free(s);
    return;
  }
  s->fd = fd;
  s->next = r->socks;
  r->socks = s;
}

static int count_servers(ares_channel ch) {
  struct ares_addr_port_node *servers = NULL;
  if (ares_get_servers_ports(ch, &servers) != ARES_SUCCESS) return 0;
  int n = 0;
  for (struct ares_addr_port_node *s = servers; s; s = s->next) n++;
  ares_free_data(servers);
  return n;
}

static int make_channel(gale_resolver *r, const char *servers, bool nocheckresp, int *nservers) {
  struct ares_options o;
  memset(&o, 0, sizeof o);
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  o.sock_state_cb = sock_state_cb;
  o.sock_state_cb_data = r;
  double ms = r->opts.timeout * 1000.0;
  o.timeout = ms < 1 ? 1 : ms > 3600e3 ? 3600000 : (int)ms;
  o.tries = r->opts.tries;
  mask |= r->opts.rotate ? ARES_OPT_ROTATE : ARES_OPT_NOROTATE;
  if (nocheckresp) {
    /* One server: report its SERVFAIL/REFUSED as such instead of c-ares's
     * "could not contact any server" (there is no next server to try). */
    o.flags = ARES_FLAG_NOCHECKRESP;
    mask |= ARES_OPT_FLAGS;
  }
  int rc = ares_init_options(&r->channel, &o, mask);
  if (rc != ARES_SUCCESS) return rc == ARES_ENOMEM ? GALE_ENOMEM : GALE_EDNS_CONFIG;
  if (servers) {
    rc = ares_set_servers_ports_csv(r->channel, servers);
    if (rc != ARES_SUCCESS) {
      ares_destroy(r->channel);
      return rc == ARES_ENOMEM ? GALE_ENOMEM : GALE_EINVAL;
    }
  }
  *nservers = count_servers(r->channel);
  return GALE_OK;
}

int gale__ares_init(gale_resolver *r, const char *servers) {
  pthread_once(&library_once, library_init);
  if (library_status != ARES_SUCCESS) return GALE_EDNS_CONFIG;
  if (servers && !servers[strspn(servers, " ,")]) return GALE_EINVAL;
  int n = 0;
  int rc = make_channel(r, servers, false, &n);
  if (rc != GALE_OK) return rc;
  if (n == 0) {
    ares_destroy(r->channel);
    return servers ? GALE_EINVAL : GALE_EDNS_CONFIG;
  }
  if (n == 1) {
    ares_destroy(r->channel);
    rc = make_channel(r, servers, true, &n);
    if (rc != GALE_OK) return rc;
  }
  r->have_channel = true;
  return GALE_OK;
}

static void ares_cb(void *arg, int status, int timeouts, struct ares_addrinfo *res) {
  gale_resolve_query *q = arg;
  (void)timeouts;
  if (status != ARES_SUCCESS || !res) {
    if (res) ares_freeaddrinfo(res);
    gale__query_complete(q, status == ARES_SUCCESS ? GALE_EDNS_NODATA : map_status(status), NULL, 0,
                         true);
    return;
  }
  gale_addrinfo_list *list = gale__addrlist_new();
  int rc = list ? GALE_OK : GALE_ENOMEM;
  int ttl = -1;
  for (struct ares_addrinfo_node *n = res->nodes; n && rc == GALE_OK; n = n->ai_next) {
    rc = gale__addrlist_add(list, n->ai_addr, n->ai_addrlen);
    if (ttl < 0 || n->ai_ttl < ttl) ttl = n->ai_ttl;
  }
  for (struct ares_addrinfo_cname *c = res->cnames; c; c = c->next)
    if (c->ttl < ttl) ttl = c->ttl;
  ares_freeaddrinfo(res);
  if (rc == GALE_OK) rc = gale__addrlist_interleave(list, AF_INET6);
  if (rc != GALE_OK) {
    gale_addrinfo_list_free(list);
    gale__query_complete(q, rc, NULL, 0, true);
    return;
  }
  gale__query_complete(q, GALE_OK, list, ttl > 0 ? ttl : 0, true);
}

int gale__ares_start(gale_resolver *r, gale_resolve_query *q) {
  struct ares_addrinfo_hints hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = q->family;
  hints.ai_socktype = SOCK_STREAM;
  /* gale orders the addresses itself; c-ares's RFC 6724 sort would open a
   * UDP socket per address. */
  hints.ai_flags = ARES_AI_NOSORT;
  q->backend_busy = true;
  ares_getaddrinfo(r->channel, q->host, NULL, &hints, ares_cb, q);
  rearm(r);
  return GALE_OK;
}

void gale__ares_shutdown(gale_resolver *r) {
  if (r->ares_timer) {
    gale_timer_cancel(r->ares_timer);
    r->ares_timer = NULL;
  }
  if (r->have_channel) {
    r->have_channel = false;
    ares_destroy(r->channel); /* pending callbacks get ARES_EDESTRUCTION */
  }
  while (r->socks) {
    struct gale__ares_sock *s = r->socks;
    r->socks = s->next;
    gale_watcher_free(s->watcher);
    free(s);
  }
}
