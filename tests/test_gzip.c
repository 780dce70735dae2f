/* SPDX-License-Identifier: MIT */
/* Tests of the streaming gzip codec (http/util/gzip.c): round trips at every
 * feed size, interoperability with zlib's own gzip, concatenated members,
 * zlib-wrapped input, truncated and corrupt streams, the decompression bomb
 * cap, sink errors, flush, and the content negotiation helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "http/util/gzip.h"

typedef struct sink {
  char *buf;
  size_t len, cap;
  int fail_at_call; /* return an error on this call (1-based), 0: never */
  int calls;
} sink;

static int sink_fn(void *arg, const char *data, size_t len) {
  sink *s = arg;
  s->calls++;
  if (s->fail_at_call && s->calls == s->fail_at_call) return GALE_ECANCELLED;
  assert_true(len > 0 && len <= GALE_GZIP_CHUNK);
  if (s->len + len > s->cap) {
    s->cap = (s->len + len) * 2;
    s->buf = realloc(s->buf, s->cap);
    assert_non_null(s->buf);
  }
  memcpy(s->buf + s->len, data, len);
  s->len += len;
  return GALE_OK;
}

static void sink_free(sink *s) {
  free(s->buf);
  memset(s, 0, sizeof *s);
}

/* Text that compresses, but not trivially. */
static char *sample(size_t n) {
  char *p = malloc(n);
  uint32_t x = 12345;
  for (size_t i = 0; i < n; i++) {
    x = x * 1103515245u + 12345u;
    p[i] = (char)("abcdefgh <html> \n"[(x >> 16) % 17]);
  }
  return p;
}

static int compress_all(const char *in, size_t len, size_t step, sink *out) {
  gale_gzip *z;
  int rc = gale__gzip_new(&z, GALE_GZIP_COMPRESS, 0, 0);
  if (rc) return rc;
  for (size_t off = 0; off < len;) {
    size_t n = step && step < len - off ? step : len - off;
    rc = gale__gzip_write(z, in + off, n, sink_fn, out);
    if (rc) break;
    off += n;
  }
  if (!rc) rc = gale__gzip_finish(z, sink_fn, out);
  gale__gzip_free(z);
  return rc;
}

static int decompress_all(const char *in, size_t len, size_t step, uint64_t cap, sink *out) {
  gale_gzip *z;
  int rc = gale__gzip_new(&z, GALE_GZIP_DECOMPRESS, 0, cap);
  if (rc) return rc;
  for (size_t off = 0; off < len;) {
    size_t n = step && step < len - off ? step : len - off;
    rc = gale__gzip_write(z, in + off, n, sink_fn, out);
    if (rc) break;
    off += n;
  }
  if (!rc) rc = gale__gzip_finish(z, sink_fn, out);
  gale__gzip_free(z);
  return rc;
}

/* zlib's one-shot gzip for comparison (windowBits 31). */
static size_t zlib_gzip(const char *in, size_t len, char *out, size_t cap) {
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
  zs.next_in = (Bytef *)(uintptr_t)in;
  zs.avail_in = (uInt)len;
  zs.next_out = (Bytef *)out;
  zs.avail_out = (uInt)cap;
  assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
  size_t n = zs.total_out;
  deflateEnd(&zs);
  return n;
}

static void test_round_trip(void **state) {
  (void)state;
  static const size_t sizes[] = {0, 1, 100, 16384, 16385, 100000, 300000};
  static const size_t steps[] = {0, 1, 7, 4096, 65536};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    char *in = sample(sizes[i]);
    for (size_t j = 0; j < sizeof steps / sizeof steps[0]; j++) {
      if (steps[j] == 1 && sizes[i] > 20000) continue;
      sink c = {0}, d = {0};
      assert_int_equal(compress_all(in, sizes[i], steps[j], &c), GALE_OK);
      assert_true(c.len >= 20); /* gzip header + trailer */
      assert_int_equal((unsigned char)c.buf[0], 0x1f);
      assert_int_equal((unsigned char)c.buf[1], 0x8b);
      assert_int_equal(decompress_all(c.buf, c.len, steps[j], 0, &d), GALE_OK);
      assert_int_equal(d.len, sizes[i]);
      if (sizes[i]) assert_memory_equal(d.buf, in, sizes[i]);
      sink_free(&c);
      sink_free(&d);
    }
    free(in);
  }
}

