/* SPDX-License-Identifier: MIT */
/* gale/content_type.h — header values of the form
 * `value *( OWS ";" OWS name "=" ( token / quoted-string ) )`
 * (RFC 9110 §5.6.6): Content-Type, Content-Disposition, Accept's members.
 */
#ifndef GALE_CONTENT_TYPE_H
#define GALE_CONTENT_TYPE_H

#include "gale/common.h"
#include "gale/form.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Splits a header value into its first element and its parameters.
 * *first / *first_len receive the leading value trimmed of SP/HTAB (a slice
 * of `s`, not copied, case as given).  Each parameter is appended to
 * `params` (may be NULL to only get the first element) with its name
 * lowercased and its value unquoted (quoted-pair escapes resolved).  An
 * RFC 8187 extended parameter (`filename*=UTF-8''na%C3%AFve.txt`) is
 * percent-decoded and stored under its name with the '*' kept
 * ("filename*"); the charset must be UTF-8 or ISO-8859-1 and is not
 * converted.  Leniency, for real clients: SP/HTAB around '=' and empty
 * parameters (";;") are accepted, and an unquoted value may hold any
 * visible byte but ';' and '"' (boundaries like "----=_Part_1" arrive
 * unquoted).  Returns GALE_OK, GALE_EHTTP_PARSE (parameter name not a
 * token, missing '=', unterminated quoted string, control bytes),
 * GALE_ENOMEM; on error the parameters added by this call are removed. */
GALE_EXPORT int gale_header_params_parse(const char *s, size_t len, const char **first,
                                         size_t *first_len, gale_params *params);

/* As gale_header_params_parse(), and checks that the first element is a
 * media type `type "/" subtype` of two tokens (RFC 9110 §8.3.1).  The media
 * type is written lowercased into `type` (capacity `type_cap`,
 * NUL-terminated; 128 bytes are plenty), e.g. "multipart/form-data", and
 * the parameters (boundary, charset...) are appended to `params` (may be
 * NULL).  Returns GALE_OK, GALE_EHTTP_PARSE, GALE_ERANGE (type_cap too
 * small), GALE_ENOMEM. */
GALE_EXPORT int gale_content_type_parse(const char *s, size_t len, char *type, size_t type_cap,
                                        gale_params *params);

#ifdef __cplusplus
}
#endif

#endif
