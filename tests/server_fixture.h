/* SPDX-License-Identifier: MIT */
/* The HTTP server tests' one fixture (test_http_server*.c): a loop, a
 * gale_http_server on 127.0.0.1 answering by path (sf_on_request), a
 * headers hook (sf_on_headers), and what the handlers saw.  The raw client
 * that talks to it is test_http_server_util.h's.
 *
 * Paths of sf_on_request: /echo (the body back, "len:" first), /chunked
 * (flushed, then finished: chunked), /big (400 text lines), /huge (64 KiB),
 * /async (held in f->held, finished later by sf_finish_held), /streamtext
 * (text, flushed once, held), /nocontent (204), /free (frees the server
 * from inside its callback), /query ("path|query|host"); anything else
 * "Hello, world".  sf_on_headers streams the body of /stream to a counter
 * (f->streamed, f->stream_calls) and answers /deny with 401 at once. */
#ifndef GALE_TESTS_SERVER_FIXTURE_H
#define GALE_TESTS_SERVER_FIXTURE_H

#include "harness.h"

#include "gale/http_server.h"

typedef struct server_fx {
  gale_loop *loop;
  gale_http_server *server;
  int port;
  int fds_before;
  int requests;
  /* a held (asynchronous) request, and what its close callback saw */
  gale_http_server_request *held;
  int closes;
  int close_status;
  char last_body[4096];
  size_t last_body_len;
  char last_ip[64];
  char last_proto[16];
  size_t streamed;
  int stream_calls;
} server_fx;

/* The application and its headers hook (arg: the server_fx). */
void sf_on_request(gale_http_server_request *req, void *arg);
void sf_on_headers(gale_http_server_request *req, void *arg);

/* Counts fds, makes a loop and a server listening on an ephemeral port
 * with `opts` (NULL: the defaults; headers_cb NULL: sf_on_headers; the
 * access log off).  Fails the test on error. */
void sf_start(server_fx *f, const gale_http_server_options *opts);

/* Frees the server (unless a test did and set f->server NULL), turns the
 * loop so connections finish closing, frees it; fails when an fd leaked. */
void sf_stop(server_fx *f);

/* The defaults with small limits: URI 1 KiB, header 4 KiB, 20 fields, body
 * 1000 bytes. */
void sf_opts_small(gale_http_server_options *o);

/* A loop callback (arg: the server_fx): writes "late" to the held request
 * and finishes it. */
void sf_finish_held(gale_loop *loop, void *arg);

#endif
