/* SPDX-License-Identifier: MIT */
/* http/wire/h1_head.h — the HTTP/1 head writer shared by the server (status
 * line and response fields) and the client (request line and request
 * fields); internal, not installed.
 *
 * A head is written straight into the evbuffer it is sent from, through
 * evbuffer_reserve_space / evbuffer_commit_space: no printf, no copy
 * through a staging buffer, no evbuffer call per piece.  The caller opens
 * a head with gale_h1_head_init() giving the size it expects; when that
 * estimate is right (the server computes it exactly: the response head is
 * its hot path) the whole head is one reservation and one commit.  A
 * longer head is not an error: the writer commits what it has and reserves
 * again, doubling.  Space reserved and not used stays at the end of the
 * buffer for whatever is added next (the server copies a small body into
 * it, so head and body leave in one block).
 *
 * While a head is open (init .. finish) the caller must not touch the
 * evbuffer by any other means: the reservation would be invalidated.
 *
 * Bytes are copied as given.  The writer does not check for CR, LF or NUL:
 * every source is checked where it enters gale (gale_headers refuses them
 * at insert; the server checks reasons and header names at its API, the
 * client checks its method, URL and strings in gale_http_client_fetch), so
 * the hot path does not check twice.
 *
 * Errors are sticky: after the first failure (GALE_ENOMEM: the evbuffer
 * could not reserve or commit; GALE_EINVAL: a status outside 100..999) every
 * call does nothing and gale_h1_head_finish() returns that status.  What
 * was committed before a failure stays in the buffer (a failed head means
 * the connection is closed, so it is never sent as a message).
 */
#ifndef GALE_HTTP_H1_HEAD_H
#define GALE_HTTP_H1_HEAD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include <event2/buffer.h>

#include "gale/common.h"
#include "gale/error.h"
#include "gale/headers.h"

/* The writer's state, on the caller's stack.  Treat the fields as private. */
typedef struct gale_h1_head {
  struct evbuffer *out;
  struct evbuffer_iovec vec; /* the open reservation (iov_len: its size) */
  size_t used;               /* bytes written into vec */
  size_t done;               /* bytes committed to out before vec */
  int status;                /* GALE_OK or the sticky error */
} gale_h1_head;

/* Sizes, for a caller that computes its head's size up front. */
#define GALE_H1_U64_DIGITS 20 /* decimal digits of UINT64_MAX */
/* "HTTP/1.1 200 " reason CRLF */
#define GALE_H1_STATUS_LINE_SIZE(reason_len) (13 + (size_t)(reason_len) + 2)
/* method SP target SP "HTTP/1.1" CRLF */
#define GALE_H1_REQUEST_LINE_SIZE(method_len, target_len) \
  ((size_t)(method_len) + 1 + (size_t)(target_len) + 11)
/* name ": " value CRLF */
#define GALE_H1_FIELD_SIZE(name_len, value_len) ((size_t)(name_len) + 2 + (size_t)(value_len) + 2)
/* The blank line that ends a head. */
#define GALE_H1_HEAD_END_SIZE 2

/* Opens a head on `out` (borrowed until gale_h1_head_finish) and reserves
 * `size` bytes (0: a small default).  A failed reservation makes the head
 * failed (GALE_ENOMEM, reported by finish).  Never allocates otherwise. */
GALE_INTERNAL void gale_h1_head_init(gale_h1_head *h, struct evbuffer *out, size_t size);

/* Space for `need` more bytes when the reservation is short: commits what
 * was written and reserves again.  Returns where to write, or NULL when the
 * head is failed.  Called by the inline writers below. */
GALE_INTERNAL char *gale__h1_head_grow(gale_h1_head *h, size_t need);

/* "HTTP/1.1 " status SP reason CRLF.  status: 100..999 (else GALE_EINVAL);
 * reason[0..reason_len) may be empty. */
GALE_INTERNAL void gale_h1_head_status_line(gale_h1_head *h, int status, const char *reason,
                                            size_t reason_len);

/* method SP path ["?" query] SP "HTTP/1.1" CRLF.  query NULL: no "?"
 * (an empty non-NULL query writes "?").  An absolute-form or any other
 * target is passed whole as path with query NULL. */
GALE_INTERNAL void gale_h1_head_request_line(gale_h1_head *h, const char *method, size_t method_len,
                                             const char *path, size_t path_len, const char *query,
                                             size_t query_len);

/* Every field of `headers` in order, as gale_headers_serialize writes them
 * (NULL: none). */
GALE_INTERNAL void gale_h1_head_headers(gale_h1_head *h, const gale_headers *headers);

/* Makes the head failed with the caller's own `status` (< 0), as if a
 * write had failed: what is written and not yet committed is dropped, and
 * gale_h1_head_finish() returns `status`.  A head already failed keeps its
 * first error. */
GALE_INTERNAL void gale_h1_head_fail(gale_h1_head *h, int status);

/* The final CRLF, then commits.  Returns the bytes the head took in `out`
 * (> 0), or the sticky error (GALE_ENOMEM, GALE_EINVAL).  The head is
 * closed either way: the caller may use `out` again. */
GALE_INTERNAL ssize_t gale_h1_head_finish(gale_h1_head *h);

/* Where to write `need` bytes; the caller then adds them to h->used. */
static inline char *gale__h1_head_room(gale_h1_head *h, size_t need) {
  if (h->vec.iov_len - h->used >= need) return (char *)h->vec.iov_base + h->used;
  return gale__h1_head_grow(h, need);
}

/* Raw bytes: a piece of a line, or preformatted lines with their CRLF (the
 * server's cached Date line, a constant field). */
static inline void gale_h1_head_append(gale_h1_head *h, const char *s, size_t len) {
  if (!len) return;
  char *p = gale__h1_head_room(h, len);
  if (!p) return;
  memcpy(p, s, len);
  h->used += len;
}

/* gale_h1_head_append of a string literal (its length known at compile
 * time, so the copy is a few moves). */
#define gale_h1_head_literal(h, lit) gale_h1_head_append((h), "" lit, sizeof(lit) - 1)

/* The decimal digits of v (no sign, no padding). */
static inline void gale_h1_head_u64(gale_h1_head *h, uint64_t v) {
  char digits[GALE_H1_U64_DIGITS];
  size_t d = sizeof digits;
  do {
    digits[--d] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  gale_h1_head_append(h, digits + d, sizeof digits - d);
}

/* name ": " value CRLF. */
static inline void gale_h1_head_field(gale_h1_head *h, const char *name, size_t name_len,
                                      const char *value, size_t value_len) {
  char *p = gale__h1_head_room(h, GALE_H1_FIELD_SIZE(name_len, value_len));
  if (!p) return;
  memcpy(p, name, name_len);
  p += name_len;
  p[0] = ':';
  p[1] = ' ';
  if (value_len) memcpy(p + 2, value, value_len);
  p[2 + value_len] = '\r';
  p[3 + value_len] = '\n';
  h->used += GALE_H1_FIELD_SIZE(name_len, value_len);
}

/* name ": " decimal(v) CRLF (Content-Length). */
static inline void gale_h1_head_field_u64(gale_h1_head *h, const char *name, size_t name_len,
                                          uint64_t v) {
  gale_h1_head_append(h, name, name_len);
  gale_h1_head_literal(h, ": ");
  gale_h1_head_u64(h, v);
  gale_h1_head_literal(h, "\r\n");
}

#endif
