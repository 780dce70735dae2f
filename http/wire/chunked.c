/* SPDX-License-Identifier: MIT */
/* Body decoding (Content-Length, chunked, until close) and chunk framing
 * for writing.  Contract in http/wire/h1_parser.h.
 *
 * The chunked decoder is a byte-at-a-time state machine for the framing
 * (size lines, extensions, CRLFs, trailers: a few bytes per chunk) and hands
 * the data itself back as spans of the input, so the bytes a body is made of
 * are never touched here.  Grammar (RFC 9112 §7.1):
 *
 *   chunk      = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   chunk-size = 1*HEXDIG                       (gale: at most 16 digits)
 *   chunk-ext  = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )
 *   last-chunk = 1*("0") [ chunk-ext ] CRLF
 *   trailer-section = *( field-line CRLF ) CRLF
 */
#include <string.h>

#include "http/wire/h1_parser.h"

#define IS_TOKEN(c) (gale__h1_ctab[(unsigned char)(c)] & 1)
#define IS_VALUE(c) (gale__h1_ctab[(unsigned char)(c)] & 2)
#define IS_WS(c) ((c) == ' ' || (c) == '\t')

enum chunk_state {
  S_SIZE = 0,       /* hex digits of the chunk size */
  S_EXT_BWS,        /* BWS after the size or after a value: ';' or CR */
  S_EXT_NAME_BWS,   /* BWS after ';' */
  S_EXT_NAME,       /* extension name */
  S_EXT_AFTER_NAME, /* BWS after a name: '=' or ';' or CR */
  S_EXT_VAL_BWS,    /* BWS after '=' */
  S_EXT_VAL_TOKEN,  /* token value */
  S_EXT_VAL_QUOTED, /* quoted-string value */
  S_EXT_VAL_ESCAPE, /* after a backslash in a quoted-string */
  S_EXT_VAL_CLOSED, /* just after a closing quote: ';', CR or BWS */
  S_EXT_VAL_AFTER,  /* BWS after a value: ';' */
  S_SIZE_LF,        /* CR seen at the end of the size line */
  S_DATA,           /* chunk data: `remaining` bytes */
  S_DATA_CR,        /* CR after the data */
  S_DATA_LF,        /* LF after the data */
  S_TRAILER_LINE,   /* start of a trailer line (or the final CRLF) */
  S_TRAILER_NAME,   /* field name */
  S_TRAILER_VALUE,  /* field value, up to CR */
  S_TRAILER_LF,     /* LF ending a trailer field line */
  S_END_LF,         /* LF of the final CRLF */
  S_DONE,
};

static void init_common(gale_h1_body *b, gale_h1_body_kind kind, uint64_t cl,
                        const gale_h1_limits *l) {
  memset(b, 0, sizeof *b);
  b->kind = (uint8_t)kind;
  b->remaining = kind == GALE_H1_BODY_LENGTH ? cl : 0;
  b->max_size = l->max_body_size;
  b->max_chunk_ext = l->max_chunk_ext;
  b->max_trailer_size = l->max_trailer_size;
  b->state = kind == GALE_H1_BODY_CHUNKED ? S_SIZE : S_DATA;
}

void gale_h1_body_init(gale_h1_body *b, const gale_h1_parser *p, const gale_h1_msg *msg) {
  init_common(b, msg->body_kind, msg->content_length, &p->limits);
}

void gale_h1_body_init_kind(gale_h1_body *b, gale_h1_body_kind kind, uint64_t content_length,
                            const gale_h1_limits *limits) {
  gale_h1_limits def;
  if (!limits) {
    gale_h1_limits_init(&def);
    limits = &def;
  }
  init_common(b, kind, content_length, limits);
}

uint64_t gale_h1_body_total(const gale_h1_body *b) { return b->total; }

static int body_fail(gale_h1_body *b, int status) {
  b->status = status;
  return status;
}

