#!/bin/sh
# SPDX-License-Identifier: MIT
# `gale serve`'s zero-downtime restart on SIGHUP: a request loop runs across
# two restarts with zero failures; each new process is running the binary
# now at the started path (an upgrade is: move a new binary there, send
# SIGHUP); the old one drains and exits 0; the port stays the same (the
# sockets are handed over).  A broken new binary (exits at once) leaves the
# old process serving, and a later good restart still works.  Waits by
# polling logs and sockets with timeouts, never by sleeping.  Skips (exit
# 77) without python3.
set -u
top_builddir=${top_builddir:-.}
B=$(cd "$top_builddir" && pwd)
command -v python3 >/dev/null 2>&1 || { echo "python3 missing: skip"; exit 77; }
[ -x "$B/tools/gale" ] || { echo "no $B/tools/gale"; exit 1; }

tmp=$(mktemp -d)
pids=""
cleanup() {
  for p in $pids; do kill -KILL "$p" 2>/dev/null; done
  [ -f "$tmp/log" ] && for p in $(sed -n 's/.*restarted: pid \([0-9]*\) accepts.*/\1/p' "$tmp/log"); do
    kill -KILL "$p" 2>/dev/null
  done
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

mkdir -p "$tmp/bin" "$tmp/root"
# The binary itself (under libtool's wrapper script when gale links the
# uninstalled shared library, which LD_LIBRARY_PATH then finds).
if [ -x "$B/tools/.libs/gale" ]; then
  cp "$B/tools/.libs/gale" "$tmp/bin/gale"
  LD_LIBRARY_PATH="$B/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export LD_LIBRARY_PATH
else
  cp "$B/tools/gale" "$tmp/bin/gale"
fi
printf 'restart me\n' >"$tmp/root/a.txt"
GALE=$tmp/bin/gale

# Waits (up to 20 s) for PATTERN to occur COUNT times in the log.
wait_log() {
  python3 - "$tmp/log" "$1" "${2:-1}" <<'PY'
import re, sys, time
end = time.monotonic() + 20
while time.monotonic() < end:
    if len(re.findall(sys.argv[2], open(sys.argv[1]).read())) >= int(sys.argv[3]):
        sys.exit(0)
    time.sleep(0.02)
sys.exit(1)
PY
}
# Exit status of a process that is not our child: gone or not.
gone() {
  python3 - "$1" <<'PY'
import os, sys, time
end = time.monotonic() + 40
while time.monotonic() < end:
    try:
        os.kill(int(sys.argv[1]), 0)
    except ProcessLookupError:
        sys.exit(0)
    time.sleep(0.02)
sys.exit(1)
PY
}

"$GALE" serve -p 0 -b 127.0.0.1 "$tmp/root" 2>"$tmp/log" &
pid0=$!
pids="$pid0"
wait_log "Serving .* on http://127.0.0.1:[0-9]+/" || { cat "$tmp/log"; exit 1; }
port=$(sed -n 's|^Serving .* on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$tmp/log" | head -1)

# The request loop: new connections and keep-alive ones, until told to stop.
cat >"$tmp/loop.py" <<'PY'
import http.client, os, sys, time
port, stopfile = int(sys.argv[1]), sys.argv[2]
ok = bad = retries = 0
errors = []
conn = None
while not os.path.exists(stopfile):
    try:
        if conn is None or ok % 5 == 0:
            if conn: conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/a.txt")
        r = conn.getresponse()
        body = r.read()
        if r.status == 200 and body == b"restart me\n":
            ok += 1
        else:
            bad += 1
            errors.append("status %d" % r.status)
        if r.getheader("Connection", "").lower() == "close":
            conn.close()
            conn = None
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as e:
        # A keep-alive connection the old process closed while idle: the
        # request never reached it (as any HTTP client, retry on a new one).
        conn = None
        retries += 1
        try:
            c2 = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c2.request("GET", "/a.txt")
            r = c2.getresponse()
            if r.status == 200 and r.read() == b"restart me\n": ok += 1
            else: bad += 1; errors.append("retry status %d" % r.status)
            c2.close()
        except Exception as e2:
            bad += 1
            errors.append("retry: %r" % e2)
    except Exception as e:
        bad += 1
        errors.append(repr(e))
        conn = None
print(ok, bad, retries, "; ".join(errors[:3]))
PY
python3 "$tmp/loop.py" "$port" "$tmp/stop" >"$tmp/loop.out" &
looppid=$!

# Restart 1: the same binary.
kill -HUP "$pid0"
check "restart 1: the new process accepts" wait_log "restarted: pid [0-9]+ accepts" 1
pid1=$(sed -n 's/.*restarted: pid \([0-9]*\) accepts.*/\1/p' "$tmp/log" | sed -n 1p)
wait "$pid0"
rc0=$?
check "the old process exits 0" [ "$rc0" -eq 0 ]
pids=""
check "the new one serves on the same port" wait_log "Serving .* on http://127.0.0.1:$port/" 2

# A broken new binary: the running one keeps serving.
mv "$GALE" "$tmp/bin/gale.good"
printf '#!/bin/sh\necho broken >&2\nexit 3\n' >"$GALE"
chmod +x "$GALE"
kill -HUP "$pid1"
check "a broken binary: restart failed, still serving" wait_log "restart failed: .*still serving \\(pid $pid1\\)"
check "pid $pid1 still runs" kill -0 "$pid1"

# Restart 2: the good binary back at the path (an upgrade).
mv "$tmp/bin/gale.good" "$GALE"
kill -HUP "$pid1"
check "restart 2: the new process accepts" wait_log "restarted: pid [0-9]+ accepts" 2
pid2=$(sed -n 's/.*restarted: pid \([0-9]*\) accepts.*/\1/p' "$tmp/log" | sed -n 2p)
check "the second old process is gone" gone "$pid1"
check "exit 0 logged by it" wait_log "gale serve: stopped" 2

touch "$tmp/stop"
wait "$looppid"
read -r ok bad retries rest <"$tmp/loop.out"
echo "request loop across 2 restarts and a failed one: $ok ok, $bad failed," \
  "$retries idle keep-alive connections closed by a draining process and retried ${rest:-}"
check "zero failed requests" [ "$bad" -eq 0 ]
check "requests kept flowing" [ "$ok" -gt 20 ]
kill -TERM "$pid2"
check "SIGTERM to the last one: it stops" gone "$pid2"

echo "$n checks, $fails failed"
[ "$fails" -eq 0 ]
