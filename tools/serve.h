/* gale serve's pieces shared between its files (tools/serve*.c). */
#ifndef GALE_TOOLS_SERVE_H
#define GALE_TOOLS_SERVE_H

#include <stdbool.h>

#include "gale.h"

typedef struct cli_serve_conf {
  long port;            /* -p (default 8000) */
  const char *address;  /* -b (NULL: every interface) */
  const char *unix_path; /* --unix PATH instead of TCP */
  int unix_mode;        /* --unix-mode (-1 = the umask's) */
} cli_serve_conf;

/* Opens the listening sockets the configuration names and starts accepting
 * on them.  Prints why on failure.  Returns CLI_OK or CLI_EXIT_FAILED. */
int cli_serve_listen(gale_tcp_server *tcp, const cli_serve_conf *conf);

/* The server's listening sockets as URLs ("http://127.0.0.1:8000/",
 * "unix:/run/gale.sock"), comma-separated, into `out`. */
void cli_serve_describe(gale_tcp_server *tcp, bool tls, char *out, size_t len);

/* systemd socket activation: when LISTEN_FDS is set, starts accepting on
 * the sockets passed (removing the variables) and sets *n to their number
 * (0: not activated, use the configured ones).  Prints why on failure.
 * Returns CLI_OK or CLI_EXIT_FAILED. */
int cli_serve_systemd_sockets(gale_tcp_server *tcp, size_t *n);

/* sd_notify(state) ("READY=1", "STOPPING=1", ...); nothing outside systemd
 * (no NOTIFY_SOCKET) or without libsystemd. */
void cli_serve_notify(const char *state);

/* When the service has a watchdog (WATCHDOG_USEC), sends WATCHDOG=1 now
 * and twice per interval from `loop`; *out gets the timer (NULL when
 * none; free it with gale_periodic_free).  Returns CLI_OK or
 * CLI_EXIT_NOMEM. */
int cli_serve_watchdog_start(gale_loop *loop, gale_periodic **out);

#endif
