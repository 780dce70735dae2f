/* SPDX-License-Identifier: MIT */
/* Tests for iostream/tcp_server.c: listening, echo round trips, add_sockets,
 * systemd activation, max_connections, stop, graceful shutdown, forked
 * workers with restarts, hostile clients, fd leaks. */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gale/netutil.h"
#include "gale/process.h"
#include "gale/tcp_server.h"

/* ---- the server side: a line echo with a few commands ------------------- */

struct srv {
  gale_tcp_server *server;
  int accepted, closed;
  int last_close_reason;
  char peer[GALE_SOCKADDR_STRLEN];
  bool free_in_handle;
  bool done;
  int done_calls;
};

static void srv_close_cb(gale_stream *s, int reason, void *arg) {
  struct srv *ctx = arg;
  ctx->closed++;
  ctx->last_close_reason = reason;
}

static void srv_line(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  if (status != GALE_OK) return;
  if (len == 5 && memcmp(data, "QUIT\n", 5) == 0) {
    gale_stream_close(s);
    return;
  }
  if (len == 4 && memcmp(data, "PID\n", 4) == 0) {
    char out[64];
    int n = snprintf(out, sizeof out, "%d %d\n", (int)getpid(), gale_process_task_id());
    gale_stream_write(s, out, (size_t)n, NULL, NULL);
  } else {
    gale_stream_write(s, data, len, NULL, NULL);
  }
  gale_stream_read_until(s, "\n", 1, 4096, srv_line, arg);
}

static void handle(gale_tcp_server *server, gale_stream *s, const struct sockaddr *peer,
                   socklen_t peer_len, void *arg) {
  struct srv *ctx = arg;
  ctx->accepted++;
  if (peer_len) gale_sockaddr_format(peer, ctx->peer, sizeof ctx->peer);
  if (ctx->free_in_handle) {
    gale_tcp_server_free(server);
    ctx->server = NULL;
    return;
  }
  gale_stream_set_close_cb(s, srv_close_cb, ctx);
  gale_stream_read_until(s, "\n", 1, 4096, srv_line, ctx);
}

static void on_done(gale_tcp_server *server, void *arg) {
  struct srv *ctx = arg;
  ctx->done = true;
  ctx->done_calls++;
}

static int server_port(gale_tcp_server *server) {
  int fds[GALE_MAX_LISTEN_SOCKETS];
  assert_true(gale_tcp_server_sockets(server, fds, GALE_MAX_LISTEN_SOCKETS) >= 1);
  return gale_socket_port(fds[0]);
}

/* ---- the client side: non-blocking sockets polled between loop turns ---- */

struct client {
  int fd;
  char buf[4096];
  size_t len;
  bool eof;
};

static void client_open(struct client *c, int family, int port) {
  memset(c, 0, sizeof *c);
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t len;
  if (family == AF_INET6) {
    struct sockaddr_in6 *a = (void *)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    a->sin6_port = htons((uint16_t)port);
    len = sizeof *a;
  } else {
    struct sockaddr_in *a = (void *)&ss;
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a->sin_port = htons((uint16_t)port);
    len = sizeof *a;
  }
  c->fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(c->fd >= 0);
  /* Loopback connects complete at once (into the backlog). */
  assert_int_equal(connect(c->fd, (struct sockaddr *)&ss, len), 0);
  fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
}

static void client_close(struct client *c) {
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
}

static void client_send(struct client *c, const char *text) {
  th_write_all(c->fd, text, strlen(text));
}

/* Reads what is there; true once a full line (or EOF) is buffered. */
static bool client_poll(struct client *c) {
  while (!c->eof && c->len < sizeof c->buf - 1) {
    ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len, MSG_DONTWAIT);
    if (n > 0) {
      c->len += (size_t)n;
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      c->eof = true;
    } else {
      break;
    }
  }
  c->buf[c->len] = '\0';
  return c->eof || memchr(c->buf, '\n', c->len) != NULL;
}

/* Takes one line (without "\n") into `out`; false at EOF without a line. */
static bool client_line(struct client *c, char *out, size_t size) {
  char *nl = memchr(c->buf, '\n', c->len);
  if (!nl) return false;
  size_t n = (size_t)(nl - c->buf);
  snprintf(out, size, "%.*s", (int)n, c->buf);
  memmove(c->buf, nl + 1, c->len - n - 1);
  c->len -= n + 1;
  return true;
}

