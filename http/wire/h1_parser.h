/* SPDX-License-Identifier: MIT */
/* http/wire/h1_parser.h — the HTTP/1.x message parser shared by the server and the
 * client (internal; not installed).
 *
 * Shape (STYLE.md habit 9, picohttpparser's): pure functions over bytes.  No
 * loop, no allocation, no copy.  The caller owns the input buffer; every span
 * the parser reports points into it and stays valid only while the caller
 * keeps those bytes where they are.
 *
 * A message is read in two steps:
 *
 *   1. The head.  gale_h1_parse_head() is called with everything received so
 *      far for this message (always starting at the message's first byte).
 *      It answers GALE_EAGAIN until the blank line that ends the head has
 *      arrived, then parses the whole head in one pass and fills a
 *      gale_h1_msg: spans for method/target/version or status/reason, an
 *      array of header spans (the caller's array), and the framing and
 *      connection semantics (body kind, Content-Length, keep-alive, Expect,
 *      Upgrade, Host).  Between calls the parser remembers how far it has
 *      scanned, so a byte-by-byte sender costs O(n) in total, not O(n^2)
 *      (below 512 buffered bytes an incomplete head is simply re-parsed,
 *      which rejects garbage at once), and limits are enforced before the
 *      bytes are buffered further.
 *      The caller may move its buffer between calls (the parser keeps
 *      offsets, never pointers, across calls).
 *
 *   2. The body.  gale_h1_body_init() from the parsed message, then
 *      gale_h1_body_decode() on whatever follows the head; it hands back
 *      spans of body data inside the input (zero-copy, chunk framing
 *      stripped), and says where the body ends, so pipelined messages that
 *      follow in the same buffer are left untouched.
 *
 * Strictness (RFC 9112 and ../shared/HARDENING.md; each rule has a test in
 * tests/test_h1_parser.c):
 *   - Lines end in CRLF.  A bare LF or a bare CR anywhere in the head is an
 *     error (GALE_EHTTP_PARSE).  Leading empty lines (CRLF) before a request
 *     line are skipped (RFC 9112 §2.2), at most 8 of them.
 *   - Request line: token SP target SP "HTTP/" DIGIT "." DIGIT, exactly one
 *     SP each.  Major version other than 1 → GALE_EHTTP_VERSION (505); no
 *     HTTP/0.9.  A minor version above 1 is read as HTTP/1.1.
 *   - Target: visible ASCII (0x21-0x7E) except '#'.  Origin form ("/..."),
 *     absolute form ("scheme://authority/..."; its authority becomes
 *     msg->host and wins over Host), authority form only with CONNECT, and
 *     "*" only with OPTIONS.  Anything else → GALE_EHTTP_PARSE.
 *   - Status line: "HTTP/1.x" SP 3DIGIT [SP reason]; reason is
 *     HTAB / SP / VCHAR / obs-text.
 *   - Field lines: token ":" OWS value OWS.  Whitespace before the colon,
 *     a line starting with SP/HTAB (obs-fold), an empty name, or a value
 *     holding a CTL other than HTAB (NUL, CR, DEL...) → GALE_EHTTP_PARSE.
 *     Only SP and HTAB are trimmed around values.
 *   - Content-Length: ASCII digits only (no sign, no space, no "0x", not
 *     empty), overflow-checked.  In a request any second Content-Length
 *     (a repeated field or a "5, 5" list, even with equal values) is
 *     rejected — RFC 9110 §8.6 allows rejecting, and nginx does the same.
 *     In a response equal repeated values are accepted, differing ones are
 *     an error.
 *   - Transfer-Encoding (all fields together form one list, empty list
 *     elements ignored).  Request: must end in exactly one "chunked", else
 *     GALE_EHTTP_PARSE (400); another coding before chunked ("gzip,
 *     chunked") → GALE_EHTTP_ENCODING (501); Content-Length as well →
 *     GALE_EHTTP_PARSE (400); any Transfer-Encoding in HTTP/1.0 → 400.
 *     Response: chunked final → chunked (Content-Length ignored, and the
 *     connection is not kept alive if both came); otherwise the body runs
 *     until close.
 *   - Host (requests): HTTP/1.1 needs exactly one Host field; missing,
 *     repeated or with a value that is not host[:port] (reg-name, IPv4,
 *     or [IPv6]) → GALE_EHTTP_PARSE.  HTTP/1.0 may omit it.
 *
 * Limits (gale_h1_limits, Tornado's defaults):
 *   - max_start_line: the request line (or status line) alone.  Past it →
 *     GALE_EHTTP_URI_TOO_LONG (414) for requests, GALE_EHTTP_HEADER_TOO_LARGE
 *     for responses.
 *   - max_header_size: the whole head including the start line and the
 *     blank line → GALE_EHTTP_HEADER_TOO_LARGE (431).
 *   - max_headers: field lines → GALE_EHTTP_HEADER_TOO_LARGE (431).
 *   - max_body_size: a Content-Length past it → GALE_EHTTP_BODY_TOO_LARGE
 *     (413) when the head is parsed, before any body byte is read; a chunked
 *     body is checked as it decodes.
 *   - Chunk extensions and trailers are parsed, validated, bounded
 *     (max_chunk_ext per chunk line, max_trailer_size in total) and skipped:
 *     their contents are not reported.
 *
 * Errors: every function returns a gale status; after an error the parser
 * stays failed (returns the same status) until reset.  gale_h1_error_status()
 * turns a status into the HTTP status to answer (400/413/414/431/501/505)
 * and a short reason; gale_h1_parser_detail() gives a one-line English cause
 * for logs and error bodies ("Content-Length with Transfer-Encoding").
 */
