/* gale bench: a load generator on gale_http_client, in the manner of wrk
 * and ab: `c` requests always in flight over kept-alive connections, for
 * `n` requests or `d` seconds, then requests/s, throughput and latency
 * percentiles.
 *
 * Pipelining (-p > 1) cannot go through gale_http_client, which never
 * pipelines (HARDENING.md); it uses plain gale_streams instead and
 * supports responses framed by Content-Length only. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gale/tcp_client.h"

typedef struct bench {
  gale_loop *loop;
  gale_http_client *client;
  gale_http_request req;
  gale_headers *headers;
  long connections, requests, depth;
  double duration, timeout;
  bool keepalive, quiet;
  /* progress */
  long started, completed, errors, non2xx;
  uint64_t bytes;
  double t0, t_end;
  double *lat;
  size_t nlat, cap;
  bool stopping;
  int first_error;
  char first_error_text[256];
} bench;

static void usage(FILE *out) {
  fputs("Usage: gale bench [options] URL\n"
        "  -c, --connections N   requests in flight at once (default 10)\n"
        "  -n, --requests N      stop after N requests (default 10000 unless -d)\n"
        "  -d, --duration S      run for S seconds instead\n"
        "  -p, --pipeline N      pipeline N requests per connection (Content-Length responses)\n"
        "  -k, --keepalive       keep connections alive (the default; for ab users)\n"
        "      --no-keepalive    a new connection per request (Connection: close)\n"
        "  -H, --header 'N: V'   extra request header\n"
        "  -m, --timeout S       per-request timeout (default 20)\n"
        "  -q, --quiet           print only the summary line\n"
        "  -h, --help            this text\n",
        out);
}

static void record(bench *b, double latency) {
  if (b->nlat == b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 65536;
    double *n = realloc(b->lat, cap * sizeof *n);
    if (!n) return;
    b->lat = n;
    b->cap = cap;
  }
  b->lat[b->nlat++] = latency;
}

static bool done_starting(bench *b, double now) {
  if (b->stopping) return true;
  if (b->duration > 0) return now - b->t0 >= b->duration;
  return b->started >= b->requests;
}

static void start_one(bench *b);

static void on_response(const gale_http_response *r, void *arg) {
  bench *b = arg;
  double now = gale_loop_time(b->loop);
  b->completed++;
  if (r->status != GALE_OK) {
    if (!b->errors) {
      b->first_error = r->status;
      snprintf(b->first_error_text, sizeof b->first_error_text, "%s", r->error);
    }
    b->errors++;
  } else {
    if (r->code < 200 || r->code >= 300) b->non2xx++;
    b->bytes += r->size_download + r->size_header;
    record(b, r->timings.total);
  }
  if (!done_starting(b, now)) {
    start_one(b);
  } else if (b->completed == b->started) {
    b->t_end = now;
    gale_loop_stop(b->loop);
  }
}

static void start_one(bench *b) {
  int st = gale_http_client_fetch(b->client, &b->req, on_response, b, NULL);
  if (st != GALE_OK) {
    fprintf(stderr, "gale bench: %s\n", gale_strerror(st));
    b->stopping = true;
    if (b->completed == b->started) gale_loop_stop(b->loop);
    return;
  }
  b->started++;
}

