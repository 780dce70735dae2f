/* SPDX-License-Identifier: MIT */
/* Tests for iostream/netutil.c and iostream/acceptor.c: binding, systemd
 * activation, address formatting, accepting with back-off. */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gale/netutil.h"
#include "iostream/server_internal.h"

static bool have_ipv6(void) {
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return false;
  struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
  bool ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
  close(fd);
  return ok;
}

static void check_listening(int fd, int family) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
  assert_int_equal(ss.ss_family, family);
  assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
  assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
  int v = 0;
  len = sizeof v;
  assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len), 0);
  assert_true(v);
  len = sizeof v;
  assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, &len), 0);
  assert_true(v);
  if (family == AF_INET6) {
    len = sizeof v;
    assert_int_equal(getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len), 0);
    assert_true(v);
  }
}

static void test_bind_loopback_v4(void **state) {
  int before = th_count_fds();
  int fds[4];
  size_t n = 0;
  assert_int_equal(gale_bind_sockets(0, "127.0.0.1", AF_UNSPEC, 0, 0, fds, 4, &n), GALE_OK);
  assert_int_equal(n, 1);
  check_listening(fds[0], AF_INET);
  int port = gale_socket_port(fds[0]);
  assert_true(port > 0);
  int c = th_connect(port);
  assert_true(c >= 0);
  close(c);
  close(fds[0]);
  assert_int_equal(th_count_fds(), before);
}

static void test_bind_v6(void **state) {
  if (!have_ipv6()) skip();
  int fds[4];
  size_t n = 0;
  assert_int_equal(gale_bind_sockets(0, "::1", AF_UNSPEC, 16, 0, fds, 4, &n), GALE_OK);
  assert_int_equal(n, 1);
  check_listening(fds[0], AF_INET6);
  close(fds[0]);
}

/* NULL binds every family on one shared port, even for port 0. */
static void test_bind_all_same_port(void **state) {
  int before = th_count_fds();
  int fds[GALE_MAX_LISTEN_SOCKETS];
  size_t n = 0;
  assert_int_equal(gale_bind_sockets(0, NULL, AF_UNSPEC, 0, 0, fds, GALE_MAX_LISTEN_SOCKETS, &n),
                   GALE_OK);
  assert_true(n >= 1);
  int port = gale_socket_port(fds[0]);
  for (size_t i = 0; i < n; i++) assert_int_equal(gale_socket_port(fds[i]), port);
  int c = th_connect(port);
  close(c);
  for (size_t i = 0; i < n; i++) close(fds[i]);
  assert_int_equal(th_count_fds(), before);
}

static void test_bind_localhost(void **state) {
  int fds[4];
  size_t n = 0;
  assert_int_equal(gale_bind_sockets(0, "localhost", AF_INET, 0, 0, fds, 4, &n), GALE_OK);
  assert_int_equal(n, 1);
  check_listening(fds[0], AF_INET);
  close(fds[0]);
  assert_int_equal(gale_bind_sockets(0, "localhost", AF_UNSPEC, 0, 0, fds, 4, &n), GALE_OK);
  assert_true(n >= 1);
  for (size_t i = 0; i < n; i++) close(fds[i]);
}

static void test_bind_errors(void **state) {
  int before = th_count_fds();
  int fds[4];
  size_t n = 7;
  assert_int_equal(gale_bind_sockets(-1, NULL, AF_UNSPEC, 0, 0, fds, 4, &n), GALE_EINVAL);
  assert_int_equal(gale_bind_sockets(65536, NULL, AF_UNSPEC, 0, 0, fds, 4, &n), GALE_EINVAL);
  assert_int_equal(gale_bind_sockets(0, NULL, AF_UNIX, 0, 0, fds, 4, &n), GALE_EINVAL);
  assert_int_equal(gale_bind_sockets(0, NULL, AF_UNSPEC, 0, 0x100, fds, 4, &n), GALE_EINVAL);
  assert_int_equal(gale_bind_sockets(0, NULL, AF_UNSPEC, 0, 0, NULL, 4, &n), GALE_EINVAL);
  assert_int_equal(gale_bind_sockets(0, "1.2.3.4.5", AF_INET, 0, 0, fds, 4, &n), GALE_ENOENT);
  /* An IPv4 literal asked as IPv6 does not resolve. */
  assert_int_not_equal(gale_bind_sockets(0, "127.0.0.1", AF_INET6, 0, 0, fds, 4, &n), GALE_OK);
  /* An address this host does not have. */
  assert_int_equal(gale_bind_sockets(0, "192.0.2.1", AF_INET, 0, 0, fds, 4, &n),
                   GALE_EADDRNOTAVAIL);
  /* The port is taken (no SO_REUSEPORT on either socket). */
  int port;
  int l = th_listen(&port);
  assert_int_equal(gale_bind_sockets(port, "127.0.0.1", AF_INET, 0, 0, fds, 4, &n),
                   GALE_EADDRINUSE);
  close(l);
  assert_int_equal(th_count_fds(), before);
}

