#!/bin/bash
# SPDX-License-Identifier: MIT
# `make demo`: gale's main job in one go — start the hello-world server
# (examples/hello) on a free port, fetch from it with the gale CLI, stop it.
set -eu
builddir=${1:-.}
port=${PORT:-8888}
# Pick a free port if the default is taken.
while (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; do port=$((port + 1)); done
"$builddir/examples/hello" "$port" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT INT TERM
i=0
until (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; do
  i=$((i + 1)); [ $i -gt 200 ] && { echo "demo: server did not start" >&2; exit 1; }
  sleep 0.05
done
echo "demo: examples/hello is listening on 127.0.0.1:$port; fetching / with the gale CLI:"
"$builddir/tools/gale" fetch -i "http://127.0.0.1:$port/"
echo
