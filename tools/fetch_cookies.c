/* SPDX-License-Identifier: MIT */
/* gale fetch's cookie engine, as curl's: -b FILE loads a jar (Netscape
 * format), -b 'n=v; ...' sends those pairs as they are, -c FILE writes the
 * jar after the transfers.  Set-Cookie fields of every response (followed
 * redirects too) go into the jar by RFC 6265's rules: Domain must cover
 * the host (and then covers its subdomains), Path defaults to the
 * request's directory, Expires/Max-Age in the past delete, Secure cookies
 * go only over https (or to this machine). */
#include "fetch.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gale/url.h"

struct fetch_cookie {
  char *domain, *path, *name, *value;
  bool subdomains, secure, http_only;
  time_t expires; /* 0: a session cookie */
};

static void cookie_free(fetch_cookie *k) {
  free(k->domain);
  free(k->path);
  free(k->name);
  free(k->value);
}

void fetch_cookies_free(fetch_cli *c) {
  for (size_t i = 0; i < c->ncookies; i++) cookie_free(&c->cookies[i]);
  free(c->cookies);
  c->cookies = NULL;
  c->ncookies = 0;
}

void fetch_cookies_drop_session(fetch_cli *c) {
  size_t j = 0;
  for (size_t i = 0; i < c->ncookies; i++) {
    if (c->cookies[i].expires)
      c->cookies[j++] = c->cookies[i];
    else
      cookie_free(&c->cookies[i]);
  }
  c->ncookies = j;
}

/* Adds k (taken over), replacing a cookie of the same name, domain and
 * path; an expired k only deletes. */
static int jar_put(fetch_cli *c, fetch_cookie *k) {
  bool expired = k->expires && k->expires <= time(NULL);
  for (size_t i = 0; i < c->ncookies; i++) {
    fetch_cookie *o = &c->cookies[i];
    if (strcmp(o->name, k->name) == 0 && strcasecmp(o->domain, k->domain) == 0 &&
        strcmp(o->path, k->path) == 0) {
      cookie_free(o);
      if (expired) {
        c->cookies[i] = c->cookies[--c->ncookies];
        cookie_free(k);
      } else {
        *o = *k;
      }
      return 0;
    }
  }
  if (expired) {
    cookie_free(k);
    return 0;
  }
  fetch_cookie *nc = realloc(c->cookies, (c->ncookies + 1) * sizeof *nc);
  if (!nc) {
    cookie_free(k);
    return CLI_EXIT_NOMEM;
  }
  c->cookies = nc;
  c->cookies[c->ncookies++] = *k;
  return 0;
}

static char *dupn(const char *s, size_t n) { return strndup(s, n); }

/* ---- the Netscape file -------------------------------------------------- */

int fetch_cookies_load(fetch_cli *c, const char *path) {
  size_t len;
  char *data = cli_read_file(path, &len), *line, *next;
  int rc = 0;
  if (!data) { /* curl: a missing -b file only starts an empty jar */
    if (errno == ENOENT) return 0;
    fprintf(stderr, "gale: cannot read the cookie file %s: %s\n", path, strerror(errno));
    return CLI_EXIT_READ;
  }
  for (line = data; !rc && line && *line; line = next) {
    char *f[7];
    size_t nf = 0, n = strcspn(line, "\n");
    bool http_only = false;
    next = line[n] ? line + n + 1 : NULL;
    line[n] = '\0';
    if (n && line[n - 1] == '\r') line[n - 1] = '\0';
    if (strncmp(line, "#HttpOnly_", 10) == 0) {
      http_only = true;
      line += 10;
    } else if (line[0] == '#' || !line[0]) {
      continue;
    }
    for (char *p = line; nf < 7; nf++) {
      f[nf] = p;
      p = strchr(p, '\t');
      if (!p) {
        nf++;
        break;
      }
      *p++ = '\0';
    }
    if (nf == 6) f[nf++] = (char *)""; /* an empty value */
    if (nf != 7) continue;             /* not a cookie line: skipped, as curl */
    fetch_cookie k = {0};
    const char *dom = f[0][0] == '.' ? f[0] + 1 : f[0];
    k.domain = strdup(dom);
    k.subdomains = strcasecmp(f[1], "TRUE") == 0 || f[0][0] == '.';
    k.path = strdup(f[2]);
    k.secure = strcasecmp(f[3], "TRUE") == 0;
    k.expires = (time_t)strtoll(f[4], NULL, 10);
    k.name = strdup(f[5]);
    k.value = strdup(f[6]);
    k.http_only = http_only;
    if (!k.domain || !k.path || !k.name || !k.value) {
      cookie_free(&k);
      rc = CLI_EXIT_NOMEM;
      break;
    }
    rc = jar_put(c, &k);
  }
  free(data);
  return rc;
}

