/* SPDX-License-Identifier: MIT */
/* bench/parser's gale driver: parses the same request head N times and
 * prints nanoseconds per request.  Usage: parser_bench [N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/parser_requests.h"
#include "http/wire/h1_parser.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double run(const char *name, const char *req, size_t len, long n) {
  gale_h1_parser p;
  gale_h1_header h[64];
  gale_h1_msg m;
  size_t sink = 0;
  gale_h1_parser_init(&p, GALE_H1_REQUEST, NULL);
  memset(&m, 0, sizeof m);
  m.headers = h;
  m.headers_cap = 64;
  double t0 = now();
  for (long i = 0; i < n; i++) {
    gale_h1_parser_reset(&p, 0);
    int rc = gale_h1_parse_head(&p, req, len, &m);
    if (rc != (int)len) {
      fprintf(stderr, "parse failed: %d\n", rc);
      exit(1);
    }
    sink += m.num_headers + m.keep_alive;
  }
  double ns = (now() - t0) * 1e9 / (double)n;
  printf("gale %s %.1f ns/request %.0f MB/s (%zu)\n", name, ns, (double)len / ns * 1e3, sink % 7);
  return ns;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 2000000;
  run("browser", bench_browser_req, sizeof bench_browser_req - 1, n);
  run("wrk", bench_wrk_req, sizeof bench_wrk_req - 1, n);
  return 0;
}
