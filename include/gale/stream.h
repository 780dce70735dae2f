/* SPDX-License-Identifier: MIT */
/* gale/stream.h — a buffered non-blocking stream over a socket (Tornado's
 * IOStream and SSLIOStream in one type).
 *
 * A gale_stream owns a connected, non-blocking socket and two buffers.  Reads
 * are one at a time, as in Tornado: issue one (read_until, read_bytes, ...),
 * get its callback, issue the next.  Writes queue without limit (or up to
 * max_write_buffer_size) and are flushed by the loop; a write's callback runs
 * when everything queued up to and including it has reached the kernel.
 *
 * TLS: gale_stream_start_tls() turns a plain stream into a TLS stream in
 * place; every other call works the same on both (see gale/tls.h).
 *
 * ---- Life cycle and ownership -------------------------------------------
 * gale_stream_new() takes the fd.  The stream closes itself when the peer
 * closes (GALE_EOF), on a socket error (GALE_ECONNRESET, GALE_EPIPE,
 * GALE_ESYS + errno), on buffer overflow (GALE_EBUFFULL), on a timeout
 * (GALE_ETIMEDOUT_READ / _IDLE / _TLS) or a TLS failure (GALE_ETLS_*), or
 * when you call gale_stream_close().  Closing, in order:
 *   1. the fd is closed (after one TLS close_notify where applicable);
 *   2. a pending read completes if the buffered data satisfies it (a
 *      read_until_close gets everything with GALE_OK), otherwise its
 *      callback gets the close reason; pending write callbacks get the
 *      reason (both get GALE_ECANCELLED after gale_stream_close());
 *   3. the close callback runs with the reason (GALE_OK when you closed it);
 *   4. the memory is freed when the close callback has returned and every
 *      reference taken with gale_stream_ref() has been dropped.
 * So without extra references the handle is valid until the close callback
 * returns; drop it there.  None of these callbacks runs inside the call that
 * caused it (gale_stream_close() defers them to the next loop iteration).
 * Closing or unreferencing from inside any stream callback is safe.
 *
 * Data left in the read buffer when the stream closes stays readable: a
 * read issued on a closed stream (e.g. from the close callback, or later
 * through a reference) completes from the buffer, or fails with the close
 * reason, on the next loop iteration.
 *
 * ---- Data handed to read callbacks --------------------------------------
 * `data` is borrowed: valid only until the callback returns (it usually
 * points straight into the stream's buffer, made contiguous with
 * evbuffer_pullup, so nothing is copied).  Copy what you keep.  The bytes are
 * NOT NUL-terminated (futures' results are).  On failure `data` is NULL and
 * `len` 0, except for read_until_close, which also hands over what was
 * buffered.
 *
 * ---- Memory --------------------------------------------------------------
 * Buffers release their memory when they become empty: an idle stream
 * costs its struct and two empty evbuffer headers, about 820 bytes of heap
 * for a plain stream (bench/idle.sh, 10,000 connections; a libevent
 * bufferevent costs about 1,010).  TLS adds OpenSSL's per-connection state;
 * its record buffers are released while idle (SSL_MODE_RELEASE_BUFFERS).
 *
 * ---- I/O ---------------------------------------------------------------
 * The stream reads only while a read is pending (or a close callback is set
 * and nothing is buffered, to notice the peer closing), 64 KiB per readv
 * into the buffer's own memory, until EAGAIN or 1 MiB per wake-up.  So a
 * peer that closes while unread data sits in the buffer and no read is
 * pending is noticed when a read next needs more data (as in Tornado).  Writes
 * are gathered: everything queued during one callback (or one loop
 * iteration) leaves in one writev/sendfile.
 *
 * Thread safety: none; a stream belongs to its loop's thread.
 */
#ifndef GALE_STREAM_H
#define GALE_STREAM_H

#include <sys/socket.h>

#include "gale/common.h"
#include "gale/error.h"
#include "gale/loop.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gale_stream gale_stream;
typedef struct gale_tls_ctx gale_tls_ctx;

