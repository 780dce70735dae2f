/* The HTTP/1.x head parser (http/wire/h1_parser.h has the contract and the
 * rules).
 *
 * How it stays linear for slow senders: the first call tries a full parse
 * of whatever is there (the common case is a whole head in one read).  If
 * that runs out of input, later calls only search the new bytes for line
 * ends with memchr, checking CRLF and the limits, until the blank line
 * arrives; then the full parse runs once more over the complete head.  So
 * each byte is looked at a bounded number of times whatever the split.
 */
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "http/wire/h1_parser.h"

/* Character classes, one bit each (generated from the RFC 9110/3986 sets). */
enum {
  C_TOKEN = 1,  /* tchar */
  C_VALUE = 2,  /* field-vchar / obs-text / SP / HTAB */
  C_TARGET = 4, /* 0x21-0x7E except '#' */
  C_HEX = 8,    /* HEXDIG */
  C_REG = 16,   /* reg-name: unreserved / pct '%' / sub-delims */
};

const uint8_t gale__h1_ctab[256] = {
    0,  0,  0,  0,  0,  0,  0,  0,  0,  2,  0,  0,  0,  0,  0,  0,
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
    2, 23,  6,  3, 23, 23, 23, 23, 22, 22, 23, 23, 22, 23, 23,  6,
   31, 31, 31, 31, 31, 31, 31, 31, 31, 31,  6, 22,  6, 22,  6,  6,
    6, 31, 31, 31, 31, 31, 31, 23, 23, 23, 23, 23, 23, 23, 23, 23,
   23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23,  6,  6,  6,  7, 23,
    7, 31, 31, 31, 31, 31, 31, 23, 23, 23, 23, 23, 23, 23, 23, 23,
   23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23,  6,  7,  6, 23,  0,
    2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
    2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
    2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
    2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
    2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
    2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
    2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
    2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
};

#define IS(c, cls) (gale__h1_ctab[(unsigned char)(c)] & (cls))
#define MAX_LEADING_CRLF 8
/* Below this many buffered bytes an incomplete head is re-parsed whole on
 * each call (bounded cost: early errors for garbage); above, only scanned. */
#define FULL_REPARSE_MAX 512

