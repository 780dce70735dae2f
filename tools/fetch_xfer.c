/* SPDX-License-Identifier: MIT */
/* gale fetch: one transfer.  Builds its gale_http_request from the
 * options, writes headers and body where they belong (stdout, -o/-O, -D,
 * -v on stderr), draws progress and works out the exit code. */
#include "fetch.h"
#include "gale/url.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>

const char *fetch_method(const fetch_cli *c) {
  return c->method ? c->method : (c->head ? "HEAD" : (c->have_data || c->form ? "POST" : "GET"));
}

static int open_output(transfer *t);

/* -i writes the headers where the body goes: -o's file, or stdout. */
static FILE *header_sink(transfer *t) {
  open_output(t);
  return t->out ? t->out : stdout;
}

static void parse_header_line(transfer *t, const char *line, size_t len) {
  if (len >= 12 && strncmp(line, "HTTP/", 5) == 0) {
    const char *sp = memchr(line, ' ', len);
    t->last_code = 0;
    if (sp && (size_t)(sp - line) + 4 <= len)
      for (int i = 1; i <= 3 && sp[i] >= '0' && sp[i] <= '9'; i++)
        t->last_code = t->last_code * 10 + (sp[i] - '0');
    t->content_length = -1;
  } else if (len > 15 && strncasecmp(line, "Content-Length:", 15) == 0) {
    t->content_length = strtoll(line + 15, NULL, 10);
  }
}

/* The cookie engine's view of the response heads: which hop each belongs
 * to (a followed Location resolved against the hop before) and the
 * Set-Cookie fields it carries. */
static void track_cookies(transfer *t, const char *line, size_t len) {
  fetch_cli *c = t->cli;
  if (len >= 12 && strncmp(line, "HTTP/", 5) == 0) {
    if (t->location && c->follow && t->hop_code >= 300 && t->hop_code < 400) {
      char *next = NULL;
      if (gale_url_resolve(t->hop_url, t->location, &next) == GALE_OK) {
        free(t->hop_url);
        t->hop_url = next;
      }
    }
    free(t->location);
    t->location = NULL;
    t->hop_code = t->last_code;
  } else if (len > 11 && strncasecmp(line, "Set-Cookie:", 11) == 0) {
    fetch_cookies_set(c, t->hop_url, line + 11, len - 11);
    if (c->follow && t->hop_code >= 300 && t->hop_code < 400 && !c->warned_redirect_cookie &&
        !c->silent) {
      c->warned_redirect_cookie = true;
      fprintf(stderr, "gale: warning: a redirect set a cookie: it is kept for -c and later "
                      "transfers, but not sent on this transfer's next hop\n");
    }
  } else if (len > 9 && strncasecmp(line, "Location:", 9) == 0) {
    const char *v = line + 9, *e = line + len;
    while (v < e && (*v == ' ' || *v == '\t')) v++;
    while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' ')) e--;
    free(t->location);
    t->location = strndup(v, (size_t)(e - v));
  }
}

static void on_debug(gale_http_debug_kind kind, const char *data, size_t len, void *arg) {
  transfer *t = arg;
  fetch_cli *c = t->cli;
  if (kind == GALE_HTTP_DEBUG_HEADER_IN) {
    parse_header_line(t, data, len);
    if (c->cookie_engine) track_cookies(t, data, len);
    if (c->verbose) {
      fputs("< ", stderr);
      fwrite(data, 1, len, stderr);
    }
    if ((c->include || c->head) && !(c->fail && t->last_code >= 400)) {
      if (fwrite(data, 1, len, header_sink(t)) != len) t->write_failed = true;
    }
    if (c->dump) fwrite(data, 1, len, c->dump);
  } else if (kind == GALE_HTTP_DEBUG_HEADER_OUT && c->verbose) {
    size_t i = 0;
    while (i < len) {
      const char *nl = memchr(data + i, '\n', len - i);
      size_t e = nl ? (size_t)(nl - data) + 1 : len;
      fputs("> ", stderr);
      fwrite(data + i, 1, e - i, stderr);
      i = e;
    }
  } else if (kind == GALE_HTTP_DEBUG_INFO && c->verbose) {
    fprintf(stderr, "* %.*s\n", (int)len, data);
  }
}

