/* SPDX-License-Identifier: MIT */
/* The stream's two evbuffers.  An idle stream holds neither (with its
 * bookkeeping an evbuffer costs more than the rest of an idle keep-alive
 * connection): they are made on first use and given back, empty, when the
 * outermost dispatch ends, where no caller holds them.
 *
 * Given-back buffers wait in a small cache of this thread's (a loop and its
 * streams belong to one thread), so a keep-alive connection that goes idle
 * after every request takes its buffers back without a malloc/free pair
 * each way.  The cache is bounded and emptied when the thread's last
 * stream goes, so nothing outlives the streams. */
#include "iostream/stream_priv.h"

#define CACHE_MAX 32

static _Thread_local struct {
  struct evbuffer *free[CACHE_MAX];
  unsigned n;
  size_t streams; /* live streams of this thread */
} cache;

static struct evbuffer *take(void) { return cache.n ? cache.free[--cache.n] : evbuffer_new(); }

static void give(struct evbuffer *b) {
  if (evbuffer_get_length(b) == 0 && cache.n < CACHE_MAX && cache.streams > 0) {
    cache.free[cache.n++] = b;
  } else {
    evbuffer_free(b);
  }
}

struct evbuffer *gale__stream_in(gale_stream *s) {
  if (!s->in) s->in = take();
  return s->in;
}

/* A cached buffer keeps the flag its last owner gave it: only an output
 * buffer's matters (it decides whether files in it go by sendfile, which a
 * TLS stream must not do), so it is set here, either way. */
struct evbuffer *gale__stream_out(gale_stream *s) {
  if (s->out || !(s->out = take())) return s->out;
  if (s->xp->out_to_fd)
    evbuffer_set_flags(s->out, EVBUFFER_FLAG_DRAINS_TO_FD);
  else
    evbuffer_clear_flags(s->out, EVBUFFER_FLAG_DRAINS_TO_FD);
  return s->out;
}

void gale__stream_trim_buffers(gale_stream *s) {
  if (s->in && evbuffer_get_length(s->in) == 0) {
    give(s->in); /* a read that got nothing released its reservation */
    s->in = NULL;
  }
  if (s->out && evbuffer_get_length(s->out) == 0) {
    give(s->out);
    s->out = NULL;
  }
}

void gale__stream_give_buffers(gale_stream *s) {
  if (s->in) give(s->in);
  if (s->out) give(s->out);
  s->in = s->out = NULL;
}

void gale__stream_buffers_hold(void) { cache.streams++; }

size_t gale__stream_buffers_cached(void) { return cache.n; }

void gale__stream_buffers_drop(void) {
  if (--cache.streams > 0) return;
  while (cache.n) evbuffer_free(cache.free[--cache.n]);
}

void gale__stream_release_input(gale_stream *s) {
  /* evbuffer_drain frees chains only when it has data to drain: an empty
   * chain left by a reservation that read nothing would stay allocated, so
   * push a byte through to release it.  (The evbuffer itself may still be
   * lent to a caller here; it is given back at the end of the dispatch.) */
  if (s->in && evbuffer_get_length(s->in) == 0) {
    struct evbuffer_iovec v;
    if (evbuffer_peek(s->in, -1, NULL, &v, 1) == 0 && evbuffer_add(s->in, "", 1) == 0)
      evbuffer_drain(s->in, 1);
  }
}
