/* SPDX-License-Identifier: MIT */
/* gale_stream over socketpairs, its reads: every read kind with the data
 * split at every byte boundary, partial reads, EOF, limits and overflow,
 * long lines in pieces, closing from callbacks, references.  Back-pressure,
 * resets, timeouts, files, futures and the data hook:
 * test_stream_flow.c (the fixture: stream_fixture.h). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "iostream/stream_internal.h"
#include "stream_fixture.h"

/* Feeds `data` in two pieces split at every offset and checks what the reads
 * (chained from their callbacks) produced. */
static void split_case(int kind, size_t n, const char *data, int nreads, const char *expect,
                       bool close_peer) {
  size_t len = strlen(data);
  for (size_t k = 0; k <= len; k++) {
    stream_fx f;
    sx_open(&f, NULL);
    f.kind = kind;
    f.n = n;
    f.max_reads = nreads;
    sx_start_read(&f);
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
    sx_close(&f);
  }
}

static void test_read_until_splits(void **st) {
  split_case(SX_UNTIL, 0, "ab\r\ncd\r\n\r\nxyz", 3, "ab\r\ncd\r\n\r\n", false);
}

static void test_read_regex_splits(void **st) {
  split_case(SX_REGEX, 0, "x12;345;;7;tail", 3, "x12;345;;7;", false);
}

/* The compiled pattern is cached per stream: switching patterns between
 * reads, and a bad pattern in between, must still match each read's own. */