#ifndef GALE_HTTP_H1_PARSER_H
#define GALE_HTTP_H1_PARSER_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "gale/common.h"
#include "gale/error.h"

/* Defaults (Tornado: max_header_size 64 KiB, max_body_size 100 MiB; the
 * start-line limit follows nginx's 8 KiB large_client_header_buffers). */
#define GALE_H1_DEFAULT_MAX_HEADER_SIZE 65536u
#define GALE_H1_DEFAULT_MAX_START_LINE 8192u
#define GALE_H1_DEFAULT_MAX_HEADERS 100u
#define GALE_H1_DEFAULT_MAX_BODY_SIZE (100ull * 1024 * 1024)
#define GALE_H1_DEFAULT_MAX_CHUNK_EXT 1024u
#define GALE_H1_DEFAULT_MAX_TRAILER_SIZE 16384u

/* A borrowed run of bytes inside the caller's buffer (not NUL-terminated). */
typedef struct gale_h1_span {
  const char *ptr;
  size_t len;
} gale_h1_span;

/* One field line: name as received (case kept), value with surrounding
 * SP/HTAB removed.  Both point into the caller's buffer. */
typedef struct gale_h1_header {
  gale_h1_span name;
  gale_h1_span value;
} gale_h1_header;

typedef enum gale_h1_mode {
  GALE_H1_REQUEST = 0,  /* server side: parse requests */
  GALE_H1_RESPONSE = 1, /* client side: parse responses */
} gale_h1_mode;

/* Methods the parser recognises (any other token is GALE_H1_METHOD_OTHER,
 * and still valid: the server decides 405/501). */
typedef enum gale_h1_method {
  GALE_H1_METHOD_OTHER = 0,
  GALE_H1_METHOD_GET,
  GALE_H1_METHOD_HEAD,
  GALE_H1_METHOD_POST,
  GALE_H1_METHOD_PUT,
  GALE_H1_METHOD_DELETE,
  GALE_H1_METHOD_PATCH,
  GALE_H1_METHOD_OPTIONS,
  GALE_H1_METHOD_CONNECT,
  GALE_H1_METHOD_TRACE,
} gale_h1_method;

/* How the body of a message is delimited. */
typedef enum gale_h1_body_kind {
  GALE_H1_BODY_NONE = 0,    /* no body (GET without length, HEAD/1xx/204/304
                                responses, 2xx to CONNECT) */
  GALE_H1_BODY_LENGTH,      /* exactly msg->content_length bytes (may be 0) */
  GALE_H1_BODY_CHUNKED,     /* chunked transfer coding */
  GALE_H1_BODY_UNTIL_CLOSE, /* responses only: everything until EOF */
} gale_h1_body_kind;

