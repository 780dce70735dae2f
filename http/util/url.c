/* SPDX-License-Identifier: MIT */
/* http/util/url.c — URL parsing and formatting, relative resolution (RFC 3986
 * §5.2), percent-encoding, and the static-file path normalizer.
 *
 * Everything is one pass over the input (remove_dot_segments included: a
 * segment removed from the output is scanned once when removed, after being
 * written once), so hostile URLs cost linear time.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "gale/error.h"
#include "gale/headers.h"
#include "gale/url.h"
#include "http/util/chars.h"

/* A slice of the input; `on` tells "absent" from "present but empty". */
typedef struct span {
  const char *p;
  size_t n;
  bool on;
} span;

typedef struct parts {
  span scheme, authority, path, query, fragment;
} parts;

static bool has_bad_bytes(const char *s, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (gale__is((unsigned char)s[i], GALE__C_URLBAD)) return true;
  return false;
}

static bool valid_scheme(const char *s, size_t n) {
  if (n == 0 || !((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z')) return false;
  for (size_t i = 1; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!(gale__is(c, GALE__C_UNRES) && c != '_' && c != '~') && c != '+') return false;
  }
  return true;
}

/* RFC 3986 Appendix B, with the scheme checked: a ':' before any of "/?#"
 * must end a valid scheme. */
static int split(const char *s, size_t len, parts *u) {
  memset(u, 0, sizeof(*u));
  const char *p = s, *end = s + len;
  for (const char *q = p; q < end; q++) {
    if (*q == ':') {
      if (!valid_scheme(p, (size_t)(q - p))) return GALE_EURL;
      u->scheme = (span){p, (size_t)(q - p), true};
      p = q + 1;
      break;
    }
    if (*q == '/' || *q == '?' || *q == '#') break;
  }
  if (end - p >= 2 && p[0] == '/' && p[1] == '/') {
    const char *a = p + 2, *q = a;
    while (q < end && *q != '/' && *q != '?' && *q != '#') q++;
    u->authority = (span){a, (size_t)(q - a), true};
    p = q;
  }
  const char *q = p;
  while (q < end && *q != '?' && *q != '#') q++;
  u->path = (span){p, (size_t)(q - p), true};
  p = q;
  if (p < end && *p == '?') {
    q = ++p;
    while (q < end && *q != '#') q++;
    u->query = (span){p, (size_t)(q - p), true};
    p = q;
  }
  if (p < end && *p == '#') {
    p++;
    u->fragment = (span){p, (size_t)(end - p), true};
  }
  return GALE_OK;
}

static bool valid_escapes(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '%') continue;
    if (n - i < 3 || gale__hexval((unsigned char)s[i + 1]) < 0 ||
        gale__hexval((unsigned char)s[i + 2]) < 0)
      return false;
    i += 2;
  }
  return true;
}

static bool valid_userinfo(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!gale__is(c, GALE__C_UNRES | GALE__C_SUBD) && c != ':' && c != '%') return false;
  }
  return valid_escapes(s, n);
}

/* Host names: letters, digits, '-', '.', '_', '~' (no percent-escapes, no
 * sub-delims: nothing a resolver could read differently from us). */
static bool valid_regname(const char *s, size_t n) {
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++)
    if (!gale__is((unsigned char)s[i], GALE__C_UNRES)) return false;
  return true;
}

/* The inside of "[...]": an IPv6 address (no zone id, no IPvFuture). */
static bool valid_ipv6(const char *s, size_t n) {
  char tmp[INET6_ADDRSTRLEN + 1];
  unsigned char addr[16];
  if (n == 0 || n >= sizeof tmp) return false;
  for (size_t i = 0; i < n; i++)
    if (!gale__is((unsigned char)s[i], GALE__C_HEX) && s[i] != ':' && s[i] != '.') return false;
  memcpy(tmp, s, n);
  tmp[n] = '\0';
  return inet_pton(AF_INET6, tmp, addr) == 1;
}

/* 0 for a scheme gale does not speak. */
static uint16_t default_port(const char *scheme, size_t n) {
  if (gale_ascii_eq(scheme, n, "http", 4) || gale_ascii_eq(scheme, n, "ws", 2)) return 80;
  if (gale_ascii_eq(scheme, n, "https", 5) || gale_ascii_eq(scheme, n, "wss", 3)) return 443;
  return 0;
}

