/* SPDX-License-Identifier: MIT */
/* The WebSocket server: the handshake's answers (101 and every refusal),
 * echo of text and binary, fragments, ping/pong, the closing handshake in
 * both directions, timeouts, limits, back-pressure, peers vanishing, the
 * server, app and loop freed with connections open, and a coroutine
 * reading with read_message.  Frames are handcrafted by a raw client. */
#include "test_websocket_util.h"

static int opens, closes, messages, pings, pongs;
static int close_code;
static char close_reason[128];
static char seen_arg[64], seen_header[64], seen_cookie[64];
static gale_websocket *last_ws;
static int write_rc;

static void reset(void) {
  opens = closes = messages = pings = pongs = close_code = 0;
  close_reason[0] = seen_arg[0] = seen_header[0] = seen_cookie[0] = '\0';
  last_ws = NULL;
  write_rc = 0;
}

static void on_open(gale_websocket *ws, gale_web_handler *h) {
  opens++;
  last_ws = ws;
  const char *a = gale_web_path_arg(h, 0);
  snprintf(seen_arg, sizeof(seen_arg), "%s", a ? a : "");
  const char *v = gale_web_header(h, "X-Test");
  snprintf(seen_header, sizeof(seen_header), "%s", v ? v : "");
  snprintf(seen_cookie, sizeof(seen_cookie), "%s", gale_web_get_cookie(h, "c", ""));
  assert_true(gale_websocket_is_server(ws));
}

static void echo(gale_websocket *ws, const char *data, size_t len, bool binary) {
  messages++;
  assert_int_equal(data[len], '\0');
  gale_websocket_write_message(ws, data, len, binary, NULL);
}

static void on_ping(gale_websocket *ws, const char *data, size_t len) {
  (void)ws;
  (void)data;
  (void)len;
  pings++;
}

static char pong_data[128];

static void on_pong(gale_websocket *ws, const char *data, size_t len) {
  (void)ws;
  assert_int_equal(data[len], '\0');
  snprintf(pong_data, sizeof(pong_data), "%s", data);
  pongs++;
}

static void on_close(gale_websocket *ws, int code, const char *reason) {
  assert_true(gale_websocket_closed(ws));
  closes++;
  close_code = code;
  snprintf(close_reason, sizeof(close_reason), "%s", reason);
  if (last_ws == ws) last_ws = NULL;
}

static void deny_prepare(gale_web_handler *h) {
  if (strcmp(gale_web_get_argument(h, "user", ""), "ok") != 0) gale_web_send_error(h, 403);
  gale_web_set_cookie(h, "seen", "1", NULL);
}

static const char *pick_chat(gale_web_handler *h, const char *const *offered, size_t n) {
  (void)h;
  for (size_t i = 0; i < n; i++)
    if (strcmp(offered[i], "chat") == 0) return offered[i];
  return NULL;
}

static const gale_websocket_class echo_class = {
    .name = "Echo",
    .open = on_open,
    .on_message = echo,
    .on_ping = on_ping,
    .on_pong = on_pong,
    .on_close = on_close,
    .prepare = deny_prepare,
    .select_subprotocol = pick_chat,
};

static void start(wfix *f, const gale_websocket_options *o) {
  reset();
  wfix_open(f, NULL);
  assert_int_equal(gale_web_app_add_websocket(f->app, "/ws/([a-z]*)", &echo_class, NULL, o),
                   GALE_OK);
  wfix_listen(f, NULL);
}

/* ---- handshake ------------------------------------------------------------------ */

