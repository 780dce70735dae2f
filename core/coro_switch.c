/* SPDX-License-Identifier: MIT */
/* The coroutine context switch: hand-written for x86-64 and aarch64 (only
 * the registers the ABI says a callee preserves: the caller of the switch
 * has already spilled the rest), ucontext elsewhere. */
#include "core/coro_switch.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef GALE_CORO_UCONTEXT

/* makecontext() passes int arguments only: the context's address goes as
 * two 32-bit halves, and entry and arg wait in the context itself. */
static void uc_start(unsigned hi, unsigned lo) {
  gale__ctx *ctx = (gale__ctx *)(((uintptr_t)hi << 16 << 16) | (uintptr_t)lo);
  ctx->entry(ctx->arg);
  abort(); /* entry never returns */
}

void gale__ctx_init(gale__ctx *ctx, void *stack, size_t size, void (*entry)(void *), void *arg) {
  memset(ctx, 0, sizeof *ctx);
  ctx->entry = entry;
  ctx->arg = arg;
  getcontext(&ctx->uc);
  ctx->uc.uc_stack.ss_sp = stack;
  ctx->uc.uc_stack.ss_size = size;
  ctx->uc.uc_link = NULL;
  uintptr_t p = (uintptr_t)ctx;
  makecontext(&ctx->uc, (void (*)(void))uc_start, 2, (unsigned)(p >> 16 >> 16),
              (unsigned)(p & 0xffffffffu));
}

void gale__ctx_switch(gale__ctx *from, gale__ctx *to) { swapcontext(&from->uc, &to->uc); }

const char *gale__ctx_kind(void) { return "ucontext"; }

#else

/* gale__ctx_jump(&from->sp, to->sp) pushes the callee-saved registers, saves
 * the stack pointer, loads the other and pops its registers; its `ret`
 * returns into the other context's own call of gale__ctx_jump (or, the first
 * time, into the trampoline, which calls entry(arg) from two registers the
 * initial frame loaded). */
void gale__ctx_jump(void **save_sp, void *load_sp) __attribute__((visibility("hidden")));
void gale__ctx_trampoline(void) __attribute__((visibility("hidden")));

#if defined(__x86_64__)

/* Frame, from the saved sp up: MXCSR and x87 control word (8 bytes: both
 * are callee-saved control state in the SysV ABI), r15, r14, r13, r12, rbx,
 * rbp, return address. */
__asm__(".text\n"
        ".p2align 4\n"
        ".globl gale__ctx_jump\n"
        ".hidden gale__ctx_jump\n"
        ".type gale__ctx_jump,@function\n"
        "gale__ctx_jump:\n"
        "  pushq %rbp\n"
        "  pushq %rbx\n"
        "  pushq %r12\n"
        "  pushq %r13\n"
        "  pushq %r14\n"
        "  pushq %r15\n"
        "  subq $8, %rsp\n"
        "  stmxcsr (%rsp)\n"
        "  fnstcw 4(%rsp)\n"
        "  movq %rsp, (%rdi)\n"
        "  movq %rsi, %rsp\n"
        "  ldmxcsr (%rsp)\n"
        "  fldcw 4(%rsp)\n"
        "  addq $8, %rsp\n"
        "  popq %r15\n"
        "  popq %r14\n"
        "  popq %r13\n"
        "  popq %r12\n"
        "  popq %rbx\n"
        "  popq %rbp\n"
        "  ret\n"
        ".size gale__ctx_jump, .-gale__ctx_jump\n"
        ".p2align 4\n"
        ".globl gale__ctx_trampoline\n"
        ".hidden gale__ctx_trampoline\n"
        ".type gale__ctx_trampoline,@function\n"
        "gale__ctx_trampoline:\n"
        "  movq %r12, %rdi\n"
        "  callq *%r13\n"
        "  ud2\n"
        ".size gale__ctx_trampoline, .-gale__ctx_trampoline\n");

enum { FRAME_WORDS = 8 }; /* control word slot, 6 registers, return address */