static void roundtrip(gale_loop *loop, struct client *c, const char *send, const char *expect) {
  char line[256];
  client_send(c, send);
  TH_RUN_UNTIL(loop, client_poll(c), 5);
  assert_true(client_line(c, line, sizeof line));
  assert_string_equal(line, expect);
}

static bool have_ipv6(void) {
  int fds[2];
  size_t n;
  if (gale_bind_sockets(0, "::1", AF_INET6, 0, 0, fds, 2, &n) != GALE_OK) return false;
  close(fds[0]);
  return true;
}

/* ---- tests ----------------------------------------------------------------- */

static void test_listen_echo_v4(void **state) {
  int before = th_count_fds();
  gale_loop *loop = gale_loop_new();
  struct srv ctx = {0};
  assert_int_equal(gale_tcp_server_new(loop, NULL, handle, &ctx, &ctx.server), GALE_OK);
  assert_int_equal(gale_tcp_server_listen(ctx.server, 0, "127.0.0.1"), GALE_OK);
  int port = server_port(ctx.server);
  assert_ptr_equal(gale_tcp_server_loop(ctx.server), loop);

  struct client c[4];
  for (int i = 0; i < 4; i++) client_open(&c[i], AF_INET, port);
  for (int round = 0; round < 3; round++)
    for (int i = 0; i < 4; i++) {
      char msg[48], expect[32];
      snprintf(expect, sizeof expect, "client %d round %d", i, round);
      snprintf(msg, sizeof msg, "%s\n", expect);
      roundtrip(loop, &c[i], msg, expect);
    }
  assert_int_equal(ctx.accepted, 4);
  assert_int_equal(gale_tcp_server_connection_count(ctx.server), 4);
  assert_memory_equal(ctx.peer, "127.0.0.1:", 10);

  /* A client closing is noticed: the user's close callback and the
   * server's count both. */
  client_close(&c[0]);
  TH_RUN_UNTIL(loop, ctx.closed == 1 && gale_tcp_server_connection_count(ctx.server) == 3, 5);
  /* QUIT: the server side closes. */
  client_send(&c[1], "QUIT\n");
  TH_RUN_UNTIL(loop, client_poll(&c[1]) && c[1].eof, 5);
  TH_RUN_UNTIL(loop, gale_tcp_server_connection_count(ctx.server) == 2, 5);

  gale_tcp_server_free(ctx.server);
  TH_RUN_UNTIL(loop, ctx.closed == 4, 5); /* free closed the rest */
  for (int i = 0; i < 4; i++) client_close(&c[i]);
  gale_loop_free(loop);
  assert_int_equal(th_count_fds(), before);
}

static void test_listen_v6(void **state) {
  if (!have_ipv6()) skip();
  int before = th_count_fds();
  gale_loop *loop = gale_loop_new();
  struct srv ctx = {0};
  assert_int_equal(gale_tcp_server_new(loop, NULL, handle, &ctx, &ctx.server), GALE_OK);
  assert_int_equal(gale_tcp_server_listen(ctx.server, 0, "::1"), GALE_OK);
  struct client c;
  client_open(&c, AF_INET6, server_port(ctx.server));
  roundtrip(loop, &c, "over six\n", "over six");
  assert_memory_equal(ctx.peer, "[::1]:", 6);
  client_close(&c);
  gale_tcp_server_free(ctx.server);
  th_run_for(loop, 0.05);
  gale_loop_free(loop);
  assert_int_equal(th_count_fds(), before);
}

/* listen(port, NULL) serves both families on one port. */
static void test_listen_all_interfaces(void **state) {
  gale_loop *loop = gale_loop_new();
  struct srv ctx = {0};
  assert_int_equal(gale_tcp_server_new(loop, NULL, handle, &ctx, &ctx.server), GALE_OK);
  assert_int_equal(gale_tcp_server_listen(ctx.server, 0, NULL), GALE_OK);
  int port = server_port(ctx.server);
  struct client c4;
  client_open(&c4, AF_INET, port);
  roundtrip(loop, &c4, "four\n", "four");
  client_close(&c4);
  if (have_ipv6()) {
    struct client c6;
    client_open(&c6, AF_INET6, port);
    roundtrip(loop, &c6, "six\n", "six");
    client_close(&c6);
  }
  gale_tcp_server_free(ctx.server);
  th_run_for(loop, 0.05);
  gale_loop_free(loop);
}

