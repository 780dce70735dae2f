/* SPDX-License-Identifier: MIT */
/* One HTTP/1.1 exchange on a connection, the response's side: the head and
 * the body in through the h1 parser (parsing in place in the stream's input
 * buffer), the phase timeouts, the end of the connection under a response,
 * then the connection back to the pool or the next hop of a redirect. */
#include "http/client/http_client_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "iostream/stream_internal.h"
#include "http/util/headers_internal.h"

/* A redirect body up to this size is read and dropped so the connection
 * can be reused; a larger one costs less to close. */
#define DISCARD_LIMIT 65536

/* ---- the phase timeouts ---------------------------------------------------- */

/* header_timeout and body_idle_timeout share one timer: the phases follow
 * each other.  The body timer is not re-armed per read: each read stamps
 * t_progress, and a timer that fires early re-arms for what is left. */

static void phase_timer_stop(hc_fetch *f) {
  if (f->phase_timer) gale_timer_cancel(f->phase_timer), f->phase_timer = NULL;
}

static void phase_timer_start(hc_fetch *f, double seconds, gale_loop_cb cb) {
  phase_timer_stop(f);
  if (seconds > 0 && gale_loop_call_later(f->loop, seconds, cb, f, &f->phase_timer) != GALE_OK)
    gale__hc_complete(f, GALE_ENOMEM, NULL);
}

static void on_header_timeout(gale_loop *loop, void *arg) {
  hc_fetch *f = arg;
  (void)loop;
  f->phase_timer = NULL;
  gale__hc_set_error(f, "no complete response head within header_timeout (%.3g s)%s",
                     f->req.header_timeout, f->got_byte ? "; part of one came" : "");
  gale__hc_complete(f, GALE_ETIMEDOUT_HEADER, NULL);
}

static void on_body_idle(gale_loop *loop, void *arg) {
  hc_fetch *f = arg;
  double left = f->req.body_idle_timeout - (gale_loop_time(loop) - f->t_progress);
  f->phase_timer = NULL;
  if (left > 0.001) {
    phase_timer_start(f, left, on_body_idle);
    return;
  }
  gale__hc_set_error(f, "no body byte for %.3g s (body_idle_timeout) after %llu body bytes",
                     f->req.body_idle_timeout, (unsigned long long)f->wire_body);
  gale__hc_complete(f, GALE_ETIMEDOUT_READ, NULL);
}

void gale__hc_wait_head(hc_fetch *f) {
  phase_timer_start(f, f->req.header_timeout, on_header_timeout);
}

void gale__hc_body_phase(hc_fetch *f, bool has_body) {
  f->t_progress = gale_loop_time(f->loop);
  phase_timer_start(f, has_body ? f->req.body_idle_timeout : 0, on_body_idle);
}

/* ---- receiving ----------------------------------------------------------- */

static int add_body(hc_fetch *f, const char *data, size_t len) {
  if (f->follow) return GALE_OK; /* a redirect's body is dropped */
  gale__hc_rate_account(f, len);
  if (f->req.streaming_callback)
    return f->req.streaming_callback(data, len, f->req.streaming_callback_arg);
  if (f->req.max_body_size && f->body.len + len > f->req.max_body_size) {
    gale__hc_set_error(f, "body larger than max_body_size (%zu bytes)", f->req.max_body_size);
    return GALE_EHTTP_BODY_TOO_LARGE;
  }
  return gale_buf_append(&f->body, data, len);
}

static int gz_sink(void *arg, const char *data, size_t len) { return add_body(arg, data, len); }

static void emit_lines(hc_fetch *f, const char *p, size_t n, bool to_header_cb) {
  size_t i = 0;
  while (i < n) {
    const char *nl = memchr(p + i, '\n', n - i);
    size_t e = nl ? (size_t)(nl - p) + 1 : n;
    if (f->req.debug_callback)
      f->req.debug_callback(GALE_HTTP_DEBUG_HEADER_IN, p + i, e - i, f->req.debug_callback_arg);
    if (to_header_cb && f->req.header_callback)
      f->req.header_callback(p + i, e - i, f->req.header_callback_arg);
    i = e;
  }
}

