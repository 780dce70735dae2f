/* SPDX-License-Identifier: MIT */
/* The server side of an HTTP/1.x connection (Tornado's
 * HTTP1ServerConnection): parses requests straight from the stream's input
 * buffer, hands them to the application one at a time, and writes the
 * answers into the output buffer, so everything produced while handling one
 * read leaves in one write.  The state machine is in conn_process(); the
 * states are described in server_internal.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "gale/log.h"
#include "gale/netutil.h"
#include "gale/tls.h"
#include "core/alloc.h"
#include "core/assert.h"
#include "core/loop_internal.h"
#include "http/server/h2_server.h"
#include "http/server/server_internal.h"
#include "http/wire/h1_head.h"
#include "iostream/stream_internal.h"

#define HIGH_WATER ((size_t)1 << 20) /* stop reading past 1 MiB of output */
#define LINGER 2.0                   /* seconds to drain input after an error */

enum { STEP_AGAIN = 0, STEP_CONTINUE = 1, STEP_STOP = 2 };

static void conn_process(gale__h1_conn *c);

/* The connection's life cycle (server_internal.h): where each state may
 * go.  Closing twice (an error answer, then the server's free) is
 * harmless. */
#define B(s) GALE__STATE_BIT(s)
static const uint32_t conn_moves[] = {
    [GALE__CONN_HEAD] = B(GALE__CONN_BODY) | B(GALE__CONN_APP) | B(GALE__CONN_CLOSING),
    [GALE__CONN_BODY] = B(GALE__CONN_APP) | B(GALE__CONN_CLOSING),
    [GALE__CONN_APP] = B(GALE__CONN_HEAD) | B(GALE__CONN_CLOSING),
    [GALE__CONN_CLOSING] = B(GALE__CONN_CLOSING),
};
#undef B

static void conn_to(gale__h1_conn *c, gale__conn_state to) {
  gale__transition(c->state, to, conn_moves);
}

static void conn_unref(gale__h1_conn *c) {
  if (--c->refs > 0) return;
  gale_http_server *server = c->server;
  free(c);
  gale__server_maybe_free(server);
}

struct evbuffer *gale__conn_output(gale__h1_conn *c) {
  if (!c || c->closed || !c->stream) return NULL;
  return gale__stream_output(c->stream);
}

/* Between requests: nothing of a next request read yet.  The last
 * response may still be leaving (a download sent by sendfile). */
static bool between_requests(const gale__h1_conn *c) {
  return !c->req && c->state == GALE__CONN_HEAD && c->stream && !c->closed &&
         gale_stream_read_buffer_size(c->stream) == 0;
}

bool gale__conn_is_idle(const gale__h1_conn *c) {
  return between_requests(c) && gale_stream_write_buffer_size(c->stream) == 0;
}

/* The header and body deadlines are the request's (an idle connection
 * has none; the server's sweep closes it). */
static void cancel_timer(gale__h1_conn *c) {
  gale_http_server_request *req = c->req;
  if (req && req->timer) gale_timer_cancel(req->timer);
  if (req) req->timer = NULL;
}

/* ---- ending a request ------------------------------------------------------ */

/* Tells the application its request is gone (when it has it and has not
 * finished), then frees the request. */
static void drop_request(gale__h1_conn *c, int status) {
  gale_http_server_request *req = c->req;
  if (!req) return;
  cancel_timer(c);
  c->req = NULL;
  if (req->app_seen && !gale__request_finished(req) && req->close_cb) {
    gale_http_close_cb cb = req->close_cb;
    req->close_cb = NULL;
    cb(req, status, req->close_arg);
  }
  req->conn = NULL;
  gale__request_free(req);
}

/* Drops bytes of the current request that still sit in the input buffer
 * (a head parsed in place). */
static void drain_consumed(gale__h1_conn *c) {
  gale_http_server_request *req = c->req;
  if (!req) return;
  if (req->consumed && c->stream) evbuffer_drain(gale__stream_input(c->stream), req->consumed);
  req->consumed = 0;
}

void gale__conn_close(gale__h1_conn *c) {
  if (c->closed || !c->stream) return;
  conn_to(c, GALE__CONN_CLOSING);
  cancel_timer(c);
  gale_stream_close(c->stream);
}

static void close_after_flush(gale__h1_conn *c) {
  conn_to(c, GALE__CONN_CLOSING);
  cancel_timer(c);
  if (!c->closed && c->stream) gale__stream_close_after_flush(c->stream, LINGER);
}

