/* SPDX-License-Identifier: MIT */
/* http/util/multipart.c — multipart/form-data (RFC 7578 over RFC 2046): a
 * strict, zero-copy parser and a small encoder.
 *
 * The parser walks the body once: every search (delimiter, end of a part's
 * header section) starts where the previous one ended and uses memmem
 * (glibc's is linear), and a header section is searched only up to its
 * size limit, so a hostile body costs time linear in its length.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

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

size_t gale_multipart_count(const gale_multipart *m) {
  return m ? m->count : 0;
}

const gale_multipart_part *gale_multipart_at(const gale_multipart *m,
                                             size_t i) {
  return m && i < m->count ? &m->parts[i] : NULL;
}

static const char *keep(gale_multipart *m, const char *s, size_t n) {
  char *d = gale__arena_alloc(&m->text, n + 1);
  if (!d) return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

/* Content-Disposition: form-data; name="..."; filename="..." */
static int disposition(gale_multipart *m, gale_multipart_part *part,
                       const char *v, size_t n, gale_params *params) {
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
  part->name = keep(m, name, nl);
  part->name_len = nl;
  if (!part->name) return GALE_ENOMEM;
  if (fname) {
    part->filename = keep(m, fname, fl);
    part->filename_len = fl;
    if (!part->filename) return GALE_ENOMEM;
  }
  return GALE_OK;
}

/* The header section h[0..n) (without its final CRLF CRLF). */
static int part_headers(gale_multipart *m, gale_multipart_part *part,
                        const char *h, size_t n, gale_params *params) {
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
      int rc = disposition(m, part, v, vlen, params);
      if (rc != GALE_OK) return rc;
    } else if (gale_ascii_eq(p, nlen, "content-type", 12)) {
      if (seen_ct) return GALE_EHTTP_PARSE;
      seen_ct = true;
      part->content_type = keep(m, v, vlen);
      part->content_type_len = vlen;
      if (!part->content_type) return GALE_ENOMEM;
    }
    if (eol == end) break;
    p = eol + 2;
  }
  return seen_cd ? GALE_OK : GALE_EHTTP_PARSE;
}

/* After a delimiter at *pp: "--" closes; else optional LWSP then CRLF.
 * Returns 1 for close, 0 for another part, or an error. */
static int after_delimiter(const char **pp, const char *end) {
  const char *p = *pp;
  if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
    *pp = p + 2;
    return 1;
  }
  while (p < end && (*p == ' ' || *p == '\t')) p++;
  if (end - p < 2 || p[0] != '\r' || p[1] != '\n') return GALE_EHTTP_PARSE;
  *pp = p + 2;
  return 0;
}

static int add_part(gale_multipart *m, gale_multipart_part **out) {
  if (m->count == m->cap) {
    size_t ncap = m->cap ? m->cap * 2 : 8;
    gale_multipart_part *np = realloc(m->parts, ncap * sizeof(*np));
    if (!np) return GALE_ENOMEM;
    m->parts = np;
    m->cap = ncap;
  }
  *out = &m->parts[m->count++];
  memset(*out, 0, sizeof(**out));
  return GALE_OK;
}

