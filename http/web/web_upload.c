/* SPDX-License-Identifier: MIT */
/* Streaming multipart/form-data uploads (tornado#2582): for a class with
 * `uploads`, a multipart body is parsed as it arrives with the streaming
 * parser (gale/multipart.h); plain fields are kept in memory (bounded per
 * field and in total), files in memory up to a threshold and past it in a
 * temporary file (mkstemp under $TMPDIR), so the whole body is never held.
 * Temporary files are closed and unlinked when the handler is freed.
 *
 * Disk writes are plain write(2) calls on the loop thread, as a Tornado
 * handler's data_received writing to a file does. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gale/buf.h"
#include "gale/content_type.h"
#include "gale/log.h"
#include "core/alloc.h"
#include "http/web/web_internal.h"

#define DEFAULT_MAX_PARTS 1000
#define DEFAULT_MAX_HEADER 8192
#define DEFAULT_MAX_FIELD 65536
#define DEFAULT_THRESHOLD 65536
#define DEFAULT_MAX_MEMORY (1u << 20)

typedef struct upload_file {
  gale_web_upload pub;
  char *strings; /* name\0filename\0content_type\0 */
  gale_buf mem;  /* the data while in memory */
  char *path;    /* the temporary file, once spooled */
} upload_file;

struct gale__web_uploads {
  gale_web_handler *h;
  gale_multipart_stream *parser;
  size_t max_field, threshold, max_memory;
  const char *tmp_dir;
  gale_params *fields; /* handed to the body arguments */
  gale_buf field;      /* the value of the field being read */
  char *field_name;
  size_t field_name_len;
  upload_file *files;
  size_t nfiles, cap;
  upload_file *cur; /* the file being read, or NULL */
  size_t mem;       /* bytes held now: fields, in-memory files, the parser's */
  size_t peak;
  const char *detail; /* why it failed (static) */
};

static void account(gale__web_uploads *u, ssize_t delta) {
  u->mem = (size_t)((ssize_t)u->mem + delta);
  size_t now = u->mem + gale_multipart_stream_memory(u->parser);
  if (now > u->peak) u->peak = now;
}

static int fail(gale__web_uploads *u, int rc, const char *detail) {
  if (!u->detail) u->detail = detail;
  return rc;
}

static int on_begin(const gale_multipart_part *p, void *arg) {
  gale__web_uploads *u = arg;
  if (!p->filename) {
    free(u->field_name);
    u->field_name = gale__malloc(p->name_len + 1);
    if (!u->field_name) return fail(u, GALE_ENOMEM, "out of memory");
    memcpy(u->field_name, p->name, p->name_len + 1);
    u->field_name_len = p->name_len;
    gale_buf_reset(&u->field);
    u->cur = NULL;
    return GALE_OK;
  }
  if (u->nfiles == u->cap) {
    size_t ncap = u->cap ? u->cap * 2 : 4;
    upload_file *nf = realloc(u->files, ncap * sizeof(*nf));
    if (!nf) return fail(u, GALE_ENOMEM, "out of memory");
    u->files = nf;
    u->cap = ncap;
  }
  upload_file *f = &u->files[u->nfiles];
  memset(f, 0, sizeof(*f));
  const char *ct = p->content_type ? p->content_type : "application/octet-stream";
  size_t ctl = strlen(ct);
  f->strings = gale__malloc(p->name_len + p->filename_len + ctl + 3);
  if (!f->strings) return fail(u, GALE_ENOMEM, "out of memory");
  u->nfiles++;
  char *s = f->strings;
  memcpy(s, p->name, p->name_len + 1);
  f->pub.name = s;
  s += p->name_len + 1;
  memcpy(s, p->filename, p->filename_len + 1);
  f->pub.filename = s;
  s += p->filename_len + 1;
  memcpy(s, ct, ctl + 1);
  f->pub.content_type = s;
  f->pub.fd = -1;
  gale_buf_init(&f->mem, 0);
  u->cur = f;
  return GALE_OK;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return GALE_ENOMEM;
    p += w;
    n -= (size_t)w;
  }
  return GALE_OK;
}

