/* SPDX-License-Identifier: MIT */
/* Web handlers, unchanged, over HTTP/2 (curl --http2-prior-knowledge):
 * gzip of whole and flushed answers, static files (small, and one larger
 * than every window, read as DATA frames take it), xheaders, a multipart
 * upload, a streamed multipart upload spooled to a file, per-class
 * max_body_size above and below the server's (413), and a streamed answer
 * under a peer window of 1 KiB (nghttp -w). */
#include <sys/wait.h>

#include "test_web_util.h"

static char out_log[700];

static void big_get(gale_web_handler *h) {
  gale_web_set_header(h, "Content-Type", "text/plain");
  for (int i = 0; i < 1000; i++) gale_web_printf(h, "row %05d\n", i);
}

static void stream_get(gale_web_handler *h) {
  gale_web_set_header(h, "Content-Type", "text/plain");
  gale_web_write_str(h, "one,");
  gale_web_flush(h);
  gale_web_write_str(h, "two");
}

static void ip_get(gale_web_handler *h) {
  gale_web_printf(h, "%s %s %s", gale_http_server_request_remote_ip(gale_web_request(h)),
                  gale_http_server_request_protocol(gale_web_request(h)),
                  gale_http_server_request_version(gale_web_request(h)));
}

static void upload_post(gale_web_handler *h) {
  gale_web_printf(h, "field=%s;", gale_web_get_argument(h, "field", "-"));
  for (size_t i = 0; i < gale_web_get_file_count(h, "file"); i++) {
    const gale_web_file *f = gale_web_get_file(h, "file", i);
    gale_web_printf(h, "%s=%zu;", f->filename, f->len);
  }
}

static void size_post(gale_web_handler *h) {
  size_t n = 0;
  gale_web_body(h, &n);
  gale_web_printf(h, "body=%zu;", n);
  for (size_t i = 0; i < gale_web_upload_count(h, NULL); i++) {
    const gale_web_upload *u = gale_web_get_upload(h, NULL, i);
    gale_web_printf(h, "%s:%s=%llu%s;", u->name, u->filename, (unsigned long long)u->size,
                    u->path ? " spooled" : "");
  }
}

static gale_web_upload_options h2_up_opts = {.memory_threshold = 1024};
static const gale_web_handler_class limited_class = {.post = size_post, .max_body_size = 1000};
static const gale_web_handler_class roomy_class = {.post = size_post, .max_body_size = 4 << 20};
static const gale_web_handler_class stream_up_class = {
    .post = size_post, .uploads = &h2_up_opts, .max_body_size = 4 << 20};
static const gale_web_handler_class big_class = {.get = big_get};
static const gale_web_handler_class stream_class = {.get = stream_get};
static const gale_web_handler_class ip_class = {.get = ip_get};
static const gale_web_handler_class upload_class = {.post = upload_post};

static void start(wfix *f) {
  char *dir = th_mkdtemp();
  char p[700];
  snprintf(p, sizeof(p), "%s/r.txt", dir);
  th_write_file(p, "0123456789", 10);
  char *blob = malloc(3 << 20);
  for (size_t i = 0; i < (3u << 20); i++) blob[i] = (char)('a' + i % 26);
  snprintf(p, sizeof(p), "%s/blob.bin", dir);
  th_write_file(p, blob, 3 << 20);
  free(blob);
  char *post = malloc(2 << 20);
  memset(post, 'p', 2 << 20);
  snprintf(p, sizeof(p), "%s/post.bin", dir);
  th_write_file(p, post, 2 << 20);
  snprintf(p, sizeof(p), "%s/small.bin", dir);
  th_write_file(p, post, 2000);
  free(post);
  h2_up_opts.tmp_dir = dir;
  snprintf(out_log, sizeof(out_log), "%s/out.log", dir);
  gale_web_app_options o;
  gale_web_app_options_init(&o);
  o.compress_response = true;
  o.static_path = dir;
  wfix_open(f, &o);
  f->dir = dir;
  gale_web_app_add(f->app, "/big", &big_class, NULL, NULL);
  gale_web_app_add(f->app, "/stream", &stream_class, NULL, NULL);
  gale_web_app_add(f->app, "/ip", &ip_class, NULL, NULL);
  gale_web_app_add(f->app, "/upload", &upload_class, NULL, NULL);
  gale_web_app_add(f->app, "/limited", &limited_class, NULL, NULL);
  gale_web_app_add(f->app, "/roomy", &roomy_class, NULL, NULL);
  gale_web_app_add(f->app, "/stream-upload", &stream_up_class, NULL, NULL);
  gale_http_server_options ho;
  gale_http_server_options_init(&ho);
  ho.access_log = false;
  ho.http2 = true;
  ho.xheaders = true;
  ho.compress_response = true;
  ho.max_body_size = 1 << 20;
  wfix_listen(f, &ho);
}

