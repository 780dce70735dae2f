/* SPDX-License-Identifier: MIT */
/* gale/tcp_client.h — outgoing TCP (and TLS) connections (Tornado's
 * TCPClient).
 *
 * gale_tcp_client_connect() resolves the host with a gale_resolver, then
 * connects with Happy Eyeballs (RFC 8305, as Tornado's _Connector): the
 * resolver orders addresses with the families interleaved, preferred family
 * first (IPv6 when the host has both); attempts start in that order, the
 * next one after happy_eyeballs_delay (0.3 s) or as soon as the previous
 * fails, earlier ones staying in flight.  So the other family starts after
 * the delay or at once when the first family's attempt fails, as Tornado's
 * _Connector.  The first connection to succeed wins; the others are
 * closed.  There is no per-attempt timeout beyond connect_timeout.  With a TLS context the winner is upgraded with
 * gale_stream_start_tls(): SNI and certificate verification against `host`
 * (unless the context is insecure).
 *
 * Errors name the phase:
 *   resolution: the resolver's GALE_EDNS_* statuses, GALE_ETIMEDOUT_DNS;
 *   connect:    GALE_ECONNREFUSED, GALE_EHOSTUNREACH, GALE_ENETUNREACH,
 *               GALE_EADDRNOTAVAIL / GALE_EADDRINUSE (source address),
 *               GALE_ETIMEDOUT_CONNECT, GALE_ESYS (other errno) — when every
 *               address failed, the status of the last failure;
 *   TLS:        GALE_ETLS_*, GALE_ETIMEDOUT_TLS;
 *   GALE_ECANCELLED when the client is freed first; GALE_ENOMEM.
 *
 * Callbacks follow gale's contract: a connect() that fails returns the
 * error and never calls back; otherwise the callback runs exactly once on a
 * later loop turn, unless the attempt is cancelled with
 * gale_tcp_connect_cancel() (then never).
 */
#ifndef GALE_TCP_CLIENT_H
#define GALE_TCP_CLIENT_H

#include "gale/common.h"
#include "gale/error.h"
#include "gale/future.h"
#include "gale/loop.h"
#include "gale/resolver.h"
#include "gale/stream.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gale_tcp_client gale_tcp_client;
typedef struct gale_tcp_connect gale_tcp_connect;

#define GALE_TCP_CLIENT_DEFAULT_HAPPY_EYEBALLS_DELAY 0.3

/* Progress of one connect, for callers that time or log its phases (the
 * HTTP client's DNS / connect / TLS timings). */
typedef enum gale_tcp_phase {
  GALE_TCP_PHASE_RESOLVED = 1, /* the host resolved; TCP attempts start.
                                  `stream` is NULL. */
  GALE_TCP_PHASE_CONNECTED,    /* a TCP connection won; the TLS handshake
                                  (if any) starts next.  `stream` is it. */
  GALE_TCP_PHASE_TLS_FAILED    /* the handshake failed; `stream` can still
                                  be asked gale_stream_tls_error() (it is
                                  closed after the hook returns). */
} gale_tcp_phase;

/* Told each phase as it is reached, inside the connect's own processing:
 * `stream` is borrowed for the call.  It may read state and set socket
 * options, but must not cancel the connect, close the stream or free the
 * client (the connect callback is the place for that). */
typedef void (*gale_tcp_phase_cb)(gale_tcp_phase phase, gale_stream *stream, void *arg);

