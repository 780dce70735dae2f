/* SPDX-License-Identifier: MIT */
/* The web tests' one fixture (test_web*.c, test_static.c, test_http_curl.c):
 * a loop, a gale_web_app, the server it listens with on 127.0.0.1, and
 * fetch helpers over the raw client of test_http_server_util.h.
 *
 * User mode (web_user_mode): the server is built by hand with hooks that
 * give every request the application's own `user` pointer before the web
 * layer sees it, and check it is still there when each hook of the web
 * layer returns — the web layer keeps its handler in a slot of its own.
 * test_web.c's and test_web_security.c's suites run once plainly and once
 * in user mode. */
#ifndef GALE_TEST_WEB_UTIL_H
#define GALE_TEST_WEB_UTIL_H

#include "gale/web.h"
#include "test_http_server_util.h"

typedef struct wfix {
  gale_loop *loop;
  gale_web_app *app;
  gale_http_server *server;
  int port;
  int fds_before;
  char *dir;     /* a temporary directory removed by wfix_stop, or NULL */
  bool compress; /* the app's compress_response (gale_web_app_listen's job) */
} wfix;

static bool web_user_mode;
static char web_user_mark; /* the application's pointer: &web_user_mark */
static int web_user_seen, web_user_bad;

static inline void web_user_check(gale_http_server_request *req) {
  web_user_seen++;
  if (gale_http_server_request_get_user(req) != &web_user_mark) web_user_bad++;
}

static inline void web_user_headers_cb(gale_http_server_request *req, void *arg) {
  gale_http_server_request_set_user(req, &web_user_mark);
  gale_web_app_headers_cb(req, arg);
  web_user_check(req); /* the server frees a request only after its hook returns */
}

static inline void web_user_request_cb(gale_http_server_request *req, void *arg) {
  web_user_check(req);
  gale_web_app_request_cb(req, arg);
  web_user_check(req);
}

/* Inside a handler: the application's pointer is intact (user mode). */
static inline void web_user_check_handler(gale_web_handler *h) {
  if (web_user_mode) web_user_check(gale_web_request(h));
}

/* A fresh loop and app (opts may be NULL: the defaults). */
static inline void wfix_open(wfix *f, const gale_web_app_options *o) {
  memset(f, 0, sizeof(*f));
  f->fds_before = th_count_fds();
  f->loop = gale_loop_new();
  assert_non_null(f->loop);
  f->app = gale_web_app_new(o);
  assert_non_null(f->app);
  f->compress = o && o->compress_response;
}

/* Listens on an ephemeral port (ho NULL: defaults without access log). */
static inline void wfix_listen(wfix *f, const gale_http_server_options *ho) {
  gale_http_server_options o;
  if (ho) {
    o = *ho;
  } else {
    gale_http_server_options_init(&o);
    o.access_log = false;
  }
  if (!web_user_mode) {
    assert_int_equal(gale_web_app_listen(f->app, f->loop, 0, "127.0.0.1", &o, &f->server), GALE_OK);
  } else {
    o.headers_cb = web_user_headers_cb;
    if (f->compress) o.compress_response = true;
    assert_int_equal(gale_http_server_new(f->loop, &o, web_user_request_cb, f->app, &f->server),
                     GALE_OK);
    assert_int_equal(gale_http_server_listen(f->server, 0, "127.0.0.1"), GALE_OK);
  }
  f->port = gale_http_server_port(f->server);
}

static inline void wfix_stop(wfix *f) {
  gale_http_server_free(f->server);
  th_run_for(f->loop, 0.05);
  gale_web_app_free(f->app);
  gale_loop_free(f->loop);
  if (f->dir) th_rmtree(f->dir);
  assert_int_equal(th_count_fds(), f->fds_before);
  assert_int_equal(web_user_bad, 0);
}

/* One request on a fresh connection; returns the response (for HEAD: the
 * head only). */
static inline void wfix_fetch(wfix *f, const char *raw, tresp *r) {
  tclient c;
  bool head = strncmp(raw, "HEAD", 4) == 0;
  tc_open(&c, f->port);
  tc_send(&c, raw);
  if (head)
    TH_RUN_UNTIL(f->loop, (tc_poll(&c), strstr(c.buf, "\r\n\r\n") != NULL), 5);
  else
    TH_RUN_UNTIL(f->loop, tc_count(&c) >= 1, 5);
  tc_get(&c, 0, head, r);
  tc_close(&c);
}

/* GET `path` with optional extra header lines (each ending in CRLF). */
static inline void wfix_get(wfix *f, const char *path, const char *extra, tresp *r) {
  char raw[2048];
  snprintf(raw, sizeof(raw), "GET %s HTTP/1.1\r\nHost: h\r\n%s\r\n", path, extra ? extra : "");
  wfix_fetch(f, raw, r);
}

/* cmocka group setups: the plain run and the user-mode run. */
static inline int web_plain_setup(void **state) {
  (void)state;
  web_user_mode = false;
  return 0;
}
static inline int web_user_setup(void **state) {
  (void)state;
  web_user_mode = true;
  web_user_seen = web_user_bad = 0;
  return 0;
}
/* The user-mode run saw requests, and every one kept its pointer. */
static inline int web_user_teardown(void **state) {
  (void)state;
  web_user_mode = false;
  return web_user_seen > 0 && web_user_bad == 0 ? 0 : -1;
}

#endif