static void test_handshake_ok(void **state) {
  (void)state;
  wfix f;
  start(&f, NULL);
  wsclient w;
  ws_open(&f, &w, "/ws/room?user=ok",
          "X-Test: yes\r\nCookie: c=choc\r\nSec-WebSocket-Protocol: soap, chat\r\n"
          "Sec-WebSocket-Extensions: permessage-deflate\r\n");
  assert_int_equal(opens, 1);
  assert_string_equal(seen_arg, "room");
  assert_string_equal(seen_header, "yes");
  assert_string_equal(seen_cookie, "choc");
  assert_non_null(strstr(w.c.buf, "Sec-WebSocket-Protocol: chat\r\n"));
  assert_non_null(strstr(w.c.buf, "Set-Cookie: seen=1"));
  assert_null(strstr(w.c.buf, "Sec-WebSocket-Extensions")); /* declined */
  assert_string_equal(gale_websocket_subprotocol(last_ws), "chat");
  /* No longer an HTTP connection. */
  TH_RUN_UNTIL(f.loop, gale_http_server_connection_count(f.server) == 0, 5);
  ws_close(&w);
  TH_RUN_UNTIL(f.loop, closes == 1, 5);
  assert_int_equal(close_code, 1006);
  wfix_stop(&f);
}

/* One refused handshake: status and, when given, a header line. */
static void refused(wfix *f, const char *raw, int status, const char *line) {
  tresp r;
  wfix_fetch(f, raw, &r);
  assert_int_equal(r.status, status);
  if (line) assert_non_null(strstr(r.head, line));
  tresp_free(&r);
}

static void test_handshake_refused(void **state) {
  (void)state;
  wfix f;
  start(&f, NULL);
  char raw[2048];
  ws_request(raw, sizeof(raw), "/ws/a?user=no", NULL);
  refused(&f, raw, 403, NULL); /* prepare */
  ws_request(raw, sizeof(raw), "/ws/a?user=ok", "Origin: http://evil.example\r\n");
  refused(&f, raw, 403, NULL);
  ws_request(raw, sizeof(raw), "/ws/a?user=ok", "Origin: null\r\n");
  refused(&f, raw, 403, NULL);
  refused(&f,
          "GET /ws/a?user=ok HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
          "Connection: Upgrade\r\nSec-WebSocket-Key: " WS_KEY "\r\n"
          "Sec-WebSocket-Version: 8\r\n\r\n",
          426, "Sec-WebSocket-Version: 13\r\n");
  refused(&f,
          "GET /ws/a?user=ok HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
          "Connection: Upgrade\r\nSec-WebSocket-Key: " WS_KEY "\r\n\r\n",
          426, NULL);
  refused(&f,
          "GET /ws/a?user=ok HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
          "Connection: Upgrade\r\nSec-WebSocket-Key: c2hvcnQ=\r\n"
          "Sec-WebSocket-Version: 13\r\n\r\n",
          400, NULL);
  refused(&f,
          "GET /ws/a?user=ok HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
          "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",
          400, NULL);
  refused(&f,
          "GET /ws/a?user=ok HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Key: " WS_KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n",
          400, NULL);
  refused(&f,
          "GET /ws/a?user=ok HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
          "Connection: keep-alive\r\nSec-WebSocket-Key: " WS_KEY "\r\n"
          "Sec-WebSocket-Version: 13\r\n\r\n",
          400, NULL);
  refused(&f,
          "GET /ws/a?user=ok HTTP/1.0\r\nHost: h\r\nUpgrade: websocket\r\n"
          "Connection: Upgrade\r\nSec-WebSocket-Key: " WS_KEY "\r\n"
          "Sec-WebSocket-Version: 13\r\n\r\n",
          400, NULL);
  refused(&f,
          "POST /ws/a?user=ok HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
          "Connection: Upgrade\r\nSec-WebSocket-Key: " WS_KEY "\r\n"
          "Sec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n",
          405, NULL);
  refused(&f,
          "HEAD /ws/a?user=ok HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
          "Connection: Upgrade\r\nSec-WebSocket-Key: " WS_KEY "\r\n"
          "Sec-WebSocket-Version: 13\r\n\r\n",
          405, NULL);
  assert_int_equal(opens, 0);
  /* Same origin (host and port as in Host), case-insensitive: accepted. */
  wsclient w;
  ws_open(&f, &w, "/ws/a?user=ok", "Origin: HTTP://127.0.0.1\r\n");
  assert_int_equal(opens, 1);
  ws_close(&w);
  TH_RUN_UNTIL(f.loop, closes == 1, 5);
  wfix_stop(&f);
}

