/* SPDX-License-Identifier: MIT */
/* http/websocket/ws_deflate.h — permessage-deflate (RFC 7692), the
 * negotiation of its parameters and the message codec (internal; the
 * WebSocket connection layer calls it).
 *
 * Negotiation.  The client offers "permessage-deflate" with parameters in
 * Sec-WebSocket-Extensions (gale__ws_deflate_offer); the server picks the
 * first offer it can accept and answers with the parameters both sides
 * will use (gale__ws_deflate_negotiate); the client checks that answer
 * against what it offered and fails the connection if it is invalid (RFC
 * 7692 §5, gale__ws_deflate_accept).  Both sides end with the same
 * gale_ws_deflate_params, from which gale__ws_deflate_new makes the codec
 * for either role.
 *
 * Eight-bit windows.  zlib's raw deflate has no 256-byte window (windowBits
 * 8 is refused), so gale accepts max_window_bits=8 and compresses with 9
 * instead: a 9-bit zlib window is 512 bytes, but zlib never emits a match
 * farther back than the window minus its 262-byte lookahead, 250 bytes,
 * which a peer's 256-byte window holds (tests/test_ws_deflate.c inflates
 * such output with an 8-bit inflater).  Inflating always works with a
 * window at least as large as the peer's, so gale inflates with 9 there too.
 *
 * Codec.  A message is compressed as raw deflate flushed with Z_SYNC_FLUSH,
 * less the 00 00 ff ff that ends the flush (§7.2.1); inflating appends it
 * back (§7.2.2).  Output is capped as it is produced: a deflate bomb
 * (kilobytes that inflate to gigabytes) fails once max_out bytes came out,
 * and the output buffer never grows past the cap.  zlib streams are made on
 * first use (a deflate stream costs about 256 KiB at the default window and
 * memory level, an inflate stream about 40 KiB) and, when a side does not
 * take its context over, freed after every message, so an idle connection
 * holds none.
 *
 * Errors (each maps to a close code, gale__ws_deflate_close_code):
 *   GALE_ELIMIT          an inflated message passed max_out: 1009
 *   GALE_EHTTP_DECOMPRESS corrupt compressed data: 1007 (invalid frame
 *                        payload data, as Tornado and the Autobahn
 *                        testsuite expect)
 *   GALE_ENOMEM          zlib or the buffer could not allocate: 1011
 *   GALE_EBUFFULL        the output buffer's own max was reached: 1009
 * After any of them the codec direction that failed stays failed (its
 * stream is mid-message): the connection is to be closed.
 */
#ifndef GALE_WS_DEFLATE_H
#define GALE_WS_DEFLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gale/buf.h"
#include "gale/common.h"

/* What one negotiation agreed (RFC 7692 §7.1).  Window bits are 8..15; 15
 * when the parameter was not negotiated. */
typedef struct gale_ws_deflate_params {
  bool server_no_context_takeover; /* the server resets its compressor per message */
  bool client_no_context_takeover; /* the client resets its compressor per message */
  int server_max_window_bits;      /* the server compresses with at most this window */
  int client_max_window_bits;      /* the client compresses with at most this window */
} gale_ws_deflate_params;

/* How this side compresses and what it asks of the negotiation. */
typedef struct gale_ws_deflate_options {
  /* Offer (client) or accept (server) permessage-deflate at all.  Default
   * false: compression is opt-in (each stream costs memory). */
  bool enabled;
  /* zlib compression level 0..9, or -1 for zlib's default (6).  Default -1
   * (Tornado's compression_level default, zlib.Z_DEFAULT_COMPRESSION). */
  int level;
  /* zlib memLevel 1..9.  Default 8 (Tornado's mem_level default). */
  int mem_level;
  /* The parameters this side asks for.  A server puts them in its answer
   * whatever the offer said (the RFC lets it; client_max_window_bits only
   * when the offer named that parameter, as §7.1.2.2 requires); a client
   * puts them in its offer (server_max_window_bits and
   * server_no_context_takeover must then be in the answer).  0 window bits
   * = no request (15). */
  bool server_no_context_takeover;
  bool client_no_context_takeover;
  int server_max_window_bits;
  int client_max_window_bits;
  /* Messages shorter than this are sent uncompressed
   * (gale__ws_deflate_should_compress).  Default 0: every message is
   * compressed, as Tornado does. */
  size_t min_size;
} gale_ws_deflate_options;

typedef struct gale_ws_deflate gale_ws_deflate;

/* Fills the defaults above. */
GALE_INTERNAL void gale__ws_deflate_options_init(gale_ws_deflate_options *opts);

/* The params of a negotiation that named nothing: no reset, 15-bit windows. */
GALE_INTERNAL void gale__ws_deflate_params_init(gale_ws_deflate_params *params);

/* ---- negotiation ---------------------------------------------------------- */

