#!/bin/sh
# SPDX-License-Identifier: MIT
# HTTP/1.x head parsing, nanoseconds per request: gale's parser beside Node's
# classic http-parser (Debian's libhttp-parser-dev, built here with the same
# compiler at -O2) on the same bytes: a 700-byte browser request and wrk's
# 40-byte one.  Best of RUNS (default 3) runs of N (default 2000000)
# parses each, on CPU 1 when taskset exists; prints the ratio peer/gale
# (above 1: gale is faster).
set -eu
: "${top_builddir:=.}"
: "${top_srcdir:=.}"
N=${N:-2000000}
RUNS=${RUNS:-3}
driver="$top_builddir/bench/parser_bench"
[ -x "$driver" ] || { echo "parser: $driver not built (make bench)"; exit 1; }
PIN=""
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then PIN="taskset -c 1"; fi

peer=""
if [ -f /usr/include/http_parser.h ]; then
  peer="$top_builddir/bench/parser_peer_http_parser"
  ${CC:-cc} -O2 -std=c11 -D_GNU_SOURCE -I"$top_srcdir" -o "$peer" \
    "$top_srcdir/bench/parser_peer_http_parser.c" -lhttp_parser || peer=""
fi
[ -n "$peer" ] || echo "parser: http-parser (libhttp-parser-dev) missing, gale only"

# best PROGRAM NAME: the lowest ns/request of NAME over RUNS runs.
best() {
  i=0; b=""
  while [ $i -lt "$RUNS" ]; do
    v=$($PIN "$1" "$N" | awk -v n="$2" '$2 == n { print $3 }')
    if [ -z "$b" ] || awk -v a="$v" -v b="$b" 'BEGIN { exit !(a < b) }'; then b=$v; fi
    i=$((i + 1))
  done
  echo "$b"
}

printf '%-10s %14s %14s %8s\n' request "gale ns/req" "peer ns/req" "peer/gale"
for name in browser wrk; do
  g=$(best "$driver" "$name")
  if [ -n "$peer" ]; then
    p=$(best "$peer" "$name")
    printf '%-10s %14s %14s %8s\n' "$name" "$g" "$p" "$(awk -v g="$g" -v p="$p" 'BEGIN { printf "%.2f", p / g }')"
  else
    printf '%-10s %14s %14s %8s\n' "$name" "$g" - -
  fi
done