bool gale__conn_stop_if_between(gale__h1_conn *c) {
  if (!between_requests(c)) return false;
  if (gale_stream_write_buffer_size(c->stream) == 0)
    gale__conn_close(c);
  else
    close_after_flush(c); /* the last response leaves first */
  return true;
}

/* The short text/plain page of an error answer, its head through the one
 * head writer.  An answer to HEAD has no body, only GET's Content-Length
 * (RFC 9112 §6.3). */
static void write_error_answer(gale__h1_conn *c, struct evbuffer *out, int http_status,
                               const char *reason, const char *detail, bool head_req) {
  char body[256];
  int blen = snprintf(body, sizeof(body), "%d %s%s%s\n", http_status, reason, detail ? ": " : "",
                      detail ? detail : "");
  if (blen < 0) blen = 0;
  if ((size_t)blen >= sizeof(body)) blen = (int)sizeof(body) - 1;
  size_t rlen = strlen(reason), date_len;
  const char *date = gale__server_date_line(c->server, &date_len);
  static const char type[] = "Content-Type: text/plain; charset=utf-8\r\n";
  gale_h1_head h;
  gale_h1_head_init(&h, out,
                    GALE_H1_STATUS_LINE_SIZE(rlen) + date_len + sizeof(type) - 1 +
                        GALE_H1_FIELD_SIZE(14, GALE_H1_U64_DIGITS) + 19 + GALE_H1_HEAD_END_SIZE +
                        (head_req ? 0 : (size_t)blen));
  gale_h1_head_status_line(&h, http_status, reason, rlen);
  gale_h1_head_append(&h, date, date_len);
  gale_h1_head_append(&h, type, sizeof(type) - 1);
  gale_h1_head_field_u64(&h, "Content-Length", 14, (uint64_t)blen);
  gale_h1_head_literal(&h, "Connection: close\r\n");
  /* A failed head leaves the connection to close_after_flush: no body. */
  if (gale_h1_head_finish(&h) > 0 && !head_req) evbuffer_add(out, body, (size_t)blen);
}

void gale__conn_fail(gale__h1_conn *c, int http_status, const char *detail) {
  if (c->closed || c->state == GALE__CONN_CLOSING) return;
  gale_http_server_request *req = c->req;
  bool head_out = req && gale__request_head_sent(req);
  /* The method is known once the request line parsed. */
  bool head_req = req && req->msg.method_id == GALE_H1_METHOD_HEAD;
  drain_consumed(c);
  drop_request(c, GALE_EHTTP_PARSE);
  struct evbuffer *out = gale__conn_output(c);
  if (out && !head_out) {
    const char *reason = gale_h1_reason_phrase(http_status);
    write_error_answer(c, out, http_status, reason, detail, head_req);
    if (c->server->opts.access_log && gale_log_enabled(GALE_LOG_INFO)) {
      char ip[64];
      gale__conn_peer_ip(c, ip, sizeof(ip));
      gale_log(GALE_LOG_INFO, "access", "%d %s (%s): %s", http_status, reason, ip,
               detail ? detail : reason);
    }
  }
  close_after_flush(c);
}

/* ---- timers ----------------------------------------------------------------- */

static void conn_timer_fired(gale_loop *loop, void *arg) {
  gale__h1_conn *c = arg;
  gale_http_server_request *req = c->req; /* the timer went with it */
  req->timer = NULL;
  if (c->closed) return;
  if (req->timer_is_header) {
    if (c->state == GALE__CONN_HEAD)
      gale__conn_fail(c, 408, "timed out reading the header section");
    return;
  }
  if (c->state != GALE__CONN_BODY) return;
  double timeout = req->body_timeout;
  double idle = gale_loop_time(loop) - req->progress_time;
  if (idle < timeout) {
    req->timer_is_header = false;
    gale_loop_call_later(loop, timeout - idle, conn_timer_fired, c, &req->timer);
    return;
  }
  gale__conn_fail(c, 408, "timed out reading the body");
}

