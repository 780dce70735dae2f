#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/tls: HTTPS beside nginx.  examples/hello (with CERT KEY) and one
# nginx process answering `return 200 "Hello, world"`, each pinned to CPU 0
# (clients on CPU 1), with the same certificate (ECDSA P-256) and the same
# pinned cipher: TLS 1.3 TLS_AES_128_GCM_SHA256 for every process here,
# through an OPENSSL_CONF of this run (nginx 1.22 also needs ssl_protocols
# to offer TLS 1.3).  The negotiated protocol and cipher are printed.
#   https r/s, us/req    wrk keep-alive over TLS (-c BENCH_CONNS), server CPU
#                        (utime+stime from /proc/PID/stat) per request
#   full hs/s, us/hs     openssl s_time -new -www /: a full handshake and one
#                        HTTP/1.0 request per connection
#   resum hs/s, us/hs    the same with -reuse: TLS 1.3 session tickets; the
#                        share of connections resumed is printed
# Medians of BENCH_ROUNDS rounds (default 3; gale and nginx alternate) and the
# ratios gale/nginx.  Environment: BENCH_DURATION (s, default 5),
# BENCH_ROUNDS, BENCH_CONNS (default 50).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
DUR=${BENCH_DURATION:-5}
CONNS=${BENCH_CONNS:-50}
ROUNDS=${BENCH_ROUNDS:-3}
PY=/usr/bin/python3
TICKS=$(getconf CLK_TCK)
HELLO=$top_builddir/examples/hello
TMP=$(mktemp -d /tmp/gale-bench-tls.XXXXXX)
PIDS=""
cleanup() {
  for p in $PIDS; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
for tool in wrk taskset openssl; do
  command -v $tool >/dev/null 2>&1 || { echo "bench/tls: $tool not installed, skipped"; exit 0; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "bench/tls: nginx not installed, skipped"; exit 0; }
[ -x "$HELLO" ] || { echo "bench/tls: $HELLO not built"; exit 1; }
. "$top_srcdir/bench/lib.sh"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR ? a[int((NR + 1) / 2)] : 0) }'; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1 \
  -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1
# One cipher for servers and clients alike.
cat >"$TMP/openssl.cnf" <<'CNF_EOF'
openssl_conf = openssl_init
[openssl_init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
Ciphersuites = TLS_AES_128_GCM_SHA256
CNF_EOF
OPENSSL_CONF=$TMP/openssl.cnf
export OPENSSL_CONF

gport=$(free_port)
taskset -c 0 "$HELLO" "$gport" "$TMP/cert.pem" "$TMP/key.pem" >"$TMP/gale.log" 2>&1 &
gpid=$!
PIDS="$PIDS $gpid"
nport=$(free_port)
nginx_hello_conf "$nport" 4096
# The hello server's listen line, made TLS, with the certificate.
sed -i -e "s|listen 127.0.0.1:$nport;|listen 127.0.0.1:$nport ssl;\\
    ssl_certificate $TMP/cert.pem;\\
    ssl_certificate_key $TMP/key.pem;\\
    ssl_protocols TLSv1.2 TLSv1.3;\\
    ssl_session_tickets on;|" "$TMP/nginx.conf"
taskset -c 0 "$NGINX" -c "$TMP/nginx.conf" -p "$TMP" >"$TMP/nginx.log" 2>&1 &
npid=$!
PIDS="$PIDS $npid"
wait_port "$gport" || { echo "bench/tls: examples/hello did not start"; cat "$TMP/gale.log"; exit 1; }
wait_port "$nport" || { echo "bench/tls: nginx did not start"; cat "$TMP/nginx.err"; exit 1; }

for s in gale nginx; do
  if [ $s = gale ]; then port=$gport; else port=$nport; fi
  got=$(openssl s_client -connect "127.0.0.1:$port" </dev/null 2>/dev/null | awk '/^New, / { print $2, $5 }')
  echo "$s negotiates: ${got:-nothing}"
done

# wrk_tls PID PORT -> "req/s us/req"
wrk_tls() {
  before=$(cpu_ticks "$1")
  taskset -c 1 wrk -t1 -c"$CONNS" -d"${DUR}s" "https://127.0.0.1:$2/" >"$TMP/wrk.out" 2>&1
  after=$(cpu_ticks "$1")
  reqs=$(awk '/requests in/ { print $1 }' "$TMP/wrk.out")
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$TMP/wrk.out")
  awk -v r="${reqs:-0}" -v rps="${rps:-0}" -v t=$((after - before)) -v hz="$TICKS" \
    'BEGIN { printf "%.0f %.2f\n", rps, (r > 0 ? t / hz * 1e6 / r : 0) }'
}

# s_time PID PORT MODE(-new|-reuse) -> "conn/s us/conn reused%".  s_time
# prints whole seconds only: the rate uses our own clock.
s_time() {
  before=$(cpu_ticks "$1")
  t0=$(date +%s.%N)
  taskset -c 1 openssl s_time -connect "127.0.0.1:$2" "$3" -www / -time "$DUR" >"$TMP/st.out" 2>&1
  t1=$(date +%s.%N)
  after=$(cpu_ticks "$1")
  conns=$(awk '/connections in [0-9.]+ real seconds/ { print $1 }' "$TMP/st.out" | tail -1)
  # -reuse: one mark per connection, 'r' when resumed, '*' when not.
  reused=$(grep -E '^[r*]+$' "$TMP/st.out" | tr -cd 'r' | wc -c)
  awk -v c="${conns:-0}" -v t0="$t0" -v t1="$t1" -v t=$((after - before)) -v hz="$TICKS" \
      -v r="$reused" \
    'BEGIN { s = t1 - t0; printf "%.0f %.1f %.0f\n", (s > 0 ? c / s : 0), (c > 0 ? t / hz * 1e6 / c : 0),
             (c > 0 ? 100 * r / c : 0) }'
}

