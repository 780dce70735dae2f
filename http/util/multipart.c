/* SPDX-License-Identifier: MIT */
/* http/util/multipart.c — multipart/form-data (RFC 7578 over RFC 2046): a
 * strict streaming parser, the whole-body (zero-copy) parser built on it,
 * and a small encoder.
 *
 * The streaming parser is a state machine over bytes fed in any split
 * (the states below, moved in gale_multipart_stream_feed).  Each byte is
 * looked at a bounded number of times: data is searched for the delimiter
 * with memmem (glibc's is linear) and only a tail that may start one is
 * held back; a header section is copied into a buffer only up to its size
 * limit and searched from where the last search ended; so a hostile body
 * costs time linear in its length, whatever the split.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "core/alloc.h"
#include "gale/buf.h"
#include "gale/content_type.h"
#include "gale/error.h"
#include "gale/headers.h"
#include "gale/multipart.h"
#include "http/util/arena.h"
#include "http/util/chars.h"

#define MAX_BOUNDARY 70

struct gale_multipart {
  gale_multipart_part *parts;
  size_t count;
  size_t cap;
  gale__arena text;
};

void gale_multipart_limits_init(gale_multipart_limits *lim) {
  if (!lim) return;
  memset(lim, 0, sizeof *lim);
  lim->max_parts = 1000;
  lim->max_header_size = 8192;
  lim->max_field_size = SIZE_MAX;
}

/* RFC 2046 bchars, plus anything visible real clients put in boundaries;
 * never CTLs, never a trailing space. */
static bool valid_boundary(const char *b, size_t n) {
  if (!b || n == 0 || n > MAX_BOUNDARY || b[n - 1] == ' ') return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)b[i];
    if (c < 0x20 || c >= 0x7f || c == '"') return false;
  }
  return true;
}

void gale_multipart_free(gale_multipart *m) {
  if (!m) return;
  gale__arena_reset(&m->text);
  free(m->parts);
  free(m);
}

size_t gale_multipart_count(const gale_multipart *m) { return m ? m->count : 0; }

const gale_multipart_part *gale_multipart_at(const gale_multipart *m, size_t i) {
  return m && i < m->count ? &m->parts[i] : NULL;
}

