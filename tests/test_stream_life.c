/* SPDX-License-Identifier: MIT */
/* The stream's life cycle walked end to end (iostream/stream.c's phase
 * table: OPEN, CLOSING, LINGERING, CLOSED, NOTIFIED): close after flush
 * with and without lingering, close from inside a read callback, close
 * twice, a peer reset while a close waits for its flush; an idle stream
 * holding no buffer between exchanges.  The sanitizer
 * build checks every move against the table. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "iostream/stream_internal.h"
#include "iostream/stream_priv.h"

typedef struct lf {
  gale_loop *loop;
  gale_stream *s;
  int peer;
  int fds_before;
  int closes, close_reason;
  int reads, read_status;
  int writes, write_status;
} lf;

static void lf_on_close(gale_stream *s, int reason, void *arg) {
  lf *f = arg;
  (void)s;
  f->closes++;
  f->close_reason = reason;
}

static void lf_open_fds(lf *f, int fd, int peer) {
  assert_int_equal(gale_stream_new(f->loop, fd, NULL, &f->s), GALE_OK);
  f->peer = peer;
  gale_stream_set_close_cb(f->s, lf_on_close, f);
}

static void lf_open(lf *f) {
  memset(f, 0, sizeof(*f));
  f->fds_before = th_count_fds();
  f->loop = gale_loop_new();
  assert_non_null(f->loop);
  int fds[2];
  th_socketpair(fds);
  lf_open_fds(f, fds[0], fds[1]);
}

static void lf_done(lf *f) {
  assert_int_equal(f->closes, 1);
  gale_stream_unref(f->s);
  if (f->peer >= 0) close(f->peer);
  gale_loop_free(f->loop);
  assert_int_equal(th_count_fds(), f->fds_before);
}

static void lf_write_cb(gale_stream *s, int status, void *arg) {
  lf *f = arg;
  (void)s;
  f->writes++;
  f->write_status = status;
}

/* OPEN → CLOSING → LINGERING → CLOSED → NOTIFIED: the last bytes reach the
 * peer, the peer sees EOF (write side shut) while the stream is still not
 * closed, what the peer sends meanwhile is dropped, and the peer's close
 * ends the linger with GALE_OK. */
static void test_close_after_flush_lingers(void **st) {
  (void)st;
  lf f;
  lf_open(&f);
  gale_stream_ref(f.s);
  assert_int_equal(gale_stream_write(f.s, "bye", 3, lf_write_cb, &f), GALE_OK);
  assert_int_equal(gale__stream_close_after_flush(f.s, 5.0), GALE_OK);
  /* Asked twice: still one close. */
  assert_int_equal(gale__stream_close_after_flush(f.s, 5.0), GALE_OK);
  TH_RUN_UNTIL(f.loop, f.writes == 1, 5);
  assert_int_equal(f.write_status, GALE_OK);
  char buf[8];
  assert_int_equal(th_read_full(f.peer, buf, 3, 5), 3);
  assert_memory_equal(buf, "bye", 3);
  /* The write side is shut: the peer reads EOF. */
  ssize_t n = -1;
  double deadline = th_now() + 5;
  while (th_now() < deadline) {
    gale_loop_run_once(f.loop, 0.01);
    n = recv(f.peer, buf, sizeof(buf), MSG_DONTWAIT);
    if (n == 0) break;
  }
  assert_int_equal(n, 0);
  assert_false(gale_stream_closed(f.s));
  assert_int_equal(f.closes, 0);
  th_write_all(f.peer, "ignored", 7);
  (void)th_run_for(f.loop, 0.05);
  assert_int_equal(f.closes, 0);
  assert_int_equal(gale_stream_read_buffer_size(f.s), 0);
  close(f.peer);
  f.peer = -1;
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_int_equal(f.close_reason, GALE_OK);
  assert_true(gale_stream_closed(f.s));
  assert_int_equal(gale__stream_close_after_flush(f.s, 1.0), GALE_ECLOSED);
  assert_int_equal(gale_stream_close(f.s), GALE_OK); /* closed again: nothing */
  (void)th_run_for(f.loop, 0.02);
  assert_int_equal(f.closes, 1);
  lf_done(&f);
}

/* Linger 0: OPEN → CLOSING → CLOSED once the output has left. */
static void test_close_after_flush_no_linger(void **st) {
  (void)st;
  lf f;
  lf_open(&f);
  gale_stream_ref(f.s);
  assert_int_equal(gale_stream_write(f.s, "last", 4, lf_write_cb, &f), GALE_OK);
  assert_int_equal(gale__stream_close_after_flush(f.s, 0), GALE_OK);
  assert_int_equal(f.closes, 0); /* never inside the call */
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_int_equal(f.close_reason, GALE_OK);
  assert_int_equal(f.writes, 1);
  assert_int_equal(f.write_status, GALE_OK);
  char buf[8];
  assert_int_equal(th_read_full(f.peer, buf, 4, 5), 4);
  assert_memory_equal(buf, "last", 4);
  lf_done(&f);
}

/* Closing from the read callback, then again from the close callback and
 * after it: one close callback, one reason. */
static void close_twice_in_close(gale_stream *s, int reason, void *arg) {
  lf_on_close(s, reason, arg);
  assert_int_equal(gale_stream_close(s), GALE_OK);
}

static void close_in_read(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  lf *f = arg;
  (void)data;
  (void)len;
  f->reads++;
  f->read_status = status;
  assert_int_equal(gale_stream_close(s), GALE_OK);
  assert_int_equal(gale_stream_close(s), GALE_OK);
  assert_true(gale_stream_closed(s));
  assert_int_equal(f->closes, 0); /* notified later, not inside */
  assert_int_equal(gale__stream_close_after_flush(s, 1.0), GALE_ECLOSED);
}