static int hexval(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c |= 0x20;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* The chunk-size line ended: start the data, or the trailers after the last
 * chunk. */
static int size_line_done(gale_h1_body *b) {
  b->aux = 0;
  if (b->remaining == 0) {
    b->state = S_TRAILER_LINE;
    return GALE_OK;
  }
  if (b->remaining > b->max_size - b->total) return body_fail(b, GALE_EHTTP_BODY_TOO_LARGE);
  b->state = S_DATA;
  return GALE_OK;
}

/* The chunk-size line's digits, the byte that ends them, and the LF that
 * ends the line (S_SIZE, S_SIZE_LF). */
static inline int size_byte(gale_h1_body *b, unsigned char c) {
  if (b->state == S_SIZE_LF) {
    if (c != '\n') return body_fail(b, GALE_EHTTP_BAD_CHUNK);
    b->digits = 0;
    return size_line_done(b);
  }
  int h = hexval(c);
  if (h >= 0) {
    if (++b->digits > 16) return body_fail(b, GALE_EHTTP_BAD_CHUNK);
    b->remaining = (b->remaining << 4) | (uint64_t)h;
    return GALE_OK;
  }
  if (b->digits == 0) return body_fail(b, GALE_EHTTP_BAD_CHUNK);
  b->aux = 1; /* from here the line counts against max_chunk_ext */
  if (c == '\r')
    b->state = S_SIZE_LF;
  else if (c == ';')
    b->state = S_EXT_NAME_BWS;
  else if (IS_WS(c))
    b->state = S_EXT_BWS;
  else
    return body_fail(b, GALE_EHTTP_BAD_CHUNK);
  return GALE_OK;
}

/* A chunk extension's name and the BWS around it (S_EXT_BWS ..
 * S_EXT_AFTER_NAME, and S_EXT_VAL_AFTER which, like S_EXT_BWS, only
 * awaits ';'). */
static inline int ext_name_byte(gale_h1_body *b, unsigned char c) {
  switch (b->state) {
  case S_EXT_BWS:
  case S_EXT_VAL_AFTER:
    /* BWS may only precede ';': "5 \r\n" is invalid */
    if (c == ';')
      b->state = S_EXT_NAME_BWS;
    else if (!IS_WS(c))
      return body_fail(b, GALE_EHTTP_BAD_CHUNK);
    return GALE_OK;
  case S_EXT_NAME_BWS:
    if (IS_TOKEN(c))
      b->state = S_EXT_NAME;
    else if (!IS_WS(c))
      return body_fail(b, GALE_EHTTP_BAD_CHUNK);
    return GALE_OK;
  case S_EXT_NAME:
    if (IS_TOKEN(c)) return GALE_OK;
    if (c == '=')
      b->state = S_EXT_VAL_BWS;
    else if (c == ';')
      b->state = S_EXT_NAME_BWS;
    else if (c == '\r')
      b->state = S_SIZE_LF;
    else if (IS_WS(c))
      b->state = S_EXT_AFTER_NAME;
    else
      return body_fail(b, GALE_EHTTP_BAD_CHUNK);
    return GALE_OK;
  default: /* S_EXT_AFTER_NAME */
    if (c == '=')
      b->state = S_EXT_VAL_BWS;
    else if (c == ';')
      b->state = S_EXT_NAME_BWS;
    else if (!IS_WS(c))
      return body_fail(b, GALE_EHTTP_BAD_CHUNK);
    return GALE_OK;
  }
}

/* A chunk extension's value, token or quoted-string (S_EXT_VAL_BWS ..
 * S_EXT_VAL_CLOSED). */
static inline int ext_value_byte(gale_h1_body *b, unsigned char c) {
  switch (b->state) {
  case S_EXT_VAL_BWS:
    if (c == '"')
      b->state = S_EXT_VAL_QUOTED;
    else if (IS_TOKEN(c))
      b->state = S_EXT_VAL_TOKEN;
    else if (!IS_WS(c))
      return body_fail(b, GALE_EHTTP_BAD_CHUNK);
    return GALE_OK;
  case S_EXT_VAL_TOKEN:
    if (IS_TOKEN(c)) return GALE_OK;
    if (c == ';')
      b->state = S_EXT_NAME_BWS;
    else if (c == '\r')
      b->state = S_SIZE_LF;
    else if (IS_WS(c))
      b->state = S_EXT_VAL_AFTER;
    else
      return body_fail(b, GALE_EHTTP_BAD_CHUNK);
    return GALE_OK;
  case S_EXT_VAL_QUOTED:
    /* qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text */
    if (c == '"')
      b->state = S_EXT_VAL_CLOSED;
    else if (c == '\\')
      b->state = S_EXT_VAL_ESCAPE;
    else if (!IS_VALUE(c))
      return body_fail(b, GALE_EHTTP_BAD_CHUNK);
    return GALE_OK;
  case S_EXT_VAL_ESCAPE:
    if (!IS_VALUE(c)) return body_fail(b, GALE_EHTTP_BAD_CHUNK);
    b->state = S_EXT_VAL_QUOTED;
    return GALE_OK;
  default: /* S_EXT_VAL_CLOSED */
    if (c == ';')
      b->state = S_EXT_NAME_BWS;
    else if (c == '\r')
      b->state = S_SIZE_LF;
    else if (IS_WS(c))
      b->state = S_EXT_VAL_AFTER;
    else
      return body_fail(b, GALE_EHTTP_BAD_CHUNK);
    return GALE_OK;
  }
}

/* Everything after the digits on a size line (up to its CR) counts
 * against max_chunk_ext. */
static inline int ext_byte(gale_h1_body *b, unsigned char c) {
  if (++b->aux > b->max_chunk_ext) return body_fail(b, GALE_EHTTP_BAD_CHUNK);
  if (b->state >= S_EXT_VAL_BWS && b->state <= S_EXT_VAL_CLOSED) return ext_value_byte(b, c);
  return ext_name_byte(b, c);
}

/* The CRLF after a chunk's data (S_DATA_CR, S_DATA_LF). */
static inline int data_crlf_byte(gale_h1_body *b, unsigned char c) {
  if (b->state == S_DATA_CR) {
    if (c != '\r') return body_fail(b, GALE_EHTTP_BAD_CHUNK);
    b->state = S_DATA_LF;
    return GALE_OK;
  }
  if (c != '\n') return body_fail(b, GALE_EHTTP_BAD_CHUNK);
  b->state = S_SIZE;
  return GALE_OK;
}

/* The trailer section after the last chunk, bounded by max_trailer_size
 * (S_TRAILER_LINE .. S_END_LF): validated and skipped. */
static inline int trailer_byte(gale_h1_body *b, unsigned char c) {
  if (++b->aux > b->max_trailer_size) return body_fail(b, GALE_EHTTP_BAD_CHUNK);
  switch (b->state) {
  case S_TRAILER_LINE:
    if (c == '\r')
      b->state = S_END_LF;
    else if (IS_TOKEN(c))
      b->state = S_TRAILER_NAME;
    else
      return body_fail(b, GALE_EHTTP_BAD_CHUNK); /* obs-fold, bare LF... */
    return GALE_OK;
  case S_TRAILER_NAME:
    if (c == ':')
      b->state = S_TRAILER_VALUE;
    else if (!IS_TOKEN(c))
      return body_fail(b, GALE_EHTTP_BAD_CHUNK);
    return GALE_OK;
  case S_TRAILER_VALUE:
    if (c == '\r')
      b->state = S_TRAILER_LF;
    else if (!IS_VALUE(c))
      return body_fail(b, GALE_EHTTP_BAD_CHUNK);
    return GALE_OK;
  case S_TRAILER_LF:
    if (c != '\n') return body_fail(b, GALE_EHTTP_BAD_CHUNK);
    b->state = S_TRAILER_LINE;
    return GALE_OK;
  default: /* S_END_LF */
    if (c != '\n') return body_fail(b, GALE_EHTTP_BAD_CHUNK);
    b->state = S_DONE;
    return GALE_OK;
  }
}

/* One framing byte, handed to the helper of its part of the grammar.
 * Returns GALE_OK, or an error. */
static inline int chunk_byte(gale_h1_body *b, unsigned char c) {
  unsigned st = b->state;
  if (st == S_SIZE || st == S_SIZE_LF) return size_byte(b, c);
  if (st >= S_EXT_BWS && st <= S_EXT_VAL_AFTER) return ext_byte(b, c);
  if (st == S_DATA_CR || st == S_DATA_LF) return data_crlf_byte(b, c);
  if (st >= S_TRAILER_LINE && st <= S_END_LF) return trailer_byte(b, c);
  return body_fail(b, GALE_EHTTP_BAD_CHUNK); /* S_DATA and S_DONE never get here */
}

static int decode_chunked(gale_h1_body *b, const char *in, size_t len, size_t *consumed,
                          const char **data, size_t *data_len) {
  size_t i = 0;
  while (i < len) {
    if (b->state == S_DATA) {
      size_t n = len - i;
      if ((uint64_t)n > b->remaining) n = (size_t)b->remaining;
      *data = in + i;
      *data_len = n;
      b->remaining -= n;
      b->total += n;
      if (b->remaining == 0) b->state = S_DATA_CR;
      *consumed = i + n;
      return GALE_OK;
    }
    int rc = chunk_byte(b, (unsigned char)in[i++]);
    if (rc) return rc;
    if (b->state == S_DONE) {
      *consumed = i;
      return GALE_H1_BODY_DONE;
    }
  }
  *consumed = len;
  return GALE_EAGAIN;
}

int gale_h1_body_decode(gale_h1_body *b, const char *in, size_t len, size_t *consumed,
                        const char **data, size_t *data_len) {
  *consumed = 0;
  *data = in;
  *data_len = 0;
  if (b->status) return b->status;
  switch (b->kind) {
  case GALE_H1_BODY_NONE: return GALE_H1_BODY_DONE;
  case GALE_H1_BODY_LENGTH: {
    if (b->remaining == 0) return GALE_H1_BODY_DONE;
    size_t n = len;
    if ((uint64_t)n > b->remaining) n = (size_t)b->remaining;
    b->remaining -= n;
    b->total += n;
    *consumed = *data_len = n;
    if (b->remaining == 0) return GALE_H1_BODY_DONE;
    return n ? GALE_OK : GALE_EAGAIN;
  }
  case GALE_H1_BODY_UNTIL_CLOSE:
    if (len > b->max_size - b->total) return body_fail(b, GALE_EHTTP_BODY_TOO_LARGE);
    b->total += len;
    *consumed = *data_len = len;
    return len ? GALE_OK : GALE_EAGAIN;
  case GALE_H1_BODY_CHUNKED:
    if (b->state == S_DONE) return GALE_H1_BODY_DONE;
    return decode_chunked(b, in, len, consumed, data, data_len);
  default: return body_fail(b, GALE_EINVAL);
  }
}

int gale_h1_body_eof(gale_h1_body *b) {
  if (b->status) return b->status;
  switch (b->kind) {
  case GALE_H1_BODY_NONE:
  case GALE_H1_BODY_UNTIL_CLOSE: return GALE_H1_BODY_DONE;
  case GALE_H1_BODY_LENGTH:
    return b->remaining ? body_fail(b, GALE_EHTTP_TRUNCATED) : GALE_H1_BODY_DONE;
  default: return b->state == S_DONE ? GALE_H1_BODY_DONE : body_fail(b, GALE_EHTTP_TRUNCATED);
  }
}

size_t gale_h1_chunk_header(char *out, uint64_t size) {
  static const char hex[] = "0123456789abcdef";
  char tmp[16];
  size_t n = 0;
  do {
    tmp[n++] = hex[size & 15];
    size >>= 4;
  } while (size);
  for (size_t i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  out[n] = '\r';
  out[n + 1] = '\n';
  return n + 2;
}
