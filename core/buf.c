/* SPDX-License-Identifier: MIT */
/* The growable byte buffer (include/gale/buf.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "gale/buf.h"
#include "gale/error.h"

#define BUF_MIN_CAP 64

void gale_buf_init(gale_buf *b, size_t max) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->max = max;
  b->owned = false;
}

void gale_buf_init_storage(gale_buf *b, char *storage, size_t size, size_t max) {
  gale_buf_init(b, max);
  if (!storage || size == 0) return;
  b->data = storage;
  b->cap = size;
  storage[0] = '\0';
}

/* The capacity to grow to for `need` bytes (NUL included): doubling, so n
 * appends copy O(total), clamped to what max allows. */
static size_t grown_cap(const gale_buf *b, size_t need) {
  size_t cap = b->cap > BUF_MIN_CAP ? b->cap : BUF_MIN_CAP;
  while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  if (b->max && cap > b->max + 1) cap = b->max + 1;
  return cap;
}

int gale_buf_reserve(gale_buf *b, size_t extra) {
  if (!b) return GALE_EINVAL;
  if (extra > SIZE_MAX - 1 - b->len) return GALE_ENOMEM;
  if (b->max && b->len + extra > b->max) return GALE_EBUFFULL;
  size_t need = b->len + extra + 1;
  if (need <= b->cap) return GALE_OK;
  size_t cap = grown_cap(b, need);
  char *p;
  if (b->owned) {
    p = gale__realloc(b->data, cap);
    if (!p) return GALE_ENOMEM;
  } else {
    p = gale__malloc(cap);
    if (!p) return GALE_ENOMEM;
    if (b->len) memcpy(p, b->data, b->len); /* leaving the caller's storage */
  }
  p[b->len] = '\0';
  b->data = p;
  b->cap = cap;
  b->owned = true;
  return GALE_OK;
}

int gale_buf_set_len(gale_buf *b, size_t len) {
  if (!b || !b->data || len >= b->cap) return GALE_EINVAL;
  b->len = len;
  b->data[len] = '\0';
  return GALE_OK;
}

int gale_buf_append(gale_buf *b, const void *data, size_t n) {
  if (!b || (!data && n)) return GALE_EINVAL;
  if (n >= b->cap - b->len || !b->data) { /* cap - len >= 1 whenever data is set */
    int rc = gale_buf_reserve(b, n);
    if (rc != GALE_OK) return rc;
  } else if (b->max && b->len + n > b->max) {
    return GALE_EBUFFULL;
  }
  if (n) memcpy(b->data + b->len, data, n);
  b->len += n;
  b->data[b->len] = '\0';
  return GALE_OK;
}

int gale_buf_append_str(gale_buf *b, const char *s) {
  if (!s) return GALE_EINVAL;
  return gale_buf_append(b, s, strlen(s));
}

int gale_buf_append_byte(gale_buf *b, char c) { return gale_buf_append(b, &c, 1); }

int gale_buf_append_u64(gale_buf *b, uint64_t v) {
  char digits[20];
  size_t k = sizeof digits;
  do {
    digits[--k] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  return gale_buf_append(b, digits + k, sizeof digits - k);
}

int gale_buf_vprintf(gale_buf *b, const char *fmt, va_list ap) {
  if (!b || !fmt) return GALE_EINVAL;
  size_t room = b->data ? b->cap - b->len : 0;
  va_list again;
  va_copy(again, ap);
  int n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, ap);
  int rc = GALE_OK;
  if (n < 0) {
    rc = GALE_EINVAL;
  } else if ((size_t)n >= room) {
    rc = gale_buf_reserve(b, (size_t)n);
    if (rc == GALE_OK) vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
  } else if (b->max && b->len + (size_t)n > b->max) {
    rc = GALE_EBUFFULL;
  }
  va_end(again);
  if (rc != GALE_OK) {
    if (b->data) b->data[b->len] = '\0'; /* undo a partial format */
    return rc;
  }
  b->len += (size_t)n;
  return GALE_OK;
}

int gale_buf_printf(gale_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = gale_buf_vprintf(b, fmt, ap);
  va_end(ap);
  return rc;
}

void gale_buf_reset(gale_buf *b) {
  if (!b) return;
  b->len = 0;
  if (b->data) b->data[0] = '\0';
}

void gale_buf_release(gale_buf *b) {
  if (!b) return;
  if (b->owned) free(b->data);
  gale_buf_init(b, b->max);
}

char *gale_buf_take(gale_buf *b, size_t *len) {
  if (!b) return NULL;
  char *p;
  if (b->owned) {
    p = b->data;
  } else {
    p = gale__malloc(b->len + 1);
    if (!p) return NULL;
    if (b->len) memcpy(p, b->data, b->len);
    p[b->len] = '\0';
  }
  if (len) *len = b->len;
  gale_buf_init(b, b->max);
  return p;
}
