#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/echo.sh — gale's TCP server + stream vs a plain libevent bufferevent
# echo server, in the same run: server pinned to CPU 0, load on CPU 1.
#   1. echo round trips per second (CONNS connections, SIZE-byte messages,
#      SECONDS each) and server CPU microseconds per round trip (utime+stime
#      from /proc/PID/stat before/after);
#   2. bytes of server memory per idle connection: RSS delta with IDLE
#      connections open (each served once) / IDLE.
# Prints both servers' numbers and gale/libevent ratios.
# Tunables: ECHO_CONNS (50) ECHO_SECONDS (3) ECHO_SIZE (64) ECHO_IDLE (10000).
set -eu
: "${top_builddir:=.}"
CONNS=${ECHO_CONNS:-50} SECONDS_=${ECHO_SECONDS:-3} SIZE=${ECHO_SIZE:-64} IDLE=${ECHO_IDLE:-10000}
B="$top_builddir/bench"
for p in echo_gale echo_libevent echo_client; do
  [ -x "$B/$p" ] || { echo "missing $B/$p (run make bench)" >&2; exit 1; }
done
ulimit -n $((IDLE + 1000)) 2>/dev/null || ulimit -n "$(ulimit -Hn)"
PIN0="" PIN1=""
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then PIN0="taskset -c 0" PIN1="taskset -c 1"; fi
TCK=$(getconf CLK_TCK)
TMP=$(mktemp -d)
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT INT TERM

cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

start_server() { # name -> SERVER, port (the server picks a free port)
  rm -f "$TMP/port"
  $PIN0 "$B/echo_$1" 0 >"$TMP/port" &
  SERVER=$!
  i=0
  until [ -s "$TMP/port" ]; do
    i=$((i + 1)); [ $i -gt 200 ] && { echo "echo_$1 did not start" >&2; exit 1; }
    sleep 0.05
  done
  port=$(cat "$TMP/port")
}

stop_server() { kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true; SERVER=""; }

measure() { # name -> sets rps_NAME us_NAME bytes_NAME
  name=$1
  start_server "$name"
  t0=$(cpu_ticks "$SERVER")
  out=$($PIN1 "$B/echo_client" "$port" rtt "$CONNS" "$SECONDS_" "$SIZE")
  t1=$(cpu_ticks "$SERVER")
  n=$(echo "$out" | awk '{ print $2 }'); s=$(echo "$out" | awk '{ print $4 }')
  rps=$(awk -v n="$n" -v s="$s" 'BEGIN { printf "%.0f", n / s }')
  us=$(awk -v d=$((t1 - t0)) -v t="$TCK" -v n="$n" 'BEGIN { printf "%.2f", d * 1e6 / t / n }')

  r0=$(rss_kb "$SERVER")
  mkfifo "$TMP/hold"
  $PIN1 "$B/echo_client" "$port" idle "$IDLE" <"$TMP/hold" >"$TMP/ready" &
  client=$!
  exec 3>"$TMP/hold"
  i=0
  until grep -q ready "$TMP/ready" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 1200 ] && { echo "idle client did not get ready" >&2; exit 1; }
    kill -0 $client 2>/dev/null || { echo "idle client failed" >&2; exit 1; }
    sleep 0.05
  done
  r1=$(rss_kb "$SERVER")
  bytes=$(awk -v a="$r0" -v b="$r1" -v n="$IDLE" 'BEGIN { printf "%.0f", (b - a) * 1024 / n }')
  # The server closes first, so TIME_WAIT stays on its side and the
  # client's ephemeral ports are free for the next run.
  stop_server
  exec 3>&-
  wait $client 2>/dev/null || true
  rm -f "$TMP/hold" "$TMP/ready"
  eval "rps_$name=$rps us_$name=$us bytes_$name=$bytes"
  printf '%-9s %12s rt/s %10s us/rt %10s B/idle-conn\n' "$name" "$rps" "$us" "$bytes"
}

echo "echo: $CONNS connections x ${SIZE}-byte round trips for ${SECONDS_}s; $IDLE idle connections"
echo "server on CPU 0, client on CPU 1 (${PIN0:-no taskset})"
measure gale
measure libevent
awk -v a="$rps_gale" -v b="$rps_libevent" -v c="$us_gale" -v d="$us_libevent" \
    -v e="$bytes_gale" -v f="$bytes_libevent" 'BEGIN {
  printf "ratio gale/libevent: round trips/s %.2f   CPU us/round trip %.2f   bytes/idle conn %.2f\n",
         a / b, (d > 0 ? c / d : 0), (f > 0 ? e / f : 0) }'
