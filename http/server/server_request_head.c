/* SPDX-License-Identifier: MIT */
/* The server-side request as the client sent it: the head parsed in place
 * (spans NUL-terminated where they lie), copied out when the request
 * outlives the input buffer, the target split into path and query, the
 * accessors, and how the body comes in (buffered, or streamed to a
 * callback chosen in headers_cb). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "http/server/server_internal.h"

/* ---- the head -------------------------------------------------------------- */

/* Terminates a span in place: the byte after it is a delimiter we own. */
static const char *span_cstr(gale_h1_span s) {
  if (!s.ptr) return "";
  ((char *)s.ptr)[s.len] = '\0';
  return s.ptr;
}

static int split_target(gale_http_server_request *req) {
  const char *t = req->target;
  size_t tlen = req->msg.target.len;
  const char *p = t;
  size_t plen = tlen;
  if (req->msg.target_form == GALE_H1_TARGET_ABSOLUTE) {
    const char *auth = memchr(t, ':', tlen);
    /* scheme "://" authority [path] */
    if (auth && (size_t)(auth - t) + 3 <= tlen) {
      const char *rest = auth + 3;
      size_t rlen = tlen - (size_t)(rest - t);
      const char *slash = memchr(rest, '/', rlen);
      const char *q = memchr(rest, '?', rlen);
      if (slash && (!q || slash < q)) {
        p = slash;
        plen = tlen - (size_t)(slash - t);
      } else if (q) {
        p = q;
        plen = tlen - (size_t)(q - t);
      } else {
        p = "/";
        plen = 1;
      }
    }
  }
  gale_buf_reset(&req->paths);
  int rc = gale_buf_reserve(&req->paths, plen + 2);
  if (rc != GALE_OK) return rc;
  const char *q = memchr(p, '?', plen);
  size_t path_len = q ? (size_t)(q - p) : plen;
  char *out = req->paths.data;
  if (path_len == 0) {
    /* "http://h?x" or "*": the path is "/" or the target itself */
    if (req->msg.target_form == GALE_H1_TARGET_ASTERISK) {
      out[0] = '*';
      path_len = 1;
    } else {
      out[0] = '/';
      path_len = 1;
    }
  } else {
    memcpy(out, p, path_len);
  }
  out[path_len] = '\0';
  req->path = out;
  char *qs = out + path_len + 1;
  size_t qlen = q ? plen - (size_t)(q - p) - 1 : 0;
  memcpy(qs, q ? q + 1 : "", qlen);
  qs[qlen] = '\0';
  req->query = qs;
  return gale_buf_set_len(&req->paths, path_len + 1 + qlen + 1);
}

int gale__request_set_head(gale_http_server_request *req, char *base) {
  gale_h1_msg *m = &req->msg;
  req->head_len = m->head_len;
  req->method = span_cstr(m->method);
  req->target = span_cstr(m->target);
  req->version = m->version_minor ? "HTTP/1.1" : "HTTP/1.0";
  for (size_t i = 0; i < m->num_headers; i++) {
    m->headers[i].name.ptr = span_cstr(m->headers[i].name);
    m->headers[i].value.ptr = span_cstr(m->headers[i].value); /* "" when empty */
  }
  /* The host span may be inside the target (absolute form): copy it out
   * of the way of the target's terminator by pointing at a header value
   * when it came from Host. */
  req->host = "";
  if (m->host.len) {
    const gale_h1_header *h = gale_h1_find_header(m, "Host", 4);
    if (h && h->value.ptr == m->host.ptr && h->value.len == m->host.len)
      req->host = h->value.ptr;
    else
      req->host = NULL; /* computed into paths below */
  }
  req->head_base = base;
  int rc = split_target(req);
  if (rc != GALE_OK) return rc;
  if (!req->host) {
    /* Absolute-form authority: store after path and query. */
    size_t used = req->paths.len;
    rc = gale_buf_append(&req->paths, m->host.ptr, m->host.len);
    if (rc != GALE_OK) return rc;
    /* re-point path and query: the block may have moved */
    req->path = req->paths.data;
    req->query = req->path + strlen(req->path) + 1;
    req->host = req->paths.data + used;
  }
  return GALE_OK;
}

static const char *rebase(const char *p, const char *from, size_t len, char *to) {
  if (p >= from && p < from + len) return to + (p - from);
  return p;
}

int gale__request_detach(gale_http_server_request *req) {
  if (req->head_copy || !req->head_len || !req->head_base) return GALE_OK;
  gale_h1_msg *m = &req->msg;
  const char *from = req->head_base;
  size_t len = req->head_len;
  char *copy = gale__malloc(len);
  if (!copy) return GALE_ENOMEM;
  memcpy(copy, from, len);
  req->method = rebase(req->method, from, len, copy);
  req->target = rebase(req->target, from, len, copy);
  req->host = rebase(req->host, from, len, copy);
  m->method.ptr = rebase(m->method.ptr, from, len, copy);
  m->target.ptr = rebase(m->target.ptr, from, len, copy);
  m->host.ptr = rebase(m->host.ptr, from, len, copy);
  m->reason.ptr = rebase(m->reason.ptr, from, len, copy);
  for (size_t i = 0; i < m->num_headers; i++) {
    m->headers[i].name.ptr = rebase(m->headers[i].name.ptr, from, len, copy);
    m->headers[i].value.ptr = rebase(m->headers[i].value.ptr, from, len, copy);
  }
  req->head_copy = copy;
  req->head_base = copy;
  return GALE_OK;
}