/* A port: 1-5 digits, 1..65535.  Empty means "the default" (RFC 3986
 * allows "host:"). */
static int parse_port(const char *s, size_t n, uint16_t *port, bool *given) {
  *given = false;
  if (n == 0) return GALE_OK;
  if (n > 5) return GALE_EURL;
  unsigned v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return GALE_EURL;
    v = v * 10 + (unsigned)(s[i] - '0');
  }
  if (v == 0 || v > 65535) return GALE_EURL;
  *port = (uint16_t)v;
  *given = true;
  return GALE_OK;
}

typedef struct authority {
  span userinfo, host;
  uint16_t port;
  bool port_given, ipv6;
} authority;

static int parse_authority(span a, authority *out) {
  memset(out, 0, sizeof(*out));
  const char *p = a.p, *end = a.p + a.n;
  const char *at = memchr(p, '@', a.n);
  if (at) {
    if (memchr(at + 1, '@', (size_t)(end - at - 1))) return GALE_EURL;
    if (!valid_userinfo(p, (size_t)(at - p))) return GALE_EURL;
    out->userinfo = (span){p, (size_t)(at - p), true};
    p = at + 1;
  }
  const char *port = NULL;
  if (p < end && *p == '[') {
    const char *close = memchr(p, ']', (size_t)(end - p));
    if (!close || !valid_ipv6(p + 1, (size_t)(close - p - 1))) return GALE_EURL;
    out->host = (span){p + 1, (size_t)(close - p - 1), true};
    out->ipv6 = true;
    if (close + 1 < end) {
      if (close[1] != ':') return GALE_EURL;
      port = close + 2;
    }
  } else {
    const char *colon = memchr(p, ':', (size_t)(end - p));
    const char *hend = colon ? colon : end;
    if (!valid_regname(p, (size_t)(hend - p))) return GALE_EURL;
    out->host = (span){p, (size_t)(hend - p), true};
    if (colon) port = colon + 1;
  }
  if (port) return parse_port(port, (size_t)(end - port), &out->port, &out->port_given);
  return GALE_OK;
}

/* Copies s[0..n) into the arena and NUL-terminates it; lowercases when
 * asked. */
static const char *put(char **arena, const char *s, size_t n, bool lower) {
  char *d = *arena;
  for (size_t i = 0; i < n; i++) d[i] = lower ? (char)gale__lower[(unsigned char)s[i]] : s[i];
  d[n] = '\0';
  *arena += n + 1;
  return d;
}

int gale_url_parse(const char *s, size_t len, gale_url **out) {
  if (!out) return GALE_EINVAL;
  *out = NULL;
  if (!s || len == 0 || has_bad_bytes(s, len)) return GALE_EURL;
  parts u;
  authority a;
  memset(&a, 0, sizeof(a));
  int rc;
  if (s[0] == '/') {
    /* origin-form (RFC 9112 §3.2.1): "//x" is a path here, not an
     * authority. */
    memset(&u, 0, sizeof(u));
    const char *q = s;
    while (q < s + len && *q != '?' && *q != '#') q++;
    u.path = (span){s, (size_t)(q - s), true};
    if (q < s + len) {
      parts rest;
      split(q, (size_t)(s + len - q), &rest);
      u.query = rest.query;
      u.fragment = rest.fragment;
    }
  } else {
    rc = split(s, len, &u);
    if (rc != GALE_OK) return rc;
    if (!u.scheme.on) return GALE_EURL;
    uint16_t def = default_port(u.scheme.p, u.scheme.n);
    if (!def) return GALE_ENOTSUP;
    if (!u.authority.on) return GALE_EURL;
    rc = parse_authority(u.authority, &a);
    if (rc != GALE_OK) return rc;
    if (!a.port_given) a.port = def;
  }
  /* Only the path, query and fragment may hold obs bytes; the path's
   * escapes must be well formed. */
  if (!valid_escapes(u.path.p, u.path.n)) return GALE_EURL;
  size_t need = sizeof(gale_url) + u.scheme.n + a.userinfo.n + a.host.n + u.path.n + u.query.n +
                u.fragment.n + 7;
  /* malloc, not calloc: glibc's calloc skips its per-thread cache, and
   * only the struct needs zeroing (put() writes every string byte). */
  gale_url *url = malloc(need);
  if (!url) return GALE_ENOMEM;
  memset(url, 0, sizeof *url);
  char *arena = (char *)(url + 1);
  if (u.scheme.on) {
    url->scheme = put(&arena, u.scheme.p, u.scheme.n, true);
    url->host = put(&arena, a.host.p, a.host.n, true);
    url->port = a.port;
    url->port_explicit = a.port_given;
    url->host_is_ipv6 = a.ipv6;
    if (a.userinfo.on) url->userinfo = put(&arena, a.userinfo.p, a.userinfo.n, false);
  }
  if (u.path.n == 0)
    url->path = put(&arena, "/", 1, false);
  else
    url->path = put(&arena, u.path.p, u.path.n, false);
  if (u.query.on) url->query = put(&arena, u.query.p, u.query.n, false);
  if (u.fragment.on) url->fragment = put(&arena, u.fragment.p, u.fragment.n, false);
  *out = url;
  return GALE_OK;
}

