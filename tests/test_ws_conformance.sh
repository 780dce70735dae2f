#!/bin/sh
# SPDX-License-Identifier: MIT
# Autobahn-style conformance, offline, with Python's wsproto as the peer
# (tests/test_ws_conformance.py): gale's server (examples/websocket_echo)
# through fragmentation, interleaved control frames, UTF-8 across
# fragments, close codes, reserved bits, opcodes, control-frame limits and
# permessage-deflate parameters; then gale's client (gale ws --compress)
# against a wsproto server.  Skips (77) without python3-wsproto.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
PY=/usr/bin/python3
B=$(cd "$top_builddir" && pwd)
ECHO=$B/examples/websocket_echo
GALE=$B/tools/gale
CONF=$top_srcdir/tests/test_ws_conformance.py
$PY -c 'import wsproto' 2>/dev/null || { echo "python3-wsproto missing: skip"; exit 77; }
tmp=$(mktemp -d)
pid=""
ppid_=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  [ -n "$ppid_" ] && kill "$ppid_" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
wait_line() {
  i=0
  while [ $i -lt 200 ] && ! [ -s "$1" ]; do sleep 0.05; i=$((i + 1)); done
  head -n 1 "$1"
}
rc=0
"$ECHO" 0 >"$tmp/echo.out" 2>"$tmp/echo.err" &
pid=$!
url=$(wait_line "$tmp/echo.out" | sed -n 's|^Listening on \(ws://.*\)$|\1|p')
[ -n "$url" ] || { echo "websocket_echo did not start"; exit 1; }
timeout 60 $PY "$CONF" server "$url" || rc=1

$PY "$CONF" peer 0 >"$tmp/peer.out" 2>"$tmp/peer.err" &
ppid_=$!
port=$(wait_line "$tmp/peer.out")
[ -n "$port" ] || { echo "the wsproto server did not start"; cat "$tmp/peer.err"; exit 1; }
seq 1 300 >"$tmp/want"
timeout 20 "$GALE" ws -v --compress "ws://127.0.0.1:$port/" <"$tmp/want" >"$tmp/got" 2>"$tmp/err"
st=$?
if [ $st -eq 0 ] && cmp -s "$tmp/got" "$tmp/want" && grep -q "permessage-deflate: on" "$tmp/err"; then
  echo "ok: gale ws --compress against a wsproto server: 300 lines back, closed 1000"
else
  echo "FAIL: gale ws against wsproto (exit $st)"; cat "$tmp/err"; rc=1
fi
exit $rc
