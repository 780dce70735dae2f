/* SPDX-License-Identifier: MIT */
/* gale/multipart.h — multipart/form-data (RFC 7578): a strict streaming
 * parser for request bodies (fed piece by piece, any split, with callbacks
 * for each part's headers and data), a whole-body parser on top of it
 * (form fields and uploaded files, zero-copy) and an encoder for a
 * client's -F.
 */
#ifndef GALE_MULTIPART_H
#define GALE_MULTIPART_H

#include "gale/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One part.  `data` points into the body given to the parser (zero-copy:
 * the body must outlive the gale_multipart); the other strings are
 * NUL-terminated copies owned by the gale_multipart.  Read-only; fields may
 * be added at the end in later versions. */
typedef struct gale_multipart_part {
  const char *name; /* Content-Disposition name (never NULL) */
  size_t name_len;
  const char *filename; /* filename parameter; NULL for a plain field */
  size_t filename_len;
  const char *content_type; /* the part's Content-Type; NULL if absent
                               (Tornado then assumes
                               application/unknown for files) */
  size_t content_type_len;
  const char *data; /* the part's body, inside the parsed body */
  size_t data_len;
} gale_multipart_part;

typedef struct gale_multipart gale_multipart;

/* Limits; fill with gale_multipart_limits_init() and change fields. */
typedef struct gale_multipart_limits {
  size_t max_parts;       /* default 1000; past it GALE_ELIMIT */
  size_t max_header_size; /* bytes of one part's header section, default
                             8 KiB; past it GALE_ELIMIT */
  size_t max_field_size;  /* data bytes of one part without a filename
                             (a plain field), default SIZE_MAX (none);
                             past it GALE_ELIMIT */
  GALE_RESERVED(8);       /* room for fields added later (README: ABI) */
} gale_multipart_limits;

GALE_EXPORT void gale_multipart_limits_init(gale_multipart_limits *lim);

/* Parses `body[0..len)` delimited by `boundary` (the Content-Type's
 * boundary parameter, unquoted, 1..70 bytes).  A preamble before the first
 * delimiter and an epilogue after the closing one are ignored.  Each part
 * needs a header section ending in an empty line, with a
 * `Content-Disposition: form-data; name="..."` (filename optional); its
 * header lines must be valid fields (no obs-fold, no bare CR/LF; at most
 * one Content-Disposition and one Content-Type).  A delimiter line must
 * end in "--" (closing) or optional SP/HTAB then CRLF: as RFC 2046 says,
 * CRLF "--" boundary may not appear inside a part, so a near-miss such as
 * "--boundaryX" is malformed, not data.  filename* (RFC 8187) wins over
 * filename.  Parts are returned in order.  Linear in len.
 * The boundary may hold visible ASCII and inner spaces, no '"'.
 * `lim` NULL means the defaults.  On success *out is a new gale_multipart
 * (free with gale_multipart_free()).
 * Returns GALE_OK, GALE_EINVAL (bad boundary), GALE_EHTTP_PARSE (no
 * delimiter, missing closing delimiter, a malformed part header, a part
 * without form-data name), GALE_ELIMIT, GALE_ENOMEM; *out is NULL on
 * failure. */
GALE_EXPORT int gale_multipart_parse(const char *body, size_t len, const char *boundary,
                                     size_t boundary_len, const gale_multipart_limits *lim,
                                     gale_multipart **out);

GALE_EXPORT void gale_multipart_free(gale_multipart *m);

/* ---- Streaming parser ----
 *
 * The same grammar and limits as gale_multipart_parse (which is built on
 * it), for bodies that arrive in pieces and need never be held whole: feed
 * each piece as it comes (any split, down to one byte; a delimiter may
 * straddle pieces), then call finish at the end of the body.  Memory: one
 * part's header section (at most max_header_size + 4 bytes) and the
 * current part's strings; data is handed on, never kept.
 *
 * Callbacks (each optional), run inside feed, in body order:
 *   part_begin(part)   a part's header section is complete: part->name,
 *                      filename, content_type are set (borrowed until the
 *                      part ends), data is NULL
 *   part_data(p, n)    the next n > 0 bytes of that part's data (borrowed
 *                      for the call: they lie in the piece being fed, or
 *                      in the parser when a piece ended inside a possible
 *                      delimiter that turned out to be data)
 *   part_end()         the part's data is complete (its delimiter seen)
 * A callback returning anything but GALE_OK stops the parser: feed
 * returns that status, and so does every later feed and finish.  A
 * callback may not feed, finish or free the parser (GALE_ESTATE). */
