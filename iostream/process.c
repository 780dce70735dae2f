/* SPDX-License-Identifier: MIT */
/* Pre-forked workers supervised by the parent (tornado.process). */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gale/log.h"
#include "gale/process.h"
#include "iostream/server_internal.h"

#define MAX_PROCESSES 4096

static int task_id = -1;
static bool forked; /* fork_processes ran in this process */

int gale_cpu_count(void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

int gale_process_task_id(void) { return task_id; }

void gale__process_reset(void) {
  task_id = -1;
  forked = false;
}

/* Signals the supervisor handles itself, with sigtimedwait. */
static void supervisor_sigset(sigset_t *set) {
  sigemptyset(set);
  sigaddset(set, SIGCHLD);
  sigaddset(set, SIGTERM);
  sigaddset(set, SIGINT);
  sigaddset(set, SIGHUP);
}

/* Runs in the new child: returns its task id. */
static int become_child(int id, pid_t parent, const sigset_t *old_mask) {
  task_id = id;
  /* Orphaned workers would keep the port; die with the parent instead. */
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) _exit(0); /* the parent died before prctl */
  sigprocmask(SIG_SETMASK, old_mask, NULL);
  return id;
}

static pid_t start_child(int id, pid_t parent, const sigset_t *old_mask, int *child_ret) {
  pid_t pid = fork();
  if (pid == 0) *child_ret = become_child(id, parent, old_mask);
  return pid;
}

static void signal_all(const pid_t *pids, int n, int sig) {
  for (int i = 0; i < n; i++)
    if (pids[i] > 0) kill(pids[i], sig);
}

static int live_count(const pid_t *pids, int n) {
  int live = 0;
  for (int i = 0; i < n; i++) live += pids[i] > 0;
  return live;
}

/* Reaps every exited child; returns false when restarts ran out. */
static bool reap(pid_t *pids, int n, int *restarts, int max_restarts, bool stopping, pid_t parent,
                 const sigset_t *old_mask, int *child_ret) {
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return true;
    int id = -1;
    for (int i = 0; i < n; i++)
      if (pids[i] == pid) id = i;
    if (id < 0) continue; /* not one of ours */
    pids[id] = 0;
    if (WIFSIGNALED(status)) {
      gale_log_warning(NULL, "child %d (pid %d) killed by signal %d", id, (int)pid,
                       WTERMSIG(status));
    } else if (WEXITSTATUS(status) != 0) {
      gale_log_warning(NULL, "child %d (pid %d) exited with status %d", id, (int)pid,
                       WEXITSTATUS(status));
    } else {
      gale_log_info(NULL, "child %d (pid %d) exited normally", id, (int)pid);
      continue;
    }
    if (stopping) continue;
    if (++*restarts > max_restarts) return false;
    pid_t np = start_child(id, parent, old_mask, child_ret);
    if (np == 0) return true; /* we are the new child */
    if (np < 0)
      gale_log_error(NULL, "fork for child %d failed: errno %d", id, errno);
    else
      pids[id] = np;
  }
}

/* The parent's life from here on: never returns. */
static int supervise(pid_t *pids, int n, int max_restarts, pid_t parent, const sigset_t *old_mask,
                     const sigset_t *set) {
  int restarts = 0, child_ret = -1;
  bool stopping = false;
  while (live_count(pids, n) > 0) {
    struct timespec ts = {1, 0}; /* also polls, should a SIGCHLD be lost */
    int sig = sigtimedwait(set, NULL, &ts);
    if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) {
      signal_all(pids, n, sig);
      if (sig != SIGHUP) stopping = true;
      continue;
    }
    if (!reap(pids, n, &restarts, max_restarts, stopping, parent, old_mask, &child_ret)) {
      gale_log_error(NULL, "too many child restarts (%d), giving up", max_restarts);
      signal_all(pids, n, SIGTERM);
      while (live_count(pids, n) > 0) {
        pid_t pid = wait(NULL);
        if (pid < 0 && errno != EINTR) break;
        for (int i = 0; i < n; i++)
          if (pids[i] == pid) pids[i] = 0;
      }
      exit(1);
    }
    if (child_ret >= 0) {
      free(pids);
      return child_ret;
    }
  }
  exit(0);
}

int gale_fork_processes(int num_processes, int max_restarts) {
  if (num_processes > MAX_PROCESSES) return GALE_EINVAL;
  if (forked) return GALE_ESTATE;
  if (num_processes <= 0) num_processes = gale_cpu_count();
  if (max_restarts < 0) max_restarts = GALE_DEFAULT_MAX_RESTARTS;
  gale_log_info(NULL, "starting %d processes", num_processes);

  pid_t *pids = calloc((size_t)num_processes, sizeof *pids);
  if (!pids) return GALE_ENOMEM;
  /* Block the supervisor's signals before the first fork, so a child dying
   * at once (or a SIGTERM) is not lost between fork and sigtimedwait. */
  sigset_t set, old_mask;
  supervisor_sigset(&set);
  sigprocmask(SIG_BLOCK, &set, &old_mask);
  forked = true;
  pid_t parent = getpid();
  for (int i = 0; i < num_processes; i++) {
    int child_ret = -1;
    pid_t pid = start_child(i, parent, &old_mask, &child_ret);
    if (pid == 0) {
      free(pids);
      return child_ret;
    }
    if (pid < 0) {
      int err = errno;
      signal_all(pids, i, SIGTERM);
      for (int j = 0; j < i; j++) waitpid(pids[j], NULL, 0);
      free(pids);
      sigprocmask(SIG_SETMASK, &old_mask, NULL);
      forked = false;
      errno = err;
      return GALE_ESYS;
    }
    pids[i] = pid;
  }
  return supervise(pids, num_processes, max_restarts, parent, &old_mask, &set);
}
