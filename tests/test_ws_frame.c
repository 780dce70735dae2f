/* SPDX-License-Identifier: MIT */
/* The WebSocket frame codec (http/websocket/ws_frame.c): RFC 6455's
 * examples (§5.7), every header size, byte-at-a-time input, fragments with
 * control frames between them, and each protocol violation with the close
 * code the RFC names (what Autobahn's sections 1-7 check at the frame
 * level). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "http/websocket/ws_frame.h"

#define B(s) (const uint8_t *)(s), sizeof(s) - 1

typedef struct parsed {
  gale_ws_frame frames[8];
  char control[8][126];
  int n;
  int rc;
  size_t used;
} parsed;

/* Feeds all of in (in chunks of `step` bytes, 0 = all at once) and collects
 * the frames; stops at the first error. */
static void feed(gale_ws_parser *p, const uint8_t *in, size_t len, size_t step, gale_buf *payload,
                 parsed *out) {
  memset(out, 0, sizeof *out);
  size_t at = 0;
  out->rc = GALE_EAGAIN;
  while (at < len) {
    size_t chunk = step && step < len - at ? step : len - at;
    size_t off = 0;
    while (off < chunk) {
      size_t used = 0;
      gale_ws_frame f;
      int rc = gale_ws_parse(p, in + at + off, chunk - off, &used, payload, &f);
      off += used;
      out->used = at + off;
      if (rc == GALE_OK) {
        if (f.control) memcpy(out->control[out->n], f.control, (size_t)f.len);
        out->frames[out->n++] = f;
        out->rc = GALE_OK;
        continue;
      }
      out->rc = rc;
      if (rc != GALE_EAGAIN) return;
      assert_int_equal(off, chunk); /* EAGAIN: everything consumed */
    }
    at += chunk;
  }
}

/* ---- RFC 6455 §5.7 ----------------------------------------------------------- */

static void test_rfc_examples(void **state) {
  (void)state;
  static const size_t steps[] = {0, 1, 2, 3, 5};
  for (size_t s = 0; s < sizeof steps / sizeof *steps; s++) {
    gale_ws_parser p;
    gale_buf b;
    parsed r;
    /* A single-frame unmasked text message, as a server sends it. */
    gale_ws_parser_init(&p, false, 1 << 20);
    gale_buf_init(&b, 0);
    feed(&p, B("\x81\x05\x48\x65\x6c\x6c\x6f"), steps[s], &b, &r);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.frames[0].opcode, GALE_WS_TEXT);
    assert_true(r.frames[0].fin);
    assert_int_equal(b.len, 5);
    assert_memory_equal(b.data, "Hello", 5);
    gale_buf_release(&b);

    /* The same, masked, as a client sends it. */
    gale_ws_parser_init(&p, true, 1 << 20);
    gale_buf_init(&b, 0);
    feed(&p, B("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"), steps[s], &b, &r);
    assert_int_equal(r.n, 1);
    assert_memory_equal(b.data, "Hello", 5);
    gale_buf_release(&b);

    /* A fragmented text message: "Hel" then "lo". */
    gale_ws_parser_init(&p, false, 1 << 20);
    gale_buf_init(&b, 0);
    feed(&p, B("\x01\x03\x48\x65\x6c\x80\x02\x6c\x6f"), steps[s], &b, &r);
    assert_int_equal(r.n, 2);
    assert_false(r.frames[0].fin);
    assert_int_equal(r.frames[1].opcode, GALE_WS_CONTINUATION);
    assert_true(r.frames[1].fin);
    assert_memory_equal(b.data, "Hello", 5);
    gale_buf_release(&b);

    /* Unmasked ping "Hello", then the masked pong a client answers with. */
    gale_ws_parser_init(&p, false, 1 << 20);
    gale_buf_init(&b, 0);
    feed(&p, B("\x89\x05\x48\x65\x6c\x6c\x6f"), steps[s], &b, &r);
    assert_int_equal(r.frames[0].opcode, GALE_WS_PING);
    assert_memory_equal(r.control[0], "Hello", 5);
    assert_int_equal(b.len, 0); /* control payloads stay in the parser */
    gale_ws_parser_init(&p, true, 1 << 20);
    feed(&p, B("\x8a\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"), steps[s], &b, &r);
    assert_int_equal(r.frames[0].opcode, GALE_WS_PONG);
    assert_memory_equal(r.control[0], "Hello", 5);
    gale_buf_release(&b);
  }
}

/* ---- lengths and the writer --------------------------------------------------- */