/* Defaults (Tornado's where it has one). */
#define GALE_STREAM_DEFAULT_MAX_BUFFER_SIZE ((size_t)100 * 1024 * 1024) /* 100 MiB */
#define GALE_STREAM_DEFAULT_READ_CHUNK_SIZE ((size_t)64 * 1024)         /* 64 KiB */

typedef struct gale_stream_options {
  /* Most bytes the read buffer may hold; more closes the stream with
   * GALE_EBUFFULL.  Default 100 MiB.  0 means the default. */
  size_t max_buffer_size;
  /* Most bytes the write buffer may hold before gale_stream_write() and
   * gale_stream_write_ref() refuse with GALE_EBUFFULL.  0 (default) =
   * unlimited, as Tornado. */
  size_t max_write_buffer_size;
  /* Bytes asked of the kernel per read call.  Default 64 KiB. 0 = default. */
  size_t read_chunk_size;
  /* Close with GALE_ETIMEDOUT_IDLE after this many seconds without any byte
   * read or written.  0 (default) = never.  Streams sharing a duration share
   * one O(1) libevent timer queue (event_base_init_common_timeout). */
  double idle_timeout;
  /* Close with GALE_ETIMEDOUT_READ when a read is pending and no byte has
   * arrived for this many seconds.  0 (default) = never. */
  double read_timeout;
  GALE_RESERVED(8); /* room for fields added later (README: ABI) */
} gale_stream_options;

/* Fills `opts` with the defaults above. */
GALE_EXPORT void gale_stream_options_init(gale_stream_options *opts);

/* ---- callbacks ----------------------------------------------------------- */

/* Completion of a read.  status GALE_OK with the data (borrowed, see above),
 * or an error: the close reason, GALE_EMAXBYTES (the delimiter was not found
 * within max_bytes: the stream is closed with that reason too, as Tornado).
 * For the streaming read (gale_stream_read_chunks) it runs once per chunk
 * with GALE_OK and a last time with the close reason (GALE_EOF for a clean
 * end of stream), data NULL. */
typedef void (*gale_stream_read_cb)(gale_stream *stream, int status, const char *data, size_t len,
                                    void *arg);

/* Completion of a write or flush: GALE_OK once everything queued up to that
 * call has been handed to the kernel (for TLS: encrypted and sent), or the
 * close reason (GALE_ECANCELLED after gale_stream_close()). */
typedef void (*gale_stream_write_cb)(gale_stream *stream, int status, void *arg);

/* The stream has closed for `reason` (GALE_OK: gale_stream_close() was
 * called).  gale_stream_get_errno() tells the errno behind GALE_ESYS /
 * GALE_ECONNRESET style reasons. */
typedef void (*gale_stream_close_cb)(gale_stream *stream, int reason, void *arg);

/* ---- construction -------------------------------------------------------- */

/* Wraps a connected socket.  `fd` must be non-blocking (it is not changed);
 * on success the stream owns it and closes it; on failure it is still the
 * caller's.  `opts` may be NULL (defaults); it is copied.  *out receives a
 * stream holding one reference that the stream itself drops when it closes
 * (see the life cycle above).
 * Returns GALE_OK, GALE_EINVAL (NULL loop/out, fd < 0, negative timeouts),
 * GALE_ENOMEM. */
GALE_EXPORT int gale_stream_new(gale_loop *loop, int fd, const gale_stream_options *opts,
                                gale_stream **out);

/* Keeps the stream's memory alive after it closes (calls on a closed stream
 * return GALE_ECLOSED, getters keep working).  Returns `stream`. */
GALE_EXPORT gale_stream *gale_stream_ref(gale_stream *stream);
/* Drops a reference taken with gale_stream_ref().  NULL is ignored. */
GALE_EXPORT void gale_stream_unref(gale_stream *stream);

/* Sets the close callback (replacing any earlier one; NULL removes it).
 * Setting one also makes an otherwise idle stream watch its socket so a peer
 * closing is noticed at once.  On a closed stream whose callback has not run
 * yet, the new one is what runs; once it has run, this does nothing. */
