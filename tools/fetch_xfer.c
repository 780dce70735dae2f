/* SPDX-License-Identifier: MIT */
/* gale fetch: one transfer.  Builds its gale_http_request from the
 * options, writes headers and body where they belong (stdout, -o/-O, -D,
 * -v on stderr), draws progress and works out the exit code. */
#include "fetch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const char *fetch_method(const fetch_cli *c) {
  return c->method ? c->method : (c->head ? "HEAD" : (c->have_data || c->form ? "POST" : "GET"));
}

static FILE *header_sink(transfer *t) { return t->out ? t->out : stdout; }

static void parse_header_line(transfer *t, const char *line, size_t len) {
  if (len >= 12 && strncmp(line, "HTTP/", 5) == 0) {
    const char *sp = memchr(line, ' ', len);
    t->last_code = 0;
    if (sp && (size_t)(sp - line) + 4 <= len)
      for (int i = 1; i <= 3 && sp[i] >= '0' && sp[i] <= '9'; i++) t->last_code = t->last_code * 10 + (sp[i] - '0');
    t->content_length = -1;
  } else if (len > 15 && strncasecmp(line, "Content-Length:", 15) == 0) {
    t->content_length = strtoll(line + 15, NULL, 10);
  }
}

static void on_debug(gale_http_debug_kind kind, const char *data, size_t len, void *arg) {
  transfer *t = arg;
  fetch_cli *c = t->cli;
  if (kind == GALE_HTTP_DEBUG_HEADER_IN) {
    parse_header_line(t, data, len);
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

static int open_output(transfer *t) {
  if (t->out || !t->outname) return GALE_OK;
  t->out = fopen(t->outname, "wb");
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
  if (open_output(t) != GALE_OK) return GALE_ESYS;
  if (fwrite(data, 1, len, t->out ? t->out : stdout) != len) {
    t->write_failed = true;
    return GALE_ESYS;
  }
  t->received += len;
  if (t->show_progress) cli_progress_update(&t->progress, t->received, t->content_length, cli_now());
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

static void on_done(const gale_http_response *r, void *arg) {
  transfer *t = arg;
  fetch_cli *c = t->cli;
  int code;
  if (t->show_progress) cli_progress_finish(&t->progress, cli_now());
  if (t->write_failed) code = CLI_EXIT_WRITE;
  else if (t->http_failed || (r->status == GALE_OK && c->fail && r->code >= 400)) code = CLI_EXIT_HTTP_ERROR;
  else if (r->status == GALE_ESYS && t->upload) code = CLI_EXIT_READ;
  else code = cli_exit_code(r->status);
  if (code == CLI_EXIT_CONNECT && c->proxy_host &&
      (r->status == GALE_ECONNREFUSED || r->status == GALE_EHOSTUNREACH))
    code = CLI_EXIT_CONNECT;
  if (code == CLI_EXIT_RESOLVE && c->proxy_host) code = CLI_EXIT_PROXY_RESOLVE;
  if (code && (!c->silent || c->show_error)) {
    if (code == CLI_EXIT_HTTP_ERROR)
      fprintf(stderr, "gale: (22) The requested URL returned error: %d\n", r->code);
    else
      fprintf(stderr, "gale: (%d) %s\n", code, r->error && *r->error ? r->error : cli_exit_text(code));
  }
  if (t->out && t->out_owned) {
    if (fclose(t->out) != 0 && !code) code = CLI_EXIT_WRITE;
    t->out = NULL;
  } else {
    if (fflush(stdout) != 0 && !code) code = CLI_EXIT_WRITE;
  }
  if (t->upload) fclose(t->upload), t->upload = NULL;
  if (c->write_out)
    cli_write_out(stdout, c->write_out, r, code, t->url,
                  fetch_method(c));
  if (code) c->exit_code = code;
  c->running--;
  c->done++;
  if (c->done == c->nxfers) gale_loop_stop(c->loop);
  else fetch_start_next(c);
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
static void set_options(const fetch_cli *c, gale_http_request *req) {
  req->headers = c->headers;
  req->allow_nonstandard_methods = true;
  req->follow_redirects = c->follow;
  req->max_redirects = (int)c->max_redirs;
  req->decompress_response = c->compressed;
  req->user_agent = c->user_agent;
  req->referer = c->referer;
  req->auth_username = c->user_name;
  req->auth_password = c->user_pass;
  req->connect_timeout = c->connect_timeout;
  req->request_timeout = c->max_time;
  req->validate_cert = !c->insecure;
  req->ca_certs = c->cacert;
  req->client_cert = c->cert;
  req->client_key = c->key;
  req->proxy_host = c->proxy_host;
  req->proxy_port = c->proxy_port;
  req->proxy_username = c->proxy_name;
  req->proxy_password = c->proxy_pass;
  req->allow_ipv6 = !c->ipv4_only;
  req->allow_ipv4 = !c->ipv6_only;
  req->network_interface = c->iface;
  req->http_version = c->http_version;
  req->max_body_size = c->max_filesize;
  req->if_modified_since = c->time_cond;
}

static int start_transfer(fetch_cli *c, transfer *t) {
  gale_http_request req;
  char *url = NULL;
  int st;
  gale_http_request_init(&req, t->url);
  t->content_length = -1;
  st = set_body(c, t, &req, &url);
  if (st != GALE_OK) {
    free(url);
    return st;
  }
  set_options(c, &req);
  req.debug_callback = on_debug;
  req.debug_callback_arg = t;
  req.streaming_callback = on_body;
  req.streaming_callback_arg = t;
  t->show_progress = !c->silent && !c->verbose && !c->parallel && isatty(2) &&
                     (t->outname || !isatty(1)) && !c->head;
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
    st = start_transfer(c, t);
    if (st != GALE_OK) {
      int code = st == GALE_EURL ? CLI_EXIT_URL
                 : st == GALE_ENOTSUP ? CLI_EXIT_FAILED
                 : st == GALE_ESYS ? CLI_EXIT_READ
                 : st == GALE_ENOMEM ? CLI_EXIT_NOMEM : CLI_EXIT_URL;
      if (!c->silent || c->show_error)
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

