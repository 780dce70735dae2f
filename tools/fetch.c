/* SPDX-License-Identifier: MIT */
/* gale fetch: a curl-like fetcher on gale_http_client.  Options keep curl's
 * spellings; exit codes are curl's where the meaning is the same (cli.h).
 * This file drives the run: options (fetch_opts.c), client and default
 * headers, one transfer per URL (fetch_xfer.c), then the loop. */
#include "fetch.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static char *remote_name(const char *url) {
  const char *q = url + strcspn(url, "?#");
  const char *s = q;
  while (s > url && s[-1] != '/') s--;
  if (s == q) return NULL;
  return strndup(s, (size_t)(q - s));
}

static void cli_free(fetch_cli *c) {
  gale_http_client_free(c->client);
  /* Let closing connections finish their close callbacks. */
  for (int i = 0; i < 3 && c->loop; i++) gale_loop_run_once(c->loop, 0);
  gale_loop_free(c->loop);
  gale_headers_free(c->headers);
  gale_headers_free(c->removed);
  gale_multipart_enc_free(c->form);
  gale_buf_release(&c->data);
  free(c->user_name);
  free(c->user_pass);
  for (size_t i = 0; i < c->nxfers; i++) {
    free(c->xfers[i].url_owned);
    free(c->xfers[i].upload_url);
    free(c->xfers[i].outpath);
    free(c->xfers[i].netrc_user);
    free(c->xfers[i].netrc_pass);
    free(c->xfers[i].hop_url);
    free(c->xfers[i].location);
    gale_headers_free(c->xfers[i].headers);
  }
  free(c->xfers);
  if (c->dump && c->dump != stdout) fclose(c->dump);
  free((char *)c->write_out);
  free(c->outs);
  free(c->remote);
  free(c->resolves);
  free(c->urls);
  free(c->netrc_home);
  free(c->cookie_files);
  free(c->connect_tos);
  gale_buf_release(&c->cookie_pairs);
  fetch_cookies_free(c);
  fetch_free_argv(c->cfg_argv);
}

/* The loop, the client, --resolve overrides and the -D file. */
static int setup_client(fetch_cli *c) {
  gale_http_client_options o;
  int rc = 0;
  c->loop = gale_loop_new();
  gale_http_client_options_init(&o);
  o.max_clients = c->parallel ? (int)c->parallel_max : 1;
  o.max_idle_per_host = o.max_clients;
  if (!c->loop || gale_http_client_new(c->loop, &o, &c->client) != GALE_OK) return CLI_EXIT_NOMEM;
  if (c->unix_socket &&
      gale_tcp_client_set_unix_socket(gale_http_client_tcp(c->client), c->unix_socket) != GALE_OK) {
    fprintf(stderr, "gale: --unix-socket %s: not a usable path (empty or too long)\n",
            c->unix_socket);
    return CLI_EXIT_USAGE;
  }
  for (size_t i = 0; !rc && i < c->nresolves; i++) rc = fetch_add_resolve(c, c->resolves[i]);
  if (!rc && c->dump_header) {
    c->dump = strcmp(c->dump_header, "-") == 0 ? stdout : fopen(c->dump_header, "wb");
    if (!c->dump) {
      fprintf(stderr, "gale: cannot open %s: %s\n", c->dump_header, strerror(errno));
      rc = CLI_EXIT_WRITE;
    }
  }
  return rc;
}

/* Adds `name: value` unless -H already gave or removed `name`. */
static int default_header(fetch_cli *c, const char *name, const char *value) {
  if (c->headers && gale_headers_get(c->headers, name)) return 0;
  if (c->removed && gale_headers_get(c->removed, name)) return 0;
  if (!c->headers && !(c->headers = gale_headers_new())) return CLI_EXIT_NOMEM;
  gale_headers_add(c->headers, name, value);
  return 0;
}