/* ---- messages ----------------------------------------------------------------------- */

static void test_echo_text_binary_fragments(void **state) {
  (void)state;
  wfix f;
  start(&f, NULL);
  wsclient w;
  ws_open(&f, &w, "/ws/x?user=ok", NULL);
  wsframe fr;
  ws_send(&w, 0x1, true, "h\xc3\xa9llo", 6);
  ws_wait(&f, &w, &fr);
  assert_int_equal(fr.opcode, 0x1);
  assert_true(fr.fin);
  assert_false(fr.masked);
  assert_string_equal(fr.data, "h\xc3\xa9llo");
  free(fr.data);
  uint8_t bin[300];
  for (size_t i = 0; i < sizeof(bin); i++) bin[i] = (uint8_t)i;
  ws_send(&w, 0x2, true, bin, sizeof(bin));
  ws_wait(&f, &w, &fr);
  assert_int_equal(fr.opcode, 0x2);
  assert_int_equal(fr.len, sizeof(bin));
  assert_memory_equal(fr.data, bin, sizeof(bin));
  free(fr.data);
  /* Three fragments, a UTF-8 character split across two, a ping between. */
  ws_send(&w, 0x1, false, "ab\xc3", 3);
  ws_send(&w, 0x9, true, "p", 1);
  ws_send(&w, 0x0, false, "\xa9", 1);
  ws_send(&w, 0x0, true, "cd", 2);
  ws_wait(&f, &w, &fr);
  assert_int_equal(fr.opcode, 0xA); /* the pong first */
  assert_string_equal(fr.data, "p");
  free(fr.data);
  ws_wait(&f, &w, &fr);
  assert_int_equal(fr.opcode, 0x1);
  assert_string_equal(fr.data, "ab\xc3\xa9"
                               "cd");
  free(fr.data);
  /* An empty message. */
  ws_send(&w, 0x1, true, "", 0);
  ws_wait(&f, &w, &fr);
  assert_int_equal(fr.len, 0);
  free(fr.data);
  assert_int_equal(messages, 4);
  assert_int_equal(pings, 1);
  /* Writing: text must be UTF-8; limits on ping payloads. */
  assert_int_equal(gale_websocket_write_message(last_ws, "\xff", 1, false, NULL), GALE_EINVAL);
  char big[126] = {0};
  assert_int_equal(gale_websocket_ping(last_ws, big, sizeof(big)), GALE_EINVAL);
  assert_int_equal(gale_websocket_close(last_ws, 1005, NULL), GALE_EINVAL);
  assert_int_equal(gale_websocket_close(last_ws, 1000, "\xff"), GALE_EINVAL);
  /* A flush future resolves. */
  gale_future *flushed = NULL;
  assert_int_equal(gale_websocket_write_message(last_ws, "x", 1, true, &flushed), GALE_OK);
  TH_RUN_UNTIL(f.loop, gale_future_done(flushed), 5);
  assert_int_equal(gale_future_status(flushed), GALE_OK);
  gale_future_unref(flushed);
  ws_close(&w);
  TH_RUN_UNTIL(f.loop, closes == 1, 5);
  wfix_stop(&f);
}

