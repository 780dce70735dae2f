/* SPDX-License-Identifier: MIT */
/* A WebSocket connection's life cycle and receive path: frames parsed from
 * the stream's input buffer, messages assembled and UTF-8 checked as they
 * arrive, control frames answered, the closing handshake, and the read
 * futures.  The state machine is described in ws_conn.h. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/assert.h"
#include "gale/coro.h"
#include "gale/log.h"
#include "http/websocket/ws_conn.h"
#include "iostream/stream_internal.h"

#define B(s) GALE__STATE_BIT(s)
static const uint32_t ws_moves[] = {
    [GALE__WS_OPEN] = B(GALE__WS_CLOSE_SENT) | B(GALE__WS_CLOSING) | B(GALE__WS_CLOSED),
    [GALE__WS_CLOSE_SENT] = B(GALE__WS_CLOSING) | B(GALE__WS_CLOSED),
    [GALE__WS_CLOSING] = B(GALE__WS_CLOSED),
    [GALE__WS_CLOSED] = 0,
};
#undef B

void gale__ws_to(gale_websocket *ws, gale__ws_state to) {
  gale__transition(ws->state, to, ws_moves);
}

void gale_websocket_options_init(gale_websocket_options *o) {
  if (!o) return;
  memset(o, 0, sizeof(*o));
  o->max_message_size = GALE_WS_DEFAULT_MAX_MESSAGE_SIZE;
  o->max_frame_size = o->max_message_size;
  o->max_write_buffer_size = GALE_WS_DEFAULT_MAX_WRITE_BUFFER;
  o->close_timeout = GALE_WS_DEFAULT_CLOSE_TIMEOUT;
  o->compression.level = -1;
  o->compression.mem_level = 8;
}

void gale__ws_deflate_options_of(const gale_websocket_compression *c, gale_ws_deflate_options *o) {
  gale__ws_deflate_options_init(o);
  o->enabled = c->enabled;
  o->level = c->level;
  o->mem_level = c->mem_level ? c->mem_level : 8;
  o->server_no_context_takeover = c->server_no_context_takeover;
  o->client_no_context_takeover = c->client_no_context_takeover;
  o->server_max_window_bits = c->server_max_window_bits;
  o->client_max_window_bits = c->client_max_window_bits;
  o->min_size = c->min_size;
}

int gale__ws_enable_deflate(gale_websocket *ws, const gale_ws_deflate_params *params) {
  gale_ws_deflate_options o;
  gale__ws_deflate_options_of(&ws->opts.compression, &o);
  ws->deflate = gale__ws_deflate_new(params, ws->server, &o);
  if (!ws->deflate) return GALE_ENOMEM;
  ws->parser.allow_rsv1 = true;
  return GALE_OK;
}

/* Zeros become the defaults; false for values that make no sense. */
static bool options_fill(gale_websocket_options *o) {
  if (o->ping_interval < 0 || o->ping_timeout < 0 || o->close_timeout < 0) return false;
  if (!o->max_message_size) o->max_message_size = GALE_WS_DEFAULT_MAX_MESSAGE_SIZE;
  if (!o->max_frame_size) o->max_frame_size = o->max_message_size;
  if (!o->max_write_buffer_size) o->max_write_buffer_size = GALE_WS_DEFAULT_MAX_WRITE_BUFFER;
  if (!o->close_timeout) o->close_timeout = GALE_WS_DEFAULT_CLOSE_TIMEOUT;
  if (o->ping_interval > 0 && !o->ping_timeout)
    o->ping_timeout = 3 * o->ping_interval > 30 ? 3 * o->ping_interval : 30;
  return true;
}

/* ---- memory ---------------------------------------------------------------- */

static void free_message(void *p) {
  gale_websocket_message *m = p;
  if (!m) return;
  free(m->data);
  free(m);
}

/* Gives back the pending read: failed with `status`, or dropped quietly
 * when the loop is going away. */
static void end_read(gale_websocket *ws, int status) {
  gale_future *f = ws->read;
  if (!f) return;
  ws->read = NULL;
  gale_future_set_cancel_cb(f, NULL, NULL);
  if (status) gale_future_set_error(f, status);
  gale_future_unref(f);
}

