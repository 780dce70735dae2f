/* SPDX-License-Identifier: MIT */
/* The bare context switch (core/coro_switch.c), no loop: two contexts
 * handing over to each other and back to main, with values main keeps in
 * callee-saved registers across the switches and floating point on the
 * coroutine's stack.  Plain C (no cmocka) so tests/test_coro_cross.sh can
 * build it for another architecture and run it under qemu. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/coro_switch.h"

static gale__ctx main_ctx, a_ctx, b_ctx;
static int trace[16], n;

static double scaled(double x) { return x * 1.5; }

static void entry_a(void *arg) {
  for (int i = 0; i < 3; i++) {
    trace[n++] = (int)(intptr_t)arg + i;
    gale__ctx_switch(&a_ctx, &b_ctx);
  }
  volatile double d = scaled(2.0);
  trace[n++] = (int)d;
  gale__ctx_switch(&a_ctx, &main_ctx);
  abort(); /* never resumed again */
}

static void entry_b(void *arg) {
  for (;;) {
    trace[n++] = (int)(intptr_t)arg;
    gale__ctx_switch(&b_ctx, &a_ctx);
  }
}

int main(void) {
  static char stack_a[65536] __attribute__((aligned(16)));
  static char stack_b[65536] __attribute__((aligned(16)));
  gale__ctx_init(&a_ctx, stack_a, sizeof stack_a, entry_a, (void *)(intptr_t)10);
  gale__ctx_init(&b_ctx, stack_b, sizeof stack_b, entry_b, (void *)(intptr_t)100);
  long keep1 = rand() | 1, keep2 = keep1 * 3, keep3 = keep1 ^ 0x5a5a;
  long want1 = keep1, want2 = keep2, want3 = keep3;
  volatile double f = 0.25;
  gale__ctx_switch(&main_ctx, &a_ctx);
  static const int expect[] = {10, 100, 11, 100, 12, 100, 3};
  int ok = n == 7 && keep1 == want1 && keep2 == want2 && keep3 == want3 && f == 0.25;
  for (int i = 0; ok && i < 7; i++) ok = trace[i] == expect[i];
  printf("%s: %s\n", gale__ctx_kind(), ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