/* Moves an in-memory file to a temporary file. */
static int spool(gale__web_uploads *u, upload_file *f) {
  size_t dl = strlen(u->tmp_dir);
  f->path = gale__malloc(dl + 24);
  if (!f->path) return fail(u, GALE_ENOMEM, "out of memory");
  snprintf(f->path, dl + 24, "%s/gale-upload-XXXXXX", u->tmp_dir);
  int fd = mkostemp(f->path, O_CLOEXEC);
  if (fd < 0) {
    gale_log_error("app", "upload: cannot create a temporary file in %s: %s", u->tmp_dir,
                   strerror(errno));
    free(f->path);
    f->path = NULL;
    return fail(u, GALE_ENOMEM, "the server could not store the upload");
  }
  f->pub.fd = fd;
  f->pub.path = f->path;
  if (f->mem.len && write_all(fd, f->mem.data, f->mem.len) != GALE_OK) {
    gale_log_error("app", "upload: writing %s: %s", f->path, strerror(errno));
    return fail(u, GALE_ENOMEM, "the server could not store the upload");
  }
  account(u, -(ssize_t)f->mem.len);
  gale_buf_release(&f->mem);
  return GALE_OK;
}

static int on_data(const char *d, size_t n, void *arg) {
  gale__web_uploads *u = arg;
  upload_file *f = u->cur;
  if (!f) {
    if (u->field.len + n > u->max_field)
      return fail(u, GALE_EHTTP_PARSE, "a form field is larger than the handler allows");
    if (u->mem + n > u->max_memory)
      return fail(u, GALE_EHTTP_PARSE, "the form fields are larger than the handler allows");
    if (gale_buf_append(&u->field, d, n) != GALE_OK) return fail(u, GALE_ENOMEM, "out of memory");
    account(u, (ssize_t)n);
    return GALE_OK;
  }
  f->pub.size += n;
  if (f->pub.fd < 0) {
    if (f->mem.len + n <= u->threshold && u->mem + n <= u->max_memory) {
      if (gale_buf_append(&f->mem, d, n) != GALE_OK) return fail(u, GALE_ENOMEM, "out of memory");
      account(u, (ssize_t)n);
      return GALE_OK;
    }
    int rc = spool(u, f);
    if (rc != GALE_OK) return rc;
  }
  if (write_all(f->pub.fd, d, n) != GALE_OK) {
    gale_log_error("app", "upload: writing %s: %s", f->path, strerror(errno));
    return fail(u, GALE_ENOMEM, "the server could not store the upload");
  }
  return GALE_OK;
}

static int on_end(void *arg) {
  gale__web_uploads *u = arg;
  upload_file *f = u->cur;
  u->cur = NULL;
  if (!f) {
    int rc = gale_params_add(u->fields, u->field_name, u->field_name_len,
                             u->field.len ? u->field.data : "", u->field.len);
    gale_buf_reset(&u->field);
    return rc == GALE_OK ? rc : fail(u, GALE_ENOMEM, "out of memory");
  }
  if (f->pub.fd < 0) {
    /* NUL-terminated, for text files read as strings. */
    if (gale_buf_append_byte(&f->mem, '\0') != GALE_OK)
      return fail(u, GALE_ENOMEM, "out of memory");
    f->mem.len--;
    f->pub.data = f->mem.data ? f->mem.data : "";
  }
  return GALE_OK;
}

static const gale_multipart_callbacks upload_cb = {
    .part_begin = on_begin, .part_data = on_data, .part_end = on_end};

/* The body's boundary when the request is multipart/form-data: 1, with
 * boundary set; 0 when it is another type; -1 for multipart without a
 * usable boundary. */
static int multipart_boundary(gale_http_server_request *req, gale_params *params,
                              const char **boundary, size_t *blen) {
  const char *ct = gale_http_server_request_header(req, "Content-Type");
  if (!ct) return 0;
  char type[64];
  if (gale_content_type_parse(ct, strlen(ct), type, sizeof(type), params) != GALE_OK) return 0;
  if (strcmp(type, "multipart/form-data") != 0) return 0;
  *boundary = gale_params_get(params, "boundary", blen);
  return *boundary ? 1 : -1;
}

