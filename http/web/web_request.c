/* SPDX-License-Identifier: MIT */
/* The handler's view of the request: its accessors (method, path, headers,
 * route groups), and the query and body arguments, uploaded
 * files and cookies, each parsed once on first use (Tornado parses them
 * when the request arrives; parsing lazily keeps requests that never ask
 * for them free of the cost). */
#include <stdlib.h>
#include <string.h>

#include "gale/buf.h"
#include "gale/content_type.h"
#include "gale/cookie.h"
#include "gale/log.h"
#include "core/alloc.h"
#include "http/web/web_internal.h"

static void parse_body_args(gale_web_handler *h) {
  gale_http_server_request *req = h->req;
  if (req->body.len == 0) return;
  const char *ct = gale_http_server_request_header(req, "Content-Type");
  if (!ct) return;
  char type[128];
  gale_params *params = gale_params_new();
  if (!params) return;
  if (gale_content_type_parse(ct, strlen(ct), type, sizeof(type), params) != GALE_OK) {
    gale_params_free(params);
    return;
  }
  if (strcmp(type, "application/x-www-form-urlencoded") == 0) {
    gale_form_limits lim;
    gale_form_limits_init(&lim);
    lim.lenient = true;
    if (gale_form_parse(h->body_args, req->body.data, req->body.len, &lim) != GALE_OK)
      gale_log_warning("app", "malformed form body from %s",
                       gale_http_server_request_remote_ip(req));
  } else if (strcmp(type, "multipart/form-data") == 0) {
    size_t blen = 0;
    const char *boundary = gale_params_get(params, "boundary", &blen);
    gale_multipart *m = NULL;
    if (!boundary ||
        gale_multipart_parse(req->body.data, req->body.len, boundary, blen, NULL, &m) != GALE_OK) {
      gale_log_warning("app", "malformed multipart body from %s",
                       gale_http_server_request_remote_ip(req));
    } else {
      h->multipart = m;
      size_t n = gale_multipart_count(m), nfiles = 0;
      for (size_t i = 0; i < n; i++)
        if (gale_multipart_at(m, i)->filename) nfiles++;
      h->files = nfiles ? gale__calloc(nfiles, sizeof(*h->files)) : NULL;
      h->file_fields = nfiles ? gale__calloc(nfiles, sizeof(char *)) : NULL;
      for (size_t i = 0; i < n; i++) {
        const gale_multipart_part *p = gale_multipart_at(m, i);
        if (p->filename) {
          if (!h->files || !h->file_fields) continue;
          gale_web_file *f = &h->files[h->nfiles];
          f->filename = p->filename;
          f->content_type = p->content_type ? p->content_type : "application/octet-stream";
          f->body = p->data;
          f->len = p->data_len;
          h->file_fields[h->nfiles] = (char *)p->name;
          h->nfiles++;
        } else {
          gale_params_add(h->body_args, p->name, p->name_len, p->data, p->data_len);
        }
      }
    }
  }
  gale_params_free(params);
}

/* Tornado's argument values: control characters other than \t \n \v \f
 * \r become spaces, then whitespace is stripped from both ends.  The raw
 * forms stay readable through gale_web_query() and gale_web_body(). */
static size_t normalise_value(char *v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)v[i];
    if (c <= 0x08 || (c >= 0x0e && c <= 0x1f)) v[i] = ' ';
  }
  size_t start = 0;
  while (start < n && strchr(" \t\n\v\f\r", v[start]) && v[start]) start++;
  while (n > start && strchr(" \t\n\v\f\r", v[n - 1]) && v[n - 1]) n--;
  memmove(v, v + start, n - start);
  return n - start;
}

/* A copy of `raw` with every value normalised; `raw` is freed.  On no
 * memory the raw values stay (NULL only if raw was). */
static gale_params *normalised(gale_params *raw) {
  size_t count = raw ? gale_params_count(raw) : 0;
  if (count == 0) return raw;
  gale_params *out = gale_params_new();
  gale_buf tmp;
  gale_buf_init(&tmp, 0);
  for (size_t i = 0; out && i < count; i++) {
    const char *name, *value;
    size_t nlen, vlen;
    gale_params_at(raw, i, &name, &nlen, &value, &vlen);
    gale_buf_reset(&tmp);
    if (gale_buf_append(&tmp, value, vlen) != GALE_OK ||
        gale_params_add(out, name, nlen, vlen ? tmp.data : "",
                        vlen ? normalise_value(tmp.data, vlen) : 0) != GALE_OK) {
      gale_params_free(out);
      out = NULL;
    }
  }
  gale_buf_release(&tmp);
  if (!out) return raw;
  gale_params_free(raw);
  return out;
}

static void parse_args(gale_web_handler *h) {
  if (h->args_parsed || !h->req) return; /* no request left: no arguments */
  h->args_parsed = true;
  h->query_args = gale_params_new();
  h->body_args = gale_params_new();
  if (!h->query_args || !h->body_args) return;
  gale_form_limits lim;
  gale_form_limits_init(&lim);
  lim.lenient = true;
  const char *q = h->req->query;
  if (q && *q && gale_form_parse(h->query_args, q, strlen(q), &lim) != GALE_OK)
    gale_log_warning("app", "malformed query string from %s",
                     gale_http_server_request_remote_ip(h->req));
  if (h->uploads) {
    /* A streamed multipart body: its fields were kept as it came. */
    gale_params *fields = gale__web_uploads_take_fields(h);
    if (fields) {
      gale_params_free(h->body_args);
      h->body_args = fields;
    }
  } else {
    parse_body_args(h);
  }
  h->query_args = normalised(h->query_args);
  h->body_args = normalised(h->body_args);
}

