/* SPDX-License-Identifier: MIT */
/* gale serve's pieces shared between its files (tools/serve*.c). */
#ifndef GALE_TOOLS_SERVE_H
#define GALE_TOOLS_SERVE_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "gale.h"

typedef struct cli_serve_conf {
  long port;             /* -p (default 8000) */
  const char *address;   /* -b (NULL: every interface) */
  const char *unix_path; /* --unix PATH instead of TCP */
  int unix_mode;         /* --unix-mode (-1 = the umask's) */
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

/* ---- zero-downtime restart (serve_restart.c) ---------------------------- */

typedef struct cli_serve_restart {
  gale_loop *loop;
  char **argv;
  char exe[PATH_MAX]; /* the binary's path at start: a SIGHUP runs what is there now */
  pid_t child;        /* the new process while it starts, else -1 */
  int ready_fd;       /* its readiness pipe */
  gale_watcher *watch;
  gale_timer *timer;
  bool done;                   /* handed over: this process drains */
  void (*on_ready)(void *arg); /* the new process accepts: start draining */
  void *arg;
} cli_serve_restart;

int cli_serve_restart_init(cli_serve_restart *r, gale_loop *loop, char **argv);
/* SIGHUP: starts the new process; it takes over when it says it accepts. */
void cli_serve_restart_start(cli_serve_restart *r, gale_tcp_server *tcp);
void cli_serve_restart_free(cli_serve_restart *r);

/* Runs `exe` with `argv` in a child handed the listening `fds` and a
 * readiness pipe (the environment's GALE_SERVE_* replaced by the hand-over
 * variables, plus `extra` "NAME=value" if not NULL, minus variable `drop`
 * if not NULL).  Returns the pid, with *ready_out the pipe's read end
 * (non-blocking; "R" arrives once the child accepts, EOF if it dies), or
 * -1 with errno. */
pid_t cli_serve_spawn(const char *exe, char **argv, const int *fds, size_t n, const char *extra,
                      const char *drop, int *ready_out);

/* --workers N: this process keeps the listening sockets `fds` (borrowed) and runs N
 * workers (exec'd copies handed the sockets), restarts those that die,
 * replaces them one at a time on SIGHUP (the binary now at the path), and
 * on SIGTERM/SIGINT stops them in order and exits 0 when all have.
 * Returns the exit code. */
int cli_serve_supervise(gale_loop *loop, const int *fds, size_t nfds, cli_serve_restart *r,
                        long workers, bool quiet);

/* In the new process: accepts on the sockets GALE_SERVE_FDS names (*n their
 * number, 0 when not restarted), then cli_serve_inherited_ready() tells the
 * old process once this one accepts. */
int cli_serve_inherited_sockets(gale_tcp_server *tcp, size_t *n);
void cli_serve_inherited_ready(void);

#endif
