#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/restart.sh: the rolling restart behind HAProxy (issue 15).  Two
# `gale serve --proxy-protocol` processes behind HAProxy 2.6 (send-proxy-v2,
# `retry-on conn-failure empty-response`, as an operator would configure
# it); wrk loads HAProxy while each gale process in turn gets SIGHUP (a
# zero-downtime restart: a new process takes the sockets, the old drains).
# Prints the requests, non-2xx answers and socket errors wrk counted, the
# restarts seen, and whether the access logs show the client's address
# (127.0.0.1) rather than HAProxy's (it connects from 127.0.0.9).  Exits 1
# on any error.
#   top_builddir=BUILD DURATION=20 CONNECTIONS=20 sh bench/restart.sh
set -u
top_builddir=${top_builddir:-.}
B=$(cd "$top_builddir" && pwd)
GALE=$B/tools/gale
DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-20}
PY=${PY:-python3}
for p in haproxy wrk $PY; do
  command -v "$p" >/dev/null 2>&1 || { echo "restart: $p missing: skip"; exit 77; }
done
TMP=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
pids=""
cleanup() {
  for p in $pids; do kill -TERM "$p" 2>/dev/null; done
  for f in "$TMP"/g*.log; do
    for p in $(sed -n 's/.*restarted: pid \([0-9]*\) accepts.*/\1/p' "$f" 2>/dev/null); do
      kill -TERM "$p" 2>/dev/null
    done
  done
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

mkdir -p "$TMP/root"
printf 'Hello, world' >"$TMP/root/hello.txt"

# start_gale N: gale serve --proxy-protocol on a free port; log in gN.log.
start_gale() {
  port=$(free_port)
  "$GALE" serve --proxy-protocol -p "$port" -b 127.0.0.1 "$TMP/root" 2>"$TMP/g$1.log" &
  pids="$pids $!"
  eval "pid$1=$! port$1=$port"
  wait_port "$port" || { echo "gale $1 did not start"; cat "$TMP/g$1.log"; exit 1; }
}
start_gale 1
start_gale 2
hport=$(free_port)
cat >"$TMP/haproxy.cfg" <<CFG
global
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch
    retry-on conn-failure empty-response
frontend fe
    bind 127.0.0.1:$hport
    default_backend gale
backend gale
    balance roundrobin
    server g1 127.0.0.1:$port1 send-proxy-v2 source 127.0.0.9 check inter 500ms
    server g2 127.0.0.1:$port2 send-proxy-v2 source 127.0.0.9 check inter 500ms
CFG
haproxy -f "$TMP/haproxy.cfg" -db >"$TMP/haproxy.out" 2>&1 &
pids="$pids $!"
wait_port "$hport" || { echo "haproxy did not start"; cat "$TMP/haproxy.out"; exit 1; }

wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" "http://127.0.0.1:$hport/hello.txt" >"$TMP/wrk.out" 2>&1 &
wrkpid=$!
# wait_restart N: waits (up to 30 s) for gale N's log to report a new pid.
wait_restart() {
  $PY - "$TMP/g$1.log" <<'PY'
import re, sys, time
end = time.monotonic() + 30
while time.monotonic() < end:
    if re.search(r"restarted: pid \d+ accepts", open(sys.argv[1]).read()):
        sys.exit(0)
    time.sleep(0.05)
sys.exit(1)
PY
}
restarts=0
third=$((DURATION / 3))
[ "$third" -ge 1 ] || third=1
sleep "$third" # load before the first restart: a timed phase, not a wait for an event
kill -HUP "$pid1" && wait_restart 1 && restarts=$((restarts + 1))
sleep "$third"
kill -HUP "$pid2" && wait_restart 2 && restarts=$((restarts + 1))
wait "$wrkpid"

cat "$TMP/wrk.out"
reqs=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$TMP/wrk.out")
non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$TMP/wrk.out")
sockerr=$(sed -n 's/.*Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1 \2 \3 \4/p' "$TMP/wrk.out")
set -- ${sockerr:-0 0 0 0}
errors=$(($1 + $2 + $3 + $4))
client_lines=$(cat "$TMP"/g*.log | grep -c 'GET /hello.txt (127.0.0.1)')
proxy_lines=$(cat "$TMP"/g*.log | grep -c 'GET /hello.txt (127.0.0.9)')
echo "restart: ${reqs:-0} requests, ${non2xx:-0} non-2xx, socket errors connect $1 read $2 write $3 timeout $4, $restarts of 2 restarts"
echo "restart: access log lines with the client's address: $client_lines; with HAProxy's: $proxy_lines"
[ -n "$reqs" ] && [ "${non2xx:-0}" -eq 0 ] && [ "$errors" -eq 0 ] && [ "$restarts" -eq 2 ] &&
  [ "$client_lines" -gt 0 ] && [ "$proxy_lines" -eq 0 ]
