/* SPDX-License-Identifier: MIT */
/* gale_stream reads: the one pending read, how it finds its end in the
 * buffer, and how it is handed over (gale/stream.h). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "gale/future.h"
#include "gale/log.h"
#include "iostream/stream_priv.h"

#define MAX_DELIM 128

/* The read state, allocated by the first public read and kept until the
 * stream goes: streams driven by the data hook (HTTP) never pay for it. */
static int rd_get(gale_stream *s) {
  if (s->rd) return GALE_OK;
  s->rd = calloc(1, sizeof(*s->rd));
  return s->rd ? GALE_OK : GALE_ENOMEM;
}

void gale__read_clear(gale_stream *s) {
  s->rkind = GALE__R_NONE;
  if (!s->rd) return;
  s->rd->cb = NULL;
  s->rd->arg = NULL;
  free(s->rd->delim);
  s->rd->delim = NULL;
}

/* The last pattern compiled on the stream, in one allocation. */
struct gale__rx_cache {
  pcre2_code *re;
  pcre2_match_data *md;
  char pattern[];
};

static void regex_cache_drop(gale_stream *s) {
  struct gale__rx_cache *c = s->rd->rx;
  if (!c) return;
  pcre2_match_data_free(c->md);
  pcre2_code_free(c->re);
  free(c);
  s->rd->rx = NULL;
}

void gale__read_free_cache(gale_stream *s) {
  if (!s->rd) return;
  regex_cache_drop(s);
  free(s->rd);
  s->rd = NULL;
}

/* Makes s->rd->rx the compiled `pattern`, reusing the cached one when the
 * pattern is the same as last time. */
static int regex_cache_get(gale_stream *s, const char *pattern) {
  if (s->rd->rx && strcmp(s->rd->rx->pattern, pattern) == 0) return GALE_OK;
  int errcode;
  PCRE2_SIZE erroff;
  pcre2_code *re =
      pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &errcode, &erroff, NULL);
  if (!re) {
    PCRE2_UCHAR msg[128];
    pcre2_get_error_message(errcode, msg, sizeof(msg));
    gale_log_warning("general", "stream: bad regex at offset %zu: %s", (size_t)erroff,
                     (const char *)msg);
    return GALE_EINVAL;
  }
  /* JIT where the platform has it; without, the interpreter gives the same
   * answers more slowly. */
  (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE | PCRE2_JIT_PARTIAL_HARD);
  pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
  size_t plen = strlen(pattern) + 1;
  struct gale__rx_cache *c = malloc(sizeof(*c) + plen);
  if (!md || !c) {
    if (md) pcre2_match_data_free(md);
    pcre2_code_free(re);
    free(c);
    return GALE_ENOMEM;
  }
  memcpy(c->pattern, pattern, plen);
  c->re = re;
  c->md = md;
  regex_cache_drop(s);
  s->rd->rx = c;
  return GALE_OK;
}

static int read_start(gale_stream *s, enum gale__read_kind kind, gale_stream_read_cb cb,
                      void *arg) {
  if (!s || !cb) return GALE_EINVAL;
  if (s->rkind != GALE__R_NONE || s->data_cb) return GALE_EBUSY;
  if (rd_get(s)) return GALE_ENOMEM;
  s->rkind = kind;
  s->rd->cb = cb;
  s->rd->arg = arg;
  s->rd->scan = 0;
  s->rd->filled = 0;
  s->r_partial = false;
  s->rd->n = 0;
  /* Never deliver inside the caller's call: a running dispatch picks the
   * read up when the current callback returns, otherwise the next loop
   * iteration does. */
  if (s->depth == 0) gale__stream_schedule(s);
  return GALE_OK;
}

int gale_stream_read_until(gale_stream *stream, const void *delim, size_t delim_len,
                           size_t max_bytes, gale_stream_read_cb cb, void *arg) {
  if (!stream || !delim || delim_len == 0 || delim_len > MAX_DELIM || !cb) return GALE_EINVAL;
  if (stream->rkind != GALE__R_NONE || stream->data_cb) return GALE_EBUSY;
  char *copy = malloc(delim_len);
  if (!copy) return GALE_ENOMEM;
  memcpy(copy, delim, delim_len);
  int rc = read_start(stream, GALE__R_UNTIL, cb, arg);
  if (rc) {
    free(copy);
    return rc;
  }
  stream->rd->delim = copy;
  stream->rd->delim_len = delim_len;
  stream->rd->n = max_bytes;
  return GALE_OK;
}

