/* SPDX-License-Identifier: MIT */
/* bench/parser's peer driver: the same requests through Node's classic
 * http-parser (Debian's libhttp-parser-dev), recording each header name and
 * value span the way gale's parser reports them.  Usage: [N] */
#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/parser_requests.h"

typedef struct span {
  const char *p;
  size_t n;
} span;
typedef struct rec {
  span names[64], values[64];
  int nh;
  int done;
} rec;

static int on_field(http_parser *hp, const char *at, size_t len) {
  rec *r = hp->data;
  if (r->nh < 64) r->names[r->nh] = (span){at, len};
  return 0;
}
static int on_value(http_parser *hp, const char *at, size_t len) {
  rec *r = hp->data;
  if (r->nh < 64) r->values[r->nh++] = (span){at, len};
  return 0;
}
static int on_headers_complete(http_parser *hp) {
  ((rec *)hp->data)->done = 1;
  return 0;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run(const char *name, const char *req, size_t len, long n) {
  http_parser_settings s;
  memset(&s, 0, sizeof s);
  s.on_header_field = on_field;
  s.on_header_value = on_value;
  s.on_headers_complete = on_headers_complete;
  http_parser hp;
  rec r;
  size_t sink = 0;
  double t0 = now();
  for (long i = 0; i < n; i++) {
    http_parser_init(&hp, HTTP_REQUEST);
    hp.data = &r;
    r.nh = 0;
    r.done = 0;
    size_t used = http_parser_execute(&hp, &s, req, len);
    if (used != len || !r.done) {
      fprintf(stderr, "http-parser failed\n");
      exit(1);
    }
    sink += (size_t)r.nh + http_should_keep_alive(&hp);
  }
  double ns = (now() - t0) * 1e9 / (double)n;
  printf("http-parser %s %.1f ns/request %.0f MB/s (%zu)\n", name, ns, (double)len / ns * 1e3,
         sink % 7);
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 2000000;
  run("browser", bench_browser_req, sizeof bench_browser_req - 1, n);
  run("wrk", bench_wrk_req, sizeof bench_wrk_req - 1, n);
  return 0;
}
