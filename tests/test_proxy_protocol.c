/* SPDX-License-Identifier: MIT */
/* Tests for iostream/proxy_protocol.c (the v1/v2 header parser) and the TCP
 * server's PROXY protocol option (iostream/proxy_accept.c): good headers of
 * every kind, each truncation, garbage, oversize, slow headers, data after
 * the header kept for the stream, LOCAL/UNSPEC/UNKNOWN keeping the real
 * addresses, limits and shutdown with headers pending, fd leaks. */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "gale/netutil.h"
#include "gale/tcp_server.h"
#include "iostream/proxy_protocol.h"

static const uint8_t SIG[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

/* A v2 header: signature, version/command, family/protocol, length, body. */
static size_t v2(uint8_t *out, uint8_t vc, uint8_t fp, const uint8_t *body, size_t len) {
  memcpy(out, SIG, 12);
  out[12] = vc;
  out[13] = fp;
  out[14] = (uint8_t)(len >> 8);
  out[15] = (uint8_t)len;
  if (len) memcpy(out + 16, body, len);
  return 16 + len;
}

static const uint8_t V4_BODY[12] = {192, 0, 2, 7, 10, 0, 0, 1, 0x30, 0x39, 0x00, 0x50};

static void fmt(const struct sockaddr_storage *ss, char *buf, size_t len) {
  assert_int_equal(gale_sockaddr_format((const struct sockaddr *)ss, buf, len), GALE_OK);
}

/* ---- parser ------------------------------------------------------------- */

static void test_v1_tcp4(void **state) {
  const char *h = "PROXY TCP4 192.0.2.7 10.0.0.1 12345 80\r\nGET / HTTP/1.1\r\n";
  gale__proxy_addrs a;
  int n = gale__proxy_parse((const uint8_t *)h, strlen(h), &a);
  assert_int_equal(n, (int)strlen("PROXY TCP4 192.0.2.7 10.0.0.1 12345 80\r\n"));
  assert_true(a.known);
  char buf[GALE_SOCKADDR_STRLEN];
  fmt(&a.src, buf, sizeof buf);
  assert_string_equal(buf, "192.0.2.7:12345");
  fmt(&a.dst, buf, sizeof buf);
  assert_string_equal(buf, "10.0.0.1:80");
}

static void test_v1_tcp6_and_unknown(void **state) {
  const char *h = "PROXY TCP6 2001:db8::1 ::1 65535 443\r\n";
  gale__proxy_addrs a;
  assert_int_equal(gale__proxy_parse((const uint8_t *)h, strlen(h), &a), (int)strlen(h));
  assert_true(a.known);
  char buf[GALE_SOCKADDR_STRLEN];
  fmt(&a.src, buf, sizeof buf);
  assert_string_equal(buf, "[2001:db8::1]:65535");
  const char *u = "PROXY UNKNOWN\r\n";
  assert_int_equal(gale__proxy_parse((const uint8_t *)u, strlen(u), &a), (int)strlen(u));
  assert_false(a.known);
  u = "PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n";
  assert_int_equal(gale__proxy_parse((const uint8_t *)u, strlen(u), &a), (int)strlen(u));
  assert_false(a.known);
}

static void test_v1_every_prefix_incomplete(void **state) {
  const char *h = "PROXY TCP4 192.0.2.7 10.0.0.1 12345 80\r\n";
  gale__proxy_addrs a;
  for (size_t i = 0; i < strlen(h); i++)
    assert_int_equal(gale__proxy_parse((const uint8_t *)h, i, &a), GALE__PROXY_INCOMPLETE);
}

static void test_v1_malformed(void **state) {
  static const char *const bad[] = {
      "GET / HTTP/1.1\r\n",                     /* no header at all */
      "PROXYTCP4 1.2.3.4 5.6.7.8 1 2\r\n",      /* missing space */
      "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n",     /* unknown protocol */
      "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",       /* a field short */
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",   /* a field too many */
      "PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n",    /* double space */
      "PROXY TCP4 1.2.3.400 5.6.7.8 1 2\r\n",   /* bad address */
      "PROXY TCP4 ::1 5.6.7.8 1 2\r\n",         /* v6 address as TCP4 */
      "PROXY TCP6 1.2.3.4 ::1 1 2\r\n",         /* v4 address as TCP6 */
      "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", /* port too big */
      "PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n",   /* leading zero */
      "PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n",    /* sign */
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",       /* LF without CR */
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX",      /* CR without LF */
      "PROXY UNKNOWNX\r\n",
  };
  gale__proxy_addrs a;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int rc = gale__proxy_parse((const uint8_t *)bad[i], strlen(bad[i]), &a);
    if (rc != GALE__PROXY_BAD) fail_msg("accepted (%d): %s", rc, bad[i]);
  }
  /* A NUL inside the line. */
  const uint8_t nul[] = "PROXY TCP4 1.2.3.4\0 5.6.7.8 1 2\r\n";
  assert_int_equal(gale__proxy_parse(nul, sizeof nul - 1, &a), GALE__PROXY_BAD);
  /* The first wrong byte decides: no waiting for more. */
  assert_int_equal(gale__proxy_parse((const uint8_t *)"G", 1, &a), GALE__PROXY_BAD);
  assert_int_equal(gale__proxy_parse((const uint8_t *)"PROXX", 5, &a), GALE__PROXY_BAD);
  assert_int_equal(gale__proxy_parse((const uint8_t *)"\r\n\r\nX", 5, &a), GALE__PROXY_BAD);
}

