#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/client: HTTP clients against one nginx worker (`return 200`,
# pinned to CPU 0), clients pinned to CPU 1, in one run:
#   req/s at BENCH_CONC (100) requests in flight, keep-alive:
#     gale_http_client (`gale bench -c 100`), `ab -k -c 100`,
#     `wrk -t1 -c 100` (5 s),
#     `curl --parallel --parallel-max 100` over BENCH_CURL_N URLs, and
#     Tornado's AsyncHTTPClient (max_clients=100; its simple_httpclient
#     opens a connection per request: that is how Tornado fetches);
#     also `gale bench -p 16` (pipelined, nothing to compare it with here:
#     ab and curl cannot pipeline);
#   client CPU us/request (utime+stime of the client process);
#   wall time of one `gale fetch` and one `curl` fetch, process start
#     included (hyperfine when installed, else BENCH_RUNS runs in a loop).
# Then the ratios.  Absolute numbers drift on a shared machine; compare the
# ratios within one run.
# Environment: BENCH_N (requests per client run, default 50000),
# BENCH_CONC (default 100), BENCH_CURL_N (default 20000), BENCH_RUNS
# (default 200), BENCH_REPEAT (runs per client, the fastest counts;
# default 2).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
N=${BENCH_N:-50000}
CONC=${BENCH_CONC:-100}
CURL_N=${BENCH_CURL_N:-20000}
RUNS=${BENCH_RUNS:-200}
PY=/usr/bin/python3
GALE=$top_builddir/tools/gale
# In a build tree tools/gale is libtool's wrapper script, which starts a
# shell before the real binary: time the binary itself (it links the
# shared libgale from the build tree).
if [ -x "$top_builddir/tools/.libs/gale" ]; then
  GALE=$(cd "$top_builddir" && pwd)/tools/.libs/gale
  LD_LIBRARY_PATH=$(cd "$top_builddir" && pwd)/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export LD_LIBRARY_PATH
fi
TMP=$(mktemp -d /tmp/gale-bench-client.XXXXXX)
PIDS=""
cleanup() {
  for p in $PIDS; do kill "$p" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for tool in taskset curl; do
  command -v $tool >/dev/null 2>&1 || { echo "bench/client: $tool not installed, skipped"; exit 0; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "bench/client: nginx not installed, skipped"; exit 0; }
[ -x "$GALE" ] || { echo "bench/client: $GALE not built"; exit 1; }

. "$top_srcdir/bench/lib.sh"
port=$(free_port)
nginx_hello_conf "$port" 4096
taskset -c 0 "$NGINX" -c "$TMP/nginx.conf" -p "$TMP" >"$TMP/nginx.log" 2>&1 &
PIDS="$PIDS $!"
wait_port "$port" || { echo "bench/client: nginx did not start"; cat "$TMP/nginx.log"; exit 1; }
URL=http://127.0.0.1:$port/

now() { $PY -c 'import time; print(time.monotonic())'; }

# timed NAME REQUESTS COMMAND...: runs the client on CPU 1 (BENCH_REPEAT
# times); records the requests/s from the fastest run's wall time and its
# client CPU per request (from the children's rusage, so process start is
# included).
timed() {
  name=$1 reqs=$2
  shift 2
  $PY - "$reqs" "$@" >"$TMP/timed" 2>"$TMP/$name.err" <<'EOF'
import os, resource, subprocess, sys, time
reqs, repeat = int(sys.argv[1]), int(os.environ.get("BENCH_REPEAT", "2"))
best = None
for _ in range(repeat):  # the best of a few runs: the machine is shared
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    rc = subprocess.call(["taskset", "-c", "1"] + sys.argv[2:])
    wall = time.monotonic() - t
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = ru.ru_utime + ru.ru_stime - before.ru_utime - before.ru_stime
    if rc != 0:
        break
    if best is None or wall < best[0]:
        best = (wall, cpu)
if rc != 0 or best is None:
    print("%d 0 0" % (rc or 1))
else:
    print("0 %.0f %.2f" % (reqs / best[0], best[1] / reqs * 1e6))
EOF
  set -- $(tail -n 1 "$TMP/timed")
  if [ "${1:-1}" != 0 ]; then
    printf "%-22s %s\n" "$name" "(failed)"
    tail -n 5 "$TMP/$name.err"
    return
  fi
  printf "%-22s %10s %10s\n" "$name" "$2" "$3"
  echo "$name $2 $3" >>"$TMP/results"
}

echo "nginx (1 worker, CPU 0) return 200; clients on CPU 1; $CONC in flight"
printf "%-22s %10s %10s\n" client req/s cpu-us/req

# gale bench prints its own requests/s too; the wall-clock figure is used
# for every client alike.  Its output goes to the .err file for errors.
timed gale-bench "$N" sh -c "'$GALE' bench -q -c $CONC -n $N '$URL' >'$TMP/gale.out' && grep -q ' errors 0 ' '$TMP/gale.out'"
if command -v ab >/dev/null 2>&1; then
  timed ab-k "$N" sh -c "ab -q -k -c $CONC -n $N '$URL' >'$TMP/ab.out' 2>&1 && grep -q '^Failed requests: *0' '$TMP/ab.out'"
else
  echo "ab-k                   (ab not installed)"
fi
# wrk runs for a duration, not a count: its own count and time give the
# rate, the children's rusage the CPU (the best of BENCH_REPEAT runs).
if command -v wrk >/dev/null 2>&1; then
  $PY - "$URL" "$CONC" >"$TMP/timed" 2>"$TMP/wrk.err" <<'EOF'
import os, re, resource, subprocess, sys
url, conc = sys.argv[1], sys.argv[2]
best = None
for _ in range(int(os.environ.get("BENCH_REPEAT", "2"))):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", "-c", conc, "-d", "5s", url],
                         capture_output=True, text=True).stdout
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    m = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
    if not m or "Non-2xx" in out or "Socket errors" in out:
        sys.stderr.write(out)
        break
    n, secs = int(m.group(1)), float(m.group(2)) / (1000 if m.group(3) == "ms" else 1)
    cpu = ru.ru_utime + ru.ru_stime - before.ru_utime - before.ru_stime
    if best is None or n / secs > best[0]:
        best = (n / secs, cpu / n * 1e6)