static void test_add_sockets(void **state) {
  int before = th_count_fds();
  gale_loop *loop = gale_loop_new();
  struct srv ctx = {0};
  assert_int_equal(gale_tcp_server_new(loop, NULL, handle, &ctx, &ctx.server), GALE_OK);
  int p1, p2;
  int fds[2] = {th_listen(&p1), th_listen(&p2)};
  assert_int_equal(gale_tcp_server_add_sockets(ctx.server, fds, 2), GALE_OK);
  struct client a, b;
  client_open(&a, AF_INET, p1);
  client_open(&b, AF_INET, p2);
  roundtrip(loop, &a, "one\n", "one");
  roundtrip(loop, &b, "two\n", "two");
  client_close(&a);
  client_close(&b);
  /* Bad fds are refused, and ownership still passes (nothing leaks). */
  int bad[2] = {th_listen(&p1), -1};
  assert_int_equal(gale_tcp_server_add_sockets(ctx.server, bad, 2), GALE_EINVAL);
  gale_tcp_server_free(ctx.server); /* closes the listening fds it owns */
  th_run_for(loop, 0.05);
  gale_loop_free(loop);
  assert_int_equal(th_count_fds(), before);
}

static void test_api_errors(void **state) {
  gale_loop *loop = gale_loop_new();
  struct srv ctx = {0};
  gale_tcp_server *s;
  assert_int_equal(gale_tcp_server_new(loop, NULL, NULL, NULL, &s), GALE_EINVAL);
  assert_int_equal(gale_tcp_server_new(loop, NULL, handle, NULL, NULL), GALE_EINVAL);
  assert_int_equal(gale_tcp_server_new(loop, NULL, handle, &ctx, &s), GALE_OK);
  assert_int_equal(gale_tcp_server_start(s, 1, -1), GALE_ESTATE); /* nothing bound */
  assert_int_equal(gale_tcp_server_listen(s, 70000, NULL), GALE_EINVAL);
  assert_int_equal(gale_tcp_server_bind(s, 0, "127.0.0.1", AF_INET, 0, 0), GALE_OK);
  /* Forking with a loop is refused: the loop would be shared. */
  assert_int_equal(gale_tcp_server_start(s, 2, -1), GALE_ESTATE);
  assert_int_equal(gale_tcp_server_start(s, 1, -1), 0);
  assert_int_equal(gale_tcp_server_start(s, 1, -1), GALE_ESTATE);
  assert_int_equal(gale_tcp_server_shutdown(s, 1, on_done, &ctx), GALE_OK);
  assert_int_equal(gale_tcp_server_shutdown(s, 1, on_done, &ctx), GALE_EBUSY);
  assert_true(gale_tcp_server_is_shutting_down(s));
  assert_int_equal(gale_tcp_server_listen(s, 0, NULL), GALE_ESTATE);
  TH_RUN_UNTIL(loop, ctx.done, 5); /* no connections: done on the next turn */
  gale_tcp_server_free(s);
  gale_tcp_server_free(NULL);
  assert_int_equal(gale_tcp_server_stop(NULL), GALE_EINVAL);
  gale_loop_free(loop);
}

/* bind + start(1): no fork, accept on the server's loop. */
static void test_bind_start_one(void **state) {
  gale_loop *loop = gale_loop_new();
  struct srv ctx = {0};
  assert_int_equal(gale_tcp_server_new(loop, NULL, handle, &ctx, &ctx.server), GALE_OK);
  assert_int_equal(gale_tcp_server_bind(ctx.server, 0, "127.0.0.1", AF_INET, 0, 0), GALE_OK);
  int port = server_port(ctx.server);
  assert_int_equal(gale_tcp_server_start(ctx.server, 1, -1), 0);
  struct client c;
  client_open(&c, AF_INET, port);
  roundtrip(loop, &c, "started\n", "started");
  client_close(&c);
  gale_tcp_server_free(ctx.server);
  th_run_for(loop, 0.05);
  gale_loop_free(loop);
}

static void test_stop(void **state) {
  int before = th_count_fds();
  gale_loop *loop = gale_loop_new();
  struct srv ctx = {0};
  assert_int_equal(gale_tcp_server_new(loop, NULL, handle, &ctx, &ctx.server), GALE_OK);
  assert_int_equal(gale_tcp_server_listen(ctx.server, 0, "127.0.0.1"), GALE_OK);
  int port = server_port(ctx.server);
  struct client c;
  client_open(&c, AF_INET, port);
  roundtrip(loop, &c, "before\n", "before");
  assert_int_equal(gale_tcp_server_stop(ctx.server), GALE_OK);
  assert_int_equal(gale_tcp_server_stop(ctx.server), GALE_OK);
  assert_int_equal(gale_tcp_server_sockets(ctx.server, NULL, 0), 0);
  /* New connections are refused; the open one still works. */
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), -1);
  assert_int_equal(errno, ECONNREFUSED);
  close(fd);
  roundtrip(loop, &c, "after\n", "after");
  client_close(&c);
  TH_RUN_UNTIL(loop, gale_tcp_server_connection_count(ctx.server) == 0, 5);
  gale_tcp_server_free(ctx.server);
  gale_loop_free(loop);
  assert_int_equal(th_count_fds(), before);
}