static void arm_timer(gale__h1_conn *c, bool header) {
  gale_http_server_request *req = c->req;
  double t = header ? c->server->opts.header_timeout : req->body_timeout;
  if (req->timer || t <= 0) return;
  /* The first request's head is due header_timeout after the accept
   * (nginx's client_header_timeout), not after its first byte: last_active
   * still holds the accept time then. */
  if (header && c->requests == 0) {
    t -= gale_loop_time(c->server->loop) - c->last_active;
    if (t < 0) t = 0;
  }
  req->timer_is_header = header;
  gale_loop_call_later(c->server->loop, t, conn_timer_fired, c, &req->timer);
}

/* ---- the steps ----------------------------------------------------------------- */

void gale__conn_send_continue(gale__h1_conn *c) {
  gale_http_server_request *req = c->req;
  if (!req || req->continue_sent || !req->msg.expect_continue || gale__request_head_sent(req))
    return;
  req->continue_sent = true;
  struct evbuffer *out = gale__conn_output(c);
  if (!out) return;
  gale_h1_head h;
  gale_h1_head_init(&h, out, GALE_H1_STATUS_LINE_SIZE(8) + GALE_H1_HEAD_END_SIZE);
  gale_h1_head_status_line(&h, 100, "Continue", 8);
  gale_h1_head_finish(&h);
}

static int dispatch(gale__h1_conn *c) {
  gale_http_server_request *req = c->req;
  conn_to(c, GALE__CONN_APP);
  cancel_timer(c);
  req->app_seen = true;
  c->server->request_cb(req, c->server->arg);
  if (c->closed || c->req != req) return STEP_STOP;
  if (!gale__request_finished(req)) {
    /* Asynchronous: the head must outlive the input buffer's bytes. */
    if (gale__request_detach(req) != GALE_OK) {
      gale__conn_fail(c, 500, "out of memory");
      return STEP_STOP;
    }
    drain_consumed(c);
    return STEP_AGAIN;
  }
  return STEP_CONTINUE;
}

static int inflate_sink(void *arg, const char *data, size_t len) {
  gale_http_server_request *req = arg;
  if (req->streaming) return req->body_cb(req, data, len, req->body_arg);
  return gale__request_body_append(req, data, len);
}

/* Hands one piece of decoded body to the application or the buffer. */
static int deliver_body(gale__h1_conn *c, const char *data, size_t len) {
  gale_http_server_request *req = c->req;
  if (req->inflate) return gale__gzip_write(req->inflate, data, len, inflate_sink, req);
  if (req->streaming) return req->body_cb(req, data, len, req->body_arg);
  return gale__request_body_append(req, data, len);
}

static int body_failed(gale__h1_conn *c, int rc) {
  if (c->closed) return STEP_STOP;
  const char *why = c->req && c->req->body_error ? c->req->body_error : NULL;
  int status = rc == GALE_ENOMEM ? 500 : gale_h1_error_status(rc, NULL);
  if (rc == GALE_EHTTP_DECOMPRESS) status = 400;
  if (rc == GALE_ELIMIT) {
    gale__conn_fail(c, 503, "the server's request body buffer is full");
    return STEP_STOP;
  }
  gale__conn_fail(c, status, why ? why : gale_strerror(rc));
  return STEP_STOP;
}

static int body_complete(gale__h1_conn *c) {
  gale_http_server_request *req = c->req;
  if (req->inflate) {
    int rc = gale__gzip_finish(req->inflate, inflate_sink, req);
    if (c->closed || c->req != req) return STEP_STOP;
    if (rc != GALE_OK) return body_failed(c, rc);
  }
  if (req->input == GALE__RQ_BODY) gale__request_input_to(req, GALE__RQ_DONE);
  if (gale__request_finished(req)) {
    /* Answered early while the body streamed in: done with it (the answer
     * refused keep-alive, the body being unread when the head went out). */
    conn_to(c, GALE__CONN_APP);
    return STEP_CONTINUE;
  }
  return dispatch(c);
}

