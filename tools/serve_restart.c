/* SPDX-License-Identifier: MIT */
/* gale serve's zero-downtime restart (SIGHUP): the binary now at the path
 * this process was started from is executed again with the same arguments,
 * handed the listening sockets (their fd numbers in GALE_SERVE_FDS; they
 * stay the same sockets, so connections waiting in their backlogs are not
 * lost) and a pipe (GALE_SERVE_READY_FD) on which it says "R" once it
 * accepts.  Only then does the old process stop accepting and drain; if
 * the new one exits, fails to exec, or says nothing within
 * RESTART_TIMEOUT, the old one keeps serving. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "serve.h"

#define RESTART_TIMEOUT 30.0 /* seconds the new process gets to accept */

extern char **environ;

int cli_serve_restart_init(cli_serve_restart *r, gale_loop *loop, char **argv) {
  memset(r, 0, sizeof *r);
  r->loop = loop;
  r->argv = argv;
  r->child = -1;
  r->ready_fd = -1;
  /* The path, not the running inode: an upgrade renames a new binary
   * there and the restart runs it. */
  if (!realpath("/proc/self/exe", r->exe)) return CLI_EXIT_FAILED;
  return CLI_OK;
}

static void restart_end(cli_serve_restart *r) {
  gale_watcher_free(r->watch);
  r->watch = NULL;
  if (r->timer) gale_timer_cancel(r->timer);
  r->timer = NULL;
  if (r->ready_fd >= 0) close(r->ready_fd);
  r->ready_fd = -1;
}

static void restart_failed(cli_serve_restart *r, const char *why) {
  restart_end(r);
  int status = 0;
  if (r->child > 0) {
    if (waitpid(r->child, &status, WNOHANG) == 0) {
      kill(r->child, SIGKILL);
      waitpid(r->child, &status, 0);
    }
  }
  fprintf(stderr, "gale serve: restart failed: %s; still serving (pid %d)\n", why, (int)getpid());
  r->child = -1;
}

static void on_ready_pipe(gale_watcher *w, int fd, int events, void *arg) {
  cli_serve_restart *r = arg;
  char c = 0;
  ssize_t n = read(fd, &c, 1);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n == 1 && c == 'R') {
    pid_t child = r->child;
    restart_end(r);
    r->done = true;
    fprintf(stderr, "gale serve: restarted: pid %d accepts; pid %d drains and exits\n", (int)child,
            (int)getpid());
    char note[64];
    snprintf(note, sizeof note, "MAINPID=%d", (int)child);
    cli_serve_notify(note);
    r->on_ready(r->arg);
    return;
  }
  restart_failed(r, "the new process exited before accepting");
}

static void on_restart_timeout(gale_loop *loop, void *arg) {
  cli_serve_restart *r = arg;
  r->timer = NULL;
  restart_failed(r, "the new process did not accept in time");
}

/* GALE_SERVE_FDS=3,4, GALE_SERVE_READY_FD=N and `extra` (may be NULL)
 * added to a copy of the environment (built before fork: the child only
 * execs); `drop` (may be NULL) names a variable left out. */
static char **child_env(const int *fds, size_t n, int ready, const char *extra, const char *drop,
                        char *fdvar, size_t fdlen, char *readyvar, size_t readylen) {
  size_t count = 0;
  while (environ[count]) count++;
  char **env = calloc(count + 4, sizeof *env);
  if (!env) return NULL;
  size_t used = (size_t)snprintf(fdvar, fdlen, "GALE_SERVE_FDS=");
  for (size_t i = 0; i < n && used < fdlen; i++)
    used += (size_t)snprintf(fdvar + used, fdlen - used, "%s%d", i ? "," : "", fds[i]);
  snprintf(readyvar, readylen, "GALE_SERVE_READY_FD=%d", ready);
  size_t k = 0, dl = drop ? strlen(drop) : 0;
  for (size_t i = 0; i < count; i++)
    if (strncmp(environ[i], "GALE_SERVE_", 11) != 0 &&
        !(drop && strncmp(environ[i], drop, dl) == 0 && environ[i][dl] == '='))
      env[k++] = environ[i];
  env[k++] = fdvar;
  env[k++] = readyvar;
  if (extra) env[k++] = (char *)extra;
  return env;
}