void gale__ctx_init(gale__ctx *ctx, void *stack, size_t size, void (*entry)(void *), void *arg) {
  uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)15;
  /* After the pops and the ret, sp = frame + 64 must be 16-aligned, so that
   * the trampoline's call enters entry() with the ABI's alignment. */
  uint64_t *frame = (uint64_t *)(top - 16 - FRAME_WORDS * 8);
  memset(frame, 0, FRAME_WORDS * 8);
  frame[0] = 0x1F80 | (uint64_t)0x037F << 32; /* default MXCSR, x87 CW */
  frame[3] = (uint64_t)(uintptr_t)entry;      /* r13 */
  frame[4] = (uint64_t)(uintptr_t)arg;        /* r12 */
  frame[6] = 0;                               /* rbp: ends the frame chain */
  frame[7] = (uint64_t)(uintptr_t)gale__ctx_trampoline;
  ctx->sp = frame;
}

const char *gale__ctx_kind(void) { return "asm-x86_64"; }

#elif defined(__aarch64__)

/* Frame (176 bytes, 16-aligned): x19..x28, x29 (fp), x30 (lr), d8..d15,
 * 16 bytes of padding. */
__asm__(".text\n"
        ".p2align 4\n"
        ".globl gale__ctx_jump\n"
        ".hidden gale__ctx_jump\n"
        ".type gale__ctx_jump,%function\n"
        "gale__ctx_jump:\n"
        "  sub sp, sp, #176\n"
        "  stp x19, x20, [sp, #0]\n"
        "  stp x21, x22, [sp, #16]\n"
        "  stp x23, x24, [sp, #32]\n"
        "  stp x25, x26, [sp, #48]\n"
        "  stp x27, x28, [sp, #64]\n"
        "  stp x29, x30, [sp, #80]\n"
        "  stp d8, d9, [sp, #96]\n"
        "  stp d10, d11, [sp, #112]\n"
        "  stp d12, d13, [sp, #128]\n"
        "  stp d14, d15, [sp, #144]\n"
        "  mov x9, sp\n"
        "  str x9, [x0]\n"
        "  mov sp, x1\n"
        "  ldp x19, x20, [sp, #0]\n"
        "  ldp x21, x22, [sp, #16]\n"
        "  ldp x23, x24, [sp, #32]\n"
        "  ldp x25, x26, [sp, #48]\n"
        "  ldp x27, x28, [sp, #64]\n"
        "  ldp x29, x30, [sp, #80]\n"
        "  ldp d8, d9, [sp, #96]\n"
        "  ldp d10, d11, [sp, #112]\n"
        "  ldp d12, d13, [sp, #128]\n"
        "  ldp d14, d15, [sp, #144]\n"
        "  add sp, sp, #176\n"
        "  ret\n"
        ".size gale__ctx_jump, .-gale__ctx_jump\n"
        ".p2align 4\n"
        ".globl gale__ctx_trampoline\n"
        ".hidden gale__ctx_trampoline\n"
        ".type gale__ctx_trampoline,%function\n"
        "gale__ctx_trampoline:\n"
        "  mov x0, x19\n"
        "  blr x20\n"
        "  brk #0\n"
        ".size gale__ctx_trampoline, .-gale__ctx_trampoline\n");

enum { FRAME_BYTES = 176 };

void gale__ctx_init(gale__ctx *ctx, void *stack, size_t size, void (*entry)(void *), void *arg) {
  uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)15;
  uint64_t *frame = (uint64_t *)(top - FRAME_BYTES);
  memset(frame, 0, FRAME_BYTES);
  frame[0] = (uint64_t)(uintptr_t)arg;                   /* x19 */
  frame[1] = (uint64_t)(uintptr_t)entry;                 /* x20 */
  frame[10] = 0;                                         /* x29: ends the frame chain */
  frame[11] = (uint64_t)(uintptr_t)gale__ctx_trampoline; /* x30 */
  ctx->sp = frame;
}

const char *gale__ctx_kind(void) { return "asm-aarch64"; }

#endif

void gale__ctx_switch(gale__ctx *from, gale__ctx *to) { gale__ctx_jump(&from->sp, to->sp); }

#endif