static int step_body(gale__h1_conn *c) {
  gale_http_server_request *req = c->req;
  for (;;) {
    /* Asked first: an idle stream has no input buffer to make. */
    if (gale_stream_read_buffer_size(c->stream) == 0) {
      arm_timer(c, false);
      return STEP_AGAIN;
    }
    struct evbuffer *in = gale__stream_input(c->stream);
    size_t n = evbuffer_get_contiguous_space(in);
    const char *p = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
    size_t used = 0, dlen = 0;
    const char *data = NULL;
    int rc = gale_h1_body_decode(&req->body_dec, p, n, &used, &data, &dlen);
    if (rc < 0 && rc != GALE_EAGAIN) return body_failed(c, rc);
    int drc = GALE_OK;
    if (dlen > 0 && !gale__request_finished(req)) drc = deliver_body(c, data, dlen);
    if (c->closed || c->req != req) return STEP_STOP;
    evbuffer_drain(in, used);
    req->progress_time = gale_loop_time(c->server->loop);
    if (drc != GALE_OK) {
      if (gale__request_head_sent(req)) {
        gale__conn_close(c);
        return STEP_STOP;
      }
      return body_failed(c, drc == GALE_ENOMEM                 ? GALE_ENOMEM
                            : drc == GALE_EHTTP_BODY_TOO_LARGE ? drc
                            : drc == GALE_EHTTP_DECOMPRESS || drc == GALE_ELIMIT
                                ? drc
                                : GALE_EHTTP_PARSE);
    }
    if (rc == GALE_H1_BODY_DONE) return body_complete(c);
  }
}

static int start_body(gale__h1_conn *c, const char *buf, size_t avail) {
  gale_http_server_request *req = c->req;
  gale_h1_msg *m = &req->msg;
  gale_h1_body_init(&req->body_dec, &req->parser, m);
  req->body_dec.max_size = req->max_body_size; /* the server's or headers_cb's */
  if (m->body_kind == GALE_H1_BODY_NONE) return body_complete(c);
  if (m->body_kind == GALE_H1_BODY_LENGTH && m->content_length > req->max_body_size) {
    /* Refused before a byte of it is read (and before 100 Continue). */
    gale__conn_fail(c, 413, "Content-Length over max_body_size");
    return STEP_STOP;
  }
  if (m->content_gzip && c->server->opts.decompress_request) {
    int rc = gale__gzip_new(&req->inflate, GALE_GZIP_DECOMPRESS, 0, req->max_body_size);
    if (rc != GALE_OK) return body_failed(c, rc);
  } else if (m->body_kind == GALE_H1_BODY_LENGTH && !req->streaming &&
             gale__request_body_reserve(req, m->content_length) != GALE_OK) {
    /* Refused before a byte of it is read (and before 100 Continue). */
    return body_failed(c, GALE_ELIMIT);
  }
  /* Fast path: a whole Content-Length body already here, next to the head
   * it belongs to (typical small POSTs). */
  if (m->body_kind == GALE_H1_BODY_LENGTH && !req->streaming &&
      avail - req->head_len >= m->content_length) {
    size_t used = 0, dlen = 0;
    const char *data = NULL;
    int rc = gale_h1_body_decode(&req->body_dec, buf + req->head_len, avail - req->head_len, &used,
                                 &data, &dlen);
    if (rc < 0 && rc != GALE_EAGAIN) return body_failed(c, rc);
    if (dlen) {
      int drc = deliver_body(c, data, dlen);
      if (c->closed || c->req != req) return STEP_STOP;
      if (drc != GALE_OK) return body_failed(c, drc);
    }
    req->consumed += used;
    if (rc == GALE_H1_BODY_DONE) return body_complete(c);
  }
  /* The body comes over later reads: copy the head out of the buffer. */
  if (gale__request_detach(req) != GALE_OK) return body_failed(c, GALE_ENOMEM);
  drain_consumed(c);
  gale__conn_send_continue(c);
  conn_to(c, GALE__CONN_BODY);
  req->progress_time = gale_loop_time(c->server->loop);
  return STEP_CONTINUE;
}

/* Hands a fresh connection to HTTP/2 (h2_conn.c): the HTTP/1 side lets go
 * of the stream as a WebSocket detach does, with every byte still in the
 * input buffer for the HTTP/2 session. */
static int to_h2(gale__h1_conn *c) {
  gale_stream *stream = c->stream;
  gale_http_server *server = c->server;
  drop_request(c, GALE_ECANCELLED); /* never the application's */
  gale__stream_set_data_cb(stream, NULL, NULL);
  gale_stream_set_close_cb(stream, NULL, NULL);
  c->closed = true;
  c->stream = NULL;
  gale__server_conn_gone(server, c);
  if (gale__h2_conn_new(server, stream) != GALE_OK) gale_stream_close(stream);
  c->refs--; /* the stream's; conn_process holds another, freeing it after */
  return STEP_STOP;
}

/* Cleartext HTTP/2 with prior knowledge: the client preface instead of a
 * request line.  STEP_CONTINUE: HTTP/1 it is. */
