#!/bin/sh
# SPDX-License-Identifier: MIT
# `gale serve --proxy-protocol` behind HAProxy: one frontend sends PROXY v1
# (mode tcp, send-proxy), another v2 (mode http, send-proxy-v2, with a
# health check that sends v2 LOCAL); curl reaches HAProxy from 127.0.0.2, and
# gale's access log must show 127.0.0.2, not HAProxy's 127.0.0.1.  Also:
# a client connecting straight without a header is closed unanswered; a
# PROXY header followed at once by a TLS ClientHello (--cert) works.  Polls
# with a timeout, never sleeps to wait.  Skips (exit 77) without curl,
# python3 or haproxy (Debian package haproxy).
set -u
top_builddir=${top_builddir:-.}
B=$(cd "$top_builddir" && pwd)
GALE=$B/tools/gale
for p in curl python3 haproxy; do
  command -v $p >/dev/null 2>&1 || { echo "$p missing: skip"; exit 77; }
done
[ -x "$GALE" ] || { echo "no $GALE"; exit 1; }

tmp=$(mktemp -d)
pids=""
cleanup() {
  for p in $pids; do kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

n=0
fails=0
check() {
  name=$1
  shift
  n=$((n + 1))
  if "$@"; then echo "ok $n: $name"; else echo "FAIL $n: $name"; fails=$((fails + 1)); fi
}

root=$tmp/root
mkdir -p "$root"
printf 'behind haproxy\n' >"$root/a.txt"

# start_serve NAME ARGS...: gale serve on an ephemeral port, access log in
# $tmp/NAME.log; sets port_NAME.
start_serve() {
  name=$1
  shift
  mkfifo "$tmp/$name.fifo"
  "$GALE" serve -p 0 -b 127.0.0.1 "$@" "$root" 2>"$tmp/$name.fifo" &
  pids="$pids $!"
  exec 3<"$tmp/$name.fifo"
  IFS= read -r line <&3
  p=$(printf '%s\n' "$line" | sed -n 's|^Serving .* on https*://127.0.0.1:\([0-9]*\)/.*|\1|p')
  cat <&3 >"$tmp/$name.log" &
  exec 3<&-
  [ -n "$p" ] || { echo "gale serve did not start: $line"; exit 1; }
  eval "port_$name=$p"
}

# Waits (up to 10 s) until PATTERN appears in FILE.
wait_for() {
  python3 - "$1" "$2" <<'PY'
import re, sys, time
end = time.monotonic() + 10
while time.monotonic() < end:
    try:
        if re.search(sys.argv[2], open(sys.argv[1]).read()):
            sys.exit(0)
    except FileNotFoundError:
        pass
    time.sleep(0.02)
sys.exit(1)
PY
}

start_serve g --proxy-protocol
free_ports=$(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')
set -- $free_ports
p1=$1 p2=$2
cat >"$tmp/haproxy.cfg" <<CFG
global
    maxconn 100
defaults
    timeout connect 5s
    timeout client 10s
    timeout server 10s
frontend v1
    mode tcp
    bind 127.0.0.1:$p1
    default_backend gale_v1
frontend v2
    mode http
    bind 127.0.0.1:$p2
    default_backend gale_v2
backend gale_v1
    mode tcp
    server g 127.0.0.1:$port_g send-proxy
backend gale_v2
    mode http
    option httpchk GET /a.txt
    server g 127.0.0.1:$port_g send-proxy-v2 check inter 200ms
CFG
haproxy -f "$tmp/haproxy.cfg" -db >"$tmp/haproxy.out" 2>&1 &
pids="$pids $!"
wait_port() {
  python3 - "$1" <<'PY'
import socket, sys, time
end = time.monotonic() + 10
while time.monotonic() < end:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.02)
sys.exit(1)
PY
}
wait_port "$p1" && wait_port "$p2" ||
  { echo "haproxy did not start:"; cat "$tmp/haproxy.out"; exit 1; }

body=$(curl -sS --max-time 10 --interface 127.0.0.2 "http://127.0.0.1:$p1/a.txt")
check "v1 (send-proxy): served through haproxy" [ "$body" = "behind haproxy" ]
check "v1: the access log shows the client, 127.0.0.2" wait_for "$tmp/g.log" "GET /a.txt \\(127\\.0\\.0\\.2\\)"
body=$(curl -sS --max-time 10 --interface 127.0.0.3 "http://127.0.0.1:$p2/a.txt?v2")
check "v2 (send-proxy-v2): served through haproxy" [ "$body" = "behind haproxy" ]
check "v2: the access log shows the client, 127.0.0.3" \
  wait_for "$tmp/g.log" "GET /a.txt\\?v2 \\(127\\.0\\.0\\.3\\)"
# HAProxy's health checks over send-proxy-v2 are LOCAL: the real address.
check "v2 LOCAL health checks are served as 127.0.0.1" \
  wait_for "$tmp/g.log" "GET /a.txt \\(127\\.0\\.0\\.1\\)"
check "haproxy never saw its client's address in the log" \
  sh -c "! grep -q 'a.txt?v2 (127.0.0.1)' '$tmp/g.log'"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port_g/a.txt")
check "straight to gale without a header: closed unanswered" [ "$code" = 000 ]
body=$(curl -sS --max-time 10 --interface 127.0.0.2 "http://127.0.0.1:$p1/a.txt")
check "still serving through haproxy" [ "$body" = "behind haproxy" ]

# PROXY header and ClientHello in one segment: the header is taken off the
# socket alone, TLS sees the rest.
(cd "$tmp" && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc \
  -keyout k.pem -out c.pem -subj /CN=localhost -days 2 >/dev/null 2>&1)
start_serve t --proxy-protocol --cert "$tmp/c.pem" --key "$tmp/k.pem"
out=$(timeout 20 python3 - "$port_t" <<'PY'
import socket, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
raw = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
# MSG_MORE holds the header back until the ClientHello joins it.
raw.send(b"PROXY TCP6 2001:db8::5 ::1 5555 443\r\n", socket.MSG_MORE)
s = ctx.wrap_socket(raw)
s.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
data = b""
while True:
    try:
        chunk = s.recv(65536)
    except (ssl.SSLEOFError, ConnectionResetError):
        break
    if not chunk:
        break
    data += chunk
print(data.split(b"\r\n")[0].decode(), data.endswith(b"behind haproxy\n"))
PY
)
check "PROXY + ClientHello in one write: HTTPS answer" [ "$out" = "HTTP/1.1 200 OK True" ]
check "and the log shows the header's client" wait_for "$tmp/t.log" "GET /a.txt \\(2001:db8::5\\)"

echo "$n checks, $fails failed"
[ "$fails" -eq 0 ]