: >"$TMP/results"
r=1
while [ $r -le "$ROUNDS" ]; do
  for s in gale nginx; do
    if [ $s = gale ]; then pid=$gpid port=$gport; else pid=$npid port=$nport; fi
    set -- $(wrk_tls "$pid" "$port")
    echo "$s https $1 $2 0" >>"$TMP/results"
    set -- $(s_time "$pid" "$port" -new)
    echo "$s full $1 $2 0" >>"$TMP/results"
    set -- $(s_time "$pid" "$port" -reuse)
    echo "$s resumed $1 $2 $3" >>"$TMP/results"
  done
  r=$((r + 1))
done

printf '%-6s %10s %8s %10s %8s %10s %8s %8s\n' server "https r/s" "us/req" "full hs/s" "us/hs" "resum hs/s" "us/hs" "resumed"
for s in gale nginx; do
  line="$s"
  for k in https full resumed; do
    a=$(awk -v s=$s -v k=$k '$1 == s && $2 == k { print $3 }' "$TMP/results" | median)
    b=$(awk -v s=$s -v k=$k '$1 == s && $2 == k { print $4 }' "$TMP/results" | median)
    eval "${s}_${k}_a=$a ${s}_${k}_b=$b"
    line="$line $(printf '%10s %8s' "$a" "$b")"
  done
  c=$(awk -v s=$s '$1 == s && $2 == "resumed" { print $5 }' "$TMP/results" | median)
  echo "$line $(printf '%7s%%' "$c")"
done
echo "ratios gale/nginx (medians of $ROUNDS rounds; CPU: lower is better)"
awk -v a="$gale_https_b" -v b="$nginx_https_b" -v c="$gale_full_b" -v d="$nginx_full_b" \
    -v e="$gale_resumed_b" -v f="$nginx_resumed_b" -v g="$gale_https_a" -v h="$nginx_https_a" \
    -v i="$gale_full_a" -v j="$nginx_full_a" -v k="$gale_resumed_a" -v l="$nginx_resumed_a" \
  'function r(x, y) { return y > 0 ? sprintf("x%.2f", x / y) : "n/a" }
   BEGIN { printf "  https r/s %s CPU/req %s   full hs/s %s CPU/hs %s   resumed hs/s %s CPU/hs %s\n",
           r(g, h), r(a, b), r(i, j), r(c, d), r(k, l), r(e, f) }'
