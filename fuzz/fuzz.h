/* SPDX-License-Identifier: MIT */
/* Shared by the libFuzzer targets in fuzz/ and by fuzz/replay.c, which runs
 * a target over its seed corpus in `make check` (no libFuzzer needed).
 *
 * Each target fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput and
 * gale_fuzz_corpus ("NAME", its corpus folder fuzz/corpus/NAME/), and says
 * in its top comment which library files it needs and which libraries, one
 * line each, for .ci/fuzz to build it:
 *     FUZZ-SOURCES: http/util/gzip.c
 *     FUZZ-LIBS: -lz
 * To add a target: write fuzz/fuzz_NAME.c and seeds in fuzz/corpus/NAME/;
 * .ci/fuzz (and `make fuzz`) finds it.  For the corpus replay in
 * `make check` add its fuzz/replay_NAME program to fuzz/local.mk.  A target traps
 * (__builtin_trap) when an invariant breaks, so libFuzzer and the replay
 * both report it as a crash. */
#ifndef GALE_FUZZ_H
#define GALE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern const char gale_fuzz_corpus[];

#define FUZZ_CHECK(cond)           \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

#endif
