#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/h2: "Hello, world" over HTTP/2 served by gale (examples/hello, h2c
# prior knowledge beside HTTP/1.1 on its port; over TLS by ALPN) and by
# nginx (one process, `listen ... http2`, `return 200`), in one run: h2load
# -c BENCH_CONNS -m BENCH_STREAMS (100 connections, 10 streams each) for
# BENCH_DURATION seconds.  Each server is pinned to CPU 0, h2load to CPU 1.
# Reported per server and mode (h2c, h2 over TLS):
#   req/s        h2load's requests per second
#   us/req       server CPU (utime+stime from /proc/PID/stat) per request
# and the ratios gale/nginx.  Absolute numbers drift on a shared machine;
# the ratios within one run are what to compare.
# Then the client: `gale bench --http2 -c C --streams M` beside `h2load -c C
# -m M` against the same nginx (pinned to CPU 0, the client to CPU 1), h2c
# and h2 over TLS, BENCH_ROUNDS rounds alternating the two, the median
# req/s of each and the ratio gale/h2load (target >= 1.0).
# Environment: BENCH_DURATION (s, default 5), BENCH_CONNS (100),
# BENCH_STREAMS (10), BENCH_SERVERS (default "gale nginx"),
# BENCH_CLIENT_CONNS (10), BENCH_CLIENT_STREAMS (10), BENCH_ROUNDS (3).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
DUR=${BENCH_DURATION:-5}
CONNS=${BENCH_CONNS:-100}
STREAMS=${BENCH_STREAMS:-10}
PY=/usr/bin/python3
TICKS=$(getconf CLK_TCK)
TMP=$(mktemp -d /tmp/gale-bench-h2.XXXXXX)
PIDS=""
cleanup() {
  for p in $PIDS; do kill "$p" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for tool in h2load taskset openssl; do
  command -v $tool >/dev/null 2>&1 || { echo "bench/h2: $tool not installed, skipped"; exit 0; }
done
. "$top_srcdir/bench/lib.sh"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc -keyout "$TMP/key.pem" \
  -out "$TMP/cert.pem" -subj /CN=localhost -days 2 >/dev/null 2>&1 || exit 1

nginx_h2_conf() { # PORT TLSPORT
  cat >"$TMP/nginx.conf" <<NGINX_EOF
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 4096;
pid $TMP/nginx.pid;
error_log $TMP/nginx.err warn;
events { worker_connections 2048; }
http {
  access_log off;
  default_type text/plain;
  client_body_temp_path $TMP;
  proxy_temp_path $TMP;
  fastcgi_temp_path $TMP;
  uwsgi_temp_path $TMP;
  scgi_temp_path $TMP;
  keepalive_requests 1000000;
  http2_max_requests 1000000;
  server {
    listen 127.0.0.1:$1 http2;
    listen 127.0.0.1:$2 ssl http2;
    ssl_certificate $TMP/cert.pem;
    ssl_certificate_key $TMP/key.pem;
    location / { return 200 "Hello, world"; }
  }
}
NGINX_EOF
}

# run_h2load PID URL -> "reqs_per_s us_per_req"
run_h2load() {
  before=$(cpu_ticks "$1")
  taskset -c 1 h2load -c "$CONNS" -m "$STREAMS" -D "$DUR" "$2" >"$TMP/h2load.out" 2>&1
  after=$(cpu_ticks "$1")
  reqs=$(awk '/^requests:/ { print $8 }' "$TMP/h2load.out")
  rps=$(awk '/^finished in/ { gsub(",", ""); print $4 }' "$TMP/h2load.out")
  awk -v r="${reqs:-0}" -v rps="${rps:-0}" -v t=$((after - before)) -v hz="$TICKS" \
    'BEGIN { printf "%.0f %.2f\n", rps, (r > 0 ? t / hz * 1e6 / r : 0) }'
}

printf "%-8s %-5s %10s %9s\n" server mode "req/s" "us/req"
for name in ${BENCH_SERVERS:-gale nginx}; do
  port=$(free_port)
  tport=$(free_port)
  case $name in
  gale)
    taskset -c 0 "$top_builddir/examples/hello" "$port" >"$TMP/gale.log" 2>&1 &
    gpid=$!
    taskset -c 0 "$top_builddir/examples/hello" "$tport" "$TMP/cert.pem" "$TMP/key.pem" \
      >"$TMP/gale-tls.log" 2>&1 &
    tpid=$!
    PIDS="$PIDS $gpid $tpid"
    ;;
  nginx)
    NGINX=$(command -v nginx || echo /usr/sbin/nginx)
    [ -x "$NGINX" ] || { echo "nginx    (not available)"; continue; }
    nginx_h2_conf "$port" "$tport"
    taskset -c 0 "$NGINX" -c "$TMP/nginx.conf" -p "$TMP" >"$TMP/nginx.log" 2>&1 &
    gpid=$!
    tpid=$gpid
    PIDS="$PIDS $gpid"
    ;;
  esac
  wait_port "$port" && wait_port "$tport" || { echo "$name (did not start)"; continue; }
  set -- $(run_h2load "$gpid" "http://127.0.0.1:$port/")
  printf "%-8s %-5s %10s %9s\n" "$name" h2c "$1" "$2"
  echo "$name h2c $1 $2" >>"$TMP/results"
  set -- $(run_h2load "$tpid" "https://127.0.0.1:$tport/")
  printf "%-8s %-5s %10s %9s\n" "$name" h2 "$1" "$2"
  echo "$name h2 $1 $2" >>"$TMP/results"