static void test_v1_too_long(void **state) {
  char h[200];
  memset(h, 'A', sizeof h);
  memcpy(h, "PROXY UNKNOWN ", 14);
  gale__proxy_addrs a;
  assert_int_equal(gale__proxy_parse((const uint8_t *)h, 106, &a), GALE__PROXY_INCOMPLETE);
  assert_int_equal(gale__proxy_parse((const uint8_t *)h, 107, &a), GALE__PROXY_TOO_LONG);
  assert_int_equal(gale__proxy_parse((const uint8_t *)h, sizeof h, &a), GALE__PROXY_TOO_LONG);
  /* 107 bytes ending in CRLF is the longest allowed. */
  h[105] = '\r';
  h[106] = '\n';
  assert_int_equal(gale__proxy_parse((const uint8_t *)h, 107, &a), 107);
}

static void test_v2_inet_inet6_unix(void **state) {
  uint8_t h[600];
  gale__proxy_addrs a;
  char buf[GALE_SOCKADDR_STRLEN];
  /* With a TLV after the addresses (skipped) and bytes after the header. */
  uint8_t body[12 + 5];
  memcpy(body, V4_BODY, 12);
  memcpy(body + 12, "\x01\x00\x02h2", 5); /* PP2_TYPE_ALPN "h2" */
  size_t n = v2(h, 0x21, 0x11, body, sizeof body);
  memcpy(h + n, "GET", 3);
  assert_int_equal(gale__proxy_parse(h, n + 3, &a), (int)n);
  assert_true(a.known);
  fmt(&a.src, buf, sizeof buf);
  assert_string_equal(buf, "192.0.2.7:12345");
  fmt(&a.dst, buf, sizeof buf);
  assert_string_equal(buf, "10.0.0.1:80");

  uint8_t b6[36] = {0};
  b6[0] = 0x20, b6[1] = 0x01, b6[2] = 0x0d, b6[3] = 0xb8, b6[15] = 9; /* 2001:db8::9 */
  b6[31] = 1;                                                         /* ::1 */
  b6[32] = 0x1f, b6[33] = 0x90, b6[34] = 0x01, b6[35] = 0xbb;
  n = v2(h, 0x21, 0x21, b6, sizeof b6);
  assert_int_equal(gale__proxy_parse(h, n, &a), (int)n);
  fmt(&a.src, buf, sizeof buf);
  assert_string_equal(buf, "[2001:db8::9]:8080");

  uint8_t bu[216] = {0};
  memcpy(bu, "/run/client.sock", 16);
  memcpy(bu + 108, "/run/gale.sock", 14);
  n = v2(h, 0x21, 0x31, bu, sizeof bu);
  assert_int_equal(gale__proxy_parse(h, n, &a), (int)n);
  assert_int_equal(a.src.ss_family, AF_UNIX);
  assert_string_equal(((struct sockaddr_un *)&a.src)->sun_path, "/run/client.sock");
  /* A path filling its 108 bytes without a NUL is malformed. */
  memset(bu, 'x', 108);
  n = v2(h, 0x21, 0x31, bu, sizeof bu);
  assert_int_equal(gale__proxy_parse(h, n, &a), GALE__PROXY_BAD);
}

