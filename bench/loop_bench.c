/* SPDX-License-Identifier: MIT */
/* The loop's overhead over raw libevent, same work in one run: callbacks
 * (a chain where each callback schedules the next, and batches), and timers
 * (schedule + fire, schedule + cancel).  Prints one line per case with the
 * ratio gale time / libevent time (lower is better; 1.0 = no overhead).
 *
 *   loop_bench [N [CASE]]   N operations per case (default 1000000); CASE
 *                           runs one side of one case once, for perf/strace:
 *                           gale-chain raw-once raw-fair gale-batch raw-batch
 *                           gale-fire raw-fire gale-cancel raw-cancel
 */
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "gale/loop.h"

#define BATCH 1000

static long n_ops = 1000000;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static struct event_base *raw_base(void) {
  /* The same configuration gale uses, so only the wrapper differs. */
  struct event_config *cfg = event_config_new();
  event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
  event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
  struct event_base *base = event_base_new_with_config(cfg);
  event_config_free(cfg);
  return base;
}

static void report(const char *name, double gale_s, double raw_s, const char *peer) {
  printf("%-34s gale %7.3f s (%6.2f M/s)  %-22s %7.3f s (%6.2f M/s)  ratio %.2f\n", name, gale_s,
         n_ops / gale_s / 1e6, peer, raw_s, n_ops / raw_s / 1e6, gale_s / raw_s);
  fflush(stdout);
}

/* ---- callbacks: chain ---------------------------------------------------- */

static long count;

static void gale_chain_cb(gale_loop *loop, void *arg) {
  if (++count < n_ops)
    gale_loop_add_callback(loop, gale_chain_cb, arg);
  else
    gale_loop_stop(loop);
}

static double gale_chain(void) {
  gale_loop *loop = gale_loop_new();
  count = 0;
  double t0 = now();
  gale_loop_add_callback(loop, gale_chain_cb, NULL);
  gale_loop_run(loop);
  double t = now() - t0;
  gale_loop_free(loop);
  return t;
}

static struct event_base *base;
static const struct timeval zero = {0, 0};

/* event_base_once with a 0 timeout is activated at once and run in the same
 * pass: no poll between callbacks (it can starve I/O). */
static void raw_once_cb(evutil_socket_t fd, short what, void *arg) {
  (void)fd;
  (void)what;
  if (++count < n_ops)
    event_base_once(base, -1, EV_TIMEOUT, raw_once_cb, arg, &zero);
  else
    event_base_loopbreak(base);
}

static double raw_chain_once(void) {
  base = raw_base();
  count = 0;
  double t0 = now();
  event_base_once(base, -1, EV_TIMEOUT, raw_once_cb, NULL, &zero);
  event_base_dispatch(base);
  double t = now() - t0;
  event_base_free(base);
  return t;
}

/* The same chain with gale's fairness: each callback waits for the next
 * iteration (a 0-second timer), so I/O is polled between callbacks. */
static struct event fair_ev;

static void raw_fair_cb(evutil_socket_t fd, short what, void *arg) {
  (void)fd;
  (void)what;
  (void)arg;
  if (++count < n_ops)
    event_add(&fair_ev, &zero);
  else
    event_base_loopbreak(base);
}

static double raw_chain_fair(void) {
  base = raw_base();
  count = 0;
  evtimer_assign(&fair_ev, base, raw_fair_cb, NULL);
  double t0 = now();
  event_add(&fair_ev, &zero);
  event_base_dispatch(base);
  double t = now() - t0;
  event_base_free(base);
  return t;
}

/* ---- callbacks: batches ------------------------------------------------- */

static long batch_left;

static void gale_batch_item(gale_loop *loop, void *arg);

static void gale_batch_start(gale_loop *loop) {
  for (int i = 0; i < BATCH; i++) gale_loop_add_callback(loop, gale_batch_item, NULL);
  batch_left = BATCH;
}

static void gale_batch_item(gale_loop *loop, void *arg) {
  (void)arg;
  count++;
  if (--batch_left > 0) return;
  if (count < n_ops)
    gale_batch_start(loop);
  else
    gale_loop_stop(loop);
}

static double gale_batches(void) {
  gale_loop *loop = gale_loop_new();
  count = 0;
  double t0 = now();
  gale_batch_start(loop);
  gale_loop_run(loop);
  double t = now() - t0;
  gale_loop_free(loop);
  return t;
}

static void raw_batch_item(evutil_socket_t fd, short what, void *arg);

static void raw_batch_start(void) {
  for (int i = 0; i < BATCH; i++)
    event_base_once(base, -1, EV_TIMEOUT, raw_batch_item, NULL, &zero);
  batch_left = BATCH;
}

static void raw_batch_item(evutil_socket_t fd, short what, void *arg) {
  (void)fd;
  (void)what;
  (void)arg;
  count++;
  if (--batch_left > 0) return;
  if (count < n_ops)
    raw_batch_start();
  else
    event_base_loopbreak(base);
}

