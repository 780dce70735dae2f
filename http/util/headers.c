/* SPDX-License-Identifier: MIT */
/* http/util/headers.c — gale_headers: an ordered, case-insensitive multimap of
 * header fields.
 *
 * Entries live in an array (embedded for the first 16); the text of names
 * and values lives in blocks that never move (the first embedded), so the
 * pointers handed out stay valid while the array grows.  Removed text is
 * only reclaimed by clear(): a message's headers live for one message.
 */
#include <stdlib.h>
#include <string.h>

#include "gale/error.h"
#include "gale/headers.h"
#include "http/util/arena.h"
#include "http/util/chars.h"
#include "http/util/headers_internal.h"

/* The embedded room holds a typical message's fields (a dozen, half a
 * KiB of text) and keeps the whole object at 1 KiB: glibc serves blocks up
 * to 1032 bytes from its per-thread cache, larger ones through its slow
 * path, and a client or server makes one of these per message. */
#define INLINE_ENTRIES 12
#define INLINE_BYTES 560

typedef struct entry {
  const char *name;
  const char *value;
  size_t name_len;
  size_t value_len;
} entry;

struct gale_headers {
  entry *entries;
  size_t count;
  size_t cap;
  size_t wire_size;
  gale__arena text;
  entry inline_entries[INLINE_ENTRIES];
  char inline_bytes[INLINE_BYTES];
};

_Static_assert(sizeof(struct gale_headers) <= 1032, "a gale_headers fits glibc's tcache");

static size_t field_wire(size_t nlen, size_t vlen) { return nlen + vlen + 4; }

bool gale_http_is_token(const char *s, size_t len) {
  if (!s || len == 0) return false;
  for (size_t i = 0; i < len; i++)
    if (!gale__is((unsigned char)s[i], GALE__C_TOKEN)) return false;
  return true;
}

bool gale_http_is_field_value(const char *s, size_t len) {
  if (!s) return len == 0;
  for (size_t i = 0; i < len; i++)
    if (!gale__is((unsigned char)s[i], GALE__C_VALUE)) return false;
  return true;
}

bool gale_ascii_eq(const char *a, size_t alen, const char *b, size_t blen) {
  if (alen != blen) return false;
  for (size_t i = 0; i < alen; i++)
    if (gale__lower[(unsigned char)a[i]] != gale__lower[(unsigned char)b[i]]) return false;
  return true;
}

bool gale_ascii_eq_cstr(const char *a, size_t alen, const char *b) {
  return b && gale_ascii_eq(a, alen, b, strlen(b));
}

gale_headers *gale_headers_new(void) {
  gale_headers *h = malloc(sizeof(*h));
  if (!h) return NULL;
  h->entries = h->inline_entries;
  h->count = 0;
  h->cap = INLINE_ENTRIES;
  h->wire_size = 0;
  gale__arena_init(&h->text, h->inline_bytes, INLINE_BYTES);
  return h;
}

void gale_headers_clear(gale_headers *h) {
  if (!h) return;
  if (h->entries != h->inline_entries) free(h->entries);
  h->entries = h->inline_entries;
  h->cap = INLINE_ENTRIES;
  h->count = 0;
  h->wire_size = 0;
  gale__arena_reset(&h->text);
}

void gale_headers_free(gale_headers *h) {
  if (!h) return;
  gale_headers_clear(h);
  free(h);
}

static int grow_entries(gale_headers *h) {
  if (h->count < h->cap) return GALE_OK;
  if (h->cap > SIZE_MAX / 2 / sizeof(entry)) return GALE_ENOMEM;
  size_t ncap = h->cap * 2;
  entry *e;
  if (h->entries == h->inline_entries) {
    e = malloc(ncap * sizeof(entry));
    if (e) memcpy(e, h->entries, h->count * sizeof(entry));
  } else {
    e = realloc(h->entries, ncap * sizeof(entry));
  }
  if (!e) return GALE_ENOMEM;
  h->entries = e;
  h->cap = ncap;
  return GALE_OK;
}

/* Copies name and value (already validated and trimmed) into storage and
 * fills *e. */