/* --create-dirs: the directories above `path`, as mkdir -p. */
static void make_parent_dirs(const char *path) {
  char *copy = strdup(path);
  for (char *p = copy ? copy + 1 : NULL; p && *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    mkdir(copy, 0777); /* an existing one is fine; fopen reports the rest */
    *p = '/';
  }
  free(copy);
}

static int open_output(transfer *t) {
  if (t->out || !t->outname) return GALE_OK;
  if (t->cli->create_dirs) make_parent_dirs(t->outname);
  t->out = fopen(t->outname, t->resume_offset ? "ab" : "wb");
  if (!t->out) {
    fprintf(stderr, "gale: cannot open %s: %s\n", t->outname, strerror(errno));
    t->write_failed = true;
    return GALE_ESYS;
  }
  t->out_owned = true;
  return GALE_OK;
}

static int on_body(const void *data, size_t len, void *arg) {
  transfer *t = arg;
  fetch_cli *c = t->cli;
  if (c->fail && t->last_code >= 400) {
    t->http_failed = true;
    return GALE_EHTTP_STATUS;
  }
  if (t->resume_offset && t->last_code == 200) {
    /* The whole file again: the server ignored the range, unless the file
     * is already complete (curl's "entire document already downloaded"). */
    if (t->content_length == (int64_t)t->resume_offset)
      t->resume_complete = true;
    else
      t->range_failed = true;
    return GALE_EHTTP_STATUS;
  }
  if (open_output(t) != GALE_OK) return GALE_ESYS;
  if (fwrite(data, 1, len, t->out ? t->out : stdout) != len) {
    t->write_failed = true;
    return GALE_ESYS;
  }
  t->received += len;
  if (t->show_progress)
    cli_progress_update(&t->progress, t->received, t->content_length, cli_now());
  return GALE_OK;
}

static void upload_producer(gale_http_upload *up, void *arg) {
  transfer *t = arg;
  char buf[65536];
  size_t n = fread(buf, 1, sizeof buf, t->upload);
  if (n > 0) {
    gale_http_upload_write(up, buf, n);
    return;
  }
  gale_http_upload_finish(up, ferror(t->upload) ? GALE_ESYS : GALE_OK);
}

static int upload_rewind(void *arg) {
  transfer *t = arg;
  if (t->upload == stdin || fseeko(t->upload, 0, SEEK_SET) != 0) return GALE_ESYS;
  clearerr(t->upload);
  return GALE_OK;
}

/* -D gets the trailer fields too, after the body, as curl writes them. */
static void write_trailers(FILE *f, const gale_http_response *r) {
  const gale_headers *tr = gale_http_response_trailers(r);
  size_t n = tr ? gale_headers_count(tr) : 0;
  for (size_t i = 0; i < n; i++) {
    const char *name, *value;
    size_t nl, vl;
    gale_headers_at(tr, i, &name, &nl, &value, &vl);
    fprintf(f, "%.*s: %.*s\r\n", (int)nl, name, (int)vl, value);
  }
  if (n) fflush(f);
}

/* --etag-save: the ETag (quotes and all) and a newline; an empty file
 * when there is none, as curl. */
static void save_etag(transfer *t, const gale_http_response *r) {
  const char *etag = r->code ? gale_http_response_header(r, "ETag") : NULL;
  FILE *f = fopen(t->cli->etag_save, "w");
  if (!f) {
    fprintf(stderr, "gale: cannot write %s: %s\n", t->cli->etag_save, strerror(errno));
    return;
  }
  if (etag) fprintf(f, "%s\n", etag);
  fclose(f);
}

