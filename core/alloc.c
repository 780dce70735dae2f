/* Allocation wrappers with a test hook that fails a chosen allocation. */
#include <stdatomic.h>
#include <stdlib.h>

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

void *gale__calloc(size_t n, size_t size) { return should_fail() ? NULL : calloc(n, size); }

void *gale__realloc(void *ptr, size_t size) { return should_fail() ? NULL : realloc(ptr, size); }