static int store(gale_headers *h, entry *e, const char *name, size_t nlen, const char *value,
                 size_t vlen) {
  if (nlen > SIZE_MAX / 4 || vlen > SIZE_MAX / 4) return GALE_ENOMEM;
  char *p = gale__arena_alloc(&h->text, nlen + vlen + 2);
  if (!p) return GALE_ENOMEM;
  memcpy(p, name, nlen);
  p[nlen] = '\0';
  char *v = p + nlen + 1;
  if (vlen) memcpy(v, value, vlen);
  v[vlen] = '\0';
  e->name = p;
  e->name_len = nlen;
  e->value = v;
  e->value_len = vlen;
  return GALE_OK;
}

static int check(const char *name, size_t nlen, const char **value, size_t *vlen) {
  if (!gale_http_is_token(name, nlen)) return GALE_EINVAL;
  if (!*value && *vlen) return GALE_EINVAL;
  if (!*value) *value = "";
  *value = gale__trim_ows(*value, vlen);
  if (!gale_http_is_field_value(*value, *vlen)) return GALE_EINVAL;
  return GALE_OK;
}

static int append(gale_headers *h, const char *name, size_t nlen, const char *value, size_t vlen) {
  int rc = grow_entries(h);
  if (rc != GALE_OK) return rc;
  rc = store(h, &h->entries[h->count], name, nlen, value, vlen);
  if (rc != GALE_OK) return rc;
  h->count++;
  h->wire_size += field_wire(nlen, vlen);
  return GALE_OK;
}

int gale_headers_add_n(gale_headers *h, const char *name, size_t name_len, const char *value,
                       size_t value_len) {
  if (!h) return GALE_EINVAL;
  int rc = check(name, name_len, &value, &value_len);
  if (rc != GALE_OK) return rc;
  return append(h, name, name_len, value, value_len);
}

int gale__headers_add_parsed(gale_headers *h, const char *name, size_t name_len, const char *value,
                             size_t value_len) {
  return append(h, name, name_len, value, value_len);
}

int gale_headers_add(gale_headers *h, const char *name, const char *value) {
  if (!name) return GALE_EINVAL;
  return gale_headers_add_n(h, name, strlen(name), value, value ? strlen(value) : 0);
}

static size_t find(const gale_headers *h, size_t from, const char *name, size_t nlen) {
  for (size_t i = from; i < h->count; i++)
    if (gale_ascii_eq(h->entries[i].name, h->entries[i].name_len, name, nlen)) return i;
  return SIZE_MAX;
}

/* Removes every match at or after `from`, compacting in one pass. */
static size_t remove_from(gale_headers *h, size_t from, const char *name, size_t nlen) {
  size_t out = from, removed = 0;
  for (size_t i = from; i < h->count; i++) {
    entry *e = &h->entries[i];
    if (gale_ascii_eq(e->name, e->name_len, name, nlen)) {
      h->wire_size -= field_wire(e->name_len, e->value_len);
      removed++;
    } else {
      h->entries[out++] = *e;
    }
  }
  h->count = out;
  return removed;
}

int gale_headers_set_n(gale_headers *h, const char *name, size_t name_len, const char *value,
                       size_t value_len) {
  if (!h) return GALE_EINVAL;
  int rc = check(name, name_len, &value, &value_len);
  if (rc != GALE_OK) return rc;
  size_t first = find(h, 0, name, name_len);
  if (first == SIZE_MAX) return append(h, name, name_len, value, value_len);
  entry e;
  rc = store(h, &e, name, name_len, value, value_len);
  if (rc != GALE_OK) return rc;
  entry *old = &h->entries[first];
  h->wire_size -= field_wire(old->name_len, old->value_len);
  h->wire_size += field_wire(name_len, value_len);
  *old = e;
  remove_from(h, first + 1, name, name_len);
  return GALE_OK;
}

int gale_headers_set(gale_headers *h, const char *name, const char *value) {
  if (!name) return GALE_EINVAL;
  return gale_headers_set_n(h, name, strlen(name), value, value ? strlen(value) : 0);
}

