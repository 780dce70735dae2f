/* SPDX-License-Identifier: MIT */
/* The WebSocket client against a scripted raw TCP server: every answer
 * RFC 6455 §4.1 tells a client to refuse (wrong accept key, no Upgrade or
 * Connection, a subprotocol or extension not offered), a non-101 status, a
 * server closing in the middle of its answer, a silent server (the connect
 * timeout), and a good 101 followed at once, in the same write, by a
 * fragmented message with a ping inside it: frames after the head are
 * parsed, and what the client sends back is masked. */
#include <errno.h>
#include <unistd.h>

#include "http/websocket/ws_handshake.h"
#include "test_websocket_util.h"

typedef enum mode {
  GOOD,
  WRONG_ACCEPT,
  NO_UPGRADE,
  NO_CONNECTION,
  OTHER_PROTOCOL,
  EXTENSION,
  STATUS_500,
  CLOSE_MID,
  SILENT,
  MASKED_FRAME,
  DEFLATE_CORRUPT,   /* permessage-deflate agreed, then a corrupt message */
  DEFLATE_BAD_UTF8,  /* ... a compressed text message that is not UTF-8 */
  RSV1_UNNEGOTIATED, /* a compressed frame without the extension */
  FOLDED,            /* good, with Sec-WebSocket-Accept folded (obs-fold) */
  SPLIT_LISTS,       /* good, Connection and Upgrade as lists over two fields */
  INTERIM,           /* good, after a 100 Continue */
  TWO_ACCEPTS,       /* Sec-WebSocket-Accept twice */
  HTTP10,            /* "HTTP/1.0 101" */
  NOT_HTTP,          /* a status line that is not one */
  STATUS_404,        /* 404 Not Found */
} mode;

typedef struct raw {
  gale_loop *loop;
  int lfd, port, fd;
  gale_watcher *lw, *cw;
  mode mode;
  char buf[8192];
  size_t len;
  bool answered;
} raw;

