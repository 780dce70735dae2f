/* SPDX-License-Identifier: MIT */
/* The WebSocket frame codec: an incremental header reader, payload
 * unmasking a word at a time, and the frame header writer. */
#include "http/websocket/ws_frame.h"

#include <string.h>

#include "gale/error.h"
#include "http/util/utf8.h"

enum { ST_HEAD = 0, ST_PAYLOAD, ST_FAILED };

void gale_ws_parser_init(gale_ws_parser *p, bool server, uint64_t max_frame_size) {
  memset(p, 0, sizeof *p);
  p->server = server;
  p->max_frame_size = max_frame_size;
  p->head_need = 2;
}

static int fail(gale_ws_parser *p, int code, const char *why) {
  p->state = ST_FAILED;
  p->close_code = code;
  p->error = why;
  return GALE_EHTTP_PARSE;
}

bool gale_ws_close_code_valid(int code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

void gale_ws_mask(uint8_t *data, size_t n, const uint8_t mask[4], uint64_t offset) {
  uint8_t key[8];
  for (int i = 0; i < 8; i++) key[i] = mask[(offset + (uint64_t)i) & 3];
  size_t i = 0;
  uint64_t k;
  memcpy(&k, key, 8);
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, data + i, 8);
    w ^= k;
    memcpy(data + i, &w, 8);
  }
  for (; i < n; i++) data[i] ^= key[i & 7];
}

