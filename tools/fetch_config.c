/* SPDX-License-Identifier: MIT */
/* gale fetch's option files: -K / --config (curl's config file syntax,
 * expanded into the argument list where -K stands) and the .netrc file
 * (-n, --netrc-file, --netrc-optional) giving credentials per host. */
#include "fetch.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CONFIG_DEPTH 10

/* A growing argument vector whose strings it owns. */
typedef struct argvec {
  char **v;
  size_t n, cap;
} argvec;

static int argvec_push(argvec *a, const char *s, size_t len) {
  char *copy;
  if (a->n + 2 > a->cap) {
    size_t cap = a->cap ? a->cap * 2 : 16;
    char **v = realloc(a->v, cap * sizeof *v);
    if (!v) return CLI_EXIT_NOMEM;
    a->v = v;
    a->cap = cap;
  }
  if (!(copy = strndup(s, len))) return CLI_EXIT_NOMEM;
  a->v[a->n++] = copy;
  a->v[a->n] = NULL;
  return 0;
}

/* One value: "quoted" (with \" \\ \t \n \r \v escapes) or up to the next
 * blank.  Appended to out; *p moves past it. */
static int config_value(const char **p, argvec *out) {
  const char *s = *p;
  gale_buf b;
  int rc;
  gale_buf_init(&b, 0);
  if (*s == '"') {
    for (s++; *s && *s != '"'; s++) {
      char ch = *s;
      if (ch == '\\' && s[1]) {
        s++;
        ch = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s == 'r' ? '\r' : *s == 'v' ? '\v' : *s;
      }
      if (gale_buf_append_byte(&b, ch) != GALE_OK) break;
    }
    if (*s == '"') s++;
  } else {
    size_t n = strcspn(s, " \t\r\n");
    if (gale_buf_append(&b, s, n) != GALE_OK) n = 0;
    s += n;
  }
  *p = s;
  rc = argvec_push(out, b.data ? b.data : "", b.len);
  gale_buf_release(&b);
  return rc;
}

static int expand(const char *path, argvec *out, int depth, const fetch_opt_info *info);

/* One line of a config file: "[--]name[ =:]value", "# comment", blank. */
static int config_line(const char *line, argvec *out, int depth, const fetch_opt_info *info) {
  const char *s = line, *name;
  char opt[128];
  size_t nl;
  int takes, rc;
  while (*s == ' ' || *s == '\t') s++;
  if (!*s || *s == '#' || *s == '\r' || *s == '\n') return 0;
  name = s;
  nl = strcspn(s, " \t=:\r\n");
  s += nl;
  while (*s == ' ' || *s == '\t') s++;
  if (*s == '=' || *s == ':') s++;
  while (*s == ' ' || *s == '\t') s++;
  if (snprintf(opt, sizeof opt, "%s%.*s", name[0] == '-' ? "" : "--", (int)nl, name) >=
      (int)sizeof opt)
    return fetch_usage_error("config: option name too long in '%s'", line);
  takes = info->takes_arg(opt);
  if (takes < 0) { /* curl warns and reads on */
    fprintf(stderr, "gale: warning: config file: unknown option '%s' ignored\n", opt);
    return 0;
  }
  if (strcmp(opt, "--config") == 0 || strcmp(opt, "-K") == 0) {
    argvec one = {0};
    if ((rc = config_value(&s, &one)) == 0) rc = expand(one.v[0], out, depth + 1, info);
    free(one.v ? one.v[0] : NULL);
    free(one.v);
    return rc;
  }
  if ((rc = argvec_push(out, opt, strlen(opt))) != 0) return rc;
  return takes ? config_value(&s, out) : 0;
}

static int expand(const char *path, argvec *out, int depth, const fetch_opt_info *info) {
  char *data, *line, *next;
  size_t len;
  int rc = 0;
  if (depth > MAX_CONFIG_DEPTH)
    return fetch_usage_error("config files nest too deep at '%s'", path);
  data = cli_read_file(path, &len); /* "-": stdin */
  if (!data) {
    fprintf(stderr, "gale: cannot read the config file %s: %s\n", path, strerror(errno));
    return CLI_EXIT_READ; /* curl's 26 */
  }
  for (line = data; !rc && line && *line; line = next) {
    size_t n = strcspn(line, "\n");
    next = line[n] ? line + n + 1 : NULL;
    line[n] = '\0';
    rc = config_line(line, out, depth, info);
  }
  free(data);
  return rc;
}