static void test_max_connections(void **state) {
  int before = th_count_fds();
  gale_loop *loop = gale_loop_new();
  struct srv ctx = {0};
  gale_tcp_server_options opts;
  gale_tcp_server_options_init(&opts);
  opts.max_connections = 2;
  assert_int_equal(gale_tcp_server_new(loop, &opts, handle, &ctx, &ctx.server), GALE_OK);
  assert_int_equal(gale_tcp_server_listen(ctx.server, 0, "127.0.0.1"), GALE_OK);
  int port = server_port(ctx.server);
  struct client c[3];
  for (int i = 0; i < 3; i++) client_open(&c[i], AF_INET, port);
  roundtrip(loop, &c[0], "a\n", "a");
  roundtrip(loop, &c[1], "b\n", "b");
  client_send(&c[2], "c\n");
  th_run_for(loop, 0.2);
  assert_int_equal(ctx.accepted, 2); /* the third waits in the backlog */
  assert_false(client_poll(&c[2]));
  client_close(&c[0]);
  TH_RUN_UNTIL(loop, client_poll(&c[2]), 5);
  char line[16];
  assert_true(client_line(&c[2], line, sizeof line));
  assert_string_equal(line, "c");
  assert_int_equal(ctx.accepted, 3);
  client_close(&c[1]);
  client_close(&c[2]);
  TH_RUN_UNTIL(loop, gale_tcp_server_connection_count(ctx.server) == 0, 5);
  gale_tcp_server_free(ctx.server);
  gale_loop_free(loop);
  assert_int_equal(th_count_fds(), before);
}

/* One connection finishes during the shutdown window; the other lingers
 * and is closed at the deadline; done runs once, after both. */
static void test_graceful_shutdown(void **state) {
  int before = th_count_fds();
  gale_loop *loop = gale_loop_new();
  struct srv ctx = {0};
  assert_int_equal(gale_tcp_server_new(loop, NULL, handle, &ctx, &ctx.server), GALE_OK);
  assert_int_equal(gale_tcp_server_listen(ctx.server, 0, "127.0.0.1"), GALE_OK);
  int port = server_port(ctx.server);
  struct client quick, slow;
  client_open(&quick, AF_INET, port);
  client_open(&slow, AF_INET, port);
  roundtrip(loop, &quick, "q\n", "q");
  roundtrip(loop, &slow, "s\n", "s");

  assert_int_equal(gale_tcp_server_shutdown(ctx.server, 1.0, on_done, &ctx), GALE_OK);
  assert_false(ctx.done); /* never inside the call */
  /* Still serving the open connections. */
  roundtrip(loop, &quick, "still here\n", "still here");
  client_send(&quick, "QUIT\n");
  TH_RUN_UNTIL(loop, ctx.closed == 1, 5);
  assert_int_equal(ctx.last_close_reason, GALE_OK);
  assert_false(ctx.done);
  assert_int_equal(gale_tcp_server_connection_count(ctx.server), 1);
  /* The slow one is closed by the deadline. */
  TH_RUN_UNTIL(loop, ctx.done, 10);
  assert_int_equal(ctx.closed, 2);
  assert_int_equal(ctx.done_calls, 1);
  TH_RUN_UNTIL(loop, client_poll(&slow) && slow.eof, 5);
  th_run_for(loop, 0.05);
  assert_int_equal(ctx.done_calls, 1);
  client_close(&quick);
  client_close(&slow);
  gale_tcp_server_free(ctx.server);
  gale_loop_free(loop);
  assert_int_equal(th_count_fds(), before);
}

static void free_on_done(gale_tcp_server *server, void *arg) {
  struct srv *ctx = arg;
  ctx->done = true;
  gale_tcp_server_free(server);
  ctx->server = NULL;
}