static const char *keep(gale__arena *a, const char *s, size_t n) {
  char *d = gale__arena_alloc(a, n + 1);
  if (!d) return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

/* Content-Disposition: form-data; name="..."; filename="..." */
static int disposition(gale__arena *a, gale_multipart_part *part, const char *v, size_t n,
                       gale_params *params) {
  const char *first;
  size_t flen;
  gale_params_clear(params);
  int rc = gale_header_params_parse(v, n, &first, &flen, params);
  if (rc != GALE_OK) return rc;
  if (!gale_ascii_eq(first, flen, "form-data", 9)) return GALE_EHTTP_PARSE;
  size_t nl, fl;
  const char *name = gale_params_get(params, "name", &nl);
  const char *fname = gale_params_get(params, "filename*", &fl);
  if (!fname) fname = gale_params_get(params, "filename", &fl);
  if (!name) return GALE_EHTTP_PARSE;
  part->name = keep(a, name, nl);
  part->name_len = nl;
  if (!part->name) return GALE_ENOMEM;
  if (fname) {
    part->filename = keep(a, fname, fl);
    part->filename_len = fl;
    if (!part->filename) return GALE_ENOMEM;
  }
  return GALE_OK;
}

/* The header section h[0..n) (without its final CRLF CRLF). */
static int part_headers(gale__arena *a, gale_multipart_part *part, const char *h, size_t n,
                        gale_params *params) {
  const char *p = h, *end = h + n;
  bool seen_cd = false, seen_ct = false;
  while (p < end) {
    const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
    if (!eol) eol = end;
    const char *colon = memchr(p, ':', (size_t)(eol - p));
    if (!colon || !gale_http_is_token(p, (size_t)(colon - p)))
      return GALE_EHTTP_PARSE; /* also obs-fold: a line starting with SP */
    size_t vlen = (size_t)(eol - colon - 1);
    const char *v = gale__trim_ows(colon + 1, &vlen);
    if (!gale_http_is_field_value(v, vlen)) return GALE_EHTTP_PARSE;
    size_t nlen = (size_t)(colon - p);
    if (gale_ascii_eq(p, nlen, "content-disposition", 19)) {
      if (seen_cd) return GALE_EHTTP_PARSE;
      seen_cd = true;
      int rc = disposition(a, part, v, vlen, params);
      if (rc != GALE_OK) return rc;
    } else if (gale_ascii_eq(p, nlen, "content-type", 12)) {
      if (seen_ct) return GALE_EHTTP_PARSE;
      seen_ct = true;
      part->content_type = keep(a, v, vlen);
      part->content_type_len = vlen;
      if (!part->content_type) return GALE_ENOMEM;
    }
    if (eol == end) break;
    p = eol + 2;
  }
  return seen_cd ? GALE_OK : GALE_EHTTP_PARSE;
}

/* ---- the streaming parser ---- */

enum {
  MS_PREAMBLE = 0, /* before the first delimiter (discarded) */
  MS_AFTER,        /* just after a delimiter: "--" or LWSP* CRLF */
  MS_AFTER_DASH,   /* one '-' of a closing "--" seen */
  MS_AFTER_LWSP,   /* LWSP after a delimiter, CRLF to come */
  MS_AFTER_LF,     /* the CR after a delimiter seen, LF to come */
  MS_HEADERS,      /* a part's header section */
  MS_DATA,         /* a part's data, up to the next delimiter */
  MS_DONE,         /* after the closing delimiter: the epilogue, ignored */
  MS_FAILED,
};

struct gale_multipart_stream {
  gale_multipart_callbacks cb;
  void *arg;
  gale_multipart_limits lim;
  gale_params *params;
  gale__arena text;         /* this part's strings; reset per part */
  gale_multipart_part part; /* the current part (data NULL) */
  gale_buf head;            /* the current part's header section */
  const char *cur;          /* where the parse is in the piece being fed */
  uint64_t part_size;       /* data bytes of the current part so far */
  size_t parts;
  size_t match; /* delimiter bytes matched (held back) */
  size_t dlen;
  int state;
  int error;
  bool in_cb;
  const char *detail;
  char delim[MAX_BOUNDARY + 4]; /* "\r\n--" boundary */
};

static int ms_fail(gale_multipart_stream *s, int rc, const char *detail) {
  s->state = MS_FAILED;
  s->error = rc;
  if (!s->detail) s->detail = detail;
  return rc;
}

const char *gale_multipart_stream_detail(const gale_multipart_stream *s) {
  return s && s->detail ? s->detail : "";
}

int gale_multipart_stream_new(const char *boundary, size_t boundary_len,
                              const gale_multipart_limits *lim, const gale_multipart_callbacks *cb,
                              void *arg, gale_multipart_stream **out) {
  if (!out) return GALE_EINVAL;
  *out = NULL;
  if (!valid_boundary(boundary, boundary_len)) return GALE_EINVAL;
  gale_multipart_stream *s = gale__calloc(1, sizeof(*s));
  if (!s) return GALE_ENOMEM;
  s->params = gale_params_new();
  if (!s->params) {
    free(s);
    return GALE_ENOMEM;
  }
  if (cb) s->cb = *cb;
  s->arg = arg;
  if (lim)
    s->lim = *lim;
  else
    gale_multipart_limits_init(&s->lim);
  gale__arena_init(&s->text, NULL, 0);
  gale_buf_init(&s->head, 0);
  memcpy(s->delim, "\r\n--", 4);
  memcpy(s->delim + 4, boundary, boundary_len);
  s->dlen = boundary_len + 4;
  /* The body's start counts as a line start: the first delimiter may
   * begin it without a CRLF before. */
  s->match = 2;
  *out = s;
  return GALE_OK;
}

void gale_multipart_stream_free(gale_multipart_stream *s) {
  if (!s || s->in_cb) return;
  gale_params_free(s->params);
  gale__arena_reset(&s->text);
  gale_buf_release(&s->head);
  free(s);
}

size_t gale_multipart_stream_memory(const gale_multipart_stream *s) { return s ? s->head.cap : 0; }

static int ms_data(gale_multipart_stream *s, const char *p, size_t n) {
  if (n == 0 || s->state != MS_DATA) return GALE_OK;
  s->part_size += n;
  if (!s->part.filename && s->part_size > s->lim.max_field_size)
    return ms_fail(s, GALE_ELIMIT, "a multipart form field too large");
  if (!s->cb.part_data) return GALE_OK;
  s->in_cb = true;
  int rc = s->cb.part_data(p, n, s->arg);
  s->in_cb = false;
  return rc == GALE_OK ? rc : ms_fail(s, rc, "stopped by the part's data callback");
}

/* A whole delimiter was matched: the current part (if any) ends. */
static int ms_delimiter(gale_multipart_stream *s) {
  s->match = 0;
  if (s->state == MS_DATA && s->cb.part_end) {
    s->in_cb = true;
    int rc = s->cb.part_end(s->arg);
    s->in_cb = false;
    if (rc != GALE_OK) return ms_fail(s, rc, "stopped by the part's end callback");
  }
  s->state = MS_AFTER;
  return GALE_OK;
}

/* Preamble or data: finds the delimiter in p[0..n), handing what comes
 * before it to the part (data) or dropping it (preamble).  Returns the
 * bytes used, or an error.  A tail that may start a delimiter is held
 * back (s->match bytes, equal to delim's first ones) until the next
 * piece decides.  The delimiter holds one CR, at its start, so a held
 * prefix that fails to match is data entirely. */
static ptrdiff_t ms_scan(gale_multipart_stream *s, const char *p, size_t n) {
  size_t i = 0;
  int rc;
  if (s->match) {
    while (i < n && s->match < s->dlen && p[i] == s->delim[s->match]) {
      s->match++;
      i++;
    }
    if (s->match == s->dlen) {
      rc = ms_delimiter(s);
      return rc < 0 ? rc : (ptrdiff_t)i;
    }
    if (i == n) return (ptrdiff_t)i;
    /* Not a delimiter: the held bytes were data. */
    size_t held = s->match;
    s->match = 0;
    if ((rc = ms_data(s, s->delim, held)) < 0) return rc;
    /* p[i] is looked at again below. */
  }
  const char *start = p + i;
  size_t left = n - i;
  const char *d = memmem(start, left, s->delim, s->dlen);
  if (d) {
    if ((rc = ms_data(s, start, (size_t)(d - start))) < 0) return rc;
    rc = ms_delimiter(s);
    return rc < 0 ? rc : (ptrdiff_t)((size_t)(d - p) + s->dlen);
  }
  /* The last CR among the final dlen-1 bytes may start a delimiter. */
  size_t tail = left < s->dlen - 1 ? left : s->dlen - 1;
  size_t keep = 0;
  const char *cr = memrchr(start + left - tail, '\r', tail);
  if (cr) {
    size_t k = (size_t)(start + left - cr);
    if (memcmp(cr, s->delim, k) == 0) keep = k;
  }
  if ((rc = ms_data(s, start, left - keep)) < 0) return rc;
  s->match = keep;
  return (ptrdiff_t)n;
}

/* The current part's header section (without its empty line) is in
 * s->head: parse it and start the part. */
static int ms_part_begin(gale_multipart_stream *s, size_t hlen) {
  gale__arena_reset(&s->text);
  memset(&s->part, 0, sizeof(s->part));
  int rc = part_headers(&s->text, &s->part, s->head.data, hlen, s->params);
  if (rc == GALE_ENOMEM) return ms_fail(s, rc, "out of memory");
  if (rc != GALE_OK)
    return ms_fail(s, GALE_EHTTP_PARSE,
                   "malformed multipart part header (each part needs one "
                   "Content-Disposition: form-data; name=\"...\")");
  s->head.len = 0;
  s->part_size = 0;
  s->state = MS_DATA;
  if (s->cb.part_begin) {
    s->in_cb = true;
    rc = s->cb.part_begin(&s->part, s->arg);
    s->in_cb = false;
    if (rc != GALE_OK) return ms_fail(s, rc, "stopped by the part's begin callback");
  }
  return GALE_OK;
}

/* Header bytes: up to CRLF CRLF (or a lone CRLF: no headers, which has no
 * Content-Disposition and fails).  Returns the bytes used or an error. */
static ptrdiff_t ms_headers(gale_multipart_stream *s, const char *p, size_t n) {
  size_t max = s->lim.max_header_size;
  size_t i = 0;
  while (i < n) {
    /* Copy up to the room left (the section may not pass max + 4). */
    size_t room = max + 4 - s->head.len;
    size_t take = n - i < room ? n - i : room;
    size_t old = s->head.len;
    if (gale_buf_append(&s->head, p + i, take) != GALE_OK)
      return ms_fail(s, GALE_ENOMEM, "out of memory");
    const char *h = s->head.data;
    size_t len = s->head.len;
    if (len >= 2 && h[0] == '\r' && h[1] == '\n') {
      s->head.len = 0;
      return ms_fail(s, GALE_EHTTP_PARSE, "a multipart part without a header section");
    }
    size_t from = old >= 3 ? old - 3 : 0;
    const char *e = memmem(h + from, len - from, "\r\n\r\n", 4);
    if (e) {
      size_t hlen = (size_t)(e - h);
      size_t used = hlen + 4 - old; /* of this piece */
      s->cur = p + i + used;
      int rc = ms_part_begin(s, hlen);
      return rc < 0 ? rc : (ptrdiff_t)(i + used);
    }
    i += take;
    if (s->head.len >= max + 4)
      return ms_fail(s, GALE_ELIMIT, "a multipart part header section too large");
  }
  return (ptrdiff_t)n;
}

int gale_multipart_stream_feed(gale_multipart_stream *s, const char *data, size_t len) {
  if (!s || (!data && len)) return GALE_EINVAL;
  if (s->in_cb) return GALE_ESTATE;
  if (s->state == MS_FAILED) return s->error;
  size_t i = 0;
  while (i < len) {
    const char *p = data + i;
    size_t n = len - i;
    s->cur = p;
    ptrdiff_t used = 0;
    switch (s->state) {
    case MS_PREAMBLE:
    case MS_DATA: used = ms_scan(s, p, n); break;
    case MS_AFTER:
      used = 1;
      if (*p == '-')
        s->state = MS_AFTER_DASH;
      else if (*p == ' ' || *p == '\t')
        s->state = MS_AFTER_LWSP;
      else if (*p == '\r')
        s->state = MS_AFTER_LF;
      else
        used =
            ms_fail(s, GALE_EHTTP_PARSE, "a multipart boundary delimiter followed by other bytes");
      break;
    case MS_AFTER_DASH:
      used = 1;
      if (*p == '-')
        s->state = MS_DONE;
      else
        used =
            ms_fail(s, GALE_EHTTP_PARSE, "a multipart boundary delimiter followed by other bytes");
      break;
    case MS_AFTER_LWSP:
      used = 1;
      if (*p == '\r')
        s->state = MS_AFTER_LF;
      else if (*p != ' ' && *p != '\t')
        used =
            ms_fail(s, GALE_EHTTP_PARSE, "a multipart boundary delimiter followed by other bytes");
      break;
    case MS_AFTER_LF:
      used = 1;
      if (*p != '\n') {
        used =
            ms_fail(s, GALE_EHTTP_PARSE, "a multipart boundary delimiter followed by other bytes");
      } else if (s->parts >= s->lim.max_parts) {
        used = ms_fail(s, GALE_ELIMIT, "too many multipart parts");
      } else {
        s->parts++;
        s->state = MS_HEADERS;
      }
      break;
    case MS_HEADERS: used = ms_headers(s, p, n); break;
    case MS_DONE: return GALE_OK; /* the epilogue is ignored */
    default: return s->error;
    }
    if (used < 0) return (int)used;
    i += (size_t)used;
  }
  return GALE_OK;
}

int gale_multipart_stream_finish(gale_multipart_stream *s) {
  if (!s) return GALE_EINVAL;
  if (s->in_cb) return GALE_ESTATE;
  switch (s->state) {
  case MS_DONE: return GALE_OK;
  case MS_FAILED: return s->error;
  case MS_PREAMBLE:
    return ms_fail(s, GALE_EHTTP_PARSE, "no multipart boundary delimiter in the body");
  case MS_HEADERS:
    if (s->head.len > s->lim.max_header_size)
      return ms_fail(s, GALE_ELIMIT, "a multipart part header section too large");
    return ms_fail(s, GALE_EHTTP_PARSE, "the body ends inside a multipart part's header section");
  default:
    return ms_fail(s, GALE_EHTTP_PARSE,
                   "the body ends before the closing multipart boundary delimiter");
  }
}

/* ---- the whole-body parser, on the streaming one ---- */

typedef struct whole_ctx {
  gale_multipart *m;
  gale_multipart_stream *s;
  gale_multipart_part *part;
} whole_ctx;

static int add_part(gale_multipart *m, gale_multipart_part **out) {
  if (m->count == m->cap) {
    size_t ncap = m->cap ? m->cap * 2 : 8;
    gale_multipart_part *np = gale__realloc(m->parts, ncap * sizeof(*np));
    if (!np) return GALE_ENOMEM;
    m->parts = np;
    m->cap = ncap;
  }
  *out = &m->parts[m->count++];
  memset(*out, 0, sizeof(**out));
  return GALE_OK;
}

static int whole_begin(const gale_multipart_part *sp, void *arg) {
  whole_ctx *w = arg;
  gale_multipart_part *part;
  int rc = add_part(w->m, &part);
  if (rc != GALE_OK) return rc;
  part->name = keep(&w->m->text, sp->name, sp->name_len);
  part->name_len = sp->name_len;
  if (sp->filename) {
    part->filename = keep(&w->m->text, sp->filename, sp->filename_len);
    part->filename_len = sp->filename_len;
    if (!part->filename) return GALE_ENOMEM;
  }
  if (sp->content_type) {
    part->content_type = keep(&w->m->text, sp->content_type, sp->content_type_len);
    part->content_type_len = sp->content_type_len;
    if (!part->content_type) return GALE_ENOMEM;
  }
  if (!part->name) return GALE_ENOMEM;
  part->data = w->s->cur; /* zero-copy: the body is fed whole, once */
  w->part = part;
  return GALE_OK;
}

static int whole_data(const char *data, size_t len, void *arg) {
  whole_ctx *w = arg;
  /* One piece fed: a part's data is one run of it. */
  if (data != w->part->data + w->part->data_len) return GALE_ESTATE;
  w->part->data_len += len;
  return GALE_OK;
}

int gale_multipart_parse(const char *body, size_t len, const char *boundary, size_t boundary_len,
                         const gale_multipart_limits *lim, gale_multipart **out) {
  if (!out) return GALE_EINVAL;
  *out = NULL;
  if ((!body && len) || !valid_boundary(boundary, boundary_len)) return GALE_EINVAL;
  if (!body) return GALE_EHTTP_PARSE;
  gale_multipart *m = gale__calloc(1, sizeof(*m));
  if (!m) return GALE_ENOMEM;
  gale__arena_init(&m->text, NULL, 0);
  whole_ctx w = {.m = m};
  static const gale_multipart_callbacks cb = {.part_begin = whole_begin, .part_data = whole_data};
  int rc = gale_multipart_stream_new(boundary, boundary_len, lim, &cb, &w, &w.s);
  if (rc == GALE_OK) rc = gale_multipart_stream_feed(w.s, body, len);
  if (rc == GALE_OK) rc = gale_multipart_stream_finish(w.s);
  gale_multipart_stream_free(w.s);
  if (rc != GALE_OK) {
    gale_multipart_free(m);
    return rc;
  }
  *out = m;
  return GALE_OK;
}

/* ---- encoder ---- */

struct gale_multipart_enc {
  gale_buf buf;
  bool finished;
  size_t blen;
  char boundary[MAX_BOUNDARY + 1];
  char content_type[MAX_BOUNDARY + 40];
};

/* Callers reserve a part's whole size first, so a part is added whole or
 * not at all and these appends cannot fail. */
static void add(gale_multipart_enc *e, const void *s, size_t n) { gale_buf_append(&e->buf, s, n); }

static void adds(gale_multipart_enc *e, const char *s) { add(e, s, strlen(s)); }

/* RFC 2046 bcharsnospace, for boundaries gale sends. */
static bool bchars_ok(const char *b, size_t n) {
  if (n == 0 || n > MAX_BOUNDARY) return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)b[i];
    if (!(gale__is(c, GALE__C_UNRES) && c != '~') && !strchr("'()+,/:=?", c)) return false;
  }
  return true;
}