static void answer(raw *r) {
  char key[64] = "", accept[29] = "", out[1024];
  const char *k = strstr(r->buf, "Sec-WebSocket-Key: ");
  assert_non_null(k);
  sscanf(k + 19, "%63[^\r]", key);
  assert_true(gale__ws_key_valid(key));
  assert_int_equal(gale__ws_accept_key(key, accept), GALE_OK);
  const char *up = r->mode == NO_UPGRADE ? "" : "Upgrade: websocket\r\n";
  const char *conn = r->mode == NO_CONNECTION ? "" : "Connection: Upgrade\r\n";
  bool deflate = r->mode == DEFLATE_CORRUPT || r->mode == DEFLATE_BAD_UTF8;
  const char *extra = r->mode == OTHER_PROTOCOL ? "Sec-WebSocket-Protocol: other\r\n"
                      : r->mode == EXTENSION    ? "Sec-WebSocket-Extensions: x-foo\r\n"
                      : deflate                 ? "Sec-WebSocket-Extensions: permessage-deflate\r\n"
                                                : "";
  snprintf(out, sizeof(out),
           "HTTP/1.1 101 Switching Protocols\r\n%s%sSec-WebSocket-Accept: %s\r\n%s\r\n", up, conn,
           r->mode == WRONG_ACCEPT ? "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" : accept, extra);
  if (r->mode == FOLDED)
    snprintf(out, sizeof(out),
             "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Accept:\r\n %s\r\n\r\n",
             accept);
  if (r->mode == SPLIT_LISTS)
    snprintf(out, sizeof(out),
             "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nUpgrade: WebSocket\r\n"
             "Connection: keep-alive\r\nConnection: x, UPGRADE\r\n"
             "Sec-WebSocket-Accept: %s\r\n\r\n",
             accept);
  if (r->mode == INTERIM)
    snprintf(out, sizeof(out),
             "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 101 Switching Protocols\r\n"
             "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
             accept);
  if (r->mode == TWO_ACCEPTS)
    snprintf(out, sizeof(out),
             "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Accept: %s\r\n\r\n",
             accept, accept);
  if (r->mode == HTTP10)
    snprintf(out, sizeof(out),
             "HTTP/1.0 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Accept: %s\r\n\r\n",
             accept);
  if (r->mode == NOT_HTTP) snprintf(out, sizeof(out), "HTTP/1.1 1o1 Switching\r\n\r\n");
  if (r->mode == STATUS_404)
    snprintf(out, sizeof(out), "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  if (r->mode == STATUS_500)
    snprintf(out, sizeof(out), "HTTP/1.1 500 Oops\r\nContent-Length: 2\r\n\r\nno");
  if (r->mode == CLOSE_MID) snprintf(out, sizeof(out), "HTTP/1.1 101 Switch");
  size_t n = strlen(out);
  if (r->mode == GOOD) { /* "hel" + ping "p" + "lo", unmasked, right after the head */
    static const char frames[] = "\x01\x03hel\x89\x01p\x80\x02lo";
    memcpy(out + n, frames, sizeof(frames) - 1);
    n += sizeof(frames) - 1;
  }
  if (r->mode == MASKED_FRAME) { /* a server must not mask */
    static const char frame[] = "\x81\x81\x01\x02\x03\x04\x60";
    memcpy(out + n, frame, sizeof(frame) - 1);
    n += sizeof(frame) - 1;
  }
  /* 0xC1: fin, rsv1, text.  ff ff ff is no deflate block; 6a 00 00 is
   * raw deflate of the single byte 0x80, less its 00 00 ff ff (not UTF-8 on its own). */
  static const char corrupt[] = "\xc1\x03\xff\xff\xff", bad_utf8[] = "\xc1\x03\x6a\x00\x00";
  const char *tail = r->mode == DEFLATE_CORRUPT || r->mode == RSV1_UNNEGOTIATED ? corrupt
                     : r->mode == DEFLATE_BAD_UTF8                              ? bad_utf8
                                                                                : NULL;
  if (tail) {
    memcpy(out + n, tail, 5);
    n += 5;
  }
  th_write_all(r->fd, out, n);
  if (r->mode == CLOSE_MID) {
    gale_watcher_free(r->cw);
    r->cw = NULL;
    close(r->fd);
    r->fd = -1;
  }
}

static void on_conn(gale_watcher *w, int fd, int events, void *arg) {
  (void)w;
  (void)events;
  raw *r = arg;
  ssize_t n = read(fd, r->buf + r->len, sizeof(r->buf) - 1 - r->len);
  if (n <= 0) return;
  r->len += (size_t)n;
  r->buf[r->len] = '\0';
  if (r->answered || !strstr(r->buf, "\r\n\r\n")) return;
  r->answered = true;
  if (r->mode != SILENT) answer(r);
}

static void on_accept(gale_watcher *w, int fd, int events, void *arg) {
  (void)w;
  (void)events;
  raw *r = arg;
  int c = accept(fd, NULL, NULL);
  if (c < 0) return;
  assert_int_equal(r->fd, -1);
  r->fd = c;
  assert_int_equal(gale_watcher_new(r->loop, c, GALE_READ, on_conn, r, &r->cw), GALE_OK);
}

static void raw_start(raw *r, gale_loop *loop, mode m) {
  memset(r, 0, sizeof(*r));
  r->loop = loop;
  r->mode = m;
  r->fd = -1;
  r->lfd = th_listen(&r->port);
  assert_int_equal(gale_watcher_new(loop, r->lfd, GALE_READ, on_accept, r, &r->lw), GALE_OK);
}

static void raw_stop(raw *r) {
  if (r->cw) gale_watcher_free(r->cw);
  if (r->fd >= 0) close(r->fd);
  gale_watcher_free(r->lw);
  close(r->lfd);
}

static int got_messages, got_closes, got_close_code;
static char got[64];

static void on_message(gale_websocket *ws, const char *data, size_t len, bool binary) {
  (void)ws;
  (void)binary;
  got_messages++;
  snprintf(got, sizeof(got), "%.*s", (int)len, data);
}

static void on_close(gale_websocket *ws, int code, const char *reason) {
  (void)ws;
  (void)reason;
  got_closes++;
  got_close_code = code;
}

/* One connect to a server in mode `m`: the future's status (the
 * connection, if any, in *fut). */
static int try_mode(gale_loop *loop, raw *r, mode m, gale_websocket_connect_options *o,
                    gale_future **fut) {
  raw_start(r, loop, m);
  char url[64];
  snprintf(url, sizeof(url), "ws://127.0.0.1:%d/chat?x=1", r->port);
  int st = 0;
  *fut = gale_websocket_connect(loop, url, o, &st);
  assert_non_null(*fut);
  TH_RUN_UNTIL(loop, gale_future_done(*fut), 5);
  assert_non_null(strstr(r->buf, "GET /chat?x=1 HTTP/1.1\r\n"));
  return gale_future_status(*fut);
}

static gale_websocket_connect_info last_info;

static void expect_failure(mode m, bool compression, int status) {
  int fds = th_count_fds();
  gale_loop *loop = gale_loop_new();
  gale_websocket_connect_options o;
  gale_websocket_connect_options_init(&o);
  const char *protos[] = {"chat", NULL};
  o.subprotocols = protos;
  o.ws.compression.enabled = compression;
  o.request_timeout = m == SILENT ? 0.3 : 5;
  o.info = &last_info;
  raw r;
  gale_future *fut;
  int st = try_mode(loop, &r, m, &o, &fut);
  if (st != status)
    fail_msg("mode %d: %s, wanted %s", (int)m, gale_strerror(st), gale_strerror(status));
  assert_null(gale_future_result(fut));
  gale_future_unref(fut);
  raw_stop(&r);
  th_run_for(loop, 0.02);
  gale_loop_free(loop);
  assert_int_equal(th_count_fds(), fds);
}

static void test_refused_answers(void **state) {
  (void)state;
  /* A 101 that breaks RFC 6455 §4.1: GALE_EWS_HANDSHAKE. */
  expect_failure(WRONG_ACCEPT, false, GALE_EWS_HANDSHAKE);
  expect_failure(NO_UPGRADE, false, GALE_EWS_HANDSHAKE);
  expect_failure(NO_CONNECTION, false, GALE_EWS_HANDSHAKE);
  expect_failure(OTHER_PROTOCOL, false, GALE_EWS_HANDSHAKE);
  expect_failure(EXTENSION, false, GALE_EWS_HANDSHAKE);
  expect_failure(EXTENSION, true, GALE_EWS_HANDSHAKE);
  expect_failure(TWO_ACCEPTS, false, GALE_EWS_HANDSHAKE);
  expect_failure(HTTP10, false, GALE_EWS_HANDSHAKE);
  expect_failure(NOT_HTTP, false, GALE_EHTTP_PARSE);
  /* Not 101: refused, with the status and reason in the info. */
  expect_failure(STATUS_500, false, GALE_EWS_REFUSED);
  assert_int_equal(last_info.http_status, 500);
  assert_string_equal(last_info.reason, "Oops");
  expect_failure(STATUS_404, false, GALE_EWS_REFUSED);
  assert_int_equal(last_info.http_status, 404);
  assert_non_null(strstr(last_info.error, "404 Not Found instead of 101"));
  expect_failure(CLOSE_MID, false, GALE_EHTTP_HEAD_TRUNCATED);
  assert_non_null(strstr(last_info.error, "in the middle of its answer"));
  expect_failure(SILENT, false, GALE_ETIMEDOUT_REQUEST);
}

static void test_frames_after_head(void **state) {
  (void)state;
  int fds = th_count_fds();
  gale_loop *loop = gale_loop_new();
  gale_websocket_connect_options o;
  gale_websocket_connect_options_init(&o);
  o.on_message = on_message;
  o.on_close = on_close;
  got_messages = got_closes = 0;
  raw r;
  gale_future *fut;
  assert_int_equal(try_mode(loop, &r, GOOD, &o, &fut), GALE_OK);
  TH_RUN_UNTIL(loop, got_messages == 1, 5);
  assert_string_equal(got, "hello");
  /* The pong went back masked: 0x8A, mask bit, length 1, a key, "p" masked. */
  size_t head = (size_t)(strstr(r.buf, "\r\n\r\n") + 4 - r.buf);
  TH_RUN_UNTIL(loop, r.len >= head + 7, 5);
  const uint8_t *p = (const uint8_t *)r.buf + head;
  assert_int_equal(p[0], 0x8A);
  assert_int_equal(p[1], 0x81);
  assert_int_equal(p[6] ^ p[2], 'p');
  /* The server closes the TCP connection: 1006. */
  gale_watcher_free(r.cw);
  r.cw = NULL;
  close(r.fd);
  r.fd = -1;
  TH_RUN_UNTIL(loop, got_closes == 1, 5);
  assert_int_equal(got_close_code, 1006);
  gale_future_unref(fut);
  raw_stop(&r);
  gale_loop_free(loop);
  assert_int_equal(th_count_fds(), fds);
}

static void fails_with(mode m, int code);

/* Answers a strict client must still take: a folded field, Upgrade and
 * Connection as lists over several fields, a 1xx before the 101. */
static void test_lenient_answers(void **state) {
  (void)state;
  static const mode ok[] = {FOLDED, SPLIT_LISTS, INTERIM};
  for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    gale_loop *loop = gale_loop_new();
    gale_websocket_connect_options o;
    gale_websocket_connect_options_init(&o);
    gale_websocket_connect_info info;
    o.info = &info;
    o.ws.close_timeout = 0.2;
    raw r;
    gale_future *fut;
    int st = try_mode(loop, &r, ok[i], &o, &fut);
    if (st != GALE_OK) fail_msg("mode %d: %s (%s)", (int)ok[i], gale_strerror(st), info.error);
    assert_int_equal(info.http_status, 101);
    assert_string_equal(info.error, "");
    gale_future_unref(fut);
    raw_stop(&r);
    th_run_for(loop, 0.02);
    gale_loop_free(loop);
  }
}

