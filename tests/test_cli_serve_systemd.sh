#!/bin/sh
# SPDX-License-Identifier: MIT
# `gale serve` under systemd: socket activation (systemd-socket-activate -l
# 127.0.0.1:PORT gale serve DIR serves, on the socket it was handed) and
# sd_notify (READY=1 with a STATUS, WATCHDOG=1 pings at WATCHDOG_USEC / 2,
# STOPPING=1 on SIGTERM) read from a NOTIFY_SOCKET of our own.  Polls with
# timeouts, never sleeps to wait.  Skips (exit 77) without curl or python3;
# the activation part skips without systemd-socket-activate, the notify
# part when gale was built without libsystemd.
set -u
top_builddir=${top_builddir:-.}
B=$(cd "$top_builddir" && pwd)
GALE=$B/tools/gale
for p in curl python3; do
  command -v $p >/dev/null 2>&1 || { echo "$p missing: skip"; exit 77; }
done
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
skipped=0
check() {
  name=$1
  shift
  n=$((n + 1))
  if "$@"; then echo "ok $n: $name"; else echo "FAIL $n: $name"; fails=$((fails + 1)); fi
}
root=$tmp/root
mkdir -p "$root"
printf 'activated\n' >"$root/a.txt"

if command -v systemd-socket-activate >/dev/null 2>&1; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  systemd-socket-activate -l "127.0.0.1:$port" --fdname=web "$GALE" serve "$root" \
    >"$tmp/sa.out" 2>"$tmp/sa.err" &
  pid=$!
  # The tool listens at once and starts gale serve on the first connection,
  # which then waits in the socket's backlog: the first curl is served.
  body=$(python3 - "$port" <<'PY'
import socket, sys, time, urllib.request
end = time.monotonic() + 10
while time.monotonic() < end:
    try:
        print(urllib.request.urlopen("http://127.0.0.1:%s/a.txt" % sys.argv[1], timeout=5).read().decode(), end="")
        sys.exit(0)
    except OSError:
        time.sleep(0.02)
sys.exit(1)
PY
)
  check "systemd-socket-activate -l 127.0.0.1:PORT gale serve DIR serves" [ "$body" = "activated" ]
  body=$(curl -sS --max-time 10 "http://127.0.0.1:$port/a.txt")
  check "and keeps serving" [ "$body" = "activated" ]
  check "on the socket it was handed" grep -q "Serving $root on http://127.0.0.1:$port/" "$tmp/sa.err"
  kill -TERM "$pid"
  wait "$pid"
  rc=$?
  pid=""
  check "SIGTERM: exit 0" [ "$rc" -eq 0 ]
  # LISTEN_FDS naming an fd that is not a socket is refused.
  sh -c 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" serve -p 0 -b 127.0.0.1 "$1" 3<"$2"' \
    "$GALE" "$root" "$root/a.txt" >"$tmp/bad.out" 2>&1 </dev/null
  rc=$?
  check "LISTEN_FDS naming a non-socket: refused, exit 1" \
    sh -c "[ $rc -eq 1 ] && grep -q 'not a listening stream socket' '$tmp/bad.out'"
else
  echo "systemd-socket-activate missing: activation part skipped"
  skipped=1
fi

cat >"$tmp/notify.py" <<'PY'
import os, signal, socket, subprocess, sys, time
gale, root, path = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(10)
env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="200000")
p = subprocess.Popen([gale, "serve", "-q", "-p", "0", "-b", "127.0.0.1", root], env=env,
                     stderr=subprocess.DEVNULL)
seen = []
def until(pred):
    end = time.monotonic() + 10
    while not pred() and time.monotonic() < end:
        try:
            seen.extend(s.recv(4096).decode().split("\n"))
        except socket.timeout:
            break
    return pred()
ok_ready = until(lambda: "READY=1" in seen)
ok_dog = until(lambda: seen.count("WATCHDOG=1") >= 3)
p.send_signal(signal.SIGTERM)
ok_stop = until(lambda: "STOPPING=1" in seen)
rc = p.wait(10)
status = [x for x in seen if x.startswith("STATUS=")]
print(ok_ready, ok_dog, ok_stop, rc, status[0] if status else "")
PY
if ldd "$B/tools/.libs/gale" "$GALE" 2>/dev/null | grep -q libsystemd; then
  out=$(timeout 30 python3 "$tmp/notify.py" "$GALE" "$root" "$tmp/notify.sock")
  set -- $out
  check "sd_notify READY=1" [ "${1:-}" = True ]
  check "WATCHDOG=1 pings at WATCHDOG_USEC / 2" [ "${2:-}" = True ]
  check "STOPPING=1 on SIGTERM" [ "${3:-}" = True ]
  check "exit 0" [ "${4:-}" = 0 ]
  check "STATUS names the socket" sh -c 'case "$1" in *"STATUS=Serving on http://127.0.0.1:"*) ;; *) false ;; esac' _ "$out"
else
  echo "gale built without libsystemd: notify part skipped"
  skipped=$((skipped + 1))
fi

echo "$n checks, $fails failed"
[ "$fails" -eq 0 ] || exit 1
[ "$n" -gt 0 ] || exit 77
