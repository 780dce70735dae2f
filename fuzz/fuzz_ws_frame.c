/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the WebSocket frame parser (http/websocket/ws_frame.c).
 * Byte 0 picks the role (bit 0: server, expecting masked frames), whether
 * RSV1 is allowed (bit 1) and the chunk size the rest is fed in (bits 2-7:
 * 1..63 bytes).  The rest is the byte stream.  Invariants: fed whole and fed
 * in chunks, the parser gives the same frames, payload and verdict; a frame
 * respects the limits and the rules it was checked against (a control frame
 * is final and at most 125 bytes, a close code is sendable); a failure names
 * a close code of 1002, 1007 or 1009; and every frame written back with
 * gale_ws_frame_header (masked with a fixed key for a server) parses to
 * itself.
 * FUZZ-SOURCES: core/alloc.c core/buf.c http/util/utf8.c http/websocket/ws_frame.c
 * FUZZ-LIBS:
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "gale/error.h"
#include "http/websocket/ws_frame.h"

const char gale_fuzz_corpus[] = "ws_frame";

enum { MAX_FRAMES = 64, MAX_FRAME = 4096, MAX_MESSAGE = 16384 };

typedef struct run {
  gale_ws_frame frames[MAX_FRAMES];
  uint8_t control[MAX_FRAMES][GALE_WS_MAX_CONTROL];
  size_t n;
  int rc, close_code;
  gale_buf payload;
} run;

static void parse_all(bool server, bool rsv1, const uint8_t *in, size_t len, size_t chunk, run *r) {
  gale_ws_parser p;
  gale_ws_parser_init(&p, server, MAX_FRAME);
  p.allow_rsv1 = rsv1;
  gale_buf_init(&r->payload, MAX_MESSAGE);
  r->n = 0;
  r->rc = GALE_EAGAIN;
  size_t at = 0;
  while (at < len && r->n < MAX_FRAMES) {
    size_t end = chunk && at + chunk < len ? at + chunk : len;
    size_t used = 0;
    gale_ws_frame f;
    int rc = gale_ws_parse(&p, in + at, end - at, &used, &r->payload, &f);
    FUZZ_CHECK(used <= end - at);
    at += used;
    r->rc = rc;
    if (rc == GALE_OK) {
      FUZZ_CHECK(f.len <= MAX_FRAME);
      if (f.opcode & 0x8) {
        FUZZ_CHECK(f.fin && f.len <= GALE_WS_MAX_CONTROL && f.control && !f.rsv1);
        memcpy(r->control[r->n], f.control, (size_t)f.len);
        if (f.opcode == GALE_WS_CLOSE && f.len >= 2)
          FUZZ_CHECK(gale_ws_close_code_valid(f.control[0] << 8 | f.control[1]));
      } else {
        FUZZ_CHECK(!f.control);
        if (f.rsv1) FUZZ_CHECK(rsv1 && f.opcode != GALE_WS_CONTINUATION);
      }
      r->frames[r->n++] = f;
      continue;
    }
    if (rc != GALE_EAGAIN) {
      FUZZ_CHECK(rc == GALE_EHTTP_PARSE || rc == GALE_ENOMEM);
      if (rc == GALE_EHTTP_PARSE)
        FUZZ_CHECK(p.close_code == 1002 || p.close_code == 1007 || p.close_code == 1009);
      r->close_code = p.close_code;
      return;
    }
    FUZZ_CHECK(at == end); /* EAGAIN: the chunk was consumed */
  }
}

static bool same_frame(const gale_ws_frame *a, const gale_ws_frame *b) {
  return a->opcode == b->opcode && a->fin == b->fin && a->rsv1 == b->rsv1 && a->len == b->len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  bool server = data[0] & 1, rsv1 = data[0] & 2;
  size_t chunk = (size_t)(data[0] >> 2) + 1;
  const uint8_t *in = data + 1;
  size_t len = size - 1;
  static run whole, parts;
  parse_all(server, rsv1, in, len, 0, &whole);
  parse_all(server, rsv1, in, len, chunk, &parts);
  FUZZ_CHECK(whole.n == parts.n && whole.rc == parts.rc && whole.close_code == parts.close_code);
  FUZZ_CHECK(whole.payload.len == parts.payload.len &&
             memcmp(whole.payload.data ? whole.payload.data : "",
                    parts.payload.data ? parts.payload.data : "", whole.payload.len) == 0);
  for (size_t i = 0; i < whole.n; i++) FUZZ_CHECK(same_frame(&whole.frames[i], &parts.frames[i]));

  /* Written back, the frames parse to themselves. */
  static const uint8_t key[4] = {0x12, 0x34, 0x56, 0x78};
  size_t cap = whole.n * (GALE_WS_MAX_HEADER + GALE_WS_MAX_CONTROL) + whole.payload.len + 1;
  uint8_t *out = malloc(cap);
  FUZZ_CHECK(out);
  size_t o = 0, data_at = 0;
  const uint8_t *base =
      whole.payload.data ? (const uint8_t *)whole.payload.data : (const uint8_t *)"";
  for (size_t i = 0; i < whole.n; i++) {
    const gale_ws_frame *f = &whole.frames[i];
    size_t h =
        gale_ws_frame_header(out + o, f->opcode, f->fin, f->rsv1, f->len, server ? key : NULL);
    const uint8_t *src = f->opcode & 0x8 ? whole.control[i] : base + data_at;
    memcpy(out + o + h, src, (size_t)f->len);
    if (server) gale_ws_mask(out + o + h, (size_t)f->len, key, 0);
    if (!(f->opcode & 0x8)) data_at += (size_t)f->len;
    o += h + (size_t)f->len;
  }
  static run again;
  parse_all(server, rsv1, out, o, 0, &again);
  FUZZ_CHECK(again.n == whole.n);
  for (size_t i = 0; i < whole.n; i++) FUZZ_CHECK(same_frame(&whole.frames[i], &again.frames[i]));
  FUZZ_CHECK(again.payload.len == data_at);
  free(out);
  gale_buf_release(&whole.payload);
  gale_buf_release(&parts.payload);
  gale_buf_release(&again.payload);
  return 0;
}