print("1 0 0" if best is None else "0 %.0f %.2f" % best)
EOF
  set -- $(tail -n 1 "$TMP/timed")
  if [ "${1:-1}" = 0 ]; then
    printf "%-22s %10s %10s\n" wrk "$2" "$3"
    echo "wrk $2 $3" >>"$TMP/results"
  else
    printf "%-22s %s\n" wrk "(failed)"
    tail -n 5 "$TMP/wrk.err"
  fi
else
  echo "wrk                    (wrk not installed)"
fi
i=0
while [ $i -lt "$CURL_N" ]; do
  printf 'url = "%s"\noutput = "/dev/null"\n' "$URL"
  i=$((i + 1))
done >"$TMP/curl.cfg"
timed curl-parallel "$CURL_N" curl -s -f --parallel --parallel-max "$CONC" -K "$TMP/curl.cfg"
if $PY -c 'import tornado' 2>/dev/null; then
  cat >"$TMP/tornado_client.py" <<'EOF'
import sys
from tornado import gen, httpclient, ioloop

url, n, conc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

async def main():
    client = httpclient.AsyncHTTPClient(max_clients=conc)
    left = [n]
    errors = [0]

    async def worker():
        while left[0] > 0:
            left[0] -= 1
            try:
                await client.fetch(url)
            except Exception:
                errors[0] += 1

    await gen.multi([worker() for _ in range(conc)])
    sys.exit(1 if errors[0] else 0)

ioloop.IOLoop.current().run_sync(main)
EOF
  TN=$((N / 5))
  timed tornado "$TN" $PY "$TMP/tornado_client.py" "$URL" "$TN" "$CONC"
else
  echo "tornado                (not installed)"
fi
timed gale-bench-p16 "$N" sh -c "'$GALE' bench -q -c $CONC -p 16 -n $N '$URL' >'$TMP/galep.out' && grep -q ' errors 0 ' '$TMP/galep.out'"

echo
echo "one fetch, process start included ($RUNS runs each, CPU 1)"
if command -v hyperfine >/dev/null 2>&1; then
  taskset -c 1 hyperfine -N -w 10 -r "$RUNS" --export-csv "$TMP/hf.csv" \
    "$GALE fetch -s -o /dev/null $URL" "curl -s -o /dev/null $URL" >/dev/null 2>&1
  gale_ms=$(awk -F, 'NR == 2 { printf "%.3f", $2 * 1000 }' "$TMP/hf.csv")
  curl_ms=$(awk -F, 'NR == 3 { printf "%.3f", $2 * 1000 }' "$TMP/hf.csv")
else
  fetch_ms() {
    taskset -c 1 $PY - "$RUNS" "$@" <<'EOF'
import subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
for _ in range(10):
    subprocess.call(cmd)
t = time.monotonic()
for _ in range(runs):
    if subprocess.call(cmd) != 0:
        sys.exit(1)
print("%.3f" % ((time.monotonic() - t) / runs * 1000))
EOF
  }
  gale_ms=$(fetch_ms "$GALE" fetch -s -o /dev/null "$URL")
  curl_ms=$(fetch_ms curl -s -o /dev/null "$URL")
fi
printf "%-22s %8s ms\n" "gale fetch" "$gale_ms" "curl" "$curl_ms"

echo
echo "ratios (higher is better for gale)"
awk -v g="$gale_ms" -v c="$curl_ms" '
  { rps[$1] = $2; us[$1] = $3 }
  END {
    if (!("gale-bench" in rps)) { print "  (gale bench not measured)"; exit }
    for (s in rps) if (s != "gale-bench" && s != "gale-bench-p16")
      printf "  gale bench / %-14s req/s x%.2f   client CPU/req x%.2f (lower is better)\n", s,
        rps["gale-bench"] / rps[s], us["gale-bench"] / us[s]
    if ("gale-bench-p16" in rps)
      printf "  gale bench -p 16 / gale bench      req/s x%.2f\n", rps["gale-bench-p16"] / rps["gale-bench"]
    if (g > 0) printf "  curl time / gale fetch time        x%.2f (>= 1: gale fetch no slower)\n", c / g
  }' "$TMP/results"
