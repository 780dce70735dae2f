#!/bin/sh
# SPDX-License-Identifier: MIT
# `gale serve --cert FILE --key FILE`: HTTPS checked with curl (verifying
# against the test CA, HTTP/2 by ALPN) and openssl s_client (ALPN h2 chosen
# from an h2,http/1.1 offer, http/1.1 when offered alone); a plain-HTTP request to the TLS port gets no answer;
# unreadable, missing or mismatched files and a lone --cert are refused at
# start with a message naming the problem.  Skips (exit 77) without curl or
# openssl.  Never sleeps to wait: reads the server's first line.
set -u
top_builddir=${top_builddir:-.}
B=$(cd "$top_builddir" && pwd)
GALE=$B/tools/gale
command -v curl >/dev/null 2>&1 || { echo "curl missing: skip"; exit 77; }
command -v openssl >/dev/null 2>&1 || { echo "openssl missing: skip"; exit 77; }
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
printf 'hello tls\n' >"$root/a.txt"
(cd "$tmp" &&
 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc -keyout ca.key \
   -out ca.crt -subj '/CN=Test CA' -days 2 -addext basicConstraints=critical,CA:TRUE \
   -addext keyUsage=critical,keyCertSign,cRLSign >/dev/null 2>&1 &&
 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc -keyout leaf.key \
   -out leaf.crt -subj '/CN=localhost' -days 2 -CA ca.crt -CAkey ca.key \
   -addext basicConstraints=critical,CA:FALSE -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
   >/dev/null 2>&1 &&
 openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 -out other.key >/dev/null 2>&1) ||
  { echo "cannot make certificates"; exit 1; }
mkfifo "$tmp/err"

start_serve() {
  "$GALE" serve -p 0 -b 127.0.0.1 "$@" "$root" 2>"$tmp/err" &
  pid=$!
  exec 3<"$tmp/err"
  IFS= read -r line <&3
  port=$(printf '%s\n' "$line" | sed -n 's|^Serving .* on https://127.0.0.1:\([0-9]*\)/.*|\1|p')
  cat <&3 >"$tmp/log" &
  exec 3<&-
  [ -n "$port" ] || { echo "gale serve did not start: $line"; exit 1; }
}

start_serve --cert "$tmp/leaf.crt" --key "$tmp/leaf.key"
body=$(curl -sS --max-time 10 --cacert "$tmp/ca.crt" "https://127.0.0.1:$port/a.txt")
check "curl over HTTPS verifies and gets the file" [ "$body" = "hello tls" ]
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --cacert "$tmp/ca.crt" \
  --resolve "localhost:$port:127.0.0.1" "https://localhost:$port/nope")
check "a missing file is 404 over HTTPS" [ "$code" = 404 ]
out=$(printf 'GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
  timeout 10 openssl s_client -connect "127.0.0.1:$port" -alpn http/1.1 \
    -CAfile "$tmp/ca.crt" -ign_eof 2>&1)
check "s_client: ALPN http/1.1 offered alone is chosen" sh -c 'printf "%s\n" "$1" | grep -q "ALPN protocol: http/1.1"' _ "$out"
ver=$(curl -sS -o /dev/null -w '%{http_version}' --http2 --max-time 10 --cacert "$tmp/ca.crt" "https://127.0.0.1:$port/a.txt")
check "curl --http2 over HTTPS speaks HTTP/2" [ "$ver" = 2 ]
check "s_client: chain verified" sh -c 'printf "%s\n" "$1" | grep -q "Verify return code: 0 (ok)"' _ "$out"
check "s_client: the response" sh -c 'printf "%s\n" "$1" | grep -q "^hello tls"' _ "$out"
out=$(timeout 10 openssl s_client -connect "127.0.0.1:$port" -alpn h2,http/1.1 -CAfile "$tmp/ca.crt" </dev/null 2>&1)
check "s_client: ALPN picks h2 from an h2,http/1.1 offer" sh -c 'printf "%s\n" "$1" | grep -q "ALPN protocol: h2"' _ "$out"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/a.txt")
check "plain HTTP on the TLS port gets no HTTP answer" [ "$code" = 000 ]
body=$(curl -sS --max-time 10 --cacert "$tmp/ca.crt" "https://127.0.0.1:$port/a.txt")
check "the server still serves afterwards" [ "$body" = "hello tls" ]
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=""
check "SIGTERM: exit 0" [ "$rc" -eq 0 ]
check "the access log names the requests" grep -q 'GET /a.txt' "$tmp/log"

refused() { # refused EXPECTED_RC PATTERN ARGS...: start fails with rc and message
  want=$1 pat=$2
  shift 2
  "$GALE" serve -p 0 -b 127.0.0.1 "$@" "$root" >"$tmp/out" 2>&1 </dev/null
  got=$?
  [ "$got" -eq "$want" ] && grep -q "$pat" "$tmp/out" || { echo "rc $got:"; cat "$tmp/out"; false; }
}
check "missing certificate file" refused 1 "certificate chain $tmp/none.crt" \
  --cert "$tmp/none.crt" --key "$tmp/leaf.key"
check "missing key file" refused 1 "private key $tmp/none.key" \
  --cert "$tmp/leaf.crt" --key "$tmp/none.key"
printf 'not a pem\n' >"$tmp/junk.pem"
check "a certificate that is not PEM" refused 1 "certificate chain $tmp/junk.pem" \
  --cert "$tmp/junk.pem" --key "$tmp/leaf.key"
check "a key not matching the certificate" refused 1 "private key.*other.key" \
  --cert "$tmp/leaf.crt" --key "$tmp/other.key"
if [ "$(id -u)" -ne 0 ]; then
  cp "$tmp/leaf.key" "$tmp/locked.key" && chmod 000 "$tmp/locked.key"
  check "an unreadable key" refused 1 "private key $tmp/locked.key" \
    --cert "$tmp/leaf.crt" --key "$tmp/locked.key"
fi
check "--cert without --key is a usage error" refused 2 "go together" --cert "$tmp/leaf.crt"
check "--key without --cert is a usage error" refused 2 "go together" --key "$tmp/leaf.key"

echo "$n checks, $fails failed"
[ "$fails" -eq 0 ]
