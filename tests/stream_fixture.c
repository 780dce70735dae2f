/* SPDX-License-Identifier: MIT */
/* The stream tests' fixture (stream_fixture.h). */
#include "stream_fixture.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void sx_on_close(gale_stream *s, int reason, void *arg) {
  stream_fx *f = arg;
  f->closes++;
  f->close_reason = reason;
  f->s = NULL;
}

void sx_open(stream_fx *f, const gale_stream_options *opts) {
  memset(f, 0, sizeof(*f));
  f->fds_before = th_count_fds();
  f->loop = gale_loop_new();
  assert_non_null(f->loop);
  int fds[2];
  th_socketpair(fds);
  assert_int_equal(gale_stream_new(f->loop, fds[0], opts, &f->s), GALE_OK);
  f->peer = fds[1];
  gale_stream_set_close_cb(f->s, sx_on_close, f);
  f->last_status = 1;
}

void sx_close(stream_fx *f) {
  if (f->s) {
    gale_stream_close(f->s);
    TH_RUN_UNTIL(f->loop, f->closes == 1, 5);
  }
  if (f->peer >= 0) close(f->peer);
  gale_loop_free(f->loop);
  assert_int_equal(th_count_fds(), f->fds_before);
}

void sx_read_cb(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  stream_fx *f = arg;
  if (f->reads == 0) f->first_status = status;
  f->last_status = status;
  if (len) {
    assert_true(f->got_len + len <= sizeof(f->got));
    memcpy(f->got + f->got_len, data, len);
    f->got_len += len;
  }
  if (f->kind == SX_CHUNKS) {
    if (status != GALE_OK) f->reads++;
    return;
  }
  f->reads++;
  if (f->close_in_read) {
    gale_stream_close(s);
    return;
  }
  if (status == GALE_OK && f->reads < f->max_reads) sx_start_read(f);
}

void sx_start_read(stream_fx *f) {
  int rc = -1;
  switch (f->kind) {
  case SX_UNTIL: rc = gale_stream_read_until(f->s, "\r\n", 2, f->n, sx_read_cb, f); break;
  case SX_REGEX: rc = gale_stream_read_until_regex(f->s, "[0-9]+;", f->n, sx_read_cb, f); break;
  case SX_BYTES: rc = gale_stream_read_bytes(f->s, f->n, f->partial, sx_read_cb, f); break;
  case SX_INTO: rc = gale_stream_read_into(f->s, f->into, f->n, f->partial, sx_read_cb, f); break;
  case SX_CLOSE: rc = gale_stream_read_until_close(f->s, sx_read_cb, f); break;
  case SX_CHUNKS: rc = gale_stream_read_chunks(f->s, sx_read_cb, f); break;
  }
  assert_int_equal(rc, GALE_OK);
}

void sx_write_cb(gale_stream *s, int status, void *arg) {
  stream_fx *f = arg;
  f->writes_done++;
  f->write_status = status;
}

void sx_tcp_pair(int *server_fd, int *client_fd) {
  int port;
  int lfd = th_listen(&port);
  *client_fd = th_connect(port);
  int s = -1;
  double deadline = th_now() + 5;
  while (s < 0 && th_now() < deadline) s = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  assert_true(s >= 0);
  close(lfd);
  *server_fd = s;
}
