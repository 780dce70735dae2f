/* SPDX-License-Identifier: MIT */
/* gale/tls.h — TLS contexts and TLS on streams (Tornado's ssl_options and
 * SSLIOStream), on OpenSSL 3.
 *
 * A gale_tls_ctx holds the configuration shared by many connections
 * (certificates, CA store, versions, ciphers, ALPN).  Building one is slow in
 * OpenSSL 3 (loading a CA bundle takes milliseconds): build it once per
 * configuration and share it.  Contexts are reference-counted (atomically:
 * one context may serve loops in several threads); every stream using one
 * holds a reference, so unreferencing yours while connections are open is
 * safe.
 *
 * A TLS stream is a gale_stream: gale_stream_start_tls() upgrades a plain
 * stream in place (what the TCP server and client call right after accept or
 * connect, and what STARTTLS protocols call mid-stream); from then on reads
 * and writes carry plaintext through TLS with the same API.
 *
 * Client contexts verify by default: the peer's chain against the system CA
 * store (or the given CA file/dir), and the host name given to start_tls
 * against the certificate's subjectAltName only (never the CN; no partial
 * wildcards; IP literals against IP SANs).  SNI is sent for DNS names, not
 * IP literals.  Turning verification off takes an explicit `insecure` flag.
 *
 * Failures tell what failed, as the stream's close reason and the handshake
 * callback's status:
 *   GALE_ETLS_VERIFY    chain not trusted (unknown CA, self-signed, bad
 *                       signature...): gale_stream_tls_error() has OpenSSL's
 *                       X509 verify reason ("unable to get local issuer
 *                       certificate")
 *   GALE_ETLS_HOSTNAME  chain trusted but the name does not match
 *   GALE_ETLS_EXPIRED   a certificate expired or is not yet valid
 *   GALE_ETLS_ALPN      no ALPN protocol in common (server sends the
 *                       no_application_protocol alert)
 *   GALE_ETLS_PROTOCOL  anything else in the handshake or records (version
 *                       mismatch, no shared cipher, bad record, alert)
 *   GALE_ETLS_TRUNCATED the peer closed without close_notify
 *   GALE_ETIMEDOUT_TLS  the handshake did not finish in time
 * gale_stream_tls_error() gives the detail text in each case.
 */
#ifndef GALE_TLS_H
#define GALE_TLS_H

#include "gale/common.h"
#include "gale/error.h"
#include "gale/stream.h"