typedef struct gale_multipart_callbacks {
  int (*part_begin)(const gale_multipart_part *part, void *arg);
  int (*part_data)(const char *data, size_t len, void *arg);
  int (*part_end)(void *arg);
  GALE_RESERVED(8); /* room for fields added later (README: ABI) */
} gale_multipart_callbacks;

typedef struct gale_multipart_stream gale_multipart_stream;

/* A parser for a body delimited by `boundary` (as gale_multipart_parse).
 * `lim` NULL: the defaults; `cb` is copied, `arg` handed to each callback.
 * *out is the parser (free with gale_multipart_stream_free()).  Returns
 * GALE_OK, GALE_EINVAL (bad boundary, NULL out), GALE_ENOMEM. */
GALE_EXPORT int gale_multipart_stream_new(const char *boundary, size_t boundary_len,
                                          const gale_multipart_limits *lim,
                                          const gale_multipart_callbacks *cb, void *arg,
                                          gale_multipart_stream **out);

/* Parses the next `len` bytes of the body.  Returns GALE_OK (more may
 * follow), GALE_EHTTP_PARSE (malformed: a bad delimiter line or part
 * header, a near-miss of the delimiter in data), GALE_ELIMIT (max_parts,
 * max_header_size, max_field_size), GALE_ENOMEM, or a callback's status.
 * Bytes after the closing delimiter are ignored.  Linear in len. */
GALE_EXPORT int gale_multipart_stream_feed(gale_multipart_stream *s, const char *data, size_t len);

/* The body ended: GALE_OK when the closing delimiter was seen, else
 * GALE_EHTTP_PARSE (no delimiter at all, truncated inside a part) or
 * GALE_ELIMIT (a header section still open past its limit), or the error
 * that stopped the parser before. */
GALE_EXPORT int gale_multipart_stream_finish(gale_multipart_stream *s);

/* Why the parser stopped, as a short English phrase for an error page
 * ("too many multipart parts", "the body ends before the closing multipart boundary
 * delimiter"...); "" while it has not failed.  Static string. */
GALE_EXPORT const char *gale_multipart_stream_detail(const gale_multipart_stream *s);

/* Bytes the parser holds in memory for its header buffer (its capacity):
 * bounded by max_header_size + 4 whatever the body's size. */
GALE_EXPORT size_t gale_multipart_stream_memory(const gale_multipart_stream *s);

GALE_EXPORT void gale_multipart_stream_free(gale_multipart_stream *s);

/* Number of parts, and the i-th part (borrowed; NULL past the end). */
GALE_EXPORT size_t gale_multipart_count(const gale_multipart *m);
GALE_EXPORT const gale_multipart_part *gale_multipart_at(const gale_multipart *m, size_t i);

/* ---- Encoder (client side) ---- */

typedef struct gale_multipart_enc gale_multipart_enc;

/* Starts a body.  `boundary` NULL draws a random one (recommended); a given
 * one must be 1..70 bytes of [0-9A-Za-z'()+_,-./:=?].  Returns NULL when out
 * of memory or the boundary is invalid. */
GALE_EXPORT gale_multipart_enc *gale_multipart_enc_new(const char *boundary);

GALE_EXPORT void gale_multipart_enc_free(gale_multipart_enc *e);

/* The Content-Type header value to send with the body:
 * "multipart/form-data; boundary=...".  Borrowed from `e`. */
GALE_EXPORT const char *gale_multipart_enc_content_type(const gale_multipart_enc *e);

/* Appends a field, or a file part (filename NULL: no filename parameter;
 * content_type NULL: application/octet-stream for a file, none for a
 * field).  Data is copied.  Names and filenames are sent as quoted strings
 * (a backslash doubled, as a quoted-pair); control characters other than
 * HTAB and '"' in them are refused (GALE_EINVAL), and so is data that holds the
 * boundary delimiter (GALE_EEXIST: use a random boundary).  GALE_ENOMEM. */
GALE_EXPORT int gale_multipart_enc_add_field(gale_multipart_enc *e, const char *name,
                                             const char *value, size_t value_len);
GALE_EXPORT int gale_multipart_enc_add_file(gale_multipart_enc *e, const char *name,
                                            const char *filename, const char *content_type,
                                            const void *data, size_t len);

/* Closes the body and returns it (borrowed from `e`, valid until it is
 * freed; further adds fail with GALE_ESTATE).  Returns GALE_OK. */
GALE_EXPORT int gale_multipart_enc_finish(gale_multipart_enc *e, const char **body, size_t *len);

#ifdef __cplusplus
}
#endif

#endif