/* Form of the request target (RFC 9112 §3.2). */
typedef enum gale_h1_target_form {
  GALE_H1_TARGET_ORIGIN = 0, /* "/path?query" */
  GALE_H1_TARGET_ABSOLUTE,   /* "http://host:port/path" */
  GALE_H1_TARGET_AUTHORITY,  /* "host:port" (CONNECT) */
  GALE_H1_TARGET_ASTERISK,   /* "*" (OPTIONS) */
} gale_h1_target_form;

/* Limits; fill with gale_h1_limits_init() then change what you need. */
typedef struct gale_h1_limits {
  uint32_t max_header_size;  /* whole head, bytes */
  uint32_t max_start_line;   /* request/status line, bytes (with CRLF) */
  uint32_t max_headers;      /* field lines in the head */
  uint64_t max_body_size;    /* decoded body bytes; UINT64_MAX: no limit */
  uint32_t max_chunk_ext;    /* chunk-ext bytes on one chunk-size line */
  uint32_t max_trailer_size; /* trailer section bytes (with its CRLFs) */
} gale_h1_limits;

/* The parsed head.  The caller sets `headers` and `headers_cap` before
 * calling gale_h1_parse_head(); everything else is written by the parser.
 * All spans point into the buffer given to gale_h1_parse_head(). */
typedef struct gale_h1_msg {
  /* Caller-provided array for the field lines (input).  The effective
   * header count limit is min(limits.max_headers, headers_cap). */
  gale_h1_header *headers;
  size_t headers_cap;
  size_t num_headers;

  size_t head_len;       /* bytes of the head, blank line included */
  uint8_t version_minor; /* 0 or 1 (major is always 1) */

  /* Requests. */
  gale_h1_span method;
  gale_h1_method method_id;
  gale_h1_span target;
  gale_h1_target_form target_form;
  /* Authority of the request: from an absolute-form or authority-form
   * target if there is one, else the Host value (len 0 if none). */
  gale_h1_span host;

  /* Responses. */
  int status;          /* 100..999 */
  gale_h1_span reason; /* may be empty */

  /* Framing and connection semantics. */
  gale_h1_body_kind body_kind;
  uint64_t content_length; /* valid when body_kind == GALE_H1_BODY_LENGTH */
  bool keep_alive;         /* the connection may carry another message
                                after this one (version default, Connection
                                tokens, and framing: an until-close response
                                or a CL+TE response is never kept alive) */
  bool expect_continue;    /* request: "Expect: 100-continue" (HTTP/1.1) */
  bool expect_other;       /* request: an Expect value we do not know:
                                the server should answer 417 */
  bool upgrade;            /* request: Connection: upgrade + Upgrade field
                                (not with chunked/length bodies is still
                                possible; the server decides).  Response:
                                status 101, or a 2xx to CONNECT. */
  bool content_gzip;       /* Content-Encoding is exactly gzip (or x-gzip) */
} gale_h1_msg;

/* Per-message parser state, small enough to live in every connection
 * (about 64 bytes).  Treat the fields as private. */
typedef struct gale_h1_parser {
  gale_h1_limits limits;
  const char *detail;  /* static text of the last error, or NULL */
  uint32_t line_start; /* offset of the first incomplete line */
  uint32_t scan_pos;   /* bytes of that line already searched for LF */
  uint32_t lines;      /* complete non-empty lines before line_start */
  int status;          /* GALE_OK, or the sticky error */
  uint8_t mode;        /* gale_h1_mode */
  uint8_t flags;       /* GALE_H1_F_* for responses */
  uint8_t scanning;    /* a first full parse ran out of input */
} gale_h1_parser;

/* Flags for gale_h1_parser_reset() in response mode: what the request that
 * this response answers was, since that changes the body rules. */
#define GALE_H1_F_HEAD_REQUEST 0x01u    /* answered a HEAD: no body */
#define GALE_H1_F_CONNECT_REQUEST 0x02u /* answered CONNECT: 2xx = tunnel */

/* Fills `limits` with the defaults above. */
GALE_INTERNAL void gale_h1_limits_init(gale_h1_limits *limits);

/* Prepares `p` for the first message of a connection.  `limits` is copied
 * (NULL: defaults).  Never fails. */
