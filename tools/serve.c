/* SPDX-License-Identifier: MIT */
/* gale serve: serves a directory over HTTP with the web layer's static file
 * handler (like `python3 -m http.server`), one access log line per request
 * on stderr.  Directories without index.html get a listing
 * (serve_listing.c); everything else — ranges, HEAD, ETags, refusing
 * traversal — is the static handler's. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gale/web.h"
#include "serve.h"

static void usage(FILE *out) {
  fputs("Usage: gale serve [options] [DIR]\n"
        "Serves DIR (default: the current directory) over HTTP: files with their\n"
        "content type, ranges and conditional GETs; index.html for a directory, or a\n"
        "listing of it.  One access log line per request on stderr.  Ctrl-C or\n"
        "SIGTERM stops it gracefully: no new connections, idle ones closed, requests\n"
        "and downloads in flight get up to 30 s to finish, then exit 0; a second\n"
        "signal stops at once.  Under systemd socket activation (LISTEN_FDS) it\n"
        "accepts on the sockets handed over instead of -p/-b/--unix, and tells\n"
        "NOTIFY_SOCKET READY, STOPPING and WATCHDOG.  SIGHUP restarts with no downtime:\n"
        "the binary now at this one's path runs with the same arguments and the\n"
        "listening sockets; once it accepts this process drains and exits (if it\n"
        "fails to start, this one keeps serving).\n"
        "  -p, --port PORT       port to listen on (default 8000; 0 picks a free one)\n"
        "  -b, --bind ADDRESS    address to listen on (default: all interfaces)\n"
        "      --unix PATH       listen on a unix domain socket at PATH instead of TCP\n"
        "                        (a stale socket there is replaced, any other file refused)\n"
        "      --unix-mode MODE  its permissions, octal (default 0777 less the umask)\n"
        "      --workers N       run N worker processes on the sockets (0: one per CPU),\n"
        "                        restarted when they die; SIGHUP replaces them one at a\n"
        "                        time, SIGTERM stops them in order\n"
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
        "      --proxy-protocol  expect a PROXY protocol header (v1 or v2, HAProxy's\n"
        "                        send-proxy) on every connection: the access log and\n"
        "                        handlers see the client's address; connections without\n"
        "                        one are closed\n"
        "      --cert FILE       serve HTTPS with this PEM certificate chain (leaf first)\n"
        "      --key FILE        and this PEM private key (both needed together)\n"
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
  /* Only a path ending in '/' can get a listing: the static handler
   * answers a directory named without one by redirecting to it, so most
   * requests (files) skip the listing's stat. */
  const char *path = gale_web_path(h);
  size_t plen = strlen(path);
  if (r->listing && (plen == 0 || path[plen - 1] == '/') && cli_serve_listing(h, r->files.root))
    return;
  gale_web_static_handler.get(h);
}

static const gale_web_handler_class serve_handler = {.name = "ServeHandler", .get = serve_get};

/* The HTTPS context.  ALPN offers h2 first (the server has http2 on), then
 * http/1.1 for clients without it. */
static int serve_tls_ctx(const char *cert, const char *key, gale_tls_ctx **out) {
  static const char *const alpn[] = {"h2", "http/1.1"};
  gale_tls_server_options to;
  gale_tls_server_options_init(&to);
  to.alpn = alpn;
  to.alpn_count = sizeof alpn / sizeof alpn[0];
  int rc = gale_tls_ctx_new_server(cert, key, &to, out);
  if (rc == GALE_OK) return CLI_OK;
  if (rc == GALE_ETLS_CONFIG)
    fprintf(stderr, "gale serve: %s\n", gale_tls_config_error());
  else
    fprintf(stderr, "gale serve: TLS with %s and %s: %s\n", cert, key, gale_strerror(rc));
  return rc == GALE_ENOMEM ? CLI_EXIT_NOMEM : CLI_EXIT_FAILED;
}

/* The HTTP server for the app, not yet listening (gale_web_app_listen's
 * set-up without its listen: the sockets come from cli_serve_listen). */
