/* SPDX-License-Identifier: MIT */
/* What field lines mean to the parser: comma-separated lists, and the
 * fields that change framing or connection handling (Content-Length,
 * Transfer-Encoding, Connection, Expect).  Their verdict is given in
 * h1_framing.c once every field is known. */
#include "http/wire/h1_internal.h"

/* Iterates the elements of a comma-separated list, OWS trimmed; empty
 * elements are skipped (RFC 9110 §5.6.1.2).  Returns false at the end. */
static bool list_next(const char **cur, const char *end, const char **el, size_t *el_len) {
  const char *s = *cur;
  for (;;) {
    while (s < end && (*s == ' ' || *s == '\t' || *s == ',')) s++;
    if (s >= end) {
      *cur = s;
      return false;
    }
    const char *e = s;
    while (e < end && *e != ',') e++;
    const char *t = e;
    while (t > s && (t[-1] == ' ' || t[-1] == '\t')) t--;
    *el = s;
    *el_len = (size_t)(t - s);
    *cur = e;
    return true;
  }
}

bool gale_h1_list_has_token(const char *value, size_t len, const char *token) {
  const char *cur = value, *end = value + len, *el;
  size_t el_len, tlen = strlen(token);
  while (list_next(&cur, end, &el, &el_len)) {
    if (el_len != tlen) continue;
    size_t i = 0;
    while (i < tlen && lower((unsigned char)el[i]) == lower((unsigned char)token[i])) i++;
    if (i == tlen) return true;
  }
  return false;
}

const gale_h1_header *gale_h1_find_header(const gale_h1_msg *msg, const char *name,
                                          size_t name_len) {
  for (size_t i = 0; i < msg->num_headers; i++) {
    const gale_h1_header *h = &msg->headers[i];
    if (h->name.len != name_len) continue;
    size_t k = 0;
    while (k < name_len && lower((unsigned char)h->name.ptr[k]) == lower((unsigned char)name[k]))
      k++;
    if (k == name_len) return h;
  }
  return NULL;
}

/* 1*DIGIT with an overflow check: no sign, no space, no "0x", not empty. */
static bool parse_decimal(const char *s, size_t n, uint64_t *out) {
  uint64_t x = 0;
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++) {
    unsigned d = (unsigned)(unsigned char)s[i] - '0';
    if (d > 9 || x > (UINT64_MAX - d) / 10) return false;
    x = x * 10 + d;
  }
  *out = x;
  return true;
}

/* Content-Length: requests take exactly one 1*DIGIT field; responses may
 * repeat it (fields or a list) as long as every value is the same. */
int gale__h1_sem_content_length(gale_h1_parser *p, gale__h1_sem *sem, const char *v, size_t n) {
  uint64_t x;
  if (p->mode == GALE_H1_REQUEST) {
    if (sem->cl_fields++) return fail(p, GALE_EHTTP_PARSE, "repeated Content-Length");
    if (!parse_decimal(v, n, &sem->cl)) return fail(p, GALE_EHTTP_PARSE, "invalid Content-Length");
    return GALE_OK;
  }
  const char *cur = v, *end = v + n, *el;
  size_t el_len;
  bool any = false;
  while (list_next(&cur, end, &el, &el_len)) {
    any = true;
    if (!parse_decimal(el, el_len, &x)) return fail(p, GALE_EHTTP_PARSE, "invalid Content-Length");
    if (sem->cl_fields++ && x != sem->cl)
      return fail(p, GALE_EHTTP_PARSE, "differing Content-Length values");
    sem->cl = x;
  }
  if (!any) return fail(p, GALE_EHTTP_PARSE, "invalid Content-Length");
  return GALE_OK;
}

void gale__h1_sem_transfer_encoding(gale__h1_sem *sem, const char *v, size_t n) {
  const char *cur = v, *end = v + n, *el;
  size_t el_len;
  sem->te_seen = true;
  while (list_next(&cur, end, &el, &el_len)) {
    if (EQ_CI(el, el_len, "chunked")) {
      sem->te_chunked++;
      sem->te_last_chunked = true;
      continue;
    }
    /* A coding is a token, optionally with parameters. */
    size_t t = 0;
    while (t < el_len && IS(el[t], C_TOKEN)) t++;
    if (t == 0 || (t < el_len && el[t] != ';' && el[t] != ' ' && el[t] != '\t')) sem->te_bad = true;
    if (EQ_CI(el, t, "chunked")) sem->te_bad = true; /* chunked;params */
    sem->te_other++;
    sem->te_last_chunked = false;
  }
}

void gale__h1_sem_connection(gale__h1_sem *sem, const char *v, size_t n) {
  const char *cur = v, *end = v + n, *el;
  size_t el_len;
  while (list_next(&cur, end, &el, &el_len)) {
    if (EQ_CI(el, el_len, "close"))
      sem->conn_close = true;
    else if (EQ_CI(el, el_len, "keep-alive"))
      sem->conn_keep_alive = true;
    else if (EQ_CI(el, el_len, "upgrade"))
      sem->conn_upgrade = true;
  }
}

void gale__h1_sem_expect(gale__h1_sem *sem, const char *v, size_t n) {
  if (EQ_CI(v, n, "100-continue"))
    sem->expect_continue = true;
  else
    sem->expect_other = true;
}
