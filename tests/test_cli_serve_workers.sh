#!/bin/sh
# SPDX-License-Identifier: MIT
# `gale serve --workers N`: N worker processes serve the same port; a
# worker killed is started again; SIGHUP replaces every worker one at a
# time while a request loop sees zero failures; SIGTERM stops the workers
# and the supervisor exits 0 with none left.  (The request loop spans the
# SIGHUP only: a worker killed with SIGKILL loses what it was answering.)  Worker pids come from
# /proc/PID/task/PID/children.  Polls with timeouts, never sleeps to wait.
# Skips (exit 77) without python3 or /proc children lists.
set -u
top_builddir=${top_builddir:-.}
B=$(cd "$top_builddir" && pwd)
GALE=$B/tools/gale
command -v python3 >/dev/null 2>&1 || { echo "python3 missing: skip"; exit 77; }
[ -r /proc/self/task/$$/children ] || { echo "no /proc children lists: skip"; exit 77; }

tmp=$(mktemp -d)
sup=""
cleanup() {
  if [ -n "$sup" ]; then
    for p in $(cat /proc/$sup/task/$sup/children 2>/dev/null); do kill -KILL "$p"; done
    kill -KILL "$sup" 2>/dev/null
  fi
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
mkdir -p "$tmp/root"
printf 'worker\n' >"$tmp/root/a.txt"

kids() { cat "/proc/$sup/task/$sup/children" 2>/dev/null; }
# Waits until the supervisor has exactly N children, none of them in OLD.
wait_kids() {
  python3 - "$sup" "$1" "${2:-}" <<'PY'
import sys, time
sup, want, old = sys.argv[1], int(sys.argv[2]), set(sys.argv[3].split())
end = time.monotonic() + 20
while time.monotonic() < end:
    try:
        k = open("/proc/%s/task/%s/children" % (sup, sup)).read().split()
    except OSError:
        k = []
    if len(k) == want and not (set(k) & old):
        sys.exit(0)
    time.sleep(0.02)
sys.exit(1)
PY
}
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

"$GALE" serve --workers 2 -p 0 -b 127.0.0.1 "$tmp/root" 2>"$tmp/log" &
sup=$!
wait_log "Serving .* on http://127.0.0.1:[0-9]+/" 3 || { cat "$tmp/log"; exit 1; }
port=$(sed -n 's|^Serving .* on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$tmp/log" | head -1)
check "two workers" wait_kids 2
first=$(kids)

cat >"$tmp/loop.py" <<'PY'
import http.client, os, sys
port, stopfile = int(sys.argv[1]), sys.argv[2]
ok = bad = 0
while not os.path.exists(stopfile):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/a.txt", headers={"Connection": "close"})
        r = c.getresponse()
        if r.status == 200 and r.read() == b"worker\n": ok += 1
        else: bad += 1
        c.close()
    except Exception as e:
        bad += 1
print(ok, bad)
PY
victim=$(echo $first | cut -d' ' -f1)
kill -KILL "$victim"
check "a killed worker is started again" wait_kids 2 "$victim"
check "and logged" wait_log "worker [01] \\(pid $victim\\) killed by signal 9; starting it again"

python3 "$tmp/loop.py" "$port" "$tmp/stop" >"$tmp/loop.out" &
looppid=$!

before=$(kids)
kill -HUP "$sup"
check "SIGHUP: every worker replaced" wait_log "all 2 workers replaced"
check "two new workers, none of the old" wait_kids 2 "$before"
check "in order: worker 0 then worker 1" sh -c "grep -n 'worker [01]: pid' '$tmp/log' | head -2 |
  sed 's/.*worker \\([01]\\):.*/\\1/' | tr -d '\\n' | grep -qx 01"

touch "$tmp/stop"
wait "$looppid"
read -r ok bad <"$tmp/loop.out"
echo "request loop (a new connection each) across a rolling SIGHUP: $ok ok, $bad failed"
check "zero failed requests" [ "$bad" -eq 0 ]
check "requests kept flowing" [ "$ok" -gt 20 ]

kill -TERM "$sup"
wait "$sup"
rc=$?
check "SIGTERM: the supervisor exits 0" [ "$rc" -eq 0 ]
check "after its workers stopped" [ "$(grep -c 'gale serve: stopped' "$tmp/log")" -ge 3 ]
sup=""
"$GALE" serve --workers -1 "$tmp/root" >/dev/null 2>&1 </dev/null
check "--workers -1: usage error" [ $? -eq 2 ]

echo "$n checks, $fails failed"
[ "$fails" -eq 0 ]