GALE_EXPORT void gale_stream_set_close_cb(gale_stream *stream, gale_stream_close_cb cb, void *arg);

/* Closes the stream: TLS close_notify (one SSL_shutdown, not waited on), fd
 * closed, pending operations completed as described above, then the close
 * callback with GALE_OK, all on the next loop iteration.  Data still queued
 * for writing is dropped: flush first (gale_stream_flush) for a graceful
 * close.  Closing a closed stream does nothing.  Returns GALE_OK or
 * GALE_EINVAL (NULL). */
GALE_EXPORT int gale_stream_close(gale_stream *stream);

/* True once the stream has closed (for any reason). */
GALE_EXPORT bool gale_stream_closed(const gale_stream *stream);

/* The close reason (GALE_OK while open or after gale_stream_close()). */
GALE_EXPORT int gale_stream_close_reason(const gale_stream *stream);

/* The errno behind the last failure (0 if none came from a system call). */
GALE_EXPORT int gale_stream_get_errno(const gale_stream *stream);

/* ---- reads (one pending at a time; each returns GALE_OK, GALE_EINVAL,
 * GALE_EBUSY if a read is already pending, GALE_ENOMEM; on a closed stream
 * the read is attempted from buffered data and otherwise completes with the
 * close reason, so they do not return GALE_ECLOSED) ----------------------- */

/* Reads up to and including `delim` (`delim_len` bytes, 1..128, copied).
 * `max_bytes` (0 = no limit other than max_buffer_size): if that many bytes
 * are buffered without the delimiter completing within them, the read fails
 * with GALE_EMAXBYTES and the stream closes.  The search resumes where the
 * last one stopped minus delim_len - 1, so a line arriving in many pieces
 * costs linear time. */
GALE_EXPORT int gale_stream_read_until(gale_stream *stream, const void *delim, size_t delim_len,
                                       size_t max_bytes, gale_stream_read_cb cb, void *arg);

/* Reads up to and including the end of the first match of the PCRE2
 * `pattern` (compiled with PCRE2_JIT where available, and kept: a stream
 * reading with the same pattern again does not compile it again; the
 * subject is matched as bytes, no UTF check).  A match that could grow with
 * more input ("d+" at the end of the buffer) waits for that input.  Why PCRE2 and not POSIX
 * regex: POSIX regexec needs a NUL-terminated string and cannot say "this
 * could still match with more input", so every arrival would re-scan the
 * whole buffer; PCRE2's partial matching (PCRE2_PARTIAL_HARD) reports where a
 * possible match starts, so the next search resumes there and the total work
 * stays linear in the data for typical patterns.  `max_bytes` as for
 * read_until.  Returns also GALE_EINVAL with a bad pattern (the PCRE2
 * message is logged). */
GALE_EXPORT int gale_stream_read_until_regex(gale_stream *stream, const char *pattern,
                                             size_t max_bytes, gale_stream_read_cb cb, void *arg);

/* Reads exactly `n` bytes (n > 0), or with `partial` as soon as 1..n bytes
 * are available. */
GALE_EXPORT int gale_stream_read_bytes(gale_stream *stream, size_t n, bool partial,
                                       gale_stream_read_cb cb, void *arg);

/* Reads into the caller's `buf` (`len` > 0 bytes, borrowed until the
 * callback): exactly `len` bytes, or with `partial` as soon as some are
 * available.  Data already buffered is copied first; the rest goes straight
 * from the socket into `buf` where possible.  The callback's `data` is
 * `buf` and `len` the number of bytes filled. */
GALE_EXPORT int gale_stream_read_into(gale_stream *stream, void *buf, size_t len, bool partial,
                                      gale_stream_read_cb cb, void *arg);

/* Reads everything until the peer closes; the callback gets it all with
 * GALE_OK on a clean close (GALE_EOF; for TLS, close_notify received), or the
 * error with whatever was buffered (e.g. GALE_ETLS_TRUNCATED: the TLS peer
 * closed without close_notify, so the data may be cut short).  Bounded by
 * max_buffer_size. */
