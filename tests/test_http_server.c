/* SPDX-License-Identifier: MIT */
/* The HTTP/1.1 server over real sockets, the basics and the API around a
 * request: keep-alive, TCP_NODELAY, absolute-form targets, pipelining,
 * HTTP/1.0, asynchronous handlers, xheaders, graceful shutdown, the access
 * log, freeing the server from its callbacks, HTTPS, the defaults, and
 * allocation failures.  Parsing and limits: test_http_server_parse.c;
 * bodies, HEAD and gzip: test_http_server_body.c; timeouts and slow peers:
 * test_http_server_timeouts.c (the server_fx: server_fixture.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/wait.h>

#include "server_fixture.h"
#include "test_http_server_util.h"

static void test_get_keepalive(void **state) {
  (void)state;
  server_fx f;
  sf_start(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tresp r;
  tc_get(&c, 0, false, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "Hello, world");
  assert_true(tresp_header(&r, "Date", NULL, 0));
  assert_false(tresp_header(&r, "Connection", NULL, 0));
  tresp_free(&r);
  tc_send(&c, "GET /query?a=1&b=2 HTTP/1.1\r\nHost: example.com:8080\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 2, 5);
  tc_get(&c, 1, false, &r);
  assert_string_equal(r.body, "/query|a=1&b=2|example.com:8080");
  tresp_free(&r);
  assert_false(c.eof);
  assert_int_equal(gale_http_server_connection_count(f.server), 1);
  tc_close(&c);
  TH_RUN_UNTIL(f.loop, gale_http_server_connection_count(f.server) == 0, 5);
  sf_stop(&f);
}

/* Accepted connections have TCP_NODELAY: a head and a sendfile body are
 * two writes, and Nagle would hold the second for the peer's delayed ACK. */
static void test_nodelay(void **state) {
  (void)state;
  server_fx f;
  sf_start(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  int found = 0;
  for (int fd = 3; fd < 1024; fd++) {
    struct sockaddr_in local, peer;
    socklen_t ll = sizeof(local), pl = sizeof(peer);
    int on = 0;
    socklen_t ol = sizeof(on);
    if (fd == c.fd || getsockname(fd, (struct sockaddr *)&local, &ll) != 0 ||
        local.sin_family != AF_INET || ntohs(local.sin_port) != f.port ||
        getpeername(fd, (struct sockaddr *)&peer, &pl) != 0)
      continue;
    assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &ol), 0);
    assert_true(on);
    found++;
  }
  assert_int_equal(found, 1);
  tc_close(&c);
  TH_RUN_UNTIL(f.loop, gale_http_server_connection_count(f.server) == 0, 5);
  sf_stop(&f);
}

