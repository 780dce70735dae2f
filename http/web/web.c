/* SPDX-License-Identifier: MIT */
/* The web application: routes (PCRE2), handler creation and the handler
 * life cycle (Tornado's Application and RequestHandler._execute). */
#include <stdio.h>
#include <stdlib.h>
#include <jansson.h>
#include <string.h>

#include "gale/buf.h"
#include "gale/log.h"
#include "gale/url.h"
#include "core/alloc.h"
#include "http/web/web_internal.h"

void gale_web_app_options_init(gale_web_app_options *opts) {
  if (!opts) return;
  memset(opts, 0, sizeof(*opts));
  opts->static_url_prefix = "/static/";
  opts->etag = true;
  opts->server_header = "gale";
  gale_template_options_init(&opts->template_options);
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/* A coroutine class cannot stream its body: chunks would come while
 * prepare is suspended, and there is no pausing them. */
static bool class_ok(const gale_web_handler_class *cls) {
  if (cls->coroutine && cls->data_received) {
    gale_log_error("app", "handler class %s: .coroutine with data_received is not supported",
                   cls->name ? cls->name : "(unnamed)");
    return false;
  }
  if (cls->uploads && cls->data_received) {
    gale_log_error("app", "handler class %s: uploads with data_received: pick one",
                   cls->name ? cls->name : "(unnamed)");
    return false;
  }
  return true;
}

void gale_web_app_free(gale_web_app *app) {
  if (!app) return;
  for (size_t i = 0; i < app->nroutes; i++) {
    pcre2_code_free(app->routes[i].re);
    if (app->routes[i].args_free) app->routes[i].args_free(app->routes[i].args);
    free(app->routes[i].pattern);
    free(app->routes[i].name);
  }
  free(app->routes);
  for (size_t i = 0; i < app->nhosts; i++) pcre2_code_free(app->hosts[i]);
  free(app->hosts);
  if (app->md) pcre2_match_data_free(app->md);
  while (app->hashes) {
    gale__static_hash *n = app->hashes->next;
    free(app->hashes->path);
    free(app->hashes);
    app->hashes = n;
  }
  free(app->cookie_secret);
  for (size_t i = 0; i < app->nkeys; i++) free((char *)app->keys[i].secret);
  free(app->keys);
  free(app->static_path);
  free(app->static_url_prefix);
  free(app->server_header);
  gale_template_loader_free(app->templates);
  free(app->login_url);
  gale_locale_set_free(app->locales);
  free(app);
}

/* Copies the versioned cookie secrets; false for no memory or an invalid
 * set (a negative version, an empty secret, no key of key_version). */
static bool copy_keys(gale_web_app *app) {
  gale_web_app_options *o = &app->opts;
  if (!o->cookie_secrets || !o->ncookie_secrets) {
    o->cookie_secrets = NULL;
    o->ncookie_secrets = 0;
    return true;
  }
  bool has_current = false;
  app->keys = gale__calloc(o->ncookie_secrets, sizeof(*app->keys));
  if (!app->keys) return false;
  for (size_t i = 0; i < o->ncookie_secrets; i++) {
    const gale_web_cookie_key *k = &o->cookie_secrets[i];
    if (k->version < 0 || !k->secret || !*k->secret) return false;
    app->keys[i].version = k->version;
    app->keys[i].secret = strdup(k->secret);
    app->nkeys = i + 1;
    if (!app->keys[i].secret) return false;
    if (k->version == o->key_version) has_current = true;
  }
  o->cookie_secrets = app->keys;
  return has_current;
}

gale_web_app *gale_web_app_new(const gale_web_app_options *opts) {
  gale_web_app *app = gale__calloc(1, sizeof(*app));
  if (!app) return NULL;
  if (opts)
    app->opts = *opts;
  else
    gale_web_app_options_init(&app->opts);
  gale_web_app_options *o = &app->opts;
  if (o->default_handler && !class_ok(o->default_handler)) {
    free(app);
    return NULL;
  }
  if (!copy_keys(app)) {
    gale_web_app_free(app);
    return NULL;
  }
  app->cookie_secret = dup_or_null(o->cookie_secret);
  app->static_path = dup_or_null(o->static_path);
  app->static_url_prefix = dup_or_null(o->static_url_prefix ? o->static_url_prefix : "/static/");
  app->server_header = dup_or_null(o->server_header);
  o->cookie_secret = app->cookie_secret;
  o->static_path = app->static_path;
  o->static_url_prefix = app->static_url_prefix;
  o->server_header = app->server_header;
  o->template_path = NULL; /* the loader keeps its own copy */
  app->login_url = dup_or_null(o->login_url);
  o->login_url = app->login_url;
  if ((opts && opts->login_url && !app->login_url) ||
      gale_locale_set_load(o->locale_path, o->default_locale, &app->locales) != GALE_OK) {
    gale_web_app_free(app);
    return NULL;
  }
  o->locale_path = o->default_locale = NULL;            /* read: not kept */
  if (o->debug) o->template_options.check_mtime = true; /* Tornado's debug */
  if (opts && opts->template_path &&
      gale_template_loader_new(opts->template_path, &o->template_options, &app->templates) !=
          GALE_OK) {
    gale_web_app_free(app);
    return NULL;
  }
  if ((opts && opts->cookie_secret && !app->cookie_secret) || !app->static_url_prefix ||
      (opts && opts->static_path && !app->static_path) ||
      (opts && opts->server_header && !app->server_header)) {
    gale_web_app_free(app);
    return NULL;
  }
  if (app->server_header &&
      (!app->server_header[0] ||
       !gale_h1_valid_field_value(app->server_header, strlen(app->server_header)))) {
    free(app->server_header);
    app->server_header = NULL;
    o->server_header = NULL;
  }
  if (app->static_path) {
    size_t plen = strlen(app->static_url_prefix);
    if (plen == 0 || app->static_url_prefix[0] != '/' || app->static_url_prefix[plen - 1] != '/') {
      gale_web_app_free(app);
      return NULL;
    }
    /* The route is the prefix (quoted) followed by the file path. */
    char *pat = gale__malloc(plen + 16);
    if (!pat) {
      gale_web_app_free(app);
      return NULL;
    }
    snprintf(pat, plen + 16, "\\Q%s\\E(.*)", app->static_url_prefix);
    app->static_opts.root = app->static_path;
    int rc = gale_web_app_add(app, pat, &gale_web_static_handler, &app->static_opts, NULL);
    free(pat);
    if (rc != GALE_OK) {
      gale_web_app_free(app);
      return NULL;
    }
  }
  return app;
}

int gale_web_app_add(gale_web_app *app, const char *pattern, const gale_web_handler_class *cls,
                     void *route_args, const char *name) {
  if (!app || !pattern || !cls || !class_ok(cls)) return GALE_EINVAL;
  if (name)
    for (size_t i = 0; i < app->nroutes; i++)
      if (app->routes[i].name && strcmp(app->routes[i].name, name) == 0) return GALE_EEXIST;
  int err;
  PCRE2_SIZE off;
  pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                 PCRE2_ANCHORED | PCRE2_ENDANCHORED, &err, &off, NULL);
  if (!re) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof(msg));
    gale_log_error("app", "bad route pattern \"%s\" at offset %zu: %s", pattern, (size_t)off,
                   (const char *)msg);
    return GALE_EINVAL;
  }
  pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* best effort: interpreted otherwise */
  uint32_t ngroups = 0;
  pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &ngroups);
  if (app->nroutes == app->cap) {
    size_t cap = app->cap ? app->cap * 2 : 8;
    gale__route *nr = gale__realloc(app->routes, cap * sizeof(*nr));
    if (!nr) {
      pcre2_code_free(re);
      return GALE_ENOMEM;
    }
    app->routes = nr;
    app->cap = cap;
  }
  gale__route *r = &app->routes[app->nroutes];
  memset(r, 0, sizeof(*r));
  r->re = re;
  r->pattern = strdup(pattern);
  r->name = dup_or_null(name);
  if (!r->pattern || (name && !r->name)) {
    pcre2_code_free(re);
    free(r->pattern);
    free(r->name);
    return GALE_ENOMEM;
  }
  r->cls = cls;
  r->args = route_args;
  r->ngroups = ngroups;
  r->host = app->host;
  /* A pattern without regex syntax matches only itself: compare strings
   * (the regex is still compiled, for reverse_url and path_kwarg). */
  r->literal = pattern[strcspn(pattern, "\\^$.|?*+()[]{}")] == '\0';
  /* One match data sized for the route with the most groups. */
  uint32_t need = 0;
  for (size_t i = 0; i <= app->nroutes; i++)
    if (app->routes[i].ngroups > need) need = app->routes[i].ngroups;
  if (!app->md || pcre2_get_ovector_count(app->md) < need + 1) {
    pcre2_match_data *md = pcre2_match_data_create(need + 1, NULL);
    if (!md) {
      pcre2_code_free(re);
      free(r->pattern);
      free(r->name);
      return GALE_ENOMEM;
    }
    if (app->md) pcre2_match_data_free(app->md);
    app->md = md;
  }
  app->nroutes++;
  return GALE_OK;
}

