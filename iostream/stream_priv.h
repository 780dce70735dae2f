/* SPDX-License-Identifier: MIT */
/* iostream/stream_priv.h — the stream's insides, shared only by
 * iostream/stream*.c and iostream/tls*.c.  Not for other layers (they use
 * gale/stream.h and iostream/stream_internal.h).
 *
 * Life of a stream: see enum gale__stream_phase (OPEN, optionally CLOSING
 * and LINGERING, CLOSED, NOTIFIED, then freed with the last reference).  Every entry from the
 * loop (socket readiness, timers, the deferred callback) runs
 * gale__stream_dispatch(), the one place that hands results to user code,
 * holding a reference so user code may close or unref at any point.
 */
#ifndef GALE_IOSTREAM_STREAM_PRIV_H
#define GALE_IOSTREAM_STREAM_PRIV_H

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/event_struct.h>

#include "gale/stream.h"
#include "gale/tls.h"
#include "iostream/stream_internal.h"

enum gale__read_kind {
  GALE__R_NONE = 0,
  GALE__R_UNTIL,
  GALE__R_REGEX,
  GALE__R_BYTES,
  GALE__R_INTO,
  GALE__R_CLOSE,
  GALE__R_CHUNKS
};

/* A write/flush waiting for the byte count `upto` to be written. */
struct gale__wreq {
  uint64_t upto;
  gale_stream_write_cb cb;
  void *arg;
  struct gale__wreq *next;
};

/* Timers exist only on streams that use them (lean idle streams). */
struct gale__stream_timers {
  struct event idle_ev;
  struct event read_ev;
  struct event linger_ev;
  const struct timeval *idle_tv; /* common-timeout magic values */
  const struct timeval *read_tv;
  double idle_s, read_s;
  bool idle_on, read_on;
};

struct gale__stream_addrs {
  struct sockaddr_storage peer, local;
  socklen_t peer_len, local_len;
};

/* Most bytes read per wake-up, so one fast peer cannot starve the others. */
#define GALE__READ_BUDGET ((size_t)1024 * 1024)
/* Most bytes written per dispatch before yielding to the loop. */
#define GALE__WRITE_BUDGET ((size_t)8 * 1024 * 1024)

/* What moves bytes between the stream's plaintext buffers and its fd.  A
 * stream starts on the plain socket table (stream_sock.c); TLS
 * (stream_tls.c) replaces it on upgrade.  stream*.c only call through
 * s->xp and never ask which transport they have, so a new one (a unix
 * socket, a test pipe) is a new table in its own file.  Every entry is
 * set (no NULL checks on the hot path).  Results of reads are reported
 * the stream's way: bytes appended to s->in with new_data set, or eof with
 * pending_reason / pending_errno. */
struct gale__transport {
  const char *name;
  /* Read up to `budget` bytes into s->in.  Returns 0 or a failure status. */
  int (*read)(gale_stream *s, size_t budget);
  /* Send what s->out holds (as much as the fd takes).  Returns 0 (progress
   * or would block: wait_writable) or a failure status. */
  int (*write)(gale_stream *s);
  /* The output buffer leaves only through the fd (evbuffer's
   * EVBUFFER_FLAG_DRAINS_TO_FD: files in it go by sendfile). */
  bool out_to_fd;
  /* The fd is readable / writable (handshakes are driven from here). */
  void (*on_readable)(gale_stream *s);
  void (*on_writable)(gale_stream *s);
  /* Which fd events the transport needs now. */
  bool (*want_read)(const gale_stream *s);
  bool (*want_write)(const gale_stream *s);
  /* Bytes buffered below the stream that will never wake the fd (TLS
   * records decrypted inside OpenSSL): the deferred callback reads them. */
  bool (*pending)(const gale_stream *s);
  /* Runs a transport callback that is due (the TLS handshake's); true if
   * it ran user code. */
  bool (*notify)(gale_stream *s);
  /* Transport work of its own in the dispatch loop of an open stream (TLS:
   * start the handshake once the clear plaintext left); true if it did
   * something. */
  bool (*advance)(gale_stream *s);
  /* The write side is closing (close, lingering close): say goodbye on the
   * wire (TLS close_notify) while the fd is still open. */
  void (*shutdown)(gale_stream *s);
  /* Frees the transport's state; at destroy. */
  void (*release)(gale_stream *s);
};

