/* SPDX-License-Identifier: MIT */
/* gale fetch's own pieces, shared by its files: fetch_opts.c (the command
 * line), fetch_form.c (-F), fetch_xfer.c (one transfer: request, callbacks,
 * output) and fetch.c (the driver). */
#ifndef GALE_TOOLS_FETCH_H
#define GALE_TOOLS_FETCH_H

#include "cli.h"

#include <time.h>

#include "gale/multipart.h"

typedef struct transfer transfer;

typedef struct fetch_cli {
  gale_loop *loop;
  gale_http_client *client;
  /* options */
  const char *method;
  gale_headers *headers;
  gale_buf data;
  bool have_data, get_data;
  gale_multipart_enc *form; /* -F; NULL when there is none */
  const char *form_body;    /* set once the form is finished */
  size_t form_len;
  const char *upload_file;
  bool follow;
  long max_redirs;
  bool include, head, silent, show_error, verbose, insecure, compressed, fail, parallel;
  long parallel_max;
  const char *cacert, *cert, *key, *user, *user_agent, *referer, *proxy, *proxy_user;
  const char *write_out, *iface, *dump_header;
  const char *unix_socket; /* --unix-socket PATH */
  double connect_timeout, max_time;
  uint64_t max_filesize;
  time_t time_cond;
  bool ipv4_only, ipv6_only;
  int http_version; /* GALE_HTTP_VERSION_*: --http1.1, --http2, --http2-prior-knowledge */
  char *proxy_host;
  int proxy_port;
  char *user_name, *user_pass, *proxy_name, *proxy_pass;
  /* the command line's -o/-O and --resolve, in order (argc-sized) */
  const char **outs;
  bool *remote;
  size_t nouts;
  char **resolves;
  size_t nresolves;
  /* transfers */
  transfer *xfers;
  size_t nxfers, next, running, done;
  int exit_code;
  FILE *dump;
} fetch_cli;

struct transfer {
  fetch_cli *cli;
  const char *url;
  const char *outname; /* -o / -O, NULL: stdout */
  bool remote_name;
  FILE *out;
  bool out_owned;
  int last_code;
  int64_t content_length;
  uint64_t received;
  bool write_failed;
  bool http_failed;
  cli_progress progress;
  bool show_progress;
  FILE *upload;
};

/* fetch_opts.c: parses argv into `c` (options from optind up to the URLs).
 * Returns 0, an exit code on a bad option, or -1 after printing --help. */
int fetch_parse_options(fetch_cli *c, int argc, char **argv);
/* Prints "gale: <fmt with arg>" and the --help hint; returns CLI_EXIT_USAGE. */
int fetch_usage_error(const char *fmt, const char *arg);
/* --resolve HOST:PORT:ADDR[,ADDR...] into the client's resolver. */
int fetch_add_resolve(fetch_cli *c, const char *arg);

/* fetch_form.c: one -F argument (NAME=VALUE, NAME=@FILE[;type=T],
 * NAME=<FILE[;type=T]) appended to c->form.  Returns 0 or an exit code. */
int fetch_add_form(fetch_cli *c, const char *arg);
/* Closes the -F body into c->form_body/form_len (once).  GALE_OK or error. */
int fetch_form_finish(fetch_cli *c);

/* fetch_xfer.c: starts transfers until the parallel limit; stops the loop
 * when all are done. */
void fetch_start_next(fetch_cli *c);
/* The request method shown by -w's %{method}. */
const char *fetch_method(const fetch_cli *c);

#endif