static void roundtrip(uint64_t len, bool masked, size_t step) {
  uint8_t *frame = malloc(GALE_WS_MAX_HEADER + len);
  static const uint8_t key[4] = {0xde, 0xad, 0xbe, 0xef};
  size_t h = gale_ws_frame_header(frame, GALE_WS_BINARY, true, false, len, masked ? key : NULL);
  assert_int_equal(h, (len < 126 ? 2 : len <= 0xFFFF ? 4 : 10) + (masked ? 4 : 0));
  for (uint64_t i = 0; i < len; i++) frame[h + i] = (uint8_t)(i * 7 + 3);
  if (masked) gale_ws_mask(frame + h, (size_t)len, key, 0);
  gale_ws_parser p;
  gale_ws_parser_init(&p, masked, UINT64_MAX >> 1);
  gale_buf b;
  gale_buf_init(&b, 0);
  parsed r;
  feed(&p, frame, h + (size_t)len, step, &b, &r);
  assert_int_equal(r.rc, GALE_OK);
  assert_int_equal(r.n, 1);
  assert_int_equal(r.frames[0].len, len);
  assert_int_equal(b.len, len);
  for (uint64_t i = 0; i < len; i++) assert_int_equal((uint8_t)b.data[i], (uint8_t)(i * 7 + 3));
  gale_buf_release(&b);
  free(frame);
}

static void test_lengths(void **state) {
  (void)state;
  static const uint64_t lens[] = {0, 1, 125, 126, 127, 65535, 65536, 100000};
  for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
    roundtrip(lens[i], false, 0);
    roundtrip(lens[i], true, 0);
    roundtrip(lens[i], true, 7); /* mask offsets across chunks */
  }
}

static void test_mask_offsets(void **state) {
  (void)state;
  static const uint8_t key[4] = {1, 2, 3, 4};
  uint8_t whole[37], parts[37];
  for (int i = 0; i < 37; i++) whole[i] = parts[i] = (uint8_t)i;
  gale_ws_mask(whole, 37, key, 0);
  gale_ws_mask(parts, 3, key, 0);
  gale_ws_mask(parts + 3, 20, key, 3);
  gale_ws_mask(parts + 23, 14, key, 23);
  assert_memory_equal(whole, parts, 37);
  for (int i = 0; i < 37; i++) assert_int_equal(whole[i], (uint8_t)(i ^ key[i % 4]));
}

/* ---- fragments with control frames between ------------------------------------- */

static void test_control_between_fragments(void **state) {
  (void)state;
  gale_ws_parser p;
  gale_ws_parser_init(&p, false, 1 << 20);
  gale_buf b;
  gale_buf_init(&b, 0);
  parsed r;
  feed(&p,
       B("\x01\x02he"
         "\x89\x01x"
         "\x00\x02ll"
         "\x8a\x00"
         "\x80\x01o"),
       1, &b, &r);
  assert_int_equal(r.rc, GALE_OK);
  assert_int_equal(r.n, 5);
  assert_int_equal(r.frames[1].opcode, GALE_WS_PING);
  assert_memory_equal(r.control[1], "x", 1);
  assert_int_equal(r.frames[3].opcode, GALE_WS_PONG);
  assert_int_equal(r.frames[3].len, 0);
  assert_int_equal(b.len, 5);
  assert_memory_equal(b.data, "hello", 5);
  gale_buf_release(&b);
}

/* ---- violations ------------------------------------------------------------------ */

static void expect_fail(bool server, bool rsv1_ok, const uint8_t *in, size_t len, int code) {
  for (size_t step = 0; step <= 1; step++) {
    gale_ws_parser p;
    gale_ws_parser_init(&p, server, 1000);
    p.allow_rsv1 = rsv1_ok;
    gale_buf b;
    gale_buf_init(&b, 0);
    parsed r;
    feed(&p, in, len, step, &b, &r);
    assert_int_equal(r.rc, GALE_EHTTP_PARSE);
    assert_int_equal(p.close_code, code);
    assert_non_null(p.error);
    /* Failed stays failed. */
    size_t used = 9;
    gale_ws_frame f;
    assert_int_equal(gale_ws_parse(&p, in, len, &used, &b, &f), GALE_EHTTP_PARSE);
    assert_int_equal(used, 0);
    gale_buf_release(&b);
  }
}

