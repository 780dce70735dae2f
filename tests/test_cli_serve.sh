#!/bin/sh
# SPDX-License-Identifier: MIT
# `gale serve` on an ephemeral port serving a temporary directory, checked
# with curl: file bytes, 404, traversal refused, ranges, HEAD, directories
# (index.html, listing, redirect), the access log, bad options, and a clean
# exit on SIGTERM.  Also runs examples/fetch against it.  Skips (exit 77)
# without curl.
set -u
top_builddir=${top_builddir:-.}
B=$(cd "$top_builddir" && pwd)
GALE=$B/tools/gale
command -v curl >/dev/null 2>&1 || { echo "curl missing: skip"; exit 77; }
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

# Starts gale serve with the given arguments; sets pid and port.
start_serve() {
  : >"$tmp/log"
  "$GALE" serve -p 0 -b 127.0.0.1 "$@" 2>"$tmp/log" &
  pid=$!
  i=0
  port=""
  while [ $i -lt 100 ] && [ -z "$port" ]; do
    port=$(sed -n 's|^Serving .* on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$tmp/log")
    [ -z "$port" ] && sleep 0.05
    i=$((i + 1))
  done
  [ -n "$port" ] || { echo "gale serve did not start:"; cat "$tmp/log"; exit 1; }
}

# Stops it with SIGTERM; true when it exited with status 0.
stop_serve() {
  kill -TERM "$pid"
  wait "$pid"
  rc=$?
  pid=""
  [ "$rc" -eq 0 ]
}

root=$tmp/root
mkdir -p "$root/sub/deeper" "$root/site" "$root/empty"
head -c 300000 /dev/urandom >"$root/data.bin"
printf 'hello\n' >"$root/a.txt"
printf 'secret\n' >"$tmp/outside.txt"
printf '<h1>index</h1>\n' >"$root/site/index.html"
printf 'x\n' >"$root/sub/<b>&amp; odd name.txt"

start_serve "$root"
base=http://127.0.0.1:$port

code() { curl -s --path-as-is -o "$tmp/body" -w '%{http_code}' "$@"; }

curl -s -o "$tmp/got" "$base/data.bin"
check "file bytes identical" cmp -s "$tmp/got" "$root/data.bin"
check "404 for a missing file" test "$(code "$base/nope.txt")" = 404
check "/../ refused" test "$(code "$base/../outside.txt")" = 403
check "/sub/../../ refused" test "$(code "$base/sub/../../outside.txt")" = 403
check "%2e%2e refused" test "$(code "$base/%2e%2e/outside.txt")" = 403
check "Range gives 206" test "$(code -r 1000-1999 "$base/data.bin")" = 206
dd if="$root/data.bin" of="$tmp/want" bs=1000 skip=1 count=1 2>/dev/null
check "Range bytes" cmp -s "$tmp/body" "$tmp/want"
curl -s -I "$base/data.bin" >"$tmp/head"
check "HEAD status and length" sh -c "grep -q '^HTTP/1.1 200' '$tmp/head' && grep -qi '^Content-Length: 300000' '$tmp/head'"
# A body after the HEAD answer would garble the next answer on the connection.
check "HEAD has no body" sh -c "curl -s -I '$base/data.bin' --next -s '$base/a.txt' | tail -n 1 | grep -qx hello"
check "directory without / redirects" test "$(code "$base/sub")" = 301
check "index.html served" sh -c "test \"\$(curl -s '$base/site/')\" = '<h1>index</h1>'"
check "listing" test "$(code "$base/sub/")" = 200
check "listing escapes names" grep -q '&lt;b&gt;&amp;amp; odd name.txt</a>' "$tmp/body"
check "listing links encoded" grep -q 'href="%3Cb%3E%26amp%3B%20odd%20name.txt"' "$tmp/body"
check "listing marks directories" grep -q 'href="deeper/">deeper/</a>' "$tmp/body"
check "empty directory lists" test "$(code "$base/empty/")" = 200
check "access log line" grep -q '\] 200 GET /data.bin (127.0.0.1) ' "$tmp/log"
check "access log 404" grep -q '\] 404 GET /nope.txt (127.0.0.1) ' "$tmp/log"
check "examples/fetch" sh -c "'$B/examples/fetch' '$base/a.txt' | tail -n 1 | grep -qx hello"
"$GALE" serve -p "$port" -b 127.0.0.1 "$root" >"$tmp/out" 2>&1
rc=$?
check "port in use: exit 1" sh -c "test $rc -eq 1 && grep -q 'cannot listen' '$tmp/out'"
head -c 50000000 /dev/zero >"$root/huge.bin"
curl -s -o /dev/null --max-filesize 1000 --limit-rate 100k -m 1 "$base/huge.bin"
check "survives a client leaving mid-file" test "$(code "$base/a.txt")" = 200
check "SIGTERM: exit 0" stop_serve

start_serve --no-listing -q "$root"
check "--no-listing: 403" test "$(code "http://127.0.0.1:$port/sub/")" = 403
check "--no-listing: index.html still served" test "$(code "http://127.0.0.1:$port/site/")" = 200
check "-q: no access log" sh -c "! grep -q access '$tmp/log'"
kill -INT "$pid"
wait "$pid"
rc=$?
pid=""
check "SIGINT: exit 0" test "$rc" -eq 0

# Bad usage: exit 2 and the usage text.
for args in "-p notaport" "-p 70000" "--bogus" "$root $root" "$tmp/missing-dir"; do
  # shellcheck disable=SC2086
  "$GALE" serve $args >"$tmp/out" 2>&1
  rc=$?
  check "usage error: $args" sh -c "test $rc -eq 2 && grep -q 'gale serve' '$tmp/out'"
done
"$GALE" serve --help >"$tmp/out"
check "--help" grep -q -- '--bind' "$tmp/out"

man=${top_srcdir:-$top_builddir/..}/tools/gale.1
check "gale.1 documents serve" grep -q '^.SH SERVE OPTIONS' "$man"

echo "$n checks, $fails failed"
[ "$fails" -eq 0 ]
