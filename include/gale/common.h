/* SPDX-License-Identifier: MIT */
/* gale/common.h — definitions shared by every gale header.
 *
 * GALE_EXPORT marks the public API: gale builds with -fvisibility=hidden, so
 * anything without it stays inside the library.
 */
#ifndef GALE_COMMON_H
#define GALE_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define GALE_EXPORT __attribute__((visibility("default")))
#define GALE_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define GALE_EXPORT
#define GALE_PRINTF(fmt, args)
#endif

/* Internal functions shared between gale's own files start with gale__ and
 * are hidden; this marks them so a reader sees they are not API. */
#define GALE_INTERNAL __attribute__((visibility("hidden")))

/* The ABI policy (README, "ABI"): every struct a caller fills in (options,
 * requests, handler classes) ends with this room, which init functions and
 * designated initializers zero.  A release that adds a field takes its
 * space from here, so sizeof and the offsets of existing fields stay the
 * same and a program compiled against an older header keeps working: the
 * new field reads as zero there, and zero always means the old behaviour.
 * Callers never touch the room. */
#define GALE_RESERVED(n) uint64_t gale_reserved_[n]

/* A destructor for memory handed to gale with ownership (future results,
 * referenced buffers). */
typedef void (*gale_free_fn)(void *ptr);

#ifdef __cplusplus
}
#endif

#endif
