/* SPDX-License-Identifier: MIT */
/* Tests for the TCP server's coroutine option (options.handle_stream_coro):
 * a line echo written as one loop per connection, the stream closed when
 * the handler returns, the peer leaving mid-await, the server freed (and
 * the loop freed) with handlers suspended in a read and in a sleep, the
 * stack size option, TLS-less and limit interplay, argument errors, fds. */
#include "harness.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gale/coro.h"
#include "gale/netutil.h"
#include "gale/tcp_server.h"

typedef struct ctx {
  gale_loop *loop;
  gale_tcp_server *server;
  int started, returned;
  int last_status;   /* the status the last handler returned */
  int sleep_status;  /* what an await of a sleep returned */
  bool in_coro;      /* gale_coro_running() inside the handler */
  bool closed_after; /* the stream reported closed after the peer left */
  size_t big_frame;  /* bytes of stack the "BIG" command touches */
} ctx;

static int server_port(gale_tcp_server *server) {
  int fd;
  assert_true(gale_tcp_server_sockets(server, &fd, 1) >= 1);
  return gale_socket_port(fd);
}

/* Touches `n` bytes of stack (a VLA), so a small stack hits its guard. */
static int touch_stack(size_t n) {
  volatile char frame[n];
  memset((char *)frame, 1, n);
  return frame[n - 1];
}

/* ECHO every line; "QUIT" returns (the server closes); "SLEEP" awaits a
 * long sleep; "BIG" uses ctx->big_frame bytes of stack. */
static int echo_lines(gale_stream *s, void *arg) {
  ctx *c = arg;
  c->started++;
  c->in_coro = gale_coro_running();
  int st = GALE_OK;
  for (;;) {
    gale_future *f = gale_stream_read_until_future(s, "\n", 1, 4096, &st);
    if (!f) break;
    st = gale_await(f);
    if (st == GALE_ECANCELLED) gale_future_cancel(f); /* stop the read too */
    gale_stream_data *d = st == GALE_OK ? gale_future_result(f) : NULL;
    bool quit = d && d->len == 5 && memcmp(d->data, "QUIT\n", 5) == 0;
    bool nap = d && d->len == 6 && memcmp(d->data, "SLEEP\n", 6) == 0;
    bool big = d && d->len == 4 && memcmp(d->data, "BIG\n", 4) == 0;
    if (d && d->len == 5 && memcmp(d->data, "FREE\n", 5) == 0) {
      gale_tcp_server_free(c->server); /* from inside its own handler */
      c->server = NULL;
    }
    if (d && d->len == 4 && memcmp(d->data, "BYE\n", 4) == 0) {
      /* A large goodbye, returned from without a flush: the server must
       * send all of it before closing. */
      static char bye[1 << 20];
      memset(bye, 'b', sizeof bye);
      st = gale_stream_write(s, bye, sizeof bye, NULL, NULL);
      gale_future_unref(f);
      break;
    }
    if (d && !quit && !nap) st = gale_stream_write(s, d->data, d->len, NULL, NULL);
    gale_future_unref(f);
    if (st != GALE_OK || quit) break;
    if (big && touch_stack(c->big_frame) != 1) st = GALE_EINVAL;
    if (nap) {
      gale_future *z = gale_sleep(c->loop, 60);
      c->sleep_status = st = gale_await(z);
      gale_future_unref(z);
      if (st != GALE_OK) break;
    }
    gale_future *fl = gale_stream_flush_future(s, &st);
    if (!fl) break;
    st = gale_await(fl);
    gale_future_unref(fl);
    if (st != GALE_OK) break;
  }
  c->closed_after = gale_stream_closed(s);
  c->last_status = st;
  c->returned++;
  return st;
}

static gale_tcp_server *start(ctx *c, size_t stack_size, size_t max_conns) {
  gale_tcp_server_options o;
  gale_tcp_server_options_init(&o);
  o.handle_stream_coro = echo_lines;
  o.coro_stack_size = stack_size;
  o.max_connections = max_conns;
  assert_int_equal(gale_tcp_server_new(c->loop, &o, NULL, c, &c->server), GALE_OK);
  assert_int_equal(gale_tcp_server_listen(c->server, 0, "127.0.0.1"), GALE_OK);
  return c->server;
}

/* Sends a line and waits (running the loop) for `expect` back. */
static void roundtrip(ctx *c, int fd, const char *line, const char *expect) {
  th_write_all(fd, line, strlen(line));
  char buf[256] = {0};
  size_t got = 0, want = strlen(expect);
  double deadline = th_now() + 5;
  while (got < want && th_now() < deadline) {
    gale_loop_run_once(c->loop, 0.01);
    ssize_t n = recv(fd, buf + got, want - got, MSG_DONTWAIT);
    if (n > 0) got += (size_t)n;
  }
  assert_int_equal(got, want);
  assert_string_equal(buf, expect);
}

