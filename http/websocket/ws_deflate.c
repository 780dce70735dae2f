/* SPDX-License-Identifier: MIT */
/* permessage-deflate (RFC 7692): parameter negotiation and the message
 * codec (contract in http/websocket/ws_deflate.h). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "core/alloc.h"
#include "gale/error.h"
#include "http/websocket/ws_deflate.h"

#define EXT_NAME "permessage-deflate"

void gale__ws_deflate_options_init(gale_ws_deflate_options *o) {
  if (!o) return;
  memset(o, 0, sizeof *o);
  o->level = -1;
  o->mem_level = 8;
}

void gale__ws_deflate_params_init(gale_ws_deflate_params *p) {
  if (!p) return;
  memset(p, 0, sizeof *p);
  p->server_max_window_bits = 15;
  p->client_max_window_bits = 15;
}

static bool bits_ok(int bits) { return bits >= 8 && bits <= 15; }

static bool options_ok(const gale_ws_deflate_options *o) {
  return o->level >= -1 && o->level <= 9 && o->mem_level >= 1 && o->mem_level <= 9 &&
         (o->server_max_window_bits == 0 || bits_ok(o->server_max_window_bits)) &&
         (o->client_max_window_bits == 0 || bits_ok(o->client_max_window_bits));
}

/* ---- the header's list syntax (RFC 6455 §9.1, RFC 9110 §5.6) ----------------- */

enum { MAX_PARAMS = 8, MAX_VALUE = 15 };

typedef struct ext_param {
  const char *name;
  size_t name_len;
  bool has_value;
  bool value_fits; /* the (unquoted) value fit in `value` */
  char value[MAX_VALUE + 1];
} ext_param;

typedef struct ext_elem {
  const char *name;
  size_t name_len;
  ext_param params[MAX_PARAMS];
  size_t n;
  bool too_many;
} ext_elem;

static bool is_tchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static const char *skip_ows(const char *s) {
  while (*s == ' ' || *s == '\t') s++;
  return s;
}

static const char *token(const char *s, size_t *len) {
  const char *start = s;
  while (is_tchar((unsigned char)*s)) s++;
  *len = (size_t)(s - start);
  return start;
}

/* A token or quoted-string value at s, unquoted into p->value; returns the
 * end, or NULL on a syntax error.  A quoted value must unquote to a token
 * (RFC 6455 §9.1). */
static const char *param_value(const char *s, ext_param *p) {
  size_t n = 0;
  p->has_value = true;
  p->value_fits = true;
  if (*s != '"') {
    size_t len;
    token(s, &len);
    if (len == 0) return NULL;
    p->value_fits = len <= MAX_VALUE;
    if (p->value_fits) {
      memcpy(p->value, s, len);
      p->value[len] = '\0';
    }
    return s + len;
  }
  for (s++; *s != '"'; s++) {
    if (*s == '\\') s++;
    if (!is_tchar((unsigned char)*s)) return NULL; /* also the end of the string */
    if (n < MAX_VALUE) p->value[n] = *s;
    n++;
  }
  if (n == 0) return NULL;
  p->value_fits = n <= MAX_VALUE;
  p->value[p->value_fits ? n : 0] = '\0';
  return s + 1;
}

/* Parses the next element of the list at *sp into e.  Returns 1 for an
 * element, 0 at the end of the list, -1 for a syntax error.  Empty elements
 * (",,") are skipped, as RFC 9110 §5.6.1 asks of recipients. */
static int next_element(const char **sp, ext_elem *e) {
  const char *s = *sp;
  for (;;) {
    s = skip_ows(s);
    if (*s != ',') break;
    s++;
  }
  if (*s == '\0') return 0;
  memset(e, 0, sizeof *e);
  e->name = token(s, &e->name_len);
  if (e->name_len == 0) return -1;
  s = skip_ows(s + e->name_len);
  while (*s == ';') {
    ext_param tmp, *p = e->n < MAX_PARAMS ? &e->params[e->n] : &tmp;
    memset(p, 0, sizeof *p);
    s = skip_ows(s + 1);
    p->name = token(s, &p->name_len);
    if (p->name_len == 0) return -1;
    s = skip_ows(s + p->name_len);
    if (*s == '=') {
      s = param_value(skip_ows(s + 1), p);
      if (!s) return -1;
      s = skip_ows(s);
    }
    if (e->n < MAX_PARAMS)
      e->n++;
    else
      e->too_many = true;
  }
  if (*s != ',' && *s != '\0') return -1;
  *sp = s;
  return 1;
}

