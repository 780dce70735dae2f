/* SPDX-License-Identifier: MIT */
/* Tests for the TLS side of iostream/tcp_server.c: the server-side
 * handshake completes before handle_stream; failed and stalled handshakes
 * never reach the application and leave nothing behind.  Certificates are
 * made at test time with `openssl req`. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include "gale/netutil.h"
#include "gale/tcp_server.h"
#include "gale/tls.h"

static char *dir;
static char ca_crt[512], leaf_crt[512], leaf_key[512];

static int make_certs(void **state) {
  if (!th_which("openssl")) return 0;
  dir = th_mkdtemp();
  snprintf(ca_crt, sizeof ca_crt, "%s/ca.crt", dir);
  snprintf(leaf_crt, sizeof leaf_crt, "%s/leaf.crt", dir);
  snprintf(leaf_key, sizeof leaf_key, "%s/leaf.key", dir);
  int rc =
      th_system("cd '%s' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc "
                "-keyout ca.key -out ca.crt -subj '/CN=Test CA' -days 2 "
                "-addext basicConstraints=critical,CA:TRUE "
                "-addext keyUsage=critical,keyCertSign,cRLSign >/dev/null 2>&1 && "
                "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc "
                "-keyout leaf.key -out leaf.crt -subj '/CN=localhost' -days 2 "
                "-CA ca.crt -CAkey ca.key -addext basicConstraints=critical,CA:FALSE "
                "-addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' "
                "-addext extendedKeyUsage=serverAuth >/dev/null 2>&1",
                dir);
  return rc == 0 ? 0 : -1;
}

static int remove_certs(void **state) {
  if (dir) th_rmtree(dir);
  dir = NULL;
  return 0;
}

struct srv {
  int accepted;
  bool was_tls;
  int closed;
};

static void srv_line(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  if (status != GALE_OK) return;
  gale_stream_write(s, data, len, NULL, NULL);
  gale_stream_read_until(s, "\n", 1, 4096, srv_line, arg);
}

static void srv_closed(gale_stream *s, int reason, void *arg) { ((struct srv *)arg)->closed++; }

static void handle(gale_tcp_server *server, gale_stream *s, const struct sockaddr *peer,
                   socklen_t peer_len, void *arg) {
  struct srv *ctx = arg;
  ctx->accepted++;
  ctx->was_tls = gale_stream_tls_established(s);
  gale_stream_set_close_cb(s, srv_closed, ctx);
  gale_stream_read_until(s, "\n", 1, 4096, srv_line, ctx);
}

struct cli {
  int hs_status;
  bool hs_done;
  char line[64];
  bool got;
  int close_reason;
  bool closed;
};

static void cli_hs(gale_stream *s, int status, void *arg) {
  struct cli *c = arg;
  c->hs_status = status;
  c->hs_done = true;
}

static void cli_line(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  struct cli *c = arg;
  if (status == GALE_OK) snprintf(c->line, sizeof c->line, "%.*s", (int)len, data);
  c->got = true;
}

static void cli_closed(gale_stream *s, int reason, void *arg) {
  struct cli *c = arg;
  c->closed = true;
  c->close_reason = reason;
}

static gale_tcp_server *tls_server(gale_loop *loop, struct srv *ctx, gale_tls_ctx **sctx,
                                   double hs_timeout, int *port) {
  assert_int_equal(gale_tls_ctx_new_server(leaf_crt, leaf_key, NULL, sctx), GALE_OK);
  gale_tcp_server_options opts;
  gale_tcp_server_options_init(&opts);
  opts.tls = *sctx;
  if (hs_timeout > 0) opts.tls_handshake_timeout = hs_timeout;
  gale_tcp_server *server;
  assert_int_equal(gale_tcp_server_new(loop, &opts, handle, ctx, &server), GALE_OK);
  assert_int_equal(gale_tcp_server_listen(server, 0, "127.0.0.1"), GALE_OK);
  int fd;
  gale_tcp_server_sockets(server, &fd, 1);
  *port = gale_socket_port(fd);
  return server;
}

static void test_tls_echo(void **state) {
  if (!dir) skip();
  int before = th_count_fds();
  gale_loop *loop = gale_loop_new();
  struct srv ctx = {0};
  gale_tls_ctx *sctx;
  int port;
  gale_tcp_server *server = tls_server(loop, &ctx, &sctx, 0, &port);

  gale_tls_client_options co;
  gale_tls_client_options_init(&co);
  co.ca_file = ca_crt;
  gale_tls_ctx *cctx;
  assert_int_equal(gale_tls_ctx_new_client(&co, &cctx), GALE_OK);
  int fd = th_connect(port);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  gale_stream *cs;
  assert_int_equal(gale_stream_new(loop, fd, NULL, &cs), GALE_OK);
  struct cli c = {0};
  gale_stream_set_close_cb(cs, cli_closed, &c);
  assert_int_equal(gale_stream_start_tls(cs, cctx, false, "localhost", 5, cli_hs, &c), GALE_OK);
  gale_stream_write(cs, "secret\n", 7, NULL, NULL);
  gale_stream_read_until(cs, "\n", 1, 100, cli_line, &c);
  TH_RUN_UNTIL(loop, c.got, 10);
  assert_true(c.hs_done);
  assert_int_equal(c.hs_status, GALE_OK);
  assert_string_equal(c.line, "secret\n");
  assert_int_equal(ctx.accepted, 1);
  assert_true(ctx.was_tls);

  gale_stream_close(cs);
  TH_RUN_UNTIL(loop, c.closed && ctx.closed == 1, 5);
  TH_RUN_UNTIL(loop, gale_tcp_server_connection_count(server) == 0, 5);
  gale_tcp_server_free(server);
  gale_tls_ctx_unref(sctx);
  gale_tls_ctx_unref(cctx);
  th_run_for(loop, 0.05);
  gale_loop_free(loop);
  assert_int_equal(th_count_fds(), before);
}

/* The coroutine option behind TLS: the handler starts once the handshake
 * is done, awaits one line over TLS, echoes it, and returning closes. */