gale_multipart_enc *gale_multipart_enc_new(const char *boundary) {
  gale_multipart_enc *e = calloc(1, sizeof(*e));
  if (!e) return NULL;
  gale_buf_init(&e->buf, 0);
  if (boundary) {
    size_t n = strlen(boundary);
    if (!bchars_ok(boundary, n)) {
      free(e);
      return NULL;
    }
    memcpy(e->boundary, boundary, n + 1);
    e->blen = n;
  } else {
    unsigned char rnd[16];
    if (RAND_bytes(rnd, sizeof rnd) != 1) {
      free(e);
      return NULL;
    }
    static const char hex[] = "0123456789abcdef";
    memcpy(e->boundary, "gale-", 5);
    for (size_t i = 0; i < sizeof rnd; i++) {
      e->boundary[5 + 2 * i] = hex[rnd[i] >> 4];
      e->boundary[6 + 2 * i] = hex[rnd[i] & 15];
    }
    e->blen = 5 + 2 * sizeof rnd;
    e->boundary[e->blen] = '\0';
  }
  static const char prefix[] = "multipart/form-data; boundary=";
  memcpy(e->content_type, prefix, sizeof prefix - 1);
  memcpy(e->content_type + sizeof prefix - 1, e->boundary, e->blen + 1);
  return e;
}

