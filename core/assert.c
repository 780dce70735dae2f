/* SPDX-License-Identifier: MIT */
/* The failure path of gale__assert (core/assert.h). */
#include <stdio.h>
#include <stdlib.h>

#include "core/assert.h"

_Noreturn void gale__assert_fail(const char *expr, const char *file, int line, const char *func) {
  fprintf(stderr, "gale: check failed: %s (%s:%d, %s)\n", expr, file, line, func);
  fflush(stderr);
  abort();
}
