/* SPDX-License-Identifier: MIT */
/* gale/httpdate.h — HTTP dates (RFC 9110 §5.6.7), without locale or
 * time-zone dependence.
 */
#ifndef GALE_HTTPDATE_H
#define GALE_HTTPDATE_H

#include <time.h>

#include "gale/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Length of an IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT", without the
 * NUL; a buffer of GALE_HTTP_DATE_LEN + 1 bytes always suffices. */
#define GALE_HTTP_DATE_LEN 29

/* Writes `t` (UTC seconds since the epoch) as an IMF-fixdate into `buf`
 * (NUL-terminated).  Returns GALE_OK, GALE_ERANGE when cap is below
 * GALE_HTTP_DATE_LEN + 1 or the year is outside 1..9999. */
GALE_EXPORT int gale_http_date_format(time_t t, char *buf, size_t cap);

/* Parses s[0..len) in any of the three forms a recipient must accept:
 * IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), RFC 850
 * ("Sunday, 06-Nov-94 08:49:37 GMT"; a two-digit year below 70 is 20xx) and
 * asctime ("Sun Nov  6 08:49:37 1994").  The weekday name must be valid but
 * is not checked against the date.  No leading or trailing bytes.
 * Returns GALE_OK with *out set, or GALE_EINVAL for anything else (bad
 * field, out-of-range day/hour/minute/second, trailing garbage). */
GALE_EXPORT int gale_http_date_parse(const char *s, size_t len, time_t *out);

#ifdef __cplusplus
}
#endif

#endif
