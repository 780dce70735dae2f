/* SPDX-License-Identifier: MIT */
/* Tests for http/websocket/ws_deflate.c: the RFC 7692 §7.2.3 examples,
 * round trips between a server and a client codec with and without
 * context takeover at every window size, 8-bit windows checked with an
 * 8-bit zlib inflater, the inflate cap on a deflate bomb, corrupt input,
 * allocation failures, and the negotiation: each parameter, bad values,
 * duplicates, unknown parameters, several offers, quoted values, the
 * client's checks of the server's answer. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/alloc.h"
#include "http/websocket/ws_deflate.h"

static gale_ws_deflate_options enabled_opts(void) {
  gale_ws_deflate_options o;
  gale__ws_deflate_options_init(&o);
  o.enabled = true;
  return o;
}

static gale_ws_deflate *codec(bool server, bool snct, bool cnct, int sbits, int cbits) {
  gale_ws_deflate_params p;
  gale__ws_deflate_params_init(&p);
  p.server_no_context_takeover = snct;
  p.client_no_context_takeover = cnct;
  p.server_max_window_bits = sbits;
  p.client_max_window_bits = cbits;
  gale_ws_deflate *d = gale__ws_deflate_new(&p, server, NULL);
  assert_non_null(d);
  return d;
}

static void expect_bytes(const gale_buf *b, const uint8_t *want, size_t n) {
  assert_int_equal(b->len, n);
  assert_memory_equal(b->data, want, n);
}

/* ---- RFC 7692 §7.2.3 ---------------------------------------------------------- */

static const uint8_t HELLO_1[] = {0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00};
static const uint8_t HELLO_2[] = {0xf2, 0x00, 0x11, 0x00, 0x00}; /* window shared */

static void test_rfc_compress_examples(void **state) {
  (void)state;
  gale_ws_deflate *d = codec(true, false, false, 15, 15);
  gale_buf out;
  gale_buf_init(&out, 0);
  /* §7.2.3.1: "Hello"; §7.2.3.2: again, referring back to the first. */
  assert_int_equal(gale__ws_deflate_compress(d, (const uint8_t *)"Hello", 5, &out), GALE_OK);
  expect_bytes(&out, HELLO_1, sizeof HELLO_1);
  gale_buf_reset(&out);
  assert_int_equal(gale__ws_deflate_compress(d, (const uint8_t *)"Hello", 5, &out), GALE_OK);
  expect_bytes(&out, HELLO_2, sizeof HELLO_2);
  assert_int_equal(gale__ws_deflate_streams(d), 1); /* context kept */
  gale__ws_deflate_free(d);

  /* No context takeover: the second is the first again, and the stream is
   * freed between messages. */
  d = codec(true, true, false, 15, 15);
  for (int i = 0; i < 2; i++) {
    gale_buf_reset(&out);
    assert_int_equal(gale__ws_deflate_compress(d, (const uint8_t *)"Hello", 5, &out), GALE_OK);
    expect_bytes(&out, HELLO_1, sizeof HELLO_1);
    assert_int_equal(gale__ws_deflate_streams(d), 0);
  }
  /* An empty message with the context kept, right after another: zlib has
   * nothing to flush, the payload is still 00. */
  gale_ws_deflate *k = codec(true, false, false, 15, 15);
  for (int i = 0; i < 2; i++) {
    gale_buf_reset(&out);
    assert_int_equal(gale__ws_deflate_compress(k, NULL, 0, &out), GALE_OK);
    expect_bytes(&out, (const uint8_t *)"\x00", 1);
  }
  gale__ws_deflate_free(k);
  /* §7.2.3.6: an empty message is the one byte 00. */
  gale_buf_reset(&out);
  assert_int_equal(gale__ws_deflate_compress(d, NULL, 0, &out), GALE_OK);
  expect_bytes(&out, (const uint8_t *)"\x00", 1);
  gale_buf_release(&out);
  gale__ws_deflate_free(d);
}

static void inflate_expect(gale_ws_deflate *d, const uint8_t *in, size_t n, const char *want) {
  gale_buf out;
  gale_buf_init(&out, 0);
  assert_int_equal(gale__ws_deflate_inflate(d, in, n, 1024, &out), GALE_OK);
  assert_int_equal(out.len, strlen(want));
  if (out.len) assert_memory_equal(out.data, want, out.len);
  gale_buf_release(&out);
}

