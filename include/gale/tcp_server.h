/* SPDX-License-Identifier: MIT */
/* gale/tcp_server.h — a TCP server for custom protocols (Tornado's
 * TCPServer).
 *
 * The server accepts connections on one or more listening sockets, wraps
 * each in a gale_stream (plain, or TLS when options.tls is set: the server
 * side handshake completes before the application sees the stream) and
 * hands it to the handle_stream callback, which owns the stream from then
 * on: it reads, writes and closes it with the gale_stream API.
 *
 * Three ways to start, as in Tornado:
 *
 *   1. one process:
 *        gale_tcp_server_new(loop, &opts, handle, arg, &srv);
 *        gale_tcp_server_listen(srv, 8888, NULL);
 *        gale_loop_run(loop);
 *
 *   2. pre-forked workers (the parent binds, each child accepts):
 *        gale_tcp_server_new(NULL, &opts, handle, arg, &srv);
 *        gale_tcp_server_bind(srv, 8888, NULL, AF_UNSPEC, 0, 0);
 *        int id = gale_tcp_server_start(srv, 0, -1);  // returns in children
 *        gale_loop_run(gale_tcp_server_loop(srv));
 *      The parent never returns from start(): it supervises the children
 *      (gale_fork_processes).  Each child gets a fresh loop owned by the
 *      server (freed by gale_tcp_server_free()).
 *
 *   3. sockets made elsewhere (gale_bind_sockets, systemd activation):
 *        gale_tcp_server_add_sockets(srv, fds, n);
 *
 * Each connection can also run in a coroutine of its own (Tornado's
 * `async def handle_stream`): set options.handle_stream_coro and pass a
 * NULL handle_stream; the handler then reads top to bottom, awaiting the
 * stream's futures (see gale/coro.h and examples/coro_echo.c):
 *
 *   static int echo(gale_stream *s, void *arg) {
 *     for (;;) {
 *       gale_future *f = gale_stream_read_until_future(s, "\n", 1, 4096, NULL);
 *       int st = f ? gale_await(f) : GALE_ENOMEM;
 *       ...  write gale_future_result(f)'s line, await a flush  ...
 *       gale_future_unref(f);
 *       if (st != GALE_OK) return st;      // the server closes the stream
 *     }
 *   }
 *
 * A server belongs to its loop's thread.
 */
#ifndef GALE_TCP_SERVER_H
#define GALE_TCP_SERVER_H

#include <sys/socket.h>

#include "gale/common.h"
#include "gale/error.h"
#include "gale/loop.h"
#include "gale/netutil.h"
#include "gale/stream.h"
#include "gale/tls.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gale_tcp_server gale_tcp_server;

/* Receives each new connection.  `stream` is owned by the callee (close it
 * with gale_stream_close(); the server closes the ones still open when it
 * is freed or its shutdown deadline passes).  `peer` is borrowed for the
 * call. */
typedef void (*gale_tcp_server_stream_cb)(gale_tcp_server *server, gale_stream *stream,
                                          const struct sockaddr *peer, socklen_t peer_len,
                                          void *arg);

/* A connection's handler run in a coroutine (options.handle_stream_coro).
 * `stream` is borrowed: the server holds a reference for the handler's
 * whole run, so the pointer stays valid even after the peer or the server
 * closed the stream (calls then return GALE_ECLOSED, reads complete with
 * the close reason), and when the handler returns flushes what it left
 * queued and closes the stream — the handler may close it earlier itself.
 * The return value is GALE_OK or a status: anything but GALE_OK and the
 * usual ends of a connection (GALE_EOF, GALE_ECONNRESET, GALE_EPIPE,
 * GALE_ECLOSED, GALE_ECANCELLED, timeouts) is logged as an error, as
 * Tornado logs an exception escaping handle_stream.  The peer's address:
 * gale_stream_peer_addr().  An await that returns GALE_ECANCELLED (the
 * server or the loop going away) leaves the awaited operation pending:
 * cancel its future (gale_future_cancel) before unref'ing it, so a read is
 * stopped even when the loop is freed before the stream's close is
 * delivered. */
typedef int (*gale_tcp_server_coro_fn)(gale_stream *stream, void *arg);