/* The exit code of a finished transfer. */
static int exit_code_of(const transfer *t, const gale_http_response *r) {
  const fetch_cli *c = t->cli;
  int code;
  if (t->resume_complete) return CLI_OK;
  if (t->write_failed)
    code = CLI_EXIT_WRITE;
  else if (t->range_failed)
    code = CLI_EXIT_RANGE;
  else if (t->http_failed ||
           (r->status == GALE_OK && (c->fail || c->fail_with_body) && r->code >= 400))
    code = CLI_EXIT_HTTP_ERROR;
  else if (r->status == GALE_ESYS && t->upload)
    code = CLI_EXIT_READ;
  else
    code = cli_exit_code(r->status);
  if (code == CLI_EXIT_RESOLVE && t->proxy.set) code = CLI_EXIT_PROXY_RESOLVE;
  /* The TLS configuration failed: curl's 77 when it is the CA file. */
  if (code == CLI_EXIT_TLS_CERT && c->cacert && access(c->cacert, R_OK) != 0)
    code = CLI_EXIT_CACERT;
  return code;
}

static void on_done(const gale_http_response *r, void *arg) {
  transfer *t = arg;
  fetch_cli *c = t->cli;
  int code;
  if (t->show_progress) cli_progress_finish(&t->progress, cli_now());
  code = exit_code_of(t, r);
  if (fetch_retry_schedule(t, r, code)) return;
  if (!code && c->etag_save) save_etag(t, r);
  if (code && (!c->silent || c->show_error)) {
    if (code == CLI_EXIT_RANGE)
      fprintf(stderr,
              "gale: (33) HTTP server doesn't seem to support byte ranges. Cannot resume.\n");
    else if (code == CLI_EXIT_HTTP_ERROR)
      fprintf(stderr, "gale: (22) The requested URL returned error: %d\n", r->code);
    else
      fprintf(stderr, "gale: (%d) %s\n", code,
              r->error && *r->error ? r->error : cli_exit_text(code));
  }
  if (t->out && t->out_owned) {
    if (fclose(t->out) != 0 && !code) code = CLI_EXIT_WRITE;
    t->out = NULL;
  } else {
    if (fflush(stdout) != 0 && !code) code = CLI_EXIT_WRITE;
  }
  if (t->upload) fclose(t->upload), t->upload = NULL;
  if (c->dump) write_trailers(c->dump, r);
  if (c->write_out) {
    cli_xfer_info x = {code,       t->url,     fetch_method(c),
                       t->outname, c->referer, (size_t)(t - c->xfers)};
    cli_write_out(stdout, c->write_out, r, &x);
  }
  if (code) c->exit_code = code;
  fetch_transfer_ended(c);
}

void fetch_transfer_ended(fetch_cli *c) {
  c->running--;
  c->done++;
  if (c->done == c->nxfers)
    gale_loop_stop(c->loop);
  else
    fetch_start_next(c);
}

/* The body: -d data (POST unless -G), the -F form, or -T's file streamed
 * (PUT).  *url_out gets the URL with -G's query (malloc'd) or NULL. */
static int set_body(fetch_cli *c, transfer *t, gale_http_request *req, char **url_out) {
  *url_out = NULL;
  if (c->get_data && c->have_data) {
    if (asprintf(url_out, "%s%c%s", t->url, strchr(t->url, '?') ? '&' : '?', c->data.data) < 0) {
      *url_out = NULL;
      return GALE_ENOMEM;
    }
    req->url = *url_out;
  }
  req->method = c->method ? c->method : c->head ? "HEAD" : "GET";
  if (!c->get_data && c->have_data) {
    req->body = c->data.data;
    req->body_len = c->data.len;
    if (!c->method) req->method = "POST";
  } else if (c->form) {
    int st = fetch_form_finish(c);
    if (st != GALE_OK) return st;
    req->body = c->form_body;
    req->body_len = c->form_len;
    if (!c->method) req->method = "POST";
  }
  if (c->upload_file) {
    t->upload = strcmp(c->upload_file, "-") == 0 ? stdin : fopen(c->upload_file, "rb");
    if (!t->upload) {
      fprintf(stderr, "gale: cannot read %s: %s\n", c->upload_file, strerror(errno));
      return GALE_ESYS;
    }
    req->body_producer = upload_producer;
    req->body_producer_arg = t;
    req->body_rewind = upload_rewind; /* -L -T: 307/308 send the file again */
    if (t->upload != stdin) {
      if (fseeko(t->upload, 0, SEEK_END) == 0) {
        req->body_size = ftello(t->upload);
        fseeko(t->upload, 0, SEEK_SET);
      }
    }
    if (!c->method) req->method = "PUT";
  }
  return GALE_OK;
}

