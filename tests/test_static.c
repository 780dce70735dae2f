/* SPDX-License-Identifier: MIT */
/* The static file handler: content types, ETag/Last-Modified and 304s,
 * ranges (206/416), versioned URLs, traversal refused, directories,
 * sendfile of a large file, HEAD. */
#include <sys/stat.h>

#include "test_web_util.h"

/* The web fixture with the files it serves: root/ in its temporary
 * directory (a secret lies beside root/, a symlink inside points at it). */
typedef struct sfix {
  wfix w;
  gale_web_static_options files_opts;
  char root[512];
} sfix;

static void sstart(sfix *f) {
  memset(f, 0, sizeof(*f));
  char *dir = th_mkdtemp();
  char p[600];
  snprintf(f->root, sizeof(f->root), "%s/root", dir);
  mkdir(f->root, 0755);
  snprintf(p, sizeof(p), "%s/a.txt", f->root);
  th_write_file(p, "0123456789", 10);
  snprintf(p, sizeof(p), "%s/sub", f->root);
  mkdir(p, 0755);
  snprintf(p, sizeof(p), "%s/sub/index.html", f->root);
  th_write_file(p, "<p>index</p>", 12);
  snprintf(p, sizeof(p), "%s/style.CSS", f->root);
  th_write_file(p, "b{}", 3);
  snprintf(p, sizeof(p), "%s/secret", dir);
  th_write_file(p, "secret", 6);
  char link[600];
  snprintf(link, sizeof(link), "%s/link", f->root);
  assert_int_equal(symlink(p, link), 0);
  /* Symlinks the kernel's RESOLVE_BENEATH path and the realpath path must
   * agree on: relative inside (served), relative out (refused), absolute
   * but landing inside (served, as before). */
  snprintf(link, sizeof(link), "%s/inlink", f->root);
  assert_int_equal(symlink("sub/index.html", link), 0);
  snprintf(link, sizeof(link), "%s/sub/uplink", f->root);
  assert_int_equal(symlink("../../secret", link), 0);
  snprintf(p, sizeof(p), "%s/a.txt", f->root);
  snprintf(link, sizeof(link), "%s/abslink", f->root);
  assert_int_equal(symlink(p, link), 0);
  char *big = malloc(300000);
  for (int i = 0; i < 300000; i++) big[i] = (char)('a' + i % 26);
  snprintf(p, sizeof(p), "%s/big.bin", f->root);
  th_write_file(p, big, 300000);
  free(big);

  gale_web_app_options o;
  gale_web_app_options_init(&o);
  o.static_path = f->root;
  wfix_open(&f->w, &o);
  f->w.dir = dir;
  f->files_opts.root = f->root;
  f->files_opts.default_filename = "index.html";
  assert_int_equal(
      gale_web_app_add(f->w.app, "/files/(.*)", &gale_web_static_handler, &f->files_opts, NULL),
      GALE_OK);
  wfix_listen(&f->w, NULL);
}

static void test_symlinks(void **state) {
  (void)state;
  sfix f;
  sstart(&f);
  tresp r;
  wfix_get(&f.w, "/static/inlink", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "<p>index</p>");
  tresp_free(&r);
  wfix_get(&f.w, "/static/sub/uplink", NULL, &r);
  assert_int_equal(r.status, 403);
  tresp_free(&r);
  wfix_get(&f.w, "/static/abslink", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "0123456789");
  tresp_free(&r);
  wfix_get(&f.w, "/static/link", NULL, &r);
  assert_int_equal(r.status, 403);
  tresp_free(&r);
  wfix_stop(&f.w);
}

static void test_basic(void **state) {
  (void)state;
  sfix f;
  sstart(&f);
  tresp r;
  char v[256];
  wfix_get(&f.w, "/static/a.txt", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "0123456789");
  assert_true(tresp_header(&r, "Content-Type", v, sizeof(v)));
  assert_string_equal(v, "text/plain; charset=UTF-8");
  assert_true(tresp_header(&r, "Content-Length", v, sizeof(v)));
  assert_string_equal(v, "10");
  assert_true(tresp_header(&r, "Accept-Ranges", v, sizeof(v)));
  assert_true(tresp_header(&r, "Last-Modified", v, sizeof(v)));
  assert_false(tresp_header(&r, "Cache-Control", NULL, 0));
  tresp_free(&r);
  wfix_get(&f.w, "/static/style.CSS", NULL, &r);
  assert_true(tresp_header(&r, "Content-Type", v, sizeof(v)));
  assert_string_equal(v, "text/css; charset=UTF-8");
  tresp_free(&r);
  wfix_fetch(&f.w, "HEAD /static/a.txt HTTP/1.1\r\nHost: h\r\n\r\n", &r);
  assert_int_equal(r.status, 200);
  assert_true(tresp_header(&r, "Content-Length", v, sizeof(v)));
  assert_string_equal(v, "10");
  tresp_free(&r);
  wfix_get(&f.w, "/static/big.bin", NULL, &r);
  assert_int_equal(r.body_len, 300000);
  assert_int_equal(r.body[299999], 'a' + 299999 % 26);
  tresp_free(&r);
  char *url = gale_web_static_url(f.w.app, "a.txt");
  assert_non_null(url);
  assert_memory_equal(url, "/static/a.txt?v=", 16);
  wfix_get(&f.w, url, NULL, &r);
  assert_true(tresp_header(&r, "Cache-Control", v, sizeof(v)));
  assert_string_equal(v, "max-age=315360000, public");
  tresp_free(&r);
  free(url);
  assert_null(gale_web_static_url(f.w.app, "missing.txt"));
  wfix_stop(&f.w);
}

