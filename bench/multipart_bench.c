/* SPDX-License-Identifier: MIT */
/* bench/multipart_bench.c — multipart/form-data parsing throughput: a body
 * of a few fields and one file part of SIZE MiB (text with CRs and
 * near-misses of the delimiter every few KiB), parsed by
 * gale_multipart_parse (whole, zero-copy) and by the streaming parser fed
 * in 64 KiB pieces (what the server's reads hand it) and in 1 KiB pieces.
 * Prints MB/s, best of 5 rounds; writes the body to argv[2] when given so
 * bench/multipart.sh can time a peer on the same bytes.
 *   multipart_bench [SIZE_MIB] [BODY_FILE] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gale/error.h"
#include "gale/multipart.h"

#define BOUNDARY "----galebenchboundary7MA4YWxkTrZu0gW"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t seen;
static int on_data(const char *d, size_t n, void *arg) {
  (void)d;
  (void)arg;
  seen += n;
  return GALE_OK;
}

static double stream_round(const char *body, size_t len, size_t piece) {
  static const gale_multipart_callbacks cb = {NULL, on_data, NULL};
  gale_multipart_stream *s = NULL;
  double t0 = now();
  if (gale_multipart_stream_new(BOUNDARY, strlen(BOUNDARY), NULL, &cb, NULL, &s) != GALE_OK)
    exit(1);
  for (size_t at = 0; at < len; at += piece) {
    size_t n = len - at < piece ? len - at : piece;
    if (gale_multipart_stream_feed(s, body + at, n) != GALE_OK) exit(1);
  }
  if (gale_multipart_stream_finish(s) != GALE_OK) exit(1);
  gale_multipart_stream_free(s);
  return now() - t0;
}

static double whole_round(const char *body, size_t len) {
  gale_multipart *m = NULL;
  double t0 = now();
  if (gale_multipart_parse(body, len, BOUNDARY, strlen(BOUNDARY), NULL, &m) != GALE_OK) exit(1);
  double t = now() - t0;
  if (gale_multipart_count(m) != 4) exit(1);
  gale_multipart_free(m);
  return t;
}

int main(int argc, char **argv) {
  size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
  size_t fsize = mib << 20;
  static const char head[] =
      "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\none\r\n"
      "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\ntwo\r\n"
      "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"c\"\r\n\r\nthree\r\n"
      "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"file\"; "
      "filename=\"f.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n";
  static const char tail[] = "\r\n--" BOUNDARY "--\r\n";
  size_t len = strlen(head) + fsize + strlen(tail);
  char *body = malloc(len);
  memcpy(body, head, strlen(head));
  char *p = body + strlen(head);
  for (size_t i = 0; i < fsize; i++) p[i] = (char)('a' + i % 23);
  for (size_t i = 4000; i + 16 < fsize; i += 4096) memcpy(p + i, "\r\n--------gale\r", 15);
  memcpy(p + fsize, tail, strlen(tail));
  if (argc > 2) {
    FILE *f = fopen(argv[2], "wb");
    if (!f || fwrite(body, 1, len, f) != len) return 1;
    fclose(f);
  }
  double best[3] = {1e9, 1e9, 1e9};
  for (int r = 0; r < 5; r++) {
    double t = whole_round(body, len);
    if (t < best[0]) best[0] = t;
    t = stream_round(body, len, 65536);
    if (t < best[1]) best[1] = t;
    t = stream_round(body, len, 1024);
    if (t < best[2]) best[2] = t;
  }
  double mb = (double)len / 1e6;
  printf("gale whole-body parse      %8.0f MB/s\n", mb / best[0]);
  printf("gale stream, 64 KiB pieces %8.0f MB/s\n", mb / best[1]);
  printf("gale stream, 1 KiB pieces  %8.0f MB/s\n", mb / best[2]);
  printf("whole_s=%.6f stream64_s=%.6f stream1k_s=%.6f\n", best[0], best[1], best[2]);
  free(body);
  return 0;
}
