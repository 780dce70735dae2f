/* SPDX-License-Identifier: MIT */
/* gale fetch's URL globbing, as curl: {a,b,c} sets and [1-10], [001-100],
 * [a-z], [1-9:2] ranges expand one URL argument into many (the last glob
 * varies fastest); "#N" in the matching -o name is the N-th glob's value.
 * A backslash before [ ] { } keeps it literal; -g turns globbing off. */
#include "fetch.h"

#include <stdlib.h>
#include <string.h>

#define MAX_GLOB_URLS 100000
#define MAX_GLOBS 9 /* #1..#9, as curl */

typedef struct glob_set {
  char **values;
  size_t n;
} glob_set;

typedef struct glob {
  char **lits; /* nsets + 1 literal pieces around the sets */
  glob_set sets[MAX_GLOBS];
  size_t nsets;
} glob;

static void glob_free(glob *g) {
  for (size_t i = 0; i < g->nsets; i++) {
    for (size_t j = 0; j < g->sets[i].n; j++) free(g->sets[i].values[j]);
    free(g->sets[i].values);
  }
  for (size_t i = 0; g->lits && i <= g->nsets; i++) free(g->lits[i]);
  free(g->lits);
}

static int set_add(glob_set *s, const char *v, size_t len) {
  char **nv = realloc(s->values, (s->n + 1) * sizeof *nv);
  if (!nv) return CLI_EXIT_NOMEM;
  s->values = nv;
  if (!(nv[s->n] = strndup(v, len))) return CLI_EXIT_NOMEM;
  s->n++;
  return 0;
}

static int bad(const char *what, const char *url, size_t pos) {
  fprintf(stderr, "gale: (3) %s in URL position %zu:\n%s\n%*s^\n", what, pos + 1, url, (int)pos,
          "");
  return CLI_EXIT_URL;
}

/* "{a,b}" at url+pos; *end gets the index after '}'. */
static int parse_set(const char *url, size_t pos, glob_set *s, size_t *end) {
  size_t i = pos + 1, start = i;
  int rc;
  for (;; i++) {
    char ch = url[i];
    if (!ch || ch == '{' || ch == '[' || ch == ']') return bad("unmatched brace", url, pos);
    if (ch == ',' || ch == '}') {
      if ((rc = set_add(s, url + start, i - start)) != 0) return rc;
      start = i + 1;
      if (ch == '}') break;
    }
  }
  *end = i + 1;
  return 0;
}

/* "[1-10]", "[01-10:3]" or "[a-z]" at url+pos. */
static int parse_range(const char *url, size_t pos, glob_set *s, size_t *end) {
  const char *p = url + pos + 1, *close = strchr(p, ']');
  char buf[64];
  long step = 1;
  int rc;
  if (!close) return bad("unmatched close brace/bracket", url, pos);
  if ((size_t)(close - p) >= sizeof buf) return bad("bad range", url, pos);
  memcpy(buf, p, (size_t)(close - p));
  buf[close - p] = '\0';
  char *colon = strchr(buf, ':');
  if (colon) {
    char *e;
    *colon = '\0';
    step = strtol(colon + 1, &e, 10);
    if (*e || step <= 0) return bad("bad range", url, pos);
  }
  if (strlen(buf) == 3 && buf[1] == '-' &&
      ((buf[0] >= 'a' && buf[2] <= 'z' && buf[2] >= 'a') ||
       (buf[0] >= 'A' && buf[2] <= 'Z' && buf[2] >= 'A'))) {
    if (buf[0] > buf[2]) return bad("bad range", url, pos);
    for (int ch = buf[0]; ch <= buf[2]; ch += (int)step) {
      char v = (char)ch;
      if ((rc = set_add(s, &v, 1)) != 0) return rc;
    }
  } else {
    char *dash = strchr(buf, '-'), *e1, *e2;
    long lo, hi;
    int width;
    if (!dash || dash == buf) return bad("bad range", url, pos);
    *dash = '\0';
    lo = strtol(buf, &e1, 10);
    hi = strtol(dash + 1, &e2, 10);
    if (*e1 || *e2 || !dash[1] || lo < 0 || hi < lo || strspn(buf, "0123456789") != strlen(buf))
      return bad("bad range", url, pos);
    if ((unsigned long)(hi - lo) / (unsigned long)step >= MAX_GLOB_URLS)
      return bad("range too large", url, pos);
    width = buf[0] == '0' ? (int)strlen(buf) : 0; /* "[001-100]" keeps the width */
    for (long v = lo; v <= hi; v += step) {
      int len = snprintf(buf, sizeof buf, "%0*ld", width, v);
      if ((rc = set_add(s, buf, (size_t)len)) != 0) return rc;
    }
  }
  *end = (size_t)(close - url) + 1;
  return 0;
}