int gale_web_set_max_body_size(gale_web_handler *h, uint64_t max) {
  if (!h) return GALE_EINVAL;
  if (!h->req) return GALE_ECLOSED;
  return gale_http_server_request_set_max_body_size(h->req, max);
}

int gale_web_set_body_timeout(gale_web_handler *h, double seconds) {
  if (!h) return GALE_EINVAL;
  if (!h->req) return GALE_ECLOSED;
  return gale_http_server_request_set_body_timeout(h->req, seconds);
}

const char *gale_web_get_query_argument(gale_web_handler *h, const char *name, const char *dflt) {
  parse_args(h);
  const char *v = h->query_args ? gale_params_get_last(h->query_args, name, NULL) : NULL;
  return v ? v : dflt;
}

const char *gale_web_get_body_argument(gale_web_handler *h, const char *name, const char *dflt) {
  parse_args(h);
  const char *v = h->body_args ? gale_params_get_last(h->body_args, name, NULL) : NULL;
  return v ? v : dflt;
}

const char *gale_web_get_argument(gale_web_handler *h, const char *name, const char *dflt) {
  parse_args(h);
  /* Tornado's request.arguments holds the query values then the body's;
   * get_argument returns the last of them. */
  const char *v = h->body_args ? gale_params_get_last(h->body_args, name, NULL) : NULL;
  if (!v && h->query_args) v = gale_params_get_last(h->query_args, name, NULL);
  return v ? v : dflt;
}

size_t gale_web_get_arguments(gale_web_handler *h, const char *name, const char **values,
                              size_t max) {
  parse_args(h);
  size_t n = 0;
  gale_params *lists[2] = {h->query_args, h->body_args};
  for (int k = 0; k < 2; k++) {
    if (!lists[k]) continue;
    size_t cursor = 0;
    const char *v;
    while ((v = gale_params_next(lists[k], name, &cursor, NULL)) != NULL) {
      if (values && n < max) values[n] = v;
      n++;
    }
  }
  return n;
}

const gale_web_file *gale_web_get_file(gale_web_handler *h, const char *field, size_t index) {
  parse_args(h);
  if (!field) return NULL;
  for (size_t i = 0; i < h->nfiles; i++)
    if (strcmp(h->file_fields[i], field) == 0 && index-- == 0) return &h->files[i];
  return NULL;
}

size_t gale_web_get_file_count(gale_web_handler *h, const char *field) {
  parse_args(h);
  size_t n = 0;
  for (size_t i = 0; i < h->nfiles; i++)
    if (field && strcmp(h->file_fields[i], field) == 0) n++;
  return n;
}

const char *gale_web_get_cookie(gale_web_handler *h, const char *name, const char *dflt) {
  if (!h->cookies_parsed && h->req) {
    h->cookies_parsed = true;
    h->cookies = gale_params_new();
    gale_http_server_request *req = h->req;
    for (size_t i = 0; h->cookies && i < req->msg.num_headers; i++) {
      const gale_h1_header *f = &req->msg.headers[i];
      if (gale_ascii_eq_cstr(f->name.ptr, f->name.len, "Cookie"))
        gale_cookie_parse(h->cookies, f->value.ptr, f->value.len, NULL);
    }
  }
  const char *v = h->cookies && name ? gale_params_get(h->cookies, name, NULL) : NULL;
  return v ? v : dflt;
}

/* ---- accessors ------------------------------------------------------------------------ */

gale_web_app *gale_web_handler_app(const gale_web_handler *h) { return h->app; }
const gale_web_handler_class *gale_web_handler_class_of(const gale_web_handler *h) {
  return h->cls;
}
void *gale_web_handler_ctx(const gale_web_handler *h) { return h->ctx; }
void *gale_web_handler_route_args(const gale_web_handler *h) { return h->route_args; }
gale_http_server_request *gale_web_request(const gale_web_handler *h) { return h->req; }
size_t gale_web_path_arg_count(const gale_web_handler *h) { return h->npath_args; }
const char *gale_web_path_arg(const gale_web_handler *h, size_t index) {
  return index < h->npath_args ? h->path_args[index] : NULL;
}
const char *gale_web_path_kwarg(const gale_web_handler *h, const char *name) {
  if (!h->route || !name) return NULL;
  int n = pcre2_substring_number_from_name(h->route->re, (PCRE2_SPTR)name);
  if (n <= 0 || (size_t)n > h->npath_args) return NULL;
  return h->path_args[n - 1];
}
const char *gale_web_method(const gale_web_handler *h) { return h->req ? h->req->method : ""; }
const char *gale_web_uri(const gale_web_handler *h) { return h->req ? h->req->target : ""; }
const char *gale_web_path(const gale_web_handler *h) { return h->req ? h->req->path : ""; }
const char *gale_web_query(const gale_web_handler *h) { return h->req ? h->req->query : ""; }
const char *gale_web_header(const gale_web_handler *h, const char *name) {
  return h->req ? gale_http_server_request_header(h->req, name) : NULL;
}
const char *gale_web_remote_ip(const gale_web_handler *h) {
  /* Through the accessor: the address is formatted on first use. */
  return h->req ? gale_http_server_request_remote_ip(h->req) : "";
}
const char *gale_web_protocol(const gale_web_handler *h) { return h->req ? h->req->protocol : ""; }
const char *gale_web_host(const gale_web_handler *h) { return h->req ? h->req->host : ""; }
const char *gale_web_body(const gale_web_handler *h, size_t *len) {
  if (!h->req) {
    if (len) *len = 0;
    return NULL;
  }
  return gale_http_server_request_body(h->req, len);
}