/* A response head the parser refused: which limit or rule. */
static void head_error(hc_fetch *f, int r) {
  const char *d = gale_h1_parser_detail(&f->parser);
  if (!d) d = gale_strerror(r);
  if (r == GALE_EHTTP_HEADER_TOO_LARGE)
    gale__hc_set_error(f, "response head over max_header_size (%u bytes): %s",
                       (unsigned)f->parser.limits.max_header_size, d);
  else if (r == GALE_EHTTP_BODY_TOO_LARGE)
    gale__hc_set_error(f, "body larger than max_body_size (%zu bytes): %s", f->req.max_body_size,
                       d);
  else
    gale__hc_set_error(f, "bad response from the server: %s", d);
  gale__hc_complete(f, r, NULL);
}

/* A body the decoder, the inflater or the limit refused.  A streaming
 * callback's own status keeps its sentence (or none). */
static void body_error(hc_fetch *f, int st) {
  if (st == GALE_EHTTP_BAD_CHUNK)
    gale__hc_set_error(f, "malformed chunked body");
  else if (st == GALE_EHTTP_DECOMPRESS)
    gale__hc_set_error(f, "malformed gzip body");
  else if (st == GALE_EHTTP_BODY_TOO_LARGE && !f->error)
    gale__hc_set_error(f, "body larger than max_body_size (%zu bytes)", f->req.max_body_size);
  gale__hc_complete(f, st, NULL);
}

static int on_head(hc_fetch *f, const char *p, size_t head_len) {
  gale_h1_msg *m = &f->msg;
  int st;
  f->resp.size_header += head_len;
  if (m->status >= 100 && m->status < 200) {
    emit_lines(f, p, head_len, false);
    if (m->status == 101) {
      gale__hc_set_error(f, "the server switched protocols (101), which the client does not speak");
      return GALE_EHTTP_PARSE;
    }
    if (m->status == 100 && f->await_continue) {
      if (f->continue_timer) gale_timer_cancel(f->continue_timer), f->continue_timer = NULL;
      gale__hc_send_body(f);
    }
    gale_h1_parser_reset(&f->parser, f->head ? GALE_H1_F_HEAD_REQUEST : 0);
    return 1; /* interim: parse the next head */
  }
  f->resp.code = m->status;
  f->t_progress = gale_loop_time(f->loop);
  phase_timer_start(f, m->body_kind == GALE_H1_BODY_NONE ? 0 : f->req.body_idle_timeout,
                    on_body_idle);
  if (f->state == HC_DONE) return GALE_ENOMEM;
  f->resp.http_version = m->version_minor ? 11 : 10;
  free(f->reason);
  f->reason = gale__hc_strndup(m->reason.ptr ? m->reason.ptr : "", m->reason.len);
  if (!f->headers)
    f->headers = gale_headers_new();
  else
    gale_headers_clear(f->headers);
  if (!f->reason || !f->headers) return GALE_ENOMEM;
  for (size_t i = 0; i < m->num_headers; i++) {
    st = gale__headers_add_parsed(f->headers, m->headers[i].name.ptr, m->headers[i].name.len,
                                  m->headers[i].value.ptr, m->headers[i].value.len);
    if (st == GALE_ENOMEM) return st;
  }
  f->keep_alive = m->keep_alive && f->req.http_version != GALE_HTTP_VERSION_1_0;
  if (f->await_continue) {
    /* A final answer before the body was sent: the body is never sent, so
     * the connection cannot carry another request. */
    f->await_continue = false;
    f->keep_alive = false;
    if (f->continue_timer) gale_timer_cancel(f->continue_timer), f->continue_timer = NULL;
  }
  st = gale__hc_head_common(f, m->body_kind != GALE_H1_BODY_NONE, m->content_gzip, p, head_len);
  if (st != GALE_OK) return st;
  if (f->follow && m->body_kind != GALE_H1_BODY_NONE &&
      !(m->body_kind == GALE_H1_BODY_LENGTH && m->content_length <= DISCARD_LIMIT))
    f->keep_alive = false; /* not worth reading: close and go on */
  gale_h1_body_init(&f->bdec, &f->parser, m);
  return GALE_OK;
}

