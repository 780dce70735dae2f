/* SPDX-License-Identifier: MIT */
/* Listening sockets, systemd activation and address formatting
 * (tornado.netutil's bind_sockets and friends). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "gale/log.h"
#include "gale/netutil.h"

int gale_socket_set_nonblocking(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)) return GALE_ESYS;
  int fdfl = fcntl(fd, F_GETFD);
  if (fdfl < 0 || (!(fdfl & FD_CLOEXEC) && fcntl(fd, F_SETFD, fdfl | FD_CLOEXEC) < 0))
    return GALE_ESYS;
  return GALE_OK;
}

static void close_all(int *fds, size_t n) {
  int saved = errno;
  for (size_t i = 0; i < n; i++) close(fds[i]);
  errno = saved;
}

static int port_of(const struct sockaddr *sa) {
  if (sa->sa_family == AF_INET) return ntohs(((const struct sockaddr_in *)sa)->sin_port);
  if (sa->sa_family == AF_INET6) return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
  return -1;
}

static void set_port(struct sockaddr *sa, int port) {
  if (sa->sa_family == AF_INET)
    ((struct sockaddr_in *)sa)->sin_port = htons((uint16_t)port);
  else if (sa->sa_family == AF_INET6)
    ((struct sockaddr_in6 *)sa)->sin6_port = htons((uint16_t)port);
}

/* Same family and address (ignoring the port): getaddrinfo repeats entries
 * once per socket type and sometimes per /etc/hosts line. */
static bool same_address(const struct sockaddr *a, const struct sockaddr *b) {
  if (a->sa_family != b->sa_family) return false;
  if (a->sa_family == AF_INET)
    return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
           ((const struct sockaddr_in *)b)->sin_addr.s_addr;
  const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;
  return memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof a6->sin6_addr) == 0 &&
         a6->sin6_scope_id == b6->sin6_scope_id;
}

/* One socket bound and listening on `sa`; returns the fd or -1 (errno). */
static int bind_one(struct sockaddr *sa, socklen_t len, int backlog, unsigned flags) {
  int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) goto fail;
  if ((flags & GALE_BIND_REUSEPORT) &&
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0)
    goto fail;
  /* Without V6ONLY, [::]:port also claims 0.0.0.0:port and the IPv4 socket
   * of the same call would fail with EADDRINUSE. */
  if (sa->sa_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0)
    goto fail;
  if (bind(fd, sa, len) < 0 || listen(fd, backlog) < 0) goto fail;
  return fd;
fail:;
  int saved = errno;
  close(fd);
  errno = saved;
  return -1;
}

static int resolve(int port, const char *address, int family, struct addrinfo **out) {
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  if (address && *address) {
    struct in6_addr tmp;
    if (inet_pton(AF_INET, address, &tmp) == 1 || inet_pton(AF_INET6, address, &tmp) == 1)
      hints.ai_flags |= AI_NUMERICHOST;
    else
      hints.ai_flags |= AI_ADDRCONFIG;
  } else {
    address = NULL;
    hints.ai_flags |= AI_ADDRCONFIG;
  }
  char service[8];
  snprintf(service, sizeof service, "%d", port);
  int rc = getaddrinfo(address, service, &hints, out);
  if (rc == 0) return GALE_OK;
  /* AI_ADDRCONFIG counts no loopback address, so a host with only lo (a
   * container) gets EAI_NONAME/EAI_ADDRFAMILY: retry without it. */
  if (hints.ai_flags & AI_ADDRCONFIG) {
    hints.ai_flags &= ~AI_ADDRCONFIG;
    rc = getaddrinfo(address, service, &hints, out);
    if (rc == 0) return GALE_OK;
  }
  if (rc == EAI_MEMORY) return GALE_ENOMEM;
  if (rc == EAI_SYSTEM) return gale_err_from_errno(errno);
  if (rc == EAI_FAMILY) return GALE_EINVAL;
  return GALE_ENOENT;
}

/* Errors on an IPv6 address that mean "this host has no usable IPv6" rather
 * than a real failure. */
static bool ipv6_unusable(const struct sockaddr *sa, const char *address, int err) {
  if (sa->sa_family != AF_INET6) return false;
  if (err == EAFNOSUPPORT || err == EPROTONOSUPPORT) return true;
  return err == EADDRNOTAVAIL && address && strcmp(address, "localhost") == 0;
}