static int coro_echo_once(gale_stream *s, void *arg) {
  struct srv *ctx = arg;
  ctx->accepted++;
  ctx->was_tls = gale_stream_tls_established(s);
  int st;
  gale_future *f = gale_stream_read_until_future(s, "\n", 1, 100, &st);
  if (!f) return st;
  st = gale_await(f);
  if (st == GALE_OK) {
    gale_stream_data *d = gale_future_result(f);
    st = gale_stream_write(s, d->data, d->len, NULL, NULL);
  } else if (st == GALE_ECANCELLED) {
    gale_future_cancel(f);
  }
  gale_future_unref(f);
  gale_future *fl = st == GALE_OK ? gale_stream_flush_future(s, &st) : NULL;
  if (fl) st = gale_await(fl);
  gale_future_unref(fl);
  ctx->closed++; /* returned */
  return st;
}

static void test_tls_coroutine_handler(void **state) {
  if (!dir) skip();
  int before = th_count_fds();
  gale_loop *loop = gale_loop_new();
  struct srv ctx = {0};
  gale_tls_ctx *sctx;
  assert_int_equal(gale_tls_ctx_new_server(leaf_crt, leaf_key, NULL, &sctx), GALE_OK);
  gale_tcp_server_options opts;
  gale_tcp_server_options_init(&opts);
  opts.tls = sctx;
  opts.handle_stream_coro = coro_echo_once;
  gale_tcp_server *server;
  assert_int_equal(gale_tcp_server_new(loop, &opts, NULL, &ctx, &server), GALE_OK);
  assert_int_equal(gale_tcp_server_listen(server, 0, "127.0.0.1"), GALE_OK);
  int lfd;
  gale_tcp_server_sockets(server, &lfd, 1);

  gale_tls_client_options co;
  gale_tls_client_options_init(&co);
  co.ca_file = ca_crt;
  gale_tls_ctx *cctx;
  assert_int_equal(gale_tls_ctx_new_client(&co, &cctx), GALE_OK);
  int fd = th_connect(gale_socket_port(lfd));
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  gale_stream *cs;
  assert_int_equal(gale_stream_new(loop, fd, NULL, &cs), GALE_OK);
  struct cli c = {0};
  gale_stream_set_close_cb(cs, cli_closed, &c);
  assert_int_equal(gale_stream_start_tls(cs, cctx, false, "localhost", 5, cli_hs, &c), GALE_OK);
  gale_stream_write(cs, "secret\n", 7, NULL, NULL);
  gale_stream_read_until(cs, "\n", 1, 100, cli_line, &c);
  TH_RUN_UNTIL(loop, c.got, 10);
  assert_int_equal(c.hs_status, GALE_OK);
  assert_string_equal(c.line, "secret\n");
  assert_int_equal(ctx.accepted, 1);
  assert_true(ctx.was_tls);
  /* The handler returned: the server closed the connection. */
  TH_RUN_UNTIL(loop, c.closed && ctx.closed == 1, 5);
  TH_RUN_UNTIL(loop, gale_tcp_server_connection_count(server) == 0, 5);
  gale_tcp_server_free(server);
  gale_tls_ctx_unref(sctx);
  gale_tls_ctx_unref(cctx);
  th_run_for(loop, 0.05);
  gale_loop_free(loop);
  assert_int_equal(th_count_fds(), before);
}