int gale_web_app_set_host(gale_web_app *app, const char *host_pattern) {
  if (!app) return GALE_EINVAL;
  if (!host_pattern) {
    app->host = NULL;
    return GALE_OK;
  }
  int err;
  PCRE2_SIZE off;
  pcre2_code *re =
      pcre2_compile((PCRE2_SPTR)host_pattern, PCRE2_ZERO_TERMINATED,
                    PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_CASELESS, &err, &off, NULL);
  if (!re) {
    gale_log_error("app", "bad host pattern \"%s\" at offset %zu", host_pattern, (size_t)off);
    return GALE_EINVAL;
  }
  pcre2_code **hosts = gale__realloc(app->hosts, (app->nhosts + 1) * sizeof(*hosts));
  if (!hosts) {
    pcre2_code_free(re);
    return GALE_ENOMEM;
  }
  app->hosts = hosts;
  app->hosts[app->nhosts++] = re;
  app->host = re;
  return GALE_OK;
}

/* ---- reverse_url --------------------------------------------------------------- */

char *gale_web_app_reverse_url(const gale_web_app *app, const char *name, size_t nargs,
                               const char *const *args) {
  if (!app || !name) return NULL;
  const gale__route *r = NULL;
  for (size_t i = 0; i < app->nroutes; i++)
    if (app->routes[i].name && strcmp(app->routes[i].name, name) == 0) r = &app->routes[i];
  if (!r || r->ngroups != nargs) return NULL;
  const char *p = r->pattern;
  if (*p == '^') p++;
  gale_buf out;
  gale_buf_init(&out, 0);
  size_t argi = 0;
  int rc = gale_buf_reserve(&out, 0);
  while (rc == GALE_OK && *p) {
    if (*p == '$' && p[1] == '\0') break;
    if (*p == '(') {
      /* Skip the group (no nesting supported) and put the argument. */
      int depth = 0;
      const char *q = p;
      for (; *q; q++) {
        if (*q == '\\' && q[1]) {
          q++;
          continue;
        }
        if (*q == '(') depth++;
        if (*q == ')' && --depth == 0) break;
      }
      if (!*q || argi >= nargs) goto fail;
      for (const char *z = p + 1; z < q; z++)
        if (*z == '(') goto fail;
      const char *a = args[argi++];
      size_t alen = strlen(a);
      /* Encoded straight into the result: 3 bytes per input byte at most. */
      size_t elen = 0;
      rc = gale_buf_reserve(&out, 3 * alen);
      if (rc == GALE_OK && gale_percent_encode(a, alen, GALE_PCT_KEEP_SLASH, out.data + out.len,
                                               3 * alen + 1, &elen) != GALE_OK)
        goto fail;
      if (rc == GALE_OK) rc = gale_buf_set_len(&out, out.len + elen);
      p = q + 1;
      continue;
    }
    if (*p == '\\' && p[1]) {
      rc = gale_buf_append(&out, p + 1, 1);
      p += 2;
      continue;
    }
    if (strchr(".*+?[]{}|^$", *p) && *p != '.') goto fail;
    rc = gale_buf_append(&out, p, 1);
    p++;
  }
  if (rc != GALE_OK || argi != nargs) goto fail;
  return gale_buf_take(&out, NULL);
fail:
  gale_buf_release(&out);
  return NULL;
}