/* Everything else the options say about the request. */
static void set_options(const fetch_cli *c, const transfer *t, gale_http_request *req) {
  req->headers = c->headers;
  req->allow_nonstandard_methods = true;
  req->follow_redirects = c->follow;
  req->max_redirects = (int)c->max_redirs;
  req->post_redirects = c->post_redirects;
  req->decompress_response = c->compressed;
  req->user_agent = c->user_agent;
  req->referer = c->referer;
  if (c->removed) { /* -H "Name:" */
    if (gale_headers_get(c->removed, "User-Agent")) req->user_agent = "";
    if (gale_headers_get(c->removed, "Referer")) req->referer = NULL;
    if (gale_headers_get(c->removed, "Accept-Encoding")) req->decompress_response = false;
  }
  req->auth_username = c->user_name ? c->user_name : t->netrc_user;
  req->auth_password = c->user_name ? c->user_pass : t->netrc_pass;
  req->connect_timeout = c->connect_timeout;
  req->request_timeout = c->max_time;
  req->validate_cert = !c->insecure;
  req->ca_certs = c->cacert;
  req->client_cert = c->cert;
  req->client_key = c->key;
  req->connect_to_host = t->connect_host[0] ? t->connect_host : NULL;
  req->connect_to_port = t->connect_port;
  if (t->proxy.set) {
    bool creds = t->proxy_creds_set;
    req->proxy_host = t->proxy.host;
    req->proxy_port = t->proxy.port;
    req->proxy_username = creds ? t->proxy.user : NULL;
    req->proxy_password = creds ? t->proxy.pass : NULL;
  }
  req->allow_ipv6 = !c->ipv4_only;
  req->allow_ipv4 = !c->ipv6_only;
  req->network_interface = c->iface;
  req->http_version = c->http_version;
  req->max_body_size = c->max_filesize;
  req->max_recv_speed = c->limit_rate;
  req->if_modified_since = c->time_cond_unmodified ? 0 : c->time_cond;
}

/* -T FILE URL/ (or a URL with no path): curl appends FILE's base name,
 * percent-encoded.  NULL when the URL is used as given. */
static char *upload_url(const fetch_cli *c, const char *url) {
  const char *base, *host = strstr(url, "://"), *path;
  size_t n = strcspn(url, "?#"), bl, el;
  char *enc, *out = NULL;
  if (!c->upload_file || strcmp(c->upload_file, "-") == 0 || !host) return NULL;
  path = strchr(host + 3, '/');
  if (path && (size_t)(path - url) >= n) path = NULL; /* the '/' is in the query */
  if (path && url[n - 1] != '/') return NULL;
  base = strrchr(c->upload_file, '/');
  base = base ? base + 1 : c->upload_file;
  bl = strlen(base);
  if (!(enc = malloc(bl * 3 + 1))) return NULL;
  gale_percent_encode(base, bl, 0, enc, bl * 3 + 1, &el);
  if (asprintf(&out, "%.*s%s%s%s", (int)n, url, path ? "" : "/", enc, url + n) < 0) out = NULL;
  free(enc);
  return out;
}

/* What this transfer's URL selects: the proxy (-x's, or the environment's;
 * --noproxy or NO_PROXY exempts hosts from either, as curl) and the .netrc
 * credentials.  0 or an exit code. */
