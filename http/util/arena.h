/* SPDX-License-Identifier: MIT */
/* http/util/arena.h — a string arena whose blocks never move (internal).
 *
 * The HTTP utilities hand out pointers into their storage; an arena lets
 * the index arrays grow by realloc while the strings stay put.  Blocks
 * double from 4 KiB up to 1 MiB (larger requests get a block of their own);
 * memory is returned only by reset/free: these objects live for one
 * message.
 */
#ifndef GALE_HTTP_ARENA_H
#define GALE_HTTP_ARENA_H

#include <stddef.h>

#include "gale/common.h"

typedef struct gale__arena_block gale__arena_block;

typedef struct gale__arena {
  gale__arena_block *blocks; /* allocated blocks, newest first */
  char *cur;                 /* free room of the current block */
  size_t left;
  size_t last; /* size of the newest block */
  char *first; /* optional embedded first block */
  size_t first_size;
} gale__arena;

/* `first` (may be NULL) is room the owner embeds, used before any block. */
GALE_INTERNAL void gale__arena_init(gale__arena *a, char *first, size_t first_size);

/* n bytes that stay valid until reset; NULL when out of memory. */
GALE_INTERNAL char *gale__arena_alloc(gale__arena *a, size_t n);

/* Frees every block (keeping the embedded room) and empties the arena. */
GALE_INTERNAL void gale__arena_reset(gale__arena *a);

#endif