int gale__hc_head_common(hc_fetch *f, bool has_body, bool gzip, const char *lines, size_t len) {
  int st;
  f->follow = gale__hc_redirect_check(f, &st);
  if (st != GALE_OK) return st;
  emit_lines(f, lines, len, !f->follow);
  if (f->req.decompress_response && gzip && has_body && !f->follow) {
    uint64_t cap = f->req.max_body_size ? f->req.max_body_size : UINT64_MAX;
    st = gale__gzip_new(&f->gz, GALE_GZIP_DECOMPRESS, 0, cap);
    if (st != GALE_OK) return st;
    /* As Tornado: the body handed over is decoded, so the header goes. */
    {
      const char *ce = gale_headers_get(f->headers, "Content-Encoding");
      if (ce) {
        char *save = gale__hc_strdup(ce);
        gale_headers_remove(f->headers, "Content-Encoding");
        if (save) gale_headers_add(f->headers, "X-Consumed-Content-Encoding", save);
        free(save);
      }
    }
  }
  return GALE_OK;
}

void gale__hc_body_done(hc_fetch *f) {
  hc_conn *conn = f->conn;
  int st;
  if (f->gz) {
    st = gale__gzip_finish(f->gz, gz_sink, f);
    gale__gzip_free(f->gz);
    f->gz = NULL;
    if (f->state == HC_DONE) return;
    if (st != GALE_OK) {
      body_error(f, st);
      return;
    }
  }
  f->resp.size_download = f->wire_body;
  /* Release the connection: reusable when the server keeps it and both
   * messages are complete. */
  gale__hc_rate_stop(f); /* before the connection goes back to the pool */
  if (conn) {            /* NULL when the body ended with the connection */
    f->conn = NULL;
    conn->fetch = NULL;
    conn->exchanges++;
    /* Bytes past the end of the response are not ours to read as the next
     * answer (response smuggling, or a Content-Length shorter than what
     * the server sent): such a connection is not reused. */
    struct evbuffer *rest = gale__stream_input(conn->stream);
    if (rest && evbuffer_get_length(rest)) {
      gale__hc_debug(f, GALE_HTTP_DEBUG_INFO,
                     "Excess found in a response: %zu bytes after the body, closing",
                     evbuffer_get_length(rest));
      f->keep_alive = false;
    }
    if (f->keep_alive && f->body_sent && !gale_stream_closed(conn->stream) && f->state == HC_BODY)
      gale__hc_pool_put(conn);
    else
      gale__hc_conn_close(conn);
  }
  if (f->follow) {
    double now = gale_loop_time(f->loop);
    f->redirect_time += now - f->t_hop;
    f->redirects++;
    free(f->reason);
    f->reason = NULL;
    f->resp.code = 0;
    gale__hc_redirect_apply(f);
    st = gale__hc_prepare_hop(f);
    if (st != GALE_OK) {
      gale__hc_complete(f, st, NULL);
      return;
    }
    gale__hc_start_hop(f);
    return;
  }
  gale__hc_complete(f, GALE_OK, NULL);
}

/* RFC 9112 §5.2: a user agent may replace each obs-fold (CRLF followed by
 * SP or HTAB inside a field value) with SP.  The shared parser refuses folds
 * (a server must), so the client rewrites them in the head's bytes, which
 * are drained once parsed.  Resumes where the last call stopped.  The line
 * after the status line has no field to continue: left for the parser. */
static void unfold(hc_fetch *f, char *p, size_t len) {
  size_t ls = f->unfold_ls, pos = f->unfold_pos;
  if (ls == SIZE_MAX) return;
  while (pos < len) {
    char *nl = memchr(p + pos, '\n', len - pos);
    size_t e;
    if (!nl) {
      pos = len;
      break;
    }
    e = (size_t)(nl - p);
    if (e == ls + 1 && p[ls] == '\r') { /* the blank line: head complete */
      ls = SIZE_MAX;
      break;
    }
    if (e + 1 >= len) { /* what follows is not here yet */
      pos = e;
      break;
    }
    if (ls > 0 && e > ls && p[e - 1] == '\r' && (p[e + 1] == ' ' || p[e + 1] == '\t')) {
      p[e - 1] = ' ';
      p[e] = ' ';
    } else {
      ls = e + 1;
    }
    pos = e + 1;
  }
  f->unfold_ls = ls;
  f->unfold_pos = pos;
}