/* ---- the buffered body, within the server's max_body_buffer ----------------- */

static void body_charge(gale_http_server_request *req, size_t bytes) {
  if (bytes <= req->body_charged) return;
  req->server->body_buffered += bytes - req->body_charged;
  req->body_charged = bytes;
}

int gale__request_body_reserve(gale_http_server_request *req, uint64_t length) {
  gale_http_server *server = req->server;
  size_t max = server->opts.max_body_buffer;
  if (!max) return GALE_OK;
  if (length >= max || server->body_buffered - req->body_charged > max - length - 1)
    return GALE_ELIMIT;
  req->body.max = (size_t)length; /* its storage never grows past the body */
  body_charge(req, (size_t)length + 1);
  body_charge(req, req->body.cap); /* a pooled buffer may be larger */
  return GALE_OK;
}

int gale__request_body_append(gale_http_server_request *req, const char *data, size_t len) {
  gale_buf *b = &req->body;
  size_t max = req->server->opts.max_body_buffer;
  if (!max || (b->len + len < b->cap && b->cap <= req->body_charged))
    return gale_buf_append(b, data, len);
  /* The storage this append leaves (gale_buf doubles from 64 bytes). */
  size_t need = b->len + len + 1, cap = b->cap > 64 ? b->cap : 64;
  if (len > max || b->len > max) return GALE_ELIMIT;
  while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  if (b->max && cap > b->max + 1) cap = b->max + 1;
  size_t others = req->server->body_buffered - req->body_charged;
  if (cap > max || others > max - cap) return GALE_ELIMIT;
  int rc = gale_buf_append(b, data, len);
  if (rc == GALE_OK) body_charge(req, b->cap);
  return rc;
}

/* ---- accessors --------------------------------------------------------------- */

gale_http_server *gale_http_server_request_server(const gale_http_server_request *req) {
  return req ? req->server : NULL;
}
const char *gale_http_server_request_method(const gale_http_server_request *req) {
  return req->method;
}
const char *gale_http_server_request_uri(const gale_http_server_request *req) {
  return req->target;
}
const char *gale_http_server_request_path(const gale_http_server_request *req) { return req->path; }
const char *gale_http_server_request_query(const gale_http_server_request *req) {
  return req->query;
}
const char *gale_http_server_request_version(const gale_http_server_request *req) {
  return req->version;
}
const char *gale_http_server_request_host(const gale_http_server_request *req) { return req->host; }
const char *gale_http_server_request_remote_ip(const gale_http_server_request *req) {
  gale_http_server_request *r = (gale_http_server_request *)req; /* a cache */
  if (!r->remote_ip[0] && r->conn) r->ops->peer_ip(r, r->remote_ip, sizeof(r->remote_ip));
  return r->remote_ip;
}
const char *gale_http_server_request_protocol(const gale_http_server_request *req) {
  return req->protocol;
}

const char *gale_http_server_request_header(const gale_http_server_request *req, const char *name) {
  if (!req || !name) return NULL;
  const gale_h1_header *h = gale_h1_find_header(&req->msg, name, strlen(name));
  return h ? h->value.ptr : NULL;
}

size_t gale_http_server_request_header_count(const gale_http_server_request *req) {
  return req->msg.num_headers;
}

bool gale_http_server_request_header_at(const gale_http_server_request *req, size_t index,
                                        const char **name, const char **value) {
  if (index >= req->msg.num_headers) return false;
  if (name) *name = req->msg.headers[index].name.ptr;
  if (value) *value = req->msg.headers[index].value.ptr;
  return true;
}

const char *gale_http_server_request_body(const gale_http_server_request *req, size_t *len) {
  if (len) *len = req->body.len;
  return req->body.data ? req->body.data : "";
}

double gale_http_server_request_elapsed(const gale_http_server_request *req) {
  return gale_loop_time(req->server->loop) - req->start_time;
}

int gale_http_server_request_stream_body(gale_http_server_request *req, gale_http_body_cb body_cb,
                                         void *arg) {
  if (!req || !body_cb) return GALE_EINVAL;
  if (!req->conn || !req->in_headers_cb) return GALE_ESTATE;
  req->streaming = true;
  req->body_cb = body_cb;
  req->body_arg = arg;
  return GALE_OK;
}

int gale_http_server_request_set_max_body_size(gale_http_server_request *req, uint64_t max) {
  if (!req) return GALE_EINVAL;
  if (!req->conn || !req->in_headers_cb) return GALE_ESTATE;
  req->max_body_size = max ? max : UINT64_MAX;
  return GALE_OK;
}

int gale_http_server_request_set_body_timeout(gale_http_server_request *req, double seconds) {
  if (!req || seconds < 0) return GALE_EINVAL;
  if (!req->conn || !req->in_headers_cb) return GALE_ESTATE;
  req->body_timeout = seconds;
  return GALE_OK;
}

uint64_t gale_http_server_request_max_body_size(const gale_http_server_request *req) {
  return req ? req->max_body_size : 0;
}

void gale_http_server_request_set_close_cb(gale_http_server_request *req, gale_http_close_cb cb,
                                           void *arg) {
  req->close_cb = cb;
  req->close_arg = arg;
}

void gale_http_server_request_set_user(gale_http_server_request *req, void *user) {
  req->user = user;
}
void *gale_http_server_request_get_user(const gale_http_server_request *req) { return req->user; }