typedef struct gale_tcp_connect_options {
  /* AF_UNSPEC (default), AF_INET or AF_INET6. */
  int family;
  /* Seconds for the whole connect: resolution, TCP connect and TLS
   * handshake; 0 (default) = no limit (the kernel's own SYN retries and,
   * for TLS, GALE_TLS_DEFAULT_HANDSHAKE_TIMEOUT still apply).  When it
   * expires the status names the phase: GALE_ETIMEDOUT_DNS,
   * GALE_ETIMEDOUT_CONNECT or GALE_ETIMEDOUT_TLS. */
  double connect_timeout;
  /* Local address to bind (numeric, copied; NULL = any) and port (0 =
   * any).  Only addresses of the source address's family are tried; a
   * source_port without source_address binds 0.0.0.0 (IPv4 only). */
  const char *source_address;
  int source_port;
  /* TLS: a client context (borrowed for the duration of the connect; the
   * stream takes its own reference).  NULL = plain TCP. */
  gale_tls_ctx *tls;
  /* Name to send as SNI and verify; NULL (default) = host. Copied. */
  const char *tls_hostname;
  /* Delay before the second address family is tried.  Default 0.3 s. */
  double happy_eyeballs_delay;
  /* The stream's read buffer limit; 0 = the stream's default (100 MiB). */
  size_t max_buffer_size;
  /* Connect to this unix domain socket path (copied; NULL = default: the
   * client's own, see gale_tcp_client_set_unix_socket) instead of
   * resolving host and port; host is then only the name TLS sends as SNI
   * and verifies.  A path too long for sockaddr_un: GALE_EINVAL.  A path
   * nobody listens on (no file, a stale socket file, a full backlog) fails
   * as a refused connect, GALE_ECONNREFUSED, on a later loop turn; no
   * permission: GALE_EACCES. */
  const char *unix_path;
  /* Phase hook (see gale_tcp_phase_cb); NULL (default) = none. */
  gale_tcp_phase_cb on_phase;
  void *phase_arg;
  GALE_RESERVED(8); /* room for fields added later (README: ABI) */
} gale_tcp_connect_options;

/* Fills `opts` with the defaults above.  NULL is ignored. */
GALE_EXPORT void gale_tcp_connect_options_init(gale_tcp_connect_options *opts);

/* Creates a client on `loop` using `resolver` (borrowed: it must outlive
 * the client; NULL: the client makes its own with default options and
 * frees it).  Returns GALE_OK, GALE_EINVAL, GALE_ENOMEM or the resolver's
 * creation error. */
GALE_EXPORT int gale_tcp_client_new(gale_loop *loop, gale_resolver *resolver,
                                    gale_tcp_client **out);

/* Sends every later connect of this client that names no unix_path of its
 * own to the unix domain socket `path` (copied; NULL: back to TCP), the
 * way curl --unix-socket does: what layers above (the HTTP client) ask for
 * host:port reaches the socket.  Returns GALE_OK, GALE_EINVAL (NULL client,
 * path too long for sockaddr_un), GALE_ENOMEM. */
GALE_EXPORT int gale_tcp_client_set_unix_socket(gale_tcp_client *client, const char *path);

/* The resolver in use (borrowed), e.g. to add overrides. */
GALE_EXPORT gale_resolver *gale_tcp_client_resolver(gale_tcp_client *client);

/* Frees the client.  Connects still pending are failed first, inside this
 * call, with GALE_ECANCELLED (streams already handed out are not
 * affected).  Safe from inside a connect callback.  NULL is ignored. */
GALE_EXPORT void gale_tcp_client_free(gale_tcp_client *client);

/* On success `stream` is connected (and, with TLS, handshaken) and owned
 * by the callee: close it with gale_stream_close().  On failure it is
 * NULL. */
typedef void (*gale_tcp_connect_cb)(int status, gale_stream *stream, void *arg);

/* Connects to `host` (name or numeric address, copied) on `port`
 * (1..65535).  `opts` may be NULL (defaults); it is copied.  If `out` is
 * not NULL it receives a handle for gale_tcp_connect_cancel(), valid until
 * the callback starts.  Returns GALE_OK, GALE_EINVAL (NULL arguments, bad
 * port or family, a source_address that is not numeric, a server-side TLS
 * context), GALE_EDNS_BADNAME, GALE_ECLOSED (client being freed),
 * GALE_ENOMEM. */
GALE_EXPORT int gale_tcp_client_connect(gale_tcp_client *client, const char *host, int port,
                                        const gale_tcp_connect_options *opts,
                                        gale_tcp_connect_cb cb, void *arg, gale_tcp_connect **out);

/* Abandons a pending connect: sockets being connected are closed, a stream
 * in its TLS handshake is closed, and the callback will not run.  Must not
 * be called once the callback has started.  Returns GALE_OK or
 * GALE_EINVAL. */
GALE_EXPORT int gale_tcp_connect_cancel(gale_tcp_connect *conn);

/* gale_tcp_client_connect() as a future (one reference for the caller; NULL
 * when the call fails at once).  The result is the gale_stream; take it
 * with gale_future_steal_result() — a stream left in the future is closed
 * when the future is freed.  gale_future_cancel() cancels the connect. */
GALE_EXPORT gale_future *gale_tcp_client_connect_future(gale_tcp_client *client, const char *host,
                                                        int port,
                                                        const gale_tcp_connect_options *opts);

#ifdef __cplusplus
}
#endif

#endif
