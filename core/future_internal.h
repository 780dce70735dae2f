/* SPDX-License-Identifier: MIT */
/* core/future_internal.h — what core's coroutines need from a future.
 *
 * A hook is told synchronously, inside set_result / set_error / cancel,
 * that a pending future resolved: unlike a done callback it allocates
 * nothing (the caller embeds it) and can be taken back while the future is
 * still pending.  A hook must do nothing but note the event (queue work on
 * the loop): it runs in the middle of whoever resolved the future.
 */
#ifndef GALE_CORE_FUTURE_INTERNAL_H
#define GALE_CORE_FUTURE_INTERNAL_H

#include <stdbool.h>

#include "gale/future.h"

struct gale__future_hook {
  void (*fired)(struct gale__future_hook *hook);
  struct gale__future_hook *next;
  bool linked; /* on a pending future's list */
};

/* Links `hook` to a pending future (the caller checked it is pending). */
GALE_INTERNAL void gale__future_hook_add(gale_future *future, struct gale__future_hook *hook);

/* Unlinks a hook that has not fired; does nothing if it is not linked. */
GALE_INTERNAL void gale__future_hook_remove(gale_future *future, struct gale__future_hook *hook);

#endif