/* The life of a stream.  OPEN: reading and writing.  CLOSING: closing once
 * the output buffer has left (gale__stream_close_after_flush).  LINGERING:
 * the write side is shut, input is read and dropped until the peer closes
 * or the linger timer fires.  CLOSED: the fd is gone, pending operations
 * are being failed.  NOTIFIED: the close callback ran (or never will); the
 * memory goes with the last reference.  The moves allowed are the table in
 * stream.c. */
enum gale__stream_phase {
  GALE__SP_OPEN = 0,
  GALE__SP_CLOSING,
  GALE__SP_LINGERING,
  GALE__SP_CLOSED,
  GALE__SP_NOTIFIED
};

struct gale__tls;

struct gale__rx_cache;

/* What a public read keeps (stream_read.c).  Hook-driven streams never
 * allocate it. */
struct gale__stream_read {
  gale_stream_read_cb cb;
  void *arg;
  size_t n;  /* bytes / into length / max_bytes for until & regex */
  char *buf; /* read_into target */
  size_t filled;
  char *delim; /* read_until (malloc'd) */
  size_t delim_len;
  size_t scan; /* where the next search starts */
  /* read_until_regex: the last pattern compiled on this stream, kept across
   * reads because a protocol reads with the same pattern again and again and
   * a JIT compile costs far more than a match. */
  struct gale__rx_cache *rx;
};

/* Laid out for size (an idle keep-alive connection is mostly this struct
 * and its one struct event): pointers first, then the 4-byte fields, then
 * the small ones, no holes.  Rarely used parts live in side structs
 * allocated when first needed: timers, addresses, TLS, the regex cache. */
struct gale_stream {
  gale_loop *loop; /* its event_base is ev's: gale__stream_base() */
  /* Made when first needed and freed by the outermost dispatch once empty,
   * so an idle stream holds neither: NULL is an empty buffer.  Read the
   * length with gale__buf_len(); get one to add to with gale__stream_in() /
   * gale__stream_out(). */
  struct evbuffer *in, *out;
  /* One event for both directions (its mask re-assigned when interest
   * changes): half the memory of two, and libevent merges them anyway. */
  struct event ev;
  const struct gale__transport *xp;
  /* The creator's list node (the TCP server's connection tracking), here so
   * tracking a connection costs no allocation of its own. */
  struct gale__stream_link link;
  /* the options that outlive construction (timeouts live in `tm`) */
  size_t max_buffer_size, max_write_buffer_size, read_chunk_size;

  /* the pending read (its state in `rd`, allocated by the first read) */
  struct gale__stream_read *rd;
  size_t handing; /* bytes of `in` lent to the running read callback */

  /* writes */
  uint64_t written; /* plaintext bytes handed to the kernel / TLS so far */
  struct gale__wreq *wq_head, *wq_tail;

  gale_stream_close_cb close_cb;
  void *close_arg;
  gale_stream_close_cb close_hook; /* the creator's (TCP server tracking) */
  void *close_hook_arg;
  gale__stream_data_cb data_cb;
  void *data_arg;
  void *user_data;

  struct gale__stream_timers *tm;
  struct gale__stream_addrs *addrs;
  struct gale__tls *tls; /* the TLS transport's state (stream_tls.c only) */

  int fd;
  int refs;
  int depth;          /* nesting of dispatch */
  int pending_reason; /* failure seen by the reader, applied in dispatch */
  int pending_errno;
  int close_reason;
  int err;
  float linger_s; /* seconds; a float is plenty for a linger */

  short ev_mask;
  unsigned char rkind; /* enum gale__read_kind */
  unsigned char phase; /* enum gale__stream_phase, moved by stream_phase_to() */
  /* flags that are not the life cycle */
  bool r_partial : 1;
  bool wait_writable : 1; /* a write hit EAGAIN: wait for EV_WRITE */
  bool paused : 1;
  bool eof : 1;        /* read side saw EOF/error; `pending_reason` */
  bool new_data : 1;   /* input grew since the data hook last ran */
  bool deferred : 1;   /* the deferred callback is queued */
  bool not_socket : 1; /* recv/send failed with ENOTSOCK: readv/writev */
  bool has_files : 1;  /* a file segment was queued once: writes go
                             through libevent (sendfile) from then on */
};