static void test_v2_local_unspec(void **state) {
  uint8_t h[64];
  gale__proxy_addrs a;
  size_t n = v2(h, 0x20, 0x00, NULL, 0); /* LOCAL, UNSPEC: a health check */
  assert_int_equal(gale__proxy_parse(h, n, &a), 16);
  assert_false(a.known);
  n = v2(h, 0x20, 0x11, V4_BODY, 12); /* LOCAL with addresses: ignored */
  assert_int_equal(gale__proxy_parse(h, n, &a), (int)n);
  assert_false(a.known);
  n = v2(h, 0x21, 0x00, (const uint8_t *)"abcd", 4); /* PROXY, UNSPEC: body skipped */
  assert_int_equal(gale__proxy_parse(h, n, &a), 20);
  assert_false(a.known);
}

static void test_v2_truncated_and_bad(void **state) {
  uint8_t h[64];
  gale__proxy_addrs a;
  size_t n = v2(h, 0x21, 0x11, V4_BODY, 12);
  for (size_t i = 0; i < n; i++)
    assert_int_equal(gale__proxy_parse(h, i, &a), GALE__PROXY_INCOMPLETE);
  n = v2(h, 0x11, 0x11, V4_BODY, 12); /* version 1 in the binary form */
  assert_int_equal(gale__proxy_parse(h, n, &a), GALE__PROXY_BAD);
  n = v2(h, 0x22, 0x11, V4_BODY, 12); /* command 2 */
  assert_int_equal(gale__proxy_parse(h, n, &a), GALE__PROXY_BAD);
  n = v2(h, 0x21, 0x41, V4_BODY, 12); /* family 4 */
  assert_int_equal(gale__proxy_parse(h, n, &a), GALE__PROXY_BAD);
  n = v2(h, 0x21, 0x13, V4_BODY, 12); /* protocol 3 */
  assert_int_equal(gale__proxy_parse(h, n, &a), GALE__PROXY_BAD);
  n = v2(h, 0x21, 0x11, V4_BODY, 11); /* INET with 11 address bytes */
  assert_int_equal(gale__proxy_parse(h, n, &a), GALE__PROXY_BAD);
  n = v2(h, 0x21, 0x21, V4_BODY, 12); /* INET6 with 12 */
  assert_int_equal(gale__proxy_parse(h, n, &a), GALE__PROXY_BAD);
  /* A declared length past the cap fails on the 16th byte. */
  v2(h, 0x21, 0x11, NULL, 0);
  h[14] = 0x04, h[15] = 0x00; /* 1024 + 16 */
  assert_int_equal(gale__proxy_parse(h, 16, &a), GALE__PROXY_TOO_LONG);
  h[14] = 0x03, h[15] = 0xF0; /* 1008 + 16 = 1024: allowed, incomplete */
  assert_int_equal(gale__proxy_parse(h, 16, &a), GALE__PROXY_INCOMPLETE);
  /* A signature wrong in its 12th byte. */
  v2(h, 0x21, 0x11, V4_BODY, 12);
  h[11] = 0x0B;
  assert_int_equal(gale__proxy_parse(h, 28, &a), GALE__PROXY_BAD);
}

/* ---- the TCP server with proxy_protocol on ------------------------------- */

struct srv {
  gale_tcp_server *server;
  int accepted;
  char peer[GALE_SOCKADDR_STRLEN], stream_peer[GALE_SOCKADDR_STRLEN];
  char local[GALE_SOCKADDR_STRLEN];
  bool done;
};

static void echo_line(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  if (status != GALE_OK) return;
  gale_stream_write(s, data, len, NULL, NULL);
  gale_stream_read_until(s, "\n", 1, 4096, echo_line, arg);
}

static void handle(gale_tcp_server *server, gale_stream *s, const struct sockaddr *peer,
                   socklen_t peer_len, void *arg) {
  struct srv *ctx = arg;
  ctx->accepted++;
  if (peer_len) gale_sockaddr_format(peer, ctx->peer, sizeof ctx->peer);
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  if (gale_stream_peer_addr(s, (struct sockaddr *)&ss, &sl) == GALE_OK)
    gale_sockaddr_format((struct sockaddr *)&ss, ctx->stream_peer, sizeof ctx->stream_peer);
  sl = sizeof ss;
  if (gale_stream_local_addr(s, (struct sockaddr *)&ss, &sl) == GALE_OK)
    gale_sockaddr_format((struct sockaddr *)&ss, ctx->local, sizeof ctx->local);
  gale_stream_read_until(s, "\n", 1, 4096, echo_line, ctx);
}

