#!/bin/sh
# SPDX-License-Identifier: MIT
# gale fetch's HTTP version options while the client speaks only HTTP/1.1:
# --http2 and --http2-prior-knowledge are refused (exit 2, "not supported",
# nothing fetched) rather than quietly speaking HTTP/1.1; --http1.1 works and
# -w %{http_version} says 1.1, against `gale serve` (which also speaks h2c).
set -u
top_builddir=${top_builddir:-.}
B=$(cd "$top_builddir" && pwd)
GALE=$B/tools/gale
[ -x "$GALE" ] || { echo "no $GALE"; exit 1; }

tmp=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

n=0
fails=0
check() { # check NAME COMMAND...: passes when the command succeeds
  name=$1
  shift
  n=$((n + 1))
  if "$@"; then echo "ok $n: $name"; else echo "FAIL $n: $name"; fails=$((fails + 1)); fi
}

mkdir -p "$tmp/root"
printf 'hello\n' >"$tmp/root/a.txt"
"$GALE" serve -p 0 -b 127.0.0.1 "$tmp/root" 2>"$tmp/log" &
pid=$!
i=0
port=""
while [ $i -lt 100 ] && [ -z "$port" ]; do
  port=$(sed -n 's|^Serving .* on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$tmp/log")
  [ -z "$port" ] && sleep 0.05
  i=$((i + 1))
done
[ -n "$port" ] || { echo "gale serve did not start:"; cat "$tmp/log"; exit 1; }
url=http://127.0.0.1:$port/a.txt

for opt in --http2 --http2-prior-knowledge; do
  "$GALE" fetch -s "$opt" -o "$tmp/out$opt" "$url" 2>"$tmp/err"
  rc=$?
  check "$opt: exit 2" test "$rc" -eq 2
  check "$opt: says not supported" grep -q "option $opt: HTTP/2 is not supported" "$tmp/err"
  check "$opt: nothing fetched" test ! -e "$tmp/out$opt"
  "$GALE" fetch -s "$opt" "https://127.0.0.1:$port/" >/dev/null 2>"$tmp/err"
  check "$opt https: exit 2" test "$?" -eq 2
done

out=$("$GALE" fetch -s --http1.1 -w ' %{http_version} %{http_code}' "$url")
check "--http1.1: body and version 1.1" test "$out" = "hello
 1.1 200"
out=$("$GALE" fetch -s -o /dev/null -w '%{http_version}' "$url")
check "default: version 1.1" test "$out" = "1.1"
check "--help lists --http1.1" sh -c "'$GALE' fetch --help | grep -q -- --http1.1"

echo "$n checks, $fails failed"
[ "$fails" -eq 0 ]
