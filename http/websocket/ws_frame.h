/* SPDX-License-Identifier: MIT */
/* http/websocket/ws_frame.h — the WebSocket frame codec (RFC 6455 §5),
 * shared by the server and the client side (internal).
 *
 * The parser is incremental and strict: it takes whatever bytes arrived,
 * and either needs more, hands back one complete frame, or fails with the
 * close code the RFC asks for (gale_ws_parser.close_code):
 *
 *   1002  a frame of the wrong masking for the role (§5.1), a reserved bit
 *         set that no extension defined (§5.2; RSV1 is permessage-deflate's
 *         on the first frame of a message, RFC 7692 §6), an unknown opcode,
 *         a control frame fragmented or over 125 bytes (§5.5), a 64-bit
 *         length with its top bit set, a continuation with no message
 *         started or a new message inside one (§5.4), a close payload of one
 *         byte or with a code that may not be sent (§7.4)
 *   1007  a close reason that is not UTF-8 (§8.1)
 *   1009  a frame longer than max_frame_size, or a data payload that would
 *         take the caller's gale_buf past its max (set max to the largest
 *         message: the fragments of one message append to one buffer)
 *
 * Data payloads are unmasked into the caller's gale_buf as they arrive
 * (fragments of one message simply append); a control frame's payload (at
 * most 125 bytes) is kept in the parser, since it may arrive between the
 * fragments of a message.  UTF-8 of text messages is the connection's to
 * check (after inflation when compressed).
 */
#ifndef GALE_WS_FRAME_H
#define GALE_WS_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gale/buf.h"
#include "gale/common.h"

typedef enum gale_ws_opcode {
  GALE_WS_CONTINUATION = 0x0,
  GALE_WS_TEXT = 0x1,
  GALE_WS_BINARY = 0x2,
  GALE_WS_CLOSE = 0x8,
  GALE_WS_PING = 0x9,
  GALE_WS_PONG = 0xA,
} gale_ws_opcode;

/* Close codes of RFC 6455 §7.4.1 that gale sends. */
enum {
  GALE_WS_CLOSE_NORMAL = 1000,
  GALE_WS_CLOSE_GOING_AWAY = 1001,
  GALE_WS_CLOSE_PROTOCOL = 1002,
  GALE_WS_CLOSE_UNSUPPORTED = 1003,
  GALE_WS_CLOSE_NO_STATUS = 1005, /* reported, never sent */
  GALE_WS_CLOSE_ABNORMAL = 1006,  /* reported, never sent */
  GALE_WS_CLOSE_INVALID_DATA = 1007,
  GALE_WS_CLOSE_POLICY = 1008,
  GALE_WS_CLOSE_TOO_BIG = 1009,
  GALE_WS_CLOSE_EXTENSION = 1010,
  GALE_WS_CLOSE_INTERNAL = 1011,
};

/* The largest frame header: 2 + 8 (length) + 4 (mask). */
#define GALE_WS_MAX_HEADER 14
#define GALE_WS_MAX_CONTROL 125

typedef struct gale_ws_frame {
  gale_ws_opcode opcode; /* CONTINUATION for the later fragments */
  bool fin;
  bool rsv1;              /* compressed (first frame of a message only) */
  uint64_t len;           /* payload bytes */
  const uint8_t *control; /* a control frame's payload (len bytes), else NULL */
} gale_ws_frame;

typedef struct gale_ws_parser {
  /* Settings, from gale_ws_parser_init(); may be changed between frames. */
  bool server;     /* frames from a client: must be masked */
  bool allow_rsv1; /* permessage-deflate was negotiated */
  uint64_t max_frame_size;
  /* The close code of the failure (0 until then). */
  int close_code;
  const char *error; /* a static English reason, for logs */
  /* Internal. */
  uint8_t state;
  uint8_t head[GALE_WS_MAX_HEADER];
  uint8_t head_len, head_need;
  bool in_message; /* a fragmented data message is open */
  gale_ws_frame frame;
  uint8_t mask[4];
  bool masked;
  uint64_t remaining, offset;
  uint8_t control[GALE_WS_MAX_CONTROL];
} gale_ws_parser;

/* server: true on the server side (expects masked frames), false on the
 * client's (expects unmasked ones). */
GALE_INTERNAL void gale_ws_parser_init(gale_ws_parser *p, bool server, uint64_t max_frame_size);

/* Parses from in[0..len): *used is set to the bytes consumed.  Returns
 * GALE_OK with *frame filled when a frame is complete (a data frame's
 * payload appended to `payload`; call again with the rest of the input),
 * GALE_EAGAIN when all of the input was consumed without completing one (a
 * data frame's payload so far appended), GALE_ENOMEM (the buffer), or
 * GALE_EHTTP_PARSE with close_code and error set; the parser then stays
 * failed. */
GALE_INTERNAL int gale_ws_parse(gale_ws_parser *p, const uint8_t *in, size_t len, size_t *used,
                                gale_buf *payload, gale_ws_frame *frame);

/* Writes a frame header into out (room for GALE_WS_MAX_HEADER bytes) and
 * returns its length.  mask: the 4-byte masking key (a client's frames)
 * or NULL (a server's). */
GALE_INTERNAL size_t gale_ws_frame_header(uint8_t *out, gale_ws_opcode opcode, bool fin, bool rsv1,
                                          uint64_t len, const uint8_t *mask);

/* XORs data[0..n) with the masking key, as if it started at byte `offset`
 * of the payload (RFC 6455 §5.3).  Masking and unmasking are the same. */
GALE_INTERNAL void gale_ws_mask(uint8_t *data, size_t n, const uint8_t mask[4], uint64_t offset);

/* True for a close code a peer may send (1000-1003, 1007-1014, 3000-4999). */
GALE_INTERNAL bool gale_ws_close_code_valid(int code);

#endif