static void test_rfc_inflate_examples(void **state) {
  (void)state;
  gale_ws_deflate *d = codec(false, false, false, 15, 15); /* a client reads */
  inflate_expect(d, HELLO_1, sizeof HELLO_1, "Hello");
  inflate_expect(d, HELLO_2, sizeof HELLO_2, "Hello"); /* §7.2.3.2 */
  /* §7.2.3.3: a stored (uncompressed) block. */
  static const uint8_t stored[] = {0x00, 0x05, 0x00, 0xfa, 0xff, 0x48,
                                   0x65, 0x6c, 0x6c, 0x6f, 0x00};
  inflate_expect(d, stored, sizeof stored, "Hello");
  /* §7.2.3.5: two blocks in one message. */
  static const uint8_t two[] = {0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff,
                                0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00};
  inflate_expect(d, two, sizeof two, "Hello");
  /* §7.2.3.6: the empty message, and an empty payload. */
  inflate_expect(d, (const uint8_t *)"\x00", 1, "");
  inflate_expect(d, NULL, 0, "");
  /* §7.2.3.4: a final block (BFINAL); the next message starts a fresh
   * stream, so it cannot refer back. */
  static const uint8_t final[] = {0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00};
  inflate_expect(d, final, sizeof final, "Hello");
  assert_int_equal(gale__ws_deflate_streams(d), 0);
  inflate_expect(d, HELLO_1, sizeof HELLO_1, "Hello");
  gale__ws_deflate_free(d);
}

/* ---- round trips ----------------------------------------------------------------- */

/* Messages of several shapes: text, repeats near and far, noise, empty. */
static size_t make_message(int i, uint8_t *buf, size_t cap) {
  uint32_t seed = (uint32_t)i * 2654435761u + 1;
  size_t n = (size_t)(i * 997) % cap;
  for (size_t k = 0; k < n; k++) {
    seed = seed * 1103515245u + 12345u;
    switch (i % 4) {
    case 0: buf[k] = (uint8_t) "the quick brown fox jumps over the lazy dog "[k % 44]; break;
    case 1: buf[k] = (uint8_t)(seed >> 24); break;
    case 2: buf[k] = k < 400 ? (uint8_t)(seed >> 24) : buf[k - 400]; break;
    default: buf[k] = (uint8_t)(k % 7 ? 'a' : (seed >> 28)); break;
    }
  }
  return n;
}

static void round_trip(bool snct, bool cnct, int sbits, int cbits) {
  gale_ws_deflate *srv = codec(true, snct, cnct, sbits, cbits);
  gale_ws_deflate *cli = codec(false, snct, cnct, sbits, cbits);
  static uint8_t msg[20000];
  gale_buf wire, back;
  gale_buf_init(&wire, 0);
  gale_buf_init(&back, 0);
  for (int i = 0; i < 24; i++) {
    size_t n = make_message(i, msg, sizeof msg);
    /* Both directions: server to client, client to server. */
    gale_ws_deflate *tx = i % 2 ? cli : srv, *rx = i % 2 ? srv : cli;
    bool tx_reset = i % 2 ? cnct : snct;
    gale_buf_reset(&wire);
    gale_buf_reset(&back);
    assert_int_equal(gale__ws_deflate_compress(tx, msg, n, &wire), GALE_OK);
    assert_int_equal(gale__ws_deflate_inflate(rx, (uint8_t *)wire.data, wire.len, n, &back),
                     GALE_OK);
    assert_int_equal(back.len, n);
    if (n) assert_memory_equal(back.data, msg, n);
    /* No context takeover: the stream is gone between messages. */
    assert_int_equal((gale__ws_deflate_streams(tx) & 1) != 0, !tx_reset);
    assert_int_equal((gale__ws_deflate_streams(rx) & 2) != 0, !tx_reset);
  }
  gale_buf_release(&wire);
  gale_buf_release(&back);
  gale__ws_deflate_free(srv);
  gale__ws_deflate_free(cli);
}

