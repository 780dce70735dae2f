#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/multipart.sh — multipart/form-data parsing: gale's whole-body and
# streaming parsers (bench/multipart_bench.c) beside Tornado's
# httputil.parse_multipart_form_data on the same body, one process each,
# pinned to one CPU when taskset is there; prints MB/s and ratios.
#   MULTIPART_MIB=64 (file part size)
set -eu
bin="${top_builddir:-.}/bench/multipart_bench"
[ -x "$bin" ] || { echo "multipart: $bin not built (make bench builds it)"; exit 0; }
mib=${MULTIPART_MIB:-64}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pin=""
command -v taskset >/dev/null 2>&1 && pin="taskset -c 0"
echo "== multipart: a ${mib} MiB upload parsed, best of 5 rounds"
$pin "$bin" "$mib" "$tmp/body" > "$tmp/gale.out"
grep -v = "$tmp/gale.out"
py=/usr/bin/python3
if $py -c 'import tornado' 2>/dev/null; then
  $pin $py - "$tmp/body" > "$tmp/tornado.out" <<'PY'
import sys, time
from tornado.httputil import parse_multipart_form_data
body = open(sys.argv[1], "rb").read()
b = b"----galebenchboundary7MA4YWxkTrZu0gW"
best = 1e9
for _ in range(5):
    args, files = {}, {}
    t0 = time.perf_counter()
    parse_multipart_form_data(b, body, args, files)
    best = min(best, time.perf_counter() - t0)
assert len(files["file"][0].body) > 0
print("tornado_s=%.6f" % best)
print("Tornado parse_multipart_form_data %8.0f MB/s" % (len(body) / 1e6 / best))
PY
  grep -v = "$tmp/tornado.out"
  awk -F'[= ]' '
    FNR == NR { for (i = 1; i <= NF; i += 2) v[$i] = $(i + 1); next }
    { for (i = 1; i <= NF; i += 2) v[$i] = $(i + 1) }
    END {
      printf "ratio gale whole / Tornado time:      x%.2f\n", v["whole_s"] / v["tornado_s"]
      printf "ratio gale stream 64K / Tornado time: x%.2f\n", v["stream64_s"] / v["tornado_s"]
      printf "ratio gale stream 1K / Tornado time:  x%.2f\n", v["stream1k_s"] / v["tornado_s"]
    }' "$(grep = "$tmp/gale.out" > "$tmp/g.kv"; echo "$tmp/g.kv")" \
       "$(grep = "$tmp/tornado.out" > "$tmp/t.kv"; echo "$tmp/t.kv")"
else
  echo "(python3-tornado not installed: no peer)"
fi