static double raw_batches(void) {
  base = raw_base();
  count = 0;
  double t0 = now();
  raw_batch_start();
  event_base_dispatch(base);
  double t = now() - t0;
  event_base_free(base);
  return t;
}

/* ---- timers: schedule + fire -------------------------------------------- */

/* Deadlines spread over 1 ms, 1000 distinct values. */
static double spread(long i) { return (double)(i % 1000 + 1) * 1e-6; }

static void gale_timer_cb(gale_loop *loop, void *arg) {
  (void)arg;
  if (++count == n_ops) gale_loop_stop(loop);
}

static double gale_timers_fire(void) {
  gale_loop *loop = gale_loop_new();
  count = 0;
  double t0 = now();
  for (long i = 0; i < n_ops; i++) gale_loop_call_later(loop, spread(i), gale_timer_cb, NULL, NULL);
  gale_loop_run(loop);
  double t = now() - t0;
  gale_loop_free(loop);
  return t;
}

static void raw_timer_cb(evutil_socket_t fd, short what, void *arg) {
  (void)fd;
  (void)what;
  (void)arg;
  if (++count == n_ops) event_base_loopbreak(base);
}

static double raw_timers_fire(void) {
  base = raw_base();
  count = 0;
  double t0 = now();
  for (long i = 0; i < n_ops; i++) {
    struct timeval tv = {0, (suseconds_t)(i % 1000 + 1)};
    event_base_once(base, -1, EV_TIMEOUT, raw_timer_cb, NULL, &tv);
  }
  event_base_dispatch(base);
  double t = now() - t0;
  event_base_free(base);
  return t;
}

/* ---- timers: schedule + cancel ------------------------------------------ */

static double gale_timers_cancel(void) {
  gale_loop *loop = gale_loop_new();
  gale_timer **timers = malloc((size_t)n_ops * sizeof *timers);
  double t0 = now();
  for (long i = 0; i < n_ops; i++)
    gale_loop_call_later(loop, 10 + spread(i) * 1000, gale_timer_cb, NULL, &timers[i]);
  for (long i = 0; i < n_ops; i++) gale_timer_cancel(timers[i]);
  double t = now() - t0;
  free(timers);
  gale_loop_free(loop);
  return t;
}

/* A cancellable raw timer needs its own event: event_new/event_free. */
static double raw_timers_cancel(void) {
  base = raw_base();
  struct event **events = malloc((size_t)n_ops * sizeof *events);
  double t0 = now();
  for (long i = 0; i < n_ops; i++) {
    struct timeval tv = {10, (suseconds_t)(i % 1000 + 1) * 1000};
    events[i] = evtimer_new(base, raw_timer_cb, NULL);
    evtimer_add(events[i], &tv);
  }
  for (long i = 0; i < n_ops; i++) event_free(events[i]);
  double t = now() - t0;
  free(events);
  event_base_free(base);
  return t;
}

/* Best of three, to keep a shared machine's noise out of the ratio. */
static double best(double (*fn)(void)) {
  double b = fn();
  for (int i = 0; i < 2; i++) {
    double t = fn();
    if (t < b) b = t;
  }
  return b;
}

int main(int argc, char **argv) {
  if (argc > 1) n_ops = atol(argv[1]);
  if (n_ops < BATCH) n_ops = BATCH;
  n_ops -= n_ops % BATCH;
  if (argc > 2) {
    static const struct {
      const char *name;
      double (*fn)(void);
    } cases[] = {{"gale-chain", gale_chain},       {"raw-once", raw_chain_once},
                 {"raw-fair", raw_chain_fair},     {"gale-batch", gale_batches},
                 {"raw-batch", raw_batches},       {"gale-fire", gale_timers_fire},
                 {"raw-fire", raw_timers_fire},    {"gale-cancel", gale_timers_cancel},
                 {"raw-cancel", raw_timers_cancel}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
      if (strcmp(argv[2], cases[i].name) == 0) {
        printf("%s: %.3f s\n", argv[2], cases[i].fn());
        return 0;
      }
    fprintf(stderr, "unknown case %s\n", argv[2]);
    return 2;
  }
  printf("loop_bench: %ld operations per case, best of 3 (ratio = gale / libevent)\n", n_ops);
  double g = best(gale_chain);
  report("callback chain", g, best(raw_chain_once), "event_base_once(0)");
  report("callback chain (same fairness)", g, best(raw_chain_fair), "event_add(ev, 0s)");
  report("callback batches of 1000", best(gale_batches), best(raw_batches), "event_base_once(0)");
  report("timers schedule+fire", best(gale_timers_fire), best(raw_timers_fire),
         "event_base_once(tv)");
  report("timers schedule+cancel", best(gale_timers_cancel), best(raw_timers_cancel),
         "event_new+add+free");
  libevent_global_shutdown();
  return 0;
}
