/* SPDX-License-Identifier: MIT */
/* A WebSocket connection's send path: frames written straight into the
 * stream's output buffer (masked in the client role), the outgoing
 * buffer limit, flush futures, and the ping and close timers. */
#include <string.h>

#include <openssl/rand.h>

#include "gale/log.h"
#include "http/websocket/ws_conn.h"
#include "iostream/stream_internal.h"

/* Appends one frame.  Returns GALE_OK, GALE_ECLOSED, GALE_ENOMEM. */
static int put_frame(gale_websocket *ws, gale_ws_opcode op, bool rsv1, const void *data,
                     size_t len) {
  struct evbuffer *out = ws->stream ? gale__stream_output(ws->stream) : NULL;
  if (!out) return GALE_ECLOSED;
  uint8_t head[GALE_WS_MAX_HEADER], key[4];
  bool mask = !ws->server;
  if (mask && RAND_bytes(key, sizeof(key)) != 1) return GALE_ENOMEM;
  size_t n = gale_ws_frame_header(head, op, true, rsv1, len, mask ? key : NULL);
  if (evbuffer_add(out, head, n) != 0) return GALE_ENOMEM;
  if (len == 0) return GALE_OK;
  if (!mask) return evbuffer_add(out, data, len) == 0 ? GALE_OK : GALE_ENOMEM;
  struct evbuffer_iovec v;
  if (evbuffer_reserve_space(out, (ev_ssize_t)len, &v, 1) < 1 || v.iov_len < len)
    return GALE_ENOMEM;
  memcpy(v.iov_base, data, len);
  gale_ws_mask(v.iov_base, len, key, 0);
  v.iov_len = len;
  return evbuffer_commit_space(out, &v, 1) == 0 ? GALE_OK : GALE_ENOMEM;
}

int gale__ws_send_frame(gale_websocket *ws, gale_ws_opcode op, const void *data, size_t len) {
  return put_frame(ws, op, false, data, len);
}

int gale__ws_send_close(gale_websocket *ws, int code, const char *reason, size_t len) {
  uint8_t p[GALE_WS_MAX_CONTROL];
  size_t n = 0;
  if (code) {
    p[0] = (uint8_t)(code >> 8);
    p[1] = (uint8_t)code;
    if (len > GALE_WS_MAX_CONTROL - 2) len = GALE_WS_MAX_CONTROL - 2;
    if (len) memcpy(p + 2, reason, len);
    n = 2 + len;
  }
  return put_frame(ws, GALE_WS_CLOSE, false, p, n);
}

/* One message in one frame, compressed when permessage-deflate is on. */
static int send_message(gale_websocket *ws, gale_ws_opcode op, const void *data, size_t len) {
  if (!ws->deflate || !gale__ws_deflate_should_compress(ws->deflate, len))
    return put_frame(ws, op, false, data, len);
  gale_buf z;
  gale_buf_init(&z, 0);
  int rc = gale__ws_deflate_compress(ws->deflate, data, len, &z);
  if (rc == GALE_OK) rc = put_frame(ws, op, true, z.data, z.len);
  gale_buf_release(&z);
  if (rc != GALE_OK && rc != GALE_ECLOSED)
    gale__ws_fail(ws, GALE_WS_INTERNAL_ERROR, "cannot compress a message");
  return rc;
}

static void flushed(gale_stream *stream, int status, void *arg) {
  (void)stream;
  gale_future *f = arg;
  if (status == GALE_OK)
    gale_future_set_result(f, NULL, NULL);
  else
    gale_future_set_error(f, GALE_ECLOSED);
  gale_future_unref(f);
}

int gale_websocket_write_message(gale_websocket *ws, const void *data, size_t len, bool binary,
                                 gale_future **out) {
  if (!ws || (!data && len)) return GALE_EINVAL;
  if (ws->state != GALE__WS_OPEN || !ws->stream) return GALE_ECLOSED;
  if (!binary && !gale__utf8_valid(data, len)) return GALE_EINVAL;
  size_t queued = gale_stream_write_buffer_size(ws->stream);
  size_t limit = ws->opts.max_write_buffer_size;
  if (queued > 0 && (len > limit || queued > limit - len)) {
    gale__ws_fail(ws, GALE_WS_POLICY, "outgoing buffer full: the peer is not reading");
    return GALE_EBUFFULL;
  }
  gale_future *f = NULL;
  if (out) {
    *out = NULL;
    f = gale_future_new(ws->loop);
    if (!f) return GALE_ENOMEM;
  }
  int rc = send_message(ws, binary ? GALE_WS_BINARY : GALE_WS_TEXT, data, len);
  if (rc == GALE_OK && f) {
    rc = gale__stream_flush(ws->stream, flushed, gale_future_ref(f));
    if (rc != GALE_OK) gale_future_unref(f); /* the callback's reference */
  }
  if (rc != GALE_OK) {
    if (f) gale_future_unref(f);
    return rc;
  }
  if (out) *out = f;
  return GALE_OK;
}

int gale_websocket_ping(gale_websocket *ws, const void *data, size_t len) {
  if (!ws || len > GALE_WS_MAX_CONTROL || (!data && len)) return GALE_EINVAL;
  if (ws->state != GALE__WS_OPEN || !ws->stream) return GALE_ECLOSED;
  return put_frame(ws, GALE_WS_PING, false, data, len);
}

/* ---- timers ------------------------------------------------------------------------- */

static void close_timer_fired(gale_loop *loop, void *arg) {
  (void)loop;
  gale_websocket *ws = arg;
  ws->close_timer = NULL;
  gale__ws_abort(ws, "close timeout");
}

void gale__ws_arm_close_timer(gale_websocket *ws) {
  if (ws->close_timer || !ws->stream) return;
  if (gale_loop_call_later(ws->loop, ws->opts.close_timeout, close_timer_fired, ws,
                           &ws->close_timer) != GALE_OK)
    gale__ws_abort(ws, "out of memory");
}

static void ping_timer_fired(gale_loop *loop, void *arg) {
  gale_websocket *ws = arg;
  ws->ping_timer = NULL;
  if (ws->state != GALE__WS_OPEN) return;
  double now = gale_loop_time(loop);
  if (ws->last_ping > ws->last_pong && now - ws->last_pong >= ws->opts.ping_timeout) {
    gale_log_info("websocket", "no pong for %.1f s: dropping the connection",
                  ws->opts.ping_timeout);
    gale__ws_abort(ws, "ping timeout");
    return;
  }
  if (now - ws->last_ping >= ws->opts.ping_interval * 0.999) {
    gale_websocket_ping(ws, NULL, 0);
    ws->last_ping = now;
  }
  gale__ws_start_pings(ws);
}

void gale__ws_start_pings(gale_websocket *ws) {
  double every = ws->opts.ping_interval;
  if (every <= 0 || ws->ping_timer) return;
  if (ws->opts.ping_timeout < every) every = ws->opts.ping_timeout;
  if (ws->last_ping == 0) ws->last_ping = ws->last_pong = gale_loop_time(ws->loop);
  gale_loop_call_later(ws->loop, every, ping_timer_fired, ws, &ws->ping_timer);
}

void gale__ws_cancel_timers(gale_websocket *ws) {
  if (ws->close_timer) gale_timer_cancel(ws->close_timer);
  if (ws->ping_timer) gale_timer_cancel(ws->ping_timer);
  ws->close_timer = ws->ping_timer = NULL;
}
