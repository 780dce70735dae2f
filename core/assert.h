/* SPDX-License-Identifier: MIT */
/* Life-cycle checks for gale's state machines (stream, connections,
 * requests).  Each object keeps its phase in an enum field and moves it only
 * through gale__transition(), which checks the move against the object's
 * table of allowed transitions.  The checks are compiled in when configure
 * ran with --enable-sanitizers or --enable-asserts (GALE_ASSERTS defined),
 * so the sanitizer build of the test suite catches an impossible transition
 * at the line that makes it; a release build pays nothing. */
#ifndef GALE_CORE_ASSERT_H
#define GALE_CORE_ASSERT_H

#include <stdint.h>

/* Reports a failed check (expression, file, line, function) on stderr and
 * aborts.  Never returns. */
_Noreturn void gale__assert_fail(const char *expr, const char *file, int line, const char *func);

#ifdef GALE_ASSERTS
#define gale__assert(cond) \
  ((cond) ? (void)0 : gale__assert_fail(#cond, __FILE__, __LINE__, __func__))
#else
#define gale__assert(cond) ((void)sizeof((cond) ? 1 : 0))
#endif

/* Bit for state `s` in a transition table row. */
#define GALE__STATE_BIT(s) (UINT32_C(1) << (s))

/* Moves `var` (an enum lvalue, fewer than 32 states) to state `to`.
 * `allowed` is a table indexed by the current state whose entry has
 * GALE__STATE_BIT(to) set for every permitted next state. */
#define gale__transition(var, to, allowed)                              \
  do {                                                                  \
    gale__assert(((allowed)[(var)] & GALE__STATE_BIT(to)) != 0 && #to); \
    (void)(allowed); /* a use clang sees when the check compiles out */ \
    (var) = (to);                                                       \
  } while (0)

#endif
