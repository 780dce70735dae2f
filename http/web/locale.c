/* SPDX-License-Identifier: MIT */
/* http/web/locale.c — tornado.locale: CSV translation tables (one jansson
 * object per table, used as a hash map), the closest supported locale, and
 * translate() with plural forms. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gale/error.h"
#include "gale/locale.h"
#include "gale/log.h"

enum { MAX_CSV = 4 << 20, MAX_LOCALES = 512 };

struct gale_locale {
  char code[16];
  json_t *unknown, *plural, *singular; /* original -> translation */
};

struct gale_locale_set {
  gale_locale *locales; /* [0] is the default */
  size_t n;
};

/* "pt-br" -> "pt_BR", "FR" -> "fr"; false for anything else. */
static bool normalize(const char *in, size_t len, char *out, size_t cap) {
  size_t o = 0, part = 0, plen = 0;
  for (size_t i = 0; i < len; i++) {
    char c = in[i] == '-' ? '_' : in[i];
    if (c == '_') {
      if (++part > 1 || !plen) return false;
      plen = 0;
    } else if (isalpha((unsigned char)c)) {
      c = (char)(part ? toupper((unsigned char)c) : tolower((unsigned char)c));
      plen++;
    } else {
      return false;
    }
    if (o + 1 >= cap) return false;
    out[o++] = c;
  }
  out[o] = '\0';
  return o > 0 && plen > 0;
}

static gale_locale *find(const gale_locale_set *s, const char *code) {
  for (size_t i = 0; i < s->n; i++)
    if (!strcmp(s->locales[i].code, code)) return &s->locales[i];
  return NULL;
}

static gale_locale *add_locale(gale_locale_set *s, const char *code) {
  gale_locale *l = find(s, code);
  if (l) return l;
  if (s->n == MAX_LOCALES) return NULL;
  gale_locale *n = realloc(s->locales, (s->n + 1) * sizeof(*n));
  if (!n) return NULL;
  s->locales = n;
  l = &s->locales[s->n];
  memset(l, 0, sizeof(*l));
  snprintf(l->code, sizeof(l->code), "%s", code);
  l->unknown = json_object();
  l->plural = json_object();
  l->singular = json_object();
  if (!l->unknown || !l->plural || !l->singular) {
    json_decref(l->unknown);
    json_decref(l->plural);
    json_decref(l->singular);
    return NULL;
  }
  s->n++;
  return l;
}

/* One CSV field starting at *p (RFC 4180: quotes, "" inside quotes);
 * copies it NUL-terminated to out (at most cap); moves *p past the field
 * and its comma; *eol tells whether the row ended. */
static void csv_field(const char **p, const char *end, char *out, size_t cap, bool *eol) {
  size_t o = 0;
  const char *s = *p;
  bool quoted = s < end && *s == '"';
  if (quoted) s++;
  while (s < end) {
    if (quoted && *s == '"') {
      if (s + 1 < end && s[1] == '"') {
        s++;
      } else {
        quoted = false;
        s++;
        continue;
      }
    } else if (!quoted && (*s == ',' || *s == '\n' || *s == '\r')) {
      break;
    }
    if (o + 1 < cap) out[o++] = *s;
    s++;
  }
  out[o] = '\0';
  *eol = s >= end || *s != ',';
  if (s < end && *s == ',')
    s++;
  else {
    if (s < end && *s == '\r') s++;
    if (s < end && *s == '\n') s++;
  }
  *p = s;
}

static void load_csv(gale_locale *l, const char *path, const char *text, size_t len) {
  const char *p = text, *end = text + len;
  if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3)) p += 3; /* a byte-order mark, as utf-8-sig */
  char *f[3];
  size_t cap = len + 1;
  for (int i = 0; i < 3; i++) f[i] = malloc(cap);
  int row = 0;
  while (f[0] && f[1] && f[2] && p < end) {
    row++;
    int n = 0;
    bool eol = false;
    while (!eol) {
      char scratch[1];
      csv_field(&p, end, n < 3 ? f[n] : scratch, n < 3 ? cap : sizeof(scratch), &eol);
      n++;
    }
    if (n < 2 || !f[0][0]) continue;
    json_t *table = l->unknown;
    if (n >= 3 && f[2][0]) {
      if (!strcmp(f[2], "plural"))
        table = l->plural;
      else if (!strcmp(f[2], "singular"))
        table = l->singular;
      else {
        gale_log_error("locale", "%s:%d: unrecognized plural indicator '%s'", path, row, f[2]);
        continue;
      }
    }
    json_t *v = json_string(f[1]);
    if (!v || !json_is_string(v) || json_object_set_new(table, f[0], v) < 0)
      gale_log_error("locale", "%s:%d: not UTF-8, skipped", path, row);
  }
  for (int i = 0; i < 3; i++) free(f[i]);
}

