/* SPDX-License-Identifier: MIT */
/* The server-side request object: its pool (a keep-alive request costs no
 * allocation once warm), its reset and life cycle, and the response put on
 * the wire on flush/finish (head, framing, gzip, files).  What the client
 * sent is read in server_request_head.c; the response is built in
 * server_response.c. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/assert.h"
#include "http/server/server_internal.h"
#include "http/wire/h1_head.h"
#include "iostream/stream_internal.h"

#define REQ_POOL_MAX 64
#define BODY_KEEP_MAX 16384 /* body buffers larger than this are not pooled */
#define PATHS_KEEP_MAX 4096
#define GZIP_MIN_LENGTH 1024 /* Tornado's GZipContentEncoding.MIN_LENGTH */
#define SMALL_BODY 2048      /* bodies up to this are copied next to the head */

/* ---- life cycle (server_internal.h) ------------------------------------------ */

#define B(s) GALE__STATE_BIT(s)
static const uint32_t input_moves[] = {
    [GALE__RQ_HEAD] = B(GALE__RQ_BODY) | B(GALE__RQ_DONE),
    [GALE__RQ_BODY] = B(GALE__RQ_DONE),
    [GALE__RQ_DONE] = 0,
};
static const uint32_t output_moves[] = {
    [GALE__RS_OPEN] = B(GALE__RS_HEAD_SENT) | B(GALE__RS_UNSENT),
    [GALE__RS_HEAD_SENT] = B(GALE__RS_FINISHED),
    [GALE__RS_FINISHED] = 0,
    [GALE__RS_UNSENT] = 0,
};
#undef B

void gale__request_input_to(gale_http_server_request *req, gale__req_input to) {
  gale__transition(req->input, to, input_moves);
}

void gale__request_output_to(gale_http_server_request *req, gale__req_output to) {
  gale__transition(req->output, to, output_moves);
}

/* ---- pool ------------------------------------------------------------------ */

/* The one place a request starts afresh, new or from the pool: the
 * per-request part (from `conn` on) is zeroed at once, then the fields
 * whose start is not zero are set. */
static void request_reset(gale_http_server_request *req, const gale__req_ops *ops, void *conn,
                          bool is_tls, double start_time) {
  gale_http_server *server = req->server;
  size_t from = offsetof(gale_http_server_request, conn);
  memset((char *)req + from, 0, sizeof(*req) - from);
  req->conn = conn;
  req->ops = ops;
  gale_h1_parser_init(&req->parser, GALE_H1_REQUEST, &server->limits);
  req->parser.limits.max_body_size = UINT64_MAX; /* checked after headers_cb */
  req->max_body_size = server->limits.max_body_size;
  req->body_timeout = server->opts.body_timeout;
  req->msg.headers = (gale_h1_header *)(req + 1);
  req->msg.headers_cap = server->limits.max_headers;
  req->method = req->target = req->version = req->host = "";
  req->path = req->query = "";
  req->protocol = is_tls ? "https" : "http";
  req->start_time = start_time;
  req->status = 200;
  req->input = GALE__RQ_HEAD;
  req->output = GALE__RS_OPEN;
}

gale_http_server_request *gale__request_new(gale_http_server *server, const gale__req_ops *ops,
                                            void *conn, bool is_tls, double start_time) {
  gale_http_server_request *req = server->free_reqs;
  if (req) {
    server->free_reqs = req->next_free;
    server->nfree_reqs--;
    req->next_free = NULL;
  } else {
    size_t nh = server->limits.max_headers;
    req = gale__calloc(1, sizeof(*req) + nh * sizeof(gale_h1_header));
    if (!req) return NULL;
    req->server = server;
    gale_buf_init(&req->paths, 0);
    gale_buf_init(&req->body, 0);
    req->resp_headers = gale_headers_new();
    req->pending = evbuffer_new();
    if (!req->resp_headers || !req->pending) {
      gale_headers_free(req->resp_headers);
      if (req->pending) evbuffer_free(req->pending);
      free(req);
      return NULL;
    }
  }
  request_reset(req, ops, conn, is_tls, start_time);
  return req;
}

static void request_release(gale_http_server_request *req) {
  gale__gzip_free(req->deflate);
  free(req->head_copy);
  gale_buf_release(&req->paths);
  gale_buf_release(&req->body);
  gale__gzip_free(req->inflate);
  gale_headers_free(req->resp_headers);
  evbuffer_free(req->pending);
  free(req);
}

