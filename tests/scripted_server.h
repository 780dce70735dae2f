/* SPDX-License-Identifier: MIT */
/* The HTTP client tests' scripted peer: an HTTP/1.1 server inside the
 * test's own loop whose answers are canned by path (/hello, /chunked,
 * /truncated, /smuggle, /bomb...: the list is in scripted_server.c), so a
 * test asks for exactly the framing, the hostility or the failure it is
 * about.  It records what it saw (the last request head and body, the
 * peer address, counts) for the test to assert on.
 *
 * With client_fixture.h: srv_setup / srv_teardown are cmocka setup and
 * teardown for a client_fx whose peer is the scripted server `s`. */
#ifndef GALE_TESTS_SCRIPTED_SERVER_H
#define GALE_TESTS_SCRIPTED_SERVER_H

#include "client_fixture.h"

typedef struct sconn sconn;

typedef struct srv {
  gale_loop *loop;
  int lfd, port;
  gale_watcher *w;
  int accepted, requests;
  sconn *conns;
  char last_head[4096];
  size_t last_body_len;
  char last_body[4096];
  sconn *held;      /* the connection of /hold-body, for the test to reset */
  const char *fuzz; /* what /fuzz answers (then closes) */
  size_t fuzz_len;
  bool not_tls;       /* answers any first bytes in plain text, then closes */
  char last_peer[64]; /* address the last connection came from */
} srv;

/* One accepted connection. */
struct sconn {
  srv *s;
  int fd;
  gale_watcher *w;
  char *buf;
  size_t len, cap;
  bool drop_next; /* close without answering the next request */
  bool hang;      /* read no more requests */
  sconn *next;
};

/* Listens on 127.0.0.1 (s->port) and serves in `loop`. */
void srv_start(srv *s, gale_loop *loop);
/* Closes every connection, then the listener. */
void srv_stop(srv *s);
/* Closes every connection, keeping the listener. */
void srv_close_conns(srv *s);
/* Closes `c` with a TCP reset (SO_LINGER 0) instead of a FIN. */
void sconn_reset(sconn *c);
/* The gale_watcher_cb of a listener (arg: the srv): for a test's own
 * listening socket (another address family) served the same way. */
void srv_on_accept(gale_watcher *w, int fd, int events, void *arg);

/* cmocka setup: a client_fx in *state, `s` started in its loop. */
int srv_setup(void **state, srv *s);
/* cmocka teardown: the client, then `s`, then the loop; fds checked. */
int srv_teardown(void **state, srv *s);
/* "http://127.0.0.1:PORT" + path, in f->url. */
const char *srv_url(client_fx *f, const srv *s, const char *path);
/* cf_fetch of a GET of srv_url(f, s, path). */
cf_result *srv_get(client_fx *f, const srv *s, const char *path);

#endif
