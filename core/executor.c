/* SPDX-License-Identifier: MIT */
/* The executor: a lazily started pool of worker threads for blocking work.
 * Jobs go through a mutex/cond queue; finished jobs go on a completion list
 * that the loop drains on its thread after an eventfd wake-up. */
#include <stdlib.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/loop_internal.h"

#define GALE_EXECUTOR_MAX 1024

struct job {
  gale_executor_fn fn;
  void *arg;
  gale_executor_done_cb done;
  void *done_arg;
  void *result;
  struct job *next;
};

struct gale__executor {
  gale_loop *loop;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  struct job *queue_head, *queue_tail;
  struct job *done_head, *done_tail;
  pthread_t *threads;
  int nthreads; /* started */
  int size;     /* at most */
  int idle;     /* waiting for a job */
  size_t queued;
  bool shutdown;
};

/* Tornado's IOLoop executor: CPUs x 5 (threads start only as jobs need them). */
static int default_size(void) {
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus < 1) cpus = 1;
  return cpus * 5 > GALE_EXECUTOR_MAX ? GALE_EXECUTOR_MAX : (int)cpus * 5;
}

static struct gale__executor *executor_get(gale_loop *loop) {
  if (loop->executor != NULL) return loop->executor;
  struct gale__executor *ex = gale__calloc(1, sizeof *ex);
  if (ex == NULL) return NULL;
  ex->loop = loop;
  ex->size = default_size();
  if (pthread_mutex_init(&ex->lock, NULL) != 0) {
    free(ex);
    return NULL;
  }
  if (pthread_cond_init(&ex->cond, NULL) != 0) {
    pthread_mutex_destroy(&ex->lock);
    free(ex);
    return NULL;
  }
  loop->executor = ex;
  return ex;
}

static void *worker(void *arg) {
  struct gale__executor *ex = arg;
  pthread_mutex_lock(&ex->lock);
  for (;;) {
    while (ex->queue_head == NULL && !ex->shutdown) {
      ex->idle++;
      pthread_cond_wait(&ex->cond, &ex->lock);
      ex->idle--;
    }
    if (ex->queue_head == NULL) break; /* shutdown with nothing left */
    struct job *job = ex->queue_head;
    ex->queue_head = job->next;
    if (ex->queue_head == NULL) ex->queue_tail = NULL;
    ex->queued--;
    pthread_mutex_unlock(&ex->lock);

    job->result = job->fn(job->arg);

    pthread_mutex_lock(&ex->lock);
    job->next = NULL;
    bool first = ex->done_head == NULL;
    if (ex->done_tail != NULL)
      ex->done_tail->next = job;
    else
      ex->done_head = job;
    ex->done_tail = job;
    if (first) gale__loop_wake(ex->loop);
  }
  pthread_mutex_unlock(&ex->lock);
  return NULL;
}

/* Caller holds the lock.  Workers block every signal: signals belong to the
 * loop thread (libevent's evsignal, SIGINT for a CLI). */
static int start_worker(struct gale__executor *ex) {
  if (ex->threads == NULL) {
    ex->threads = gale__calloc((size_t)ex->size, sizeof *ex->threads);
    if (ex->threads == NULL) return GALE_ENOMEM;
  }
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int err = pthread_create(&ex->threads[ex->nthreads], NULL, worker, ex);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (err != 0) return GALE_ESYS;
  ex->nthreads++;
  return GALE_OK;
}

int gale_loop_set_executor_size(gale_loop *loop, int threads) {
  if (loop == NULL || threads < 1 || threads > GALE_EXECUTOR_MAX) return GALE_EINVAL;
  struct gale__executor *ex = executor_get(loop);
  if (ex == NULL) return GALE_ENOMEM;
  if (ex->nthreads > 0) return GALE_ESTATE;
  ex->size = threads;
  return GALE_OK;
}

int gale_loop_get_executor_size(gale_loop *loop) {
  if (loop == NULL) return GALE_EINVAL;
  struct gale__executor *ex = executor_get(loop);
  return ex ? ex->size : GALE_ENOMEM;
}

int gale_loop_run_in_executor(gale_loop *loop, gale_executor_fn fn, void *arg,
                              gale_executor_done_cb done, void *done_arg) {
  if (loop == NULL || fn == NULL) return GALE_EINVAL;
  struct gale__executor *ex = executor_get(loop);
  if (ex == NULL) return GALE_ENOMEM;
  if (ex->shutdown) return GALE_ECLOSED; /* from a done callback in gale_loop_free */
  struct job *job = gale__calloc(1, sizeof *job);
  if (job == NULL) return GALE_ENOMEM;
  job->fn = fn;
  job->arg = arg;
  job->done = done;
  job->done_arg = done_arg;
  pthread_mutex_lock(&ex->lock);
  if (ex->queue_tail != NULL)
    ex->queue_tail->next = job;
  else
    ex->queue_head = job;
  ex->queue_tail = job;
  ex->queued++;
  int rc = GALE_OK;
  /* Python's rule: start a thread only when none is idle. */
  if ((size_t)ex->idle < ex->queued && ex->nthreads < ex->size) {
    rc = start_worker(ex);
    if (rc != GALE_OK && ex->nthreads > 0) rc = GALE_OK; /* the others will run it */
  }
  if (rc != GALE_OK) {
    /* No worker at all: take the job back (it is the tail). */
    struct job **p = &ex->queue_head;
    while (*p != job) p = &(*p)->next;
    *p = NULL;
    ex->queue_tail = NULL;
    for (struct job *j = ex->queue_head; j != NULL; j = j->next) ex->queue_tail = j;
    ex->queued--;
    pthread_mutex_unlock(&ex->lock);
    free(job);
    return rc;
  }
  pthread_cond_signal(&ex->cond);
  pthread_mutex_unlock(&ex->lock);
  return GALE_OK;
}

static void deliver(gale_loop *loop, struct job *job, int status) {
  while (job != NULL) {
    struct job *next = job->next;
    if (job->done != NULL)
      job->done(loop, status, status == GALE_OK ? job->result : NULL, job->done_arg);
    free(job);
    job = next;
  }
}

void gale__executor_drain(gale_loop *loop) {
  struct gale__executor *ex = loop->executor;
  if (ex == NULL) return;
  pthread_mutex_lock(&ex->lock);
  struct job *done = ex->done_head;
  ex->done_head = ex->done_tail = NULL;
  pthread_mutex_unlock(&ex->lock);
  deliver(loop, done, GALE_OK);
}

bool gale__executor_shutting_down(gale_loop *loop) {
  struct gale__executor *ex = loop->executor;
  pthread_mutex_lock(&ex->lock);
  bool down = ex->shutdown;
  pthread_mutex_unlock(&ex->lock);
  return down;
}

void gale__executor_free(gale_loop *loop) {
  struct gale__executor *ex = loop->executor;
  if (ex == NULL) return;
  pthread_mutex_lock(&ex->lock);
  struct job *cancelled = ex->queue_head;
  ex->queue_head = ex->queue_tail = NULL;
  ex->queued = 0;
  ex->shutdown = true;
  pthread_cond_broadcast(&ex->cond);
  pthread_mutex_unlock(&ex->lock);
  for (int i = 0; i < ex->nthreads; i++) pthread_join(ex->threads[i], NULL);
  /* Jobs that finished first, then those that never ran. */
  gale__executor_drain(loop);
  deliver(loop, cancelled, GALE_ECANCELLED);
  loop->executor = NULL;
  pthread_cond_destroy(&ex->cond);
  pthread_mutex_destroy(&ex->lock);
  free(ex->threads);
  free(ex);
}
