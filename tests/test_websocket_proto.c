/* SPDX-License-Identifier: MIT */
/* The WebSocket server against hostile and odd peers: every protocol
 * violation of RFC 6455 fails the connection with the RFC's close code
 * (HARDENING.md, WebSocket), valid edge cases are accepted, and nothing
 * leaks.  Each case is a handcrafted byte sequence from a raw client. */
#include <zlib.h>

#include "test_websocket_util.h"

static int closes, close_code, messages;

static void on_message(gale_websocket *ws, const char *data, size_t len, bool binary) {
  messages++;
  gale_websocket_write_message(ws, data, len, binary, NULL);
}

static void on_close(gale_websocket *ws, int code, const char *reason) {
  (void)ws;
  (void)reason;
  closes++;
  close_code = code;
}

static const gale_websocket_class cls = {.on_message = on_message, .on_close = on_close};

static void start(wfix *f) {
  closes = close_code = messages = 0;
  wfix_open(f, NULL);
  gale_websocket_options o;
  gale_websocket_options_init(&o);
  o.max_frame_size = 4096;
  o.max_message_size = 8192;
  assert_int_equal(gale_web_app_add_websocket(f->app, "/ws", &cls, NULL, &o), GALE_OK);
  wfix_listen(f, NULL);
}

typedef struct bad_case {
  const char *name;
  int b0; /* first header byte */
  bool mask;
  const char *payload;
  size_t len;         /* payload bytes sent */
  uint64_t wire_len;  /* the length field (0: len) */
  const char *before; /* a first frame, masked text without FIN, or NULL */
  int code;           /* the close code expected */
} bad_case;

static const bad_case bad[] = {
    {"unmasked frame", 0x81, false, "hi", 2, 0, NULL, 1002},
    {"RSV1 without an extension", 0xC1, true, "hi", 2, 0, NULL, 1002},
    {"RSV2", 0xA1, true, "hi", 2, 0, NULL, 1002},
    {"RSV3", 0x91, true, "hi", 2, 0, NULL, 1002},
    {"opcode 3", 0x83, true, "hi", 2, 0, NULL, 1002},
    {"opcode 7", 0x87, true, "hi", 2, 0, NULL, 1002},
    {"opcode B", 0x8B, true, "hi", 2, 0, NULL, 1002},
    {"opcode F", 0x8F, true, "hi", 2, 0, NULL, 1002},
    {"fragmented ping", 0x09, true, "hi", 2, 0, NULL, 1002},
    {"ping of 126 bytes", 0x89, true, "", 0, 126, NULL, 1002},
    {"continuation first", 0x80, true, "hi", 2, 0, NULL, 1002},
    {"text inside a fragmented message", 0x81, true, "hi", 2, 0, "ab", 1002},
    {"binary inside a fragmented message", 0x82, true, "hi", 2, 0, "ab", 1002},
    {"64-bit length with the top bit", 0x82, true, "", 0, UINT64_C(1) << 63, NULL, 1002},
    {"close with one byte", 0x88, true, "\x03", 1, 0, NULL, 1002},
    {"close code 999", 0x88, true, "\x03\xe7", 2, 0, NULL, 1002},
    {"close code 1004", 0x88, true, "\x03\xec", 2, 0, NULL, 1002},
    {"close code 1005", 0x88, true, "\x03\xed", 2, 0, NULL, 1002},
    {"close code 1006", 0x88, true, "\x03\xee", 2, 0, NULL, 1002},
    {"close code 1015", 0x88, true, "\x03\xf7", 2, 0, NULL, 1002},
    {"close code 1016", 0x88, true, "\x03\xf8", 2, 0, NULL, 1002},
    {"close code 2999", 0x88, true, "\x0b\xb7", 2, 0, NULL, 1002},
    {"close code 5000", 0x88, true, "\x13\x88", 2, 0, NULL, 1002},
    {"close reason not UTF-8", 0x88, true, "\x03\xe8\xff", 3, 0, NULL, 1007},
    {"text not UTF-8", 0x81, true, "a\xff", 2, 0, NULL, 1007},
    {"overlong UTF-8", 0x81, true, "\xc0\xaf", 2, 0, NULL, 1007},
    {"text cut inside a character", 0x81, true, "a\xe2\x82", 3, 0, NULL, 1007},
    {"code point past U+10FFFF", 0x81, true, "\xf4\x90\x80\x80", 4, 0, NULL, 1007},
    {"frame over max_frame_size", 0x82, true, "", 0, 4097, NULL, 1009},
};

