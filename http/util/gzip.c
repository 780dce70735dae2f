/* SPDX-License-Identifier: MIT */
/* Streaming gzip over zlib (contract in http/util/gzip.h). */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "http/util/gzip.h"

struct gale_gzip {
  z_stream zs;
  uint64_t total_in, total_out, max_output;
  int status;       /* GALE_OK or the sticky error */
  uint8_t mode;     /* gale_gzip_mode */
  uint8_t live;     /* zs holds zlib state to end */
  uint8_t ended;    /* decompression: the current member ended */
  uint8_t finished; /* finish() ran */
};

static int gz_fail(gale_gzip *z, int status) {
  z->status = status;
  return status;
}

static void release(gale_gzip *z) {
  if (!z->live) return;
  if (z->mode == GALE_GZIP_COMPRESS)
    deflateEnd(&z->zs);
  else
    inflateEnd(&z->zs);
  z->live = 0;
}

int gale__gzip_new(gale_gzip **out, gale_gzip_mode mode, int level, uint64_t max_output) {
  if (!out || (mode != GALE_GZIP_COMPRESS && mode != GALE_GZIP_DECOMPRESS) || level > 9)
    return GALE_EINVAL;
  *out = NULL;
  gale_gzip *z = calloc(1, sizeof *z);
  if (!z) return GALE_ENOMEM;
  z->mode = (uint8_t)mode;
  z->max_output = max_output ? max_output : GALE_GZIP_DEFAULT_MAX_OUTPUT;
  int rc;
  if (mode == GALE_GZIP_COMPRESS) {
    /* windowBits 15 + 16: gzip wrapper.  memLevel 8 is zlib's default. */
    rc = deflateInit2(&z->zs, level > 0 ? level : 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  } else {
    /* 15 + 32: detect gzip or zlib from the header. */
    rc = inflateInit2(&z->zs, 15 + 32);
  }
  if (rc != Z_OK) {
    free(z);
    return rc == Z_MEM_ERROR ? GALE_ENOMEM : GALE_EINVAL;
  }
  z->live = 1;
  *out = z;
  return GALE_OK;
}

void gale__gzip_free(gale_gzip *z) {
  if (!z) return;
  release(z);
  free(z);
}

uint64_t gale__gzip_total_in(const gale_gzip *z) { return z->total_in; }

uint64_t gale__gzip_total_out(const gale_gzip *z) { return z->total_out; }

/* Hands `n` bytes of output to the sink, counting and capping them. */
static int emit(gale_gzip *z, const char *buf, size_t n, gale_gzip_sink_fn sink, void *arg) {
  if (n == 0) return GALE_OK;
  if (z->mode == GALE_GZIP_DECOMPRESS && n > z->max_output - z->total_out)
    return gz_fail(z, GALE_EHTTP_BODY_TOO_LARGE);
  z->total_out += n;
  int rc = sink(arg, buf, n);
  return rc < 0 ? gz_fail(z, rc) : GALE_OK;
}

/* Runs deflate with `flush` until it has consumed all input and has no more
 * output for this flush mode. */
static int run_deflate(gale_gzip *z, int flush, gale_gzip_sink_fn sink, void *arg) {
  char out[GALE_GZIP_CHUNK];
  for (;;) {
    z->zs.next_out = (Bytef *)out;
    z->zs.avail_out = sizeof out;
    int rc = deflate(&z->zs, flush);
    if (rc == Z_STREAM_ERROR) return gz_fail(z, GALE_ESTATE);
    int e = emit(z, out, sizeof out - z->zs.avail_out, sink, arg);
    if (e) return e;
    if (rc == Z_STREAM_END) return GALE_OK;
    /* Output space left over means deflate is done for this call. */
    if (z->zs.avail_out != 0 && z->zs.avail_in == 0) return GALE_OK;
  }
}

/* Inflates everything in zs.next_in.  A gzip member may be followed by
 * another (RFC 1952 §2.2); anything else after the end is an error. */
static int run_inflate(gale_gzip *z, gale_gzip_sink_fn sink, void *arg) {
  char out[GALE_GZIP_CHUNK];
  while (z->zs.avail_in > 0) {
    if (z->ended) {
      if (z->zs.next_in[0] != 0x1f) return gz_fail(z, GALE_EHTTP_DECOMPRESS);
      if (inflateReset(&z->zs) != Z_OK) return gz_fail(z, GALE_EHTTP_DECOMPRESS);
      z->ended = 0;
    }
    uInt before = z->zs.avail_in;
    z->zs.next_out = (Bytef *)out;
    z->zs.avail_out = sizeof out;
    int rc = inflate(&z->zs, Z_NO_FLUSH);
    if (rc == Z_MEM_ERROR) return gz_fail(z, GALE_ENOMEM);
    if (rc == Z_OK && z->zs.avail_in == before && z->zs.avail_out == sizeof out)
      return gz_fail(z, GALE_EHTTP_DECOMPRESS); /* no progress: never loop */
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
      return gz_fail(z, GALE_EHTTP_DECOMPRESS);
    int e = emit(z, out, sizeof out - z->zs.avail_out, sink, arg);
    if (e) return e;
    if (rc == Z_STREAM_END)
      z->ended = 1;
    else if (rc == Z_BUF_ERROR && z->zs.avail_out != 0)
      break; /* needs more input */
  }
  /* Output may remain inside zlib when the last call filled `out` exactly. */
  while (!z->ended && z->zs.avail_out == 0) {
    z->zs.next_out = (Bytef *)out;
    z->zs.avail_out = sizeof out;
    int rc = inflate(&z->zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
      return gz_fail(z, GALE_EHTTP_DECOMPRESS);
    int e = emit(z, out, sizeof out - z->zs.avail_out, sink, arg);
    if (e) return e;
    if (rc == Z_STREAM_END) z->ended = 1;
    if (rc == Z_BUF_ERROR) break;
  }
  return GALE_OK;
}

static int check_usable(gale_gzip *z, gale_gzip_sink_fn sink) {
  if (!z || !sink) return GALE_EINVAL;
  if (z->status) return z->status;
  if (z->finished || !z->live) return GALE_ESTATE;
  return GALE_OK;
}

int gale__gzip_write(gale_gzip *z, const void *data, size_t len, gale_gzip_sink_fn sink,
                     void *arg) {
  int rc = check_usable(z, sink);
  if (rc) return rc;
  const unsigned char *p = data;
  while (len > 0) {
    /* avail_in is a uInt: feed huge inputs in slices. */
    uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
    z->zs.next_in = (Bytef *)(uintptr_t)p;
    z->zs.avail_in = n;
    z->total_in += n;
    rc = z->mode == GALE_GZIP_COMPRESS ? run_deflate(z, Z_NO_FLUSH, sink, arg)
                                       : run_inflate(z, sink, arg);
    z->zs.next_in = NULL;
    z->zs.avail_in = 0;
    if (rc) {
      release(z);
      return rc;
    }
    p += n;
    len -= n;
  }
  return GALE_OK;
}

int gale__gzip_flush(gale_gzip *z, gale_gzip_sink_fn sink, void *arg) {
  int rc = check_usable(z, sink);
  if (rc || z->mode != GALE_GZIP_COMPRESS) return rc;
  rc = run_deflate(z, Z_SYNC_FLUSH, sink, arg);
  if (rc) release(z);
  return rc;
}

int gale__gzip_finish(gale_gzip *z, gale_gzip_sink_fn sink, void *arg) {
  int rc = check_usable(z, sink);
  if (rc) return rc;
  if (z->mode == GALE_GZIP_COMPRESS) {
    rc = run_deflate(z, Z_FINISH, sink, arg);
  } else if (!z->ended && z->total_in > 0) {
    rc = gz_fail(z, GALE_EHTTP_TRUNCATED);
  }
  z->finished = 1;
  release(z);
  return rc;
}

/* ---- content negotiation helpers -------------------------------------- */

static bool ci_prefix(const char *s, size_t n, const char *lit) {
  size_t l = strlen(lit);
  if (n < l) return false;
  for (size_t i = 0; i < l; i++) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c + 32);
    if (c != lit[i]) return false;
  }
  return true;
}