/* Told once that a graceful shutdown finished (every connection closed). */
typedef void (*gale_tcp_server_done_cb)(gale_tcp_server *server, void *arg);

typedef struct gale_tcp_server_options {
  /* At most this many open connections (0 = no limit, the default).  At the
   * limit the server stops accepting; connections wait in the listen
   * backlog and are accepted as others close. */
  size_t max_connections;
  /* Server-side TLS (borrowed: must outlive the server).  NULL = plain. */
  gale_tls_ctx *tls;
  /* Handshake deadline for TLS connections, seconds (default
   * GALE_TLS_DEFAULT_HANDSHAKE_TIMEOUT, 20 s; <= 0 = none).  A failed or
   * timed-out handshake closes the connection without calling
   * handle_stream (logged at debug level). */
  double tls_handshake_timeout;
  /* Passed to every stream (0 = the stream default, 100 MiB as Tornado). */
  size_t max_buffer_size;
  size_t read_chunk_size;       /* 0 = stream default */
  size_t max_write_buffer_size; /* 0 = stream default (no limit) */
  /* Pause after accept fails with EMFILE/ENFILE, seconds (default 0.1). */
  double accept_backoff;
  /* Non-NULL: run each accepted stream's handler in its own coroutine
   * (spawned with gale_coro_spawn on the server's loop, after the TLS
   * handshake when TLS is on) instead of calling handle_stream, which must
   * then be NULL.  Default NULL. */
  gale_tcp_server_coro_fn handle_stream_coro;
  /* Expect a PROXY protocol header (v1 or v2, as HAProxy's send-proxy /
   * send-proxy-v2 send it) first on every connection, before TLS (default
   * false).  The header is read before the stream exists; the stream then
   * reports the client and the address it reached as its peer and local
   * addresses (gale_stream_peer_addr, the handler's `peer`), so layers
   * above see the real client.  v1 UNKNOWN, v2 LOCAL (the balancer's health
   * checks) and v2 UNSPEC keep the connection's own addresses.  A missing,
   * malformed or oversized header (over 1024 bytes), or one not complete
   * within proxy_protocol_timeout, closes the connection (logged at debug
   * level) without calling the handler.  Only enable it behind a balancer
   * that always sends one: anyone reaching the port can claim any address.
   * Connections still reading their header count towards max_connections
   * and are closed at once by a shutdown. */
  bool proxy_protocol;
  /* Seconds for the whole header, counted from the accept (default 10;
   * <= 0 = none). */
  double proxy_protocol_timeout;
  /* Stack bytes of each such coroutine (0 = the coroutine default, 256 KiB,
   * reserved and committed only as used). */
  size_t coro_stack_size;
  GALE_RESERVED(8); /* room for fields added later (README: ABI) */
} gale_tcp_server_options;

/* Fills Tornado's defaults (see each field). */
GALE_EXPORT void gale_tcp_server_options_init(gale_tcp_server_options *opts);

/* Creates a server.  `loop` may be NULL: the server then uses the thread's
 * current loop when it first needs one (listen, add_sockets), or creates a
 * loop of its own in each child of gale_tcp_server_start().  `opts` is
 * copied (NULL = defaults).  Exactly one of handle_stream and
 * opts->handle_stream_coro is set.  Returns GALE_OK, GALE_EINVAL (NULL
 * out, neither handler or both), GALE_ENOMEM. */
GALE_EXPORT int gale_tcp_server_new(gale_loop *loop, const gale_tcp_server_options *opts,
                                    gale_tcp_server_stream_cb handle_stream, void *arg,
                                    gale_tcp_server **out);

/* bind + add_sockets in one call: starts accepting on `port` at `address`
 * (as gale_bind_sockets: NULL = every interface, IPv4 and IPv6).  Returns
 * gale_bind_sockets()'s errors, GALE_ESTATE (no loop, or stopped). */
GALE_EXPORT int gale_tcp_server_listen(gale_tcp_server *server, int port, const char *address);

/* gale_bind_unix_socket + add_sockets: starts accepting on a unix domain
 * socket at `path` with file mode `mode` (< 0: the umask's).  Streams of
 * such connections report an AF_UNIX peer.  Returns
 * gale_bind_unix_socket()'s errors, GALE_ESTATE. */
GALE_EXPORT int gale_tcp_server_listen_unix(gale_tcp_server *server, const char *path, int mode);

