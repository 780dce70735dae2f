/* SPDX-License-Identifier: MIT */
/* core/coro_stack.h — coroutine stacks: mmap'd, guarded, pooled.
 *
 * A stack is one anonymous mapping, reserved but committed only as it is
 * touched (MAP_NORESERVE), with its lowest page a guard: an overflow faults
 * instead of overwriting the neighbouring mapping.  The guard is installed
 * with madvise(MADV_GUARD_INSTALL) where the kernel has it (Linux 6.13: no
 * extra mapping, so 100,000 stacks fit under vm.max_map_count), else with
 * mprotect(PROT_NONE) (two mappings per stack).  Freed stacks of the default
 * size are kept per thread for reuse, up to a cap.
 *
 * A fault in a guard page of the running coroutine is reported on stderr
 * with the coroutine's name, from an alternate signal stack; the fault then
 * goes to the SIGSEGV handler that was there before (a sanitizer's, the
 * application's, or the default action, which kills the process).
 */
#ifndef GALE_CORE_CORO_STACK_H
#define GALE_CORE_CORO_STACK_H

#include <stdbool.h>
#include <stddef.h>

#include "gale/common.h"

typedef struct gale__stack {
  char *map;      /* the mapping: guard page, then the usable stack */
  size_t map_len; /* guard included */
  char *lo, *hi;  /* the usable stack: [lo, hi) */
  unsigned valgrind_id;
  struct gale__stack *next_free;
} gale__stack;

/* A stack of `size` bytes (rounded up to pages) below its guard page; the
 * struct itself lives at the top of the mapping, above hi.  NULL when out
 * of memory or mappings (errno set).  hi is 64-byte aligned. */
GALE_INTERNAL gale__stack *gale__stack_get(size_t size);

/* Returns a stack to the pool or unmaps it. */
GALE_INTERNAL void gale__stack_put(gale__stack *stack);

/* Unmaps this thread's pooled stacks (tests: nothing left behind). */
GALE_INTERNAL void gale__stack_pool_drain(void);

/* Which guard this process uses: "madvise" or "mprotect" (after the first
 * gale__stack_get). */
GALE_INTERNAL const char *gale__stack_guard_kind(void);

/* Told which stack and name are running (NULL when none), so the overflow
 * report can name the coroutine. */
GALE_INTERNAL void gale__stack_set_running(const gale__stack *stack, const char *name);

#endif
