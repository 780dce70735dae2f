#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/http: "Hello, world" over HTTP/1.1 served by gale (examples/hello),
# nginx (one process, `return 200`), libevent's evhttp (bench/http_evhttp)
# and Python's Tornado, in one run.  Each server is pinned to CPU 0 and wrk
# to CPU 1.  Reported per server:
#   req/s        wrk's requests per second (keep-alive, BENCH_CONNS connections)
#   us/req       server CPU (utime+stime from /proc/PID/stat) per request
#   pipelined    the same with 16 requests per write (wrk Lua script)
#   B/idle conn  RSS growth per idle keep-alive connection, BENCH_IDLE open
# and the ratios to nginx.  Absolute numbers drift on a shared machine;
# the ratios within one run are what to compare.
# Environment: BENCH_DURATION (s, default 5), BENCH_ROUNDS (default 3),
# BENCH_CONNS (default 50),
# BENCH_IDLE (default 10000), BENCH_SERVERS (default "gale nginx evhttp
# tornado": a subset, say "gale", for a quick look at one server).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
DUR=${BENCH_DURATION:-5}
CONNS=${BENCH_CONNS:-50}
ROUNDS=${BENCH_ROUNDS:-3}
IDLE=${BENCH_IDLE:-10000}
PY=/usr/bin/python3
TICKS=$(getconf CLK_TCK)
TMP=$(mktemp -d /tmp/gale-bench-http.XXXXXX)
PIDS=""
cleanup() {
  for p in $PIDS; do kill "$p" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null

for tool in wrk taskset; do
  command -v $tool >/dev/null 2>&1 || { echo "bench/http: $tool not installed, skipped"; exit 0; }
done

. "$top_srcdir/bench/lib.sh"

cpu_ticks() { # utime + stime of a process
  awk '{ print $14 + $15 }' "/proc/$1/stat"
}

rss_kb() {
  awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# run_wrk PID PORT [script] -> prints "reqs_per_s us_per_req"
run_wrk() {
  pid=$1 port=$2 script=${3:-}
  before=$(cpu_ticks "$pid")
  if [ -n "$script" ]; then
    taskset -c 1 wrk -t1 -c"$CONNS" -d"${DUR}s" -s "$script" "http://127.0.0.1:$port/" >"$TMP/wrk.out" 2>&1
  else
    taskset -c 1 wrk -t1 -c"$CONNS" -d"${DUR}s" "http://127.0.0.1:$port/" >"$TMP/wrk.out" 2>&1
  fi
  after=$(cpu_ticks "$pid")
  reqs=$(awk '/requests in/ { print $1 }' "$TMP/wrk.out")
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$TMP/wrk.out")
  errs=$(grep -E "Socket errors|Non-2xx" "$TMP/wrk.out" | tr '\n' ' ')
  [ -n "$errs" ] && echo "  ($errs)" >&2
  awk -v r="${reqs:-0}" -v rps="${rps:-0}" -v t=$((after - before)) -v hz="$TICKS" \
    'BEGIN { printf "%.0f %.2f\n", rps, (r > 0 ? t / hz * 1e6 / r : 0) }'
}

# idle_mem PID PORT -> bytes per idle connection
idle_mem() {
  pid=$1 port=$2
  rm -f "$TMP/ready"
  before=$(rss_kb "$pid")
  taskset -c 1 $PY "$top_srcdir/bench/http_idle.py" "$port" "$IDLE" "$TMP/ready" >"$TMP/idle.out" 2>&1 &
  cpid=$!
  i=0
  while [ ! -s "$TMP/ready" ] && [ $i -lt 3000 ] && kill -0 $cpid 2>/dev/null; do
    sleep 0.1
    i=$((i + 1))
  done
  sleep 0.5
  after=$(rss_kb "$pid")
  kill $cpid 2>/dev/null
  wait $cpid 2>/dev/null
  if [ -s "$TMP/ready" ]; then
    awk -v a="$after" -v b="$before" -v n="$IDLE" 'BEGIN { printf "%.0f\n", (a - b) * 1024 / n }'
  else
    echo "n/a"
    cat "$TMP/idle.out" >&2
  fi
}

start_server() { # name port -> pid (or empty)
  name=$1 port=$2
  case $name in
  gale) taskset -c 0 "$top_builddir/examples/hello" "$port" >"$TMP/$name.log" 2>&1 & ;;
  nginx)
    NGINX=$(command -v nginx || echo /usr/sbin/nginx)
    [ -x "$NGINX" ] || return 1
    nginx_hello_conf "$port" 16384
    taskset -c 0 "$NGINX" -c "$TMP/nginx.conf" -p "$TMP" >"$TMP/$name.log" 2>&1 &
    ;;
  evhttp)
    [ -x "$top_builddir/bench/http_evhttp" ] || return 1
    taskset -c 0 "$top_builddir/bench/http_evhttp" "$port" >"$TMP/$name.log" 2>&1 &
    ;;
  tornado)
    $PY -c 'import tornado' 2>/dev/null || return 1
    taskset -c 0 $PY "$top_srcdir/bench/http_tornado.py" "$port" >"$TMP/$name.log" 2>&1 &
    ;;
  esac
  echo $!
}

