#!/bin/sh
# SPDX-License-Identifier: MIT
# examples/websocket_echo against real peers: Python's websockets
# (tests/test_websocket_peer.py) and Tornado's websocket client
# (tests/test_websocket_tornado.py, when python3-tornado is there).  Skips
# (exit 77) when Debian's python3-websockets is not installed.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
PY=/usr/bin/python3
ECHO=$top_builddir/examples/websocket_echo
$PY -c 'import websockets' 2>/dev/null || { echo "python3-websockets missing: skip"; exit 77; }
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
while [ $i -lt 100 ] && [ -z "$url" ]; do
  url=$(sed -n 's|^Listening on \(ws://.*\)$|\1|p' "$tmp/out")
  [ -z "$url" ] && sleep 0.05
  i=$((i + 1))
done
[ -n "$url" ] || { echo "websocket_echo did not start"; cat "$tmp/err"; exit 1; }

timeout 60 $PY "$top_srcdir/tests/test_websocket_peer.py" "$url" || {
  echo "FAIL: python websockets against $url"
  cat "$tmp/err"
  exit 1
}
if $PY -c 'import tornado.websocket' 2>/dev/null; then
  timeout 60 $PY "$top_srcdir/tests/test_websocket_tornado.py" "$url" || {
    echo "FAIL: tornado's websocket client against $url"
    cat "$tmp/err"
    exit 1
  }
else
  echo "python3-tornado missing: its client skipped"
fi
kill "$pid"
wait "$pid"
rc=$?
pid=""
[ $rc -eq 0 ] || { echo "FAIL: websocket_echo exited $rc on SIGTERM"; exit 1; }
echo "ok: websocket_echo interoperates with python websockets and tornado"
