/* SPDX-License-Identifier: MIT */
/* gale/cookie.h — the Cookie request header and Set-Cookie (RFC 6265).
 */
#ifndef GALE_COOKIE_H
#define GALE_COOKIE_H

#include <time.h>

#include "gale/common.h"
#include "gale/form.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Parses a Cookie header value ("a=1; b=\"x\"; c=") and appends each
 * name/value pair to `p`, in order, duplicates kept (the first is the most
 * specific per RFC 6265 §5.4).  Lenient like Tornado's parse_cookie: pairs
 * are split on ';', names and values trimmed of SP/HTAB, one pair of
 * surrounding double quotes removed from a value; a pair without '=' or
 * with an empty name, or holding control bytes, is skipped rather than
 * failing the header.  Values are not percent-decoded.  `lim` NULL means
 * the form defaults (lim->lenient is ignored).  Returns GALE_OK,
 * GALE_ELIMIT (too many cookies or too long), GALE_ENOMEM; on error the
 * pairs added by this call are removed. */
GALE_EXPORT int gale_cookie_parse(gale_params *p, const char *s, size_t len,
                                  const gale_form_limits *lim);

typedef enum gale_cookie_samesite {
  GALE_SAMESITE_UNSET = 0,
  GALE_SAMESITE_LAX,
  GALE_SAMESITE_STRICT,
  GALE_SAMESITE_NONE /* requires secure */
} gale_cookie_samesite;

/* Set-Cookie attributes.  gale_cookie_opts_init() sets "none of them". */
typedef struct gale_cookie_opts {
  const char *path;   /* NULL: no Path (Tornado's set_cookie uses "/") */
  const char *domain; /* NULL: no Domain */
  bool has_max_age;
  int64_t max_age; /* seconds; 0 or negative expires the cookie */
  time_t expires;  /* 0: no Expires; else written as an HTTP date */
  bool secure;
  bool http_only;
  gale_cookie_samesite same_site;
  GALE_RESERVED(8); /* room for fields added later (README: ABI) */
} gale_cookie_opts;

GALE_EXPORT void gale_cookie_opts_init(gale_cookie_opts *o);

/* Formats a Set-Cookie header value:
 * "name=value; Expires=...; Max-Age=N; Domain=d; Path=/p; Secure; HttpOnly;
 * SameSite=Lax" into `buf` (capacity `cap`, NUL-terminated); *out_len gets
 * the length without the NUL, also on GALE_ERANGE (buf may be NULL with
 * cap 0 to ask for the size).  `o` NULL means no attributes.
 * The name must be a token; the value only cookie-octets (RFC 6265 §4.1.1:
 * visible ASCII but '"', ',', ';', '\\'; encode anything else first); path
 * and domain no control bytes and no ';'.  SameSite=None without Secure is
 * refused.  Returns GALE_OK, GALE_EINVAL (any of those), GALE_ERANGE. */
GALE_EXPORT int gale_cookie_format(const char *name, const char *value, const gale_cookie_opts *o,
                                   char *buf, size_t cap, size_t *out_len);

/* True when `name` is a valid cookie name / `value` valid cookie-octets
 * (the empty value is valid). */
GALE_EXPORT bool gale_cookie_name_valid(const char *name, size_t len);
GALE_EXPORT bool gale_cookie_value_valid(const char *value, size_t len);

#ifdef __cplusplus
}
#endif

#endif