/* True once the peer closed fd (recv returns 0). */
static bool peer_closed(int fd) {
  char b;
  return recv(fd, &b, 1, MSG_DONTWAIT) == 0;
}

/* The handler frees the server: its stream is closed under it (the echo
 * that follows fails with GALE_ECLOSED), it returns, nothing leaks. */
static void test_free_from_handler(void **state) {
  (void)state;
  int before = th_count_fds();
  ctx c = {.loop = gale_loop_new()};
  start(&c, 0, 0);
  int fd = th_connect(server_port(c.server));
  th_write_all(fd, "FREE\n", 5);
  TH_RUN_UNTIL(c.loop, c.returned == 1, 5);
  assert_null(c.server);
  assert_int_equal(c.last_status, GALE_ECLOSED);
  TH_RUN_UNTIL(c.loop, peer_closed(fd), 5);
  close(fd);
  gale_loop_free(c.loop);
  assert_int_equal(th_count_fds(), before);
}

static void test_return_flushes_then_closes(void **state) {
  (void)state;
  int before = th_count_fds();
  ctx c = {.loop = gale_loop_new()};
  start(&c, 0, 0);
  int fd = th_connect(server_port(c.server));
  th_write_all(fd, "BYE\n", 4);
  size_t got = 0;
  bool eof = false;
  static char buf[65536];
  double deadline = th_now() + 10;
  while (!eof && th_now() < deadline) {
    gale_loop_run_once(c.loop, 0.01);
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0) got += (size_t)n;
    eof = n == 0;
  }
  assert_true(eof);
  assert_int_equal(got, 1 << 20);
  assert_int_equal(c.returned, 1);
  close(fd);
  gale_tcp_server_free(c.server);
  gale_loop_free(c.loop);
  assert_int_equal(th_count_fds(), before);
}

static void test_echo_in_coroutines(void **state) {
  (void)state;
  int before = th_count_fds();
  ctx c = {.loop = gale_loop_new()};
  start(&c, 0, 0);
  int port = server_port(c.server);
  int a = th_connect(port), b = th_connect(port);
  roundtrip(&c, a, "hello\n", "hello\n");
  roundtrip(&c, b, "other\n", "other\n");
  roundtrip(&c, a, "again\n", "again\n");
  assert_int_equal(c.started, 2);
  assert_true(c.in_coro);
  assert_int_equal(gale_tcp_server_connection_count(c.server), 2);

  /* Returning closes the stream: the client sees EOF. */
  th_write_all(a, "QUIT\n", 5);
  TH_RUN_UNTIL(c.loop, c.returned == 1 && peer_closed(a), 5);
  assert_int_equal(c.last_status, GALE_OK);
  TH_RUN_UNTIL(c.loop, gale_tcp_server_connection_count(c.server) == 1, 5);

  /* The peer leaving: the pending read's await returns EOF, the stream
   * pointer is still valid and closed. */
  close(b);
  TH_RUN_UNTIL(c.loop, c.returned == 2, 5);
  assert_int_equal(c.last_status, GALE_EOF);
  assert_true(c.closed_after);
  TH_RUN_UNTIL(c.loop, gale_tcp_server_connection_count(c.server) == 0, 5);

  close(a);
  gale_tcp_server_free(c.server);
  gale_loop_free(c.loop);
  assert_int_equal(th_count_fds(), before);
}

/* Freed with one handler in a read and one in a sleep: each await returns
 * GALE_ECANCELLED, both return, and ASan sees nothing leak. */
static void test_server_freed_mid_await(void **state) {
  (void)state;
  int before = th_count_fds();
  ctx c = {.loop = gale_loop_new()};
  start(&c, 0, 0);
  int port = server_port(c.server);
  int reader = th_connect(port), sleeper = th_connect(port);
  roundtrip(&c, reader, "x\n", "x\n");
  th_write_all(sleeper, "SLEEP\n", 6);
  TH_RUN_UNTIL(c.loop, c.started == 2, 5);
  for (int i = 0; i < 5; i++) gale_loop_run_once(c.loop, 0.005); /* into the sleep */
  assert_int_equal(c.returned, 0);

  gale_tcp_server_free(c.server);
  TH_RUN_UNTIL(c.loop, c.returned == 2, 5);
  assert_int_equal(c.sleep_status, GALE_ECANCELLED);
  assert_int_equal(c.last_status, GALE_ECANCELLED);
  TH_RUN_UNTIL(c.loop, peer_closed(reader) && peer_closed(sleeper), 5);
  close(reader);
  close(sleeper);
  gale_loop_free(c.loop);
  assert_int_equal(th_count_fds(), before);
}

/* Server and loop freed back to back, the handlers never resumed in
 * between: the loop's end unwinds them. */
