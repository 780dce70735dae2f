/* SPDX-License-Identifier: MIT */
/* The body of the request and response targets (one mode each): parse the
 * input as a stream of pipelined messages, each head one-shot and again
 * split at a point the input chooses, and check that both agree and that
 * every span lies inside the buffer; then decode each body. */
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "http/wire/h1_parser.h"

#define FUZZ_MAXH 64

static bool inside(gale_h1_span s, const char *buf, size_t len) {
  if (s.len == 0) return true;
  return s.ptr >= buf && s.ptr + s.len <= buf + len;
}

static int head_once(gale_h1_mode mode, unsigned flags, const gale_h1_limits *lim, const char *buf,
                     size_t len, gale_h1_msg *msg, gale_h1_header *h, gale_h1_parser *p) {
  gale_h1_parser_init(p, mode, lim);
  gale_h1_parser_reset(p, flags);
  memset(msg, 0, sizeof *msg);
  msg->headers = h;
  msg->headers_cap = FUZZ_MAXH;
  return gale_h1_parse_head(p, buf, len, msg);
}

/* Feeds buf in growing prefixes of `step` bytes. */
static int head_steps(gale_h1_mode mode, unsigned flags, const gale_h1_limits *lim, const char *buf,
                      size_t len, size_t step, gale_h1_msg *msg, gale_h1_header *h) {
  gale_h1_parser p;
  int rc = GALE_EAGAIN;
  gale_h1_parser_init(&p, mode, lim);
  gale_h1_parser_reset(&p, flags);
  memset(msg, 0, sizeof *msg);
  msg->headers = h;
  msg->headers_cap = FUZZ_MAXH;
  for (size_t k = step; rc == GALE_EAGAIN; k += step) {
    if (k > len) k = len;
    rc = gale_h1_parse_head(&p, buf, k, msg);
    if (k == len) break;
  }
  return rc;
}

static void check_msg(gale_h1_mode mode, const gale_h1_msg *m, const char *buf, size_t len) {
  FUZZ_CHECK(m->head_len <= len && m->head_len >= 4);
  FUZZ_CHECK(m->num_headers <= FUZZ_MAXH);
  for (size_t i = 0; i < m->num_headers; i++) {
    FUZZ_CHECK(m->headers[i].name.len > 0);
    FUZZ_CHECK(inside(m->headers[i].name, buf, m->head_len));
    FUZZ_CHECK(inside(m->headers[i].value, buf, m->head_len));
    FUZZ_CHECK(gale_h1_valid_token(m->headers[i].name.ptr, m->headers[i].name.len));
    FUZZ_CHECK(gale_h1_valid_field_value(m->headers[i].value.ptr, m->headers[i].value.len));
  }
  if (mode == GALE_H1_REQUEST) {
    FUZZ_CHECK(inside(m->method, buf, m->head_len) && m->method.len > 0);
    FUZZ_CHECK(inside(m->target, buf, m->head_len) && m->target.len > 0);
    FUZZ_CHECK(gale_h1_valid_target(m->target.ptr, m->target.len));
    FUZZ_CHECK(inside(m->host, buf, m->head_len));
    FUZZ_CHECK(m->body_kind != GALE_H1_BODY_UNTIL_CLOSE);
  } else {
    FUZZ_CHECK(m->status >= 100 && m->status <= 999);
    FUZZ_CHECK(inside(m->reason, buf, m->head_len));
  }
  FUZZ_CHECK(m->body_kind != GALE_H1_BODY_UNTIL_CLOSE || !m->keep_alive);
}

static int fuzz_head(gale_h1_mode mode, const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  /* First byte: split step and response flags; the rest is the stream. */
  size_t step = (size_t)(data[0] & 0x3f) + 1;
  unsigned flags = mode == GALE_H1_RESPONSE ? (data[0] >> 6) : 0;
  size_t len = size - 1;
  char *buf = malloc(len); /* exact size: ASan sees any overread */
  if (!buf) return 0;
  memcpy(buf, data + 1, len);
  gale_h1_limits lim;
  gale_h1_limits_init(&lim);
  lim.max_header_size = 4096; /* small limits reach the limit paths */
  lim.max_start_line = 1024;
  lim.max_headers = 32;
  lim.max_body_size = 1 << 20;
  lim.max_chunk_ext = 64;
  lim.max_trailer_size = 256;

  static gale_h1_header h1[FUZZ_MAXH], h2[FUZZ_MAXH];
  size_t off = 0;
  for (int n = 0; n < 16 && off < len; n++) {
    gale_h1_msg m1, m2;
    gale_h1_parser p;
    int rc1 = head_once(mode, flags, &lim, buf + off, len - off, &m1, h1, &p);
    int rc2 = head_steps(mode, flags, &lim, buf + off, len - off, step, &m2, h2);
    /* Valid one way is valid the other way, with the same head. */
    FUZZ_CHECK((rc1 > 0) == (rc2 > 0));
    if (rc1 <= 0) {
      FUZZ_CHECK(rc1 == GALE_EAGAIN || gale_h1_parser_detail(&p) != NULL);
      FUZZ_CHECK(rc2 != GALE_EAGAIN || rc1 == GALE_EAGAIN || rc1 < 0);
      int st = gale_h1_error_status(rc1, NULL);
      FUZZ_CHECK(st >= 400 && st <= 505);
      break;
    }
    FUZZ_CHECK(rc1 == rc2 && m1.head_len == m2.head_len);
    FUZZ_CHECK(m1.num_headers == m2.num_headers && m1.body_kind == m2.body_kind);
    FUZZ_CHECK(m1.keep_alive == m2.keep_alive && m1.content_length == m2.content_length);
    check_msg(mode, &m1, buf + off, len - off);
    off += (size_t)rc1;

    gale_h1_body b;
    gale_h1_body_init(&b, &p, &m1);
    int brc;
    do {
      size_t used, dl;
      const char *d;
      size_t avail = len - off;
      brc = gale_h1_body_decode(&b, buf + off, avail, &used, &d, &dl);
      FUZZ_CHECK(used <= avail);
      FUZZ_CHECK(dl == 0 || (d >= buf + off && d + dl <= buf + off + used));
      off += used;
      if (brc == GALE_EAGAIN) FUZZ_CHECK(used == avail && dl == 0);
      if (brc == GALE_OK) FUZZ_CHECK(dl > 0);
    } while (brc == GALE_OK);
    if (brc != GALE_H1_BODY_DONE) {
      int e = gale_h1_body_eof(&b);
      FUZZ_CHECK(e == GALE_H1_BODY_DONE || e < 0);
      break;
    }
  }
  free(buf);
  return 0;
}