static int h2_preface(gale__h1_conn *c, struct evbuffer *in, size_t len) {
  size_t n = len < GALE__H2_PREFACE_LEN ? len : GALE__H2_PREFACE_LEN;
  const char *p = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
  int r = p ? gale__h2_preface(p, n) : -1;
  if (r < 0) return STEP_CONTINUE;
  if (r == 0) {
    arm_timer(c, true); /* "PRI * HTTP/2" still coming, within header_timeout */
    return STEP_AGAIN;
  }
  return to_h2(c);
}

static int step_head(gale__h1_conn *c) {
  gale_http_server *server = c->server;
  size_t len = gale_stream_read_buffer_size(c->stream);
  if (server->dead && !c->req) {
    gale__conn_close(c);
    return STEP_STOP;
  }
  if (server->shutting_down && !c->req) {
    /* Graceful shutdown: no new requests on this connection, but the
     * answer to the last one still leaves. */
    if (gale_stream_write_buffer_size(c->stream) == 0)
      gale__conn_close(c);
    else
      close_after_flush(c);
    return STEP_STOP;
  }
  if (len == 0) return STEP_AGAIN;
  struct evbuffer *in = gale__stream_input(c->stream);
  if (!c->req) {
    /* conn_process read the clock just now, unless this is the
     * connection's first request (last_active is then the accept time). */
    double start = c->requests ? c->last_active : gale_loop_time(server->loop);
    c->req = gale__request_new(server, &gale__h1_req_ops, c, c->is_tls, start);
    if (!c->req) {
      gale__conn_fail(c, 503, "out of memory");
      return STEP_STOP;
    }
  }
  if (server->opts.http2 && c->requests == 0) {
    int r = h2_preface(c, in, len);
    if (r != STEP_CONTINUE) return r;
  }
  gale_http_server_request *req = c->req;
  size_t limit = (size_t)server->limits.max_header_size + 8;
  size_t n = evbuffer_get_contiguous_space(in);
  char *buf = (char *)evbuffer_pullup(in, (ev_ssize_t)n);
  int rc = gale_h1_parse_head(&req->parser, buf, n, &req->msg);
  if (rc == GALE_EAGAIN && n < len && n < limit) {
    n = len < limit ? len : limit;
    buf = (char *)evbuffer_pullup(in, (ev_ssize_t)n);
    if (!buf) {
      gale__conn_fail(c, 503, "out of memory");
      return STEP_STOP;
    }
    rc = gale_h1_parse_head(&req->parser, buf, n, &req->msg);
  }
  if (rc == GALE_EAGAIN) {
    arm_timer(c, true);
    return STEP_AGAIN;
  }
  if (rc < 0) {
    const char *detail = gale_h1_parser_detail(&req->parser);
    gale__conn_fail(c, gale_h1_error_status(rc, NULL), detail);
    return STEP_STOP;
  }
  cancel_timer(c);
  c->requests++;
  req->consumed = (size_t)rc;
  if (gale__request_set_head(req, buf) != GALE_OK) {
    gale__conn_fail(c, 503, "out of memory");
    return STEP_STOP;
  }
  if (server->opts.xheaders) gale__server_apply_xheaders(server, req);
  if (req->msg.expect_other) {
    gale__conn_fail(c, 417, "unsupported Expect");
    return STEP_STOP;
  }
  if (req->msg.method_id == GALE_H1_METHOD_CONNECT) {
    gale__conn_fail(c, 501, "CONNECT is not supported");
    return STEP_STOP;
  }
  gale__request_input_to(req,
                         req->msg.body_kind == GALE_H1_BODY_NONE ? GALE__RQ_DONE : GALE__RQ_BODY);
  if (server->opts.headers_cb) {
    req->app_seen = true;
    req->in_headers_cb = true;
    server->opts.headers_cb(req, server->arg);
    if (c->closed || c->req != req) return STEP_STOP;
    req->in_headers_cb = false;
    if (gale__request_finished(req)) {
      /* Answered without reading the body: keep-alive was refused when
       * the answer went out if a body was announced. */
      conn_to(c, GALE__CONN_APP);
      return STEP_CONTINUE;
    }
  }
  return start_body(c, buf, n);
}

