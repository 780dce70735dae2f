/* SPDX-License-Identifier: MIT */
/* gale_tls_ctx: shared OpenSSL contexts for servers and clients
 * (gale/tls.h).  Each wraps one SSL_CTX, built once: building one and
 * loading a CA bundle is slow in OpenSSL 3. */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iostream/stream_priv.h"

struct gale_tls_ctx {
  SSL_CTX *ssl;
  atomic_int refs; /* contexts may be shared by loops in several threads */
  bool server;
  bool insecure;
  unsigned char *alpn; /* wire format: length-prefixed names */
  size_t alpn_len;
  gale_tls_sni_cb sni_cb;
  void *sni_arg;
};

static _Thread_local char config_error[256];

const char *gale_tls_config_error(void) { return config_error; }

/* Records why a context could not be built: our words plus OpenSSL's. */
static int config_fail(const char *what, const char *path) {
  unsigned long e = ERR_peek_last_error();
  char reason[160] = "";
  if (e) ERR_error_string_n(e, reason, sizeof(reason));
  snprintf(config_error, sizeof(config_error), "%s%s%s%s%s", what, path ? " " : "",
           path ? path : "", e ? ": " : "", reason);
  ERR_clear_error();
  return GALE_ETLS_CONFIG;
}

void gale_tls_server_options_init(gale_tls_server_options *opts) {
  if (opts) memset(opts, 0, sizeof(*opts));
}

void gale_tls_client_options_init(gale_tls_client_options *opts) {
  if (opts) memset(opts, 0, sizeof(*opts));
}

static int alpn_encode(gale_tls_ctx *c, const char *const *alpn, size_t n) {
  if (n == 0) return GALE_OK;
  if (!alpn) return GALE_EINVAL;
  size_t total = 0;
  for (size_t i = 0; i < n; i++) {
    size_t l = alpn[i] ? strlen(alpn[i]) : 0;
    if (l == 0 || l > 255) return GALE_EINVAL;
    total += 1 + l;
  }
  if (total > 65535) return GALE_EINVAL;
  c->alpn = malloc(total);
  if (!c->alpn) return GALE_ENOMEM;
  unsigned char *p = c->alpn;
  for (size_t i = 0; i < n; i++) {
    size_t l = strlen(alpn[i]);
    *p++ = (unsigned char)l;
    memcpy(p, alpn[i], l);
    p += l;
  }
  c->alpn_len = total;
  return GALE_OK;
}

static int version_of(gale_tls_version v) {
  switch (v) {
  case GALE_TLS_DEFAULT:
  case GALE_TLS_1_2: return TLS1_2_VERSION;
  case GALE_TLS_1_3: return TLS1_3_VERSION;
  default: return -1;
  }
}

