#!/bin/sh
# SPDX-License-Identifier: MIT
# `gale serve`'s limit flags: --header-timeout closes a connection that
# sends nothing (counted from the accept), --max-connections makes a
# client past the limit wait in the backlog until a slot frees,
# --max-body-buffer answers 503 to a body past it, --handshake-timeout is
# taken, bad values are usage errors (exit 2).  Waits for events (the
# server's first line, a reply, a close) by blocking reads, never by
# sleeping.  Skips (exit 77) without curl or python3.
set -u
top_builddir=${top_builddir:-.}
B=$(cd "$top_builddir" && pwd)
GALE=$B/tools/gale
command -v curl >/dev/null 2>&1 || { echo "curl missing: skip"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "python3 missing: skip"; exit 77; }
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
check() { # check NAME COMMAND...: passes when the command succeeds
  name=$1
  shift
  n=$((n + 1))
  if "$@"; then echo "ok $n: $name"; else echo "FAIL $n: $name"; fails=$((fails + 1)); fi
}

root=$tmp/root
mkdir -p "$root"
printf 'hello\n' >"$root/a.txt"
mkfifo "$tmp/err"

# Starts gale serve with the given options; sets pid and port from its
# first line of stderr (read through a fifo); the rest goes to $tmp/log.
start_serve() {
  "$GALE" serve -p 0 -b 127.0.0.1 "$@" "$root" 2>"$tmp/err" &
  pid=$!
  exec 3<"$tmp/err"
  IFS= read -r line <&3
  port=$(printf '%s\n' "$line" | sed -n 's|^Serving .* on http://127.0.0.1:\([0-9]*\)/.*|\1|p')
  cat <&3 >"$tmp/log" &
  catpid=$!
  exec 3<&-
  [ -n "$port" ] || { echo "gale serve did not start: $line"; exit 1; }
}

stop_serve() {
  kill -TERM "$pid"
  wait "$pid"
  rc=$?
  pid=""
  # The log's reader drains the fifo before the next server opens it (or
  # the next start would read this one's last lines as its first).
  wait "$catpid"
  [ "$rc" -eq 0 ]
}

# Python clients on raw sockets; each prints what it saw.
cat >"$tmp/client.py" <<'PY'
import socket, sys, time
port = int(sys.argv[2])
def conn():
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(10)
    return s
def reply(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return data.split(b"\r\n", 1)[0].decode()
if sys.argv[1] == "silent":
    # Says nothing: how long until the server closes, and what it sent.
    s = conn()
    t0 = time.monotonic()
    data = s.recv(65536)
    print("closed after %.1f s with %d bytes" % (time.monotonic() - t0, len(data)))
elif sys.argv[1] == "limit":
    # The first connection holds the only slot; the second is not served
    # (within 0.5 s) until the first closes, then it is.
    a = conn()
    a.sendall(b"GET /a.txt HTTP/1.1\r\nHost: h\r\n\r\n")
    print("first:", reply(a))
    b = conn()  # completes in the kernel's backlog
    b.sendall(b"GET /a.txt HTTP/1.1\r\nHost: h\r\n\r\n")
    b.settimeout(0.5)
    try:
        got = b.recv(65536)
        print("second early:", got[:20])
    except socket.timeout:
        print("second waits")
    b.settimeout(10)
    a.close()
    print("second:", reply(b))
PY

# ---- --header-timeout ---------------------------------------------------
start_serve --header-timeout 0.5
out=$(python3 "$tmp/client.py" silent "$port")
check "--header-timeout 0.5: a silent connection is closed ($out)" \
  sh -c "echo '$out' | grep -Eq '^closed after (0\.[4-9]|1\.[0-9]) s with 0 bytes'"
check "stops with exit 0" stop_serve

# ---- --max-connections --------------------------------------------------
start_serve --max-connections 1
out=$(python3 "$tmp/client.py" limit "$port")
check "--max-connections 1: the second client waits for a slot" \
  [ "$out" = "first: HTTP/1.1 200 OK
second waits
second: HTTP/1.1 200 OK" ] || echo "$out"
check "stops with exit 0" stop_serve

# ---- --max-body-buffer, --handshake-timeout -----------------------------
start_serve --max-body-buffer 1k --handshake-timeout 5
code=$(head -c 2000 /dev/zero | curl -s -o /dev/null -w '%{http_code}' --data-binary @- \
  "http://127.0.0.1:$port/a.txt")
check "--max-body-buffer 1k: a 2000-byte body gets 503 (got $code)" [ "$code" = 503 ]
code=$(head -c 200 /dev/zero | curl -s -o /dev/null -w '%{http_code}' --data-binary @- \
  "http://127.0.0.1:$port/a.txt")
check "a 200-byte body is read (and answered 405: no POST) (got $code)" [ "$code" = 405 ]
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/a.txt")
check "GET still served (got $code)" [ "$code" = 200 ]
check "stops with exit 0" stop_serve

# ---- bad values ---------------------------------------------------------
for bad in "--max-connections -1" "--max-connections x" "--max-body-buffer 1q" \
  "--header-timeout -2" "--handshake-timeout abc"; do
  # shellcheck disable=SC2086
  "$GALE" serve -p 0 $bad "$root" >/dev/null 2>&1
  rc=$?
  check "$bad: usage error (exit $rc)" [ "$rc" -eq 2 ]
done
check "--help lists the limit flags" sh -c "'$GALE' serve --help | grep -q -- '--max-body-buffer BYTES'"

echo "$n checks, $fails failed"
[ "$fails" -eq 0 ]
