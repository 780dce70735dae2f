/* SPDX-License-Identifier: MIT */
/* http/util/arena.c — see arena.h. */
#include <stdint.h>
#include <stdlib.h>

#include "http/util/arena.h"

#define MIN_BLOCK 4096
#define MAX_BLOCK (1u << 20)

struct gale__arena_block {
  gale__arena_block *next;
  size_t cap;
  char data[];
};

void gale__arena_init(gale__arena *a, char *first, size_t first_size) {
  a->blocks = NULL;
  a->last = 0;
  a->first = first;
  a->first_size = first ? first_size : 0;
  a->cur = first;
  a->left = a->first_size;
}

char *gale__arena_alloc(gale__arena *a, size_t n) {
  if (n > a->left) {
    size_t size = a->last ? a->last * 2 : MIN_BLOCK;
    if (size > MAX_BLOCK) size = MAX_BLOCK;
    if (size < n) size = n;
    if (size > SIZE_MAX - sizeof(gale__arena_block)) return NULL;
    gale__arena_block *b = malloc(sizeof(gale__arena_block) + size);
    if (!b) return NULL;
    b->next = a->blocks;
    b->cap = size;
    a->blocks = b;
    if (size > a->last) a->last = size;
    a->cur = b->data;
    a->left = size;
  }
  char *p = a->cur;
  a->cur += n;
  a->left -= n;
  return p;
}

void gale__arena_reset(gale__arena *a) {
  gale__arena_block *b = a->blocks;
  while (b) {
    gale__arena_block *next = b->next;
    free(b);
    b = next;
  }
  gale__arena_init(a, a->first, a->first_size);
}
