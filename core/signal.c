/* SPDX-License-Identifier: MIT */
/* Signal handlers run on the loop: libevent's evsignal records the signal
 * in its handler and dispatches it from the loop. */
#include <stdlib.h>

#include "core/alloc.h"
#include "core/loop_internal.h"

struct gale_signal {
  struct gale__handle handle; /* first: the loop frees forgotten ones */
  gale_loop *loop;
  struct event ev;
  int signum;
  gale_signal_cb cb;
  void *arg;
  bool in_cb;
  bool freed;
};

static void on_signal(evutil_socket_t fd, short what, void *arg) {
  gale_signal *sig = arg;
  (void)what;
  sig->in_cb = true;
  sig->cb(sig, (int)fd, sig->arg);
  sig->in_cb = false;
  if (sig->freed) free(sig);
}

static void forget_stop_signal(gale_signal *sig) {
  for (int i = 0; i < 2; i++)
    if (sig->loop->stop_signals[i] == sig) sig->loop->stop_signals[i] = NULL;
}

static void destroy_handle(struct gale__handle *handle) {
  gale_signal *sig = (gale_signal *)handle;
  event_del(&sig->ev);
  forget_stop_signal(sig);
  free(sig);
}

int gale_signal_new(gale_loop *loop, int signum, gale_signal_cb cb, void *arg, gale_signal **out) {
  if (loop == NULL || cb == NULL || out == NULL || signum <= 0 || signum >= NSIG ||
      signum == SIGKILL || signum == SIGSTOP)
    return GALE_EINVAL;
  gale_signal *sig = gale__calloc(1, sizeof *sig);
  if (sig == NULL) return GALE_ENOMEM;
  sig->loop = loop;
  sig->signum = signum;
  sig->cb = cb;
  sig->arg = arg;
  if (evsignal_assign(&sig->ev, loop->base, signum, on_signal, sig) != 0 ||
      event_add(&sig->ev, NULL) != 0) {
    free(sig);
    return GALE_ESYS;
  }
  gale__handle_link(loop, &sig->handle, destroy_handle);
  *out = sig;
  return GALE_OK;
}

void gale_signal_free(gale_signal *sig) {
  if (sig == NULL || sig->freed) return;
  event_del(&sig->ev);
  gale__handle_unlink(&sig->handle);
  forget_stop_signal(sig);
  if (sig->in_cb) {
    sig->freed = true;
    return;
  }
  free(sig);
}

static void stop_on_signal(gale_signal *sig, int signum, void *arg) {
  (void)signum;
  (void)arg;
  gale_loop_stop(sig->loop);
}

int gale_loop_stop_on_signals(gale_loop *loop) {
  static const int signums[2] = {SIGINT, SIGTERM};
  if (loop == NULL) return GALE_EINVAL;
  for (int i = 0; i < 2; i++) {
    if (loop->stop_signals[i] != NULL) continue;
    int rc = gale_signal_new(loop, signums[i], stop_on_signal, NULL, &loop->stop_signals[i]);
    if (rc != GALE_OK) return rc;
  }
  return GALE_OK;
}