static void test_round_trips(void **state) {
  (void)state;
  for (int takeover = 0; takeover < 4; takeover++)
    for (int bits = 8; bits <= 15; bits++) round_trip(takeover & 1, takeover & 2, bits, 23 - bits);
}

/* Inflates raw deflate data (with the 00 00 ff ff put back) with a plain
 * zlib inflater of `bits` window bits; returns the zlib status (Z_OK when
 * all of it inflated). */
static int zlib_inflate(int bits, const gale_buf *in, uint8_t *out, size_t cap, size_t *n) {
  z_stream z;
  memset(&z, 0, sizeof z);
  assert_int_equal(inflateInit2(&z, -bits), Z_OK);
  uint8_t *data = malloc(in->len + 4);
  memcpy(data, in->data, in->len);
  memcpy(data + in->len, "\x00\x00\xff\xff", 4);
  z.next_in = data;
  z.avail_in = (uInt)(in->len + 4);
  /* One byte of output per call: a match can then only reach into the
   * inflater's own window, never into a larger output buffer. */
  int zr = Z_OK;
  *n = 0;
  while (zr == Z_OK && *n < cap && (z.avail_in > 0 || z.avail_out == 0)) {
    z.next_out = out + *n;
    z.avail_out = 1;
    zr = inflate(&z, Z_SYNC_FLUSH);
    *n += 1 - z.avail_out;
  }
  if (zr == Z_BUF_ERROR) zr = Z_OK; /* input used up */
  inflateEnd(&z);
  free(data);
  return zr;
}

/* An 8-bit window is compressed with zlib's 9 bits, whose matches reach at
 * most 250 bytes back: an 8-bit (256-byte) inflater reads it.  The 15-bit
 * control shows the data has matches farther back than that. */
static void test_window_bits_8(void **state) {
  (void)state;
  static uint8_t msg[8192], out[8192];
  for (size_t k = 0; k < sizeof msg; k++)
    msg[k] = k < 300 ? (uint8_t)(k * 37 + (k >> 3)) : msg[k - 300]; /* repeats 300 back */
  gale_buf wire;
  gale_buf_init(&wire, 0);
  size_t n;
  gale_ws_deflate *d = codec(true, false, false, 8, 15);
  assert_int_equal(gale__ws_deflate_compress(d, msg, sizeof msg, &wire), GALE_OK);
  assert_int_equal(zlib_inflate(8, &wire, out, sizeof out, &n), Z_OK);
  assert_int_equal(n, sizeof msg);
  assert_memory_equal(out, msg, n);
  gale__ws_deflate_free(d);

  gale_buf_reset(&wire);
  d = codec(true, false, false, 15, 15);
  assert_int_equal(gale__ws_deflate_compress(d, msg, sizeof msg, &wire), GALE_OK);
  assert_int_equal(zlib_inflate(8, &wire, out, sizeof out, &n), Z_DATA_ERROR); /* too far back */
  gale__ws_deflate_free(d);
  gale_buf_release(&wire);
}

/* ---- hostile input --------------------------------------------------------------- */

