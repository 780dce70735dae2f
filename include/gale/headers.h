/* SPDX-License-Identifier: MIT */
/* gale/headers.h — HTTP header fields: a case-insensitive multimap that
 * keeps insertion order and repeated fields (Tornado's HTTPHeaders).
 *
 * Storage: one gale_headers holds an array of entries and the bytes of
 * every name and value in a chain of blocks that never move, so the strings
 * it hands out stay valid until the field is removed or replaced, or the
 * object is cleared or freed.  A new object embeds room for a typical
 * request (16 fields, 1 KiB of text): adding those costs no allocation, and
 * gale_headers_clear() keeps that room for the next message.
 *
 * Validation: every name must be an RFC 9110 token, every value may hold
 * only visible ASCII, obs-text (0x80-0xFF), SP and HTAB — never CR, LF, NUL
 * or another control byte — so nothing added through this API can split a
 * message or inject a header.  Leading and trailing SP/HTAB of a value are
 * trimmed before it is stored (RFC 9110 §5.5).  Names keep the case they
 * were given; every lookup compares names case-insensitively.
 *
 * Complexity: add is O(1) amortised; get, remove, set, count_name are O(n)
 * in the number of fields (headers are few; nothing here is quadratic when
 * a message is parsed with add()).
 */
#ifndef GALE_HEADERS_H
#define GALE_HEADERS_H

#include "gale/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gale_headers gale_headers;

/* Returns a new empty set of fields, or NULL when out of memory.  Free it
 * with gale_headers_free(). */
GALE_EXPORT gale_headers *gale_headers_new(void);

/* Frees `h` and every string it handed out.  NULL is allowed. */
GALE_EXPORT void gale_headers_free(gale_headers *h);

/* Removes every field; keeps the embedded room (and releases any other) so
 * the object can serve the next message without allocating. */
GALE_EXPORT void gale_headers_clear(gale_headers *h);

/* Returns a deep copy of `h` (same order, same case), or NULL when out of
 * memory. */
GALE_EXPORT gale_headers *gale_headers_copy(const gale_headers *h);

/* Appends a field (a repeated name is kept as another field).  Name and
 * value are copied; the value is trimmed of SP/HTAB at both ends.
 * The _n form takes lengths and does not need NUL termination (a NUL byte
 * inside the given length is invalid).
 * Returns GALE_OK, GALE_EINVAL for an invalid name (empty, not a token) or
 * value (CR, LF, NUL, other controls), GALE_ENOMEM. */
GALE_EXPORT int gale_headers_add(gale_headers *h, const char *name, const char *value);
GALE_EXPORT int gale_headers_add_n(gale_headers *h, const char *name, size_t name_len,
                                   const char *value, size_t value_len);

/* Replaces every field named `name` with one field holding `value` (added
 * at the position of the first one removed, or at the end).  Same copies,
 * trimming and errors as gale_headers_add(); on error `h` is unchanged. */
GALE_EXPORT int gale_headers_set(gale_headers *h, const char *name, const char *value);
GALE_EXPORT int gale_headers_set_n(gale_headers *h, const char *name, size_t name_len,
                                   const char *value, size_t value_len);

/* Returns the value of the first field named `name` (NUL-terminated,
 * borrowed from `h`), or NULL when there is none.  _n: the name by length,
 * and the value's length through `value_len` (may be NULL). */
GALE_EXPORT const char *gale_headers_get(const gale_headers *h, const char *name);
GALE_EXPORT const char *gale_headers_get_n(const gale_headers *h, const char *name, size_t name_len,
                                           size_t *value_len);

/* Iterates over every field named `name`, in order.  Start with
 * *cursor = 0; each call returns the next value (borrowed, NUL-terminated;
 * its length through `value_len` if not NULL) and advances *cursor, or
 * returns NULL when there are no more.  Don't modify `h` while iterating. */
GALE_EXPORT const char *gale_headers_next(const gale_headers *h, const char *name, size_t *cursor,
                                          size_t *value_len);

/* The combined value of a list field: every field named `name` joined with
 * ", " (RFC 9110 §5.3), copied into `buf` (capacity `cap`, NUL-terminated).
 * *out_len receives the length without the NUL — also when the buffer is
 * too small, so a caller can size it.  Returns GALE_OK, GALE_ENOENT when
 * there is no such field, GALE_ERANGE when `cap` is too small (buf may be
 * NULL with cap 0 to ask for the size). */
GALE_EXPORT int gale_headers_get_combined(const gale_headers *h, const char *name, char *buf,
                                          size_t cap, size_t *out_len);

/* Removes every field named `name`.  Returns how many were removed (0 when
 * none). */
GALE_EXPORT size_t gale_headers_remove(gale_headers *h, const char *name);

/* Number of fields (repeated names counted each time). */
GALE_EXPORT size_t gale_headers_count(const gale_headers *h);

/* Number of fields named `name`. */
GALE_EXPORT size_t gale_headers_count_name(const gale_headers *h, const char *name);

/* The i-th field in insertion order (0 <= i < count): name and value are
 * borrowed, NUL-terminated; lengths through the size_t pointers (each may be
 * NULL).  Returns GALE_OK or GALE_ERANGE when i is past the end. */
GALE_EXPORT int gale_headers_at(const gale_headers *h, size_t i, const char **name,
                                size_t *name_len, const char **value, size_t *value_len);

/* Bytes of the serialized form: the sum over fields of
 * name + ": " + value + "\r\n".  O(1): kept up to date by every change.
 * Use it to enforce header-size limits. */
GALE_EXPORT size_t gale_headers_wire_size(const gale_headers *h);

/* Writes every field as "Name: value\r\n" in order into `buf` (no final
 * empty line, no NUL).  *out_len receives gale_headers_wire_size().
 * Returns GALE_OK or GALE_ERANGE when `cap` is smaller than that (nothing
 * useful written). */
GALE_EXPORT int gale_headers_serialize(const gale_headers *h, char *buf, size_t cap,
                                       size_t *out_len);

/* Validation helpers, usable by parsers and by code that builds a message.
 * gale_http_is_token: true when s[0..len) is a non-empty RFC 9110 token
 * (field names, methods, parameter names).
 * gale_http_is_field_value: true when s[0..len) holds only VCHAR, obs-text,
 * SP, HTAB (the empty value is valid). */
GALE_EXPORT bool gale_http_is_token(const char *s, size_t len);
GALE_EXPORT bool gale_http_is_field_value(const char *s, size_t len);

/* ASCII case-insensitive equality of two byte ranges (no locale, no
 * allocation).  gale_ascii_eq_cstr compares a range with a C string. */
GALE_EXPORT bool gale_ascii_eq(const char *a, size_t alen, const char *b, size_t blen);
GALE_EXPORT bool gale_ascii_eq_cstr(const char *a, size_t alen, const char *b);

#ifdef __cplusplus
}
#endif

#endif