static void test_ping_pong(void **state) {
  (void)state;
  wfix f;
  start(&f, NULL);
  wsclient w;
  ws_open(&f, &w, "/ws/x?user=ok", NULL);
  wsframe fr;
  ws_send(&w, 0x9, true, "hello", 5);
  ws_wait(&f, &w, &fr);
  assert_int_equal(fr.opcode, 0xA);
  assert_string_equal(fr.data, "hello");
  free(fr.data);
  assert_int_equal(pings, 1);
  assert_int_equal(gale_websocket_ping(last_ws, "beat", 4), GALE_OK);
  ws_wait(&f, &w, &fr);
  assert_int_equal(fr.opcode, 0x9);
  assert_string_equal(fr.data, "beat");
  free(fr.data);
  ws_send(&w, 0xA, true, "beat", 4);
  TH_RUN_UNTIL(f.loop, pongs == 1, 5);
  assert_string_equal(pong_data, "beat");
  ws_close(&w);
  TH_RUN_UNTIL(f.loop, closes == 1, 5);
  wfix_stop(&f);
}

/* ---- closing -------------------------------------------------------------------------- */

static void test_close_from_client(void **state) {
  (void)state;
  wfix f;
  start(&f, NULL);
  wsclient w;
  ws_open(&f, &w, "/ws/x?user=ok", NULL);
  ws_send_close(&w, 4001, "bye");
  char reason[64];
  assert_int_equal(ws_wait_close(&f, &w, reason, sizeof(reason)), 4001); /* echoed */
  ws_wait_eof(&f, &w); /* the server closes the TCP connection */
  TH_RUN_UNTIL(f.loop, closes == 1, 5);
  assert_int_equal(close_code, 4001);
  assert_string_equal(close_reason, "bye");
  ws_close(&w);
  /* An empty close frame: 1005 reported, an empty close answered. */
  ws_open(&f, &w, "/ws/x?user=ok", NULL);
  ws_send_close(&w, 0, "");
  assert_int_equal(ws_wait_close(&f, &w, NULL, 0), 1005);
  ws_wait_eof(&f, &w);
  TH_RUN_UNTIL(f.loop, closes == 2, 5);
  assert_int_equal(close_code, 1005);
  ws_close(&w);
  wfix_stop(&f);
}

static void test_close_from_server(void **state) {
  (void)state;
  wfix f;
  start(&f, NULL);
  wsclient w;
  ws_open(&f, &w, "/ws/x?user=ok", NULL);
  assert_int_equal(gale_websocket_close(last_ws, 4000, "done"), GALE_OK);
  assert_true(gale_websocket_closing(last_ws));
  assert_int_equal(gale_websocket_write_message(last_ws, "x", 1, false, NULL), GALE_ECLOSED);
  assert_int_equal(gale_websocket_close(last_ws, 1000, NULL), GALE_OK); /* no-op */
  char reason[64];
  assert_int_equal(ws_wait_close(&f, &w, reason, sizeof(reason)), 4000);
  assert_string_equal(reason, "done");
  ws_send(&w, 0x1, true, "late", 4); /* dropped: the server is closing */
  ws_send_close(&w, 4000, "");
  ws_wait_eof(&f, &w);
  TH_RUN_UNTIL(f.loop, closes == 1, 5);
  assert_int_equal(close_code, 4000);
  assert_int_equal(messages, 0);
  ws_close(&w);
  wfix_stop(&f);
}

static void test_close_timeout(void **state) {
  (void)state;
  wfix f;
  gale_websocket_options o;
  gale_websocket_options_init(&o);
  o.close_timeout = 0.1;
  start(&f, &o);
  wsclient w;
  ws_open(&f, &w, "/ws/x?user=ok", NULL);
  double t0 = th_now();
  gale_websocket_close(last_ws, 1001, NULL);
  assert_int_equal(ws_wait_close(&f, &w, NULL, 0), 1001);
  ws_wait_eof(&f, &w); /* never answered: dropped */
  TH_RUN_UNTIL(f.loop, closes == 1, 5);
  assert_true(th_now() - t0 >= 0.09);
  assert_int_equal(close_code, 1006);
  ws_close(&w);
  wfix_stop(&f);
}

