#!/bin/sh
# SPDX-License-Identifier: MIT
# gale's WebSocket server (examples/websocket_echo) against the clients
# users compare it with: node's ws (tests/ws_interop_node.js, Debian's
# node-ws) and Tornado's websocket_connect (tests/ws_interop_tornado.py),
# each with and without offering permessage-deflate: echoes at the frame
# length boundaries up to 1 MiB, fragments, ping/pong, the closing
# handshake.  A peer that is not installed is skipped; exit 77 when none is.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
PY=/usr/bin/python3
NODE=$(command -v nodejs || command -v node || true)
ECHO=$top_builddir/examples/websocket_echo
[ -x "$ECHO" ] || { echo "no $ECHO"; exit 1; }

tmp=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

"$ECHO" 0 >"$tmp/out" 2>"$tmp/err" &
pid=$!
i=0
url=""
while [ $i -lt 200 ] && [ -z "$url" ] && kill -0 $pid 2>/dev/null; do
  url=$(sed -n 's|^Listening on \(ws://.*\)$|\1|p' "$tmp/out")
  [ -z "$url" ] && sleep 0.05
  i=$((i + 1))
done
[ -n "$url" ] || { echo "websocket_echo did not start"; cat "$tmp/err"; exit 1; }

n=0 fails=0 ran=0
check() { # check NAME COMMAND...
  name=$1
  shift
  n=$((n + 1))
  if "$@"; then echo "ok $n: $name"; else echo "FAIL $n: $name"; fails=$((fails + 1)); fi
}

if [ -n "$NODE" ] && [ -d /usr/share/nodejs/ws ]; then
  ran=1
  for mode in "" --compress; do
    check "node ws client $mode" env NODE_PATH=/usr/share/nodejs "$NODE" \
      "$top_srcdir/tests/ws_interop_node.js" "$url" $mode
  done
else
  echo "skip: node-ws missing"
fi
if $PY -c 'import tornado.websocket' 2>/dev/null; then
  ran=1
  for mode in "" --compress; do
    check "tornado client $mode" $PY "$top_srcdir/tests/ws_interop_tornado.py" "$url" $mode
  done
else
  echo "skip: python3-tornado missing"
fi

kill -TERM $pid
wait $pid
st=$?
pid=""
check "websocket_echo exits 0 on SIGTERM" test $st -eq 0
[ $ran -eq 1 ] || exit 77
echo "$n checks, $fails failed"
[ $fails -eq 0 ]