static void test_conditional(void **state) {
  (void)state;
  sfix f;
  sstart(&f);
  tresp r;
  char etag[128], lm[128], hdr[300];
  wfix_get(&f.w, "/static/a.txt", NULL, &r);
  assert_true(tresp_header(&r, "Etag", etag, sizeof(etag)));
  assert_true(tresp_header(&r, "Last-Modified", lm, sizeof(lm)));
  tresp_free(&r);
  snprintf(hdr, sizeof(hdr), "If-None-Match: %s\r\n", etag);
  wfix_get(&f.w, "/static/a.txt", hdr, &r);
  assert_int_equal(r.status, 304);
  tresp_free(&r);
  snprintf(hdr, sizeof(hdr), "If-Modified-Since: %s\r\n", lm);
  wfix_get(&f.w, "/static/a.txt", hdr, &r);
  assert_int_equal(r.status, 304);
  tresp_free(&r);
  wfix_get(&f.w, "/static/a.txt", "If-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT\r\n", &r);
  assert_int_equal(r.status, 200);
  tresp_free(&r);
  wfix_get(&f.w, "/static/a.txt", "If-None-Match: \"nope\"\r\n", &r);
  assert_int_equal(r.status, 200);
  tresp_free(&r);
  wfix_stop(&f.w);
}

static void test_ranges(void **state) {
  (void)state;
  sfix f;
  sstart(&f);
  tresp r;
  char v[128];
  wfix_get(&f.w, "/static/a.txt", "Range: bytes=2-5\r\n", &r);
  assert_int_equal(r.status, 206);
  assert_string_equal(r.body, "2345");
  assert_true(tresp_header(&r, "Content-Range", v, sizeof(v)));
  assert_string_equal(v, "bytes 2-5/10");
  tresp_free(&r);
  wfix_get(&f.w, "/static/a.txt", "Range: bytes=-3\r\n", &r);
  assert_int_equal(r.status, 206);
  assert_string_equal(r.body, "789");
  tresp_free(&r);
  wfix_get(&f.w, "/static/a.txt", "Range: bytes=7-\r\n", &r);
  assert_string_equal(r.body, "789");
  tresp_free(&r);
  wfix_get(&f.w, "/static/a.txt", "Range: bytes=8-100\r\n", &r);
  assert_string_equal(r.body, "89");
  tresp_free(&r);
  wfix_get(&f.w, "/static/a.txt", "Range: bytes=10-\r\n", &r);
  assert_int_equal(r.status, 416);
  assert_true(tresp_header(&r, "Content-Range", v, sizeof(v)));
  assert_string_equal(v, "bytes */10");
  tresp_free(&r);
  wfix_get(&f.w, "/static/a.txt", "Range: bytes=1-2,4-5\r\n", &r); /* several: whole file */
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "0123456789");
  tresp_free(&r);
  wfix_get(&f.w, "/static/big.bin", "Range: bytes=100000-100009\r\n", &r);
  assert_int_equal(r.status, 206);
  assert_int_equal(r.body_len, 10);
  assert_int_equal(r.body[0], 'a' + 100000 % 26);
  tresp_free(&r);
  wfix_stop(&f.w);
}

/* If-Range (RFC 9110 §13.1.5): the Range holds only for the current
 * validator; otherwise the whole file with 200. */
