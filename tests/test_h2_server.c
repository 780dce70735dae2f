/* SPDX-License-Identifier: MIT */
/* gale_http_server over HTTP/2 (opts.http2): real peers (curl with prior
 * knowledge and over TLS by ALPN, nghttp, h2load) against the server
 * fixture's handlers, unchanged, beside HTTP/1.1 on the same port; the
 * hostile cases of tests/test_h2_peer.py, each answered with its GOAWAY or
 * RST_STREAM code while the server goes on serving; graceful shutdown. */
#include "server_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gale/tls.h"

static char out_log[256];

static bool exited(pid_t pid, int *status, bool *done) {
  if (!*done && waitpid(pid, status, WNOHANG) == pid) *done = true;
  return *done;
}

/* Runs argv while the loop serves; returns its exit code, its output
 * (stdout + stderr, malloc'd) in *out when out is not NULL. */
static int run(server_fx *f, const char *const *argv, char **out) {
  unlink(out_log);
  pid_t pid = th_spawn(argv, out_log);
  int status = 0;
  bool done = false;
  TH_RUN_UNTIL(f->loop, exited(pid, &status, &done), 30);
  if (out) *out = th_read_file(out_log, NULL);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* curl's answer body followed by " v=" and the HTTP version. */
static char *curl(server_fx *f, const char *mode, const char *path, const char *extra) {
  char url[128];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", f->port, path);
  const char *argv[12];
  size_t n = 0;
  argv[n++] = "curl";
  argv[n++] = "-s";
  argv[n++] = "--max-time";
  argv[n++] = "10";
  argv[n++] = "-w";
  argv[n++] = " v=%{http_version}";
  if (mode) argv[n++] = mode;
  if (extra) {
    argv[n++] = "--data-binary";
    argv[n++] = extra;
  }
  argv[n++] = url;
  argv[n] = NULL;
  char *out = NULL;
  int rc = run(f, argv, &out);
  if (rc != 0) fail_msg("curl %s %s: exit %d: %s", mode, path, rc, out ? out : "");
  assert_non_null(out);
  return out;
}

static void start(server_fx *f, double write_timeout) {
  gale_http_server_options o;
  sf_opts_small(&o);
  o.http2 = true;
  o.max_body_size = 1 << 20;
  if (write_timeout > 0) o.write_timeout = write_timeout;
  sf_start(f, &o);
  snprintf(out_log, sizeof(out_log), "/tmp/gale-test-h2-%d.log", (int)getpid());
}

static void expect(server_fx *f, const char *mode, const char *path, const char *body,
                   const char *want) {
  char *out = curl(f, mode, path, body);
  assert_string_equal(out, want);
  free(out);
}

static void test_h2_curl(void **state) {
  (void)state;
  th_require_program("curl");
  server_fx f;
  start(&f, 0);
  const char *pk = "--http2-prior-knowledge";
  expect(&f, pk, "/", NULL, "Hello, world v=2");
  expect(&f, "--http1.1", "/", NULL, "Hello, world v=1.1"); /* same port */
  expect(&f, pk, "/echo", "abc", "3:abc v=2");
  expect(&f, pk, "/chunked", NULL, "part1,part2 v=2");
  char want[128];
  snprintf(want, sizeof(want), "/query|x=1|127.0.0.1:%d v=2", f.port); /* :authority */
  expect(&f, pk, "/query?x=1", NULL, want);
  assert_string_equal(f.last_ip, "127.0.0.1");
  /* Upgrade: h2c is declined: the answer comes over HTTP/1.1. */
  expect(&f, "--http2", "/", NULL, "Hello, world v=1.1");
  /* A streamed request body (headers_cb chose body_cb). */
  char file[300];
  snprintf(file, sizeof(file), "@%s.body", out_log);
  char *big = malloc(1200000);
  memset(big, 'b', 1200000);
  th_write_file(file + 1, big, 200000);
  char *out = curl(&f, pk, "/stream", file);
  free(out);
  assert_int_equal(f.streamed, 200000);
  /* A buffered body past max_body_size: 413. */
  th_write_file(file + 1, big, 1200000);
  out = curl(&f, pk, "/echo", file);
  assert_non_null(strstr(out, "413"));
  free(out);
  free(big);
  unlink(file + 1);
  sf_stop(&f);
}

static void finish_held_soon(gale_loop *loop, void *arg) {
  server_fx *f = arg;
  if (!f->held) {
    gale_loop_call_later(loop, 0.02, finish_held_soon, f, NULL);
    return;
  }
  sf_finish_held(loop, f);
}

/* Long polling: the answer comes from a later loop callback. */
static void test_h2_async(void **state) {
  (void)state;
  th_require_program("curl");
  server_fx f;
  start(&f, 0);
  gale_loop_call_later(f.loop, 0.05, finish_held_soon, &f, NULL);
  expect(&f, "--http2-prior-knowledge", "/async", NULL, "late v=2");
  sf_stop(&f);
}

static void test_h2_nghttp_h2load(void **state) {
  (void)state;
  th_require_program("nghttp");
  th_require_program("h2load");
  server_fx f;
  start(&f, 0);
  char url[128], url2[128];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/big", f.port);
  snprintf(url2, sizeof(url2), "http://127.0.0.1:%d/huge", f.port);
  /* Many streams at once on one connection, windows smaller than the
   * answers (-w 10: 1 KiB per stream). */
  const char *a[] = {"nghttp", "-ns", "-m", "20", "-w", "10", url, url2, NULL};
  char *out = NULL;
  assert_int_equal(run(&f, a, &out), 0);
  free(out);
  const char *b[] = {"h2load", "-n", "400", "-c", "4", "-m", "10", url, NULL};
  assert_int_equal(run(&f, b, &out), 0);
  assert_non_null(strstr(out, "400 succeeded"));
  free(out);
  sf_stop(&f);
}

static void peer(server_fx *f, const char *cas, const char *want) {
  char port[16];
  snprintf(port, sizeof(port), "%d", f->port);
  const char *script = th_buildpath("tests/test_h2_peer.py");
  char path[512];
  /* The script is a source file: out-of-tree builds find it in srcdir. */
  if (access(script, R_OK) != 0) {
    const char *src = getenv("top_srcdir");
    snprintf(path, sizeof(path), "%s/tests/test_h2_peer.py", src ? src : "..");
    script = path;
  }
  const char *argv[] = {"/usr/bin/python3", script, port, cas, want, NULL};
  char *out = NULL;
  int rc = run(f, argv, &out);
  if (rc != 0) fail_msg("%s: %s", cas, out ? out : "");
  free(out);
}

static void test_h2_hostile(void **state) {
  (void)state;
  if (th_system("/usr/bin/python3 -c 'import hpack' 2>/dev/null") != 0) skip();
  th_require_program("nghttp");
  server_fx f;
  start(&f, 0.3);
  /* A polite connection with a request in flight all along. */
  char url[128];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/async", f.port);
  char polite_log[300];
  snprintf(polite_log, sizeof(polite_log), "%s.polite", out_log);
  const char *pa[] = {"nghttp", url, NULL};
  pid_t polite = th_spawn(pa, polite_log);
  TH_RUN_UNTIL(f.loop, f.held != NULL, 10);
  static const char *const cases[][2] = {
      {"rapid_reset", "goaway:11"},    {"continuation", "goaway:11"}, {"hpack_bomb", "goaway:11"},
      {"settings_flood", "goaway:11"}, {"ping_flood", "goaway:11"},   {"empty_data", "goaway:11"},
      {"zero_window", "rst:8"},        {"reuse_id", "goaway:5"},      {"backwards", "goaway:1"},
      {"closed_stream", "goaway:5"},   {"oversize", "goaway:6"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    peer(&f, cases[i][0], cases[i][1]);
    peer(&f, "ok", "ok"); /* the server goes on */
  }
  sf_finish_held(f.loop, &f);
  int status = 0;
  bool ended = false;
  TH_RUN_UNTIL(f.loop, exited(polite, &status, &ended), 10);
  char *out = th_read_file(polite_log, NULL);
  assert_non_null(out);
  assert_string_equal(out, "late");
  free(out);
  unlink(polite_log);
  sf_stop(&f);
}

static void closed(gale_http_server *server, void *arg) {
  (void)server;
  *(int *)arg = 1;
}

/* Graceful shutdown: GOAWAY, the stream in flight finishes, then close. */
static void test_h2_shutdown(void **state) {
  (void)state;
  th_require_program("nghttp");
  server_fx f;
  start(&f, 0);
  char url[128];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/async", f.port);
  const char *a[] = {"nghttp", "-v", url, NULL};
  unlink(out_log);
  pid_t pid = th_spawn(a, out_log);
  TH_RUN_UNTIL(f.loop, f.held != NULL, 10);
  int done = 0;
  assert_int_equal(gale_http_server_shutdown(f.server, 10, closed, &done), GALE_OK);
  for (int i = 0; i < 5; i++) gale_loop_run_once(f.loop, 0.01);
  sf_finish_held(f.loop, &f);
  int status = 0;
  bool ended = false;
  TH_RUN_UNTIL(f.loop, exited(pid, &status, &ended) && done, 15);
  char *out = th_read_file(out_log, NULL);
  assert_non_null(out);
  assert_non_null(strstr(out, "GOAWAY"));
  assert_non_null(strstr(out, "late"));
  free(out);
  sf_stop(&f);
}

/* A preface begun and never finished is a head that never ends: it gets
 * header_timeout like any other (slowloris over "PRI *"). */
static void test_h2_partial_preface(void **state) {
  (void)state;
  gale_http_server_options o;
  sf_opts_small(&o);
  o.http2 = true;
  o.header_timeout = 0.2;
  server_fx f;
  sf_start(&f, &o);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)f.port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  assert_int_equal(write(fd, "PRI * HTTP/2.0\r\n", 16), 16);
  TH_RUN_UNTIL(f.loop, gale_http_server_connection_count(f.server) == 1, 5);
  TH_RUN_UNTIL(f.loop, gale_http_server_connection_count(f.server) == 0, 5);
  close(fd);
  sf_stop(&f);
}

static void test_h2_tls_alpn(void **state) {
  (void)state;
  th_require_program("curl");
  th_require_program("openssl");
  char *dir = th_mkdtemp();
  char crt[512], key[512];
  snprintf(crt, sizeof(crt), "%s/c.crt", dir);
  snprintf(key, sizeof(key), "%s/c.key", dir);
  assert_int_equal(th_system("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
                             "-noenc -keyout %s -out %s -subj /CN=localhost -days 2 "
                             ">/dev/null 2>&1",
                             key, crt),
                   0);
  gale_tls_server_options to;
  gale_tls_server_options_init(&to);
  static const char *const alpn[] = {"h2", "http/1.1"};
  to.alpn = alpn;
  to.alpn_count = 2;
  gale_tls_ctx *tls = NULL;
  assert_int_equal(gale_tls_ctx_new_server(crt, key, &to, &tls), GALE_OK);
  gale_http_server_options o;
  sf_opts_small(&o);
  o.http2 = true;
  o.tls = tls;
  server_fx f;
  sf_start(&f, &o);
  char url[128];
  snprintf(url, sizeof(url), "https://127.0.0.1:%d/echo", f.port);
  const char *modes[] = {"--http2", "--http1.1"};
  const char *want[] = {"3:xyz v=2 https", "3:xyz v=1.1 https"};
  for (int i = 0; i < 2; i++) {
    const char *a[] = {
        "curl",          "-sk", "--max-time", "10", modes[i], "-w", " v=%{http_version}",
        "--data-binary", "xyz", url,          NULL};
    char *out = NULL;
    assert_int_equal(run(&f, a, &out), 0);
    char got[128];
    snprintf(got, sizeof(got), "%s %s", out, f.last_proto);
    assert_string_equal(got, want[i]);
    free(out);
  }
  sf_stop(&f);
  gale_tls_ctx_unref(tls);
  th_rmtree(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_h2_curl),
      cmocka_unit_test(test_h2_async),
      cmocka_unit_test(test_h2_nghttp_h2load),
      cmocka_unit_test(test_h2_hostile),
      cmocka_unit_test(test_h2_shutdown),
      cmocka_unit_test(test_h2_tls_alpn),
      cmocka_unit_test(test_h2_partial_preface),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  unlink(out_log);
  return rc;
}
