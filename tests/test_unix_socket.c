/* SPDX-License-Identifier: MIT */
/* Tests for unix domain sockets in iostream/: gale_bind_unix_socket (mode,
 * stale socket removed, live one refused, a non-socket never removed, long
 * paths), the TCP server listening on a path and the TCP client connecting
 * to one (per connect and client-wide), failures delivered on a later
 * turn, fd leaks. */
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "gale/netutil.h"
#include "gale/tcp_client.h"
#include "gale/tcp_server.h"

static char *dir;
static char path[512];
static int fds_before;

static int setup(void **state) {
  fds_before = th_count_fds();
  dir = th_mkdtemp();
  snprintf(path, sizeof path, "%s/s.sock", dir);
  return 0;
}

static int teardown(void **state) {
  th_rmtree(dir);
  dir = NULL;
  assert_int_equal(th_count_fds(), fds_before);
  return 0;
}

/* ---- an echo server on the path ------------------------------------------ */

struct srv {
  int accepted, family;
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
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  if (gale_stream_peer_addr(s, (struct sockaddr *)&ss, &sl) == GALE_OK) ctx->family = ss.ss_family;
  gale_stream_read_until(s, "\n", 1, 4096, echo_line, ctx);
}

struct cli {
  int calls, status;
  gale_stream *stream;
  char line[64];
  bool got_line;
};

static void on_connect(int status, gale_stream *stream, void *arg) {
  struct cli *c = arg;
  c->calls++;
  c->status = status;
  c->stream = stream;
}

static void on_line(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  struct cli *c = arg;
  if (status == GALE_OK) snprintf(c->line, sizeof c->line, "%.*s", (int)len, data);
  c->got_line = true;
}

static void roundtrip(gale_loop *loop, struct cli *c, const char *msg) {
  TH_RUN_UNTIL(loop, c->calls == 1, 5);
  assert_int_equal(c->status, GALE_OK);
  gale_stream_write(c->stream, msg, strlen(msg), NULL, NULL);
  gale_stream_read_until(c->stream, "\n", 1, 4096, on_line, c);
  TH_RUN_UNTIL(loop, c->got_line, 5);
  assert_string_equal(c->line, msg);
  gale_stream_close(c->stream);
}

static void test_server_and_client_on_a_path(void **state) {
  gale_loop *loop = gale_loop_new();
  struct srv ctx = {0};
  gale_tcp_server *server;
  assert_int_equal(gale_tcp_server_new(loop, NULL, handle, &ctx, &server), GALE_OK);
  assert_int_equal(gale_tcp_server_listen_unix(server, path, 0600), GALE_OK);
  struct stat st;
  assert_int_equal(lstat(path, &st), 0);
  assert_true(S_ISSOCK(st.st_mode));
  assert_int_equal(st.st_mode & 07777, 0600);

  gale_tcp_client *client;
  assert_int_equal(gale_tcp_client_new(loop, NULL, &client), GALE_OK);
  gale_tcp_connect_options o;
  gale_tcp_connect_options_init(&o);
  o.unix_path = path;
  struct cli c = {0};
  /* The host is not resolved: a name that would not resolve is fine. */
  assert_int_equal(
      gale_tcp_client_connect(client, "no-such-host.invalid", 80, &o, on_connect, &c, NULL),
      GALE_OK);
  assert_int_equal(c.calls, 0); /* never inside the call */
  roundtrip(loop, &c, "over a path\n");
  assert_int_equal(ctx.accepted, 1);
  assert_int_equal(ctx.family, AF_UNIX);

  /* Client-wide: every connect goes to the path. */
  assert_int_equal(gale_tcp_client_set_unix_socket(client, path), GALE_OK);
  struct cli c2 = {0};
  assert_int_equal(gale_tcp_client_connect(client, "example.com", 443, NULL, on_connect, &c2, NULL),
                   GALE_OK);
  roundtrip(loop, &c2, "client-wide\n");
  assert_int_equal(ctx.accepted, 2);
  /* Back to TCP: a refused 127.0.0.1 port, not the path. */
  assert_int_equal(gale_tcp_client_set_unix_socket(client, NULL), GALE_OK);
  struct cli c3 = {0};
  assert_int_equal(
      gale_tcp_client_connect(client, "127.0.0.1", th_free_port(), NULL, on_connect, &c3, NULL),
      GALE_OK);
  TH_RUN_UNTIL(loop, c3.calls == 1, 5);
  assert_int_equal(c3.status, GALE_ECONNREFUSED);
  assert_int_equal(ctx.accepted, 2);

  gale_tcp_client_free(client);
  gale_tcp_server_free(server);
  th_run_for(loop, 0.02);
  gale_loop_free(loop);
  /* Closing leaves the file for the next bind to clear. */
  assert_int_equal(lstat(path, &st), 0);
}

