/* SPDX-License-Identifier: MIT */
/* http/web/web_template.c — Tornado's render / render_string: the app's
 * template loader with the handler's names (request, xsrf_form_html,
 * static_url) added to every template's environment. */
#include <jansson.h>
#include <string.h>

#include "gale/log.h"
#include "http/web/web_internal.h"

static json_t *fn_xsrf_form_html(json_t *args, void *arg, char *err, size_t errlen) {
  if (json_array_size(args)) {
    snprintf(err, errlen, "takes no arguments");
    return NULL;
  }
  const char *html = gale_web_xsrf_form_html(arg);
  if (!html) {
    snprintf(err, errlen, "no XSRF token (is cookie_secret set?)");
    return NULL;
  }
  return json_string(html);
}

static json_t *fn_static_url(json_t *args, void *arg, char *err, size_t errlen) {
  gale_web_handler *h = arg;
  const char *path = json_string_value(json_array_get(args, 0));
  if (json_array_size(args) != 1 || !path) {
    snprintf(err, errlen, "takes one path");
    return NULL;
  }
  char *url = gale_web_static_url(h->app, path);
  if (!url) {
    snprintf(err, errlen, "no static file '%s'", path);
    return NULL;
  }
  json_t *v = json_string(url);
  free(url);
  return v;
}

/* _(message) or _(message, plural, count) in the request's locale. */
static json_t *fn_translate(json_t *args, void *arg, char *err, size_t errlen) {
  size_t n = json_array_size(args);
  const char *msg = json_string_value(json_array_get(args, 0));
  const char *plural = n == 3 ? json_string_value(json_array_get(args, 1)) : NULL;
  json_t *count = json_array_get(args, 2);
  if (!msg || (n != 1 && n != 3) || (n == 3 && (!plural || !json_is_integer(count)))) {
    snprintf(err, errlen, "takes (message) or (message, plural, count)");
    return NULL;
  }
  return json_string(gale_locale_translate(gale_web_locale(arg), msg, plural,
                                           n == 3 ? json_integer_value(count) : 1));
}

static json_t *request_object(gale_web_handler *h) {
  const char *f[][2] = {
      {"method", gale_web_method(h)},     {"uri", gale_web_uri(h)},
      {"path", gale_web_path(h)},         {"query", gale_web_query(h)},
      {"host", gale_web_host(h)},         {"remote_ip", gale_web_remote_ip(h)},
      {"protocol", gale_web_protocol(h)},
  };
  json_t *o = json_object();
  for (size_t i = 0; o && i < sizeof(f) / sizeof(f[0]); i++)
    if (json_object_set_new(o, f[i][0], json_string(f[i][1] ? f[i][1] : "")) < 0) {
      json_decref(o);
      return NULL;
    }
  return o;
}

int gale_web_render_string(gale_web_handler *h, const char *name, json_t *ctx, gale_buf *out) {
  if (!h || !name || !out) return GALE_EINVAL;
  if (!h->req) return GALE_ECLOSED;
  if (!h->app->templates) return GALE_ESTATE;
  json_t *globals = json_object(), *req = request_object(h);
  json_t *user = gale_web_current_user(h);
  if (!globals || !req) {
    json_decref(globals);
    json_decref(req);
    return GALE_ENOMEM;
  }
  if (json_object_set_new(globals, "request", req) < 0 ||
      json_object_set(globals, "current_user", user ? user : json_null()) < 0 ||
      json_object_set_new(globals, "locale",
                          json_pack("{s:s}", "code", gale_locale_code(gale_web_locale(h)))) < 0) {
    json_decref(globals);
    return GALE_ENOMEM;
  }
  const gale_template_function fns[] = {{"xsrf_form_html", fn_xsrf_form_html, h},
                                        {"static_url", fn_static_url, h},
                                        {"_", fn_translate, h}};
  gale_template_env env = {.globals = globals, .functions = fns, .nfunctions = 3};
  gale_template_error err;
  int rc = gale_template_loader_render(h->app->templates, name, ctx, &env, out, &err);
  if (rc != GALE_OK) {
    gale_log_error("web", "template %s: %s:%d: %s", name, err.name[0] ? err.name : name, err.line,
                   err.message[0] ? err.message : gale_strerror(rc));
    gale__web_note_error(h, "render", rc, "template %s: %s:%d: %s", name,
                         err.name[0] ? err.name : name, err.line,
                         err.message[0] ? err.message : gale_strerror(rc));
  }
  json_decref(globals);
  return rc;
}

int gale_web_render(gale_web_handler *h, const char *name, json_t *ctx) {
  if (!h) return GALE_EINVAL;
  if (h->gone || !h->req) return GALE_ECLOSED;
  if (h->finished) return GALE_ESTATE;
  gale_buf page;
  gale_buf_init(&page, 0);
  int rc = gale_web_render_string(h, name, ctx, &page);
  if (rc == GALE_OK) {
    rc = gale_web_write(h, page.data ? page.data : "", page.len);
    if (rc == GALE_OK) rc = gale_web_finish(h);
  } else if (rc != GALE_ECLOSED && rc != GALE_EINVAL) {
    gale_web_send_error(h, 500);
  }
  gale_buf_release(&page);
  return rc;
}