int fetch_cookies_save(const fetch_cli *c, const char *path) {
  FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
  if (!f) {
    fprintf(stderr, "gale: cannot write the cookie jar %s: %s\n", path, strerror(errno));
    return CLI_EXIT_WRITE;
  }
  fputs("# Netscape HTTP Cookie File\n# Written by gale fetch: edit at your own risk.\n\n", f);
  for (size_t i = 0; i < c->ncookies; i++) {
    const fetch_cookie *k = &c->cookies[i];
    fprintf(f, "%s%s%s\t%s\t%s\t%s\t%lld\t%s\t%s\n", k->http_only ? "#HttpOnly_" : "",
            k->subdomains ? "." : "", k->domain, k->subdomains ? "TRUE" : "FALSE", k->path,
            k->secure ? "TRUE" : "FALSE", (long long)k->expires, k->name, k->value);
  }
  if (f == stdout) return fflush(f) == 0 ? 0 : CLI_EXIT_WRITE;
  return fclose(f) == 0 ? 0 : CLI_EXIT_WRITE;
}

/* ---- matching ----------------------------------------------------------- */

static bool domain_match(const fetch_cookie *k, const char *host) {
  size_t hl = strlen(host), dl = strlen(k->domain);
  if (strcasecmp(host, k->domain) == 0) return true;
  return k->subdomains && hl > dl && host[hl - dl - 1] == '.' &&
         strcasecmp(host + hl - dl, k->domain) == 0;
}

/* RFC 6265 §5.1.4. */
static bool path_match(const char *cookie_path, const char *req_path) {
  size_t n = strlen(cookie_path);
  if (strncmp(req_path, cookie_path, n) != 0) return false;
  return req_path[n] == '\0' || cookie_path[n - 1] == '/' || req_path[n] == '/';
}

/* Where a Secure cookie may go: https, or this machine (a secure context,
 * as browsers and curl 7.79 treat it). */
static bool secure_ok(const gale_url *u) {
  return strcmp(u->scheme, "https") == 0 || strcasecmp(u->host, "localhost") == 0 ||
         strncmp(u->host, "127.", 4) == 0 || strcmp(u->host, "::1") == 0;
}

static int by_path_length(const void *a, const void *b) {
  const fetch_cookie *x = *(fetch_cookie *const *)a, *y = *(fetch_cookie *const *)b;
  size_t lx = strlen(x->path), ly = strlen(y->path);
  return lx < ly ? 1 : lx > ly ? -1 : 0;
}

char *fetch_cookies_header(const fetch_cli *c, const char *url) {
  gale_url *u = NULL;
  fetch_cookie **m;
  size_t nm = 0;
  gale_buf b;
  char *out = NULL;
  time_t now = time(NULL);
  if (!c->ncookies || gale_url_parse(url, strlen(url), &u) != GALE_OK || !u->host) {
    gale_url_free(u);
    return NULL;
  }
  if (!(m = calloc(c->ncookies, sizeof *m))) {
    gale_url_free(u);
    return NULL;
  }
  for (size_t i = 0; i < c->ncookies; i++) {
    const fetch_cookie *k = &c->cookies[i];
    if ((k->expires && k->expires <= now) || !domain_match(k, u->host) ||
        !path_match(k->path, u->path && *u->path ? u->path : "/") || (k->secure && !secure_ok(u)))
      continue;
    m[nm++] = (fetch_cookie *)k;
  }
  qsort(m, nm, sizeof *m, by_path_length); /* the most specific first, as curl */
  gale_buf_init(&b, 0);
  for (size_t i = 0; i < nm; i++) {
    if (i) gale_buf_append(&b, "; ", 2);
    gale_buf_append(&b, m[i]->name, strlen(m[i]->name));
    gale_buf_append_byte(&b, '=');
    gale_buf_append(&b, m[i]->value, strlen(m[i]->value));
  }
  if (nm) out = dupn(b.data, b.len);
  gale_buf_release(&b);
  free(m);
  gale_url_free(u);
  return out;
}

