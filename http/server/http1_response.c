/* SPDX-License-Identifier: MIT */
/* HTTP/1's side of a response (gale__h1_req_ops, server_internal.h): the
 * status line and header block, chunked or length framing, keep-alive,
 * files by sendfile, all written into the connection's output buffer so a
 * response produced in one go leaves in one write. */
#include <string.h>
#include <unistd.h>

#include "http/server/server_internal.h"
#include "http/wire/h1_head.h"
#include "iostream/stream_internal.h"

#define SMALL_BODY 2048 /* bodies up to this are copied next to the head */

/* Writes the status line and headers into the output.  `final_len` >= 0:
 * the whole body is known (Content-Length); -1: streaming. */
static int h1_write_head(gale_http_server_request *req, int64_t final_len, bool gzipped) {
  gale__h1_conn *conn = req->conn;
  gale_http_server *server = req->server;
  struct evbuffer *out = gale__conn_output(conn);
  if (!out) return GALE_ECLOSED;
  bool is_head = req->msg.method_id == GALE_H1_METHOD_HEAD;
  req->no_body = is_head || gale__status_has_no_body(req->status);
  bool http11 = req->msg.version_minor >= 1;
  bool keep = req->msg.keep_alive && !server->opts.no_keep_alive && !server->shutting_down &&
              !server->dead && !req->force_close && gale__request_body_done(req) &&
              (server->opts.max_requests_per_connection == 0 ||
               conn->requests < server->opts.max_requests_per_connection);
  uint64_t length = 0;
  bool send_length = false;
  req->chunked = false;
  if (req->has_declared_length) {
    length = req->declared_length;
    send_length = true;
  } else if (final_len >= 0) {
    length = (uint64_t)final_len;
    send_length = true;
  } else if (!gale__status_has_no_body(req->status)) {
    /* HEAD included: it carries the framing GET would (RFC 9110 §9.3.2);
     * no_body keeps the chunks themselves off the wire. */
    if (http11)
      req->chunked = true;
    else
      keep = false; /* HTTP/1.0 without a length: the body ends at close */
  }
  if (req->status == 204 || (req->status >= 100 && req->status < 200)) send_length = false;
  if (req->status == 304) send_length = false;
  req->keep_alive = keep;

  const char *reason = req->reason_ptr ? req->reason_ptr : gale_h1_reason_phrase(req->status);
  size_t rlen = strlen(reason);
  size_t date_len;
  const char *date = gale__server_date_line(server, &date_len);
  /* An upper bound of the head, so it is one reservation: the framing
   * fields below are at most Content-Encoding, Content-Length (20 digits)
   * and "Connection: keep-alive". */
  size_t cap = GALE_H1_STATUS_LINE_SIZE(rlen) + date_len +
               gale_headers_wire_size(req->resp_headers) + 24 +
               GALE_H1_FIELD_SIZE(14, GALE_H1_U64_DIGITS) + 24 + GALE_H1_HEAD_END_SIZE;
  size_t plen = evbuffer_get_length(req->pending);
  size_t room = plen <= SMALL_BODY ? plen : 0; /* h1_write_body copies it here */
  gale_h1_head h;
  gale_h1_head_init(&h, out, cap + room);
  gale_h1_head_status_line(&h, req->status, reason, rlen);
  gale_h1_head_append(&h, date, date_len);
  gale_h1_head_headers(&h, req->resp_headers);
  if (gzipped) gale_h1_head_literal(&h, "Content-Encoding: gzip\r\n");
  if (send_length)
    gale_h1_head_field_u64(&h, "Content-Length", 14, length);
  else if (req->chunked)
    gale_h1_head_literal(&h, "Transfer-Encoding: chunked\r\n");
  if (http11 && !keep)
    gale_h1_head_literal(&h, "Connection: close\r\n");
  else if (!http11 && keep)
    gale_h1_head_literal(&h, "Connection: keep-alive\r\n");
  ssize_t wrote = gale_h1_head_finish(&h);
  return wrote < 0 ? (int)wrote : GALE_OK;
}

static int h1_write_body(gale_http_server_request *req, size_t len) {
  struct evbuffer *out = gale__conn_output(req->conn);
  if (!out) return GALE_ECLOSED;
  if (req->chunked) {
    char line[GALE_H1_CHUNK_HEADER_MAX];
    size_t n = gale_h1_chunk_header(line, len);
    if (evbuffer_add(out, line, n) != 0) return GALE_ENOMEM;
  }
  if (len <= SMALL_BODY) {
    /* Copied next to the head (h1_write_head reserved the room): one
     * block, one send. */
    const unsigned char *p = evbuffer_pullup(req->pending, (ev_ssize_t)len);
    if (!p || evbuffer_add(out, p, len) != 0) return GALE_ENOMEM;
    evbuffer_drain(req->pending, len);
  } else if (evbuffer_add_buffer(out, req->pending) != 0) {
    return GALE_ENOMEM;
  }
  if (req->chunked && evbuffer_add(out, GALE_H1_CHUNK_END, 2) != 0) return GALE_ENOMEM;
  return GALE_OK;
}

static int h1_write_file(gale_http_server_request *req, int fd, off_t offset, off_t length) {
  gale__h1_conn *conn = req->conn;
  gale_stream *stream = conn->stream;
  if (!stream || conn->closed) {
    close(fd);
    return GALE_ECLOSED;
  }
  if (req->chunked) {
    char line[GALE_H1_CHUNK_HEADER_MAX];
    size_t n = gale_h1_chunk_header(line, (uint64_t)length);
    evbuffer_add(gale__stream_output(stream), line, n);
  }
  int rc = gale_stream_write_file(stream, fd, (uint64_t)offset, (uint64_t)length, NULL, NULL);
  if (rc != GALE_OK) {
    close(fd);
    return rc;
  }
  if (req->chunked) evbuffer_add(gale__stream_output(stream), GALE_H1_CHUNK_END, 2);
  return GALE_OK;
}

static int h1_end_body(gale_http_server_request *req) {
  if (!req->chunked || req->no_body) return GALE_OK;
  struct evbuffer *out = gale__conn_output(req->conn);
  if (!out || evbuffer_add(out, GALE_H1_CHUNK_LAST, 5) != 0) return GALE_ENOMEM;
  return GALE_OK;
}

static void h1_finished(gale_http_server_request *req) { gale__conn_request_finished(req->conn); }

static bool h1_closed(const gale_http_server_request *req) {
  return ((const gale__h1_conn *)req->conn)->closed;
}

static void h1_abort(gale_http_server_request *req) { gale__conn_close(req->conn); }

static void h1_peer_ip(const gale_http_server_request *req, char *buf, size_t len) {
  gale__conn_peer_ip(req->conn, buf, len);
}

const gale__req_ops gale__h1_req_ops = {
    .write_head = h1_write_head,
    .write_body = h1_write_body,
    .write_file = h1_write_file,
    .end_body = h1_end_body,
    .finished = h1_finished,
    .closed = h1_closed,
    .abort = h1_abort,
    .peer_ip = h1_peer_ip,
};
