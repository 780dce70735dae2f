#!/bin/sh
# SPDX-License-Identifier: MIT
# gale fetch's HTTP versions beside curl's on the same URLs: against
# `gale serve` (h2c by prior knowledge on http://, h2 by ALPN on https://),
# --http2-prior-knowledge gives the same body, status line and fields as
# curl's, -w %{http_version} prints "2" (curl's spelling), --http1.1 and
# the http:// default stay HTTP/1.1, https:// defaults to h2 (as curl) and
# --http1.1 forces 1.1 there; several URLs in one run share one h2
# connection (%{num_connects}); gale bench --http2 --streams N opens -c
# connections of N streams.
set -u
top_builddir=${top_builddir:-.}
B=$(cd "$top_builddir" && pwd)
GALE=$B/tools/gale
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
check() { # check NAME COMMAND...: passes when the command succeeds
  name=$1
  shift
  n=$((n + 1))
  if "$@"; then echo "ok $n: $name"; else echo "FAIL $n: $name"; fails=$((fails + 1)); fi
}

start_serve() { # start_serve SCHEME ARGS...: sets $port
  scheme=$1
  shift
  log=$tmp/log.$scheme
  "$GALE" serve -p 0 -b 127.0.0.1 "$@" "$tmp/root" 2>"$log" &
  pids="$pids $!"
  i=0
  port=""
  while [ $i -lt 100 ] && [ -z "$port" ]; do
    port=$(sed -n "s|^Serving .* on $scheme://127.0.0.1:\\([0-9]*\\)/.*|\\1|p" "$log")
    [ -z "$port" ] && sleep 0.05
    i=$((i + 1))
  done
  [ -n "$port" ] || { echo "gale serve did not start:"; cat "$log"; exit 1; }
}

mkdir -p "$tmp/root"
printf 'hello\n' >"$tmp/root/a.txt"
i=0
while [ $i -lt 300 ]; do echo "line $i of a text that gzip likes"; i=$((i + 1)); done >"$tmp/root/t.txt"
(cd "$tmp" && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc \
  -keyout leaf.key -out leaf.crt -subj /CN=localhost -days 2 \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1) ||
  { echo "cannot make a certificate"; exit 1; }

start_serve http
url=http://127.0.0.1:$port/a.txt
# The same answer as curl's, Date aside (it may tick between the two).
strip_date() { grep -v -i '^date:' "$1" | tr -d '\r'; }
"$GALE" fetch -s -i --http2-prior-knowledge "$url" >"$tmp/g" 2>&1
curl -s -i --http2-prior-knowledge "$url" >"$tmp/c" 2>&1
strip_date "$tmp/g" >"$tmp/g2"
strip_date "$tmp/c" >"$tmp/c2"
check "--http2-prior-knowledge: the same head and body as curl's" cmp -s "$tmp/g2" "$tmp/c2"
check "status line HTTP/2 200" sh -c 'head -1 "$1" | grep -q "^HTTP/2 200 \$"' _ "$tmp/g2"
for w in '%{http_version}' '%{http_code} %{size_download} %{content_type}'; do
  g=$("$GALE" fetch -s -o /dev/null --http2-prior-knowledge -w "$w" "$url")
  c=$(curl -s -o /dev/null --http2-prior-knowledge -w "$w" "$url")
  check "-w '$w': gale '$g' = curl '$c'" test "$g" = "$c"
done
check "-w %{http_version} is 2" test "$("$GALE" fetch -s -o /dev/null --http2-prior-knowledge \
  -w '%{http_version}' "$url")" = 2
g=$("$GALE" fetch -s --compressed --http2-prior-knowledge "http://127.0.0.1:$port/t.txt" | md5sum)
c=$(curl -s --compressed --http2-prior-knowledge "http://127.0.0.1:$port/t.txt" | md5sum)
check "--compressed over h2: the same bytes as curl" test "$g" = "$c"
out=$("$GALE" fetch -s --http2-prior-knowledge -w '%{num_connects} ' "$url" "$url" "$url")
check "three URLs: one connection (got '$out')" test "$out" = "hello
1 hello
0 hello
0 "
out=$("$GALE" fetch -s --http1.1 -w ' %{http_version} %{http_code}' "$url")
check "--http1.1: body and version 1.1" test "$out" = "hello
 1.1 200"
check "http:// default: 1.1" test "$("$GALE" fetch -s -o /dev/null -w '%{http_version}' "$url")" = 1.1
check "--http2 on http://: 1.1 as curl (no Upgrade)" test \
  "$("$GALE" fetch -s -o /dev/null --http2 -w '%{http_version}' "$url")" = \
  "$(curl -s -o /dev/null --http2 -w '%{http_version}' "$url")"

# gale bench --http2: C connections of N streams (h2load -c/-m).
out=$("$GALE" bench --http2 -c 2 --streams 8 -n 400 "$url" 2>&1)
check "bench --http2 -c 2 --streams 8: all answered" sh -c 'printf "%s\n" "$1" | grep -q "400 requests in .*: 400 ok, 0 errors"' _ "$out"
check "bench --http2: two connections, HTTP/2" sh -c 'printf "%s\n" "$1" | grep -q "2 connections opened" && printf "%s\n" "$1" | grep -q "HTTP/2 with 8 streams each"' _ "$out"
"$GALE" bench --streams 4 -n 10 "$url" >/dev/null 2>&1
check "bench --streams without --http2: exit 2" test $? -eq 2

start_serve https --cert "$tmp/leaf.crt" --key "$tmp/leaf.key"
surl=https://127.0.0.1:$port/a.txt
for opt in "" --http2 --http2-prior-knowledge --http1.1; do
  g=$("$GALE" fetch -s --cacert "$tmp/leaf.crt" $opt -w ' %{http_version}' "$surl")
  c=$(curl -s --cacert "$tmp/leaf.crt" $opt -w ' %{http_version}' "$surl")
  check "https ${opt:-(default)}: gale '$g' = curl '$c'" test "$g" = "$c"
done
check "https default is h2" test "$("$GALE" fetch -s -o /dev/null --cacert "$tmp/leaf.crt" \
  -w '%{http_version}' "$surl")" = 2
check "--help lists --http2-prior-knowledge" sh -c "'$GALE' fetch --help | grep -q -- --http2-prior-knowledge"

echo "$n checks, $fails failed"
[ "$fails" -eq 0 ]