const char *gale_headers_get_n(const gale_headers *h, const char *name, size_t name_len,
                               size_t *value_len) {
  if (!h || !name) return NULL;
  size_t i = find(h, 0, name, name_len);
  if (i == SIZE_MAX) return NULL;
  if (value_len) *value_len = h->entries[i].value_len;
  return h->entries[i].value;
}

const char *gale_headers_get(const gale_headers *h, const char *name) {
  if (!name) return NULL;
  return gale_headers_get_n(h, name, strlen(name), NULL);
}

const char *gale_headers_next(const gale_headers *h, const char *name, size_t *cursor,
                              size_t *value_len) {
  if (!h || !name || !cursor) return NULL;
  size_t i = find(h, *cursor, name, strlen(name));
  if (i == SIZE_MAX) {
    *cursor = h->count;
    return NULL;
  }
  *cursor = i + 1;
  if (value_len) *value_len = h->entries[i].value_len;
  return h->entries[i].value;
}

int gale_headers_get_combined(const gale_headers *h, const char *name, char *buf, size_t cap,
                              size_t *out_len) {
  if (!h || !name || (!buf && cap)) return GALE_EINVAL;
  size_t nlen = strlen(name), total = 0, n = 0;
  for (size_t i = find(h, 0, name, nlen); i != SIZE_MAX; i = find(h, i + 1, name, nlen)) {
    total += (n++ ? 2 : 0) + h->entries[i].value_len;
  }
  if (out_len) *out_len = total;
  if (n == 0) return GALE_ENOENT;
  if (cap < total + 1) return GALE_ERANGE;
  char *p = buf;
  n = 0;
  for (size_t i = find(h, 0, name, nlen); i != SIZE_MAX; i = find(h, i + 1, name, nlen)) {
    if (n++) {
      memcpy(p, ", ", 2);
      p += 2;
    }
    memcpy(p, h->entries[i].value, h->entries[i].value_len);
    p += h->entries[i].value_len;
  }
  *p = '\0';
  return GALE_OK;
}

size_t gale_headers_remove(gale_headers *h, const char *name) {
  if (!h || !name) return 0;
  return remove_from(h, 0, name, strlen(name));
}

size_t gale_headers_count(const gale_headers *h) { return h ? h->count : 0; }

size_t gale_headers_count_name(const gale_headers *h, const char *name) {
  if (!h || !name) return 0;
  size_t nlen = strlen(name), n = 0;
  for (size_t i = 0; i < h->count; i++)
    n += gale_ascii_eq(h->entries[i].name, h->entries[i].name_len, name, nlen);
  return n;
}

int gale_headers_at(const gale_headers *h, size_t i, const char **name, size_t *name_len,
                    const char **value, size_t *value_len) {
  if (!h || i >= h->count) return GALE_ERANGE;
  const entry *e = &h->entries[i];
  if (name) *name = e->name;
  if (name_len) *name_len = e->name_len;
  if (value) *value = e->value;
  if (value_len) *value_len = e->value_len;
  return GALE_OK;
}

size_t gale_headers_wire_size(const gale_headers *h) { return h ? h->wire_size : 0; }

int gale_headers_serialize(const gale_headers *h, char *buf, size_t cap, size_t *out_len) {
  if (!h || (!buf && cap)) return GALE_EINVAL;
  if (out_len) *out_len = h->wire_size;
  if (cap < h->wire_size) return GALE_ERANGE;
  char *p = buf;
  for (size_t i = 0; i < h->count; i++) {
    const entry *e = &h->entries[i];
    memcpy(p, e->name, e->name_len);
    p += e->name_len;
    *p++ = ':';
    *p++ = ' ';
    memcpy(p, e->value, e->value_len);
    p += e->value_len;
    *p++ = '\r';
    *p++ = '\n';
  }
  return GALE_OK;
}

gale_headers *gale_headers_copy(const gale_headers *h) {
  if (!h) return NULL;
  gale_headers *c = gale_headers_new();
  if (!c) return NULL;
  for (size_t i = 0; i < h->count; i++) {
    const entry *e = &h->entries[i];
    if (append(c, e->name, e->name_len, e->value, e->value_len) != GALE_OK) {
      gale_headers_free(c);
      return NULL;
    }
  }
  return c;
}
