#!/bin/sh
# SPDX-License-Identifier: MIT
# Loop overhead: gale's callbacks and timers against the same work done with
# raw libevent, in one run (bench/loop_bench.c).  Prints a ratio per case.
set -eu
: "${top_builddir:=.}"
prog="$top_builddir/bench/loop_bench"
if [ ! -x "$prog" ]; then
  make -C "$top_builddir" bench/loop_bench >/dev/null
fi
"$prog" "${LOOP_BENCH_N:-1000000}"
