/* SPDX-License-Identifier: MIT */
/* http/web/web_login.c — who the request is from: Tornado's current_user and
 * @authenticated (the app's or the class's get_current_user, asked once per
 * request, and the check before a marked method runs: 302 to
 * login_url?next=..., or 403), and the request's locale. */
#include <jansson.h>
#include <string.h>

#include "gale/escape.h"
#include "http/web/web_internal.h"

json_t *gale_web_current_user(gale_web_handler *h) {
  if (!h) return NULL;
  if (!h->current_user_asked) {
    h->current_user_asked = true;
    gale_web_current_user_fn fn = h->cls && h->cls->get_current_user
                                      ? h->cls->get_current_user
                                      : h->app->opts.get_current_user;
    json_t *u = fn && h->req ? fn(h) : NULL;
    if (json_is_null(u)) {
      json_decref(u);
      u = NULL;
    }
    h->current_user = u;
  }
  return h->current_user;
}

static unsigned method_bit(const gale_web_handler *h) {
  const gale_web_handler_class *c = h->cls;
  switch (h->req->msg.method_id) {
  case GALE_H1_METHOD_GET: return GALE_WEB_AUTH_GET;
  case GALE_H1_METHOD_HEAD: /* a HEAD served by get is get's */
    return GALE_WEB_AUTH_HEAD | (!c->head && !c->co.head ? (unsigned)GALE_WEB_AUTH_GET : 0u);
  case GALE_H1_METHOD_POST: return GALE_WEB_AUTH_POST;
  case GALE_H1_METHOD_PUT: return GALE_WEB_AUTH_PUT;
  case GALE_H1_METHOD_DELETE: return GALE_WEB_AUTH_DELETE;
  case GALE_H1_METHOD_PATCH: return GALE_WEB_AUTH_PATCH;
  case GALE_H1_METHOD_OPTIONS: return GALE_WEB_AUTH_OPTIONS;
  default: return 0;
  }
}

/* login_url?next=<uri> (the full URL when login_url names a scheme). */
static int redirect_to_login(gale_web_handler *h) {
  const char *login = h->app->login_url;
  bool absolute = strstr(login, "://") != NULL;
  gale_buf next, url;
  gale_buf_init(&next, 0);
  gale_buf_init(&url, 0);
  int rc = GALE_OK;
  if (absolute)
    rc = gale_buf_printf(&next, "%s://%s", gale_web_protocol(h),
                         gale_web_host(h) ? gale_web_host(h) : "");
  if (rc == GALE_OK) rc = gale_buf_append_str(&next, gale_web_uri(h));
  if (rc == GALE_OK) rc = gale_buf_printf(&url, "%s%cnext=", login, strchr(login, '?') ? '&' : '?');
  if (rc == GALE_OK) rc = gale_url_escape(&url, next.data, next.len, true);
  if (rc == GALE_OK) rc = gale_web_redirect(h, url.data, 302);
  gale_buf_release(&next);
  gale_buf_release(&url);
  return rc;
}

bool gale__web_login_required(gale_web_handler *h) {
  if (!h->cls || !(h->cls->authenticated & method_bit(h))) return false;
  if (gale_web_current_user(h)) return false;
  int m = h->req->msg.method_id;
  if (h->app->login_url && (m == GALE_H1_METHOD_GET || m == GALE_H1_METHOD_HEAD)) {
    if (redirect_to_login(h) != GALE_OK) gale_web_send_error(h, 500);
  } else {
    gale_web_send_error(h, 403);
  }
  return true;
}

const gale_locale *gale_web_locale(gale_web_handler *h) {
  if (!h) return NULL;
  if (!h->locale) {
    const char *code =
        h->app->opts.get_user_locale && h->req ? h->app->opts.get_user_locale(h) : NULL;
    h->locale = code ? gale_locale_get_closest(h->app->locales, &code, 1)
                     : gale_locale_from_accept_language(
                           h->app->locales, h->req ? gale_web_header(h, "Accept-Language") : NULL);
  }
  return h->locale;
}