static inline bool is_alpha(char c) {
  return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static inline int lower(int c) {
  return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* s[0..n) equals the lowercase literal `lit` of the same length,
 * case-insensitively. */
static bool eq_ci(const char *s, size_t n, const char *lit, size_t litlen) {
  if (n != litlen) return false;
  for (size_t i = 0; i < n; i++)
    if (lower((unsigned char)s[i]) != lit[i]) return false;
  return true;
}
#define EQ_CI(s, n, lit) eq_ci((s), (n), lit, sizeof(lit) - 1)

/* The two long runs of a head, field values and targets, are scanned 16
 * bytes at a time where SSE2 exists (every x86-64): a block with no byte
 * that needs a look is skipped whole; the byte that stops a block is judged
 * one at a time.  Everything else is one table lookup per byte. */

/* First byte in [s, end) that is not a field-value char (VCHAR, obs-text,
 * SP, HTAB), or end. */
static inline const char *skip_value(const char *s, const char *end) {
#if defined(__SSE2__)
  const __m128i sp = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);
  for (;;) {
    while (end - s >= 16) {
      __m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
      /* ok: x >= 0x20 (unsigned) and x != 0x7f */
      __m128i ge = _mm_cmpeq_epi8(_mm_max_epu8(x, sp), x);
      __m128i bad = _mm_or_si128(_mm_xor_si128(ge, _mm_set1_epi8(-1)),
                                 _mm_cmpeq_epi8(x, del));
      unsigned mask = (unsigned)_mm_movemask_epi8(bad);
      if (mask) {
        s += __builtin_ctz(mask);
        break;
      }
      s += 16;
    }
    if (end - s < 16) break;
    if (*s != '\t') return s;
    s++;
  }
#endif
  while (s < end && IS(*s, C_VALUE)) s++;
  return s;
}

/* First byte in [s, end) that is not a target char (0x21-0x7E but '#'). */
static inline const char *skip_target(const char *s, const char *end) {
#if defined(__SSE2__)
  const __m128i lo = _mm_set1_epi8(0x21), hi = _mm_set1_epi8(0x7e),
                hash = _mm_set1_epi8('#');
  while (end - s >= 16) {
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
    __m128i ok = _mm_and_si128(_mm_cmpeq_epi8(_mm_max_epu8(x, lo), x),
                               _mm_cmpeq_epi8(_mm_min_epu8(x, hi), x));
    unsigned mask = (unsigned)_mm_movemask_epi8(
        _mm_or_si128(_mm_xor_si128(ok, _mm_set1_epi8(-1)), _mm_cmpeq_epi8(x, hash)));
    if (mask) return s + __builtin_ctz(mask);
    s += 16;
  }
#endif
  while (s < end && IS(*s, C_TARGET)) s++;
  return s;
}

/* First byte in [s, end) that is not a tchar, or end. */
static inline const char *skip_token(const char *s, const char *end) {
  while (end - s >= 4 && IS(s[0], C_TOKEN) && IS(s[1], C_TOKEN) &&
         IS(s[2], C_TOKEN) && IS(s[3], C_TOKEN))
    s += 4;
  while (s < end && IS(*s, C_TOKEN)) s++;
  return s;
}

void gale_h1_limits_init(gale_h1_limits *l) {
  l->max_header_size = GALE_H1_DEFAULT_MAX_HEADER_SIZE;
  l->max_start_line = GALE_H1_DEFAULT_MAX_START_LINE;
  l->max_headers = GALE_H1_DEFAULT_MAX_HEADERS;
  l->max_body_size = GALE_H1_DEFAULT_MAX_BODY_SIZE;
  l->max_chunk_ext = GALE_H1_DEFAULT_MAX_CHUNK_EXT;
  l->max_trailer_size = GALE_H1_DEFAULT_MAX_TRAILER_SIZE;
}

void gale_h1_parser_init(gale_h1_parser *p, gale_h1_mode mode,
                         const gale_h1_limits *limits) {
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

const char *gale_h1_parser_detail(const gale_h1_parser *p) {
  return p->status ? p->detail : NULL;
}

static int fail(gale_h1_parser *p, int status, const char *detail) {
  p->status = status;
  p->detail = detail;
  return status;
}

/* ---- validators -------------------------------------------------------- */

bool gale_h1_valid_token(const char *s, size_t len) {
  if (len == 0) return false;
  for (size_t i = 0; i < len; i++)
    if (!IS(s[i], C_TOKEN)) return false;
  return true;
}

bool gale_h1_valid_field_value(const char *s, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (!IS(s[i], C_VALUE)) return false;
  return true;
}

bool gale_h1_valid_reason(const char *s, size_t len) {
  return gale_h1_valid_field_value(s, len);
}

bool gale_h1_valid_target(const char *s, size_t len) {
  if (len == 0) return false;
  for (size_t i = 0; i < len; i++)
    if (!IS(s[i], C_TARGET)) return false;
  return true;
}

/* host [":" port] with host = "[" v6 "]" / reg-name (covers IPv4).  An
 * empty value is valid (RFC 9112 §3.2); a port needs a host. */
static bool valid_authority(const char *s, size_t len, bool need_port) {
  size_t i = 0;
  if (len == 0) return !need_port;
  if (s[0] == '[') {
    for (i = 1; i < len && s[i] != ']'; i++)
      if (!IS(s[i], C_HEX) && s[i] != ':' && s[i] != '.') return false;
    if (i == len || i == 1) return false;
    i++;
  } else {
    while (i < len && IS(s[i], C_REG)) i++;
    if (i == 0) return false;
  }
  if (i == len) return !need_port;
  if (s[i] != ':') return false;
  i++;
  if (len - i > 5 || (need_port && i == len)) return false;
  unsigned port = 0;
  for (; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    port = port * 10 + (unsigned)(s[i] - '0');
  }
  return port <= 65535;
}

/* ---- list helpers ------------------------------------------------------ */

/* Iterates the elements of a comma-separated list, OWS trimmed; empty
 * elements are skipped (RFC 9110 §5.6.1.2).  Returns false at the end. */
static bool list_next(const char **cur, const char *end, const char **el,
                      size_t *el_len) {
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

const gale_h1_header *gale_h1_find_header(const gale_h1_msg *msg,
                                          const char *name, size_t name_len) {
  for (size_t i = 0; i < msg->num_headers; i++) {
    const gale_h1_header *h = &msg->headers[i];
    if (h->name.len != name_len) continue;
    size_t k = 0;
    while (k < name_len && lower((unsigned char)h->name.ptr[k]) ==
                               lower((unsigned char)name[k]))
      k++;
    if (k == name_len) return h;
  }
  return NULL;
}

/* ---- status mapping ---------------------------------------------------- */

int gale_h1_error_status(int err, const char **reason) {
  int code;
  switch (err) {
  case GALE_EHTTP_HEADER_TOO_LARGE: code = 431; break;
  case GALE_EHTTP_URI_TOO_LONG: code = 414; break;
  case GALE_EHTTP_BODY_TOO_LARGE: code = 413; break;
  case GALE_EHTTP_ENCODING: code = 501; break;
  case GALE_EHTTP_METHOD: code = 501; break;
  case GALE_EHTTP_VERSION: code = 505; break;
  default: code = 400; break;
  }
  if (reason) *reason = gale_h1_reason_phrase(code);
  return code;
}

const char *gale_h1_reason_phrase(int status) {
  switch (status) {
  case 100: return "Continue";
  case 101: return "Switching Protocols";
  case 102: return "Processing";
  case 103: return "Early Hints";
  case 200: return "OK";
  case 201: return "Created";
  case 202: return "Accepted";
  case 203: return "Non-Authoritative Information";
  case 204: return "No Content";
  case 205: return "Reset Content";
  case 206: return "Partial Content";
  case 207: return "Multi-Status";
  case 300: return "Multiple Choices";
  case 301: return "Moved Permanently";
  case 302: return "Found";
  case 303: return "See Other";
  case 304: return "Not Modified";
  case 305: return "Use Proxy";
  case 307: return "Temporary Redirect";
  case 308: return "Permanent Redirect";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 402: return "Payment Required";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 406: return "Not Acceptable";
  case 407: return "Proxy Authentication Required";
  case 408: return "Request Timeout";
  case 409: return "Conflict";
  case 410: return "Gone";
  case 411: return "Length Required";
  case 412: return "Precondition Failed";
  case 413: return "Content Too Large";
  case 414: return "URI Too Long";
  case 415: return "Unsupported Media Type";
  case 416: return "Range Not Satisfiable";
  case 417: return "Expectation Failed";
  case 421: return "Misdirected Request";
  case 422: return "Unprocessable Content";
  case 425: return "Too Early";
  case 426: return "Upgrade Required";
  case 428: return "Precondition Required";
  case 429: return "Too Many Requests";
  case 431: return "Request Header Fields Too Large";
  case 451: return "Unavailable For Legal Reasons";
  case 500: return "Internal Server Error";
  case 501: return "Not Implemented";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  case 505: return "HTTP Version Not Supported";
  case 507: return "Insufficient Storage";
  case 511: return "Network Authentication Required";
  default: return "Unknown";
  }
}

/* ---- the full parse ---------------------------------------------------- */

/* What the full parse learns about framing headers, judged at the end. */
typedef struct head_sem {
  uint64_t cl;
  unsigned cl_fields;     /* Content-Length fields (or list elements) */
  unsigned host_fields;
  const char *host;
  size_t host_len;
  bool te_seen;
  bool te_last_chunked;
  unsigned te_chunked;    /* "chunked" elements */
  unsigned te_other;      /* other codings */
  bool te_bad;            /* malformed element (parameters on chunked...) */
  bool conn_close, conn_keep_alive, conn_upgrade;
  bool upgrade_field;
  bool expect_continue, expect_other;
  bool content_gzip;
} head_sem;

/* Where a full parse that ran out of input stopped. */
typedef struct partial {
  size_t line_start;
  size_t lines;
} partial;

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
static int sem_content_length(gale_h1_parser *p, head_sem *sem, const char *v,
                              size_t n) {
  uint64_t x;
  if (p->mode == GALE_H1_REQUEST) {
    if (sem->cl_fields++) return fail(p, GALE_EHTTP_PARSE, "repeated Content-Length");
    if (!parse_decimal(v, n, &sem->cl))
      return fail(p, GALE_EHTTP_PARSE, "invalid Content-Length");
    return GALE_OK;
  }
  const char *cur = v, *end = v + n, *el;
  size_t el_len;
  bool any = false;
  while (list_next(&cur, end, &el, &el_len)) {
    any = true;
    if (!parse_decimal(el, el_len, &x))
      return fail(p, GALE_EHTTP_PARSE, "invalid Content-Length");
    if (sem->cl_fields++ && x != sem->cl)
      return fail(p, GALE_EHTTP_PARSE, "differing Content-Length values");
    sem->cl = x;
  }
  if (!any) return fail(p, GALE_EHTTP_PARSE, "invalid Content-Length");
  return GALE_OK;
}

static void sem_transfer_encoding(head_sem *sem, const char *v, size_t n) {
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
    if (t == 0 || (t < el_len && el[t] != ';' && el[t] != ' ' && el[t] != '\t'))
      sem->te_bad = true;
    if (EQ_CI(el, t, "chunked")) sem->te_bad = true; /* chunked;params */
    sem->te_other++;
    sem->te_last_chunked = false;
  }
}

static void sem_connection(head_sem *sem, const char *v, size_t n) {
  const char *cur = v, *end = v + n, *el;
  size_t el_len;
  while (list_next(&cur, end, &el, &el_len)) {
    if (EQ_CI(el, el_len, "close")) sem->conn_close = true;
    else if (EQ_CI(el, el_len, "keep-alive")) sem->conn_keep_alive = true;
    else if (EQ_CI(el, el_len, "upgrade")) sem->conn_upgrade = true;
  }
}

static void sem_expect(head_sem *sem, const char *v, size_t n) {
  if (EQ_CI(v, n, "100-continue"))
    sem->expect_continue = true;
  else
    sem->expect_other = true;
}

/* Looks at one field line for the headers that change framing or
 * connection handling.  Dispatch on length first: most names are none. */
static int sem_field(gale_h1_parser *p, head_sem *sem, const char *name,
                     size_t nlen, const char *v, size_t vlen) {
  switch (nlen) {
  case 4:
    if (EQ_CI(name, nlen, "host")) {
      sem->host_fields++;
      sem->host = v;
      sem->host_len = vlen;
    }
    break;
  case 6:
    if (EQ_CI(name, nlen, "expect")) sem_expect(sem, v, vlen);
    break;
  case 7:
    if (EQ_CI(name, nlen, "upgrade")) sem->upgrade_field = true;
    break;
  case 10:
    if (EQ_CI(name, nlen, "connection")) sem_connection(sem, v, vlen);
    break;
  case 14:
    if (EQ_CI(name, nlen, "content-length"))
      return sem_content_length(p, sem, v, vlen);
    break;
  case 16:
    if (EQ_CI(name, nlen, "content-encoding"))
      sem->content_gzip = EQ_CI(v, vlen, "gzip") || EQ_CI(v, vlen, "x-gzip");
    break;
  case 17:
    if (EQ_CI(name, nlen, "transfer-encoding"))
      sem_transfer_encoding(sem, v, vlen);
    break;
  }
  return GALE_OK;
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
    if (!valid_authority(t, n, true))
      return fail(p, GALE_EHTTP_PARSE, "invalid CONNECT target");
    msg->host = msg->target;
    return GALE_OK;
  }
  /* absolute-form: scheme "://" authority [path-abempty] [? query] */
  size_t i = 0;
  if (!is_alpha(t[0])) return fail(p, GALE_EHTTP_PARSE, "invalid request target");
  while (i < n && (is_alpha(t[i]) || (t[i] >= '0' && t[i] <= '9') ||
                   t[i] == '+' || t[i] == '-' || t[i] == '.'))
    i++;
  if (n - i < 3 || memcmp(t + i, "://", 3) != 0)
    return fail(p, GALE_EHTTP_PARSE, "invalid request target");
  size_t a = i + 3, e = a;
  while (e < n && t[e] != '/' && t[e] != '?') e++;
  if (e == a || memchr(t + a, '@', e - a) || !valid_authority(t + a, e - a, false))
    return fail(p, GALE_EHTTP_PARSE, "invalid authority in request target");
  msg->target_form = GALE_H1_TARGET_ABSOLUTE;
  msg->host.ptr = t + a;
  msg->host.len = e - a;
  return GALE_OK;
}

/* Judges framing and connection semantics once every field is known. */
static int finish_request(gale_h1_parser *p, gale_h1_msg *msg, head_sem *sem) {
  bool v11 = msg->version_minor >= 1;
  if (sem->host_fields > 1) return fail(p, GALE_EHTTP_PARSE, "repeated Host");
  if (v11 && sem->host_fields == 0) return fail(p, GALE_EHTTP_PARSE, "missing Host");
  if (sem->host_fields && !valid_authority(sem->host, sem->host_len, false))
    return fail(p, GALE_EHTTP_PARSE, "invalid Host");
  if (msg->target_form == GALE_H1_TARGET_ORIGIN ||
      msg->target_form == GALE_H1_TARGET_ASTERISK) {
    msg->host.ptr = sem->host;
    msg->host.len = sem->host_len;
  }
  if (sem->te_seen) {
    if (!v11)
      return fail(p, GALE_EHTTP_PARSE, "Transfer-Encoding in an HTTP/1.0 request");
    if (sem->cl_fields)
      return fail(p, GALE_EHTTP_PARSE, "Content-Length with Transfer-Encoding");
    if (sem->te_bad || sem->te_chunked != 1 || !sem->te_last_chunked)
      return fail(p, GALE_EHTTP_PARSE, "Transfer-Encoding must end in one chunked");
    if (sem->te_other)
      return fail(p, GALE_EHTTP_ENCODING, "unsupported transfer coding");
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

static int finish_response(gale_h1_parser *p, gale_h1_msg *msg, head_sem *sem) {
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
    if (!sem->te_bad && sem->te_chunked == 1 && sem->te_last_chunked &&
        sem->te_other == 0) {
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

/* "HTTP/" DIGIT "." DIGIT at s (8 bytes available). */
static int parse_version(gale_h1_parser *p, const char *s, gale_h1_msg *msg) {
  if (memcmp(s, "HTTP/", 5) != 0 || s[6] != '.' || s[5] < '0' || s[5] > '9' ||
      s[7] < '0' || s[7] > '9')
    return fail(p, GALE_EHTTP_PARSE, "invalid HTTP version");
  if (s[5] != '1') return fail(p, GALE_EHTTP_VERSION, "HTTP major version is not 1");
  msg->version_minor = s[7] == '0' ? 0 : 1;
  return GALE_OK;
}

#define NEED(n)                                                              \
  do {                                                                       \
    if ((size_t)(end - s) < (size_t)(n)) goto incomplete;                    \
  } while (0)

/* Request line at s; on success *sp is just past its CRLF. */
static int parse_request_line(gale_h1_parser *p, const char **sp,
                              const char *end, gale_h1_msg *msg) {
  const char *s = *sp, *start = s;
  while (s < end && IS(*s, C_TOKEN)) s++;
  NEED(1);
  if (*s != ' ' || s == start)
    return fail(p, GALE_EHTTP_PARSE, "invalid method");
  msg->method.ptr = start;
  msg->method.len = (size_t)(s - start);
  msg->method_id = method_id(start, msg->method.len);
  const char *t = ++s;
  s = skip_target(s, end);
  NEED(1);
  if (*s != ' ' || s == t)
    return fail(p, GALE_EHTTP_PARSE, "invalid request target");
  msg->target.ptr = t;
  msg->target.len = (size_t)(s - t);
  s++;
  NEED(10);
  int rc = parse_version(p, s, msg);
  if (rc) return rc;
  if (s[8] != '\r' || s[9] != '\n')
    return fail(p, GALE_EHTTP_PARSE, "invalid request line end");
  *sp = s + 10;
  return GALE_OK;
incomplete:
  return GALE_EAGAIN;
}

static int parse_status_line(gale_h1_parser *p, const char **sp,
                             const char *end, gale_h1_msg *msg) {
  const char *s = *sp;
  NEED(12);
  int rc = parse_version(p, s, msg);
  if (rc) return rc;
  if (s[8] != ' ' || s[9] < '1' || s[9] > '9' || s[10] < '0' || s[10] > '9' ||
      s[11] < '0' || s[11] > '9')
    return fail(p, GALE_EHTTP_PARSE, "invalid status line");
  msg->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
  s += 12;
  NEED(1);
  if (*s == ' ') s++;
  else if (*s != '\r')
    return fail(p, GALE_EHTTP_PARSE, "invalid status line");
  const char *r = s;
  while (s < end && IS(*s, C_VALUE)) s++;
  NEED(2);
  if (s[0] != '\r' || s[1] != '\n')
    return fail(p, GALE_EHTTP_PARSE, *s == '\n' ? "bare LF in status line"
                                                : "invalid character in reason");
  msg->reason.ptr = r;
  msg->reason.len = (size_t)(s - r);
  *sp = s + 2;
  return GALE_OK;
incomplete:
  return GALE_EAGAIN;
}

/* Parses buf[0..len) from the start.  Returns the head length, GALE_EAGAIN
 * (with *part filled), or an error.  Checks every limit itself, so it is
 * safe on any input; the caller bounds len to max_header_size. */
static int parse_full(gale_h1_parser *p, const char *buf, size_t len,
                      gale_h1_msg *msg, partial *part) {
  const char *s = buf, *end = buf + len, *line;
  const gale_h1_limits *lim = &p->limits;
  size_t cap = msg->headers_cap < lim->max_headers ? msg->headers_cap
                                                   : lim->max_headers;
  head_sem sem;
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
  rc = req ? parse_request_line(p, &s, end, msg)
           : parse_status_line(p, &s, end, msg);
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

int gale_h1_parse_head(gale_h1_parser *p, const char *buf, size_t len,
                       gale_h1_msg *msg) {
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
