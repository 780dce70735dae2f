/* SPDX-License-Identifier: MIT */
/* Following redirects (RFC 9110 §15.4): which codes, the method rewrites,
 * and what must not follow the request to another origin. */
#include "http/client/http_client_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool same_origin(const gale_url *a, const gale_url *b) {
  return strcmp(a->scheme, b->scheme) == 0 && strcmp(a->host, b->host) == 0 && a->port == b->port;
}

bool gale__hc_redirect_check(hc_fetch *f, int *status) {
  int code = f->msg.status, st;
  const char *loc;
  char *next = NULL;
  gale_url *nu = NULL;
  *status = GALE_OK;
  if (!f->req.follow_redirects) return false;
  if (code != 301 && code != 302 && code != 303 && code != 307 && code != 308) return false;
  loc = gale_headers_get(f->headers, "Location");
  if (!loc || !*loc) return false;
  bool is_post = strcasecmp(f->method, "POST") == 0;
  int keep = f->req.post_redirects;
  bool keep_post = is_post && ((code == 301 && (keep & GALE_HTTP_POST_301)) ||
                               (code == 302 && (keep & GALE_HTTP_POST_302)) ||
                               (code == 303 && (keep & GALE_HTTP_POST_303)));
  /* 303 → GET (except HEAD); 301/302 turn POST into GET, as browsers and
   * curl do (unless post_redirects keeps it); the rest keep method and
   * body (307 and 308 always). */
  bool to_get = !keep_post && ((code == 303 && strcasecmp(f->method, "HEAD") != 0) ||
                               ((code == 301 || code == 302) && is_post));
  bool resend = !to_get;
  /* A streamed body is sent again only if the caller can start it over;
   * otherwise the redirect is handed back as the response. */
  if (resend && f->send_body && f->req.body_producer && !f->req.body_rewind) return false;
  if (f->redirects >= f->req.max_redirects) {
    gale__hc_set_error(f, "Maximum (%d) redirects followed", f->req.max_redirects);
    *status = GALE_EHTTP_TOO_MANY_REDIRECTS;
    return false;
  }
  st = gale_url_resolve(f->url, loc, &next);
  if (st != GALE_OK) {
    gale__hc_set_error(f, "bad redirect Location: %.200s", loc);
    *status = st == GALE_ENOMEM ? st : GALE_EURL;
    return false;
  }
  st = gale_url_parse(next, strlen(next), &nu);
  if (st != GALE_OK || !nu->scheme || !nu->host) {
    gale__hc_set_error(f, "redirect to an unsupported or malformed URL: %.200s", next);
    *status = st == GALE_ENOTSUP ? GALE_ENOTSUP : (st == GALE_ENOMEM ? st : GALE_EURL);
    gale_url_free(nu);
    free(next);
    return false;
  }
  if (resend && f->send_body && f->req.body_producer &&
      f->req.body_rewind(f->req.body_producer_arg) != GALE_OK) {
    gale__hc_debug(f, GALE_HTTP_DEBUG_INFO, "The body cannot be sent again: not following");
    gale_url_free(nu);
    free(next);
    return false;
  }
  if (!same_origin(f->purl, nu)) f->drop_auth = true;
  gale_url_free(nu);
  free(f->next_url);
  f->next_url = next;
  if (to_get) {
    char *get = gale__hc_strdup("GET");
    if (!get) {
      *status = GALE_ENOMEM;
      return false;
    }
    gale__hc_hop_str_free(f->method, f->req.method);
    f->method = get;
    f->send_body = false;
  }
  gale__hc_debug(f, GALE_HTTP_DEBUG_INFO, "Issue another request to this URL: '%s'", next);
  return true;
}

void gale__hc_redirect_apply(hc_fetch *f) {
  gale__hc_hop_str_free(f->url, f->req.url);
  f->url = f->next_url;
  f->next_url = NULL;
}