/* ---- Set-Cookie --------------------------------------------------------- */

static const char *trim(const char *s, const char *e, const char **end) {
  while (s < e && (*s == ' ' || *s == '\t')) s++;
  while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n')) e--;
  *end = e;
  return s;
}

/* The request path's "directory" (RFC 6265 §5.1.4's default-path), with
 * its trailing slash as curl writes it ("/a/b" -> "/a/"; matching is the
 * same). */
static char *default_path(const char *path) {
  const char *slash = path ? strrchr(path, '/') : NULL;
  if (!path || path[0] != '/' || slash == path) return strdup("/");
  return dupn(path, (size_t)(slash - path) + 1);
}

int fetch_cookies_set(fetch_cli *c, const char *url, const char *v, size_t len) {
  const char *end = v + len, *semi = memchr(v, ';', len), *eq, *ne, *vs, *ve;
  gale_url *u = NULL;
  fetch_cookie k = {0};
  bool have_max_age = false;
  int rc = 0;
  if (gale_url_parse(url, strlen(url), &u) != GALE_OK || !u->host) {
    gale_url_free(u);
    return 0;
  }
  if (!semi) semi = end;
  eq = memchr(v, '=', (size_t)(semi - v));
  if (!eq) goto skip; /* no name=value: ignored (RFC 6265 §5.2 step 2) */
  v = trim(v, eq, &ne);
  vs = trim(eq + 1, semi, &ve);
  if (ne == v) goto skip;
  k.name = dupn(v, (size_t)(ne - v));
  k.value = dupn(vs, (size_t)(ve - vs));
  for (const char *a = semi; a < end;) {
    const char *an, *ane, *av = NULL, *ave = NULL,
                          *next = memchr(a + 1, ';', (size_t)(end - a - 1));
    const char *aeq;
    if (!next) next = end;
    aeq = memchr(a + 1, '=', (size_t)(next - a - 1));
    an = trim(a + 1, aeq ? aeq : next, &ane);
    if (aeq) av = trim(aeq + 1, next, &ave);
    size_t anl = (size_t)(ane - an), avl = av ? (size_t)(ave - av) : 0;
    if (anl == 6 && strncasecmp(an, "domain", 6) == 0 && avl) {
      if (*av == '.') av++, avl--;
      free(k.domain);
      k.domain = dupn(av, avl);
      k.subdomains = true;
    } else if (anl == 4 && strncasecmp(an, "path", 4) == 0 && avl && *av == '/') {
      free(k.path);
      k.path = dupn(av, avl);
    } else if (anl == 7 && strncasecmp(an, "max-age", 7) == 0 && avl) {
      long long secs = strtoll(av, NULL, 10); /* wins over Expires (§5.3 step 3) */
      k.expires = secs <= 0 ? 1 : time(NULL) + (time_t)secs;
      have_max_age = true;
    } else if (anl == 7 && strncasecmp(an, "expires", 7) == 0 && avl && !have_max_age) {
      time_t t;
      if (gale_http_date_parse(av, avl, &t) == GALE_OK) k.expires = t > 0 ? t : 1;
    } else if (anl == 6 && strncasecmp(an, "secure", 6) == 0) {
      k.secure = true;
    } else if (anl == 8 && strncasecmp(an, "httponly", 8) == 0) {
      k.http_only = true;
    }
    a = next;
  }
  if (k.domain) { /* it must cover the host, and not be a bare IP's parent */
    size_t hl = strlen(u->host), dl = strlen(k.domain);
    bool ok = strcasecmp(u->host, k.domain) == 0 ||
              (!u->host_is_ipv6 && hl > dl && u->host[hl - dl - 1] == '.' &&
               strcasecmp(u->host + hl - dl, k.domain) == 0 && strchr(k.domain, '.'));
    if (!ok) goto skip;
    if (strcasecmp(u->host, k.domain) == 0 && strspn(u->host, "0123456789.") == hl)
      k.subdomains = false;
  } else {
    k.domain = strdup(u->host);
  }
  if (!k.path) k.path = default_path(u->path);
  if (!k.name || !k.value || !k.domain || !k.path) {
    rc = CLI_EXIT_NOMEM;
    goto skip;
  }
  gale_url_free(u);
  return jar_put(c, &k);
skip:
  cookie_free(&k);
  gale_url_free(u);
  return rc;
}