pid_t cli_serve_spawn(const char *exe, char **argv, const int *fds, size_t n, const char *extra,
                      const char *drop, int *ready_out) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) != 0) return -1;
  char fdvar[256], readyvar[64];
  char **env =
      child_env(fds, n, pipefd[1], extra, drop, fdvar, sizeof fdvar, readyvar, sizeof readyvar);
  pid_t pid = env ? fork() : -1;
  if (pid == 0) {
    /* Only async-signal-safe calls here. */
    for (size_t i = 0; i < n; i++) fcntl(fds[i], F_SETFD, 0);
    fcntl(pipefd[1], F_SETFD, 0);
    fcntl(pipefd[1], F_SETFL, 0);
    execve(exe, argv, env);
    _exit(127);
  }
  int err = errno;
  free(env);
  close(pipefd[1]);
  if (pid < 0) {
    close(pipefd[0]);
    errno = err;
    return -1;
  }
  *ready_out = pipefd[0];
  return pid;
}

void cli_serve_restart_start(cli_serve_restart *r, gale_tcp_server *tcp) {
  if (r->child > 0 || r->done) {
    fprintf(stderr, "gale serve: SIGHUP: a restart is already under way\n");
    return;
  }
  int fds[GALE_MAX_LISTEN_SOCKETS];
  size_t n = gale_tcp_server_sockets(tcp, fds, GALE_MAX_LISTEN_SOCKETS);
  if (n == 0 || n > GALE_MAX_LISTEN_SOCKETS) {
    fprintf(stderr, "gale serve: SIGHUP: no listening socket to hand over\n");
    return;
  }
  int ready;
  pid_t pid = cli_serve_spawn(r->exe, r->argv, fds, n, NULL, NULL, &ready);
  if (pid < 0) {
    fprintf(stderr, "gale serve: SIGHUP: cannot start a new process: %s\n", strerror(errno));
    return;
  }
  r->child = pid;
  r->ready_fd = ready;
  fprintf(stderr, "gale serve: SIGHUP: starting %s as pid %d\n", r->exe, (int)pid);
  if (gale_watcher_new(r->loop, ready, GALE_READ, on_ready_pipe, r, &r->watch) != GALE_OK ||
      gale_loop_call_later(r->loop, RESTART_TIMEOUT, on_restart_timeout, r, &r->timer) != GALE_OK) {
    r->timer = NULL;
    restart_failed(r, "out of memory");
  }
}

void cli_serve_restart_free(cli_serve_restart *r) { restart_end(r); }

/* ---- the new process's side ------------------------------------------- */

static bool listening_stream(int fd) {
  int v = 0, type = 0;
  socklen_t l = sizeof v, tl = sizeof type;
  return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &l) == 0 && v &&
         getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type == SOCK_STREAM;
}

int cli_serve_inherited_sockets(gale_tcp_server *tcp, size_t *n_out) {
  *n_out = 0;
  const char *list = getenv("GALE_SERVE_FDS");
  if (!list) return CLI_OK;
  int fds[GALE_MAX_LISTEN_SOCKETS];
  size_t n = 0;
  for (const char *p = list; *p;) {
    char *end;
    long fd = strtol(p, &end, 10);
    if (end == p || fd < 0 || fd > INT_MAX || (*end && *end != ',') ||
        n == GALE_MAX_LISTEN_SOCKETS || !listening_stream((int)fd)) {
      fprintf(stderr, "gale serve: GALE_SERVE_FDS=%s: not listening sockets\n", list);
      return CLI_EXIT_FAILED;
    }
    fcntl((int)fd, F_SETFD, FD_CLOEXEC);
    fds[n++] = (int)fd;
    p = *end ? end + 1 : end;
  }
  unsetenv("GALE_SERVE_FDS");
  int rc = gale_tcp_server_add_sockets(tcp, fds, n);
  if (rc != GALE_OK) {
    fprintf(stderr, "gale serve: cannot accept on the inherited sockets: %s\n", gale_strerror(rc));
    return CLI_EXIT_FAILED;
  }
  *n_out = n;
  return CLI_OK;
}

void cli_serve_inherited_ready(void) {
  const char *s = getenv("GALE_SERVE_READY_FD");
  if (!s) return;
  char *end;
  long fd = strtol(s, &end, 10);
  unsetenv("GALE_SERVE_READY_FD");
  if (*end || end == s || fd < 0 || fd > INT_MAX) return;
  ssize_t w;
  do w = write((int)fd, "R", 1);
  while (w < 0 && errno == EINTR);
  close((int)fd);
}
