#!/bin/sh
# SPDX-License-Identifier: MIT
# Coroutines: gale's (bench/coro_bench.c) beside Python's asyncio and
# Tornado's queues doing the same work, in one run.  Prints each side's
# lines, then the ratios (peer time / gale time: how many times faster gale
# is; for memory, bytes per suspended coroutine side by side).
#   CORO_BENCH_N  operations per case (default 1000000 for gale, a tenth of
#                 it for Python, which is ~50x slower per operation)
set -eu
: "${top_builddir:=.}"
: "${top_srcdir:=$(dirname "$0")/..}"
prog="$top_builddir/bench/coro_bench"
[ -x "$prog" ] || make -C "$top_builddir" bench/coro_bench >/dev/null
PY=/usr/bin/python3
n=${CORO_BENCH_N:-1000000}
pn=$((n / 10))
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== gale ($("$prog" --kind 2>/dev/null || true))"
"$prog" "$n" | tee "$tmp/gale"
if [ -x "$PY" ]; then
  echo "== asyncio ($($PY -c 'import sys; print(sys.version.split()[0])'))"
  $PY "$top_srcdir/bench/coro_peers.py" "$pn" asyncio | tee "$tmp/asyncio"
  if $PY -c 'import tornado' 2>/dev/null; then
    echo "== tornado ($($PY -c 'import tornado; print(tornado.version)')) queue"
    $PY "$top_srcdir/bench/coro_peers.py" "$pn" tornado | tee "$tmp/tornado"
  fi
else
  echo "(no $PY: the Python peers are skipped)"
fi
echo "== ratios (peer / gale)"
for peer in asyncio tornado; do
  [ -s "$tmp/$peer" ] || continue
  awk -v peer="$peer" '
    FNR == NR { v[$1] = $2; next }
    ($1 in v) && v[$1] > 0 {
      if ($1 == "memory") printf "%-8s %-8s gale %6.0f B, %s %6.0f B per suspended coroutine\n", $1, peer, v[$1], peer, $2
      else printf "%-8s %-8s x%.1f faster\n", $1, peer, $2 / v[$1]
    }' "$tmp/gale" "$tmp/$peer"
done
