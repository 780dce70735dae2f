/* SPDX-License-Identifier: MIT */
/* gale/netutil.h — listening sockets and socket-address helpers (Tornado's
 * tornado.netutil: bind_sockets, add_accept_handler).
 *
 * These are the building blocks of gale_tcp_server; use them directly to
 * bind sockets before forking, to take sockets from systemd, or to accept
 * connections on a listening socket without a server object.
 *
 * Every socket gale creates or accepts is non-blocking and close-on-exec.
 */
#ifndef GALE_NETUTIL_H
#define GALE_NETUTIL_H

#include <sys/socket.h>

#include "gale/common.h"
#include "gale/error.h"
#include "gale/loop.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Tornado's default listen backlog (tornado.netutil._DEFAULT_BACKLOG). */
#define GALE_DEFAULT_BACKLOG 128

/* Enough room for any address gale_sockaddr_format() writes:
 * "[" + INET6_ADDRSTRLEN + "]:" + 5 digits + NUL. */
#define GALE_SOCKADDR_STRLEN 64

/* A generous bound for the fds arrays below: bind_sockets opens one socket
 * per distinct address the name resolves to (two for NULL or "localhost"). */
#define GALE_MAX_LISTEN_SOCKETS 16

enum gale_bind_flags {
  /* SO_REUSEPORT: several processes bind the same port and the kernel
   * spreads connections between them. */
  GALE_BIND_REUSEPORT = 0x01
};

/* Creates listening TCP sockets for `port` on `address` (Tornado's
 * bind_sockets).
 *
 * address: NULL or "" = all interfaces (0.0.0.0 and ::); a numeric IPv4 or
 *   IPv6 literal; "localhost"; or a host name.  Names are resolved with the
 *   system resolver (getaddrinfo with AI_PASSIVE | AI_ADDRCONFIG, as
 *   Tornado), which blocks: call this at start-up, not on a running loop.
 * family: AF_UNSPEC (every family the address resolves to), AF_INET or
 *   AF_INET6.
 * port: 0..65535.  0 picks an ephemeral port, and every socket of the call
 *   gets the same one (so 0.0.0.0 and :: agree).
 * backlog: listen(2) backlog; <= 0 means GALE_DEFAULT_BACKLOG.
 * flags: GALE_BIND_REUSEPORT or 0.
 *
 * Each socket has SO_REUSEADDR, IPV6_V6ONLY on IPv6 sockets (so the IPv4
 * socket of the same call can bind the port), O_NONBLOCK and FD_CLOEXEC.
 * An IPv6 address the host cannot bind (IPv6 disabled, EAFNOSUPPORT, or
 * ::1 giving EADDRNOTAVAIL for "localhost") is skipped when another family
 * succeeds, as Tornado does.
 *
 * On success stores up to `max_fds` descriptors in `fds` (owned by the
 * caller: close them, or hand them to gale_tcp_server_add_sockets()) and
 * their number in `*n_fds` (>= 1).  On failure nothing stays open.
 *
 * Returns GALE_OK; GALE_EINVAL (bad port, family, NULL outputs);
 * GALE_ENOENT (the name does not resolve); GALE_ERANGE (more than `max_fds`
 * addresses); GALE_EADDRINUSE, GALE_EADDRNOTAVAIL, GALE_EACCES, GALE_EMFILE,
 * GALE_ESYS (from socket/bind/listen; errno is left set). */
GALE_EXPORT int gale_bind_sockets(int port, const char *address, int family, int backlog,
                                  unsigned flags, int *fds, size_t max_fds, size_t *n_fds);

/* A listening unix domain stream socket at `path` (Tornado's
 * bind_unix_socket): non-blocking, close-on-exec, its file's permissions
 * set to `mode` (e.g. 0660; < 0 = leave them to the umask).  An existing
 * socket file nobody accepts on (left by a process that died) is removed
 * first; one still accepting is GALE_EADDRINUSE; any other file there
 * (regular file, directory, link) is never removed: GALE_EEXIST.  The file
 * stays when the socket is closed (a restarted server, or one handed the
 * socket, keeps serving on it); the next bind removes it.  `backlog` <= 0
 * means GALE_DEFAULT_BACKLOG.  On success *fd_out is the socket (owned by
 * the caller).  Returns GALE_OK, GALE_EINVAL (NULL or empty path, a path
 * too long for sockaddr_un, a bad mode), GALE_EEXIST, GALE_EADDRINUSE,
 * GALE_EACCES, GALE_ENOENT (no such directory), GALE_ESYS. */
