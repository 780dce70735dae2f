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
typedef struct fetch_cookie fetch_cookie;

typedef struct fetch_cli {
  gale_loop *loop;
  gale_http_client *client;
  /* options */
  const char *method;
  gale_headers *headers;
  gale_headers *removed; /* -H "Name:": names not to send (values empty) */
  gale_buf data;
  bool have_data, get_data;
  gale_multipart_enc *form; /* -F; NULL when there is none */
  const char *form_body;    /* set once the form is finished */
  size_t form_len;
  const char *upload_file;
  bool follow;
  int post_redirects; /* --post301/302/303: GALE_HTTP_POST_* */
  long max_redirs;
  bool include, head, silent, show_error, verbose, insecure, compressed, fail, parallel;
  bool fail_with_body; /* --fail-with-body: exit 22 on >= 400, the body still written */
  bool json;           /* --json: -d's data is JSON (no '&' joins, JSON types) */
  const char *range;   /* -r */
  bool resume_auto;    /* -C -: resume from the output file's size */
  int64_t resume_from; /* -C N; -1: none */
  const char *etag_save, *etag_compare;
  const char *output_dir;             /* --output-dir */
  bool create_dirs;                   /* --create-dirs */
  long retry;                         /* --retry N (0: none) */
  double retry_delay, retry_max_time; /* 0: backoff from 1 s; 0: no limit */
  bool retry_all_errors, retry_connrefused;
  char **cfg_argv; /* the argument list with -K files expanded, or NULL */
  /* cookies: -b 'n=v' pairs sent as they are; the engine's jar (-b FILE,
   * -c FILE turn it on) */
  gale_buf cookie_pairs;
  bool cookie_engine, junk_session;
  const char *cookie_jar;    /* -c */
  const char **cookie_files; /* -b FILE, in order (argc-sized) */
  size_t ncookie_files;
  fetch_cookie *cookies;
  size_t ncookies;
  bool warned_redirect_cookie;
  const char *netrc_file; /* -n: ~/.netrc; --netrc-file */
  char *netrc_home;       /* -n's path (owned) */
  const char **urls;      /* --url, in order (argc-sized) */
  size_t nurls;
  long parallel_max;
  const char *cacert, *cert, *key, *user_agent, *referer;
  const char *write_out, *iface, *dump_header;
  const char *unix_socket; /* --unix-socket PATH */
  double connect_timeout, max_time;
  uint64_t max_filesize;
  uint64_t limit_rate; /* --limit-rate, bytes/s; 0: none */
  time_t time_cond;
  bool time_cond_unmodified; /* -z -DATE: If-Unmodified-Since */
  bool ipv4_only, ipv6_only;
  int http_version;      /* GALE_HTTP_VERSION_*: --http1.1, --http2, --http2-prior-knowledge */
  bool globoff;          /* -g */
  bool hash_bar;         /* -# */
  cli_proxy proxy;       /* -x */
  bool proxy_given;      /* -x was given ("" too): the environment is not read */
  cli_proxy proxy_creds; /* -U (user and pass only) */
  const char *noproxy;   /* --noproxy; NULL: NO_PROXY */
  char *user_name, *user_pass;
  /* the command line's -o/-O and --resolve, in order (argc-sized) */
  const char **outs;
  bool *remote;
  size_t nouts;
  char **resolves;
  size_t nresolves;
  const char **connect_tos; /* --connect-to, in order (argc-sized) */
  size_t nconnect_tos;
  /* transfers */
  transfer *xfers;
  size_t nxfers, next, running, done;
  int exit_code;
  FILE *dump;
} fetch_cli;

struct transfer {
  fetch_cli *cli;
  const char *url; /* url_owned */
  char *url_owned;
  const char *outname; /* -o / -O (outpath), NULL: stdout */
  FILE *out;
  bool out_owned;
  int last_code;
  int64_t content_length;
  uint64_t received;
  bool write_failed;
  bool http_failed;
  bool range_failed;    /* -C and the server sent the whole body (curl's 33) */
  bool resume_complete; /* -C and the file was already whole */
  cli_progress progress;
  bool show_progress;
  FILE *upload;
  gale_headers *headers;  /* this transfer's own request fields, or NULL */
  cli_proxy proxy;        /* the proxy this transfer goes through (.set) */
  bool proxy_creds_set;   /* it has a user or password */
  char connect_host[256]; /* --connect-to's host for this URL ("" none) */
  int connect_port;
  int start_exit; /* an exit code found before the fetch began, or 0 */
  long retries_left;
  double first_start, retry_wait; /* cli_now() of the first try; the next backoff */
  uint64_t resume_offset;         /* -C: bytes already in the output file */
  char *upload_url;               /* -T FILE URL/: the URL with FILE's name (owned) */
  char *netrc_user, *netrc_pass;  /* from the .netrc for this URL's host */
  char *hop_url;                  /* the URL of the hop whose response is coming in (cookies) */
  char *location;                 /* that hop's Location, for the next hop's URL */
  int hop_code;
  char *outpath; /* the output file's path (owned), or NULL */
};