static int lit_push(glob *g, gale_buf *lit) {
  g->lits[g->nsets] = strndup(lit->data ? lit->data : "", lit->len);
  gale_buf_set_len(lit, 0);
  return g->lits[g->nsets] ? 0 : CLI_EXIT_NOMEM;
}

static int parse(const char *url, glob *g) {
  gale_buf lit;
  size_t i = 0;
  int rc = 0;
  gale_buf_init(&lit, 0);
  if (!(g->lits = calloc(MAX_GLOBS + 1, sizeof *g->lits))) return CLI_EXIT_NOMEM;
  while (!rc && url[i]) {
    char ch = url[i];
    if (ch == '\\' && url[i + 1] && strchr("[]{}", url[i + 1])) {
      rc = gale_buf_append_byte(&lit, url[i + 1]) == GALE_OK ? 0 : CLI_EXIT_NOMEM;
      i += 2;
    } else if (ch == '{' || ch == '[') {
      size_t end;
      /* "[::1]": an IPv6 literal in the host is no range (curl, too). */
      if (ch == '[' && i >= 2 && url[i - 1] == '/' && url[i - 2] == '/' && strchr(url + i, ']') &&
          memchr(url + i, ':', (size_t)(strchr(url + i, ']') - (url + i)))) {
        end = (size_t)(strchr(url + i, ']') - url) + 1;
        rc = gale_buf_append(&lit, url + i, end - i) == GALE_OK ? 0 : CLI_EXIT_NOMEM;
        i = end;
        continue;
      }
      if (g->nsets == MAX_GLOBS) {
        rc = bad("too many globs", url, i);
        break;
      }
      if ((rc = lit_push(g, &lit)) != 0) break;
      rc = ch == '{' ? parse_set(url, i, &g->sets[g->nsets], &end)
                     : parse_range(url, i, &g->sets[g->nsets], &end);
      g->nsets++;
      i = end;
    } else if (ch == '}' || ch == ']') {
      rc = bad("unmatched close brace/bracket", url, i);
    } else {
      rc = gale_buf_append_byte(&lit, ch) == GALE_OK ? 0 : CLI_EXIT_NOMEM;
      i++;
    }
  }
  if (!rc) rc = lit_push(g, &lit);
  gale_buf_release(&lit);
  return rc;
}

/* "#N" in name replaced by value N of the current combination. */
static char *subst_name(const char *name, const glob *g, const size_t *idx) {
  gale_buf b;
  char *out;
  gale_buf_init(&b, 0);
  for (const char *p = name; *p; p++) {
    if (p[0] == '#' && p[1] >= '1' && p[1] <= '9' && (size_t)(p[1] - '1') < g->nsets) {
      const char *v = g->sets[p[1] - '1'].values[idx[p[1] - '1']];
      gale_buf_append(&b, v, strlen(v));
      p++;
    } else {
      gale_buf_append_byte(&b, *p);
    }
  }
  out = strndup(b.data ? b.data : "", b.len);
  gale_buf_release(&b);
  return out;
}

int fetch_glob_expand(const char *url, const char *outname, bool off, fetch_glob_cb cb, void *arg) {
  glob g;
  size_t idx[MAX_GLOBS] = {0}, total = 1;
  int rc;
  if (off || !strpbrk(url, "[]{}\\")) return cb(url, outname ? strdup(outname) : NULL, arg);
  memset(&g, 0, sizeof g);
  if ((rc = parse(url, &g)) != 0) {
    glob_free(&g);
    return rc;
  }
  for (size_t i = 0; i < g.nsets; i++) {
    total *= g.sets[i].n;
    if (total > MAX_GLOB_URLS) {
      glob_free(&g);
      fprintf(stderr, "gale: (3) too many URLs from the globs in %s\n", url);
      return CLI_EXIT_URL;
    }
  }
  for (size_t k = 0; !rc && k < total; k++) {
    gale_buf u;
    gale_buf_init(&u, 0);
    for (size_t i = 0; i <= g.nsets; i++) {
      gale_buf_append(&u, g.lits[i], strlen(g.lits[i]));
      if (i < g.nsets)
        gale_buf_append(&u, g.sets[i].values[idx[i]], strlen(g.sets[i].values[idx[i]]));
    }
    rc = cb(u.data ? u.data : "", outname ? subst_name(outname, &g, idx) : NULL, arg);
    gale_buf_release(&u);
    for (size_t i = g.nsets; i-- > 0;) { /* the last glob varies fastest */
      if (++idx[i] < g.sets[i].n) break;
      idx[i] = 0;
    }
  }
  glob_free(&g);
  return rc;
}