static void test_violations(void **state) {
  (void)state;
  wfix f;
  start(&f);
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    const bad_case *c = &bad[i];
    wsclient w;
    ws_open(&f, &w, "/ws", NULL);
    if (c->before) ws_send(&w, 0x1, false, c->before, strlen(c->before));
    ws_send_raw(&w, c->b0, c->mask, c->payload, c->wire_len ? c->wire_len : c->len, c->len);
    int code = ws_wait_close(&f, &w, NULL, 0);
    if (code != c->code) fail_msg("%s: close code %d, want %d", c->name, code, c->code);
    ws_wait_eof(&f, &w);
    TH_RUN_UNTIL(f.loop, closes == (int)i + 1, 5);
    if (close_code != c->code) fail_msg("%s: on_close got %d", c->name, close_code);
    ws_close(&w);
  }
  assert_int_equal(messages, 0);
  wfix_stop(&f);
}

/* Close codes a peer may send are echoed. */
static void test_valid_close_codes(void **state) {
  (void)state;
  wfix f;
  start(&f);
  static const int codes[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009,
                              1010, 1011, 1012, 1013, 1014, 3000, 4999};
  for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
    wsclient w;
    ws_open(&f, &w, "/ws", NULL);
    ws_send_close(&w, codes[i], "r\xc3\xa9");
    assert_int_equal(ws_wait_close(&f, &w, NULL, 0), codes[i]);
    ws_wait_eof(&f, &w);
    TH_RUN_UNTIL(f.loop, closes == (int)i + 1, 5);
    assert_int_equal(close_code, codes[i]);
    ws_close(&w);
  }
  wfix_stop(&f);
}

/* Odd but valid: a message of many one-byte fragments, control frames
 * between them, the limits met exactly, bytes trickling one at a time. */
static void test_valid_edges(void **state) {
  (void)state;
  wfix f;
  start(&f);
  wsclient w;
  ws_open(&f, &w, "/ws", NULL);
  const char *text = "\xf0\x9f\x98\x80 fragments";
  size_t n = strlen(text);
  for (size_t i = 0; i < n; i++) {
    ws_send(&w, i == 0 ? 0x1 : 0x0, i == n - 1, text + i, 1);
    if (i % 3 == 0) ws_send(&w, 0xA, true, "", 0); /* an unsolicited pong */
  }
  wsframe fr;
  ws_wait(&f, &w, &fr);
  assert_int_equal(fr.opcode, 0x1);
  assert_string_equal(fr.data, text);
  free(fr.data);
  /* A ping of exactly 125 bytes; a frame of exactly max_frame_size. */
  char big[4096];
  memset(big, 'z', sizeof(big));
  ws_send(&w, 0x9, true, big, 125);
  ws_wait(&f, &w, &fr);
  assert_int_equal(fr.opcode, 0xA);
  assert_int_equal(fr.len, 125);
  free(fr.data);
  ws_send(&w, 0x2, false, big, sizeof(big));
  ws_send(&w, 0x0, true, big, sizeof(big)); /* the message is 8192: the max */
  ws_wait(&f, &w, &fr);
  assert_int_equal(fr.len, 8192);
  free(fr.data);
  /* A frame sent one byte per write. */
  uint8_t frame[] = {0x81, 0x83, 1, 2, 3, 4, 'a' ^ 1, 'b' ^ 2, 'c' ^ 3};
  for (size_t i = 0; i < sizeof(frame); i++) {
    tc_sendn(&w.c, frame + i, 1);
    th_run_for(f.loop, 0.002);
  }
  ws_wait(&f, &w, &fr);
  assert_string_equal(fr.data, "abc");
  free(fr.data);
  /* Frames after the close are ignored. */
  ws_send_close(&w, 1000, "");
  ws_send(&w, 0x1, true, "after", 5);
  assert_int_equal(ws_wait_close(&f, &w, NULL, 0), 1000);
  ws_wait_eof(&f, &w);
  TH_RUN_UNTIL(f.loop, closes == 1, 5);
  assert_int_equal(messages, 3);
  ws_close(&w);
  wfix_stop(&f);
}

/* Many connections in flight, then garbage on all of them. */
static void test_garbage(void **state) {
  (void)state;
  wfix f;
  start(&f);
  wsclient w[8];
  for (int i = 0; i < 8; i++) ws_open(&f, &w[i], "/ws", NULL);
  for (int i = 0; i < 8; i++) {
    uint8_t junk[64];
    for (size_t k = 0; k < sizeof(junk); k++) junk[k] = (uint8_t)(k * 37 + (size_t)i * 11 + 0x80);
    tc_sendn(&w[i].c, junk, sizeof(junk));
  }
  TH_RUN_UNTIL(f.loop, closes == 8, 5);
  for (int i = 0; i < 8; i++) ws_close(&w[i]);
  wfix_stop(&f);
}