static int common_setup(gale_tls_ctx *c, gale_tls_version minv, const char *ciphers,
                        const char *suites) {
  int v = version_of(minv);
  if (v < 0) return GALE_EINVAL;
  if (!SSL_CTX_set_min_proto_version(c->ssl, v)) return config_fail("cannot set min version", NULL);
  if (ciphers && !SSL_CTX_set_cipher_list(c->ssl, ciphers))
    return config_fail("bad cipher list", ciphers);
  if (suites && !SSL_CTX_set_ciphersuites(c->ssl, suites))
    return config_fail("bad TLS 1.3 ciphersuites", suites);
  /* Partial writes and a moving buffer let a stream retry a write from its
   * evbuffer; RELEASE_BUFFERS frees OpenSSL's record buffers while a
   * connection is idle (lean keep-alive connections). */
  SSL_CTX_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                               SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_options(c->ssl, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  /* Read ahead: one recv takes what the socket holds (a record's header
   * and body, or several records) instead of one for the 5-byte header and
   * one for the body.  The stream reads what OpenSSL holds before waiting
   * on the socket again (stream_tls.c). */
  SSL_CTX_set_read_ahead(c->ssl, 1);
  return GALE_OK;
}

/* Server: pick the first of our protocols that the client offered.  No
 * overlap is fatal (no_application_protocol), as RFC 7301 §3.2 asks. */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg) {
  gale_tls_ctx *c = arg;
  for (size_t i = 0; i < c->alpn_len; i += 1u + c->alpn[i]) {
    const unsigned char *ours = c->alpn + i + 1;
    unsigned char ol = c->alpn[i];
    for (unsigned int j = 0; j < inlen;) {
      unsigned char l = in[j];
      if (j + 1u + l > inlen) break;
      if (l == ol && memcmp(in + j + 1, ours, l) == 0) {
        *out = in + j + 1;
        *outlen = l;
        return SSL_TLSEXT_ERR_OK;
      }
      j += 1u + l;
    }
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

static int sni_select(SSL *ssl, int *alert, void *arg) {
  gale_tls_ctx *c = arg;
  const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (!name || !c->sni_cb) return SSL_TLSEXT_ERR_NOACK;
  gale_tls_ctx *other = c->sni_cb(name, c->sni_arg);
  if (other && other != c && other->server) SSL_set_SSL_CTX(ssl, other->ssl);
  return SSL_TLSEXT_ERR_OK;
}

static gale_tls_ctx *ctx_alloc(const SSL_METHOD *m, bool server) {
  gale_tls_ctx *c = calloc(1, sizeof(*c));
  if (!c) return NULL;
  c->ssl = SSL_CTX_new(m);
  if (!c->ssl) {
    free(c);
    return NULL;
  }
  atomic_init(&c->refs, 1);
  c->server = server;
  return c;
}

static void ctx_free(gale_tls_ctx *c) {
  SSL_CTX_free(c->ssl);
  free(c->alpn);
  free(c);
}

int gale_tls_ctx_new_server(const char *cert_chain_file, const char *key_file,
                            const gale_tls_server_options *opts, gale_tls_ctx **out) {
  if (!cert_chain_file || !key_file || !out) return GALE_EINVAL;
  gale_tls_server_options defaults;
  gale_tls_server_options_init(&defaults);
  if (!opts) opts = &defaults;
  config_error[0] = '\0';
  ERR_clear_error();
  gale_tls_ctx *c = ctx_alloc(TLS_server_method(), true);
  if (!c) return GALE_ENOMEM;
  int rc = common_setup(c, opts->min_version, opts->ciphers, opts->ciphersuites);
  if (rc) goto fail;
  if (SSL_CTX_use_certificate_chain_file(c->ssl, cert_chain_file) != 1) {
    rc = config_fail("cannot load certificate chain", cert_chain_file);
    goto fail;
  }
  if (SSL_CTX_use_PrivateKey_file(c->ssl, key_file, SSL_FILETYPE_PEM) != 1) {
    rc = config_fail("cannot load private key", key_file);
    goto fail;
  }
  if (SSL_CTX_check_private_key(c->ssl) != 1) {
    rc = config_fail("private key does not match the certificate", key_file);
    goto fail;
  }
  if ((rc = alpn_encode(c, opts->alpn, opts->alpn_count))) goto fail;
  if (c->alpn) SSL_CTX_set_alpn_select_cb(c->ssl, alpn_select, c);
  c->sni_cb = opts->sni_cb;
  c->sni_arg = opts->sni_arg;
  if (c->sni_cb) {
    SSL_CTX_set_tlsext_servername_callback(c->ssl, sni_select);
    SSL_CTX_set_tlsext_servername_arg(c->ssl, c);
  }
  static const unsigned char sid[] = "gale";
  SSL_CTX_set_session_id_context(c->ssl, sid, sizeof(sid) - 1);
  if (opts->client_ca_file) {
    if (SSL_CTX_load_verify_locations(c->ssl, opts->client_ca_file, NULL) != 1) {
      rc = config_fail("cannot load client CA file", opts->client_ca_file);
      goto fail;
    }
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(opts->client_ca_file);
    if (names) SSL_CTX_set_client_CA_list(c->ssl, names);
    SSL_CTX_set_verify(
        c->ssl, SSL_VERIFY_PEER | (opts->require_client_cert ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
        NULL);
  } else if (opts->require_client_cert) {
    rc = GALE_EINVAL;
    goto fail;
  }
  *out = c;
  return GALE_OK;
fail:
  ctx_free(c);
  return rc;
}

int gale_tls_ctx_new_client(const gale_tls_client_options *opts, gale_tls_ctx **out) {
  if (!out) return GALE_EINVAL;
  gale_tls_client_options defaults;
  gale_tls_client_options_init(&defaults);
  if (!opts) opts = &defaults;
  if (!opts->cert_file != !opts->key_file) return GALE_EINVAL;
  config_error[0] = '\0';
  ERR_clear_error();
  gale_tls_ctx *c = ctx_alloc(TLS_client_method(), false);
  if (!c) return GALE_ENOMEM;
  int rc = common_setup(c, opts->min_version, opts->ciphers, opts->ciphersuites);
  if (rc) goto fail;
  c->insecure = opts->insecure;
  if (opts->ca_file || opts->ca_dir) {
    if (SSL_CTX_load_verify_locations(c->ssl, opts->ca_file, opts->ca_dir) != 1) {
      rc = config_fail("cannot load CA", opts->ca_file ? opts->ca_file : opts->ca_dir);
      goto fail;
    }
  } else if (!opts->insecure && SSL_CTX_set_default_verify_paths(c->ssl) != 1) {
    rc = config_fail("cannot load the system CA store", NULL);
    goto fail;
  }
  SSL_CTX_set_verify(c->ssl, opts->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
  if (opts->cert_file) {
    if (SSL_CTX_use_certificate_chain_file(c->ssl, opts->cert_file) != 1) {
      rc = config_fail("cannot load client certificate", opts->cert_file);
      goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(c->ssl, opts->key_file, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(c->ssl) != 1) {
      rc = config_fail("cannot load client key", opts->key_file);
      goto fail;
    }
  }
  if ((rc = alpn_encode(c, opts->alpn, opts->alpn_count))) goto fail;
  /* SSL_CTX_set_alpn_protos returns 0 on success (unlike most of OpenSSL). */
  if (c->alpn && SSL_CTX_set_alpn_protos(c->ssl, c->alpn, (unsigned int)c->alpn_len) != 0) {
    rc = config_fail("cannot set ALPN", NULL);
    goto fail;
  }
  *out = c;
  return GALE_OK;
fail:
  ctx_free(c);
  return rc;
}

gale_tls_ctx *gale_tls_ctx_ref(gale_tls_ctx *ctx) {
  if (ctx) atomic_fetch_add(&ctx->refs, 1);
  return ctx;
}

void gale_tls_ctx_unref(gale_tls_ctx *ctx) {
  if (ctx && atomic_fetch_sub(&ctx->refs, 1) == 1) ctx_free(ctx);
}

bool gale_tls_ctx_is_server(const gale_tls_ctx *ctx) { return ctx && ctx->server; }

struct ssl_ctx_st *gale__tls_ctx_ssl(gale_tls_ctx *ctx) {
  return ctx->ssl;
}

bool gale__tls_ctx_insecure(const gale_tls_ctx *ctx) { return ctx->insecure; }