static void test_ping_timeout(void **state) {
  (void)state;
  wfix f;
  gale_websocket_options o;
  gale_websocket_options_init(&o);
  o.ping_interval = 0.05;
  o.ping_timeout = 0.3; /* room for a loaded machine between pongs */
  start(&f, &o);
  wsclient w;
  ws_open(&f, &w, "/ws/x?user=ok", NULL);
  /* Answering pings keeps it open. */
  wsframe fr;
  for (int i = 0; i < 4; i++) {
    ws_wait(&f, &w, &fr);
    assert_int_equal(fr.opcode, 0x9);
    ws_send(&w, 0xA, true, fr.data, fr.len);
    free(fr.data);
  }
  assert_int_equal(closes, 0);
  /* Then silence. */
  ws_wait_eof(&f, &w);
  TH_RUN_UNTIL(f.loop, closes == 1, 5);
  assert_int_equal(close_code, 1006);
  assert_string_equal(close_reason, "ping timeout");
  ws_close(&w);
  wfix_stop(&f);
}

/* ---- limits ------------------------------------------------------------------------------ */

static void test_message_too_big(void **state) {
  (void)state;
  wfix f;
  gale_websocket_options o;
  gale_websocket_options_init(&o);
  o.max_message_size = 1000;
  start(&f, &o);
  wsclient w;
  ws_open(&f, &w, "/ws/x?user=ok", NULL);
  char buf[700];
  memset(buf, 'a', sizeof(buf));
  ws_send(&w, 0x1, false, buf, sizeof(buf));
  ws_send(&w, 0x0, true, buf, sizeof(buf)); /* the message passes 1000 */
  assert_int_equal(ws_wait_close(&f, &w, NULL, 0), 1009);
  ws_wait_eof(&f, &w);
  TH_RUN_UNTIL(f.loop, closes == 1, 5);
  assert_int_equal(close_code, 1009);
  assert_int_equal(messages, 0);
  ws_close(&w);
  wfix_stop(&f);
}

static void test_utf8_fails_fast(void **state) {
  (void)state;
  wfix f;
  start(&f, NULL);
  wsclient w;
  ws_open(&f, &w, "/ws/x?user=ok", NULL);
  ws_send(&w, 0x1, false, "ok", 2);
  ws_send(&w, 0x0, false, "\xed\xa0\x80", 3); /* a surrogate, mid-message */
  /* The close comes before the message is complete. */
  assert_int_equal(ws_wait_close(&f, &w, NULL, 0), 1007);
  ws_wait_eof(&f, &w);
  TH_RUN_UNTIL(f.loop, closes == 1, 5);
  assert_int_equal(close_code, 1007);
  ws_close(&w);
  /* Inside one frame: its bad byte is found before its end arrives. */
  ws_open(&f, &w, "/ws/x?user=ok", NULL);
  ws_send_raw(&w, 0x81, true, "abc\xc0zzzz", 1000, 8);
  assert_int_equal(ws_wait_close(&f, &w, NULL, 0), 1007);
  ws_close(&w);
  TH_RUN_UNTIL(f.loop, closes == 2, 5);
  wfix_stop(&f);
}

/* A server that writes until the buffer limit refuses. */
static void flood_open(gale_websocket *ws, gale_web_handler *h) {
  (void)h;
  static char chunk[32 * 1024];
  opens++;
  int rc;
  for (int i = 0; i < 100000; i++)
    if ((rc = gale_websocket_write_message(ws, chunk, sizeof(chunk), true, NULL)) != GALE_OK) break;
  write_rc = rc;
  assert_int_equal(gale_websocket_write_message(ws, "x", 1, true, NULL), GALE_ECLOSED);
}

static const gale_websocket_class flood_class = {.open = flood_open, .on_close = on_close};