static void test_regex_pattern_switch(void **st) {
  stream_fx f;
  sx_open(&f, NULL);
  f.max_reads = 1;
  th_write_all(f.peer, "aa;bb,cc;dd", 11);
  const char *patterns[] = {";", ",", "(", ";", "d{2}"};
  const char *expect[] = {"aa;", "aa;bb,", NULL, "aa;bb,cc;", "aa;bb,cc;dd"};
  for (int i = 0; i < 5; i++) {
    int rc = gale_stream_read_until_regex(f.s, patterns[i], 0, sx_read_cb, &f);
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
  sx_close(&f);
}

static void count_close(gale_stream *s, int reason, void *arg) {
  (void)s;
  (void)reason;
  (*(int *)arg)++;
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
  split_case(SX_BYTES, 3, "abcdefghij", 3, "abcdefghi", false);
}

static void test_read_into_splits(void **st) {
  split_case(SX_INTO, 4, "0123456789ab", 3, "0123456789ab", false);
}

static void test_read_until_close_splits(void **st) {
  split_case(SX_CLOSE, 0, "everything until the end", 1, "everything until the end", true);
}

static void test_read_chunks_splits(void **st) {
  split_case(SX_CHUNKS, 0, "streamed in pieces", 1, "streamed in pieces", true);
}

static void test_partial_and_status(void **st) {
  stream_fx f;
  sx_open(&f, NULL);
  f.kind = SX_BYTES;
  f.n = 100;
  f.partial = true;
  f.max_reads = 1;
  sx_start_read(&f);
  th_write_all(f.peer, "abc", 3);
  TH_RUN_UNTIL(f.loop, f.reads == 1, 5);
  assert_int_equal(f.last_status, GALE_OK);
  assert_int_equal(f.got_len, 3);
  /* one read at a time */
  assert_int_equal(gale_stream_read_bytes(f.s, 1, false, sx_read_cb, &f), GALE_OK);
  assert_int_equal(gale_stream_read_bytes(f.s, 1, false, sx_read_cb, &f), GALE_EBUSY);
  assert_int_equal(gale_stream_read_until(f.s, "", 0, 0, sx_read_cb, &f), GALE_EINVAL);
  assert_int_equal(gale_stream_read_until_regex(f.s, "(", 0, sx_read_cb, &f), GALE_EBUSY);
  assert_true(gale_stream_reading(f.s));
  assert_int_equal(gale_stream_read_stop(f.s), GALE_OK);
  assert_int_equal(gale_stream_read_stop(f.s), GALE_ESTATE);
  assert_int_equal(gale_stream_read_until_regex(f.s, "(", 0, sx_read_cb, &f), GALE_EINVAL);
  sx_close(&f);
}

/* The peer closes with half a line buffered: the pending read fails with
 * GALE_EOF, and the close callback follows with the same reason. */
static void test_eof_fails_read(void **st) {
  stream_fx f;
  sx_open(&f, NULL);
  f.kind = SX_UNTIL;
  f.max_reads = 1;
  sx_start_read(&f);
  th_write_all(f.peer, "no newline", 10);
  close(f.peer);
  f.peer = -1;
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_int_equal(f.reads, 1);
  assert_int_equal(f.last_status, GALE_EOF);
  assert_int_equal(f.close_reason, GALE_EOF);
  sx_close(&f);
}

static void test_max_bytes(void **st) {
  stream_fx f;
  sx_open(&f, NULL);
  f.kind = SX_UNTIL;
  f.n = 5;
  f.max_reads = 1;
  sx_start_read(&f);
  th_write_all(f.peer, "abcdefgh\r\n", 10);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_int_equal(f.last_status, GALE_EMAXBYTES);
  assert_int_equal(f.close_reason, GALE_EMAXBYTES);
  sx_close(&f);

  /* Within the limit: delivered. */
  sx_open(&f, NULL);
  f.kind = SX_UNTIL;
  f.n = 5;
  f.max_reads = 1;
  sx_start_read(&f);
  th_write_all(f.peer, "abc\r\nmore data without end", 26);
  TH_RUN_UNTIL(f.loop, f.reads == 1, 5);
  assert_int_equal(f.last_status, GALE_OK);
  assert_int_equal(f.got_len, 5);
  sx_close(&f);
}

static void test_buffer_overflow(void **st) {
  gale_stream_options o;
  gale_stream_options_init(&o);
  o.max_buffer_size = 1000;
  stream_fx f;
  sx_open(&f, &o);
  f.kind = SX_UNTIL;
  f.max_reads = 1;
  sx_start_read(&f);
  char junk[4096];
  memset(junk, 'x', sizeof(junk));
  th_write_all(f.peer, junk, sizeof(junk));
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_int_equal(f.last_status, GALE_EBUFFULL);
  assert_int_equal(f.close_reason, GALE_EBUFFULL);
  sx_close(&f);
}

static void test_close_in_read_cb(void **st) {
  stream_fx f;
  sx_open(&f, NULL);
  f.kind = SX_UNTIL;
  f.max_reads = 5;
  f.close_in_read = true;
  sx_start_read(&f);
  th_write_all(f.peer, "one\r\ntwo\r\n", 10);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_int_equal(f.reads, 1);
  assert_int_equal(f.close_reason, GALE_OK);
  sx_close(&f);
}

/* A read issued on a closed stream completes from what was buffered: here
 * read_bytes(10) fails with GALE_EOF, the 5 bytes stay, and a read_bytes(3)
 * issued from the close callback gets 3 of them. */
static void close_then_read(gale_stream *s, int reason, void *arg) {
  stream_fx *f = arg;
  f->closes++;
  f->close_reason = reason;
  assert_true(gale_stream_closed(s));
  assert_int_equal(gale_stream_read_bytes(s, 3, false, sx_read_cb, f), GALE_OK);
  f->s = NULL;
}

static void test_read_after_close(void **st) {
  stream_fx f;
  sx_open(&f, NULL);
  gale_stream_set_close_cb(f.s, close_then_read, &f);
  f.kind = SX_BYTES;
  f.n = 10;
  f.max_reads = 1;
  sx_start_read(&f);
  th_write_all(f.peer, "xyabc", 5);
  close(f.peer);
  f.peer = -1;
  TH_RUN_UNTIL(f.loop, f.reads == 2, 5);
  assert_int_equal(f.first_status, GALE_EOF);
  assert_int_equal(f.close_reason, GALE_EOF);
  assert_int_equal(f.last_status, GALE_OK);
  assert_int_equal(f.got_len, 3);
  assert_memory_equal(f.got, "xya", 3);
  sx_close(&f);
}

/* Closing from inside the close callback and from a write callback. */
static void close_again(gale_stream *s, int reason, void *arg) {
  stream_fx *f = arg;
  f->closes++;
  f->close_reason = reason;
  gale_stream_close(s);
  gale_stream_close(s);
  f->s = NULL;
}

static void write_cb_close(gale_stream *s, int status, void *arg) {
  stream_fx *f = arg;
  f->writes_done++;
  f->write_status = status;
  gale_stream_close(s);
}

static void test_close_in_callbacks(void **st) {
  stream_fx f;
  sx_open(&f, NULL);
  gale_stream_set_close_cb(f.s, close_again, &f);
  assert_int_equal(gale_stream_write(f.s, "hi", 2, write_cb_close, &f), GALE_OK);
  assert_int_equal(gale_stream_write(f.s, "there", 5, sx_write_cb, &f), GALE_OK);
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  /* Both were flushed in one write, so both completed before the close. */
  assert_int_equal(f.writes_done, 2);
  assert_int_equal(f.close_reason, GALE_OK);
  char buf[16];
  assert_int_equal(th_read_full(f.peer, buf, 7, 5), 7);
  assert_memory_equal(buf, "hithere", 7);
  sx_close(&f);

  /* Close before anything was written: writes get GALE_ECANCELLED. */
  sx_open(&f, NULL);
  assert_int_equal(gale_stream_write(f.s, "hi", 2, sx_write_cb, &f), GALE_OK);
  gale_stream_close(f.s);
  assert_int_equal(f.writes_done, 0); /* never inside the call */
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_int_equal(f.writes_done, 1);
  assert_int_equal(f.write_status, GALE_ECANCELLED);
  assert_int_equal(gale_stream_write(NULL, "x", 1, NULL, NULL), GALE_EINVAL);
  sx_close(&f);
}

/* An extra reference keeps the handle usable after close. */
static void test_refs(void **st) {
  stream_fx f;
  sx_open(&f, NULL);
  gale_stream *s = gale_stream_ref(f.s);
  close(f.peer);
  f.peer = -1;
  TH_RUN_UNTIL(f.loop, f.closes == 1, 5);
  assert_true(gale_stream_closed(s));
  assert_int_equal(gale_stream_close_reason(s), GALE_EOF);
  assert_int_equal(gale_stream_write(s, "x", 1, NULL, NULL), GALE_ECLOSED);
  assert_int_equal(gale_stream_fd(s), -1);
  gale_stream_unref(s);
  sx_close(&f);
}

/* A long line arriving in small pieces: the delimiter search resumes where
 * it stopped (linear), and a delimiter split across pieces is found. */
static void len_cb(gale_stream *s, int status, const char *data, size_t len, void *arg) {
  stream_fx *f = arg;
  f->reads++;
  f->last_status = status;
  f->n = len;
}

static void test_long_line_in_pieces(void **st) {
  stream_fx f;
  sx_open(&f, NULL);
  assert_int_equal(gale_stream_read_until(f.s, "\r\n", 2, 0, len_cb, &f), GALE_OK);
  char piece[1000];
  memset(piece, 'x', sizeof(piece));
  size_t total = 0;
  for (int i = 0; i < 2000; i++) {
    th_write_all(f.peer, piece, sizeof(piece));
    total += sizeof(piece);
    if (i % 50 == 0) th_run_for(f.loop, 0.001);
    if (i % 200 == 0) TH_RUN_UNTIL(f.loop, gale_stream_read_buffer_size(f.s) == total, 5);
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
  assert_int_equal(gale_stream_read_until(f.s, big, sizeof(big), 0, sx_read_cb, &f), GALE_EINVAL);
  sx_close(&f);
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
      cmocka_unit_test(test_long_line_in_pieces),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
