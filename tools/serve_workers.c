/* SPDX-License-Identifier: MIT */
/* gale serve --workers N: a supervisor that holds the listening sockets and
 * runs N worker processes on them.  Each worker is the binary executed
 * again with the same arguments and GALE_SERVE_WORKER set (so it serves as
 * one process), handed the sockets as on a SIGHUP restart.  Workers that
 * die are started again (at most MAX_RESTARTS in all).  SIGHUP replaces
 * them one at a time, in order: worker i's replacement runs the binary now
 * at the path, and once it accepts the old worker i gets SIGTERM (it
 * drains) and i+1 begins; a replacement that fails stops the round with
 * the rest untouched.  SIGTERM / SIGINT pass SIGTERM to each worker in
 * order and exit 0 once all are gone; a second one sends SIGKILL. */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "serve.h"

#define MAX_RESTARTS 100
#define READY_TIMEOUT 30.0

struct slot {
  pid_t pid;
  int ready_fd;
  gale_watcher *watch;
};

typedef struct sup {
  gale_loop *loop;
  cli_serve_restart *r;
  int fds[GALE_MAX_LISTEN_SOCKETS];
  size_t nfds;
  struct slot *slots, fresh; /* fresh: the replacement during a SIGHUP round */
  long n;
  long rolling;   /* slot being replaced, -1 when no round runs */
  pid_t *retired; /* old workers draining after their replacement */
  long nretired;
  int restarts, stops;
  bool quiet, failed;
  gale_timer *timer;
} sup;

static void slot_clear(struct slot *s) {
  gale_watcher_free(s->watch);
  s->watch = NULL;
  if (s->ready_fd >= 0) close(s->ready_fd);
  s->ready_fd = -1;
}

static void on_ready(gale_watcher *w, int fd, int events, void *arg);

static bool spawn(sup *S, long i, struct slot *s) {
  char extra[48];
  snprintf(extra, sizeof extra, "GALE_SERVE_WORKER=%ld", i);
  s->pid =
      cli_serve_spawn(S->r->exe, S->r->argv, S->fds, S->nfds, extra, "NOTIFY_SOCKET", &s->ready_fd);
  if (s->pid < 0) {
    fprintf(stderr, "gale serve: cannot start worker %ld: %s\n", i, strerror(errno));
    s->ready_fd = -1;
    return false;
  }
  if (gale_watcher_new(S->loop, s->ready_fd, GALE_READ, on_ready, S, &s->watch) != GALE_OK)
    s->watch = NULL;
  return true;
}

static long children(const sup *S) {
  long k = S->nretired + (S->fresh.pid > 0);
  for (long i = 0; i < S->n; i++) k += S->slots[i].pid > 0;
  return k;
}

static void next_round_step(sup *S);

static void round_failed(sup *S, const char *why) {
  fprintf(stderr, "gale serve: restart of worker %ld failed: %s; the old workers keep serving\n",
          S->rolling, why);
  if (S->fresh.pid > 0) kill(S->fresh.pid, SIGKILL); /* reaped by SIGCHLD */
  S->fresh.pid = -1;
  slot_clear(&S->fresh);
  S->rolling = -1;
  if (S->timer) gale_timer_cancel(S->timer);
  S->timer = NULL;
}

static void on_round_timeout(gale_loop *loop, void *arg) {
  sup *S = arg;
  S->timer = NULL;
  round_failed(S, "it did not accept in time");
}

/* A worker (or the replacement) says it accepts, or its pipe closed. */
static void on_ready(gale_watcher *w, int fd, int events, void *arg) {
  sup *S = arg;
  char c = 0;
  ssize_t got = read(fd, &c, 1);
  if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (S->fresh.pid > 0 && fd == S->fresh.ready_fd) {
    if (got != 1 || c != 'R') {
      round_failed(S, "it exited before accepting");
      return;
    }
    long i = S->rolling;
    slot_clear(&S->fresh);
    if (S->timer) gale_timer_cancel(S->timer);
    S->timer = NULL;
    pid_t old = S->slots[i].pid;
    slot_clear(&S->slots[i]);
    S->slots[i] = S->fresh;
    S->fresh.pid = -1;
    if (old > 0) {
      S->retired[S->nretired++] = old;
      kill(old, SIGTERM);
    }
    if (!S->quiet)
      fprintf(stderr, "gale serve: worker %ld: pid %d replaces pid %d\n", i, (int)S->slots[i].pid,
              (int)old);
    S->rolling = i + 1 < S->n ? i + 1 : -1;
    if (S->rolling < 0)
      fprintf(stderr, "gale serve: SIGHUP: all %ld workers replaced\n", S->n);
    else
      next_round_step(S);
    return;
  }
  for (long i = 0; i < S->n; i++)
    if (S->slots[i].ready_fd == fd) slot_clear(&S->slots[i]); /* R or EOF: done either way */
}