static bool ci_eq(const char *s, size_t n, const char *lit) {
  return n == strlen(lit) && ci_prefix(s, n, lit);
}

static bool ci_suffix(const char *s, size_t n, const char *lit) {
  size_t l = strlen(lit);
  return n >= l && ci_prefix(s + n - l, l, lit);
}

bool gale__gzip_compressible_type(const char *ctype, size_t len) {
  static const char *const exact[] = {
      "application/json",
      "application/javascript",
      "application/x-javascript",
      "application/ecmascript",
      "application/xml",
      "application/xhtml+xml",
      "application/rss+xml",
      "application/atom+xml",
      "application/wasm",
      "application/x-www-form-urlencoded",
      "application/graphql",
      "application/manifest+json",
      "application/ld+json",
      "image/svg+xml",
      "image/x-icon",
      "image/vnd.microsoft.icon",
      "image/bmp",
      "font/ttf",
      "font/otf",
      "application/vnd.ms-fontobject",
      "application/x-font-ttf",
      "application/x-sh",
      "application/x-yaml",
      "application/yaml",
      "application/toml",
      "application/sql",
  };
  if (!ctype) return false;
  /* The media type ends at ';' or whitespace. */
  size_t n = 0;
  while (n < len && ctype[n] != ';' && ctype[n] != ' ' && ctype[n] != '\t') n++;
  if (ci_prefix(ctype, n, "text/")) return n > 5;
  for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
    if (ci_eq(ctype, n, exact[i])) return true;
  if (ci_prefix(ctype, n, "application/") &&
      (ci_suffix(ctype, n, "+json") || ci_suffix(ctype, n, "+xml")))
    return true;
  return false;
}