GALE_EXPORT int gale_stream_read_until_close(gale_stream *stream, gale_stream_read_cb cb,
                                             void *arg);

/* Streaming read: the callback gets each batch of data as it arrives
 * (GALE_OK, borrowed, consumed when the callback returns), then once more
 * with the close reason and no data (GALE_EOF for a clean end).  It stays
 * the pending read until the stream closes or gale_stream_read_stop(). */
GALE_EXPORT int gale_stream_read_chunks(gale_stream *stream, gale_stream_read_cb cb, void *arg);

/* Cancels the pending read of any kind without calling its callback
 * (buffered data stays buffered for the next read).  Returns GALE_OK or
 * GALE_ESTATE when no read is pending. */
GALE_EXPORT int gale_stream_read_stop(gale_stream *stream);

/* True while a read is pending. */
GALE_EXPORT bool gale_stream_reading(const gale_stream *stream);

/* Bytes received and not yet consumed by a read. */
GALE_EXPORT size_t gale_stream_read_buffer_size(const gale_stream *stream);

/* Stops watching the socket for input (a pending read stays pending, bytes
 * wait in the kernel, applying TCP flow control to the peer) / starts again.
 * Both return GALE_OK or GALE_ECLOSED. */
GALE_EXPORT int gale_stream_pause_reading(gale_stream *stream);
GALE_EXPORT int gale_stream_resume_reading(gale_stream *stream);

/* ---- futures (each read above as a gale_future) -------------------------- */

/* The result of a read future: a malloc'd block owned by the future (freed
 * with it).  `data` points just past the struct (NUL-terminated after
 * `len`), except for read_into where it is the caller's buffer. */
typedef struct gale_stream_data {
  size_t len;
  char *data;
} gale_stream_data;

/* Each returns a new future (one reference for the caller) or NULL when
 * the read could not start (bad arguments, GALE_EBUSY, no memory: the
 * status is then stored in *status_out if not NULL).  The future fails with
 * the read's error status.  Cancelling the future stops the read as
 * gale_stream_read_stop() does. */
GALE_EXPORT gale_future *gale_stream_read_until_future(gale_stream *stream, const void *delim,
                                                       size_t delim_len, size_t max_bytes,
                                                       int *status_out);
GALE_EXPORT gale_future *gale_stream_read_until_regex_future(gale_stream *stream,
                                                             const char *pattern, size_t max_bytes,
                                                             int *status_out);
GALE_EXPORT gale_future *gale_stream_read_bytes_future(gale_stream *stream, size_t n, bool partial,
                                                       int *status_out);
GALE_EXPORT gale_future *gale_stream_read_into_future(gale_stream *stream, void *buf, size_t len,
                                                      bool partial, int *status_out);
GALE_EXPORT gale_future *gale_stream_read_until_close_future(gale_stream *stream, int *status_out);
/* Resolves (result NULL) when everything queued so far has been flushed. */
GALE_EXPORT gale_future *gale_stream_flush_future(gale_stream *stream, int *status_out);

/* ---- writes -------------------------------------------------------------- */

/* Queues a copy of `len` bytes (len may be 0: then it only waits for the
 * queue to drain).  `cb` (may be NULL) runs once everything queued so far,
 * this included, has been written, or with the close reason.
 * Back-pressure: with max_write_buffer_size set, a write that would take the
 * queue past it is refused with GALE_EBUFFULL and nothing is queued (the
 * stream stays open); wait for the callback of an earlier write (or
 * gale_stream_flush()) and try again.  gale_stream_write_buffer_size() tells
 * how much is queued.
 * Returns GALE_OK, GALE_EINVAL, GALE_ECLOSED, GALE_EBUFFULL, GALE_ENOMEM. */
GALE_EXPORT int gale_stream_write(gale_stream *stream, const void *data, size_t len,
                                  gale_stream_write_cb cb, void *arg);

