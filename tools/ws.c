/* SPDX-License-Identifier: MIT */
/* gale ws: a WebSocket client on the terminal, websocat style.  Each line
 * of stdin goes out as a text message (--binary: each chunk read as a
 * binary message); each message received is written to stdout followed by
 * a newline.  stdin's end sends a normal close; the tool exits once the
 * server's close arrives.  Built on gale_websocket_connect only. */
#include "cli.h"
#include "gale/url.h"

#include <errno.h>
#include <stdio.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define WS_EXIT_CLOSED 4 /* closed with a code other than 1000, or dropped */
#define WS_EOF_PING "gale-ws-eof"
#define WS_QUIET 0.1 /* seconds without a message before closing at EOF */

static void usage(FILE *out) {
  fputs("Usage: gale ws [options] URL\n"
        "Connects to a ws:// or wss:// URL.  Each line of stdin is sent as a text\n"
        "message; each message received is written to stdout followed by a newline.\n"
        "At the end of stdin gale ws pings the server and, once the pong and then\n"
        "0.1 s without a message came (answers to the last lines arrive meanwhile:\n"
        "a closing WebSocket drops messages), sends a normal close (1000); it exits\n"
        "once the server has answered it.\n"
        "  -H, --header 'NAME: VALUE'  an extra request header (repeatable)\n"
        "      --subprotocol NAME      offer a subprotocol (repeatable, in order)\n"
        "      --origin ORIGIN         send an Origin header\n"
        "      --compress              offer permessage-deflate\n"
        "      --binary                send stdin in binary messages, as read\n"
        "      --ping-interval SECS    ping the server every SECS seconds\n"
        "      --max-message-size N    largest message accepted (k/M/G; default 10M)\n"
        "      --connect-timeout SECS  for the whole handshake (default 20)\n"
        "  -x, --proxy [http://][USER:PASS@]HOST[:PORT]  tunnel through an HTTP proxy\n"
        "                              with CONNECT (port 8080 by default)\n"
        "  -U, --proxy-user USER:PASS  the proxy's credentials (Basic)\n"
        "  -k, --insecure              do not verify the server's certificate\n"
        "      --cacert FILE           trust the CAs of FILE (PEM) for wss://\n"
        "  -v, --verbose               the handshake and the close on stderr\n"
        "  -h, --help                  this text\n"
        "Exit codes:\n"
        "   0 the connection closed normally (1000)\n"
        "   1 other failure             2 bad option or argument\n"
        "   3 malformed or non-ws URL   4 closed with another code, or dropped\n"
        "   5 could not resolve the proxy\n"
        "   6 could not resolve host    7 failed to connect (refused, unreachable)\n"
        "   8 invalid handshake answer (not a WebSocket server)\n"
        "  22 the server answered the handshake with an HTTP status, not 101\n"
        "  28 timeout                  35 TLS handshake failed\n"
        "  56 the proxy refused CONNECT (its status is printed: 407 wants -U)\n"
        "  60 server certificate verification failed   77 the CA file is unreadable\n",
        out);
}

typedef struct ws_tool {
  gale_loop *loop;
  gale_websocket *ws;
  gale_watcher *in_watch;
  bool binary, verbose, eof, closed;
  int close_code;
  gale_buf line;     /* a text line not ended yet */
  gale_timer *quiet; /* after EOF's pong: closes when it fires */
  bool eof_pong;
  int status; /* exit code once known */
} ws_tool;

static void quiet_over(gale_loop *loop, void *arg) {
  (void)loop;
  ws_tool *t = arg;
  t->quiet = NULL;
  gale_websocket_close(t->ws, GALE_WS_NORMAL, NULL);
}

static void arm_quiet(ws_tool *t, double seconds) {
  if (t->quiet) gale_timer_cancel(t->quiet);
  t->quiet = NULL;
  if (gale_loop_call_later(t->loop, seconds, quiet_over, t, &t->quiet) != GALE_OK)
    gale_websocket_close(t->ws, GALE_WS_NORMAL, NULL);
}

/* (Re)starts the quiet wait once EOF's ping was answered. */
static void rearm_quiet(ws_tool *t) {
  if (t->eof_pong) arm_quiet(t, WS_QUIET);
}

static void on_pong(gale_websocket *ws, const char *data, size_t len) {
  ws_tool *t = gale_websocket_get_user_data(ws);
  if (!t->eof || len != strlen(WS_EOF_PING) || memcmp(data, WS_EOF_PING, len) != 0) return;
  t->eof_pong = true;
  rearm_quiet(t);
}

