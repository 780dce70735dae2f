/* SPDX-License-Identifier: MIT */
/* The static file handler (Tornado's StaticFileHandler), static_url with
 * content hashes, the redirect handler, and content types by extension. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/openat2.h>
#include <sys/syscall.h>
#endif

#include "gale/buf.h"
#include "gale/httpdate.h"
#include "gale/url.h"
#include "gale/log.h"
#include "http/util/range.h"
#include "http/web/web_internal.h"

#define CACHE_MAX_AGE (86400L * 365 * 10) /* Tornado's, for ?v= URLs */
#define STATIC_HASH_CACHE_MAX 1024
#define STATIC_INLINE_MAX ((off_t)16 * 1024) /* files up to this are read, not sendfile'd */

static const struct {
  const char *ext;
  const char *type;
} types[] = {
    {"html", "text/html; charset=UTF-8"},
    {"htm", "text/html; charset=UTF-8"},
    {"css", "text/css; charset=UTF-8"},
    {"js", "application/javascript; charset=UTF-8"},
    {"mjs", "application/javascript; charset=UTF-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"txt", "text/plain; charset=UTF-8"},
    {"md", "text/markdown; charset=UTF-8"},
    {"csv", "text/csv; charset=UTF-8"},
    {"xml", "application/xml"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"ico", "image/x-icon"},
    {"pdf", "application/pdf"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"tgz", "application/gzip"},
    {"tar", "application/x-tar"},
    {"wasm", "application/wasm"},
    {"mp4", "video/mp4"},
    {"webm", "video/webm"},
    {"mp3", "audio/mpeg"},
    {"ogg", "audio/ogg"},
    {"wav", "audio/wav"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
};

const char *gale_web_content_type(const char *filename) {
  const char *slash = filename ? strrchr(filename, '/') : NULL;
  const char *base = slash ? slash + 1 : filename;
  const char *dot = base ? strrchr(base, '.') : NULL;
  if (dot && dot[1])
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
      if (strcasecmp(dot + 1, types[i].ext) == 0) return types[i].type;
  return "application/octet-stream";
}

/* Joins root and a decoded relative path, refusing "..", NUL and
 * backslashes; "." and empty segments are dropped.  Returns a malloc'd
 * path, or NULL with *status 403 (refused) or 500. */
static char *safe_join(const char *root, const char *rel, int *status) {
  size_t rlen = strlen(root), len = strlen(rel);
  char *out = malloc(rlen + len + 2);
  if (!out) {
    *status = 500;
    return NULL;
  }
  memcpy(out, root, rlen);
  size_t o = rlen;
  const char *p = rel;
  while (*p) {
    while (*p == '/') p++;
    const char *e = p;
    while (*e && *e != '/') e++;
    size_t n = (size_t)(e - p);
    if (n == 0) break;
    if ((n == 2 && p[0] == '.' && p[1] == '.') || memchr(p, '\\', n)) {
      free(out);
      *status = 403;
      return NULL;
    }
    if (!(n == 1 && p[0] == '.')) {
      out[o++] = '/';
      memcpy(out + o, p, n);
      o += n;
    }
    p = e;
  }
  out[o] = '\0';
  return out;
}

static bool under_root(const char *root_real, const char *path_real) {
  size_t n = strlen(root_real);
  if (strncmp(root_real, path_real, n) != 0) return false;
  return path_real[n] == '\0' || path_real[n] == '/' || (n == 1 && root_real[0] == '/');
}

/* If-Range (RFC 9110 §13.1.5): a Range applies only while the client's
 * copy is current.  An entity-tag matches by strong comparison (ours are
 * strong; a weak one never matches), a date only when it is exactly the
 * Last-Modified.  No If-Range: the Range applies. */
static bool if_range_holds(gale_web_handler *h, const char *etag, time_t mtime) {
  const char *v = gale_web_header(h, "If-Range");
  if (!v) return true;
  if (v[0] == '"' || strncmp(v, "W/", 2) == 0) return strcmp(v, etag) == 0;
  time_t t;
  return gale_http_date_parse(v, strlen(v), &t) == GALE_OK && t == mtime;
}

/* The file a request resolved to, and its entity-tag. */
typedef struct static_file {
  char path[PATH_MAX]; /* under the root (the real path on the slow path) */
  struct stat st;
  char etag[64];
  int fd; /* the file, already open (openat2 path), or -1 */
} static_file;

/* A directory: its default_filename when the URL ends in '/', else a
 * redirect to the URL with the slash.  Returns 0 with *f now the index
 * file, an HTTP status to send, or -1 when the redirect went. */
static int dir_index(gale_web_handler *h, const gale_web_static_options *o, static_file *f) {
  const char *upath = gale_web_path(h);
  size_t ulen = strlen(upath);
  if (!o->default_filename) return 403;
  if (ulen == 0 || upath[ulen - 1] != '/') {
    char *to = malloc(ulen + 2);
    if (!to) return 500;
    memcpy(to, upath, ulen);
    memcpy(to + ulen, "/", 2);
    gale_web_redirect(h, to, 301);
    free(to);
    return -1;
  }
  size_t pl = strlen(f->path), dl = strlen(o->default_filename);
  if (pl + 1 + dl + 1 > sizeof(f->path) || strchr(o->default_filename, '/')) return 403;
  f->path[pl] = '/';
  memcpy(f->path + pl + 1, o->default_filename, dl + 1);
  if (stat(f->path, &f->st) != 0) return 403;
  return 0;
}

/* The fast path for a regular file: the kernel resolves `joined` (root +
 * "/" + a normalized relative path) in one openat2 with no symlinks, or
 * beneath the root with RESOLVE_BENEATH, where realpath would readlink
 * every component.  Returns
 * 0 with f->fd open and f->st filled, an HTTP status, or 1 to take the
 * slow path (no openat2, a directory, an absolute symlink that may still
 * land under the root, anything unusual). */
static int open_beneath(const char *root, const char *joined, static_file *f) {
#if defined(__linux__) && defined(SYS_openat2)
  size_t rl = strlen(root);
  const char *rel = joined + rl;
  while (*rel == '/') rel++;
  if (!*rel || strlen(joined) >= sizeof(f->path)) return 1;
  /* First the whole path with no symlink anywhere in it: `joined` has no
   * ".." (safe_join), so without symlinks it cannot leave the root — one
   * system call.  A symlink (ELOOP) takes the walk beneath the root. */
  struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY, .resolve = RESOLVE_NO_SYMLINKS};
  int fd = (int)syscall(SYS_openat2, AT_FDCWD, joined, &how, sizeof(how));
  int e = errno;
  if (fd < 0 && e == ELOOP) {
    int dirfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) return 1;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    fd = (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
    e = errno;
    close(dirfd);
  }
  if (fd < 0) return e == ENOENT || e == ENOTDIR ? 404 : e == EACCES ? 403 : 1;
  if (fstat(fd, &f->st) != 0 || !S_ISREG(f->st.st_mode)) {
    close(fd);
    return 1;
  }
  memcpy(f->path, joined, strlen(joined) + 1);
  f->fd = fd;
  return 0;
#else
  (void)root, (void)joined, (void)f;
  return 1;
#endif
}

/* The route's path argument as a regular file under the root, refusing
 * "..", symlinks out of the root and anything not a regular file.
 * Returns 0 with *f filled, an HTTP status to send, or -1 when the
 * answer already went. */
static int resolve(gale_web_handler *h, const gale_web_static_options *o, static_file *f) {
  const char *rel = gale_web_path_arg(h, 0);
  int status = 404;
  char root_real[PATH_MAX];
  f->fd = -1;
  char *path = safe_join(o->root, rel ? rel : "", &status);
  if (!path) return status;
  if ((status = open_beneath(o->root, path, f)) != 1) {
    free(path);
    return status;
  }
  status = 404;
  if (!realpath(o->root, root_real)) {
    free(path);
    return 404;
  }
  if (!realpath(path, f->path)) {
    status = errno == EACCES ? 403 : 404;
    free(path);
    return status;
  }
  free(path);
  if (!under_root(root_real, f->path)) return 403;
  if (stat(f->path, &f->st) != 0) return 404;
  if (S_ISDIR(f->st.st_mode) && (status = dir_index(h, o, f)) != 0) return status;
  if (!S_ISREG(f->st.st_mode)) return 403;
  return 0;
}

/* The validators and the headers every answer about the file carries. */
static void set_file_headers(gale_web_handler *h, static_file *f) {
  char lm[40];
  snprintf(f->etag, sizeof(f->etag), "\"%llx-%llx\"", (unsigned long long)f->st.st_size,
           (unsigned long long)f->st.st_mtim.tv_sec * 1000000000ull +
               (unsigned long long)f->st.st_mtim.tv_nsec);
  gale_web_set_header(h, "Etag", f->etag);
  if (gale_http_date_format(f->st.st_mtime, lm, sizeof(lm)) >= 0)
    gale_web_set_header(h, "Last-Modified", lm);
  gale_web_set_header(h, "Accept-Ranges", "bytes");
  gale_web_set_header(h, "Content-Type", gale_web_content_type(f->path));
  const char *q = gale_web_query(h);
  if (gale_web_get_query_argument(h, "v", NULL) && q && *q) {
    char cc[64];
    snprintf(cc, sizeof(cc), "max-age=%ld, public", CACHE_MAX_AGE);
    gale_web_set_header(h, "Cache-Control", cc);
  }
}

/* Whether the client's copy is current: If-None-Match wins over
 * If-Modified-Since (RFC 9110 §13.2.2). */
static bool not_modified(gale_web_handler *h, const static_file *f) {
  const char *inm = gale_web_header(h, "If-None-Match");
  if (inm) return strstr(inm, f->etag) != NULL || strcmp(inm, "*") == 0;
  const char *ims = gale_web_header(h, "If-Modified-Since");
  time_t t;
  return ims && gale_http_date_parse(ims, strlen(ims), &t) == GALE_OK && f->st.st_mtime <= t;
}

/* The bytes to send, [*start, *end]: one satisfiable range (206), else the
 * whole file.  Returns false when the answer went (416). */
static bool pick_range(gale_web_handler *h, const static_file *f, off_t *start, off_t *end) {
  const char *range = gale_web_header(h, "Range");
  int64_t rs, re;
  *start = 0;
  *end = f->st.st_size - 1;
  if (!range || !if_range_holds(h, f->etag, f->st.st_mtime)) return true;
  int r = gale__range_parse(range, strlen(range), f->st.st_size, &rs, &re);
  if (r == GALE__RANGE_UNSATISFIABLE) {
    char cr[64];
    snprintf(cr, sizeof(cr), "bytes */%lld", (long long)f->st.st_size);
    gale_web_set_status(h, 416, NULL);
    gale_web_clear_header(h, "Etag");
    gale_web_set_header(h, "Content-Range", cr);
    gale_web_set_header(h, "Content-Type", "text/plain; charset=UTF-8");
    gale_web_finish(h);
    return false;
  }
  if (r == GALE__RANGE_OK) {
    char cr[96];
    *start = (off_t)rs;
    *end = (off_t)re;
    snprintf(cr, sizeof(cr), "bytes %lld-%lld/%lld", (long long)rs, (long long)re,
             (long long)f->st.st_size);
    gale_web_set_status(h, 206, NULL);
    gale_web_set_header(h, "Content-Range", cr);
  }
  return true;
}

/* Content-Length, the bytes [start, end] by sendfile (none for HEAD), and
 * the end of the answer. */
static void send_file(gale_web_handler *h, static_file *f, off_t start, off_t end) {
  off_t length = f->st.st_size == 0 ? 0 : end - start + 1;
  char cl[32];
  snprintf(cl, sizeof(cl), "%lld", (long long)length);
  gale_web_set_header(h, "Content-Length", cl);
  if (length > 0 && gale_http_server_request_get_status(gale_web_request(h)) != 304 &&
      strcmp(gale_web_method(h), "HEAD") != 0) {
    int fd = f->fd >= 0 ? f->fd : open(f->path, O_RDONLY | O_CLOEXEC);
    f->fd = -1; /* the server's now */
    if (fd < 0) {
      gale_web_clear_header(h, "Content-Length");
      gale_web_send_error(h, errno == EACCES ? 403 : 404);
      return;
    }
    if (length <= STATIC_INLINE_MAX) {
      /* A small file is read and leaves with the head in one write: two
       * sends (head, then sendfile) cost a TCP segment and a wake-up of
       * the peer more, and sendfile's set-up outweighs copying a few
       * kilobytes. */
      char *buf = malloc((size_t)length); /* not the stack: handlers may run on a coroutine's */
      ssize_t n = buf ? pread(fd, buf, (size_t)length, start) : -1;
      int e = buf ? errno : ENOMEM;
      close(fd);
      if (n != (ssize_t)length) { /* unreadable, or shortened since fstat */
        if (n < 0) gale_log_warning("app", "reading %s failed: %s", f->path, strerror(e));
        free(buf);
        gale_web_clear_header(h, "Content-Length");
        gale_web_send_error(h, 500);
        return;
      }
      gale_web_write(h, buf, (size_t)n);
      free(buf);
    } else {
      int rc = gale_http_server_request_write_file(gale_web_request(h), fd, start, length);
      if (rc != GALE_OK)
        gale_log_warning("app", "sending %s failed: %s", f->path, gale_strerror(rc));
    }
  }
  /* The ETag was set already: finish must not compute another. */
  gale_web_finish(h);
}

static void static_get(gale_web_handler *h) {
  const gale_web_static_options *o = gale_web_handler_route_args(h);
  static_file f;
  off_t start, end;
  if (!o || !o->root) {
    gale_web_send_error(h, 500);
    return;
  }
  int status = resolve(h, o, &f);
  if (status != 0) {
    if (status > 0) gale_web_send_error(h, status);
    return;
  }
  set_file_headers(h, &f);
  if (not_modified(h, &f)) {
    gale_web_set_status(h, 304, NULL);
    gale_web_clear_header(h, "Content-Type");
    gale_web_finish(h);
    if (f.fd >= 0) close(f.fd);
    return;
  }
  if (pick_range(h, &f, &start, &end)) send_file(h, &f, start, end);
  if (f.fd >= 0) close(f.fd); /* not sent: HEAD, 304, a refused range */
}

const gale_web_handler_class gale_web_static_handler = {
    .name = "StaticFileHandler",
    .get = static_get,
    .head = static_get,
};

/* ---- static_url -------------------------------------------------------------------------- */

static bool file_hash(const char *path, char out[17], time_t *mtime, off_t *size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return false;
  }
  uint64_t x = 1469598103934665603ull;
  unsigned char buf[16384];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0)
    for (ssize_t i = 0; i < n; i++) x = (x ^ buf[i]) * 1099511628211ull;
  close(fd);
  if (n < 0) return false;
  snprintf(out, 17, "%016llx", (unsigned long long)x);
  *mtime = st.st_mtime;
  *size = st.st_size;
  return true;
}

