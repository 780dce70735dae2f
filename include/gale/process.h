/* SPDX-License-Identifier: MIT */
/* gale/process.h — pre-forked worker processes (Tornado's
 * tornado.process.fork_processes).
 *
 * The usual shape: bind the listening sockets, fork, and give each child its
 * own loop (an epoll set must not be shared across fork).
 * gale_tcp_server_start() does all of this; use these directly for other
 * kinds of multi-process programs.
 */
#ifndef GALE_PROCESS_H
#define GALE_PROCESS_H

#include "gale/common.h"
#include "gale/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Tornado's default cap on child restarts. */
#define GALE_DEFAULT_MAX_RESTARTS 100

/* Number of CPUs this process may run on (sched_getaffinity), at least 1. */
GALE_EXPORT int gale_cpu_count(void);

/* Forks `num_processes` children (<= 0: gale_cpu_count()) and returns in
 * each child with its task id, 0 .. num_processes-1.
 *
 * The parent never returns once the children are running: it supervises
 * them.  A child that exits with a non-zero status or dies of a signal is
 * forked again with the same task id (at most `max_restarts` times in all;
 * < 0 means GALE_DEFAULT_MAX_RESTARTS).  A child that exits with status 0
 * is not replaced.  When every child has exited the parent calls exit(0);
 * after too many restarts it terminates the remaining children and calls
 * exit(1).  SIGTERM, SIGINT and SIGHUP sent to the parent are forwarded to
 * every child; after SIGTERM or SIGINT nothing is restarted and the parent
 * exits 0 once the children are gone.
 *
 * Children die with SIGTERM if the parent dies (PR_SET_PDEATHSIG), start
 * with the parent's original signal mask, and must create their own loop.
 * Call it before creating any loop or thread in the process: a forked
 * child must not use a loop created by its parent.
 *
 * Returns (in a child) the task id; (in the caller, nothing forked)
 * GALE_EINVAL for num_processes > 4096, GALE_ESTATE when called twice,
 * GALE_ESYS when the first fork fails (children forked before a failing
 * fork are terminated first). */
GALE_EXPORT int gale_fork_processes(int num_processes, int max_restarts);

/* The task id of this process if it was forked by gale_fork_processes(),
 * else -1 (Tornado's task_id() returning None). */
GALE_EXPORT int gale_process_task_id(void);

#ifdef __cplusplus
}
#endif

#endif
