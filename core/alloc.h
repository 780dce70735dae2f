/* SPDX-License-Identifier: MIT */
/* gale's allocation wrappers, with a failure-injection hook for tests.
 *
 * HARDENING.md asks that every allocation failure return an error: a test
 * sets gale__alloc_fail_at(k) so the k-th allocation from then on returns
 * NULL, runs a scenario for k = 1, 2, ... and checks each path returns
 * GALE_ENOMEM (or NULL) without crashing or leaking.  Any layer may use
 * these instead of malloc/calloc/realloc to be covered.  The counter is
 * atomic (add_callback_threadsafe allocates on other threads); when the hook
 * is off the cost is one relaxed load.
 */
#ifndef GALE_CORE_ALLOC_H
#define GALE_CORE_ALLOC_H

#include <stddef.h>

#include "gale/common.h"

GALE_INTERNAL void *gale__malloc(size_t size);
GALE_INTERNAL void *gale__calloc(size_t n, size_t size);
GALE_INTERNAL void *gale__realloc(void *ptr, size_t size);

/* Makes the k-th allocation from now fail (k >= 1) — that one only; 0 turns
 * the hook off.  Tests only. */
GALE_INTERNAL void gale__alloc_fail_at(long k);

/* True once the allocation chosen by gale__alloc_fail_at() has failed. */
GALE_INTERNAL bool gale__alloc_failed(void);

#endif