static void test_if_range(void **state) {
  (void)state;
  sfix f;
  sstart(&f);
  tresp r;
  char etag[128], lm[128], v[128], extra[512];
  wfix_get(&f.w, "/static/a.txt", NULL, &r);
  assert_true(tresp_header(&r, "Etag", etag, sizeof(etag)));
  assert_true(tresp_header(&r, "Last-Modified", lm, sizeof(lm)));
  tresp_free(&r);
  snprintf(extra, sizeof(extra), "Range: bytes=2-5\r\nIf-Range: %s\r\n", etag);
  wfix_get(&f.w, "/static/a.txt", extra, &r);
  assert_int_equal(r.status, 206);
  assert_string_equal(r.body, "2345");
  tresp_free(&r);
  snprintf(extra, sizeof(extra), "Range: bytes=2-5\r\nIf-Range: %s\r\n", lm);
  wfix_get(&f.w, "/static/a.txt", extra, &r);
  assert_int_equal(r.status, 206);
  assert_string_equal(r.body, "2345");
  tresp_free(&r);
  const char *stale[] = {"\"other\"", "W/\"other\"", "Thu, 01 Jan 1970 00:00:00 GMT", "not a date",
                         "",          "\"",          "Mon, 99 Foo 2026 99:99:99 GMT"};
  for (size_t i = 0; i < sizeof(stale) / sizeof(stale[0]); i++) {
    snprintf(extra, sizeof(extra), "Range: bytes=2-5\r\nIf-Range: %s\r\n", stale[i]);
    wfix_get(&f.w, "/static/a.txt", extra, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "0123456789");
    assert_false(tresp_header(&r, "Content-Range", NULL, 0));
    assert_true(tresp_header(&r, "Content-Length", v, sizeof(v)));
    assert_string_equal(v, "10");
    tresp_free(&r);
  }
  /* The weak form of our own tag is not a strong match either. */
  snprintf(extra, sizeof(extra), "Range: bytes=2-5\r\nIf-Range: W/%s\r\n", etag);
  wfix_get(&f.w, "/static/a.txt", extra, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "0123456789");
  tresp_free(&r);
  /* If-Range without Range: ignored. */
  wfix_get(&f.w, "/static/a.txt", "If-Range: \"other\"\r\n", &r);
  assert_int_equal(r.status, 200);
  tresp_free(&r);
  wfix_stop(&f.w);
}

static void test_refused(void **state) {
  (void)state;
  sfix f;
  sstart(&f);
  tresp r;
  struct {
    const char *path;
    int status;
  } cases[] = {
      {"/static/../secret", 403},
      {"/static/%2e%2e/secret", 403},
      {"/static/sub/../../secret", 403},
      {"/static/..%2fsecret", 403},
      {"/static/link", 403},
      {"/static/missing", 404},
      {"/static/a.txt%00.png", 404},
      {"/static/sub", 403},
      {"/static/sub/", 403},
      {"/files/sub", 301},
      {"/files/sub/", 200},
      {"/static/a%5c..%5csecret", 403},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    wfix_get(&f.w, cases[i].path, NULL, &r);
    if (r.status != cases[i].status)
      fail_msg("%s: expected %d got %d", cases[i].path, cases[i].status, r.status);
    assert_null(strstr(r.body, "secret"));
    tresp_free(&r);
  }
  wfix_get(&f.w, "/files/sub/", NULL, &r);
  assert_string_equal(r.body, "<p>index</p>");
  tresp_free(&r);
  wfix_get(&f.w, "/files/sub", NULL, &r);
  char v[64];
  assert_true(tresp_header(&r, "Location", v, sizeof(v)));
  assert_string_equal(v, "/files/sub/");
  tresp_free(&r);
  assert_string_equal(gale_web_content_type("x/y.PNG"), "image/png");
  assert_string_equal(gale_web_content_type("noext"), "application/octet-stream");
  wfix_stop(&f.w);
}

/* Files up to 16 KiB are read and leave with the head; longer ones are
 * sendfile'd: both sides of the boundary, an empty file, and a short range
 * of a big file (read at its offset). */
static void test_small_and_sendfile_boundary(void **state) {
  (void)state;
  sfix f;
  sstart(&f);
  static const size_t sizes[] = {0, 1, 16383, 16384, 16385, 70000};
  char p[700], url[64], v[64];
  char *data = malloc(70000);
  for (size_t i = 0; i < 70000; i++) data[i] = (char)('A' + (i * 7) % 53);
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    snprintf(p, sizeof p, "%s/s%zu.bin", f.root, sizes[k]);
    th_write_file(p, data, sizes[k]);
    snprintf(url, sizeof url, "/static/s%zu.bin", sizes[k]);
    tresp r;
    wfix_get(&f.w, url, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, sizes[k]);
    if (sizes[k]) assert_memory_equal(r.body, data, sizes[k]);
    assert_true(tresp_header(&r, "Content-Length", v, sizeof v));
    assert_int_equal(strtol(v, NULL, 10), (long)sizes[k]);
    tresp_free(&r);
  }
  tresp r;
  wfix_get(&f.w, "/static/s70000.bin", "Range: bytes=65000-65099\r\n", &r);
  assert_int_equal(r.status, 206);
  assert_int_equal(r.body_len, 100);
  assert_memory_equal(r.body, data + 65000, 100);
  tresp_free(&r);
  free(data);
  wfix_stop(&f.w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_basic),    cmocka_unit_test(test_small_and_sendfile_boundary),
      cmocka_unit_test(test_symlinks), cmocka_unit_test(test_conditional),
      cmocka_unit_test(test_ranges),   cmocka_unit_test(test_if_range),
      cmocka_unit_test(test_refused),
  };
  /* The same again with the application's `user` set on each request
   * (the static handler keeps its state in the web layer's own slot). */
  int failed = cmocka_run_group_tests_name("plain", tests, web_plain_setup, NULL);
  failed += cmocka_run_group_tests_name("user", tests, web_user_setup, web_user_teardown);
  return failed;
}
