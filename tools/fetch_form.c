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
  static const struct { const char *ext, *type; } types[] = {
      {".txt", "text/plain"},      {".html", "text/html"},       {".htm", "text/html"},
      {".css", "text/css"},        {".js", "application/javascript"},
      {".json", "application/json"}, {".xml", "application/xml"}, {".pdf", "application/pdf"},
      {".gif", "image/gif"},       {".png", "image/png"},        {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},     {".svg", "image/svg+xml"},
  };
  const char *dot = strrchr(filename, '.');
  for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
    if (strcasecmp(dot, types[i].ext) == 0) return types[i].type;
  return "application/octet-stream";
}

/* NAME=@FILE (a file part named after FILE's base name) or NAME=<FILE (a
 * field holding FILE's content); ";type=T" after FILE sets the type. */
static int add_file_part(fetch_cli *c, const char *name, const char *spec, bool as_file) {
  char path[4096], *type = NULL, *semi, *data;
  const char *base;
  size_t len;
  int st;
  snprintf(path, sizeof path, "%s", spec);
  semi = strchr(path, ';');
  if (semi) {
    *semi = '\0';
    if (strncmp(semi + 1, "type=", 5) == 0) type = semi + 6;
  }
  data = cli_read_file(path, &len);
  if (!data) {
    fprintf(stderr, "gale: cannot read %s: %s\n", path, strerror(errno));
    return CLI_EXIT_READ;
  }
  base = strrchr(path, '/');
  base = base ? base + 1 : path;
  if (as_file)
    st = gale_multipart_enc_add_file(c->form, name, base, type ? type : guess_type(base), data, len);
  else if (type) /* no filename parameter, but a Content-Type */
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
    if (st == CLI_EXIT_READ) return st;
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
