# SPDX-License-Identifier: MIT
# core (layer 1): the loop, timers, watchers, signals, executor, futures,
# errors and logging.
libgale_impl_la_SOURCES += \
	core/alloc.c \
	core/alloc.h \
	core/assert.c \
	core/assert.h \
	core/buf.c \
	core/error.c \
	core/version.c \
	core/log.c \
	core/loop.c \
	core/timer.c \
	core/periodic.c \
	core/watcher.c \
	core/signal.c \
	core/executor.c \
	core/future.c \
	core/future_internal.h \
	core/coro.c \
	core/coro_stack.c \
	core/coro_stack.h \
	core/coro_switch.c \
	core/coro_switch.h \
	core/locks.c \
	core/queue.c \
	core/waitq.c \
	core/waitq.h \
	core/loop_internal.h

galeinclude_HEADERS += \
	include/gale/common.h \
	include/gale/buf.h \
	include/gale/error.h \
	include/gale/log.h \
	include/gale/loop.h \
	include/gale/future.h \
	include/gale/coro.h \
	include/gale/locks.h \
	include/gale/queue.h

if HAVE_CMOCKA
check_PROGRAMS += tests/test_error tests/test_loop tests/test_timer \
	tests/test_watcher tests/test_threadsafe tests/test_executor \
	tests/test_future tests/test_alloc tests/test_buf tests/test_assert \
	tests/test_coro tests/test_coro_switch tests/test_locks tests/test_queues \
	tests/test_coro_io
check_SCRIPTS += tests/test_coro_cross.sh
EXTRA_DIST += tests/test_coro_cross.sh
tests_test_error_SOURCES = tests/test_error.c
tests_test_loop_SOURCES = tests/test_loop.c
tests_test_timer_SOURCES = tests/test_timer.c
tests_test_watcher_SOURCES = tests/test_watcher.c
tests_test_threadsafe_SOURCES = tests/test_threadsafe.c
tests_test_executor_SOURCES = tests/test_executor.c
tests_test_future_SOURCES = tests/test_future.c
tests_test_alloc_SOURCES = tests/test_alloc.c
tests_test_buf_SOURCES = tests/test_buf.c
tests_test_assert_SOURCES = tests/test_assert.c
tests_test_coro_SOURCES = tests/test_coro.c
# Awaiting the upper layers' futures (streams, TCP, DNS, HTTP, executor).
tests_test_coro_io_SOURCES = tests/test_coro_io.c
tests_test_coro_switch_SOURCES = tests/test_coro_switch.c
tests_test_locks_SOURCES = tests/test_locks.c
tests_test_queues_SOURCES = tests/test_queues.c
endif

EXTRA_PROGRAMS += bench/loop_bench
bench_programs += bench/loop_bench
bench_loop_bench_SOURCES = bench/loop_bench.c
bench_loop_bench_LDADD = libgale_impl.la $(DEP_LIBS)
EXTRA_DIST += bench/loop.sh

EXTRA_PROGRAMS += bench/coro_bench
bench_programs += bench/coro_bench
bench_coro_bench_SOURCES = bench/coro_bench.c
bench_coro_bench_LDADD = libgale_impl.la $(DEP_LIBS)
EXTRA_DIST += bench/coro.sh bench/coro_peers.py
