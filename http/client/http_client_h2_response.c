/* SPDX-License-Identifier: MIT */
/* The response side of gale_http_client's HTTP/2 streams: nghttp2's
 * callbacks.  A stream's HEADERS become the head an HTTP/1 response has
 * (then http_client_response.c's path: redirects, callbacks, gzip,
 * limits), DATA its body, trailers its trailers; a RST_STREAM fails that
 * fetch alone, REFUSED_STREAM and streams above a GOAWAY retry elsewhere,
 * anything malformed fails the connection. */
#include "http/client/http_client_h2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "iostream/stream_internal.h"

#define MAX_REFUSALS 3

/* ---- nghttp2 callbacks: the response --------------------------------------- */

static int on_begin_frame(nghttp2_session *s, const nghttp2_frame_hd *hd, void *arg) {
  hc_h2 *h = arg;
  uint32_t code = gale__h2_guard_frame(&h->guard, s, hd, h->now);
  if (!code) return 0;
  nghttp2_session_terminate_session(s, code);
  gale__hc_h2_fail_conn(
      h, GALE_EHTTP_PARSE,
      code == NGHTTP2_ENHANCE_YOUR_CALM
          ? "the server flooded the HTTP/2 connection (too many frames of one kind, or an "
            "oversized header block)"
          : "the server broke the HTTP/2 protocol");
  return NGHTTP2_ERR_CALLBACK_FAILURE;
}

