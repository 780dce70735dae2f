/* SPDX-License-Identifier: MIT */
/* gale fetch -F: curl's multipart form fields, encoded by httputil's
 * multipart encoder (gale_multipart_enc, random boundary). */
#include "fetch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* curl's guesses for a file part's type by extension. */
static const char *guess_type(const char *filename) {
  static const struct {
    const char *ext, *type;
  } types[] = {
      {".txt", "text/plain"},
      {".html", "text/html"},
      {".htm", "text/html"},
      {".css", "text/css"},
      {".js", "application/javascript"},
      {".json", "application/json"},
      {".xml", "application/xml"},
      {".pdf", "application/pdf"},
      {".gif", "image/gif"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".svg", "image/svg+xml"},
  };
  const char *dot = strrchr(filename, '.');
  for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
    if (strcasecmp(dot, types[i].ext) == 0) return types[i].type;
  return "application/octet-stream";
}

/* Copies one ;-separated item of `*p` into out (size n), unquoting a
 * "double-quoted" value (backslash escapes the next character, as curl),
 * and moves *p past it and its ';'. */
static void next_item(const char **p, char *out, size_t n) {
  const char *s = *p;
  size_t j = 0;
  bool quoted = false;
  while (*s && (quoted || *s != ';')) {
    if (*s == '"') {
      quoted = !quoted;
      s++;
      continue;
    }
    if (quoted && *s == '\\' && s[1]) s++;
    if (j + 1 < n) out[j++] = *s;
    s++;
  }
  out[j] = '\0';
  *p = *s == ';' ? s + 1 : s;
}

/* NAME=@FILE (a file part named after FILE's base name) or NAME=<FILE (a
 * field holding FILE's content), then curl's ";type=T" and ";filename=F"
 * (either order; values may be "quoted"; a <FILE field ignores filename=,
 * as curl). */
static int add_file_part(fetch_cli *c, const char *name, const char *spec, bool as_file) {
  char path[4096], item[4096], type[256] = "", fname[1024] = "", *data;
  const char *base, *p = spec;
  bool have_fname = false;
  size_t len;
  int st;
  next_item(&p, path, sizeof path);
  while (*p) {
    next_item(&p, item, sizeof item);
    if (strncmp(item, "type=", 5) == 0 && strlen(item + 5) < sizeof type) {
      memcpy(type, item + 5, strlen(item + 5) + 1);
    } else if (strncmp(item, "filename=", 9) == 0 && strlen(item + 9) < sizeof fname) {
      memcpy(fname, item + 9, strlen(item + 9) + 1);
      have_fname = true;
    } else if (item[0]) {
      return fetch_usage_error("-F: unsupported part option '%s' (type= and filename= only)", item);
    }
  }
  data = cli_read_file(path, &len);
  if (!data) {
    fprintf(stderr, "gale: cannot read %s: %s\n", path, strerror(errno));
    return CLI_EXIT_READ;
  }
  base = strrchr(path, '/');
  base = base ? base + 1 : path;
  if (have_fname) base = fname;
  if (as_file)
    st = gale_multipart_enc_add_file(c->form, name, base, type[0] ? type : guess_type(base), data,
                                     len);
  else if (type[0]) /* no filename parameter, but a Content-Type */
    st = gale_multipart_enc_add_file(c->form, name, NULL, type, data, len);
  else
    st = gale_multipart_enc_add_field(c->form, name, data, len);
  free(data);
  return st;
}

int fetch_add_form(fetch_cli *c, const char *arg) {
  const char *eq = strchr(arg, '=');
  char name[256];
  int st;
  if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof name)
    return fetch_usage_error("bad -F argument '%s' (NAME=VALUE or NAME=@FILE)", arg);
  memcpy(name, arg, (size_t)(eq - arg));
  name[eq - arg] = '\0';
  if (!c->form && !(c->form = gale_multipart_enc_new(NULL))) return CLI_EXIT_NOMEM;
  if (eq[1] == '@' || eq[1] == '<') {
    st = add_file_part(c, name, eq + 2, eq[1] == '@');
    if (st == CLI_EXIT_READ || st == CLI_EXIT_USAGE) return st;
  } else {
    st = gale_multipart_enc_add_field(c->form, name, eq + 1, strlen(eq + 1));
  }
  if (st != GALE_OK) return fetch_usage_error("cannot add -F field '%s'", arg);
  return 0;
}

int fetch_form_finish(fetch_cli *c) {
  if (c->form_body) return GALE_OK;
  return gale_multipart_enc_finish(c->form, &c->form_body, &c->form_len);
}