GALE_INTERNAL void gale_h1_parser_init(gale_h1_parser *p, gale_h1_mode mode,
                                       const gale_h1_limits *limits);

/* Prepares `p` for the next message on the same connection, keeping mode
 * and limits; clears a sticky error.  `flags` are GALE_H1_F_* (responses;
 * pass 0 for requests). */
GALE_INTERNAL void gale_h1_parser_reset(gale_h1_parser *p, unsigned flags);

/* Parses a message head from buf[0..len), which must hold everything
 * received for this message so far, from its first byte (the caller keeps
 * the bytes between calls and may move them; extra bytes after the head,
 * such as body or pipelined messages, are fine).
 *
 * Returns:
 *   > 0            the head is complete: msg is filled and the return value
 *                  is msg->head_len (the body, if any, starts at buf+ret).
 *   GALE_EAGAIN    the head is not complete yet; call again with more bytes.
 *   GALE_EHTTP_PARSE, GALE_EHTTP_URI_TOO_LONG, GALE_EHTTP_HEADER_TOO_LARGE,
 *   GALE_EHTTP_BODY_TOO_LARGE, GALE_EHTTP_VERSION, GALE_EHTTP_ENCODING
 *                  the message is bad (see the file comment for which rule
 *                  gives which code; gale_h1_parser_detail() says why).  The
 *                  connection should answer gale_h1_error_status() and close.
 *   GALE_EINVAL    msg->headers is NULL while headers_cap > 0.
 * Cost: O(new bytes) per GALE_EAGAIN call, plus one pass over the head when
 * it completes.  msg is only meaningful after a positive return. */
GALE_INTERNAL int gale_h1_parse_head(gale_h1_parser *p, const char *buf, size_t len,
                                     gale_h1_msg *msg);

/* One-line English cause of the last error ("bare LF in header section"),
 * or NULL if the parser has not failed.  Static storage. */
GALE_INTERNAL const char *gale_h1_parser_detail(const gale_h1_parser *p);

/* Maps a status returned by the parser or the body decoder to the HTTP
 * status a server should answer (400, 413, 414, 431, 501, 505; 400 for any
 * other negative status) and stores a short reason phrase ("Bad Request")
 * in *reason if reason is not NULL. */
GALE_INTERNAL int gale_h1_error_status(int err, const char **reason);

/* Standard reason phrase for an HTTP status code ("Not Found"); "Unknown"
 * for codes without one.  Static storage. */
GALE_INTERNAL const char *gale_h1_reason_phrase(int status);

/* First header whose name equals name[0..name_len) case-insensitively, or
 * NULL.  O(num_headers). */
GALE_INTERNAL const gale_h1_header *gale_h1_find_header(const gale_h1_msg *msg, const char *name,
                                                        size_t name_len);

/* Whether the comma-separated token list value[0..len) (a Connection,
 * Transfer-Encoding or similar value) holds `token` (case-insensitive,
 * OWS around elements ignored). */
GALE_INTERNAL bool gale_h1_list_has_token(const char *value, size_t len, const char *token);

/* Validators for what an application or a user hands to the server or the
 * client, against response splitting and request smuggling (HARDENING.md):
 * true when the bytes may be sent as they are. */
/* Non-empty token (method, header name). */
GALE_INTERNAL bool gale_h1_valid_token(const char *s, size_t len);
/* Field value: VCHAR / obs-text / SP / HTAB, no CR, LF, NUL or other CTL.
 * Empty is valid. */
GALE_INTERNAL bool gale_h1_valid_field_value(const char *s, size_t len);
/* Reason phrase: same set as a field value. */
GALE_INTERNAL bool gale_h1_valid_reason(const char *s, size_t len);
/* Request target as sent on the request line: non-empty, 0x21-0x7E,
 * no '#'. */
GALE_INTERNAL bool gale_h1_valid_target(const char *s, size_t len);

/* Character classes of the parser's files (defined in http/wire/h1_chars.c,
 * private to http/wire/): bit 1 tchar, 2 field-value char, 4 target char,
 * 8 HEXDIG, 16 reg-name char. */
GALE_INTERNAL extern const uint8_t gale__h1_ctab[256];

/* ---- Body decoding ---------------------------------------------------- */

