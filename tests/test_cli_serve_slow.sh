#!/bin/sh
# SPDX-License-Identifier: MIT
# `gale serve` under slowhttptest (issue 15): a slowloris run (1,500 slow
# header senders) and a slow-body run (1,000 slow 1 MB uploads) against the
# server with its limits, while a probe keeps fetching a file: every probe
# is answered, and the server's resident memory stays bounded (under 64 MiB
# above its start plus --max-body-buffer).  The probe is paced by the clock
# (one request every 0.5 s); nothing waits on a sleep for an event.
# Skips (exit 77) without curl or slowhttptest.
set -u
top_builddir=${top_builddir:-.}
B=$(cd "$top_builddir" && pwd)
GALE=$B/tools/gale
command -v curl >/dev/null 2>&1 || { echo "curl missing: skip"; exit 77; }
command -v slowhttptest >/dev/null 2>&1 || { echo "slowhttptest missing: skip"; exit 77; }
[ -x "$GALE" ] || { echo "no $GALE"; exit 1; }
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null

tmp=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
  pkill -P $$ slowhttptest 2>/dev/null
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

n=0
fails=0
check() { # check NAME COMMAND...
  name=$1
  shift
  n=$((n + 1))
  if "$@"; then echo "ok $n: $name"; else echo "FAIL $n: $name"; fails=$((fails + 1)); fi
}

mkdir -p "$tmp/root"
printf 'hello\n' >"$tmp/root/a.txt"
mkfifo "$tmp/err"
CAP=$((16 * 1024 * 1024))
"$GALE" serve -q -p 0 -b 127.0.0.1 --max-connections 5000 --header-timeout 10 --max-body-buffer $CAP \
  "$tmp/root" 2>"$tmp/err" &
pid=$!
exec 3<"$tmp/err"
IFS= read -r line <&3
port=$(printf '%s\n' "$line" | sed -n 's|^Serving .* on http://127.0.0.1:\([0-9]*\)/.*|\1|p')
cat <&3 >"$tmp/log" &
exec 3<&-
[ -n "$port" ] || { echo "gale serve did not start: $line"; exit 1; }
URL=http://127.0.0.1:$port/a.txt
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"; }
start_rss=$(rss_kb)

# probe SECONDS: one request every 0.5 s; prints "answered total max_rss_kb".
probe() {
  ok=0 total=0 max=0
  end=$(($(date +%s) + $1))
  while [ "$(date +%s)" -lt "$end" ]; do
    body=$(curl -s -m 3 "$URL")
    total=$((total + 1))
    [ "$body" = hello ] && ok=$((ok + 1))
    r=$(rss_kb)
    [ "${r:-0}" -gt "$max" ] && max=$r
    sleep 0.5
  done
  echo "$ok $total $max"
}

slowhttptest -H -c 1500 -r 500 -i 3 -x 16 -l 14 -p 3 -u "$URL" >"$tmp/loris.out" 2>&1 &
sp=$!
set -- $(probe 12)
wait $sp
check "slowloris: every probe answered ($1 of $2)" [ "$1" -eq "$2" -a "$2" -gt 10 ]
check "slowloris: slowhttptest saw the service available" grep -q "service available" "$tmp/loris.out"
loris_rss=$3

slowhttptest -B -c 1000 -r 500 -i 2 -s 1000000 -x 64 -l 14 -p 3 -u "$URL" >"$tmp/body.out" 2>&1 &
sp=$!
set -- $(probe 12)
wait $sp
check "slow body: every probe answered ($1 of $2)" [ "$1" -eq "$2" -a "$2" -gt 10 ]
body_rss=$3
limit=$((start_rss + 65536 + CAP / 1024))
check "resident memory stays bounded (${loris_rss} and ${body_rss} KiB, limit ${limit})" \
  [ "$loris_rss" -lt "$limit" -a "$body_rss" -lt "$limit" ]
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=""
check "the server stops cleanly afterwards (exit 0)" [ "$rc" -eq 0 ]
[ $fails -eq 0 ] || { tail -20 "$tmp/loris.out" "$tmp/body.out"; exit 1; }
echo "slow clients: all $n checks passed"
