/* SPDX-License-Identifier: MIT */
/* HTTP/2's side of a response (gale__h2_req_ops, server_internal.h): the
 * head as a HEADERS frame (lower-case names, no connection-specific
 * fields), the body through the stream's `out` buffer into DATA frames as
 * the windows allow, END_STREAM on finish, RST_STREAM to cut it short. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "gale/netutil.h"
#include "http/server/h2_server.h"
#include "iostream/stream_internal.h"

#define MAX_NV 32 /* response fields on the stack; more are allocated */

static ssize_t read_body(nghttp2_session *s, int32_t id, uint8_t *buf, size_t length,
                         uint32_t *flags, nghttp2_data_source *source, void *arg) {
  (void)s;
  (void)id;
  (void)arg;
  gale__h2_stream *st = source->ptr;
  int n = evbuffer_remove(st->out, buf, length);
  if (n < 0) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  if (n > 0) st->progress_time = gale_loop_time(st->conn->server->loop);
  if (st->eof && evbuffer_get_length(st->out) == 0) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    return n;
  }
  if (n == 0) {
    st->deferred = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  return n;
}

static void kick(gale__h2_stream *st) {
  if (st->deferred) {
    st->deferred = false;
    nghttp2_session_resume_data(st->conn->session, st->id);
  }
  gale__h2_conn_schedule(st->conn);
}

/* Connection-specific fields have no place in HTTP/2 (RFC 9113 §8.2.2). */
static bool hop_by_hop(const char *n, size_t len) {
  return gale_ascii_eq_cstr(n, len, "keep-alive") || gale_ascii_eq_cstr(n, len, "upgrade") ||
         gale_ascii_eq_cstr(n, len, "proxy-connection") ||
         gale_ascii_eq_cstr(n, len, "transfer-encoding") ||
         gale_ascii_eq_cstr(n, len, "connection");
}

static nghttp2_nv nv(const char *name, size_t nlen, const char *value, size_t vlen) {
  nghttp2_nv v = {(uint8_t *)name, (uint8_t *)value, nlen, vlen, NGHTTP2_NV_FLAG_NONE};
  return v;
}

/* The application's fields, names lower-cased into `names` (as long as
 * all of them). */
static size_t app_fields(gale_http_server_request *req, nghttp2_nv *nva, char *names) {
  size_t n = 0, count = gale_headers_count(req->resp_headers);
  for (size_t i = 0; i < count; i++) {
    const char *name, *value;
    size_t nlen, vlen;
    if (gale_headers_at(req->resp_headers, i, &name, &nlen, &value, &vlen) != GALE_OK) continue;
    if (hop_by_hop(name, nlen)) continue;
    for (size_t k = 0; k < nlen; k++) names[k] = (char)tolower((unsigned char)name[k]);
    nva[n++] = nv(names, nlen, value, vlen);
    names += nlen;
  }
  return n;
}

static int h2_write_head(gale_http_server_request *req, int64_t final_len, bool gzipped) {
  gale__h2_stream *st = req->conn;
  gale_http_server *server = req->server;
  req->no_body = req->msg.method_id == GALE_H1_METHOD_HEAD || gale__status_has_no_body(req->status);
  size_t count = gale_headers_count(req->resp_headers);
  size_t names_len = gale_headers_wire_size(req->resp_headers);
  nghttp2_nv stack_nv[MAX_NV];
  char stack_names[1024];
  nghttp2_nv *nva = count + 4 <= MAX_NV ? stack_nv : gale__malloc((count + 4) * sizeof(*nva));
  char *names = names_len <= sizeof(stack_names) ? stack_names : gale__malloc(names_len);
  int rc = GALE_ENOMEM;
  if (!nva || !names) goto out;
  char status[4], length[24];
  snprintf(status, sizeof(status), "%03d", req->status);
  size_t n = 0, date_len;
  nva[n++] = nv(":status", 7, status, 3);
  const char *date = gale__server_date_line(server, &date_len);
  nva[n++] = nv("date", 4, date + 6, date_len - 8); /* "Date: " ... "\r\n" */
  n += app_fields(req, nva + n, names);
  if (gzipped) nva[n++] = nv("content-encoding", 16, "gzip", 4);
  bool len_known = req->has_declared_length || final_len >= 0;
  uint64_t len = req->has_declared_length ? req->declared_length : (uint64_t)final_len;
  if (len_known && req->status != 204 && req->status != 304 && req->status >= 200)
    nva[n++] = nv("content-length", 14, length,
                  (size_t)snprintf(length, sizeof(length), "%llu", (unsigned long long)len));
  /* Nothing will follow the head: END_STREAM on HEADERS. */
  bool bodiless = final_len >= 0 && (req->no_body || evbuffer_get_length(req->pending) == 0);
  nghttp2_data_provider prd = {.source.ptr = st, .read_callback = read_body};
  rc = nghttp2_submit_response(st->conn->session, st->id, nva, n, bodiless ? NULL : &prd) == 0
           ? GALE_OK
           : GALE_ENOMEM;
  if (bodiless) st->eof = true;
  gale__h2_conn_schedule(st->conn);
out:
  if (nva != stack_nv) free(nva);
  if (names != stack_names) free(names);
  return rc;
}

static int h2_write_body(gale_http_server_request *req, size_t len) {
  (void)len;
  gale__h2_stream *st = req->conn;
  if (st->eof) {
    evbuffer_drain(req->pending, evbuffer_get_length(req->pending));
    return GALE_OK;
  }
  if (evbuffer_add_buffer(st->out, req->pending) != 0) return GALE_ENOMEM;
  kick(st);
  return GALE_OK;
}

/* The file is read as DATA frames take it (libevent maps it), so a large
 * download costs no memory of its own. */
static int h2_write_file(gale_http_server_request *req, int fd, off_t offset, off_t length) {
  gale__h2_stream *st = req->conn;
  if (evbuffer_add_file(st->out, fd, offset, length) != 0) {
    close(fd);
    return GALE_ENOMEM;
  }
  kick(st);
  return GALE_OK;
}

static int h2_end_body(gale_http_server_request *req) {
  (void)req;
  return GALE_OK;
}

static void h2_finished(gale_http_server_request *req) {
  gale__h2_stream *st = req->conn;
  if (st->closed) return;
  st->eof = true;
  if (!gale__request_head_sent(req)) {
    /* Finished with nothing sent (the head could not be written). */
    nghttp2_submit_rst_stream(st->conn->session, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
  }
  kick(st);
}

static bool h2_closed(const gale_http_server_request *req) {
  const gale__h2_stream *st = req->conn;
  return st->closed || st->conn->closed;
}

static void h2_abort(gale_http_server_request *req) {
  gale__h2_stream *st = req->conn;
  if (st->closed) return;
  nghttp2_submit_rst_stream(st->conn->session, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
  gale__h2_conn_schedule(st->conn);
}

static void h2_peer_ip(const gale_http_server_request *req, char *buf, size_t len) {
  const gale__h2_stream *st = req->conn;
  gale__server_peer_ip(st->conn->stream, buf, len);
}

const gale__req_ops gale__h2_req_ops = {
    .write_head = h2_write_head,
    .write_body = h2_write_body,
    .write_file = h2_write_file,
    .end_body = h2_end_body,
    .finished = h2_finished,
    .closed = h2_closed,
    .abort = h2_abort,
    .peer_ip = h2_peer_ip,
};
