/* gale serve: serves a directory over HTTP with the web layer's static file
 * handler (like `python3 -m http.server`), one access log line per request
 * on stderr.  Directories without index.html get a listing
 * (serve_listing.c); everything else — ranges, HEAD, ETags, refusing
 * traversal — is the static handler's. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gale/web.h"

static void usage(FILE *out) {
  fputs("Usage: gale serve [options] [DIR]\n"
        "Serves DIR (default: the current directory) over HTTP: files with their\n"
        "content type, ranges and conditional GETs; index.html for a directory, or a\n"
        "listing of it.  One access log line per request on stderr.  Ctrl-C or\n"
        "SIGTERM stops it gracefully: no new connections, idle ones closed, requests\n"
        "and downloads in flight get up to 30 s to finish, then exit 0; a second\n"
        "signal stops at once.\n"
        "  -p, --port PORT       port to listen on (default 8000; 0 picks a free one)\n"
        "  -b, --bind ADDRESS    address to listen on (default: all interfaces)\n"
        "      --no-listing      answer 403 for directories without index.html\n"
        "      --max-connections N\n"
        "                        open connections at most (default 10000; 0: no limit);\n"
        "                        past it new clients wait in the listen backlog\n"
        "      --max-body-buffer BYTES\n"
        "                        request bodies buffered at once across connections, with\n"
        "                        a k/M/G suffix (default 256M; 0: no limit); a body past it\n"
        "                        is answered 503\n"
        "      --header-timeout SECONDS\n"
        "                        for a request's header section, counted from the accept\n"
        "                        for a new connection (default 60; 0: none)\n"
        "      --handshake-timeout SECONDS\n"
        "                        for a TLS handshake (default 20; 0: none)\n"
        "  -q, --quiet           no access log\n"
        "  -h, --help            this text\n",
        out);
}

typedef struct serve_route {
  gale_web_static_options files; /* first: the static handler reads it */
  bool listing;
} serve_route;

static void serve_get(gale_web_handler *h) {
  const serve_route *r = gale_web_handler_route_args(h);
  if (r->listing && cli_serve_listing(h, r->files.root)) return;
  gale_web_static_handler.get(h);
}

static const gale_web_handler_class serve_handler = {.name = "ServeHandler", .get = serve_get};

#define DRAIN_TIMEOUT 30.0 /* seconds in-flight requests get to finish on a stop */

/* SIGTERM / SIGINT: the first stops accepting and lets what is in flight
 * finish (at most DRAIN_TIMEOUT), the second stops now. */
typedef struct serve_stop {
  gale_loop *loop;
  gale_http_server *server;
  int signals;
  bool quiet;
} serve_stop;

static void drained(gale_http_server *server, void *arg) {
  (void)server;
  gale_loop_stop(((serve_stop *)arg)->loop);
}

static void on_stop_signal(gale_signal *sig, int signum, void *arg) {
  (void)sig;
  serve_stop *st = arg;
  if (st->signals++ || !st->server ||
      gale_http_server_shutdown(st->server, DRAIN_TIMEOUT, drained, st) != GALE_OK) {
    if (!st->quiet) fprintf(stderr, "gale serve: %s: stopping now\n", strsignal(signum));
    gale_loop_stop(st->loop);
    return;
  }
  if (!st->quiet)
    fprintf(stderr,
            "gale serve: %s: stopping: no new connections; %zu open ones get up to %.0f s to "
            "finish (signal again to stop now)\n",
            strsignal(signum), gale_http_server_connection_count(st->server), DRAIN_TIMEOUT);
}

