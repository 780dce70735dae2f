#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/static: `gale serve` beside nginx serving the same folder over plain
# HTTP (one process each, pinned to CPU 0; clients on CPU 1):
#   small r/s, us/req   wrk keep-alive (-c BENCH_CONNS) on a 12-byte file,
#                       server CPU (utime+stime) per request
#   1 GiB MB/s          one download of a 1 GiB file with curl to /dev/null
#                       (sendfile on both sides; after one untimed download,
#                       so both read from a warm page cache)
# Medians of BENCH_ROUNDS rounds (default 3) and the ratios gale/nginx.
# Environment: BENCH_DURATION (s, default 5), BENCH_ROUNDS, BENCH_CONNS (50).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
DUR=${BENCH_DURATION:-5}
CONNS=${BENCH_CONNS:-50}
ROUNDS=${BENCH_ROUNDS:-3}
PY=/usr/bin/python3
TICKS=$(getconf CLK_TCK)
GALE=$top_builddir/tools/gale
TMP=$(mktemp -d /tmp/gale-bench-static.XXXXXX)
PIDS=""
cleanup() {
  for p in $PIDS; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
for tool in wrk taskset curl; do
  command -v $tool >/dev/null 2>&1 || { echo "bench/static: $tool not installed, skipped"; exit 0; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "bench/static: nginx not installed, skipped"; exit 0; }
. "$top_srcdir/bench/lib.sh"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR ? a[int((NR + 1) / 2)] : 0) }'; }

mkdir -p "$TMP/www"
printf 'Hello, world' >"$TMP/www/hello"
truncate -s 1G "$TMP/www/big"

gport=$(free_port)
taskset -c 0 "$GALE" serve -q -p "$gport" -b 127.0.0.1 "$TMP/www" >"$TMP/gale.log" 2>&1 &
gpid=$!
PIDS="$PIDS $gpid"
nport=$(free_port)
cat >"$TMP/nginx.conf" <<NGINX_EOF
daemon off;
master_process off;
worker_processes 1;
pid $TMP/nginx.pid;
error_log $TMP/nginx.err warn;
events { worker_connections 4096; }
http {
  access_log off;
  default_type application/octet-stream;
  sendfile on;
  keepalive_requests 1000000;
  client_body_temp_path $TMP; proxy_temp_path $TMP; fastcgi_temp_path $TMP;
  uwsgi_temp_path $TMP; scgi_temp_path $TMP;
  server {
    listen 127.0.0.1:$nport;
    root $TMP/www;
  }
}
NGINX_EOF
taskset -c 0 "$NGINX" -c "$TMP/nginx.conf" -p "$TMP" >"$TMP/nginx.log" 2>&1 &
npid=$!
PIDS="$PIDS $npid"
wait_port "$gport" || { echo "bench/static: gale serve did not start"; cat "$TMP/gale.log"; exit 1; }
wait_port "$nport" || { echo "bench/static: nginx did not start"; cat "$TMP/nginx.err"; exit 1; }

# small PID PORT -> "req/s us/req"
small() {
  before=$(cpu_ticks "$1")
  taskset -c 1 wrk -t1 -c"$CONNS" -d"${DUR}s" "http://127.0.0.1:$2/hello" >"$TMP/wrk.out" 2>&1
  after=$(cpu_ticks "$1")
  reqs=$(awk '/requests in/ { print $1 }' "$TMP/wrk.out")
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$TMP/wrk.out")
  awk -v r="${reqs:-0}" -v rps="${rps:-0}" -v t=$((after - before)) -v hz="$TICKS" \
    'BEGIN { printf "%.0f %.2f\n", rps, (r > 0 ? t / hz * 1e6 / r : 0) }'
}

# big PORT -> MB/s
big() {
  taskset -c 1 curl -s -o /dev/null "http://127.0.0.1:$1/big"
  taskset -c 1 curl -s -o /dev/null -w '%{speed_download}' "http://127.0.0.1:$1/big" |
    awk '{ printf "%.0f\n", $1 / 1048576 }'
}

: >"$TMP/results"
r=1
while [ $r -le "$ROUNDS" ]; do
  for s in gale nginx; do
    if [ $s = gale ]; then pid=$gpid port=$gport; else pid=$npid port=$nport; fi
    set -- $(small "$pid" "$port")
    echo "$s small $1 $2" >>"$TMP/results"
    echo "$s big $(big "$port") 0" >>"$TMP/results"
  done
  r=$((r + 1))
done

printf '%-6s %10s %8s %10s\n' server "small r/s" "us/req" "1GiB MB/s"
for s in gale nginx; do
  a=$(awk -v s=$s '$1 == s && $2 == "small" { print $3 }' "$TMP/results" | median)
  b=$(awk -v s=$s '$1 == s && $2 == "small" { print $4 }' "$TMP/results" | median)
  c=$(awk -v s=$s '$1 == s && $2 == "big" { print $3 }' "$TMP/results" | median)
  eval "${s}_a=$a ${s}_b=$b ${s}_c=$c"
  printf '%-6s %10s %8s %10s\n' "$s" "$a" "$b" "$c"
done
echo "ratios gale/nginx (medians of $ROUNDS rounds; CPU: lower is better)"
awk -v a="$gale_a" -v b="$nginx_a" -v c="$gale_b" -v d="$nginx_b" -v e="$gale_c" -v f="$nginx_c" \
  'function r(x, y) { return y > 0 ? sprintf("x%.2f", x / y) : "n/a" }
   BEGIN { printf "  small r/s %s CPU/req %s   1 GiB MB/s %s\n", r(a, b), r(c, d), r(e, f) }'