static void on_done(gale_tcp_server *server, void *arg) { ((struct srv *)arg)->done = true; }

static gale_loop *loop;
static struct srv ctx;
static int port, fds_before;

static void start(double timeout, size_t max_conns) {
  fds_before = th_count_fds();
  loop = gale_loop_new();
  memset(&ctx, 0, sizeof ctx);
  gale_tcp_server_options o;
  gale_tcp_server_options_init(&o);
  assert_false(o.proxy_protocol); /* off by default */
  assert_true(o.proxy_protocol_timeout == 10.0);
  o.proxy_protocol = true;
  o.proxy_protocol_timeout = timeout;
  o.max_connections = max_conns;
  assert_int_equal(gale_tcp_server_new(loop, &o, handle, &ctx, &ctx.server), GALE_OK);
  assert_int_equal(gale_tcp_server_listen(ctx.server, 0, "127.0.0.1"), GALE_OK);
  int fd;
  gale_tcp_server_sockets(ctx.server, &fd, 1);
  port = gale_socket_port(fd);
}

static void finish(void) {
  gale_tcp_server_free(ctx.server);
  th_run_for(loop, 0.02);
  gale_loop_free(loop);
  assert_int_equal(th_count_fds(), fds_before);
}

static int conn(void) {
  int fd = th_connect(port);
  assert_true(fd >= 0);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

/* True once the server closed the connection. */
static bool got_eof(int fd) {
  char b[64];
  ssize_t n = recv(fd, b, sizeof b, MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static bool got_line(int fd, char *buf, size_t size, size_t *have) {
  ssize_t n = recv(fd, buf + *have, size - 1 - *have, MSG_DONTWAIT);
  if (n > 0) *have += (size_t)n;
  buf[*have] = '\0';
  return memchr(buf, '\n', *have) != NULL;
}

static void expect_echo(int fd, const char *line) {
  char buf[256];
  size_t have = 0;
  TH_RUN_UNTIL(loop, got_line(fd, buf, sizeof buf, &have), 5);
  assert_string_equal(buf, line);
}

static void test_server_v1_then_data_in_one_write(void **state) {
  start(5, 0);
  int fd = conn();
  const char *h = "PROXY TCP4 198.51.100.20 203.0.113.5 40000 443\r\nhello\n";
  th_write_all(fd, h, strlen(h));
  expect_echo(fd, "hello\n");
  assert_int_equal(ctx.accepted, 1);
  assert_string_equal(ctx.peer, "198.51.100.20:40000");
  assert_string_equal(ctx.stream_peer, "198.51.100.20:40000");
  assert_string_equal(ctx.local, "203.0.113.5:443");
  close(fd);
  finish();
}

static void test_server_v2_byte_by_byte(void **state) {
  start(5, 0);
  int fd = conn();
  uint8_t h[64];
  size_t n = v2(h, 0x21, 0x11, V4_BODY, 12);
  for (size_t i = 0; i + 1 < n; i++) {
    th_write_all(fd, h + i, 1);
    th_run_for(loop, 0.002);
    assert_int_equal(ctx.accepted, 0);
  }
  th_write_all(fd, h + n - 1, 1);
  TH_RUN_UNTIL(loop, ctx.accepted == 1, 5);
  th_write_all(fd, "ping\n", 5);
  expect_echo(fd, "ping\n");
  assert_string_equal(ctx.peer, "192.0.2.7:12345");
  close(fd);
  finish();
}

static void test_server_local_keeps_real_address(void **state) {
  start(5, 0);
  int fd = conn();
  uint8_t h[32];
  size_t n = v2(h, 0x20, 0x00, NULL, 0);
  th_write_all(fd, h, n);
  th_write_all(fd, "x\n", 2);
  expect_echo(fd, "x\n");
  assert_memory_equal(ctx.peer, "127.0.0.1:", 10);
  assert_memory_equal(ctx.stream_peer, "127.0.0.1:", 10);
  int fd2 = conn();
  th_write_all(fd2, "PROXY UNKNOWN\r\ny\n", 17);
  expect_echo(fd2, "y\n");
  assert_memory_equal(ctx.peer, "127.0.0.1:", 10);
  close(fd);
  close(fd2);
  finish();
}

/* Hostile headers close the connection without the handler. */
static void expect_closed(int fd) {
  TH_RUN_UNTIL(loop, got_eof(fd), 5);
  assert_int_equal(ctx.accepted, 0);
  close(fd);
  TH_RUN_UNTIL(loop, gale_tcp_server_connection_count(ctx.server) == 0, 5);
}

static void test_server_garbage_closes(void **state) {
  start(5, 0);
  int fd = conn();
  th_write_all(fd, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
  expect_closed(fd);
  fd = conn();
  th_write_all(fd, "PROXY TCP4 1.2.3.4 5.6.7.8 99999 1\r\n", 36);
  expect_closed(fd);
  finish();
}

static void test_server_too_long_closes(void **state) {
  start(5, 0);
  int fd = conn();
  char line[300];
  memset(line, 'A', sizeof line);
  memcpy(line, "PROXY UNKNOWN ", 14);
  th_write_all(fd, line, sizeof line);
  expect_closed(fd);
  fd = conn();
  uint8_t h[16];
  v2(h, 0x21, 0x11, NULL, 0);
  h[14] = 0xFF, h[15] = 0xFF;
  th_write_all(fd, h, 16);
  expect_closed(fd);
  finish();
}

static void test_server_truncated_then_peer_closes(void **state) {
  start(5, 0);
  int fd = conn();
  th_write_all(fd, "PROXY TCP4 1.2.", 15);
  th_run_for(loop, 0.02);
  assert_int_equal(ctx.accepted, 0);
  close(fd);
  /* The server notices the EOF: nothing left open, no fd leaked (finish). */
  th_run_for(loop, 0.05);
  assert_int_equal(ctx.accepted, 0);
  finish();
}

static void test_server_slow_header_times_out(void **state) {
  start(0.2, 0);
  int fd = conn(), silent = conn();
  th_write_all(fd, "PROXY TCP4 1.2.", 15);
  double t0 = th_now();
  TH_RUN_UNTIL(loop, got_eof(fd) && got_eof(silent), 5);
  double waited = th_now() - t0;
  assert_true(waited >= 0.15 && waited < 2.0);
  assert_int_equal(ctx.accepted, 0);
  close(fd);
  close(silent);
  finish();
}

static void test_server_pending_count_and_shutdown(void **state) {
  start(5, 2);
  int a = conn(), b = conn();
  th_run_for(loop, 0.05); /* both accepted, both waiting for their header */
  int c = conn();         /* past max_connections: waits in the backlog */
  th_write_all(c, "PROXY UNKNOWN\r\nc\n", 17);
  th_run_for(loop, 0.05);
  assert_int_equal(ctx.accepted, 0);
  close(a); /* a slot frees: c is accepted and served */
  expect_echo(c, "c\n");
  assert_int_equal(ctx.accepted, 1);
  /* Shutdown closes b at once (it never sent its header), waits for c. */
  assert_int_equal(gale_tcp_server_shutdown(ctx.server, 5, on_done, &ctx), GALE_OK);
  TH_RUN_UNTIL(loop, got_eof(b), 5);
  assert_false(ctx.done);
  close(c);
  TH_RUN_UNTIL(loop, ctx.done, 5);
  close(b);
  finish();
}

static void test_server_free_with_pending(void **state) {
  start(5, 0);
  int a = conn();
  th_write_all(a, "PROXY", 5);
  th_run_for(loop, 0.05);
  close(a);
  finish(); /* frees the reader: finish() checks its fd is gone */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_v1_tcp4),
      cmocka_unit_test(test_v1_tcp6_and_unknown),
      cmocka_unit_test(test_v1_every_prefix_incomplete),
      cmocka_unit_test(test_v1_malformed),
      cmocka_unit_test(test_v1_too_long),
      cmocka_unit_test(test_v2_inet_inet6_unix),
      cmocka_unit_test(test_v2_local_unspec),
      cmocka_unit_test(test_v2_truncated_and_bad),
      cmocka_unit_test(test_server_v1_then_data_in_one_write),
      cmocka_unit_test(test_server_v2_byte_by_byte),
      cmocka_unit_test(test_server_local_keeps_real_address),
      cmocka_unit_test(test_server_garbage_closes),
      cmocka_unit_test(test_server_too_long_closes),
      cmocka_unit_test(test_server_truncated_then_peer_closes),
      cmocka_unit_test(test_server_slow_header_times_out),
      cmocka_unit_test(test_server_pending_count_and_shutdown),
      cmocka_unit_test(test_server_free_with_pending),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
