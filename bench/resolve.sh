#!/bin/sh
# SPDX-License-Identifier: MIT
# Lookups per second against a local dnsmasq: gale_resolver (c-ares on the
# loop) beside getaddrinfo() in a pool of 8 threads, in one run.  The DNS
# server is pinned to CPU 0 and the client to CPU 1 when taskset exists.
# getaddrinfo is pointed at the same dnsmasq through res_init() and an
# overridden _res name server in each worker (bench/resolve_bench.c), so no
# system file is changed.
#   LOOKUPS (default 20000), THREADS (default 8) and GALE_MAX_CONCURRENT
#   (the resolver's max_concurrent, default 64) may be set in the env.
set -eu
: "${top_builddir:=.}"
LOOKUPS=${LOOKUPS:-20000}
THREADS=${THREADS:-8}
DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
[ -x "$DNSMASQ" ] || { echo "resolve: dnsmasq not installed, skipped"; exit 0; }
driver="$top_builddir/bench/resolve_bench"
[ -x "$driver" ] || { echo "resolve: $driver not built (make bench)"; exit 1; }
PIN_SERVER=""; PIN_CLIENT=""
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
  PIN_SERVER="taskset -c 0"; PIN_CLIENT="taskset -c 1"
fi
# An ephemeral port; dnsmasq fails to start if it was taken, then retry.
for attempt in 1 2 3 4 5; do
  port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000 ))
  $PIN_SERVER "$DNSMASQ" --no-daemon --no-resolv --no-hosts --conf-file=/dev/null \
    --listen-address=127.0.0.1 --bind-interfaces --port="$port" --local=/test/ \
    --address=/bulk.test/10.9.9.9 --cache-size=0 >/dev/null 2>&1 &
  pid=$!
  # Readiness: its UDP socket shows up in /proc/net/udp (a dead pid means
  # the port was taken: try another); the driver's warm-up lookups follow.
  i=0
  while [ $i -lt 50 ] && kill -0 $pid 2>/dev/null && \
        ! grep -q ":$(printf '%04X' "$port") " /proc/net/udp 2>/dev/null; do
    i=$((i + 1)); sleep 0.1
  done
  kill -0 $pid 2>/dev/null && break
done
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT INT TERM
echo "dnsmasq on 127.0.0.1:$port, $LOOKUPS lookups per side"
$PIN_CLIENT "$driver" "$port" "$LOOKUPS" "$THREADS"
