/* SPDX-License-Identifier: MIT */
/* gale serve under systemd: listening sockets passed by socket activation
 * (LISTEN_FDS / LISTEN_FDNAMES, through libsystemd's
 * sd_listen_fds_with_names) and the service manager told READY, STOPPING,
 * STATUS and WATCHDOG (sd_notify).  Built without libsystemd, activation
 * falls back on gale_sockets_from_systemd() and notifications are off. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "serve.h"

int cli_serve_systemd_sockets(gale_tcp_server *tcp, size_t *n_out) {
  *n_out = 0;
  if (!getenv("LISTEN_FDS")) return CLI_OK;
  int fds[GALE_MAX_LISTEN_SOCKETS];
  size_t n = 0;
#ifdef HAVE_LIBSYSTEMD
  char **names = NULL;
  int got = sd_listen_fds_with_names(1, &names); /* 1: children do not inherit them */
  if (got < 0) {
    fprintf(stderr, "gale serve: LISTEN_FDS: %s\n", strerror(-got));
    return CLI_EXIT_FAILED;
  }
  int rc = CLI_OK;
  for (int i = 0; i < got; i++) {
    int fd = SD_LISTEN_FDS_START + i;
    if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
      fprintf(stderr, "gale serve: systemd fd %d (%s) is not a listening stream socket\n", fd,
              names && names[i] ? names[i] : "?");
      rc = CLI_EXIT_FAILED;
    } else if (n < GALE_MAX_LISTEN_SOCKETS) {
      fds[n++] = fd;
    } else {
      fprintf(stderr, "gale serve: more than %d sockets from systemd\n", GALE_MAX_LISTEN_SOCKETS);
      rc = CLI_EXIT_FAILED;
    }
    if (names) free(names[i]);
  }
  free(names);
  if (rc != CLI_OK) return rc;
#else
  int st = gale_sockets_from_systemd(fds, GALE_MAX_LISTEN_SOCKETS, &n);
  if (st == GALE_ENOENT) return CLI_OK;
  if (st != GALE_OK) {
    fprintf(stderr, "gale serve: LISTEN_FDS: %s\n", gale_strerror(st));
    return CLI_EXIT_FAILED;
  }
#endif
  if (n == 0) return CLI_OK; /* for another process (LISTEN_PID), or none */
  int st2 = gale_tcp_server_add_sockets(tcp, fds, n);
  if (st2 != GALE_OK) {
    fprintf(stderr, "gale serve: cannot accept on systemd's sockets: %s\n", gale_strerror(st2));
    return CLI_EXIT_FAILED;
  }
  *n_out = n;
  return CLI_OK;
}

/* ---- notifications ------------------------------------------------------ */

void cli_serve_notify(const char *state) {
#ifdef HAVE_LIBSYSTEMD
  sd_notify(0, state); /* nothing without NOTIFY_SOCKET */
#else
  (void)state;
#endif
}

static void watchdog_tick(gale_loop *loop, void *arg) {
  (void)loop;
  (void)arg;
  cli_serve_notify("WATCHDOG=1");
}

int cli_serve_watchdog_start(gale_loop *loop, gale_periodic **out) {
  *out = NULL;
#ifdef HAVE_LIBSYSTEMD
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return CLI_OK;
  /* Twice per interval, as sd_watchdog_enabled(3) advises. */
  if (gale_periodic_new(loop, (double)usec / 2e6, 0, watchdog_tick, NULL, out) != GALE_OK ||
      gale_periodic_start(*out) != GALE_OK)
    return CLI_EXIT_NOMEM;
  cli_serve_notify("WATCHDOG=1");
#else
  (void)loop;
  (void)watchdog_tick;
#endif
  return CLI_OK;
}
