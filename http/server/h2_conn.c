/* SPDX-License-Identifier: MIT */
/* An HTTP/2 connection of gale_http_server (h2_server.h): the nghttp2
 * server session, its callbacks, the loop wiring (read, pump with
 * back-pressure, scheduled sends), limits, sweep and graceful shutdown. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "http/server/h2_server.h"
#include "iostream/stream_internal.h"

#define HIGH_WATER ((size_t)256 << 10) /* stop framing past 256 KiB unsent */
#define MAX_STREAMS 100
#define LINGER 2.0

static void conn_process(gale__h2_conn *c);

static void conn_unref(gale__h2_conn *c) {
  if (--c->refs > 0) return;
  gale_http_server *server = c->server;
  nghttp2_session_del(c->session);
  free(c);
  gale__server_maybe_free(server);
}

static gale__h2_stream *stream_of(nghttp2_session *s, int32_t id) {
  return nghttp2_session_get_stream_user_data(s, id);
}

/* ---- nghttp2 callbacks ------------------------------------------------------ */

static int on_begin_frame(nghttp2_session *s, const nghttp2_frame_hd *hd, void *arg) {
  gale__h2_conn *c = arg;
  uint32_t code = gale__h2_guard_frame(&c->guard, s, hd, gale_loop_time(c->server->loop));
  if (!code) return 0;
  nghttp2_session_terminate_session(s, code);
  return NGHTTP2_ERR_CALLBACK_FAILURE;
}

