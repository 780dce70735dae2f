/* SPDX-License-Identifier: MIT */
/* gale bench: a load generator in the manner of wrk and ab.  `c` requests
 * are always in flight for `n` requests or `d` seconds, then it prints
 * requests/s, throughput and latency percentiles (bench_report.c).
 *
 * Without pipelining the requests go through gale_http_client with
 * max_clients = c, so its keep-alive pool holds c connections, HTTP/1.1
 * (as wrk and ab, whatever the URL's scheme).  --http2 speaks h2 instead
 * on c connections carrying --streams requests each (h2load -c/-m): the
 * client's h2_connections_per_host = c, h2_max_streams = streams,
 * max_clients = c * streams.  The client never pipelines, so -p > 1 drives
 * plain streams instead (bench_pipe.c). */
#include "bench.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out) {
  fputs("Usage: gale bench [options] URL\n"
        "Sends GET requests to URL, C at a time, and prints requests/s, throughput\n"
        "and latency percentiles.  Exit status 0 when every request got a response,\n"
        "1 when some failed, 2 for bad options.\n"
        "  -c, --connections C   requests in flight at once, one connection each (default 10)\n"
        "  -n, --requests N      stop after N requests (default 10000)\n"
        "  -d, --duration S      run for S seconds instead of -n\n"
        "  -p, --pipeline D      send D requests at once on each connection (HTTP/1.1\n"
        "                        pipelining, http:// only; responses must carry\n"
        "                        Content-Length or be chunked); default 1: none\n"
        "      --http2           HTTP/2: h2c by prior knowledge for http://, h2 by ALPN\n"
        "                        for https:// (default: HTTP/1.1, as wrk and ab)\n"
        "      --streams N       with --http2: N requests in flight on each of the C\n"
        "                        connections (h2load -m; default 1)\n"
        "  -k, --keepalive       reuse connections (the default; accepted for ab users)\n"
        "      --no-keepalive    a new connection per request (Connection: close)\n"
        "  -H, --header 'N: V'   add a request header (repeatable)\n"
        "      --insecure        https: do not verify the server's certificate\n"
        "  -m, --timeout S       per-request timeout in seconds (default 20)\n"
        "  -q, --quiet           print one summary line\n"
        "  -h, --help            this text\n",
        out);
}

static void start_one(bench *b);

static void on_response(const gale_http_response *r, void *arg) {
  bench *b = arg;
  b->completed++;
  if (r->status != GALE_OK) {
    bench_error(b, 1, r->status, r->error);
    /* Nothing has ever worked: the server is down, do not spin on it. */
    if (b->errors >= b->connections && b->errors == b->completed) b->stopping = true;
  } else {
    if (r->code < 200 || r->code >= 300) b->non2xx++;
    b->bytes += r->size_download + r->size_header;
    bench_record(b, r->timings.total);
  }
  if (!bench_done_starting(b, gale_loop_time(b->loop))) start_one(b);
  bench_maybe_finish(b);
}

/* Bodies are counted (size_download), not kept: no buffer per response. */
static int discard_body(const void *data, size_t len, void *arg) {
  (void)data;
  (void)len;
  (void)arg;
  return GALE_OK;
}

static void start_one(bench *b) {
  gale_http_request req;
  int st;
  gale_http_request_init(&req, b->url);
  req.headers = b->headers;
  req.user_agent = "gale-bench";
  req.decompress_response = false;
  req.follow_redirects = false;
  req.connect_timeout = b->timeout;
  req.request_timeout = b->timeout;
  req.streaming_callback = discard_body;
  req.validate_cert = !b->insecure;
  req.http_version = b->http2 ? GALE_HTTP_VERSION_2_PRIOR_KNOWLEDGE : GALE_HTTP_VERSION_1_1;
  st = gale_http_client_fetch(b->client, &req, on_response, b, NULL);
  if (st != GALE_OK) {
    fprintf(stderr, "gale bench: %s: %s\n", b->url, gale_strerror(st));
    b->stopping = true;
    return;
  }
  b->started++;
}

/* The gale_http_client driver.  Returns an exit code. */
static int run_client(bench *b) {
  gale_http_client_options o;
  gale_http_client *client;
  long inflight = b->http2 ? b->connections * b->streams : b->connections;
  gale_http_client_options_init(&o);
  o.max_clients = (int)inflight;
  o.max_idle_per_host = (int)b->connections;
  o.h2_connections_per_host = (int)b->connections;
  o.h2_max_streams = (int)b->streams;
  if (gale_http_client_new(b->loop, &o, &client) != GALE_OK) return CLI_EXIT_NOMEM;
  b->client = client;
  b->t0 = gale_loop_time(b->loop);
  for (long i = 0; i < inflight && !bench_done_starting(b, b->t0); i++) start_one(b);
  if (b->started) gale_loop_run(b->loop);
  if (!b->t_end) b->t_end = gale_loop_time(b->loop);
  b->connections_opened = gale_http_client_connections_opened(client);
  if (b->started) bench_report(b);
  gale_http_client_free(client);
  b->client = NULL;
  if (!b->started) return CLI_EXIT_URL;
  return b->errors || b->completed < b->started ? CLI_EXIT_FAILED : CLI_OK;
}

