/* SPDX-License-Identifier: MIT */
/* Tests of the HTTP/1 head writer (http/wire/h1_head.c): status and request
 * lines, numbers at their ends, gale_headers sets, heads longer than the
 * first reservation, one reservation when the size is known, the sticky
 * failure (a frozen buffer, an allocation failing inside libevent, the
 * caller's own error), and that CR/LF never reach it through gale_headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "http/wire/h1_head.h"

/* libevent's allocations, failing on demand (core/alloc.h's hook does not
 * reach inside libevent). */
static int fail_allocs; /* > 0: that many allocations from now succeed, then all fail */
static bool failing;

static bool alloc_fails(void) {
  if (!failing) return false;
  if (fail_allocs > 0) {
    fail_allocs--;
    return false;
  }
  return true;
}
static void *t_malloc(size_t n) { return alloc_fails() ? NULL : malloc(n); }
static void *t_realloc(void *p, size_t n) { return alloc_fails() ? NULL : realloc(p, n); }
static void t_free(void *p) { free(p); }

/* The buffer's bytes as a NUL-terminated string (caller frees). */
static char *contents(struct evbuffer *b) {
  size_t n = evbuffer_get_length(b);
  char *s = malloc(n + 1);
  assert_non_null(s);
  evbuffer_copyout(b, s, n);
  s[n] = '\0';
  return s;
}

static void assert_buf(struct evbuffer *b, const char *want) {
  char *got = contents(b);
  assert_string_equal(got, want);
  free(got);
}

static int chains(struct evbuffer *b) { return evbuffer_peek(b, -1, NULL, NULL, 0); }

static void test_status_line(void **state) {
  (void)state;
  struct evbuffer *b = evbuffer_new();
  gale_h1_head h;
  gale_h1_head_init(&h, b, 0);
  gale_h1_head_status_line(&h, 200, "OK", 2);
  gale_h1_head_literal(&h, "Date: x\r\n");
  gale_h1_head_field(&h, "Server", 6, "gale", 4);
  gale_h1_head_field(&h, "X-Empty", 7, "", 0);
  const char *want = "HTTP/1.1 200 OK\r\nDate: x\r\nServer: gale\r\nX-Empty: \r\n\r\n";
  assert_int_equal(gale_h1_head_finish(&h), (ssize_t)strlen(want));
  assert_buf(b, want);

  /* The ends of the range, an empty reason. */
  evbuffer_drain(b, evbuffer_get_length(b));
  gale_h1_head_init(&h, b, 0);
  gale_h1_head_status_line(&h, 100, "Continue", 8);
  assert_int_equal(gale_h1_head_finish(&h), 25);
  gale_h1_head_init(&h, b, 0);
  gale_h1_head_status_line(&h, 999, "", 0);
  assert_int_equal(gale_h1_head_finish(&h), 17);
  assert_buf(b, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 999 \r\n\r\n");
  evbuffer_free(b);
}

static void test_bad_status(void **state) {
  (void)state;
  static const int bad[] = {0, 99, 1000, -200};
  struct evbuffer *b = evbuffer_new();
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    gale_h1_head h;
    gale_h1_head_init(&h, b, 0);
    gale_h1_head_status_line(&h, bad[i], "OK", 2);
    gale_h1_head_field(&h, "A", 1, "b", 1);
    assert_int_equal(gale_h1_head_finish(&h), GALE_EINVAL);
    assert_int_equal(evbuffer_get_length(b), 0);
  }
  evbuffer_free(b);
}

