/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the HTTP/1.x response parser and body decoder. */
#include "fuzz/fuzz_head.h"

const char gale_fuzz_corpus[] = "response";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return fuzz_head(GALE_H1_RESPONSE, data, size);
}
