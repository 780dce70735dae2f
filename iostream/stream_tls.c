/* SPDX-License-Identifier: MIT */
/* TLS on a gale_stream (gale/tls.h): OpenSSL driven directly over the
 * stream's socket, the stream's buffers holding plaintext.
 *
 * OpenSSL rules followed here (DESIGN.md): ERR_clear_error() before each
 * SSL call; after a successful read keep reading until WANT_READ, because
 * bytes held inside OpenSSL never wake the socket; a read may want to write
 * and a write may want to read; a write that would block is retried with the
 * same length (the buffer may move: SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
 * unexpected EOF is SSL_ERROR_SSL / SSL_R_UNEXPECTED_EOF_WHILE_READING; one
 * SSL_shutdown sends close_notify before the fd closes. */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/loop_internal.h"
#include "iostream/stream_priv.h"

#define TLS_READ_BUDGET ((size_t)1024 * 1024)
#define TLS_READ_CHUNK ((size_t)16 * 1024) /* SSL_read gives one record (16 KiB) at most */
#define TLS_RECORD ((size_t)16 * 1024)
#define TLS_WRITE_MAX ((size_t)256 * 1024)

enum gale__tls_state {
  GALE__TLS_WAIT_FLUSH = 1, /* plaintext before the upgrade still leaving */
  GALE__TLS_HANDSHAKE,
  GALE__TLS_OPEN
};

struct gale__tls {
  SSL *ssl;
  gale_tls_ctx *ctx;
  int state;
  bool server;
  bool hs_want_read, hs_want_write;
  bool read_wants_write; /* SSL_read said WANT_WRITE */
  bool write_wants_read; /* SSL_write said WANT_READ */
  bool fatal;            /* no SSL_shutdown after a fatal error */
  bool shutdown_done;
  bool hs_notify; /* outcome ready for the handshake callback */
  bool hs_reported;
  bool drained; /* SSL_read said WANT_READ: what OpenSSL holds is a partial record */
  int hs_status;
  gale_stream_handshake_cb hs_cb;
  void *hs_arg;
  size_t retry_len;
  uint64_t plain_left; /* plaintext still to send in clear before the handshake */
  bool timer_on;
  struct event hs_timer;
  char alpn[256];
  char err[256];
};

static void on_hs_timeout(evutil_socket_t fd, short what, void *arg) {
  gale_stream *s = arg;
  gale__stream_ref(s);
  snprintf(s->tls->err, sizeof(s->tls->err), "handshake timed out");
  gale__stream_fail(s, GALE_ETIMEDOUT_TLS, 0);
  gale__stream_dispatch(s);
  gale__stream_unref(s);
}

static bool is_ip_literal(const char *host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static int setup_client(struct gale__tls *t, const char *hostname) {
  if (!hostname) return GALE_OK;
  bool ip = is_ip_literal(hostname);
  /* SNI only for DNS names (RFC 6066 §3). */
  if (!ip && !SSL_set_tlsext_host_name(t->ssl, hostname)) return GALE_EINVAL;
  if (gale__tls_ctx_insecure(t->ctx)) return GALE_OK;
  if (ip) {
    if (!X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), hostname)) return GALE_EINVAL;
  } else {
    /* Names only from subjectAltName, never a CN; no "f*o.example.com". */
    SSL_set_hostflags(t->ssl,
                      X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
    if (!SSL_set1_host(t->ssl, hostname)) return GALE_EINVAL;
  }
  return GALE_OK;
}

int gale_stream_start_tls(gale_stream *stream, gale_tls_ctx *ctx, bool server_side,
                          const char *hostname, double timeout, gale_stream_handshake_cb cb,
                          void *arg) {
  if (!stream || !ctx || timeout < 0) return GALE_EINVAL;
  if (gale_tls_ctx_is_server(ctx) != server_side) return GALE_EINVAL;
  if (!server_side && !hostname && !gale__tls_ctx_insecure(ctx)) return GALE_EINVAL;
  if (gale__stream_is_closed(stream)) return GALE_ECLOSED;
  /* Bytes lent to the read callback that is calling us are consumed. */
  if (stream->tls || gale__buf_len(stream->in) > stream->handing ||
      stream->phase == GALE__SP_LINGERING || stream->phase == GALE__SP_CLOSING)
    return GALE_ESTATE;
  struct gale__tls *t = calloc(1, sizeof(*t));
  if (!t) return GALE_ENOMEM;
  ERR_clear_error();
  t->ssl = SSL_new(gale__tls_ctx_ssl(ctx));
  if (!t->ssl) {
    free(t);
    return GALE_ENOMEM;
  }
  t->ctx = gale_tls_ctx_ref(ctx);
  t->server = server_side;
  int rc = server_side ? GALE_OK : setup_client(t, hostname);
  if (rc || !SSL_set_fd(t->ssl, stream->fd)) {
    SSL_free(t->ssl);
    gale_tls_ctx_unref(t->ctx);
    free(t);
    ERR_clear_error();
    return rc ? rc : GALE_ENOMEM;
  }
  if (server_side)
    SSL_set_accept_state(t->ssl);
  else
    SSL_set_connect_state(t->ssl);
  t->hs_cb = cb;
  t->hs_arg = arg;
  t->state = GALE__TLS_WAIT_FLUSH;
  event_assign(&t->hs_timer, gale__stream_base(stream), -1, 0, on_hs_timeout, stream);
  if (timeout > 0) {
    struct timeval tv = gale__timeval(timeout);
    event_add(&t->hs_timer, &tv);
    t->timer_on = true;
  }
  stream->tls = t;
  stream->xp = &gale__transport_tls;
  /* Plaintext queued before this call leaves in clear; what follows is
   * encrypted, so files must be mapped or read instead of sendfile'd. */
  t->plain_left = gale__buf_len(stream->out);
  if (stream->out) evbuffer_clear_flags(stream->out, EVBUFFER_FLAG_DRAINS_TO_FD);
  gale__stream_schedule(stream);
  return GALE_OK;
}

