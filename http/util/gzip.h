/* SPDX-License-Identifier: MIT */
/* http/util/gzip.h — streaming gzip for HTTP bodies (internal; not installed).
 *
 * Compression of responses (server) and decompression of responses (client)
 * and of request bodies (server, when asked), over zlib.
 *
 * Each zlib stream costs ~256 KiB (deflate) or ~40 KiB (inflate) of memory
 * (DESIGN.md): create one per body, and free it as soon as the body ends —
 * gale__gzip_finish() already releases zlib's state, so an idle object holds
 * only a few bytes.
 *
 * Output goes to a sink callback in pieces of at most GALE_GZIP_CHUNK bytes
 * from a buffer on the stack of the call: the sink must copy what it keeps
 * (e.g. evbuffer_add).  Nothing is buffered inside gale between calls except
 * zlib's own window.
 *
 * Decompression is capped (a decompression bomb guard, HARDENING.md): the
 * cap counts output bytes, after inflation; past it the call fails with
 * GALE_EHTTP_BODY_TOO_LARGE.  It accepts gzip and zlib ("deflate") streams,
 * detected from the first bytes, and concatenated gzip members.
 */
#ifndef GALE_HTTP_GZIP_H
#define GALE_HTTP_GZIP_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "gale/common.h"
#include "gale/error.h"

typedef struct gale_gzip gale_gzip;

/* Size of the stack buffer output is produced in. */
#define GALE_GZIP_CHUNK 16384

typedef enum gale_gzip_mode {
  GALE_GZIP_COMPRESS = 0,   /* produce a gzip stream */
  GALE_GZIP_DECOMPRESS = 1, /* read a gzip or zlib stream */
} gale_gzip_mode;

/* Receives output.  `data` is valid only during the call.  Return GALE_OK
 * to continue or a negative status to stop; that status is returned by the
 * gale__gzip_* call that produced the output. */
typedef int (*gale_gzip_sink_fn)(void *arg, const char *data, size_t len);

/* Creates a stream.  `level`: zlib level 1..9 for compression (0 or
 * negative: 6, zlib's default), ignored for decompression.  `max_output`:
 * decompression cap in bytes (0: GALE_GZIP_DEFAULT_MAX_OUTPUT); ignored for
 * compression.  Stores the new object in *out (free with gale__gzip_free).
 * Returns GALE_OK, GALE_EINVAL (bad argument), GALE_ENOMEM. */
#define GALE_GZIP_DEFAULT_MAX_OUTPUT (100ull * 1024 * 1024)
GALE_INTERNAL int gale__gzip_new(gale_gzip **out, gale_gzip_mode mode, int level,
                                 uint64_t max_output);

/* Feeds data[0..len) (borrowed for the call) and sends whatever output
 * zlib produces to `sink`.  Compression may produce nothing until enough
 * input accumulates; call gale__gzip_flush() to push it out.
 * Returns GALE_OK; GALE_EHTTP_DECOMPRESS (corrupt input, or data after the
 * end of the stream that is not another gzip member);
 * GALE_EHTTP_BODY_TOO_LARGE (output past max_output); GALE_ESTATE (after
 * finish or an error); GALE_ENOMEM; or the sink's own negative status.
 * Errors are sticky. */
GALE_INTERNAL int gale__gzip_write(gale_gzip *z, const void *data, size_t len,
                                   gale_gzip_sink_fn sink, void *arg);

/* Compression: emits everything compressed so far (Z_SYNC_FLUSH), for a
 * streaming response's flush().  Decompression: no-op.  Same returns as
 * gale__gzip_write(). */
GALE_INTERNAL int gale__gzip_flush(gale_gzip *z, gale_gzip_sink_fn sink, void *arg);

/* Ends the stream.  Compression: emits the rest and the gzip trailer.
 * Decompression: checks that the stream ended (a body cut short gives
 * GALE_EHTTP_TRUNCATED; an empty input is accepted as empty output).
 * Either way zlib's memory is released here; only gale__gzip_free() is left
 * to call.  Same returns as gale__gzip_write() plus GALE_EHTTP_TRUNCATED. */
GALE_INTERNAL int gale__gzip_finish(gale_gzip *z, gale_gzip_sink_fn sink, void *arg);

/* Bytes given to / produced by the stream so far. */
GALE_INTERNAL uint64_t gale__gzip_total_in(const gale_gzip *z);
GALE_INTERNAL uint64_t gale__gzip_total_out(const gale_gzip *z);

/* Frees the stream (finished or not).  NULL is fine. */
GALE_INTERNAL void gale__gzip_free(gale_gzip *z);

/* Whether a response of this Content-Type value (parameters allowed,
 * case-insensitive, e.g. "text/html; charset=utf-8") is worth compressing:
 * any text/ type, application/json, application/javascript,
 * application/xml, application/...+json, application/...+xml, image/svg+xml,
 * application/x-javascript, application/ecmascript, application/wasm...
 * Already-compressed types (images, video, zip, gzip) are not.  Tornado's
 * GZipContentEncoding list plus the usual suspects. */
GALE_INTERNAL bool gale__gzip_compressible_type(const char *ctype, size_t len);

/* Whether an Accept-Encoding value allows gzip (token "gzip" or "*" with a
 * q-value other than 0). */
GALE_INTERNAL bool gale__gzip_accepted(const char *accept_encoding, size_t len);

#endif
