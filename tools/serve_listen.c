/* SPDX-License-Identifier: MIT */
/* gale serve's listening sockets: a unix domain socket (--unix PATH) or TCP
 * (-p / -b), and the text of the "Serving ... on ..." line that names
 * them. */
#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "serve.h"

/* "http://127.0.0.1:8000/", "https://[::1]:8443/" or "unix:/run/x.sock". */
static void describe(int fd, bool tls, char *out, size_t len) {
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  char ip[GALE_SOCKADDR_STRLEN];
  memset(&ss, 0, sizeof ss);
  if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
    snprintf(out, len, "fd %d", fd);
  } else if (ss.ss_family == AF_UNIX) {
    const struct sockaddr_un *sun = (const struct sockaddr_un *)&ss;
    snprintf(out, len, "unix:%s", sl > sizeof(sa_family_t) ? sun->sun_path : "(unnamed)");
  } else if (gale_sockaddr_ip((struct sockaddr *)&ss, ip, sizeof ip) == GALE_OK) {
    bool v6 = ss.ss_family == AF_INET6;
    snprintf(out, len, "%s://%s%s%s:%d/", tls ? "https" : "http", v6 ? "[" : "", ip, v6 ? "]" : "",
             gale_sockaddr_port((struct sockaddr *)&ss));
  } else {
    snprintf(out, len, "fd %d", fd);
  }
}

void cli_serve_describe(gale_tcp_server *tcp, bool tls, char *out, size_t len) {
  int fds[GALE_MAX_LISTEN_SOCKETS];
  size_t n = gale_tcp_server_sockets(tcp, fds, GALE_MAX_LISTEN_SOCKETS);
  size_t used = 0;
  out[0] = '\0';
  for (size_t i = 0; i < n && i < GALE_MAX_LISTEN_SOCKETS && used + 1 < len; i++) {
    char one[160];
    describe(fds[i], tls, one, sizeof one);
    int w = snprintf(out + used, len - used, "%s%s", i ? ", " : "", one);
    if (w < 0) break;
    used += (size_t)w < len - used ? (size_t)w : len - used - 1;
  }
}

int cli_serve_listen(gale_tcp_server *tcp, const cli_serve_conf *conf) {
  int rc;
  if (conf->unix_path) {
    rc = gale_tcp_server_listen_unix(tcp, conf->unix_path, conf->unix_mode);
    if (rc == GALE_OK) return CLI_OK;
    fprintf(stderr, "gale serve: cannot listen on %s: %s%s\n", conf->unix_path, gale_strerror(rc),
            rc == GALE_EEXIST ? " (not a socket: it is left alone)" : "");
    return CLI_EXIT_FAILED;
  }
  rc = gale_tcp_server_listen(tcp, (int)conf->port, conf->address);
  if (rc == GALE_OK) return CLI_OK;
  fprintf(stderr, "gale serve: cannot listen on %s port %ld: %s\n",
          conf->address ? conf->address : "*", conf->port, gale_strerror(rc));
  return CLI_EXIT_FAILED;
}