/* ---- handler creation and life cycle --------------------------------------------------- */

void gale__web_handler_free(gale_web_handler *h) {
  gale_params_free(h->query_args);
  gale_params_free(h->body_args);
  gale_params_free(h->cookies);
  gale_multipart_free(h->multipart);
  gale__web_uploads_free(h);
  free(h->files);
  free(h->file_fields);
  free(h->path_args);
  free(h->signed_value);
  free(h->xsrf_token);
  free(h->xsrf_html);
  free(h->xsrf_raw);
  json_decref(h->current_user);
  free(h->error_message);
  free(h->ctx);
  free(h);
}

static void on_request_free(gale_http_server_request *req) {
  gale_web_handler *h = req->layer;
  req->layer = NULL;
  if (h && !gale__web_coro_orphan(h)) gale__web_handler_free(h);
}

void gale__web_set_default_headers(gale_web_handler *h) {
  gale_http_server_request_set_header(h->req, "Content-Type", "text/html; charset=UTF-8");
  if (h->app->server_header)
    gale_http_server_request_set_header(h->req, "Server", h->app->server_header);
}

gale_web_handler *gale__web_handler_new(gale_web_app *app, gale_http_server_request *req) {
  gale_web_handler *h = gale__calloc(1, sizeof(*h));
  if (!h) return NULL;
  h->app = app;
  h->req = req;
  req->layer = h;
  req->layer_free = on_request_free;
  gale__web_set_default_headers(h);
  return h;
}