static int serve_server_new(gale_web_app *app, gale_loop *loop, const gale_http_server_options *ho,
                            gale_http_server **out) {
  gale_http_server_options o = *ho;
  o.headers_cb = gale_web_app_headers_cb;
  if (gale_http_server_new(loop, &o, gale_web_app_request_cb, app, out) == GALE_OK) return CLI_OK;
  fprintf(stderr, "gale serve: out of memory\n");
  return CLI_EXIT_NOMEM;
}

#define DRAIN_TIMEOUT 30.0 /* seconds in-flight requests get to finish on a stop */

/* SIGTERM / SIGINT: the first stops accepting and lets what is in flight
 * finish (at most DRAIN_TIMEOUT), the second stops now. */
typedef struct serve_stop {
  gale_loop *loop;
  gale_http_server *server;
  int signals;
  bool quiet;
  cli_serve_restart *restart;
} serve_stop;

static void drained(gale_http_server *server, void *arg) {
  (void)server;
  gale_loop_stop(((serve_stop *)arg)->loop);
}

static void on_stop_signal(gale_signal *sig, int signum, void *arg) {
  (void)sig;
  serve_stop *st = arg;
  if (!st->signals) cli_serve_notify("STOPPING=1");
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

/* An octal file mode, 0 to 07777. */
static bool parse_mode(const char *s, long *out) {
  char *end;
  if (!*s) return false;
  long v = strtol(s, &end, 8);
  if (*end || v < 0 || v > 07777) return false;
  *out = v;
  return true;
}

/* The new process accepts (SIGHUP): drain as on SIGTERM, but a later
 * SIGTERM still gets its own graceful answer count. */
static void start_drain(void *arg) {
  serve_stop *st = arg;
  if (st->signals || !st->server) return;
  st->signals++;
  if (gale_http_server_shutdown(st->server, DRAIN_TIMEOUT, drained, st) != GALE_OK)
    gale_loop_stop(st->loop);
}

static void on_hup(gale_signal *sig, int signum, void *arg) {
  (void)sig;
  (void)signum;
  serve_stop *st = arg;
  if (st->signals || !st->server) return; /* already stopping */
  cli_serve_restart_start(st->restart, gale_http_server_tcp(st->server));
}

/* --workers: the supervisor keeps copies of the listening sockets and
 * frees its own server (it never accepts). */
static int serve_supervise(gale_loop *loop, gale_http_server **server, cli_serve_restart *r,
                           long workers, bool quiet) {
  int fds[GALE_MAX_LISTEN_SOCKETS];
  size_t n = gale_tcp_server_sockets(gale_http_server_tcp(*server), fds, GALE_MAX_LISTEN_SOCKETS);
  if (n > GALE_MAX_LISTEN_SOCKETS) n = GALE_MAX_LISTEN_SOCKETS;
  for (size_t i = 0; i < n; i++) {
    fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
    if (fds[i] < 0) {
      fprintf(stderr, "gale serve: dup: %s\n", strerror(errno));
      while (i--) close(fds[i]);
      return CLI_EXIT_FAILED;
    }
  }
  gale_http_server_free(*server);
  *server = NULL;
  for (int i = 0; i < 3; i++) gale_loop_run_once(loop, 0);
  int rc = cli_serve_supervise(loop, fds, n, r, workers, quiet);
  for (size_t i = 0; i < n; i++) close(fds[i]);
  return rc;
}

typedef struct serve_args {
  cli_serve_conf conf;
  long workers;
  const char *cert, *key, *dir;
  bool quiet, listing;
  gale_http_server_options ho;
} serve_args;

/* Parses the command line into *a.  Returns CLI_OK, -1 after printing
 * --help, or CLI_EXIT_USAGE (after saying so). */
static int parse_args(int argc, char **argv, serve_args *a) {
  static const struct option opts[] = {{"port", required_argument, NULL, 'p'},
                                       {"bind", required_argument, NULL, 'b'},
                                       {"no-listing", no_argument, NULL, 'L'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"max-connections", required_argument, NULL, 'C'},
                                       {"max-body-buffer", required_argument, NULL, 'B'},
                                       {"header-timeout", required_argument, NULL, 'H'},
                                       {"handshake-timeout", required_argument, NULL, 'T'},
                                       {"cert", required_argument, NULL, 'c'},
                                       {"proxy-protocol", no_argument, NULL, 'P'},
                                       {"unix", required_argument, NULL, 'u'},
                                       {"workers", required_argument, NULL, 'w'},
                                       {"unix-mode", required_argument, NULL, 'm'},
                                       {"key", required_argument, NULL, 'k'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  memset(a, 0, sizeof *a);
  a->conf.port = 8000;
  a->conf.unix_mode = -1;
  a->workers = 1;
  a->listing = true;
  gale_http_server_options_init(&a->ho);
  a->ho.http2 = true; /* h2c with prior knowledge beside HTTP/1.1; h2 by ALPN over TLS */
  long mode = 0;
  uint64_t size = 0;
  long count = 0;
  int opt, rc = 0;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "p:b:qh", opts, NULL)) != -1) {
    switch (opt) {
    case 'p':
      if (!cli_parse_int(optarg, 0, 65535, &a->conf.port)) rc = CLI_EXIT_USAGE;
      break;
    case 'b': a->conf.address = optarg; break;
    case 'u': a->conf.unix_path = optarg; break;
    case 'w':
      if (!cli_parse_int(optarg, 0, 1024, &a->workers)) rc = CLI_EXIT_USAGE;
      break;
    case 'm':
      if (!parse_mode(optarg, &mode)) rc = CLI_EXIT_USAGE;
      a->conf.unix_mode = (int)mode;
      break;
    case 'L': a->listing = false; break;
    case 'q': a->quiet = true; break;
    case 'C':
      if (!cli_parse_int(optarg, 0, LONG_MAX, &count)) rc = CLI_EXIT_USAGE;
      a->ho.max_connections = (size_t)count;
      break;
    case 'B':
      if (!cli_parse_size(optarg, &size) || size > SIZE_MAX) rc = CLI_EXIT_USAGE;
      a->ho.max_body_buffer = (size_t)size;
      break;
    case 'H':
      if (!cli_parse_seconds(optarg, &a->ho.header_timeout)) rc = CLI_EXIT_USAGE;
      break;
    case 'T':
      if (!cli_parse_seconds(optarg, &a->ho.tls_handshake_timeout)) rc = CLI_EXIT_USAGE;
      break;
    case 'c': a->cert = optarg; break;
    case 'P': a->ho.proxy_protocol = true; break;
    case 'k': a->key = optarg; break;
    case 'h': usage(stdout); return -1;
    default: rc = CLI_EXIT_USAGE; break;
    }
    if (rc) break;
  }
  if (!rc && argc - optind > 1) rc = CLI_EXIT_USAGE;
  if (!rc && !a->cert != !a->key) {
    fprintf(stderr, "gale serve: --cert and --key go together\n");
    rc = CLI_EXIT_USAGE;
  }
  if (rc) {
    fprintf(stderr, "gale serve: bad arguments\n");
    usage(stderr);
    return rc;
  }
  a->dir = optind < argc ? argv[optind] : ".";
  return CLI_OK;
}