static bool named(const char *s, size_t len, const char *name) {
  return len == strlen(name) && strncasecmp(s, name, len) == 0;
}

/* ---- permessage-deflate's parameters (RFC 7692 §7.1) ----------------------- */

/* One element's parameters.  0 window bits: absent; cmwb_bare: the
 * parameter without a value. */
typedef struct pmd {
  bool snct, cnct, cmwb_present;
  int smwb, cmwb;
} pmd;

/* "8".."15" with no leading zero or sign. */
static int window_value(const ext_param *p) {
  if (!p->has_value || !p->value_fits) return 0;
  const char *v = p->value;
  if (v[0] >= '8' && v[0] <= '9' && v[1] == '\0') return v[0] - '0';
  if (v[0] == '1' && v[1] >= '0' && v[1] <= '5' && v[2] == '\0') return 10 + v[1] - '0';
  return 0;
}

/* Reads e's parameters; false for an unknown or repeated parameter, a
 * value on a flag, a missing or bad window value.  `cmwb_needs_value`:
 * an answer's client_max_window_bits must carry one, an offer's need not. */
static bool read_pmd(const ext_elem *e, bool cmwb_needs_value, pmd *out) {
  memset(out, 0, sizeof *out);
  if (e->too_many) return false;
  bool seen[4] = {false};
  for (size_t i = 0; i < e->n; i++) {
    const ext_param *p = &e->params[i];
    int k = named(p->name, p->name_len, "server_no_context_takeover")   ? 0
            : named(p->name, p->name_len, "client_no_context_takeover") ? 1
            : named(p->name, p->name_len, "server_max_window_bits")     ? 2
            : named(p->name, p->name_len, "client_max_window_bits")     ? 3
                                                                        : -1;
    if (k < 0 || seen[k]) return false;
    seen[k] = true;
    if (k <= 1) {
      if (p->has_value) return false;
      *(k == 0 ? &out->snct : &out->cnct) = true;
    } else if (k == 2) {
      if (!(out->smwb = window_value(p))) return false;
    } else {
      out->cmwb_present = true;
      if ((p->has_value || cmwb_needs_value) && !(out->cmwb = window_value(p))) return false;
    }
  }
  return true;
}

static int min_bits(int a, int b) { return a < b ? a : b; }

/* Writes "permessage-deflate" and the parameters of an answer or offer. */
static int write_pmd(gale_buf *b, bool snct, bool cnct, int smwb, bool cmwb_present, int cmwb) {
  int rc = gale_buf_append_str(b, EXT_NAME);
  if (rc == GALE_OK && snct) rc = gale_buf_append_str(b, "; server_no_context_takeover");
  if (rc == GALE_OK && cnct) rc = gale_buf_append_str(b, "; client_no_context_takeover");
  if (rc == GALE_OK && smwb) rc = gale_buf_printf(b, "; server_max_window_bits=%d", smwb);
  if (rc == GALE_OK && cmwb_present)
    rc = cmwb ? gale_buf_printf(b, "; client_max_window_bits=%d", cmwb)
              : gale_buf_append_str(b, "; client_max_window_bits");
  return rc;
}

bool gale__ws_deflate_negotiate(const char *value, const gale_ws_deflate_options *opts,
                                gale_ws_deflate_params *out, gale_buf *response) {
  if (!opts || !opts->enabled || !options_ok(opts) || !value || !out || !response) return false;
  const char *s = value;
  ext_elem e;
  int rc;
  pmd offer;
  while ((rc = next_element(&s, &e)) == 1) {
    if (named(e.name, e.name_len, EXT_NAME) && read_pmd(&e, false, &offer)) break;
  }
  if (rc != 1) return false;
  gale_ws_deflate_params p;
  gale__ws_deflate_params_init(&p);
  p.server_no_context_takeover = offer.snct || opts->server_no_context_takeover;
  p.client_no_context_takeover = offer.cnct || opts->client_no_context_takeover;
  /* Our window: what we want, no more than the client allows. */
  int smwb = opts->server_max_window_bits;
  if (offer.smwb) smwb = smwb ? min_bits(smwb, offer.smwb) : offer.smwb;
  if (smwb) p.server_max_window_bits = smwb;
  /* The client's: limited only if it said it can be (§7.1.2.2); a value
   * it offered is echoed, as Tornado does. */
  int cmwb = 0;
  if (offer.cmwb_present) {
    cmwb = opts->client_max_window_bits;
    if (offer.cmwb) cmwb = cmwb ? min_bits(cmwb, offer.cmwb) : offer.cmwb;
  }
  if (cmwb) p.client_max_window_bits = cmwb;
  size_t before = response->len;
  if (write_pmd(response, p.server_no_context_takeover, p.client_no_context_takeover, smwb,
                cmwb != 0, cmwb) != GALE_OK) {
    gale_buf_set_len(response, before);
    return false;
  }
  *out = p;
  return true;
}