static void not_found_prepare(gale_web_handler *h) { gale_web_send_error(h, 404); }

static const gale_web_handler_class not_found_class = {
    .name = "NotFound",
    .prepare = not_found_prepare,
};

/* Decodes the route's groups into one block: pointers, then strings. */
static int set_path_args(gale_web_handler *h, const char *path, pcre2_match_data *md,
                         uint32_t ngroups) {
  if (ngroups == 0) return GALE_OK; /* most routes: no allocation */
  PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
  size_t total = 0;
  for (uint32_t i = 1; i <= ngroups; i++)
    if (ov[2 * i] != PCRE2_UNSET)
      total += ov[2 * i + 1] - ov[2 * i] + 1;
    else
      total += 1;
  char **block = gale__malloc(ngroups * sizeof(char *) + total + 1);
  if (!block) return GALE_ENOMEM;
  char *s = (char *)(block + ngroups);
  for (uint32_t i = 1; i <= ngroups; i++) {
    block[i - 1] = s;
    size_t n = 0;
    if (ov[2 * i] != PCRE2_UNSET) {
      const char *g = path + ov[2 * i];
      size_t glen = ov[2 * i + 1] - ov[2 * i];
      if (gale_percent_decode(g, glen, GALE_PCT_NO_NUL, s, &n) != GALE_OK) {
        /* Tornado keeps an undecodable group as it came; so does a
         * group hiding a NUL, which C strings would cut short. */
        memcpy(s, g, glen);
        n = glen;
      }
    }
    s[n] = '\0';
    s += n + 1;
  }
  h->path_args = block;
  h->npath_args = ngroups;
  return GALE_OK;
}