/* Server side: reads the client's Sec-WebSocket-Extensions value (a
 * comma-separated list of extensions, each with ";"-separated parameters
 * whose values may be tokens or quoted strings; several header fields
 * joined with ", "; NULL or "" for none) and accepts the first
 * permessage-deflate offer whose parameters are all known, given at most
 * once, with values where they need one (window bits "8".."15", no leading
 * zero) and none on the two flags.  An offer breaking any of those is
 * declined and the next one considered; a syntax error in the list ends
 * the search (nothing after it is trusted).  On acceptance *out gets the agreed parameters and the
 * answer ("permessage-deflate; ...") is appended to `response_value`, and
 * the call returns true.  False (nothing written) when nothing was
 * acceptable, opts is NULL or not enabled, or memory ran out. */
GALE_INTERNAL bool gale__ws_deflate_negotiate(const char *sec_websocket_extensions_value,
                                              const gale_ws_deflate_options *opts,
                                              gale_ws_deflate_params *out,
                                              gale_buf *response_value);

/* Client side: appends the offer for `opts` to `offer_value`:
 * "permessage-deflate; client_max_window_bits" (the bare parameter lets
 * the server pick our window; "=N" when opts asks for N) plus the other
 * requests of opts.  Returns GALE_OK, GALE_ENOENT (not enabled: nothing
 * written), GALE_EINVAL (window bits outside 0, 8..15), GALE_ENOMEM /
 * GALE_EBUFFULL from the buffer. */
GALE_INTERNAL int gale__ws_deflate_offer(const gale_ws_deflate_options *opts,
                                         gale_buf *offer_value);

/* Client side: checks the server's Sec-WebSocket-Extensions answer against
 * the offer `opts` made.  GALE_OK with *out set when it accepts
 * permessage-deflate validly; GALE_ENOENT when the answer is NULL or empty
 * (no compression: the connection goes on uncompressed); GALE_EHTTP_PARSE
 * when it must fail the connection (§5): a syntax error, an extension not
 * offered, permessage-deflate twice, an unknown or repeated parameter, a
 * bad value, client_max_window_bits without a value or above what was
 * offered, server_max_window_bits above what was asked, or a request of
 * ours (server_no_context_takeover, server_max_window_bits) left out. */
GALE_INTERNAL int gale__ws_deflate_accept(const char *response_value,
                                          const gale_ws_deflate_options *opts,
                                          gale_ws_deflate_params *out);

/* ---- codec ---------------------------------------------------------------- */

/* A codec for one connection: compresses what this side sends and
 * inflates what the peer sends, per `params` (copied) in the given role.
 * `opts` gives the level, memory level and min_size (NULL = defaults).
 * NULL when out of memory or the params or options are out of range. */
GALE_INTERNAL gale_ws_deflate *gale__ws_deflate_new(const gale_ws_deflate_params *params,
                                                    bool server_role,
                                                    const gale_ws_deflate_options *opts);

/* True when a message of `len` bytes is worth compressing (len >=
 * min_size). */
GALE_INTERNAL bool gale__ws_deflate_should_compress(const gale_ws_deflate *d, size_t len);

/* Compresses one whole message msg[0..len) (len may be 0) and appends the
 * payload to send with RSV1 set to `out`.  Returns GALE_OK, GALE_ENOMEM,
 * GALE_EBUFFULL (out's max), GALE_EINVAL (NULL arguments), or the sticky
 * error of an earlier failure. */
GALE_INTERNAL int gale__ws_deflate_compress(gale_ws_deflate *d, const uint8_t *msg, size_t len,
                                            gale_buf *out);

/* Inflates one whole compressed message msg[0..len) (the payloads of its
 * frames joined) and appends the result to `out`, failing with GALE_ELIMIT
 * as soon as more than `max_out` bytes come out (`out` then holds at most
 * max_out more bytes than before, and its storage was never grown past
 * that).  A message ending in a final deflate block (BFINAL) is accepted:
 * what follows it is ignored and the next message starts a fresh stream.
 * Returns GALE_OK, GALE_ELIMIT, GALE_EHTTP_DECOMPRESS, GALE_ENOMEM,
 * GALE_EBUFFULL, GALE_EINVAL, or the sticky error of an earlier failure. */
GALE_INTERNAL int gale__ws_deflate_inflate(gale_ws_deflate *d, const uint8_t *msg, size_t len,
                                           size_t max_out, gale_buf *out);

/* The close code for a codec error (see the top of this file); 1011 for
 * anything else. */
GALE_INTERNAL int gale__ws_deflate_close_code(int status);

/* Which zlib streams the codec holds now: bit 0 the deflate stream, bit 1
 * the inflate stream (tests and memory accounting). */
GALE_INTERNAL unsigned gale__ws_deflate_streams(const gale_ws_deflate *d);

/* Frees the codec and its streams.  NULL is ignored. */
GALE_INTERNAL void gale__ws_deflate_free(gale_ws_deflate *d);

#endif