static int read_file(const char *path, char **out, size_t *len) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return GALE_ESYS;
  char *buf = malloc(MAX_CSV + 1);
  size_t n = buf ? fread(buf, 1, MAX_CSV + 1, fp) : 0;
  fclose(fp);
  if (!buf) return GALE_ENOMEM;
  if (n > MAX_CSV) {
    free(buf);
    return GALE_ELIMIT;
  }
  *out = buf;
  *len = n;
  return GALE_OK;
}

int gale_locale_set_load(const char *dir, const char *default_code, gale_locale_set **out) {
  char code[16];
  if (!out || !normalize(default_code ? default_code : "en_US",
                         strlen(default_code ? default_code : "en_US"), code, sizeof(code)))
    return GALE_EINVAL;
  gale_locale_set *s = calloc(1, sizeof(*s));
  if (!s || !add_locale(s, code)) {
    gale_locale_set_free(s);
    return GALE_ENOMEM;
  }
  DIR *d = dir ? opendir(dir) : NULL;
  if (dir && !d) {
    gale_locale_set_free(s);
    return GALE_ESYS;
  }
  for (struct dirent *e; d && (e = readdir(d));) {
    size_t nl = strlen(e->d_name);
    if (nl < 5 || strcmp(e->d_name + nl - 4, ".csv") ||
        !normalize(e->d_name, nl - 4, code, sizeof(code)))
      continue;
    char path[4096], *text;
    size_t len;
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    int rc = read_file(path, &text, &len);
    if (rc != GALE_OK) {
      gale_log_error("locale", "%s: %s", path, gale_strerror(rc));
      continue;
    }
    gale_locale *l = add_locale(s, code);
    if (l) load_csv(l, path, text, len);
    free(text);
  }
  if (d) closedir(d);
  *out = s;
  return GALE_OK;
}

void gale_locale_set_free(gale_locale_set *s) {
  if (!s) return;
  for (size_t i = 0; i < s->n; i++) {
    json_decref(s->locales[i].unknown);
    json_decref(s->locales[i].plural);
    json_decref(s->locales[i].singular);
  }
  free(s->locales);
  free(s);
}

const gale_locale *gale_locale_get_default(const gale_locale_set *s) {
  return s ? &s->locales[0] : NULL;
}

const gale_locale *gale_locale_get_closest(const gale_locale_set *s, const char *const *codes,
                                           size_t n) {
  if (!s) return NULL;
  for (size_t i = 0; i < n; i++) {
    char code[16];
    if (!codes[i] || !normalize(codes[i], strlen(codes[i]), code, sizeof(code))) continue;
    const gale_locale *l = find(s, code);
    if (l) return l;
    char *us = strchr(code, '_');
    if (us) *us = '\0';
    if ((l = find(s, code))) return l;
  }
  return &s->locales[0];
}

typedef struct weighted {
  char code[16];
  double q;
  size_t order;
} weighted;

static int by_q(const void *a, const void *b) {
  const weighted *x = a, *y = b;
  if (x->q != y->q) return x->q < y->q ? 1 : -1;
  return x->order < y->order ? -1 : 1;
}

const gale_locale *gale_locale_from_accept_language(const gale_locale_set *s, const char *header) {
  weighted w[32];
  size_t n = 0;
  for (const char *p = header; p && *p && n < 32;) {
    const char *item = p, *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    p = comma ? comma + 1 : NULL;
    while (len && (*item == ' ' || *item == '\t')) item++, len--;
    const char *semi = memchr(item, ';', len);
    size_t clen = semi ? (size_t)(semi - item) : len;
    while (clen && (item[clen - 1] == ' ' || item[clen - 1] == '\t')) clen--;
    double q = 1.0;
    if (semi) {
      const char *qs = semi + 1;
      while (*qs == ' ') qs++;
      if (strncmp(qs, "q=", 2)) continue;
      char *e;
      q = strtod(qs + 2, &e);
      if (e == qs + 2 || q < 0 || q > 1) continue;
    }
    if (q <= 0 || !normalize(item, clen, w[n].code, sizeof(w[n].code))) continue;
    w[n].q = q;
    w[n].order = n;
    n++;
  }
  qsort(w, n, sizeof(w[0]), by_q);
  const char *codes[32];
  for (size_t i = 0; i < n; i++) codes[i] = w[i].code;
  return gale_locale_get_closest(s, codes, n);
}

const char *gale_locale_code(const gale_locale *l) { return l ? l->code : NULL; }

const char *gale_locale_translate(const gale_locale *l, const char *message, const char *plural,
                                  long long count) {
  if (!message) return NULL;
  const char *want = plural && count != 1 ? plural : message;
  if (!l) return want;
  json_t *table = !plural ? l->unknown : count != 1 ? l->plural : l->singular;
  const char *t = json_string_value(json_object_get(table, want));
  return t ? t : want;
}