static bool exited(pid_t pid, int *status, bool *done) {
  if (!*done && waitpid(pid, status, WNOHANG) == pid) *done = true;
  return *done;
}

static char *run(wfix *f, const char *const *argv) {
  unlink(out_log);
  pid_t pid = th_spawn(argv, out_log);
  int status = 0;
  bool done = false;
  TH_RUN_UNTIL(f->loop, exited(pid, &status, &done), 30);
  char *out = th_read_file(out_log, NULL);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail_msg("%s exited %d: %s", argv[0], WEXITSTATUS(status), out ? out : "");
  assert_non_null(out);
  return out;
}

static char *curl(wfix *f, const char *path, const char *a1, const char *a2) {
  char url[128];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", f->port, path);
  const char *argv[16] = {
      "curl", "-s", "--max-time", "10", "--http2-prior-knowledge", "-w", " v=%{http_version}"};
  size_t n = 7;
  if (a1) argv[n++] = a1;
  if (a2) argv[n++] = a2;
  argv[n++] = url;
  argv[n] = NULL;
  return run(f, argv);
}

static void test_h2_web_gzip_stream(void **state) {
  (void)state;
  th_require_program("curl");
  wfix f;
  start(&f);
  char *out = curl(&f, "/big", "--compressed", "-D-");
  assert_non_null(strstr(out, "content-encoding: gzip"));
  assert_non_null(strstr(out, "row 00999\n v=2"));
  free(out);
  out = curl(&f, "/stream", "--compressed", NULL);
  assert_string_equal(out, "one,two v=2");
  free(out);
  out = curl(&f, "/stream", NULL, NULL);
  assert_string_equal(out, "one,two v=2");
  free(out);
  wfix_stop(&f);
}

static void test_h2_web_static_xheaders(void **state) {
  (void)state;
  th_require_program("curl");
  wfix f;
  start(&f);
  char *out = curl(&f, "/static/r.txt", NULL, NULL);
  assert_string_equal(out, "0123456789 v=2");
  free(out);
  out = curl(&f, "/static/blob.bin", "-w", " size=%{size_download}");
  assert_non_null(strstr(out, " size=3145728"));
  free(out);
  out = curl(&f, "/static/r.txt", "-r", "2-4");
  assert_string_equal(out, "234 v=2");
  free(out);
  out = curl(&f, "/ip", "-H", "X-Real-IP: 10.1.2.3");
  assert_string_equal(out, "10.1.2.3 http HTTP/2.0 v=2");
  free(out);
  out = curl(&f, "/upload", "-F", "file=@/dev/null;filename=a.txt");
  assert_string_equal(out, "field=-;a.txt=0; v=2");
  free(out);
  wfix_stop(&f);
}

