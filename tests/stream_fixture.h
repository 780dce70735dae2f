/* SPDX-License-Identifier: MIT */
/* The stream tests' one fixture (test_stream*.c): a loop and a gale_stream
 * over one end of a socketpair (the test holds the other, f->peer), a
 * read callback that records what it got and re-arms the read kind the
 * test chose (f->kind: one of SX_*), a write callback that counts, and a
 * connected loopback TCP pair for resets. */
#ifndef GALE_TESTS_STREAM_FIXTURE_H
#define GALE_TESTS_STREAM_FIXTURE_H

#include "harness.h"

#include "gale/stream.h"

typedef struct stream_fx {
  gale_loop *loop;
  gale_stream *s;
  int peer;
  int fds_before;
  char got[4096];
  size_t got_len;
  int reads; /* completed read callbacks */
  int last_status;
  int first_status;
  int closes;
  int close_reason;
  int writes_done;
  int write_status;
  /* what the read callback does next */
  int kind;
  size_t n;
  bool partial;
  int max_reads;
  bool close_in_read;
  bool unref_in_read;
  char into[64];
} stream_fx;

enum { SX_UNTIL = 1, SX_REGEX, SX_BYTES, SX_INTO, SX_CLOSE, SX_CHUNKS };

/* A close callback (arg: the stream_fx): counts, keeps the reason, and
 * forgets f->s. */
void sx_on_close(gale_stream *s, int reason, void *arg);

/* Counts fds, makes a loop and a stream with `opts` (NULL: defaults) over
 * a socketpair, with sx_on_close.  Fails the test on error. */
void sx_open(stream_fx *f, const gale_stream_options *opts);

/* Closes the stream if open (and waits for its close callback), the peer
 * unless f->peer < 0, the loop; fails when an fd leaked. */
void sx_close(stream_fx *f);

/* Reads with f->kind (f->n: the limit or count, f->partial), asserting the
 * call is accepted; sx_read_cb appends what came to f->got and reads again
 * until f->max_reads reads or an error (SX_CHUNKS: counts only the end). */
void sx_start_read(stream_fx *f);
void sx_read_cb(gale_stream *s, int status, const char *data, size_t len, void *arg);

/* A write callback (arg: the stream_fx): counts, keeps the status. */
void sx_write_cb(gale_stream *s, int status, void *arg);

/* A connected loopback TCP pair: *server_fd accepted (non-blocking),
 * *client_fd connected.  Fails the test on error. */
void sx_tcp_pair(int *server_fd, int *client_fd);

#endif