static void on_message(gale_websocket *ws, const char *data, size_t len, bool binary) {
  (void)binary;
  rearm_quiet(gale_websocket_get_user_data(ws));
  if (fwrite(data, 1, len, stdout) != len || fputc('\n', stdout) == EOF || fflush(stdout) != 0) {
    fprintf(stderr, "gale ws: writing stdout: %s\n", strerror(errno));
    gale_websocket_close(ws, GALE_WS_GOING_AWAY, NULL);
  }
}

static void on_close(gale_websocket *ws, int code, const char *reason) {
  ws_tool *t = gale_websocket_get_user_data(ws);
  t->closed = true;
  t->close_code = code;
  if (code != GALE_WS_NORMAL)
    fprintf(stderr, "gale ws: connection closed with %d%s%s\n", code, *reason ? ": " : "", reason);
  else if (t->verbose)
    fprintf(stderr, "* closed with 1000%s%s\n", *reason ? ": " : "", reason);
  t->status = code == GALE_WS_NORMAL ? CLI_OK : WS_EXIT_CLOSED;
  if (t->quiet) gale_timer_cancel(t->quiet);
  t->quiet = NULL;
  gale_loop_stop(t->loop);
}

static void send_text(ws_tool *t, const char *p, size_t n) {
  if (n && p[n - 1] == '\r') n--; /* CRLF input */
  int rc = gale_websocket_write_message(t->ws, p, n, false, NULL);
  if (rc == GALE_EINVAL) fprintf(stderr, "gale ws: a line is not UTF-8 (use --binary): skipped\n");
}

static void end_of_input(ws_tool *t) {
  t->eof = true;
  if (t->in_watch) gale_watcher_free(t->in_watch);
  t->in_watch = NULL;
  if (t->line.len) send_text(t, t->line.data, t->line.len);
  gale_buf_release(&t->line);
  if (gale_websocket_ping(t->ws, WS_EOF_PING, strlen(WS_EOF_PING)) != GALE_OK)
    gale_websocket_close(t->ws, GALE_WS_NORMAL, NULL);
  else
    arm_quiet(t, GALE_WS_DEFAULT_CLOSE_TIMEOUT); /* a server that never answers pings */
}

/* One read of stdin; false once it ended. */
static bool read_input(ws_tool *t) {
  char buf[65536];
  ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
  if (n <= 0 || gale_websocket_closing(t->ws)) {
    if (!t->eof) end_of_input(t);
    return false;
  }
  if (t->binary) {
    gale_websocket_write_message(t->ws, buf, (size_t)n, true, NULL);
    return true;
  }
  const char *p = buf, *end = buf + n;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t take = nl ? (size_t)(nl - p) : (size_t)(end - p);
    if (nl && !t->line.len) {
      send_text(t, p, take);
    } else if (gale_buf_append(&t->line, p, take) == GALE_OK && nl) {
      send_text(t, t->line.data, t->line.len);
      gale_buf_reset(&t->line);
    }
    p += take + (nl ? 1 : 0);
  }
  return true;
}

static void on_stdin(gale_watcher *w, int fd, int events, void *arg) {
  (void)w;
  (void)fd;
  (void)events;
  read_input(arg);
}

/* A regular file or /dev/null cannot be watched (epoll refuses it): it is
 * read a chunk per loop turn instead, which never blocks. */
static void pump_file(gale_loop *loop, void *arg) {
  ws_tool *t = arg;
  if (read_input(t)) gale_loop_call_later(loop, 0, pump_file, t, NULL);
}

static void start_input(ws_tool *t) {
  struct stat st;
  bool file = fstat(STDIN_FILENO, &st) == 0 && !S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode) &&
              !S_ISCHR(st.st_mode);
  if (!file &&
      gale_watcher_new(t->loop, STDIN_FILENO, GALE_READ, on_stdin, t, &t->in_watch) == GALE_OK)
    return;
  gale_loop_call_later(t->loop, 0, pump_file, t, NULL);
}

/* A handshake the server broke (a 101 failing RFC 6455 §4.1, or a close
 * before its head ended) exits 8, as curl's "weird server reply". */