GALE_EXPORT int gale_bind_unix_socket(const char *path, int mode, int backlog, int *fd_out);

/* Takes listening sockets passed by systemd socket activation (sd_listen_fds
 * protocol): when $LISTEN_PID is this process, $LISTEN_FDS descriptors
 * start at fd 3.  Each must be a listening stream socket; they are made
 * non-blocking and close-on-exec, and $LISTEN_PID, $LISTEN_FDS and
 * $LISTEN_FDNAMES are removed from the environment so that children do not
 * take them again.  The fds are stored in `fds` (owned by the caller).
 *
 * Returns GALE_OK; GALE_ENOENT when the process was not socket-activated
 * (variables absent, or for another pid); GALE_EINVAL for malformed
 * variables or an fd that is not a listening stream socket; GALE_ERANGE
 * when more than `max_fds` are passed. */
GALE_EXPORT int gale_sockets_from_systemd(int *fds, size_t max_fds, size_t *n_fds);

/* ---- accepting on one listening socket (Tornado's add_accept_handler) ---- */

typedef struct gale_acceptor gale_acceptor;

/* Called once per accepted connection.  `fd` is a connected, non-blocking,
 * close-on-exec socket now owned by the callee; `peer` (borrowed for the
 * call) is its remote address. */
typedef void (*gale_acceptor_cb)(gale_acceptor *acceptor, int fd, const struct sockaddr *peer,
                                 socklen_t peer_len, void *arg);

/* Accepts connections on `listen_fd` (borrowed: the caller closes it after
 * freeing the acceptor) whenever it is readable, with accept4().
 *
 * At most GALE_DEFAULT_BACKLOG connections are accepted per wake-up, so one
 * busy listener cannot starve the rest of the loop.  When accept fails with
 * EMFILE, ENFILE, ENOBUFS or ENOMEM the acceptor stops watching the socket
 * and tries again `backoff` seconds later (<= 0: 0.1 s) instead of spinning
 * on a socket that stays readable; it logs one warning per episode.
 * Connections aborted before accept (ECONNABORTED, EPROTO...) are skipped.
 *
 * The callback may free the acceptor or pause it.  Returns GALE_OK,
 * GALE_EINVAL, GALE_ENOMEM, GALE_ESYS. */
GALE_EXPORT int gale_acceptor_new(gale_loop *loop, int listen_fd, double backoff,
                                  gale_acceptor_cb cb, void *arg, gale_acceptor **out);

/* Stops / restarts accepting (e.g. while at a connection limit).  Pending
 * connections wait in the kernel's backlog meanwhile.  Resuming during an
 * EMFILE back-off waits for the back-off to end.  Returns GALE_OK or
 * GALE_EINVAL. */
GALE_EXPORT int gale_acceptor_pause(gale_acceptor *acceptor);
GALE_EXPORT int gale_acceptor_resume(gale_acceptor *acceptor);

/* The listening fd the acceptor watches. */
GALE_EXPORT int gale_acceptor_fd(const gale_acceptor *acceptor);

/* Stops accepting and frees the handle (not the listening fd).  Safe from
 * inside its callback.  NULL is ignored. */
GALE_EXPORT void gale_acceptor_free(gale_acceptor *acceptor);

/* ---- socket addresses --------------------------------------------------- */

/* Writes "1.2.3.4:80", "[::1]:8080" or a Unix socket path into `buf`
 * (GALE_SOCKADDR_STRLEN is enough for IP addresses).  Returns GALE_OK,
 * GALE_EINVAL (NULL, unknown family), GALE_ERANGE (buffer too small; buf
 * then holds a truncated NUL-terminated string). */
GALE_EXPORT int gale_sockaddr_format(const struct sockaddr *sa, char *buf, size_t len);

/* Writes only the IP address ("1.2.3.4", "::1"); an IPv4-mapped IPv6
 * address is written as IPv4.  Same returns as gale_sockaddr_format(). */
GALE_EXPORT int gale_sockaddr_ip(const struct sockaddr *sa, char *buf, size_t len);

/* The port of an AF_INET/AF_INET6 address in host order, or -1. */
GALE_EXPORT int gale_sockaddr_port(const struct sockaddr *sa);

/* The local port a socket is bound to, or a negative status. */
GALE_EXPORT int gale_socket_port(int fd);

/* Sets O_NONBLOCK and FD_CLOEXEC.  Returns GALE_OK or GALE_ESYS. */
GALE_EXPORT int gale_socket_set_nonblocking(int fd);

#ifdef __cplusplus
}
#endif

#endif
