/* SPDX-License-Identifier: MIT */
/* The handler's response calls: status, headers, body, flush/finish with
 * the automatic ETag, redirects, error pages and cookies (JSON: web_json.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gale/cookie.h"
#include "gale/log.h"
#include "core/alloc.h"
#include "gale/escape.h"
#include "http/web/web_internal.h"

#define ETAG_MAX_BODY (1024 * 1024) /* hash bodies up to this size */

/* h->req is NULL once the request is gone under a live coroutine
 * (web_coro.c): every call here checks it first. */
int gale_web_set_status(gale_web_handler *h, int code, const char *reason) {
  if (!h->req) return GALE_ECLOSED;
  return gale_http_server_request_set_status(h->req, code, reason);
}
int gale_web_get_status(const gale_web_handler *h) {
  return h->req ? h->req->status : h->last_status;
}
int gale_web_set_header(gale_web_handler *h, const char *name, const char *value) {
  if (!h->req) return GALE_ECLOSED;
  return gale_http_server_request_set_header(h->req, name, value);
}
int gale_web_add_header(gale_web_handler *h, const char *name, const char *value) {
  if (!h->req) return GALE_ECLOSED;
  return gale_http_server_request_add_header(h->req, name, value);
}
int gale_web_clear_header(gale_web_handler *h, const char *name) {
  if (!h->req) return GALE_ECLOSED;
  return gale_http_server_request_clear_header(h->req, name);
}

static int check_open(gale_web_handler *h) {
  if (!h) return GALE_EINVAL;
  if (h->gone) return GALE_ECLOSED; /* before finished: close_cb sets both */
  if (h->finished) return GALE_ESTATE;
  return h->req ? GALE_OK : GALE_ECLOSED;
}

int gale_web_write(gale_web_handler *h, const void *data, size_t len) {
  int rc = check_open(h);
  if (rc != GALE_OK) return rc;
  return gale_http_server_request_write(h->req, data, len);
}

int gale_web_write_str(gale_web_handler *h, const char *s) {
  if (!s) return GALE_EINVAL;
  return gale_web_write(h, s, strlen(s));
}

int gale_web_printf(gale_web_handler *h, const char *fmt, ...) {
  int rc = check_open(h);
  if (rc != GALE_OK) return rc;
  va_list ap;
  va_start(ap, fmt);
  int n = evbuffer_add_vprintf(h->req->pending, fmt, ap);
  va_end(ap);
  return n < 0 ? GALE_ENOMEM : GALE_OK;
}

int gale_web_write_html_escaped(gale_web_handler *h, const char *s) {
  int rc = check_open(h);
  if (rc != GALE_OK || !s) return rc != GALE_OK ? rc : GALE_EINVAL;
  char storage[512];
  gale_buf b;
  gale_buf_init_storage(&b, storage, sizeof(storage), 0);
  rc = gale_xhtml_escape(&b, s, strlen(s));
  if (rc == GALE_OK) rc = gale_web_write(h, b.data, b.len);
  gale_buf_release(&b);
  return rc;
}

/* ---- flush, finish, ETag --------------------------------------------------------------------- */

int gale_web_flush(gale_web_handler *h) {
  int rc = check_open(h);
  if (rc != GALE_OK) return rc;
  return gale_http_server_request_flush(h->req);
}

/* FNV-1a 64 over the body: an ETag needs to change when the body does, not
 * to resist forgery, and this costs nothing on small bodies. */
static uint64_t body_hash(struct evbuffer *b) {
  uint64_t x = 1469598103934665603ull;
  struct evbuffer_ptr pos;
  struct evbuffer_iovec v[8];
  evbuffer_ptr_set(b, &pos, 0, EVBUFFER_PTR_SET);
  for (;;) {
    int n = evbuffer_peek(b, -1, &pos, v, 8);
    int take = n < 8 ? n : 8;
    size_t got = 0;
    for (int i = 0; i < take; i++) {
      const unsigned char *p = v[i].iov_base;
      for (size_t k = 0; k < v[i].iov_len; k++) x = (x ^ p[k]) * 1099511628211ull;
      got += v[i].iov_len;
    }
    if (n <= 8) break;
    if (evbuffer_ptr_set(b, &pos, got, EVBUFFER_PTR_ADD) != 0) break;
  }
  return x;
}

/* Whether an If-None-Match value lists `etag` (or "*"); weak tags match
 * as Tornado's check_etag_header does. */
static bool etag_matches(const char *inm, const char *etag) {
  size_t elen = strlen(etag);
  const char *p = inm;
  while (*p) {
    while (*p == ' ' || *p == '\t' || *p == ',') p++;
    if (!*p) break;
    if (*p == '*') return true;
    if (p[0] == 'W' && p[1] == '/') p += 2;
    const char *e = p;
    while (*e && *e != ',') e++;
    const char *end = e;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t')) end--;
    if ((size_t)(end - p) == elen && memcmp(p, etag, elen) == 0) return true;
    p = e;
  }
  return false;
}

