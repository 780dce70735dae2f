/* SPDX-License-Identifier: MIT */
/* gale/form.h — name/value parameters: query strings,
 * application/x-www-form-urlencoded bodies, and the decoded pairs of cookie
 * headers and header parameters all land in a gale_params, an ordered
 * multimap of name → values (Tornado's dict of lists, with order kept).
 *
 * Names and values are decoded bytes: they may contain any byte, NUL
 * included, so lengths are given beside each pointer; every stored string
 * is also NUL-terminated for convenience.  Names compare case-sensitively
 * (query arguments are case-sensitive) unless noted.
 */
#ifndef GALE_FORM_H
#define GALE_FORM_H

#include "gale/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gale_params gale_params;

/* Limits on what one parse call may add.  Fill with
 * gale_form_limits_init() (the defaults below) and change fields. */
typedef struct gale_form_limits {
  size_t max_fields; /* pairs one call may add; default 1000; past it
                        GALE_ELIMIT */
  size_t max_length; /* bytes of input accepted; default 100 MiB (Tornado's
                        max_body_size); past it GALE_ELIMIT */
  bool lenient;      /* keep a malformed %-escape literally (Python's
                        unquote) instead of failing with GALE_EURL; default
                        false */
  GALE_RESERVED(8);  /* room for fields added later (README: ABI) */
} gale_form_limits;

GALE_EXPORT void gale_form_limits_init(gale_form_limits *lim);

/* Returns a new empty multimap, or NULL when out of memory. */
GALE_EXPORT gale_params *gale_params_new(void);

/* Frees `p` and its strings.  NULL is allowed. */
GALE_EXPORT void gale_params_free(gale_params *p);

/* Removes every pair (keeps allocated room). */
GALE_EXPORT void gale_params_clear(gale_params *p);

/* Appends a pair; both are copied (binary-safe).  Returns GALE_OK or
 * GALE_ENOMEM. */
GALE_EXPORT int gale_params_add(gale_params *p, const char *name, size_t name_len,
                                const char *value, size_t value_len);

/* Number of pairs. */
GALE_EXPORT size_t gale_params_count(const gale_params *p);

/* The i-th pair in order (borrowed, NUL-terminated; each out pointer may be
 * NULL).  Returns GALE_OK or GALE_ERANGE past the end. */
GALE_EXPORT int gale_params_at(const gale_params *p, size_t i, const char **name, size_t *name_len,
                               const char **value, size_t *value_len);

/* The first value for the C-string `name` (borrowed, NUL-terminated; its
 * length to *value_len if not NULL), or NULL when absent. */
GALE_EXPORT const char *gale_params_get(const gale_params *p, const char *name, size_t *value_len);

/* The last value for `name` (Tornado's get_argument returns the last), or
 * NULL. */
GALE_EXPORT const char *gale_params_get_last(const gale_params *p, const char *name,
                                             size_t *value_len);

/* Iterates over every value of `name` in order: start with *cursor = 0;
 * returns NULL when done. */
GALE_EXPORT const char *gale_params_next(const gale_params *p, const char *name, size_t *cursor,
                                         size_t *value_len);

/* Parses a query string or an x-www-form-urlencoded body ("a=1&b=x+y&a=2",
 * without the leading '?') and appends its pairs to `p`, decoded ('+' is a
 * space, %XX escapes).  Empty segments are skipped; a segment without '='
 * gives an empty value (Tornado's keep_blank_values).  `lim` NULL means the
 * defaults.  Returns GALE_OK, GALE_EURL (bad escape, unless lenient),
 * GALE_ELIMIT (too many fields or too long), GALE_ENOMEM.  On error the
 * pairs added by this call are removed again. */
GALE_EXPORT int gale_form_parse(gale_params *p, const char *s, size_t len,
                                const gale_form_limits *lim);

/* Encodes every pair of `p` as "n1=v1&n2=v2" (x-www-form-urlencoded: space
 * as '+', everything but ALPHA DIGIT "-._~" as %XX) into `buf` (capacity
 * `cap`, NUL-terminated); *out_len gets the length without the NUL, also on
 * GALE_ERANGE (buf may be NULL with cap 0 to ask for the size). */
GALE_EXPORT int gale_form_encode(const gale_params *p, char *buf, size_t cap, size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif
