/* SPDX-License-Identifier: MIT */
/* gale_buf (core/buf.c): growth, the max guard, caller storage, printf,
 * take, and every allocation failing in turn. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "harness.h"

static void test_empty_and_growth(void **state) {
  (void)state;
  gale_buf b;
  gale_buf_init(&b, 0);
  assert_null(b.data);
  assert_int_equal(b.len, 0);
  char chunk[100];
  memset(chunk, 'x', sizeof chunk);
  for (int i = 0; i < 1000; i++)
    assert_int_equal(gale_buf_append(&b, chunk, sizeof chunk), GALE_OK);
  assert_int_equal(b.len, 100000);
  assert_true(b.cap > b.len);
  assert_int_equal(b.data[b.len], '\0');
  assert_true(b.cap < 2 * 100000 + 64); /* doubling, not more */
  assert_int_equal(gale_buf_append(&b, NULL, 0), GALE_OK);
  assert_int_equal(gale_buf_append(&b, NULL, 1), GALE_EINVAL);
  gale_buf_reset(&b);
  assert_int_equal(b.len, 0);
  assert_string_equal(b.data, "");
  assert_true(b.cap > 0); /* storage kept */
  gale_buf_release(&b);
  assert_null(b.data);
  gale_buf_release(&b); /* twice is fine */
}

static void test_append_forms(void **state) {
  (void)state;
  gale_buf b;
  gale_buf_init(&b, 0);
  assert_int_equal(gale_buf_append_str(&b, "Content-Length: "), GALE_OK);
  assert_int_equal(gale_buf_append_u64(&b, 0), GALE_OK);
  assert_int_equal(gale_buf_append_byte(&b, ','), GALE_OK);
  assert_int_equal(gale_buf_append_u64(&b, UINT64_MAX), GALE_OK);
  assert_string_equal(b.data, "Content-Length: 0,18446744073709551615");
  assert_int_equal(gale_buf_append_str(&b, NULL), GALE_EINVAL);
  gale_buf_release(&b);
}

static void test_max_refuses_growth(void **state) {
  (void)state;
  gale_buf b;
  gale_buf_init(&b, 10);
  assert_int_equal(gale_buf_append(&b, "0123456789", 10), GALE_OK);
  assert_int_equal(gale_buf_append(&b, "a", 1), GALE_EBUFFULL);
  assert_int_equal(b.len, 10);
  assert_string_equal(b.data, "0123456789");
  assert_true(b.cap <= 11); /* never allocates past the limit */
  assert_int_equal(gale_buf_printf(&b, "%d", 1), GALE_EBUFFULL);
  assert_string_equal(b.data, "0123456789");
  assert_int_equal(gale_buf_reserve(&b, 1), GALE_EBUFFULL);
  assert_int_equal(gale_buf_reserve(&b, SIZE_MAX), GALE_ENOMEM); /* overflow */
  gale_buf_reset(&b);
  assert_int_equal(gale_buf_printf(&b, "%s", "01234567890"), GALE_EBUFFULL);
  assert_string_equal(b.data, "");
  gale_buf_release(&b);
}

static void test_storage_then_heap(void **state) {
  (void)state;
  char stack[8];
  gale_buf b;
  gale_buf_init_storage(&b, stack, sizeof stack, 0);
  assert_int_equal(gale_buf_append_str(&b, "1234567"), GALE_OK);
  assert_ptr_equal(b.data, stack); /* fits: no allocation */
  assert_false(b.owned);
  assert_int_equal(gale_buf_append_str(&b, "89"), GALE_OK);
  assert_ptr_not_equal(b.data, stack);
  assert_true(b.owned);
  assert_string_equal(b.data, "123456789");
  gale_buf_release(&b); /* frees the heap block, never stack */

  /* A fixed buffer: max = storage - 1 never allocates. */
  gale_buf_init_storage(&b, stack, sizeof stack, sizeof stack - 1);
  assert_int_equal(gale_buf_append_str(&b, "12345678"), GALE_EBUFFULL);
  assert_ptr_equal(b.data, stack);
  assert_int_equal(gale_buf_append_str(&b, "1234567"), GALE_OK);
  gale_buf_release(&b);
}

