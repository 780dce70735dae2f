/* SPDX-License-Identifier: MIT */
/* The HTTP/1 head writer: reservations, lines and the end of a head.
 * Contract in http/wire/h1_head.h; the per-piece writers are inline there. */
#include "http/wire/h1_head.h"

#define HEAD_DEFAULT 256 /* a first reservation when the caller gives none */

static void head_fail(gale_h1_head *h, int status) {
  if (h->status == GALE_OK) h->status = status;
  h->vec.iov_base = NULL;
  h->vec.iov_len = 0;
  h->used = 0;
}

static void head_reserve(gale_h1_head *h, size_t size) {
  if (size > (size_t)EV_SSIZE_MAX ||
      evbuffer_reserve_space(h->out, (ev_ssize_t)size, &h->vec, 1) < 1 || h->vec.iov_len < size)
    head_fail(h, GALE_ENOMEM);
}

/* Commits the bytes written so far; the reservation is closed after it. */
static void head_commit(gale_h1_head *h) {
  struct evbuffer_iovec v = h->vec;
  v.iov_len = h->used;
  if (evbuffer_commit_space(h->out, &v, 1) != 0) {
    head_fail(h, GALE_ENOMEM);
    return;
  }
  h->done += h->used;
  h->used = 0;
  h->vec.iov_base = NULL;
  h->vec.iov_len = 0;
}

void gale_h1_head_init(gale_h1_head *h, struct evbuffer *out, size_t size) {
  h->out = out;
  h->vec.iov_base = NULL;
  h->vec.iov_len = 0;
  h->used = 0;
  h->done = 0;
  h->status = GALE_OK;
  head_reserve(h, size ? size : HEAD_DEFAULT);
}

char *gale__h1_head_grow(gale_h1_head *h, size_t need) {
  if (h->status != GALE_OK) return NULL;
  size_t size = h->vec.iov_len > HEAD_DEFAULT / 2 ? h->vec.iov_len * 2 : HEAD_DEFAULT;
  if (size < need) size = need;
  head_commit(h);
  if (h->status == GALE_OK) head_reserve(h, size);
  return h->status == GALE_OK ? h->vec.iov_base : NULL;
}

void gale_h1_head_status_line(gale_h1_head *h, int status, const char *reason, size_t reason_len) {
  if (status < 100 || status > 999) {
    head_fail(h, GALE_EINVAL);
    return;
  }
  char *p = gale__h1_head_room(h, GALE_H1_STATUS_LINE_SIZE(reason_len));
  if (!p) return;
  memcpy(p, "HTTP/1.1 ", 9);
  p[9] = (char)('0' + status / 100);
  p[10] = (char)('0' + status / 10 % 10);
  p[11] = (char)('0' + status % 10);
  p[12] = ' ';
  if (reason_len) memcpy(p + 13, reason, reason_len);
  p[13 + reason_len] = '\r';
  p[14 + reason_len] = '\n';
  h->used += GALE_H1_STATUS_LINE_SIZE(reason_len);
}

void gale_h1_head_request_line(gale_h1_head *h, const char *method, size_t method_len,
                               const char *path, size_t path_len, const char *query,
                               size_t query_len) {
  gale_h1_head_append(h, method, method_len);
  gale_h1_head_literal(h, " ");
  gale_h1_head_append(h, path, path_len);
  if (query) {
    gale_h1_head_literal(h, "?");
    gale_h1_head_append(h, query, query_len);
  }
  gale_h1_head_literal(h, " HTTP/1.1\r\n");
}

void gale_h1_head_headers(gale_h1_head *h, const gale_headers *headers) {
  size_t size = headers ? gale_headers_wire_size(headers) : 0;
  if (!size) return;
  char *p = gale__h1_head_room(h, size);
  size_t wrote = 0;
  if (!p) return;
  if (gale_headers_serialize(headers, p, size, &wrote) != GALE_OK || wrote != size) {
    head_fail(h, GALE_EINVAL); /* cannot happen: the size came from the set */
    return;
  }
  h->used += size;
}

void gale_h1_head_fail(gale_h1_head *h, int status) {
  head_fail(h, status < 0 ? status : GALE_EINVAL);
}

ssize_t gale_h1_head_finish(gale_h1_head *h) {
  gale_h1_head_literal(h, "\r\n");
  if (h->status == GALE_OK) head_commit(h);
  h->out = NULL;
  if (h->status != GALE_OK) return h->status;
  return (ssize_t)h->done;
}
