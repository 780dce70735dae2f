/* SPDX-License-Identifier: MIT */
/* The getaddrinfo() back end: the blocking call runs in the loop's executor
 * and its answer comes back on the loop thread.  For systems whose resolver
 * configuration c-ares cannot follow (NSS modules, mDNS). */
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "resolver/resolver_impl.h"

struct gai_job {
  gale_resolve_query *q;
  char *host; /* a copy: the worker must not read q */
  int family;
  int rc;
  struct addrinfo *res;
};

static void *gai_run(void *arg) {
  struct gai_job *job = arg;
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = job->family;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  job->rc = getaddrinfo(job->host, NULL, &hints, &job->res);
  return job;
}

static int map_eai(int rc) {
  switch (rc) {
  case EAI_NONAME: return GALE_EDNS_NXDOMAIN;
#ifdef EAI_NODATA
  case EAI_NODATA: return GALE_EDNS_NODATA;
#endif
#ifdef EAI_ADDRFAMILY
  case EAI_ADDRFAMILY: return GALE_EDNS_NODATA;
#endif
  case EAI_AGAIN: return GALE_ETIMEDOUT_DNS; /* glibc: timeout or SERVFAIL */
  case EAI_FAIL: return GALE_EDNS_SERVFAIL;
  case EAI_MEMORY: return GALE_ENOMEM;
  default: return GALE_EDNS;
  }
}

static void gai_done(gale_loop *loop, int status, void *result, void *arg) {
  struct gai_job *job = arg;
  gale_resolve_query *q = job->q;
  (void)loop;
  (void)result;
  gale_addrinfo_list *list = NULL;
  if (status == GALE_OK && job->rc == 0) {
    list = gale__addrlist_new();
    status = list ? GALE_OK : GALE_ENOMEM;
    for (struct addrinfo *ai = job->res; ai && status == GALE_OK; ai = ai->ai_next)
      status = gale__addrlist_add(list, ai->ai_addr, ai->ai_addrlen);
    /* Keep the system's RFC 6724 preference for the first family. */
    if (status == GALE_OK) status = gale__addrlist_interleave(list, AF_UNSPEC);
    if (status != GALE_OK) {
      gale_addrinfo_list_free(list);
      list = NULL;
    }
  } else if (status == GALE_OK) {
    status = map_eai(job->rc);
  }
  if (job->res) freeaddrinfo(job->res);
  free(job->host);
  free(job);
  /* getaddrinfo does not tell TTLs: cache positive answers for max_ttl is
   * too long; use the negative TTL as a short, safe lifetime. */
  double ttl = (q->r && status == GALE_OK) ? q->r->opts.negative_ttl : 0;
  gale__query_complete(q, status, list, ttl, true);
}

int gale__gai_start(gale_resolver *r, gale_resolve_query *q) {
  struct gai_job *job = calloc(1, sizeof *job);
  if (!job) return GALE_ENOMEM;
  job->q = q;
  job->family = q->family;
  size_t n = strlen(q->host);
  job->host = strdup(q->host);
  if (!job->host) {
    free(job);
    return GALE_ENOMEM;
  }
  if (n > 1 && job->host[n - 1] == '.') job->host[n - 1] = '\0';
  q->backend_busy = true;
  int rc = gale_loop_run_in_executor(r->loop, gai_run, job, gai_done, job);
  if (rc != GALE_OK) {
    q->backend_busy = false;
    free(job->host);
    free(job);
  }
  return rc;
}
