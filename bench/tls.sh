#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/tls: serving over TLS and big files, gale serve beside nginx (one
# process each, pinned to CPU 0; clients on CPU 1), both serving the same
# folder with the same certificate (ECDSA P-256) and OpenSSL's default
# ciphers (TLS 1.3):
#   https req/s, us/req   wrk keep-alive over TLS on a 12-byte file, server
#                         CPU (utime+stime) per request
#   full hs/s, us/hs      openssl s_time -new -www /hello: a full handshake and
#                         one request per connection
#   resumed hs/s, us/hs   the same with -reuse: session resumption (tickets)
#   1 GiB MB/s            one plain-HTTP download of a 1 GiB file (curl to
#                         /dev/null; sendfile on both sides), median of rounds
# and the ratios to nginx.  Environment: BENCH_DURATION (s, default 5),
# BENCH_ROUNDS (default 3), BENCH_CONNS (default 50).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
DUR=${BENCH_DURATION:-5}
CONNS=${BENCH_CONNS:-50}
ROUNDS=${BENCH_ROUNDS:-3}
PY=/usr/bin/python3
TICKS=$(getconf CLK_TCK)
GALE=$top_builddir/tools/gale
TMP=$(mktemp -d /tmp/gale-bench-tls.XXXXXX)
PIDS=""
cleanup() {
  for p in $PIDS; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
for tool in wrk taskset openssl curl; do
  command -v $tool >/dev/null 2>&1 || { echo "bench/tls: $tool not installed, skipped"; exit 0; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "bench/tls: nginx not installed, skipped"; exit 0; }
. "$top_srcdir/bench/lib.sh"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1 \
  -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1
mkdir -p "$TMP/www"
printf 'Hello, world' >"$TMP/www/hello"
truncate -s 1G "$TMP/www/big"

start_gale() {
  tport=$(free_port)
  taskset -c 0 "$GALE" serve -q -p "$tport" -b 127.0.0.1 --cert "$TMP/cert.pem" --key "$TMP/key.pem" "$TMP/www" \
    >"$TMP/gale_tls.log" 2>&1 &
  gale_tls=$!
  pport=$(free_port)
  taskset -c 0 "$GALE" serve -q -p "$pport" -b 127.0.0.1 "$TMP/www" >"$TMP/gale.log" 2>&1 &
  gale_plain=$!
  PIDS="$PIDS $gale_tls $gale_plain"
  gale_tport=$tport gale_pport=$pport
  wait_port "$tport" && wait_port "$pport"
}

start_nginx() {
  nginx_tport=$(free_port)
  nginx_pport=$(free_port)
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
  ssl_session_cache shared:SSL:10m;
  ssl_session_tickets on;
  server {
    listen 127.0.0.1:$nginx_tport ssl;
    ssl_certificate $TMP/cert.pem;
    ssl_certificate_key $TMP/key.pem;
    root $TMP/www;
  }
  server {
    listen 127.0.0.1:$nginx_pport;
    root $TMP/www;
  }
}
NGINX_EOF
  taskset -c 0 "$NGINX" -c "$TMP/nginx.conf" -p "$TMP" >"$TMP/nginx.log" 2>&1 &
  nginx_pid=$!
  PIDS="$PIDS $nginx_pid"
  wait_port "$nginx_tport" && wait_port "$nginx_pport"
}

# wrk_tls PID PORT -> "req/s us/req"
wrk_tls() {
  before=$(cpu_ticks "$1")
  taskset -c 1 wrk -t1 -c"$CONNS" -d"${DUR}s" "https://127.0.0.1:$2/hello" >"$TMP/wrk.out" 2>&1
  after=$(cpu_ticks "$1")
  reqs=$(awk '/requests in/ { print $1 }' "$TMP/wrk.out")
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$TMP/wrk.out")
  awk -v r="${reqs:-0}" -v rps="${rps:-0}" -v t=$((after - before)) -v hz="$TICKS" \
    'BEGIN { printf "%.0f %.2f\n", rps, (r > 0 ? t / hz * 1e6 / r : 0) }'
}