/* A plain-text client and a silent client: neither reaches handle_stream,
 * both are dropped (bad handshake; handshake timeout). */
static void test_tls_bad_and_stalled_clients(void **state) {
  if (!dir) skip();
  int before = th_count_fds();
  gale_loop *loop = gale_loop_new();
  struct srv ctx = {0};
  gale_tls_ctx *sctx;
  int port;
  gale_tcp_server *server = tls_server(loop, &ctx, &sctx, 0.3, &port);

  int plain = th_connect(port);
  th_write_all(plain, "GET / HTTP/1.0\r\n\r\n", 18);
  int silent = th_connect(port);
  /* The silent one is held for the 0.3 s handshake timeout, well within
   * the wait below (the default timeout is 20 s). */
  TH_RUN_UNTIL(loop, gale_tcp_server_connection_count(server) >= 1, 5);
  TH_RUN_UNTIL(loop, gale_tcp_server_connection_count(server) == 0, 10);
  assert_int_equal(ctx.accepted, 0);
  char buf[256];
  /* Both see the server close (an alert may come first). */
  fcntl(plain, F_SETFL, fcntl(plain, F_GETFL) | O_NONBLOCK);
  fcntl(silent, F_SETFL, fcntl(silent, F_GETFL) | O_NONBLOCK);
  while (read(plain, buf, sizeof buf) > 0) {}
  /* EOF, or a reset (the server may close with the client's bytes unread);
   * errno is only meaningful when read fails. */
  errno = 0;
  ssize_t got = read(plain, buf, sizeof buf);
  assert_true(got == 0 || (got < 0 && errno != EAGAIN));
  assert_int_equal(read(silent, buf, sizeof buf), 0);
  close(plain);
  close(silent);
  gale_tcp_server_free(server);
  gale_tls_ctx_unref(sctx);
  th_run_for(loop, 0.05);
  gale_loop_free(loop);
  assert_int_equal(th_count_fds(), before);
}

/* Interop: openssl s_client talks to the gale TLS server. */
static void test_tls_openssl_client(void **state) {
  if (!dir) skip();
  gale_loop *loop = gale_loop_new();
  struct srv ctx = {0};
  gale_tls_ctx *sctx;
  int port;
  gale_tcp_server *server = tls_server(loop, &ctx, &sctx, 0, &port);
  char out[600], cmd[1600];
  snprintf(out, sizeof out, "%s/s_client.out", dir);
  snprintf(cmd, sizeof cmd,
           "printf 'via openssl\\n' | openssl s_client -connect 127.0.0.1:%d "
           "-servername localhost -CAfile '%s' -verify_return_error -quiet "
           ">'%s' 2>/dev/null",
           port, ca_crt, out);
  /* s_client blocks: run it in the background and drive the loop. */
  const char *argv[] = {"sh", "-c", cmd, NULL};
  pid_t pid = th_spawn(argv, NULL);
  size_t len = 0;
  char *got = NULL;
  double deadline = th_now() + 10;
  while (th_now() < deadline) {
    gale_loop_run_once(loop, 0.05);
    free(got);
    got = th_read_file(out, &len);
    if (got && strstr(got, "via openssl\n")) break;
  }
  assert_non_null(got);
  assert_non_null(strstr(got, "via openssl\n"));
  free(got);
  th_kill(pid);
  TH_RUN_UNTIL(loop, gale_tcp_server_connection_count(server) == 0, 5);
  gale_tcp_server_free(server);
  gale_tls_ctx_unref(sctx);
  th_run_for(loop, 0.05);
  gale_loop_free(loop);
}

/* ---- session tickets -------------------------------------------------------------------- */

/* The client side of the ticket test: plain OpenSSL over a non-blocking
 * socket, driven by hand between turns of the server's loop. */
static SSL_SESSION *saved_session;

static int keep_session(SSL *ssl, SSL_SESSION *sess) {
  (void)ssl;
  if (saved_session) SSL_SESSION_free(saved_session);
  saved_session = sess;
  return 1; /* the session is ours now */
}