static void test_request_line(void **state) {
  (void)state;
  struct evbuffer *b = evbuffer_new();
  gale_h1_head h;
  gale_h1_head_init(&h, b, 0);
  gale_h1_head_request_line(&h, "GET", 3, "/a/b", 4, "x=1&y=2", 7);
  gale_h1_head_field(&h, "Host", 4, "example.com", 11);
  gale_h1_head_finish(&h);
  gale_h1_head_init(&h, b, 0);
  gale_h1_head_request_line(&h, "POST", 4, "/", 1, NULL, 0);
  gale_h1_head_finish(&h);
  gale_h1_head_init(&h, b, 0);
  gale_h1_head_request_line(&h, "GET", 3, "/e", 2, "", 0);
  gale_h1_head_finish(&h);
  gale_h1_head_init(&h, b, 0);
  gale_h1_head_request_line(&h, "GET", 3, "http://h:8080/p?q", 17, NULL, 0);
  gale_h1_head_finish(&h);
  assert_buf(b, "GET /a/b?x=1&y=2 HTTP/1.1\r\nHost: example.com\r\n\r\n"
                "POST / HTTP/1.1\r\n\r\n"
                "GET /e? HTTP/1.1\r\n\r\n"
                "GET http://h:8080/p?q HTTP/1.1\r\n\r\n");
  assert_int_equal(GALE_H1_REQUEST_LINE_SIZE(3, 4), strlen("GET /a/b HTTP/1.1\r\n"));
  evbuffer_free(b);
}

static void test_numbers(void **state) {
  (void)state;
  struct evbuffer *b = evbuffer_new();
  gale_h1_head h;
  gale_h1_head_init(&h, b, 0);
  gale_h1_head_field_u64(&h, "Content-Length", 14, 0);
  gale_h1_head_field_u64(&h, "Content-Length", 14, UINT64_MAX);
  gale_h1_head_field_u64(&h, "N", 1, 10);
  gale_h1_head_literal(&h, "P: ");
  gale_h1_head_u64(&h, 9);
  gale_h1_head_u64(&h, 1234567890123ull);
  gale_h1_head_literal(&h, "\r\n");
  gale_h1_head_finish(&h);
  assert_buf(b, "Content-Length: 0\r\nContent-Length: 18446744073709551615\r\nN: 10\r\n"
                "P: 91234567890123\r\n\r\n");
  assert_int_equal(strlen("18446744073709551615"), GALE_H1_U64_DIGITS);
  evbuffer_free(b);
}

static void test_headers_set(void **state) {
  (void)state;
  struct evbuffer *b = evbuffer_new();
  gale_headers *hs = gale_headers_new();
  assert_non_null(hs);
  assert_int_equal(gale_headers_add(hs, "Content-Type", "text/plain"), GALE_OK);
  assert_int_equal(gale_headers_add(hs, "Set-Cookie", "a=1"), GALE_OK);
  assert_int_equal(gale_headers_add(hs, "Set-Cookie", "b=2"), GALE_OK);
  gale_h1_head h;
  gale_h1_head_init(&h, b, 0);
  gale_h1_head_status_line(&h, 404, "Not Found", 9);
  gale_h1_head_headers(&h, hs);
  gale_h1_head_headers(&h, NULL);
  gale_headers *empty = gale_headers_new();
  gale_h1_head_headers(&h, empty);
  gale_h1_head_finish(&h);
  assert_buf(b, "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
                "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n");
  gale_headers_free(empty);
  gale_headers_free(hs);
  evbuffer_free(b);
}

/* CR, LF and NUL never reach the writer from a gale_headers set: the set
 * refuses them at insert, which is why the writer does not look. */
static void test_crlf_refused_upstream(void **state) {
  (void)state;
  gale_headers *hs = gale_headers_new();
  assert_non_null(hs);
  assert_int_equal(gale_headers_add(hs, "X", "a\r\nInjected: 1"), GALE_EINVAL);
  assert_int_equal(gale_headers_add(hs, "X", "a\nb"), GALE_EINVAL);
  assert_int_equal(gale_headers_add(hs, "X\r\nY", "v"), GALE_EINVAL);
  assert_int_equal(gale_headers_set(hs, "X", "a\rb"), GALE_EINVAL);
  assert_int_equal(gale_headers_count(hs), 0);
  gale_headers_free(hs);
}

/* A head far past its first reservation: committed piece by piece, the
 * bytes the same as one building them elsewhere, the count only the
 * head's own (the buffer held bytes before it). */