static void test_masked_server_frame(void **state) {
  (void)state;
  fails_with(MASKED_FRAME, 1002);
  fails_with(DEFLATE_CORRUPT, 1007);
  fails_with(DEFLATE_BAD_UTF8, 1007);
  fails_with(RSV1_UNNEGOTIATED, 1002);
}

/* A good handshake, then a frame the client must fail the connection
 * for with `code`. */
static void fails_with(mode m, int code) {
  gale_loop *loop = gale_loop_new();
  gale_websocket_connect_options o;
  gale_websocket_connect_options_init(&o);
  o.on_message = on_message;
  o.on_close = on_close;
  o.ws.close_timeout = 0.2; /* the raw server never closes */
  o.ws.compression.enabled = m == DEFLATE_CORRUPT || m == DEFLATE_BAD_UTF8;
  got_messages = got_closes = 0;
  raw r;
  gale_future *fut;
  assert_int_equal(try_mode(loop, &r, m, &o, &fut), GALE_OK);
  assert_int_equal(gale_websocket_compressed(gale_future_result(fut)), o.ws.compression.enabled);
  TH_RUN_UNTIL(loop, got_closes == 1, 5);
  assert_int_equal(got_close_code, code);
  assert_int_equal(got_messages, 0);
  gale_future_unref(fut);
  raw_stop(&r);
  gale_loop_free(loop);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_refused_answers), cmocka_unit_test(test_lenient_answers),
      cmocka_unit_test(test_frames_after_head),
      cmocka_unit_test(test_masked_server_frame), /* and the compression failures */
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
