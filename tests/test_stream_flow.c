/* SPDX-License-Identifier: MIT */
/* gale_stream's flow over socketpairs, loopback TCP and pipes:
 * back-pressure (64 MiB through a slow reader), peer resets mid-read and
 * mid-write, pause and resume, timeouts, references and files written,
 * futures, the internal data hook, and the rest of the API.  The fixture:
 * stream_fixture.h. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "iostream/stream_internal.h"
#include "iostream/stream_priv.h"
#include "stream_fixture.h"

typedef struct bp {
  stream_fx f;
  gale_stream *rd;
  uint64_t sent, recvd, total;
  uint32_t sum_out, sum_in;
  size_t max_queued;
  int chunks_seen;
  bool reader_done;
  char block[256 * 1024];
} bp;

static void bp_written(gale_stream *s, int status, void *arg);

static void bp_pump(bp *b) {
  while (b->sent < b->total) {
    size_t len = sizeof(b->block);
    if (b->total - b->sent < len) len = (size_t)(b->total - b->sent);
    for (size_t i = 0; i < len; i += 4096) b->block[i] = (char)((b->sent + i) * 7);
    int rc = gale_stream_write(b->f.s, b->block, len, NULL, NULL);
    if (rc == GALE_EBUFFULL) {
      /* Wait until what is queued has drained, then go on. */
      assert_int_equal(gale_stream_flush(b->f.s, bp_written, b), GALE_OK);
      return;
    }
    assert_int_equal(rc, GALE_OK);
    for (size_t i = 0; i < len; i += 4096)
      b->sum_out += (unsigned char)b->block[i] * (uint32_t)(i + 1);
    b->sent += len;
    size_t q = gale_stream_write_buffer_size(b->f.s);
    if (q > b->max_queued) b->max_queued = q;
  }
}

static void bp_written(gale_stream *s, int status, void *arg) {
  bp *b = arg;
  assert_int_equal(status, GALE_OK);
  bp_pump(b);
}

static void bp_resume(gale_loop *loop, void *arg) {
  bp *b = arg;
  if (b->rd) gale_stream_resume_reading(b->rd);
}

static void bp_read(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  bp *b = arg;
  if (status != GALE_OK) {
    b->reader_done = true;
    return;
  }
  for (size_t i = 0; i < len; i++) {
    uint64_t pos = b->recvd + i;
    if (pos % sizeof(b->block) % 4096 == 0) {
      size_t off = (size_t)(pos % sizeof(b->block));
      b->sum_in += (unsigned char)data[i] * (uint32_t)(off + 1);
    }
  }
  b->recvd += len;
  /* Slow reader: pause now and then, resume on a later iteration. */
  if (++b->chunks_seen % 8 == 0) {
    gale_stream_pause_reading(s);
    gale_loop_add_callback(b->f.loop, bp_resume, b);
  }
}

static void rd_close(gale_stream *s, int reason, void *arg) {
  bp *b = arg;
  b->rd = NULL;
}

static void test_backpressure_64mib(void **st) {
  bp *b = calloc(1, sizeof(*b));
  gale_stream_options o;
  gale_stream_options_init(&o);
  o.max_write_buffer_size = 1024 * 1024;
  sx_open(&b->f, &o);
  assert_int_equal(gale_stream_new(b->f.loop, b->f.peer, NULL, &b->rd), GALE_OK);
  b->f.peer = -1;
  gale_stream_set_close_cb(b->rd, rd_close, b);
  assert_int_equal(gale_stream_read_chunks(b->rd, bp_read, b), GALE_OK);
  b->total = 64ull * 1024 * 1024;
  /* A write bigger than the limit is refused outright. */
  static char big[2 * 1024 * 1024];
  assert_int_equal(gale_stream_write(b->f.s, big, sizeof(big), NULL, NULL), GALE_EBUFFULL);
  bp_pump(b);
  TH_RUN_UNTIL(b->f.loop, b->recvd == b->total, 60);
  assert_true(b->max_queued <= o.max_write_buffer_size);
  assert_int_equal(b->sum_in, b->sum_out);
  gale_stream_close(b->f.s);
  TH_RUN_UNTIL(b->f.loop, b->reader_done && !b->rd && b->f.closes == 1, 5);
  sx_close(&b->f);
  free(b);
}