static void test_back_pressure(void **state) {
  (void)state;
  wfix f;
  reset();
  wfix_open(&f, NULL);
  gale_websocket_options o;
  gale_websocket_options_init(&o);
  o.max_write_buffer_size = 256 * 1024;
  o.close_timeout = 0.1;
  assert_int_equal(gale_web_app_add_websocket(f.app, "/flood", &flood_class, NULL, &o), GALE_OK);
  wfix_listen(&f, NULL);
  wsclient w;
  char raw[1024];
  ws_request(raw, sizeof(raw), "/flood", NULL);
  tc_open(&w.c, f.port);
  tc_send(&w.c, raw);
  /* The client never reads: the connection closes with 1008 rather than
   * growing. */
  TH_RUN_UNTIL(f.loop, closes == 1, 5);
  assert_int_equal(write_rc, GALE_EBUFFULL);
  assert_int_equal(close_code, 1008);
  tc_close(&w.c);
  wfix_stop(&f);
}

/* ---- peers vanishing, things freed ------------------------------------------------------------ */

static void test_client_vanishes_mid_message(void **state) {
  (void)state;
  wfix f;
  start(&f, NULL);
  wsclient w;
  ws_open(&f, &w, "/ws/x?user=ok", NULL);
  ws_send_raw(&w, 0x02, true, "0123456789", 100000, 10);
  TH_RUN_UNTIL(f.loop, gale_websocket_write_buffer_size(last_ws) == 0, 5);
  th_run_for(f.loop, 0.02);
  ws_close(&w);
  TH_RUN_UNTIL(f.loop, closes == 1, 5);
  assert_int_equal(close_code, 1006);
  wfix_stop(&f);
}

static void test_server_freed_with_open_websockets(void **state) {
  (void)state;
  wfix f;
  start(&f, NULL);
  wsclient a, b;
  ws_open(&f, &a, "/ws/x?user=ok", NULL);
  ws_open(&f, &b, "/ws/y?user=ok", NULL);
  gale_websocket *kept = gale_websocket_ref(last_ws);
  /* The server's free closes them; the app may go before they report. */
  gale_http_server_free(f.server);
  f.server = NULL;
  gale_web_app_free(f.app);
  f.app = NULL;
  TH_RUN_UNTIL(f.loop, closes == 2, 5);
  assert_int_equal(close_code, 1006);
  assert_true(gale_websocket_closed(kept));
  assert_int_equal(gale_websocket_write_message(kept, "x", 1, false, NULL), GALE_ECLOSED);
  gale_websocket_unref(kept);
  ws_close(&a);
  ws_close(&b);
  wfix_stop(&f);
}

static bool shut_done;
static void shut_cb(gale_http_server *server, void *arg) {
  (void)server;
  (void)arg;
  shut_done = true;
}

/* A graceful shutdown lets open WebSockets run until its deadline (they
 * are the TCP server's connections, no longer the HTTP server's). */
static void test_shutdown_with_open_websocket(void **state) {
  (void)state;
  wfix f;
  start(&f, NULL);
  wsclient w;
  ws_open(&f, &w, "/ws/x?user=ok", NULL);
  shut_done = false;
  assert_int_equal(gale_http_server_shutdown(f.server, 0.2, shut_cb, NULL), GALE_OK);
  wsframe fr;
  ws_send(&w, 0x1, true, "still", 5); /* served meanwhile */
  ws_wait(&f, &w, &fr);
  assert_string_equal(fr.data, "still");
  free(fr.data);
  assert_int_equal(closes, 0);
  TH_RUN_UNTIL(f.loop, shut_done && closes == 1, 5);
  assert_int_equal(close_code, 1006);
  ws_close(&w);
  wfix_stop(&f);
}

static void test_loop_freed_with_open_websockets(void **state) {
  (void)state;
  wfix f;
  start(&f, NULL);
  wsclient a;
  ws_open(&f, &a, "/ws/x?user=ok", NULL);
  ws_send(&a, 0x1, false, "part", 4); /* a message half received */
  th_run_for(f.loop, 0.02);
  /* Freed without running the loop again: nothing leaks (ASan). */
  gale_http_server_free(f.server);
  gale_web_app_free(f.app);
  gale_loop_free(f.loop);
  ws_close(&a);
  assert_int_equal(th_count_fds(), f.fds_before);
}