static void test_inflate_cap_on_bomb(void **state) {
  (void)state;
  enum { BIG = 16 << 20, CAP = 1 << 20 };
  uint8_t *zeros = calloc(1, BIG);
  gale_ws_deflate *tx = codec(false, false, false, 15, 15);
  gale_buf bomb, out;
  gale_buf_init(&bomb, 0);
  gale_buf_init(&out, 0);
  assert_int_equal(gale__ws_deflate_compress(tx, zeros, BIG, &bomb), GALE_OK);
  assert_true(bomb.len < 20000); /* a few KB */

  gale_ws_deflate *rx = codec(true, false, false, 15, 15);
  assert_int_equal(gale__ws_deflate_inflate(rx, (uint8_t *)bomb.data, bomb.len, CAP, &out),
                   GALE_ELIMIT);
  assert_true(out.len <= CAP);
  assert_true(out.cap <= CAP + 1); /* never grown past the cap */
  assert_int_equal(gale__ws_deflate_close_code(GALE_ELIMIT), 1009);
  /* Sticky: the stream stopped mid-message. */
  assert_int_equal(gale__ws_deflate_inflate(rx, HELLO_1, sizeof HELLO_1, CAP, &out), GALE_ELIMIT);
  gale__ws_deflate_free(rx);

  /* Exactly at the cap is fine; one byte under it is not; the output
   * appends after what the buffer already held. */
  gale__ws_deflate_free(tx);
  tx = codec(false, true, true, 15, 15); /* standalone messages */
  gale_buf_reset(&bomb);
  assert_int_equal(gale__ws_deflate_compress(tx, zeros, 5000, &bomb), GALE_OK);
  rx = codec(true, true, true, 15, 15);
  gale_buf_release(&out);
  gale_buf_init(&out, 0);
  gale_buf_append_str(&out, "head");
  assert_int_equal(gale__ws_deflate_inflate(rx, (uint8_t *)bomb.data, bomb.len, 5000, &out),
                   GALE_OK);
  assert_int_equal(out.len, 5004);
  assert_memory_equal(out.data, "head", 4);
  gale__ws_deflate_free(rx);
  rx = codec(true, true, true, 15, 15);
  gale_buf_reset(&out);
  assert_int_equal(gale__ws_deflate_inflate(rx, (uint8_t *)bomb.data, bomb.len, 4999, &out),
                   GALE_ELIMIT);
  gale__ws_deflate_free(rx);

  /* The buffer's own max is EBUFFULL, not the cap's ELIMIT. */
  rx = codec(true, true, true, 15, 15);
  gale_buf_release(&out);
  gale_buf_init(&out, 100);
  assert_int_equal(gale__ws_deflate_inflate(rx, (uint8_t *)bomb.data, bomb.len, 5000, &out),
                   GALE_EBUFFULL);
  assert_true(out.len <= 100);
  gale__ws_deflate_free(rx);

  gale__ws_deflate_free(tx);
  gale_buf_release(&bomb);
  gale_buf_release(&out);
  free(zeros);
}

static void test_corrupt_input(void **state) {
  (void)state;
  static const uint8_t bad_type[] = {0xff, 0xff, 0xff, 0xff};           /* block type 3 */
  static const uint8_t bad_len[] = {0x00, 0x05, 0x00, 0x00, 0x00, 'x'}; /* NLEN != ~LEN */
  /* HELLO_2 on a fresh stream: its match reaches before the start. */
  const uint8_t *cases[] = {bad_type, bad_len, HELLO_2};
  size_t lens[] = {sizeof bad_type, sizeof bad_len, sizeof HELLO_2};
  gale_buf out;
  gale_buf_init(&out, 0);
  for (size_t i = 0; i < 3; i++) {
    gale_ws_deflate *d = codec(true, false, false, 15, 15);
    int rc = gale__ws_deflate_inflate(d, cases[i], lens[i], 1 << 20, &out);
    assert_int_equal(rc, GALE_EHTTP_DECOMPRESS);
    assert_int_equal(gale__ws_deflate_close_code(rc), 1007);
    assert_int_equal(gale__ws_deflate_inflate(d, HELLO_1, sizeof HELLO_1, 100, &out), rc);
    gale__ws_deflate_free(d);
  }
  /* Arguments. */
  gale_ws_deflate *d = codec(true, false, false, 15, 15);
  assert_int_equal(gale__ws_deflate_inflate(d, NULL, 3, 10, &out), GALE_EINVAL);
  assert_int_equal(gale__ws_deflate_compress(d, NULL, 3, &out), GALE_EINVAL);
  assert_int_equal(gale__ws_deflate_compress(NULL, HELLO_1, 3, &out), GALE_EINVAL);
  gale__ws_deflate_free(d);
  gale__ws_deflate_free(NULL);
  gale_buf_release(&out);

  gale_ws_deflate_params p;
  gale__ws_deflate_params_init(&p);
  p.server_max_window_bits = 7;
  assert_null(gale__ws_deflate_new(&p, true, NULL));
  p.server_max_window_bits = 16;
  assert_null(gale__ws_deflate_new(&p, true, NULL));
  gale__ws_deflate_params_init(&p);
  gale_ws_deflate_options o = enabled_opts();
  o.level = 10;
  assert_null(gale__ws_deflate_new(&p, true, &o));
  assert_null(gale__ws_deflate_new(NULL, true, NULL));
  o = enabled_opts();
  o.min_size = 10;
  d = gale__ws_deflate_new(&p, true, &o);
  assert_false(gale__ws_deflate_should_compress(d, 9));
  assert_true(gale__ws_deflate_should_compress(d, 10));
  gale__ws_deflate_free(d);
  assert_int_equal(gale__ws_deflate_close_code(GALE_ENOMEM), 1011);
}

