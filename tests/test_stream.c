/* gale_stream over socketpairs and loopback TCP: every read kind with the
 * data split at every byte boundary, back-pressure, resets, overflow,
 * closing from callbacks, timeouts, the internal data hook. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "iostream/stream_internal.h"

/* ---- fixture ------------------------------------------------------------- */

typedef struct fx {
  gale_loop *loop;
  gale_stream *s;
  int peer;
  int fds_before;
  char got[4096];
  size_t got_len;
  int reads;       /* completed read callbacks */
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
} fx;

enum { K_UNTIL = 1, K_REGEX, K_BYTES, K_INTO, K_CLOSE, K_CHUNKS };

static void on_close(gale_stream *s, int reason, void *arg) {
  fx *f = arg;
  f->closes++;
  f->close_reason = reason;
  f->s = NULL;
}

static void count_close(gale_stream *s, int reason, void *arg) {
  (void)s;
  (void)reason;
  (*(int *)arg)++;
}

static void fx_open(fx *f, const gale_stream_options *opts) {
  memset(f, 0, sizeof(*f));
  f->fds_before = th_count_fds();
  f->loop = gale_loop_new();
  assert_non_null(f->loop);
  int fds[2];
  th_socketpair(fds);
  assert_int_equal(gale_stream_new(f->loop, fds[0], opts, &f->s), GALE_OK);
  f->peer = fds[1];
  gale_stream_set_close_cb(f->s, on_close, f);
  f->last_status = 1;
}

static void fx_close(fx *f) {
  if (f->s) {
    gale_stream_close(f->s);
    TH_RUN_UNTIL(f->loop, f->closes == 1, 5);
  }
  if (f->peer >= 0) close(f->peer);
  gale_loop_free(f->loop);
  assert_int_equal(th_count_fds(), f->fds_before);
}

static void start_read(fx *f);

static void read_cb(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  fx *f = arg;
  if (f->reads == 0) f->first_status = status;
  f->last_status = status;
  if (len) {
    assert_true(f->got_len + len <= sizeof(f->got));
    memcpy(f->got + f->got_len, data, len);
    f->got_len += len;
  }
  if (f->kind == K_CHUNKS) {
    if (status != GALE_OK) f->reads++;
    return;
  }
  f->reads++;
  if (f->close_in_read) {
    gale_stream_close(s);
    return;
  }
  if (status == GALE_OK && f->reads < f->max_reads) start_read(f);
}

static void start_read(fx *f) {
  int rc = -1;
  switch (f->kind) {
  case K_UNTIL: rc = gale_stream_read_until(f->s, "\r\n", 2, f->n, read_cb, f); break;
  case K_REGEX: rc = gale_stream_read_until_regex(f->s, "[0-9]+;", f->n, read_cb, f); break;
  case K_BYTES: rc = gale_stream_read_bytes(f->s, f->n, f->partial, read_cb, f); break;
  case K_INTO: rc = gale_stream_read_into(f->s, f->into, f->n, f->partial, read_cb, f); break;
  case K_CLOSE: rc = gale_stream_read_until_close(f->s, read_cb, f); break;
  case K_CHUNKS: rc = gale_stream_read_chunks(f->s, read_cb, f); break;
  }
  assert_int_equal(rc, GALE_OK);
}

/* Feeds `data` in two pieces split at every offset and checks what the reads
 * (chained from their callbacks) produced. */
static void split_case(int kind, size_t n, const char *data, int nreads, const char *expect,
                       bool close_peer) {
  size_t len = strlen(data);
  for (size_t k = 0; k <= len; k++) {
    fx f;
    fx_open(&f, NULL);
    f.kind = kind;
    f.n = n;
    f.max_reads = nreads;
    start_read(&f);
    if (k) th_write_all(f.peer, data, k);
    /* Let the stream take in the first piece before the second comes. */
    th_run_for(f.loop, 0.002);
    if (len - k) th_write_all(f.peer, data + k, len - k);
    if (close_peer) {
      close(f.peer);
      f.peer = -1;
    }
    TH_RUN_UNTIL(f.loop, f.reads >= nreads, 5);
    assert_int_equal(f.reads, nreads);
    if (f.got_len != strlen(expect) || memcmp(f.got, expect, f.got_len) != 0)
      fail_msg("kind %d split %zu: got '%.*s' want '%s'", kind, k, (int)f.got_len, f.got, expect);
    fx_close(&f);
  }
}