/* Per-class body limits and a streamed upload over HTTP/2. */
static void test_h2_web_limits_uploads(void **state) {
  (void)state;
  th_require_program("curl");
  wfix f;
  start(&f);
  char small[800], big[800];
  snprintf(small, sizeof(small), "@%s/small.bin", f.dir);
  snprintf(big, sizeof(big), "@%s/post.bin", f.dir);
  /* 2000 bytes: over /limited's 1000 (413), under the server's 1 MiB. */
  char *out = curl(&f, "/limited", "--data-binary", small);
  assert_non_null(strstr(out, "413"));
  assert_non_null(strstr(out, " v=2"));
  free(out);
  out = curl(&f, "/roomy", "--data-binary", small);
  assert_string_equal(out, "body=2000; v=2");
  free(out);
  /* 2 MiB: over the server's 1 MiB, under /roomy's 4 MiB. */
  out = curl(&f, "/roomy", "--data-binary", big);
  assert_string_equal(out, "body=2097152; v=2");
  free(out);
  out = curl(&f, "/limited", "--data-binary", big);
  assert_non_null(strstr(out, "413"));
  free(out);
  /* A 2 MiB file streamed to a temporary file, and a small one kept. */
  char file1[900], file2[900];
  snprintf(file1, sizeof(file1), "big=%s;filename=post.bin", big);
  snprintf(file2, sizeof(file2), "s=%s;filename=s.bin", small);
  const char *argv_extra[] = {"-F", file1, "-F", file2};
  char url[128];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/stream-upload", f.port);
  const char *argv[] = {"curl",
                        "-s",
                        "--max-time",
                        "10",
                        "--http2-prior-knowledge",
                        "-w",
                        " v=%{http_version}",
                        argv_extra[0],
                        argv_extra[1],
                        argv_extra[2],
                        argv_extra[3],
                        url,
                        NULL};
  out = run(&f, argv);
  assert_string_equal(out, "body=0;big:post.bin=2097152 spooled;s:s.bin=2000 spooled; v=2");
  free(out);
  /* Malformed while streaming (HTTP/2's error answer), and at the end (the
   * web layer's page): 400 with the reason either way. */
  const char *bad[] = {"curl",
                       "-s",
                       "--max-time",
                       "10",
                       "--http2-prior-knowledge",
                       "-w",
                       " code=%{http_code}",
                       "-H",
                       "Content-Type: multipart/form-data; boundary=xx",
                       "--data-binary",
                       "--xx\r\nBroken\r\n\r\nv\r\n--xx--",
                       url,
                       NULL};
  out = run(&f, bad);
  assert_non_null(strstr(out, "malformed multipart part header"));
  assert_non_null(strstr(out, " code=400"));
  free(out);
  bad[10] = "no delimiter here";
  out = run(&f, bad);
  assert_non_null(strstr(out, "no multipart boundary delimiter in the body"));
  assert_non_null(strstr(out, " code=400"));
  free(out);
  wfix_stop(&f);
}

/* A slow reader: 1 KiB stream windows, several downloads at once. */
static void test_h2_web_small_window(void **state) {
  (void)state;
  th_require_program("nghttp");
  wfix f;
  start(&f);
  char u1[128], u2[128];
  snprintf(u1, sizeof(u1), "http://127.0.0.1:%d/static/blob.bin", f.port);
  snprintf(u2, sizeof(u2), "http://127.0.0.1:%d/big", f.port);
  const char *argv[] = {"nghttp", "-ns", "-w", "10", "-m", "4", u1, u2, NULL};
  char *out = run(&f, argv);
  int ok = 0; /* -m 4: each URL four times, every answer whole (its size) */
  for (char *p = out; (p = strstr(p, "  200 ")); p++) ok++;
  if (ok != 8) fail_msg("%d answers", ok);
  assert_non_null(strstr(out, " 3M /static/blob.bin"));
  free(out);
  wfix_stop(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_h2_web_gzip_stream),
      cmocka_unit_test(test_h2_web_static_xheaders),
      cmocka_unit_test(test_h2_web_small_window),
      cmocka_unit_test(test_h2_web_limits_uploads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
