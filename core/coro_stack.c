/* SPDX-License-Identifier: MIT */
/* Coroutine stacks: one guarded, lazily committed mapping each, pooled per
 * thread, and the guard-page fault report. */
#include "core/coro_stack.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(HAVE_VALGRIND_VALGRIND_H)
#include <valgrind/valgrind.h>
#else
#define VALGRIND_STACK_REGISTER(lo, hi) 0u
#define VALGRIND_STACK_DEREGISTER(id) ((void)(id))
#endif

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102 /* Linux 6.13; Debian 12's headers predate it */
#endif

enum { POOL_MAX = 256 }; /* stacks kept per thread: a few pages each stay resident */

static size_t page_size(void) {
  static size_t page;
  if (page == 0) {
    long p = sysconf(_SC_PAGESIZE);
    page = p > 0 ? (size_t)p : 4096;
  }
  return page;
}

/* 0 = not tried yet, 1 = madvise works, 2 = mprotect fallback. */
static atomic_int guard_kind;

static int install_guard(char *map, size_t page) {
  int kind = atomic_load(&guard_kind);
  if (kind != 2) {
    if (madvise(map, page, MADV_GUARD_INSTALL) == 0) {
      if (kind == 0) atomic_store(&guard_kind, 1);
      return 0;
    }
    if (errno != EINVAL) return -1;
    atomic_store(&guard_kind, 2); /* an older kernel, or valgrind */
  }
  return mprotect(map, page, PROT_NONE);
}

const char *gale__stack_guard_kind(void) {
  int kind = atomic_load(&guard_kind);
  return kind == 1 ? "madvise" : kind == 2 ? "mprotect" : "none yet";
}

/* ---- the overflow report ------------------------------------------------- */

static __thread const gale__stack *running_stack __attribute__((tls_model("initial-exec")));
static __thread const char *running_name __attribute__((tls_model("initial-exec")));
static __thread bool altstack_done __attribute__((tls_model("initial-exec")));
static struct sigaction previous; /* the handler ours wraps */

static void put(const char *s) {
  size_t n = strlen(s);
  while (n > 0) {
    ssize_t w = write(STDERR_FILENO, s, n);
    if (w <= 0) return;
    s += w;
    n -= (size_t)w;
  }
}

/* Async-signal-safe: names the coroutine whose guard page was hit, then
 * hands the fault to whatever handled SIGSEGV before (a crash reporter, a
 * sanitizer, the default action that kills the process). */
static void on_segv(int sig, siginfo_t *info, void *uctx) {
  const gale__stack *s = running_stack;
  const char *addr = info->si_addr;
  if (s != NULL && addr >= s->map && addr < s->lo) {
    put("gale: coroutine '");
    put(running_name && *running_name ? running_name : "(unnamed)");
    put("' overflowed its stack (hit the guard page); raise gale_coro_options.stack_size\n");
  }
  if (previous.sa_flags & SA_SIGINFO) {
    if (previous.sa_sigaction != NULL && previous.sa_sigaction != on_segv) {
      previous.sa_sigaction(sig, info, uctx);
      return;
    }
  } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
    previous.sa_handler(sig);
    return;
  }
  signal(sig, SIG_DFL); /* the retried access kills the process */
}

/* Called before each new stack is mapped (not for pooled ones): puts ours
 * in front of whatever handler is current, so one installed after the last
 * stack, by the application or a test harness, is wrapped too. */
static void install_handler(void) {
  struct sigaction cur;
  if (sigaction(SIGSEGV, NULL, &cur) != 0) return;
  if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_segv) return;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  previous = cur;
  sigaction(SIGSEGV, &sa, NULL);
}

/* The handler needs a stack of its own: the faulting one is exhausted. */
static void ensure_altstack(void) {
  install_handler();
  if (altstack_done) return;
  altstack_done = true;
  stack_t cur;
  if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE)) return;
  size_t len = 64 * 1024;
  void *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return;
  stack_t ss = {.ss_sp = mem, .ss_size = len, .ss_flags = 0};
  if (sigaltstack(&ss, NULL) != 0) munmap(mem, len); /* kept for the thread's life */
}

void gale__stack_set_running(const gale__stack *stack, const char *name) {
  running_stack = stack;
  running_name = name;
}

/* ---- the pool ------------------------------------------------------------ */

static __thread gale__stack *pool;
static __thread unsigned pool_len;

static void unmap(gale__stack *s) {
  VALGRIND_STACK_DEREGISTER(s->valgrind_id);
  munmap(s->map, s->map_len);
}

gale__stack *gale__stack_get(size_t size) {
  size_t page = page_size();
  size_t usable = (size + page - 1) / page * page;
  size_t len = page + usable; /* guard, stack */
  if (usable == 0 || usable < size || len < usable) {
    errno = EINVAL;
    return NULL;
  }
  for (gale__stack **p = &pool; *p != NULL; p = &(*p)->next_free) {
    if ((*p)->map_len == len) {
      gale__stack *s = *p;
      *p = s->next_free;
      pool_len--;
      return s;
    }
  }
  ensure_altstack();
  char *map = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (map == MAP_FAILED) return NULL;
  if (install_guard(map, page) != 0) {
    int e = errno;
    munmap(map, len);
    errno = e;
    return NULL;
  }
  /* The struct sits at the very top, in the page the first frames touch
   * anyway: no page committed for bookkeeping alone. */
  size_t head = (sizeof(gale__stack) + 63) & ~(size_t)63;
  gale__stack *s = (gale__stack *)(map + len - head);
  s->map = map;
  s->map_len = len;
  s->lo = map + page;
  s->hi = (char *)s;
  s->next_free = NULL;
  s->valgrind_id = VALGRIND_STACK_REGISTER(s->lo, s->hi);
  return s;
}

void gale__stack_put(gale__stack *s) {
  if (s == NULL) return;
  if (pool_len >= POOL_MAX) {
    unmap(s);
    return;
  }
  s->next_free = pool;
  pool = s;
  pool_len++;
}

void gale__stack_pool_drain(void) {
  while (pool != NULL) {
    gale__stack *s = pool;
    pool = s->next_free;
    unmap(s);
  }
  pool_len = 0;
}