/* Every allocation failing in turn: each call returns GALE_ENOMEM (and
 * sticks) or works; ASan sees no leak. */
static void test_allocation_failures(void **state) {
  (void)state;
  static uint8_t msg[3000];
  make_message(2, msg, sizeof msg);
  gale_ws_deflate_params p;
  gale__ws_deflate_params_init(&p);
  for (long k = 1; k < 40; k++) {
    gale__alloc_fail_at(k);
    gale_ws_deflate *tx = gale__ws_deflate_new(&p, true, NULL);
    gale_ws_deflate *rx = gale__ws_deflate_new(&p, false, NULL);
    gale_buf wire, back;
    gale_buf_init(&wire, 0);
    gale_buf_init(&back, 0);
    if (tx && rx) {
      int rc = gale__ws_deflate_compress(tx, msg, sizeof msg, &wire);
      assert_true(rc == GALE_OK || rc == GALE_ENOMEM);
      if (rc == GALE_OK) {
        rc = gale__ws_deflate_inflate(rx, (uint8_t *)wire.data, wire.len, sizeof msg, &back);
        assert_true(rc == GALE_OK || rc == GALE_ENOMEM);
        if (rc == GALE_OK) assert_memory_equal(back.data, msg, sizeof msg);
      }
    }
    gale__alloc_fail_at(0);
    gale_buf_release(&wire);
    gale_buf_release(&back);
    gale__ws_deflate_free(tx);
    gale__ws_deflate_free(rx);
  }
}

/* ---- negotiation: the server ---------------------------------------------------- */

/* Negotiates `offer` with `o`; returns the answer ("" when declined). */
static const char *answer(const char *offer, const gale_ws_deflate_options *o,
                          gale_ws_deflate_params *p) {
  static char text[256];
  gale_buf b;
  gale_buf_init(&b, 0);
  gale_ws_deflate_params dummy;
  bool ok = gale__ws_deflate_negotiate(offer, o, p ? p : &dummy, &b);
  assert_int_equal(ok, b.len > 0);
  snprintf(text, sizeof text, "%s", b.data ? b.data : "");
  gale_buf_release(&b);
  return text;
}