int gale__ws_deflate_offer(const gale_ws_deflate_options *opts, gale_buf *offer) {
  if (!opts || !offer) return GALE_EINVAL;
  if (!opts->enabled) return GALE_ENOENT;
  if (!options_ok(opts)) return GALE_EINVAL;
  size_t before = offer->len;
  int rc = write_pmd(offer, opts->server_no_context_takeover, opts->client_no_context_takeover,
                     opts->server_max_window_bits, true, opts->client_max_window_bits);
  if (rc != GALE_OK && offer->data) gale_buf_set_len(offer, before);
  return rc;
}

int gale__ws_deflate_accept(const char *value, const gale_ws_deflate_options *opts,
                            gale_ws_deflate_params *out) {
  if (!opts || !out) return GALE_EINVAL;
  const char *s = value ? value : "";
  ext_elem e;
  int rc = next_element(&s, &e);
  if (rc == 0) return GALE_ENOENT;
  pmd ans;
  if (rc < 0 || !opts->enabled || !named(e.name, e.name_len, EXT_NAME) || !read_pmd(&e, true, &ans))
    return GALE_EHTTP_PARSE;
  if (next_element(&s, &e) != 0) return GALE_EHTTP_PARSE; /* one extension only: ours */
  if (opts->server_no_context_takeover && !ans.snct) return GALE_EHTTP_PARSE;
  if (opts->server_max_window_bits && (!ans.smwb || ans.smwb > opts->server_max_window_bits))
    return GALE_EHTTP_PARSE;
  if (ans.cmwb && opts->client_max_window_bits && ans.cmwb > opts->client_max_window_bits)
    return GALE_EHTTP_PARSE;
  gale_ws_deflate_params p;
  gale__ws_deflate_params_init(&p);
  p.server_no_context_takeover = ans.snct;
  p.client_no_context_takeover = ans.cnct || opts->client_no_context_takeover;
  if (ans.smwb) p.server_max_window_bits = ans.smwb;
  if (ans.cmwb)
    p.client_max_window_bits = ans.cmwb;
  else if (opts->client_max_window_bits)
    p.client_max_window_bits = opts->client_max_window_bits; /* our own promise */
  *out = p;
  return GALE_OK;
}

/* ---- the codec ---------------------------------------------------------------- */

struct gale_ws_deflate {
  z_stream d, i;
  bool d_live, i_live;
  bool d_reset, i_reset; /* no context takeover: end the stream after each message */
  int d_bits, i_bits;    /* zlib windowBits (9..15) */
  int level, mem_level;
  int d_error, i_error; /* sticky */
  size_t min_size;
};

/* zlib allocates through gale's wrappers, so the allocation-failure tests
 * reach its paths too. */
static voidpf z_alloc(voidpf opaque, uInt items, uInt size) {
  (void)opaque;
  if (size && items > SIZE_MAX / size) return Z_NULL;
  return gale__malloc((size_t)items * size);
}

static void z_free(voidpf opaque, voidpf p) {
  (void)opaque;
  free(p);
}

static int zlib_bits(int negotiated) { return negotiated < 9 ? 9 : negotiated; }

gale_ws_deflate *gale__ws_deflate_new(const gale_ws_deflate_params *params, bool server_role,
                                      const gale_ws_deflate_options *opts) {
  gale_ws_deflate_options defaults;
  gale__ws_deflate_options_init(&defaults);
  if (!opts) opts = &defaults;
  if (!params || !bits_ok(params->server_max_window_bits) ||
      !bits_ok(params->client_max_window_bits) || !options_ok(opts))
    return NULL;
  gale_ws_deflate *d = gale__calloc(1, sizeof *d);
  if (!d) return NULL;
  bool ours_reset =
      server_role ? params->server_no_context_takeover : params->client_no_context_takeover;
  bool theirs_reset =
      server_role ? params->client_no_context_takeover : params->server_no_context_takeover;
  int ours_bits = server_role ? params->server_max_window_bits : params->client_max_window_bits;
  int theirs_bits = server_role ? params->client_max_window_bits : params->server_max_window_bits;
  d->d_reset = ours_reset;
  d->i_reset = theirs_reset;
  d->d_bits = zlib_bits(ours_bits);
  d->i_bits = zlib_bits(theirs_bits);
  d->level = opts->level;
  d->mem_level = opts->mem_level;
  d->min_size = opts->min_size;
  return d;
}

