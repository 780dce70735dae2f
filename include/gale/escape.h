/* SPDX-License-Identifier: MIT */
/* gale/escape.h — escaping for HTML, URLs and JSON, as tornado.escape:
 * what templates' filters and handlers call before putting text into a
 * page.  Each function appends to a gale_buf the caller owns, is linear in
 * its input, and treats the input as bytes (UTF-8 passes through
 * unchanged).  Errors: GALE_EINVAL (NULL), GALE_ENOMEM, GALE_EBUFFULL (the
 * buffer's max); after an error the buffer may hold part of the output.
 */
#ifndef GALE_ESCAPE_H
#define GALE_ESCAPE_H

#include "gale/buf.h"
#include "gale/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Tornado's xhtml_escape: & < > " ' become &amp; &lt; &gt; &quot; &#39;,
 * so the text is safe in element content and in quoted attributes. */
GALE_EXPORT int gale_xhtml_escape(gale_buf *out, const char *s, size_t len);

/* Tornado's url_escape: percent-encodes every byte but ALPHA, DIGIT and
 * "-._~"; with `plus`, a space becomes '+' (a query value), else %20 (a
 * path segment). */
GALE_EXPORT int gale_url_escape(gale_buf *out, const char *s, size_t len, bool plus);

/* Tornado's squeeze: every run of bytes 0x00-0x20 becomes one space, and
 * the result has none at either end. */
GALE_EXPORT int gale_squeeze(gale_buf *out, const char *s, size_t len);

/* Tornado's linkify: the text HTML-escaped, with each http://, https://
 * and www. link made an <a href="..."> (www. links get "http://").  A link
 * runs to the next whitespace or one of < > " ' and loses trailing
 * punctuation (. , ; : ! ? and a ')' that closes nothing), so a sentence
 * ending in a URL keeps its full stop outside the link. */
GALE_EXPORT int gale_linkify(gale_buf *out, const char *s, size_t len);

#ifdef __cplusplus
}
#endif

#endif