static int connect_status(int status, bool cacert, bool proxy) {
  if (status == GALE_EWS_REFUSED) return CLI_EXIT_HTTP_ERROR;
  if (status == GALE_EHTTP_PROXY) return CLI_EXIT_RECV;
  if (proxy && status <= GALE_EDNS_NXDOMAIN && status >= GALE_EDNS) return CLI_EXIT_PROXY_RESOLVE;
  if (status == GALE_EHTTP_PARSE || status == GALE_EOF || status == GALE_EWS_HANDSHAKE ||
      status == GALE_EHTTP_HEAD_TRUNCATED || status == GALE_EHTTP_HEADER_TOO_LARGE)
    return 8;
  if (status == GALE_ETLS_CONFIG && cacert) return CLI_EXIT_CACERT;
  return cli_exit_code(status);
}

/* "Name: value" with a name, as -H takes it (the connect checks the rest). */
static bool header_ok(const char *arg) {
  const char *colon = strchr(arg, ':');
  return colon && colon != arg;
}

static int run(ws_tool *t, const char *url, gale_websocket_connect_options *o, bool cacert) {
  o->on_message = on_message;
  o->on_close = on_close;
  o->on_pong = on_pong;
  o->user_data = t;
  gale_websocket_connect_info info;
  o->info = &info;
  int st = 0;
  gale_future *f = gale_websocket_connect(t->loop, url, o, &st);
  if (!f) {
    fprintf(stderr, "gale ws: cannot connect to %s: %s\n", url, gale_strerror(st));
    if (st == GALE_EURL || st == GALE_ENOTSUP) return 3; /* curl's URL malformat */
    return st == GALE_EINVAL ? CLI_EXIT_USAGE : connect_status(st, cacert, o->proxy_host);
  }
  gale_loop_run_until_complete(t->loop, f, 0);
  st = gale_future_status(f);
  if (st != GALE_OK) {
    if (st == GALE_EWS_REFUSED)
      fprintf(stderr, "gale ws: %s: the server refused the handshake: HTTP %d %s\n", url,
              info.http_status, info.reason);
    else if (st == GALE_EHTTP_PROXY && info.proxy_status)
      fprintf(stderr, "gale ws: %s: the proxy refused CONNECT: HTTP %d (%s)\n", url,
              info.proxy_status, info.error);
    else
      fprintf(stderr, "gale ws: %s: %s\n", url, info.error[0] ? info.error : gale_strerror(st));
    gale_future_unref(f);
    return connect_status(st, cacert, o->proxy_host);
  }
  t->ws = gale_future_result(f);
  if (t->verbose) {
    const char *proto = gale_websocket_subprotocol(t->ws);
    fprintf(stderr, "* connected to %s: 101 Switching Protocols\n", url);
    fprintf(stderr, "* subprotocol: %s\n* permessage-deflate: %s\n", proto ? proto : "(none)",
            gale_websocket_compressed(t->ws) ? "on" : "off");
  }
  t->status = CLI_EXIT_FAILED;
  start_input(t);
  if (!t->closed) gale_loop_run(t->loop);
  if (t->in_watch) gale_watcher_free(t->in_watch);
  t->in_watch = NULL;
  gale_buf_release(&t->line);
  gale_future_unref(f);
  return t->status;
}