static int transfer_proxy(fetch_cli *c, transfer *t) {
  gale_url *u = NULL;
  int rc = 0;
  memset(&t->proxy, 0, sizeof t->proxy);
  t->proxy_creds_set = false;
  if (gale_url_parse(t->url, strlen(t->url), &u) != GALE_OK || !u->scheme || !u->host) {
    gale_url_free(u);
    return 0; /* the fetch reports the URL */
  }
  if (c->proxy_given) {
    const char *np = c->noproxy           ? c->noproxy
                     : getenv("no_proxy") ? getenv("no_proxy")
                                          : getenv("NO_PROXY");
    if (c->proxy.set && !cli_noproxy_match(np, u->host)) t->proxy = c->proxy;
  } else {
    rc = cli_proxy_from_env(u->scheme, u->host, c->noproxy, &t->proxy);
  }
  /* --connect-to: the first spec that applies. */
  t->connect_host[0] = '\0';
  t->connect_port = 0;
  for (size_t i = 0; i < c->nconnect_tos; i++) {
    char h[sizeof t->connect_host];
    int p;
    if (fetch_connect_to_match(c->connect_tos[i], u->host, u->port, h, sizeof h, &p) == 1) {
      memcpy(t->connect_host, h, sizeof h);
      t->connect_port = p;
      break;
    }
  }
  /* -n / --netrc-file: credentials for a URL that names none, unless -u. */
  if (c->netrc_file && !c->user_name && !u->userinfo && !t->netrc_user) {
    int nrc = fetch_netrc_lookup(c->netrc_file, u->host, &t->netrc_user, &t->netrc_pass);
    if (nrc && !rc) rc = nrc;
  }
  if (c->proxy_creds.user[0] || c->proxy_creds.pass[0]) { /* -U wins over URL credentials */
    memcpy(t->proxy.user, c->proxy_creds.user, sizeof t->proxy.user);
    memcpy(t->proxy.pass, c->proxy_creds.pass, sizeof t->proxy.pass);
  }
  t->proxy_creds_set = t->proxy.user[0] || t->proxy.pass[0];
  gale_url_free(u);
  return rc;
}

/* The Cookie value: the jar's matches for the URL, then -b's pairs
 * (malloc'd); NULL when there is none, or when -H gave a Cookie field. */
static char *transfer_cookie(const fetch_cli *c, const transfer *t) {
  char *jar = c->cookie_engine ? fetch_cookies_header(c, t->url) : NULL, *out = NULL;
  if (c->headers && gale_headers_get(c->headers, "Cookie")) {
    free(jar);
    return NULL;
  }
  if (!c->cookie_pairs.len) return jar;
  if (asprintf(&out, "%s%s%.*s", jar ? jar : "", jar ? "; " : "", (int)c->cookie_pairs.len,
               c->cookie_pairs.data) < 0)
    out = NULL;
  free(jar);
  return out;
}

/* The request fields that differ per transfer (-r, -C, --etag-compare) go
 * in a copy of the shared ones.  GALE_OK, GALE_ESYS (the ETag file), or
 * GALE_ENOMEM. */