/* ---- coroutines: read_message in a loop ------------------------------------------------------- */

static int coro_got;

static int reader(gale_websocket *ws) {
  for (;;) {
    int st;
    gale_future *m = gale_websocket_read_message(ws, &st);
    assert_non_null(m);
    if (!gale_future_done(m)) { /* one at a time */
      assert_null(gale_websocket_read_message(ws, &st));
      assert_int_equal(st, GALE_EBUSY);
    }
    st = gale_await(m);
    if (st != GALE_OK) {
      gale_future_unref(m);
      return st == GALE_ECLOSED ? GALE_OK : st;
    }
    gale_websocket_message *msg = gale_future_result(m);
    coro_got++;
    bool quit = strcmp(msg->data, "quit") == 0;
    char reply[64];
    snprintf(reply, sizeof(reply), "got %s", msg->data);
    gale_websocket_write_message(ws, reply, strlen(reply), false, NULL);
    gale_future_unref(m);
    if (quit) return GALE_OK; /* closed with 1000 for us */
  }
}

static const gale_websocket_class coro_class = {.run = reader, .on_close = on_close};

static void test_coroutine_read_loop(void **state) {
  (void)state;
  wfix f;
  reset();
  coro_got = 0;
  wfix_open(&f, NULL);
  assert_int_equal(gale_web_app_add_websocket(f.app, "/co", &coro_class, NULL, NULL), GALE_OK);
  wfix_listen(&f, NULL);
  wsclient w;
  ws_open(&f, &w, "/co", NULL);
  /* Several at once: the connection reads one ahead and waits. */
  ws_send(&w, 0x1, true, "a", 1);
  ws_send(&w, 0x1, true, "b", 1);
  ws_send(&w, 0x2, true, "c", 1);
  wsframe fr;
  const char *want[] = {"got a", "got b", "got c"};
  for (int i = 0; i < 3; i++) {
    ws_wait(&f, &w, &fr);
    assert_string_equal(fr.data, want[i]);
    free(fr.data);
  }
  ws_send(&w, 0x1, true, "quit", 4);
  ws_wait(&f, &w, &fr);
  assert_string_equal(fr.data, "got quit");
  free(fr.data);
  assert_int_equal(ws_wait_close(&f, &w, NULL, 0), 1000);
  ws_send_close(&w, 1000, "");
  ws_wait_eof(&f, &w);
  TH_RUN_UNTIL(f.loop, closes == 1, 5);
  assert_int_equal(coro_got, 4);
  ws_close(&w);
  /* A peer vanishing ends the read with GALE_ECLOSED. */
  ws_open(&f, &w, "/co", NULL);
  ws_close(&w);
  TH_RUN_UNTIL(f.loop, closes == 2, 5);
  th_run_for(f.loop, 0.02);
  wfix_stop(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_handshake_ok),
      cmocka_unit_test(test_handshake_refused),
      cmocka_unit_test(test_echo_text_binary_fragments),
      cmocka_unit_test(test_ping_pong),
      cmocka_unit_test(test_close_from_client),
      cmocka_unit_test(test_close_from_server),
      cmocka_unit_test(test_close_timeout),
      cmocka_unit_test(test_ping_timeout),
      cmocka_unit_test(test_message_too_big),
      cmocka_unit_test(test_utf8_fails_fast),
      cmocka_unit_test(test_back_pressure),
      cmocka_unit_test(test_client_vanishes_mid_message),
      cmocka_unit_test(test_server_freed_with_open_websockets),
      cmocka_unit_test(test_shutdown_with_open_websocket),
      cmocka_unit_test(test_loop_freed_with_open_websockets),
      cmocka_unit_test(test_coroutine_read_loop),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