/* Timeout 0 closes everything at once; the server may be freed in done. */
static void test_shutdown_now_free_in_done(void **state) {
  int before = th_count_fds();
  gale_loop *loop = gale_loop_new();
  struct srv ctx = {0};
  assert_int_equal(gale_tcp_server_new(loop, NULL, handle, &ctx, &ctx.server), GALE_OK);
  assert_int_equal(gale_tcp_server_listen(ctx.server, 0, "127.0.0.1"), GALE_OK);
  struct client c;
  client_open(&c, AF_INET, server_port(ctx.server));
  roundtrip(loop, &c, "x\n", "x");
  assert_int_equal(gale_tcp_server_shutdown(ctx.server, 0, free_on_done, &ctx), GALE_OK);
  TH_RUN_UNTIL(loop, ctx.done, 5);
  assert_int_equal(ctx.closed, 1);
  client_close(&c);
  th_run_for(loop, 0.05);
  gale_loop_free(loop);
  assert_int_equal(th_count_fds(), before);
}

static void test_free_in_handle_stream(void **state) {
  int before = th_count_fds();
  gale_loop *loop = gale_loop_new();
  struct srv ctx = {.free_in_handle = true};
  assert_int_equal(gale_tcp_server_new(loop, NULL, handle, &ctx, &ctx.server), GALE_OK);
  assert_int_equal(gale_tcp_server_listen(ctx.server, 0, "127.0.0.1"), GALE_OK);
  int port = server_port(ctx.server);
  struct client a, b;
  client_open(&a, AF_INET, port);
  client_open(&b, AF_INET, port);
  TH_RUN_UNTIL(loop, ctx.accepted == 1, 5);
  TH_RUN_UNTIL(loop, client_poll(&a) && a.eof, 5); /* freeing closed it */
  th_run_for(loop, 0.05);
  assert_int_equal(ctx.accepted, 1);
  client_close(&a);
  client_close(&b);
  gale_loop_free(loop);
  assert_int_equal(th_count_fds(), before);
}

/* Clients that reset at once, send garbage or a huge line do not hurt the
 * server: it keeps serving and its count goes back to zero. */
static void test_hostile_clients(void **state) {
  int before = th_count_fds();
  gale_loop *loop = gale_loop_new();
  struct srv ctx = {0};
  assert_int_equal(gale_tcp_server_new(loop, NULL, handle, &ctx, &ctx.server), GALE_OK);
  assert_int_equal(gale_tcp_server_listen(ctx.server, 0, "127.0.0.1"), GALE_OK);
  int port = server_port(ctx.server);
  for (int i = 0; i < 10; i++) {
    struct client r;
    client_open(&r, AF_INET, port);
    struct linger lg = {1, 0};
    setsockopt(r.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    if (i % 2) client_send(&r, "half a li");
    client_close(&r); /* RST */
  }
  struct client big;
  client_open(&big, AF_INET, port);
  char junk[8192];
  memset(junk, 'x', sizeof junk);
  th_write_all(big.fd, junk, sizeof junk); /* no newline within max_bytes */
  TH_RUN_UNTIL(loop, client_poll(&big) && big.eof, 5);
  client_close(&big);

  struct client ok;
  client_open(&ok, AF_INET, port);
  roundtrip(loop, &ok, "fine\n", "fine");
  client_close(&ok);
  TH_RUN_UNTIL(loop, gale_tcp_server_connection_count(ctx.server) == 0, 5);
  gale_tcp_server_free(ctx.server);
  gale_loop_free(loop);
  assert_int_equal(th_count_fds(), before);
}

/* ---- systemd socket activation, in a child that owns fd 3 --------------- */

static void test_systemd_activation(void **state) {
  int port;
  int l = th_listen(&port);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    for (int fd = 3; fd < 256; fd++)
      if (fd != l) close(fd);
    if (dup2(l, 3) < 0) _exit(10);
    if (l != 3) close(l);
    char me[32];
    snprintf(me, sizeof me, "%d", (int)getpid());
    setenv("LISTEN_PID", me, 1);
    setenv("LISTEN_FDS", "1", 1);
    int fds[4];
    size_t n;
    if (gale_sockets_from_systemd(fds, 4, &n) != GALE_OK || n != 1) _exit(11);
    gale_loop *loop = gale_loop_new();
    struct srv ctx = {0};
    if (gale_tcp_server_new(loop, NULL, handle, &ctx, &ctx.server) != GALE_OK) _exit(12);
    if (gale_tcp_server_add_sockets(ctx.server, fds, n) != GALE_OK) _exit(13);
    double deadline = th_now() + 10;
    while ((ctx.accepted == 0 || ctx.closed == 0) && th_now() < deadline)
      gale_loop_run_once(loop, 0.05);
    gale_tcp_server_free(ctx.server);
    gale_loop_run_once(loop, 0);
    gale_loop_free(loop);
    _exit(ctx.closed == 1 ? 0 : 14);
  }
  close(l);
  int c = th_connect(port);
  th_write_all(c, "activated\n", 10);
  char buf[16] = {0};
  assert_int_equal(th_read_full(c, buf, 10, 10), 10);
  assert_memory_equal(buf, "activated\n", 10);
  close(c);
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- forked workers ------------------------------------------------------ */

/* Sends "PID\n" on a blocking socket and parses "pid task". */
static void ask_pid(int fd, int *pid, int *task) {
  th_write_all(fd, "PID\n", 4);
  char buf[64] = {0};
  size_t got = 0;
  double deadline = th_now() + 10;
  while (!memchr(buf, '\n', got) && got < sizeof buf - 1 && th_now() < deadline) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 100) <= 0) continue;
    ssize_t n = read(fd, buf + got, sizeof buf - 1 - got);
    if (n <= 0) break;
    got += (size_t)n;
  }
  assert_int_equal(sscanf(buf, "%d %d", pid, task), 2);
}

