/* SPDX-License-Identifier: MIT */
/* The HTTP/2 wire over a gale_stream (h2_wire.h): preface, pump, feed and
 * the hostile-peer guards. */
#include <string.h>

#include "gale/error.h"
#include "http/h2/h2_wire.h"
#include "iostream/stream_internal.h"

int gale__h2_preface(const char *p, size_t len) {
  size_t n = len < GALE__H2_PREFACE_LEN ? len : GALE__H2_PREFACE_LEN;
  if (memcmp(p, GALE__H2_PREFACE, n) != 0) return -1;
  return n == GALE__H2_PREFACE_LEN ? 1 : 0;
}

static void new_window(gale__h2_guard *g, double now) {
  if (now - g->window_start < 1.0) return;
  g->window_start = now;
  g->pings = g->settings = g->resets = g->empty_data = 0;
  g->priorities = 0;
}

/* A HEADERS frame opening a stream below the highest one opened, on an id
 * nghttp2 does not know: RFC 9113 §5.1.1 wants a connection error where
 * nghttp2 drops the frame.  Trailers (a live stream) are fine. */
static bool lower_id(gale__h2_guard *g, nghttp2_session *session, const nghttp2_frame_hd *hd) {
  if (hd->stream_id <= 0 || (hd->stream_id & 1) == 0) return false;
  if (hd->stream_id > g->max_seen_id) {
    g->max_seen_id = hd->stream_id;
    return false;
  }
  return nghttp2_session_find_stream(session, hd->stream_id) == NULL &&
         hd->stream_id < g->max_seen_id;
}

/* Past `max` in the window: ENHANCE_YOUR_CALM. */
static uint32_t count(uint32_t *n, uint32_t max) {
  return ++*n > max ? NGHTTP2_ENHANCE_YOUR_CALM : 0;
}

uint32_t gale__h2_guard_frame(gale__h2_guard *g, nghttp2_session *session,
                              const nghttp2_frame_hd *hd, double now) {
  new_window(g, now);
  switch (hd->type) {
  case NGHTTP2_HEADERS:
    if (!g->client_side && lower_id(g, session, hd)) return NGHTTP2_PROTOCOL_ERROR;
    g->block_frames = 1;
    g->block_bytes = hd->length;
    break;
  case NGHTTP2_CONTINUATION:
    /* CONTINUATION flood (2024): nghttp2 keeps decoding a block whose
     * headers it already refused; bound the block itself. */
    g->block_bytes += hd->length;
    if (++g->block_frames > GALE__H2_MAX_BLOCK_FRAMES || g->block_bytes > g->max_block)
      return NGHTTP2_ENHANCE_YOUR_CALM;
    break;
  case NGHTTP2_RST_STREAM: return count(&g->resets, GALE__H2_MAX_RESETS);
  case NGHTTP2_PING: return count(&g->pings, GALE__H2_MAX_PINGS);
  case NGHTTP2_SETTINGS: return count(&g->settings, GALE__H2_MAX_SETTINGS);
  case NGHTTP2_PRIORITY: return count(&g->priorities, GALE__H2_MAX_PRIORITY);
  case NGHTTP2_DATA:
    if (hd->length == 0 && !(hd->flags & NGHTTP2_FLAG_END_STREAM))
      return count(&g->empty_data, GALE__H2_MAX_EMPTY_DATA);
    break;
  default: break;
  }
  if (hd->type == NGHTTP2_HEADERS && g->block_bytes > g->max_block)
    return NGHTTP2_ENHANCE_YOUR_CALM;
  return 0;
}

int gale__h2_pump(nghttp2_session *session, gale_stream *stream, size_t high_water) {
  struct evbuffer *out = gale__stream_output(stream);
  if (!out) return GALE_ECLOSED;
  while (evbuffer_get_length(out) < high_water) {
    const uint8_t *data = NULL;
    ssize_t n = nghttp2_session_mem_send(session, &data);
    if (n < 0) return n == NGHTTP2_ERR_NOMEM ? GALE_ENOMEM : GALE_EHTTP_PARSE;
    if (n == 0) return GALE_OK;
    if (evbuffer_add(out, data, (size_t)n) != 0) return GALE_ENOMEM;
  }
  return nghttp2_session_want_write(session) ? GALE_EAGAIN : GALE_OK;
}

int gale__h2_feed(nghttp2_session *session, gale_stream *stream) {
  struct evbuffer *in = gale__stream_input(stream);
  while (in && evbuffer_get_length(in) > 0) {
    size_t n = evbuffer_get_contiguous_space(in);
    const uint8_t *p = evbuffer_pullup(in, (ev_ssize_t)n);
    ssize_t used = nghttp2_session_mem_recv(session, p, n);
    if (used < 0) {
      /* Fatal errors leave no GOAWAY of nghttp2's own (a callback's
       * already queued one, and this one then does nothing). */
      uint32_t code = used == NGHTTP2_ERR_FLOODED || used == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS
                          ? NGHTTP2_ENHANCE_YOUR_CALM
                          : NGHTTP2_PROTOCOL_ERROR;
      nghttp2_session_terminate_session(session, code);
      return GALE_EHTTP_PARSE;
    }
    evbuffer_drain(in, (size_t)used);
    if (!nghttp2_session_want_read(session)) break;
  }
  return GALE_OK;
}