static void test_read_until_splits(void **st) {
  split_case(K_UNTIL, 0, "ab\r\ncd\r\n\r\nxyz", 3, "ab\r\ncd\r\n\r\n", false);
}

static void test_read_regex_splits(void **st) {
  split_case(K_REGEX, 0, "x12;345;;7;tail", 3, "x12;345;;7;", false);
}

/* The compiled pattern is cached per stream: switching patterns between
 * reads, and a bad pattern in between, must still match each read's own. */
static void test_regex_pattern_switch(void **st) {
  fx f;
  fx_open(&f, NULL);
  f.max_reads = 1;
  th_write_all(f.peer, "aa;bb,cc;dd", 11);
  const char *patterns[] = {";", ",", "(", ";", "d{2}"};
  const char *expect[] = {"aa;", "aa;bb,", NULL, "aa;bb,cc;", "aa;bb,cc;dd"};
  for (int i = 0; i < 5; i++) {
    int rc = gale_stream_read_until_regex(f.s, patterns[i], 0, read_cb, &f);
    if (!expect[i]) {
      assert_int_equal(rc, GALE_EINVAL);
      continue;
    }
    assert_int_equal(rc, GALE_OK);
    int want = f.reads + 1;
    TH_RUN_UNTIL(f.loop, f.reads == want, 5);
    assert_int_equal(f.last_status, GALE_OK);
    assert_int_equal(f.got_len, strlen(expect[i]));
    assert_memory_equal(f.got, expect[i], f.got_len);
  }
  fx_close(&f);
}

/* A stream closed just before gale_loop_free(), its close still to be
 * delivered on the next iteration, is destroyed by the free: fd closed and
 * (under ASan) nothing leaked. */
static void test_close_then_free_loop(void **st) {
  int before = th_count_fds();
  gale_loop *loop = gale_loop_new();
  assert_non_null(loop);
  int fds[2];
  th_socketpair(fds);
  gale_stream *s;
  assert_int_equal(gale_stream_new(loop, fds[0], NULL, &s), GALE_OK);
  int closes = 0;
  gale_stream_set_close_cb(s, count_close, &closes);
  assert_int_equal(gale_stream_write(s, "bye", 3, NULL, NULL), GALE_OK);
  assert_int_equal(gale_stream_close(s), GALE_OK);
  gale_loop_free(loop);
  close(fds[1]);
  assert_int_equal(closes, 0); /* dropped with the loop, like any callback */
  assert_int_equal(th_count_fds(), before);
}

static void test_read_bytes_splits(void **st) {
  split_case(K_BYTES, 3, "abcdefghij", 3, "abcdefghi", false);
}

static void test_read_into_splits(void **st) {
  split_case(K_INTO, 4, "0123456789ab", 3, "0123456789ab", false);
}

static void test_read_until_close_splits(void **st) {
  split_case(K_CLOSE, 0, "everything until the end", 1, "everything until the end", true);
}

static void test_read_chunks_splits(void **st) {
  split_case(K_CHUNKS, 0, "streamed in pieces", 1, "streamed in pieces", true);
}

static void test_partial_and_status(void **st) {
  fx f;
  fx_open(&f, NULL);
  f.kind = K_BYTES;
  f.n = 100;
  f.partial = true;
  f.max_reads = 1;
  start_read(&f);
  th_write_all(f.peer, "abc", 3);
  TH_RUN_UNTIL(f.loop, f.reads == 1, 5);
  assert_int_equal(f.last_status, GALE_OK);
  assert_int_equal(f.got_len, 3);
  /* one read at a time */
  assert_int_equal(gale_stream_read_bytes(f.s, 1, false, read_cb, &f), GALE_OK);
  assert_int_equal(gale_stream_read_bytes(f.s, 1, false, read_cb, &f), GALE_EBUSY);
  assert_int_equal(gale_stream_read_until(f.s, "", 0, 0, read_cb, &f), GALE_EINVAL);
  assert_int_equal(gale_stream_read_until_regex(f.s, "(", 0, read_cb, &f), GALE_EBUSY);
  assert_true(gale_stream_reading(f.s));
  assert_int_equal(gale_stream_read_stop(f.s), GALE_OK);
  assert_int_equal(gale_stream_read_stop(f.s), GALE_ESTATE);
  assert_int_equal(gale_stream_read_until_regex(f.s, "(", 0, read_cb, &f), GALE_EINVAL);
  fx_close(&f);
}

