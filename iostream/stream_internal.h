/* SPDX-License-Identifier: MIT */
/* iostream/stream_internal.h — what the HTTP layer (and the TCP server and
 * client) may use of gale_stream beyond the public API.
 *
 * The HTTP/1 connection parses requests in place in the stream's input
 * evbuffer instead of going through one read call per line, and appends
 * responses straight to the output evbuffer so that everything produced
 * while handling one read (pipelined requests) leaves in one write.
 *
 * Rules:
 * - The data hook and the public reads exclude each other: while a hook is
 *   set, public reads return GALE_EBUSY; gale__stream_set_data_cb() returns
 *   GALE_EBUSY while a public read is pending.
 * - Plaintext on both sides: on a TLS stream the input buffer holds
 *   decrypted bytes and the output buffer is encrypted on its way out.
 * - The same life cycle as the public API: the close callback is where the
 *   owner learns of EOF / errors; the input buffer stays readable inside it
 *   (close-delimited bodies).
 */
#ifndef GALE_IOSTREAM_STREAM_INTERNAL_H
#define GALE_IOSTREAM_STREAM_INTERNAL_H

#include <event2/buffer.h>

#include "gale/stream.h"

/* Called after each batch of reads (everything readable in one wake-up, up
 * to the per-wake-up budget) with the input buffer: drain what you consume,
 * leave the rest for the next call.  Also called once right after the hook
 * is set (on the next loop iteration) if input is already buffered, and
 * after gale_stream_resume_reading() when input is buffered.  Writes queued
 * from inside the hook are flushed together when it returns.  The stream may
 * be closed or unreferenced from inside.  While the hook is set the stream
 * reads whenever it is not paused (watching for the peer closing too);
 * pause it (gale_stream_pause_reading) to stop reading, e.g. while the
 * output is over a high-water mark.  max_buffer_size still applies. */
typedef void (*gale__stream_data_cb)(gale_stream *stream, struct evbuffer *input, void *arg);

/* Sets (cb != NULL) or removes (cb == NULL) the data hook.  Returns GALE_OK,
 * GALE_EINVAL, GALE_ECLOSED, GALE_EBUSY (a public read is pending). */
GALE_INTERNAL int gale__stream_set_data_cb(gale_stream *stream, gale__stream_data_cb cb, void *arg);

/* The input buffer (plaintext received, not consumed).  Borrowed; valid
 * while the stream's memory is.  Drain it only from the data hook, the close
 * callback, or when no public read is pending. */
GALE_INTERNAL struct evbuffer *gale__stream_input(gale_stream *stream);

/* The output buffer: append with evbuffer_add / evbuffer_add_reference /
 * evbuffer_add_buffer (never drain it).  Anything appended is sent at the
 * end of the current stream callback, or on the next loop iteration when
 * appended from elsewhere; gale__stream_flush() also schedules it and tells
 * when it has all been written.  Files: use gale_stream_write_file() (it
 * picks sendfile or the TLS read-through).  Borrowed; NULL once closed. */
GALE_INTERNAL struct evbuffer *gale__stream_output(gale_stream *stream);

/* Schedules a write of everything in the output buffer and calls cb (may be
 * NULL) when it has all been written, or with the close reason.  Same as
 * gale_stream_flush(); named here to pair with gale__stream_output(). */
GALE_INTERNAL int gale__stream_flush(gale_stream *stream, gale_stream_write_cb cb, void *arg);

/* Closes after the output buffer has been written (or the stream failed),
 * half-closing the write side first (shutdown(SHUT_WR) / TLS close_notify)
 * and then discarding input for up to `linger` seconds so the peer reads our
 * last bytes instead of a reset (lingering close, RFC 9112 §9.6).  The close
 * callback gets GALE_OK.  Returns GALE_OK, GALE_EINVAL, GALE_ECLOSED. */
GALE_INTERNAL int gale__stream_close_after_flush(gale_stream *stream, double linger);

/* A close hook for the stream's creator (the TCP server's connection
 * tracking), independent of the public close callback: runs once when the
 * stream closes, right after the public close callback (same reason), never
 * inside the call that closed it.  NULL removes it, also from inside the
 * public close callback.  Does nothing once the close was notified.
 * (Added by tcpserver.) */
GALE_INTERNAL void gale__stream_set_close_hook(gale_stream *stream, gale_stream_close_cb cb,
                                               void *arg);

/* Makes the stream report these addresses (copied) as its peer's and its
 * own instead of the socket's: the client and the address it reached as a
 * PROXY protocol header tells them, or the peer accept() returned.  A
 * length of 0 leaves that address to the socket (asked when first needed).
 * Returns GALE_OK, GALE_EINVAL (longer than a sockaddr_storage),
 * GALE_ECLOSED, GALE_ENOMEM. */
GALE_INTERNAL int gale__stream_set_addrs(gale_stream *stream, const struct sockaddr *peer,
                                         socklen_t peer_len, const struct sockaddr *local,
                                         socklen_t local_len);

/* A list node kept inside every stream for its creator (the TCP server
 * links its connections through it), so tracking a stream allocates
 * nothing.  Unused (and not initialised) unless the creator links it. */
struct gale__stream_link {
  struct gale__stream_link *prev, *next;
};
GALE_INTERNAL struct gale__stream_link *gale__stream_link(gale_stream *stream);
/* The stream a node belongs to. */
GALE_INTERNAL gale_stream *gale__stream_from_link(struct gale__stream_link *link);

#endif
