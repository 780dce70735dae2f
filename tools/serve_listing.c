/* SPDX-License-Identifier: MIT */
/* gale serve: an HTML listing for directories without index.html (the
 * static handler answers 403 for those).  Names are HTML-escaped in the
 * text and percent-encoded in the links. */
#include "cli.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gale/url.h"
#include "gale/web.h"

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool under(const char *root, const char *path) {
  size_t n = strlen(root);
  return strncmp(root, path, n) == 0 &&
         (path[n] == '\0' || path[n] == '/' || (n == 1 && root[0] == '/'));
}

/* Writes the page; false when the directory cannot be read. */
static bool write_listing(gale_web_handler *h, const char *dir, const char *shown) {
  DIR *d = opendir(dir);
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *e;
  if (!d) return false;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (n == cap) {
      char **more = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof *names);
      if (!more) break;
      names = more;
    }
    if (!(names[n] = strdup(e->d_name))) break;
    n++;
  }
  closedir(d);
  if (n) qsort(names, n, sizeof *names, cmp_names);
  gale_web_set_header(h, "Content-Type", "text/html; charset=utf-8");
  gale_web_write_str(
      h, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n<title>Directory listing for ");
  gale_web_write_html_escaped(h, shown);
  gale_web_write_str(h, "</title></head>\n<body>\n<h1>Directory listing for ");
  gale_web_write_html_escaped(h, shown);
  gale_web_write_str(h, "</h1>\n<hr>\n<ul>\n");
  gale_buf path, href; /* reused for every entry */
  gale_buf_init(&path, 0);
  gale_buf_init(&href, 0);
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(names[i]), elen;
    struct stat st;
    gale_buf_reset(&path);
    gale_buf_reset(&href);
    bool is_dir = gale_buf_printf(&path, "%s/%s", dir, names[i]) == GALE_OK &&
                  stat(path.data, &st) == 0 && S_ISDIR(st.st_mode);
    if (gale_buf_reserve(&href, 3 * len) == GALE_OK &&
        gale_percent_encode(names[i], len, 0, href.data, 3 * len + 1, &elen) == GALE_OK) {
      gale_web_printf(h, "<li><a href=\"%s%s\">", href.data, is_dir ? "/" : "");
      gale_web_write_html_escaped(h, names[i]);
      gale_web_printf(h, "%s</a></li>\n", is_dir ? "/" : "");
    }
    free(names[i]);
  }
  gale_buf_release(&path);
  gale_buf_release(&href);
  free(names);
  gale_web_write_str(h, "</ul>\n<hr>\n</body>\n</html>\n");
  return true;
}

/* Answers with a listing (or a redirect to the path with a trailing '/')
 * when the request names a directory under `root` (a real path) without an
 * index.html.  Returns false, having answered nothing, otherwise: the
 * static handler then serves the file or refuses the path. */
bool cli_serve_listing(gale_web_handler *h, const char *root) {
  const char *raw = gale_web_path(h);
  size_t rawlen = strlen(raw), rel_len;
  char rel[PATH_MAX], joined[PATH_MAX], real[PATH_MAX], index[PATH_MAX + 16], *shown;
  struct stat st;
  bool ok;
  if (gale_url_path_normalize(raw, rawlen, rel, sizeof rel, &rel_len) != GALE_OK) return false;
  if (snprintf(joined, sizeof joined, "%s/%s", root, rel) >= (int)sizeof joined) return false;
  /* Most requests name files: one stat rules them out before realpath
   * (a readlink per path component) checks a directory stays under root. */
  if (stat(joined, &st) != 0 || !S_ISDIR(st.st_mode)) return false;
  if (!realpath(joined, real) || !under(root, real)) return false;
  snprintf(index, sizeof index, "%s/index.html", real);
  if (stat(index, &st) == 0) return false;
  if (rawlen == 0 || raw[rawlen - 1] != '/') {
    char *to = NULL;
    if (asprintf(&to, "%s/", raw) < 0) return false;
    gale_web_redirect(h, to, 301);
    free(to);
    return true;
  }
  /* The page shows the decoded path, as python's http.server does. */
  shown = malloc(rawlen + 1);
  if (!shown || gale_percent_decode(raw, rawlen, GALE_PCT_NO_NUL, shown, &rel_len) != GALE_OK) {
    free(shown);
    return false;
  }
  shown[rel_len] = '\0';
  ok = write_listing(h, real, shown);
  free(shown);
  if (!ok) gale_web_send_error(h, 403);
  return true;
}
