/* SPDX-License-Identifier: MIT */
/* Allocation wrappers with a test hook that fails a chosen allocation. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

static atomic_long countdown; /* 0: off; else allocations left before the failure */
static atomic_bool failed;

void gale__alloc_fail_at(long k) {
  atomic_store(&failed, false);
  atomic_store(&countdown, k > 0 ? k : 0);
}

bool gale__alloc_failed(void) { return atomic_load(&failed); }

static bool should_fail(void) {
  long left = atomic_load_explicit(&countdown, memory_order_relaxed);
  while (left > 0) {
    if (atomic_compare_exchange_weak(&countdown, &left, left - 1)) {
      if (left != 1) return false;
      atomic_store(&failed, true);
      return true;
    }
  }
  return false;
}

void *gale__malloc(size_t size) { return should_fail() ? NULL : malloc(size); }

/* glibc before 2.41 serves calloc without its per-thread cache: every call
 * goes through _int_malloc (about 400 instructions, measured on the web
 * handler that each request allocates), where malloc + memset of a small
 * block costs a tenth of that.  Large blocks stay with calloc, which can
 * skip zeroing the fresh pages it maps. */
#define CALLOC_VIA_MALLOC_MAX 4096

void *gale__calloc(size_t n, size_t size) {
  if (should_fail()) return NULL;
  size_t total;
  if (__builtin_mul_overflow(n, size, &total) || total > CALLOC_VIA_MALLOC_MAX)
    return calloc(n, size);
  void *p = malloc(total);
  /* gcc fuses malloc + memset back into calloc: hide where p came from. */
  __asm__ volatile("" : "+r"(p));
  if (p) memset(p, 0, total);
  return p;
}

void *gale__realloc(void *ptr, size_t size) { return should_fail() ? NULL : realloc(ptr, size); }