void gale_url_free(gale_url *url) { free(url); }

/* ---- formatting ---- */

typedef struct sink {
  char *buf;
  size_t cap;
  size_t len;
} sink;

static void emit(sink *k, const char *s, size_t n) {
  if (k->len < k->cap) {
    size_t room = k->cap - k->len;
    memcpy(k->buf + k->len, s, n < room ? n : room);
  }
  k->len += n;
}

static int sink_finish(sink *k, size_t *out_len) {
  if (out_len) *out_len = k->len;
  if (k->len + 1 > k->cap) {
    if (k->cap) k->buf[k->cap - 1] = '\0';
    return GALE_ERANGE;
  }
  k->buf[k->len] = '\0';
  return GALE_OK;
}

static bool has_any(const char *s, size_t n, const char *set) {
  for (size_t i = 0; i < n; i++)
    if (gale__is((unsigned char)s[i], GALE__C_URLBAD) || strchr(set, s[i])) return true;
  return false;
}

int gale_url_format(const gale_url *u, char *buf, size_t cap, size_t *out_len) {
  if (!u || (!buf && cap)) return GALE_EINVAL;
  sink k = {buf, cap, 0};
  if (u->scheme || u->host) {
    if (!u->scheme || !u->host) return GALE_EURL;
    size_t sn = strlen(u->scheme), hn = strlen(u->host);
    if (!valid_scheme(u->scheme, sn)) return GALE_EURL;
    bool v6 = memchr(u->host, ':', hn) != NULL;
    if (v6 ? !valid_ipv6(u->host, hn) : !valid_regname(u->host, hn)) return GALE_EURL;
    if (u->userinfo && !valid_userinfo(u->userinfo, strlen(u->userinfo))) return GALE_EURL;
    emit(&k, u->scheme, sn);
    emit(&k, "://", 3);
    if (u->userinfo) {
      emit(&k, u->userinfo, strlen(u->userinfo));
      emit(&k, "@", 1);
    }
    if (v6) emit(&k, "[", 1);
    emit(&k, u->host, hn);
    if (v6) emit(&k, "]", 1);
    if (u->port && u->port != default_port(u->scheme, sn)) {
      char pb[8];
      int n = 0;
      char tmp[6];
      for (unsigned v = u->port; v; v /= 10) tmp[n++] = (char)('0' + v % 10);
      pb[0] = ':';
      for (int i = 0; i < n; i++) pb[1 + i] = tmp[n - 1 - i];
      emit(&k, pb, (size_t)n + 1);
    }
  }
  const char *path = u->path && u->path[0] ? u->path : "/";
  size_t pn = strlen(path);
  if (path[0] != '/' || has_any(path, pn, "?#")) return GALE_EURL;
  if (!u->host && pn > 1 && path[1] == '/') return GALE_EURL;
  emit(&k, path, pn);
  if (u->query) {
    size_t qn = strlen(u->query);
    if (has_any(u->query, qn, "#")) return GALE_EURL;
    emit(&k, "?", 1);
    emit(&k, u->query, qn);
  }
  if (u->fragment) {
    size_t fn = strlen(u->fragment);
    if (has_any(u->fragment, fn, "")) return GALE_EURL;
    emit(&k, "#", 1);
    emit(&k, u->fragment, fn);
  }
  return sink_finish(&k, out_len);
}