bool gale__ws_deflate_should_compress(const gale_ws_deflate *d, size_t len) {
  return d && len >= d->min_size;
}

static void end_deflate(gale_ws_deflate *d) {
  if (d->d_live) deflateEnd(&d->d);
  d->d_live = false;
}

static void end_inflate(gale_ws_deflate *d) {
  if (d->i_live) inflateEnd(&d->i);
  d->i_live = false;
}

static int zlib_status(int zr) { return zr == Z_MEM_ERROR ? GALE_ENOMEM : GALE_EINVAL; }

static int start_deflate(gale_ws_deflate *d) {
  if (d->d_live) return GALE_OK;
  memset(&d->d, 0, sizeof d->d);
  d->d.zalloc = z_alloc;
  d->d.zfree = z_free;
  int zr = deflateInit2(&d->d, d->level, Z_DEFLATED, -d->d_bits, d->mem_level, Z_DEFAULT_STRATEGY);
  if (zr != Z_OK) return zlib_status(zr);
  d->d_live = true;
  return GALE_OK;
}

static int start_inflate(gale_ws_deflate *d) {
  if (d->i_live) return GALE_OK;
  memset(&d->i, 0, sizeof d->i);
  d->i.zalloc = z_alloc;
  d->i.zfree = z_free;
  int zr = inflateInit2(&d->i, -d->i_bits);
  if (zr != Z_OK) return zlib_status(zr);
  d->i_live = true;
  return GALE_OK;
}

/* Runs deflate with Z_SYNC_FLUSH until all input is in and the flush is
 * out (zlib: call again while it fills the output). */
static int deflate_all(z_stream *z, gale_buf *out) {
  for (;;) {
    size_t room = z->avail_in / 2 + 256;
    if (room > UINT_MAX) room = UINT_MAX;
    int rc = gale_buf_reserve(out, room);
    if (rc != GALE_OK) return rc;
    z->next_out = (Bytef *)out->data + out->len;
    z->avail_out = (uInt)room;
    int zr = deflate(z, Z_SYNC_FLUSH);
    gale_buf_set_len(out, out->len + (room - z->avail_out));
    if (zr != Z_OK && zr != Z_BUF_ERROR) return GALE_EINVAL;
    if (z->avail_in == 0 && z->avail_out != 0) return GALE_OK;
  }
}

int gale__ws_deflate_compress(gale_ws_deflate *d, const uint8_t *msg, size_t len, gale_buf *out) {
  if (!d || !out || (!msg && len)) return GALE_EINVAL;
  if (d->d_error) return d->d_error;
  int rc = start_deflate(d);
  if (rc != GALE_OK) return d->d_error = rc;
  size_t base = out->len;
  static const uint8_t empty[1];
  d->d.next_in = (Bytef *)(msg ? msg : empty);
  /* zlib counts in uInt: feed a huge message in pieces. */
  size_t left = len;
  do {
    size_t piece = left > UINT_MAX ? UINT_MAX : left;
    d->d.avail_in = (uInt)piece;
    left -= piece;
    rc = deflate_all(&d->d, out);
  } while (rc == GALE_OK && left > 0);
  if (rc == GALE_OK && out->len == base) {
    /* An empty message right after a flush: zlib has nothing to emit.
     * One 00 byte is the empty stored block the receiver completes. */
    rc = gale_buf_append(out, "\x00\x00\x00\xff\xff", 5);
  }
  if (rc == GALE_OK &&
      (out->len - base < 4 || memcmp(out->data + out->len - 4, "\x00\x00\xff\xff", 4) != 0))
    rc = GALE_EINVAL; /* a sync flush always ends so */
  if (rc != GALE_OK) {
    if (out->data) gale_buf_set_len(out, base);
    end_deflate(d);
    return d->d_error = rc;
  }
  gale_buf_set_len(out, out->len - 4);
  if (d->d_reset) end_deflate(d); /* no context to keep: give the memory back */
  return GALE_OK;
}