/* ---- failures --------------------------------------------------------- */

static int classify(gale_stream *s, int sslerr, bool in_handshake) {
  struct gale__tls *t = s->tls;
  int e = errno;
  if (sslerr == SSL_ERROR_ZERO_RETURN) return GALE_EOF;
  t->fatal = true;
  long v = SSL_get_verify_result(t->ssl);
  if (in_handshake && v != X509_V_OK) {
    snprintf(t->err, sizeof(t->err), "%s", X509_verify_cert_error_string(v));
    ERR_clear_error();
    if (v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH)
      return GALE_ETLS_HOSTNAME;
    if (v == X509_V_ERR_CERT_HAS_EXPIRED || v == X509_V_ERR_CERT_NOT_YET_VALID)
      return GALE_ETLS_EXPIRED;
    return GALE_ETLS_VERIFY;
  }
  if (sslerr == SSL_ERROR_SYSCALL) {
    unsigned long q = ERR_peek_error();
    if (!q) {
      if (e == 0) {
        snprintf(t->err, sizeof(t->err), "unexpected EOF");
        return in_handshake ? GALE_EOF : GALE_ETLS_TRUNCATED;
      }
      s->err = e;
      snprintf(t->err, sizeof(t->err), "%s", strerror(e));
      if (e == ECONNRESET) return GALE_ECONNRESET;
      if (e == EPIPE) return GALE_EPIPE;
      return gale_err_from_errno(e);
    }
  }
  unsigned long q = ERR_peek_error();
  int reason = ERR_GET_REASON(q);
  if (q)
    ERR_error_string_n(q, t->err, sizeof(t->err));
  else
    snprintf(t->err, sizeof(t->err), "TLS error %d", sslerr);
  ERR_clear_error();
  if (reason == SSL_R_UNEXPECTED_EOF_WHILE_READING)
    return in_handshake ? GALE_EOF : GALE_ETLS_TRUNCATED;
  if (reason == SSL_R_NO_APPLICATION_PROTOCOL ||
      reason == SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL)
    return GALE_ETLS_ALPN;
  return GALE_ETLS_PROTOCOL;
}

static int tls_read(gale_stream *s, size_t budget);

/* ---- handshake -------------------------------------------------------- */

static void handshake_done(gale_stream *s) {
  struct gale__tls *t = s->tls;
  t->state = GALE__TLS_OPEN;
  t->hs_want_read = t->hs_want_write = false;
  if (t->timer_on) {
    event_del(&t->hs_timer);
    t->timer_on = false;
  }
  const unsigned char *a = NULL;
  unsigned int alen = 0;
  SSL_get0_alpn_selected(t->ssl, &a, &alen);
  if (a && alen) {
    memcpy(t->alpn, a, alen < sizeof(t->alpn) ? alen : sizeof(t->alpn) - 1);
    t->alpn[alen < sizeof(t->alpn) ? alen : sizeof(t->alpn) - 1] = '\0';
  }
  t->hs_notify = true;
  t->hs_status = GALE_OK;
  gale__stream_touch(s, false);
}

static void handshake_step(gale_stream *s) {
  struct gale__tls *t = s->tls;
  ERR_clear_error();
  errno = 0;
  int r = SSL_do_handshake(t->ssl);
  if (r == 1) {
    handshake_done(s);
    /* Application data may have arrived with the last flight. */
    if (gale__stream_wants_read(s)) tls_read(s, TLS_READ_BUDGET);
    return;
  }
  int e = SSL_get_error(t->ssl, r);
  t->hs_want_read = e == SSL_ERROR_WANT_READ;
  t->hs_want_write = e == SSL_ERROR_WANT_WRITE;
  if (t->hs_want_read || t->hs_want_write) return;
  int st = classify(s, e, true);
  gale__stream_fail(s, st, s->err);
}