static void ws_destroy(gale_websocket *ws) {
  gale__ws_cancel_timers(ws);
  end_read(ws, 0);
  free_message(ws->queued);
  gale_buf_release(&ws->msg);
  gale__ws_deflate_free(ws->deflate);
  free(ws->subprotocol);
  free(ws->close_reason);
  free(ws);
}

/* The loop is freed with the connection still alive (its stream's close
 * will never be delivered). */
static void ws_loop_gone(struct gale__handle *handle) {
  gale_websocket *ws = (gale_websocket *)handle;
  ws_destroy(ws);
}

gale_websocket *gale_websocket_ref(gale_websocket *ws) {
  if (ws) ws->refs++;
  return ws;
}

void gale_websocket_unref(gale_websocket *ws) {
  if (!ws || --ws->refs > 0) return;
  gale__handle_unlink(&ws->handle);
  ws_destroy(ws);
}

gale_websocket *gale__ws_conn_new(gale_stream *stream, bool server,
                                  const gale_websocket_options *opts, const gale__ws_events *ev,
                                  size_t ctx_size) {
  gale_websocket_options o;
  if (opts)
    o = *opts;
  else
    gale_websocket_options_init(&o);
  if (!options_fill(&o)) return NULL;
  size_t head = (sizeof(gale_websocket) + 15) & ~(size_t)15;
  gale_websocket *ws = gale__calloc(1, head + ctx_size);
  if (!ws) return NULL;
  ws->loop = gale_stream_loop(stream);
  ws->stream = stream;
  ws->opts = o;
  if (ev) ws->ev = *ev;
  ws->ctx = ctx_size ? (char *)ws + head : NULL;
  ws->server = server;
  ws->refs = 1;
  gale_ws_parser_init(&ws->parser, server, o.max_frame_size);
  gale_buf_init(&ws->msg, o.max_message_size > SIZE_MAX - 1 ? 0 : (size_t)o.max_message_size);
  gale__handle_link(ws->loop, &ws->handle, ws_loop_gone);
  return ws;
}

void gale__ws_set_subprotocol(gale_websocket *ws, char *name) {
  free(ws->subprotocol);
  ws->subprotocol = name;
}

void gale__ws_set_close(gale_websocket *ws, int code, const char *reason, size_t len) {
  ws->close_code = code;
  free(ws->close_reason);
  ws->close_reason = gale__malloc(len + 1);
  if (!ws->close_reason) return;
  if (len) memcpy(ws->close_reason, reason, len);
  ws->close_reason[len] = '\0';
}

/* ---- closing ------------------------------------------------------------------ */

/* The handshake is over (or failed): the server closes the TCP connection
 * once its last frame is out; a client waits for the server to. */
static void end_stream(gale_websocket *ws) {
  if (!ws->stream) return;
  if (ws->server) gale__stream_close_after_flush(ws->stream, ws->opts.close_timeout);
  /* Bounds the flush too: a peer that stopped reading never takes it. */
  gale__ws_arm_close_timer(ws);
}

void gale__ws_fail(gale_websocket *ws, int code, const char *why) {
  if (ws->state == GALE__WS_CLOSING || ws->state == GALE__WS_CLOSED) return;
  gale_log_info("websocket", "closing with %d: %s", code, why);
  ws->failed = true;
  gale__ws_set_close(ws, code, why, strlen(why));
  if (ws->state == GALE__WS_OPEN) {
    size_t n = strlen(why);
    gale__ws_send_close(ws, code, why, n > 123 ? 123 : n);
  }
  gale__ws_to(ws, GALE__WS_CLOSING);
  if (ws->stream) gale__stream_close_after_flush(ws->stream, ws->opts.close_timeout);
  gale__ws_arm_close_timer(ws);
}

void gale__ws_abort(gale_websocket *ws, const char *why) {
  if (!ws->close_code) gale__ws_set_close(ws, GALE_WS_ABNORMAL, why, strlen(why));
  if (ws->stream) gale_stream_close(ws->stream);
}

