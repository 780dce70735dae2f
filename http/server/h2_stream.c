/* SPDX-License-Identifier: MIT */
/* One HTTP/2 stream of a server connection (h2_server.h): its request
 * built from HEADERS through the HTTP/1 head parser (same limits, same
 * accessors), its body from DATA, and gale__h2_req_ops, which puts the
 * response into HEADERS and DATA frames. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "http/server/h2_server.h"

static gale_http_server *server_of(gale__h2_stream *st) { return st->conn->server; }

int gale__h2_stream_begin(gale__h2_conn *c, int32_t id) {
  gale__h2_stream *st = gale__calloc(1, sizeof(*st));
  if (!st) return GALE_ENOMEM;
  st->out = evbuffer_new();
  if (!st->out) {
    free(st);
    return GALE_ENOMEM;
  }
  st->conn = c;
  st->id = id;
  gale_buf_init(&st->method, 0);
  gale_buf_init(&st->path, 0);
  gale_buf_init(&st->fields, 0);
  gale_buf_init(&st->cookie, 0);
  gale_buf_init(&st->authority, 0);
  nghttp2_session_set_stream_user_data(c->session, id, st);
  st->next = c->streams;
  if (c->streams) c->streams->prev = st;
  c->streams = st;
  c->nstreams++;
  return GALE_OK;
}

static bool is(const uint8_t *name, size_t nlen, const char *what) {
  return nlen == strlen(what) && memcmp(name, what, nlen) == 0;
}

int gale__h2_stream_header(gale__h2_stream *st, const uint8_t *name, size_t nlen,
                           const uint8_t *value, size_t vlen) {
  size_t max = server_of(st)->opts.max_header_size;
  st->header_bytes += nlen + vlen + 32;                       /* as RFC 9113 §6.5.2 counts */
  if (st->header_bytes > 4 * max + 65536) return GALE_ELIMIT; /* a bomb */
  if (st->header_bytes > max) st->too_large = true;
  if (st->too_large || st->bad) return GALE_OK;
  const char *v = (const char *)value;
  int rc = GALE_OK;
  if (nlen && name[0] == ':') {
    if (is(name, nlen, ":method"))
      rc = gale_buf_append(&st->method, v, vlen);
    else if (is(name, nlen, ":path"))
      rc = gale_buf_append(&st->path, v, vlen);
    else if (is(name, nlen, ":authority"))
      rc = gale_buf_append(&st->authority, v, vlen);
    else if (!is(name, nlen, ":scheme"))
      st->bad = true; /* :protocol (extended CONNECT) is not offered */
  } else if (is(name, nlen, "cookie")) {
    /* RFC 9113 §8.2.3: crumbs are joined for an HTTP/1 view. */
    if (st->cookie.len) rc = gale_buf_append(&st->cookie, "; ", 2);
    if (rc == GALE_OK) rc = gale_buf_append(&st->cookie, v, vlen);
  } else {
    if (is(name, nlen, "host")) st->has_host = true;
    rc = gale_buf_append(&st->fields, (const char *)name, nlen);
    if (rc == GALE_OK) rc = gale_buf_append(&st->fields, ": ", 2);
    if (rc == GALE_OK) rc = gale_buf_append(&st->fields, v, vlen);
    if (rc == GALE_OK) rc = gale_buf_append(&st->fields, "\r\n", 2);
  }
  if (rc != GALE_OK) st->bad = true;
  return GALE_OK;
}

static int add_field(gale_buf *b, const char *name, const gale_buf *value) {
  int rc = gale_buf_append(b, name, strlen(name));
  if (rc == GALE_OK) rc = gale_buf_append(b, value->data, value->len);
  return rc == GALE_OK ? gale_buf_append(b, "\r\n", 2) : rc;
}