static void test_interop_with_zlib(void **state) {
  (void)state;
  size_t n = 50000;
  char *in = sample(n);
  /* ours → zlib's uncompress (via inflate with gzip detection) */
  sink c = {0};
  assert_int_equal(compress_all(in, n, 1000, &c), GALE_OK);
  char *back = malloc(n);
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  assert_int_equal(inflateInit2(&zs, 31), Z_OK);
  zs.next_in = (Bytef *)c.buf;
  zs.avail_in = (uInt)c.len;
  zs.next_out = (Bytef *)back;
  zs.avail_out = (uInt)n;
  assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
  assert_int_equal(zs.total_out, n);
  inflateEnd(&zs);
  assert_memory_equal(back, in, n);
  /* zlib's → ours */
  char *gz = malloc(n + 1000);
  size_t gzlen = zlib_gzip(in, n, gz, n + 1000);
  sink d = {0};
  assert_int_equal(decompress_all(gz, gzlen, 333, 0, &d), GALE_OK);
  assert_int_equal(d.len, n);
  assert_memory_equal(d.buf, in, n);
  /* zlib wrapper ("deflate" content coding) */
  uLongf zl = (uLongf)(n + 1000);
  assert_int_equal(compress2((Bytef *)gz, &zl, (const Bytef *)in, (uLong)n, 6), Z_OK);
  sink e = {0};
  assert_int_equal(decompress_all(gz, zl, 0, 0, &e), GALE_OK);
  assert_int_equal(e.len, n);
  sink_free(&c);
  sink_free(&d);
  sink_free(&e);
  free(gz);
  free(back);
  free(in);
}

static void test_concatenated_members(void **state) {
  (void)state;
  char a[256], b[256], both[512];
  size_t na = zlib_gzip("hello ", 6, a, sizeof a);
  size_t nb = zlib_gzip("world", 5, b, sizeof b);
  memcpy(both, a, na);
  memcpy(both + na, b, nb);
  for (size_t step = 0; step < 8; step++) {
    sink d = {0};
    assert_int_equal(decompress_all(both, na + nb, step, 0, &d), GALE_OK);
    assert_int_equal(d.len, 11);
    assert_memory_equal(d.buf, "hello world", 11);
    sink_free(&d);
  }
}

static void test_bad_input(void **state) {
  (void)state;
  char gz[256];
  size_t n = zlib_gzip("hello world hello world", 23, gz, sizeof gz);
  sink d = {0};
  /* truncated */
  for (size_t cut = 1; cut < n; cut++) {
    int rc = decompress_all(gz, cut, 0, 0, &d);
    assert_int_equal(rc, GALE_EHTTP_TRUNCATED);
    sink_free(&d);
  }
  /* corrupt: not gzip at all, a bad header, a bad CRC */
  assert_int_equal(decompress_all("plain text, not gzip", 20, 0, 0, &d), GALE_EHTTP_DECOMPRESS);
  sink_free(&d);
  char bad[256];
  memcpy(bad, gz, n);
  bad[2] = 9; /* unknown compression method */
  assert_int_equal(decompress_all(bad, n, 0, 0, &d), GALE_EHTTP_DECOMPRESS);
  sink_free(&d);
  memcpy(bad, gz, n);
  bad[n - 6] ^= 0x55; /* CRC */
  assert_int_equal(decompress_all(bad, n, 0, 0, &d), GALE_EHTTP_DECOMPRESS);
  sink_free(&d);
  /* trailing garbage after a complete member */
  memcpy(bad, gz, n);
  memcpy(bad + n, "junk", 4);
  assert_int_equal(decompress_all(bad, n + 4, 0, 0, &d), GALE_EHTTP_DECOMPRESS);
  sink_free(&d);
  /* empty input: empty output */
  assert_int_equal(decompress_all("", 0, 0, 0, &d), GALE_OK);
  assert_int_equal(d.len, 0);
  /* errors are sticky; use after finish is a state error */
  gale_gzip *z;
  assert_int_equal(gale__gzip_new(&z, GALE_GZIP_DECOMPRESS, 0, 0), GALE_OK);
  assert_int_equal(gale__gzip_write(z, "xx", 2, sink_fn, &d), GALE_EHTTP_DECOMPRESS);
  assert_int_equal(gale__gzip_write(z, gz, n, sink_fn, &d), GALE_EHTTP_DECOMPRESS);
  assert_int_equal(gale__gzip_finish(z, sink_fn, &d), GALE_EHTTP_DECOMPRESS);
  gale__gzip_free(z);
  assert_int_equal(gale__gzip_new(&z, GALE_GZIP_COMPRESS, 9, 0), GALE_OK);
  assert_int_equal(gale__gzip_finish(z, sink_fn, &d), GALE_OK);
  assert_int_equal(gale__gzip_write(z, "a", 1, sink_fn, &d), GALE_ESTATE);
  gale__gzip_free(z);
  gale__gzip_free(NULL);
  assert_int_equal(gale__gzip_new(&z, GALE_GZIP_COMPRESS, 10, 0), GALE_EINVAL);
  assert_int_equal(gale__gzip_new(&z, (gale_gzip_mode)7, 0, 0), GALE_EINVAL);
  sink_free(&d);
}

