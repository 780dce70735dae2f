/* SPDX-License-Identifier: MIT */
/* The body producer of an upload (gale_http_upload): its bytes go straight
 * into the connection's output, as chunks when the size is unknown, and the
 * producer is called again each time a flush completes, so a slow peer
 * holds the producer back. */
#include "http/client/http_client_internal.h"

#include "iostream/stream_internal.h"

static void call_producer(hc_fetch *f) {
  gale_http_upload *up = f->upload;
  if (!up || up->finished || up->in_flight) return;
  f->req.body_producer(up, f->req.body_producer_arg);
}

static void on_upload_flushed(gale_stream *s, int status, void *arg) {
  hc_conn *conn = arg;
  hc_fetch *f = conn->fetch;
  (void)s;
  if (!f || !f->upload || status != GALE_OK) return;
  f->upload->in_flight = false;
  if (f->state == HC_EXCHANGE || f->state == HC_BODY) call_producer(f);
}

static int upload_check(gale_http_upload *up, hc_fetch **fp) {
  if (!up) return GALE_EINVAL;
  if (!up->fetch || up->fetch->state == HC_DONE || (!up->fetch->conn && !up->fetch->h2))
    return GALE_ECLOSED;
  if (up->finished) return GALE_ESTATE;
  *fp = up->fetch;
  return GALE_OK;
}

int gale_http_upload_write(gale_http_upload *up, const void *data, size_t len) {
  hc_fetch *f;
  struct evbuffer *out;
  int st = upload_check(up, &f);
  if (st != GALE_OK) return st;
  if (!data && len) return GALE_EINVAL;
  if (len == 0) return GALE_OK;
  if (f->req.body_size >= 0 && up->written + len > (uint64_t)f->req.body_size) return GALE_ERANGE;
  if (f->h2) return gale__hc_h2_upload_write(f, data, len);
  out = gale__stream_output(f->conn->stream);
  if (!out) return GALE_ECLOSED;
  if (gale__hc_chunked_upload(f)) {
    char hdr[GALE_H1_CHUNK_HEADER_MAX];
    size_t n = gale_h1_chunk_header(hdr, len);
    evbuffer_add(out, hdr, n);
  }
  if (evbuffer_add(out, data, len) != 0) return GALE_ENOMEM;
  if (gale__hc_chunked_upload(f)) evbuffer_add(out, GALE_H1_CHUNK_END, 2);
  up->written += len;
  f->resp.size_upload += len;
  if (!up->in_flight) {
    up->in_flight = true;
    gale__stream_flush(f->conn->stream, on_upload_flushed, f->conn);
  }
  return GALE_OK;
}

int gale_http_upload_finish(gale_http_upload *up, int status) {
  hc_fetch *f;
  struct evbuffer *out;
  int st = upload_check(up, &f);
  if (st != GALE_OK) return st;
  up->finished = true;
  if (status < 0) {
    gale__hc_set_error(f, "the body producer failed: %s", gale_strerror(status));
    gale__hc_complete(f, status, NULL);
    return GALE_OK;
  }
  if (f->req.body_size >= 0 && up->written != (uint64_t)f->req.body_size) {
    gale__hc_set_error(f, "the body producer wrote %llu of %lld declared bytes",
                       (unsigned long long)up->written, (long long)f->req.body_size);
    gale__hc_complete(f, GALE_ERANGE, NULL);
    return GALE_ERANGE;
  }
  if (f->h2) return gale__hc_h2_upload_finish(f);
  out = gale__stream_output(f->conn->stream);
  if (gale__hc_chunked_upload(f) && out) evbuffer_add(out, GALE_H1_CHUNK_LAST, 5);
  f->body_sent = true;
  gale__stream_flush(f->conn->stream, NULL, NULL);
  return GALE_OK;
}

void gale__hc_upload_start(hc_fetch *f) {
  if (!f->upload) {
    f->upload = gale__calloc(1, sizeof *f->upload);
    if (!f->upload) {
      gale__hc_complete(f, GALE_ENOMEM, NULL);
      return;
    }
  }
  f->upload->fetch = f;
  f->upload->written = 0;
  f->upload->finished = false;
  f->upload->in_flight = false;
  if (!f->h2) gale__stream_flush(f->conn->stream, NULL, NULL);
  call_producer(f);
}