/* Accept-Encoding: 1#( codings [ weight ] ), weight = OWS ";" OWS "q=" qvalue. */
bool gale__gzip_accepted(const char *ae, size_t len) {
  bool gzip = false, gzip_seen = false, star = false;
  size_t i = 0;
  if (!ae) return false;
  while (i < len) {
    while (i < len && (ae[i] == ' ' || ae[i] == '\t' || ae[i] == ',')) i++;
    size_t s = i;
    while (i < len && ae[i] != ',' && ae[i] != ';' && ae[i] != ' ' && ae[i] != '\t') i++;
    size_t e = i;
    bool zero = false;
    /* parameters up to the next comma: look for q=0 (0, 0.0, 0.00, 0.000) */
    while (i < len && ae[i] != ',') {
      if (ae[i] == 'q' || ae[i] == 'Q') {
        size_t j = i + 1;
        while (j < len && (ae[j] == ' ' || ae[j] == '\t')) j++;
        if (j < len && ae[j] == '=' &&
            (i == 0 || ae[i - 1] == ';' || ae[i - 1] == ' ' || ae[i - 1] == '\t')) {
          j++;
          while (j < len && (ae[j] == ' ' || ae[j] == '\t')) j++;
          if (j < len && ae[j] == '0') {
            zero = true;
            for (j++; j < len && ae[j] != ',' && ae[j] != ';'; j++)
              if (ae[j] >= '1' && ae[j] <= '9') zero = false;
          }
        }
      }
      i++;
    }
    if (ci_eq(ae + s, e - s, "gzip") || ci_eq(ae + s, e - s, "x-gzip")) {
      gzip_seen = true;
      gzip = !zero;
    } else if (e - s == 1 && ae[s] == '*') {
      star = !zero;
    }
  }
  return gzip_seen ? gzip : star;
}
