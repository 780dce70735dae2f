/* SPDX-License-Identifier: MIT */
/* The HTTP/1.x head parser (http/wire/h1_parser.h has the contract and the
 * rules).
 *
 * How it stays linear for slow senders: the first call tries a full parse
 * of whatever is there (the common case is a whole head in one read).  If
 * that runs out of input, later calls only search the new bytes for line
 * ends with memchr, checking CRLF and the limits, until the blank line
 * arrives; then the full parse runs once more over the complete head.  So
 * each byte is looked at a bounded number of times whatever the split.
 *
 * Here: the start lines, the field-line loop and the framing verdict of
 * one head, and the scan.  The character classes, validators and the
 * meaning of framing fields are in h1_chars.c and h1_fields.c (see
 * h1_internal.h for why the rest stays together).
 */
#include "http/wire/h1_internal.h"

#define MAX_LEADING_CRLF 8
/* Below this many buffered bytes an incomplete head is re-parsed whole on
 * each call (bounded cost: early errors for garbage); above, only scanned. */
#define FULL_REPARSE_MAX 512

void gale_h1_limits_init(gale_h1_limits *l) {
  l->max_header_size = GALE_H1_DEFAULT_MAX_HEADER_SIZE;
  l->max_start_line = GALE_H1_DEFAULT_MAX_START_LINE;
  l->max_headers = GALE_H1_DEFAULT_MAX_HEADERS;
  l->max_body_size = GALE_H1_DEFAULT_MAX_BODY_SIZE;
  l->max_chunk_ext = GALE_H1_DEFAULT_MAX_CHUNK_EXT;
  l->max_trailer_size = GALE_H1_DEFAULT_MAX_TRAILER_SIZE;
}

void gale_h1_parser_init(gale_h1_parser *p, gale_h1_mode mode, const gale_h1_limits *limits) {
  memset(p, 0, sizeof *p);
  if (limits)
    p->limits = *limits;
  else
    gale_h1_limits_init(&p->limits);
  p->mode = (uint8_t)mode;
}

void gale_h1_parser_reset(gale_h1_parser *p, unsigned flags) {
  p->detail = NULL;
  p->line_start = p->scan_pos = p->lines = 0;
  p->status = GALE_OK;
  p->flags = (uint8_t)flags;
  p->scanning = 0;
}

const char *gale_h1_parser_detail(const gale_h1_parser *p) { return p->status ? p->detail : NULL; }

/* ---- start lines and the request target ---------------------------------- */

static gale_h1_method method_id(const char *m, size_t n) {
  switch (n) {
  case 3:
    if (!memcmp(m, "GET", 3)) return GALE_H1_METHOD_GET;
    if (!memcmp(m, "PUT", 3)) return GALE_H1_METHOD_PUT;
    break;
  case 4:
    if (!memcmp(m, "POST", 4)) return GALE_H1_METHOD_POST;
    if (!memcmp(m, "HEAD", 4)) return GALE_H1_METHOD_HEAD;
    break;
  case 5:
    if (!memcmp(m, "PATCH", 5)) return GALE_H1_METHOD_PATCH;
    if (!memcmp(m, "TRACE", 5)) return GALE_H1_METHOD_TRACE;
    break;
  case 6:
    if (!memcmp(m, "DELETE", 6)) return GALE_H1_METHOD_DELETE;
    break;
  case 7:
    if (!memcmp(m, "OPTIONS", 7)) return GALE_H1_METHOD_OPTIONS;
    if (!memcmp(m, "CONNECT", 7)) return GALE_H1_METHOD_CONNECT;
    break;
  }
  return GALE_H1_METHOD_OTHER;
}

/* "HTTP/" DIGIT "." DIGIT at s (8 bytes available). */
static int parse_version(gale_h1_parser *p, const char *s, gale_h1_msg *msg) {
  if (memcmp(s, "HTTP/", 5) != 0 || s[6] != '.' || s[5] < '0' || s[5] > '9' || s[7] < '0' ||
      s[7] > '9')
    return fail(p, GALE_EHTTP_PARSE, "invalid HTTP version");
  if (s[5] != '1') return fail(p, GALE_EHTTP_VERSION, "HTTP major version is not 1");
  msg->version_minor = s[7] == '0' ? 0 : 1;
  return GALE_OK;
}

#define NEED(n)                                           \
  do {                                                    \
    if ((size_t)(end - s) < (size_t)(n)) goto incomplete; \
  } while (0)