static int body_counter(const void *data, size_t len, void *arg) {
  (void)data;
  (void)len;
  (void)arg;
  return GALE_OK; /* bodies are counted through size_download, not kept */
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void fmt_ms(double s, char *buf, size_t n) {
  if (s < 1e-3) snprintf(buf, n, "%.0fus", s * 1e6);
  else if (s < 1) snprintf(buf, n, "%.2fms", s * 1e3);
  else snprintf(buf, n, "%.2fs", s);
}

static void report(bench *b, const char *url) {
  double elapsed = b->t_end - b->t0;
  double rps = elapsed > 0 ? (double)(b->completed - b->errors) / elapsed : 0;
  char thr[32], p50[16], p90[16], p99[16], mx[16];
  if (elapsed <= 0) elapsed = 1e-9;
  cli_human_bytes((double)b->bytes / elapsed, thr, sizeof thr);
  qsort(b->lat, b->nlat, sizeof *b->lat, cmp_double);
#define PCT(p) (b->nlat ? b->lat[(size_t)((double)(b->nlat - 1) * (p))] : 0)
  fmt_ms(PCT(0.50), p50, sizeof p50);
  fmt_ms(PCT(0.90), p90, sizeof p90);
  fmt_ms(PCT(0.99), p99, sizeof p99);
  fmt_ms(b->nlat ? b->lat[b->nlat - 1] : 0, mx, sizeof mx);
  if (!b->quiet) {
    printf("gale bench %s\n", url);
    printf("  %ld connections, %ld requests in %.2fs", b->connections, b->completed, elapsed);
    if (b->depth > 1) printf(", pipeline depth %ld", b->depth);
    printf("\n  Latency    p50 %s   p90 %s   p99 %s   max %s\n", p50, p90, p99, mx);
    printf("  Errors     %ld (non-2xx responses: %ld)\n", b->errors, b->non2xx);
    if (b->errors) printf("  First error: %s: %s\n", gale_err_name(b->first_error), b->first_error_text);
    printf("Requests/sec: %.2f\n", rps);
    printf("Transfer/sec: %s\n", thr);
  } else {
    printf("requests/s %.2f p50 %s p90 %s p99 %s max %s errors %ld\n", rps, p50, p90, p99, mx,
           b->errors);
  }
#undef PCT
}

/* ---- pipelined mode (plain streams) -------------------------------------- */

typedef struct pconn {
  bench *b;
  gale_stream *stream;
  char *reqbuf;
  size_t reqlen;
  double *sent; /* send times of the requests in flight (ring of depth) */
  long head, inflight;
  size_t body_left;
  bool closed;
} pconn;

static void p_read_head(pconn *p);
static void p_fill(pconn *p);

static void p_fail(pconn *p, int status) {
  bench *b = p->b;
  if (p->closed) return;
  p->closed = true;
  if (!b->errors) {
    b->first_error = status;
    snprintf(b->first_error_text, sizeof b->first_error_text, "pipelined connection failed");
  }
  b->errors += p->inflight ? p->inflight : 1;
  b->completed += p->inflight;
  p->inflight = 0;
  gale_stream_close(p->stream);
}

static void p_done_one(pconn *p) {
  bench *b = p->b;
  double now = gale_loop_time(b->loop);
  record(b, now - p->sent[p->head]);
  p->head = (p->head + 1) % b->depth;
  p->inflight--;
  b->completed++;
  if (!done_starting(b, now)) p_fill(p);
  if (b->completed == b->started && done_starting(b, now)) {
    b->t_end = now;
    gale_loop_stop(b->loop);
    return;
  }
  p_read_head(p);
}

static void p_on_body(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  pconn *p = arg;
  (void)s;
  (void)data;
  if (status != GALE_OK) {
    p_fail(p, status);
    return;
  }
  p->b->bytes += len;
  p_done_one(p);
}

static void p_on_head(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  pconn *p = arg;
  const char *cl;
  size_t n = 0;
  (void)s;
  if (status != GALE_OK) {
    p_fail(p, status);
    return;
  }
  p->b->bytes += len;
  if (len < 12 || strncmp(data, "HTTP/1.", 7) != 0) {
    p_fail(p, GALE_EHTTP_PARSE);
    return;
  }
  if (data[9] != '2') p->b->non2xx++;
  cl = strcasestr(data, "\r\nContent-Length:");
  if (!cl) {
    p_fail(p, GALE_ENOTSUP);
    return;
  }
  for (cl += 17; *cl == ' '; cl++) {}
  for (; *cl >= '0' && *cl <= '9'; cl++) n = n * 10 + (size_t)(*cl - '0');
  if (n == 0) {
    p_done_one(p);
    return;
  }
  if (gale_stream_read_bytes(p->stream, n, false, p_on_body, p) != GALE_OK) p_fail(p, GALE_ESTATE);
}

static void p_read_head(pconn *p) {
  if (p->closed || !p->inflight || gale_stream_reading(p->stream)) return;
  if (gale_stream_read_until(p->stream, "\r\n\r\n", 4, 65536, p_on_head, p) != GALE_OK)
    p_fail(p, GALE_ESTATE);
}

static void p_fill(pconn *p) {
  bench *b = p->b;
  double now = gale_loop_time(b->loop);
  bool wrote = false;
  while (!p->closed && p->inflight < b->depth && !done_starting(b, now)) {
    gale_stream_write(p->stream, p->reqbuf, p->reqlen, NULL, NULL);
    p->sent[(p->head + p->inflight) % b->depth] = now;
    p->inflight++;
    b->started++;
    wrote = true;
  }
  if (wrote) p_read_head(p);
}

static void p_on_close(gale_stream *s, int reason, void *arg) {
  pconn *p = arg;
  (void)s;
  if (!p->closed) p_fail(p, reason ? reason : GALE_EOF);
  p->stream = NULL;
  if (p->b->completed == p->b->started && done_starting(p->b, gale_loop_time(p->b->loop))) {
    if (!p->b->t_end) p->b->t_end = gale_loop_time(p->b->loop);
    gale_loop_stop(p->b->loop);
  }
}

static void p_on_connect(int status, gale_stream *stream, void *arg) {
  pconn *p = arg;
  if (status != GALE_OK) {
    p->closed = true;
    p->b->errors++;
    if (!p->b->first_error) p->b->first_error = status;
    p->b->stopping = true;
    gale_loop_stop(p->b->loop);
    return;
  }
  p->stream = stream;
  gale_stream_set_nodelay(stream, true);
  gale_stream_set_close_cb(stream, p_on_close, p);
  p_fill(p);
}

static int run_pipelined(bench *b, const char *url) {
  gale_url *u = NULL;
  gale_tcp_client *tc = NULL;
  pconn *conns;
  char *req = NULL;
  int n, st;
  if (gale_url_parse(url, strlen(url), &u) != GALE_OK || !u->host) {
    fprintf(stderr, "gale bench: bad URL %s\n", url);
    gale_url_free(u);
    return CLI_EXIT_URL;
  }
  if (strcmp(u->scheme, "http") != 0) {
    fprintf(stderr, "gale bench: -p supports http:// only\n");
    gale_url_free(u);
    return CLI_EXIT_FAILED;
  }
  n = asprintf(&req, "GET %s%s%s HTTP/1.1\r\nHost: %s:%u\r\nUser-Agent: gale-bench\r\n\r\n", u->path,
               u->query ? "?" : "", u->query ? u->query : "", u->host, (unsigned)u->port);
  if (n < 0 || gale_tcp_client_new(b->loop, NULL, &tc) != GALE_OK) {
    gale_url_free(u);
    free(req);
    return CLI_EXIT_NOMEM;
  }
  conns = calloc((size_t)b->connections, sizeof *conns);
  for (long i = 0; conns && i < b->connections; i++) {
    conns[i].b = b;
    conns[i].reqbuf = req;
    conns[i].reqlen = (size_t)n;
    conns[i].sent = calloc((size_t)b->depth, sizeof(double));
    st = gale_tcp_client_connect(tc, u->host, u->port, NULL, p_on_connect, &conns[i], NULL);
    if (st != GALE_OK) {
      fprintf(stderr, "gale bench: %s\n", gale_strerror(st));
      b->stopping = true;
      break;
    }
  }
  b->t0 = gale_loop_time(b->loop);
  if (!b->stopping) gale_loop_run(b->loop);
  if (!b->t_end) b->t_end = gale_loop_time(b->loop);
  report(b, url);
  for (long i = 0; conns && i < b->connections; i++) {
    if (conns[i].stream) {
      gale_stream_set_close_cb(conns[i].stream, NULL, NULL);
      gale_stream_close(conns[i].stream);
    }
  }
  for (int i = 0; i < 3; i++) gale_loop_run_once(b->loop, 0);
  for (long i = 0; conns && i < b->connections; i++) free(conns[i].sent);
  free(conns);
  gale_tcp_client_free(tc);
  gale_url_free(u);
  free(req);
  return b->errors ? CLI_EXIT_FAILED : 0;
}

int cli_bench_main(int argc, char **argv) {
  static const struct option opts[] = {
      {"connections", required_argument, NULL, 'c'}, {"requests", required_argument, NULL, 'n'},
      {"duration", required_argument, NULL, 'd'},    {"pipeline", required_argument, NULL, 'p'},
      {"keepalive", no_argument, NULL, 'k'},         {"no-keepalive", no_argument, NULL, 'K'},
      {"header", required_argument, NULL, 'H'},      {"timeout", required_argument, NULL, 'm'},
      {"quiet", no_argument, NULL, 'q'},             {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  bench b;
  gale_http_client_options o;
  int opt, rc = 0;
  memset(&b, 0, sizeof b);
  b.connections = 10;
  b.requests = 10000;
  b.depth = 1;
  b.timeout = 20;
  b.keepalive = true;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "c:n:d:p:kKH:m:qh", opts, NULL)) != -1) {
    switch (opt) {
    case 'c':
      if (!cli_parse_int(optarg, 1, 100000, &b.connections)) rc = CLI_EXIT_USAGE;
      break;
    case 'n':
      if (!cli_parse_int(optarg, 1, 1000000000, &b.requests)) rc = CLI_EXIT_USAGE;
      break;
    case 'd':
      if (!cli_parse_seconds(optarg, &b.duration) || b.duration <= 0) rc = CLI_EXIT_USAGE;
      break;
    case 'p':
      if (!cli_parse_int(optarg, 1, 1024, &b.depth)) rc = CLI_EXIT_USAGE;
      break;
    case 'k': b.keepalive = true; break;
    case 'K': b.keepalive = false; break;
    case 'H': {
      const char *colon = strchr(optarg, ':');
      if (!b.headers) b.headers = gale_headers_new();
      if (!colon || !b.headers ||
          gale_headers_add_n(b.headers, optarg, (size_t)(colon - optarg), colon + 1, strlen(colon + 1)) != GALE_OK)
        rc = CLI_EXIT_USAGE;
      break;
    }
    case 'm':
      if (!cli_parse_seconds(optarg, &b.timeout)) rc = CLI_EXIT_USAGE;
      break;
    case 'q': b.quiet = true; break;
    case 'h': usage(stdout); gale_headers_free(b.headers); return 0;
    default: rc = CLI_EXIT_USAGE; break;
    }
    if (rc) break;
  }
  if (!rc && optind != argc - 1) rc = CLI_EXIT_USAGE;
  if (rc) {
    fprintf(stderr, "gale bench: bad arguments (see gale bench --help)\n");
    gale_headers_free(b.headers);
    return rc;
  }
  b.loop = gale_loop_new();
  if (!b.loop) return CLI_EXIT_NOMEM;
  if (b.depth > 1) {
    rc = run_pipelined(&b, argv[optind]);
    gale_loop_free(b.loop);
    gale_headers_free(b.headers);
    free(b.lat);
    return rc;
  }
  gale_http_client_options_init(&o);
  o.max_clients = (int)b.connections;
  o.max_idle_per_host = (int)b.connections;
  if (gale_http_client_new(b.loop, &o, &b.client) != GALE_OK) {
    gale_loop_free(b.loop);
    return CLI_EXIT_NOMEM;
  }
  if (!b.keepalive) {
    if (!b.headers) b.headers = gale_headers_new();
    if (b.headers) gale_headers_set(b.headers, "Connection", "close");
  }
  gale_http_request_init(&b.req, argv[optind]);
  b.req.headers = b.headers;
  b.req.user_agent = "gale-bench";
  b.req.decompress_response = false;
  b.req.follow_redirects = false;
  b.req.connect_timeout = b.timeout;
  b.req.request_timeout = b.timeout;
  b.req.streaming_callback = body_counter;
  b.t0 = gale_loop_time(b.loop);
  for (long i = 0; i < b.connections && !done_starting(&b, b.t0); i++) start_one(&b);
  if (b.started) gale_loop_run(b.loop);
  if (!b.t_end) b.t_end = gale_loop_time(b.loop);
  report(&b, argv[optind]);
  gale_http_client_free(b.client);
  for (int i = 0; i < 3; i++) gale_loop_run_once(b.loop, 0);
  gale_loop_free(b.loop);
  gale_headers_free(b.headers);
  free(b.lat);
  return b.errors ? CLI_EXIT_FAILED : 0;
}