/* ---- relative resolution (RFC 3986 §5.2) ---- */

/* §5.2.4 over a mutable copy `in` (the "/." and "/.." endings are rewritten
 * in place to "/"), appending to `out`; returns the output length. */
static size_t remove_dot_segments(char *in, size_t n, char *out) {
  size_t i = 0, o = 0;
  while (i < n) {
    size_t left = n - i;
    char *p = in + i;
    if (left >= 3 && memcmp(p, "../", 3) == 0) {
      i += 3;
    } else if (left >= 2 && memcmp(p, "./", 2) == 0) {
      i += 2;
    } else if (left >= 3 && memcmp(p, "/./", 3) == 0) {
      i += 2;
    } else if (left == 2 && memcmp(p, "/.", 2) == 0) {
      i += 1;
      in[i] = '/';
    } else if ((left >= 4 && memcmp(p, "/../", 4) == 0) ||
               (left == 3 && memcmp(p, "/..", 3) == 0)) {
      i += left == 3 ? 2 : 3;
      in[i] = '/';
      while (o > 0 && out[o - 1] != '/') o--;
      if (o > 0) o--;
    } else if ((left == 1 && p[0] == '.') || (left == 2 && memcmp(p, "..", 2) == 0)) {
      i = n;
    } else {
      size_t j = i + (p[0] == '/');
      while (j < n && in[j] != '/') j++;
      memcpy(out + o, in + i, j - i);
      o += j - i;
      i = j;
    }
  }
  return o;
}

/* The parts of a resolved reference (§5.2.2); its path is built in a
 * buffer of its own. */
typedef struct target {
  span scheme, auth, query;
  bool dots; /* the path may hold dot segments still to remove */
  size_t path_n;
} target;

/* §5.2.3: the base path up to its last '/' (or "/" for an authority with an
 * empty path), then the reference's path, into tmp.  Returns the length. */
static size_t merge_paths(const parts *b, const parts *r, char *tmp) {
  size_t tn = 0;
  if (b->authority.on && b->path.n == 0) {
    tmp[tn++] = '/';
  } else {
    for (size_t i = b->path.n; i > 0; i--)
      if (b->path.p[i - 1] == '/') {
        tn = i;
        memcpy(tmp, b->path.p, tn);
        break;
      }
  }
  memcpy(tmp + tn, r->path.p, r->path.n);
  return tn + r->path.n;
}

/* §5.2.2: which parts come from the reference and which from the base;
 * the path goes into tmp. */
static void pick_target(const parts *b, const parts *r, char *tmp, target *t) {
  t->scheme = b->scheme;
  t->auth = b->authority;
  t->query = r->query;
  t->dots = true;
  if (r->scheme.on || r->authority.on || (r->path.n && r->path.p[0] == '/')) {
    if (r->scheme.on) t->scheme = r->scheme;
    if (r->scheme.on || r->authority.on) t->auth = r->authority;
    memcpy(tmp, r->path.p, r->path.n);
    t->path_n = r->path.n;
  } else if (r->path.n == 0) {
    memcpy(tmp, b->path.p, b->path.n);
    t->path_n = b->path.n;
    t->dots = false;
    if (!r->query.on) t->query = b->query;
  } else {
    t->path_n = merge_paths(b, r, tmp);
  }
}

static char *append(char *o, const char *s, size_t n) {
  memcpy(o, s, n);
  return o + n;
}

/* scheme ":" ["//" authority] path ["?" query] ["#" fragment] into res,
 * NUL-terminated; the path (tmp, dot segments rewritten in place) is taken
 * from tmp. */
static void assemble(const target *t, char *tmp, span fragment, char *res) {
  char *o = append(res, t->scheme.p, t->scheme.n);
  *o++ = ':';
  if (t->auth.on) {
    o = append(o, "//", 2);
    o = append(o, t->auth.p, t->auth.n);
  }
  if (t->dots)
    o += remove_dot_segments(tmp, t->path_n, o);
  else
    o = append(o, tmp, t->path_n);
  if (t->query.on) {
    *o++ = '?';
    o = append(o, t->query.p, t->query.n);
  }
  if (fragment.on) {
    *o++ = '#';
    o = append(o, fragment.p, fragment.n);
  }
  *o = '\0';
}