/* Body decoder state (about 48 bytes).  Treat the fields as private. */
typedef struct gale_h1_body {
  uint64_t remaining; /* bytes left in the current chunk / CL body */
  uint64_t total;     /* body bytes decoded so far */
  uint64_t max_size;  /* limit on total (chunked and until-close) */
  uint32_t aux;       /* bytes on the current size line / trailers */
  uint32_t max_chunk_ext;
  uint32_t max_trailer_size;
  int status;     /* GALE_OK or the sticky error */
  uint8_t kind;   /* gale_h1_body_kind */
  uint8_t state;  /* chunked decoder state */
  uint8_t digits; /* hex digits of the current chunk size */
} gale_h1_body;

/* gale_h1_body_decode() finished the body. */
#define GALE_H1_BODY_DONE 1

/* Prepares `b` to decode the body of `msg` (body_kind, content_length) with
 * the limits of `p` (max_body_size, max_chunk_ext, max_trailer_size).
 * Never fails. */
GALE_INTERNAL void gale_h1_body_init(gale_h1_body *b, const gale_h1_parser *p,
                                     const gale_h1_msg *msg);

/* Same, from a kind and a length directly (tests, fuzzers, callers that
 * frame bodies themselves).  `limits` NULL: defaults. */
GALE_INTERNAL void gale_h1_body_init_kind(gale_h1_body *b, gale_h1_body_kind kind,
                                          uint64_t content_length, const gale_h1_limits *limits);

/* Decodes the next piece of body from in[0..len).  Sets *consumed to the
 * bytes of `in` used (framing and data), and *data / *data_len to the body
 * bytes found, which lie inside `in` (zero-copy; chunk framing removed).
 * Call it again on in + *consumed.
 *
 * Returns:
 *   GALE_OK            *data_len > 0: a piece of body; call again.
 *   GALE_H1_BODY_DONE  the body is complete (the last piece may come with
 *                      it, *data_len >= 0); bytes after *consumed belong to
 *                      the next message.  Returned again (with nothing
 *                      consumed) if called after the end.
 *   GALE_EAGAIN        everything given was consumed and more input is
 *                      needed (*data_len == 0).
 *   GALE_EHTTP_BAD_CHUNK  malformed chunk size line, extension, CRLF or
 *                      trailer; chunk extension or trailers over their limit.
 *   GALE_EHTTP_BODY_TOO_LARGE  decoded size past max_body_size.
 * Errors are sticky.  For GALE_H1_BODY_UNTIL_CLOSE the body never ends
 * here: the caller calls gale_h1_body_eof() when the peer closes.
 * GALE_H1_BODY_NONE is done at once. */
GALE_INTERNAL int gale_h1_body_decode(gale_h1_body *b, const char *in, size_t len, size_t *consumed,
                                      const char **data, size_t *data_len);

/* The peer closed the connection.  Returns GALE_H1_BODY_DONE for an
 * until-close body (or one already complete), GALE_EHTTP_TRUNCATED if a
 * length or chunked body was cut short. */
GALE_INTERNAL int gale_h1_body_eof(gale_h1_body *b);

/* Body bytes decoded so far. */
GALE_INTERNAL uint64_t gale_h1_body_total(const gale_h1_body *b);

/* ---- Chunked encoding (writing) -------------------------------------- */

/* Longest chunk-size line gale_h1_chunk_header() writes: 16 hex digits +
 * CRLF. */
#define GALE_H1_CHUNK_HEADER_MAX 18

/* The CRLF that follows each chunk's data, and the last chunk with an empty
 * trailer section ("0\r\n\r\n"). */
#define GALE_H1_CHUNK_END "\r\n"
#define GALE_H1_CHUNK_LAST "0\r\n\r\n"

/* Writes the size line for a chunk of `size` bytes ("1a2b\r\n", lowercase
 * hex, no extension) into out (at least GALE_H1_CHUNK_HEADER_MAX bytes, not
 * NUL-terminated) and returns its length.  `size` must be > 0 (a zero-size
 * chunk ends the body; use GALE_H1_CHUNK_LAST). */
GALE_INTERNAL size_t gale_h1_chunk_header(char *out, uint64_t size);

#endif