static void test_close_in_read_cb_twice(void **st) {
  (void)st;
  lf f;
  lf_open(&f);
  gale_stream_ref(f.s);
  gale_stream_set_close_cb(f.s, close_twice_in_close, &f);
  assert_int_equal(gale_stream_read_until(f.s, "\n", 1, 0, close_in_read, &f), GALE_OK);
  th_write_all(f.peer, "one\ntwo\n", 8);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_int_equal(f.reads, 1);
  assert_int_equal(f.read_status, GALE_OK);
  assert_int_equal(f.close_reason, GALE_OK);
  assert_int_equal(gale_stream_close(f.s), GALE_OK);
  (void)th_run_for(f.loop, 0.02);
  assert_int_equal(f.closes, 1);
  lf_done(&f);
}

/* A close waiting for its flush when the peer resets: CLOSING → CLOSED with
 * the reset as the reason, the pending write failed with it. */
static void rst_close(int fd) {
  struct linger l = {.l_onoff = 1, .l_linger = 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  close(fd);
}

static void test_reset_while_closing(void **st) {
  (void)st;
  lf f;
  memset(&f, 0, sizeof(f));
  f.fds_before = th_count_fds();
  f.loop = gale_loop_new();
  int port;
  int lfd = th_listen(&port);
  int cfd = th_connect(port);
  int sfd = -1;
  double deadline = th_now() + 5;
  while (sfd < 0 && th_now() < deadline) sfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
  assert_true(sfd >= 0);
  close(lfd);
  lf_open_fds(&f, sfd, -1);
  gale_stream_ref(f.s);
  size_t len = 16 * 1024 * 1024;
  char *data = calloc(1, len);
  assert_non_null(data);
  assert_int_equal(gale_stream_write(f.s, data, len, lf_write_cb, &f), GALE_OK);
  free(data);
  assert_int_equal(gale__stream_close_after_flush(f.s, 5.0), GALE_OK);
  TH_RUN_UNTIL(f.loop, gale_stream_write_buffer_size(f.s) < len, 5);
  rst_close(cfd);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_int_equal(f.writes, 1);
  assert_true(f.write_status == GALE_ECONNRESET || f.write_status == GALE_EPIPE);
  assert_int_equal(f.close_reason, f.write_status);
  lf_done(&f);
}

static void echo_hook(gale_stream *s, struct evbuffer *in, void *arg) {
  lf *f = arg;
  f->reads++;
  struct evbuffer *out = gale__stream_output(s);
  assert_non_null(out);
  evbuffer_add_buffer(out, in);
}

static void until_cb(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  lf *f = arg;
  (void)s;
  (void)data;
  f->read_status = status;
  f->reads += (int)len;
}

/* Between exchanges an idle stream keeps neither evbuffer (they are most
 * of an idle connection's memory); the next read or write makes them
 * again, for the data hook, the public reads and writes alike. */
static void test_idle_holds_no_buffers(void **st) {
  (void)st;
  lf f;
  lf_open(&f);
  gale_stream_ref(f.s);
  assert_null(f.s->in);
  assert_null(f.s->out);
  assert_int_equal(gale__stream_set_data_cb(f.s, echo_hook, &f), GALE_OK);
  char buf[16];
  for (int i = 0; i < 3; i++) {
    th_write_all(f.peer, "ping", 4);
    TH_RUN_UNTIL(f.loop, f.reads == i + 1, 5);
    TH_RUN_UNTIL(f.loop, gale_stream_write_buffer_size(f.s) == 0, 5);
    th_run_for(f.loop, 0.01);
    assert_int_equal(read(f.peer, buf, sizeof(buf)), 4);
    assert_memory_equal(buf, "ping", 4);
    assert_null(f.s->in);
    assert_null(f.s->out);
  }
  assert_int_equal(gale__stream_set_data_cb(f.s, NULL, NULL), GALE_OK);
  /* A public read waiting on an idle stream holds no buffer either. */
  f.reads = 0;
  assert_int_equal(gale_stream_read_until(f.s, "\n", 1, 0, until_cb, &f), GALE_OK);
  th_run_for(f.loop, 0.01);
  assert_null(f.s->in);
  th_write_all(f.peer, "ab", 2);
  th_run_for(f.loop, 0.01);
  assert_non_null(f.s->in); /* a partial line stays buffered */
  th_write_all(f.peer, "c\n", 2);
  TH_RUN_UNTIL(f.loop, f.reads == 4, 5);
  th_run_for(f.loop, 0.01);
  assert_null(f.s->in);
  assert_int_equal(gale_stream_write(f.s, "ok", 2, lf_write_cb, &f), GALE_OK);
  TH_RUN_UNTIL(f.loop, f.writes == 1, 5);
  assert_null(f.s->out);
  assert_int_equal(read(f.peer, buf, sizeof(buf)), 2);
  /* The given-back buffers wait for the next exchange, and go with the
   * thread's last stream. */
  assert_true(gale__stream_buffers_cached() >= 1);
  gale_stream_close(f.s);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  lf_done(&f);
  assert_int_equal(gale__stream_buffers_cached(), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_close_after_flush_lingers),
      cmocka_unit_test(test_close_after_flush_no_linger),
      cmocka_unit_test(test_close_in_read_cb_twice),
      cmocka_unit_test(test_reset_while_closing),
      cmocka_unit_test(test_idle_holds_no_buffers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