/* ---- stream.c ---- */
static inline struct event_base *gale__stream_base(const gale_stream *s) {
  return event_get_base(&s->ev);
}
static inline size_t gale__buf_len(const struct evbuffer *b) {
  return b ? evbuffer_get_length(b) : 0;
}

/* Closed (or notified): the fd is gone and no more I/O happens. */
static inline bool gale__stream_is_closed(const gale_stream *s) {
  return s->phase >= GALE__SP_CLOSED;
}
GALE_INTERNAL void gale__stream_dispatch(gale_stream *s);
/* Marks the stream failed with `reason` (and errno); applied at once. */
GALE_INTERNAL void gale__stream_fail(gale_stream *s, int reason, int errnum);
/* Queue the deferred callback (dispatch on the next iteration). */
GALE_INTERNAL void gale__stream_schedule(gale_stream *s);
/* Re-evaluate which socket events the stream needs. */
GALE_INTERNAL void gale__stream_update_events(gale_stream *s);
GALE_INTERNAL void gale__stream_touch(gale_stream *s, bool read_progress);
GALE_INTERNAL void gale__stream_ref(gale_stream *s);
GALE_INTERNAL void gale__stream_unref(gale_stream *s);
GALE_INTERNAL bool gale__stream_wants_read(const gale_stream *s);

/* ---- stream_buf.c ---- */
/* The input / output buffer, made (or taken from the thread's cache) if the
 * stream has none; NULL when out of memory. */
GALE_INTERNAL struct evbuffer *gale__stream_in(gale_stream *s);
GALE_INTERNAL struct evbuffer *gale__stream_out(gale_stream *s);
/* Gives back the empty buffers (end of the outermost dispatch). */
GALE_INTERNAL void gale__stream_trim_buffers(gale_stream *s);
/* Gives back both buffers, whatever they hold (destroy). */
GALE_INTERNAL void gale__stream_give_buffers(gale_stream *s);
/* A stream of this thread is made / destroyed: the cache empties with the
 * last one. */
GALE_INTERNAL void gale__stream_buffers_hold(void);
GALE_INTERNAL void gale__stream_buffers_drop(void);
/* Empty buffers waiting in this thread's cache (for tests). */
GALE_INTERNAL size_t gale__stream_buffers_cached(void);
/* Frees the empty chain a reservation that read nothing left in s->in. */
GALE_INTERNAL void gale__stream_release_input(gale_stream *s);
/* errno of a failed socket call → a gale status. */
GALE_INTERNAL int gale__status_from_errno(int e);

/* ---- stream_read.c ---- */
/* Whether the pending read can complete now: 1 deliverable, 0 not yet, or a
 * negative status (GALE_EMAXBYTES...). */
GALE_INTERNAL int gale__read_ready(gale_stream *s);
/* Hands the pending read its result (ready must have said 1); runs user
 * code. */
GALE_INTERNAL void gale__read_deliver(gale_stream *s);
/* Completes the pending read on a closed stream (from buffer or failing). */
GALE_INTERNAL void gale__read_finish_closed(gale_stream *s, int reason);
GALE_INTERNAL void gale__read_clear(gale_stream *s);
/* Frees what reads keep between calls (the compiled regex); at destroy. */
GALE_INTERNAL void gale__read_free_cache(gale_stream *s);

/* ---- stream_sock.c ---- */
/* Writes s->out straight to the fd, at most `limit` bytes (UINT64_MAX: no
 * limit), until it is empty, the fd is full (wait_writable set) or the
 * per-dispatch budget is spent.  Returns 0 or a failure status (errno in
 * s->err).  The TLS transport uses it for the plaintext before an upgrade. */
GALE_INTERNAL int gale__sock_write(gale_stream *s, uint64_t limit);
GALE_INTERNAL extern const struct gale__transport gale__transport_sock;

/* ---- stream_tls.c ---- */
GALE_INTERNAL extern const struct gale__transport gale__transport_tls;

/* ---- tls_ctx.c ---- */
struct ssl_ctx_st;
GALE_INTERNAL struct ssl_ctx_st *gale__tls_ctx_ssl(gale_tls_ctx *ctx);
GALE_INTERNAL bool gale__tls_ctx_insecure(const gale_tls_ctx *ctx);

#endif