/* ---- permessage-deflate on the wire ------------------------------------------------ */

/* Raw deflate of n bytes of `c` flushed as RFC 7692 says, less 00 00 ff ff. */
static uint8_t *deflated(int c, size_t n, size_t *out_len) {
  z_stream z;
  memset(&z, 0, sizeof(z));
  assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
  uint8_t *in = malloc(n), *out = malloc(n / 100 + 1024);
  memset(in, c, n);
  z.next_in = in;
  z.avail_in = (uInt)n;
  z.next_out = out;
  z.avail_out = (uInt)(n / 100 + 1024);
  assert_int_equal(deflate(&z, Z_SYNC_FLUSH), Z_OK);
  *out_len = z.total_out - 4;
  deflateEnd(&z);
  free(in);
  return out;
}

static void test_deflate_wire(void **state) {
  (void)state;
  wfix f;
  closes = close_code = messages = 0;
  wfix_open(&f, NULL);
  gale_websocket_options o;
  gale_websocket_options_init(&o);
  o.compression.enabled = true;
  o.max_message_size = 1 << 20;
  assert_int_equal(gale_web_app_add_websocket(f.app, "/z", &cls, NULL, &o), GALE_OK);
  wfix_listen(&f, NULL);
  const char *offer = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";
  /* RFC 7692 §7.2.3.1's "Hello", echoed compressed (RSV1). */
  wsclient w;
  ws_open(&f, &w, "/z", offer);
  assert_non_null(strstr(w.c.buf, "Sec-WebSocket-Extensions: permessage-deflate"));
  ws_send_raw(&w, 0xC1, true, "\xf2\x48\xcd\xc9\xc9\x07\x00", 7, 7);
  wsframe fr;
  ws_wait(&f, &w, &fr);
  assert_true(fr.rsv1);
  assert_int_equal(fr.opcode, 0x1);
  free(fr.data);
  assert_int_equal(messages, 1);
  /* RSV1 on a continuation frame: 1002. */
  ws_send_raw(&w, 0x41, true, "\xf2\x48", 2, 2);
  ws_send_raw(&w, 0xC0, true, "\xcd", 1, 1);
  assert_int_equal(ws_wait_close(&f, &w, NULL, 0), 1002);
  ws_close(&w);
  TH_RUN_UNTIL(f.loop, closes == 1, 5);
  /* A deflate bomb: 8 MiB of zeros in a few KB, past the 1 MiB limit: 1009. */
  size_t n;
  uint8_t *bomb = deflated(0, 8u << 20, &n);
  ws_open(&f, &w, "/z", offer);
  ws_send_raw(&w, 0xC2, true, bomb, n, n);
  free(bomb);
  assert_int_equal(ws_wait_close(&f, &w, NULL, 0), 1009);
  ws_close(&w);
  TH_RUN_UNTIL(f.loop, closes == 2, 5);
  assert_int_equal(close_code, 1009);
  /* Corrupt compressed data: 1007. */
  ws_open(&f, &w, "/z", offer);
  ws_send_raw(&w, 0xC2, true, "\xff\xff\xff\xff", 4, 4);
  assert_int_equal(ws_wait_close(&f, &w, NULL, 0), 1007);
  ws_close(&w);
  TH_RUN_UNTIL(f.loop, closes == 3, 5);
  /* Compressed text that inflates to bad UTF-8: 1007. */
  uint8_t *junk = deflated(0xff, 10, &n);
  ws_open(&f, &w, "/z", offer);
  ws_send_raw(&w, 0xC1, true, junk, n, n);
  free(junk);
  assert_int_equal(ws_wait_close(&f, &w, NULL, 0), 1007);
  ws_close(&w);
  TH_RUN_UNTIL(f.loop, closes == 4, 5);
  /* No offer: no extension, and RSV1 is a protocol error. */
  ws_open(&f, &w, "/z", NULL);
  assert_null(strstr(w.c.buf, "Sec-WebSocket-Extensions"));
  ws_send_raw(&w, 0xC1, true, "\xf2\x48\xcd\xc9\xc9\x07\x00", 7, 7);
  assert_int_equal(ws_wait_close(&f, &w, NULL, 0), 1002);
  ws_close(&w);
  TH_RUN_UNTIL(f.loop, closes == 5, 5);
  wfix_stop(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_violations),   cmocka_unit_test(test_valid_close_codes),
      cmocka_unit_test(test_valid_edges),  cmocka_unit_test(test_garbage),
      cmocka_unit_test(test_deflate_wire),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
