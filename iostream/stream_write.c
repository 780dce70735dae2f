/* SPDX-License-Identifier: MIT */
/* gale_stream writes: queueing (copy, reference, file), back-pressure and
 * completion callbacks (gale/stream.h).  The bytes leave in stream.c's
 * dispatch loop, gathered into as few system calls as possible. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gale/future.h"
#include "iostream/stream_priv.h"

/* Registers a completion for everything queued so far.  Done before the
 * data is queued where possible, so an allocation failure leaves nothing
 * half-done. */
static struct gale__wreq *wreq_new(gale_stream_write_cb cb, void *arg) {
  struct gale__wreq *w = malloc(sizeof(*w));
  if (!w) return NULL;
  w->cb = cb;
  w->arg = arg;
  w->next = NULL;
  w->upto = 0;
  return w;
}

static void wreq_queue(gale_stream *s, struct gale__wreq *w) {
  if (w) {
    w->upto = s->written + gale__buf_len(s->out);
    if (s->wq_tail)
      s->wq_tail->next = w;
    else
      s->wq_head = w;
    s->wq_tail = w;
  }
  gale__stream_schedule(s);
}

static int check_room(gale_stream *s, size_t len) {
  size_t max = s->max_write_buffer_size;
  if (max && gale__buf_len(s->out) + len > max) return GALE_EBUFFULL;
  return GALE_OK;
}

int gale_stream_write(gale_stream *stream, const void *data, size_t len, gale_stream_write_cb cb,
                      void *arg) {
  if (!stream || (len && !data)) return GALE_EINVAL;
  if (gale__stream_is_closed(stream)) return GALE_ECLOSED;
  int rc = check_room(stream, len);
  if (rc) return rc;
  struct gale__wreq *w = NULL;
  if (cb && !(w = wreq_new(cb, arg))) return GALE_ENOMEM;
  struct evbuffer *out = len ? gale__stream_out(stream) : NULL;
  if (len && (!out || evbuffer_add(out, data, len) != 0)) {
    free(w);
    return GALE_ENOMEM;
  }
  wreq_queue(stream, w);
  return GALE_OK;
}

static void ref_cleanup(const void *data, size_t len, void *extra) {
  gale_free_fn fn = (gale_free_fn)(uintptr_t)extra;
  fn((void *)data);
}

int gale_stream_write_ref(gale_stream *stream, const void *data, size_t len, gale_free_fn free_fn,
                          gale_stream_write_cb cb, void *arg) {
  if (!stream || (len && !data)) return GALE_EINVAL;
  if (gale__stream_is_closed(stream)) return GALE_ECLOSED;
  int rc = check_room(stream, len);
  if (rc) return rc;
  struct gale__wreq *w = NULL;
  if (cb && !(w = wreq_new(cb, arg))) return GALE_ENOMEM;
  struct evbuffer *out = len ? gale__stream_out(stream) : NULL;
  if (len == 0) {
    if (free_fn) free_fn((void *)data);
  } else if (!out || evbuffer_add_reference(out, data, len, free_fn ? ref_cleanup : NULL,
                                            free_fn ? (void *)(uintptr_t)free_fn : NULL) != 0) {
    free(w);
    return GALE_ENOMEM;
  }
  wreq_queue(stream, w);
  return GALE_OK;
}

static void file_cleanup(struct evbuffer_file_segment const *seg, int flags, void *arg) {
  close((int)(intptr_t)arg);
}

int gale_stream_write_file(gale_stream *stream, int file_fd, uint64_t offset, uint64_t len,
                           gale_stream_write_cb cb, void *arg) {
  if (!stream || file_fd < 0) return GALE_EINVAL;
  if (gale__stream_is_closed(stream)) return GALE_ECLOSED;
  struct stat st;
  if (fstat(file_fd, &st) != 0) {
    stream->err = errno;
    return GALE_ESYS;
  }
  if (!S_ISREG(st.st_mode) || offset > (uint64_t)st.st_size) return GALE_EINVAL;
  if (len == 0) len = (uint64_t)st.st_size - offset;
  if (len > (uint64_t)st.st_size - offset || len > (uint64_t)INT64_MAX) return GALE_EINVAL;
  struct gale__wreq *w = NULL;
  if (cb && !(w = wreq_new(cb, arg))) return GALE_ENOMEM;
  if (len == 0) {
    close(file_fd);
    wreq_queue(stream, w);
    return GALE_OK;
  }
  /* The segment does not own the fd until it is queued, so that on failure
   * the fd is still the caller's. */
  struct evbuffer *out = gale__stream_out(stream);
  struct evbuffer_file_segment *seg =
      out ? evbuffer_file_segment_new(file_fd, (ev_off_t)offset, (ev_off_t)len, 0) : NULL;
  if (!seg) {
    free(w);
    return GALE_ENOMEM;
  }
  stream->has_files = true;
  if (evbuffer_add_file_segment(out, seg, 0, (ev_off_t)len) != 0) {
    evbuffer_file_segment_free(seg);
    free(w);
    return GALE_ENOMEM;
  }
  evbuffer_file_segment_add_cleanup_cb(seg, file_cleanup, (void *)(intptr_t)file_fd);
  evbuffer_file_segment_free(seg); /* the buffer keeps its own reference */
  wreq_queue(stream, w);
  return GALE_OK;
}

int gale_stream_flush(gale_stream *stream, gale_stream_write_cb cb, void *arg) {
  return gale_stream_write(stream, NULL, 0, cb, arg);
}

int gale__stream_flush(gale_stream *stream, gale_stream_write_cb cb, void *arg) {
  return gale_stream_write(stream, NULL, 0, cb, arg);
}

bool gale_stream_writing(const gale_stream *stream) {
  return stream && !gale__stream_is_closed(stream) && gale__buf_len(stream->out) > 0;
}

size_t gale_stream_write_buffer_size(const gale_stream *stream) {
  return stream ? gale__buf_len(stream->out) : 0;
}

/* ---- flush future -------------------------------------------------------- */

static void fut_flush_done(gale_stream *s, int status, void *arg) {
  gale_future *f = arg;
  if (status == GALE_OK)
    gale_future_set_result(f, NULL, NULL);
  else
    gale_future_set_error(f, status);
  gale_future_unref(f);
}

gale_future *gale_stream_flush_future(gale_stream *stream, int *status_out) {
  if (!stream) {
    if (status_out) *status_out = GALE_EINVAL;
    return NULL;
  }
  gale_future *f = gale_future_new(stream->loop);
  if (!f) {
    if (status_out) *status_out = GALE_ENOMEM;
    return NULL;
  }
  int rc = gale_stream_flush(stream, fut_flush_done, f);
  if (status_out) *status_out = rc;
  if (rc) {
    gale_future_unref(f);
    return NULL;
  }
  return gale_future_ref(f);
}