/* Request line at s; on success *sp is just past its CRLF. */
static int parse_request_line(gale_h1_parser *p, const char **sp, const char *end,
                              gale_h1_msg *msg) {
  const char *s = *sp, *start = s;
  while (s < end && IS(*s, C_TOKEN)) s++;
  NEED(1);
  if (*s != ' ' || s == start) return fail(p, GALE_EHTTP_PARSE, "invalid method");
  msg->method.ptr = start;
  msg->method.len = (size_t)(s - start);
  msg->method_id = method_id(start, msg->method.len);
  const char *t = ++s;
  s = skip_target(s, end);
  NEED(1);
  if (*s != ' ' || s == t) return fail(p, GALE_EHTTP_PARSE, "invalid request target");
  msg->target.ptr = t;
  msg->target.len = (size_t)(s - t);
  s++;
  NEED(10);
  int rc = parse_version(p, s, msg);
  if (rc) return rc;
  if (s[8] != '\r' || s[9] != '\n') return fail(p, GALE_EHTTP_PARSE, "invalid request line end");
  *sp = s + 10;
  return GALE_OK;
incomplete:
  return GALE_EAGAIN;
}

/* "HTTP/1.x" SP 3DIGIT [SP reason] CRLF */
static int parse_status_line(gale_h1_parser *p, const char **sp, const char *end,
                             gale_h1_msg *msg) {
  const char *s = *sp;
  NEED(12);
  int rc = parse_version(p, s, msg);
  if (rc) return rc;
  if (s[8] != ' ' || s[9] < '1' || s[9] > '9' || s[10] < '0' || s[10] > '9' || s[11] < '0' ||
      s[11] > '9')
    return fail(p, GALE_EHTTP_PARSE, "invalid status line");
  msg->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
  s += 12;
  NEED(1);
  if (*s == ' ')
    s++;
  else if (*s != '\r')
    return fail(p, GALE_EHTTP_PARSE, "invalid status line");
  const char *r = s;
  while (s < end && IS(*s, C_VALUE)) s++;
  NEED(2);
  if (s[0] != '\r' || s[1] != '\n')
    return fail(p, GALE_EHTTP_PARSE,
                *s == '\n' ? "bare LF in status line" : "invalid character in reason");
  msg->reason.ptr = r;
  msg->reason.len = (size_t)(s - r);
  *sp = s + 2;
  return GALE_OK;
incomplete:
  return GALE_EAGAIN;
}

/* Classifies and checks the request target. */
static int check_target(gale_h1_parser *p, gale_h1_msg *msg) {
  const char *t = msg->target.ptr;
  size_t n = msg->target.len;
  if (t[0] == '/') {
    msg->target_form = GALE_H1_TARGET_ORIGIN;
    if (msg->method_id == GALE_H1_METHOD_CONNECT)
      return fail(p, GALE_EHTTP_PARSE, "CONNECT needs an authority-form target");
    return GALE_OK;
  }
  if (n == 1 && t[0] == '*') {
    msg->target_form = GALE_H1_TARGET_ASTERISK;
    if (msg->method_id != GALE_H1_METHOD_OPTIONS)
      return fail(p, GALE_EHTTP_PARSE, "'*' target is only for OPTIONS");
    return GALE_OK;
  }
  if (msg->method_id == GALE_H1_METHOD_CONNECT) {
    msg->target_form = GALE_H1_TARGET_AUTHORITY;
    if (!gale__h1_valid_authority(t, n, true))
      return fail(p, GALE_EHTTP_PARSE, "invalid CONNECT target");
    msg->host = msg->target;
    return GALE_OK;
  }
  /* absolute-form: scheme "://" authority [path-abempty] [? query] */
  size_t i = 0;
  if (!is_alpha(t[0])) return fail(p, GALE_EHTTP_PARSE, "invalid request target");
  while (i < n && (is_alpha(t[i]) || (t[i] >= '0' && t[i] <= '9') || t[i] == '+' || t[i] == '-' ||
                   t[i] == '.'))
    i++;
  if (n - i < 3 || memcmp(t + i, "://", 3) != 0)
    return fail(p, GALE_EHTTP_PARSE, "invalid request target");
  size_t a = i + 3, e = a;
  while (e < n && t[e] != '/' && t[e] != '?') e++;
  if (e == a || memchr(t + a, '@', e - a) || !gale__h1_valid_authority(t + a, e - a, false))
    return fail(p, GALE_EHTTP_PARSE, "invalid authority in request target");
  msg->target_form = GALE_H1_TARGET_ABSOLUTE;
  msg->host.ptr = t + a;
  msg->host.len = e - a;
  return GALE_OK;
}