/* One input piece through inflate, the output capped at `limit` bytes past
 * `base` in out.  Returns GALE_OK when the piece is used up (or the stream
 * ended: *ended), GALE_ELIMIT past the cap, or an error. */
static int inflate_piece(z_stream *z, gale_buf *out, size_t base, size_t limit, bool *ended) {
  for (;;) {
    size_t produced = out->len - base;
    uint8_t probe;
    size_t room = limit - produced;
    if (room > 65536) room = 65536;
    if (room == 0) {
      /* At the cap: one more byte out means too large. */
      z->next_out = &probe;
      z->avail_out = 1;
    } else {
      int rc = gale_buf_reserve(out, room);
      if (rc != GALE_OK) return rc;
      z->next_out = (Bytef *)out->data + out->len;
      z->avail_out = (uInt)room;
    }
    int zr = inflate(z, Z_SYNC_FLUSH);
    size_t got = (room ? room : 1) - z->avail_out;
    if (room == 0 && got) return GALE_ELIMIT;
    if (room) gale_buf_set_len(out, out->len + got);
    if (zr == Z_STREAM_END) {
      *ended = true;
      return GALE_OK;
    }
    if (zr == Z_MEM_ERROR) return GALE_ENOMEM;
    if (zr != Z_OK && zr != Z_BUF_ERROR) return GALE_EHTTP_DECOMPRESS;
    if (z->avail_in == 0 && z->avail_out != 0) return GALE_OK;
    if (zr == Z_BUF_ERROR && z->avail_out != 0) return GALE_EHTTP_DECOMPRESS; /* stuck */
  }
}

int gale__ws_deflate_inflate(gale_ws_deflate *d, const uint8_t *msg, size_t len, size_t max_out,
                             gale_buf *out) {
  if (!d || !out || (!msg && len)) return GALE_EINVAL;
  if (d->i_error) return d->i_error;
  if (len == 0) return GALE_OK; /* nothing to inflate: an empty message */
  int rc = start_inflate(d);
  if (rc != GALE_OK) return d->i_error = rc;
  size_t base = out->len;
  /* The buffer grows by doubling: clamp it to the cap while we fill it. */
  size_t saved_max = out->max;
  size_t cap = max_out > SIZE_MAX - 1 - base ? SIZE_MAX - 1 : base + max_out;
  if (out->max == 0 || out->max > cap) out->max = cap;
  size_t limit = out->max - base; /* the smaller of max_out and out's own room */
  /* The message, then the 00 00 ff ff its sender stripped. */
  static const uint8_t tail[4] = {0x00, 0x00, 0xff, 0xff};
  const uint8_t *pieces[2] = {msg, tail};
  size_t lens[2] = {len, sizeof tail};
  bool ended = false;
  for (int k = 0; k < 2 && rc == GALE_OK && !ended; k++) {
    const uint8_t *at = pieces[k];
    size_t left = lens[k];
    while (rc == GALE_OK && !ended && left > 0) {
      size_t n = left > UINT_MAX ? UINT_MAX : left; /* zlib counts in uInt */
      d->i.next_in = (Bytef *)at;
      d->i.avail_in = (uInt)n;
      rc = inflate_piece(&d->i, out, base, limit, &ended);
      at += n - d->i.avail_in;
      left -= n - d->i.avail_in;
    }
  }
  out->max = saved_max;
  if (rc == GALE_ELIMIT && limit < max_out) rc = GALE_EBUFFULL; /* out's own max */
  if (rc != GALE_OK) {
    end_inflate(d);
    return d->i_error = rc;
  }
  if (ended) {
    /* A final block: the stream is over; the next message starts anew. */
    end_inflate(d);
  } else if (d->i_reset) {
    end_inflate(d);
  }
  return GALE_OK;
}

int gale__ws_deflate_close_code(int status) {
  switch (status) {
  case GALE_ELIMIT:
  case GALE_EBUFFULL: return 1009;
  case GALE_EHTTP_DECOMPRESS: return 1007;
  default: return 1011;
  }
}

unsigned gale__ws_deflate_streams(const gale_ws_deflate *d) {
  return d ? (d->d_live ? 1u : 0u) | (d->i_live ? 2u : 0u) : 0;
}

void gale__ws_deflate_free(gale_ws_deflate *d) {
  if (!d) return;
  end_deflate(d);
  end_inflate(d);
  free(d);
}