/* 64 MiB of zeros compress to ~64 KiB: the cap stops inflation early. */
static void test_bomb(void **state) {
  (void)state;
  size_t n = 64u << 20;
  char *zeros = calloc(1, n);
  char *gz = malloc(n / 100);
  size_t gzlen = zlib_gzip(zeros, n, gz, n / 100);
  free(zeros);
  assert_true(gzlen < 100000);
  sink d = {0};
  int rc = decompress_all(gz, gzlen, 4096, 1u << 20, &d);
  assert_int_equal(rc, GALE_EHTTP_BODY_TOO_LARGE);
  assert_true(d.len <= 1u << 20);
  sink_free(&d);
  /* exactly at the cap is fine */
  char small[1024];
  char *z1 = calloc(1, 5000);
  size_t sl = zlib_gzip(z1, 5000, small, sizeof small);
  assert_int_equal(decompress_all(small, sl, 0, 5000, &d), GALE_OK);
  sink_free(&d);
  assert_int_equal(decompress_all(small, sl, 0, 4999, &d), GALE_EHTTP_BODY_TOO_LARGE);
  sink_free(&d);
  free(z1);
  free(gz);
}

static void test_sink_error_and_flush(void **state) {
  (void)state;
  size_t n = 200000;
  char *in = sample(n);
  sink c = {0};
  c.fail_at_call = 2;
  assert_int_equal(compress_all(in, n, 0, &c), GALE_ECANCELLED);
  sink_free(&c);

  /* flush: what is out so far decompresses to everything written so far */
  gale_gzip *z;
  assert_int_equal(gale__gzip_new(&z, GALE_GZIP_COMPRESS, 1, 0), GALE_OK);
  assert_int_equal(gale__gzip_write(z, "first part,", 11, sink_fn, &c), GALE_OK);
  assert_int_equal(gale__gzip_flush(z, sink_fn, &c), GALE_OK);
  assert_int_equal(gale__gzip_total_in(z), 11);
  sink partial = {0};
  gale_gzip *u;
  assert_int_equal(gale__gzip_new(&u, GALE_GZIP_DECOMPRESS, 0, 0), GALE_OK);
  assert_int_equal(gale__gzip_write(u, c.buf, c.len, sink_fn, &partial), GALE_OK);
  assert_int_equal(partial.len, 11);
  assert_memory_equal(partial.buf, "first part,", 11);
  assert_int_equal(gale__gzip_finish(u, sink_fn, &partial), GALE_EHTTP_TRUNCATED);
  gale__gzip_free(u);
  assert_int_equal(gale__gzip_write(z, " second", 7, sink_fn, &c), GALE_OK);
  assert_int_equal(gale__gzip_finish(z, sink_fn, &c), GALE_OK);
  assert_int_equal(gale__gzip_total_out(z), c.len);
  gale__gzip_free(z);
  sink_free(&partial);
  assert_int_equal(decompress_all(c.buf, c.len, 0, 0, &partial), GALE_OK);
  assert_int_equal(partial.len, 18);
  assert_memory_equal(partial.buf, "first part, second", 18);
  sink_free(&partial);
  sink_free(&c);
  free(in);
}

static void test_helpers(void **state) {
  (void)state;
#define CT(s) gale__gzip_compressible_type(s, strlen(s))
  assert_true(CT("text/html"));
  assert_true(CT("text/plain; charset=utf-8"));
  assert_true(CT("TEXT/CSS"));
  assert_true(CT("application/json"));
  assert_true(CT("application/javascript;charset=utf-8"));
  assert_true(CT("application/xml"));
  assert_true(CT("application/vnd.api+json"));
  assert_true(CT("application/soap+xml"));
  assert_true(CT("image/svg+xml"));
  assert_false(CT("image/png"));
  assert_false(CT("image/jpeg"));
  assert_false(CT("application/gzip"));
  assert_false(CT("application/zip"));
  assert_false(CT("application/octet-stream"));
  assert_false(CT("video/mp4"));
  assert_false(CT("text/"));
  assert_false(CT(""));
  assert_false(gale__gzip_compressible_type(NULL, 0));
#define AE(s) gale__gzip_accepted(s, strlen(s))
  assert_true(AE("gzip"));
  assert_true(AE("gzip, deflate, br"));
  assert_true(AE("br;q=1.0, GZIP;q=0.5"));
  assert_true(AE("*"));
  assert_true(AE("x-gzip"));
  assert_false(AE(""));
  assert_false(AE("identity"));
  assert_false(AE("deflate, br"));
  assert_false(AE("gzip;q=0"));
  assert_false(AE("gzip; q=0.000, deflate"));
  assert_true(AE("gzip;q=0.001"));
  assert_false(AE("*;q=0"));
  assert_false(AE("gzip;q=0, *"));
  assert_false(AE("gzipx"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_interop_with_zlib),
      cmocka_unit_test(test_concatenated_members),
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_bomb),
      cmocka_unit_test(test_sink_error_and_flush),
      cmocka_unit_test(test_helpers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
