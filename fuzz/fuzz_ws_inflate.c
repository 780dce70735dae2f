/* SPDX-License-Identifier: MIT */
/* libFuzzer target: permessage-deflate (http/websocket/ws_deflate.c).
 * Byte 0 picks the mode (bits 0-1), byte 1 the parameters (bit 0
 * server_no_context_takeover, bit 1 client_no_context_takeover, bits 2-4
 * the window bits 8..15, bit 5 the server role), byte 2 the inflate cap
 * (byte * 64 + 1 bytes); the rest is the input.
 *   mode 0, 1: a stream of compressed messages, each a length byte and
 *     that many bytes, inflated in turn.  Invariants: only OK, ELIMIT or
 *     EHTTP_DECOMPRESS; never more than the cap out, the buffer never grown
 *     past it; an error sticks; what inflated compresses and inflates back
 *     to itself.
 *   mode 2: a Sec-WebSocket-Extensions offer.  If the server accepts it,
 *     a client that offered "permessage-deflate; client_max_window_bits"
 *     accepts the answer with the same parameters; the raw input as an
 *     answer never crashes and gives a known status with sane params.
 *   mode 3: a message compressed by one side inflates to itself on the
 *     other, twice over (context kept or not).
 * FUZZ-SOURCES: core/alloc.c core/buf.c http/websocket/ws_deflate.c
 * FUZZ-LIBS: -lz
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "gale/error.h"
#include "http/websocket/ws_deflate.h"

const char gale_fuzz_corpus[] = "ws_inflate";

static gale_ws_deflate_params params_of(uint8_t b) {
  gale_ws_deflate_params p;
  gale__ws_deflate_params_init(&p);
  p.server_no_context_takeover = b & 1;
  p.client_no_context_takeover = b & 2;
  p.server_max_window_bits = p.client_max_window_bits = 8 + ((b >> 2) & 7);
  return p;
}

/* Compresses msg with a standalone codec and inflates it back. */
static void round_trip(const gale_ws_deflate_params *p, bool server, const uint8_t *msg, size_t len,
                       int times) {
  gale_ws_deflate *tx = gale__ws_deflate_new(p, server, NULL);
  gale_ws_deflate *rx = gale__ws_deflate_new(p, !server, NULL);
  FUZZ_CHECK(tx && rx);
  gale_buf wire, back;
  gale_buf_init(&wire, 0);
  gale_buf_init(&back, 0);
  for (int i = 0; i < times; i++) {
    gale_buf_reset(&wire);
    gale_buf_reset(&back);
    FUZZ_CHECK(gale__ws_deflate_compress(tx, msg, len, &wire) == GALE_OK);
    FUZZ_CHECK(gale__ws_deflate_inflate(rx, (const uint8_t *)wire.data, wire.len, len, &back) ==
               GALE_OK);
    FUZZ_CHECK(back.len == len && (len == 0 || memcmp(back.data, msg, len) == 0));
  }
  gale_buf_release(&wire);
  gale_buf_release(&back);
  gale__ws_deflate_free(tx);
  gale__ws_deflate_free(rx);
}

static void inflate_stream(const gale_ws_deflate_params *p, bool server, size_t cap,
                           const uint8_t *in, size_t len) {
  gale_ws_deflate *d = gale__ws_deflate_new(p, server, NULL);
  FUZZ_CHECK(d);
  gale_buf out;
  gale_buf_init(&out, 0);
  int sticky = GALE_OK;
  size_t at = 0;
  while (at < len) {
    size_t n = in[at++];
    if (n > len - at) n = len - at;
    gale_buf_reset(&out);
    int rc = gale__ws_deflate_inflate(d, in + at, n, cap, &out);
    at += n;
    FUZZ_CHECK(rc == GALE_OK || rc == GALE_ELIMIT || rc == GALE_EHTTP_DECOMPRESS);
    FUZZ_CHECK(out.len <= cap && out.cap <= cap + 1); /* grown no further than the cap */
    if (sticky != GALE_OK) FUZZ_CHECK(rc == sticky);
    if (rc != GALE_OK) {
      sticky = rc;
      continue;
    }
    gale_ws_deflate_params alone = *p;
    alone.server_no_context_takeover = alone.client_no_context_takeover = true;
    round_trip(&alone, server, (const uint8_t *)out.data, out.len, 1);
  }
  gale_buf_release(&out);
  gale__ws_deflate_free(d);
}

static void negotiate(uint8_t opt_bits, const uint8_t *in, size_t len) {
  char *text = malloc(len + 1);
  if (!text) return;
  memcpy(text, in, len);
  text[len] = '\0';
  gale_ws_deflate_options so, co;
  gale__ws_deflate_options_init(&so);
  gale__ws_deflate_options_init(&co);
  so.enabled = co.enabled = true;
  so.server_no_context_takeover = opt_bits & 1;
  so.client_no_context_takeover = opt_bits & 2;
  so.server_max_window_bits = opt_bits & 4 ? 8 + ((opt_bits >> 4) & 7) : 0;
  so.client_max_window_bits = opt_bits & 8 ? 8 + ((opt_bits >> 5) & 7) : 0;
  gale_buf resp;
  gale_buf_init(&resp, 0);
  gale_ws_deflate_params sp, cp;
  if (gale__ws_deflate_negotiate(text, &so, &sp, &resp)) {
    FUZZ_CHECK(resp.len > 0);
    FUZZ_CHECK(gale__ws_deflate_accept(resp.data, &co, &cp) == GALE_OK);
    FUZZ_CHECK(memcmp(&sp, &cp, sizeof sp) == 0);
    gale_ws_deflate *d = gale__ws_deflate_new(&sp, true, &so);
    FUZZ_CHECK(d);
    gale__ws_deflate_free(d);
  } else {
    FUZZ_CHECK(resp.len == 0);
  }
  int rc = gale__ws_deflate_accept(text, &co, &cp);
  FUZZ_CHECK(rc == GALE_OK || rc == GALE_ENOENT || rc == GALE_EHTTP_PARSE);
  if (rc == GALE_OK)
    FUZZ_CHECK(cp.server_max_window_bits >= 8 && cp.server_max_window_bits <= 15 &&
               cp.client_max_window_bits >= 8 && cp.client_max_window_bits <= 15);
  gale_buf_release(&resp);
  free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 3) return 0;
  gale_ws_deflate_params p = params_of(data[1]);
  bool server = data[1] & 0x20;
  size_t cap = (size_t)data[2] * 64 + 1;
  switch (data[0] & 3) {
  case 0:
  case 1: inflate_stream(&p, server, cap, data + 3, size - 3); break;
  case 2: negotiate(data[1], data + 3, size - 3); break;
  default: round_trip(&p, server, data + 3, size - 3, 2); break;
  }
  return 0;
}
