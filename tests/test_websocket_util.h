/* SPDX-License-Identifier: MIT */
/* The WebSocket tests' raw client: a handshake over a tclient socket
 * (test_http_server_util.h), handcrafted frames (masked or not, any bits),
 * and a reader of the server's frames from the client's buffer. */
#ifndef GALE_TEST_WEBSOCKET_UTIL_H
#define GALE_TEST_WEBSOCKET_UTIL_H

#include "gale/websocket.h"
#include "test_web_util.h"

#define WS_KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define WS_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" /* RFC 6455 §1.3 */

typedef struct wsclient {
  tclient c;
  size_t off; /* frames before this were read */
} wsclient;

typedef struct wsframe {
  int opcode;
  bool fin, rsv1, masked;
  char *data; /* malloc'd, NUL-terminated */
  size_t len;
} wsframe;

/* A handshake request for `path` with the default headers and `extra`
 * lines (each ending in CRLF; may be NULL). */
static inline void ws_request(char *out, size_t cap, const char *path, const char *extra) {
  snprintf(out, cap,
           "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
           "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: " WS_KEY "\r\n"
           "Sec-WebSocket-Version: 13\r\n%s\r\n",
           path, extra ? extra : "");
}

/* Opens and upgrades; asserts the 101 and its accept key. */
static inline void ws_open(wfix *f, wsclient *w, const char *path, const char *extra) {
  char raw[2048];
  ws_request(raw, sizeof(raw), path, extra);
  memset(w, 0, sizeof(*w));
  tc_open(&w->c, f->port);
  tc_send(&w->c, raw);
  TH_RUN_UNTIL(f->loop, (tc_poll(&w->c), strstr(w->c.buf, "\r\n\r\n") != NULL || w->c.eof), 5);
  char *end = strstr(w->c.buf, "\r\n\r\n");
  assert_non_null(end);
  assert_memory_equal(w->c.buf, "HTTP/1.1 101 ", 13);
  assert_non_null(strstr(w->c.buf, "Sec-WebSocket-Accept: " WS_ACCEPT "\r\n"));
  w->off = (size_t)(end + 4 - w->c.buf);
}

/* Sends one frame with every bit chosen by the caller. */
static inline void ws_send_raw(wsclient *w, int b0, bool mask, const void *data, uint64_t len,
                               size_t send_len) {
  uint8_t head[14], key[4] = {0x12, 0x34, 0x56, 0x78};
  size_t n = 0;
  head[n++] = (uint8_t)b0;
  uint8_t m = mask ? 0x80 : 0;
  if (len < 126) {
    head[n++] = (uint8_t)(m | len);
  } else if (len <= 0xFFFF) {
    head[n++] = m | 126;
    head[n++] = (uint8_t)(len >> 8);
    head[n++] = (uint8_t)len;
  } else {
    head[n++] = m | 127;
    for (int s = 56; s >= 0; s -= 8) head[n++] = (uint8_t)(len >> s);
  }
  if (mask) {
    memcpy(head + n, key, 4);
    n += 4;
  }
  tc_sendn(&w->c, head, n);
  if (!send_len) return;
  uint8_t *p = malloc(send_len);
  memcpy(p, data, send_len);
  if (mask)
    for (size_t i = 0; i < send_len; i++) p[i] ^= key[i & 3];
  tc_sendn(&w->c, p, send_len);
  free(p);
}

/* A masked frame as a client sends it. */
static inline void ws_send(wsclient *w, int opcode, bool fin, const void *data, size_t len) {
  ws_send_raw(w, (fin ? 0x80 : 0) | opcode, true, data, len, len);
}

static inline void ws_send_close(wsclient *w, int code, const char *reason) {
  char p[128];
  size_t n = 0;
  if (code) {
    p[0] = (char)(code >> 8);
    p[1] = (char)code;
    n = 2 + strlen(reason);
    memcpy(p + 2, reason, strlen(reason));
  }
  ws_send(w, 0x8, true, p, n);
}

/* Parses the next frame from the buffer; false when incomplete. */
static inline bool ws_next(wsclient *w, wsframe *fr) {
  tc_poll(&w->c);
  const uint8_t *p = (const uint8_t *)w->c.buf + w->off;
  size_t avail = w->c.len - w->off, need = 2;
  if (avail < 2) return false;
  uint64_t len = p[1] & 0x7F;
  if (len == 126) need += 2;
  if (len == 127) need += 8;
  bool masked = p[1] & 0x80;
  if (masked) need += 4;
  if (avail < need) return false;
  if (len == 126) len = (uint64_t)p[2] << 8 | p[3];
  if (len == 127) {
    len = 0;
    for (int i = 0; i < 8; i++) len = len << 8 | p[2 + i];
  }
  if (avail - need < len) return false;
  fr->opcode = p[0] & 0x0F;
  fr->fin = p[0] & 0x80;
  fr->rsv1 = p[0] & 0x40;
  fr->masked = masked;
  fr->len = (size_t)len;
  fr->data = malloc(fr->len + 1);
  memcpy(fr->data, p + need, fr->len);
  fr->data[fr->len] = '\0';
  w->off += need + fr->len;
  return true;
}

/* Runs the loop until the next frame arrives; asserts it does. */
static inline void ws_wait(wfix *f, wsclient *w, wsframe *fr) {
  bool got = false; /* TH_RUN_UNTIL evaluates its condition once more */
  TH_RUN_UNTIL(f->loop, got || (got = ws_next(w, fr)), 5);
}

/* Waits for a close frame and returns its code (1005 when empty). */
static inline int ws_wait_close(wfix *f, wsclient *w, char *reason, size_t cap) {
  wsframe fr = {0};
  for (;;) {
    ws_wait(f, w, &fr);
    if (fr.opcode == 0x8) break;
    free(fr.data);
  }
  int code = fr.len >= 2 ? ((uint8_t)fr.data[0] << 8 | (uint8_t)fr.data[1]) : 1005;
  if (reason) snprintf(reason, cap, "%s", fr.len > 2 ? fr.data + 2 : "");
  assert_false(fr.masked);
  free(fr.data);
  return code;
}

/* Waits until the server closed the TCP connection. */
static inline void ws_wait_eof(wfix *f, wsclient *w) {
  TH_RUN_UNTIL(f->loop, (tc_poll(&w->c), w->c.eof), 5);
}

static inline void ws_close(wsclient *w) { tc_close(&w->c); }

#endif