/* The peer closes with half a line buffered: the pending read fails with
 * GALE_EOF, and the close callback follows with the same reason. */
static void test_eof_fails_read(void **st) {
  fx f;
  fx_open(&f, NULL);
  f.kind = K_UNTIL;
  f.max_reads = 1;
  start_read(&f);
  th_write_all(f.peer, "no newline", 10);
  close(f.peer);
  f.peer = -1;
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_int_equal(f.reads, 1);
  assert_int_equal(f.last_status, GALE_EOF);
  assert_int_equal(f.close_reason, GALE_EOF);
  fx_close(&f);
}

static void test_max_bytes(void **st) {
  fx f;
  fx_open(&f, NULL);
  f.kind = K_UNTIL;
  f.n = 5;
  f.max_reads = 1;
  start_read(&f);
  th_write_all(f.peer, "abcdefgh\r\n", 10);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_int_equal(f.last_status, GALE_EMAXBYTES);
  assert_int_equal(f.close_reason, GALE_EMAXBYTES);
  fx_close(&f);

  /* Within the limit: delivered. */
  fx_open(&f, NULL);
  f.kind = K_UNTIL;
  f.n = 5;
  f.max_reads = 1;
  start_read(&f);
  th_write_all(f.peer, "abc\r\nmore data without end", 26);
  TH_RUN_UNTIL(f.loop, f.reads == 1, 5);
  assert_int_equal(f.last_status, GALE_OK);
  assert_int_equal(f.got_len, 5);
  fx_close(&f);
}

static void test_buffer_overflow(void **st) {
  gale_stream_options o;
  gale_stream_options_init(&o);
  o.max_buffer_size = 1000;
  fx f;
  fx_open(&f, &o);
  f.kind = K_UNTIL;
  f.max_reads = 1;
  start_read(&f);
  char junk[4096];
  memset(junk, 'x', sizeof(junk));
  th_write_all(f.peer, junk, sizeof(junk));
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_int_equal(f.last_status, GALE_EBUFFULL);
  assert_int_equal(f.close_reason, GALE_EBUFFULL);
  fx_close(&f);
}

static void test_close_in_read_cb(void **st) {
  fx f;
  fx_open(&f, NULL);
  f.kind = K_UNTIL;
  f.max_reads = 5;
  f.close_in_read = true;
  start_read(&f);
  th_write_all(f.peer, "one\r\ntwo\r\n", 10);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_int_equal(f.reads, 1);
  assert_int_equal(f.close_reason, GALE_OK);
  fx_close(&f);
}

/* A read issued on a closed stream completes from what was buffered: here
 * read_bytes(10) fails with GALE_EOF, the 5 bytes stay, and a read_bytes(3)
 * issued from the close callback gets 3 of them. */
static void close_then_read(gale_stream *s, int reason, void *arg) {
  fx *f = arg;
  f->closes++;
  f->close_reason = reason;
  assert_true(gale_stream_closed(s));
  assert_int_equal(gale_stream_read_bytes(s, 3, false, read_cb, f), GALE_OK);
  f->s = NULL;
}

static void test_read_after_close(void **st) {
  fx f;
  fx_open(&f, NULL);
  gale_stream_set_close_cb(f.s, close_then_read, &f);
  f.kind = K_BYTES;
  f.n = 10;
  f.max_reads = 1;
  start_read(&f);
  th_write_all(f.peer, "xyabc", 5);
  close(f.peer);
  f.peer = -1;
  TH_RUN_UNTIL(f.loop, f.reads == 2, 5);
  assert_int_equal(f.first_status, GALE_EOF);
  assert_int_equal(f.close_reason, GALE_EOF);
  assert_int_equal(f.last_status, GALE_OK);
  assert_int_equal(f.got_len, 3);
  assert_memory_equal(f.got, "xya", 3);
  fx_close(&f);
}