static int transfer_headers(fetch_cli *c, transfer *t) {
  char value[64], *cookie;
  struct stat st;
  gale_headers_free(t->headers);
  t->headers = NULL;
  t->resume_offset = 0;
  if (c->resume_auto && t->outname && stat(t->outname, &st) == 0 && st.st_size > 0)
    t->resume_offset = (uint64_t)st.st_size;
  else if (c->resume_from > 0)
    t->resume_offset = (uint64_t)c->resume_from;
  free(t->hop_url);
  t->hop_url = NULL;
  if (c->cookie_engine && !(t->hop_url = strdup(t->url))) return GALE_ENOMEM;
  cookie = transfer_cookie(c, t);
  if (!c->range && !t->resume_offset && !c->etag_compare && !cookie) return GALE_OK;
  t->headers = c->headers ? gale_headers_copy(c->headers) : gale_headers_new();
  if (!t->headers) {
    free(cookie);
    return GALE_ENOMEM;
  }
  if (cookie) {
    int hrc = gale_headers_add(t->headers, "Cookie", cookie);
    free(cookie);
    if (hrc != GALE_OK) return GALE_ENOMEM;
  }
  if (t->resume_offset) {
    snprintf(value, sizeof value, "bytes=%llu-", (unsigned long long)t->resume_offset);
    if (gale_headers_set(t->headers, "Range", value) != GALE_OK) return GALE_ENOMEM;
  } else if (c->range) {
    char *v;
    int rc;
    if (asprintf(&v, "bytes=%s", c->range) < 0) return GALE_ENOMEM;
    rc = gale_headers_set(t->headers, "Range", v);
    free(v);
    if (rc != GALE_OK) return GALE_ENOMEM;
  }
  if (c->etag_compare) {
    size_t len;
    char *etag = cli_read_file(c->etag_compare, &len);
    if (!etag) {
      fprintf(stderr, "gale: cannot read the ETag file %s: %s\n", c->etag_compare, strerror(errno));
      return GALE_ESYS;
    }
    etag[strcspn(etag, "\r\n")] = '\0';
    if (*etag && gale_headers_set(t->headers, "If-None-Match", etag) != GALE_OK) {
      free(etag);
      return GALE_ENOMEM;
    }
    free(etag);
  }
  return GALE_OK;
}

int fetch_start_transfer(fetch_cli *c, transfer *t) {
  gale_http_request req;
  char *url = NULL;
  int st;
  if (!t->upload_url && (t->upload_url = upload_url(c, t->url))) t->url = t->upload_url;
  gale_http_request_init(&req, t->url);
  t->content_length = -1;
  if ((t->start_exit = transfer_proxy(c, t)) != 0) return GALE_EINVAL;
  st = set_body(c, t, &req, &url);
  if (st == GALE_OK) st = transfer_headers(c, t);
  if (st != GALE_OK) {
    free(url);
    return st;
  }
  set_options(c, t, &req);
  if (t->headers) req.headers = t->headers;
  t->received = 0;
  t->last_code = 0;
  if (!t->first_start) t->first_start = cli_now();
  req.debug_callback = on_debug;
  req.debug_callback_arg = t;
  req.streaming_callback = on_body;
  req.streaming_callback_arg = t;
  t->show_progress = !c->silent && !c->verbose && !c->parallel && isatty(2) &&
                     (t->outname || !isatty(1)) && !c->head;
  t->progress.hash_bar = c->hash_bar;
  if (t->show_progress) cli_progress_start(&t->progress, cli_now());
  st = gale_http_client_fetch(c->client, &req, on_done, t, NULL);
  free(url);
  return st;
}

void fetch_start_next(fetch_cli *c) {
  size_t limit = c->parallel ? (size_t)c->parallel_max : 1;
  while (c->next < c->nxfers && c->running < limit) {
    transfer *t = &c->xfers[c->next++];
    int st;
    c->running++;
    st = fetch_start_transfer(c, t);
    if (st != GALE_OK) {
      int code = t->start_exit        ? t->start_exit /* said already */
                 : st == GALE_EURL    ? CLI_EXIT_URL
                 : st == GALE_ENOTSUP ? CLI_EXIT_FAILED
                 : st == GALE_ESYS    ? CLI_EXIT_READ
                 : st == GALE_ENOMEM  ? CLI_EXIT_NOMEM
                                      : CLI_EXIT_URL;
      if ((!c->silent || c->show_error) && !t->start_exit)
        fprintf(stderr, "gale: (%d) %s: %s\n", code, cli_exit_text(code), t->url);
      c->exit_code = code;
      c->running--;
      c->done++;
      if (c->done == c->nxfers) {
        gale_loop_stop(c->loop);
        return;
      }
    }
  }
}