/* ---- framing: judged once every field is known --------------------------- */

/* A request's body framing, Host, keep-alive, Expect and Upgrade. */
static int finish_request(gale_h1_parser *p, gale_h1_msg *msg, gale__h1_sem *sem) {
  bool v11 = msg->version_minor >= 1;
  if (sem->host_fields > 1) return fail(p, GALE_EHTTP_PARSE, "repeated Host");
  if (v11 && sem->host_fields == 0) return fail(p, GALE_EHTTP_PARSE, "missing Host");
  if (sem->host_fields && !gale__h1_valid_authority(sem->host, sem->host_len, false))
    return fail(p, GALE_EHTTP_PARSE, "invalid Host");
  if (msg->target_form == GALE_H1_TARGET_ORIGIN || msg->target_form == GALE_H1_TARGET_ASTERISK) {
    msg->host.ptr = sem->host;
    msg->host.len = sem->host_len;
  }
  if (sem->te_seen) {
    if (!v11) return fail(p, GALE_EHTTP_PARSE, "Transfer-Encoding in an HTTP/1.0 request");
    if (sem->cl_fields) return fail(p, GALE_EHTTP_PARSE, "Content-Length with Transfer-Encoding");
    if (sem->te_bad || sem->te_chunked != 1 || !sem->te_last_chunked)
      return fail(p, GALE_EHTTP_PARSE, "Transfer-Encoding must end in one chunked");
    if (sem->te_other) return fail(p, GALE_EHTTP_ENCODING, "unsupported transfer coding");
    msg->body_kind = GALE_H1_BODY_CHUNKED;
  } else if (sem->cl_fields) {
    if (sem->cl > p->limits.max_body_size)
      return fail(p, GALE_EHTTP_BODY_TOO_LARGE, "Content-Length over max_body_size");
    msg->body_kind = GALE_H1_BODY_LENGTH;
    msg->content_length = sem->cl;
  } else {
    msg->body_kind = GALE_H1_BODY_NONE;
  }
  msg->keep_alive = !sem->conn_close && (v11 || sem->conn_keep_alive);
  if (v11) {
    msg->expect_continue = sem->expect_continue && !sem->expect_other;
    msg->expect_other = sem->expect_other;
  }
  msg->upgrade = v11 && sem->conn_upgrade && sem->upgrade_field;
  msg->content_gzip = sem->content_gzip;
  return GALE_OK;
}

/* The same for a response, given what the request was (p->flags). */
static int finish_response(gale_h1_parser *p, gale_h1_msg *msg, gale__h1_sem *sem) {
  bool v11 = msg->version_minor >= 1;
  int st = msg->status;
  msg->keep_alive = !sem->conn_close && (v11 || sem->conn_keep_alive);
  msg->content_gzip = sem->content_gzip;
  if (st == 101) msg->upgrade = true;
  if ((p->flags & GALE_H1_F_CONNECT_REQUEST) && st >= 200 && st < 300) {
    msg->upgrade = true;
    msg->body_kind = GALE_H1_BODY_NONE;
    return GALE_OK;
  }
  if (st < 200 || st == 204 || st == 304 || (p->flags & GALE_H1_F_HEAD_REQUEST)) {
    msg->body_kind = GALE_H1_BODY_NONE;
    if (sem->cl_fields) msg->content_length = sem->cl;
    return GALE_OK;
  }
  if (sem->te_seen) {
    if (!sem->te_bad && sem->te_chunked == 1 && sem->te_last_chunked && sem->te_other == 0) {
      msg->body_kind = GALE_H1_BODY_CHUNKED;
      if (sem->cl_fields || !v11) msg->keep_alive = false;
    } else if (sem->te_last_chunked) {
      /* "gzip, chunked" or a doubled chunked: framing we will not guess. */
      return fail(p, GALE_EHTTP_ENCODING, "unsupported transfer coding");
    } else {
      msg->body_kind = GALE_H1_BODY_UNTIL_CLOSE;
      msg->keep_alive = false;
    }
    return GALE_OK;
  }
  if (sem->cl_fields) {
    if (sem->cl > p->limits.max_body_size)
      return fail(p, GALE_EHTTP_BODY_TOO_LARGE, "Content-Length over max_body_size");
    msg->body_kind = GALE_H1_BODY_LENGTH;
    msg->content_length = sem->cl;
    return GALE_OK;
  }
  msg->body_kind = GALE_H1_BODY_UNTIL_CLOSE;
  msg->keep_alive = false;
  return GALE_OK;
}

