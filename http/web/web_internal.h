/* SPDX-License-Identifier: MIT */
/* http/web/web_internal.h — the web layer's structures, shared by web*.c,
 * static.c, signed_cookie.c and xsrf.c. */
#ifndef GALE_HTTP_WEB_INTERNAL_H
#define GALE_HTTP_WEB_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "gale/form.h"
#include "gale/multipart.h"
#include "gale/web.h"
#include "http/server/server_internal.h"

typedef struct gale__route {
  pcre2_code *re;
  char *pattern;
  const gale_web_handler_class *cls;
  void *args;
  char *name;
  uint32_t ngroups;
  bool literal;                  /* no regex syntax: matched with strcmp */
  pcre2_code *host;              /* the app's host pattern when added, or NULL */
  void (*args_free)(void *args); /* frees args with the app (WebSocket routes) */
} gale__route;

typedef struct gale__static_hash {
  struct gale__static_hash *next;
  char *path;
  char hash[17];
  time_t mtime;
  off_t size;
} gale__static_hash;

struct gale_web_app {
  gale_web_app_options opts; /* strings below are owned copies */
  char *cookie_secret;
  gale_web_cookie_key *keys; /* owned copies of opts.cookie_secrets */
  size_t nkeys;
  char *static_path;
  char *static_url_prefix;
  char *server_header;
  gale__route *routes;
  size_t nroutes, cap;
  pcre2_match_data *md;
  pcre2_code **hosts; /* every host pattern set (routes point in) */
  size_t nhosts;
  pcre2_code *host; /* the one routes are added under, or NULL */
  gale_web_static_options static_opts;
  gale__static_hash *hashes;
  size_t nhashes;
  gale_template_loader *templates; /* template_path's, or NULL */
  char *login_url;
  gale_locale_set *locales;
};

struct gale_web_handler {
  gale_web_app *app;
  const gale_web_handler_class *cls;
  void *route_args;
  const gale__route *route;
  gale_http_server_request *req;
  gale_web_handler_fn method;
  gale_web_coro_fn co_method; /* takes the place of method when set */
  void *ctx;                  /* cls->ctx_size zeroed bytes */
  char allow[80];             /* Allow header of a 405 */

  char **path_args; /* one block: pointers then strings */
  size_t npath_args;

  bool finished;
  bool held; /* the running callback went asynchronous */
  bool initialized;
  bool prepared; /* prepare has run (and did not hold) */
  bool prepare_held;
  bool body_ready; /* request_cb came: the body is complete */
  bool method_started;
  bool gone; /* the client went away */
  bool in_callback;

  /* Coroutine classes (web_coro.c). */
  gale_future *coro;    /* the live coroutine's future (ours), or NULL */
  int coro_status;      /* what its callbacks returned */
  int last_status;      /* the response status when req went away */
  bool orphaned;        /* req was freed while the coroutine lived */
  bool finish_deferred; /* on_finish waits for the coroutine's end */

  /* Arguments, files and cookies, parsed on first use. */
  bool args_parsed, cookies_parsed;
  gale_params *query_args, *body_args, *cookies;
  gale_multipart *multipart;
  gale_web_file *files;
  char **file_fields;
  size_t nfiles;

  /* Streamed multipart uploads (web_upload.c), or NULL. */
  struct gale__web_uploads *uploads;
  bool uploads_done;        /* the body was parsed whole */
  const char *error_detail; /* shown by the default error page, or NULL */
  /* The failure behind a 500, for the debug page: the status a callback
   * returned (0: none), where, and a message (owned, or NULL). */
  int error_code;
  const char *error_where;
  char *error_message;

  char *signed_value; /* last gale_web_get_signed_cookie result */
  char *xsrf_token;
  char *xsrf_html;
  unsigned char *xsrf_raw;     /* the 16-byte token of this client */
  struct json_t *current_user; /* get_current_user's answer, once asked */
  bool current_user_asked;
  const gale_locale *locale; /* decided on first use */
};

/* web_login.c: answers (302 to login_url, or 403) and returns true when
 * the method about to run is marked authenticated and nobody is logged in. */
GALE_INTERNAL bool gale__web_login_required(gale_web_handler *h);

/* web.c */
GALE_INTERNAL void gale__web_set_default_headers(gale_web_handler *h);
GALE_INTERNAL void gale__web_handler_free(gale_web_handler *h);
/* initialize → (xsrf) → prepare; false when the handler is done or went
 * asynchronous in prepare.  Then the method, finished for it unless held. */
GALE_INTERNAL bool gale__web_run_prepare(gale_web_handler *h);
GALE_INTERNAL void gale__web_run_method(gale_web_handler *h);

/* web_coro.c: coroutine classes.  is_coro: cls->coroutine.  start runs
 * prepare (unless done) and the method in a new coroutine; false when it
 * could not be spawned (the request was answered 500).  gone: the client
 * left (the coroutine is cancelled; true when on_finish must wait for it).
 * orphan: the request is being freed; true when the coroutine keeps the
 * handler alive. */
GALE_INTERNAL bool gale__web_coro_start(gale_web_handler *h);
GALE_INTERNAL bool gale__web_coro_gone(gale_web_handler *h);
GALE_INTERNAL bool gale__web_coro_orphan(gale_web_handler *h);
/* A status a co callback returned: < 0 is logged and answered 500. */
GALE_INTERNAL void gale__web_coro_failed(gale_web_handler *h, const char *what, int status);
GALE_INTERNAL gale_web_handler *gale__web_handler_new(gale_web_app *app,
                                                      gale_http_server_request *req);

/* web_upload.c: start (in headers_cb) sets h->uploads for a multipart
 * body (GALE_OK without it for another type; GALE_EHTTP_PARSE for a
 * multipart type without a usable boundary); feed and finish parse the
 * body (GALE_EHTTP_PARSE, GALE_ENOMEM), detail says why they failed
 * (static); take_fields hands the fields over (the caller frees them). */
typedef struct gale__web_uploads gale__web_uploads;
GALE_INTERNAL int gale__web_uploads_start(gale_web_handler *h);
GALE_INTERNAL int gale__web_uploads_feed(gale_web_handler *h, const char *data, size_t len);
GALE_INTERNAL int gale__web_uploads_finish(gale_web_handler *h);
GALE_INTERNAL const char *gale__web_uploads_detail(const gale_web_handler *h);
GALE_INTERNAL gale_params *gale__web_uploads_take_fields(gale_web_handler *h);
GALE_INTERNAL void gale__web_uploads_free(gale_web_handler *h);

/* Notes why the handler is about to answer 500 (for the app's debug
 * page): code (a GALE_E... status, or 0), where ("method", "render"...,
 * static), message (printf-style, copied; NULL for none).  The first note
 * of a request wins. */
GALE_INTERNAL void gale__web_note_error(gale_web_handler *h, const char *where, int code,
                                        const char *fmt, ...) GALE_PRINTF(4, 5);

/* web_response.c */
GALE_INTERNAL void gale__web_default_write_error(gale_web_handler *h, int status);
/* gale_web_send_error with a reason for the default error page to show
 * (HTML-escaped; static, or alive until the handler is freed). */
GALE_INTERNAL int gale__web_send_error_detail(gale_web_handler *h, int status, const char *detail);

/* xsrf.c: the raw 16-byte token from a cookie or argument, decoded from
 * Tornado's version 2 format ("2|mask|masked|timestamp") or a plain hex
 * token (version 1).  Returns false when malformed. */
GALE_INTERNAL bool gale__xsrf_decode(const char *s, unsigned char out[16]);

/* base64 (standard alphabet, padded) via OpenSSL; malloc'd, NUL-terminated. */
GALE_INTERNAL char *gale__b64_encode(const unsigned char *data, size_t len);
GALE_INTERNAL unsigned char *gale__b64_decode(const char *s, size_t len, size_t *out_len);

#endif