static void test_client_failures(void **state) {
  gale_loop *loop = gale_loop_new();
  gale_tcp_client *client;
  assert_int_equal(gale_tcp_client_new(loop, NULL, &client), GALE_OK);
  gale_tcp_connect_options o;
  gale_tcp_connect_options_init(&o);
  o.unix_path = path; /* nothing there */
  struct cli c = {0};
  assert_int_equal(gale_tcp_client_connect(client, "localhost", 80, &o, on_connect, &c, NULL),
                   GALE_OK);
  assert_int_equal(c.calls, 0);
  TH_RUN_UNTIL(loop, c.calls == 1, 5);
  assert_int_equal(c.status, GALE_ECONNREFUSED);

  /* A socket file nobody listens on: refused. */
  int fd;
  assert_int_equal(gale_bind_unix_socket(path, -1, 0, &fd), GALE_OK);
  close(fd);
  struct cli c2 = {0};
  assert_int_equal(gale_tcp_client_connect(client, "localhost", 80, &o, on_connect, &c2, NULL),
                   GALE_OK);
  TH_RUN_UNTIL(loop, c2.calls == 1, 5);
  assert_int_equal(c2.status, GALE_ECONNREFUSED);

  /* Cancelled before its turn: no callback, nothing left open. */
  struct cli c3 = {0};
  gale_tcp_connect *op;
  assert_int_equal(gale_tcp_client_connect(client, "localhost", 80, &o, on_connect, &c3, &op),
                   GALE_OK);
  assert_int_equal(gale_tcp_connect_cancel(op), GALE_OK);
  th_run_for(loop, 0.02);
  assert_int_equal(c3.calls, 0);

  char longp[200];
  memset(longp, 'a', sizeof longp - 1);
  longp[sizeof longp - 1] = '\0';
  o.unix_path = longp;
  assert_int_equal(gale_tcp_client_connect(client, "localhost", 80, &o, on_connect, &c, NULL),
                   GALE_EINVAL);
  assert_int_equal(gale_tcp_client_set_unix_socket(client, longp), GALE_EINVAL);
  assert_int_equal(gale_tcp_client_set_unix_socket(client, ""), GALE_EINVAL);
  /* A client freed with a unix connect pending cancels it. */
  o.unix_path = path;
  struct cli c4 = {0};
  assert_int_equal(gale_tcp_client_connect(client, "localhost", 80, &o, on_connect, &c4, NULL),
                   GALE_OK);
  gale_tcp_client_free(client);
  assert_int_equal(c4.calls, 1);
  assert_int_equal(c4.status, GALE_ECANCELLED);
  th_run_for(loop, 0.02);
  gale_loop_free(loop);
}

static void test_bind_stale_live_and_foreign(void **state) {
  int fd, fd2;
  /* Stale: a socket file left by a closed listener is replaced. */
  assert_int_equal(gale_bind_unix_socket(path, 0666, 0, &fd), GALE_OK);
  close(fd);
  assert_int_equal(gale_bind_unix_socket(path, 0640, 0, &fd), GALE_OK);
  struct stat st;
  assert_int_equal(lstat(path, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0640);
  /* Live: refused, and the live one keeps its file. */
  assert_int_equal(gale_bind_unix_socket(path, 0640, 0, &fd2), GALE_EADDRINUSE);
  assert_int_equal(lstat(path, &st), 0);
  assert_true(S_ISSOCK(st.st_mode));
  close(fd);
  unlink(path);

  /* A regular file, a directory, a symbolic link: never removed. */
  th_write_file(path, "precious", 8);
  assert_int_equal(gale_bind_unix_socket(path, -1, 0, &fd), GALE_EEXIST);
  size_t len;
  char *data = th_read_file(path, &len);
  assert_int_equal(len, 8);
  free(data);
  unlink(path);
  assert_int_equal(mkdir(path, 0700), 0);
  assert_int_equal(gale_bind_unix_socket(path, -1, 0, &fd), GALE_EEXIST);
  rmdir(path);
  char target[600];
  snprintf(target, sizeof target, "%s/target.sock", dir);
  assert_int_equal(gale_bind_unix_socket(target, -1, 0, &fd), GALE_OK);
  close(fd);
  assert_int_equal(symlink(target, path), 0);
  assert_int_equal(gale_bind_unix_socket(path, -1, 0, &fd), GALE_EEXIST);
  assert_int_equal(lstat(path, &st), 0);
  assert_true(S_ISLNK(st.st_mode));
  unlink(path);

  /* Arguments. */
  char longp[200];
  memset(longp, 'a', sizeof longp - 1);
  longp[sizeof longp - 1] = '\0';
  assert_int_equal(gale_bind_unix_socket(longp, -1, 0, &fd), GALE_EINVAL);
  assert_int_equal(gale_bind_unix_socket("", -1, 0, &fd), GALE_EINVAL);
  assert_int_equal(gale_bind_unix_socket(NULL, -1, 0, &fd), GALE_EINVAL);
  assert_int_equal(gale_bind_unix_socket(path, 010000, 0, &fd), GALE_EINVAL);
  snprintf(target, sizeof target, "%s/no/such/dir.sock", dir);
  assert_int_equal(gale_bind_unix_socket(target, -1, 0, &fd), GALE_ENOENT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_server_and_client_on_a_path, setup, teardown),
      cmocka_unit_test_setup_teardown(test_client_failures, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bind_stale_live_and_foreign, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