static void test_bind_reuseport(void **state) {
  int a[4], b[4];
  size_t na, nb;
  assert_int_equal(gale_bind_sockets(0, "127.0.0.1", AF_INET, 0, GALE_BIND_REUSEPORT, a, 4, &na),
                   GALE_OK);
  int port = gale_socket_port(a[0]);
  assert_int_equal(gale_bind_sockets(port, "127.0.0.1", AF_INET, 0, GALE_BIND_REUSEPORT, b, 4, &nb),
                   GALE_OK);
  close(a[0]);
  close(b[0]);
}

static void test_bind_too_many(void **state) {
  int before = th_count_fds();
  int fds[1];
  size_t n;
  int rc = gale_bind_sockets(0, NULL, AF_UNSPEC, 0, 0, fds, 1, &n);
  if (rc == GALE_OK) { /* a v4-only host */
    close(fds[0]);
  } else {
    assert_int_equal(rc, GALE_ERANGE);
  }
  assert_int_equal(th_count_fds(), before);
}

static void test_sockaddr_format(void **state) {
  char buf[GALE_SOCKADDR_STRLEN];
  struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(8080)};
  inet_pton(AF_INET, "10.1.2.3", &a4.sin_addr);
  assert_int_equal(gale_sockaddr_format((struct sockaddr *)&a4, buf, sizeof buf), GALE_OK);
  assert_string_equal(buf, "10.1.2.3:8080");
  assert_int_equal(gale_sockaddr_ip((struct sockaddr *)&a4, buf, sizeof buf), GALE_OK);
  assert_string_equal(buf, "10.1.2.3");
  assert_int_equal(gale_sockaddr_port((struct sockaddr *)&a4), 8080);

  struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(443)};
  inet_pton(AF_INET6, "2001:db8::1", &a6.sin6_addr);
  assert_int_equal(gale_sockaddr_format((struct sockaddr *)&a6, buf, sizeof buf), GALE_OK);
  assert_string_equal(buf, "[2001:db8::1]:443");
  inet_pton(AF_INET6, "::ffff:192.0.2.7", &a6.sin6_addr);
  assert_int_equal(gale_sockaddr_ip((struct sockaddr *)&a6, buf, sizeof buf), GALE_OK);
  assert_string_equal(buf, "192.0.2.7");

  char small[6];
  assert_int_equal(gale_sockaddr_format((struct sockaddr *)&a4, small, sizeof small), GALE_ERANGE);
  assert_int_equal(strlen(small), 5);
  struct sockaddr bad = {.sa_family = AF_APPLETALK};
  assert_int_equal(gale_sockaddr_format(&bad, buf, sizeof buf), GALE_EINVAL);
  assert_int_equal(gale_sockaddr_port(&bad), -1);
  assert_int_equal(gale_sockaddr_format(NULL, buf, sizeof buf), GALE_EINVAL);
}

/* ---- systemd activation --------------------------------------------------- */

static void set_listen_env(const char *pid, const char *n) {
  setenv("LISTEN_PID", pid, 1);
  setenv("LISTEN_FDS", n, 1);
  setenv("LISTEN_FDNAMES", "web", 1);
}