int gale_websocket_close(gale_websocket *ws, int code, const char *reason) {
  if (!ws) return GALE_EINVAL;
  size_t rlen = reason ? strlen(reason) : 0;
  if (code == 0 && rlen) code = GALE_WS_NORMAL;
  if (code != 0 && !gale_ws_close_code_valid(code)) return GALE_EINVAL;
  if (rlen > 123 || !gale__utf8_valid((const uint8_t *)reason, rlen)) return GALE_EINVAL;
  if (ws->state != GALE__WS_OPEN) return GALE_OK;
  gale__ws_send_close(ws, code, reason, rlen);
  gale__ws_to(ws, GALE__WS_CLOSE_SENT);
  gale__ws_arm_close_timer(ws);
  return GALE_OK;
}

static void on_stream_close(gale_stream *stream, int reason, void *arg) {
  (void)stream;
  (void)reason;
  gale_websocket *ws = arg;
  ws->stream = NULL;
  gale__ws_to(ws, GALE__WS_CLOSED);
  gale__ws_cancel_timers(ws);
  if (!ws->close_code) gale__ws_set_close(ws, GALE_WS_ABNORMAL, "", 0);
  free_message(ws->queued);
  ws->queued = NULL;
  gale_buf_release(&ws->msg);
  end_read(ws, GALE_ECLOSED);
  if (ws->ev.on_close)
    ws->ev.on_close(ws, ws->close_code, ws->close_reason ? ws->close_reason : "");
  gale_websocket_unref(ws); /* the open connection's */
}

/* ---- receiving ---------------------------------------------------------------- */

static void deliver(gale_websocket *ws) {
  bool binary = !ws->msg_text;
  if (ws->ev.on_message) {
    const char *data = ws->msg.data ? ws->msg.data : "";
    ws->ev.on_message(ws, data, ws->msg.len, binary);
    gale_buf_release(&ws->msg);
    return;
  }
  gale_websocket_message *m = gale__malloc(sizeof(*m));
  if (m) m->data = gale_buf_take(&ws->msg, &m->len);
  if (!m || !m->data) {
    free(m);
    gale__ws_fail(ws, GALE_WS_INTERNAL_ERROR, "out of memory");
    return;
  }
  m->binary = binary;
  if (ws->read) {
    gale_future *f = ws->read;
    ws->read = NULL;
    gale_future_set_cancel_cb(f, NULL, NULL);
    gale_future_set_result(f, m, free_message);
    gale_future_unref(f);
    return;
  }
  ws->queued = m;
  if (ws->stream && gale_stream_pause_reading(ws->stream) == GALE_OK) ws->paused = true;
}

/* Replaces the compressed message by its inflated bytes, capped at
 * max_message_size, and checks text as UTF-8 (the incremental check
 * skipped it).  False when the connection failed. */
static bool inflate_message(gale_websocket *ws) {
  gale_buf out;
  gale_buf_init(&out, ws->msg.max);
  size_t cap = ws->msg.max ? ws->msg.max : SIZE_MAX;
  int rc =
      gale__ws_deflate_inflate(ws->deflate, (const uint8_t *)ws->msg.data, ws->msg.len, cap, &out);
  gale_buf_release(&ws->msg);
  if (rc != GALE_OK) {
    gale_buf_release(&out);
    gale__ws_fail(ws, gale__ws_deflate_close_code(rc),
                  rc == GALE_ELIMIT || rc == GALE_EBUFFULL ? "message too big"
                                                           : "bad compressed message");
    return false;
  }
  ws->msg = out;
  if (ws->msg_text && !gale__utf8_valid((const uint8_t *)out.data, out.len)) {
    gale__ws_fail(ws, GALE_WS_INVALID_DATA, "invalid UTF-8 in a text message");
    return false;
  }
  return true;
}

/* The last frame of a message is in. */
static void message_done(gale_websocket *ws) {
  if (ws->state != GALE__WS_OPEN) { /* closing: messages are dropped */
    gale_buf_release(&ws->msg);
    gale__utf8_reset(&ws->utf8);
    return;
  }
  if (ws->msg_compressed && !inflate_message(ws)) return;
  if (ws->msg_text && !gale__utf8_complete(&ws->utf8)) {
    gale__ws_fail(ws, GALE_WS_INVALID_DATA, "text message ends inside a UTF-8 character");
    return;
  }
  gale__utf8_reset(&ws->utf8);
  deliver(ws);
}