static int parse(gale_multipart *m, const char *body, size_t len,
                 const char *delim, size_t dlen,
                 const gale_multipart_limits *lim, gale_params *params) {
  const char *end = body + len, *p;
  /* delim is "\r\n--boundary"; the first one may start the body. */
  if (len >= dlen - 2 && memcmp(body, delim + 2, dlen - 2) == 0) {
    p = body + dlen - 2;
  } else {
    const char *d = memmem(body, len, delim, dlen);
    if (!d) return GALE_EHTTP_PARSE;
    p = d + dlen;
  }
  for (;;) {
    int r = after_delimiter(&p, end);
    if (r < 0) return r;
    if (r == 1) return GALE_OK; /* the epilogue is ignored */
    if (m->count >= lim->max_parts) return GALE_ELIMIT;
    gale_multipart_part *part;
    int rc = add_part(m, &part);
    if (rc != GALE_OK) return rc;
    /* Header section: up to CRLF CRLF, or a bare CRLF for none. */
    const char *hend;
    size_t hlen;
    if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
      hend = p;
      hlen = 0;
    } else {
      size_t window = (size_t)(end - p);
      if (window - 4 > lim->max_header_size && window >= 4)
        window = lim->max_header_size + 4;
      hend = memmem(p, window, "\r\n\r\n", 4);
      if (!hend)
        return (size_t)(end - p) > lim->max_header_size ? GALE_ELIMIT
                                                        : GALE_EHTTP_PARSE;
      hlen = (size_t)(hend - p);
      if (hlen > lim->max_header_size) return GALE_ELIMIT;
      hend += 2;
    }
    rc = part_headers(m, part, p, hlen, params);
    if (rc != GALE_OK) return rc;
    const char *data = hend + 2;
    const char *d = memmem(data, (size_t)(end - data), delim, dlen);
    if (!d) return GALE_EHTTP_PARSE; /* no closing delimiter */
    part->data = data;
    part->data_len = (size_t)(d - data);
    p = d + dlen;
  }
}

int gale_multipart_parse(const char *body, size_t len, const char *boundary,
                         size_t boundary_len,
                         const gale_multipart_limits *lim,
                         gale_multipart **out) {
  if (!out) return GALE_EINVAL;
  *out = NULL;
  if ((!body && len) || !valid_boundary(boundary, boundary_len))
    return GALE_EINVAL;
  gale_multipart_limits def;
  if (!lim) {
    gale_multipart_limits_init(&def);
    lim = &def;
  }
  char delim[MAX_BOUNDARY + 4];
  memcpy(delim, "\r\n--", 4);
  memcpy(delim + 4, boundary, boundary_len);
  gale_multipart *m = calloc(1, sizeof(*m));
  gale_params *params = gale_params_new();
  if (!m || !params) {
    free(m);
    gale_params_free(params);
    return GALE_ENOMEM;
  }
  gale__arena_init(&m->text, NULL, 0);
  int rc = body ? parse(m, body, len, delim, boundary_len + 4, lim, params)
                : GALE_EHTTP_PARSE;
  gale_params_free(params);
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
static void add(gale_multipart_enc *e, const void *s, size_t n) {
  gale_buf_append(&e->buf, s, n);
}

static void adds(gale_multipart_enc *e, const char *s) {
  add(e, s, strlen(s));
}

/* RFC 2046 bcharsnospace, for boundaries gale sends. */
static bool bchars_ok(const char *b, size_t n) {
  if (n == 0 || n > MAX_BOUNDARY) return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)b[i];
    if (!(gale__is(c, GALE__C_UNRES) && c != '~') && !strchr("'()+,/:=?", c))
      return false;
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

static int add_part_enc(gale_multipart_enc *e, const char *name,
                        bool is_file, const char *filename,
                        const char *content_type, const void *data,
                        size_t len) {
  if (!e || !name || (!data && len)) return GALE_EINVAL;
  if (e->finished) return GALE_ESTATE;
  if (!quotable(name) || (filename && !quotable(filename)))
    return GALE_EINVAL;
  if (content_type &&
      !gale_http_is_field_value(content_type, strlen(content_type)))
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

int gale_multipart_enc_add_field(gale_multipart_enc *e, const char *name,
                                 const char *value, size_t value_len) {
  return add_part_enc(e, name, false, NULL, NULL, value, value_len);
}

int gale_multipart_enc_add_file(gale_multipart_enc *e, const char *name,
                                const char *filename,
                                const char *content_type, const void *data,
                                size_t len) {
  return add_part_enc(e, name, true, filename, content_type, data, len);
}

int gale_multipart_enc_finish(gale_multipart_enc *e, const char **body,
                              size_t *len) {
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