void gale__request_free(gale_http_server_request *req) {
  if (!req) return;
  gale__assert(!req->timer); /* the connection cancels it first */
  if (req->layer_free) {
    void (*fn)(gale_http_server_request *) = req->layer_free;
    req->layer_free = NULL;
    fn(req);
  }
  req->layer = NULL;
  gale_http_server *server = req->server;
  free(req->head_copy);
  req->head_copy = NULL;
  gale__gzip_free(req->inflate);
  req->inflate = NULL;
  gale__gzip_free(req->deflate);
  req->deflate = NULL;
  server->body_buffered -= req->body_charged;
  req->body_charged = 0;
  req->body.max = 0;
  if (req->body.cap > BODY_KEEP_MAX) gale_buf_release(&req->body);
  if (req->paths.cap > PATHS_KEEP_MAX) gale_buf_release(&req->paths);
  gale_buf_reset(&req->body);
  gale_headers_clear(req->resp_headers);
  evbuffer_drain(req->pending, evbuffer_get_length(req->pending));
  req->conn = NULL;
  if (server->nfree_reqs >= REQ_POOL_MAX || server->dead) {
    request_release(req);
    return;
  }
  req->next_free = server->free_reqs;
  server->free_reqs = req;
  server->nfree_reqs++;
}

void gale__request_pool_free(gale_http_server *server) {
  while (server->free_reqs) {
    gale_http_server_request *req = server->free_reqs;
    server->free_reqs = req->next_free;
    request_release(req);
  }
  server->nfree_reqs = 0;
}

/* ---- response: on the wire ---------------------------------------------------------- */

static int gzip_sink(void *arg, const char *data, size_t len) {
  return evbuffer_add(arg, data, len) == 0 ? GALE_OK : GALE_ENOMEM;
}

/* Feeds every pending byte through `z` into `zout`, then ends the gzip
 * stream (`last`) or sync-flushes it (Z_SYNC_FLUSH: the client can decode
 * what was sent so far).  Leaves the pending bytes where they are. */
static int gzip_pending_into(gale_http_server_request *req, gale_gzip *z, bool last,
                             struct evbuffer *zout) {
  int n = evbuffer_peek(req->pending, -1, NULL, NULL, 0);
  struct evbuffer_iovec stackv[8];
  struct evbuffer_iovec *v = n <= 8 ? stackv : gale__malloc(sizeof(*v) * (size_t)n);
  if (!v) return GALE_ENOMEM;
  int rc = GALE_OK;
  evbuffer_peek(req->pending, -1, NULL, v, n);
  for (int i = 0; i < n && rc == GALE_OK; i++)
    rc = gale__gzip_write(z, v[i].iov_base, v[i].iov_len, gzip_sink, zout);
  if (rc == GALE_OK)
    rc = last ? gale__gzip_finish(z, gzip_sink, zout) : gale__gzip_flush(z, gzip_sink, zout);
  if (v != stackv) free(v);
  return rc;
}

/* A streamed, gzipped response: replaces the pending bytes by their
 * compressed form, flushed, or with the gzip trailer when `last`. */
static int deflate_pending(gale_http_server_request *req, bool last) {
  struct evbuffer *zout = evbuffer_new();
  if (!zout) return GALE_ENOMEM;
  int rc = gzip_pending_into(req, req->deflate, last, zout);
  evbuffer_drain(req->pending, evbuffer_get_length(req->pending));
  if (rc == GALE_OK && evbuffer_add_buffer(req->pending, zout) != 0) rc = GALE_ENOMEM;
  evbuffer_free(zout);
  return rc;
}

/* Moves the pending body to the output with the response's framing. */
static int send_pending(gale_http_server_request *req) {
  if (gale__request_gone(req)) return GALE_ECLOSED;
  if (req->deflate && !req->no_body && evbuffer_get_length(req->pending) > 0) {
    int rc = deflate_pending(req, false);
    if (rc != GALE_OK) return rc;
  }
  size_t len = evbuffer_get_length(req->pending);
  if (len == 0) return GALE_OK;
  if (req->no_body) {
    evbuffer_drain(req->pending, len);
    req->sent_body += len;
    return GALE_OK;
  }
  if (req->has_declared_length && req->sent_body + len > req->declared_length) {
    evbuffer_drain(req->pending, len);
    return GALE_EINVAL;
  }
  int rc = req->ops->write_body(req, len);
  if (rc == GALE_OK) req->sent_body += len;
  return rc;
}

static bool should_gzip_stream(gale_http_server_request *req);

int gale_http_server_request_flush(gale_http_server_request *req) {
  int rc = gale__request_check_writable(req);
  if (rc != GALE_OK) return rc;
  if (!gale__request_head_sent(req)) {
    bool gz = false;
    req->no_body =
        req->msg.method_id == GALE_H1_METHOD_HEAD || gale__status_has_no_body(req->status);
    if (should_gzip_stream(req) &&
        gale__gzip_new(&req->deflate, GALE_GZIP_COMPRESS, 6, 0) == GALE_OK)
      gz = true;
    rc = req->ops->write_head(req, -1, gz);
    if (rc != GALE_OK) return rc;
    gale__request_output_to(req, GALE__RS_HEAD_SENT);
  }
  rc = send_pending(req);
  if (rc == GALE_EINVAL) {
    req->force_close = true;
    req->keep_alive = false;
  }
  return rc;
}

