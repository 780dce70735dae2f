/* SPDX-License-Identifier: MIT */
/* Real clients against the server: curl (methods, uploads, chunked,
 * --compressed, 100-continue, keep-alive reuse), and ab / wrk load runs
 * against examples/hello in a child process, which must end with zero
 * errors. */
#include <signal.h>
#include <sys/wait.h>

#include "test_web_util.h"

/* curl's output (stdout and stderr), a file in the fixture's directory. */
static char curl_log[700];

static void hello_get(gale_web_handler *h) { gale_web_write_str(h, "Hello, world"); }

static void echo_any(gale_web_handler *h) {
  size_t n = 0;
  const char *body = gale_web_body(h, &n);
  gale_web_printf(h, "%s %zu:", gale_web_method(h), n);
  gale_web_write(h, body, n);
}

static void big_get(gale_web_handler *h) {
  gale_web_set_header(h, "Content-Type", "text/plain");
  for (int i = 0; i < 1000; i++) gale_web_printf(h, "row %05d\n", i);
}

static void stream_get(gale_web_handler *h) {
  gale_web_write_str(h, "one,");
  gale_web_flush(h);
  gale_web_write_str(h, "two");
}

static void upload_post(gale_web_handler *h) {
  gale_web_printf(h, "field=%s;", gale_web_get_argument(h, "field", "-"));
  for (size_t i = 0; i < gale_web_get_file_count(h, "file"); i++) {
    const gale_web_file *f = gale_web_get_file(h, "file", i);
    gale_web_printf(h, "%s(%s)=%zu;", f->filename, f->content_type, f->len);
  }
}

static const gale_web_handler_class hello_class = {.get = hello_get};
static const gale_web_handler_class echo_class = {.get = echo_any,
                                                  .post = echo_any,
                                                  .put = echo_any,
                                                  .delete_ = echo_any,
                                                  .patch = echo_any,
                                                  .options = echo_any};
static const gale_web_handler_class big_class = {.get = big_get};
static const gale_web_handler_class upload_class = {.post = upload_post};
static const gale_web_handler_class stream_class = {.get = stream_get};

/* The web fixture with gzip on and a static directory holding r.txt. */
static void cstart(wfix *f) {
  char *dir = th_mkdtemp();
  char p[700];
  snprintf(p, sizeof(p), "%s/r.txt", dir);
  th_write_file(p, "0123456789", 10);
  snprintf(curl_log, sizeof(curl_log), "%s/curl.log", dir);
  gale_web_app_options o;
  gale_web_app_options_init(&o);
  o.compress_response = true;
  o.static_path = dir;
  wfix_open(f, &o);
  f->dir = dir; /* wfix_stop removes it */
  gale_web_app_add(f->app, "/", &hello_class, NULL, NULL);
  gale_web_app_add(f->app, "/echo", &echo_class, NULL, NULL);
  gale_web_app_add(f->app, "/big", &big_class, NULL, NULL);
  gale_web_app_add(f->app, "/upload", &upload_class, NULL, NULL);
  gale_web_app_add(f->app, "/stream", &stream_class, NULL, NULL);
  wfix_listen(f, NULL);
}

/* Sticky: TH_RUN_UNTIL evaluates its condition twice at the end. */
static bool exited(pid_t pid, int *status, bool *done) {
  if (!*done && waitpid(pid, status, WNOHANG) == pid) *done = true;
  return *done;
}

/* Runs curl with `args` (NULL-terminated, after the program name) while
 * the loop serves; returns its output (stdout+stderr), malloc'd. */
static char *run_curl(wfix *f, const char *const *args) {
  const char *argv[32];
  size_t n = 0;
  argv[n++] = "curl";
  argv[n++] = "-s";
  argv[n++] = "--max-time";
  argv[n++] = "10";
  for (size_t i = 0; args[i] && n < 31; i++) argv[n++] = args[i];
  argv[n] = NULL;
  unlink(curl_log);
  pid_t pid = th_spawn(argv, curl_log);
  int status = 0;
  bool done = false;
  TH_RUN_UNTIL(f->loop, exited(pid, &status, &done), 15);
  assert_true(WIFEXITED(status));
  if (WEXITSTATUS(status) != 0) {
    char *out = th_read_file(curl_log, NULL);
    fail_msg("curl exited with %d: %s", WEXITSTATUS(status), out ? out : "");
  }
  char *out = th_read_file(curl_log, NULL);
  assert_non_null(out);
  return out;
}

