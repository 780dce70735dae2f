/* SPDX-License-Identifier: MIT */
/* http/util/params.c — gale_params, an ordered multimap of binary-safe
 * name/value pairs (query arguments, form fields, cookies, header
 * parameters).  Entries in a growing array, text in an arena that never
 * moves; lookups are linear scans (O(n) per get). */
#include <stdlib.h>
#include <string.h>

#include "gale/error.h"
#include "http/util/arena.h"
#include "http/util/chars.h"
#include "http/util/params.h"

typedef struct pair {
  char *name;
  char *value;
  size_t name_len;
  size_t value_len;
} pair;

struct gale_params {
  pair *pairs;
  size_t count;
  size_t cap;
  gale__arena text;
};

gale_params *gale_params_new(void) {
  gale_params *p = calloc(1, sizeof(*p));
  if (!p) return NULL;
  gale__arena_init(&p->text, NULL, 0);
  return p;
}

void gale_params_clear(gale_params *p) {
  if (!p) return;
  p->count = 0;
  gale__arena_reset(&p->text);
}

void gale_params_free(gale_params *p) {
  if (!p) return;
  gale__arena_reset(&p->text);
  free(p->pairs);
  free(p);
}

int gale__params_reserve(gale_params *p, size_t nmax, size_t vmax, char **name, char **value) {
  if (p->count == p->cap) {
    size_t ncap = p->cap ? p->cap * 2 : 16;
    if (ncap > SIZE_MAX / sizeof(pair)) return GALE_ENOMEM;
    pair *np = realloc(p->pairs, ncap * sizeof(pair));
    if (!np) return GALE_ENOMEM;
    p->pairs = np;
    p->cap = ncap;
  }
  if (nmax > SIZE_MAX / 4 || vmax > SIZE_MAX / 4) return GALE_ENOMEM;
  /* Reserve generously, then give back what decoding did not use. */
  char *t = gale__arena_alloc(&p->text, nmax + vmax + 2);
  if (!t) return GALE_ENOMEM;
  pair *e = &p->pairs[p->count];
  e->name = t;
  e->value = t + nmax + 1;
  *name = e->name;
  *value = e->value;
  return GALE_OK;
}

void gale__params_commit(gale_params *p, size_t nlen, size_t vlen) {
  pair *e = &p->pairs[p->count++];
  e->name_len = nlen;
  e->value_len = vlen;
  e->name[nlen] = '\0';
  e->value[vlen] = '\0';
}

void gale__params_truncate(gale_params *p, size_t count) {
  if (count < p->count) p->count = count;
}

void gale__params_lower_last_name(gale_params *p) {
  if (!p->count) return;
  pair *e = &p->pairs[p->count - 1];
  for (size_t i = 0; i < e->name_len; i++)
    e->name[i] = (char)gale__lower[(unsigned char)e->name[i]];
}

int gale_params_add(gale_params *p, const char *name, size_t name_len, const char *value,
                    size_t value_len) {
  if (!p || (!name && name_len) || (!value && value_len)) return GALE_EINVAL;
  char *n, *v;
  int rc = gale__params_reserve(p, name_len, value_len, &n, &v);
  if (rc != GALE_OK) return rc;
  if (name_len) memcpy(n, name, name_len);
  if (value_len) memcpy(v, value, value_len);
  gale__params_commit(p, name_len, value_len);
  return GALE_OK;
}

size_t gale_params_count(const gale_params *p) { return p ? p->count : 0; }

int gale_params_at(const gale_params *p, size_t i, const char **name, size_t *name_len,
                   const char **value, size_t *value_len) {
  if (!p || i >= p->count) return GALE_ERANGE;
  const pair *e = &p->pairs[i];
  if (name) *name = e->name;
  if (name_len) *name_len = e->name_len;
  if (value) *value = e->value;
  if (value_len) *value_len = e->value_len;
  return GALE_OK;
}

static bool name_is(const pair *e, const char *name, size_t n) {
  return e->name_len == n && memcmp(e->name, name, n) == 0;
}

const char *gale_params_next(const gale_params *p, const char *name, size_t *cursor,
                             size_t *value_len) {
  if (!p || !name || !cursor) return NULL;
  size_t n = strlen(name);
  for (size_t i = *cursor; i < p->count; i++) {
    if (name_is(&p->pairs[i], name, n)) {
      *cursor = i + 1;
      if (value_len) *value_len = p->pairs[i].value_len;
      return p->pairs[i].value;
    }
  }
  *cursor = p->count;
  return NULL;
}

const char *gale_params_get(const gale_params *p, const char *name, size_t *value_len) {
  size_t cursor = 0;
  return gale_params_next(p, name, &cursor, value_len);
}

const char *gale_params_get_last(const gale_params *p, const char *name, size_t *value_len) {
  if (!p || !name) return NULL;
  size_t n = strlen(name);
  for (size_t i = p->count; i > 0; i--) {
    if (name_is(&p->pairs[i - 1], name, n)) {
      if (value_len) *value_len = p->pairs[i - 1].value_len;
      return p->pairs[i - 1].value;
    }
  }
  return NULL;
}
