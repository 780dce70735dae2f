/* SPDX-License-Identifier: MIT */
/* gale/httputil.h — the HTTP utilities in one include (Tornado's
 * httputil): header fields (headers.h), URLs and percent-encoding (url.h),
 * query strings and form bodies (form.h), multipart/form-data
 * (multipart.h), cookies (cookie.h), HTTP dates (httpdate.h) and header
 * parameters such as Content-Type's (content_type.h).  All pure functions
 * over bytes: no loop, safe on hostile input, linear in their input.
 */
#ifndef GALE_HTTPUTIL_H
#define GALE_HTTPUTIL_H

#include "gale/headers.h"
#include "gale/url.h"
#include "gale/form.h"
#include "gale/multipart.h"
#include "gale/cookie.h"
#include "gale/httpdate.h"
#include "gale/content_type.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif

#endif