static void close_frame(gale_websocket *ws, const gale_ws_frame *f) {
  int code = GALE_WS_NO_STATUS;
  const char *reason = "";
  size_t rlen = 0;
  if (f->len >= 2) {
    code = f->control[0] << 8 | f->control[1];
    reason = (const char *)f->control + 2;
    rlen = (size_t)f->len - 2;
  }
  ws->peer_closed = true;
  gale__ws_set_close(ws, code, reason, rlen);
  if (ws->state == GALE__WS_OPEN) /* echo its code (RFC 6455 §5.5.1) */
    gale__ws_send_close(ws, code == GALE_WS_NO_STATUS ? 0 : code, NULL, 0);
  gale__ws_to(ws, GALE__WS_CLOSING);
  end_stream(ws);
}

static void control_frame(gale_websocket *ws, const gale_ws_frame *f) {
  char payload[GALE_WS_MAX_CONTROL + 1]; /* NUL-terminated for the callbacks */
  size_t n = (size_t)f->len;
  memcpy(payload, f->control, n);
  payload[n] = '\0';
  if (f->opcode == GALE_WS_PING) {
    if (ws->state != GALE__WS_OPEN) return;
    gale__ws_send_frame(ws, GALE_WS_PONG, payload, n);
    if (ws->ev.on_ping) ws->ev.on_ping(ws, payload, n);
  } else if (f->opcode == GALE_WS_PONG) {
    ws->last_pong = gale_loop_time(ws->loop);
    if (ws->state == GALE__WS_OPEN && ws->ev.on_pong) ws->ev.on_pong(ws, payload, n);
  } else {
    close_frame(ws, f);
  }
}

static void frame_done(gale_websocket *ws, const gale_ws_frame *f) {
  if (f->opcode & 0x8) {
    control_frame(ws, f);
    return;
  }
  if (f->opcode != GALE_WS_CONTINUATION) {
    ws->msg_text = f->opcode == GALE_WS_TEXT;
    ws->msg_compressed = f->rsv1;
  }
  if (f->fin) message_done(ws);
}

/* Payload bytes from `before` on just arrived: fail fast on bad UTF-8. */
static bool check_new_bytes(gale_websocket *ws, size_t before) {
  gale_ws_opcode op = ws->parser.frame.opcode;
  if (op != GALE_WS_CONTINUATION) {
    ws->msg_text = op == GALE_WS_TEXT;
    ws->msg_compressed = ws->parser.frame.rsv1;
  }
  if (!ws->msg_text || ws->msg_compressed || ws->state != GALE__WS_OPEN) return true;
  const uint8_t *p = (const uint8_t *)ws->msg.data + before;
  if (gale__utf8_feed(&ws->utf8, p, ws->msg.len - before)) return true;
  gale__ws_fail(ws, GALE_WS_INVALID_DATA, "invalid UTF-8 in a text message");
  return false;
}

static bool reading(const gale_websocket *ws) {
  return (ws->state == GALE__WS_OPEN || ws->state == GALE__WS_CLOSE_SENT) && !ws->paused &&
         ws->stream;
}

static void on_data(gale_stream *stream, struct evbuffer *in, void *arg) {
  (void)stream;
  gale_websocket *ws = arg;
  ws->refs++; /* callbacks may unref */
  while (reading(ws) && evbuffer_get_length(in) > 0) {
    struct evbuffer_iovec v;
    if (evbuffer_peek(in, -1, NULL, &v, 1) < 1) break;
    size_t used = 0, before = ws->msg.len;
    gale_ws_frame f;
    int rc = gale_ws_parse(&ws->parser, v.iov_base, v.iov_len, &used, &ws->msg, &f);
    evbuffer_drain(in, used);
    if (ws->msg.len > before && !check_new_bytes(ws, before)) break;
    if (rc == GALE_OK)
      frame_done(ws, &f);
    else if (rc == GALE_ENOMEM)
      gale__ws_fail(ws, GALE_WS_INTERNAL_ERROR, "out of memory");
    else if (rc != GALE_EAGAIN)
      gale__ws_fail(ws, ws->parser.close_code, ws->parser.error);
  }
  if (ws->state == GALE__WS_CLOSING && ws->stream) evbuffer_drain(in, evbuffer_get_length(in));
  gale_websocket_unref(ws);
}