/* start(2) in a forked supervisor.  Each worker takes at most one
 * connection (max_connections 1), so two open connections must be served
 * by the two workers; a killed worker is replaced and serves again. */
static void test_forked_workers(void **state) {
  int p[2];
  assert_int_equal(pipe(p), 0);
  pid_t sup = fork();
  assert_true(sup >= 0);
  if (sup == 0) {
    close(p[0]);
    gale_log_set_level(GALE_LOG_ERROR);
    struct srv ctx = {0};
    gale_tcp_server_options opts;
    gale_tcp_server_options_init(&opts);
    opts.max_connections = 1;
    gale_tcp_server *server;
    if (gale_tcp_server_new(NULL, &opts, handle, &ctx, &server) != GALE_OK) _exit(10);
    if (gale_tcp_server_bind(server, 0, "127.0.0.1", AF_INET, 0, 0) != GALE_OK) _exit(11);
    int port = server_port(server);
    if (write(p[1], &port, sizeof port) != sizeof port) _exit(12);
    close(p[1]);
    int task = gale_tcp_server_start(server, 2, 5);
    if (task < 0) _exit(13);
    gale_loop_run(gale_tcp_server_loop(server));
    _exit(0);
  }
  close(p[1]);
  int port = 0;
  assert_int_equal(th_read_full(p[0], &port, sizeof port, 10), sizeof port);
  close(p[0]);

  int a = th_connect(port), b = th_connect(port);
  int pa, ta, pb, tb;
  ask_pid(a, &pa, &ta);
  ask_pid(b, &pb, &tb);
  assert_int_not_equal(pa, pb);
  assert_int_not_equal(ta, tb);
  assert_in_range(ta, 0, 1);
  assert_in_range(tb, 0, 1);
  assert_int_not_equal(pa, sup);

  /* Kill the worker serving `a`; its replacement has the same task id. */
  kill(pa, SIGKILL);
  close(a);
  int c = th_connect(port);
  int pc, tc;
  ask_pid(c, &pc, &tc);
  assert_int_equal(tc, ta);
  assert_int_not_equal(pc, pa);
  assert_int_not_equal(pc, pb);

  /* SIGTERM to the supervisor ends every worker; it exits 0. */
  kill(sup, SIGTERM);
  int status;
  double deadline = th_now() + 10;
  while (waitpid(sup, &status, WNOHANG) != sup && th_now() < deadline) usleep(10000);
  assert_true(th_now() < deadline);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  char buf[8];
  assert_int_equal(th_read_full(b, buf, sizeof buf, 5), 0); /* EOF: worker gone */
  close(b);
  close(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_listen_echo_v4),
      cmocka_unit_test(test_listen_v6),
      cmocka_unit_test(test_listen_all_interfaces),
      cmocka_unit_test(test_add_sockets),
      cmocka_unit_test(test_api_errors),
      cmocka_unit_test(test_bind_start_one),
      cmocka_unit_test(test_stop),
      cmocka_unit_test(test_max_connections),
      cmocka_unit_test(test_graceful_shutdown),
      cmocka_unit_test(test_shutdown_now_free_in_done),
      cmocka_unit_test(test_free_in_handle_stream),
      cmocka_unit_test(test_hostile_clients),
      cmocka_unit_test(test_systemd_activation),
      cmocka_unit_test(test_forked_workers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