char *gale_web_static_url(gale_web_app *app, const char *path) {
  if (!app || !path || !app->static_path) return NULL;
  while (*path == '/') path++;
  int status;
  char *full = safe_join(app->static_path, path, &status);
  if (!full) return NULL;
  struct stat st;
  if (stat(full, &st) != 0) {
    free(full);
    return NULL;
  }
  gale__static_hash *e = app->hashes;
  while (e && strcmp(e->path, full) != 0) e = e->next;
  if (!e || e->mtime != st.st_mtime || e->size != st.st_size) {
    char hash[17];
    time_t mt;
    off_t sz;
    if (!file_hash(full, hash, &mt, &sz)) {
      free(full);
      return NULL;
    }
    if (!e) {
      if (app->nhashes >= STATIC_HASH_CACHE_MAX) {
        /* Bounded: start over rather than grow without limit. */
        while (app->hashes) {
          gale__static_hash *n = app->hashes->next;
          free(app->hashes->path);
          free(app->hashes);
          app->hashes = n;
        }
        app->nhashes = 0;
      }
      e = calloc(1, sizeof(*e));
      if (!e || !(e->path = strdup(full))) {
        free(e);
        free(full);
        return NULL;
      }
      e->next = app->hashes;
      app->hashes = e;
      app->nhashes++;
    }
    memcpy(e->hash, hash, 17);
    e->mtime = mt;
    e->size = sz;
  }
  free(full);
  size_t n = strlen(app->static_url_prefix) + strlen(path) * 3 + 24;
  char *url = malloc(n);
  if (!url) return NULL;
  size_t plen = strlen(app->static_url_prefix);
  memcpy(url, app->static_url_prefix, plen);
  size_t enc = 0;
  if (gale_percent_encode(path, strlen(path), GALE_PCT_KEEP_SLASH, url + plen, n - plen, &enc) !=
      GALE_OK) {
    free(url);
    return NULL;
  }
  snprintf(url + plen + enc, n - plen - enc, "?v=%s", e->hash);
  return url;
}