/* fetch_opts.c: parses argv into `c` (options from optind up to the URLs),
 * -K files expanded first (*argcp and *argvp then point at the expanded list,
 * owned by c).  Returns 0, an exit code on a bad option, or -1 after
 * printing --help. */
int fetch_parse_options(fetch_cli *c, int *argcp, char ***argvp);

/* What fetch_config.c needs to know of the option table. */
typedef struct fetch_opt_info {
  /* "--name" or "-x": 1 when it takes an argument, 0 when not, -1 unknown. */
  int (*takes_arg)(const char *opt);
} fetch_opt_info;

/* fetch_config.c: argv with every -K FILE (or --config FILE) replaced by the
 * options FILE holds (curl's syntax: "[--]name [=|:] value" per line,
 * values "quoted" or bare, # comments; nested up to 10 deep).  *out_argv is
 * NULL when there was no -K (use argv), else a new NULL-terminated vector
 * for fetch_free_argv().  Returns 0 or an exit code (message printed). */
int fetch_expand_config(int argc, char **argv, const fetch_opt_info *info, int *out_argc,
                        char ***out_argv);
void fetch_free_argv(char **v);
/* The login and password the .netrc at `path` gives `host` (its machine
 * entry, else its default entry): malloc'd strings, both NULL when none.
 * A missing file is no error (as curl).  Returns 0 or CLI_EXIT_READ. */
int fetch_netrc_lookup(const char *path, const char *host, char **user, char **pass);
/* Prints "gale: <fmt with arg>" and the --help hint; returns CLI_EXIT_USAGE. */
int fetch_usage_error(const char *fmt, const char *arg);
/* --connect-to HOST1:PORT1:HOST2:PORT2 against a URL's host and port:
 * 1 when it applies (to_host gets HOST2, "" for the same host; *to_port
 * PORT2, 0 for the same port), 0 when not, -1 when malformed (host NULL:
 * only checks the syntax). */
int fetch_connect_to_match(const char *spec, const char *host, int port, char *to_host, size_t cap,
                           int *to_port);
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
/* fetch_glob.c: expands one URL argument's globs ({a,b}, [1-9], [a-z],
 * [01-10:2]; none when `off`), calling cb for each URL in curl's order
 * with the -o name (`outname` with #N replaced; malloc'd, the callback
 * owns it; NULL when outname is NULL).  Returns 0, CLI_EXIT_URL (message
 * printed) for a malformed glob or past 100,000 URLs, or cb's non-zero
 * result. */
typedef int (*fetch_glob_cb)(const char *url, char *outname, void *arg);
int fetch_glob_expand(const char *url, const char *outname, bool off, fetch_glob_cb cb, void *arg);

/* fetch_cookies.c: the cookie engine.  load: a Netscape-format file into
 * the jar (a missing file is an empty jar; 0, CLI_EXIT_READ or
 * CLI_EXIT_NOMEM).  save: the jar to `path` ("-": stdout; 0 or
 * CLI_EXIT_WRITE).  header: the Cookie value for a request to `url`
 * (malloc'd), NULL when no cookie matches.  set: one Set-Cookie value
 * received from `url` into the jar (ignored when invalid or not the host's
 * to set; 0 or CLI_EXIT_NOMEM).  free: empties the jar. */
int fetch_cookies_load(fetch_cli *c, const char *path);
int fetch_cookies_save(const fetch_cli *c, const char *path);
char *fetch_cookies_header(const fetch_cli *c, const char *url);
int fetch_cookies_set(fetch_cli *c, const char *url, const char *value, size_t len);
void fetch_cookies_free(fetch_cli *c);
/* -j: forgets the session cookies (no expiry) read so far. */
void fetch_cookies_drop_session(fetch_cli *c);

/* A transfer is over (its exit code recorded): the next one starts, or the
 * loop stops after the last. */
void fetch_transfer_ended(fetch_cli *c);
/* Starts (or, for a retry, restarts) transfer t.  GALE_OK or an error. */
int fetch_start_transfer(fetch_cli *c, transfer *t);
/* fetch_retry.c: --retry.  When the finished try (exit code `code`) is to
 * be retried, resets t's output, arms the timer and returns true. */
bool fetch_retry_schedule(transfer *t, const gale_http_response *r, int code);
/* The request method shown by -w's %{method}. */
const char *fetch_method(const fetch_cli *c);

#endif