/* Starts accepting on listening sockets opened elsewhere.  The server takes
 * ownership of the fds (closes them on stop/free), even on failure.  Returns
 * GALE_OK, GALE_EINVAL, GALE_ENOMEM, GALE_ESYS, GALE_ESTATE. */
GALE_EXPORT int gale_tcp_server_add_sockets(gale_tcp_server *server, const int *fds, size_t n);

/* Binds listening sockets without accepting yet (for start()).  May be
 * called several times.  Arguments and errors as gale_bind_sockets(). */
GALE_EXPORT int gale_tcp_server_bind(gale_tcp_server *server, int port, const char *address,
                                     int family, int backlog, unsigned flags);

/* Starts accepting on the sockets of earlier bind() calls, after forking
 * `num_processes` workers (Tornado's TCPServer.start): 1 = no fork, accept
 * in this process on the server's loop; 0 = one worker per CPU; n > 1 = n
 * workers.  `max_restarts` as gale_fork_processes() (< 0 = 100).
 *
 * With forking, the server must have been created without a loop (a loop
 * does not survive fork) and start() returns only in the children: the
 * task id (0..n-1), with a new loop made for this child (current on this
 * thread, owned by the server: gale_tcp_server_loop()).  The parent
 * supervises and exits (see gale_fork_processes()).
 *
 * Returns the task id (0 when nothing was forked) or GALE_ESTATE (nothing
 * bound, already started, or forking with a loop), GALE_ENOMEM, GALE_ESYS. */
GALE_EXPORT int gale_tcp_server_start(gale_tcp_server *server, int num_processes, int max_restarts);

/* Stops accepting: closes every listening socket.  Open connections stay
 * open.  Idempotent.  Returns GALE_OK or GALE_EINVAL. */
GALE_EXPORT int gale_tcp_server_stop(gale_tcp_server *server);

/* Graceful shutdown: stops accepting (closes the listening sockets), lets
 * open connections finish, and after `timeout` seconds (<= 0: at once)
 * closes those still open with gale_stream_close() (their owners learn it
 * from their streams' close callbacks, reason GALE_OK, pending reads and
 * writes GALE_ECANCELLED).  `done` (may be NULL) runs once no connection is
 * left, never inside this call; the server may be freed from it.
 * Applications that keep idle connections (keep-alive) should check
 * gale_tcp_server_is_shutting_down() and close them when idle.  Returns
 * GALE_OK, GALE_EINVAL, GALE_EBUSY (a shutdown is already running),
 * GALE_ESTATE (the server never had a loop), GALE_ENOMEM. */
GALE_EXPORT int gale_tcp_server_shutdown(gale_tcp_server *server, double timeout,
                                         gale_tcp_server_done_cb done, void *arg);

GALE_EXPORT bool gale_tcp_server_is_shutting_down(const gale_tcp_server *server);

/* Number of connections accepted and not yet closed (TLS handshakes in
 * progress included). */
GALE_EXPORT size_t gale_tcp_server_connection_count(const gale_tcp_server *server);

/* The server's loop (NULL before one was chosen). */
GALE_EXPORT gale_loop *gale_tcp_server_loop(const gale_tcp_server *server);

/* Copies up to `max` of the server's listening fds (bound or accepting;
 * still owned by the server) into `fds`; returns how many it has in all.
 * Handy with gale_socket_port() after listening on port 0. */
GALE_EXPORT size_t gale_tcp_server_sockets(const gale_tcp_server *server, int *fds, size_t max);

/* Closes every listening socket and every open connection with
 * gale_stream_close() (their close callbacks run on the next loop
 * iteration, as always), cancels a pending shutdown without calling its
 * done callback, cancels the future of every connection coroutine still
 * running (its current or next await returns GALE_ECANCELLED, so it unwinds
 * on the loop's next turns and its stream reference is dropped when it
 * returns; the coroutines no longer need the server), and frees the
 * server — and the loop start() made for a worker, after letting it run
 * those close callbacks.  May be called from
 * handle_stream, a stream callback or the shutdown done callback.  NULL is
 * ignored. */
GALE_EXPORT void gale_tcp_server_free(gale_tcp_server *server);

#ifdef __cplusplus
}
#endif

#endif