/* One attempt: a socket per distinct address of res, all on the same port
 * (the first one's kernel-chosen port when port is 0).  On failure closes
 * what it opened. */
static int bind_each(struct addrinfo *res, int port, const char *address, int backlog,
                     unsigned flags, int *fds, size_t max_fds, size_t *n_fds) {
  size_t n = 0;
  int bound_port = 0, last_errno = 0, skipped = 0;
  int rc = GALE_OK;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    bool dup = false;
    for (struct addrinfo *p = res; p != ai; p = p->ai_next)
      if (same_address(p->ai_addr, ai->ai_addr)) dup = true;
    if (dup) continue;
    if (n == max_fds) {
      rc = GALE_ERANGE;
      break;
    }
    struct sockaddr_storage ss;
    memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
    if (port == 0 && bound_port) set_port((struct sockaddr *)&ss, bound_port);
    int fd = bind_one((struct sockaddr *)&ss, ai->ai_addrlen, backlog, flags);
    if (fd < 0) {
      if (ipv6_unusable(ai->ai_addr, address, errno)) {
        last_errno = errno;
        skipped++;
        continue;
      }
      rc = gale_err_from_errno(errno);
      break;
    }
    fds[n++] = fd;
    if (port == 0 && !bound_port) {
      int p = gale_socket_port(fd);
      if (p > 0) bound_port = p;
    }
  }
  if (rc == GALE_OK && n == 0) {
    errno = last_errno;
    rc = skipped ? gale_err_from_errno(last_errno) : GALE_ENOENT;
  }
  if (rc != GALE_OK) {
    close_all(fds, n);
    return rc;
  }
  *n_fds = n;
  return GALE_OK;
}

int gale_bind_sockets(int port, const char *address, int family, int backlog, unsigned flags,
                      int *fds, size_t max_fds, size_t *n_fds) {
  if (port < 0 || port > 65535 || !fds || !n_fds || max_fds == 0 ||
      (family != AF_UNSPEC && family != AF_INET && family != AF_INET6) ||
      (flags & ~(unsigned)GALE_BIND_REUSEPORT))
    return GALE_EINVAL;
  if (backlog <= 0) backlog = GALE_DEFAULT_BACKLOG;
  *n_fds = 0;

  struct addrinfo *res = NULL;
  int rc = resolve(port, address, family, &res);
  if (rc != GALE_OK) return rc;

  /* With port 0 the kernel picks the first family's port, which may be
   * taken in the other family: pick again, as Tornado's bind_sockets does. */
  for (int attempt = 0;; attempt++) {
    rc = bind_each(res, port, address, backlog, flags, fds, max_fds, n_fds);
    if (rc != GALE_EADDRINUSE || port != 0 || attempt == 9) break;
  }
  freeaddrinfo(res);
  return rc;
}

/* ---- systemd socket activation ----------------------------------------- */

/* A decimal integer with nothing around it, in [lo, hi]. */
static bool parse_long(const char *s, long lo, long hi, long *out) {
  if (!s || *s < '0' || *s > '9') return false;
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || v < lo || v > hi) return false;
  *out = v;
  return true;
}

static bool is_listening_stream(int fd) {
  struct stat st;
  int type = 0, acc = 0;
  socklen_t len = sizeof type;
  if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode)) return false;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM) return false;
  len = sizeof acc;
  return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) == 0 && acc;
}

int gale_sockets_from_systemd(int *fds, size_t max_fds, size_t *n_fds) {
  if (!fds || !n_fds) return GALE_EINVAL;
  *n_fds = 0;
  const char *pid_s = getenv("LISTEN_PID"), *n_s = getenv("LISTEN_FDS");
  if (!pid_s || !n_s) return GALE_ENOENT;
  long pid, n;
  if (!parse_long(pid_s, 1, INT_MAX, &pid)) return GALE_EINVAL;
  if (pid != (long)getpid()) return GALE_ENOENT;
  if (!parse_long(n_s, 0, INT_MAX - 3, &n)) return GALE_EINVAL;
  if ((size_t)n > max_fds) return GALE_ERANGE;
  for (long i = 0; i < n; i++)
    if (!is_listening_stream(3 + (int)i)) return GALE_EINVAL;
  for (long i = 0; i < n; i++) {
    if (gale_socket_set_nonblocking(3 + (int)i) != GALE_OK) return GALE_ESYS;
    fds[i] = 3 + (int)i;
  }
  unsetenv("LISTEN_PID");
  unsetenv("LISTEN_FDS");
  unsetenv("LISTEN_FDNAMES");
  *n_fds = (size_t)n;
  return GALE_OK;
}

