#!/bin/sh
# SPDX-License-Identifier: MIT
# `gale serve --unix PATH` and `gale fetch --unix-socket PATH URL`: served
# over a unix domain socket to curl --unix-socket and to gale fetch; the
# socket's mode; a stale socket left by a killed server is replaced; a live
# one and a regular file are refused (the file kept); fetch to a missing
# socket fails as a connect error (7).  Reads the server's first line,
# never sleeps to wait.  Skips (exit 77) without curl.
set -u
top_builddir=${top_builddir:-.}
B=$(cd "$top_builddir" && pwd)
GALE=$B/tools/gale
command -v curl >/dev/null 2>&1 || { echo "curl missing: skip"; exit 77; }
[ -x "$GALE" ] || { echo "no $GALE"; exit 1; }

tmp=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
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
printf 'over unix\n' >"$root/a.txt"
sock=$tmp/gale.sock
mkfifo "$tmp/err"

start_serve() {
  "$GALE" serve --unix "$sock" "$@" "$root" 2>"$tmp/err" &
  pid=$!
  exec 3<"$tmp/err"
  IFS= read -r line <&3
  cat <&3 >>"$tmp/log" &
  catpid=$!
  exec 3<&-
  case "$line" in
  "Serving $root on unix:$sock "*) ;;
  *) echo "gale serve did not start: $line"; exit 1 ;;
  esac
}

start_serve --unix-mode 0660
check "the socket's mode is 0660" [ "$(stat -c %a "$sock")" = 660 ]
check "it is a socket" [ -S "$sock" ]
body=$(curl -sS --max-time 10 --unix-socket "$sock" http://localhost/a.txt)
check "curl --unix-socket gets the file" [ "$body" = "over unix" ]
body=$("$GALE" fetch -sS --max-time 10 --unix-socket "$sock" http://example.invalid/a.txt)
check "gale fetch --unix-socket gets it (the host is never resolved)" [ "$body" = "over unix" ]
code=$("$GALE" fetch -s -o /dev/null -o /dev/null -w '%{http_code}' --unix-socket "$sock" \
  http://x/a.txt http://x/nope)
check "two URLs on one connection: 200 then 404" [ "$code" = 200404 ]
"$GALE" serve --unix "$sock" "$root" >"$tmp/out2" 2>&1 </dev/null
rc=$?
check "a second server on the live socket: exit 1, in use" \
  sh -c "[ $rc -eq 1 ] && grep -q 'in use' '$tmp/out2'"
body=$(curl -sS --max-time 10 --unix-socket "$sock" http://localhost/a.txt)
check "the first still serves" [ "$body" = "over unix" ]

kill -KILL "$pid"
wait "$pid" 2>/dev/null
pid=""
wait "$catpid" # the fifo drained before the next server's first line
check "a killed server leaves its socket file" [ -S "$sock" ]
"$GALE" fetch -s --max-time 10 --unix-socket "$sock" http://x/a.txt >/dev/null 2>&1
check "fetch to a socket nobody accepts on: exit 7" [ $? -eq 7 ]
start_serve
body=$(curl -sS --max-time 10 --unix-socket "$sock" http://localhost/a.txt)
check "a new server replaces the stale socket" [ "$body" = "over unix" ]
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=""
check "SIGTERM: exit 0" [ $rc -eq 0 ]
check "the access log shows unix peers" grep -q 'GET /a.txt (unix)' "$tmp/log"

rm -f "$sock"
printf 'keep me\n' >"$sock"
"$GALE" serve --unix "$sock" "$root" >"$tmp/out3" 2>&1 </dev/null
rc=$?
check "a regular file at the path: refused, exit 1" \
  sh -c "[ $rc -eq 1 ] && grep -q 'not a socket' '$tmp/out3'"
check "and the file is untouched" [ "$(cat "$sock")" = "keep me" ]
"$GALE" fetch -s --max-time 10 --unix-socket "$tmp/none.sock" http://x/ >/dev/null 2>&1
check "fetch to a missing socket: exit 7" [ $? -eq 7 ]
"$GALE" serve --unix-mode 999 --unix "$sock" "$root" >/dev/null 2>&1 </dev/null
check "a bad --unix-mode: usage error" [ $? -eq 2 ]

echo "$n checks, $fails failed"
[ "$fails" -eq 0 ]