/* The head has more field lines than the array holds: a bigger one, for
 * parsing the head again.  Returns false when it cannot grow (the limit
 * really was reached, or out of memory: the parser's error stands). */
static bool grow_headers(hc_fetch *f) {
  size_t max = f->parser.limits.max_headers, cap = f->msg.headers_cap * 2;
  gale_h1_header *h;
  if (f->msg.num_headers < f->msg.headers_cap || f->msg.headers_cap >= max) return false;
  if (cap > max) cap = max;
  h = gale__malloc(cap * sizeof *h);
  if (!h) return false;
  free(f->hbig);
  f->hbig = h;
  f->hbig_cap = cap;
  f->msg.headers = h;
  f->msg.headers_cap = cap;
  gale_h1_parser_reset(&f->parser, f->head ? GALE_H1_F_HEAD_REQUEST : 0);
  return true;
}

/* Keeps the chunked framing since the last data byte (in[0..consumed) held
 * data[0..dlen) if dlen): when the body ends, the trailers are in it. */
static int keep_framing(hc_fetch *f, const char *in, size_t consumed, const char *data,
                        size_t dlen) {
  const char *from = in;
  if (dlen) {
    gale_buf_reset(&f->tail);
    from = data + dlen;
  }
  if (in + consumed <= from) return GALE_OK;
  return gale_buf_append(&f->tail, from, (size_t)(in + consumed - from));
}

/* The body ended: the field lines after the last chunk (the decoder checked
 * their syntax) become f->trailers. */
static int take_trailers(hc_fetch *f) {
  const char *s = f->tail.data, *end = s + f->tail.len;
  bool after_last = false;
  if (!f->trailers && !(f->trailers = gale_headers_new())) return GALE_ENOMEM;
  while (s && s < end) {
    const char *e = memchr(s, '\n', (size_t)(end - s)), *le, *c, *v;
    if (!e) break;
    le = e > s && e[-1] == '\r' ? e - 1 : e;
    if (le == s) {
      if (after_last) break; /* the blank line ends the section */
    } else if (!after_last) {
      after_last = true; /* the last-chunk line "0[;ext]" */
    } else if ((c = memchr(s, ':', (size_t)(le - s)))) {
      v = c + 1;
      while (v < le && (*v == ' ' || *v == '\t')) v++;
      while (le > v && (le[-1] == ' ' || le[-1] == '\t')) le--;
      if (gale_headers_add_n(f->trailers, s, (size_t)(c - s), v, (size_t)(le - v)) == GALE_ENOMEM)
        return GALE_ENOMEM;
    }
    s = e + 1;
  }
  gale_buf_reset(&f->tail);
  return GALE_OK;
}

/* A complete head of r bytes at p: taken, then drained.  Returns whether to
 * go on reading (a 1xx's next head, or the body). */
static bool head_parsed(hc_fetch *f, struct evbuffer *in, const char *p, size_t r) {
  int st;
  f->unfold_ls = f->unfold_pos = 0; /* a 1xx: the next head starts over */
  st = on_head(f, p, r);
  if (f->state == HC_DONE) return false;
  evbuffer_drain(in, r);
  if (st < 0) {
    gale__hc_complete(f, st, NULL);
    return false;
  }
  if (st == 0) {
    gale__hc_set_state(f, HC_BODY);
    if (f->follow && !f->keep_alive) { /* drop the connection, follow now */
      gale__hc_body_done(f);
      return false;
    }
  }
  return true;
}

/* HC_EXCHANGE: parses the response head out of the `len` bytes of `in`.
 * Returns whether to go on reading. */
static bool read_head(hc_fetch *f, struct evbuffer *in, size_t len) {
  size_t want = len;
  const char *p;
  int r;
  if (!len) return false;
  if (!f->got_byte) {
    f->got_byte = true;
    f->t_first = gale_loop_time(f->loop);
  }
  if (want > (size_t)f->parser.limits.max_header_size + 1)
    want = (size_t)f->parser.limits.max_header_size + 1;
  p = (const char *)evbuffer_pullup(in, (ssize_t)want);
  if (!p) {
    gale__hc_complete(f, GALE_ENOMEM, NULL);
    return false;
  }
  unfold(f, (char *)p, want);
  r = gale_h1_parse_head(&f->parser, p, want, &f->msg);
  if (r == GALE_EAGAIN) return false;
  if (r == GALE_EHTTP_HEADER_TOO_LARGE && grow_headers(f)) return true;
  if (r < 0) {
    head_error(f, r);
    return false;
  }
  return head_parsed(f, in, p, (size_t)r);
}