static void test_violations(void **state) {
  (void)state;
  expect_fail(true, false, B("\x81\x05Hello"), 1002);          /* unmasked from a client */
  expect_fail(false, false, B("\x81\x85\0\0\0\0Hello"), 1002); /* masked from a server */
  expect_fail(false, false, B("\xc1\x00"), 1002);              /* RSV1, no extension */
  expect_fail(false, false, B("\xa1\x00"), 1002);              /* RSV2 */
  expect_fail(false, true, B("\x91\x00"), 1002);               /* RSV3 even with deflate */
  expect_fail(false, true, B("\xc9\x00"), 1002);               /* RSV1 on a control frame */
  expect_fail(false, true,
              B("\x01\x01"
                "a"
                "\xc0\x01"
                "b"),
              1002); /* RSV1 on a continuation */
  for (int op = 3; op <= 7; op++) {
    uint8_t f[2] = {(uint8_t)(0x80 | op), 0};
    expect_fail(false, false, f, 2, 1002);
  }
  for (int op = 11; op <= 15; op++) {
    uint8_t f[2] = {(uint8_t)(0x80 | op), 0};
    expect_fail(false, false, f, 2, 1002);
  }
  expect_fail(false, false, B("\x09\x00"), 1002);                   /* fragmented ping */
  expect_fail(false, false, B("\x89\x7e\x00\x7e"), 1002);           /* 126-byte ping */
  expect_fail(false, false, B("\x80\x01x"), 1002);                  /* continuation, no message */
  expect_fail(false, false, B("\x01\x01x\x81\x01y"), 1002);         /* text inside a text */
  expect_fail(false, false, B("\x82\x7f\x80\0\0\0\0\0\0\0"), 1002); /* top bit of 64-bit len */
  expect_fail(false, false, B("\x82\x7e\x03\xe9"), 1009);           /* 1001 > max_frame_size 1000 */
  expect_fail(false, false, B("\x88\x01\x03"), 1002);               /* one-byte close payload */
  expect_fail(false, false, B("\x88\x02\x03\xed"), 1002);           /* close code 1005 */
  expect_fail(false, false, B("\x88\x02\x03\xe7"), 1002);           /* 999 */
}

static void test_close_payloads(void **state) {
  (void)state;
  gale_ws_parser p;
  gale_buf b;
  parsed r;
  gale_buf_init(&b, 0);
  static const int ok_codes[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010,
                                 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999};
  for (size_t i = 0; i < sizeof ok_codes / sizeof *ok_codes; i++) {
    uint8_t f[4] = {0x88, 2, (uint8_t)(ok_codes[i] >> 8), (uint8_t)ok_codes[i]};
    gale_ws_parser_init(&p, false, 1000);
    feed(&p, f, 4, 0, &b, &r);
    assert_int_equal(r.rc, GALE_OK);
  }
  static const int bad_codes[] = {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000};
  for (size_t i = 0; i < sizeof bad_codes / sizeof *bad_codes; i++) {
    uint8_t f[4] = {0x88, 2, (uint8_t)(bad_codes[i] >> 8), (uint8_t)bad_codes[i]};
    gale_ws_parser_init(&p, false, 1000);
    feed(&p, f, 4, 0, &b, &r);
    assert_int_equal(r.rc, GALE_EHTTP_PARSE);
    assert_int_equal(p.close_code, 1002);
  }
  /* An empty close, and one with a UTF-8 reason. */
  gale_ws_parser_init(&p, false, 1000);
  feed(&p, B("\x88\x00"), 0, &b, &r);
  assert_int_equal(r.rc, GALE_OK);
  gale_ws_parser_init(&p, false, 1000);
  feed(&p, B("\x88\x06\x03\xe8\xce\xba\xe1\xbd"), 0, &b, &r); /* reason cut mid-character */
  assert_int_equal(p.close_code, 1007);
  gale_ws_parser_init(&p, false, 1000);
  feed(&p, B("\x88\x07\x03\xe8\xce\xba\xe1\xbd\xb9"), 0, &b, &r);
  assert_int_equal(r.rc, GALE_OK);
  assert_memory_equal(r.control[0] + 2, "\xce\xba\xe1\xbd\xb9", 5);
  gale_buf_release(&b);
}

/* The caller's buffer limit is the message limit: 1009 across fragments. */
static void test_message_limit(void **state) {
  (void)state;
  gale_ws_parser p;
  gale_ws_parser_init(&p, false, 1000);
  gale_buf b;
  gale_buf_init(&b, 5);
  parsed r;
  feed(&p,
       B("\x01\x03"
         "abc"
         "\x80\x03"
         "def"),
       0, &b, &r);
  assert_int_equal(r.rc, GALE_EHTTP_PARSE);
  assert_int_equal(p.close_code, 1009);
  assert_int_equal(r.n, 1);
  gale_buf_release(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rfc_examples),  cmocka_unit_test(test_lengths),
      cmocka_unit_test(test_mask_offsets),  cmocka_unit_test(test_control_between_fragments),
      cmocka_unit_test(test_violations),    cmocka_unit_test(test_close_payloads),
      cmocka_unit_test(test_message_limit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
