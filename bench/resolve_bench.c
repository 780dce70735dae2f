/* SPDX-License-Identifier: MIT */
/* bench/resolve_bench: lookups per second against one DNS server, gale's
 * c-ares resolver on the loop beside getaddrinfo() in a thread pool.
 *
 *   resolve_bench PORT LOOKUPS THREADS
 *
 * Both sides ask 127.0.0.1:PORT for LOOKUPS distinct names under
 * bulk.test (A records).  getaddrinfo() is pointed at the same server
 * without touching /etc/resolv.conf: each worker thread calls res_init()
 * and overrides its (thread-local) _res name server list, which glibc's
 * getaddrinfo() then uses.  Prints one line per side and the ratio.
 * GALE_MAX_CONCURRENT in the environment overrides max_concurrent. */
#include <arpa/inet.h>
#include <netdb.h>
#include <pthread.h>
#include <resolv.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gale/loop.h"
#include "gale/resolver.h"

static int port, lookups, threads;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- gale ---------------------------------------------------------------- */

struct tally {
  int done, ok;
};

static void on_result(int status, const gale_addrinfo_list *list, void *arg) {
  struct tally *t = arg;
  (void)list;
  t->done++;
  if (status == GALE_OK) t->ok++;
}

static int run_gale(gale_loop *loop, gale_resolver *r, const char *prefix, int n, struct tally *t) {
  for (int i = 0; i < n; i++) {
    char name[64];
    snprintf(name, sizeof name, "%s%d.bulk.test", prefix, i);
    int rc = gale_resolver_resolve(r, name, 80, AF_INET, on_result, t, NULL);
    if (rc != GALE_OK) {
      fprintf(stderr, "resolve: %s\n", gale_strerror(rc));
      return -1;
    }
  }
  while (t->done < n) gale_loop_run_once(loop, 1.0);
  return 0;
}

static double bench_gale(void) {
  gale_loop *loop = gale_loop_new();
  gale_resolver_options o;
  gale_resolver_options_init(&o);
  char servers[64];
  snprintf(servers, sizeof servers, "127.0.0.1:%d", port);
  o.servers = servers;
  o.timeout = 2;
  o.tries = 3;
  if (getenv("GALE_MAX_CONCURRENT")) o.max_concurrent = (size_t)atoi(getenv("GALE_MAX_CONCURRENT"));
  gale_resolver *r;
  if (gale_resolver_new(loop, &o, &r) != GALE_OK) {
    fprintf(stderr, "gale_resolver_new failed\n");
    exit(1);
  }
  struct tally warm = {0, 0};
  run_gale(loop, r, "warm", 200, &warm);
  struct tally t = {0, 0};
  double t0 = now();
  run_gale(loop, r, "g", lookups, &t);
  double dt = now() - t0;
  gale_resolver_free(r);
  gale_loop_free(loop);
  printf(
      "gale_resolver (c-ares on the loop, 1 thread): %d lookups, %d ok, %.3f s, %.0f lookups/s\n",
      lookups, t.ok, dt, t.ok / dt);
  return t.ok / dt;
}

/* ---- getaddrinfo in a thread pool ------------------------------------------ */

static atomic_int next_index, gai_ok;

static void point_resolver_at_server(void) {
  res_init();
  _res.nscount = 1;
  _res.nsaddr_list[0].sin_family = AF_INET;
  _res.nsaddr_list[0].sin_port = htons((uint16_t)port);
  inet_pton(AF_INET, "127.0.0.1", &_res.nsaddr_list[0].sin_addr);
}

static void *gai_worker(void *arg) {
  const char *prefix = arg;
  point_resolver_at_server();
  for (;;) {
    int i = atomic_fetch_add(&next_index, 1);
    if (i >= lookups) break;
    char name[64];
    snprintf(name, sizeof name, "%s%d.bulk.test", prefix, i);
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    if (getaddrinfo(name, NULL, &hints, &res) == 0) {
      atomic_fetch_add(&gai_ok, 1);
      freeaddrinfo(res);
    }
  }
  return NULL;
}

static double run_pool(const char *prefix, int *ok) {
  pthread_t tid[256];
  atomic_store(&next_index, 0);
  atomic_store(&gai_ok, 0);
  double t0 = now();
  for (int i = 0; i < threads; i++) pthread_create(&tid[i], NULL, gai_worker, (void *)prefix);
  for (int i = 0; i < threads; i++) pthread_join(tid[i], NULL);
  *ok = atomic_load(&gai_ok);
  return now() - t0;
}

static double bench_gai(void) {
  int ok;
  int saved = lookups;
  lookups = 200;
  run_pool("warmt", &ok);
  lookups = saved;
  double dt = run_pool("t", &ok);
  printf("getaddrinfo in %d threads: %d lookups, %d ok, %.3f s, %.0f lookups/s\n", threads, lookups,
         ok, dt, ok / dt);
  return ok / dt;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s PORT LOOKUPS THREADS\n", argv[0]);
    return 2;
  }
  port = atoi(argv[1]);
  lookups = atoi(argv[2]);
  threads = atoi(argv[3]);
  if (port <= 0 || port > 65535 || lookups <= 0 || threads <= 0 || threads > 256) return 2;
  double g = bench_gale();
  double p = bench_gai();
  printf("ratio gale_resolver / getaddrinfo pool: %.2f\n", p > 0 ? g / p : 0.0);
  return 0;
}