#ifdef __cplusplus
extern "C" {
#endif

/* gale_tls_ctx is declared in gale/stream.h. */

typedef enum gale_tls_version {
  GALE_TLS_DEFAULT = 0, /* TLS 1.2 */
  GALE_TLS_1_2 = 0x0303,
  GALE_TLS_1_3 = 0x0304
} gale_tls_version;

/* Default handshake timeout used by gale's TCP server and client. */
#define GALE_TLS_DEFAULT_HANDSHAKE_TIMEOUT 20.0

/* Chooses the context for a client's SNI `server_name` (borrowed, never
 * NULL: not called when the client sent none).  Return a context (borrowed:
 * the connection takes its own reference) to switch to it, or NULL to keep
 * the listening one.  Its certificate is used; the listening context's
 * settings (versions, ALPN, ciphers) stay in force. */
typedef gale_tls_ctx *(*gale_tls_sni_cb)(const char *server_name, void *arg);

typedef struct gale_tls_server_options {
  gale_tls_version min_version; /* default TLS 1.2 */
  const char *ciphers;          /* TLS ≤ 1.2 cipher list; NULL = OpenSSL's default */
  const char *ciphersuites;     /* TLS 1.3 suites; NULL = OpenSSL's default */
  /* ALPN protocols in server preference order ("h2", "http/1.1"); copied.
   * When the client offers ALPN and none matches, the handshake fails. */
  const char *const *alpn;
  size_t alpn_count;
  gale_tls_sni_cb sni_cb; /* may be NULL */
  void *sni_arg;
  /* Client certificates: verify against this CA file when set; with
   * require_client_cert a client without one is refused. */
  const char *client_ca_file;
  bool require_client_cert;
  GALE_RESERVED(8); /* room for fields added later (README: ABI) */
} gale_tls_server_options;

typedef struct gale_tls_client_options {
  gale_tls_version min_version; /* default TLS 1.2 */
  const char *ciphers;          /* NULL = OpenSSL's default */
  const char *ciphersuites;
  /* Trust anchors: CA file (PEM bundle) and/or hashed CA dir; when both are
   * NULL the system store (SSL_CTX_set_default_verify_paths). */
  const char *ca_file;
  const char *ca_dir;
  /* Client certificate chain + key (PEM), both or neither. */
  const char *cert_file;
  const char *key_file;
  /* ALPN protocols offered, in preference order; copied. */
  const char *const *alpn;
  size_t alpn_count;
  /* Skip chain and host-name verification.  Dangerous: only for tests and
   * explicit user opt-in (gale -k). */
  bool insecure;
  GALE_RESERVED(8); /* room for fields added later (README: ABI) */
} gale_tls_client_options;

/* Fill the options with the defaults (all zero / NULL / false). */
GALE_EXPORT void gale_tls_server_options_init(gale_tls_server_options *opts);
GALE_EXPORT void gale_tls_client_options_init(gale_tls_client_options *opts);

/* A server context from a PEM certificate chain file (leaf first) and its
 * PEM private key file (both paths borrowed, read now).  `opts` may be NULL.
 * *out gets a context with one reference.  Returns GALE_OK, GALE_EINVAL,
 * GALE_ENOMEM, GALE_ETLS_CONFIG (unreadable file, key not matching the
 * certificate, bad cipher list...: gale_tls_config_error() says which). */
GALE_EXPORT int gale_tls_ctx_new_server(const char *cert_chain_file, const char *key_file,
                                        const gale_tls_server_options *opts, gale_tls_ctx **out);

/* A client context.  `opts` may be NULL (verify with the system store).
 * Returns as gale_tls_ctx_new_server(). */
GALE_EXPORT int gale_tls_ctx_new_client(const gale_tls_client_options *opts, gale_tls_ctx **out);

/* The reason the last gale_tls_ctx_new_* on this thread failed with
 * GALE_ETLS_CONFIG (static thread-local text, "" if none). */
GALE_EXPORT const char *gale_tls_config_error(void);

GALE_EXPORT gale_tls_ctx *gale_tls_ctx_ref(gale_tls_ctx *ctx);
/* Drops a reference; the last one frees the context.  NULL is ignored. */
GALE_EXPORT void gale_tls_ctx_unref(gale_tls_ctx *ctx);

GALE_EXPORT bool gale_tls_ctx_is_server(const gale_tls_ctx *ctx);

/* ---- TLS on a stream ----------------------------------------------------- */

/* Handshake completion: GALE_OK, or the failure (the stream is then closed
 * with the same reason, its close callback following this one). */
typedef void (*gale_stream_handshake_cb)(gale_stream *stream, int status, void *arg);

/* Upgrades `stream` to TLS in place with `ctx` (a reference is taken).
 * `server_side` must match the context's kind.  `hostname` (client side;
 * copied; may be NULL only with an insecure context) is sent as SNI when it
 * is a DNS name and verified against the certificate.  `timeout` (seconds,
 * 0 = none) bounds the handshake: GALE_ETIMEDOUT_TLS.  Plaintext already
 * queued for writing is flushed first (STARTTLS: queue the "go ahead" reply
 * then call this); data written after this call is encrypted.  Reads and
 * writes may be issued at once: they proceed after the handshake.  `cb` (may
 * be NULL) tells the outcome.
 * Returns GALE_OK, GALE_EINVAL (NULL ctx, side mismatch, missing hostname),
 * GALE_ECLOSED, GALE_ESTATE (already TLS, or unread plaintext is buffered:
 * bytes that arrived before the upgrade must not be trusted as TLS data —
 * the STARTTLS injection attack), GALE_ENOMEM. */
GALE_EXPORT int gale_stream_start_tls(gale_stream *stream, gale_tls_ctx *ctx, bool server_side,
                                      const char *hostname, double timeout,
                                      gale_stream_handshake_cb cb, void *arg);

/* True once start_tls was called on the stream. */
GALE_EXPORT bool gale_stream_is_tls(const gale_stream *stream);

/* True once the handshake has completed. */
GALE_EXPORT bool gale_stream_tls_established(const gale_stream *stream);

/* The ALPN protocol agreed on (borrowed, valid while the stream's memory
 * is), or NULL when none. */
GALE_EXPORT const char *gale_stream_tls_alpn(const gale_stream *stream);

/* The negotiated version name ("TLSv1.3") or NULL before the handshake. */
GALE_EXPORT const char *gale_stream_tls_version(const gale_stream *stream);

/* The SNI name a server-side stream received (borrowed), or NULL. */
GALE_EXPORT const char *gale_stream_tls_server_name(const gale_stream *stream);

/* Detail of the last TLS failure: the X509 verify reason for verify /
 * hostname / expiry failures, OpenSSL's error reason otherwise ("" if
 * none).  Borrowed, valid while the stream's memory is. */
GALE_EXPORT const char *gale_stream_tls_error(const gale_stream *stream);

#ifdef __cplusplus
}
#endif

#endif
