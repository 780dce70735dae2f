/* gale serve: serves a directory over HTTP with the web layer's static file
 * handler (like `python3 -m http.server`), one access log line per request
 * on stderr.  Directories without index.html get a listing
 * (serve_listing.c); everything else — ranges, HEAD, ETags, refusing
 * traversal — is the static handler's. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "gale/web.h"

static void usage(FILE *out) {
  fputs("Usage: gale serve [options] [DIR]\n"
        "Serves DIR (default: the current directory) over HTTP: files with their\n"
        "content type, ranges and conditional GETs; index.html for a directory, or a\n"
        "listing of it.  One access log line per request on stderr.  Ctrl-C or\n"
        "SIGTERM stops it (exit 0).\n"
        "  -p, --port PORT       port to listen on (default 8000; 0 picks a free one)\n"
        "  -b, --bind ADDRESS    address to listen on (default: all interfaces)\n"
        "      --no-listing      answer 403 for directories without index.html\n"
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

int cli_serve_main(int argc, char **argv) {
  static const struct option opts[] = {{"port", required_argument, NULL, 'p'},
                                       {"bind", required_argument, NULL, 'b'},
                                       {"no-listing", no_argument, NULL, 'L'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  long port = 8000;
  const char *address = NULL;
  bool quiet = false;
  serve_route route = {.files = {.default_filename = "index.html"}, .listing = true};
  char root[PATH_MAX];
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
  if (!app || gale_web_app_add(app, "/(.*)", &serve_handler, &route, NULL) != GALE_OK ||
      gale_loop_stop_on_signals(loop) != GALE_OK) {
    fprintf(stderr, "gale serve: out of memory\n");
    rc = CLI_EXIT_NOMEM;
  } else if ((rc = gale_web_app_listen(app, loop, (int)port, address, NULL, &server)) != GALE_OK) {
    fprintf(stderr, "gale serve: cannot listen on %s port %ld: %s\n", address ? address : "*", port,
            gale_strerror(rc));
    rc = CLI_EXIT_FAILED;
  } else {
    const char *shown = address ? address : "0.0.0.0";
    bool v6 = strchr(shown, ':') != NULL;
    fprintf(stderr, "Serving %s on http://%s%s%s:%d/ (Ctrl-C to stop)\n", root, v6 ? "[" : "",
            shown, v6 ? "]" : "", gale_http_server_port(server));
    fflush(stderr);
    rc = gale_loop_run(loop) == GALE_OK ? CLI_OK : CLI_EXIT_FAILED;
    if (!quiet) fprintf(stderr, "gale serve: stopped\n");
  }
  gale_http_server_free(server);
  gale_web_app_free(app);
  gale_loop_free(loop);
  return rc;
}
