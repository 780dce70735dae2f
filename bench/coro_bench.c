/* SPDX-License-Identifier: MIT */
/* Coroutine costs, one line per case (bench/coro.sh runs it beside Python's
 * asyncio and Tornado doing the same work):
 *   switch     one switch between two contexts (the bare gale__ctx_switch)
 *   handoff    one coroutine resolving a future another awaits, through
 *              the loop (one hop: set_result, wake-up, resume)
 *   spawn      gale_coro_spawn to the coroutine's end, awaited by none
 *              (pooled stacks; spawn-cold: freshly mapped ones)
 *   memory     resident bytes per coroutine, 100,000 of them suspended in
 *              gale_sleep
 *   queue      one item through a gale_queue, producer to consumer
 *
 *   coro_bench [N]   N operations per case (default 1000000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/coro_switch.h"
#include "core/coro_stack.h"
#include "gale/coro.h"
#include "gale/future.h"
#include "gale/loop.h"
#include "gale/queue.h"

static long n_ops = 1000000;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void report(const char *name, double seconds, long ops) {
  printf("%-8s %9.1f ns/op  (%ld ops)\n", name, seconds / (double)ops * 1e9, ops);
  fflush(stdout);
}

/* ---- switch -------------------------------------------------------------- */

static gale__ctx main_ctx, a_ctx;
static long switches;

static void bouncer(void *arg) {
  (void)arg;
  for (;;) {
    switches++;
    gale__ctx_switch(&a_ctx, &main_ctx);
  }
}

static void bench_switch(void) {
  static char stack[65536] __attribute__((aligned(16)));
  gale__ctx_init(&a_ctx, stack, sizeof stack, bouncer, NULL);
  double t0 = now();
  for (long i = 0; i < n_ops; i++) gale__ctx_switch(&main_ctx, &a_ctx);
  double t = now() - t0;
  report("switch", t / 2, n_ops); /* there and back: two switches */
}

/* ---- handoff ------------------------------------------------------------- */

typedef struct pingpong {
  gale_loop *loop;
  gale_future *to_ping, *to_pong;
  long rounds;
} pingpong;

static int pinger(void *arg) {
  pingpong *p = arg;
  for (long i = 0; i < p->rounds; i++) {
    gale_future *mine = p->to_ping = gale_future_new(p->loop);
    gale_future_set_result(p->to_pong, NULL, NULL);
    gale_await(mine);
    gale_future_unref(mine);
  }
  return GALE_OK;
}

static int ponger(void *arg) {
  pingpong *p = arg;
  for (long i = 0; i < p->rounds; i++) {
    gale_future *mine = p->to_pong;
    gale_await(mine);
    gale_future_unref(mine);
    p->to_pong = gale_future_new(p->loop);
    gale_future_set_result(p->to_ping, NULL, NULL);
  }
  gale_future_unref(p->to_pong);
  return GALE_OK;
}

static void bench_handoff(void) {
  gale_loop *loop = gale_loop_new();
  pingpong p = {.loop = loop, .rounds = n_ops / 2};
  p.to_pong = gale_future_new(loop);
  gale_future *fb = gale_coro_spawn(loop, ponger, &p, NULL);
  gale_future *fa = gale_coro_spawn(loop, pinger, &p, NULL);
  double t0 = now();
  gale_loop_run_until_complete(loop, fa, -1);
  gale_loop_run_until_complete(loop, fb, -1);
  double t = now() - t0;
  report("handoff", t, p.rounds * 2);
  gale_future_unref(fa);
  gale_future_unref(fb);
  gale_loop_free(loop);
}

/* ---- spawn --------------------------------------------------------------- */

static int nothing(void *arg) {
  ++*(long *)arg;
  return GALE_OK;
}

/* Batches of 64, so the stacks come from the pool as they would for a
 * server spawning one per request; "spawn-cold" maps fresh ones (1,000
 * alive at once, more than the pool keeps). */
static void spawn_batches(const char *name, long n, int batch) {
  gale_loop *loop = gale_loop_new();
  long ran = 0;
  double t0 = now();
  for (long i = 0; i < n; i += batch) {
    for (int j = 0; j < batch; j++) gale_future_unref(gale_coro_spawn(loop, nothing, &ran, NULL));
    while (ran < i + batch) gale_loop_run_once(loop, 0);
  }
  report(name, now() - t0, n);
  gale_loop_free(loop);
}

static void bench_spawn(void) {
  spawn_batches("spawn", n_ops, 64);
  spawn_batches("spawn-cold", n_ops / 10, 1000);
}

/* ---- memory -------------------------------------------------------------- */

static long rss_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (f) {
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    fclose(f);
  }
  return resident * sysconf(_SC_PAGESIZE);
}

static int sleeper(void *arg) {
  gale_future *s = gale_sleep(arg, 3600);
  gale_await(s);
  gale_future_unref(s);
  return GALE_OK;
}

static void bench_memory(void) {
  enum { N = 100000 };
  gale_loop *loop = gale_loop_new();
  gale_future **fs = malloc(N * sizeof *fs);
  long before = rss_bytes();
  int made = 0;
  for (; made < N; made++)
    if ((fs[made] = gale_coro_spawn(loop, sleeper, loop, NULL)) == NULL) break;
  gale_loop_run_once(loop, 0); /* one batch: every coroutine starts and suspends */
  long after = rss_bytes();
  printf("memory   %9.0f B/coro  (%d suspended, %ld KiB resident, guard: %s)\n",
         (double)(after - before) / made, made, (after - before) / 1024, gale__stack_guard_kind());
  fflush(stdout);
  for (int i = 0; i < made; i++) gale_future_unref(fs[i]);
  free(fs);
  gale_loop_free(loop); /* unwinds them all */
  gale__stack_pool_drain();
}

/* ---- queue --------------------------------------------------------------- */

typedef struct pc {
  gale_queue *q;
  long n;
} pc;

static int producer(void *arg) {
  pc *p = arg;
  for (long i = 0; i < p->n; i++) {
    gale_future *f = gale_queue_put(p->q, (void *)(i + 1), -1);
    gale_await(f);
    gale_future_unref(f);
  }
  return GALE_OK;
}

static int consumer(void *arg) {
  pc *p = arg;
  for (long i = 0; i < p->n; i++) {
    gale_future *f = gale_queue_get(p->q, -1);
    gale_await(f);
    gale_future_unref(f);
  }
  return GALE_OK;
}

static void bench_queue(void) {
  gale_loop *loop = gale_loop_new();
  pc p = {.q = gale_queue_new(loop, 1, NULL), .n = n_ops};
  gale_future *fc = gale_coro_spawn(loop, consumer, &p, NULL);
  gale_future *fp = gale_coro_spawn(loop, producer, &p, NULL);
  double t0 = now();
  gale_loop_run_until_complete(loop, fp, -1);
  gale_loop_run_until_complete(loop, fc, -1);
  report("queue", now() - t0, p.n);
  gale_future_unref(fp);
  gale_future_unref(fc);
  gale_queue_free(p.q);
  gale_loop_free(loop);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--kind") == 0) {
    printf("switch %s\n", gale__ctx_kind());
    return 0;
  }
  if (argc > 1) n_ops = atol(argv[1]);
  if (n_ops < 1000) n_ops = 1000;
  bench_switch();
  bench_handoff();
  bench_spawn();
  bench_memory();
  bench_queue();
  return 0;
}
