/* SPDX-License-Identifier: MIT */
/* Tornado's blog demo in C:  examples/blog/blog [PORT] [DBFILE]
 * (defaults 8888 and blog.db; PORT 0 picks a free port, printed).
 *
 * Entries are written in Markdown and rendered with libcmark in its safe
 * mode (raw HTML in an entry never reaches the page as markup), kept in
 * SQLite with every query on the loop's executor (blog_db.c), and shown
 * through templates (templates/, one base layout).  Authors log in with a
 * password (PBKDF2) and a signed cookie; XSRF cookies are on; next= after
 * login only goes to a path on this site.  Routes:
 *   GET /  /archive  /feed (Atom)  /entry/SLUG
 *   GET/POST /compose        (authenticated; title, markdown, ?id=N edits)
 *   GET/POST /auth/create    (the first author: email, name, password)
 *   GET/POST /auth/login     (email, password)   GET /auth/logout
 * Every handler is a coroutine: a query reads as a call.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmark.h>

#include "blog.h"

#define USER_COOKIE "blogdemo_user"

static gale_loop *loop;

/* The signed cookie holds the author as JSON ({"id", "name", "email"}):
 * the signature makes it trustworthy, so no query per request. */
static json_t *current_user(gale_web_handler *h) {
  const char *v = gale_web_get_signed_cookie(h, USER_COOKIE, 31);
  return v ? json_loads(v, 0, NULL) : NULL;
}

static void now_iso(char *out, size_t cap) {
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* next= only to a path of this site: "/x", never "//host" or "/\host". */
static const char *local_next(gale_web_handler *h) {
  const char *next = gale_web_get_argument(h, "next", "/");
  if (next[0] != '/' || next[1] == '/' || next[1] == '\\' || strpbrk(next, "\r\n")) return "/";
  return next;
}

static int render(gale_web_handler *h, const char *name, json_t *ctx) {
  int rc = gale_web_render(h, name, ctx);
  json_decref(ctx);
  return rc;
}

/* ---- reading ---------------------------------------------------------------------------- */

static int home(gale_web_handler *h) {
  json_t *entries =
      db_rows(loop, "SELECT * FROM entries ORDER BY published DESC, id DESC LIMIT 5", NULL);
  if (!entries) return GALE_ESYS;
  return render(h, "home.html", json_pack("{s:o}", "entries", entries));
}

static int archive(gale_web_handler *h) {
  json_t *entries = db_rows(loop, "SELECT * FROM entries ORDER BY published DESC, id DESC", NULL);
  if (!entries) return GALE_ESYS;
  return render(h, "archive.html", json_pack("{s:o}", "entries", entries));
}

static int feed(gale_web_handler *h) {
  json_t *entries =
      db_rows(loop, "SELECT * FROM entries ORDER BY updated DESC, id DESC LIMIT 10", NULL);
  if (!entries) return GALE_ESYS;
  gale_web_set_header(h, "Content-Type", "application/atom+xml; charset=UTF-8");
  return render(h, "feed.xml", json_pack("{s:o}", "entries", entries));
}

static int entry(gale_web_handler *h) {
  json_t *rows = db_rows(loop, "SELECT * FROM entries WHERE slug = ?",
                         json_pack("[s]", gale_web_path_arg(h, 0)));
  if (!rows) return GALE_ESYS;
  if (!json_array_size(rows)) {
    json_decref(rows);
    return gale_web_send_error(h, 404);
  }
  json_t *ctx = json_pack("{s:O}", "entry", json_array_get(rows, 0));
  json_decref(rows);
  return render(h, "entry.html", ctx);
}

/* ---- writing ---------------------------------------------------------------------------- */

static int compose_get(gale_web_handler *h) {
  const char *id = gale_web_get_argument(h, "id", NULL);
  json_t *e = json_null();
  if (id) {
    json_t *rows = db_rows(loop, "SELECT * FROM entries WHERE id = ?",
                           json_pack("[I]", (json_int_t)atoll(id)));
    if (rows && json_array_size(rows)) e = json_incref(json_array_get(rows, 0));
    json_decref(rows);
  }
  return render(h, "compose.html", json_pack("{s:o}", "entry", e));
}

/* A slug from the title: lower-case letters and digits, dashes between. */
static void make_slug(const char *title, char *out, size_t cap) {
  size_t o = 0;
  bool dash = false;
  for (const unsigned char *p = (const unsigned char *)title; *p && o + 2 < cap; p++) {
    if (isalnum(*p)) {
      if (dash && o) out[o++] = '-';
      out[o++] = (char)tolower(*p);
      dash = false;
    } else {
      dash = true;
    }
  }
  out[o] = '\0';
  if (!o) snprintf(out, cap, "entry");
}

static int compose_post(gale_web_handler *h) {
  json_t *user = gale_web_current_user(h);
  const char *id = gale_web_get_argument(h, "id", NULL);
  const char *title = gale_web_get_argument(h, "title", "");
  const char *md = gale_web_get_argument(h, "markdown", "");
  if (!*title) return gale_web_send_error(h, 400);
  /* CMARK_OPT_DEFAULT is cmark's safe mode: raw HTML and javascript:
   * links become comments and empty links. */
  char *html = cmark_markdown_to_html(md, strlen(md), CMARK_OPT_DEFAULT);
  char now[32], slug[128];
  now_iso(now, sizeof(now));
  int rc = GALE_OK;
  if (id) {
    json_t *rows = db_rows(loop, "SELECT slug FROM entries WHERE id = ?",
                           json_pack("[I]", (json_int_t)atoll(id)));
    if (!rows || !json_array_size(rows)) {
      rc = gale_web_send_error(h, 404);
    } else {
      snprintf(slug, sizeof(slug), "%s",
               json_string_value(json_object_get(json_array_get(rows, 0), "slug")));
      if (db_exec(loop,
                  "UPDATE entries SET title = ?, markdown = ?, html = ?, updated = ? WHERE id = ?",
                  json_pack("[ssssI]", title, md, html, now, (json_int_t)atoll(id))) < 0)
        rc = GALE_ESYS;
    }
    json_decref(rows);
  } else {
    make_slug(title, slug, sizeof(slug) - 8);
    for (;;) { /* Tornado's demo: "-2" until the slug is free */
      json_t *rows = db_rows(loop, "SELECT 1 FROM entries WHERE slug = ?", json_pack("[s]", slug));
      bool taken = rows && json_array_size(rows);
      json_decref(rows);
      if (!taken || strlen(slug) + 3 > sizeof(slug)) break;
      strcat(slug, "-2");
    }
    if (db_exec(loop,
                "INSERT INTO entries (author_id, title, slug, markdown, html, published, updated) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                json_pack("[Isssss s]", json_integer_value(json_object_get(user, "id")), title,
                          slug, md, html, now, now)) < 0)
      rc = GALE_ESYS;
  }
  free(html);
  if (rc != GALE_OK || gale_web_finished(h)) return rc;
  char url[160];
  snprintf(url, sizeof(url), "/entry/%s", slug);
  return gale_web_redirect(h, url, 302);
}

