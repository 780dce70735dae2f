/* SPDX-License-Identifier: MIT */
/* http/template/tpl_builtins.c — the functions every template can call:
 * tornado.escape's filters (escape, xhtml_escape, url_escape, json_encode,
 * squeeze, linkify) and the few Python built-ins templates use over JSON
 * (len, str, int, range, items, keys, get). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gale/error.h"
#include "gale/escape.h"
#include "http/template/tpl_internal.h"

typedef int (*text_fn)(gale_buf *out, const char *s, size_t len);

static int url_escape_plus(gale_buf *out, const char *s, size_t len) {
  return gale_url_escape(out, s, len, true);
}
static int url_escape_pct(gale_buf *out, const char *s, size_t len) {
  return gale_url_escape(out, s, len, false);
}
static int identity(gale_buf *out, const char *s, size_t len) {
  return gale_buf_append(out, s, len);
}

/* str() of the argument through one of the escape functions. */
static json_t *text_filter(tpl_render *r, json_t *arg, text_fn fn) {
  gale_buf in, out;
  gale_buf_init(&in, r->tpl->opts.max_output);
  gale_buf_init(&out, r->tpl->opts.max_output);
  json_t *v = NULL;
  if (gale__tpl_str(&in, arg) == GALE_OK && fn(&out, in.data ? in.data : "", in.len) == GALE_OK)
    v = json_stringn_nocheck(out.data ? out.data : "", out.len);
  else
    gale__tpl_fail(r, "output too large");
  gale_buf_release(&in);
  gale_buf_release(&out);
  return v;
}

static json_t *range(tpl_render *r, json_t *args) {
  size_t n = json_array_size(args);
  json_int_t a[3] = {0, 0, 1};
  for (size_t i = 0; i < n; i++) {
    if (!json_is_integer(json_array_get(args, i))) {
      gale__tpl_fail(r, "range() takes integers");
      return NULL;
    }
    a[i] = json_integer_value(json_array_get(args, i));
  }
  json_int_t start = n == 1 ? 0 : a[0], stop = n == 1 ? a[0] : a[1], step = n == 3 ? a[2] : 1;
  if (step == 0) {
    gale__tpl_fail(r, "range() step must not be zero");
    return NULL;
  }
  /* Count first, in unsigned arithmetic, so a hostile span cannot overflow. */
  unsigned long long count = 0;
  if (step > 0 && start < stop)
    count =
        ((unsigned long long)stop - (unsigned long long)start - 1) / (unsigned long long)step + 1;
  if (step < 0 && start > stop)
    count = ((unsigned long long)start - (unsigned long long)stop - 1) /
                (0ULL - (unsigned long long)step) +
            1;
  if (count > TPL_MAX_RANGE) {
    gale__tpl_fail(r, "range() of %llu items is past the limit of %d", count, TPL_MAX_RANGE);
    return NULL;
  }
  json_t *v = json_array();
  for (unsigned long long i = 0; v && i < count; i++)
    if (json_array_append_new(v, json_integer(start + (json_int_t)i * step)) < 0) {
      json_decref(v);
      v = NULL;
    }
  return v;
}

static json_t *items(tpl_render *r, json_t *obj, bool pairs) {
  if (!json_is_object(obj)) {
    gale__tpl_fail(r, "%s() needs a dict", pairs ? "items" : "keys");
    return NULL;
  }
  json_t *v = json_array(), *x;
  const char *k;
  json_object_foreach(obj, k, x) {
    json_t *e = pairs ? json_pack("[sO]", k, x) : json_string(k);
    if (!v || json_array_append_new(v, e) < 0) {
      json_decref(v);
      return NULL;
    }
  }
  return v;
}

static json_t *to_int(tpl_render *r, json_t *x) {
  if (json_is_integer(x)) return json_incref(x);
  if (json_is_real(x) && json_real_value(x) > -9.2e18 && json_real_value(x) < 9.2e18)
    return json_integer((json_int_t)json_real_value(x));
  if (json_is_boolean(x)) return json_integer(json_is_true(x));
  if (json_is_string(x)) {
    char *end;
    errno = 0;
    long long v = strtoll(json_string_value(x), &end, 10);
    if (!errno && end != json_string_value(x) && !*end) return json_integer(v);
  }
  gale__tpl_fail(r, "int() cannot convert this value");
  return NULL;
}

static json_t *length(tpl_render *r, json_t *x) {
  if (json_is_string(x)) return json_integer((json_int_t)json_string_length(x));
  if (json_is_array(x)) return json_integer((json_int_t)json_array_size(x));
  if (json_is_object(x)) return json_integer((json_int_t)json_object_size(x));
  gale__tpl_fail(r, "len() of a value with no length");
  return NULL;
}

json_t *gale__tpl_builtin(tpl_render *r, const char *name, json_t *args, bool *found) {
  static const struct {
    const char *name;
    text_fn fn;
  } filters[] = {
      {"escape", gale_xhtml_escape},   {"xhtml_escape", gale_xhtml_escape},
      {"url_escape", url_escape_plus}, {"squeeze", gale_squeeze},
      {"linkify", gale_linkify},
  };
  size_t n = json_array_size(args);
  json_t *a0 = json_array_get(args, 0);
  *found = true;
  for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
    if (strcmp(name, filters[i].name)) continue;
    bool plus = !(n == 2 && !gale__tpl_truthy(json_array_get(args, 1)));
    if (n != 1 && !(n == 2 && filters[i].fn == url_escape_plus)) break;
    return text_filter(r, a0,
                       filters[i].fn == url_escape_plus && !plus ? url_escape_pct : filters[i].fn);
  }
  if (!strcmp(name, "json_encode") && n == 1) {
    char *s = json_dumps(a0, JSON_COMPACT | JSON_ENCODE_ANY | JSON_ESCAPE_SLASH);
    json_t *v = s ? json_string(s) : NULL;
    free(s);
    if (!v) gale__tpl_fail(r, "json_encode() failed");
    return v;
  }
  if (!strcmp(name, "len") && n == 1) return length(r, a0);
  if (!strcmp(name, "str") && n == 1) return text_filter(r, a0, identity);
  if (!strcmp(name, "int") && n == 1) return to_int(r, a0);
  if (!strcmp(name, "range") && n >= 1 && n <= 3) return range(r, args);
  if (!strcmp(name, "items") && n == 1) return items(r, a0, true);
  if (!strcmp(name, "keys") && n == 1) return items(r, a0, false);
  if (!strcmp(name, "get") && (n == 2 || n == 3)) {
    json_t *obj = a0, *key = json_array_get(args, 1), *v = NULL;
    if (json_is_object(obj) && json_is_string(key))
      v = json_object_get(obj, json_string_value(key));
    if (!v) v = n == 3 ? json_array_get(args, 2) : json_null();
    return json_incref(v);
  }
  static const char *const known[] = {
      "escape", "xhtml_escape", "url_escape", "squeeze", "linkify", "json_encode", "len",
      "str",    "int",          "range",      "items",   "keys",    "get"};
  for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
    if (!strcmp(name, known[i])) {
      gale__tpl_fail(r, "%s() takes other arguments than %zu", name, n);
      return NULL;
    }
  }
  *found = false;
  return NULL;
}
