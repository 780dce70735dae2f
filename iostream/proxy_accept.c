/* SPDX-License-Identifier: MIT */
/* Reading a PROXY protocol header off an accepted socket before the TCP
 * server makes a stream of it (iostream/server_internal.h).  The header's
 * bytes are taken off the socket and nothing after them: each wake-up peeks
 * at what arrived, and takes all of it while the header is incomplete (all
 * of it is header then) or exactly the header's length once complete, so
 * what follows (a TLS ClientHello, a pipelined request) stays in the socket
 * for the stream. */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gale/log.h"
#include "iostream/server_internal.h"

static void reader_release(gale__proxy_reader *r) {
  gale_watcher_free(r->watcher);
  if (r->timer) gale_timer_cancel(r->timer);
  free(r);
}

static void finish(gale__proxy_reader *r, int status, const gale__proxy_addrs *addrs) {
  int fd = r->fd;
  if (status != GALE_OK) {
    gale_log_debug(NULL, "PROXY protocol header on fd %d: %s; closing", fd,
                   status == GALE_EINVAL   ? "malformed (or none)"
                   : status == GALE_ELIMIT ? "too long"
                                           : gale_strerror(status));
    close(fd);
    fd = -1;
  }
  r->cb(r, status, fd, addrs, r->arg); /* the owner unlinks r */
  reader_release(r);
}

static void on_timeout(gale_loop *loop, void *arg) {
  gale__proxy_reader *r = arg;
  r->timer = NULL;
  finish(r, GALE_ETIMEDOUT_READ, NULL);
}

/* recv that retries on EINTR; -1 with errno otherwise. */
static ssize_t recv_some(int fd, void *buf, size_t len, int flags) {
  ssize_t n;
  do n = recv(fd, buf, len, flags);
  while (n < 0 && errno == EINTR);
  return n;
}

static void on_readable(gale_watcher *w, int fd, int events, void *arg) {
  gale__proxy_reader *r = arg;
  size_t room = sizeof r->buf - r->have;
  ssize_t n = recv_some(fd, r->buf + r->have, room, MSG_PEEK);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
  if (n <= 0) {
    finish(r, n == 0 ? GALE_EOF : GALE_ESYS, NULL);
    return;
  }
  gale__proxy_addrs addrs;
  int rc = gale__proxy_parse(r->buf, r->have + (size_t)n, &addrs);
  if (rc < 0) {
    finish(r, rc == GALE__PROXY_TOO_LONG ? GALE_ELIMIT : GALE_EINVAL, NULL);
    return;
  }
  /* Complete: take the rest of the header; incomplete: take all (header). */
  size_t take = rc > 0 ? (size_t)rc - r->have : (size_t)n;
  if (recv_some(fd, r->buf + r->have, take, 0) != (ssize_t)take) {
    finish(r, GALE_ESYS, NULL);
    return;
  }
  r->have += take;
  if (rc > 0)
    finish(r, GALE_OK, &addrs);
  else if (r->have == sizeof r->buf)
    finish(r, GALE_ELIMIT, NULL); /* unreachable with the parser's own caps */
}

int gale__proxy_reader_new(gale_loop *loop, int fd, double timeout, gale__proxy_done_cb cb,
                           void *arg, gale__proxy_reader **out) {
  gale__proxy_reader *r = calloc(1, sizeof *r);
  if (!r) goto fail;
  r->loop = loop;
  r->fd = fd;
  r->cb = cb;
  r->arg = arg;
  if (gale_watcher_new(loop, fd, GALE_READ, on_readable, r, &r->watcher) != GALE_OK) goto fail;
  if (timeout > 0 && gale_loop_call_later(loop, timeout, on_timeout, r, &r->timer) != GALE_OK) {
    r->timer = NULL;
    goto fail;
  }
  *out = r;
  return GALE_OK;
fail:
  if (r) reader_release(r);
  close(fd);
  return GALE_ENOMEM;
}

void gale__proxy_reader_free(gale__proxy_reader *r) {
  if (!r) return;
  close(r->fd);
  reader_release(r);
}
