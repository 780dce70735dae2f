/* Shared by the libFuzzer targets in fuzz/ and by fuzz/replay.c, which runs
 * a target over its seed corpus in `make check` (no libFuzzer needed).
 *
 * Each target defines LLVMFuzzerTestOneInput and gale_fuzz_corpus, the name
 * of its corpus folder under fuzz/corpus/.  A target traps
 * (__builtin_trap) when an invariant breaks, so libFuzzer and the replay
 * both report it as a crash. */
#ifndef GALE_FUZZ_H
#define GALE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern const char gale_fuzz_corpus[];

#define FUZZ_CHECK(cond)                                                     \
  do {                                                                       \
    if (!(cond)) __builtin_trap();                                           \
  } while (0)

#endif