static void test_reserve_and_set_len(void **state) {
  (void)state;
  gale_buf b;
  gale_buf_init(&b, 0);
  assert_int_equal(gale_buf_set_len(&b, 0), GALE_EINVAL); /* no storage */
  assert_int_equal(gale_buf_reserve(&b, 5), GALE_OK);
  memcpy(b.data, "hello", 5);
  assert_int_equal(gale_buf_set_len(&b, 5), GALE_OK);
  assert_string_equal(b.data, "hello");
  assert_int_equal(gale_buf_set_len(&b, 2), GALE_OK);
  assert_string_equal(b.data, "he");
  assert_int_equal(gale_buf_set_len(&b, b.cap), GALE_EINVAL);
  gale_buf_release(&b);
}

static void test_printf(void **state) {
  (void)state;
  char stack[16];
  gale_buf b;
  gale_buf_init_storage(&b, stack, sizeof stack, 0);
  assert_int_equal(gale_buf_printf(&b, "%d-%s", 42, "ok"), GALE_OK);
  assert_ptr_equal(b.data, stack);
  /* Past the storage: formatted again into the grown block. */
  assert_int_equal(gale_buf_printf(&b, " %0100d|", 7), GALE_OK);
  assert_int_equal(b.len, 5 + 1 + 100 + 1);
  assert_memory_equal(b.data, "42-ok 000", 9);
  assert_int_equal(b.data[b.len - 1], '|');
  assert_int_equal(b.data[b.len], '\0');
  gale_buf_release(&b);
  gale_buf_init(&b, 0);
  assert_int_equal(gale_buf_printf(&b, "%s", ""), GALE_OK); /* from no storage */
  assert_non_null(b.data);
  assert_string_equal(b.data, "");
  gale_buf_release(&b);
}

static void test_take(void **state) {
  (void)state;
  gale_buf b;
  size_t n = 99;
  gale_buf_init(&b, 0);
  char *s = gale_buf_take(&b, &n); /* empty: an allocated "" */
  assert_non_null(s);
  assert_int_equal(n, 0);
  assert_string_equal(s, "");
  free(s);
  assert_int_equal(gale_buf_append_str(&b, "abc"), GALE_OK);
  char *heap = b.data;
  s = gale_buf_take(&b, &n);
  assert_ptr_equal(s, heap); /* handed over, not copied */
  assert_int_equal(n, 3);
  assert_null(b.data);
  assert_int_equal(b.len, 0);
  free(s);
  char stack[8];
  gale_buf_init_storage(&b, stack, sizeof stack, 0);
  gale_buf_append_str(&b, "xy");
  s = gale_buf_take(&b, NULL); /* copied out of the caller's storage */
  assert_ptr_not_equal(s, stack);
  assert_string_equal(s, "xy");
  free(s);
}

/* Every allocation fails in turn: each call returns GALE_ENOMEM (or NULL),
 * the buffer keeps what it held, and nothing leaks (ASan). */
static int scenario(void) {
  char stack[4];
  gale_buf b;
  int failures = 0;
  gale_buf_init_storage(&b, stack, sizeof stack, 0);
  for (int i = 0; i < 40; i++) {
    size_t before = b.len;
    int rc = i % 2 ? gale_buf_printf(&b, "%032d", i) : gale_buf_append_str(&b, "0123456789abcdef");
    if (rc != GALE_OK) {
      assert_int_equal(rc, GALE_ENOMEM);
      assert_int_equal(b.len, before);
      assert_true(b.data[b.len] == '\0');
      failures++;
    }
  }
  char *s = gale_buf_take(&b, NULL);
  if (!s) {
    failures++;
    gale_buf_release(&b);
  }
  free(s);
  return failures;
}

static void test_every_allocation_fails_once(void **state) {
  (void)state;
  long k;
  for (k = 1; k < 1000; k++) {
    gale__alloc_fail_at(k);
    int failures = scenario();
    bool hit = gale__alloc_failed();
    gale__alloc_fail_at(0);
    if (!hit) break;
    assert_int_equal(failures, 1);
  }
  assert_true(k > 5);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_empty_and_growth),
      cmocka_unit_test(test_append_forms),
      cmocka_unit_test(test_max_refuses_growth),
      cmocka_unit_test(test_storage_then_heap),
      cmocka_unit_test(test_reserve_and_set_len),
      cmocka_unit_test(test_printf),
      cmocka_unit_test(test_take),
      cmocka_unit_test(test_every_allocation_fails_once),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