/* ---- authors ---------------------------------------------------------------------------- */

static bool any_author(void) {
  json_t *rows = db_rows(loop, "SELECT 1 FROM authors LIMIT 1", NULL);
  bool any = rows && json_array_size(rows);
  json_decref(rows);
  return any;
}

static int log_in(gale_web_handler *h, long long id, const char *name, const char *email) {
  json_t *u = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "name", name, "email", email);
  char *v = json_dumps(u, JSON_COMPACT);
  json_decref(u);
  int rc = v ? gale_web_set_signed_cookie(h, USER_COOKIE, v, 30) : GALE_ENOMEM;
  free(v);
  return rc == GALE_OK ? gale_web_redirect(h, local_next(h), 302) : rc;
}

static int create_get(gale_web_handler *h) {
  if (any_author()) return gale_web_send_error(h, 400);
  return render(h, "create_author.html", NULL);
}

static int create_post(gale_web_handler *h) {
  const char *email = gale_web_get_argument(h, "email", ""),
             *name = gale_web_get_argument(h, "name", "");
  const char *password = gale_web_get_argument(h, "password", "");
  if (any_author() || !*email || !*name || !*password) return gale_web_send_error(h, 400);
  char *hashed = hash_password(loop, password);
  long long id =
      hashed ? db_exec(loop, "INSERT INTO authors (email, name, hashed_password) VALUES (?, ?, ?)",
                       json_pack("[sss]", email, name, hashed))
             : -1;
  free(hashed);
  if (id < 0) return GALE_ESYS;
  return log_in(h, id, name, email);
}

static int login_get(gale_web_handler *h) {
  if (!any_author()) return gale_web_redirect(h, "/auth/create", 302);
  return render(h, "login.html", json_pack("{s:n, s:s}", "error", "next", local_next(h)));
}