int gale__web_uploads_start(gale_web_handler *h) {
  const gale_web_upload_options *o = h->cls->uploads;
  gale_params *params = gale_params_new();
  if (!params) return GALE_ENOMEM;
  const char *boundary = NULL;
  size_t blen = 0;
  int kind = multipart_boundary(h->req, params, &boundary, &blen);
  if (kind <= 0) {
    gale_params_free(params);
    return kind == 0 ? GALE_OK : GALE_EHTTP_PARSE;
  }
  gale__web_uploads *u = gale__calloc(1, sizeof(*u));
  if (!u) {
    gale_params_free(params);
    return GALE_ENOMEM;
  }
  u->h = h;
  gale_multipart_limits lim;
  gale_multipart_limits_init(&lim);
  lim.max_parts = o->max_parts ? o->max_parts : DEFAULT_MAX_PARTS;
  lim.max_header_size = o->max_header_size ? o->max_header_size : DEFAULT_MAX_HEADER;
  u->max_field = o->max_field_size ? o->max_field_size : DEFAULT_MAX_FIELD;
  u->threshold = o->memory_threshold ? o->memory_threshold : DEFAULT_THRESHOLD;
  u->max_memory = o->max_memory ? o->max_memory : DEFAULT_MAX_MEMORY;
  u->tmp_dir = o->tmp_dir;
  if (!u->tmp_dir || !*u->tmp_dir) u->tmp_dir = getenv("TMPDIR");
  if (!u->tmp_dir || !*u->tmp_dir) u->tmp_dir = "/tmp";
  gale_buf_init(&u->field, 0);
  u->fields = gale_params_new();
  int rc = u->fields ? gale_multipart_stream_new(boundary, blen, &lim, &upload_cb, u, &u->parser)
                     : GALE_ENOMEM;
  gale_params_free(params);
  h->uploads = u; /* freed with the handler, whatever happens now */
  if (rc == GALE_EINVAL) return GALE_EHTTP_PARSE;
  return rc;
}

int gale__web_uploads_feed(gale_web_handler *h, const char *data, size_t len) {
  gale__web_uploads *u = h->uploads;
  int rc = gale_multipart_stream_feed(u->parser, data, len);
  account(u, 0);
  if (rc == GALE_OK) return rc;
  if (!u->detail) u->detail = gale_multipart_stream_detail(u->parser);
  /* Every parser failure is the client's: 400. */
  return rc == GALE_ENOMEM ? rc : GALE_EHTTP_PARSE;
}

int gale__web_uploads_finish(gale_web_handler *h) {
  gale__web_uploads *u = h->uploads;
  int rc = gale_multipart_stream_finish(u->parser);
  if (rc != GALE_OK && !u->detail) u->detail = gale_multipart_stream_detail(u->parser);
  return rc;
}

const char *gale__web_uploads_detail(const gale_web_handler *h) {
  const gale__web_uploads *u = h->uploads;
  return u && u->detail ? u->detail : "malformed multipart/form-data body";
}

gale_params *gale__web_uploads_take_fields(gale_web_handler *h) {
  gale__web_uploads *u = h->uploads;
  if (!u) return NULL;
  gale_params *p = u->fields;
  u->fields = NULL;
  return p;
}

void gale__web_uploads_free(gale_web_handler *h) {
  gale__web_uploads *u = h->uploads;
  if (!u) return;
  h->uploads = NULL;
  for (size_t i = 0; i < u->nfiles; i++) {
    upload_file *f = &u->files[i];
    if (f->pub.fd >= 0) close(f->pub.fd);
    if (f->path && unlink(f->path) != 0 && errno != ENOENT)
      gale_log_warning("app", "upload: cannot remove %s: %s", f->path, strerror(errno));
    free(f->path);
    free(f->strings);
    gale_buf_release(&f->mem);
  }
  free(u->files);
  gale_multipart_stream_free(u->parser);
  gale_params_free(u->fields);
  gale_buf_release(&u->field);
  free(u->field_name);
  free(u);
}

/* ---- the handler's view ---- */

static bool complete(const gale_web_handler *h) { return h && h->uploads && h->uploads_done; }

size_t gale_web_upload_count(const gale_web_handler *h, const char *field) {
  if (!complete(h)) return 0;
  size_t n = 0;
  for (size_t i = 0; i < h->uploads->nfiles; i++)
    if (!field || strcmp(h->uploads->files[i].pub.name, field) == 0) n++;
  return n;
}

const gale_web_upload *gale_web_get_upload(const gale_web_handler *h, const char *field,
                                           size_t index) {
  if (!complete(h)) return NULL;
  for (size_t i = 0; i < h->uploads->nfiles; i++) {
    const upload_file *f = &h->uploads->files[i];
    if (field && strcmp(f->pub.name, field) != 0) continue;
    if (index-- == 0) return &f->pub;
  }
  return NULL;
}

size_t gale_web_upload_memory_peak(const gale_web_handler *h) {
  return h && h->uploads ? h->uploads->peak : 0;
}
