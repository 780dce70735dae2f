/* SPDX-License-Identifier: MIT */
/* core/coro_switch.h — the machine context of a coroutine and the switch
 * between two of them.
 *
 * On x86-64 and aarch64 (unless configure chose --with-coro-switch=ucontext)
 * the switch is a dozen instructions in core/coro_switch.c that save the
 * callee-saved registers on the current stack, store the stack pointer and
 * load the other one: a function call's cost, no system call.  Elsewhere it
 * is ucontext's swapcontext(), which also saves the signal mask (a system
 * call per switch) but runs on every POSIX system.
 */
#ifndef GALE_CORE_CORO_SWITCH_H
#define GALE_CORE_CORO_SWITCH_H

#include <stddef.h>

#include "gale/common.h"

#if !defined(GALE_CORO_UCONTEXT) && !defined(__x86_64__) && !defined(__aarch64__)
#define GALE_CORO_UCONTEXT 1
#endif

#ifdef GALE_CORO_UCONTEXT
#include <ucontext.h>
typedef struct gale__ctx {
  ucontext_t uc;
  void (*entry)(void *arg);
  void *arg;
} gale__ctx;
#else
typedef struct gale__ctx {
  void *sp; /* saved stack pointer; the registers are on that stack */
} gale__ctx;
#endif

/* Prepares `ctx` to run entry(arg) on the stack [stack, stack + size) the
 * first time it is switched to.  entry must never return: it switches away
 * for the last time instead.  `stack` is 16-byte aligned. */
GALE_INTERNAL void gale__ctx_init(gale__ctx *ctx, void *stack, size_t size,
                                  void (*entry)(void *arg), void *arg);

/* Saves the running context in `from` and continues `to`; returns when
 * something switches back to `from`. */
GALE_INTERNAL void gale__ctx_switch(gale__ctx *from, gale__ctx *to);

/* "asm-x86_64", "asm-aarch64" or "ucontext": what this build switches with. */
GALE_INTERNAL const char *gale__ctx_kind(void);

#endif