static void test_many_fields(void **state) {
  (void)state;
  struct evbuffer *b = evbuffer_new();
  evbuffer_add(b, "earlier", 7);
  size_t cap = 64 * 1024, n = 0;
  char *want = malloc(cap);
  assert_non_null(want);
  gale_h1_head h;
  gale_h1_head_init(&h, b, 16);
  gale_h1_head_status_line(&h, 200, "OK", 2);
  n += (size_t)snprintf(want + n, cap - n, "HTTP/1.1 200 OK\r\n");
  char value[300];
  memset(value, 'v', sizeof value);
  for (int i = 0; i < 1000; i++) {
    char name[32];
    int nl = snprintf(name, sizeof name, "X-Field-%d", i);
    size_t vl = (size_t)(i % 7 == 0 ? 299 : i % 13);
    gale_h1_head_field(&h, name, (size_t)nl, value, vl);
    n += (size_t)snprintf(want + n, cap - n, "%s: %.*s\r\n", name, (int)vl, value);
    assert_true(n < cap);
  }
  n += (size_t)snprintf(want + n, cap - n, "\r\n");
  assert_int_equal(gale_h1_head_finish(&h), (ssize_t)n);
  assert_int_equal(evbuffer_get_length(b), 7 + n);
  char *got = contents(b);
  assert_memory_equal(got, "earlier", 7);
  assert_string_equal(got + 7, want);
  free(got);
  free(want);
  evbuffer_free(b);
}

/* A single piece bigger than the reservation and than the doubling. */
static void test_one_big_piece(void **state) {
  (void)state;
  struct evbuffer *b = evbuffer_new();
  size_t big = 100000;
  char *v = malloc(big);
  assert_non_null(v);
  memset(v, 'a', big);
  gale_h1_head h;
  gale_h1_head_init(&h, b, 8);
  gale_h1_head_field(&h, "Big", 3, v, big);
  assert_int_equal(gale_h1_head_finish(&h), (ssize_t)(GALE_H1_FIELD_SIZE(3, big) + 2));
  char *got = contents(b);
  assert_memory_equal(got, "Big: aaa", 8);
  assert_memory_equal(got + 5 + big, "\r\n\r\n", 5);
  free(got);
  free(v);
  evbuffer_free(b);
}

/* The server's shape: the size known, one reservation, one chain, and the
 * room left after the head takes the small body that follows. */
static void test_one_reservation(void **state) {
  (void)state;
  struct evbuffer *b = evbuffer_new();
  const char *want = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
  size_t size = GALE_H1_STATUS_LINE_SIZE(2) + GALE_H1_FIELD_SIZE(14, 1) + GALE_H1_HEAD_END_SIZE;
  assert_int_equal(size, strlen(want));
  gale_h1_head h;
  gale_h1_head_init(&h, b, size + 5);
  gale_h1_head_status_line(&h, 200, "OK", 2);
  gale_h1_head_field_u64(&h, "Content-Length", 14, 5);
  assert_int_equal(gale_h1_head_finish(&h), (ssize_t)size);
  assert_int_equal(chains(b), 1);
  evbuffer_add(b, "hello", 5);
  assert_int_equal(chains(b), 1);
  char *got = contents(b);
  assert_memory_equal(got, want, size);
  assert_string_equal(got + size, "hello");
  free(got);
  evbuffer_free(b);
}

