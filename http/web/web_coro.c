/* SPDX-License-Identifier: MIT */
/* Coroutine handler classes (.coroutine = true): one coroutine per request
 * runs initialize, prepare and the method, as Tornado's _execute awaits
 * them.
 *
 * The coroutine holds the handler.  When the client leaves, the
 * coroutine's future is cancelled (its pending await returns
 * GALE_ECANCELLED) and on_finish waits for the coroutine to return; when
 * the server frees the request under a live coroutine, the handler drops
 * its request pointer ("orphaned") and the coroutine frees it on the way
 * out, so user code never holds a dangling handler.
 */
#include "gale/coro.h"
#include "gale/log.h"
#include "http/web/web_internal.h"

static int handler_coro(void *arg) {
  gale_web_handler *h = arg;
  gale__web_run_prepare(h);
  gale__web_run_method(h); /* runs only once prepared, and not if done */
  gale_future *f = h->coro;
  h->coro = NULL;
  gale_future_unref(f); /* the coroutine keeps its own until it returns */
  if (h->finish_deferred) {
    h->finish_deferred = false;
    if (h->cls->on_finish) h->cls->on_finish(h);
  }
  if (h->orphaned) gale__web_handler_free(h);
  return GALE_OK;
}

bool gale__web_coro_start(gale_web_handler *h) {
  gale_coro_options o = {.name = h->cls->name ? h->cls->name : "web handler"};
  h->coro = gale_coro_spawn(h->req->server->loop, handler_coro, h, &o);
  if (h->coro) return true;
  gale_log_error("app", "%s %s: cannot start the handler's coroutine", h->req->method,
                 h->req->target);
  gale_web_send_error(h, 500);
  return false;
}

bool gale__web_coro_gone(gale_web_handler *h) {
  if (!h->coro) return false;
  gale_future_cancel(h->coro);
  return true;
}

bool gale__web_coro_orphan(gale_web_handler *h) {
  if (!h->coro) return false;
  if (!h->finished && !h->gone) {
    /* Freed without the close callback (a request finished under the web
     * layer): the client is as good as gone to the handler. */
    h->gone = true;
    h->finished = true;
    h->finish_deferred = true;
    gale_future_cancel(h->coro);
  }
  h->last_status = h->req->status;
  h->req = NULL;
  h->orphaned = true;
  return true;
}

void gale__web_coro_failed(gale_web_handler *h, const char *what, int status) {
  const char *name = h->cls->name ? h->cls->name : "handler";
  if (h->gone) {
    gale_log_debug("app", "%s %s returned %s after the client left", name, what,
                   gale_err_name(status));
    return;
  }
  if (h->finished || !h->req) {
    gale_log_error("app", "%s %s failed after finishing: %s", name, what, gale_strerror(status));
    return;
  }
  gale_log_error("app", "%s %s: %s %s failed: %s", h->req->method, h->req->target, name, what,
                 gale_strerror(status));
  gale__web_note_error(h, what, status, NULL);
  gale_web_send_error(h, 500);
}
