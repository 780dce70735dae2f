/* SPDX-License-Identifier: MIT */
/* gale/url.h — URLs: parsing, formatting, relative resolution (RFC 3986),
 * percent-encoding, and a path normalizer that refuses traversal.
 *
 * Strictness: a URL holding a control byte, a space, DEL, an invalid or
 * overflowing port, a malformed host or IPv6 literal, or a bad
 * percent-escape in the host is refused with GALE_EURL.  Bytes 0x80-0xFF are
 * accepted in the path, query and fragment (as nginx and Tornado accept raw
 * UTF-8 there) and refused elsewhere.
 */
#ifndef GALE_URL_H
#define GALE_URL_H

#include "gale/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The parts of a URL.  Read it after gale_url_parse(); or fill one (on the
 * stack, zeroed) for gale_url_format().  Every string is NUL-terminated and
 * still percent-encoded as in the input, except `host` (lowercased, without
 * the brackets of an IPv6 literal).  Fields may be added at the end in later
 * versions: zero-initialize a struct you fill yourself. */
typedef struct gale_url {
  const char *scheme;   /* "http", "https", "ws", "wss" (lowercased);
                           NULL for an origin-form target ("/path?q") */
  const char *userinfo; /* "user:pass" before '@', NULL if absent */
  const char *host;     /* lowercased; NULL for origin-form */
  uint16_t port;        /* explicit port, else the scheme's default (80,
                           443); 0 for origin-form */
  bool port_explicit;   /* the URL named a port */
  bool host_is_ipv6;    /* host was a bracketed IPv6 literal */
  const char *path;     /* never NULL; "/" when an absolute URL has none */
  const char *query;    /* after '?', without it; NULL when no '?' ("" for a
                           bare '?') */
  const char *fragment; /* after '#', without it; NULL when no '#' */
} gale_url;

/* Parses `s[0..len)` as an absolute http/https URL
 * ("http://user@host:8080/p?q#f", "https://[::1]/"; ws/wss are accepted
 * too, with ports 80/443) or an origin-form request target ("/p?q"; as in
 * RFC 9112 anything starting with '/' is a path, so "//x" is the path
 * "//x", never an authority).  The path's %-escapes must be well formed;
 * the query's and fragment's are not checked (the form parser does).  A
 * request target holding a '#' parses with a fragment: a server should
 * refuse it.  On success *out is a new gale_url in one allocation, freed
 * with gale_url_free().
 * Returns GALE_OK, GALE_EURL (malformed: control bytes or spaces, empty
 * host, bad port, bad IPv6 literal, relative reference...), GALE_ENOTSUP
 * (well-formed absolute URL with another scheme, e.g. "ftp://h/"),
 * GALE_ENOMEM.  *out is NULL on failure. */
GALE_EXPORT int gale_url_parse(const char *s, size_t len, gale_url **out);

/* Frees a URL returned by gale_url_parse().  NULL is allowed. */
GALE_EXPORT void gale_url_free(gale_url *url);

/* Formats `u` as "scheme://[userinfo@]host[:port]path[?query][#fragment]"
 * (brackets around an IPv6 host; the port omitted when it is 0 or the
 * scheme's default; "/" when path is NULL or empty; with scheme and host
 * NULL, just the origin-form target).  The strings are written as given
 * (encode them first) but each is checked: control bytes, spaces, and
 * delimiters that would change the URL's structure give GALE_EURL.
 * Writes into `buf` (capacity `cap`, NUL-terminated); *out_len gets the
 * length without the NUL, also on GALE_ERANGE (buf too small; buf may be
 * NULL with cap 0 to ask for the size).  An origin-form path starting
 * with "//" is refused (it would read as an authority: open redirects). */
GALE_EXPORT int gale_url_format(const gale_url *u, char *buf, size_t cap, size_t *out_len);

/* Resolves the reference `ref` (absolute or relative: "../a", "//h/p",
 * "?q", "#f"...) against the absolute URL `base`, per RFC 3986 §5.2
 * (dot segments removed, fragment of the base dropped), e.g. for a
 * redirect's Location.  Works for any scheme.  *out is a new malloc'd
 * NUL-terminated string (free() it).  Returns GALE_OK, GALE_EURL when base
 * is not absolute or either holds control bytes or spaces, GALE_ENOMEM. */
GALE_EXPORT int gale_url_resolve(const char *base, const char *ref, char **out);

/* Percent-encoding flags. */
enum {
  /* decode: '+' means space (query strings, form bodies).
   * encode: space becomes '+' (application/x-www-form-urlencoded). */
  GALE_PCT_PLUS_SPACE = 1 << 0,
  /* decode: refuse a decoded NUL ("%00") with GALE_EURL. */
  GALE_PCT_NO_NUL = 1 << 1,
  /* encode: leave '/' as is (a path). */
  GALE_PCT_KEEP_SLASH = 1 << 2
};

/* Decodes %XX escapes of s[0..len) into `out`, which must hold `len` bytes
 * (decoding never grows; out == s decodes in place).  The result is not
 * NUL-terminated; its length goes to *out_len.  Returns GALE_OK, or
 * GALE_EURL for a '%' not followed by two hex digits or (with
 * GALE_PCT_NO_NUL) a decoded NUL. */
GALE_EXPORT int gale_percent_decode(const char *s, size_t len, int flags, char *out,
                                    size_t *out_len);

/* Encodes s[0..len): every byte but ALPHA, DIGIT, "-._~" (and '/' with
 * GALE_PCT_KEEP_SLASH) becomes %XX (uppercase hex); with
 * GALE_PCT_PLUS_SPACE a space becomes '+'.  Writes into `out` (capacity
 * `cap`, NUL-terminated; at most 3*len+1 bytes are needed); *out_len gets
 * the length without the NUL, also on GALE_ERANGE (out may be NULL with
 * cap 0 to ask for the size). */
GALE_EXPORT int gale_percent_encode(const char *s, size_t len, int flags, char *out, size_t cap,
                                    size_t *out_len);

/* Turns a request path (still percent-encoded, without query) into a safe
 * relative file path for a static file handler: percent-decodes it, splits
 * on '/', drops empty and "." segments, and refuses any ".." segment (also
 * when written %2e%2e or after decoding %2f), NUL (raw or %00), and
 * backslashes.  The result is written to `out` (capacity `cap`,
 * NUL-terminated) as segments joined by '/', without a leading '/', with a
 * trailing '/' kept when the path ended with one; "" for the root.
 * At most len+1 bytes are needed.
 * Returns GALE_OK, GALE_EACCES (traversal, NUL, backslash), GALE_EURL (bad
 * escape, path not starting with '/'), GALE_ERANGE (out too small). */
GALE_EXPORT int gale_url_path_normalize(const char *path, size_t len, char *out, size_t cap,
                                        size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif
