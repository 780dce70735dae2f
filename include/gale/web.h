/* SPDX-License-Identifier: MIT */
/* gale/web.h — the web layer (the essentials of tornado.web).
 *
 * An application maps URL patterns to handler classes.  A handler class is
 * a const table of callbacks (Tornado's RequestHandler subclass); for each
 * request the application creates a handler (a gale_web_handler, with an
 * optional zeroed context of the class's ctx_size bytes) and runs its life
 * cycle as Tornado does:
 *
 *   initialize(h, route_args) → prepare(h) → get/post/...(h) → on_finish(h)
 *
 * A method callback answers with the gale_web_* response calls and either
 * finishes (gale_web_finish) or returns without finishing: then the handler
 * is asynchronous and may finish later from any callback on the loop thread
 * (long polling, waiting for a gale_http_client fetch...).  A method that
 * returns without finishing and without having called gale_web_hold() is
 * finished for it, as in Tornado's synchronous handlers.  If the client goes
 * away first, on_connection_close(h) runs, then on_finish(h), and the
 * handler is freed: drop every pointer to it.
 *
 *   static void hello(gale_web_handler *h) { gale_web_write_str(h, "Hello, world"); }
 *   static const gale_web_handler_class main_handler = { .get = hello };
 *   gale_web_app *app = gale_web_app_new(NULL);
 *   gale_web_app_add(app, "/", &main_handler, NULL, NULL);
 *   gale_web_app_listen(app, loop, 8888, NULL, NULL, NULL);
 *
 * Routes are PCRE2 regular expressions anchored at both ends and matched
 * against the request path (still percent-encoded, as Tornado does); their
 * capture groups are percent-decoded and handed to the handler as path
 * arguments.  No match: 404 (or the default handler); a matched class
 * without a callback for the method: 405 with an Allow header.
 *
 * Coroutine handlers (Tornado's `async def get(self)`): a class with
 * `.coroutine = true` runs initialize, prepare and the method in one
 * coroutine per request (gale/coro.h), spawned on the server's loop when the
 * request is complete, so they gale_await() fetches, sleeps, locks and
 * queue gets inline and then answer.  The method is finished for it when it
 * returns, as for a synchronous handler, unless it called gale_web_hold().
 * The `co` members are the same callbacks returning a status: one < 0 is
 * logged and answers 500 when nothing was sent yet (Tornado's uncaught
 * exception), closes the connection when the headers already went out.
 *
 *   static int slow_get(gale_web_handler *h) {
 *     gale_future *s = gale_sleep(loop, 0.1);
 *     int st = gale_await(s);
 *     gale_future_unref(s);
 *     if (st != GALE_OK) return st;       // GALE_ECANCELLED: the client left
 *     return gale_web_write_str(h, "slept");
 *   }
 *   static const gale_web_handler_class slow = {.coroutine = true, .co.get = slow_get};
 *
 * Request bodies: buffered by default (gale_web_body, form and multipart
 * arguments, gale_web_get_file); streamed piece by piece to a class's
 * data_received (Tornado's @stream_request_body); or, for a class with
 * `uploads`, parsed as they arrive into fields and files spooled to
 * temporary files (gale_web_get_upload).  A class may set its own
 * max_body_size and body_timeout in place of the server's.  The app's
 * `debug` option shows why a handler failed on its 500 page.
 *
 * If the client goes away while the coroutine is suspended,
 * on_connection_close(h) runs, the coroutine's await returns
 * GALE_ECANCELLED (and so does its next one, if it was not awaiting), and
 * the handler stays valid until the coroutine returns: then on_finish(h)
 * runs and the handler is freed.  From the moment the request is gone (the
 * client left, or the response was finished and sent), the request
 * accessors answer "" / NULL / the default, and the response calls
 * GALE_ECLOSED (GALE_ESTATE once finished); the context stays.  A coroutine
 * alive when the server is freed is cancelled the same way; it returns when
 * the loop runs next (or is unwound by gale_loop_free), so free the app
 * only after that.
 *
 * Strings returned by gale_web_* accessors are borrowed from the handler and
 * valid until it is freed, unless said otherwise.  Loop thread only.
 */
#ifndef GALE_WEB_H
#define GALE_WEB_H

#include <stdarg.h>
#include <time.h>

#include "gale/common.h"
#include "gale/error.h"
#include "gale/http_server.h"
#include "gale/locale.h"
#include "gale/template.h"
#include "gale/loop.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gale_web_app gale_web_app;
typedef struct gale_web_handler gale_web_handler;

/* A handler callback; the handler is borrowed for the call. */
typedef void (*gale_web_handler_fn)(gale_web_handler *h);
/* A coroutine handler's callback: returns GALE_OK or a (negative) GALE_E...
 * status; < 0 answers 500 when nothing was sent. */
typedef int (*gale_web_coro_fn)(gale_web_handler *h);

/* Methods, as bits, for a class's `authenticated` mark. */
enum {
  GALE_WEB_AUTH_GET = 1 << 0,
  GALE_WEB_AUTH_HEAD = 1 << 1,
  GALE_WEB_AUTH_POST = 1 << 2,
  GALE_WEB_AUTH_PUT = 1 << 3,
  GALE_WEB_AUTH_DELETE = 1 << 4,
  GALE_WEB_AUTH_PATCH = 1 << 5,
  GALE_WEB_AUTH_OPTIONS = 1 << 6,
  GALE_WEB_AUTH_ALL = (1 << 7) - 1,
};

struct json_t;
/* Tornado's get_current_user: who sent the request, as a new JSON
 * reference (any value: an id string, an object...; NULL or JSON null:
 * nobody).  Usually reads a signed cookie. */
typedef struct json_t *(*gale_web_current_user_fn)(gale_web_handler *h);

/* Streaming multipart/form-data uploads for a class (its `uploads`
 * member; tornado#2582's streaming parser under Tornado's
 * stream_request_body): a request whose body is multipart/form-data is
 * parsed as it arrives instead of being buffered.  Plain fields are kept
 * in memory and read with gale_web_get_argument() and friends; files stay
 * in memory up to memory_threshold bytes and past it go to a temporary
 * file (mkstemp(3) in tmp_dir), so the body is never held whole.  Every
 * member may be 0 / NULL for its default.  A body of another type is
 * buffered as usual.  Malformed bodies and bodies past a limit are answered
 * 400 with the reason (text/plain) and the connection is closed; the
 * class's callbacks do not run (on_finish excepted).  Borrowed for the
 * route's life. */
typedef struct gale_web_upload_options {
  size_t max_parts;        /* 1000 */
  size_t max_header_size;  /* 8 KiB: one part's header section */
  size_t max_field_size;   /* 64 KiB: one plain field's value */
  size_t memory_threshold; /* 64 KiB: a file larger than this is spooled */
  size_t max_memory;       /* 1 MiB: fields and in-memory files together; a
                              file that would pass it is spooled, a field
                              that would pass it is refused */
  const char *tmp_dir;     /* NULL: $TMPDIR, else /tmp */
  GALE_RESERVED(8);        /* room for fields added later (README: ABI) */
} gale_web_upload_options;

/* A handler class: every member is optional.  Keep it static const. */
typedef struct gale_web_handler_class {
  const char *name; /* for logs */
  size_t ctx_size;  /* bytes of zeroed per-request context
                            (gale_web_handler_ctx) */
  /* Receives the route's args (gale_web_app_add).  A non-OK return
   * answers 500. */
  int (*initialize)(gale_web_handler *h, void *route_args);
  /* Runs before the method; may finish the request (then the method does
   * not run) or call gale_web_hold() to go asynchronous before the method:
   * gale_web_resume() then runs the method. */
  gale_web_handler_fn prepare;
  /* HEAD without a head callback runs get (the body is not sent). */
  gale_web_handler_fn get, head, post, put, delete_, patch, options;
  /* After the response went out (or the client went away). */
  gale_web_handler_fn on_finish;
  /* The client closed the connection before the handler finished. */
  gale_web_handler_fn on_connection_close;
  /* Writes the body of an error page for gale_web_send_error(); the status
   * is already set and the pending body cleared.  Default: a small HTML
   * page "<html><title>404: Not Found</title>...". */
  void (*write_error)(gale_web_handler *h, int status);
  /* Tornado's @stream_request_body: when set, the body is not buffered;
   * each piece goes here (after prepare, before the method), and the
   * method runs at the end.  Return GALE_OK or an error (400, close). */
  int (*data_received)(gale_web_handler *h, const char *data, size_t len);
  /* Skip the XSRF check for this class even when the app enables it. */
  bool no_xsrf_check;
  /* Tornado's @authenticated, per method (GALE_WEB_AUTH_* bits; HEAD
   * follows GET's bit when it has none of its own): when a marked method
   * is about to run (after prepare) and there is no current user, GET and
   * HEAD redirect with 302 to the app's login_url with ?next= this
   * request's URI (the full URL when login_url is absolute), and the
   * other methods answer 403; without a login_url every marked method
   * answers 403.  The method does not run. */
  unsigned authenticated;
  /* Takes the place of the app's get_current_user for this class. */
  gale_web_current_user_fn get_current_user;
  /* Tornado's @removeslash / @addslash, for every method of the class: a
   * path ending in "/" (not ending in "/") is redirected with 301 to the
   * path without (with) it, query kept, for GET and HEAD, and answers 404
   * for other methods; none of the class's callbacks runs then.  Route
   * a pattern that matches both forms ("/docs/?"). */
  bool removeslash, addslash;
  /* Run initialize, prepare and the method in one coroutine per request
   * (see the top of this header).  Not with data_received:
   * gale_web_app_add() refuses the pair with GALE_EINVAL. */
  bool coroutine;
  /* With .coroutine: status-returning forms of prepare and the methods,
   * used in place of the plain member of the same name when set (HEAD
   * without co.head or head runs co.get, then get).  Ignored without
   * .coroutine. */
  struct {
    gale_web_coro_fn prepare;
    gale_web_coro_fn get, head, post, put, delete_, patch, options;
  } co;
  /* Streaming multipart uploads (gale_web_upload_options above): prepare
   * and the method run once the whole body was parsed, with the fields as
   * body arguments and the files from gale_web_get_upload().  Not with
   * data_received (gale_web_app_add() refuses the pair, GALE_EINVAL). */
  const gale_web_upload_options *uploads;
  /* This class's request body limit and body timeout in place of the
   * server's max_body_size and body_timeout (0: the server's;
   * max_body_size UINT64_MAX: none), set when the request's headers are
   * in, before its body is read: a Content-Length past it answers 413
   * before the body, a chunked or decompressed body past it is cut off
   * with 413, on HTTP/1 and HTTP/2 (the timeout is HTTP/1's).  For a limit
   * decided per request, call gale_web_set_max_body_size() from prepare
   * of a data_received class, as Tornado's prepare() of a
   * stream_request_body handler does. */
  uint64_t max_body_size;
  double body_timeout;
  GALE_RESERVED(8); /* room for fields added later (README: ABI) */
} gale_web_handler_class;

/* Application settings.  gale_web_app_options_init() fills the defaults;
 * strings are copied by gale_web_app_new(). */
/* One versioned cookie secret (Tornado's cookie_secret dict entry). */
typedef struct gale_web_cookie_key {
  int version; /* >= 0 */
  const char *secret;
} gale_web_cookie_key;

typedef struct gale_web_app_options {
  /* Secret for signed cookies and XSRF tokens (NULL: signed cookies fail
   * with GALE_ESTATE).  At least 16 bytes of randomness is sensible. */
  const char *cookie_secret;
  /* Key rotation, as Tornado's cookie_secret dict with key_version: when
   * set (copied by gale_web_app_new), cookies are signed with the secret
   * of key_version and verified with the secret of the version each
   * cookie names, so old cookies stay valid while a key is retired.  Takes
   * the place of cookie_secret for signed cookies. */
  const gale_web_cookie_key *cookie_secrets;
  size_t ncookie_secrets;
  int key_version;
  bool xsrf_cookies; /* false: check _xsrf on POST/PUT/PATCH/DELETE */
  /* Handler for paths no route matches (NULL: 404 page). */
  const gale_web_handler_class *default_handler;
  void *default_handler_args;
  /* Serve files of this directory under static_url_prefix with the static
   * handler (NULL: no static route). */
  const char *static_path;
  const char *static_url_prefix; /* "/static/" */
  bool compress_response;        /* false: gzip eligible responses */
  bool etag;                     /* true: ETag + 304 on buffered responses */
  const char *server_header;     /* "gale": NULL or "" sends none */
  /* Templates for gale_web_render: the folder they are read from (NULL:
   * no templates), and the loader's options (gale_template_options_init's
   * defaults: autoescape on, whitespace by file name; set
   * template_options.check_mtime while developing to pick up edits, as
   * Tornado's compiled_template_cache=False). */
  const char *template_path;
  gale_template_options template_options;
  /* Login (Tornado's login_url and get_current_user): where
   * `authenticated` methods send a visitor with no current user (copied),
   * and the app-wide hook saying who the current user is. */
  const char *login_url;
  gale_web_current_user_fn get_current_user;
  /* Translations (gale/locale.h, as tornado.locale): the folder of CSV
   * files read by gale_web_app_new (NULL: none), the default locale
   * (NULL: "en_US"), and a hook naming the user's locale code (a borrowed
   * string, or NULL to use the browser's Accept-Language). */
  const char *locale_path;
  const char *default_locale;
  const char *(*get_user_locale)(gale_web_handler *h);
  /* Tornado's debug=True, for what gale has (off by default; never in
   * production: the pages tell how the application is built): the
   * default 500 page of a handler that failed (a coroutine callback or
   * initialize returning an error, a template that did not render, or a
   * handler's gale_web_send_error(h, 500)) shows the GALE_E... code and
   * its message, where it failed (initialize, prepare, method, render)
   * with the template's file and line, the request's method and path, and
   * the handler class and route, every part HTML-escaped; and templates
   * are recompiled when their file changes (template_options.check_mtime,
   * Tornado's compiled_template_cache=False).  Off: the plain
   * "500: Internal Server Error" page, details only in the log. */
  bool debug;
  GALE_RESERVED(8); /* room for fields added later (README: ABI) */
} gale_web_app_options;

GALE_EXPORT void gale_web_app_options_init(gale_web_app_options *opts);

/* ---- application ---------------------------------------------------------- */

/* Creates an application (opts may be NULL).  Returns NULL when out of
 * memory or for an invalid option. */
GALE_EXPORT gale_web_app *gale_web_app_new(const gale_web_app_options *opts);

/* Adds a route, tried in the order added.  `pattern` is a PCRE2 regex
 * matched against the whole path ("/user/([0-9]+)"); `cls` is borrowed
 * (static); `route_args` is borrowed and handed to initialize; `name`
 * (may be NULL, copied) names the route for gale_web_app_reverse_url().
 * Returns GALE_OK, GALE_EINVAL (bad regex: logged with its offset; a
 * coroutine class with data_received; data_received with uploads),
 * GALE_EEXIST (name taken), GALE_ENOMEM. */
GALE_EXPORT int gale_web_app_add(gale_web_app *app, const char *pattern,
                                 const gale_web_handler_class *cls, void *route_args,
                                 const char *name);

/* Tornado's add_handlers(host_pattern, ...): routes added after this call
 * serve only requests whose host name (the Host header without its port,
 * compared without case) matches `host_pattern`, a PCRE2 regex anchored
 * at both ends ("(www\\.)?example\\.com"); NULL goes back to routes for any
 * host (the default).  Routing tries the routes of every matching host
 * pattern first, in the order added, then those for any host.  Returns
 * GALE_OK, GALE_EINVAL (NULL app, bad regex: logged), GALE_ENOMEM. */
GALE_EXPORT int gale_web_app_set_host(gale_web_app *app, const char *host_pattern);

/* Builds the path of route `name` with its groups replaced, in order, by
 * the `nargs` strings (percent-encoded here).  Works for patterns whose
 * groups are not nested and whose literal parts are plain text (escapes like
 * "\." are unescaped).  Returns a malloc'd string the caller frees, or NULL
 * (unknown name, wrong argument count, pattern too complex). */
GALE_EXPORT char *gale_web_app_reverse_url(const gale_web_app *app, const char *name, size_t nargs,
                                           const char *const *args);

/* Creates a gale_http_server for this app on `loop` and listens on
 * `address` (NULL: all) and `port`.  `http_opts` may be NULL (defaults).
 * *out (may be NULL) receives the server, which the caller frees before the
 * app.  Returns GALE_OK or the server's errors. */
GALE_EXPORT int gale_web_app_listen(gale_web_app *app, gale_loop *loop, int port,
                                    const char *address, const gale_http_server_options *http_opts,
                                    gale_http_server **out);

/* For building the server yourself: pass these to gale_http_server_new()
 * (request_cb) and as opts.headers_cb, with the app as arg. */
GALE_EXPORT void gale_web_app_headers_cb(gale_http_server_request *req, void *app);
GALE_EXPORT void gale_web_app_request_cb(gale_http_server_request *req, void *app);

/* Frees the app; its servers must be freed first, and its coroutine
 * handlers must have returned (run the loop, or free it, after freeing the
 * servers).  NULL is ignored. */
GALE_EXPORT void gale_web_app_free(gale_web_app *app);

/* ---- the handler: context and request ------------------------------------ */

GALE_EXPORT gale_web_app *gale_web_handler_app(const gale_web_handler *h);
GALE_EXPORT const gale_web_handler_class *gale_web_handler_class_of(const gale_web_handler *h);
/* The zeroed per-request context of cls->ctx_size bytes (NULL when 0). */
GALE_EXPORT void *gale_web_handler_ctx(const gale_web_handler *h);
/* The route's args as given to gale_web_app_add(). */
GALE_EXPORT void *gale_web_handler_route_args(const gale_web_handler *h);
/* The underlying request (method, uri, headers, remote IP...); NULL once
 * it is gone under a coroutine handler (see the top of this header). */
GALE_EXPORT gale_http_server_request *gale_web_request(const gale_web_handler *h);

/* Percent-decoded capture groups of the route: index 0 is the first group;
 * a group that did not participate is "".  NULL past the end. */
GALE_EXPORT size_t gale_web_path_arg_count(const gale_web_handler *h);
GALE_EXPORT const char *gale_web_path_arg(const gale_web_handler *h, size_t index);
/* A named group ((?<id>...)), or NULL. */
GALE_EXPORT const char *gale_web_path_kwarg(const gale_web_handler *h, const char *name);

/* Shortcuts for the request's accessors. */
GALE_EXPORT const char *gale_web_method(const gale_web_handler *h);
GALE_EXPORT const char *gale_web_uri(const gale_web_handler *h);
GALE_EXPORT const char *gale_web_path(const gale_web_handler *h);
GALE_EXPORT const char *gale_web_query(const gale_web_handler *h);
GALE_EXPORT const char *gale_web_header(const gale_web_handler *h, const char *name);
GALE_EXPORT const char *gale_web_remote_ip(const gale_web_handler *h);
GALE_EXPORT const char *gale_web_protocol(const gale_web_handler *h);
GALE_EXPORT const char *gale_web_host(const gale_web_handler *h);
GALE_EXPORT const char *gale_web_body(const gale_web_handler *h, size_t *len);

/* Arguments from the query string and, for form bodies
 * (application/x-www-form-urlencoded and multipart/form-data), the body;
 * decoded, and as Tornado's: control characters other than \t \n \v \f
 * \r replaced by spaces, whitespace stripped from both ends (the raw
 * forms: gale_web_query(), gale_web_body()).  get_argument returns the last
 * value (Tornado) or `dflt`.
 * get_arguments fills up to `max` values in order and returns how many
 * there are in total.  The query_/body_ variants look only there.
 * Arguments are parsed on first use; a malformed body gives no body
 * arguments (and a warning). */
GALE_EXPORT const char *gale_web_get_argument(gale_web_handler *h, const char *name,
                                              const char *dflt);
GALE_EXPORT size_t gale_web_get_arguments(gale_web_handler *h, const char *name,
                                          const char **values, size_t max);
GALE_EXPORT const char *gale_web_get_query_argument(gale_web_handler *h, const char *name,
                                                    const char *dflt);
GALE_EXPORT const char *gale_web_get_body_argument(gale_web_handler *h, const char *name,
                                                   const char *dflt);

/* An uploaded file of a multipart/form-data body. */
typedef struct gale_web_file {
  const char *filename;     /* as sent, "" if none */
  const char *content_type; /* "application/octet-stream" if none */
  const char *body;         /* borrowed from the request */
  size_t len;
} gale_web_file;

/* The index-th file uploaded in form field `field` (0-based), or NULL, of
 * a buffered multipart body (a class with `uploads` streams them instead:
 * gale_web_get_upload()). */
GALE_EXPORT const gale_web_file *gale_web_get_file(gale_web_handler *h, const char *field,
                                                   size_t index);
/* Number of files of that field. */
GALE_EXPORT size_t gale_web_get_file_count(gale_web_handler *h, const char *field);

/* A file of a streamed upload (a class with `uploads`), valid until the
 * handler is freed.  In memory (data set, NUL-terminated after size bytes;
 * path NULL, fd -1) or in a temporary file (path and fd set, data NULL):
 * the fd is open for reading and writing at its end (pread from 0), and
 * the file is closed and unlinked when the handler is freed, so a handler
 * keeping it link(2)s or copies it elsewhere first. */
typedef struct gale_web_upload {
  const char *name;         /* the form field */
  const char *filename;     /* as sent ("" if empty) */
  const char *content_type; /* "application/octet-stream" if none */
  uint64_t size;            /* data bytes */
  const char *data;         /* in memory, or NULL */
  const char *path;         /* spooled: the temporary file, else NULL */
  int fd;                   /* spooled: its descriptor, else -1 */
} gale_web_upload;

/* The index-th (0-based) uploaded file of form field `field` (NULL: of
 * any field, in body order), or NULL; and how many there are.  Only once
 * the body is complete (in prepare and the method). */
GALE_EXPORT const gale_web_upload *gale_web_get_upload(const gale_web_handler *h, const char *field,
                                                       size_t index);
GALE_EXPORT size_t gale_web_upload_count(const gale_web_handler *h, const char *field);
/* The most bytes the upload held in memory at once (fields, in-memory
 * files, the parser's header buffer): what a streamed upload costs,
 * whatever its size. */
GALE_EXPORT size_t gale_web_upload_memory_peak(const gale_web_handler *h);

/* The request's body limit and body timeout (HTTP/1), as the class's
 * members of the same names but decided per request: only before the
 * body is read, i.e. from initialize or prepare of a data_received class
 * (which run when the headers are in).  max 0: none.  Returns GALE_OK,
 * GALE_EINVAL, GALE_ECLOSED, GALE_ESTATE (the body is already being read
 * or was read). */
GALE_EXPORT int gale_web_set_max_body_size(gale_web_handler *h, uint64_t max);
GALE_EXPORT int gale_web_set_body_timeout(gale_web_handler *h, double seconds);

/* The value of cookie `name` from the Cookie header, or `dflt`. */
GALE_EXPORT const char *gale_web_get_cookie(gale_web_handler *h, const char *name,
                                            const char *dflt);

/* ---- the handler: response ------------------------------------------------ */

/* As gale_http_server_request_set_status / set/add/clear_header: values are
 * checked (no CR, LF, NUL: GALE_EINVAL) and copied. */
GALE_EXPORT int gale_web_set_status(gale_web_handler *h, int code, const char *reason);
GALE_EXPORT int gale_web_get_status(const gale_web_handler *h);
GALE_EXPORT int gale_web_set_header(gale_web_handler *h, const char *name, const char *value);
GALE_EXPORT int gale_web_add_header(gale_web_handler *h, const char *name, const char *value);
GALE_EXPORT int gale_web_clear_header(gale_web_handler *h, const char *name);

/* Appends to the response body (copied; buffered until flush/finish). */
GALE_EXPORT int gale_web_write(gale_web_handler *h, const void *data, size_t len);
GALE_EXPORT int gale_web_write_str(gale_web_handler *h, const char *s);
GALE_EXPORT int gale_web_printf(gale_web_handler *h, const char *fmt, ...) GALE_PRINTF(2, 3);
/* Appends `s` with &, <, >, " and ' escaped as HTML entities. */
GALE_EXPORT int gale_web_write_html_escaped(gale_web_handler *h, const char *s);

/* JSON through jansson (include <jansson.h> to build the values; gale's
 * headers only name the type).
 *
 * gale_web_write_json appends `value` to the response body, compact, with
 * "/" escaped (so "</script>" cannot end a <script> block it is pasted
 * into), and sets Content-Type: application/json; charset=UTF-8, as
 * Tornado's write(dict).  Only objects, as Tornado: a top-level array is a
 * JSON-hijacking risk in old browsers; wrap lists in an object.  The value
 * stays the caller's.  Returns GALE_OK, GALE_EINVAL (NULL, or not an
 * object), GALE_ESTATE (finished), GALE_ECLOSED, GALE_ENOMEM.
 *
 * gale_web_json_body parses the request body as JSON (UTF-8, checked) and
 * returns a new reference the caller json_decref()s.  When the body is
 * not JSON it answers 400 with jansson's reason, line and column as a
 * text/plain body, finishes the response and returns NULL: the handler
 * just returns.  NULL without answering for a NULL, finished or closed
 * handler. */
struct json_t;
GALE_EXPORT int gale_web_write_json(gale_web_handler *h, const struct json_t *value);
GALE_EXPORT struct json_t *gale_web_json_body(gale_web_handler *h);

/* The current user (borrowed; NULL for nobody): the class's or the app's
 * get_current_user, called once per request on first use and kept until
 * the request ends.  Templates see it as `current_user` (None for
 * nobody). */
GALE_EXPORT struct json_t *gale_web_current_user(gale_web_handler *h);

/* The request's locale (Tornado's self.locale): get_user_locale's code,
 * else the closest to Accept-Language, else the default; decided once per
 * request.  Borrowed from the app; NULL only for a NULL handler. */
GALE_EXPORT const gale_locale *gale_web_locale(gale_web_handler *h);

/* Templates (gale/template.h) from the app's template_path, as Tornado's
 * render: gale_web_render renders `name` with `ctx` (a JSON object,
 * borrowed; NULL for none), writes the page and finishes the response
 * (Content-Type stays text/html; charset=UTF-8 unless the handler set
 * another).  gale_web_render_string renders into `out` (the caller's) and
 * sends nothing.  Besides ctx's names, every template sees
 *   request              {method, uri, path, query, host, remote_ip, protocol}
 *   xsrf_form_html()     the hidden _xsrf field (write it with {% raw %})
 *   static_url(path)     the versioned URL of a static file
 *   current_user         gale_web_current_user(), None for nobody
 *   locale               {code} of gale_web_locale()
 *   _(msg), _(msg, plural, count)   gale_locale_translate in that locale
 * A missing template or an error while rendering is logged with the file
 * and line; gale_web_render then answers 500 (no page half sent).
 * Returns GALE_OK, GALE_ESTATE (no template_path, or finished),
 * GALE_ECLOSED, GALE_ENOMEM, GALE_ENOENT, GALE_ETEMPLATE. */
GALE_EXPORT int gale_web_render(gale_web_handler *h, const char *name, struct json_t *ctx);
GALE_EXPORT int gale_web_render_string(gale_web_handler *h, const char *name, struct json_t *ctx,
                                       gale_buf *out);

/* Sends what was written so far (headers first; chunked).  Returns GALE_OK,
 * GALE_ECLOSED, GALE_ESTATE. */
GALE_EXPORT int gale_web_flush(gale_web_handler *h);

/* Finishes the response (adds an ETag — a 64-bit FNV-1a hash of the
 * body, for bodies up to 1 MiB — and answers 304 when the app has etag on,
 * nothing was flushed, the status is 200 and If-None-Match matches).  Then
 * on_finish runs (inside this call, as in Tornado); the handler is freed
 * later, not inside this call.  Returns GALE_OK, GALE_ESTATE (already finished),
 * GALE_ECLOSED. */
GALE_EXPORT int gale_web_finish(gale_web_handler *h);
GALE_EXPORT bool gale_web_finished(const gale_web_handler *h);

/* Makes the current callback (prepare or the method) asynchronous: the
 * handler is not finished when it returns.  After hold in prepare, call
 * gale_web_resume() to run the method, or finish. */
GALE_EXPORT void gale_web_hold(gale_web_handler *h);
GALE_EXPORT int gale_web_resume(gale_web_handler *h);

/* Redirects to `url` (checked: no CR, LF, NUL) with status 301, 302
 * (default when 0), 303, 307 or 308, and finishes.  Returns GALE_OK,
 * GALE_EINVAL, GALE_ESTATE (headers already sent). */
GALE_EXPORT int gale_web_redirect(gale_web_handler *h, const char *url, int status);

/* Clears the pending body and headers, sets `status` (400..599; others
 * become 500), writes the error page through the class's write_error and
 * finishes.  If headers were already flushed it can only close the
 * connection.  Returns GALE_OK or GALE_ESTATE. */
GALE_EXPORT int gale_web_send_error(gale_web_handler *h, int status);

/* For a class's own write_error (Tornado's exc_info): why the request is
 * being answered 500 — the GALE_E... status a callback returned (the
 * return value; 0 when none, e.g. the handler's own send_error), where it
 * failed ("initialize", "prepare", "method", "render"; NULL when unknown)
 * and a message (a template's file, line and reason; NULL when none).
 * `where` and `message` may be NULL; the strings are borrowed.  And
 * whether the app runs with debug on (the default page then shows these). */
GALE_EXPORT int gale_web_error_info(const gale_web_handler *h, const char **where,
                                    const char **message);
GALE_EXPORT bool gale_web_debug(const gale_web_handler *h);

/* ---- cookies -------------------------------------------------------------- */

typedef struct gale_web_cookie_options {
  const char *path;    /* "/" */
  const char *domain;  /* NULL: none */
  double expires_days; /* > 0: Expires (and Max-Age) that many days ahead;
                            0: a session cookie */
  bool secure, httponly;
  const char *samesite; /* NULL, "Strict", "Lax" or "None" */
  GALE_RESERVED(8);     /* room for fields added later (README: ABI) */
} gale_web_cookie_options;

/* Adds a Set-Cookie header.  `opts` may be NULL (path "/", session cookie).
 * Name must be a token; value must be cookie-octets (RFC 6265: no space,
 * DQUOTE, comma, semicolon, backslash, controls).  Returns GALE_OK,
 * GALE_EINVAL, GALE_ESTATE. */
GALE_EXPORT int gale_web_set_cookie(gale_web_handler *h, const char *name, const char *value,
                                    const gale_web_cookie_options *opts);
/* Expires the cookie at the client (same path/domain as when set). */
GALE_EXPORT int gale_web_clear_cookie(gale_web_handler *h, const char *name, const char *path,
                                      const char *domain);

/* Signed cookies (Tornado's set_secure_cookie, in its version 2 format so
 * Tornado and gale sharing a secret read each other's cookies:
 * "2|1:0|<len>:<timestamp>|<len>:<name>|<len>:<base64 value>|<hex HMAC-SHA256>"
 * keyed with the app's cookie_secret, or the key_version key of its
 * cookie_secrets, compared in constant time).  The
 * value may be any bytes (NUL-terminated here).  expires_days as in
 * gale_web_cookie_options (0: session, Tornado's default is 30).
 * set: GALE_OK, GALE_ESTATE (no cookie_secret), GALE_EINVAL, GALE_ENOMEM. */
GALE_EXPORT int gale_web_set_signed_cookie(gale_web_handler *h, const char *name, const char *value,
                                           double expires_days);
/* The verified value, or NULL when absent, forged, for another name, or
 * older than max_age_days (Tornado's default 31).  Borrowed. */
GALE_EXPORT const char *gale_web_get_signed_cookie(gale_web_handler *h, const char *name,
                                                   double max_age_days);

/* Lower level, for tests and other transports: signs `value` for cookie
 * `name` at `now` (seconds since the epoch).  Returns a malloc'd string or
 * NULL.  decode returns a malloc'd value or NULL (bad signature, expired:
 * older than max_age_days at `now`, or malformed). */
GALE_EXPORT char *gale_web_signed_value_create(const char *secret, const char *name,
                                               const char *value, time_t now);
GALE_EXPORT char *gale_web_signed_value_decode(const char *secret, const char *name,
                                               const char *signed_value, double max_age_days,
                                               time_t now);
/* The same with a key version: _create_key writes `key_version` into the
 * value; _decode_keys verifies with the key of the version the value names
 * (NULL when there is none).  The plain forms write version 0 and ignore
 * the version, as Tornado with a single secret. */
GALE_EXPORT char *gale_web_signed_value_create_key(const char *secret, int key_version,
                                                   const char *name, const char *value, time_t now);
GALE_EXPORT char *gale_web_signed_value_decode_keys(const gale_web_cookie_key *keys, size_t nkeys,
                                                    const char *name, const char *signed_value,
                                                    double max_age_days, time_t now);

/* ---- XSRF ------------------------------------------------------------------ */

/* The XSRF token for this client (sets the _xsrf cookie when the request
 * has none).  Tokens are masked per call (Tornado's version 2 format) so
 * they do not leak through compression.  Borrowed.  NULL when out of
 * memory. */
GALE_EXPORT const char *gale_web_xsrf_token(gale_web_handler *h);
/* '<input type="hidden" name="_xsrf" value="...">', borrowed. */
GALE_EXPORT const char *gale_web_xsrf_form_html(gale_web_handler *h);
/* Checks the _xsrf argument or X-XSRFToken / X-CSRFToken header against the
 * cookie.  Run automatically before non-GET/HEAD/OPTIONS methods when the
 * app has xsrf_cookies (a failure answers 403).  Returns GALE_OK or
 * GALE_EACCES. */
GALE_EXPORT int gale_web_check_xsrf(gale_web_handler *h);

/* ---- bundled handlers -------------------------------------------------------- */

/* Serves files under a directory.  Route it with one group holding the
 * relative path: gale_web_app_add(app, "/static/(.*)",
 * &gale_web_static_handler, &static_opts, NULL).  GET and HEAD; content type
 * by extension; ETag (size and mtime) and Last-Modified with 304 answers to
 * If-None-Match / If-Modified-Since; one byte range (206 with
 * Content-Range, 416 when unsatisfiable); "?v=" in the URL gives a
 * Cache-Control max-age of ten years (Tornado's CACHE_MAX_AGE); paths escaping the root (.., symlinks out of
 * it) are refused with 403, missing files 404; directories serve
 * default_filename or 403.  File bodies go out with sendfile. */
typedef struct gale_web_static_options {
  const char *root;             /* required; borrowed for the route's life */
  const char *default_filename; /* NULL: none ("index.html" is typical) */
  GALE_RESERVED(8);             /* room for fields added later (README: ABI) */
} gale_web_static_options;
GALE_EXPORT extern const gale_web_handler_class gale_web_static_handler;

/* The URL of a file under the app's static_path with "?v=<hash>" (a hash
 * of its content, cached), for long-lived caching.  Returns a malloc'd
 * string, or NULL (no static_path, no such file). */
GALE_EXPORT char *gale_web_static_url(gale_web_app *app, const char *path);

/* Redirects every GET and HEAD of the route to `url`, as Tornado's
 * RedirectHandler: "{0}", "{1}"... in it are replaced by the route's path
 * arguments, and the request's query string is appended ("?" or "&").
 * Status 301 unless `temporary` (302): a zeroed struct is Tornado's
 * default. */
typedef struct gale_web_redirect_options {
  const char *url;
  bool temporary;   /* false: 301 (Tornado's permanent=True), true: 302 */
  GALE_RESERVED(8); /* room for fields added later (README: ABI) */
} gale_web_redirect_options;
GALE_EXPORT extern const gale_web_handler_class gale_web_redirect_handler;

/* Answers every request of the route with the error page of `status`
 * (400-599; else 500), as Tornado's ErrorHandler: route args are a
 * gale_web_error_options.  Exempt from the XSRF check, so a POST gets the
 * error rather than 403. */
typedef struct gale_web_error_options {
  int status;
  GALE_RESERVED(8); /* room for fields added later (README: ABI) */
} gale_web_error_options;
GALE_EXPORT extern const gale_web_handler_class gale_web_error_handler;

/* The content type for a file name by its extension
 * ("text/html; charset=UTF-8"...), "application/octet-stream" otherwise.
 * Static string. */
GALE_EXPORT const char *gale_web_content_type(const char *filename);

#ifdef __cplusplus
}
#endif

#endif