/* ---- redirect handler ---------------------------------------------------------------------- */

/* The target: "{N}" replaced by path argument N, then the request's query
 * (Tornado's url_concat). */
static int redirect_target(gale_web_handler *h, const char *tmpl, gale_buf *url) {
  int rc = GALE_OK;
  for (const char *p = tmpl; *p && rc == GALE_OK;) {
    if (p[0] == '{' && p[1] >= '0' && p[1] <= '9' && p[2] == '}') {
      const char *a = gale_web_path_arg(h, (size_t)(p[1] - '0'));
      if (a) rc = gale_buf_append_str(url, a);
      p += 3;
    } else {
      rc = gale_buf_append_byte(url, *p++);
    }
  }
  const char *query = gale_web_query(h);
  if (rc == GALE_OK && query && *query) {
    rc = gale_buf_append_byte(url, memchr(url->data, '?', url->len) ? '&' : '?');
    if (rc == GALE_OK) rc = gale_buf_append_str(url, query);
  }
  if (rc == GALE_OK) rc = gale_buf_append_byte(url, '\0');
  return rc;
}

static void redirect_get(gale_web_handler *h) {
  const gale_web_redirect_options *o = gale_web_handler_route_args(h);
  gale_buf url;
  gale_buf_init(&url, 0);
  if (!o || !o->url || redirect_target(h, o->url, &url) != GALE_OK ||
      gale_web_redirect(h, url.data, o->temporary ? 302 : 301) != GALE_OK)
    gale_web_send_error(h, 500);
  gale_buf_release(&url);
}

const gale_web_handler_class gale_web_redirect_handler = {
    .name = "RedirectHandler",
    .get = redirect_get,
    .head = redirect_get,
};

static void error_prepare(gale_web_handler *h) {
  const gale_web_error_options *o = gale_web_handler_route_args(h);
  gale_web_send_error(h, o ? o->status : 500);
}

const gale_web_handler_class gale_web_error_handler = {
    .name = "ErrorHandler",
    .prepare = error_prepare,
    .no_xsrf_check = true,
};