done

echo "ratios gale/nginx (CPU/request: lower is better; req/s: higher is better)"
awk '{ rps[$1 " " $2] = $3; us[$1 " " $2] = $4 }
  END {
    split("h2c h2", modes, " ")
    for (i = 1; i <= 2; i++) {
      m = modes[i]
      if (!(("nginx " m) in us) || us["nginx " m] == 0 || !(("gale " m) in us)) {
        print "  " m ": (not measured)"; continue
      }
      printf "  %-4s req/s x%.2f  CPU/req x%.2f\n", m, rps["gale " m] / rps["nginx " m],
        us["gale " m] / us["nginx " m]
    }
  }' "$TMP/results" 2>/dev/null

# ---- the client: gale bench --http2 beside h2load, against nginx ----------
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "client: nginx not available, skipped"; exit 0; }
CC=${BENCH_CLIENT_CONNS:-10}
CM=${BENCH_CLIENT_STREAMS:-10}
ROUNDS=${BENCH_ROUNDS:-3}
port=$(free_port)
tport=$(free_port)
nginx_h2_conf "$port" "$tport"
taskset -c 0 "$NGINX" -c "$TMP/nginx.conf" -p "$TMP" >"$TMP/nginx-client.log" 2>&1 &
PIDS="$PIDS $!"
wait_port "$port" && wait_port "$tport" || { echo "client: nginx did not start"; exit 0; }

# Each prints "req/s client-CPU-us/request"; the CPU (user + system of the
# client process, from /usr/bin/time when installed, else 0) is the steadier
# figure on a shared machine, req/s the one asked for.
TIMEF=""
[ -x /usr/bin/time ] && TIMEF="/usr/bin/time -f %U+%S -o $TMP/cpu"
per_req() { # REQUESTS -> us/request from $TMP/cpu
  awk -v n="${1:-0}" -F+ '{ if (n > 0) printf "%.2f", ($1 + $2) * 1e6 / n; else printf "0" }' \
    "$TMP/cpu" 2>/dev/null || printf 0
}
client_h2load() { # URL
  : >"$TMP/cpu"
  taskset -c 1 $TIMEF h2load -c "$CC" -m "$CM" -D "$DUR" "$1" >"$TMP/h2l.out" 2>/dev/null
  rps=$(awk '/^finished in/ { gsub(",", ""); print $4 }' "$TMP/h2l.out")
  n=$(awk '/^requests:/ { print $8 }' "$TMP/h2l.out")
  echo "${rps:-0} $(per_req "$n")"
}
# The binary itself, not libtool's wrapper script (its shell would count
# in the client's CPU).
GALE_BIN=$top_builddir/tools/gale
if [ -x "$top_builddir/tools/.libs/gale" ]; then
  GALE_BIN=$top_builddir/tools/.libs/gale
  LD_LIBRARY_PATH=$(cd "$top_builddir/.libs" && pwd)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export LD_LIBRARY_PATH
fi
client_gale() { # URL
  : >"$TMP/cpu"
  taskset -c 1 $TIMEF "$GALE_BIN" bench -q --http2 --insecure -c "$CC" \
    --streams "$CM" -d "$DUR" "$1" >"$TMP/gale.out" 2>/dev/null
  set -- $(cat "$TMP/gale.out")
  echo "${2:-0} $(per_req "${4:-0}")"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : 0) }'; }

echo "client: gale bench --http2 -c $CC --streams $CM beside h2load -c $CC -m $CM, nginx, $ROUNDS rounds of ${DUR}s"
printf "%-8s %-5s %10s %9s\n" client mode "req/s" "us/req"
for mode in h2c h2; do
  if [ $mode = h2c ]; then url=http://127.0.0.1:$port/; else url=https://127.0.0.1:$tport/; fi
  : >"$TMP/c.gale"
  : >"$TMP/c.h2load"
  r=0
  while [ $r -lt "$ROUNDS" ]; do
    client_h2load "$url" >>"$TMP/c.h2load"
    client_gale "$url" >>"$TMP/c.gale"
    r=$((r + 1))
  done
  g=$(cut -d' ' -f1 "$TMP/c.gale" | median)
  h=$(cut -d' ' -f1 "$TMP/c.h2load" | median)
  gu=$(cut -d' ' -f2 "$TMP/c.gale" | median)
  hu=$(cut -d' ' -f2 "$TMP/c.h2load" | median)
  printf "%-8s %-5s %10s %9s\n" "gale" $mode "$g" "$gu"
  printf "%-8s %-5s %10s %9s\n" "h2load" $mode "$h" "$hu"
  awk -v g="${g:-0}" -v h="${h:-0}" -v gu="${gu:-0}" -v hu="${hu:-0}" -v m=$mode \
    'BEGIN { if (h > 0) printf "  %-4s client req/s gale/h2load x%.2f", m, g / h
             if (hu > 0) printf "  client CPU/req x%.2f", gu / hu
             print "" }'
done
