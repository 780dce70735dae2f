/* SPDX-License-Identifier: MIT */
/* The response as the application builds it: status and reason, headers
 * (the framing ones, Content-Length / Transfer-Encoding / Connection, are
 * the server's to write), and body bytes queued in the pending buffer
 * until flush or finish (server_request.c) puts them on the wire. */
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "http/server/server_internal.h"

/* ---- response: status and headers ----------------------------------------------- */

int gale_http_server_request_set_status(gale_http_server_request *req, int code,
                                        const char *reason) {
  if (!req || code < 100 || code > 599) return GALE_EINVAL;
  if (gale__request_head_sent(req)) return GALE_ESTATE;
  if (reason) {
    size_t n = strlen(reason);
    if (n >= sizeof(req->reason) || !gale_h1_valid_reason(reason, n)) return GALE_EINVAL;
    memcpy(req->reason, reason, n + 1);
    req->reason_ptr = req->reason;
  } else {
    req->reason_ptr = NULL;
  }
  req->status = code;
  return GALE_OK;
}

int gale_http_server_request_get_status(const gale_http_server_request *req) { return req->status; }

static bool name_is(const char *name, const char *what) {
  return gale_ascii_eq_cstr(name, strlen(name), what);
}

/* Content-Length, Transfer-Encoding and Connection are framing: the server
 * writes them.  A Content-Length from the app is remembered (checked
 * against the body); Connection: close is honoured.  Lengths are the
 * caller's: every response sets a few headers, and the lengths rule out
 * most names before any comparison. */
static int framing_header(gale_http_server_request *req, const char *name, size_t nlen,
                          const char *value, size_t vlen, bool *handled) {
  *handled = false;
  if (nlen == 14 && gale_ascii_eq_cstr(name, nlen, "Content-Length")) {
    uint64_t v = 0;
    if (vlen == 0 || vlen > 19) return GALE_EINVAL;
    for (size_t i = 0; i < vlen; i++) {
      if (value[i] < '0' || value[i] > '9') return GALE_EINVAL;
      v = v * 10 + (uint64_t)(value[i] - '0');
    }
    req->declared_length = v;
    req->has_declared_length = true;
    *handled = true;
  } else if (nlen == 17 && gale_ascii_eq_cstr(name, nlen, "Transfer-Encoding")) {
    return GALE_EINVAL; /* the server frames responses itself */
  } else if (nlen == 10 && gale_ascii_eq_cstr(name, nlen, "Connection")) {
    if (!gale_h1_valid_field_value(value, vlen)) return GALE_EINVAL;
    if (gale_h1_list_has_token(value, vlen, "close")) req->force_close = true;
    *handled = true;
  }
  return GALE_OK;
}

/* set_header and add_header: the checks and framing fields are the same;
 * `add` picks gale_headers_add (another field) over _set (replace). */
static int put_header(gale_http_server_request *req, const char *name, const char *value,
                      bool add) {
  if (!req || !name || !value) return GALE_EINVAL;
  if (gale__request_head_sent(req)) return GALE_ESTATE;
  size_t nlen = strlen(name), vlen = strlen(value);
  if (!gale_h1_valid_token(name, nlen)) return GALE_EINVAL;
  bool handled;
  int rc = framing_header(req, name, nlen, value, vlen, &handled);
  if (rc != GALE_OK || handled) return rc;
  return add ? gale_headers_add_n(req->resp_headers, name, nlen, value, vlen)
             : gale_headers_set_n(req->resp_headers, name, nlen, value, vlen);
}

int gale_http_server_request_set_header(gale_http_server_request *req, const char *name,
                                        const char *value) {
  return put_header(req, name, value, false);
}

int gale_http_server_request_add_header(gale_http_server_request *req, const char *name,
                                        const char *value) {
  return put_header(req, name, value, true);
}

int gale_http_server_request_clear_header(gale_http_server_request *req, const char *name) {
  if (!req || !name) return GALE_EINVAL;
  if (gale__request_head_sent(req)) return GALE_ESTATE;
  if (name_is(name, "Content-Length")) req->has_declared_length = false;
  if (name_is(name, "Connection")) req->force_close = false;
  gale_headers_remove(req->resp_headers, name);
  return GALE_OK;
}

const char *gale_http_server_request_get_response_header(const gale_http_server_request *req,
                                                         const char *name) {
  if (!req || !name) return NULL;
  return gale_headers_get(req->resp_headers, name);
}

/* ---- response: body --------------------------------------------------------------- */

int gale__request_check_writable(const gale_http_server_request *req) {
  if (!req) return GALE_EINVAL;
  if (gale__request_finished(req)) return GALE_ESTATE;
  if (gale__request_gone(req)) return GALE_ECLOSED;
  return GALE_OK;
}

int gale_http_server_request_write(gale_http_server_request *req, const void *data, size_t len) {
  int rc = gale__request_check_writable(req);
  if (rc != GALE_OK) return rc;
  if (len == 0) return GALE_OK;
  if (!data) return GALE_EINVAL;
  return evbuffer_add(req->pending, data, len) == 0 ? GALE_OK : GALE_ENOMEM;
}

static void ref_cleanup(const void *data, size_t len, void *extra) {
  (void)len;
  gale_free_fn fn = (gale_free_fn)(uintptr_t)extra;
  if (fn) fn((void *)data);
}

int gale_http_server_request_write_ref(gale_http_server_request *req, const void *data, size_t len,
                                       gale_free_fn free_fn) {
  int rc = gale__request_check_writable(req);
  if (rc != GALE_OK) return rc;
  if (!data && len) return GALE_EINVAL;
  if (evbuffer_add_reference(req->pending, data, len, ref_cleanup, (void *)(uintptr_t)free_fn) != 0)
    return GALE_ENOMEM;
  return GALE_OK;
}

int gale_http_server_request_printf(gale_http_server_request *req, const char *fmt, ...) {
  int rc = gale__request_check_writable(req);
  if (rc != GALE_OK) return rc;
  va_list ap;
  va_start(ap, fmt);
  int n = evbuffer_add_vprintf(req->pending, fmt, ap);
  va_end(ap);
  return n < 0 ? GALE_ENOMEM : GALE_OK;
}

size_t gale_http_server_request_pending(const gale_http_server_request *req) {
  return evbuffer_get_length(req->pending);
}

void gale_http_server_request_discard(gale_http_server_request *req) {
  evbuffer_drain(req->pending, evbuffer_get_length(req->pending));
}

bool gale_http_server_request_headers_sent(const gale_http_server_request *req) {
  return gale__request_head_sent(req);
}
bool gale_http_server_request_finished(const gale_http_server_request *req) {
  return gale__request_finished(req);
}