static void test_loop_freed_after_server(void **state) {
  (void)state;
  int before = th_count_fds();
  ctx c = {.loop = gale_loop_new()};
  start(&c, 0, 0);
  int port = server_port(c.server);
  int reader = th_connect(port), sleeper = th_connect(port);
  roundtrip(&c, reader, "y\n", "y\n");
  th_write_all(sleeper, "SLEEP\n", 6);
  TH_RUN_UNTIL(c.loop, c.started == 2, 5);
  for (int i = 0; i < 5; i++) gale_loop_run_once(c.loop, 0.005);
  gale_tcp_server_free(c.server);
  gale_loop_free(c.loop);
  assert_int_equal(c.returned, 2);
  assert_int_equal(c.sleep_status, GALE_ECANCELLED);
  close(reader);
  close(sleeper);
  assert_int_equal(th_count_fds(), before);
}

/* A graceful shutdown's deadline closes the streams under the handlers. */
static void test_shutdown_deadline(void **state) {
  (void)state;
  int before = th_count_fds();
  ctx c = {.loop = gale_loop_new()};
  start(&c, 0, 0);
  int fd = th_connect(server_port(c.server));
  roundtrip(&c, fd, "z\n", "z\n");
  assert_int_equal(gale_tcp_server_shutdown(c.server, 0, NULL, NULL), GALE_OK);
  TH_RUN_UNTIL(c.loop, c.returned == 1, 5);
  assert_int_equal(c.last_status, GALE_ECANCELLED);
  assert_true(c.closed_after);
  TH_RUN_UNTIL(c.loop, gale_tcp_server_connection_count(c.server) == 0, 5);
  close(fd);
  gale_tcp_server_free(c.server);
  gale_loop_free(c.loop);
  assert_int_equal(th_count_fds(), before);
}

/* coro_stack_size reaches the coroutine: 768 KiB of frame fits in a 1 MiB
 * stack (the 256 KiB default would hit the guard page). */
static void test_stack_size_option(void **state) {
  (void)state;
  ctx c = {.loop = gale_loop_new(), .big_frame = 768 * 1024};
  start(&c, 1024 * 1024, 0);
  int fd = th_connect(server_port(c.server));
  roundtrip(&c, fd, "BIG\n", "BIG\n");
  roundtrip(&c, fd, "after\n", "after\n");
  close(fd);
  TH_RUN_UNTIL(c.loop, c.returned == 1, 5);
  gale_tcp_server_free(c.server);
  gale_loop_free(c.loop);
}

/* max_connections counts coroutine connections like any other: the third
 * waits in the backlog until one returns. */
static void test_max_connections(void **state) {
  (void)state;
  ctx c = {.loop = gale_loop_new()};
  start(&c, 0, 2);
  int port = server_port(c.server);
  int fds[3];
  for (int i = 0; i < 3; i++) fds[i] = th_connect(port);
  TH_RUN_UNTIL(c.loop, c.started == 2, 5);
  th_run_for(c.loop, 0.05); /* the limit holds the third back */
  assert_int_equal(c.started, 2);
  th_write_all(fds[0], "QUIT\n", 5);
  TH_RUN_UNTIL(c.loop, c.started == 3, 5);
  roundtrip(&c, fds[2], "third\n", "third\n");
  for (int i = 0; i < 3; i++) close(fds[i]);
  TH_RUN_UNTIL(c.loop, c.returned == 3, 5);
  gale_tcp_server_free(c.server);
  gale_loop_free(c.loop);
}

static void plain_handler(gale_tcp_server *server, gale_stream *stream, const struct sockaddr *peer,
                          socklen_t len, void *arg) {
  (void)server, (void)peer, (void)len, (void)arg;
  gale_stream_close(stream);
}

static void test_api_errors(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_tcp_server_options o;
  gale_tcp_server_options_init(&o);
  assert_null(o.handle_stream_coro);
  assert_int_equal(o.coro_stack_size, 0);
  gale_tcp_server *s = NULL;
  assert_int_equal(gale_tcp_server_new(loop, &o, NULL, NULL, &s), GALE_EINVAL); /* neither */
  o.handle_stream_coro = echo_lines;
  assert_int_equal(gale_tcp_server_new(loop, &o, plain_handler, NULL, &s), GALE_EINVAL); /* both */
  assert_int_equal(gale_tcp_server_new(loop, NULL, NULL, NULL, &s), GALE_EINVAL);
  assert_null(s);
  assert_int_equal(gale_tcp_server_new(loop, &o, NULL, NULL, &s), GALE_OK);
  gale_tcp_server_free(s);
  gale_loop_free(loop);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_echo_in_coroutines),
      cmocka_unit_test(test_return_flushes_then_closes),
      cmocka_unit_test(test_free_from_handler),
      cmocka_unit_test(test_server_freed_mid_await),
      cmocka_unit_test(test_loop_freed_after_server),
      cmocka_unit_test(test_shutdown_deadline),
      cmocka_unit_test(test_stack_size_option),
      cmocka_unit_test(test_max_connections),
      cmocka_unit_test(test_api_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