static void test_systemd(void **state) {
  int fds[4];
  size_t n = 9;
  unsetenv("LISTEN_PID");
  unsetenv("LISTEN_FDS");
  assert_int_equal(gale_sockets_from_systemd(fds, 4, &n), GALE_ENOENT);
  assert_int_equal(n, 0);

  /* systemd hands fds from 3 on; fds 3.. may be in use by the test runner,
   * so do this in a child where we control the table. */
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    int port;
    int l = th_listen(&port);
    for (int fd = 3; fd < 64; fd++)
      if (fd != l) close(fd);
    if (dup2(l, 3) < 0) _exit(10);
    if (l != 3) close(l);
    /* Blocking, no CLOEXEC, as systemd passes them. */
    fcntl(3, F_SETFL, fcntl(3, F_GETFL) & ~O_NONBLOCK);
    fcntl(3, F_SETFD, 0);
    char me[32];
    snprintf(me, sizeof me, "%d", (int)getpid());

    set_listen_env("1", "1"); /* another process's */
    if (gale_sockets_from_systemd(fds, 4, &n) != GALE_ENOENT) _exit(11);
    set_listen_env(me, "x1");
    if (gale_sockets_from_systemd(fds, 4, &n) != GALE_EINVAL) _exit(12);
    set_listen_env(me, "-1");
    if (gale_sockets_from_systemd(fds, 4, &n) != GALE_EINVAL) _exit(13);
    set_listen_env(me, "2"); /* fd 4 is not a socket */
    if (gale_sockets_from_systemd(fds, 4, &n) != GALE_EINVAL) _exit(14);
    set_listen_env(me, "1");
    if (gale_sockets_from_systemd(fds, 0, &n) != GALE_ERANGE) _exit(15);
    if (gale_sockets_from_systemd(fds, 4, &n) != GALE_OK || n != 1 || fds[0] != 3) _exit(16);
    if (getenv("LISTEN_PID") || getenv("LISTEN_FDS") || getenv("LISTEN_FDNAMES")) _exit(17);
    if (!(fcntl(3, F_GETFL) & O_NONBLOCK) || !(fcntl(3, F_GETFD) & FD_CLOEXEC)) _exit(18);
    if (gale_socket_port(3) != port) _exit(19);
    /* A connected (non-listening) socket is refused. */
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    dup2(sv[0], 3);
    set_listen_env(me, "1");
    if (gale_sockets_from_systemd(fds, 4, &n) != GALE_EINVAL) _exit(20);
    _exit(0);
  }
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- the acceptor ----------------------------------------------------------- */

struct accept_ctx {
  int accepted;
  int fds[64];
  int pause_after; /* pause once this many were accepted (0: never) */
  bool free_in_cb;
  gale_acceptor *acceptor;
  char peer[GALE_SOCKADDR_STRLEN];
};

static void on_accept(gale_acceptor *a, int fd, const struct sockaddr *peer, socklen_t len,
                      void *arg) {
  struct accept_ctx *ctx = arg;
  assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
  assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
  gale_sockaddr_format(peer, ctx->peer, sizeof ctx->peer);
  if (ctx->accepted < 64) ctx->fds[ctx->accepted] = fd;
  ctx->accepted++;
  if (ctx->pause_after && ctx->accepted == ctx->pause_after) gale_acceptor_pause(a);
  if (ctx->free_in_cb) {
    gale_acceptor_free(a);
    ctx->acceptor = NULL;
  }
}

static void close_accepted(struct accept_ctx *ctx) {
  for (int i = 0; i < ctx->accepted && i < 64; i++) close(ctx->fds[i]);
}

static void test_acceptor_basic(void **state) {
  int before = th_count_fds();
  gale_loop *loop = gale_loop_new();
  int port;
  int l = th_listen(&port);
  struct accept_ctx ctx = {0};
  assert_int_equal(gale_acceptor_new(loop, l, 0, on_accept, &ctx, &ctx.acceptor), GALE_OK);
  assert_int_equal(gale_acceptor_fd(ctx.acceptor), l);
  int c[3];
  for (int i = 0; i < 3; i++) c[i] = th_connect(port);
  TH_RUN_UNTIL(loop, ctx.accepted == 3, 5);
  assert_memory_equal(ctx.peer, "127.0.0.1:", 10);

  /* Paused: connections wait in the backlog; resumed: they are taken. */
  gale_acceptor_pause(ctx.acceptor);
  int d = th_connect(port);
  th_run_for(loop, 0.1);
  assert_int_equal(ctx.accepted, 3);
  gale_acceptor_resume(ctx.acceptor);
  TH_RUN_UNTIL(loop, ctx.accepted == 4, 5);

  gale_acceptor_free(ctx.acceptor);
  close_accepted(&ctx);
  for (int i = 0; i < 3; i++) close(c[i]);
  close(d);
  close(l);
  gale_loop_free(loop);
  assert_int_equal(th_count_fds(), before);
}