int fetch_expand_config(int argc, char **argv, const fetch_opt_info *info, int *out_argc,
                        char ***out_argv) {
  argvec out = {0};
  int rc = 0;
  bool any = false;
  for (int i = 0; !rc && i < argc; i++) {
    const char *a = argv[i];
    const char *file = NULL;
    if (i > 0 && strcmp(a, "--") == 0) { /* the rest are URLs */
      for (; !rc && i < argc; i++) rc = argvec_push(&out, argv[i], strlen(argv[i]));
      break;
    }
    if (i > 0 && (strcmp(a, "-K") == 0 || strcmp(a, "--config") == 0) && i + 1 < argc)
      file = argv[++i];
    else if (i > 0 && strncmp(a, "--config=", 9) == 0)
      file = a + 9;
    else if (i > 0 && strncmp(a, "-K", 2) == 0 && a[2])
      file = a + 2;
    if (file) {
      any = true;
      rc = expand(file, &out, 1, info);
      continue;
    }
    rc = argvec_push(&out, a, strlen(a));
    /* An option's argument is copied as it is, never taken for -K. */
    if (!rc && i > 0 && a[0] == '-' && a[1] && info->takes_arg(a) == 1 && !strchr(a, '=') &&
        i + 1 < argc && (a[1] == '-' || a[2] == '\0')) {
      i++;
      rc = argvec_push(&out, argv[i], strlen(argv[i]));
    }
  }
  if (rc || !any) {
    fetch_free_argv(out.v);
    *out_argv = NULL;
    *out_argc = argc;
    return rc;
  }
  *out_argv = out.v;
  *out_argc = (int)out.n;
  return 0;
}

void fetch_free_argv(char **v) {
  for (size_t i = 0; v && v[i]; i++) free(v[i]);
  free(v);
}

/* ---- .netrc ------------------------------------------------------------- */

/* The next token of a .netrc ("quoted" tokens as curl 7.84), or NULL. */
static char *netrc_token(char **p) {
  char *s = *p, *tok, *w;
  while (*s && isspace((unsigned char)*s)) s++;
  if (!*s) return NULL;
  if (*s == '"') {
    tok = w = ++s;
    while (*s && *s != '"') {
      if (*s == '\\' && s[1]) s++;
      *w++ = *s++;
    }
    if (*s) s++;
    *w = '\0';
  } else {
    tok = s;
    while (*s && !isspace((unsigned char)*s)) s++;
    if (*s) *s++ = '\0';
  }
  *p = s;
  return tok;
}

int fetch_netrc_lookup(const char *path, const char *host, char **user, char **pass) {
  size_t len;
  char *data = cli_read_file(path, &len), *p, *tok;
  bool in_match = false, found = false, in_default = false;
  char *u = NULL, *pw = NULL, *du = NULL, *dp = NULL;
  *user = *pass = NULL;
  if (!data) return errno == ENOENT ? 0 : CLI_EXIT_READ;
  p = data;
  while ((tok = netrc_token(&p)) != NULL && !found) {
    if (strcmp(tok, "machine") == 0) {
      char *m = netrc_token(&p);
      if (in_match && u) found = true;
      in_match = m && strcasecmp(m, host) == 0;
      in_default = false;
    } else if (strcmp(tok, "default") == 0) {
      if (in_match && u) found = true;
      in_match = false;
      in_default = true;
    } else if (strcmp(tok, "login") == 0 || strcmp(tok, "password") == 0) {
      char *v = netrc_token(&p);
      bool login = tok[0] == 'l';
      if (!v) break;
      if (in_match)
        *(login ? &u : &pw) = v;
      else if (in_default)
        *(login ? &du : &dp) = v;
    } else if (strcmp(tok, "macdef") == 0) { /* a macro: up to a blank line */
      char *end = strstr(p, "\n\n");
      p = end ? end + 2 : p + strlen(p);
    }
  }
  if (!u && !pw) { /* no machine entry: the default one */
    u = du;
    pw = dp;
  }
  if (u || pw) {
    *user = strdup(u ? u : "");
    *pass = strdup(pw ? pw : "");
  }
  free(data);
  return 0;
}