int gale__ws_conn_start(gale_websocket *ws) {
  int rc = gale__stream_set_data_cb(ws->stream, on_data, ws);
  if (rc != GALE_OK) return rc;
  gale_stream_set_close_cb(ws->stream, on_stream_close, ws);
  gale__ws_start_pings(ws);
  return GALE_OK;
}

static int run_body(void *arg) {
  gale_websocket *ws = arg;
  int st = ws->ev.run(ws);
  if (st < 0) gale_log_error("websocket", "coroutine returned %s", gale_err_name(st));
  if (ws->state == GALE__WS_OPEN) gale_websocket_close(ws, GALE_WS_NORMAL, NULL);
  gale_websocket_unref(ws);
  return st;
}

void gale__ws_conn_run(gale_websocket *ws) {
  if (!ws->ev.run || ws->state != GALE__WS_OPEN) return;
  ws->refs++;
  gale_future *f = gale_coro_spawn(ws->loop, run_body, ws, NULL);
  if (!f) {
    ws->refs--;
    gale__ws_fail(ws, GALE_WS_INTERNAL_ERROR, "cannot start the coroutine");
    return;
  }
  gale_future_unref(f);
}

/* ---- read futures --------------------------------------------------------------- */

static void read_cancelled(gale_future *f, void *arg) {
  gale_websocket *ws = arg;
  if (ws->read != f) return;
  ws->read = NULL;
  gale_future_unref(f);
}

static gale_future *read_failed(int *status_out, int status) {
  if (status_out) *status_out = status;
  return NULL;
}

gale_future *gale_websocket_read_message(gale_websocket *ws, int *status_out) {
  if (!ws) return read_failed(status_out, GALE_EINVAL);
  if (ws->ev.on_message) return read_failed(status_out, GALE_ESTATE);
  if (ws->read) return read_failed(status_out, GALE_EBUSY);
  gale_future *f = gale_future_new(ws->loop);
  if (!f) return read_failed(status_out, GALE_ENOMEM);
  if (status_out) *status_out = GALE_OK;
  if (ws->queued) {
    gale_future_set_result(f, ws->queued, free_message);
    ws->queued = NULL;
    if (ws->paused) {
      ws->paused = false;
      if (ws->stream) gale_stream_resume_reading(ws->stream);
    }
    return f;
  }
  if (ws->state == GALE__WS_CLOSED) {
    gale_future_set_error(f, GALE_ECLOSED);
    return f;
  }
  ws->read = gale_future_ref(f);
  gale_future_set_cancel_cb(f, read_cancelled, ws);
  return f;
}

/* ---- accessors -------------------------------------------------------------------- */

bool gale_websocket_closing(const gale_websocket *ws) { return !ws || ws->state != GALE__WS_OPEN; }
bool gale_websocket_closed(const gale_websocket *ws) { return !ws || ws->state == GALE__WS_CLOSED; }
int gale_websocket_close_code(const gale_websocket *ws) {
  return ws && ws->state == GALE__WS_CLOSED ? ws->close_code : 0;
}
const char *gale_websocket_close_reason(const gale_websocket *ws) {
  return ws && ws->state == GALE__WS_CLOSED && ws->close_reason ? ws->close_reason : "";
}
const char *gale_websocket_subprotocol(const gale_websocket *ws) {
  return ws ? ws->subprotocol : NULL;
}
bool gale_websocket_compressed(const gale_websocket *ws) { return ws && ws->deflate; }
void *gale_websocket_ctx(const gale_websocket *ws) { return ws ? ws->ctx : NULL; }
gale_loop *gale_websocket_loop(const gale_websocket *ws) { return ws ? ws->loop : NULL; }
bool gale_websocket_is_server(const gale_websocket *ws) { return ws && ws->server; }
void gale_websocket_set_user_data(gale_websocket *ws, void *data) {
  if (ws) ws->user = data;
}
void *gale_websocket_get_user_data(const gale_websocket *ws) { return ws ? ws->user : NULL; }
size_t gale_websocket_write_buffer_size(const gale_websocket *ws) {
  return ws && ws->stream ? gale_stream_write_buffer_size(ws->stream) : 0;
}