static void test_absolute_form(void **state) {
  (void)state;
  server_fx f;
  sf_start(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET http://other.example/query?z=9 HTTP/1.1\r\nHost: x\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tresp r;
  tc_get(&c, 0, false, &r);
  assert_string_equal(r.body, "/query|z=9|other.example");
  tresp_free(&r);
  tc_close(&c);
  sf_stop(&f);
}

static void test_pipelining(void **state) {
  (void)state;
  server_fx f;
  sf_start(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  char req[4096];
  size_t n = 0;
  for (int i = 0; i < 10; i++)
    n += (size_t)sprintf(req + n, "GET /query?i=%d HTTP/1.1\r\nHost: h\r\n\r\n", i);
  tc_sendn(&c, req, n);
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 10, 5);
  for (int i = 0; i < 10; i++) {
    tresp r;
    tc_get(&c, i, false, &r);
    char want[64];
    sprintf(want, "/query|i=%d|h", i);
    assert_string_equal(r.body, want);
    tresp_free(&r);
  }
  /* All ten answers left in one write: the client saw one read. */
  assert_int_equal(c.reads, 1);
  tc_close(&c);
  sf_stop(&f);
}

static void test_pipelining_then_bad(void **state) {
  (void)state;
  server_fx f;
  sf_start(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c,
          "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
          "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
          "GET /b HTTP/1.1\r\nHost: h\r\n\r\n"
          "GET /c HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"
          "GET /d HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  assert_int_equal(tc_count(&c), 4);
  tresp r;
  tc_get(&c, 1, false, &r);
  assert_string_equal(r.body, "3:abc");
  tresp_free(&r);
  tc_get(&c, 3, false, &r);
  assert_int_equal(r.status, 400);
  tresp_free(&r);
  assert_int_equal(f.requests, 3);
  tc_close(&c);
  sf_stop(&f);
}

static void test_http10(void **state) {
  (void)state;
  server_fx f;
  sf_start(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET / HTTP/1.0\r\n\r\n");
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  tresp r;
  tc_get(&c, 0, false, &r);
  assert_string_equal(r.body, "Hello, world");
  tresp_free(&r);
  tc_close(&c);

  tc_open(&c, f.port);
  tc_send(&c, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  tc_get(&c, 0, false, &r);
  char v[32];
  assert_true(tresp_header(&r, "Connection", v, sizeof(v)));
  assert_string_equal(v, "keep-alive");
  tresp_free(&r);
  tc_send(&c, "GET /chunked HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  /* No length and no chunked in 1.0: the body ends at close. */
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  tc_get(&c, 1, false, &r);
  assert_string_equal(r.body, "part1,part2");
  tresp_free(&r);
  tc_close(&c);

  tc_open(&c, f.port);
  tc_send(&c, "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  tc_get(&c, 0, false, &r);
  assert_true(tresp_header(&r, "Connection", v, sizeof(v)));
  assert_string_equal(v, "close");
  tresp_free(&r);
  tc_close(&c);
  sf_stop(&f);
}

static void held_closed(gale_http_server_request *req, int status, void *arg) {
  (void)req;
  server_fx *f = arg;
  f->closes++;
  f->close_status = status;
  f->held = NULL;
}

static void test_async_and_close(void **state) {
  (void)state;
  server_fx f;
  sf_start(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET /async HTTP/1.1\r\nHost: h\r\n\r\nGET /query?after HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, f.held != NULL, 5);
  assert_int_equal(gale_loop_call_later(f.loop, 0.05, sf_finish_held, &f, NULL), GALE_OK);
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 2, 5);
  tresp r;
  tc_get(&c, 0, false, &r);
  assert_string_equal(r.body, "late");
  tresp_free(&r);
  tc_get(&c, 1, false, &r);
  assert_string_equal(r.body, "/query|after|h");
  tresp_free(&r);
  /* The client goes away while a request is held. */
  tc_send(&c, "GET /async HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, f.held != NULL, 5);
  gale_http_server_request_set_close_cb(f.held, held_closed, &f);
  tc_close(&c);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_true(f.close_status < 0);
  sf_stop(&f);
}

static void test_xheaders(void **state) {
  (void)state;
  static const char *const trusted[] = {"10.0.0.1", NULL};
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  o.xheaders = true;
  o.trusted_downstream = trusted;
  server_fx f;
  sf_start(&f, &o);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.2.3.4, 5.6.7.8, "
              "10.0.0.1\r\nX-Forwarded-Proto: https\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  assert_string_equal(f.last_ip, "5.6.7.8");
  assert_string_equal(f.last_proto, "https");
  tc_send(&c, "GET / HTTP/1.1\r\nHost: h\r\nX-Real-IP: 2001:db8::1\r\nX-Scheme: gopher\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 2, 5);
  assert_string_equal(f.last_ip, "2001:db8::1");
  assert_string_equal(f.last_proto, "http");
  tc_send(&c, "GET / HTTP/1.1\r\nHost: h\r\nX-Real-IP: not-an-ip\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 3, 5);
  assert_string_equal(f.last_ip, "127.0.0.1");
  tc_close(&c);
  sf_stop(&f);
}

static int shutdown_done;
static void on_shutdown(gale_http_server *s, void *arg) {
  (void)s;
  (void)arg;
  shutdown_done++;
}

static void test_graceful_shutdown(void **state) {
  (void)state;
  server_fx f;
  sf_start(&f, NULL);
  tclient idle, busy;
  tc_open(&idle, f.port);
  tc_open(&busy, f.port);
  tc_send(&idle, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&idle) == 1, 5);
  tc_send(&busy, "GET /async HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, f.held != NULL, 5);
  shutdown_done = 0;
  assert_int_equal(gale_http_server_shutdown(f.server, 5, on_shutdown, NULL), GALE_OK);
  TH_RUN_UNTIL(f.loop, (tc_poll(&idle), idle.eof), 5);
  assert_false((tc_poll(&busy), busy.eof));
  sf_finish_held(f.loop, &f);
  TH_RUN_UNTIL(f.loop, (tc_poll(&busy), busy.eof), 5);
  tresp r;
  tc_get(&busy, 0, false, &r);
  assert_string_equal(r.body, "late");
  char v[16];
  assert_true(tresp_header(&r, "Connection", v, sizeof(v)));
  assert_string_equal(v, "close");
  tresp_free(&r);
  TH_RUN_UNTIL(f.loop, shutdown_done == 1, 5);
  tc_close(&idle);
  tc_close(&busy);
  sf_stop(&f);
}

/* 32 MiB by reference: far more than loopback's socket buffers hold. */
#define DOWNLOAD_BLOCKS 512
static char download_block[65536];
static void download_cb(gale_http_server_request *req, void *arg) {
  (void)arg;
  for (int i = 0; i < DOWNLOAD_BLOCKS; i++)
    gale_http_server_request_write_ref(req, download_block, sizeof(download_block), NULL);
  gale_http_server_request_finish(req);
}

/* A response still being sent when the shutdown starts (its request
 * finished, the connection between requests) leaves whole before the
 * connection closes; the future resolves then. */
static void test_shutdown_lets_downloads_finish(void **state) {
  (void)state;
  int fds_before = th_count_fds();
  gale_loop *loop = gale_loop_new();
  gale_http_server *server;
  assert_int_equal(gale_http_server_new(loop, NULL, download_cb, NULL, &server), GALE_OK);
  assert_int_equal(gale_http_server_listen(server, 0, "127.0.0.1"), GALE_OK);
  tclient c;
  tc_open(&c, gale_http_server_port(server));
  tc_send(&c, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(loop, (tc_poll(&c), c.len > 0), 5);
  int st = -1;
  gale_future *done = gale_http_server_shutdown_future(server, 20, &st);
  assert_non_null(done);
  assert_int_equal(st, GALE_OK);
  assert_int_equal(gale_http_server_shutdown(server, 20, NULL, NULL), GALE_ESTATE);
  /* No new connections meanwhile. */
  assert_int_equal(gale_http_server_port(server), -1);
  TH_RUN_UNTIL(loop, (tc_poll(&c), c.eof), 20);
  tresp r;
  assert_true(parse_resp(c.buf, c.len, false, false, &r) > 0);
  assert_int_equal(r.status, 200);
  assert_true(r.body_len == (size_t)DOWNLOAD_BLOCKS * sizeof(download_block));
  tresp_free(&r);
  TH_RUN_UNTIL(loop, gale_future_done(done), 5);
  assert_int_equal(gale_future_status(done), GALE_OK);
  gale_future_unref(done);
  tc_close(&c);
  gale_http_server_free(server);
  th_run_for(loop, 0.05);
  gale_loop_free(loop);
  assert_int_equal(th_count_fds(), fds_before);
}

/* A download still leaving after its request finished is not "idle": the
 * keep-alive sweep leaves it alone however long it takes (the write
 * timeout is what watches a client that stopped reading). */
static void test_idle_timeout_spares_downloads(void **state) {
  (void)state;
  gale_loop *loop = gale_loop_new();
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  o.idle_connection_timeout = 0.1;
  gale_http_server *server;
  assert_int_equal(gale_http_server_new(loop, &o, download_cb, NULL, &server), GALE_OK);
  assert_int_equal(gale_http_server_listen(server, 0, "127.0.0.1"), GALE_OK);
  tclient c;
  tc_open(&c, gale_http_server_port(server));
  tc_send(&c, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  size_t want = (size_t)DOWNLOAD_BLOCKS * sizeof(download_block);
  double t0 = th_now();
  /* 1 MiB per 20 ms: about 0.6 s, six idle timeouts. */
  while (!c.eof && c.len < want + 100 && th_now() < t0 + 10) {
    th_run_for(loop, 0.02);
    if (c.len + (1 << 20) > c.cap) {
      c.cap *= 2;
      c.buf = realloc(c.buf, c.cap + 1);
    }
    ssize_t n = recv(c.fd, c.buf + c.len, 1 << 20, MSG_DONTWAIT);
    if (n > 0) c.len += (size_t)n;
    if (n == 0) c.eof = true;
    c.buf[c.len] = '\0';
    tresp r;
    if (parse_resp(c.buf, c.len, false, false, &r) > 0) {
      tresp_free(&r);
      break;
    }
  }
  assert_true(th_now() - t0 > 0.3);
  tresp r;
  assert_true(parse_resp(c.buf, c.len, false, false, &r) > 0);
  assert_true(r.body_len == want);
  tresp_free(&r);
  tc_close(&c);
  gale_http_server_free(server);
  th_run_for(loop, 0.05);
  gale_loop_free(loop);
}

/* The drain timeout force-closes a request still in flight; with no
 * timeout (0) the shutdown waits for it however long it takes. */
static void test_shutdown_deadline(void **state) {
  (void)state;
  server_fx f;
  sf_start(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET /async HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, f.held != NULL, 5);
  gale_future *done = gale_http_server_shutdown_future(f.server, 0.3, NULL);
  assert_non_null(done);
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  assert_int_equal(c.len, 0);
  f.held = NULL; /* freed with its connection */
  TH_RUN_UNTIL(f.loop, gale_future_done(done), 5);
  assert_int_equal(gale_future_status(done), GALE_OK);
  gale_future_unref(done);
  tc_close(&c);
  sf_stop(&f);

  sf_start(&f, NULL);
  tc_open(&c, f.port);
  tc_send(&c, "GET /async HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, f.held != NULL, 5);
  shutdown_done = 0;
  assert_int_equal(gale_http_server_shutdown(f.server, 0, on_shutdown, NULL), GALE_OK);
  th_run_for(f.loop, 0.3);
  assert_false((tc_poll(&c), c.eof));
  sf_finish_held(f.loop, &f);
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  assert_int_equal(tc_count(&c), 1);
  TH_RUN_UNTIL(f.loop, shutdown_done == 1, 5);
  tc_close(&c);
  sf_stop(&f);
}

static char logged[512];
static void log_sink(gale_log_level level, const char *domain, const char *msg, void *arg) {
  (void)level;
  (void)arg;
  if (domain && strcmp(domain, "access") == 0) snprintf(logged, sizeof(logged), "%s", msg);
}

static void test_access_log(void **state) {
  (void)state;
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  server_fx f;
  sf_start(&f, &o);
  /* sf_start() turned the log off; a server of our own with it on. */
  gale_http_server *s2;
  o.access_log = true;
  assert_int_equal(gale_http_server_new(f.loop, &o, sf_on_request, &f, &s2), GALE_OK);
  assert_int_equal(gale_http_server_listen(s2, 0, "127.0.0.1"), GALE_OK);
  gale_log_set_sink(log_sink, NULL);
  tclient c;
  tc_open(&c, gale_http_server_port(s2));
  tc_send(&c, "GET /query?x HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&c) == 1, 5);
  gale_log_set_sink(NULL, NULL);
  assert_non_null(strstr(logged, "200 GET /query?x (127.0.0.1) "));
  assert_non_null(strstr(logged, "ms"));
  tc_close(&c);
  gale_http_server_free(s2);
  sf_stop(&f);
}

static void test_free_in_callback(void **state) {
  (void)state;
  server_fx f;
  sf_start(&f, NULL);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, "GET /free HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  assert_int_equal(f.requests, 1);
  assert_null(f.server);
  tc_close(&c);
  sf_stop(&f);
}

static void test_https(void **state) {
  (void)state;
  th_require_program("openssl");
  th_require_program("curl");
  char *dir = th_mkdtemp();
  assert_int_equal(
      th_system("cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
                "-noenc -keyout key.pem -out cert.pem -subj /CN=localhost -days 2 "
                "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1",
                dir),
      0);
  char cert[600], key[600];
  snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
  snprintf(key, sizeof(key), "%s/key.pem", dir);
  gale_tls_ctx *tls = NULL;
  int fds_before = th_count_fds();
  assert_int_equal(gale_tls_ctx_new_server(cert, key, NULL, &tls), GALE_OK);
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  o.tls = tls;
  server_fx f;
  sf_start(&f, &o);
  f.fds_before = fds_before;
  char cmd[1400], out[700];
  snprintf(out, sizeof(out), "%s/out", dir);
  snprintf(cmd, sizeof(cmd),
           "curl -s --max-time 10 --cacert %s https://127.0.0.1:%d/query?tls https://127.0.0.1:%d/ "
           "> %s 2>&1",
           cert, f.port, f.port, out);
  const char *argv[] = {"sh", "-c", cmd, NULL};
  pid_t pid = th_spawn(argv, NULL);
  int status = 0;
  bool done = false;
  for (double end = th_now() + 15; !done && th_now() < end;) {
    gale_loop_run_once(f.loop, 0.05);
    if (waitpid(pid, &status, WNOHANG) == pid) done = true;
  }
  assert_true(done);
  char *got = th_read_file(out, NULL);
  assert_non_null(got);
  assert_non_null(strstr(got, "/query|tls|127.0.0.1:"));
  assert_non_null(strstr(got, "Hello, world"));
  assert_string_equal(f.last_proto, "https");
  free(got);
  sf_stop(&f);
  gale_tls_ctx_unref(tls);
  th_rmtree(dir);
}

static void test_defaults(void **state) {
  (void)state;
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  assert_int_equal(o.max_header_size, 65536);
  assert_true(o.max_body_size == 100ull * 1024 * 1024);
  assert_true(o.idle_connection_timeout > 0);
  assert_true(o.header_timeout > 0);
  assert_true(o.body_timeout > 0);
  assert_true(o.write_timeout > 0);
  assert_true(o.max_requests_per_connection > 0);
  assert_true(o.access_log);
  assert_int_equal(o.max_connections, 10000);
  assert_true(o.tls_handshake_timeout == 20);
}

/* max_connections reaches the TCP server: past it the server stops
 * accepting (the third client waits in the backlog, unanswered but not
 * closed) and takes it once a slot is free. */
static void test_max_connections(void **state) {
  (void)state;
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  o.max_connections = 2;
  server_fx f;
  sf_start(&f, &o);
  tclient c[3];
  for (int i = 0; i < 3; i++) {
    tc_open(&c[i], f.port);
    tc_send(&c[i], "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  }
  TH_RUN_UNTIL(f.loop, (tc_poll(&c[0]), tc_poll(&c[1]), tc_count(&c[0]) + tc_count(&c[1]) == 2), 5);
  th_run_for(f.loop, 0.2);
  tc_poll(&c[2]);
  assert_int_equal(c[2].len, 0);
  assert_false(c[2].eof);
  assert_int_equal(gale_http_server_connection_count(f.server), 2);
  assert_int_equal(gale_tcp_server_connection_count(gale_http_server_tcp(f.server)), 2);
  tc_close(&c[0]);
  TH_RUN_UNTIL(f.loop, (tc_poll(&c[2]), tc_count(&c[2]) == 1), 5);
  assert_int_equal(f.requests, 3);
  tc_close(&c[1]);
  tc_close(&c[2]);
  sf_stop(&f);
}

/* tls_handshake_timeout reaches the TCP server: a client that opens a
 * connection and never says hello is dropped after it (the default is
 * 20 s). */
static void test_tls_handshake_timeout(void **state) {
  (void)state;
  th_require_program("openssl");
  char *dir = th_mkdtemp();
  assert_int_equal(
      th_system("cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
                "-noenc -keyout key.pem -out cert.pem -subj /CN=localhost -days 2 "
                ">/dev/null 2>&1",
                dir),
      0);
  char cert[600], key[600];
  snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
  snprintf(key, sizeof(key), "%s/key.pem", dir);
  int fds_before = th_count_fds();
  gale_tls_ctx *tls = NULL;
  assert_int_equal(gale_tls_ctx_new_server(cert, key, NULL, &tls), GALE_OK);
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  o.tls = tls;
  o.tls_handshake_timeout = 0.3;
  server_fx f;
  sf_start(&f, &o);
  f.fds_before = fds_before;
  tclient c;
  tc_open(&c, f.port);
  double t0 = th_now();
  TH_RUN_UNTIL(f.loop, (tc_poll(&c), c.eof), 5);
  assert_true(th_now() - t0 >= 0.25);
  assert_int_equal(f.requests, 0);
  tc_close(&c);
  sf_stop(&f);
  gale_tls_ctx_unref(tls);
  th_rmtree(dir);
}

static void close_frees_server(gale_http_server_request *req, int status, void *arg) {
  (void)req;
  (void)status;
  server_fx *f = arg;
  f->closes++;
  f->held = NULL;
  gale_http_server_free(f->server);
  f->server = NULL;
}

static void test_free_in_close_cb(void **state) {
  (void)state;
  server_fx f;
  sf_start(&f, NULL);
  tclient c, other;
  tc_open(&c, f.port);
  tc_open(&other, f.port);
  tc_send(&other, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, tc_count(&other) == 1, 5);
  tc_send(&c, "GET /async HTTP/1.1\r\nHost: h\r\n\r\n");
  TH_RUN_UNTIL(f.loop, f.held != NULL, 5);
  gale_http_server_request_set_close_cb(f.held, close_frees_server, &f);
  tc_close(&c);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_null(f.server);
  TH_RUN_UNTIL(f.loop, (tc_poll(&other), other.eof), 5);
  tc_close(&other);
  sf_stop(&f);
}

/* One server, one connection, three pipelined requests (a body, a chunked
 * answer, a query); returns the number of answers the client got. */
static int alloc_scenario(void) {
  server_fx f;
  memset(&f, 0, sizeof(f));
  int answers = -1;
  gale_loop *loop = gale_loop_new();
  if (!loop) return answers;
  f.loop = loop;
  gale_http_server_options o;
  gale_http_server_options_init(&o);
  o.access_log = false;
  o.headers_cb = sf_on_headers;
  o.compress_response = true;
  gale_http_server *s = NULL;
  if (gale_http_server_new(loop, &o, sf_on_request, &f, &s) == GALE_OK) {
    f.server = s;
    if (gale_http_server_listen(s, 0, "127.0.0.1") == GALE_OK) {
      tclient c;
      tc_open(&c, gale_http_server_port(s));
      tc_send(&c, "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
                  "GET /chunked HTTP/1.1\r\nHost: h\r\n\r\n"
                  "GET /big HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\n\r\n");
      double end = th_now() + 2;
      while (th_now() < end && !(tc_poll(&c), c.eof) && tc_count(&c) < 3)
        gale_loop_run_once(loop, 0.02);
      answers = tc_count(&c);
      tc_close(&c);
    }
    gale_http_server_free(f.server);
  }
  th_run_for(loop, 0.02);
  gale_loop_free(loop);
  return answers;
}

/* HARDENING: the k-th allocation of the server fails, for each k; the
 * server answers what it can or closes, never crashes, leaks (ASan) or
 * leaves an fd behind.  Known limit of the stream layer: when its deferred
 * callback cannot be queued (out of memory) a closing stream never finishes
 * closing and stays allocated; each k runs first with the leak checker off
 * to spot that case, and again with it on otherwise. */
static void test_allocation_failures(void **state) {
  (void)state;
  int checked;
  long points = http_alloc_sweep(alloc_scenario, &checked);
  assert_true(points >= 5 && points < 9999);
  assert_true(checked > 5);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_get_keepalive),
      cmocka_unit_test(test_nodelay),
      cmocka_unit_test(test_absolute_form),
      cmocka_unit_test(test_pipelining),
      cmocka_unit_test(test_pipelining_then_bad),
      cmocka_unit_test(test_http10),
      cmocka_unit_test(test_async_and_close),
      cmocka_unit_test(test_xheaders),
      cmocka_unit_test(test_graceful_shutdown),
      cmocka_unit_test(test_shutdown_lets_downloads_finish),
      cmocka_unit_test(test_shutdown_deadline),
      cmocka_unit_test(test_idle_timeout_spares_downloads),
      cmocka_unit_test(test_max_connections),
      cmocka_unit_test(test_tls_handshake_timeout),
      cmocka_unit_test(test_access_log),
      cmocka_unit_test(test_free_in_callback),
      cmocka_unit_test(test_https),
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_free_in_close_cb),
      cmocka_unit_test(test_allocation_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
