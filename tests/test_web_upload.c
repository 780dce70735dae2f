/* SPDX-License-Identifier: MIT */
/* tests/test_web_upload.c — streaming multipart uploads in the web layer
 * (http/web/web_upload.c over the streaming parser): fields in memory,
 * files spooled to temporary files past the threshold and removed when the
 * request ends, a 50 MB upload with the upload's memory high-water mark
 * staying small and nothing buffered by the server, and hostile bodies
 * answered 400 with their reason. */
#include <dirent.h>
#include <sys/stat.h>

#include "test_web_util.h"
#include "http/server/server_internal.h"

#define BOUNDARY "gale-test-boundary"
#define BIG_SIZE ((size_t)50 << 20)

static gale_web_upload_options up_opts = {.memory_threshold = 1024};

/* What the handler saw. */
static struct {
  int calls;
  char field[256];
  char other[64];
  size_t nuploads;
  char small_data[64];
  int small_fd;
  bool small_in_memory;
  char spooled_path[512];
  uint64_t spooled_size;
  bool spooled_ok; /* the file's bytes are the pattern */
  size_t peak;
  size_t body_len; /* what the server buffered */
  size_t server_buffered;
  int finishes;
} seen;

/* Byte i of a generated file. */
static char pattern(uint64_t i) { return (char)('a' + (i * 7 + i / 4096) % 26); }

static bool file_is_pattern(int fd, uint64_t size) {
  static char buf[65536];
  uint64_t at = 0;
  while (at < size) {
    ssize_t n = pread(fd, buf, sizeof buf, (off_t)at);
    if (n <= 0) return false;
    for (ssize_t k = 0; k < n; k++)
      if (buf[k] != pattern(at + (uint64_t)k)) return false;
    at += (uint64_t)n;
  }
  char extra;
  return pread(fd, &extra, 1, (off_t)size) == 0;
}

static void upload_post(gale_web_handler *h) {
  seen.calls++;
  snprintf(seen.field, sizeof seen.field, "%s", gale_web_get_argument(h, "title", "(none)"));
  snprintf(seen.other, sizeof seen.other, "%s", gale_web_get_body_argument(h, "other", "(none)"));
  seen.nuploads = gale_web_upload_count(h, NULL);
  const gale_web_upload *small = gale_web_get_upload(h, "small", 0);
  if (small) {
    seen.small_in_memory = small->data != NULL && small->path == NULL;
    seen.small_fd = small->fd;
    if (small->data) snprintf(seen.small_data, sizeof seen.small_data, "%s", small->data);
  }
  const gale_web_upload *big = gale_web_get_upload(h, "big", 0);
  if (big && big->path) {
    snprintf(seen.spooled_path, sizeof seen.spooled_path, "%s", big->path);
    seen.spooled_size = big->size;
    seen.spooled_ok = big->fd >= 0 && file_is_pattern(big->fd, big->size);
  }
  assert_null(gale_web_get_upload(h, "big", 1));
  assert_null(gale_web_get_upload(h, "nope", 0));
  seen.peak = gale_web_upload_memory_peak(h);
  gale_web_body(h, &seen.body_len);
  seen.server_buffered = gale_web_request(h)->server->body_buffered;
  gale_web_printf(h, "ok %zu", seen.nuploads);
}

static void upload_finish(gale_web_handler *h) {
  (void)h;
  seen.finishes++;
}

static const gale_web_handler_class upload_class = {
    .name = "Upload", .post = upload_post, .on_finish = upload_finish, .uploads = &up_opts};

static gale_web_upload_options tight_opts = {
    .max_parts = 3, .max_field_size = 16, .max_header_size = 200, .memory_threshold = 8};
static const gale_web_handler_class tight_class = {
    .name = "Tight", .post = upload_post, .on_finish = upload_finish, .uploads = &tight_opts};

static int coro_post(gale_web_handler *h) {
  upload_post(h);
  return GALE_OK;
}
static const gale_web_handler_class coro_class = {
    .name = "CoroUpload", .coroutine = true, .co.post = coro_post, .uploads = &up_opts};