static int default_headers(fetch_cli *c) {
  int rc = 0;
  if (c->json) { /* curl 7.82's --json */
    rc = default_header(c, "Content-Type", "application/json");
    if (!rc) rc = default_header(c, "Accept", "application/json");
  }
  if (!rc && c->have_data && !c->get_data)
    rc = default_header(c, "Content-Type", "application/x-www-form-urlencoded");
  if (!rc && c->form)
    rc = default_header(c, "Content-Type", gale_multipart_enc_content_type(c->form));
  if (!rc) rc = default_header(c, "Accept", "*/*");
  if (!rc && c->time_cond && c->time_cond_unmodified) {
    char date[GALE_HTTP_DATE_LEN + 1];
    if (gale_http_date_format(c->time_cond, date, sizeof date) == GALE_OK)
      rc = default_header(c, "If-Unmodified-Since", date);
  }
  return rc;
}

typedef struct xfer_builder {
  fetch_cli *c;
  size_t cap;
  bool remote; /* -O for this argument */
} xfer_builder;

/* One transfer: the URL, and its output file (-o's name with #N done, or
 * -O's name from the URL), under --output-dir. */
static int add_transfer(const char *url, char *outname, void *arg) {
  xfer_builder *b = arg;
  fetch_cli *c = b->c;
  transfer *t;
  int rc;
  if (c->nxfers == b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 8;
    transfer *nx = realloc(c->xfers, cap * sizeof *nx);
    if (!nx) {
      free(outname);
      return CLI_EXIT_NOMEM;
    }
    c->xfers = nx;
    b->cap = cap;
  }
  t = &c->xfers[c->nxfers++];
  memset(t, 0, sizeof *t);
  t->cli = c;
  t->retries_left = c->retry;
  if ((rc = cli_idn_url(url, &t->url_owned)) != 0) {
    free(outname);
    return rc;
  }
  if (!t->url_owned && !(t->url_owned = strdup(url))) {
    free(outname);
    return CLI_EXIT_NOMEM;
  }
  t->url = t->url_owned;
  if (b->remote) {
    free(outname);
    if (!(outname = remote_name(url))) {
      fprintf(stderr, "gale: no file name in the URL %s for -O\n", url);
      return CLI_EXIT_WRITE;
    }
  } else if (outname && strcmp(outname, "-") == 0) {
    free(outname);
    outname = NULL;
  }
  if (outname && c->output_dir) {
    char *p;
    if (asprintf(&p, "%s/%s", c->output_dir, outname) < 0) p = NULL;
    free(outname);
    if (!(outname = p)) return CLI_EXIT_NOMEM;
  }
  t->outpath = outname;
  t->outname = outname;
  return 0;
}

/* The transfers: each URL (--url ones first, then the arguments) expanded
 * by its globs, paired with the -o/-O given in the same place. */
static int make_transfers(fetch_cli *c, char **args, size_t nargs) {
  size_t n = c->nurls + nargs;
  xfer_builder b = {c, 0, false};
  int rc = 0;
  for (size_t i = 0; !rc && i < n; i++) {
    const char *url = i < c->nurls ? c->urls[i] : args[i - c->nurls];
    b.remote = i < c->nouts && c->remote[i];
    rc = fetch_glob_expand(url, i < c->nouts && !b.remote ? c->outs[i] : NULL, c->globoff,
                           add_transfer, &b);
  }
  return rc;
}

int cli_fetch_main(int argc, char **argv) {
  fetch_cli c;
  int rc;
  memset(&c, 0, sizeof c);
  c.max_redirs = 50;
  c.connect_timeout = 20;
  c.max_time = 0;
  c.parallel_max = 50;
  c.resume_from = -1;
  rc = fetch_parse_options(&c, &argc, &argv);
  if (rc == -1) { /* --help */
    cli_free(&c);
    return 0;
  }
  if (!rc) rc = setup_client(&c);
  for (size_t i = 0; !rc && i < c.ncookie_files; i++)
    rc = fetch_cookies_load(&c, c.cookie_files[i]);
  if (!rc && c.junk_session) fetch_cookies_drop_session(&c);
  if (!rc) rc = default_headers(&c);
  if (!rc) rc = make_transfers(&c, argv + optind, optind < argc ? (size_t)(argc - optind) : 0);
  if (!rc) {
    c.exit_code = 0;
    fetch_start_next(&c);
    if (c.done < c.nxfers) gale_loop_run(c.loop);
    rc = c.exit_code;
    if (c.cookie_jar) {
      int jrc = fetch_cookies_save(&c, c.cookie_jar);
      if (jrc && !rc) rc = jrc;
    }
  }
  cli_free(&c);
  return rc;
}