static void apply_etag(gale_web_handler *h) {
  gale_http_server_request *req = h->req;
  if (!h->app->opts.etag || gale__request_head_sent(req) || req->status != 200) return;
  gale_h1_method m = req->msg.method_id;
  if (m != GALE_H1_METHOD_GET && m != GALE_H1_METHOD_HEAD) return;
  const char *etag = gale_headers_get(req->resp_headers, "Etag");
  char buf[24];
  if (!etag) {
    size_t len = evbuffer_get_length(req->pending);
    if (len > ETAG_MAX_BODY) return;
    /* By hand: snprintf was a visible share of a small response. */
    static const char hex[] = "0123456789abcdef";
    uint64_t x = body_hash(req->pending);
    buf[0] = '"';
    for (int i = 16; i >= 1; i--, x >>= 4) buf[i] = hex[x & 15];
    buf[17] = '"';
    buf[18] = '\0';
    gale_headers_set(req->resp_headers, "Etag", buf);
    etag = buf;
  }
  const char *inm = gale_http_server_request_header(req, "If-None-Match");
  if (inm && etag_matches(inm, etag)) {
    gale_http_server_request_discard(req);
    req->status = 304;
    req->reason_ptr = NULL;
    static const char *const drop[] = {"Content-Encoding", "Content-Language", "Content-MD5",
                                       "Content-Range",    "Content-Type",     "Last-Modified"};
    for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
      gale_headers_remove(req->resp_headers, drop[i]);
    req->has_declared_length = false;
  }
}

int gale_web_finish(gale_web_handler *h) {
  int rc = check_open(h);
  if (rc != GALE_OK) return rc;
  apply_etag(h);
  h->finished = true;
  rc = gale_http_server_request_finish(h->req);
  if (h->cls && h->cls->on_finish) h->cls->on_finish(h);
  return rc;
}

bool gale_web_finished(const gale_web_handler *h) { return h->finished; }

/* ---- redirect and errors ------------------------------------------------------------------ */

int gale_web_redirect(gale_web_handler *h, const char *url, int status) {
  int rc = check_open(h);
  if (rc != GALE_OK) return rc;
  if (!url || !*url) return GALE_EINVAL;
  if (status == 0) status = 302;
  if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308)
    return GALE_EINVAL;
  if (gale__request_head_sent(h->req)) return GALE_ESTATE;
  size_t n = strlen(url);
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)url[i] < 0x20 || url[i] == 0x7f) return GALE_EINVAL;
  rc = gale_http_server_request_set_header(h->req, "Location", url);
  if (rc != GALE_OK) return rc;
  gale_http_server_request_set_status(h->req, status, NULL);
  gale_http_server_request_discard(h->req);
  return gale_web_finish(h);
}

static void debug_details(gale_web_handler *h);

void gale__web_default_write_error(gale_web_handler *h, int status) {
  const char *reason = h->req->reason_ptr ? h->req->reason_ptr : gale_h1_reason_phrase(status);
  gale_web_printf(h, "<html><title>%d: %s</title><body>%d: %s", status, reason, status, reason);
  if (h->error_detail) {
    gale_web_write_str(h, "<p>");
    gale_web_write_html_escaped(h, h->error_detail);
    gale_web_write_str(h, "</p>");
  }
  if (status == 500 && h->app->opts.debug) debug_details(h);
  gale_web_write_str(h, "</body></html>");
}

void gale__web_note_error(gale_web_handler *h, const char *where, int code, const char *fmt, ...) {
  if (!h || h->error_where) return;
  h->error_where = where;
  h->error_code = code;
  if (!fmt) return;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&h->error_message, fmt, ap) < 0) h->error_message = NULL;
  va_end(ap);
}

/* Tornado's debug traceback page, for what gale knows of the failure:
 * every value HTML-escaped. */
static void debug_details(gale_web_handler *h) {
  gale_http_server_request *req = h->req;
  gale_web_write_str(h, "<h2>Debug</h2><pre>");
  if (h->error_code) {
    gale_web_write_str(h, "error:   GALE_");
    gale_web_write_html_escaped(h, gale_err_name(h->error_code));
    gale_web_printf(h, " (%d): ", h->error_code);
    gale_web_write_html_escaped(h, gale_strerror(h->error_code));
    gale_web_write_str(h, "\n");
  }
  if (h->error_message) {
    gale_web_write_str(h, "message: ");
    gale_web_write_html_escaped(h, h->error_message);
    gale_web_write_str(h, "\n");
  }
  gale_web_write_str(h, "in:      ");
  gale_web_write_html_escaped(h, h->error_where ? h->error_where : "the handler (send_error)");
  gale_web_write_str(h, "\nhandler: ");
  gale_web_write_html_escaped(h, h->cls && h->cls->name ? h->cls->name : "(unnamed class)");
  if (h->route) {
    gale_web_write_str(h, "\nroute:   ");
    gale_web_write_html_escaped(h, h->route->pattern);
    if (h->route->name) {
      gale_web_write_str(h, " (");
      gale_web_write_html_escaped(h, h->route->name);
      gale_web_write_str(h, ")");
    }
  }
  gale_web_write_str(h, "\nrequest: ");
  gale_web_write_html_escaped(h, req->method);
  gale_web_write_str(h, " ");
  gale_web_write_html_escaped(h, req->path);
  gale_web_write_str(h, "\n</pre>");
}

