/* SPDX-License-Identifier: MIT */
/* http/util/headers_internal.h — gale_headers entry points for the wire
 * parsers (internal). */
#ifndef GALE_HTTP_HEADERS_INTERNAL_H
#define GALE_HTTP_HEADERS_INTERNAL_H

#include <stddef.h>

#include "gale/headers.h"

/* gale_headers_add_n() for a field the HTTP/1 parser has already checked:
 * the name a token, the value field-vchars with its OWS trimmed.  Skips
 * the second pass over both (once per field of every response).
 * Returns GALE_OK or GALE_ENOMEM. */
GALE_INTERNAL int gale__headers_add_parsed(gale_headers *h, const char *name, size_t name_len,
                                           const char *value, size_t value_len);

#endif
