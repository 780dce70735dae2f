/* SPDX-License-Identifier: MIT */
/* http/template/tpl_loader.c — reads templates from a folder by name,
 * compiles each once and caches it; in check_mtime (debug) mode a file that
 * changed is compiled again.  Names are checked before any path is built:
 * a template cannot be loaded from outside the root. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gale/error.h"
#include "http/template/tpl_internal.h"

typedef struct entry {
  char *name; /* normalized, relative to the root */
  gale_template *tpl;
  struct timespec mtime;
  off_t size;
} entry;

struct gale_template_loader {
  char *root;
  gale_template_options opts;
  entry *entries;
  size_t n, cap;
  /* Templates replaced after their file changed: a render may still be
   * walking them, so they are freed only by reset or free. */
  gale_template **retired;
  size_t nretired;
};

static void set_err(gale_template_error *err, const char *name, const char *fmt, const char *arg) {
  if (!err) return;
  memset(err, 0, sizeof(*err));
  snprintf(err->name, sizeof(err->name), "%.*s", (int)sizeof(err->name) - 1, name);
  snprintf(err->message, sizeof(err->message), fmt, arg);
}

/* Joins `name` to the folder of `from` (unless name starts with '/', which
 * means the root) and normalizes it into out; -1 for a refused name. */
static int resolve(const char *from, const char *name, char *out, size_t cap) {
  char tmp[1024];
  size_t dir = 0;
  if (name[0] != '/' && from) {
    const char *slash = strrchr(from, '/');
    dir = slash ? (size_t)(slash - from) + 1 : 0;
  }
  if (dir + strlen(name) + 1 > sizeof(tmp)) return -1;
  memcpy(tmp, from ? from : "", dir);
  strcpy(tmp + dir, name);
  size_t o = 0;
  for (char *seg = tmp, *next; seg; seg = next) {
    next = strchr(seg, '/');
    if (next) *next++ = '\0';
    if (!*seg || !strcmp(seg, ".")) continue;
    if (!strcmp(seg, "..") || strchr(seg, '\\')) return -1;
    size_t n = strlen(seg);
    if (o + n + 2 > cap) return -1;
    if (o) out[o++] = '/';
    memcpy(out + o, seg, n);
    o += n;
  }
  out[o] = '\0';
  return o ? 0 : -1;
}

int gale_template_loader_new(const char *root, const gale_template_options *opts,
                             gale_template_loader **out) {
  if (!root || !out) return GALE_EINVAL;
  gale_template_loader *l = calloc(1, sizeof(*l));
  if (!l || !(l->root = strdup(root))) {
    free(l);
    return GALE_ENOMEM;
  }
  if (opts)
    l->opts = *opts;
  else
    gale_template_options_init(&l->opts);
  *out = l;
  return GALE_OK;
}

void gale_template_loader_reset(gale_template_loader *l) {
  if (!l) return;
  for (size_t i = 0; i < l->n; i++) {
    gale_template_free(l->entries[i].tpl);
    free(l->entries[i].name);
  }
  for (size_t i = 0; i < l->nretired; i++) gale_template_free(l->retired[i]);
  free(l->entries);
  free(l->retired);
  l->entries = NULL;
  l->retired = NULL;
  l->n = l->cap = l->nretired = 0;
}

void gale_template_loader_free(gale_template_loader *l) {
  if (!l) return;
  gale_template_loader_reset(l);
  free(l->root);
  free(l);
}

/* Reads and compiles the file for the normalized `name`. */
static int compile_file(gale_template_loader *l, const char *name, gale_template **out,
                        struct stat *st, gale_template_error *err) {
  char path[2048];
  if ((size_t)snprintf(path, sizeof(path), "%s/%s", l->root, name) >= sizeof(path)) {
    set_err(err, name, "%s", "path too long");
    return GALE_EINVAL;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    set_err(err, name, "cannot open: %s", strerror(errno));
    return errno == ENOENT ? GALE_ENOENT : GALE_ESYS;
  }
  int rc = GALE_OK;
  char *src = NULL;
  if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
    set_err(err, name, "%s", "not a regular file");
    rc = GALE_ESYS;
  } else if ((uint64_t)st->st_size > l->opts.max_template_size) {
    set_err(err, name, "%s", "larger than max_template_size");
    rc = GALE_ELIMIT;
  } else if (!(src = malloc((size_t)st->st_size + 1))) {
    rc = GALE_ENOMEM;
  } else {
    size_t got = 0;
    while (got < (size_t)st->st_size) {
      ssize_t n = read(fd, src + got, (size_t)st->st_size - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += (size_t)n;
    }
    rc = gale_template_compile(src, got, name, &l->opts, out, err);
    if (rc == GALE_OK) (*out)->loader = l;
  }
  free(src);
  close(fd);
  return rc;
}

static bool changed(const entry *e, const struct stat *st) {
  return st->st_mtim.tv_sec != e->mtime.tv_sec || st->st_mtim.tv_nsec != e->mtime.tv_nsec ||
         st->st_size != e->size;
}

int gale__tpl_loader_load_from(gale_template_loader *l, const char *from, const char *name,
                               const gale_template **out, gale_template_error *err) {
  char norm[1024];
  if (err) memset(err, 0, sizeof(*err));
  if (!l || !name || !out) return GALE_EINVAL;
  if (resolve(from, name, norm, sizeof(norm)) < 0) {
    set_err(err, name, "%s", "refused template name (absolute, '..', or outside the root)");
    return GALE_EINVAL;
  }
  entry *e = NULL;
  for (size_t i = 0; i < l->n; i++)
    if (!strcmp(l->entries[i].name, norm)) {
      e = &l->entries[i];
      break;
    }
  if (e && !l->opts.check_mtime) {
    *out = e->tpl;
    return GALE_OK;
  }
  if (e) {
    char path[2048];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", l->root, norm);
    if (stat(path, &st) == 0 && !changed(e, &st)) {
      *out = e->tpl;
      return GALE_OK;
    }
  }
  gale_template *t;
  struct stat st;
  int rc = compile_file(l, norm, &t, &st, err);
  if (rc != GALE_OK) return rc;
  if (e) {
    gale_template **r = realloc(l->retired, (l->nretired + 1) * sizeof(*r));
    if (!r) {
      gale_template_free(t);
      return GALE_ENOMEM;
    }
    l->retired = r;
    l->retired[l->nretired++] = e->tpl;
  } else {
    if (l->n == l->cap) {
      size_t cap = l->cap ? 2 * l->cap : 8;
      entry *n = realloc(l->entries, cap * sizeof(*n));
      if (!n) {
        gale_template_free(t);
        return GALE_ENOMEM;
      }
      l->entries = n;
      l->cap = cap;
    }
    e = &l->entries[l->n];
    if (!(e->name = strdup(norm))) {
      gale_template_free(t);
      return GALE_ENOMEM;
    }
    l->n++;
  }
  e->tpl = t;
  e->mtime = st.st_mtim;
  e->size = st.st_size;
  *out = t;
  return GALE_OK;
}

int gale_template_loader_load(gale_template_loader *l, const char *name, const gale_template **out,
                              gale_template_error *err) {
  return gale__tpl_loader_load_from(l, NULL, name, out, err);
}

int gale_template_loader_render(gale_template_loader *l, const char *name, json_t *ctx,
                                const gale_template_env *env, gale_buf *out,
                                gale_template_error *err) {
  const gale_template *t;
  int rc = gale_template_loader_load(l, name, &t, err);
  return rc != GALE_OK ? rc : gale_template_render(t, ctx, env, out, err);
}