/* ---- the head ------------------------------------------------------------ */

/* Where a full parse that ran out of input stopped. */
typedef struct partial {
  size_t line_start;
  size_t lines;
} partial;

/* Parses buf[0..len) from the start.  Returns the head length, GALE_EAGAIN
 * (with *part filled), or an error.  Checks every limit itself, so it is
 * safe on any input; the caller bounds len to max_header_size. */
static int parse_full(gale_h1_parser *p, const char *buf, size_t len, gale_h1_msg *msg,
                      partial *part) {
  const char *s = buf, *end = buf + len, *line;
  const gale_h1_limits *lim = &p->limits;
  size_t cap = msg->headers_cap < lim->max_headers ? msg->headers_cap : lim->max_headers;
  gale__h1_sem sem;
  int rc;
  bool req = p->mode == GALE_H1_REQUEST;

  memset(&sem, 0, sizeof sem);
  msg->num_headers = 0;
  part->lines = 0;

  /* RFC 9112 §2.2: a server ignores empty lines before the request line. */
  line = s;
  for (unsigned skipped = 0; req && s < end && (*s == '\r' || *s == '\n');) {
    if (*s == '\n') return fail(p, GALE_EHTTP_PARSE, "bare LF before request line");
    if (end - s < 2) goto incomplete;
    if (s[1] != '\n') return fail(p, GALE_EHTTP_PARSE, "bare CR before request line");
    if (++skipped > MAX_LEADING_CRLF)
      return fail(p, GALE_EHTTP_PARSE, "too many empty lines before request line");
    s += 2;
    line = s;
  }
  rc = req ? parse_request_line(p, &s, end, msg) : parse_status_line(p, &s, end, msg);
  if (rc == GALE_EAGAIN) {
    if ((size_t)(end - line) > lim->max_start_line) goto start_too_long;
    goto incomplete;
  }
  if (rc) return rc;
  if ((size_t)(s - line) > lim->max_start_line) goto start_too_long;
  if (req && (rc = check_target(p, msg))) return rc;
  part->lines = 1;

  for (;;) {
    line = s;
    if (s >= end) goto incomplete;
    if (*s == '\r') {
      if (end - s < 2) goto incomplete;
      if (s[1] != '\n') return fail(p, GALE_EHTTP_PARSE, "bare CR in header section");
      s += 2;
      break;
    }
    if (*s == ' ' || *s == '\t')
      return fail(p, GALE_EHTTP_PARSE, "obs-fold or whitespace before a field name");
    const char *name = s;
    s = skip_token(s, end);
    if (s >= end) goto incomplete;
    if (*s != ':') {
      if (*s == ' ' || *s == '\t')
        return fail(p, GALE_EHTTP_PARSE, "whitespace between field name and colon");
      if (*s == '\n') return fail(p, GALE_EHTTP_PARSE, "bare LF in header section");
      if (*s == '\r') return fail(p, GALE_EHTTP_PARSE, "field line without a colon");
      return fail(p, GALE_EHTTP_PARSE, "invalid character in field name");
    }
    if (s == name) return fail(p, GALE_EHTTP_PARSE, "empty field name");
    size_t nlen = (size_t)(s - name);
    s++;
    while (s < end && (*s == ' ' || *s == '\t')) s++;
    const char *v = s;
    s = skip_value(s, end);
    if (end - s < 2) goto incomplete;
    if (s[0] != '\r' || s[1] != '\n') {
      if (*s == '\n') return fail(p, GALE_EHTTP_PARSE, "bare LF in header section");
      if (*s == '\r') return fail(p, GALE_EHTTP_PARSE, "bare CR in header section");
      return fail(p, GALE_EHTTP_PARSE, "invalid character in field value");
    }
    const char *ve = s;
    while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
    s += 2;
    if (msg->num_headers >= cap)
      return fail(p, GALE_EHTTP_HEADER_TOO_LARGE, "too many header fields");
    gale_h1_header *h = &msg->headers[msg->num_headers++];
    h->name.ptr = name;
    h->name.len = nlen;
    h->value.ptr = v;
    h->value.len = (size_t)(ve - v);
    part->lines++;
    if ((rc = sem_field(p, &sem, name, nlen, v, (size_t)(ve - v)))) return rc;
  }
  msg->head_len = (size_t)(s - buf);
  if (msg->head_len > lim->max_header_size)
    return fail(p, GALE_EHTTP_HEADER_TOO_LARGE, "header section too large");
  rc = req ? finish_request(p, msg, &sem) : finish_response(p, msg, &sem);
  if (rc) return rc;
  return (int)msg->head_len;

start_too_long:
  return req ? fail(p, GALE_EHTTP_URI_TOO_LONG, "request line too long")
             : fail(p, GALE_EHTTP_HEADER_TOO_LARGE, "status line too long");
incomplete:
  part->line_start = (size_t)(line - buf);
  return GALE_EAGAIN;
}

