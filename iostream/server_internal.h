/* SPDX-License-Identifier: MIT */
/* Internals of the TCP server part of iostream/ (acceptor, server, process),
 * shared between its files and its tests. */
#ifndef GALE_IOSTREAM_SERVER_INTERNAL_H
#define GALE_IOSTREAM_SERVER_INTERNAL_H

#include "gale/netutil.h"
#include "iostream/proxy_protocol.h"

/* How many times the acceptor's socket woke it up (tests check that an
 * EMFILE back-off does not spin). */
GALE_INTERNAL unsigned long gale__acceptor_wakeups(const gale_acceptor *acceptor);

/* True while the acceptor waits out an EMFILE/ENFILE back-off. */
GALE_INTERNAL bool gale__acceptor_backing_off(const gale_acceptor *acceptor);

/* Forgets that this process was forked by gale_fork_processes() (tests
 * call it in a child that forks again). */
GALE_INTERNAL void gale__process_reset(void);

/* ---- reading a PROXY protocol header before a stream exists -------------- */

typedef struct gale__proxy_reader gale__proxy_reader;

/* Told once how the header went: GALE_OK with `fd` now the callee's and
 * `addrs` (borrowed for the call) the header's; or the failure
 * (GALE_EINVAL malformed or not a PROXY header, GALE_ELIMIT too long,
 * GALE_ETIMEDOUT_READ too slow, GALE_EOF / GALE_ESYS the peer went away),
 * with `fd` already closed.  The reader is freed after the call. */
typedef void (*gale__proxy_done_cb)(gale__proxy_reader *r, int status, int fd,
                                    const gale__proxy_addrs *addrs, void *arg);

struct gale__proxy_reader {
  gale__proxy_reader *prev, *next; /* for the owner's list (the TCP server's) */
  gale_loop *loop;
  int fd;
  gale_watcher *watcher;
  gale_timer *timer;
  gale__proxy_done_cb cb;
  void *arg;
  size_t have; /* header bytes taken off the socket */
  uint8_t buf[GALE__PROXY_MAX_HEADER];
};

/* Starts reading the header on accepted socket `fd` (taken: closed on
 * failure, including this call's), reading exactly the header's bytes off
 * the socket and nothing after it, within `timeout` seconds (<= 0: none).
 * Returns GALE_OK (cb runs later, never inside this call) or GALE_ENOMEM. */
GALE_INTERNAL int gale__proxy_reader_new(gale_loop *loop, int fd, double timeout,
                                         gale__proxy_done_cb cb, void *arg,
                                         gale__proxy_reader **out);

/* Stops reading and closes the socket without calling back.  NULL is
 * ignored. */
GALE_INTERNAL void gale__proxy_reader_free(gale__proxy_reader *r);

#endif
