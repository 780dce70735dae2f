/* SPDX-License-Identifier: MIT */
/* gale bench: counters, latency samples and the summary, common to both
 * drivers. */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

bool bench_done_starting(const bench *b, double now) {
  if (b->stopping) return true;
  if (b->duration > 0) return now - b->t0 >= b->duration;
  return b->started >= b->requests;
}

void bench_maybe_finish(bench *b) {
  if (b->completed < b->started) return;
  if (!bench_done_starting(b, gale_loop_time(b->loop))) return;
  if (!b->t_end) b->t_end = gale_loop_time(b->loop);
  gale_loop_stop(b->loop);
}

void bench_record(bench *b, double latency) {
  if (b->nlat == b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 65536;
    double *n = realloc(b->lat, cap * sizeof *n);
    if (!n) return; /* the sample is lost, the count is not */
    b->lat = n;
    b->cap = cap;
  }
  b->lat[b->nlat++] = latency;
}

void bench_error(bench *b, long n, int status, const char *text) {
  if (!b->errors && n > 0) {
    b->first_error = status;
    snprintf(b->first_error_text, sizeof b->first_error_text, "%s", text ? text : "");
  }
  b->errors += n;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static const char *fmt_time(double s, char *buf, size_t n) {
  if (s < 1e-3)
    snprintf(buf, n, "%.0fus", s * 1e6);
  else if (s < 1)
    snprintf(buf, n, "%.2fms", s * 1e3);
  else
    snprintf(buf, n, "%.2fs", s);
  return buf;
}

/* Nearest-rank percentile of the sorted samples. */
static double percentile(const bench *b, double p) {
  double want = p * (double)b->nlat;
  size_t rank = (size_t)want;
  if (!b->nlat) return 0;
  if ((double)rank < want) rank++;
  if (rank > b->nlat) rank = b->nlat;
  return b->lat[rank ? rank - 1 : 0];
}

void bench_report(bench *b) {
  double elapsed = b->t_end - b->t0;
  long ok = b->completed - b->errors;
  double rps;
  char thr[32], p50[16], p90[16], p99[16], mx[16];
  if (elapsed <= 0) elapsed = 1e-9;
  rps = (double)ok / elapsed;
  cli_human_bytes((double)b->bytes / elapsed, thr, sizeof thr);
  if (b->nlat) qsort(b->lat, b->nlat, sizeof *b->lat, cmp_double);
  fmt_time(percentile(b, 0.50), p50, sizeof p50);
  fmt_time(percentile(b, 0.90), p90, sizeof p90);
  fmt_time(percentile(b, 0.99), p99, sizeof p99);
  fmt_time(b->nlat ? b->lat[b->nlat - 1] : 0, mx, sizeof mx);
  if (b->quiet) {
    printf("requests/s %.2f ok %ld errors %ld p50 %s p90 %s p99 %s max %s\n", rps, ok, b->errors,
           p50, p90, p99, mx);
    return;
  }
  printf("gale bench %s\n", b->url);
  printf("  %ld connections%s", b->connections, b->keepalive ? ", keep-alive" : ", no keep-alive");
  if (b->depth > 1) printf(", pipeline depth %ld", b->depth);
  if (b->http2) printf(", HTTP/2 with %ld streams each", b->streams);
  printf("\n  %ld requests in %.2fs: %ld ok, %ld errors, %ld non-2xx\n", b->completed, elapsed, ok,
         b->errors, b->non2xx);
  printf("  %llu connections opened", (unsigned long long)b->connections_opened);
  if (b->reconnects) printf(" (%ld after the server closed one)", b->reconnects);
  printf("\n  Latency    p50 %s   p90 %s   p99 %s   max %s\n", p50, p90, p99, mx);
  if (b->errors)
    printf("  First error: %s: %s\n", gale_err_name(b->first_error), b->first_error_text);
  printf("Requests/sec: %.2f\n", rps);
  printf("Transfer/sec: %s\n", thr);
}