static void tls_begin(gale_stream *s) {
  s->tls->state = GALE__TLS_HANDSHAKE;
  handshake_step(s);
}

static bool tls_notify(gale_stream *s) {
  struct gale__tls *t = s->tls;
  if (!t->hs_notify || t->hs_reported) return false;
  t->hs_notify = false;
  t->hs_reported = true;
  gale_stream_handshake_cb cb = t->hs_cb;
  t->hs_cb = NULL;
  if (!cb) return false;
  cb(s, t->hs_status, t->hs_arg);
  return true;
}

/* ---- records -------------------------------------------------------------- */

static int tls_read(gale_stream *s, size_t budget) {
  struct gale__tls *t = s->tls;
  size_t total = 0;
  t->drained = false;
  struct evbuffer *in = gale__stream_in(s);
  while (total < budget) {
    struct evbuffer_iovec vec;
    if (!in || evbuffer_reserve_space(in, (ev_ssize_t)TLS_READ_CHUNK, &vec, 1) != 1) {
      s->eof = true;
      s->pending_reason = GALE_ENOMEM;
      break;
    }
    size_t n = 0;
    ERR_clear_error();
    errno = 0;
    int r = SSL_read_ex(t->ssl, vec.iov_base, vec.iov_len, &n);
    if (r == 1) {
      vec.iov_len = n;
      evbuffer_commit_space(in, &vec, 1);
      total += n;
      /* OpenSSL holds nothing more: its last recv most likely emptied the
       * socket (read ahead asks for a whole buffer), so skip the read that
       * would say EAGAIN.  If bytes remain, the level-triggered socket
       * wakes the loop again. */
      if (!SSL_has_pending(t->ssl)) {
        t->drained = true;
        break;
      }
      continue;
    }
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_WANT_READ) {
      t->drained = true;
      break;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
      t->read_wants_write = true;
      break;
    }
    s->eof = true;
    s->pending_reason = classify(s, e, false);
    s->pending_errno = s->err;
    break;
  }
  if (total >= budget && SSL_has_pending(t->ssl)) gale__stream_schedule(s);
  if (total) {
    s->new_data = true;
    gale__stream_touch(s, true);
  } else {
    gale__stream_release_input(s); /* the empty reservation */
  }
  return 0;
}

static int tls_write(gale_stream *s) {
  struct gale__tls *t = s->tls;
  size_t wrote = 0;
  while (gale__buf_len(s->out) > 0 && !t->write_wants_read) {
    size_t total = evbuffer_get_length(s->out), len;
    if (t->retry_len) {
      len = t->retry_len;
    } else {
      struct evbuffer_iovec v;
      evbuffer_peek(s->out, -1, NULL, &v, 1);
      /* Big chains go as they are; small pieces are gathered into one
       * record instead of a record each. */
      if (v.iov_len >= TLS_RECORD)
        len = v.iov_len < TLS_WRITE_MAX ? v.iov_len : TLS_WRITE_MAX;
      else
        len = total < TLS_RECORD ? total : TLS_RECORD;
    }
    const unsigned char *p = evbuffer_pullup(s->out, (ev_ssize_t)len);
    if (!p) return GALE_ENOMEM;
    size_t w = 0;
    ERR_clear_error();
    errno = 0;
    int r = SSL_write_ex(t->ssl, p, len, &w);
    if (r == 1) {
      evbuffer_drain(s->out, w);
      s->written += w;
      wrote += w;
      t->retry_len = 0;
      continue;
    }
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_WANT_WRITE) {
      t->retry_len = len;
      s->wait_writable = true;
      break;
    }
    if (e == SSL_ERROR_WANT_READ) {
      t->retry_len = len;
      t->write_wants_read = true;
      break;
    }
    return classify(s, e, false);
  }
  if (wrote) gale__stream_touch(s, false);
  return 0;
}

/* ---- readiness ------------------------------------------------------------- */

static void tls_on_readable(gale_stream *s) {
  struct gale__tls *t = s->tls;
  if (t->state == GALE__TLS_HANDSHAKE) {
    handshake_step(s);
    return;
  }
  if (t->state != GALE__TLS_OPEN) return;
  t->write_wants_read = false; /* the dispatch loop retries the write */
  if (!s->eof) tls_read(s, TLS_READ_BUDGET);
}