int gale_stream_read_until_regex(gale_stream *stream, const char *pattern, size_t max_bytes,
                                 gale_stream_read_cb cb, void *arg) {
  if (!stream || !pattern || !cb) return GALE_EINVAL;
  if (stream->rkind != GALE__R_NONE || stream->data_cb) return GALE_EBUSY;
  if (rd_get(stream)) return GALE_ENOMEM;
  int rc = regex_cache_get(stream, pattern);
  if (rc) return rc;
  rc = read_start(stream, GALE__R_REGEX, cb, arg);
  if (rc) return rc;
  stream->rd->n = max_bytes;
  return GALE_OK;
}

int gale_stream_read_bytes(gale_stream *stream, size_t n, bool partial, gale_stream_read_cb cb,
                           void *arg) {
  if (!stream || n == 0) return GALE_EINVAL;
  int rc = read_start(stream, GALE__R_BYTES, cb, arg);
  if (rc) return rc;
  stream->rd->n = n;
  stream->r_partial = partial;
  return GALE_OK;
}

int gale_stream_read_into(gale_stream *stream, void *buf, size_t len, bool partial,
                          gale_stream_read_cb cb, void *arg) {
  if (!stream || !buf || len == 0) return GALE_EINVAL;
  int rc = read_start(stream, GALE__R_INTO, cb, arg);
  if (rc) return rc;
  stream->rd->buf = buf;
  stream->rd->n = len;
  stream->r_partial = partial;
  return GALE_OK;
}

int gale_stream_read_until_close(gale_stream *stream, gale_stream_read_cb cb, void *arg) {
  return read_start(stream, GALE__R_CLOSE, cb, arg);
}

int gale_stream_read_chunks(gale_stream *stream, gale_stream_read_cb cb, void *arg) {
  return read_start(stream, GALE__R_CHUNKS, cb, arg);
}

int gale_stream_read_stop(gale_stream *stream) {
  if (!stream) return GALE_EINVAL;
  if (stream->rkind == GALE__R_NONE) return GALE_ESTATE;
  gale__read_clear(stream);
  if (stream->depth == 0) gale__stream_update_events(stream);
  return GALE_OK;
}

bool gale_stream_reading(const gale_stream *stream) {
  return stream && stream->rkind != GALE__R_NONE;
}

size_t gale_stream_read_buffer_size(const gale_stream *stream) {
  return stream ? gale__buf_len(stream->in) : 0;
}

/* ---- finding the end of the read ---------------------------------------- */

/* read_until: resume the search where the last one stopped, minus the part
 * of the delimiter that may have straddled the old end. */
static int until_ready(gale_stream *s) {
  size_t len = gale__buf_len(s->in);
  size_t dl = s->rd->delim_len;
  if (len >= dl && s->rd->scan <= len - dl) {
    struct evbuffer_ptr start;
    if (evbuffer_ptr_set(s->in, &start, s->rd->scan, EVBUFFER_PTR_SET) == 0) {
      struct evbuffer_ptr p = evbuffer_search(s->in, s->rd->delim, dl, &start);
      if (p.pos >= 0) {
        size_t end = (size_t)p.pos + dl;
        if (s->rd->n && end > s->rd->n) return GALE_EMAXBYTES;
        s->rd->filled = end;
        return 1;
      }
    }
    s->rd->scan = len - dl + 1;
  }
  if (s->rd->n && len > s->rd->n) return GALE_EMAXBYTES;
  return 0;
}

/* read_until_regex: a partial match (PCRE2_PARTIAL_HARD) tells where a match
 * could still begin; the next search starts there.  No match at all means
 * none can begin before the current end. */
