#!/bin/sh
# SPDX-License-Identifier: MIT
# `gale bench` against `gale serve` (and, when available, a Tornado app for
# chunked bodies and servers that close connections): every request
# answered and reported, with and without pipelining; failures counted and
# reported; bad options give exit 2 and the usage.  No timing checks.
set -u
top_builddir=${top_builddir:-.}
GALE=$(cd "$top_builddir" && pwd)/tools/gale
PY=/usr/bin/python3
[ -x "$GALE" ] || { echo "no $GALE"; exit 1; }

tmp=$(mktemp -d)
pids=""
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

n=0
fails=0
check() { # check NAME COMMAND...
  name=$1
  shift
  n=$((n + 1))
  if "$@"; then echo "ok $n: $name"; else echo "FAIL $n: $name"; cat "$tmp/out"; fails=$((fails + 1)); fi
}
# bench NAME EXPECTED-LINE [gale bench args...]: exit 0 and the summary line.
bench() {
  name=$1
  want=$2
  shift 2
  "$GALE" bench "$@" >"$tmp/out" 2>&1
  rc=$?
  check "$name" sh -c "test $rc -eq 0 && grep -q '$want' '$tmp/out'"
}

mkdir -p "$tmp/root/dir"
printf 'hello\n' >"$tmp/root/a.txt"
head -c 100000 /dev/zero >"$tmp/root/big.bin"
"$GALE" serve -q -p 0 -b 127.0.0.1 "$tmp/root" 2>"$tmp/log" &
pids="$pids $!"
i=0
port=""
while [ $i -lt 100 ] && [ -z "$port" ]; do
  port=$(sed -n 's|^Serving .* on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$tmp/log")
  [ -z "$port" ] && sleep 0.05
  i=$((i + 1))
done
[ -n "$port" ] || { echo "gale serve did not start"; cat "$tmp/log"; exit 1; }
base=http://127.0.0.1:$port

bench "200 requests, 4 connections" '200 requests in .*: 200 ok, 0 errors, 0 non-2xx' -n 200 -c 4 "$base/a.txt"
check "4 connections reused" grep -q '^  4 connections opened' "$tmp/out"
check "latency and rate printed" sh -c "grep -q 'Latency  *p50 ' '$tmp/out' && grep -q '^Requests/sec: ' '$tmp/out'"
bench "pipelined, depth 8" '200 requests in .*: 200 ok, 0 errors' -n 200 -c 4 -p 8 "$base/a.txt"
check "pipelined: 4 connections" grep -q '^  4 connections opened' "$tmp/out"
bench "pipelined, 100 KB bodies" '50 requests in .*: 50 ok, 0 errors' -n 50 -c 2 -p 5 "$base/big.bin"
bench "pipelined, depth above the count" '3 requests in .*: 3 ok, 0 errors' -n 3 -c 2 -p 16 "$base/a.txt"
bench "pipelined listing" '30 requests in .*: 30 ok, 0 errors' -n 30 -c 3 -p 4 "$base/dir/"
bench "404s are answers, counted as non-2xx" '20 requests in .*: 20 ok, 0 errors, 20 non-2xx' -n 20 -c 2 "$base/missing"
bench "no keep-alive: a connection each" '50 connections opened' -n 50 -c 5 --no-keepalive "$base/a.txt"
bench "duration" ' ok, 0 errors' -d 0.3 -c 2 "$base/a.txt"
bench "duration, pipelined" ' ok, 0 errors' -d 0.3 -c 2 -p 4 "$base/a.txt"
bench "quiet: one line" '^requests/s [0-9.]* ok 100 errors 0 p50 ' -q -n 100 -c 3 "$base/a.txt"
bench "extra header" '10 ok, 0 errors' -n 10 -c 1 -H 'X-Test: 1' "$base/a.txt"

# Failures are counted and reported, and the run ends (exit 1).
for p in 1 4; do
  "$GALE" bench -n 20 -c 2 -p $p http://127.0.0.1:1/ >"$tmp/out" 2>&1
  rc=$?
  check "refused, depth $p: exit 1, errors reported" sh -c \
    "test $rc -eq 1 && grep -q ' 0 ok, [1-9][0-9]* errors' '$tmp/out' && grep -q 'First error: ECONNREFUSED' '$tmp/out'"
done

# Bad usage: exit 2 and the usage text.
for args in "" "-c 0 $base/" "-n abc $base/" "-p 0 $base/" "-p 2 --no-keepalive $base/" "--bogus $base/" \
  "-H nocolon $base/" "$base/ $base/"; do
  # shellcheck disable=SC2086
  "$GALE" bench $args >"$tmp/out" 2>&1
  rc=$?
  check "usage error: '$args'" sh -c "test $rc -eq 2 && grep -q 'Usage: gale bench' '$tmp/out'"
done
"$GALE" bench -n 1 -p 2 "https://127.0.0.1:$port/" >"$tmp/out" 2>&1
check "pipelining https: refused" test $? -eq 2
"$GALE" bench -n 1 "notaurl" >"$tmp/out" 2>&1
check "bad URL: exit 3" test $? -eq 3

# A server whose answers end at close (no Content-Length): fine one request
# per connection, refused (an error, not a hang) when pipelining.
cat >"$tmp/raw.py" <<'PYEOF'
import socket, threading
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(64)
print(s.getsockname()[1], flush=True)
def serve(c):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = c.recv(4096)
        if not d:
            break
        buf += d
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nbody until close")
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PYEOF
$PY "$tmp/raw.py" >"$tmp/rport" 2>"$tmp/rlog" &
pids="$pids $!"
i=0
while [ $i -lt 100 ] && [ ! -s "$tmp/rport" ]; do sleep 0.05; i=$((i + 1)); done
rbase=http://127.0.0.1:$(cat "$tmp/rport")
bench "close-delimited answers, no pipelining" '20 requests in .*: 20 ok, 0 errors' -n 20 -c 2 "$rbase/"
"$GALE" bench -n 20 -c 2 -p 4 "$rbase/" >"$tmp/out" 2>&1
rc=$?
check "close-delimited answers, pipelined: an error" sh -c \
  "test $rc -eq 1 && grep -q 'First error: EHTTP_PARSE: body delimited by close' '$tmp/out'"

# Tornado: chunked bodies, and servers that close after some answers.
if $PY -c 'import tornado' 2>/dev/null; then
  cat >"$tmp/app.py" <<'PYEOF'
import sys
import tornado.ioloop, tornado.web

class Chunked(tornado.web.RequestHandler):
    async def get(self):
        self.write("a" * 100)
        await self.flush()
        self.write("b" * 5000)

count = 0
class Closing(tornado.web.RequestHandler):
    def get(self):
        global count
        count += 1
        if count % 7 == 0:
            self.set_header("Connection", "close")
        self.write("ok")

app = tornado.web.Application([("/chunked", Chunked), ("/closing", Closing)])
server = app.listen(0, "127.0.0.1")
print(list(server._sockets.values())[0].getsockname()[1], flush=True)
tornado.ioloop.IOLoop.current().start()
PYEOF
  $PY "$tmp/app.py" >"$tmp/tport" 2>"$tmp/tlog" &
  pids="$pids $!"
  i=0
  while [ $i -lt 100 ] && [ ! -s "$tmp/tport" ]; do sleep 0.05; i=$((i + 1)); done
  tbase=http://127.0.0.1:$(cat "$tmp/tport")
  bench "tornado, chunked" '100 requests in .*: 100 ok, 0 errors' -n 100 -c 4 "$tbase/chunked"
  bench "tornado, chunked, pipelined" '100 requests in .*: 100 ok, 0 errors' -n 100 -c 4 -p 6 "$tbase/chunked"
  bench "tornado, Connection: close, pipelined" '200 requests in .*: 200 ok, 0 errors' -n 200 -c 2 -p 5 "$tbase/closing"
  check "reconnected after the server closed" grep -q 'after the server closed one' "$tmp/out"
  bench "tornado, Connection: close" '200 requests in .*: 200 ok, 0 errors' -n 200 -c 2 "$tbase/closing"

  # https with a self-signed certificate: refused unless --insecure.
  if command -v openssl >/dev/null 2>&1 &&
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/k.pem" \
      -out "$tmp/c.pem" -subj /CN=localhost -days 2 >/dev/null 2>&1; then
    cat >"$tmp/tls.py" <<'PYEOF'
import ssl, sys
import tornado.ioloop, tornado.web
class Hello(tornado.web.RequestHandler):
    def get(self):
        self.write("hello")
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
server = tornado.web.Application([("/", Hello)]).listen(0, "127.0.0.1", ssl_options=ctx)
print(list(server._sockets.values())[0].getsockname()[1], flush=True)
tornado.ioloop.IOLoop.current().start()
PYEOF
    $PY "$tmp/tls.py" "$tmp/c.pem" "$tmp/k.pem" >"$tmp/sport" 2>"$tmp/slog" &
    pids="$pids $!"
    i=0
    while [ $i -lt 100 ] && [ ! -s "$tmp/sport" ]; do sleep 0.05; i=$((i + 1)); done
    sbase=https://127.0.0.1:$(cat "$tmp/sport")
    "$GALE" bench -n 10 -c 2 "$sbase/" >"$tmp/out" 2>&1
    rc=$?
    check "https, self-signed: refused" sh -c "test $rc -eq 1 && grep -q 'First error: ETLS' '$tmp/out'"
    bench "https, self-signed, --insecure" '10 requests in .*: 10 ok, 0 errors' -n 10 -c 2 --insecure "$sbase/"
  fi
else
  echo "tornado missing: its checks skipped"
fi

man=${top_srcdir:-$top_builddir/..}/tools/gale.1
check "gale.1 documents bench" grep -q '^.SH BENCH OPTIONS' "$man"

echo "$n checks, $fails failed"
[ "$fails" -eq 0 ]
