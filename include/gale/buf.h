/* SPDX-License-Identifier: MIT */
/* gale/buf.h — one growable byte buffer (libcurl's dynbuf, in gale's shape).
 *
 * Every writer in gale that builds bytes of unknown length (a response
 * head, a JSON document, a multipart body, a request body read whole, a
 * formatted report) builds them in a gale_buf.  It is a small struct the
 * caller owns and may embed anywhere (on the stack, in another object);
 * its fields are public to read:
 *
 *   data  the bytes, NUL-terminated (data[len] == '\0') once anything was
 *         appended or reserved; NULL while the buffer has no storage.
 *   len   bytes in use (the NUL is not counted).
 *   cap   bytes of storage at data (the NUL's byte included).
 *   max   the most bytes len may reach; 0 means no limit.  A call that
 *         would pass it fails with GALE_EBUFFULL and changes nothing, so
 *         a writer refuses hostile sizes before it allocates them.
 *
 * Storage.  A buffer starts either empty (gale_buf_init: the first append
 * allocates) or over caller-provided storage (gale_buf_init_storage: a
 * stack array or a per-connection block, so a writer that usually fits
 * never allocates).  When it must grow past the storage, it moves to a
 * heap block of its own; the caller's storage is never freed.  Growth
 * doubles, so n appends cost O(total) copying.  Every allocation goes
 * through gale's allocation wrappers, so the allocation-failure tests
 * cover every writer built on it.
 *
 * Errors: GALE_ENOMEM (allocation failed, or the size overflowed),
 * GALE_EBUFFULL (past max), GALE_EINVAL (NULL arguments, bad format).
 * After a failed call the buffer holds what it held before (printf:
 * before the call), so a caller may report the error and release.
 *
 * Ownership: the buffer owns its heap block until gale_buf_release() frees
 * it or gale_buf_take() hands it to the caller (who frees it with free()).
 * A buffer is not thread-safe; one owner at a time.
 */
#ifndef GALE_BUF_H
#define GALE_BUF_H

#include <stdarg.h>

#include "gale/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gale_buf {
  char *data;
  size_t len;
  size_t cap;
  size_t max;
  bool owned; /* data is the buffer's heap block (else the caller's storage) */
} gale_buf;

/* An empty buffer with no storage; `max` as above (0: no limit).  Never
 * allocates, never fails. */
GALE_EXPORT void gale_buf_init(gale_buf *b, size_t max);

/* A buffer over `storage` (`size` bytes, borrowed: it must outlive the
 * buffer's use of it, and is never freed by gale).  Usable bytes are
 * size - 1 (the NUL's byte).  size 0 or storage NULL: same as
 * gale_buf_init. */
GALE_EXPORT void gale_buf_init_storage(gale_buf *b, char *storage, size_t size, size_t max);

/* Makes room for `extra` more bytes (and the NUL) without changing len, so
 * a caller may write up to `extra` bytes at data + len and then call
 * gale_buf_set_len().  GALE_OK, GALE_ENOMEM, GALE_EBUFFULL. */
GALE_EXPORT int gale_buf_reserve(gale_buf *b, size_t extra);

/* Sets len to `len` (at most what the storage holds: cap - 1) and writes
 * the NUL after it: truncates, or commits bytes written after a
 * gale_buf_reserve().  GALE_EINVAL if len does not fit. */
GALE_EXPORT int gale_buf_set_len(gale_buf *b, size_t len);

/* Appends data[0..n) (copied; data may be NULL when n is 0). */
GALE_EXPORT int gale_buf_append(gale_buf *b, const void *data, size_t n);

/* Appends the C string s (without its NUL). */
GALE_EXPORT int gale_buf_append_str(gale_buf *b, const char *s);

/* Appends one byte. */
GALE_EXPORT int gale_buf_append_byte(gale_buf *b, char c);

/* Appends the decimal digits of v. */
GALE_EXPORT int gale_buf_append_u64(gale_buf *b, uint64_t v);

/* Appends printf-formatted text (vsnprintf: bounded, never sprintf).
 * GALE_EINVAL if the format fails (an encoding error). */
GALE_EXPORT int gale_buf_printf(gale_buf *b, const char *fmt, ...) GALE_PRINTF(2, 3);
GALE_EXPORT int gale_buf_vprintf(gale_buf *b, const char *fmt, va_list ap);

/* Empties the buffer, keeping its storage for reuse (no free). */
GALE_EXPORT void gale_buf_reset(gale_buf *b);

/* Frees the buffer's heap block (never the caller's storage) and leaves it
 * empty with no storage, keeping max.  Safe on an initialised buffer in
 * any state, and twice. */
GALE_EXPORT void gale_buf_release(gale_buf *b);

/* Hands the bytes over: returns a heap block (free() it) holding len bytes
 * and a NUL, stores len in *len if len is not NULL, and leaves the buffer
 * empty with no storage.  An empty buffer gives an allocated "".  Bytes in
 * caller storage are copied to the heap first.  NULL on allocation
 * failure (the buffer is unchanged). */
GALE_EXPORT char *gale_buf_take(gale_buf *b, size_t *len);

#ifdef __cplusplus
}
#endif

#endif
