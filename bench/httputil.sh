#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/httputil.sh — HTTP utilities (headers, URL, query parsing) beside
# libevent's evhttp equivalents in one process; prints ns/op and ratios.
# Pinned to one CPU when taskset is there.
set -eu
bin="${top_builddir:-.}/bench/httputil_bench"
[ -x "$bin" ] || { echo "httputil: $bin not built (make bench builds it)"; exit 0; }
echo "== httputil: ns per operation, best of 5 rounds (ratio < 1: gale faster)"
if command -v taskset >/dev/null 2>&1; then
  taskset -c 0 "$bin" "${HTTPUTIL_N:-200000}"
else
  "$bin" "${HTTPUTIL_N:-200000}"
fi
