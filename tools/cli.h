/* SPDX-License-Identifier: MIT */
/* Shared pieces of the `gale` command-line tool.  The tool uses only gale's
 * public API (DESIGN.md layer 5); these are its own helpers. */
#ifndef GALE_TOOLS_CLI_H
#define GALE_TOOLS_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "gale.h"
#include "gale/http_client.h"
#include "gale/httputil.h"
#include "gale/resolver.h"

/* Exit codes: curl's numbers where the meaning is the same (gale.1). */
enum {
  CLI_OK = 0,
  CLI_EXIT_FAILED = 1, /* unsupported protocol / other failure */
  CLI_EXIT_USAGE = 2,  /* bad option or argument */
  CLI_EXIT_URL = 3,    /* malformed URL */
  CLI_EXIT_PROXY_RESOLVE = 5,
  CLI_EXIT_RESOLVE = 6,     /* could not resolve host */
  CLI_EXIT_CONNECT = 7,     /* failed to connect */
  CLI_EXIT_WEIRD_REPLY = 8, /* the server's reply is not HTTP */
  CLI_EXIT_PARTIAL = 18,    /* body shorter than declared */
  CLI_EXIT_HTTP_ERROR = 22, /* -f and a code >= 400 */
  CLI_EXIT_WRITE = 23,      /* writing the output failed */
  CLI_EXIT_READ = 26,       /* reading an upload file failed */
  CLI_EXIT_RANGE = 33,      /* -C: the server does not do byte ranges */
  CLI_EXIT_NOMEM = 27,
  CLI_EXIT_TIMEOUT = 28,     /* any timeout */
  CLI_EXIT_TLS_CONNECT = 35, /* TLS handshake failed */
  CLI_EXIT_ABORTED = 42,     /* cancelled */
  CLI_EXIT_INTERFACE = 45,   /* --interface could not be bound */
  CLI_EXIT_REDIRECTS = 47,   /* too many redirects */
  CLI_EXIT_EMPTY_REPLY = 52, /* the server closed without answering */
  CLI_EXIT_SEND = 55,        /* sending failed */
  CLI_EXIT_RECV = 56,        /* receiving failed (reset, proxy CONNECT refused) */
  CLI_EXIT_TLS_CERT = 58,    /* client certificate or key unusable */
  CLI_EXIT_TLS_VERIFY = 60,  /* peer certificate verification failed */
  CLI_EXIT_ENCODING = 61,    /* bad content encoding */
  CLI_EXIT_FILESIZE = 63,    /* --max-filesize exceeded */
  CLI_EXIT_CACERT = 77,      /* the CA file could not be read */
};

/* The exit code for a fetch's final status (and HTTP code with -f). */
int cli_exit_code(int status);
/* curl-like one-line message for the exit code ("Could not resolve host"). */
const char *cli_exit_text(int code);

/* What -w knows about a transfer besides its response. */
typedef struct cli_xfer_info {
  int exitcode;    /* the transfer's exit code */
  const char *url; /* as given */
  const char *method;
  const char *filename; /* -o / -O's file; NULL: stdout */
  const char *referer;  /* -e; NULL: none */
  size_t urlnum;        /* 0-based index of the URL on the command line */
} cli_xfer_info;

/* -w: expands `fmt` for one finished transfer into `out` (and switches to
 * stderr on %{stderr}); %{json} and %{header_json} as curl 7.72/7.83. */
void cli_write_out(FILE *out, const char *fmt, const gale_http_response *resp,
                   const cli_xfer_info *x);

/* A proxy for a transfer (gale fetch -x, gale ws -x, or the environment). */
typedef struct cli_proxy {
  bool set;
  char host[256];
  int port;
  char user[256], pass[256]; /* both "" when there are no credentials */
} cli_proxy;

/* Parses [http://][USER:PASS@]HOST[:PORT][/] into px (HOST may be a
 * [bracketed] IPv6 address; PORT defaults to 8080).  Returns 0, or curl's
 * exit code with *why set: CLI_EXIT_CONNECT for a scheme other than
 * http://, CLI_EXIT_PROXY_RESOLVE when malformed. */
int cli_parse_proxy(const char *spec, cli_proxy *px, const char **why);
/* -U USER[:PASS] into px; false if too long. */
bool cli_proxy_userpass(cli_proxy *px, const char *s);
/* Whether `host` is exempt by the NO_PROXY-style list (curl's rules). */
bool cli_noproxy_match(const char *list, const char *host);
/* The proxy the environment gives a URL of `scheme` to `host`: https_proxy
 * (or HTTPS_PROXY) for https/wss, http_proxy (lowercase only, as curl)
 * otherwise, then all_proxy / ALL_PROXY; none when `noproxy` (NULL: the
 * no_proxy / NO_PROXY variable) matches.  px->set tells whether there is
 * one.  Returns 0, or cli_parse_proxy()'s exit code (message printed)
 * when the variable is malformed. */
int cli_proxy_from_env(const char *scheme, const char *host, const char *noproxy, cli_proxy *px);

/* idn.c: when url's host is not ASCII, *out gets the URL with the host in
 * its IDNA ASCII form (malloc'd); NULL when the URL is fine as it is.
 * Returns 0, CLI_EXIT_URL (message printed: not a valid name, or no
 * libidn2 in this build) or CLI_EXIT_NOMEM. */
int cli_idn_url(const char *url, char **out);

/* Progress bar on stderr (redrawn at most 10 times a second). */
typedef struct cli_progress {
  double start, last_draw;
  uint64_t done;
  int64_t total; /* -1: unknown */
  bool drawn;
  bool hash_bar; /* -#: curl's plain '#' bar (set before cli_progress_start) */
} cli_progress;

void cli_progress_start(cli_progress *p, double now);
void cli_progress_update(cli_progress *p, uint64_t done, int64_t total, double now);
/* Draws the final state and ends the line, if anything was drawn. */
void cli_progress_finish(cli_progress *p, double now);
/* Formats a byte count as "12.3 MiB" into buf. */
const char *cli_human_bytes(double bytes, char *buf, size_t size);

/* Seconds on a monotonic clock. */
double cli_now(void);

/* Parses a non-negative decimal number of seconds ("2", "0.5"); false if
 * malformed. */
bool cli_parse_seconds(const char *s, double *out);
/* Parses a size with an optional k/M/G suffix (powers of 1024). */
bool cli_parse_size(const char *s, uint64_t *out);
/* Parses a decimal integer in [lo, hi]. */
bool cli_parse_int(const char *s, long lo, long hi, long *out);

/* Reads a whole file ("-" = stdin) into a malloc'd buffer; NULL + errno. */
char *cli_read_file(const char *path, size_t *len);

int cli_fetch_main(int argc, char **argv);
int cli_bench_main(int argc, char **argv);
int cli_serve_main(int argc, char **argv);
int cli_ws_main(int argc, char **argv);

/* gale serve: answers a request for a directory under `root` (a real path)
 * that has no index.html with an HTML listing, or a redirect to the path
 * with a trailing '/'.  Returns false, having answered nothing, for
 * anything else (the static handler takes it). */
bool cli_serve_listing(gale_web_handler *h, const char *root);

#endif
