/* Internals of the TCP server part of iostream/ (acceptor, server, process),
 * shared between its files and its tests. */
#ifndef GALE_IOSTREAM_SERVER_INTERNAL_H
#define GALE_IOSTREAM_SERVER_INTERNAL_H

#include "gale/netutil.h"

/* How many times the acceptor's socket woke it up (tests check that an
 * EMFILE back-off does not spin). */
GALE_INTERNAL unsigned long gale__acceptor_wakeups(const gale_acceptor *acceptor);

/* True while the acceptor waits out an EMFILE/ENFILE back-off. */
GALE_INTERNAL bool gale__acceptor_backing_off(const gale_acceptor *acceptor);

/* Forgets that this process was forked by gale_fork_processes() (tests
 * call it in a child that forks again). */
GALE_INTERNAL void gale__process_reset(void);

#endif