static void rst_close(int fd) {
  struct linger l = {.l_onoff = 1, .l_linger = 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  close(fd);
}

static void test_reset_mid_read(void **st) {
  stream_fx f;
  memset(&f, 0, sizeof(f));
  f.fds_before = th_count_fds();
  f.loop = gale_loop_new();
  int sfd, cfd;
  sx_tcp_pair(&sfd, &cfd);
  assert_int_equal(gale_stream_new(f.loop, sfd, NULL, &f.s), GALE_OK);
  gale_stream_set_close_cb(f.s, sx_on_close, &f);
  f.peer = -1;
  f.kind = SX_UNTIL;
  f.max_reads = 1;
  sx_start_read(&f);
  th_write_all(cfd, "partial li", 10);
  TH_RUN_UNTIL(f.loop, gale_stream_read_buffer_size(f.s) == 10, 5);
  rst_close(cfd);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_int_equal(f.last_status, GALE_ECONNRESET);
  assert_int_equal(f.close_reason, GALE_ECONNRESET);
  sx_close(&f);
}

static void test_reset_mid_write(void **st) {
  stream_fx f;
  memset(&f, 0, sizeof(f));
  f.fds_before = th_count_fds();
  f.loop = gale_loop_new();
  int sfd, cfd;
  sx_tcp_pair(&sfd, &cfd);
  assert_int_equal(gale_stream_new(f.loop, sfd, NULL, &f.s), GALE_OK);
  gale_stream_set_close_cb(f.s, sx_on_close, &f);
  f.peer = -1;
  size_t len = 16 * 1024 * 1024;
  char *data = calloc(1, len);
  assert_int_equal(gale_stream_write(f.s, data, len, sx_write_cb, &f), GALE_OK);
  free(data);
  TH_RUN_UNTIL(f.loop, gale_stream_write_buffer_size(f.s) < len, 5);
  rst_close(cfd);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_int_equal(f.writes_done, 1);
  assert_true(f.write_status == GALE_ECONNRESET || f.write_status == GALE_EPIPE);
  assert_int_equal(f.close_reason, f.write_status);
  sx_close(&f);
}

static void test_pause_resume(void **st) {
  stream_fx f;
  sx_open(&f, NULL);
  f.kind = SX_UNTIL;
  f.max_reads = 1;
  assert_int_equal(gale_stream_pause_reading(f.s), GALE_OK);
  sx_start_read(&f);
  th_write_all(f.peer, "line\r\n", 6);
  th_run_for(f.loop, 0.1);
  assert_int_equal(f.reads, 0);
  assert_int_equal(gale_stream_read_buffer_size(f.s), 0);
  assert_int_equal(gale_stream_resume_reading(f.s), GALE_OK);
  TH_RUN_UNTIL(f.loop, f.reads == 1, 5);
  assert_int_equal(f.got_len, 6);
  sx_close(&f);
}

static void test_timeouts(void **st) {
  gale_stream_options o;
  gale_stream_options_init(&o);
  o.read_timeout = 0.1;
  stream_fx f;
  sx_open(&f, &o);
  /* No read pending: the read timeout does not run. */
  th_run_for(f.loop, 0.2);
  assert_int_equal(f.closes, 0);
  f.kind = SX_UNTIL;
  f.max_reads = 1;
  sx_start_read(&f);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_int_equal(f.last_status, GALE_ETIMEDOUT_READ);
  assert_int_equal(f.close_reason, GALE_ETIMEDOUT_READ);
  sx_close(&f);

  gale_stream_options_init(&o);
  o.idle_timeout = 0.1;
  sx_open(&f, &o);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_int_equal(f.close_reason, GALE_ETIMEDOUT_IDLE);
  sx_close(&f);

  sx_open(&f, NULL);
  assert_int_equal(gale_stream_set_idle_timeout(f.s, -1), GALE_EINVAL);
  assert_int_equal(gale_stream_set_idle_timeout(f.s, 0.1), GALE_OK);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_int_equal(f.close_reason, GALE_ETIMEDOUT_IDLE);
  sx_close(&f);
}

static int freed;
static void count_free(void *p) {
  freed++;
  free(p);
}

static void test_write_ref_and_file(void **st) {
  stream_fx f;
  sx_open(&f, NULL);
  freed = 0;
  char *msg = strdup("by reference|");
  assert_int_equal(gale_stream_write_ref(f.s, msg, strlen(msg), count_free, sx_write_cb, &f),
                   GALE_OK);
  char *dir = th_mkdtemp();
  char path[512];
  snprintf(path, sizeof(path), "%s/f", dir);
  size_t flen = 300000;
  char *content = malloc(flen);
  for (size_t i = 0; i < flen; i++) content[i] = (char)('a' + i % 26);
  th_write_file(path, content, flen);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  assert_true(fd >= 0);
  assert_int_equal(gale_stream_write_file(f.s, fd, 1000, 0, sx_write_cb, &f), GALE_OK);
  int bad = open(path, O_RDONLY | O_CLOEXEC);
  assert_int_equal(gale_stream_write_file(f.s, bad, flen + 1, 0, NULL, NULL), GALE_EINVAL);
  close(bad); /* still ours after a failure */
  size_t want = strlen("by reference|") + flen - 1000;
  char *buf = malloc(want);
  size_t got = 0;
  double deadline = th_now() + 10;
  while (got < want && th_now() < deadline) {
    gale_loop_run_once(f.loop, 0.01);
    got += th_read_full(f.peer, buf + got, want - got, 0.01);
  }
  assert_int_equal(got, want);
  assert_memory_equal(buf, "by reference|", 13);
  assert_memory_equal(buf + 13, content + 1000, flen - 1000);
  TH_RUN_UNTIL(f.loop, f.writes_done == 2, 5);
  assert_int_equal(freed, 1);
  free(buf);
  free(content);
  sx_close(&f);
  th_rmtree(dir);
}

static void test_futures(void **st) {
  stream_fx f;
  sx_open(&f, NULL);
  int status;
  gale_future *fu = gale_stream_read_until_future(f.s, "\n", 1, 0, &status);
  assert_non_null(fu);
  assert_int_equal(status, GALE_OK);
  th_write_all(f.peer, "hello\nworld", 11);
  assert_int_equal(gale_loop_run_until_complete(f.loop, fu, 5), GALE_OK);
  assert_int_equal(gale_future_status(fu), GALE_OK);
  gale_stream_data *d = gale_future_result(fu);
  assert_int_equal(d->len, 6);
  assert_string_equal(d->data, "hello\n");
  gale_future_unref(fu);

  /* Cancelling stops the read; the data stays buffered. */
  fu = gale_stream_read_bytes_future(f.s, 100, false, &status);
  assert_non_null(fu);
  assert_null(gale_stream_read_bytes_future(f.s, 1, false, &status));
  assert_int_equal(status, GALE_EBUSY);
  gale_future_cancel(fu);
  gale_future_unref(fu);
  assert_false(gale_stream_reading(f.s));

  fu = gale_stream_read_until_close_future(f.s, &status);
  gale_future *fl = gale_stream_flush_future(f.s, &status);
  close(f.peer);
  f.peer = -1;
  assert_int_equal(gale_loop_run_until_complete(f.loop, fu, 5), GALE_OK);
  assert_int_equal(gale_loop_run_until_complete(f.loop, fl, 5), GALE_OK);
  d = gale_future_result(fu);
  assert_int_equal(d->len, 5);
  assert_string_equal(d->data, "world");
  gale_future_unref(fu);
  gale_future_unref(fl);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  sx_close(&f);
}

static int hook_calls;
static void echo_hook(gale_stream *s, struct evbuffer *in, void *arg) {
  hook_calls++;
  /* Answer every complete line; leave a partial one. */
  struct evbuffer *out = gale__stream_output(s);
  for (;;) {
    struct evbuffer_ptr p = evbuffer_search(in, "\n", 1, NULL);
    if (p.pos < 0) break;
    evbuffer_add(out, "ok:", 3);
    evbuffer_remove_buffer(in, out, (size_t)p.pos + 1);
  }
}

static void test_data_hook(void **st) {
  stream_fx f;
  sx_open(&f, NULL);
  hook_calls = 0;
  assert_int_equal(gale__stream_set_data_cb(f.s, echo_hook, NULL), GALE_OK);
  assert_int_equal(gale_stream_read_bytes(f.s, 1, false, sx_read_cb, &f), GALE_EBUSY);
  th_write_all(f.peer, "a\nb\nc\npart", 10);
  char buf[64];
  size_t got = 0;
  double deadline = th_now() + 5;
  while (got < 12 && th_now() < deadline) {
    gale_loop_run_once(f.loop, 0.01);
    got += th_read_full(f.peer, buf + got, 12 - got, 0.01);
  }
  assert_int_equal(got, 12);
  assert_memory_equal(buf, "ok:a\nok:b\nok:c\n", 12);
  assert_int_equal(evbuffer_get_length(gale__stream_input(f.s)), 4);
  assert_int_equal(gale__stream_close_after_flush(f.s, 0.5), GALE_OK);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_int_equal(f.close_reason, GALE_OK);
  sx_close(&f);
}

/* Closing from inside the data hook and the streaming read, and dropping an
 * extra reference from inside a callback, under ASan. */
static void hook_close(gale_stream *s, struct evbuffer *in, void *arg) {
  stream_fx *f = arg;
  f->reads++;
  gale_stream_close(s);
  gale_stream_close(s);
}

static void chunk_close(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  stream_fx *f = arg;
  f->reads++;
  f->last_status = status;
  if (status == GALE_OK) {
    gale_stream_close(s);
    gale_stream_unref(s); /* the reference the test took */
  }
}

static void test_close_in_hook_and_chunks(void **st) {
  stream_fx f;
  sx_open(&f, NULL);
  assert_int_equal(gale__stream_set_data_cb(f.s, hook_close, &f), GALE_OK);
  th_write_all(f.peer, "abc", 3);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_int_equal(f.reads, 1);
  sx_close(&f);

  sx_open(&f, NULL);
  gale_stream_ref(f.s);
  assert_int_equal(gale_stream_read_chunks(f.s, chunk_close, &f), GALE_OK);
  th_write_all(f.peer, "abc", 3);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  /* One chunk, then the end of the streaming read with GALE_ECANCELLED. */
  assert_int_equal(f.reads, 2);
  assert_int_equal(f.last_status, GALE_ECANCELLED);
  sx_close(&f);
}

/* ---- a third transport ---------------------------------------------------- */

/* The socket table with every entry counted: the stream moves its bytes
 * and runs its close only through s->xp, so a new transport is a table
 * (issue 11, item 3), with no "which transport?" in stream*.c. */
static int xp_reads, xp_writes, xp_shutdowns, xp_releases;
static int xp_read(gale_stream *s, size_t budget) {
  xp_reads++;
  return gale__transport_sock.read(s, budget);
}
static void xp_on_readable(gale_stream *s) { xp_read(s, GALE__READ_BUDGET); }
static int xp_write(gale_stream *s) {
  xp_writes++;
  return gale__transport_sock.write(s);
}
static void xp_shutdown(gale_stream *s) {
  xp_shutdowns++;
  gale__transport_sock.shutdown(s);
}
static void xp_release(gale_stream *s) {
  xp_releases++;
  gale__transport_sock.release(s);
}

static void test_third_transport(void **st) {
  (void)st;
  struct gale__transport counted = gale__transport_sock;
  counted.name = "counted";
  counted.read = xp_read;
  counted.on_readable = xp_on_readable;
  counted.write = xp_write;
  counted.shutdown = xp_shutdown;
  counted.release = xp_release;
  xp_reads = xp_writes = xp_shutdowns = xp_releases = 0;
  stream_fx f;
  sx_open(&f, NULL);
  f.s->xp = &counted;
  f.kind = SX_UNTIL;
  f.n = 0;
  f.max_reads = 1;
  sx_start_read(&f);
  th_write_all(f.peer, "ping\r\n", 6);
  TH_RUN_UNTIL(f.loop, f.reads == 1, 5);
  assert_int_equal(f.last_status, GALE_OK);
  assert_memory_equal(f.got, "ping\r\n", 6);
  assert_int_equal(gale_stream_write(f.s, "pong", 4, sx_write_cb, &f), GALE_OK);
  TH_RUN_UNTIL(f.loop, f.writes_done == 1, 5);
  char buf[8];
  assert_int_equal(th_read_full(f.peer, buf, 4, 5), 4);
  assert_memory_equal(buf, "pong", 4);
  assert_true(xp_reads >= 1);
  assert_true(xp_writes >= 1);
  sx_close(&f);
  assert_true(xp_shutdowns >= 1);
  assert_int_equal(xp_releases, 1);
}

static void test_misc(void **st) {
  gale_stream *s;
  gale_loop *loop = gale_loop_new();
  assert_int_equal(gale_stream_new(NULL, 0, NULL, &s), GALE_EINVAL);
  assert_int_equal(gale_stream_new(loop, -1, NULL, &s), GALE_EINVAL);
  gale_loop_free(loop);
  stream_fx f;
  sx_open(&f, NULL);
  int v = 42;
  gale_stream_set_user_data(f.s, &v);
  assert_ptr_equal(gale_stream_get_user_data(f.s), &v);
  assert_ptr_equal(gale_stream_loop(f.s), f.loop);
  assert_int_equal(gale_stream_set_nodelay(f.s, true), GALE_ESYS); /* AF_UNIX */
  struct sockaddr_storage ss;
  socklen_t sl = sizeof(ss);
  assert_int_equal(gale_stream_peer_addr(f.s, (struct sockaddr *)&ss, &sl), GALE_OK);
  assert_int_equal(ss.ss_family, AF_UNIX);
  sx_close(&f);

  /* TCP: nodelay, keepalive, addresses. */
  memset(&f, 0, sizeof(f));
  f.fds_before = th_count_fds();
  f.loop = gale_loop_new();
  int sfd, cfd;
  sx_tcp_pair(&sfd, &cfd);
  assert_int_equal(gale_stream_new(f.loop, sfd, NULL, &f.s), GALE_OK);
  gale_stream_set_close_cb(f.s, sx_on_close, &f);
  f.peer = cfd;
  assert_int_equal(gale_stream_set_nodelay(f.s, true), GALE_OK);
  assert_int_equal(gale_stream_set_keepalive(f.s, true, 30, 5, 3), GALE_OK);
  struct sockaddr_in a;
  socklen_t al = sizeof(a);
  assert_int_equal(gale_stream_local_addr(f.s, (struct sockaddr *)&a, &al), GALE_OK);
  assert_int_equal(a.sin_family, AF_INET);
  assert_int_equal(ntohl(a.sin_addr.s_addr), 0x7f000001);
  sx_close(&f);
}

/* A stream over a pipe: reads fall back from recv (ENOTSOCK) to readv. */
static char pipe_got[64];
static int pipe_reads;
static void pipe_read_cb(gale_stream *stream, int status, const char *data, size_t len, void *arg) {
  (void)stream;
  (void)arg;
  if (status == GALE_OK && len < sizeof(pipe_got)) {
    memcpy(pipe_got, data, len);
    pipe_got[len] = '\0';
  }
  pipe_reads++;
}

static void test_pipe_stream(void **state) {
  (void)state;
  int before = th_count_fds();
  gale_loop *loop = gale_loop_new();
  int p[2];
  assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
  gale_stream *s = NULL;
  assert_int_equal(gale_stream_new(loop, p[0], NULL, &s), GALE_OK);
  pipe_reads = 0;
  assert_int_equal(gale_stream_read_bytes(s, 5, false, pipe_read_cb, NULL), GALE_OK);
  assert_int_equal(write(p[1], "hello", 5), 5);
  TH_RUN_UNTIL(loop, pipe_reads == 1, 5);
  assert_string_equal(pipe_got, "hello");
  assert_int_equal(gale_stream_read_bytes(s, 3, false, pipe_read_cb, NULL), GALE_OK);
  assert_int_equal(write(p[1], "abc", 3), 3);
  TH_RUN_UNTIL(loop, pipe_reads == 2, 5);
  assert_string_equal(pipe_got, "abc");
  gale_stream_close(s);
  close(p[1]);
  th_run_for(loop, 0.02);
  gale_loop_free(loop);
  assert_int_equal(th_count_fds(), before);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_backpressure_64mib),
      cmocka_unit_test(test_reset_mid_read),
      cmocka_unit_test(test_reset_mid_write),
      cmocka_unit_test(test_pause_resume),
      cmocka_unit_test(test_timeouts),
      cmocka_unit_test(test_write_ref_and_file),
      cmocka_unit_test(test_futures),
      cmocka_unit_test(test_data_hook),
      cmocka_unit_test(test_close_in_hook_and_chunks),
      cmocka_unit_test(test_third_transport),
      cmocka_unit_test(test_misc),
      cmocka_unit_test(test_pipe_stream),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