static void test_negotiate_params(void **state) {
  (void)state;
  gale_ws_deflate_options o = enabled_opts();
  gale_ws_deflate_params p;
  assert_string_equal(answer("permessage-deflate", &o, &p), "permessage-deflate");
  assert_false(p.server_no_context_takeover || p.client_no_context_takeover);
  assert_int_equal(p.server_max_window_bits, 15);
  assert_int_equal(p.client_max_window_bits, 15);
  /* A bare client_max_window_bits is not echoed (Tornado neither). */
  assert_string_equal(answer("permessage-deflate; client_max_window_bits", &o, &p),
                      "permessage-deflate");
  assert_string_equal(answer("permessage-deflate; server_no_context_takeover", &o, &p),
                      "permessage-deflate; server_no_context_takeover");
  assert_true(p.server_no_context_takeover);
  assert_string_equal(answer("permessage-deflate; client_no_context_takeover", &o, &p),
                      "permessage-deflate; client_no_context_takeover");
  assert_true(p.client_no_context_takeover);
  assert_string_equal(answer("permessage-deflate; server_max_window_bits=10", &o, &p),
                      "permessage-deflate; server_max_window_bits=10");
  assert_int_equal(p.server_max_window_bits, 10);
  assert_string_equal(answer("permessage-deflate; client_max_window_bits=12", &o, &p),
                      "permessage-deflate; client_max_window_bits=12");
  assert_int_equal(p.client_max_window_bits, 12);
  /* Eight bits is accepted (compressed with zlib's 9: see the header). */
  assert_string_equal(
      answer("permessage-deflate; server_max_window_bits=8; client_max_window_bits=8", &o, &p),
      "permessage-deflate; server_max_window_bits=8; client_max_window_bits=8");
  assert_int_equal(p.server_max_window_bits, 8);
  assert_int_equal(p.client_max_window_bits, 8);
  /* Quoted values, names in any case, spaces. */
  assert_string_equal(answer("PerMessage-Deflate ;Server_Max_Window_Bits = \"11\"", &o, &p),
                      "permessage-deflate; server_max_window_bits=11");
  assert_string_equal(answer("permessage-deflate; server_max_window_bits=\"1\\2\"", &o, &p),
                      "permessage-deflate; server_max_window_bits=12");

  /* What the server asks for itself. */
  o.server_no_context_takeover = o.client_no_context_takeover = true;
  o.server_max_window_bits = 12;
  o.client_max_window_bits = 10;
  assert_string_equal(answer("permessage-deflate", &o, &p),
                      "permessage-deflate; server_no_context_takeover; "
                      "client_no_context_takeover; server_max_window_bits=12");
  assert_int_equal(p.client_max_window_bits, 15); /* not offered: not limited */
  assert_string_equal(answer("permessage-deflate; client_max_window_bits", &o, &p),
                      "permessage-deflate; server_no_context_takeover; "
                      "client_no_context_takeover; server_max_window_bits=12; "
                      "client_max_window_bits=10");
  assert_int_equal(p.client_max_window_bits, 10);
  /* The smaller of the two windows. */
  assert_string_equal(answer("permessage-deflate; server_max_window_bits=9; "
                             "client_max_window_bits=12",
                             &o, &p),
                      "permessage-deflate; server_no_context_takeover; "
                      "client_no_context_takeover; server_max_window_bits=9; "
                      "client_max_window_bits=10");
  assert_int_equal(p.server_max_window_bits, 9);
}

static void test_negotiate_declines(void **state) {
  (void)state;
  gale_ws_deflate_options o = enabled_opts();
  const char *bad[] = {
      "permessage-deflate; server_max_window_bits=7",
      "permessage-deflate; server_max_window_bits=16",
      "permessage-deflate; server_max_window_bits=08",
      "permessage-deflate; server_max_window_bits=+9",
      "permessage-deflate; server_max_window_bits=abc",
      "permessage-deflate; server_max_window_bits",
      "permessage-deflate; server_max_window_bits=\"\"",
      "permessage-deflate; client_max_window_bits=16",
      "permessage-deflate; client_max_window_bits=0",
      "permessage-deflate; server_no_context_takeover=1",
      "permessage-deflate; client_no_context_takeover=\"x\"",
      "permessage-deflate; foo",
      "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
      "permessage-deflate; server_max_window_bits=10; server_max_window_bits=11",
      "permessage-deflate; client_max_window_bits; client_max_window_bits=9",
      "permessage-deflate; a; b; c; d; e; f; g; h; i",
      /* syntax */
      "permessage-deflate;",
      "permessage-deflate; =1",
      "permessage-deflate x",
      "permessage-deflate; server_max_window_bits=\"10",
      "permessage-deflate; server_max_window_bits=\"1 0\"",
      "permessage-deflate; server_max_window_bits=10 11",
      "\"permessage-deflate\"",
      "x-webkit-deflate-frame",
      "",
      " , ",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    if (*answer(bad[i], &o, NULL)) fail_msg("accepted: %s", bad[i]);
  }
  gale_ws_deflate_params p;
  gale_buf b;
  gale_buf_init(&b, 0);
  assert_false(gale__ws_deflate_negotiate(NULL, &o, &p, &b));
  o.enabled = false;
  assert_false(gale__ws_deflate_negotiate("permessage-deflate", &o, &p, &b));
  assert_false(gale__ws_deflate_negotiate("permessage-deflate", NULL, &p, &b));
  o = enabled_opts();
  o.server_max_window_bits = 20;
  assert_false(gale__ws_deflate_negotiate("permessage-deflate", &o, &p, &b));
  assert_int_equal(b.len, 0);
  gale_buf_release(&b);
}