int gale_http_server_request_write_file(gale_http_server_request *req, int fd, off_t offset,
                                        off_t length) {
  int rc = gale__request_check_writable(req);
  if (rc != GALE_OK || fd < 0 || offset < 0 || length < 0) {
    if (fd >= 0) close(fd);
    return rc != GALE_OK ? rc : GALE_EINVAL;
  }
  /* File bytes go out as they are (sendfile): never inside a gzip stream. */
  if (req->deflate) {
    close(fd);
    return GALE_ESTATE;
  }
  req->compress_checked = true;
  rc = gale_http_server_request_flush(req);
  if (rc != GALE_OK) {
    close(fd);
    return rc;
  }
  if (req->no_body || length == 0) {
    close(fd);
    req->sent_body += (uint64_t)length;
    return GALE_OK;
  }
  if (req->has_declared_length && req->sent_body + (uint64_t)length > req->declared_length) {
    close(fd);
    return GALE_EINVAL;
  }
  rc = req->ops->write_file(req, fd, offset, length);
  if (rc == GALE_OK) req->sent_body += (uint64_t)length;
  return rc;
}

/* Whether to gzip a response finished in one piece (Tornado's
 * GZipContentEncoding: compressible type, big enough, client accepts). */
static bool gzip_eligible(gale_http_server_request *req) {
  if (!req->server->opts.compress_response || req->no_body) return false;
  if (req->status != 200 || req->has_declared_length) return false;
  if (gale_headers_get(req->resp_headers, "Content-Encoding")) return false;
  const char *ct = gale_headers_get(req->resp_headers, "Content-Type");
  if (!ct || !gale__gzip_compressible_type(ct, strlen(ct))) return false;
  gale_headers_add(req->resp_headers, "Vary", "Accept-Encoding");
  const char *ae = gale_http_server_request_header(req, "Accept-Encoding");
  return ae && gale__gzip_accepted(ae, strlen(ae));
}

static bool should_gzip(gale_http_server_request *req, size_t len) {
  return len >= GZIP_MIN_LENGTH && gzip_eligible(req);
}

/* A streamed response is compressed whatever its size (Tornado's
 * GZipContentEncoding): its length is unknown when the head goes out. */
static bool should_gzip_stream(gale_http_server_request *req) {
  return !req->compress_checked && gzip_eligible(req);
}

/* A response finished in one piece: the pending bytes become one whole
 * gzip stream; on failure they stay as they were (sent uncompressed). */
static int compress_pending(gale_http_server_request *req) {
  gale_gzip *z = NULL;
  int rc = gale__gzip_new(&z, GALE_GZIP_COMPRESS, 6, 0);
  if (rc != GALE_OK) return rc;
  struct evbuffer *zout = evbuffer_new();
  if (!zout) {
    gale__gzip_free(z);
    return GALE_ENOMEM;
  }
  rc = gzip_pending_into(req, z, true, zout);
  gale__gzip_free(z);
  if (rc == GALE_OK) {
    evbuffer_drain(req->pending, evbuffer_get_length(req->pending));
    evbuffer_add_buffer(req->pending, zout);
  }
  evbuffer_free(zout);
  return rc;
}

int gale_http_server_request_finish(gale_http_server_request *req) {
  if (!req) return GALE_EINVAL;
  if (gale__request_finished(req)) return GALE_ESTATE;
  if (gale__request_gone(req)) {
    gale__request_output_to(req, GALE__RS_UNSENT);
    return GALE_ECLOSED;
  }
  int rc = GALE_OK;
  if (!gale__request_head_sent(req)) {
    size_t len = evbuffer_get_length(req->pending);
    bool gz = false;
    req->no_body =
        req->msg.method_id == GALE_H1_METHOD_HEAD || gale__status_has_no_body(req->status);
    if (should_gzip(req, len) && compress_pending(req) == GALE_OK) {
      gz = true;
      len = evbuffer_get_length(req->pending);
    }
    if (gale__status_has_no_body(req->status)) {
      evbuffer_drain(req->pending, len);
      len = 0;
    }
    rc = req->ops->write_head(req, (int64_t)len, gz);
    if (rc == GALE_OK) {
      gale__request_output_to(req, GALE__RS_HEAD_SENT);
      rc = send_pending(req);
    }
  } else {
    if (req->deflate && !req->no_body) {
      rc = deflate_pending(req, true); /* the rest and the gzip trailer */
      gale__gzip_free(req->deflate);
      req->deflate = NULL;
    }
    if (rc == GALE_OK) rc = send_pending(req);
    if (rc == GALE_OK) rc = req->ops->end_body(req);
  }
  if (rc == GALE_OK && req->has_declared_length && !req->no_body &&
      req->sent_body != req->declared_length)
    rc = GALE_EINVAL;
  if (rc != GALE_OK) req->keep_alive = false;
  gale__request_output_to(req, gale__request_head_sent(req) ? GALE__RS_FINISHED : GALE__RS_UNSENT);
  gale__server_access_log(req);
  req->ops->finished(req);
  return rc;
}