void gale_multipart_enc_free(gale_multipart_enc *e) {
  if (!e) return;
  gale_buf_release(&e->buf);
  free(e);
}

const char *gale_multipart_enc_content_type(const gale_multipart_enc *e) {
  return e ? e->content_type : NULL;
}

/* Names and filenames go inside quotes (RFC 7578 §4.2 leaves escaping
 * unspecified).  Control characters other than HTAB are refused, as every
 * field-value parser (ours included) refuses them; so are CR, LF and '"',
 * which HTML's percent-encoding would turn into a different name. */
static bool quotable(const char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if ((c < 0x20 && c != '\t') || c == 0x7f || c == '"') return false;
  }
  return true;
}

/* A backslash goes out doubled, as a quoted-pair (RFC 9110 §5.6.4):
 * parsers that read quoted strings (gale's, Tornado's) would otherwise
 * drop it. */
static size_t quoted_extra(const char *s) {
  size_t n = 0;
  for (; *s; s++) n += *s == '\\';
  return n;
}

static void add_quoted(gale_multipart_enc *e, const char *s) {
  add(e, "\"", 1);
  for (const char *bs; (bs = strchr(s, '\\')); s = bs + 1) {
    add(e, s, (size_t)(bs - s) + 1);
    add(e, "\\", 1);
  }
  adds(e, s);
  add(e, "\"", 1);
}