/* The current request is finished: clean up and go on with the next. */
static int step_done(gale__h1_conn *c) {
  gale_http_server_request *req = c->req;
  bool keep = req->keep_alive;
  drain_consumed(c);
  cancel_timer(c);
  c->req = NULL;
  req->conn = NULL;
  gale__request_free(req);
  if (!keep) {
    close_after_flush(c);
    return STEP_STOP;
  }
  /* last_active was set when conn_process began, except on a connection's
   * first request, where it keeps the accept time for the header deadline:
   * keep-alive idleness counts from now. */
  if (c->requests == 1) c->last_active = gale_loop_time(c->server->loop);
  conn_to(c, GALE__CONN_HEAD);
  return STEP_CONTINUE;
}

static void resume_after_drain(gale_stream *stream, int status, void *arg) {
  gale__h1_conn *c = arg;
  c->paused = false;
  if (status == GALE_OK && !c->closed) {
    gale_stream_resume_reading(stream);
    conn_process(c);
  }
  conn_unref(c);
}

void gale__conn_peer_ip(gale__h1_conn *c, char *buf, size_t len) {
  gale__server_peer_ip(c->stream, buf, len);
}

void gale__server_peer_ip(gale_stream *stream, char *buf, size_t len) {
  struct sockaddr_storage ss;
  socklen_t sl = sizeof(ss);
  buf[0] = '\0';
  if (!stream || gale_stream_peer_addr(stream, (struct sockaddr *)&ss, &sl) != GALE_OK) return;
  if (ss.ss_family == AF_UNIX)
    snprintf(buf, len, "unix");
  else if (gale_sockaddr_ip((struct sockaddr *)&ss, buf, len) != GALE_OK)
    buf[0] = '\0';
}

static void conn_process(gale__h1_conn *c) {
  if (c->processing || c->closed) return;
  /* Before the first request the accept time stays (arm_timer). */
  if (c->requests) c->last_active = gale_loop_time(c->server->loop);
  c->processing = true;
  c->refs++;
  c->server->busy++;
  for (;;) {
    if (c->closed || c->state == GALE__CONN_CLOSING) break;
    int r;
    if (c->state == GALE__CONN_HEAD) {
      if (c->stream && gale_stream_write_buffer_size(c->stream) > HIGH_WATER) {
        /* Back-pressure: parse no more pipelined requests until the
         * client has read what we owe it. */
        if (!c->paused && gale_stream_pause_reading(c->stream) == GALE_OK) {
          c->paused = true;
          c->refs++;
          if (gale__stream_flush(c->stream, resume_after_drain, c) != GALE_OK) {
            c->paused = false;
            c->refs--;
          }
        }
        break;
      }
      r = step_head(c);
    } else if (c->state == GALE__CONN_BODY) {
      r = step_body(c);
    } else { /* APP */
      if (!c->req || !gale__request_finished(c->req)) {
        /* An asynchronous handler: a client pipelining on meanwhile is
         * not buffered without bound. */
        if (c->stream && !c->paused &&
            gale_stream_read_buffer_size(c->stream) > c->server->limits.max_header_size &&
            gale_stream_pause_reading(c->stream) == GALE_OK)
          c->paused_app = c->paused = true;
        break;
      }
      if (c->paused_app && c->stream) {
        c->paused_app = c->paused = false;
        gale_stream_resume_reading(c->stream);
      }
      r = step_done(c);
    }
    if (r != STEP_CONTINUE) break;
  }
  c->processing = false;
  c->server->busy--;
  conn_unref(c);
}

static void scheduled_process(gale_loop *loop, void *arg) {
  (void)loop;
  gale__h1_conn *c = arg;
  c->scheduled = false;
  if (!c->closed) conn_process(c);
  conn_unref(c);
}

void gale__conn_request_finished(gale__h1_conn *c) {
  if (!c || c->closed || c->processing || c->scheduled) return;
  if (gale_loop_add_callback(c->server->loop, scheduled_process, c) == GALE_OK) {
    c->scheduled = true;
    c->refs++;
  } else {
    gale__conn_close(c);
  }
}

/* ---- write deadline ---------------------------------------------------------------- */

static void writes_drained(gale_stream *stream, int status, void *arg) {
  gale__h1_conn *c = arg;
  c->write_watch = false;
  if (status == GALE_OK && !c->closed) gale_stream_set_idle_timeout(stream, 0);
  conn_unref(c);
}

/* The stream's idle timer closes the connection (GALE_ETIMEDOUT_IDLE) when
 * no byte moves for write_timeout; it is on only while output is pending,
 * so fast clients never pay for it. */