# s_time PID PORT MODE(-new|-reuse) -> "conn/s us/conn"
s_time() {
  before=$(cpu_ticks "$1")
  taskset -c 1 openssl s_time -connect "127.0.0.1:$2" "$3" -www /hello -time "$DUR" >"$TMP/st.out" 2>&1
  after=$(cpu_ticks "$1")
  conns=$(awk '/connections in [0-9.]+ real seconds/ { print $1 }' "$TMP/st.out" | tail -1)
  secs=$(awk '/connections in [0-9.]+ real seconds/ { print $4 }' "$TMP/st.out" | tail -1)
  awk -v c="${conns:-0}" -v s="${secs:-1}" -v t=$((after - before)) -v hz="$TICKS" \
    'BEGIN { printf "%.0f %.1f\n", (s > 0 ? c / s : 0), (c > 0 ? t / hz * 1e6 / c : 0) }'
}

# big PORT -> MB/s of one 1 GiB download (after one untimed download, so
# both servers read from a warm page cache)
big() {
  taskset -c 1 curl -s -o /dev/null "http://127.0.0.1:$1/big"
  taskset -c 1 curl -s -o /dev/null -w '%{speed_download}' "http://127.0.0.1:$1/big" |
    awk '{ printf "%.0f\n", $1 / 1048576 }'
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR ? a[int((NR + 1) / 2)] : 0) }'; }

start_gale || { echo "bench/tls: gale serve did not start"; cat "$TMP/gale_tls.log"; exit 1; }
start_nginx || { echo "bench/tls: nginx did not start"; cat "$TMP/nginx.err"; exit 1; }

: >"$TMP/results"
r=1
while [ $r -le "$ROUNDS" ]; do
  for s in gale nginx; do
    if [ $s = gale ]; then tp=$gale_tls tport=$gale_tport pp=$gale_plain pport=$gale_pport
    else tp=$nginx_pid tport=$nginx_tport pp=$nginx_pid pport=$nginx_pport; fi
    set -- $(wrk_tls "$tp" "$tport")
    echo "$s https $1 $2" >>"$TMP/results"
    set -- $(s_time "$tp" "$tport" -new)
    echo "$s full $1 $2" >>"$TMP/results"
    set -- $(s_time "$tp" "$tport" -reuse)
    echo "$s resumed $1 $2" >>"$TMP/results"
    echo "$s big $(big "$pport") 0" >>"$TMP/results"
  done
  r=$((r + 1))
done

printf '%-6s %10s %8s %10s %8s %10s %8s %10s\n' server "https r/s" "us/req" "full hs/s" "us/hs" "resum hs/s" "us/hs" "1GiB MB/s"
for s in gale nginx; do
  line="$s"
  for k in https full resumed big; do
    a=$(awk -v s=$s -v k=$k '$1 == s && $2 == k { print $3 }' "$TMP/results" | median)
    b=$(awk -v s=$s -v k=$k '$1 == s && $2 == k { print $4 }' "$TMP/results" | median)
    eval "${s}_${k}_a=$a ${s}_${k}_b=$b"
    if [ $k = big ]; then line="$line $(printf '%10s' "$a")"; else line="$line $(printf '%10s %8s' "$a" "$b")"; fi
  done
  echo "$line"
done
echo "ratios gale/nginx (medians of $ROUNDS rounds; CPU: lower is better)"
awk -v a="$gale_https_b" -v b="$nginx_https_b" -v c="$gale_full_b" -v d="$nginx_full_b" \
    -v e="$gale_resumed_b" -v f="$nginx_resumed_b" -v g="$gale_big_a" -v h="$nginx_big_a" \
    -v i="$gale_full_a" -v j="$nginx_full_a" -v k="$gale_resumed_a" -v l="$nginx_resumed_a" \
  'function r(x, y) { return y > 0 ? sprintf("x%.2f", x / y) : "n/a" }
   BEGIN { printf "  https CPU/req %s  full hs/s %s CPU/hs %s  resumed hs/s %s CPU/hs %s  1 GiB MB/s %s\n",
           r(a, b), r(i, j), r(c, d), r(k, l), r(e, f), r(g, h) }'
