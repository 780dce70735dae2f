#!/bin/sh
# SPDX-License-Identifier: MIT
# `gale ws` against examples/websocket_echo (lines, binary chunks, a file on
# stdin, -v, exit codes for a 404, a refused port and a bad URL) and
# against Python's websockets as the server (tests/ws_client_peer_server.py:
# echo with --compress, the server's close code, a subprotocol, -H).  The
# Python part is skipped when python3-websockets is missing.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/sh_lib.sh"
ECHO=$B/examples/websocket_echo
[ -x "$ECHO" ] || { echo "no $ECHO"; exit 1; }

gws() { timeout 20 "$GALE" ws "$@"; }

"$ECHO" 0 >"$tmp/echo.out" 2>"$tmp/echo.err" &
pid=$!
track $pid
url=$(wait_line "$tmp/echo.out" | sed -n 's|^Listening on \(ws://.*\)$|\1|p')
[ -n "$url" ] || { echo "websocket_echo did not start"; cat "$tmp/echo.err"; exit 1; }
base=${url%/echo}

printf 'hello\nwörld\r\nno newline' | gws "$url" >"$tmp/o1" 2>"$tmp/e1"
check "echo: exit 0 after the close" [ $? -eq 0 ]
printf 'hello\nwörld\nno newline\n' >"$tmp/want1"
check "echo: each line back, one per line" cmp -s "$tmp/o1" "$tmp/want1"
check "echo: nothing on stderr without -v" [ ! -s "$tmp/e1" ]

printf 'abc\000def' | gws --binary "$url" >"$tmp/o2"
printf 'abc\000def\n' >"$tmp/want2"
check "binary: the bytes as sent" cmp -s "$tmp/o2" "$tmp/want2"

seq 1 500 >"$tmp/lines"
gws "$url" <"$tmp/lines" >"$tmp/o3"
check "a file on stdin: 500 lines back in order" cmp -s "$tmp/o3" "$tmp/lines"

gws -v "$url" </dev/null >/dev/null 2>"$tmp/e4"
check "-v: the handshake and the close on stderr" \
  grep -q "101 Switching Protocols" "$tmp/e4"
check "-v: the close code" grep -q "closed with 1000" "$tmp/e4"

gws "$base/nope" </dev/null 2>"$tmp/e5"
check "a 404 answer: exit 22" [ $? -eq 22 ]
check "a 404 answer: HTTP 404 Not Found named" grep -q "HTTP 404 Not Found" "$tmp/e5"
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
gws "ws://127.0.0.1:$port/" </dev/null 2>"$tmp/e6"
check "a refused connection: exit 7" [ $? -eq 7 ]
check "a refused connection: named" grep -q "refused" "$tmp/e6"
gws "http://127.0.0.1:$port/" </dev/null 2>/dev/null
check "not a ws:// URL: exit 3" [ $? -eq 3 ]
gws --no-such-option "$url" </dev/null 2>/dev/null
check "a bad option: exit 2" [ $? -eq 2 ]
"$GALE" ws --help | grep -q "Exit codes"
check "--help documents the exit codes" [ $? -eq 0 ]

printf '%0300d\n' 0 | gws --max-message-size 100 "$url" >/dev/null 2>"$tmp/e9"
check "--max-message-size: a bigger echo closes 1009, exit 4" [ $? -eq 4 ]
check "--max-message-size: 1009 named" grep -q "1009" "$tmp/e9"
(echo a; sleep 0.4; echo b) | gws --ping-interval 0.05 "$url" >"$tmp/o10"
check "--ping-interval: pinging all along, exit 0" [ $? -eq 0 ]
printf 'a\nb\n' >"$tmp/want10"
check "--ping-interval: the lines back" cmp -s "$tmp/o10" "$tmp/want10"

# Through an HTTP proxy (CONNECT): tinyproxy, then a proxy answering 407.
if command -v tinyproxy >/dev/null 2>&1; then
  pport=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  eport=${base##*:}
  printf 'Port %s\nListen 127.0.0.1\nTimeout 10\nAllow 127.0.0.1\nConnectPort %s\nLogLevel Error\n' \
    "$pport" "$eport" >"$tmp/tp.conf"
  tinyproxy -d -c "$tmp/tp.conf" >"$tmp/tp.log" 2>&1 &
  tppid=$!
  track $tppid
  i=0
  while [ $i -lt 100 ] && ! $PY -c "import socket; socket.create_connection(('127.0.0.1', $pport))" 2>/dev/null; do
    sleep 0.05; i=$((i + 1))
  done
  printf 'via\nproxy\n' | gws -x "http://127.0.0.1:$pport" "$url" >"$tmp/o7" 2>"$tmp/e7"
  check "-x tinyproxy: exit 0" [ $? -eq 0 ]
  printf 'via\nproxy\n' >"$tmp/want7"
  check "-x tinyproxy: the lines back through the tunnel" cmp -s "$tmp/o7" "$tmp/want7"
  kill "$tppid" 2>/dev/null
  wait "$tppid" 2>/dev/null
else
  echo "tinyproxy missing: the tunnel check is skipped"
fi
$PY -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept(); data = b""
while b"\r\n\r\n" not in data: data += c.recv(4096)
c.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n"); c.close()
' >"$tmp/bp.out" &
bppid=$!
track $bppid
bport=$(wait_line "$tmp/bp.out")
gws -x "127.0.0.1:$bport" "$url" </dev/null 2>"$tmp/e8"
check "-x a proxy answering 407: exit 56" [ $? -eq 56 ]
check "-x a proxy answering 407: named" grep -q "HTTP 407" "$tmp/e8"
wait "$bppid" 2>/dev/null

kill "$pid"
wait "$pid" 2>/dev/null
pid=""

if $PY -c 'import websockets' 2>/dev/null; then
  $PY "$top_srcdir/tests/ws_client_peer_server.py" 0 >"$tmp/py.out" 2>"$tmp/py.err" &
  pypid=$!
  track $pypid
  pyport=$(wait_line "$tmp/py.out")
  [ -n "$pyport" ] || { echo "the python server did not start"; cat "$tmp/py.err"; exit 1; }
  py="ws://127.0.0.1:$pyport"
  seq 1 200 | gws -v --compress --subprotocol chat -H "X-Test: 1" "$py/" >"$tmp/p1" 2>"$tmp/pe1"
  check "python: exit 0" [ $? -eq 0 ]
  seq 1 200 >"$tmp/pwant"
  check "python: lines back" cmp -s "$tmp/p1" "$tmp/pwant"
  check "python: permessage-deflate agreed" grep -q "permessage-deflate: on" "$tmp/pe1"
  check "python: the subprotocol" grep -q "subprotocol: chat" "$tmp/pe1"
  head -c 300000 /dev/zero | gws --binary --compress "$py/" >"$tmp/p2"
  check "python: binary chunks, compressed" [ "$(wc -c <"$tmp/p2")" -gt 300000 ]
  gws "$py/close" </dev/null 2>"$tmp/pe3"
  check "python: a close with 4001 exits 4" [ $? -eq 4 ]
  check "python: the code named" grep -q "4001" "$tmp/pe3"
  kill "$pypid"
  wait "$pypid" 2>/dev/null
  pypid=""
else
  echo "python3-websockets missing: the python part is skipped"
fi

finish