static int login_post(gale_web_handler *h) {
  const char *email = gale_web_get_argument(h, "email", ""),
             *password = gale_web_get_argument(h, "password", "");
  json_t *rows = db_rows(loop, "SELECT * FROM authors WHERE email = ?", json_pack("[s]", email));
  json_t *a = rows ? json_array_get(rows, 0) : NULL;
  int rc;
  if (a && check_password(loop, password, json_string_value(json_object_get(a, "hashed_password"))))
    rc = log_in(h, json_integer_value(json_object_get(a, "id")),
                json_string_value(json_object_get(a, "name")), email);
  else
    rc = render(
        h, "login.html",
        json_pack("{s:s, s:s}", "error", "incorrect email or password", "next", local_next(h)));
  json_decref(rows);
  return rc;
}

static int logout(gale_web_handler *h) {
  gale_web_clear_cookie(h, USER_COOKIE, "/", NULL);
  return gale_web_redirect(h, local_next(h), 302);
}

/* ---- the application -------------------------------------------------------------------- */

static const gale_web_handler_class home_class = {
    .name = "Home", .coroutine = true, .co.get = home};
static const gale_web_handler_class archive_class = {
    .name = "Archive", .coroutine = true, .co.get = archive};
static const gale_web_handler_class feed_class = {
    .name = "Feed", .coroutine = true, .co.get = feed};
static const gale_web_handler_class entry_class = {
    .name = "Entry", .coroutine = true, .co.get = entry};
static const gale_web_handler_class compose_class = {.name = "Compose",
                                                     .coroutine = true,
                                                     .co.get = compose_get,
                                                     .co.post = compose_post,
                                                     .authenticated = GALE_WEB_AUTH_ALL};
static const gale_web_handler_class create_class = {
    .name = "AuthCreate", .coroutine = true, .co.get = create_get, .co.post = create_post};
static const gale_web_handler_class login_class = {
    .name = "AuthLogin", .coroutine = true, .co.get = login_get, .co.post = login_post};
static const gale_web_handler_class logout_class = {
    .name = "AuthLogout", .coroutine = true, .co.get = logout};

int main(int argc, char **argv) {
  int port = argc > 1 ? atoi(argv[1]) : 8888;
  const char *dbfile = argc > 2 ? argv[2] : "blog.db";
  /* Templates and static files sit beside the sources; BLOG_DIR moves them. */
  const char *dir = getenv("BLOG_DIR") ? getenv("BLOG_DIR") : BLOG_SRCDIR;
  char templates[1024], statics[1024];
  snprintf(templates, sizeof(templates), "%s/templates", dir);
  snprintf(statics, sizeof(statics), "%s/static", dir);
  if (db_open(dbfile) < 0) return 1;
  const char *secret = db_cookie_secret();
  loop = gale_loop_new();
  if (!secret || !loop) return 1;

  gale_web_app_options opts;
  gale_web_app_options_init(&opts);
  opts.cookie_secret = secret;
  opts.xsrf_cookies = true;
  opts.login_url = "/auth/login";
  opts.get_current_user = current_user;
  opts.template_path = templates;
  opts.static_path = statics;
  gale_web_app *app = gale_web_app_new(&opts);
  gale_http_server *server = NULL;
  if (!app || gale_web_app_add(app, "/", &home_class, NULL, NULL) != GALE_OK ||
      gale_web_app_add(app, "/archive", &archive_class, NULL, NULL) != GALE_OK ||
      gale_web_app_add(app, "/feed", &feed_class, NULL, NULL) != GALE_OK ||
      gale_web_app_add(app, "/entry/([^/]+)", &entry_class, NULL, NULL) != GALE_OK ||
      gale_web_app_add(app, "/compose", &compose_class, NULL, NULL) != GALE_OK ||
      gale_web_app_add(app, "/auth/create", &create_class, NULL, NULL) != GALE_OK ||
      gale_web_app_add(app, "/auth/login", &login_class, NULL, NULL) != GALE_OK ||
      gale_web_app_add(app, "/auth/logout", &logout_class, NULL, NULL) != GALE_OK ||
      gale_web_app_listen(app, loop, port, "127.0.0.1", NULL, &server) != GALE_OK) {
    fprintf(stderr, "blog: cannot listen on port %d\n", port);
    return 1;
  }
  printf("blog: http://127.0.0.1:%d/\n", gale_http_server_port(server));
  fflush(stdout);
  gale_loop_stop_on_signals(loop);
  int rc = gale_loop_run(loop);
  gale_http_server_free(server);
  gale_loop_run_once(loop, 0);
  gale_web_app_free(app);
  gale_loop_free(loop);
  db_close();
  return rc == GALE_OK ? 0 : 1;
}