/* Connects, handshakes, and waits (sending and expecting no application
 * data) until a ticket came or `want_ticket` is false.  Returns whether
 * the session was resumed; *ticket says whether one arrived. */
static bool ticket_client(gale_loop *loop, SSL_CTX *cctx, int port, SSL_SESSION *resume,
                          bool want_ticket, bool *ticket) {
  int fd = th_connect(port);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  SSL *ssl = SSL_new(cctx);
  assert_non_null(ssl);
  assert_int_equal(SSL_set_fd(ssl, fd), 1);
  assert_int_equal(SSL_set_tlsext_host_name(ssl, "localhost"), 1);
  if (resume) assert_int_equal(SSL_set_session(ssl, resume), 1);
  SSL_SESSION *before = saved_session;
  double deadline = th_now() + 10;
  int r;
  while ((r = SSL_connect(ssl)) != 1) {
    int e = SSL_get_error(ssl, r);
    assert_true(e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE);
    assert_true(th_now() < deadline);
    gale_loop_run_once(loop, 0.01);
  }
  bool reused = SSL_session_reused(ssl) == 1;
  /* TLS 1.3 tickets follow the handshake: reading processes them. */
  char buf[64];
  size_t n;
  while (want_ticket && saved_session == before && th_now() < deadline) {
    gale_loop_run_once(loop, 0.01);
    r = SSL_read_ex(ssl, buf, sizeof buf, &n);
    assert_int_equal(r, 0); /* the server sends no application data */
    assert_int_equal(SSL_get_error(ssl, r), SSL_ERROR_WANT_READ);
  }
  *ticket = saved_session != before;
  SSL_shutdown(ssl);
  SSL_free(ssl);
  close(fd);
  return reused;
}

/* A client that only handshakes gets a TLS 1.3 session ticket from the
 * server (not held back until the first application write), and the next
 * connection resumes with it; a third, offering nothing, does a full
 * handshake; a ticket the server cannot decrypt (another server's key)
 * falls back to a full handshake. */
static void test_tls_session_tickets(void **state) {
  if (!dir) skip();
  int before = th_count_fds();
  gale_loop *loop = gale_loop_new();
  struct srv ctx = {0};
  gale_tls_ctx *sctx, *other_sctx;
  int port, other_port;
  gale_tcp_server *server = tls_server(loop, &ctx, &sctx, 0, &port);
  struct srv other_ctx = {0};
  gale_tcp_server *other = tls_server(loop, &other_ctx, &other_sctx, 0, &other_port);

  SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
  assert_non_null(cctx);
  SSL_CTX_set_min_proto_version(cctx, TLS1_3_VERSION);
  assert_int_equal(SSL_CTX_load_verify_locations(cctx, ca_crt, NULL), 1);
  SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, NULL);
  SSL_CTX_set_session_cache_mode(cctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(cctx, keep_session);

  bool ticket = false;
  assert_false(ticket_client(loop, cctx, port, NULL, true, &ticket));
  assert_true(ticket);
  assert_non_null(saved_session);
  assert_true(SSL_SESSION_is_resumable(saved_session));
  SSL_SESSION *first = saved_session;
  SSL_SESSION_up_ref(first);
  assert_true(ticket_client(loop, cctx, port, first, false, &ticket));
  assert_false(ticket_client(loop, cctx, port, NULL, false, &ticket));
  /* Hostile: a ticket from elsewhere is not accepted, the handshake still
   * completes. */
  assert_false(ticket_client(loop, cctx, other_port, first, false, &ticket));
  SSL_SESSION_free(first);
  SSL_SESSION_free(saved_session);
  saved_session = NULL;
  SSL_CTX_free(cctx);
  ERR_clear_error();

  TH_RUN_UNTIL(loop, ctx.closed == 3 && other_ctx.closed == 1, 5);
  assert_int_equal(ctx.accepted, 3);
  gale_tcp_server_free(server);
  gale_tcp_server_free(other);
  gale_tls_ctx_unref(sctx);
  gale_tls_ctx_unref(other_sctx);
  th_run_for(loop, 0.05);
  gale_loop_free(loop);
  assert_int_equal(th_count_fds(), before);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tls_echo),
      cmocka_unit_test(test_tls_coroutine_handler),
      cmocka_unit_test(test_tls_bad_and_stalled_clients),
      cmocka_unit_test(test_tls_openssl_client),
      cmocka_unit_test(test_tls_session_tickets),
  };
  return cmocka_run_group_tests(tests, make_certs, remove_certs);
}