static int on_begin_headers(nghttp2_session *s, const nghttp2_frame *fr, void *arg) {
  hc_h2 *h = arg;
  hc_fetch *f;
  (void)s;
  if (fr->hd.type != NGHTTP2_HEADERS || !(f = gale__hc_h2_find(h, fr->hd.stream_id))) return 0;
  if (!f->got_byte) {
    f->got_byte = true;
    f->t_first = h->now;
  }
  f->h2_hdr_bytes = 0;
  if (!f->h2_final) {
    f->h2_code = 0;
    if (f->headers) gale_headers_clear(f->headers);
  }
  return 0;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *fr, const uint8_t *name, size_t nlen,
                     const uint8_t *value, size_t vlen, uint8_t flags, void *arg) {
  hc_h2 *h = arg;
  hc_fetch *f;
  const char *n = (const char *)name, *v = (const char *)value;
  gale_headers **set;
  (void)s;
  (void)flags;
  if (fr->hd.type != NGHTTP2_HEADERS || !(f = gale__hc_h2_find(h, fr->hd.stream_id))) return 0;
  f->h2_hdr_bytes += nlen + vlen + 32; /* RFC 9113 §6.5.2's measure */
  if (f->h2_hdr_bytes > gale__hc_h2_max_header(f)) {
    gale__hc_set_error(f, "HTTP/2 response %s over max_header_size (%zu bytes) on stream %d",
                       f->h2_final ? "trailers" : "head", gale__hc_h2_max_header(f), (int)f->h2_id);
    gale__hc_complete(f, GALE_EHTTP_HEADER_TOO_LARGE, NULL);
    return 0;
  }
  if (!f->h2_final && nlen == 7 && memcmp(n, ":status", 7) == 0) {
    f->h2_code = vlen == 3 ? (v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0') : 0;
    return 0;
  }
  if (nlen && n[0] == ':') return 0;              /* nghttp2 checked them */
  if (!f->h2_final && f->h2_code < 200) return 0; /* an interim answer's fields */
  set = f->h2_final ? &f->trailers : &f->headers;
  if (!*set) *set = gale_headers_new();
  if (!*set || gale_headers_add_n(*set, n, nlen, v, vlen) == GALE_ENOMEM)
    gale__hc_complete(f, GALE_ENOMEM, NULL);
  return 0;
}

/* The response ended (END_STREAM): the stream is let go, then the same
 * ending as HTTP/1's. */
static void finish(hc_h2 *h, hc_fetch *f) {
  bool local_open = nghttp2_session_get_stream_local_close(h->session, f->h2_id) == 0;
  f->resp.size_download = f->wire_body;
  gale__hc_h2_detach(f, local_open); /* still uploading: the server has answered, stop */
  gale__hc_body_done(f);
}

static bool gzip_coding(const hc_fetch *f) {
  const char *ce = gale_headers_get(f->headers, "content-encoding");
  return ce && (strcasecmp(ce, "gzip") == 0 || strcasecmp(ce, "x-gzip") == 0);
}

static void head(hc_h2 *h, hc_fetch *f, bool end) {
  gale_buf *b = &f->h2_lines;
  char status[16];
  size_t lines_len;
  bool has_body, lines;
  int st;
  f->h2_final = true;
  f->resp.code = f->h2_code;
  f->msg.status = f->h2_code; /* the redirect check reads it */
  f->resp.http_version = 20;
  free(f->reason);
  f->reason = NULL; /* HTTP/2 has none: the response says "" */
  if (!f->headers) f->headers = gale_headers_new();
  if (!f->headers) {
    gale__hc_complete(f, GALE_ENOMEM, NULL);
    return;
  }
  /* The head as header lines, as curl shows it ("HTTP/2 200 "), made only
   * when a callback reads them; size_header counts them either way. */
  gale_buf_reset(b);
  memcpy(status, "HTTP/2 000 \r\n", 13);
  status[7] = (char)('0' + f->h2_code / 100 % 10);
  status[8] = (char)('0' + f->h2_code / 10 % 10);
  status[9] = (char)('0' + f->h2_code % 10);
  lines_len = 13 + 2;
  lines = f->req.header_callback || f->req.debug_callback;
  st = lines ? gale_buf_append(b, status, 13) : GALE_OK;
  for (size_t i = 0, n = gale_headers_count(f->headers); i < n && st == GALE_OK; i++) {
    const char *nm, *v;
    size_t nl, vl;
    gale_headers_at(f->headers, i, &nm, &nl, &v, &vl);
    lines_len += nl + vl + 4;
    if (!lines) continue;
    st = gale_buf_append(b, nm, nl);
    if (st == GALE_OK) st = gale_buf_append(b, ": ", 2);
    if (st == GALE_OK) st = gale_buf_append(b, v, vl);
    if (st == GALE_OK) st = gale_buf_append(b, "\r\n", 2);
  }
  if (st == GALE_OK && lines) st = gale_buf_append(b, "\r\n", 2);
  if (st != GALE_OK) {
    gale__hc_complete(f, st, NULL);
    return;
  }
  f->resp.size_header += lines_len;
  has_body = !end && !f->head && f->h2_code != 204 && f->h2_code != 304;
  gale__hc_body_phase(f, has_body);
  if (f->state == HC_DONE) return;
  st = gale__hc_head_common(f, has_body, gzip_coding(f), lines ? b->data : "", lines ? b->len : 0);
  if (f->state == HC_DONE) return;
  if (st != GALE_OK) {
    gale__hc_complete(f, st, NULL);
    return;
  }
  gale__hc_set_state(f, HC_BODY);
  if (f->follow) { /* its body is not wanted: reset the stream, go on */
    bool open = !end;
    gale__hc_h2_detach(f, open);
    gale__hc_body_done(f);
    return;
  }
  if (end) finish(h, f);
}

/* Refused (REFUSED_STREAM, above a GOAWAY's last_stream_id, or never sent):
 * the server did not process it (RFC 9113 §8.7), so it starts over. */
static void retry(hc_fetch *f, const char *why) {
  int32_t id = f->h2_id;
  f->h2_closed = true;
  gale__hc_h2_detach(f, false);
  if (++f->h2_refusals > MAX_REFUSALS || (f->send_body && f->req.body_producer)) {
    gale__hc_set_error(f, "the server refused HTTP/2 stream %d (%s)%s", (int)id, why,
                       f->h2_refusals > MAX_REFUSALS ? " again"
                                                     : "; a streamed body is not sent twice");
    gale__hc_complete(f, GALE_ECONNRESET, NULL);
    return;
  }
  gale__hc_debug(f, GALE_HTTP_DEBUG_INFO, "HTTP/2 stream %d refused (%s): retrying", (int)id, why);
  gale__hc_start_hop(f);
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *fr, void *arg) {
  hc_h2 *h = arg;
  hc_fetch *f;
  bool end = fr->hd.flags & NGHTTP2_FLAG_END_STREAM;
  (void)s;
  switch (fr->hd.type) {
  case NGHTTP2_HEADERS:
    if (!(f = gale__hc_h2_find(h, fr->hd.stream_id))) break;
    if (!f->h2_final) {
      if (f->h2_code >= 200) head(h, f, end);
      /* else an interim (1xx) answer: the final one follows */
    } else if (end) {
      finish(h, f);
    }
    break;
  case NGHTTP2_DATA:
    if (end && (f = gale__hc_h2_find(h, fr->hd.stream_id)) && f->h2_final) finish(h, f);
    break;
  case NGHTTP2_GOAWAY:
    /* Streams above last_stream_id are closed by nghttp2 as refused (and
     * retried); those below finish.  Nothing new goes here. */
    h->goaway = true;
    gale__hc_h2_set_busy(h);
    if (fr->goaway.error_code != NGHTTP2_NO_ERROR)
      snprintf(h->fail_detail, sizeof h->fail_detail, "after the server's GOAWAY (%s)",
               nghttp2_http2_strerror(fr->goaway.error_code));
    gale__hc_h2_requeue_all(h);
    break;
  case NGHTTP2_SETTINGS:
    if (!(fr->hd.flags & NGHTTP2_FLAG_ACK) && h->wq_head) gale__hc_h2_slot_freed(h);
    break;
  default: break;
  }
  return 0;
}

static int on_data_chunk(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data,
                         size_t len, void *arg) {
  hc_h2 *h = arg;
  hc_fetch *f = gale__hc_h2_find(h, id);
  (void)s;
  (void)flags;
  if (!f || !f->h2_final) return 0;
  f->t_progress = h->now;
  gale__hc_take_body(f, (const char *)data, len);
  return 0;
}

static int on_invalid_frame(nghttp2_session *s, const nghttp2_frame *fr, int lib_error, void *arg) {
  hc_h2 *h = arg;
  hc_fetch *f = fr->hd.stream_id ? gale__hc_h2_find(h, fr->hd.stream_id) : NULL;
  (void)s;
  if (f && !f->h2_malformed) {
    f->h2_malformed = true;
    gale__hc_set_error(f, "malformed HTTP/2 response on stream %d: %s", (int)f->h2_id,
                       nghttp2_strerror(lib_error));
  }
  return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t id, uint32_t code, void *arg) {
  hc_h2 *h = arg;
  hc_fetch *f = gale__hc_h2_find(h, id);
  (void)s;
  if (!f) return 0;
  f->h2_closed = true;
  if (code == NGHTTP2_REFUSED_STREAM && !f->got_byte && !f->h2_malformed) {
    retry(f, h->goaway ? "GOAWAY" : "REFUSED_STREAM");
    return 0;
  }
  if (f->h2_malformed) {
    gale__hc_complete(f, GALE_EHTTP_PARSE, NULL);
  } else if (code != NGHTTP2_NO_ERROR) {
    gale__hc_set_error(f, "the server reset HTTP/2 stream %d: %s%s", (int)id,
                       nghttp2_http2_strerror(code),
                       f->h2_final ? " (in the middle of the body)" : "");
    gale__hc_complete(f, GALE_ECONNRESET, NULL);
  } else if (!f->h2_final) {
    gale__hc_set_error(f, "the server closed HTTP/2 stream %d before the response head", (int)id);
    gale__hc_complete(f, GALE_EOF, NULL);
  } else {
    gale__hc_set_error(f, "the server closed HTTP/2 stream %d after %llu body bytes", (int)id,
                       (unsigned long long)f->wire_body);
    gale__hc_complete(f, GALE_EHTTP_TRUNCATED, NULL);
  }
  return 0;
}

static int on_frame_not_send(nghttp2_session *s, const nghttp2_frame *fr, int lib_error,
                             void *arg) {
  hc_h2 *h = arg;
  hc_fetch *f;
  (void)s;
  if (fr->hd.type != NGHTTP2_HEADERS || fr->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  if ((f = gale__hc_h2_find(h, fr->hd.stream_id))) retry(f, nghttp2_strerror(lib_error));
  return 0;
}

/* What nghttp2 itself sends: a RST_STREAM on a stream still ours means it
 * found the response malformed (Content-Length against DATA, a bad field);
 * a GOAWAY with an error, that the server broke the protocol. */
static int on_frame_send(nghttp2_session *s, const nghttp2_frame *fr, void *arg) {
  hc_h2 *h = arg;
  hc_fetch *f;
  char why[160];
  (void)s;
  if (fr->hd.type == NGHTTP2_RST_STREAM && (f = gale__hc_h2_find(h, fr->hd.stream_id)) &&
      !f->h2_malformed) {
    f->h2_malformed = true;
    gale__hc_set_error(f, "malformed HTTP/2 response on stream %d (reset with %s)", (int)f->h2_id,
                       nghttp2_http2_strerror(fr->rst_stream.error_code));
  } else if (fr->hd.type == NGHTTP2_GOAWAY && fr->goaway.error_code != NGHTTP2_NO_ERROR) {
    snprintf(why, sizeof why, "malformed HTTP/2 frames from the server (GOAWAY %s sent)",
             nghttp2_http2_strerror(fr->goaway.error_code));
    gale__hc_h2_fail_conn(h, GALE_EHTTP_PARSE, why);
  }
  return 0;
}

nghttp2_session_callbacks *gale__hc_h2_callbacks(void) {
  static nghttp2_session_callbacks *cbs; /* made once, read only after */
  if (cbs || nghttp2_session_callbacks_new(&cbs) != 0) return cbs;
  nghttp2_session_callbacks_set_on_begin_frame_callback(cbs, on_begin_frame);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
  nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cbs, on_invalid_frame);
  nghttp2_session_callbacks_set_on_frame_not_send_callback(cbs, on_frame_not_send);
  nghttp2_session_callbacks_set_on_frame_send_callback(cbs, on_frame_send);
  return cbs;
}