static int bad_data(gale_web_handler *h, const char *d, size_t n) {
  (void)h;
  (void)d;
  (void)n;
  return GALE_OK;
}
static const gale_web_handler_class both_class = {.data_received = bad_data, .uploads = &up_opts};

/* max_memory: in-memory files and fields share it; a file that would pass
 * it goes to disk, a field that would pass it is refused. */
static gale_web_upload_options mem_opts = {.memory_threshold = 65536, .max_memory = 200};
static char mem_seen[64];
static void mem_post(gale_web_handler *h) {
  size_t n = gale_web_upload_count(h, NULL);
  char *p = mem_seen;
  for (size_t i = 0; i < n && i < 8; i++) *p++ = gale_web_get_upload(h, NULL, i)->path ? 'D' : 'M';
  *p = '\0';
}
static const gale_web_handler_class mem_class = {.post = mem_post, .uploads = &mem_opts};

static char *tmpdir;

static void setup_app(wfix *f) {
  memset(&seen, 0, sizeof seen);
  seen.small_fd = -2;
  wfix_open(f, NULL);
  tmpdir = th_mkdtemp();
  up_opts.tmp_dir = tmpdir;
  tight_opts.tmp_dir = tmpdir;
  mem_opts.tmp_dir = tmpdir;
  assert_int_equal(gale_web_app_add(f->app, "/mem", &mem_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/up", &upload_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/tight", &tight_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/coro", &coro_class, NULL, NULL), GALE_OK);
  assert_int_equal(gale_web_app_add(f->app, "/both", &both_class, NULL, NULL), GALE_EINVAL);
  wfix_listen(f, NULL);
}

/* Files left in the upload directory. */
static int files_left(void) {
  DIR *d = opendir(tmpdir);
  assert_non_null(d);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

static void teardown_app(wfix *f) {
  wfix_stop(f);
  th_rmtree(tmpdir);
  tmpdir = NULL;
}

static const char part_fields[] =
    "--" BOUNDARY "\r\n"
    "Content-Disposition: form-data; name=\"title\"\r\n\r\n"
    "  Hello \r\n-- world  \r\n"
    "--" BOUNDARY "\r\n"
    "Content-Disposition: form-data; name=\"small\"; filename=\"s.txt\"\r\n"
    "Content-Type: text/plain\r\n\r\n"
    "tiny file\r\n"
    "--" BOUNDARY "\r\n"
    "Content-Disposition: form-data; name=\"other\"\r\n\r\n"
    "x\r\n";

/* The request head for a body of `len` bytes. */
static void post_head(char *out, size_t cap, const char *path, size_t len) {
  snprintf(out, cap,
           "POST %s HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; boundary=" BOUNDARY
           "\r\nContent-Length: %zu\r\n\r\n",
           path, len);
}

/* Sends head + body in pieces of `step` bytes, running the loop between
 * them, then waits for the answer. */
static void post_pieces(wfix *f, const char *path, const char *body, size_t len, size_t step,
                        tresp *r, bool *closed) {
  char head[512];
  post_head(head, sizeof head, path, len);
  tclient c;
  tc_open(&c, f->port);
  tc_send(&c, head);
  for (size_t at = 0; at < len; at += step) {
    size_t n = len - at < step ? len - at : step;
    tc_sendn(&c, body + at, n);
    gale_loop_run_once(f->loop, 0);
    tc_poll(&c);
    if (c.eof) break;
  }
  TH_RUN_UNTIL(f->loop, tc_count(&c) >= 1, 5);
  tc_get(&c, 0, false, r);
  if (closed) {
    /* An answer that closes says so; then the server closes. */
    char conn[32] = "";
    *closed = tresp_header(r, "Connection", conn, sizeof conn) && strcasecmp(conn, "close") == 0;
    if (*closed) TH_RUN_UNTIL(f->loop, (tc_poll(&c), c.eof), 5);
  }
  tc_close(&c);
}

static void test_fields_and_files(void **state) {
  (void)state;
  wfix f;
  setup_app(&f);
  /* A spooled file of 5000 bytes after the fields. */
  gale_buf body;
  gale_buf_init(&body, 0);
  gale_buf_append_str(&body, part_fields);
  gale_buf_append_str(&body, "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"big\"; "
                             "filename=\"b.bin\"\r\n\r\n");
  for (uint64_t i = 0; i < 5000; i++) gale_buf_append_byte(&body, pattern(i));
  gale_buf_append_str(&body, "\r\n--" BOUNDARY "--\r\n");
  static const size_t steps[] = {100000, 7, 1};
  for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
    memset(&seen, 0, sizeof seen);
    tresp r;
    post_pieces(&f, s == 2 ? "/coro" : "/up", body.data, body.len, steps[s], &r, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "ok 2");
    tresp_free(&r);
    assert_int_equal(seen.calls, 1);
    assert_string_equal(seen.field, "Hello \r\n-- world"); /* Tornado's stripping */
    assert_string_equal(seen.other, "x");
    assert_true(seen.small_in_memory);
    assert_int_equal(seen.small_fd, -1);
    assert_string_equal(seen.small_data, "tiny file");
    assert_int_equal(seen.spooled_size, 5000);
    assert_true(seen.spooled_ok);
    assert_non_null(strstr(seen.spooled_path, tmpdir));
    assert_int_equal(seen.body_len, 0);
    /* Removed once the request ended. */
    TH_RUN_UNTIL(f.loop, files_left() == 0, 5);
    struct stat st;
    assert_int_equal(stat(seen.spooled_path, &st), -1);
  }
  gale_buf_release(&body);
  /* A body of another type is buffered and parsed as usual. */
  memset(&seen, 0, sizeof seen);
  tresp r;
  wfix_fetch(&f,
             "POST /up HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\n"
             "Content-Length: 12\r\n\r\ntitle=plain+",
             &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(seen.field, "plain");
  assert_int_equal(seen.nuploads, 0);
  tresp_free(&r);
  teardown_app(&f);
}

/* 50 MB through the web layer: the upload holds a few KiB at a time, the
 * server buffers nothing, the file has every byte, and it is gone after. */
static void test_big_upload(void **state) {
  (void)state;
  wfix f;
  setup_app(&f);
  static const char head_part[] = "--" BOUNDARY "\r\n"
                                  "Content-Disposition: form-data; name=\"title\"\r\n\r\nbig\r\n"
                                  "--" BOUNDARY "\r\n"
                                  "Content-Disposition: form-data; name=\"big\"; "
                                  "filename=\"big.bin\"\r\nContent-Type: application/x-big\r\n\r\n";
  static const char tail[] = "\r\n--" BOUNDARY "--\r\n";
  size_t total = strlen(head_part) + BIG_SIZE + strlen(tail);
  char head[512];
  post_head(head, sizeof head, "/up", total);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, head);
  tc_send(&c, head_part);
  int fl = fcntl(c.fd, F_GETFL);
  fcntl(c.fd, F_SETFL, fl | O_NONBLOCK);
  static char chunk[256 * 1024];
  uint64_t sent = 0;
  double deadline = th_now() + 120;
  while (sent < BIG_SIZE && th_now() < deadline) {
    size_t n = BIG_SIZE - sent < sizeof chunk ? BIG_SIZE - sent : sizeof chunk;
    for (size_t k = 0; k < n; k++) chunk[k] = pattern(sent + k);
    size_t off = 0;
    while (off < n && th_now() < deadline) {
      ssize_t w = send(c.fd, chunk + off, n - off, MSG_NOSIGNAL);
      if (w > 0) {
        off += (size_t)w;
        continue;
      }
      assert_true(w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
      gale_loop_run_once(f.loop, 0.01);
    }
    sent += n;
  }
  assert_int_equal(sent, BIG_SIZE);
  fcntl(c.fd, F_SETFL, fl);
  tc_send(&c, tail);
  TH_RUN_UNTIL(f.loop, tc_count(&c) >= 1, 60);
  tresp r;
  tc_get(&c, 0, false, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "ok 1");
  tresp_free(&r);
  tc_close(&c);
  assert_string_equal(seen.field, "big");
  assert_int_equal(seen.spooled_size, BIG_SIZE);
  assert_true(seen.spooled_ok);
  assert_int_equal(seen.body_len, 0);
  assert_int_equal(seen.server_buffered, 0);
  /* The high-water mark of what the upload held: the fields, the 1 KiB
   * threshold's worth of file before it was spooled, the parser's header
   * buffer; never the body. */
  printf("# 50 MiB upload: upload memory peak %zu bytes\n", seen.peak);
  assert_true(seen.peak < 64 * 1024);
  TH_RUN_UNTIL(f.loop, files_left() == 0, 5);
  teardown_app(&f);
}

/* Sends a whole request, returns the answer and whether the server closed. */
static void post_raw(wfix *f, const char *path, const char *body, tresp *r, bool *closed) {
  post_pieces(f, path, body, strlen(body), 1 << 20, r, closed);
}

/* A body refused while it streams in closes the connection; one found
 * wrong at its end (it was read whole) leaves it open. */
static void expect_400(wfix *f, const char *path, const char *body, const char *reason,
                       bool want_closed) {
  tresp r;
  bool closed = false;
  post_raw(f, path, body, &r, &closed);
  if (r.status != 400) fail_msg("status %d for %s", r.status, reason);
  if (!strstr(r.body, reason)) fail_msg("'%s' not in '%s'", reason, r.body);
  if (closed != want_closed) fail_msg("closed %d for %s", closed, reason);
  tresp_free(&r);
}

static void test_hostile(void **state) {
  (void)state;
  wfix f;
  setup_app(&f);
  const char *cd = "Content-Disposition: form-data; name=";
  char body[4096];
  /* Missing closing delimiter (truncated final boundary). */
  snprintf(body, sizeof body, "--" BOUNDARY "\r\n%s\"a\"\r\n\r\nv\r\n--" BOUNDARY, cd);
  expect_400(&f, "/up", body, "the body ends before the closing multipart boundary delimiter",
             false);
  /* No delimiter at all. */
  expect_400(&f, "/up", "just some bytes", "no multipart boundary delimiter in the body", false);
  /* A bad part header. */
  snprintf(body, sizeof body,
           "--" BOUNDARY "\r\nContent-Disposition: form-data\r\n\r\nv\r\n--" BOUNDARY "--");
  expect_400(&f, "/up", body, "malformed multipart part header", true);
  /* Boundary-like bytes in data: the delimiter followed by junk. */
  snprintf(body, sizeof body,
           "--" BOUNDARY "\r\n%s\"a\"\r\n\r\nv\r\n--" BOUNDARY "junk\r\n--" BOUNDARY "--", cd);
  expect_400(&f, "/up", body, "a multipart boundary delimiter followed by other bytes", true);
  /* Limits of the tight class: parts, field size, header size. */
  snprintf(body, sizeof body,
           "--" BOUNDARY "\r\n%s\"a\"\r\n\r\n1\r\n--" BOUNDARY "\r\n%s\"b\"\r\n\r\n2\r\n"
           "--" BOUNDARY "\r\n%s\"c\"\r\n\r\n3\r\n--" BOUNDARY "\r\n%s\"d\"\r\n\r\n4\r\n--" BOUNDARY
           "--",
           cd, cd, cd, cd);
  expect_400(&f, "/tight", body, "too many multipart parts", true);
  snprintf(body, sizeof body,
           "--" BOUNDARY "\r\n%s\"a\"\r\n\r\n0123456789abcdefX\r\n--" BOUNDARY "--", cd);
  expect_400(&f, "/tight", body, "a form field is larger than the handler allows", true);
  char longname[400];
  memset(longname, 'n', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  snprintf(body, sizeof body, "--" BOUNDARY "\r\n%s\"%s\"\r\n\r\nv\r\n--" BOUNDARY "--", cd,
           longname);
  expect_400(&f, "/tight", body, "a multipart part header section too large", true);
  /* max_memory: 80 + 80 bytes of files fit, the third goes to disk, the
   * fourth (small) still fits; fields past it are refused. */
  {
    char file80[81];
    memset(file80, 'f', 80);
    file80[80] = '\0';
    snprintf(body, sizeof body,
             "--" BOUNDARY "\r\n%s\"a\"; filename=\"1\"\r\n\r\n%s\r\n"
             "--" BOUNDARY "\r\n%s\"a\"; filename=\"2\"\r\n\r\n%s\r\n"
             "--" BOUNDARY "\r\n%s\"a\"; filename=\"3\"\r\n\r\n%s\r\n"
             "--" BOUNDARY "\r\n%s\"a\"; filename=\"4\"\r\n\r\nsmall\r\n--" BOUNDARY "--",
             cd, file80, cd, file80, cd, file80, cd);
    tresp r;
    bool closed;
    post_raw(&f, "/mem", body, &r, &closed);
    assert_int_equal(r.status, 200);
    tresp_free(&r);
    assert_string_equal(mem_seen, "MMDM");
    snprintf(body, sizeof body,
             "--" BOUNDARY "\r\n%s\"f\"; filename=\"1\"\r\n\r\n%s\r\n"
             "--" BOUNDARY "\r\n%s\"f\"; filename=\"2\"\r\n\r\n%s\r\n"
             "--" BOUNDARY "\r\n%s\"field\"\r\n\r\n%s\r\n--" BOUNDARY "--",
             cd, file80, cd, file80, cd, file80);
    expect_400(&f, "/mem", body, "the form fields are larger than the handler allows", true);
    TH_RUN_UNTIL(f.loop, files_left() == 0, 5);
  }
  /* A spooled file, then a bad part: the file goes when the request does. */
  snprintf(body, sizeof body,
           "--" BOUNDARY "\r\n%s\"f\"; filename=\"x\"\r\n\r\n0123456789abcdefghij\r\n"
           "--" BOUNDARY "\r\nBroken header\r\n\r\nv\r\n--" BOUNDARY "--",
           cd);
  expect_400(&f, "/tight", body, "malformed multipart part header", true);
  TH_RUN_UNTIL(f.loop, files_left() == 0, 5);
  /* multipart/form-data without a boundary: 400 before the body. */
  tresp r;
  wfix_fetch(&f,
             "POST /up HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data\r\n"
             "Content-Length: 3\r\n\r\nabc",
             &r);
  assert_int_equal(r.status, 400);
  assert_non_null(strstr(r.body, "multipart/form-data without a valid boundary"));
  tresp_free(&r);
  wfix_fetch(&f,
             "POST /up HTTP/1.1\r\nHost: h\r\nContent-Type: multipart/form-data; boundary=\"\"\r\n"
             "Content-Length: 3\r\n\r\nabc",
             &r);
  assert_int_equal(r.status, 400);
  tresp_free(&r);
  /* The handler's method never ran; on_finish did for each. */
  assert_int_equal(seen.calls, 0);
  assert_true(seen.finishes >= 8);
  teardown_app(&f);
}

/* The client leaves halfway through a spooled file: the handler ends
 * (on_finish, not the method) and the temporary file is removed. */
static void test_client_leaves(void **state) {
  (void)state;
  wfix f;
  setup_app(&f);
  static const char part[] = "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"big\"; "
                             "filename=\"b\"\r\n\r\n";
  char head[512];
  post_head(head, sizeof head, "/up", 1 << 20);
  tclient c;
  tc_open(&c, f.port);
  tc_send(&c, head);
  tc_send(&c, part);
  char chunk[8192];
  for (size_t i = 0; i < sizeof chunk; i++) chunk[i] = pattern(i);
  tc_sendn(&c, chunk, sizeof chunk);
  TH_RUN_UNTIL(f.loop, files_left() == 1, 5); /* past the 1 KiB threshold: spooled */
  tc_close(&c);
  TH_RUN_UNTIL(f.loop, seen.finishes == 1, 5);
  TH_RUN_UNTIL(f.loop, files_left() == 0, 5);
  assert_int_equal(seen.calls, 0);
  teardown_app(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fields_and_files),
      cmocka_unit_test(test_hostile),
      cmocka_unit_test(test_big_upload),
      cmocka_unit_test(test_client_leaves),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
