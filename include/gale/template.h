/* SPDX-License-Identifier: MIT */
/* gale/template.h — templates with Tornado's syntax (tornado.template), over
 * JSON values (jansson).
 *
 *   {{ expr }}              the value, HTML-escaped (unless autoescape is off)
 *   {% raw expr %}          the value, not escaped
 *   {% if e %} ... {% elif e %} ... {% else %} ... {% end %}
 *   {% for x in e %} ... {% else %} ... {% end %}   (also `for k, v in e`;
 *                           {% break %}, {% continue %}; else runs when the
 *                           loop did not break, as Python's)
 *   {% set x = e %}
 *   {% extends "base.html" %}  {% block name %} ... {% end %}
 *   {% include "other.html" %}  (shares the including template's names)
 *   {% comment text %}  {# text #}
 *   {% autoescape xhtml_escape %} / {% autoescape None %}  (for the rest of
 *                           this file)
 *   {% whitespace all|single|oneline %}
 *   {{!  {%!  {#!           a literal {{  {%  {#
 *
 * Expressions are Python's, over JSON: names (looked up in the template's
 * own {% set %} / {% for %} names, then the context object, then the
 * environment's globals), dotted attributes and [index] on objects and
 * arrays (negative indexes count from the end), string, number and list
 * literals, True / False / None, + - * / // %, comparisons (== != < <= >
 * >=, in, not in), and / or / not, `a if cond else b`, and calls of the built-in functions
 * escape (xhtml_escape), url_escape, json_encode, squeeze, linkify, len,
 * str, int, range, items, keys, get(obj, key[, default]) and of the
 * environment's functions.  Truth is Python's: None, False, 0, "", [] and
 * {} are false.  A value prints as Python's str() would (True, None, 3,
 * 2.5); arrays and objects print as JSON.  A missing name, attribute or
 * index is an error naming the template and line, as Python's NameError.
 *
 * Whitespace (Tornado's modes): `all` keeps text as written; `single`
 * collapses each run of whitespace to one character (a newline if the run
 * had one); `oneline` collapses every run to one space.  The default is
 * `single` for names ending in .html or .js, `all` otherwise.
 *
 * Hostile templates and data are bounded: output (max_output), loop
 * iterations per render (max_iterations), include / extends depth (16,
 * which also stops a template including or extending itself), expression
 * nesting, range() and string sizes.  Each limit ends the render with
 * GALE_ETEMPLATE and a message; nothing grows without bound.
 *
 * Threads: a template and a loader are used from one thread at a time.
 */
#ifndef GALE_TEMPLATE_H
#define GALE_TEMPLATE_H

#include "gale/buf.h"
#include "gale/common.h"

#ifdef __cplusplus
extern "C" {
#endif

struct json_t;
typedef struct gale_template gale_template;
typedef struct gale_template_loader gale_template_loader;

typedef enum gale_template_whitespace {
  GALE_TEMPLATE_WS_DEFAULT = 0, /* by the name: single for .html/.js, else all */
  GALE_TEMPLATE_WS_ALL,
  GALE_TEMPLATE_WS_SINGLE,
  GALE_TEMPLATE_WS_ONELINE,
} gale_template_whitespace;

/* What went wrong: the template's name, the line (1-based; 0 when no line
 * applies, such as a missing file) and a message. */
typedef struct gale_template_error {
  char name[128];
  int line;
  char message[256];
} gale_template_error;

typedef struct gale_template_options {
  gale_template_whitespace whitespace;
  bool autoescape;          /* true: {{ }} HTML-escapes (Tornado's default) */
  bool check_mtime;         /* loader: recompile a file that changed (debug) */
  size_t max_output;        /* bytes per render; default 64 MiB */
  uint64_t max_iterations;  /* loop iterations per render; default 10,000,000 */
  size_t max_template_size; /* bytes of one template file; default 1 MiB */
  GALE_RESERVED(8);         /* room for fields added later (README: ABI) */
} gale_template_options;

/* Fills the defaults above. */
GALE_EXPORT void gale_template_options_init(gale_template_options *opts);

/* A function templates may call: gets its arguments as a JSON array
 * (borrowed) and returns a new reference, or NULL after writing a message
 * into err (errlen bytes). */
typedef struct json_t *(*gale_template_fn)(struct json_t *args, void *arg, char *err,
                                           size_t errlen);
typedef struct gale_template_function {
  const char *name;
  gale_template_fn fn;
  void *arg;
} gale_template_function;

/* The render's environment beyond the context: names every template sees
 * (an object, borrowed) and extra functions.  May be NULL. */
typedef struct gale_template_env {
  struct json_t *globals;
  const gale_template_function *functions;
  size_t nfunctions;
  GALE_RESERVED(8); /* room for fields added later (README: ABI) */
} gale_template_env;

/* Compiles src[0..len) named `name` (for messages and the whitespace
 * default; may be NULL) with `opts` (NULL: defaults).  A compiled template
 * without a loader cannot {% include %} or {% extends %} (an error at
 * render).  On success *out is the caller's (gale_template_free).
 * Returns GALE_OK, GALE_EINVAL, GALE_ENOMEM, or GALE_ETEMPLATE for a syntax
 * error, described in *err (may be NULL). */
GALE_EXPORT int gale_template_compile(const char *src, size_t len, const char *name,
                                      const gale_template_options *opts, gale_template **out,
                                      gale_template_error *err);
GALE_EXPORT void gale_template_free(gale_template *t);

/* Renders `t` with `ctx` (a JSON object, borrowed; NULL for none) and
 * `env` (may be NULL), appending to `out`.  Returns GALE_OK, GALE_EINVAL,
 * GALE_ENOMEM, or GALE_ETEMPLATE (an evaluation error or a limit), described
 * in *err; after an error `out` may hold part of the page. */
GALE_EXPORT int gale_template_render(const gale_template *t, struct json_t *ctx,
                                     const gale_template_env *env, gale_buf *out,
                                     gale_template_error *err);

/* A loader reads templates from the directory `root` by name (a relative
 * path with '/' separators; names in {% include %} / {% extends %} are
 * relative to the including template's folder), compiles each once and
 * caches it.  A name that is absolute, holds "..", a backslash or NUL, or
 * leaves the root is refused.  Returns GALE_OK, GALE_EINVAL, GALE_ENOMEM. */
GALE_EXPORT int gale_template_loader_new(const char *root, const gale_template_options *opts,
                                         gale_template_loader **out);
GALE_EXPORT void gale_template_loader_free(gale_template_loader *loader);
/* Drops every cached template (the next load reads the files again). */
GALE_EXPORT void gale_template_loader_reset(gale_template_loader *loader);

/* Loads (or finds in the cache) the template `name`; *out stays the
 * loader's.  Returns GALE_OK, GALE_EINVAL (a refused name), GALE_ENOENT
 * (no such file), GALE_ELIMIT (past max_template_size), GALE_ESYS,
 * GALE_ENOMEM, GALE_ETEMPLATE (syntax error); *err says which file. */
GALE_EXPORT int gale_template_loader_load(gale_template_loader *loader, const char *name,
                                          const gale_template **out, gale_template_error *err);

/* Loads and renders `name` (see gale_template_render). */
GALE_EXPORT int gale_template_loader_render(gale_template_loader *loader, const char *name,
                                            struct json_t *ctx, const gale_template_env *env,
                                            gale_buf *out, gale_template_error *err);

#ifdef __cplusplus
}
#endif

#endif