static void test_curl_methods(void **state) {
  (void)state;
  th_require_program("curl");
  wfix f;
  cstart(&f);
  char url[128], url2[128];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/", f.port);
  snprintf(url2, sizeof(url2), "http://127.0.0.1:%d/echo", f.port);
  /* Two requests on one connection. */
  const char *a1[] = {"-v", url, url, NULL};
  char *out = run_curl(&f, a1);
  char *first = strstr(out, "Hello, world");
  assert_non_null(first);
  assert_non_null(strstr(first + 12, "Hello, world")); /* -v lines may sit between */
  assert_non_null(strstr(out, "Re-using existing connection"));
  free(out);
  const char *methods[] = {"POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
  for (size_t i = 0; i < 5; i++) {
    const char *a[] = {"-X", methods[i], "--data-binary", "abc", url2, NULL};
    out = run_curl(&f, a);
    char want[64];
    snprintf(want, sizeof(want), "%s 3:abc", methods[i]);
    assert_string_equal(out, want);
    free(out);
  }
  const char *a3[] = {"-I", url, NULL};
  out = run_curl(&f, a3);
  assert_non_null(strstr(out, "HTTP/1.1 200 OK"));
  assert_non_null(strstr(out, "Content-Length: 12"));
  free(out);
  wfix_stop(&f);
}

static void test_curl_bodies(void **state) {
  (void)state;
  th_require_program("curl");
  wfix f;
  cstart(&f);
  char url[128], path[700], arg[720];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/echo", f.port);
  snprintf(path, sizeof(path), "%s/body.bin", f.dir);
  char *data = malloc(200000);
  memset(data, 'q', 200000);
  th_write_file(path, data, 200000);
  free(data);
  snprintf(arg, sizeof(arg), "@%s", path);
  /* Chunked upload. */
  const char *a1[] = {"-H", "Transfer-Encoding: chunked", "--data-binary", arg, url, NULL};
  char *out = run_curl(&f, a1);
  assert_memory_equal(out, "POST 200000:qqq", 15);
  free(out);
  /* Expect: 100-continue. */
  const char *a2[] = {"-v", "-H", "Expect: 100-continue", "--data-binary", arg, url, NULL};
  out = run_curl(&f, a2);
  assert_non_null(strstr(out, "HTTP/1.1 100 Continue"));
  assert_non_null(strstr(out, "POST 200000:qqq"));
  free(out);
  /* gzip. */
  char big[128];
  snprintf(big, sizeof(big), "http://127.0.0.1:%d/big", f.port);
  const char *a3[] = {"-v", "--compressed", big, NULL};
  out = run_curl(&f, a3);
  assert_non_null(strstr(out, "Content-Encoding: gzip"));
  assert_non_null(strstr(out, "row 00999\n"));
  free(out);
  wfix_stop(&f);
}

static void test_curl_upload(void **state) {
  (void)state;
  th_require_program("curl");
  wfix f;
  cstart(&f);
  char url[128], path[700], arg[760];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/upload", f.port);
  snprintf(path, sizeof(path), "%s/photo.png", f.dir);
  th_write_file(path, "\x89PNG....", 8);
  snprintf(arg, sizeof(arg), "file=@%s;type=image/png", path);
  const char *a[] = {"-F", "field=value", "-F", arg, "-F", arg, url, NULL};
  char *out = run_curl(&f, a);
  assert_string_equal(out, "field=value;photo.png(image/png)=8;photo.png(image/png)=8;");
  free(out);
  wfix_stop(&f);
}

/* curl -r with If-Range: the range for the current validator, the whole
 * file for a stale one. */
static void test_curl_if_range(void **state) {
  (void)state;
  th_require_program("curl");
  wfix f;
  cstart(&f);
  char url[128];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/static/r.txt", f.port);
  const char *a1[] = {"-I", url, NULL};
  char *out = run_curl(&f, a1);
  char *e = strstr(out, "Etag: ");
  assert_non_null(e);
  char hdr[128];
  snprintf(hdr, sizeof(hdr), "If-Range: %.*s", (int)strcspn(e + 6, "\r\n"), e + 6);
  free(out);
  const char *a2[] = {"-r", "2-5", "-H", hdr, url, NULL};
  out = run_curl(&f, a2);
  assert_string_equal(out, "2345");
  free(out);
  const char *a3[] = {"-r", "2-5", "-H", "If-Range: \"stale\"", url, NULL};
  out = run_curl(&f, a3);
  assert_string_equal(out, "0123456789");
  free(out);
  wfix_stop(&f);
}

/* curl -I: a streamed answer's framing, error answers without a body and
 * the connection reused after them, a missing Host. */
static void test_curl_head(void **state) {
  (void)state;
  th_require_program("curl");
  wfix f;
  cstart(&f);
  char stream[128], missing[128], hello[128];
  snprintf(stream, sizeof(stream), "http://127.0.0.1:%d/stream", f.port);
  snprintf(missing, sizeof(missing), "http://127.0.0.1:%d/missing", f.port);
  snprintf(hello, sizeof(hello), "http://127.0.0.1:%d/", f.port);
  const char *a1[] = {"-I", stream, NULL};
  char *out = run_curl(&f, a1);
  assert_non_null(strstr(out, "HTTP/1.1 200 OK"));
  assert_non_null(strstr(out, "Transfer-Encoding: chunked"));
  assert_null(strstr(out, "one,"));
  free(out);
  const char *a2[] = {"-v", "-I", missing, hello, NULL};
  out = run_curl(&f, a2);
  assert_non_null(strstr(out, "HTTP/1.1 404 Not Found"));
  assert_non_null(strstr(out, "Content-Length: "));
  assert_null(strstr(out, "<html>"));
  assert_non_null(strstr(out, "Re-using existing connection"));
  assert_non_null(strstr(out, "HTTP/1.1 200 OK"));
  free(out);
  const char *a3[] = {"-I", "-H", "Host:", hello, NULL};
  out = run_curl(&f, a3);
  assert_non_null(strstr(out, "HTTP/1.1 400 Bad Request"));
  assert_null(strstr(out, "missing Host"));
  free(out);
  wfix_stop(&f);
}

/* ab and wrk against examples/hello in a child process. */
static pid_t start_hello(int *port) {
  const char *hello = th_buildpath("examples/hello");
  if (access(hello, X_OK) != 0) skip();
  *port = th_free_port();
  char p[16];
  snprintf(p, sizeof(p), "%d", *port);
  const char *argv[] = {hello, p, NULL};
  pid_t pid = th_spawn(argv, NULL);
  assert_true(th_wait_port(*port, 10));
  return pid;
}

static void test_ab(void **state) {
  (void)state;
  th_require_program("ab");
  int port;
  pid_t pid = start_hello(&port);
  char *dir = th_mkdtemp();
  char cmd[900];
  snprintf(cmd, sizeof(cmd), "ab -q -k -n 2000 -c 50 http://127.0.0.1:%d/ > %s/ab.out 2>&1", port,
           dir);
  int rc = th_system("%s", cmd);
  snprintf(cmd, sizeof(cmd), "%s/ab.out", dir);
  char *out = th_read_file(cmd, NULL);
  th_kill(pid);
  assert_int_equal(rc, 0);
  assert_non_null(out);
  if (!strstr(out, "Complete requests:      2000") || !strstr(out, "Failed requests:        0") ||
      !strstr(out, "Keep-Alive requests:    2000") || strstr(out, "Non-2xx"))
    fail_msg("ab: %s", out);
  free(out);
  th_rmtree(dir);
}

static void test_wrk(void **state) {
  (void)state;
  th_require_program("wrk");
  int port;
  pid_t pid = start_hello(&port);
  char *dir = th_mkdtemp();
  char cmd[900];
  snprintf(cmd, sizeof(cmd), "wrk -t1 -c10 -d1 http://127.0.0.1:%d/ > %s/wrk.out 2>&1", port, dir);
  int rc = th_system("%s", cmd);
  snprintf(cmd, sizeof(cmd), "%s/wrk.out", dir);
  char *out = th_read_file(cmd, NULL);
  th_kill(pid);
  assert_int_equal(rc, 0);
  assert_non_null(out);
  if (!strstr(out, "requests in") || strstr(out, "Socket errors") || strstr(out, "Non-2xx"))
    fail_msg("wrk: %s", out);
  free(out);
  th_rmtree(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_curl_methods), cmocka_unit_test(test_curl_bodies),
      cmocka_unit_test(test_curl_upload),  cmocka_unit_test(test_curl_if_range),
      cmocka_unit_test(test_curl_head),    cmocka_unit_test(test_ab),
      cmocka_unit_test(test_wrk),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