static int add_part_enc(gale_multipart_enc *e, const char *name, bool is_file, const char *filename,
                        const char *content_type, const void *data, size_t len) {
  if (!e || !name || (!data && len)) return GALE_EINVAL;
  if (e->finished) return GALE_ESTATE;
  if (!quotable(name) || (filename && !quotable(filename))) return GALE_EINVAL;
  if (content_type && !gale_http_is_field_value(content_type, strlen(content_type)))
    return GALE_EINVAL;
  char marker[MAX_BOUNDARY + 3] = "--";
  memcpy(marker + 2, e->boundary, e->blen);
  if (len && memmem(data, len, marker, e->blen + 2)) return GALE_EEXIST;
  size_t need = e->blen + 4 + 60 + strlen(name) + quoted_extra(name) + 14 +
                (filename ? strlen(filename) + quoted_extra(filename) : 0) + 18 +
                (content_type ? strlen(content_type) : 30) + 8 + len;
  int rc = gale_buf_reserve(&e->buf, need);
  if (rc != GALE_OK) return rc;
  add(e, "--", 2);
  add(e, e->boundary, e->blen);
  adds(e, "\r\nContent-Disposition: form-data; name=");
  add_quoted(e, name);
  if (filename) {
    adds(e, "; filename=");
    add_quoted(e, filename);
  }
  if (is_file && !content_type) content_type = "application/octet-stream";
  add(e, "\r\n", 2);
  if (content_type) {
    adds(e, "Content-Type: ");
    adds(e, content_type);
    add(e, "\r\n", 2);
  }
  add(e, "\r\n", 2);
  if (len) add(e, data, len);
  add(e, "\r\n", 2);
  return GALE_OK;
}

int gale_multipart_enc_add_field(gale_multipart_enc *e, const char *name, const char *value,
                                 size_t value_len) {
  return add_part_enc(e, name, false, NULL, NULL, value, value_len);
}

int gale_multipart_enc_add_file(gale_multipart_enc *e, const char *name, const char *filename,
                                const char *content_type, const void *data, size_t len) {
  return add_part_enc(e, name, true, filename, content_type, data, len);
}

int gale_multipart_enc_finish(gale_multipart_enc *e, const char **body, size_t *len) {
  if (!e || !body || !len) return GALE_EINVAL;
  if (!e->finished) {
    int rc = gale_buf_reserve(&e->buf, e->blen + 6);
    if (rc != GALE_OK) return rc;
    add(e, "--", 2);
    add(e, e->boundary, e->blen);
    add(e, "--\r\n", 4);
    e->finished = true;
  }
  *body = e->buf.data;
  *len = e->buf.len;
  return GALE_OK;
}