/* Like gale_stream_write() but by reference, without copying: `data` must
 * stay valid and unchanged until gale calls free_fn(data) (may be NULL:
 * then until the write's callback or the close callback).  free_fn is called
 * exactly once when gale is done with it — after it was sent or when the
 * stream closes — except when this returns an error: then `data` stays the
 * caller's and free_fn is not called. */
GALE_EXPORT int gale_stream_write_ref(gale_stream *stream, const void *data, size_t len,
                                      gale_free_fn free_fn, gale_stream_write_cb cb, void *arg);

/* Queues `len` bytes of the open file `file_fd` from `offset` (len 0 = to
 * the end of the file).  Plain streams send it with sendfile(2), never
 * through user space; TLS streams map (or read) it and encrypt it.  On
 * success the stream owns file_fd and closes it when done; on failure it is
 * still the caller's.  The bytes count toward max_write_buffer_size for later
 * writes, but write_file itself is never refused for size.
 * Returns GALE_OK, GALE_EINVAL (bad fd, offset past the end), GALE_ECLOSED,
 * GALE_ESYS (fstat failed; errno kept), GALE_ENOMEM. */
GALE_EXPORT int gale_stream_write_file(gale_stream *stream, int file_fd, uint64_t offset,
                                       uint64_t len, gale_stream_write_cb cb, void *arg);

/* Calls cb once everything queued so far has been written (at once, on the
 * next iteration, if nothing is queued).  Returns GALE_OK, GALE_EINVAL,
 * GALE_ECLOSED, GALE_ENOMEM. */
GALE_EXPORT int gale_stream_flush(gale_stream *stream, gale_stream_write_cb cb, void *arg);

/* True while data is queued for writing. */
GALE_EXPORT bool gale_stream_writing(const gale_stream *stream);

/* Bytes queued for writing (files included). */
GALE_EXPORT size_t gale_stream_write_buffer_size(const gale_stream *stream);

/* ---- socket options, timeouts, addresses, user data ----------------------- */

/* TCP_NODELAY on or off (Tornado's set_nodelay).  Returns GALE_OK,
 * GALE_ECLOSED, GALE_ESYS (e.g. not a TCP socket; errno kept). */
GALE_EXPORT int gale_stream_set_nodelay(gale_stream *stream, bool on);

/* SO_KEEPALIVE on or off; when on, `idle`, `interval` (seconds) and `count`
 * set TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT where > 0 (0 keeps the
 * system's).  Returns GALE_OK, GALE_EINVAL, GALE_ECLOSED, GALE_ESYS. */
GALE_EXPORT int gale_stream_set_keepalive(gale_stream *stream, bool on, int idle, int interval,
                                          int count);

/* Change the idle / read timeouts (seconds, 0 = off) of an open stream; the
 * idle countdown restarts now.  Returns GALE_OK, GALE_EINVAL (negative),
 * GALE_ECLOSED, GALE_ENOMEM. */
GALE_EXPORT int gale_stream_set_idle_timeout(gale_stream *stream, double seconds);
GALE_EXPORT int gale_stream_set_read_timeout(gale_stream *stream, double seconds);

/* The peer's / our address (getpeername / getsockname, cached after the
 * first call so they still answer once closed).  *len is in/out as for
 * getpeername.  Returns GALE_OK, GALE_EINVAL, GALE_ESYS (errno kept). */
GALE_EXPORT int gale_stream_peer_addr(gale_stream *stream, struct sockaddr *addr, socklen_t *len);
GALE_EXPORT int gale_stream_local_addr(gale_stream *stream, struct sockaddr *addr, socklen_t *len);

/* The fd (still owned by the stream), or -1 once closed. */
GALE_EXPORT int gale_stream_fd(const gale_stream *stream);
GALE_EXPORT gale_loop *gale_stream_loop(const gale_stream *stream);

/* An opaque pointer for the caller; gale never touches it. */
GALE_EXPORT void gale_stream_set_user_data(gale_stream *stream, void *data);
GALE_EXPORT void *gale_stream_get_user_data(const gale_stream *stream);

#ifdef __cplusplus
}
#endif

#endif
