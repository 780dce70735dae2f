/* SPDX-License-Identifier: MIT */
/* bench/httputil_bench.c — the HTTP utilities beside libevent's evhttp
 * equivalents, same inputs, same process: ns per operation (best of 5
 * rounds) and the ratio gale/evhttp (< 1 means gale is faster).
 *   headers: add 12 typical request fields, 6 case-insensitive lookups,
 *            clear (gale_headers vs evkeyvalq)
 *   url:     parse + free an absolute URL (gale_url vs evhttp_uri)
 *   query:   parse a 6-field query string (gale_form vs
 *            evhttp_parse_query_str) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gale/error.h"
#include "gale/form.h"
#include "gale/headers.h"
#include "gale/url.h"

#ifdef HAVE_EVHTTP
#include <sys/queue.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#endif

static const char *const fields[12][2] = {
    {"Host", "www.example.com"},
    {"User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Firefox/120.0"},
    {"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9"},
    {"Accept-Language", "en-US,en;q=0.5"},
    {"Accept-Encoding", "gzip, deflate, br"},
    {"Connection", "keep-alive"},
    {"Cookie", "session=abcdef0123456789; theme=dark"},
    {"Upgrade-Insecure-Requests", "1"},
    {"Sec-Fetch-Dest", "document"},
    {"Sec-Fetch-Mode", "navigate"},
    {"Cache-Control", "max-age=0"},
    {"If-None-Match", "\"33a64df551425fcc55e4d42a148795d9f25f89d4\""},
};
static const char *const lookups[6] = {
    "host", "CONNECTION", "cookie", "accept-encoding", "if-none-match", "content-length"};
static const char url[] = "http://user@www.example.com:8080/path/to/resource.html?x=1&y=2#frag";
static const char query[] = "q=hello+world&lang=en&page=2&sort=date%20desc&filter=a%2Cb%2Cc&empty=";

static volatile size_t sink;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef void (*op_fn)(void *ctx);

static double best_ns(op_fn op, void *ctx, int n) {
  double best = 1e30;
  for (int round = 0; round < 5; round++) {
    double t0 = now();
    for (int i = 0; i < n; i++) op(ctx);
    double ns = (now() - t0) * 1e9 / n;
    if (ns < best) best = ns;
  }
  return best;
}

static void gale_headers_op(void *ctx) {
  gale_headers *h = ctx;
  for (int i = 0; i < 12; i++) gale_headers_add(h, fields[i][0], fields[i][1]);
  for (int i = 0; i < 6; i++) sink += gale_headers_get(h, lookups[i]) != NULL;
  gale_headers_clear(h);
}

static void gale_url_op(void *ctx) {
  (void)ctx;
  gale_url *u;
  if (gale_url_parse(url, sizeof url - 1, &u) == GALE_OK) {
    sink += u->port;
    gale_url_free(u);
  }
}

static void gale_query_op(void *ctx) {
  gale_params *p = ctx;
  gale_form_parse(p, query, sizeof query - 1, NULL);
  sink += gale_params_count(p);
  gale_params_clear(p);
}

#ifdef HAVE_EVHTTP
static void ev_headers_op(void *ctx) {
  (void)ctx;
  struct evkeyvalq h;
  TAILQ_INIT(&h);
  for (int i = 0; i < 12; i++) evhttp_add_header(&h, fields[i][0], fields[i][1]);
  for (int i = 0; i < 6; i++) sink += evhttp_find_header(&h, lookups[i]) != NULL;
  evhttp_clear_headers(&h);
}

static void ev_url_op(void *ctx) {
  (void)ctx;
  struct evhttp_uri *u = evhttp_uri_parse(url);
  if (u) {
    sink += (size_t)evhttp_uri_get_port(u);
    evhttp_uri_free(u);
  }
}

static void ev_query_op(void *ctx) {
  (void)ctx;
  struct evkeyvalq q;
  TAILQ_INIT(&q);
  evhttp_parse_query_str(query, &q);
  sink += q.tqh_first != NULL;
  evhttp_clear_headers(&q);
}
#endif

static void report(const char *name, double g, double e) {
  if (e > 0)
    printf("%-8s gale %8.1f ns  evhttp %8.1f ns  ratio gale/evhttp %.2f\n", name, g, e, g / e);
  else
    printf("%-8s gale %8.1f ns  (evhttp not built)\n", name, g);
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 200000;
  gale_headers *h = gale_headers_new();
  gale_params *p = gale_params_new();
  double e1 = 0, e2 = 0, e3 = 0;
  double g1 = best_ns(gale_headers_op, h, n);
  double g2 = best_ns(gale_url_op, NULL, n);
  double g3 = best_ns(gale_query_op, p, n);
#ifdef HAVE_EVHTTP
  e1 = best_ns(ev_headers_op, NULL, n);
  e2 = best_ns(ev_url_op, NULL, n);
  e3 = best_ns(ev_query_op, NULL, n);
#endif
  report("headers", g1, e1);
  report("url", g2, e2);
  report("query", g3, e3);
  gale_headers_free(h);
  gale_params_free(p);
  return 0;
}