static void test_negotiate_several_offers(void **state) {
  (void)state;
  gale_ws_deflate_options o = enabled_opts();
  gale_ws_deflate_params p;
  /* The first acceptable one wins; other extensions are skipped. */
  assert_string_equal(answer("permessage-deflate; foo, permessage-deflate; "
                             "server_max_window_bits=10, permessage-deflate",
                             &o, &p),
                      "permessage-deflate; server_max_window_bits=10");
  assert_string_equal(answer("x-webkit-deflate-frame; no_context_takeover, "
                             "foo; bar=\"baz\"; qux, permessage-deflate",
                             &o, &p),
                      "permessage-deflate");
  assert_string_equal(answer(" ,, permessage-deflate ; client_max_window_bits=9 ,", &o, &p),
                      "permessage-deflate; client_max_window_bits=9");
  /* Browsers' offer. */
  assert_string_equal(answer("permessage-deflate; client_max_window_bits", &o, &p),
                      "permessage-deflate");
  /* A syntax error before an acceptable offer ends the search. */
  assert_string_equal(answer("foo bar, permessage-deflate", &o, &p), "");
  assert_string_equal(answer("permessage-deflate, foo bar", &o, &p), "permessage-deflate");
}

/* ---- negotiation: the client ----------------------------------------------------- */

static void test_offer(void **state) {
  (void)state;
  gale_ws_deflate_options o = enabled_opts();
  gale_buf b;
  gale_buf_init(&b, 0);
  assert_int_equal(gale__ws_deflate_offer(&o, &b), GALE_OK);
  assert_string_equal(b.data, "permessage-deflate; client_max_window_bits");
  gale_buf_reset(&b);
  o.server_no_context_takeover = o.client_no_context_takeover = true;
  o.server_max_window_bits = 10;
  o.client_max_window_bits = 12;
  assert_int_equal(gale__ws_deflate_offer(&o, &b), GALE_OK);
  assert_string_equal(b.data, "permessage-deflate; server_no_context_takeover; "
                              "client_no_context_takeover; server_max_window_bits=10; "
                              "client_max_window_bits=12");
  gale_buf_reset(&b);
  o.client_max_window_bits = 7;
  assert_int_equal(gale__ws_deflate_offer(&o, &b), GALE_EINVAL);
  o.enabled = false;
  assert_int_equal(gale__ws_deflate_offer(&o, &b), GALE_ENOENT);
  assert_int_equal(b.len, 0);
  gale_buf_release(&b);
}

static int accept_with(const char *resp, const gale_ws_deflate_options *o,
                       gale_ws_deflate_params *p) {
  gale_ws_deflate_params dummy;
  return gale__ws_deflate_accept(resp, o, p ? p : &dummy);
}

static void test_accept(void **state) {
  (void)state;
  gale_ws_deflate_options o = enabled_opts();
  gale_ws_deflate_params p;
  assert_int_equal(accept_with(NULL, &o, &p), GALE_ENOENT);
  assert_int_equal(accept_with("", &o, &p), GALE_ENOENT);
  assert_int_equal(accept_with("permessage-deflate", &o, &p), GALE_OK);
  assert_int_equal(p.server_max_window_bits, 15);
  assert_int_equal(accept_with("permessage-deflate; server_no_context_takeover; "
                               "client_no_context_takeover; server_max_window_bits=8; "
                               "client_max_window_bits=\"10\"",
                               &o, &p),
                   GALE_OK);
  assert_true(p.server_no_context_takeover && p.client_no_context_takeover);
  assert_int_equal(p.server_max_window_bits, 8);
  assert_int_equal(p.client_max_window_bits, 10);

  const char *invalid[] = {
      "permessage-deflate; client_max_window_bits", /* an answer needs the value */
      "permessage-deflate; client_max_window_bits=16",
      "permessage-deflate; server_max_window_bits",
      "permessage-deflate; foo",
      "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
      "permessage-deflate; client_no_context_takeover=1",
      "permessage-deflate, permessage-deflate",
      "permessage-deflate, foo",
      "foo",
      "foo, permessage-deflate",
      "permessage-deflate;",
      "permessage-deflate x",
  };
  for (size_t i = 0; i < sizeof invalid / sizeof *invalid; i++)
    if (accept_with(invalid[i], &o, NULL) != GALE_EHTTP_PARSE) fail_msg("accepted: %s", invalid[i]);

  /* What we asked for must be granted. */
  o.server_no_context_takeover = true;
  assert_int_equal(accept_with("permessage-deflate", &o, NULL), GALE_EHTTP_PARSE);
  assert_int_equal(accept_with("permessage-deflate; server_no_context_takeover", &o, NULL),
                   GALE_OK);
  o = enabled_opts();
  o.server_max_window_bits = 10;
  assert_int_equal(accept_with("permessage-deflate", &o, NULL), GALE_EHTTP_PARSE);
  assert_int_equal(accept_with("permessage-deflate; server_max_window_bits=11", &o, NULL),
                   GALE_EHTTP_PARSE);
  assert_int_equal(accept_with("permessage-deflate; server_max_window_bits=9", &o, &p), GALE_OK);
  assert_int_equal(p.server_max_window_bits, 9);
  o = enabled_opts();
  o.client_max_window_bits = 10;
  o.client_no_context_takeover = true;
  assert_int_equal(accept_with("permessage-deflate; client_max_window_bits=12", &o, NULL),
                   GALE_EHTTP_PARSE);
  assert_int_equal(accept_with("permessage-deflate", &o, &p), GALE_OK);
  assert_int_equal(p.client_max_window_bits, 10); /* our promise stands */
  assert_true(p.client_no_context_takeover);
  /* Not offered at all. */
  o.enabled = false;
  assert_int_equal(accept_with("permessage-deflate", &o, NULL), GALE_EHTTP_PARSE);
  assert_int_equal(accept_with("", &o, NULL), GALE_ENOENT);
}