static int on_begin_headers(nghttp2_session *s, const nghttp2_frame *f, void *arg) {
  (void)s;
  if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  gale__h2_conn *c = arg;
  if (c->goaway || c->server->dead) {
    nghttp2_submit_rst_stream(c->session, NGHTTP2_FLAG_NONE, f->hd.stream_id,
                              NGHTTP2_REFUSED_STREAM);
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }
  return gale__h2_stream_begin(c, f->hd.stream_id) == GALE_OK
             ? 0
             : NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
                     const uint8_t *value, size_t vlen, uint8_t flags, void *arg) {
  (void)flags;
  (void)arg;
  gale__h2_stream *st = stream_of(s, f->hd.stream_id);
  if (!st || f->hd.type != NGHTTP2_HEADERS) return 0;
  if (f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0; /* trailers: dropped */
  int rc = gale__h2_stream_header(st, name, nlen, value, vlen);
  if (rc != GALE_OK) {
    /* An HPACK bomb: decoded far past the limit from a small block. */
    nghttp2_session_terminate_session(s, NGHTTP2_ENHANCE_YOUR_CALM);
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
  return 0;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *f, void *arg) {
  (void)arg;
  gale__h2_stream *st = f->hd.stream_id ? stream_of(s, f->hd.stream_id) : NULL;
  if (!st) return 0;
  bool end = f->hd.flags & NGHTTP2_FLAG_END_STREAM;
  if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST)
    gale__h2_stream_headers_done(st, end);
  else if ((f->hd.type == NGHTTP2_DATA || f->hd.type == NGHTTP2_HEADERS) && end)
    gale__h2_stream_end(st);
  return 0;
}

static int on_data_chunk(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data,
                         size_t len, void *arg) {
  (void)flags;
  (void)arg;
  gale__h2_stream *st = stream_of(s, id);
  if (st) gale__h2_stream_data(st, data, len);
  return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t id, uint32_t code, void *arg) {
  (void)arg;
  gale__h2_stream *st = stream_of(s, id);
  if (st) gale__h2_stream_closed(st, code == NGHTTP2_NO_ERROR ? GALE_EOF : GALE_ECONNRESET);
  return 0;
}

static nghttp2_session_callbacks *callbacks(void) {
  static nghttp2_session_callbacks *cbs; /* made once, read only after */
  if (cbs || nghttp2_session_callbacks_new(&cbs) != 0) return cbs;
  nghttp2_session_callbacks_set_on_begin_frame_callback(cbs, on_begin_frame);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
  return cbs;
}

/* ---- io --------------------------------------------------------------------- */

static void close_after_flush(gale__h2_conn *c) {
  if (!c->closed && c->stream) gale__stream_close_after_flush(c->stream, LINGER);
}

static void drained(gale_stream *stream, int status, void *arg) {
  (void)stream;
  gale__h2_conn *c = arg;
  c->waiting_drain = false;
  if (status == GALE_OK && !c->closed) conn_process(c);
  conn_unref(c);
}

/* Frames what nghttp2 has for the wire; past high water, waits for the
 * socket to drain (so a peer that stops reading costs HIGH_WATER). */
static void pump(gale__h2_conn *c) {
  if (c->closed || c->waiting_drain) return;
  int rc = gale__h2_pump(c->session, c->stream, HIGH_WATER);
  if (rc == GALE_EAGAIN) {
    c->refs++;
    c->waiting_drain = true;
    if (gale__stream_flush(c->stream, drained, c) != GALE_OK) {
      c->waiting_drain = false;
      c->refs--;
    }
    return;
  }
  if (rc != GALE_OK) {
    close_after_flush(c);
    return;
  }
  if (!nghttp2_session_want_read(c->session) && !nghttp2_session_want_write(c->session))
    close_after_flush(c); /* GOAWAY sent and every stream done */
  else if (c->goaway && c->nstreams == 0)
    close_after_flush(c);
}

static void conn_process(gale__h2_conn *c) {
  if (c->processing || c->closed) return;
  c->processing = true;
  c->refs++;
  c->server->busy++;
  c->last_active = gale_loop_time(c->server->loop);
  if (!c->waiting_drain || nghttp2_session_want_read(c->session)) {
    if (gale__h2_feed(c->session, c->stream) != GALE_OK && !c->closed) {
      /* nghttp2 queued its GOAWAY: send it, stop reading. */
      gale_stream_pause_reading(c->stream);
    }
  }
  if (!c->closed) pump(c);
  c->processing = false;
  c->server->busy--;
  conn_unref(c);
}

static void scheduled(gale_loop *loop, void *arg) {
  (void)loop;
  gale__h2_conn *c = arg;
  c->scheduled = false;
  if (!c->closed && !c->processing) pump(c);
  conn_unref(c);
}

void gale__h2_conn_schedule(gale__h2_conn *c) {
  if (c->closed || c->processing || c->scheduled) return;
  if (gale_loop_add_callback(c->server->loop, scheduled, c) == GALE_OK) {
    c->scheduled = true;
    c->refs++;
  }
}

/* ---- life ------------------------------------------------------------------- */

static void on_data(gale_stream *stream, struct evbuffer *input, void *arg) {
  (void)stream;
  (void)input;
  conn_process(arg);
}

static void unlink_conn(gale__h2_conn *c) {
  gale_http_server *server = c->server;
  if (c->prev)
    c->prev->next = c->next;
  else if (server->h2conns == c)
    server->h2conns = c->next;
  if (c->next) c->next->prev = c->prev;
  c->prev = c->next = NULL;
  server->nconns--;
}

static void on_close(gale_stream *stream, int reason, void *arg) {
  (void)stream;
  gale__h2_conn *c = arg;
  c->closed = true;
  int status = reason == GALE_OK ? GALE_ECANCELLED : reason;
  while (c->streams) {
    gale__h2_stream_closed(c->streams, status);
  }
  c->stream = NULL;
  unlink_conn(c);
  conn_unref(c);
}

void gale__h2_conn_close(gale__h2_conn *c) {
  if (!c->closed && c->stream) gale_stream_close(c->stream);
}

void gale__h2_conn_shutdown(gale__h2_conn *c) {
  if (c->closed || c->goaway) return;
  c->goaway = true;
  nghttp2_submit_shutdown_notice(c->session);
  nghttp2_submit_goaway(c->session, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(c->session), NGHTTP2_NO_ERROR, NULL,
                        0);
  gale__h2_conn_schedule(c);
}

void gale__h2_conn_sweep(gale__h2_conn *c, double now) {
  gale_http_server_options *o = &c->server->opts;
  if (c->closed) return;
  if (c->nstreams == 0 && o->idle_connection_timeout > 0 &&
      now - c->last_active >= o->idle_connection_timeout &&
      gale_stream_write_buffer_size(c->stream) == 0) {
    gale__h2_conn_shutdown(c);
    return;
  }
  if (o->write_timeout <= 0) return;
  /* A stream whose answer has not moved for write_timeout (a peer holding
   * its window at zero) is reset; the connection's other streams go on. */
  for (gale__h2_stream *st = c->streams; st; st = st->next) {
    if (st->out && evbuffer_get_length(st->out) > 0 && now - st->progress_time >= o->write_timeout)
      nghttp2_submit_rst_stream(c->session, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_CANCEL);
  }
  gale__h2_conn_schedule(c);
}

static int session_new(gale__h2_conn *c) {
  nghttp2_session_callbacks *cbs = callbacks();
  nghttp2_option *opt = NULL;
  if (!cbs || nghttp2_option_new(&opt) != 0) return GALE_ENOMEM;
  nghttp2_option_set_max_outbound_ack(opt, 100);
  int rv = nghttp2_session_server_new2(&c->session, cbs, c, opt);
  nghttp2_option_del(opt);
  if (rv != 0) return GALE_ENOMEM;
  size_t mh = c->server->opts.max_header_size;
  nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, MAX_STREAMS},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, mh > UINT32_MAX ? UINT32_MAX : (uint32_t)mh},
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
  };
  if (nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, iv, 3) != 0) return GALE_ENOMEM;
  /* HPACK-coded, a block is smaller than the list; twice the list plus a
   * frame leaves room for literal-heavy ones. */
  c->guard.max_block = 2 * mh + 16384;
  c->guard.window_start = gale_loop_time(c->server->loop);
  return GALE_OK;
}

int gale__h2_conn_new(gale_http_server *server, gale_stream *stream) {
  gale__h2_conn *c = gale__calloc(1, sizeof(*c));
  if (!c) return GALE_ENOMEM;
  c->server = server;
  c->stream = stream;
  c->refs = 1;
  c->is_tls = gale_stream_is_tls(stream);
  c->last_active = gale_loop_time(server->loop);
  int rc = session_new(c);
  if (rc == GALE_OK) rc = gale__stream_set_data_cb(stream, on_data, c);
  if (rc != GALE_OK) {
    if (c->session) nghttp2_session_del(c->session);
    free(c);
    return rc;
  }
  gale_stream_set_close_cb(stream, on_close, c);
  gale_stream_set_nodelay(stream, true);
  c->next = server->h2conns;
  if (server->h2conns) server->h2conns->prev = c;
  server->h2conns = c;
  server->nconns++;
  if (gale_stream_read_buffer_size(stream) > 0)
    conn_process(c);
  else
    gale__h2_conn_schedule(c); /* our SETTINGS go first */
  return GALE_OK;
}