/* Closing from inside the close callback and from a write callback. */
static void close_again(gale_stream *s, int reason, void *arg) {
  fx *f = arg;
  f->closes++;
  f->close_reason = reason;
  gale_stream_close(s);
  gale_stream_close(s);
  f->s = NULL;
}

static void write_cb(gale_stream *s, int status, void *arg) {
  fx *f = arg;
  f->writes_done++;
  f->write_status = status;
}

static void write_cb_close(gale_stream *s, int status, void *arg) {
  fx *f = arg;
  f->writes_done++;
  f->write_status = status;
  gale_stream_close(s);
}

static void test_close_in_callbacks(void **st) {
  fx f;
  fx_open(&f, NULL);
  gale_stream_set_close_cb(f.s, close_again, &f);
  assert_int_equal(gale_stream_write(f.s, "hi", 2, write_cb_close, &f), GALE_OK);
  assert_int_equal(gale_stream_write(f.s, "there", 5, write_cb, &f), GALE_OK);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  /* Both were flushed in one write, so both completed before the close. */
  assert_int_equal(f.writes_done, 2);
  assert_int_equal(f.close_reason, GALE_OK);
  char buf[16];
  assert_int_equal(th_read_full(f.peer, buf, 7, 5), 7);
  assert_memory_equal(buf, "hithere", 7);
  fx_close(&f);

  /* Close before anything was written: writes get GALE_ECANCELLED. */
  fx_open(&f, NULL);
  assert_int_equal(gale_stream_write(f.s, "hi", 2, write_cb, &f), GALE_OK);
  gale_stream_close(f.s);
  assert_int_equal(f.writes_done, 0); /* never inside the call */
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_int_equal(f.writes_done, 1);
  assert_int_equal(f.write_status, GALE_ECANCELLED);
  assert_int_equal(gale_stream_write(NULL, "x", 1, NULL, NULL), GALE_EINVAL);
  fx_close(&f);
}

/* An extra reference keeps the handle usable after close. */
static void test_refs(void **st) {
  fx f;
  fx_open(&f, NULL);
  gale_stream *s = gale_stream_ref(f.s);
  close(f.peer);
  f.peer = -1;
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_true(gale_stream_closed(s));
  assert_int_equal(gale_stream_close_reason(s), GALE_EOF);
  assert_int_equal(gale_stream_write(s, "x", 1, NULL, NULL), GALE_ECLOSED);
  assert_int_equal(gale_stream_fd(s), -1);
  gale_stream_unref(s);
  fx_close(&f);
}

/* ---- back-pressure: 64 MiB to a slow reader ------------------------------- */

typedef struct bp {
  fx f;
  gale_stream *rd;
  uint64_t sent, recvd, total;
  uint32_t sum_out, sum_in;
  size_t max_queued;
  int chunks_seen;
  bool reader_done;
  char block[256 * 1024];
} bp;

static void bp_pump(bp *b);

static void bp_written(gale_stream *s, int status, void *arg) {
  bp *b = arg;
  assert_int_equal(status, GALE_OK);
  bp_pump(b);
}

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
    for (size_t i = 0; i < len; i += 4096) b->sum_out += (unsigned char)b->block[i] * (uint32_t)(i + 1);
    b->sent += len;
    size_t q = gale_stream_write_buffer_size(b->f.s);
    if (q > b->max_queued) b->max_queued = q;
  }
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
  fx_open(&b->f, &o);
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
  fx_close(&b->f);
  free(b);
}

/* ---- resets over TCP ------------------------------------------------------ */