static void tls_on_writable(gale_stream *s) {
  struct gale__tls *t = s->tls;
  if (t->state == GALE__TLS_HANDSHAKE) {
    handshake_step(s);
    return;
  }
  if (t->state == GALE__TLS_OPEN && t->read_wants_write) {
    t->read_wants_write = false;
    if (!s->eof) tls_read(s, TLS_READ_BUDGET);
  }
}

static bool tls_want_read(const gale_stream *s) {
  const struct gale__tls *t = s->tls;
  if (t->state == GALE__TLS_HANDSHAKE) return t->hs_want_read;
  if (t->state != GALE__TLS_OPEN) return false;
  return t->write_wants_read || (gale__stream_wants_read(s) && !t->read_wants_write);
}

static bool tls_want_write(const gale_stream *s) {
  const struct gale__tls *t = s->tls;
  if (t->state == GALE__TLS_HANDSHAKE) return t->hs_want_write;
  return s->wait_writable || t->read_wants_write;
}

/* Records OpenSSL already holds (read ahead, or left at the read budget)
 * never wake the socket: while the stream wants input, read them from the
 * deferred callback.  After WANT_READ what is held is an incomplete record,
 * which only more bytes from the socket complete. */
static bool tls_needs_reread(const gale_stream *s) {
  const struct gale__tls *t = s->tls;
  return t && t->state == GALE__TLS_OPEN && !t->drained && !t->read_wants_write && !s->eof &&
         gale__stream_wants_read(s) && SSL_has_pending(t->ssl);
}

static void tls_shutdown(gale_stream *s) {
  struct gale__tls *t = s->tls;
  if (t->timer_on) {
    event_del(&t->hs_timer);
    t->timer_on = false;
  }
  if (gale__stream_is_closed(s) && t->state != GALE__TLS_OPEN && !t->hs_reported && !t->hs_notify) {
    t->hs_notify = true;
    t->hs_status = s->close_reason == GALE_OK ? GALE_ECANCELLED : s->close_reason;
  }
  if (t->state == GALE__TLS_OPEN && !t->fatal && !t->shutdown_done && s->fd >= 0) {
    t->shutdown_done = true;
    ERR_clear_error();
    SSL_shutdown(t->ssl); /* close_notify; the peer's reply is not waited for */
    ERR_clear_error();
  }
}

static void tls_free(gale_stream *s) {
  struct gale__tls *t = s->tls;
  if (!t) return;
  if (t->timer_on) event_del(&t->hs_timer);
  SSL_free(t->ssl);
  gale_tls_ctx_unref(t->ctx);
  free(t);
  s->tls = NULL;
}

/* ---- the transport table ------------------------------------------------ */

/* Before the handshake the plaintext queued ahead of the upgrade leaves in
 * clear through the plain socket writer. */
static int tls_xp_write(gale_stream *s) {
  switch (s->tls->state) {
  case GALE__TLS_WAIT_FLUSH: {
    uint64_t before = s->written;
    int rc = gale__sock_write(s, s->tls->plain_left);
    s->tls->plain_left -= s->written - before;
    return rc;
  }
  case GALE__TLS_OPEN: return tls_write(s);
  default: return 0;
  }
}

static bool tls_xp_advance(gale_stream *s) {
  if (s->tls->state != GALE__TLS_WAIT_FLUSH || s->tls->plain_left != 0) return false;
  tls_begin(s);
  return true;
}

const struct gale__transport gale__transport_tls = {
    .name = "tls",
    .out_to_fd = false,
    .read = tls_read,
    .write = tls_xp_write,
    .on_readable = tls_on_readable,
    .on_writable = tls_on_writable,
    .want_read = tls_want_read,
    .want_write = tls_want_write,
    .pending = tls_needs_reread,
    .notify = tls_notify,
    .advance = tls_xp_advance,
    .shutdown = tls_shutdown,
    .release = tls_free,
};

/* ---- getters -------------------------------------------------------------- */

bool gale_stream_is_tls(const gale_stream *stream) { return stream && stream->tls; }

bool gale_stream_tls_established(const gale_stream *stream) {
  return stream && stream->tls && stream->tls->state == GALE__TLS_OPEN;
}

const char *gale_stream_tls_alpn(const gale_stream *stream) {
  if (!gale_stream_tls_established(stream) || !stream->tls->alpn[0]) return NULL;
  return stream->tls->alpn;
}

const char *gale_stream_tls_version(const gale_stream *stream) {
  if (!gale_stream_tls_established(stream)) return NULL;
  return SSL_get_version(stream->tls->ssl);
}

const char *gale_stream_tls_server_name(const gale_stream *stream) {
  if (!stream || !stream->tls || !stream->tls->server) return NULL;
  return SSL_get_servername(stream->tls->ssl, TLSEXT_NAMETYPE_host_name);
}

const char *gale_stream_tls_error(const gale_stream *stream) {
  if (!stream || !stream->tls) return "";
  return stream->tls->err;
}