static int regex_ready(gale_stream *s) {
  size_t len = gale__buf_len(s->in);
  if (len == 0 || s->rd->scan > len) return 0;
  const unsigned char *p = evbuffer_pullup(s->in, -1);
  if (!p) return GALE_ENOMEM;
  int rc = pcre2_match(s->rd->rx->re, p, len, s->rd->scan, PCRE2_PARTIAL_HARD, s->rd->rx->md, NULL);
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->rd->rx->md);
  if (rc >= 0) {
    size_t end = ov[1];
    if (s->rd->n && end > s->rd->n) return GALE_EMAXBYTES;
    s->rd->filled = end;
    return 1;
  }
  if (rc == PCRE2_ERROR_PARTIAL)
    s->rd->scan = ov[0];
  else if (rc == PCRE2_ERROR_NOMATCH)
    s->rd->scan = len;
  else
    return GALE_ELIMIT; /* match or depth limit: a hostile pattern/input */
  if (s->rd->n && len > s->rd->n) return GALE_EMAXBYTES;
  return 0;
}

int gale__read_ready(gale_stream *s) {
  size_t len = gale__buf_len(s->in);
  switch (s->rkind) {
  case GALE__R_UNTIL: return until_ready(s);
  case GALE__R_REGEX: return regex_ready(s);
  case GALE__R_BYTES: return len >= s->rd->n || (s->r_partial && len > 0);
  case GALE__R_INTO:
    if (len > 0 && s->rd->filled < s->rd->n) {
      size_t take = s->rd->n - s->rd->filled < len ? s->rd->n - s->rd->filled : len;
      evbuffer_remove(s->in, s->rd->buf + s->rd->filled, take);
      s->rd->filled += take;
    }
    return s->rd->filled == s->rd->n || (s->r_partial && s->rd->filled > 0);
  case GALE__R_CHUNKS: return len > 0;
  case GALE__R_CLOSE:
  case GALE__R_NONE:
  default: return 0;
  }
}

/* ---- handing over -------------------------------------------------------- */

static void hand_over(gale_stream *s, int status, size_t n, bool keep_read) {
  gale_stream_read_cb cb = s->rd->cb;
  void *arg = s->rd->arg;
  if (!keep_read) gale__read_clear(s);
  const char *p = NULL;
  if (n) p = (const char *)evbuffer_pullup(s->in, (ev_ssize_t)n);
  if (n && !p) {
    status = GALE_ENOMEM;
    n = 0;
  }
  /* The callback may issue the next read, close, or unref: the bytes stay
   * put until it returns (nothing else touches the buffer meanwhile). */
  s->handing = n;
  cb(s, status, p, n, arg);
  s->handing = 0;
  if (n) evbuffer_drain(s->in, n);
}

void gale__read_deliver(gale_stream *s) {
  size_t len = gale__buf_len(s->in);
  switch (s->rkind) {
  case GALE__R_UNTIL:
  case GALE__R_REGEX: hand_over(s, GALE_OK, s->rd->filled, false); break;
  case GALE__R_BYTES: hand_over(s, GALE_OK, len < s->rd->n ? len : s->rd->n, false); break;
  case GALE__R_CHUNKS: hand_over(s, GALE_OK, len, true); break;
  case GALE__R_INTO: {
    gale_stream_read_cb cb = s->rd->cb;
    void *arg = s->rd->arg;
    char *buf = s->rd->buf;
    size_t n = s->rd->filled;
    gale__read_clear(s);
    cb(s, GALE_OK, buf, n, arg);
    break;
  }
  default: break;
  }
}

void gale__read_finish_closed(gale_stream *s, int reason) {
  size_t len = gale__buf_len(s->in);
  if (s->rkind == GALE__R_CLOSE) {
    int st = s->close_reason == GALE_EOF ? GALE_OK : reason;
    hand_over(s, st, len, false);
    return;
  }
  if (s->rkind == GALE__R_CHUNKS) {
    if (len > 0) {
      hand_over(s, GALE_OK, len, true);
      return;
    }
    hand_over(s, reason, 0, false);
    return;
  }
  int r = gale__read_ready(s);
  if (r == 1) {
    gale__read_deliver(s);
    return;
  }
  if (s->rkind == GALE__R_INTO) {
    gale_stream_read_cb cb = s->rd->cb;
    void *arg = s->rd->arg;
    gale__read_clear(s);
    cb(s, reason, NULL, 0, arg);
    return;
  }
  hand_over(s, reason, 0, false);
}

