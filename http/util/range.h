/* SPDX-License-Identifier: MIT */
/* http/util/range.h — the Range request header (RFC 9110 §14.2) over a
 * representation of known size (internal; the static file handler's). */
#ifndef GALE_HTTP_RANGE_H
#define GALE_HTTP_RANGE_H

#include <stddef.h>
#include <stdint.h>

#include "gale/common.h"

enum {
  GALE__RANGE_UNSATISFIABLE = -1, /* answer 416 with "bytes * /size" */
  GALE__RANGE_IGNORE = 0,         /* malformed or several ranges: send all */
  GALE__RANGE_OK = 1              /* send [*start, *end] with 206 */
};

/* Parses the value v[0..len) of a Range header against a body of `size`
 * bytes.  Only one "bytes=a-b", "bytes=a-" or "bytes=-n" range is served;
 * a list of several is ignored, as Tornado does.  On GALE__RANGE_OK,
 * 0 <= *start <= *end < size; otherwise *start and *end are untouched.
 * Reads no byte outside v[0..len). */
GALE_INTERNAL int gale__range_parse(const char *v, size_t len, int64_t size, int64_t *start,
                                    int64_t *end);

#endif