int gale_web_error_info(const gale_web_handler *h, const char **where, const char **message) {
  if (where) *where = h ? h->error_where : NULL;
  if (message) *message = h ? h->error_message : NULL;
  return h ? h->error_code : 0;
}

bool gale_web_debug(const gale_web_handler *h) { return h && h->app->opts.debug; }

int gale__web_send_error_detail(gale_web_handler *h, int status, const char *detail) {
  if (h) h->error_detail = detail;
  return gale_web_send_error(h, status);
}

int gale_web_send_error(gale_web_handler *h, int status) {
  if (!h) return GALE_EINVAL;
  if (h->finished || h->gone || !h->req) return GALE_ESTATE;
  gale_http_server_request *req = h->req;
  if (gale__request_head_sent(req)) {
    /* Too late for an error page: cut the response short. */
    gale_log_error("app", "cannot send error %d after the headers went out: closing", status);
    gale__request_abort(req);
    h->finished = true;
    gale__request_output_to(req, GALE__RS_FINISHED);
    if (h->cls && h->cls->on_finish) h->cls->on_finish(h);
    return GALE_OK;
  }
  if (status < 400 || status > 599) status = 500;
  gale_http_server_request_discard(req);
  gale_headers_clear(req->resp_headers);
  req->has_declared_length = false;
  gale__web_set_default_headers(h);
  if (status == 405 && h->allow[0]) gale_headers_set(req->resp_headers, "Allow", h->allow);
  gale_http_server_request_set_status(req, status, NULL);
  if (h->cls && h->cls->write_error)
    h->cls->write_error(h, status);
  else
    gale__web_default_write_error(h, status);
  if (h->finished) return GALE_OK;
  return gale_web_finish(h);
}

/* ---- cookies ------------------------------------------------------------------------------ */

int gale_web_set_cookie(gale_web_handler *h, const char *name, const char *value,
                        const gale_web_cookie_options *opts) {
  if (!h || !name || !value) return GALE_EINVAL;
  if (!h->req) return GALE_ECLOSED;
  if (gale__request_head_sent(h->req)) return GALE_ESTATE;
  gale_cookie_opts o;
  gale_cookie_opts_init(&o);
  o.path = "/";
  if (opts) {
    if (opts->path) o.path = opts->path;
    o.domain = opts->domain;
    if (opts->expires_days > 0) {
      double secs = opts->expires_days * 86400.0;
      o.expires = time(NULL) + (time_t)secs;
      o.has_max_age = true;
      o.max_age = (int64_t)secs;
    } else if (opts->expires_days < 0) {
      o.expires = 1;
      o.has_max_age = true;
      o.max_age = 0;
    }
    o.secure = opts->secure;
    o.http_only = opts->httponly;
    if (opts->samesite) {
      if (strcmp(opts->samesite, "Strict") == 0)
        o.same_site = GALE_SAMESITE_STRICT;
      else if (strcmp(opts->samesite, "Lax") == 0)
        o.same_site = GALE_SAMESITE_LAX;
      else if (strcmp(opts->samesite, "None") == 0)
        o.same_site = GALE_SAMESITE_NONE;
      else
        return GALE_EINVAL;
    }
  }
  size_t need = 0;
  int rc = gale_cookie_format(name, value, &o, NULL, 0, &need);
  if (rc != GALE_OK && rc != GALE_ERANGE) return rc;
  char stackbuf[512];
  char *buf = need < sizeof(stackbuf) ? stackbuf : gale__malloc(need + 1);
  if (!buf) return GALE_ENOMEM;
  rc = gale_cookie_format(name, value, &o, buf, need + 1, &need);
  if (rc == GALE_OK) rc = gale_http_server_request_add_header(h->req, "Set-Cookie", buf);
  if (buf != stackbuf) free(buf);
  return rc;
}

int gale_web_clear_cookie(gale_web_handler *h, const char *name, const char *path,
                          const char *domain) {
  gale_web_cookie_options o = {.path = path, .domain = domain, .expires_days = -1};
  return gale_web_set_cookie(h, name, "", &o);
}