int cli_serve_main(int argc, char **argv) {
  static const struct option opts[] = {{"port", required_argument, NULL, 'p'},
                                       {"bind", required_argument, NULL, 'b'},
                                       {"no-listing", no_argument, NULL, 'L'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"max-connections", required_argument, NULL, 'C'},
                                       {"max-body-buffer", required_argument, NULL, 'B'},
                                       {"header-timeout", required_argument, NULL, 'H'},
                                       {"handshake-timeout", required_argument, NULL, 'T'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  long port = 8000;
  const char *address = NULL;
  bool quiet = false;
  serve_route route = {.files = {.default_filename = "index.html"}, .listing = true};
  char root[PATH_MAX];
  gale_http_server_options ho;
  gale_http_server_options_init(&ho);
  ho.http2 = true; /* h2c with prior knowledge beside HTTP/1.1 */
  uint64_t size = 0;
  long count = 0;
  int opt, rc = 0;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "p:b:qh", opts, NULL)) != -1) {
    switch (opt) {
    case 'p':
      if (!cli_parse_int(optarg, 0, 65535, &port)) rc = CLI_EXIT_USAGE;
      break;
    case 'b': address = optarg; break;
    case 'L': route.listing = false; break;
    case 'q': quiet = true; break;
    case 'C':
      if (!cli_parse_int(optarg, 0, LONG_MAX, &count)) rc = CLI_EXIT_USAGE;
      ho.max_connections = (size_t)count;
      break;
    case 'B':
      if (!cli_parse_size(optarg, &size) || size > SIZE_MAX) rc = CLI_EXIT_USAGE;
      ho.max_body_buffer = (size_t)size;
      break;
    case 'H':
      if (!cli_parse_seconds(optarg, &ho.header_timeout)) rc = CLI_EXIT_USAGE;
      break;
    case 'T':
      if (!cli_parse_seconds(optarg, &ho.tls_handshake_timeout)) rc = CLI_EXIT_USAGE;
      break;
    case 'h': usage(stdout); return 0;
    default: rc = CLI_EXIT_USAGE; break;
    }
    if (rc) break;
  }
  if (!rc && argc - optind > 1) rc = CLI_EXIT_USAGE;
  if (rc) {
    fprintf(stderr, "gale serve: bad arguments\n");
    usage(stderr);
    return rc;
  }
  if (!realpath(optind < argc ? argv[optind] : ".", root)) {
    fprintf(stderr, "gale serve: %s: %s\n", optind < argc ? argv[optind] : ".", strerror(errno));
    return CLI_EXIT_USAGE;
  }
  route.files.root = root;
  if (quiet) gale_log_set_level(GALE_LOG_ERROR);

  gale_loop *loop = gale_loop_new();
  gale_web_app_options ao;
  gale_web_app_options_init(&ao);
  gale_web_app *app = loop ? gale_web_app_new(&ao) : NULL;
  gale_http_server *server = NULL;
  serve_stop stop = {.loop = loop, .quiet = quiet};
  gale_signal *sigterm = NULL, *sigint = NULL;
  if (!app || gale_web_app_add(app, "/(.*)", &serve_handler, &route, NULL) != GALE_OK ||
      gale_signal_new(loop, SIGTERM, on_stop_signal, &stop, &sigterm) != GALE_OK ||
      gale_signal_new(loop, SIGINT, on_stop_signal, &stop, &sigint) != GALE_OK) {
    fprintf(stderr, "gale serve: out of memory\n");
    rc = CLI_EXIT_NOMEM;
  } else if ((rc = gale_web_app_listen(app, loop, (int)port, address, &ho, &server)) != GALE_OK) {
    fprintf(stderr, "gale serve: cannot listen on %s port %ld: %s\n", address ? address : "*", port,
            gale_strerror(rc));
    rc = CLI_EXIT_FAILED;
  } else {
    const char *shown = address ? address : "0.0.0.0";
    bool v6 = strchr(shown, ':') != NULL;
    fprintf(stderr, "Serving %s on http://%s%s%s:%d/ (Ctrl-C to stop)\n", root, v6 ? "[" : "",
            shown, v6 ? "]" : "", gale_http_server_port(server));
    fflush(stderr);
    stop.server = server;
    rc = gale_loop_run(loop) == GALE_OK ? CLI_OK : CLI_EXIT_FAILED;
    if (!quiet) fprintf(stderr, "gale serve: stopped\n");
  }
  gale_signal_free(sigterm);
  gale_signal_free(sigint);
  gale_http_server_free(server);
  /* Connections cut by a second signal finish closing, and the server's
   * memory goes with the last of them, on the loop's next turns. */
  for (int i = 0; loop && i < 3; i++) gale_loop_run_once(loop, 0);
  gale_web_app_free(app);
  gale_loop_free(loop);
  return rc;
}