static bool add_header(bench *b, const char *arg) {
  const char *colon = strchr(arg, ':');
  const char *v = colon ? colon + 1 : NULL;
  if (!colon || colon == arg) return false;
  while (*v == ' ' || *v == '\t') v++;
  if (!b->headers && !(b->headers = gale_headers_new())) return false;
  return gale_headers_add_n(b->headers, arg, (size_t)(colon - arg), v, strlen(v)) == GALE_OK;
}

/* Parses the options into `b`; returns 0, or an exit code (-1: --help). */
static int parse_options(bench *b, int argc, char **argv) {
  static const struct option opts[] = {{"connections", required_argument, NULL, 'c'},
                                       {"requests", required_argument, NULL, 'n'},
                                       {"duration", required_argument, NULL, 'd'},
                                       {"pipeline", required_argument, NULL, 'p'},
                                       {"keepalive", no_argument, NULL, 'k'},
                                       {"no-keepalive", no_argument, NULL, 'K'},
                                       {"header", required_argument, NULL, 'H'},
                                       {"timeout", required_argument, NULL, 'm'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"help", no_argument, NULL, 'h'},
                                       {"insecure", no_argument, NULL, 'I'},
                                       {"http2", no_argument, NULL, '2'},
                                       {"streams", required_argument, NULL, 'M'},
                                       {NULL, 0, NULL, 0}};
  int opt;
  bool ok = true;
  optind = 1;
  while (ok && (opt = getopt_long(argc, argv, "c:n:d:p:kH:m:qh", opts, NULL)) != -1) {
    switch (opt) {
    case 'c': ok = cli_parse_int(optarg, 1, 100000, &b->connections); break;
    case 'n': ok = cli_parse_int(optarg, 1, 1000000000, &b->requests); break;
    case 'd': ok = cli_parse_seconds(optarg, &b->duration) && b->duration > 0; break;
    case 'p': ok = cli_parse_int(optarg, 1, 1024, &b->depth); break;
    case 'k': b->keepalive = true; break;
    case 'K': b->keepalive = false; break;
    case 'H': ok = add_header(b, optarg); break;
    case 'm': ok = cli_parse_seconds(optarg, &b->timeout) && b->timeout > 0; break;
    case 'q': b->quiet = true; break;
    case 'I': b->insecure = true; break;
    case '2': b->http2 = true; break;
    case 'M': ok = cli_parse_int(optarg, 1, 1000, &b->streams); break;
    case 'h': usage(stdout); return -1;
    default: ok = false; break;
    }
    if (!ok && opt != '?') fprintf(stderr, "gale bench: bad value for -%c: %s\n", opt, optarg);
  }
  if (ok && optind != argc - 1) {
    fprintf(stderr, "gale bench: %s\n", optind < argc ? "one URL only" : "no URL given");
    ok = false;
  }
  if (ok && b->depth > 1 && b->http2) {
    fprintf(stderr, "gale bench: --pipeline is HTTP/1.1; with --http2 use --streams\n");
    ok = false;
  }
  if (ok && b->streams > 1 && !b->http2) {
    fprintf(stderr, "gale bench: --streams needs --http2\n");
    ok = false;
  }
  if (ok && b->depth > 1 && !b->keepalive) {
    fprintf(stderr, "gale bench: --pipeline needs keep-alive\n");
    ok = false;
  }
  if (!ok) {
    usage(stderr);
    return CLI_EXIT_USAGE;
  }
  b->url = argv[optind];
  if (!b->keepalive && !add_header(b, "Connection: close")) return CLI_EXIT_NOMEM;
  return 0;
}

int cli_bench_main(int argc, char **argv) {
  bench b;
  int rc;
  memset(&b, 0, sizeof b);
  b.connections = 10;
  b.requests = 10000;
  b.depth = 1;
  b.streams = 1;
  b.timeout = 20;
  b.keepalive = true;
  rc = parse_options(&b, argc, argv);
  if (rc == 0) {
    b.loop = gale_loop_new();
    /* Ctrl-C ends the run early; what was measured is still reported. */
    if (!b.loop || gale_loop_stop_on_signals(b.loop) != GALE_OK)
      rc = CLI_EXIT_NOMEM;
    else
      rc = b.depth > 1 ? bench_run_pipelined(&b) : run_client(&b);
    /* Closing connections and cancelled callbacks run on these turns. */
    for (int i = 0; b.loop && i < 3; i++) gale_loop_run_once(b.loop, 0);
    gale_loop_free(b.loop);
  }
  gale_headers_free(b.headers);
  free(b.lat);
  return rc < 0 ? CLI_OK : rc;
}