static void next_round_step(sup *S) {
  S->fresh.ready_fd = -1;
  if (!spawn(S, S->rolling, &S->fresh)) {
    S->fresh.pid = -1;
    round_failed(S, "cannot start it");
    return;
  }
  if (gale_loop_call_later(S->loop, READY_TIMEOUT, on_round_timeout, S, &S->timer) != GALE_OK)
    S->timer = NULL;
}

static void on_hup(gale_signal *sig, int signum, void *arg) {
  sup *S = arg;
  if (S->stops || S->rolling >= 0) {
    fprintf(stderr, "gale serve: SIGHUP: %s\n", S->stops ? "stopping" : "a restart is under way");
    return;
  }
  fprintf(stderr, "gale serve: SIGHUP: replacing %ld workers one at a time\n", S->n);
  S->rolling = 0;
  next_round_step(S);
}

static void on_stop(gale_signal *sig, int signum, void *arg) {
  sup *S = arg;
  int how = S->stops++ ? SIGKILL : SIGTERM;
  if (!S->quiet)
    fprintf(stderr, "gale serve: %s: %s the workers\n", strsignal(signum),
            how == SIGTERM ? "stopping" : "killing");
  if (S->rolling >= 0) round_failed(S, "stopping");
  for (long i = 0; i < S->n; i++)
    if (S->slots[i].pid > 0) kill(S->slots[i].pid, how);
  for (long i = 0; i < S->nretired; i++) kill(S->retired[i], how);
  if (!children(S)) gale_loop_stop(S->loop);
}

static void reaped(sup *S, pid_t pid, int status) {
  for (long i = 0; i < S->nretired; i++)
    if (S->retired[i] == pid) {
      S->retired[i] = S->retired[--S->nretired];
      return;
    }
  if (pid == S->fresh.pid) {
    S->fresh.pid = -1;
    if (S->rolling >= 0) round_failed(S, "it exited");
    return;
  }
  for (long i = 0; i < S->n; i++) {
    if (S->slots[i].pid != pid) continue;
    slot_clear(&S->slots[i]);
    S->slots[i].pid = -1;
    if (S->stops) return;
    fprintf(stderr, "gale serve: worker %ld (pid %d) %s %d; ", i, (int)pid,
            WIFSIGNALED(status) ? "killed by signal" : "exited with",
            WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    if (++S->restarts > MAX_RESTARTS) {
      fprintf(stderr, "too many restarts: stopping\n");
      S->failed = true;
      on_stop(NULL, SIGTERM, S);
      return;
    }
    fprintf(stderr, "starting it again\n");
    if (!spawn(S, i, &S->slots[i])) S->slots[i].pid = -1;
    return;
  }
}

static void on_child(gale_signal *sig, int signum, void *arg) {
  sup *S = arg;
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) reaped(S, pid, status);
  if (S->stops && !children(S)) gale_loop_stop(S->loop);
}

int cli_serve_supervise(gale_loop *loop, const int *fds, size_t nfds, cli_serve_restart *r, long n,
                        bool quiet) {
  if (n <= 0) n = sysconf(_SC_NPROCESSORS_ONLN) > 0 ? sysconf(_SC_NPROCESSORS_ONLN) : 1;
  sup S = {.loop = loop, .r = r, .n = n, .rolling = -1, .quiet = quiet};
  S.fresh.pid = -1;
  S.fresh.ready_fd = -1;
  S.nfds = nfds < GALE_MAX_LISTEN_SOCKETS ? nfds : GALE_MAX_LISTEN_SOCKETS;
  memcpy(S.fds, fds, S.nfds * sizeof *fds);
  S.slots = calloc((size_t)n, sizeof *S.slots);
  S.retired = calloc((size_t)n + 1, sizeof *S.retired);
  gale_signal *sigs[4] = {NULL, NULL, NULL, NULL};
  int rc = CLI_OK;
  if (!S.slots || !S.retired || gale_signal_new(loop, SIGCHLD, on_child, &S, &sigs[0]) ||
      gale_signal_new(loop, SIGTERM, on_stop, &S, &sigs[1]) ||
      gale_signal_new(loop, SIGINT, on_stop, &S, &sigs[2]) ||
      gale_signal_new(loop, SIGHUP, on_hup, &S, &sigs[3])) {
    fprintf(stderr, "gale serve: out of memory\n");
    rc = CLI_EXIT_NOMEM;
  } else {
    for (long i = 0; i < n; i++) {
      S.slots[i].ready_fd = -1;
      if (!spawn(&S, i, &S.slots[i])) S.slots[i].pid = -1;
    }
    fprintf(stderr, "gale serve: supervising %ld workers (pid %d)\n", n, (int)getpid());
    cli_serve_notify("READY=1");
    gale_loop_run(loop);
    if (S.failed) rc = CLI_EXIT_FAILED;
    if (!quiet) fprintf(stderr, "gale serve: stopped\n");
  }
  for (int i = 0; i < 4; i++) gale_signal_free(sigs[i]);
  for (long i = 0; S.slots && i < n; i++) slot_clear(&S.slots[i]);
  slot_clear(&S.fresh);
  if (S.timer) gale_timer_cancel(S.timer);
  free(S.slots);
  free(S.retired);
  return rc;
}