int gale_url_resolve(const char *base, const char *ref, char **out) {
  if (!out) return GALE_EINVAL;
  *out = NULL;
  if (!base || !ref) return GALE_EURL;
  size_t bn = strlen(base), rn = strlen(ref);
  if (has_bad_bytes(base, bn) || has_bad_bytes(ref, rn)) return GALE_EURL;
  parts b, r;
  if (split(base, bn, &b) != GALE_OK || !b.scheme.on) return GALE_EURL;
  if (split(ref, rn, &r) != GALE_OK) return GALE_EURL;
  /* The path is built in `tmp` (merge) then dot-removed into `res`. */
  size_t cap = bn + rn + 8;
  char *tmp = malloc(cap), *res = malloc(cap * 2);
  if (!tmp || !res) {
    free(tmp);
    free(res);
    return GALE_ENOMEM;
  }
  target t;
  pick_target(&b, &r, tmp, &t);
  assemble(&t, tmp, r.fragment, res);
  free(tmp);
  *out = res;
  return GALE_OK;
}

/* ---- percent-encoding ---- */

int gale_percent_decode(const char *s, size_t len, int flags, char *out, size_t *out_len) {
  if ((!s && len) || !out || !out_len) return GALE_EINVAL;
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (c == '%') {
      int hi, lo;
      if (len - i < 3 || (hi = gale__hexval((unsigned char)s[i + 1])) < 0 ||
          (lo = gale__hexval((unsigned char)s[i + 2])) < 0)
        return GALE_EURL;
      c = (char)(hi << 4 | lo);
      if (c == '\0' && (flags & GALE_PCT_NO_NUL)) return GALE_EURL;
      i += 2;
    } else if (c == '+' && (flags & GALE_PCT_PLUS_SPACE)) {
      c = ' ';
    }
    out[o++] = c;
  }
  *out_len = o;
  return GALE_OK;
}

int gale_percent_encode(const char *s, size_t len, int flags, char *out, size_t cap,
                        size_t *out_len) {
  static const char hex[] = "0123456789ABCDEF";
  if ((!s && len) || (!out && cap)) return GALE_EINVAL;
  sink k = {out, cap, 0};
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (gale__is(c, GALE__C_UNRES) || (c == '/' && (flags & GALE_PCT_KEEP_SLASH))) {
      emit(&k, (const char *)&c, 1);
    } else if (c == ' ' && (flags & GALE_PCT_PLUS_SPACE)) {
      emit(&k, "+", 1);
    } else {
      char e[3] = {'%', hex[c >> 4], hex[c & 15]};
      emit(&k, e, 3);
    }
  }
  return sink_finish(&k, out_len);
}

/* ---- static-file paths ---- */

int gale_url_path_normalize(const char *path, size_t len, char *out, size_t cap, size_t *out_len) {
  if (!path || !out || !out_len) return GALE_EINVAL;
  if (len == 0 || path[0] != '/') return GALE_EURL;
  if (cap < len + 1) return GALE_ERANGE;
  /* Decode first, so %2e%2e and %2f are seen as what the file system will
   * see, then split the decoded bytes. */
  size_t n;
  int rc = gale_percent_decode(path, len, 0, out, &n);
  if (rc != GALE_OK) return rc;
  if (memchr(out, '\0', n) || memchr(out, '\\', n)) return GALE_EACCES;
  bool trailing = out[n - 1] == '/';
  size_t i = 0, o = 0;
  while (i < n) {
    while (i < n && out[i] == '/') i++;
    size_t start = i;
    while (i < n && out[i] != '/') i++;
    size_t seg = i - start;
    if (seg == 0 || (seg == 1 && out[start] == '.')) continue;
    if (seg == 2 && out[start] == '.' && out[start + 1] == '.') return GALE_EACCES;
    if (o) out[o++] = '/';
    memmove(out + o, out + start, seg);
    o += seg;
  }
  if (trailing && o) out[o++] = '/';
  out[o] = '\0';
  *out_len = o;
  return GALE_OK;
}