int cli_serve_main(int argc, char **argv) {
  serve_args args;
  int rc = parse_args(argc, argv, &args);
  if (rc) return rc < 0 ? CLI_OK : rc;
  cli_serve_conf conf = args.conf;
  long workers = args.workers;
  bool worker = false, quiet = args.quiet;
  gale_http_server_options ho = args.ho;
  serve_route route = {.files = {.default_filename = "index.html"}, .listing = args.listing};
  char root[PATH_MAX];
  if (!realpath(args.dir, root)) {
    fprintf(stderr, "gale serve: %s: %s\n", args.dir, strerror(errno));
    return CLI_EXIT_USAGE;
  }
  route.files.root = root;
  if (getenv("GALE_SERVE_WORKER")) {
    /* One of a supervisor's workers: serve as one process; SIGHUP is the
     * supervisor's to act on. */
    workers = 1;
    worker = true;
    unsetenv("GALE_SERVE_WORKER");
    signal(SIGHUP, SIG_IGN);
  }
  if (args.cert && (rc = serve_tls_ctx(args.cert, args.key, &ho.tls)) != CLI_OK) return rc;
  if (quiet) gale_log_set_level(GALE_LOG_ERROR);

  gale_loop *loop = gale_loop_new();
  gale_web_app_options ao;
  gale_web_app_options_init(&ao);
  gale_web_app *app = loop ? gale_web_app_new(&ao) : NULL;
  gale_http_server *server = NULL;
  serve_stop stop = {.loop = loop, .quiet = quiet};
  gale_signal *sigterm = NULL, *sigint = NULL, *sighup = NULL;
  cli_serve_restart restart;
  bool can_restart =
      loop && cli_serve_restart_init(&restart, loop,
                                     argv - 1 /* "gale" "serve" ...: run again whole */) == CLI_OK;
  restart.on_ready = start_drain;
  restart.arg = &stop;
  stop.restart = &restart;
  gale_periodic *watchdog = NULL;
  size_t activated = 0; /* sockets from systemd */
  if (!app || gale_web_app_add(app, "/(.*)", &serve_handler, &route, NULL) != GALE_OK ||
      gale_signal_new(loop, SIGTERM, on_stop_signal, &stop, &sigterm) != GALE_OK ||
      gale_signal_new(loop, SIGINT, on_stop_signal, &stop, &sigint) != GALE_OK ||
      (can_restart && workers == 1 && !worker &&
       gale_signal_new(loop, SIGHUP, on_hup, &stop, &sighup) != GALE_OK)) {
    fprintf(stderr, "gale serve: out of memory\n");
    rc = CLI_EXIT_NOMEM;
  } else if ((rc = serve_server_new(app, loop, &ho, &server)) != CLI_OK ||
             (rc = cli_serve_inherited_sockets(gale_http_server_tcp(server), &activated)) !=
                 CLI_OK ||
             (!activated && (rc = cli_serve_systemd_sockets(gale_http_server_tcp(server),
                                                            &activated)) != CLI_OK) ||
             (!activated &&
              (rc = cli_serve_listen(gale_http_server_tcp(server), &conf)) != CLI_OK) ||
             (rc = cli_serve_watchdog_start(loop, &watchdog)) != CLI_OK) {
    /* said why */
  } else {
    char where[1024];
    cli_serve_describe(gale_http_server_tcp(server), ho.tls != NULL, where, sizeof where);
    if (!activated && !conf.unix_path &&
        !conf.address) /* both families, as before: name IPv4's wildcard */
      snprintf(where, sizeof where, "%s://0.0.0.0:%d/", ho.tls ? "https" : "http",
               gale_http_server_port(server));
    fprintf(stderr, "Serving %s on %s (Ctrl-C to stop)\n", root, where);
    fflush(stderr);
    stop.server = server;
    if (workers != 1 && can_restart) {
      gale_signal_free(sigterm);
      gale_signal_free(sigint);
      gale_signal_free(sighup);
      sigterm = sigint = sighup = NULL;
      rc = serve_supervise(loop, &server, &restart, workers, quiet);
      goto done;
    }
    char status[1100];
    snprintf(status, sizeof status, "READY=1\nSTATUS=Serving on %s", where);
    cli_serve_notify(status);
    cli_serve_inherited_ready();
    rc = gale_loop_run(loop) == GALE_OK ? CLI_OK : CLI_EXIT_FAILED;
    if (!quiet) fprintf(stderr, "gale serve: stopped\n");
  }
done:
  gale_signal_free(sigterm);
  gale_signal_free(sigint);
  gale_signal_free(sighup);
  if (can_restart) cli_serve_restart_free(&restart);
  gale_periodic_free(watchdog);
  gale_http_server_free(server);
  /* Connections cut by a second signal finish closing, and the server's
   * memory goes with the last of them, on the loop's next turns. */
  for (int i = 0; loop && i < 3; i++) gale_loop_run_once(loop, 0);
  gale_web_app_free(app);
  gale_loop_free(loop);
  gale_tls_ctx_unref(ho.tls);
  return rc;
}