/* Decoded body bytes: counted, inflated or not, handed on.  Returns false
 * when the fetch ended (a failure, or the user cancelled from a callback). */
bool gale__hc_take_body(hc_fetch *f, const char *data, size_t dlen) {
  int st;
  f->wire_body += dlen;
  st = f->gz ? gale__gzip_write(f->gz, data, dlen, gz_sink, f) : add_body(f, data, dlen);
  if (f->state == HC_DONE) return false;
  if (st != GALE_OK) {
    body_error(f, st);
    return false;
  }
  return true;
}

/* HC_BODY: decodes the body out of the first piece of the `len` bytes of
 * `in`.  Returns whether to go on reading. */
/* Bytes of body decoded at a time under max_recv_speed. */
#define RATE_SLICE 4096

static bool read_body(hc_fetch *f, struct evbuffer *in, size_t len) {
  struct evbuffer_iovec v = {0};
  size_t consumed = 0, dlen = 0;
  const char *data = NULL, *piece;
  int r;
  size_t plen;
  if (len) evbuffer_peek(in, -1, NULL, &v, 1);
  piece = len ? v.iov_base : "";
  plen = len ? v.iov_len : 0;
  /* Under max_recv_speed the buffer is taken in slices, so a pause can
   * fall between them (what was read stays in the buffer meanwhile). */
  if (f->req.max_recv_speed && plen > RATE_SLICE) plen = RATE_SLICE;
  r = gale_h1_body_decode(&f->bdec, piece, plen, &consumed, &data, &dlen);
  if (r < 0 && r != GALE_EAGAIN) {
    body_error(f, r);
    return false;
  }
  if (consumed) f->t_progress = gale_loop_time(f->loop);
  if (f->msg.body_kind == GALE_H1_BODY_CHUNKED && !f->follow) {
    int st = keep_framing(f, piece, consumed, data, dlen);
    if (st == GALE_OK && r == GALE_H1_BODY_DONE) st = take_trailers(f);
    if (st != GALE_OK) {
      gale__hc_complete(f, st, NULL);
      return false;
    }
  }
  if (dlen && !gale__hc_take_body(f, data, dlen)) return false;
  evbuffer_drain(in, consumed);
  if (r == GALE_H1_BODY_DONE) {
    gale__hc_body_done(f);
    return false;
  }
  return !(r == GALE_EAGAIN && evbuffer_get_length(in) == 0);
}

static void process(hc_fetch *f, struct evbuffer *in) {
  bool more = true;
  while (more && (f->state == HC_EXCHANGE || f->state == HC_BODY) && !f->rate_paused) {
    size_t len = evbuffer_get_length(in);
    more = f->state == HC_EXCHANGE ? read_head(f, in, len) : read_body(f, in, len);
  }
}

void gale__hc_data(gale_stream *stream, struct evbuffer *in, void *arg) {
  hc_conn *conn = arg;
  hc_fetch *f = conn->fetch;
  (void)stream;
  if (!f) {
    /* Bytes on an idle connection: the server is confused; drop it. */
    if (evbuffer_get_length(in)) gale__hc_conn_close(conn);
    return;
  }
  process(f, in);
}

bool gale__hc_idempotent(const char *m) {
  return !strcasecmp(m, "GET") || !strcasecmp(m, "HEAD") || !strcasecmp(m, "PUT") ||
         !strcasecmp(m, "DELETE") || !strcasecmp(m, "OPTIONS") || !strcasecmp(m, "TRACE");
}

int gale__hc_stream_error(hc_fetch *f, int reason) {
  (void)f;
  if (reason == GALE_OK || reason == GALE_ECANCELLED) return GALE_EOF;
  return reason;
}