/* ---- addresses ------------------------------------------------------------ */

int gale_sockaddr_ip(const struct sockaddr *sa, char *buf, size_t len) {
  if (!sa || !buf || len == 0) return GALE_EINVAL;
  char tmp[INET6_ADDRSTRLEN];
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, tmp, sizeof tmp);
  } else if (sa->sa_family == AF_INET6) {
    const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(a))
      inet_ntop(AF_INET, &a->s6_addr[12], tmp, sizeof tmp);
    else
      inet_ntop(AF_INET6, a, tmp, sizeof tmp);
  } else {
    buf[0] = '\0';
    return GALE_EINVAL;
  }
  int w = snprintf(buf, len, "%s", tmp);
  return (size_t)w < len ? GALE_OK : GALE_ERANGE;
}

int gale_sockaddr_format(const struct sockaddr *sa, char *buf, size_t len) {
  if (!sa || !buf || len == 0) return GALE_EINVAL;
  int w;
  if (sa->sa_family == AF_UNIX) {
    const struct sockaddr_un *un = (const void *)sa;
    w = snprintf(buf, len, "%.*s", (int)sizeof un->sun_path, un->sun_path);
    return (size_t)w < len ? GALE_OK : GALE_ERANGE;
  }
  char ip[INET6_ADDRSTRLEN];
  int rc = gale_sockaddr_ip(sa, ip, sizeof ip);
  if (rc != GALE_OK) {
    buf[0] = '\0';
    return rc;
  }
  bool v6 = strchr(ip, ':') != NULL;
  w = snprintf(buf, len, v6 ? "[%s]:%d" : "%s:%d", ip, port_of(sa));
  return (size_t)w < len ? GALE_OK : GALE_ERANGE;
}

int gale_sockaddr_port(const struct sockaddr *sa) { return sa ? port_of(sa) : -1; }

int gale_socket_port(int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) return gale_err_from_errno(errno);
  int p = port_of((struct sockaddr *)&ss);
  return p < 0 ? GALE_EINVAL : p;
}

/* ---- unix domain sockets ------------------------------------------------ */

/* What sits at `path` before binding: nothing, a stale socket (removed), a
 * live one (in use), or something that is not ours to remove. */
static int clear_unix_path(const char *path, const struct sockaddr_un *sun) {
  struct stat st;
  if (lstat(path, &st) != 0) return errno == ENOENT ? GALE_OK : gale_err_from_errno(errno);
  if (!S_ISSOCK(st.st_mode)) return GALE_EEXIST;
  int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (probe < 0) return gale_err_from_errno(errno);
  int rc = connect(probe, (const struct sockaddr *)sun, sizeof *sun) == 0 ? GALE_EADDRINUSE
           : errno == EAGAIN                                              ? GALE_EADDRINUSE
           : errno == ECONNREFUSED                                        ? GALE_OK
                                   : gale_err_from_errno(errno);
  close(probe);
  if (rc == GALE_OK && unlink(path) != 0 && errno != ENOENT) rc = gale_err_from_errno(errno);
  return rc;
}

int gale_bind_unix_socket(const char *path, int mode, int backlog, int *fd_out) {
  if (!path || !*path || !fd_out || mode > 07777) return GALE_EINVAL;
  struct sockaddr_un sun;
  memset(&sun, 0, sizeof sun);
  sun.sun_family = AF_UNIX;
  size_t len = strlen(path);
  if (len >= sizeof sun.sun_path) return GALE_EINVAL;
  memcpy(sun.sun_path, path, len + 1);
  int rc = clear_unix_path(path, &sun);
  if (rc != GALE_OK) return rc;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return gale_err_from_errno(errno);
  if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
    rc = gale_err_from_errno(errno);
    close(fd);
    return rc;
  }
  /* After bind: a unix socket's permissions are its file's. */
  if ((mode >= 0 && chmod(path, (mode_t)mode) != 0) ||
      listen(fd, backlog > 0 ? backlog : GALE_DEFAULT_BACKLOG) != 0) {
    rc = gale_err_from_errno(errno);
    unlink(path);
    close(fd);
    return rc;
  }
  *fd_out = fd;
  return GALE_OK;
}