/* A frozen buffer refuses the reservation: the head fails at once. */
static void test_enomem_frozen(void **state) {
  (void)state;
  struct evbuffer *b = evbuffer_new();
  evbuffer_freeze(b, 0);
  gale_h1_head h;
  gale_h1_head_init(&h, b, 0);
  gale_h1_head_status_line(&h, 200, "OK", 2);
  gale_h1_head_field_u64(&h, "Content-Length", 14, 1);
  gale_h1_head_headers(&h, NULL);
  assert_int_equal(gale_h1_head_finish(&h), GALE_ENOMEM);
  evbuffer_unfreeze(b, 0);
  assert_int_equal(evbuffer_get_length(b), 0);

  /* Frozen while the head grows: the commit fails, later writes do
   * nothing, and the error is the first one. */
  char v[8000];
  memset(v, 'v', sizeof v);
  gale_h1_head_init(&h, b, 16);
  gale_h1_head_status_line(&h, 200, "OK", 2);
  evbuffer_freeze(b, 0);
  gale_h1_head_field(&h, "Long", 4, v, sizeof v);
  evbuffer_unfreeze(b, 0);
  gale_h1_head_field(&h, "After", 5, "x", 1);
  gale_h1_head_fail(&h, GALE_EINVAL);
  assert_int_equal(gale_h1_head_finish(&h), GALE_ENOMEM);
  assert_int_equal(evbuffer_get_length(b), 0);
  evbuffer_free(b);
}

/* Allocation failure inside libevent, at each allocation a growing head
 * makes: every run ends in GALE_ENOMEM or the right bytes, never a crash
 * or a leak. */
static void test_enomem_alloc(void **state) {
  (void)state;
  char v[200];
  memset(v, 'z', sizeof v);
  bool saw_fail = false, saw_ok = false;
  for (int k = 0; k < 64 && !saw_ok; k++) {
    struct evbuffer *b = evbuffer_new();
    assert_non_null(b);
    fail_allocs = k;
    failing = true;
    gale_h1_head h;
    gale_h1_head_init(&h, b, 32);
    gale_h1_head_status_line(&h, 200, "OK", 2);
    for (int i = 0; i < 40; i++) gale_h1_head_field(&h, "Field", 5, v, sizeof v);
    ssize_t rc = gale_h1_head_finish(&h);
    failing = false;
    if (rc < 0) {
      assert_int_equal(rc, GALE_ENOMEM);
      saw_fail = true;
    } else {
      assert_int_equal(
          rc, (ssize_t)(GALE_H1_STATUS_LINE_SIZE(2) + 40 * GALE_H1_FIELD_SIZE(5, sizeof v) + 2));
      assert_int_equal(evbuffer_get_length(b), (size_t)rc);
      saw_ok = true;
    }
    evbuffer_free(b);
  }
  assert_true(saw_fail);
  assert_true(saw_ok);
}

/* The caller's own failure: what is not committed is dropped. */
static void test_caller_fail(void **state) {
  (void)state;
  struct evbuffer *b = evbuffer_new();
  gale_h1_head h;
  gale_h1_head_init(&h, b, 0);
  gale_h1_head_literal(&h, "GET ");
  gale_h1_head_fail(&h, GALE_EURL);
  gale_h1_head_literal(&h, "/ HTTP/1.1\r\n");
  assert_int_equal(gale_h1_head_finish(&h), GALE_EURL);
  assert_int_equal(evbuffer_get_length(b), 0);
  /* The buffer is usable again at once. */
  gale_h1_head_init(&h, b, 0);
  gale_h1_head_request_line(&h, "GET", 3, "/", 1, NULL, 0);
  assert_int_equal(gale_h1_head_finish(&h), 18);
  assert_buf(b, "GET / HTTP/1.1\r\n\r\n");
  evbuffer_free(b);
}

int main(void) {
  /* Before any other libevent call, as libevent requires. */
  event_set_mem_functions(t_malloc, t_realloc, t_free);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_status_line),     cmocka_unit_test(test_bad_status),
      cmocka_unit_test(test_request_line),    cmocka_unit_test(test_numbers),
      cmocka_unit_test(test_headers_set),     cmocka_unit_test(test_crlf_refused_upstream),
      cmocka_unit_test(test_many_fields),     cmocka_unit_test(test_one_big_piece),
      cmocka_unit_test(test_one_reservation), cmocka_unit_test(test_enomem_frozen),
      cmocka_unit_test(test_enomem_alloc),    cmocka_unit_test(test_caller_fail),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