/* Offer, answer, accept: both sides agree, and their codecs talk. */
static void test_handshake_agrees(void **state) {
  (void)state;
  for (int v = 0; v < 32; v++) {
    gale_ws_deflate_options co = enabled_opts(), so = enabled_opts();
    co.server_no_context_takeover = v & 1;
    co.client_max_window_bits = v & 2 ? 9 : 0;
    so.client_no_context_takeover = v & 4;
    so.server_max_window_bits = v & 8 ? 8 : 0;
    so.client_max_window_bits = v & 16 ? 11 : 0;
    gale_buf offer, resp;
    gale_buf_init(&offer, 0);
    gale_buf_init(&resp, 0);
    assert_int_equal(gale__ws_deflate_offer(&co, &offer), GALE_OK);
    gale_ws_deflate_params sp, cp;
    assert_true(gale__ws_deflate_negotiate(offer.data, &so, &sp, &resp));
    assert_int_equal(gale__ws_deflate_accept(resp.data, &co, &cp), GALE_OK);
    assert_memory_equal(&sp, &cp, sizeof sp);
    gale_ws_deflate *s = gale__ws_deflate_new(&sp, true, &so);
    gale_ws_deflate *c = gale__ws_deflate_new(&cp, false, &co);
    gale_buf w, back;
    gale_buf_init(&w, 0);
    gale_buf_init(&back, 0);
    assert_int_equal(gale__ws_deflate_compress(c, (const uint8_t *)"ping ping ping", 14, &w),
                     GALE_OK);
    assert_int_equal(gale__ws_deflate_inflate(s, (uint8_t *)w.data, w.len, 100, &back), GALE_OK);
    assert_int_equal(back.len, 14);
    gale_buf_release(&w);
    gale_buf_release(&back);
    gale__ws_deflate_free(s);
    gale__ws_deflate_free(c);
    gale_buf_release(&offer);
    gale_buf_release(&resp);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rfc_compress_examples),
      cmocka_unit_test(test_rfc_inflate_examples),
      cmocka_unit_test(test_round_trips),
      cmocka_unit_test(test_window_bits_8),
      cmocka_unit_test(test_inflate_cap_on_bomb),
      cmocka_unit_test(test_corrupt_input),
      cmocka_unit_test(test_allocation_failures),
      cmocka_unit_test(test_negotiate_params),
      cmocka_unit_test(test_negotiate_declines),
      cmocka_unit_test(test_negotiate_several_offers),
      cmocka_unit_test(test_offer),
      cmocka_unit_test(test_accept),
      cmocka_unit_test(test_handshake_agrees),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