static void test_acceptor_free_in_callback(void **state) {
  gale_loop *loop = gale_loop_new();
  int port;
  int l = th_listen(&port);
  struct accept_ctx ctx = {.free_in_cb = true};
  assert_int_equal(gale_acceptor_new(loop, l, 0, on_accept, &ctx, &ctx.acceptor), GALE_OK);
  int c1 = th_connect(port), c2 = th_connect(port);
  TH_RUN_UNTIL(loop, ctx.accepted == 1, 5);
  th_run_for(loop, 0.05);
  assert_int_equal(ctx.accepted, 1);
  close_accepted(&ctx);
  close(c1);
  close(c2);
  close(l);
  gale_loop_free(loop);
}

static void test_acceptor_errors(void **state) {
  gale_loop *loop = gale_loop_new();
  gale_acceptor *a;
  struct accept_ctx ctx = {0};
  assert_int_equal(gale_acceptor_new(NULL, 3, 0, on_accept, &ctx, &a), GALE_EINVAL);
  assert_int_equal(gale_acceptor_new(loop, -1, 0, on_accept, &ctx, &a), GALE_EINVAL);
  assert_int_equal(gale_acceptor_new(loop, 3, 0, NULL, &ctx, &a), GALE_EINVAL);
  assert_int_equal(gale_acceptor_pause(NULL), GALE_EINVAL);
  gale_acceptor_free(NULL);
  gale_loop_free(loop);
}

/* Out of fds: the acceptor must back off (few wake-ups) and accept the
 * waiting connections once fds are free again. */
static void test_acceptor_emfile_backoff(void **state) {
  int before = th_count_fds();
  gale_loop *loop = gale_loop_new();
  int port;
  int l = th_listen(&port);
  struct accept_ctx ctx = {0};
  assert_int_equal(gale_acceptor_new(loop, l, 0.05, on_accept, &ctx, &ctx.acceptor), GALE_OK);

  int c = th_connect(port);
  /* Use every fd up to the limit. */
  struct rlimit old, lim;
  getrlimit(RLIMIT_NOFILE, &old);
  lim = old;
  lim.rlim_cur = (rlim_t)th_count_fds() + 8;
  assert_int_equal(setrlimit(RLIMIT_NOFILE, &lim), 0);
  int fillers[64], nfill = 0;
  while (nfill < 64) {
    int fd = dup(0);
    if (fd < 0) break;
    fillers[nfill++] = fd;
  }
  assert_int_equal(errno, EMFILE);

  th_run_for(loop, 0.5);
  unsigned long wakeups = gale__acceptor_wakeups(ctx.acceptor);
  assert_int_equal(ctx.accepted, 0);
  /* 0.5 s at a 50 ms back-off is ~10 tries; a spin would be thousands. */
  assert_true(wakeups >= 1);
  assert_true(wakeups < 100);

  for (int i = 0; i < nfill; i++) close(fillers[i]);
  TH_RUN_UNTIL(loop, ctx.accepted == 1, 5);
  setrlimit(RLIMIT_NOFILE, &old);

  gale_acceptor_free(ctx.acceptor);
  close_accepted(&ctx);
  close(c);
  close(l);
  gale_loop_free(loop);
  assert_int_equal(th_count_fds(), before);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bind_loopback_v4),
      cmocka_unit_test(test_bind_v6),
      cmocka_unit_test(test_bind_all_same_port),
      cmocka_unit_test(test_bind_localhost),
      cmocka_unit_test(test_bind_errors),
      cmocka_unit_test(test_bind_reuseport),
      cmocka_unit_test(test_bind_too_many),
      cmocka_unit_test(test_sockaddr_format),
      cmocka_unit_test(test_systemd),
      cmocka_unit_test(test_acceptor_basic),
      cmocka_unit_test(test_acceptor_free_in_callback),
      cmocka_unit_test(test_acceptor_errors),
      cmocka_unit_test(test_acceptor_emfile_backoff),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