int cli_ws_main(int argc, char **argv) {
  static const struct option opts[] = {{"header", required_argument, NULL, 'H'},
                                       {"subprotocol", required_argument, NULL, 'S'},
                                       {"origin", required_argument, NULL, 'O'},
                                       {"compress", no_argument, NULL, 'z'},
                                       {"binary", no_argument, NULL, 'b'},
                                       {"ping-interval", required_argument, NULL, 'P'},
                                       {"max-message-size", required_argument, NULL, 'M'},
                                       {"connect-timeout", required_argument, NULL, 'T'},
                                       {"insecure", no_argument, NULL, 'k'},
                                       {"cacert", required_argument, NULL, 'C'},
                                       {"verbose", no_argument, NULL, 'v'},
                                       {"proxy", required_argument, NULL, 'x'},
                                       {"proxy-user", required_argument, NULL, 'U'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  ws_tool t = {0};
  gale_buf_init(&t.line, 0);
  gale_websocket_connect_options o;
  gale_websocket_connect_options_init(&o);
  /* -H lines and the Origin go as header lines; at most 64 of them. */
  const char *headers[66];
  size_t nheaders = 0;
  const char *protos[33];
  size_t nprotos = 0;
  char origin[1024];
  gale_tls_client_options tls_opts;
  gale_tls_client_options_init(&tls_opts);
  uint64_t size = 0;
  cli_proxy px = {0};
  const char *why;
  bool proxy_given = false;
  int opt, rc = CLI_OK;
  optind = 1;
  while (rc == CLI_OK && (opt = getopt_long(argc, argv, "H:kvhx:U:", opts, NULL)) != -1) {
    switch (opt) {
    case 'H':
      if (nheaders == 64 || !header_ok(optarg))
        rc = CLI_EXIT_USAGE;
      else
        headers[nheaders++] = optarg;
      break;
    case 'S':
      if (nprotos == 32)
        rc = CLI_EXIT_USAGE;
      else
        protos[nprotos++] = optarg;
      break;
    case 'O':
      if ((size_t)snprintf(origin, sizeof(origin), "Origin: %s", optarg) >= sizeof(origin))
        rc = CLI_EXIT_USAGE;
      else
        headers[nheaders++] = origin;
      break;
    case 'z': o.ws.compression.enabled = true; break;
    case 'b': t.binary = true; break;
    case 'P':
      if (!cli_parse_seconds(optarg, &o.ws.ping_interval)) rc = CLI_EXIT_USAGE;
      break;
    case 'M':
      if (!cli_parse_size(optarg, &size) || size == 0) rc = CLI_EXIT_USAGE;
      o.ws.max_message_size = o.ws.max_frame_size = size;
      break;
    case 'T':
      if (!cli_parse_seconds(optarg, &o.connect_timeout)) rc = CLI_EXIT_USAGE;
      break;
    case 'k': tls_opts.insecure = true; break;
    case 'C': tls_opts.ca_file = optarg; break;
    case 'v': t.verbose = true; break;
    case 'x': /* "" turns the environment's proxy off, as curl */
      proxy_given = true;
      memset(&px, 0, sizeof px);
      if (*optarg && cli_parse_proxy(optarg, &px, &why) != 0) {
        fprintf(stderr, "gale ws: %s in '%s'\n", why, optarg);
        rc = CLI_EXIT_USAGE;
      }
      break;
    case 'U':
      if (!cli_proxy_userpass(&px, optarg)) rc = CLI_EXIT_USAGE;
      break;
    case 'h': usage(stdout); return CLI_OK;
    default: rc = CLI_EXIT_USAGE; break;
    }
  }
  if (rc == CLI_OK && optind != argc - 1) rc = CLI_EXIT_USAGE;
  if (rc != CLI_OK) {
    usage(stderr);
    return rc;
  }
  char *idn = NULL; /* the URL with an international host in ASCII */
  if ((rc = cli_idn_url(argv[optind], &idn)) != CLI_OK) return rc;
  const char *url = idn ? idn : argv[optind];
  headers[nheaders] = NULL;
  protos[nprotos] = NULL;
  o.headers = nheaders ? headers : NULL;
  o.subprotocols = nprotos ? protos : NULL;
  gale_tls_ctx *tls = NULL;
  if (strncmp(url, "wss://", 6) == 0) {
    if (gale_tls_ctx_new_client(&tls_opts, &tls) != GALE_OK) {
      fprintf(stderr, "gale ws: TLS setup failed: %s\n", gale_tls_config_error());
      free(idn);
      return tls_opts.ca_file ? CLI_EXIT_CACERT : CLI_EXIT_FAILED;
    }
    o.tls = tls;
  }
  if (!proxy_given) { /* http_proxy / https_proxy / ALL_PROXY / NO_PROXY */
    gale_url *u = NULL;
    cli_proxy env;
    if (gale_url_parse(url, strlen(url), &u) == GALE_OK && u->scheme && u->host) {
      rc = cli_proxy_from_env(u->scheme, u->host, NULL, &env);
      if (env.set) {
        if (px.user[0] || px.pass[0]) { /* -U still gives the credentials */
          memcpy(env.user, px.user, sizeof env.user);
          memcpy(env.pass, px.pass, sizeof env.pass);
        }
        px = env;
      }
    }
    gale_url_free(u);
    if (rc != CLI_OK) {
      gale_tls_ctx_unref(tls);
      free(idn);
      return rc;
    }
  }
  if (px.set) {
    o.proxy_host = px.host;
    o.proxy_port = px.port;
    o.proxy_username = px.user[0] || px.pass[0] ? px.user : NULL;
    o.proxy_password = px.pass;
  }
  t.loop = gale_loop_new();
  rc = t.loop ? run(&t, url, &o, tls_opts.ca_file != NULL) : CLI_EXIT_NOMEM;
  if (t.loop) gale_loop_free(t.loop);
  gale_tls_ctx_unref(tls);
  free(idn);
  return rc;
}