/* The HTTP/1 view of the header block, owned by the caller (NUL-ended). */
static char *build_head(gale__h2_stream *st, size_t *len) {
  gale_buf b;
  gale_buf_init(&b, 0);
  bool host = st->has_host || st->authority.len;
  int rc = gale_buf_append(&b, st->method.data, st->method.len);
  if (rc == GALE_OK) rc = gale_buf_append(&b, " ", 1);
  if (rc == GALE_OK) rc = gale_buf_append(&b, st->path.data, st->path.len);
  if (rc == GALE_OK) rc = gale_buf_append_str(&b, host ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n");
  if (rc == GALE_OK && !st->has_host && st->authority.len)
    rc = add_field(&b, "host: ", &st->authority);
  if (rc == GALE_OK) rc = gale_buf_append(&b, st->fields.data, st->fields.len);
  if (rc == GALE_OK && st->cookie.len) rc = add_field(&b, "cookie: ", &st->cookie);
  if (rc == GALE_OK) rc = gale_buf_append(&b, "\r\n", 2);
  if (rc != GALE_OK || !st->method.len || !st->path.len) {
    gale_buf_release(&b);
    return NULL;
  }
  char *copy = gale__malloc(b.len + 1);
  if (copy) {
    memcpy(copy, b.data, b.len);
    copy[b.len] = '\0';
    *len = b.len;
  }
  gale_buf_release(&b);
  return copy;
}

/* Answers with a short page while no byte of the answer went out (the
 * application, if it had the request, is told it is gone first, as over
 * HTTP/1); past that the stream is reset. */
static void fail(gale__h2_stream *st, int status, const char *detail) {
  gale_http_server_request *req = st->req;
  if (!req || gale__request_finished(req)) return;
  if (gale__request_head_sent(req)) {
    nghttp2_submit_rst_stream(st->conn->session, NGHTTP2_FLAG_NONE, st->id,
                              status >= 500 ? NGHTTP2_INTERNAL_ERROR : NGHTTP2_PROTOCOL_ERROR);
    gale__h2_conn_schedule(st->conn);
    return;
  }
  if (req->app_seen && req->close_cb) {
    gale_http_close_cb cb = req->close_cb;
    req->close_cb = NULL;
    cb(req, GALE_EHTTP_PARSE, req->close_arg);
  }
  gale_http_server_request_discard(req);
  gale_headers_clear(req->resp_headers);
  req->has_declared_length = false;
  gale_http_server_request_set_status(req, status, NULL);
  gale_http_server_request_set_header(req, "Content-Type", "text/plain; charset=utf-8");
  gale_http_server_request_printf(req, "%d %s%s%s\n", status, gale_h1_reason_phrase(status),
                                  detail ? ": " : "", detail ? detail : "");
  gale_http_server_request_finish(req);
}

static void dispatch(gale__h2_stream *st) {
  gale_http_server_request *req = st->req;
  gale_http_server *server = server_of(st);
  if (gale__request_finished(req)) return;
  req->app_seen = true;
  server->request_cb(req, server->arg);
}

static int inflate_sink(void *arg, const char *data, size_t len) {
  gale_http_server_request *req = arg;
  if (req->streaming) return req->body_cb(req, data, len, req->body_arg);
  return gale__request_body_append(req, data, len);
}

/* Parses the HTTP/1 view of the block into the request; an HTTP status on
 * failure, 0 when the request may go on. */
static int parse_request(gale__h2_stream *st) {
  gale_http_server_request *req = st->req;
  gale_http_server *server = server_of(st);
  if (st->too_large) return 431;
  size_t len = 0;
  char *head = st->bad ? NULL : build_head(st, &len);
  if (!head) return 400;
  req->head_copy = head; /* the request owns it: nothing to detach */
  int rc = gale_h1_parse_head(&req->parser, head, len, &req->msg);
  if (rc < 0 || rc == GALE_EAGAIN) return rc < 0 ? gale_h1_error_status(rc, NULL) : 400;
  if (gale__request_set_head(req, head) != GALE_OK) return 503;
  req->version = "HTTP/2.0";
  if (server->opts.xheaders) gale__server_apply_xheaders(server, req);
  if (req->msg.method_id == GALE_H1_METHOD_CONNECT) return 501;
  return 0;
}

static int start_body(gale__h2_stream *st) {
  gale_http_server_request *req = st->req;
  gale_http_server *server = server_of(st);
  if (req->msg.content_gzip && server->opts.decompress_request)
    return gale__gzip_new(&req->inflate, GALE_GZIP_DECOMPRESS, 0, req->max_body_size) == GALE_OK
               ? 0
               : 503;
  if (req->msg.body_kind == GALE_H1_BODY_LENGTH && req->msg.content_length > req->max_body_size)
    return 413;
  if (req->msg.body_kind == GALE_H1_BODY_LENGTH && !req->streaming &&
      gale__request_body_reserve(req, req->msg.content_length) != GALE_OK)
    return 503;
  return 0;
}

void gale__h2_stream_headers_done(gale__h2_stream *st, bool end) {
  gale__h2_conn *c = st->conn;
  gale_http_server *server = c->server;
  if (st->req) return; /* trailers */
  double now = gale_loop_time(server->loop);
  st->req = gale__request_new(server, &gale__h2_req_ops, st, c->is_tls, now);
  if (!st->req) {
    nghttp2_submit_rst_stream(c->session, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
    return;
  }
  gale_http_server_request *req = st->req;
  st->progress_time = now;
  int status = parse_request(st);
  gale__request_input_to(req, end ? GALE__RQ_DONE : GALE__RQ_BODY);
  if (status) {
    fail(st, status, status == 431 ? "header list too large" : NULL);
    return;
  }
  if (server->opts.headers_cb) {
    req->app_seen = true;
    req->in_headers_cb = true;
    server->opts.headers_cb(req, server->arg);
    if (st->closed) return;
    req->in_headers_cb = false;
    if (gale__request_finished(req)) return;
  }
  if (!end && (status = start_body(st)) != 0) {
    fail(st, status, status == 503 ? "the server's request body buffer is full" : NULL);
    return;
  }
  if (end) dispatch(st);
}

void gale__h2_stream_data(gale__h2_stream *st, const uint8_t *data, size_t len) {
  gale_http_server_request *req = st->req;
  if (!req || gale__request_finished(req) || st->closed || req->input != GALE__RQ_BODY) return;
  st->body_bytes += len;
  if (st->body_bytes > req->max_body_size) {
    fail(st, 413, NULL);
    return;
  }
  const char *p = (const char *)data;
  int rc;
  if (req->inflate)
    rc = gale__gzip_write(req->inflate, p, len, inflate_sink, req);
  else if (req->streaming)
    rc = req->body_cb(req, p, len, req->body_arg);
  else
    rc = gale__request_body_append(req, p, len);
  if (rc != GALE_OK && !st->closed)
    fail(st,
         rc == GALE_ELIMIT                 ? 503
         : rc == GALE_EHTTP_BODY_TOO_LARGE ? 413
         : rc == GALE_ENOMEM               ? 500
                                           : 400,
         req->body_error);
}

void gale__h2_stream_end(gale__h2_stream *st) {
  gale_http_server_request *req = st->req;
  if (!req || st->closed || req->input != GALE__RQ_BODY) return;
  if (req->inflate && !gale__request_finished(req)) {
    int rc = gale__gzip_finish(req->inflate, inflate_sink, req);
    if (st->closed) return;
    if (rc != GALE_OK) {
      fail(st, 400, "bad gzip body");
      return;
    }
  }
  gale__request_input_to(req, GALE__RQ_DONE);
  dispatch(st);
}

void gale__h2_stream_closed(gale__h2_stream *st, int status) {
  gale__h2_conn *c = st->conn;
  st->closed = true;
  if (st->prev)
    st->prev->next = st->next;
  else
    c->streams = st->next;
  if (st->next) st->next->prev = st->prev;
  c->nstreams--;
  nghttp2_session_set_stream_user_data(c->session, st->id, NULL);
  gale_http_server_request *req = st->req;
  st->req = NULL;
  if (req) {
    if (req->app_seen && !gale__request_finished(req) && req->close_cb) {
      gale_http_close_cb cb = req->close_cb;
      req->close_cb = NULL;
      cb(req, status, req->close_arg);
    }
    req->conn = NULL;
    gale__request_free(req);
  }
  gale_buf_release(&st->method);
  gale_buf_release(&st->path);
  gale_buf_release(&st->fields);
  gale_buf_release(&st->cookie);
  gale_buf_release(&st->authority);
  evbuffer_free(st->out);
  free(st);
  if (c->goaway && c->nstreams == 0) gale__h2_conn_schedule(c);
}
