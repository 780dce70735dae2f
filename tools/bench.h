/* SPDX-License-Identifier: MIT */
/* gale bench: the run's state, shared by the gale_http_client driver
 * (bench.c), the pipelining driver (bench_pipe.c) and the report
 * (bench_report.c). */
#ifndef GALE_TOOLS_BENCH_H
#define GALE_TOOLS_BENCH_H

#include "cli.h"

typedef struct bench {
  gale_loop *loop;
  gale_http_client *client; /* the non-pipelined driver's */
  const char *url;
  gale_headers *headers; /* extra request fields (-H) */
  long connections, requests, depth;
  double duration, timeout;
  bool keepalive, quiet, insecure;
  bool http2;   /* --http2: h2 (prior knowledge for http://, ALPN for https) */
  long streams; /* --streams: concurrent streams per h2 connection (h2load -m) */
  /* counters */
  long started, completed, errors, non2xx, reconnects;
  uint64_t bytes, connections_opened;
  double t0, t_end;
  /* latencies of the successful requests, in seconds */
  double *lat;
  size_t nlat, cap;
  bool stopping;
  int first_error;
  char first_error_text[256];
} bench;

/* True once no more requests should start (count reached, time up, or a
 * fatal error). */
bool bench_done_starting(const bench *b, double now);
/* Stops the loop when nothing is in flight and nothing more will start. */
void bench_maybe_finish(bench *b);
/* Records one successful request's latency. */
void bench_record(bench *b, double latency);
/* Counts `n` failed requests; the first failure's status and text are kept
 * for the report. */
void bench_error(bench *b, long n, int status, const char *text);
/* Prints the summary on stdout. */
void bench_report(bench *b);

/* Runs the benchmark with `depth` pipelined requests per connection, over
 * plain gale_streams (gale_http_client never pipelines).  Returns an exit
 * code. */
int bench_run_pipelined(bench *b);

#endif