static bool peer_closed(int reason) { return reason == GALE_EOF || reason == GALE_OK; }

/* The connection ended before the response head was complete. */
static void closed_in_head(hc_fetch *f, int reason) {
  const char *where =
      f->got_byte ? "in the middle of the response head" : "before the response head";
  if (!f->got_byte && f->resp.reused && !f->retried && gale__hc_idempotent(f->method) &&
      (reason == GALE_EOF || reason == GALE_ECONNRESET || reason == GALE_EPIPE)) {
    /* The server closed a kept-alive connection as we reused it: the
     * request cannot have been processed; try once on a fresh one. */
    f->retried = true;
    f->no_reuse = true;
    gale__hc_debug(f, GALE_HTTP_DEBUG_INFO, "Connection died, retrying a fresh connect");
    gale__hc_start_hop(f);
    return;
  }
  if (reason == GALE_ECONNRESET) {
    gale__hc_set_error(f, "the server reset the connection %s", where);
    gale__hc_complete(f, GALE_ECONNRESET, NULL);
  } else if (peer_closed(reason)) {
    gale__hc_set_error(f, "the server closed the connection %s", where);
    gale__hc_complete(f, f->got_byte ? GALE_EHTTP_HEAD_TRUNCATED : GALE_EOF, NULL);
  } else {
    gale__hc_set_error(f, "the connection failed %s: %s", where, gale_strerror(reason));
    gale__hc_complete(f, gale__hc_stream_error(f, reason), NULL);
  }
}

/* How far the body got, for the sentence of a failure. */
static void body_progress(const hc_fetch *f, char *buf, size_t len) {
  if (f->msg.body_kind == GALE_H1_BODY_LENGTH)
    snprintf(buf, len, "after %llu of %llu body bytes", (unsigned long long)f->wire_body,
             (unsigned long long)f->msg.content_length);
  else if (f->msg.body_kind == GALE_H1_BODY_CHUNKED)
    snprintf(buf, len, "in the middle of the chunked body (%llu bytes)",
             (unsigned long long)f->wire_body);
  else
    snprintf(buf, len, "after %llu body bytes", (unsigned long long)f->wire_body);
}

/* The connection ended while the body was being read: the end of a
 * close-delimited body, or a failure naming what cut it short. */
static void closed_in_body(hc_fetch *f, int reason) {
  int r = gale_h1_body_eof(&f->bdec);
  char where[96];
  if (r == GALE_H1_BODY_DONE && peer_closed(reason)) {
    f->keep_alive = false;
    gale__hc_body_done(f);
    return;
  }
  body_progress(f, where, sizeof where);
  if (reason == GALE_ECONNRESET) {
    gale__hc_set_error(f, "the server reset the connection %s", where);
    gale__hc_complete(f, GALE_ECONNRESET, NULL);
  } else if (reason == GALE_ETLS_TRUNCATED && r == GALE_H1_BODY_DONE) {
    gale__hc_set_error(f, "TLS connection closed without close_notify: the body may be cut short");
    gale__hc_complete(f, GALE_EHTTP_TRUNCATED, NULL);
  } else if (peer_closed(reason) || reason == GALE_ETLS_TRUNCATED) {
    gale__hc_set_error(f, "the connection closed %s", where);
    gale__hc_complete(f, GALE_EHTTP_TRUNCATED, NULL);
  } else {
    gale__hc_set_error(f, "the connection failed %s: %s", where, gale_strerror(reason));
    gale__hc_complete(f, gale__hc_stream_error(f, reason), NULL);
  }
}

void gale__hc_conn_closed(hc_fetch *f, int reason, struct evbuffer *in) {
  /* Whatever arrived before the close is still ours (close-delimited
   * bodies end here). */
  if (in && evbuffer_get_length(in)) process(f, in);
  if (f->state == HC_DONE) return;
  if (f->state == HC_EXCHANGE)
    closed_in_head(f, reason);
  else if (f->state == HC_BODY)
    closed_in_body(f, reason);
  else if (f->state == HC_PROXY)
    gale__hc_proxy_closed(f, reason);
  else /* CONNECTING: the open path reports its own failure. */
    gale__hc_complete(f, gale__hc_stream_error(f, reason), NULL);
}