static gale_web_handler_fn method_fn(const gale_web_handler_class *cls, gale_h1_method id) {
  switch (id) {
  case GALE_H1_METHOD_GET: return cls->get;
  case GALE_H1_METHOD_HEAD: return cls->head ? cls->head : cls->get; /* body dropped */
  case GALE_H1_METHOD_POST: return cls->post;
  case GALE_H1_METHOD_PUT: return cls->put;
  case GALE_H1_METHOD_DELETE: return cls->delete_;
  case GALE_H1_METHOD_PATCH: return cls->patch;
  case GALE_H1_METHOD_OPTIONS: return cls->options;
  default: return NULL;
  }
}

/* The status-returning form of a coroutine class's method, or NULL. */
static gale_web_coro_fn co_method_fn(const gale_web_handler_class *cls, gale_h1_method id) {
  if (!cls->coroutine) return NULL;
  switch (id) {
  case GALE_H1_METHOD_GET: return cls->co.get;
  case GALE_H1_METHOD_HEAD: /* co.head, head, co.get, get: the first set */
    return cls->co.head ? cls->co.head : cls->head ? NULL : cls->co.get;
  case GALE_H1_METHOD_POST: return cls->co.post;
  case GALE_H1_METHOD_PUT: return cls->co.put;
  case GALE_H1_METHOD_DELETE: return cls->co.delete_;
  case GALE_H1_METHOD_PATCH: return cls->co.patch;
  case GALE_H1_METHOD_OPTIONS: return cls->co.options;
  default: return NULL;
  }
}

static bool has_method(const gale_web_handler_class *cls, gale_h1_method id) {
  return method_fn(cls, id) || co_method_fn(cls, id);
}