size_t gale_ws_frame_header(uint8_t *out, gale_ws_opcode opcode, bool fin, bool rsv1, uint64_t len,
                            const uint8_t *mask) {
  size_t n = 0;
  out[n++] = (uint8_t)((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | (opcode & 0x0F));
  uint8_t m = mask ? 0x80 : 0;
  if (len < 126) {
    out[n++] = (uint8_t)(m | len);
  } else if (len <= 0xFFFF) {
    out[n++] = m | 126;
    out[n++] = (uint8_t)(len >> 8);
    out[n++] = (uint8_t)len;
  } else {
    out[n++] = m | 127;
    for (int s = 56; s >= 0; s -= 8) out[n++] = (uint8_t)(len >> s);
  }
  if (mask) {
    memcpy(out + n, mask, 4);
    n += 4;
  }
  return n;
}

/* The first two bytes are in: the checks that need nothing more, and the
 * size of the rest of the header. */
static int head_start(gale_ws_parser *p) {
  uint8_t b0 = p->head[0], b1 = p->head[1];
  gale_ws_opcode op = (gale_ws_opcode)(b0 & 0x0F);
  bool control = op & 0x8;
  if (op > GALE_WS_BINARY && op != GALE_WS_CLOSE && op != GALE_WS_PING && op != GALE_WS_PONG)
    return fail(p, GALE_WS_CLOSE_PROTOCOL, "unknown opcode");
  if (b0 & 0x30) return fail(p, GALE_WS_CLOSE_PROTOCOL, "RSV2/RSV3 set without an extension");
  bool rsv1 = b0 & 0x40;
  if (rsv1 && (!p->allow_rsv1 || control || op == GALE_WS_CONTINUATION))
    return fail(p, GALE_WS_CLOSE_PROTOCOL, "RSV1 set outside a compressed message's first frame");
  p->masked = b1 & 0x80;
  if (p->masked != p->server)
    return fail(p, GALE_WS_CLOSE_PROTOCOL,
                p->server ? "unmasked frame from a client" : "masked frame from a server");
  bool fin = b0 & 0x80;
  uint8_t len7 = b1 & 0x7F;
  if (control && (!fin || len7 > GALE_WS_MAX_CONTROL))
    return fail(p, GALE_WS_CLOSE_PROTOCOL, "fragmented or oversized control frame");
  if (!control) {
    if (op == GALE_WS_CONTINUATION && !p->in_message)
      return fail(p, GALE_WS_CLOSE_PROTOCOL, "continuation frame without a message");
    if (op != GALE_WS_CONTINUATION && p->in_message)
      return fail(p, GALE_WS_CLOSE_PROTOCOL, "new message inside a fragmented one");
  }
  p->frame.opcode = op;
  p->frame.fin = fin;
  p->frame.rsv1 = rsv1;
  p->head_need = (uint8_t)(2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (p->masked ? 4 : 0));
  return GALE_OK;
}

/* The whole header is in: the length and the mask. */
static int head_end(gale_ws_parser *p) {
  uint8_t len7 = p->head[1] & 0x7F;
  size_t at = 2;
  uint64_t len = len7;
  if (len7 == 126) {
    len = (uint64_t)p->head[2] << 8 | p->head[3];
    at = 4;
  } else if (len7 == 127) {
    len = 0;
    for (int i = 0; i < 8; i++) len = len << 8 | p->head[2 + i];
    at = 10;
    if (len >> 63) return fail(p, GALE_WS_CLOSE_PROTOCOL, "64-bit length with its top bit set");
  }
  if (len > p->max_frame_size) return fail(p, GALE_WS_CLOSE_TOO_BIG, "frame too big");
  if (p->masked) memcpy(p->mask, p->head + at, 4);
  p->frame.len = p->remaining = len;
  p->offset = 0;
  p->state = ST_PAYLOAD;
  return GALE_OK;
}

/* A complete close frame's payload: empty, or a sendable code and UTF-8. */
static int check_close(gale_ws_parser *p) {
  uint64_t n = p->frame.len;
  if (n == 0) return GALE_OK;
  if (n == 1) return fail(p, GALE_WS_CLOSE_PROTOCOL, "close frame with a one-byte payload");
  int code = p->control[0] << 8 | p->control[1];
  if (!gale_ws_close_code_valid(code))
    return fail(p, GALE_WS_CLOSE_PROTOCOL, "close code that may not be sent");
  if (!gale__utf8_valid(p->control + 2, (size_t)n - 2))
    return fail(p, GALE_WS_CLOSE_INVALID_DATA, "close reason is not UTF-8");
  return GALE_OK;
}

static int frame_done(gale_ws_parser *p, gale_ws_frame *frame) {
  bool control = p->frame.opcode & 0x8;
  if (control && p->frame.opcode == GALE_WS_CLOSE && check_close(p) != GALE_OK)
    return GALE_EHTTP_PARSE;
  if (!control) p->in_message = !p->frame.fin;
  *frame = p->frame;
  frame->control = control ? p->control : NULL;
  p->state = ST_HEAD;
  p->head_len = 0;
  p->head_need = 2;
  return GALE_OK;
}

/* Moves up to `len` payload bytes: into the control buffer or the caller's. */
static int take_payload(gale_ws_parser *p, const uint8_t *in, size_t len, size_t *took,
                        gale_buf *payload) {
  size_t n = p->remaining < len ? (size_t)p->remaining : len;
  uint8_t *dst;
  if (p->frame.opcode & 0x8) {
    dst = p->control + p->offset;
  } else {
    int rc = gale_buf_reserve(payload, n);
    if (rc == GALE_EBUFFULL) return fail(p, GALE_WS_CLOSE_TOO_BIG, "message too big");
    if (rc != GALE_OK) return rc;
    dst = (uint8_t *)payload->data + payload->len;
  }
  memcpy(dst, in, n);
  if (!(p->frame.opcode & 0x8)) gale_buf_set_len(payload, payload->len + n);
  if (p->masked) gale_ws_mask(dst, n, p->mask, p->offset);
  p->offset += n;
  p->remaining -= n;
  *took = n;
  return GALE_OK;
}

int gale_ws_parse(gale_ws_parser *p, const uint8_t *in, size_t len, size_t *used, gale_buf *payload,
                  gale_ws_frame *frame) {
  size_t i = 0;
  int rc = GALE_EAGAIN;
  if (p->state == ST_FAILED) {
    *used = 0;
    return GALE_EHTTP_PARSE;
  }
  if (p->state == ST_HEAD) {
    while (p->head_len < p->head_need && i < len) {
      p->head[p->head_len++] = in[i++];
      if (p->head_len == 2 && (rc = head_start(p)) != GALE_OK) goto out;
    }
    rc = GALE_EAGAIN;
    if (p->head_len < p->head_need) goto out;
    if ((rc = head_end(p)) != GALE_OK) goto out;
  }
  if (p->remaining > 0 && i < len) {
    size_t took = 0;
    if ((rc = take_payload(p, in + i, len - i, &took, payload)) != GALE_OK) goto out;
    i += took;
  }
  rc = p->remaining > 0 ? GALE_EAGAIN : frame_done(p, frame);
out:
  *used = i;
  return rc;
}