void gale__conn_watch_writes(gale__h1_conn *c) {
  if (c->write_watch || c->closed || !c->stream || gale_stream_write_buffer_size(c->stream) == 0)
    return;
  if (gale_stream_set_idle_timeout(c->stream, c->server->opts.write_timeout) != GALE_OK) return;
  c->refs++;
  c->write_watch = true;
  if (gale__stream_flush(c->stream, writes_drained, c) != GALE_OK) {
    c->write_watch = false;
    c->refs--;
    gale_stream_set_idle_timeout(c->stream, 0);
  }
}

/* ---- handing the connection over (WebSocket) --------------------------------------- */

/* The turn after a detach: the request goes as if its client had left,
 * and the connection with it. */
static void detached_release(gale__h1_conn *c) {
  gale_http_server *server = c->server;
  drop_request(c, GALE_ECANCELLED);
  server->busy--;
  conn_unref(c); /* the stream's, given up by the detach */
}

static void detached_cb(gale_loop *loop, void *arg) {
  (void)loop;
  detached_release(arg);
}

static void detached_drop(void *arg) { detached_release(arg); }

gale_stream *gale__http_server_request_detach(gale_http_server_request *req) {
  gale__h1_conn *c = req ? req->conn : NULL;
  if (!c || c->closed || !c->stream || c->req != req || c->state != GALE__CONN_APP ||
      req->input != GALE__RQ_DONE || req->output != GALE__RS_OPEN)
    return NULL;
  if (gale__request_detach(req) != GALE_OK) return NULL; /* the head leaves the buffer */
  if (gale__loop_add_callback_owned(c->server->loop, detached_cb, detached_drop, c) != GALE_OK)
    return NULL;
  gale_stream *stream = c->stream;
  drain_consumed(c);
  cancel_timer(c);
  gale__stream_set_data_cb(stream, NULL, NULL);
  gale_stream_set_close_cb(stream, NULL, NULL);
  if (c->write_watch) gale_stream_set_idle_timeout(stream, 0);
  if (c->paused) gale_stream_resume_reading(stream);
  c->closed = true; /* its pending flush callbacks now leave the stream alone */
  c->stream = NULL;
  gale__server_conn_gone(c->server, c);
  c->server->busy++; /* the request still needs the server until released */
  return stream;
}

/* ---- stream callbacks ------------------------------------------------------------ */

static void conn_on_data(gale_stream *stream, struct evbuffer *input, void *arg) {
  (void)stream;
  (void)input;
  conn_process(arg);
}

static void conn_on_close(gale_stream *stream, int reason, void *arg) {
  (void)stream;
  gale__h1_conn *c = arg;
  c->closed = true;
  cancel_timer(c);
  if (c->req) c->req->consumed = 0;
  drop_request(c, reason == GALE_OK ? GALE_ECANCELLED : reason);
  c->stream = NULL;
  gale__server_conn_gone(c->server, c);
  conn_unref(c);
}

int gale__conn_new(gale_http_server *server, gale_stream *stream, const struct sockaddr *peer) {
  if (server->opts.http2 && gale_stream_is_tls(stream)) {
    const char *alpn = gale_stream_tls_alpn(stream);
    if (alpn && strcmp(alpn, "h2") == 0) return gale__h2_conn_new(server, stream);
  }
  gale__h1_conn *c = gale__calloc(1, sizeof(*c));
  if (!c) return GALE_ENOMEM;
  c->server = server;
  c->stream = stream;
  c->refs = 1;
  c->is_tls = gale_stream_is_tls(stream);
  (void)peer; /* the stream caches it: formatted only when asked for */
  c->last_active = gale_loop_time(server->loop);
  int rc = gale__stream_set_data_cb(stream, conn_on_data, c);
  if (rc != GALE_OK) {
    free(c);
    return rc;
  }
  gale_stream_set_close_cb(stream, conn_on_close, c);
  /* A response written in two pieces (head, then a file by sendfile) would
   * otherwise wait for the delayed ACK of the first: 40 ms per keep-alive
   * request.  Fails harmlessly on non-TCP sockets. */
  gale_stream_set_nodelay(stream, true);
  c->next = server->conns;
  if (server->conns) server->conns->prev = c;
  server->conns = c;
  server->nconns++;
  return GALE_OK;
}