static void tcp_pair(int *server_fd, int *client_fd) {
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

static void rst_close(int fd) {
  struct linger l = {.l_onoff = 1, .l_linger = 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  close(fd);
}

static void test_reset_mid_read(void **st) {
  fx f;
  memset(&f, 0, sizeof(f));
  f.fds_before = th_count_fds();
  f.loop = gale_loop_new();
  int sfd, cfd;
  tcp_pair(&sfd, &cfd);
  assert_int_equal(gale_stream_new(f.loop, sfd, NULL, &f.s), GALE_OK);
  gale_stream_set_close_cb(f.s, on_close, &f);
  f.peer = -1;
  f.kind = K_UNTIL;
  f.max_reads = 1;
  start_read(&f);
  th_write_all(cfd, "partial li", 10);
  TH_RUN_UNTIL(f.loop, gale_stream_read_buffer_size(f.s) == 10, 5);
  rst_close(cfd);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_int_equal(f.last_status, GALE_ECONNRESET);
  assert_int_equal(f.close_reason, GALE_ECONNRESET);
  fx_close(&f);
}

static void test_reset_mid_write(void **st) {
  fx f;
  memset(&f, 0, sizeof(f));
  f.fds_before = th_count_fds();
  f.loop = gale_loop_new();
  int sfd, cfd;
  tcp_pair(&sfd, &cfd);
  assert_int_equal(gale_stream_new(f.loop, sfd, NULL, &f.s), GALE_OK);
  gale_stream_set_close_cb(f.s, on_close, &f);
  f.peer = -1;
  size_t len = 16 * 1024 * 1024;
  char *data = calloc(1, len);
  assert_int_equal(gale_stream_write(f.s, data, len, write_cb, &f), GALE_OK);
  free(data);
  TH_RUN_UNTIL(f.loop, gale_stream_write_buffer_size(f.s) < len, 5);
  rst_close(cfd);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_int_equal(f.writes_done, 1);
  assert_true(f.write_status == GALE_ECONNRESET || f.write_status == GALE_EPIPE);
  assert_int_equal(f.close_reason, f.write_status);
  fx_close(&f);
}

/* ---- pause / resume, timeouts ---------------------------------------------- */

static void test_pause_resume(void **st) {
  fx f;
  fx_open(&f, NULL);
  f.kind = K_UNTIL;
  f.max_reads = 1;
  assert_int_equal(gale_stream_pause_reading(f.s), GALE_OK);
  start_read(&f);
  th_write_all(f.peer, "line\r\n", 6);
  th_run_for(f.loop, 0.1);
  assert_int_equal(f.reads, 0);
  assert_int_equal(gale_stream_read_buffer_size(f.s), 0);
  assert_int_equal(gale_stream_resume_reading(f.s), GALE_OK);
  TH_RUN_UNTIL(f.loop, f.reads == 1, 5);
  assert_int_equal(f.got_len, 6);
  fx_close(&f);
}

static void test_timeouts(void **st) {
  gale_stream_options o;
  gale_stream_options_init(&o);
  o.read_timeout = 0.1;
  fx f;
  fx_open(&f, &o);
  /* No read pending: the read timeout does not run. */
  th_run_for(f.loop, 0.2);
  assert_int_equal(f.closes, 0);
  f.kind = K_UNTIL;
  f.max_reads = 1;
  start_read(&f);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_int_equal(f.last_status, GALE_ETIMEDOUT_READ);
  assert_int_equal(f.close_reason, GALE_ETIMEDOUT_READ);
  fx_close(&f);

  gale_stream_options_init(&o);
  o.idle_timeout = 0.1;
  fx_open(&f, &o);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_int_equal(f.close_reason, GALE_ETIMEDOUT_IDLE);
  fx_close(&f);

  fx_open(&f, NULL);
  assert_int_equal(gale_stream_set_idle_timeout(f.s, -1), GALE_EINVAL);
  assert_int_equal(gale_stream_set_idle_timeout(f.s, 0.1), GALE_OK);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_int_equal(f.close_reason, GALE_ETIMEDOUT_IDLE);
  fx_close(&f);
}

/* ---- writes by reference and from files ------------------------------------ */

static int freed;
static void count_free(void *p) {
  freed++;
  free(p);
}

static void test_write_ref_and_file(void **st) {
  fx f;
  fx_open(&f, NULL);
  freed = 0;
  char *msg = strdup("by reference|");
  assert_int_equal(gale_stream_write_ref(f.s, msg, strlen(msg), count_free, write_cb, &f), GALE_OK);
  char *dir = th_mkdtemp();
  char path[512];
  snprintf(path, sizeof(path), "%s/f", dir);
  size_t flen = 300000;
  char *content = malloc(flen);
  for (size_t i = 0; i < flen; i++) content[i] = (char)('a' + i % 26);
  th_write_file(path, content, flen);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  assert_true(fd >= 0);
  assert_int_equal(gale_stream_write_file(f.s, fd, 1000, 0, write_cb, &f), GALE_OK);
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
  fx_close(&f);
  th_rmtree(dir);
}

/* ---- futures ---------------------------------------------------------------- */

static void test_futures(void **st) {
  fx f;
  fx_open(&f, NULL);
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
  fx_close(&f);
}

/* ---- the internal data hook (HTTP pipelining) -------------------------------- */

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
  fx f;
  fx_open(&f, NULL);
  hook_calls = 0;
  assert_int_equal(gale__stream_set_data_cb(f.s, echo_hook, NULL), GALE_OK);
  assert_int_equal(gale_stream_read_bytes(f.s, 1, false, read_cb, &f), GALE_EBUSY);
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
  fx_close(&f);
}


/* Closing from inside the data hook and the streaming read, and dropping an
 * extra reference from inside a callback, under ASan. */
static void hook_close(gale_stream *s, struct evbuffer *in, void *arg) {
  fx *f = arg;
  f->reads++;
  gale_stream_close(s);
  gale_stream_close(s);
}

static void chunk_close(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  fx *f = arg;
  f->reads++;
  f->last_status = status;
  if (status == GALE_OK) {
    gale_stream_close(s);
    gale_stream_unref(s); /* the reference the test took */
  }
}

static void test_close_in_hook_and_chunks(void **st) {
  fx f;
  fx_open(&f, NULL);
  assert_int_equal(gale__stream_set_data_cb(f.s, hook_close, &f), GALE_OK);
  th_write_all(f.peer, "abc", 3);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_int_equal(f.reads, 1);
  fx_close(&f);

  fx_open(&f, NULL);
  gale_stream_ref(f.s);
  assert_int_equal(gale_stream_read_chunks(f.s, chunk_close, &f), GALE_OK);
  th_write_all(f.peer, "abc", 3);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  /* One chunk, then the end of the streaming read with GALE_ECANCELLED. */
  assert_int_equal(f.reads, 2);
  assert_int_equal(f.last_status, GALE_ECANCELLED);
  fx_close(&f);
}

/* A long line arriving in small pieces: the delimiter search resumes where
 * it stopped (linear), and a delimiter split across pieces is found. */
static void len_cb(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  fx *f = arg;
  f->reads++;
  f->last_status = status;
  f->n = len;
}

static void test_long_line_in_pieces(void **st) {
  fx f;
  fx_open(&f, NULL);
  assert_int_equal(gale_stream_read_until(f.s, "\r\n", 2, 0, len_cb, &f), GALE_OK);
  char piece[1000];
  memset(piece, 'x', sizeof(piece));
  size_t total = 0;
  for (int i = 0; i < 2000; i++) {
    th_write_all(f.peer, piece, sizeof(piece));
    total += sizeof(piece);
    if (i % 50 == 0) th_run_for(f.loop, 0.001);
    if (i % 200 == 0)
      TH_RUN_UNTIL(f.loop, gale_stream_read_buffer_size(f.s) == total, 5);
  }
  th_write_all(f.peer, "\r", 1);
  TH_RUN_UNTIL(f.loop, gale_stream_read_buffer_size(f.s) == total + 1, 5);
  assert_int_equal(f.reads, 0);
  th_write_all(f.peer, "\n", 1);
  TH_RUN_UNTIL(f.loop, f.reads == 1, 5);
  assert_int_equal(f.last_status, GALE_OK);
  assert_int_equal(f.n, total + 2);
  assert_int_equal(gale_stream_read_buffer_size(f.s), 0);
  char big[200];
  memset(big, 'd', sizeof(big));
  assert_int_equal(gale_stream_read_until(f.s, big, sizeof(big), 0, read_cb, &f), GALE_EINVAL);
  fx_close(&f);
}

static void test_misc(void **st) {
  gale_stream *s;
  gale_loop *loop = gale_loop_new();
  assert_int_equal(gale_stream_new(NULL, 0, NULL, &s), GALE_EINVAL);
  assert_int_equal(gale_stream_new(loop, -1, NULL, &s), GALE_EINVAL);
  gale_loop_free(loop);
  fx f;
  fx_open(&f, NULL);
  int v = 42;
  gale_stream_set_user_data(f.s, &v);
  assert_ptr_equal(gale_stream_get_user_data(f.s), &v);
  assert_ptr_equal(gale_stream_loop(f.s), f.loop);
  assert_int_equal(gale_stream_set_nodelay(f.s, true), GALE_ESYS); /* AF_UNIX */
  struct sockaddr_storage ss;
  socklen_t sl = sizeof(ss);
  assert_int_equal(gale_stream_peer_addr(f.s, (struct sockaddr *)&ss, &sl), GALE_OK);
  assert_int_equal(ss.ss_family, AF_UNIX);
  fx_close(&f);

  /* TCP: nodelay, keepalive, addresses. */
  memset(&f, 0, sizeof(f));
  f.fds_before = th_count_fds();
  f.loop = gale_loop_new();
  int sfd, cfd;
  tcp_pair(&sfd, &cfd);
  assert_int_equal(gale_stream_new(f.loop, sfd, NULL, &f.s), GALE_OK);
  gale_stream_set_close_cb(f.s, on_close, &f);
  f.peer = cfd;
  assert_int_equal(gale_stream_set_nodelay(f.s, true), GALE_OK);
  assert_int_equal(gale_stream_set_keepalive(f.s, true, 30, 5, 3), GALE_OK);
  struct sockaddr_in a;
  socklen_t al = sizeof(a);
  assert_int_equal(gale_stream_local_addr(f.s, (struct sockaddr *)&a, &al), GALE_OK);
  assert_int_equal(a.sin_family, AF_INET);
  assert_int_equal(ntohl(a.sin_addr.s_addr), 0x7f000001);
  fx_close(&f);
}

/* A stream over a pipe: reads fall back from recv (ENOTSOCK) to readv. */
static char pipe_got[64];
static int pipe_reads;
static void pipe_read_cb(gale_stream *stream, int status, const char *data, size_t len,
                         void *arg) {
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
      cmocka_unit_test(test_read_until_splits),
      cmocka_unit_test(test_read_regex_splits),
      cmocka_unit_test(test_regex_pattern_switch),
      cmocka_unit_test(test_close_then_free_loop),
      cmocka_unit_test(test_read_bytes_splits),
      cmocka_unit_test(test_read_into_splits),
      cmocka_unit_test(test_read_until_close_splits),
      cmocka_unit_test(test_read_chunks_splits),
      cmocka_unit_test(test_partial_and_status),
      cmocka_unit_test(test_eof_fails_read),
      cmocka_unit_test(test_max_bytes),
      cmocka_unit_test(test_buffer_overflow),
      cmocka_unit_test(test_close_in_read_cb),
      cmocka_unit_test(test_read_after_close),
      cmocka_unit_test(test_close_in_callbacks),
      cmocka_unit_test(test_refs),
      cmocka_unit_test(test_backpressure_64mib),
      cmocka_unit_test(test_reset_mid_read),
      cmocka_unit_test(test_reset_mid_write),
      cmocka_unit_test(test_pause_resume),
      cmocka_unit_test(test_timeouts),
      cmocka_unit_test(test_write_ref_and_file),
      cmocka_unit_test(test_futures),
      cmocka_unit_test(test_data_hook),
      cmocka_unit_test(test_close_in_hook_and_chunks),
      cmocka_unit_test(test_long_line_in_pieces),
      cmocka_unit_test(test_misc),
      cmocka_unit_test(test_pipe_stream),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