# All servers run at once (idle ones cost no CPU), and each round measures
# every server in turn, so a burst of noise on a shared machine hits one
# round of one server rather than one server's only sample: the medians of
# BENCH_ROUNDS rounds are reported.
RUNNING=""
for name in ${BENCH_SERVERS:-gale nginx evhttp tornado}; do
  port=$(free_port)
  pid=$(start_server $name "$port") || pid=""
  if [ -z "$pid" ] || ! wait_port "$port"; then
    printf "%-8s %s\n" $name "(not available)"
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    continue
  fi
  PIDS="$PIDS $pid"
  RUNNING="$RUNNING $name:$pid:$port"
done

round=1
while [ $round -le "$ROUNDS" ]; do
  for entry in $RUNNING; do
    name=${entry%%:*} rest=${entry#*:}
    pid=${rest%%:*} port=${rest#*:}
    set -- $(run_wrk "$pid" "$port")
    echo "$name $1 $2" >>"$TMP/keepalive"
    set -- $(run_wrk "$pid" "$port" "$top_srcdir/bench/http_pipeline.lua")
    echo "$name $1 $2" >>"$TMP/pipelined"
  done
  round=$((round + 1))
done

# median NAME FILE COLUMN
median() {
  awk -v n="$1" -v c="$3" '$1 == n { print $c }' "$2" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

printf "%-8s %10s %8s %12s %10s %12s   (medians of %d rounds)\n" server req/s us/req pipe-req/s pipe-us/req B/idle-conn "$ROUNDS"
for entry in $RUNNING; do
  name=${entry%%:*} rest=${entry#*:}
  pid=${rest%%:*} port=${rest#*:}
  mem=$(idle_mem "$pid" "$port")
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  rps=$(median $name "$TMP/keepalive" 2) us=$(median $name "$TMP/keepalive" 3)
  prps=$(median $name "$TMP/pipelined" 2) pus=$(median $name "$TMP/pipelined" 3)
  printf "%-8s %10s %8s %12s %10s %12s\n" $name "$rps" "$us" "$prps" "$pus" "$mem"
  echo "$name $rps $us $prps $pus $mem" >>"$TMP/results"
done
if [ "$ROUNDS" -gt 1 ]; then
  echo
  echo "us/req per round (keep-alive):"
  for entry in $RUNNING; do
    name=${entry%%:*}
    printf "  %-8s" $name
    awk -v n="$name" '$1 == n { printf " %s", $3 }' "$TMP/keepalive"
    echo
  done
fi

echo
echo "ratios to nginx (CPU/request: lower is better; req/s: higher is better)"
awk '
  { rps[$1] = $2; us[$1] = $3; prps[$1] = $4; pus[$1] = $5; mem[$1] = $6; order[n++] = $1 }
  END {
    if (!("nginx" in us) || us["nginx"] == 0) { print "  (nginx not measured)"; exit }
    for (i = 0; i < n; i++) {
      s = order[i]
      printf "  %-8s req/s x%.2f  us/req x%.2f  pipelined req/s x%.2f  pipelined us/req x%.2f", s,
        rps[s] / rps["nginx"], us[s] / us["nginx"], prps[s] / prps["nginx"],
        (pus["nginx"] > 0 ? pus[s] / pus["nginx"] : 0)
      if (mem[s] != "n/a" && mem["nginx"] != "n/a" && mem["nginx"] > 0) printf "  idle mem x%.2f", mem[s] / mem["nginx"]
      printf "\n"
    }
  }' "$TMP/results"