/* ---- futures ------------------------------------------------------------- */

static void fut_read_done(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  gale_future *f = arg;
  if (status == GALE_OK) {
    gale_stream_data *d = malloc(sizeof(*d) + len + 1);
    if (!d) {
      gale_future_set_error(f, GALE_ENOMEM);
    } else {
      d->len = len;
      d->data = (char *)(d + 1);
      if (len) memcpy(d->data, data, len);
      d->data[len] = '\0';
      gale_future_set_result(f, d, free);
    }
  } else {
    gale_future_set_error(f, status);
  }
  gale_future_unref(f); /* the producer's reference */
}

static void fut_into_done(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  gale_future *f = arg;
  if (status == GALE_OK) {
    gale_stream_data *d = malloc(sizeof(*d));
    if (!d) {
      gale_future_set_error(f, GALE_ENOMEM);
    } else {
      d->len = len;
      d->data = (char *)data;
      gale_future_set_result(f, d, free);
    }
  } else {
    gale_future_set_error(f, status);
  }
  gale_future_unref(f);
}

static void fut_cancel(gale_future *f, void *arg) {
  gale_stream *s = arg;
  if (s->rkind != GALE__R_NONE && s->rd->arg == f &&
      (s->rd->cb == fut_read_done || s->rd->cb == fut_into_done)) {
    gale_stream_read_stop(s);
    gale_future_unref(f); /* the read callback will never run */
  }
}

/* Starts a read whose callback resolves a new future. */
static gale_future *fut_begin(gale_stream *s, int *status_out, gale_future **fp) {
  if (!s) {
    if (status_out) *status_out = GALE_EINVAL;
    return NULL;
  }
  gale_future *f = gale_future_new(s->loop);
  if (!f) {
    if (status_out) *status_out = GALE_ENOMEM;
    return NULL;
  }
  *fp = f;
  return f;
}

static gale_future *fut_end(gale_stream *s, gale_future *f, int rc, int *status_out) {
  if (status_out) *status_out = rc;
  if (rc) {
    gale_future_unref(f);
    return NULL;
  }
  gale_future_ref(f); /* one for the caller, one held by the read */
  gale_future_set_cancel_cb(f, fut_cancel, s);
  return f;
}

gale_future *gale_stream_read_until_future(gale_stream *stream, const void *delim, size_t delim_len,
                                           size_t max_bytes, int *status_out) {
  gale_future *f;
  if (!fut_begin(stream, status_out, &f)) return NULL;
  int rc = gale_stream_read_until(stream, delim, delim_len, max_bytes, fut_read_done, f);
  return fut_end(stream, f, rc, status_out);
}

gale_future *gale_stream_read_until_regex_future(gale_stream *stream, const char *pattern,
                                                 size_t max_bytes, int *status_out) {
  gale_future *f;
  if (!fut_begin(stream, status_out, &f)) return NULL;
  int rc = gale_stream_read_until_regex(stream, pattern, max_bytes, fut_read_done, f);
  return fut_end(stream, f, rc, status_out);
}

gale_future *gale_stream_read_bytes_future(gale_stream *stream, size_t n, bool partial,
                                           int *status_out) {
  gale_future *f;
  if (!fut_begin(stream, status_out, &f)) return NULL;
  int rc = gale_stream_read_bytes(stream, n, partial, fut_read_done, f);
  return fut_end(stream, f, rc, status_out);
}

gale_future *gale_stream_read_into_future(gale_stream *stream, void *buf, size_t len, bool partial,
                                          int *status_out) {
  gale_future *f;
  if (!fut_begin(stream, status_out, &f)) return NULL;
  int rc = gale_stream_read_into(stream, buf, len, partial, fut_into_done, f);
  return fut_end(stream, f, rc, status_out);
}

gale_future *gale_stream_read_until_close_future(gale_stream *stream, int *status_out) {
  gale_future *f;
  if (!fut_begin(stream, status_out, &f)) return NULL;
  int rc = gale_stream_read_until_close(stream, fut_read_done, f);
  return fut_end(stream, f, rc, status_out);
}
