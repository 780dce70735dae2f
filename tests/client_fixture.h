/* SPDX-License-Identifier: MIT */
/* The HTTP client tests' one fixture: a loop, a gale_http_client in it, the
 * count of open fds to check at the end, and fetch helpers that record a
 * response into a plain struct the test asserts on.
 *
 * The peer is the test's own (a scripted server, gale's server, nginx...):
 * start it after cf_open and stop it between cf_close_client and cf_close,
 * so the client's connections close before the peer's and the loop's. */
#ifndef GALE_TESTS_CLIENT_FIXTURE_H
#define GALE_TESTS_CLIENT_FIXTURE_H

#include "harness.h"

#include "gale/http_client.h"

/* Body bytes a cf_result keeps (the length is always the whole one). */
#define CF_BODY_MAX 300000

/* One response as the callback saw it, copied out of the client's memory. */
typedef struct cf_result {
  int done; /* callbacks so far: a fetch must make exactly one */
  int status, code, redirects, http_version;
  bool reused;
  size_t body_len;        /* r->body_len */
  char body[CF_BODY_MAX]; /* its first CF_BODY_MAX - 1 bytes, NUL-terminated */
  size_t nheaders;
  char reason[64], error[512], url[512], request_url[512];
  char local_ip[64], remote_ip[64];
  char xtest[64];    /* the first X-Test field, or "" */
  char encoding[64]; /* X-Consumed-Content-Encoding, or "" */
  gale_http_timings t;
} cf_result;

typedef struct client_fx {
  gale_loop *loop;
  gale_http_client *client; /* NULL once cf_close_client ran */
  int fds;                  /* open fds when cf_open ran */
  double wait;              /* seconds cf_fetch waits for the callback (10) */
  char url[512];            /* cf_url's buffer */
} client_fx;

/* A new fixture (free with cf_close): counts fds, makes a loop and a client
 * with `o` (NULL: the defaults).  Fails the test on error. */
client_fx *cf_open(const gale_http_client_options *o);

/* Frees the client (a test may have done so and set f->client to NULL) and
 * turns the loop briefly so the connections' closes complete. */
void cf_close_client(client_fx *f);

/* Frees the client if still there (as cf_close_client), then the loop and
 * `f`; fails the test when an fd leaked.  Stop the peer before.  With the
 * client already freed and NULL, the loop is freed with no turn between. */
void cf_close(client_fx *f);

/* Formats a URL into f->url and returns it (valid until the next call). */
const char *cf_url(client_fx *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A gale_http_response_cb: records `r` into the cf_result `arg` and counts
 * the call in ->done. */
void cf_on_response(const gale_http_response *r, void *arg);

/* Fetches `req` with the fixture's client and runs the loop until the
 * callback ran (at most f->wait seconds).  Asserts the fetch started, that
 * the callback did not run inside the call, and that it ran exactly once.
 * Returns a cf_result the caller frees with free(). */
cf_result *cf_fetch(client_fx *f, gale_http_request *req);

/* A listener on 127.0.0.1 (port in *port) with a backlog of 0 that never
 * accepts: once a few connects fill its queue, further SYNs are dropped (a
 * connect that times out).  Close the fd. */
int cf_black_hole(int *port);
/* A non-blocking connect to 127.0.0.1:port, left in progress.  Close it. */
int cf_nb_connect(int port);

#endif