/* Head incomplete and `examined` bytes seen: is a limit already past? */
static int check_incomplete(gale_h1_parser *p, size_t len, size_t lim_len) {
  bool in_start = p->lines == 0;
  size_t line_len = lim_len - p->line_start;
  if (in_start && line_len > p->limits.max_start_line)
    return p->mode == GALE_H1_REQUEST
               ? fail(p, GALE_EHTTP_URI_TOO_LONG, "request line too long")
               : fail(p, GALE_EHTTP_HEADER_TOO_LARGE, "status line too long");
  if (len > lim_len)
    return (in_start && p->mode == GALE_H1_REQUEST)
               ? fail(p, GALE_EHTTP_URI_TOO_LONG, "request line too long")
               : fail(p, GALE_EHTTP_HEADER_TOO_LARGE, "header section too large");
  return GALE_EAGAIN;
}

/* Searches the new bytes for the end of the head.  Returns the head length
 * when the blank line is found, GALE_EAGAIN, or an error. */
static int scan(gale_h1_parser *p, const char *buf, size_t len, size_t lim_len) {
  size_t ls = p->line_start;
  size_t pos = p->scan_pos > ls ? p->scan_pos : ls;
  size_t max_lines = (size_t)p->limits.max_headers + 1;
  for (;;) {
    const char *nl = pos < lim_len ? memchr(buf + pos, '\n', lim_len - pos) : NULL;
    if (!nl) {
      p->line_start = (uint32_t)ls;
      p->scan_pos = (uint32_t)lim_len;
      return check_incomplete(p, len, lim_len);
    }
    size_t e = (size_t)(nl - buf);
    if (e == ls || buf[e - 1] != '\r')
      return fail(p, GALE_EHTTP_PARSE, "bare LF in header section");
    if (e - 1 == ls) {
      if (p->lines) return (int)(e + 1);
      if (p->mode != GALE_H1_REQUEST || ls / 2 >= MAX_LEADING_CRLF)
        return fail(p, GALE_EHTTP_PARSE, "empty line before start line");
    } else {
      if (p->lines == 0 && e + 1 - ls > p->limits.max_start_line)
        return p->mode == GALE_H1_REQUEST
                   ? fail(p, GALE_EHTTP_URI_TOO_LONG, "request line too long")
                   : fail(p, GALE_EHTTP_HEADER_TOO_LARGE, "status line too long");
      if (++p->lines > max_lines)
        return fail(p, GALE_EHTTP_HEADER_TOO_LARGE, "too many header fields");
    }
    ls = pos = e + 1;
  }
}

int gale_h1_parse_head(gale_h1_parser *p, const char *buf, size_t len, gale_h1_msg *msg) {
  partial part;
  int rc;
  if (p->status) return p->status;
  if (!msg->headers && msg->headers_cap) return GALE_EINVAL;
  size_t lim_len = len < p->limits.max_header_size ? len : p->limits.max_header_size;
  if (lim_len > INT32_MAX) lim_len = INT32_MAX;

  if (!p->scanning) {
    memset(&msg->head_len, 0, sizeof *msg - offsetof(gale_h1_msg, head_len));
    rc = parse_full(p, buf, lim_len, msg, &part);
    if (rc != GALE_EAGAIN) return rc;
    /* While little has arrived, parsing again from the start is cheap and
     * rejects garbage at once; past that, scan only the new bytes. */
    if (lim_len < FULL_REPARSE_MAX && len == lim_len) return GALE_EAGAIN;
    p->scanning = 1;
    p->line_start = (uint32_t)part.line_start;
    p->scan_pos = (uint32_t)part.line_start;
    p->lines = (uint32_t)part.lines;
    return check_incomplete(p, len, lim_len);
  }
  rc = scan(p, buf, len, lim_len);
  if (rc <= 0) return rc;
  memset(&msg->head_len, 0, sizeof *msg - offsetof(gale_h1_msg, head_len));
  rc = parse_full(p, buf, (size_t)rc, msg, &part);
  if (rc == GALE_EAGAIN) /* cannot happen: the blank line is there */
    return fail(p, GALE_EHTTP_PARSE, "malformed header section");
  return rc;
}