static void send_405(gale_web_handler *h) {
  const gale_web_handler_class *c = h->cls;
  char *allow = h->allow;
  allow[0] = '\0';
  static const char *const names[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
  static const gale_h1_method ids[] = {
      GALE_H1_METHOD_GET,    GALE_H1_METHOD_HEAD,  GALE_H1_METHOD_POST,   GALE_H1_METHOD_PUT,
      GALE_H1_METHOD_DELETE, GALE_H1_METHOD_PATCH, GALE_H1_METHOD_OPTIONS};
  for (size_t i = 0; i < 7; i++) {
    if (!has_method(c, ids[i])) continue;
    if (allow[0]) strcat(allow, ", ");
    strcat(allow, names[i]);
  }
  gale_web_send_error(h, 405); /* adds h->allow as the Allow header */
}

static bool xsrf_applies(gale_web_handler *h) {
  if (!h->app->opts.xsrf_cookies || h->cls->no_xsrf_check) return false;
  gale_h1_method m = h->req->msg.method_id;
  return m != GALE_H1_METHOD_GET && m != GALE_H1_METHOD_HEAD && m != GALE_H1_METHOD_OPTIONS;
}

/* Runs a callback that may be a coroutine class's status-returning form. */
static void run_callback(gale_web_handler *h, gale_web_handler_fn fn, gale_web_coro_fn co,
                         const char *what) {
  h->in_callback = true;
  h->held = false;
  int st = GALE_OK;
  if (co)
    st = co(h);
  else
    fn(h);
  h->in_callback = false;
  if (st < 0) gale__web_coro_failed(h, what, st);
}

bool gale__web_run_prepare(gale_web_handler *h) {
  if (h->gone || h->finished) return false;
  if (!h->initialized) {
    h->initialized = true;
    int rc = h->cls->initialize ? h->cls->initialize(h, h->route_args) : GALE_OK;
    if (rc != GALE_OK) {
      gale__web_note_error(h, "initialize", rc, NULL);
      gale_web_send_error(h, 500);
      return false;
    }
    if (h->finished) return false;
  }
  if (!h->prepared && !h->prepare_held) {
    if (xsrf_applies(h) && (h->body_ready || h->cls->data_received) &&
        gale_web_check_xsrf(h) != GALE_OK) {
      gale_log_warning("access", "XSRF check failed for %s %s (%s)", h->req->method, h->req->target,
                       gale_http_server_request_remote_ip(h->req));
      gale_web_send_error(h, 403);
      return false;
    }
    gale_web_coro_fn co = h->cls->coroutine ? h->cls->co.prepare : NULL;
    if (h->cls->prepare || co) {
      run_callback(h, h->cls->prepare, co, "prepare");
      if (h->finished || h->gone) return false;
      if (h->held) {
        h->prepare_held = true;
        return false;
      }
    }
    h->prepared = true;
  }
  return !h->finished;
}

void gale__web_run_method(gale_web_handler *h) {
  if (h->finished || h->gone || h->method_started || !h->prepared || !h->body_ready) return;
  h->method_started = true;
  if (!h->method && !h->co_method) {
    send_405(h);
    return;
  }
  if (gale__web_login_required(h)) return;
  run_callback(h, h->method, h->co_method, "method");
  if (!h->finished && !h->held && !h->gone) gale_web_finish(h);
}

void gale_web_hold(gale_web_handler *h) {
  if (h) h->held = true;
}

int gale_web_resume(gale_web_handler *h) {
  if (!h) return GALE_EINVAL;
  if (h->finished || h->gone) return GALE_ESTATE;
  if (h->prepare_held) {
    h->prepare_held = false;
    h->prepared = true;
    h->held = false;
  }
  if (h->cls->coroutine) {
    /* The method runs in the request's coroutine: the live one runs it
     * when its prepare returns, else a new one. */
    if (!h->coro && !gale__web_coro_start(h)) return GALE_ENOMEM;
    return GALE_OK;
  }
  gale__web_run_method(h);
  return GALE_OK;
}

static void web_close_cb(gale_http_server_request *req, int status, void *arg) {
  (void)req;
  (void)status;
  gale_web_handler *h = arg;
  h->gone = true;
  bool defer = gale__web_coro_gone(h);
  if (h->cls->on_connection_close) h->cls->on_connection_close(h);
  if (!h->finished) {
    h->finished = true;
    if (defer)
      h->finish_deferred = true; /* on_finish once the coroutine returned */
    else if (h->cls->on_finish)
      h->cls->on_finish(h);
  }
}

static int web_body_cb(gale_http_server_request *req, const char *data, size_t len, void *arg) {
  (void)req;
  gale_web_handler *h = arg;
  if (h->finished || h->gone) return GALE_OK;
  if (!h->prepared) return GALE_OK; /* prepare held: data before resume is dropped */
  return h->cls->data_received(h, data, len);
}

/* A streamed multipart body (a class with uploads): a failure answers 400
 * with the parser's reason and closes the connection (the server's
 * error page, as for any body it refuses). */
static int upload_body_cb(gale_http_server_request *req, const char *data, size_t len, void *arg) {
  gale_web_handler *h = arg;
  if (h->finished || h->gone) return GALE_OK;
  int rc = gale__web_uploads_feed(h, data, len);
  if (rc != GALE_OK) req->body_error = gale__web_uploads_detail(h);
  return rc;
}

/* Routes the request and creates its handler. */
/* Answers in place of a class that asked for it (Tornado's @removeslash /
 * @addslash): none of its callbacks runs. */
static const gale_web_handler_class slash_class = {.name = "SlashRedirect"};

/* A path with the wrong trailing slash for the class: GET and HEAD are
 * redirected (301, query kept) to the right one, other methods get 404.
 * Returns whether it answered. */
static bool fix_slash(gale_web_handler *h, const char *path, size_t plen) {
  bool has = plen > 0 && path[plen - 1] == '/';
  if (h->cls->removeslash ? !has : has) return false;
  size_t keep = plen;
  if (h->cls->removeslash) {
    while (keep > 0 && path[keep - 1] == '/') keep--;
    if (keep == 0) return false; /* "/" stays "/" */
  }
  h->cls = &slash_class;
  h->method = NULL;
  h->co_method = NULL;
  int mid = h->req->msg.method_id;
  if (mid != GALE_H1_METHOD_GET && mid != GALE_H1_METHOD_HEAD) {
    gale_web_send_error(h, 404);
    return true;
  }
  const char *query = gale_web_query(h);
  gale_buf url;
  gale_buf_init(&url, 0);
  int rc = gale_buf_append(&url, path, keep);
  if (rc == GALE_OK && !has) rc = gale_buf_append_byte(&url, '/'); /* addslash */
  if (rc == GALE_OK && query && *query) {
    rc = gale_buf_append_byte(&url, '?');
    if (rc == GALE_OK) rc = gale_buf_append_str(&url, query);
  }
  if (rc == GALE_OK) rc = gale_buf_append_byte(&url, '\0');
  if (rc != GALE_OK || gale_web_redirect(h, url.data, 301) != GALE_OK) gale_web_send_error(h, 500);
  gale_buf_release(&url);
  return true;
}

/* The request's host name as Tornado's HostMatches sees it: the Host
 * header without its port (an IPv6 literal keeps its brackets), lowercase
 * ASCII.  Returns its length (0 when absent or too long). */
static size_t host_name(const char *host, char *out, size_t cap) {
  if (!host) return 0;
  size_t n = strlen(host);
  if (host[0] == '[') {
    const char *close = memchr(host, ']', n);
    n = close ? (size_t)(close - host) + 1 : n;
  } else {
    const char *colon = memchr(host, ':', n);
    if (colon) n = (size_t)(colon - host);
  }
  if (n >= cap) return 0;
  for (size_t i = 0; i < n; i++)
    out[i] = (char)(host[i] >= 'A' && host[i] <= 'Z' ? host[i] + 32 : host[i]);
  out[n] = '\0';
  return n;
}

static bool host_matches(gale_web_app *app, pcre2_code *re, const char *host, size_t hlen) {
  return pcre2_match(re, (PCRE2_SPTR)host, hlen, 0, 0, app->md, NULL) >= 0;
}

static gale_web_handler *route_request(gale_web_app *app, gale_http_server_request *req) {
  gale_web_handler *h = gale__web_handler_new(app, req);
  if (!h) return NULL;
  const char *path = req->path;
  size_t plen = strlen(path);
  /* As Tornado's add_handlers: routes of a matching host pattern first, in
   * the order added, then the routes for any host. */
  char host[256];
  size_t hlen = app->nhosts ? host_name(req->host, host, sizeof(host)) : 0;
  for (int pass = app->nhosts ? 0 : 1; pass < 2 && !h->cls; pass++) {
    for (size_t i = 0; i < app->nroutes; i++) {
      gale__route *r = &app->routes[i];
      if (pass == 0 ? !r->host || !host_matches(app, r->host, host, hlen) : r->host != NULL)
        continue;
      if (r->literal) {
        if (strcmp(r->pattern, path) != 0) continue;
      } else if (pcre2_match(r->re, (PCRE2_SPTR)path, plen, 0, 0, app->md, NULL) < 0) {
        continue;
      }
      h->route = r;
      h->cls = r->cls;
      h->route_args = r->args;
      if (set_path_args(h, path, app->md, r->ngroups) != GALE_OK) {
        h->cls = &not_found_class;
        gale_web_send_error(h, 500);
      }
      break;
    }
  }
  if (!h->cls) {
    if (app->opts.default_handler) {
      h->cls = app->opts.default_handler;
      h->route_args = app->opts.default_handler_args;
    } else {
      h->cls = &not_found_class;
    }
  }
  h->method = method_fn(h->cls, req->msg.method_id);
  h->co_method = co_method_fn(h->cls, req->msg.method_id);
  if ((h->cls->removeslash || h->cls->addslash) && fix_slash(h, path, plen)) return h;
  if (h->cls->ctx_size) {
    h->ctx = gale__calloc(1, h->cls->ctx_size);
    if (!h->ctx) {
      h->cls = &not_found_class;
      gale_web_send_error(h, 500);
    }
  }
  gale_http_server_request_set_close_cb(req, web_close_cb, h);
  return h;
}

void gale_web_app_headers_cb(gale_http_server_request *req, void *arg) {
  gale_web_app *app = arg;
  gale_web_handler *h = route_request(app, req);
  if (!h) {
    gale_http_server_request_set_status(req, 500, NULL);
    gale_http_server_request_finish(req);
    return;
  }
  if (h->finished) return;
  if (h->cls == &not_found_class) {
    gale_web_send_error(h, 404);
    return;
  }
  if (req->msg.method_id == GALE_H1_METHOD_OTHER || req->msg.method_id == GALE_H1_METHOD_CONNECT ||
      req->msg.method_id == GALE_H1_METHOD_TRACE) {
    /* Not a method any handler can have (Tornado's SUPPORTED_METHODS). */
    send_405(h);
    return;
  }
  if (h->cls->max_body_size) gale_http_server_request_set_max_body_size(req, h->cls->max_body_size);
  if (h->cls->body_timeout > 0)
    gale_http_server_request_set_body_timeout(req, h->cls->body_timeout);
  if (h->cls->data_received) {
    /* Tornado's @stream_request_body: prepare runs before the body. */
    if (!gale__web_run_prepare(h) && (h->finished || h->gone)) return;
    gale_http_server_request_stream_body(req, web_body_cb, h);
  } else if (h->cls->uploads && req->msg.body_kind != GALE_H1_BODY_NONE) {
    int rc = gale__web_uploads_start(h);
    if (rc == GALE_EHTTP_PARSE) {
      gale__web_send_error_detail(h, 400, "multipart/form-data without a valid boundary");
      return;
    }
    if (rc != GALE_OK) {
      gale_web_send_error(h, 500);
      return;
    }
    if (h->uploads) gale_http_server_request_stream_body(req, upload_body_cb, h);
  }
}

void gale_web_app_request_cb(gale_http_server_request *req, void *arg) {
  gale_web_app *app = arg;
  gale_web_handler *h = req->layer_free == on_request_free ? req->layer : NULL;
  if (!h) {
    h = route_request(app, req);
    if (!h) {
      gale_http_server_request_set_status(req, 500, NULL);
      gale_http_server_request_finish(req);
      return;
    }
  }
  if (h->finished) return;
  h->body_ready = true;
  if (h->cls == &not_found_class) {
    gale_web_send_error(h, 404);
    return;
  }
  if (h->uploads && !h->uploads_done) {
    if (gale__web_uploads_finish(h) != GALE_OK) {
      gale__web_send_error_detail(h, 400, gale__web_uploads_detail(h));
      return;
    }
    h->uploads_done = true;
  }
  if (h->cls->coroutine) {
    gale__web_coro_start(h);
    return;
  }
  if (!gale__web_run_prepare(h)) return;
  gale__web_run_method(h);
}

int gale_web_app_listen(gale_web_app *app, gale_loop *loop, int port, const char *address,
                        const gale_http_server_options *http_opts, gale_http_server **out) {
  if (!app) return GALE_EINVAL;
  gale_http_server_options o;
  if (http_opts)
    o = *http_opts;
  else
    gale_http_server_options_init(&o);
  o.headers_cb = gale_web_app_headers_cb;
  if (app->opts.compress_response) o.compress_response = true;
  gale_http_server *server = NULL;
  int rc = gale_http_server_new(loop, &o, gale_web_app_request_cb, app, &server);
  if (rc != GALE_OK) return rc;
  rc = gale_http_server_listen(server, port, address);
  if (rc != GALE_OK) {
    gale_http_server_free(server);
    return rc;
  }
  if (out) *out = server;
  return GALE_OK;
}
