/* SPDX-License-Identifier: MIT */
/* libFuzzer target: streaming gunzip with a small output cap, fed in
 * pieces whose size the input chooses.
 * FUZZ-SOURCES: http/util/gzip.c
 * FUZZ-LIBS: -lz
 */
#include <string.h>

#include "fuzz/fuzz.h"
#include "http/util/gzip.h"

const char gale_fuzz_corpus[] = "gunzip";

static int count_sink(void *arg, const char *data, size_t len) {
  size_t *total = arg;
  FUZZ_CHECK(len > 0 && len <= GALE_GZIP_CHUNK);
  (void)data;
  *total += len;
  return GALE_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t step = (size_t)data[0] * 7 + 1;
  gale_gzip *z;
  size_t total = 0;
  const uint64_t cap = 1 << 20;
  if (gale__gzip_new(&z, GALE_GZIP_DECOMPRESS, 0, cap) != GALE_OK) return 0;
  int rc = GALE_OK;
  for (size_t off = 1; off < size && rc == GALE_OK;) {
    size_t n = size - off < step ? size - off : step;
    rc = gale__gzip_write(z, data + off, n, count_sink, &total);
    off += n;
  }
  int frc = gale__gzip_finish(z, count_sink, &total);
  if (rc == GALE_OK)
    FUZZ_CHECK(frc == GALE_OK || frc == GALE_EHTTP_TRUNCATED);
  else
    FUZZ_CHECK(frc == rc);
  FUZZ_CHECK(total <= cap && gale__gzip_total_out(z) == total);
  gale__gzip_free(z);
  return 0;
}
