#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/websocket.sh — WebSocket servers in one run: gale (bench/ws_gale,
# when built), node's ws (Debian's node-ws, bench/ws_node.js) and Tornado
# (bench/ws_tornado.py).  Each serves /echo and /broadcast; each is pinned
# to CPU 0 and the load (bench/ws_client) to CPU 1.  Reported per server:
#   rt/s        echo round trips per second (WS_CONNS sockets, WS_SIZE-byte
#               text messages, WS_SECONDS)
#   us/msg      server CPU (utime+stime) per echoed message
#   B/idle ws   RSS growth per idle open WebSocket (WS_IDLE of them)
#   fanout ms   one message to /broadcast reaching all WS_FANOUT sockets
#               (median of WS_ROUNDS sends)
# and the ratios to node's ws.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
CONNS=${WS_CONNS:-50} SECS=${WS_SECONDS:-5} SIZE=${WS_SIZE:-64}
IDLE=${WS_IDLE:-10000} FANOUT=${WS_FANOUT:-10000} ROUNDS=${WS_ROUNDS:-9}
PY=/usr/bin/python3
NODE=$(command -v nodejs || command -v node || true)
CLIENT=$top_builddir/bench/ws_client
[ -x "$CLIENT" ] || { echo "missing $CLIENT (run make bench)" >&2; exit 1; }
TCK=$(getconf CLK_TCK)
TMP=$(mktemp -d /tmp/gale-bench-ws.XXXXXX)
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
ulimit -n $((IDLE + FANOUT + 1000)) 2>/dev/null || ulimit -n "$(ulimit -Hn)"
PIN0="" PIN1=""
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then PIN0="taskset -c 0" PIN1="taskset -c 1"; fi

cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

start_server() { # name -> SERVER and port, or returns 1
  : >"$TMP/port"
  case $1 in
  gale)
    [ -x "$top_builddir/bench/ws_gale" ] || return 1
    $PIN0 "$top_builddir/bench/ws_gale" 0 >"$TMP/port" 2>"$TMP/err" & ;;
  node)
    [ -n "$NODE" ] && [ -d /usr/share/nodejs/ws ] || return 1
    NODE_PATH=/usr/share/nodejs $PIN0 "$NODE" "$top_srcdir/bench/ws_node.js" 0 >"$TMP/port" 2>"$TMP/err" & ;;
  tornado)
    $PY -c 'import tornado' 2>/dev/null || return 1
    $PIN0 $PY "$top_srcdir/bench/ws_tornado.py" 0 >"$TMP/port" 2>"$TMP/err" & ;;
  esac
  SERVER=$!
  i=0
  until [ -s "$TMP/port" ]; do
    i=$((i + 1))
    if [ $i -gt 200 ] || ! kill -0 $SERVER 2>/dev/null; then cat "$TMP/err" >&2; return 1; fi
    sleep 0.05
  done
  port=$(head -1 "$TMP/port")
}

printf "%-8s %10s %8s %10s %10s\n" server rt/s us/msg B/idle-ws fanout-ms
for name in ${WS_SERVERS:-gale node tornado}; do
  if ! start_server $name; then
    printf "%-8s %s\n" $name "(not available)"
    SERVER=""
    continue
  fi
  before=$(cpu_ticks $SERVER)
  out=$(timeout $((SECS + 30)) $PIN1 "$CLIENT" "$port" rtt "$CONNS" "$SECS" "$SIZE")
  after=$(cpu_ticks $SERVER)
  rts=$(echo "$out" | awk -v t=$((after - before)) -v hz="$TCK" \
    '{ printf "%.0f %.2f", $2 / $4, ($2 > 0 ? t / hz * 1e6 / $2 : 0) }')
  # Idle sockets: RSS before, then with IDLE open (each served once).
  mkfifo "$TMP/hold"
  rss0=$(rss_kb $SERVER)
  timeout 120 $PIN1 "$CLIENT" "$port" idle "$IDLE" <"$TMP/hold" >"$TMP/idle" &
  cpid=$!
  exec 3>"$TMP/hold"
  i=0
  while [ ! -s "$TMP/idle" ] && kill -0 $cpid 2>/dev/null && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
  sleep 0.5
  rss1=$(rss_kb $SERVER)
  exec 3>&-
  wait $cpid
  rm -f "$TMP/hold"
  mem=n/a
  [ -s "$TMP/idle" ] && mem=$(( (rss1 - rss0) * 1024 / IDLE ))
  fan=$(timeout 120 $PIN1 "$CLIENT" "$port" broadcast "$FANOUT" "$ROUNDS" | awk '{ print $4 }')
  kill $SERVER 2>/dev/null
  wait $SERVER 2>/dev/null
  SERVER=""
  printf "%-8s %10s %8s %10s %10s\n" $name $rts "$mem" "${fan:-n/a}"
  echo "$name $rts $mem ${fan:-0}" >>"$TMP/results"
done

echo
echo "ratios to node's ws (rt/s: higher is better; CPU, memory, fanout: lower is better)"
awk '
  { rt[$1] = $2; us[$1] = $3; mem[$1] = $4; fan[$1] = $5; order[n++] = $1 }
  END {
    if (!("node" in rt) || rt["node"] == 0) { print "  (node not measured)"; exit }
    for (i = 0; i < n; i++) {
      s = order[i]
      printf "  %-8s rt/s x%.2f  us/msg x%.2f", s, rt[s] / rt["node"], us[s] / us["node"]
      if (mem[s] != "n/a" && mem["node"] != "n/a" && mem["node"] > 0) printf "  idle mem x%.2f", mem[s] / mem["node"]
      if (fan["node"] > 0 && fan[s] > 0) printf "  fanout x%.2f", fan[s] / fan["node"]
      printf "\n"
    }
  }' "$TMP/results"
