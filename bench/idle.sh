#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/idle: user-space memory per idle connection, gale_stream beside a
# plain libevent bufferevent, with N (default 10000) loopback connections
# each having answered one line.  Heap = malloc'd bytes in use (mallinfo2),
# RSS = resident memory growth; both per connection above the baseline of
# the accepted sockets.
set -u
: "${top_builddir:=.}"
N=${IDLE_CONNS:-10000}
prog="$top_builddir/bench/idle_streams"
[ -x "$prog" ] || { echo "build it first: make bench" >&2; exit 1; }
g=$("$prog" gale "$N") || exit 1
b=$("$prog" bufferevent "$N") || exit 1
echo "$g"
echo "$b"
gh=$(echo "$g" | sed 's/.*heap_bytes_per_conn=\([-0-9]*\).*/\1/')
bh=$(echo "$b" | sed 's/.*heap_bytes_per_conn=\([-0-9]*\).*/\1/')
gr=$(echo "$g" | sed 's/.*rss_bytes_per_conn=\([-0-9]*\).*/\1/')
br=$(echo "$b" | sed 's/.*rss_bytes_per_conn=\([-0-9]*\).*/\1/')
awk -v gh="$gh" -v bh="$bh" -v gr="$gr" -v br="$br" 'BEGIN {
  printf "idle memory per connection: gale %d B heap (%d B RSS), bufferevent %d B heap (%d B RSS)\n", gh, gr, bh, br
  if (bh > 0) printf "ratio gale/bufferevent heap: %.2f\n", gh / bh
  if (br > 0) printf "ratio gale/bufferevent RSS:  %.2f\n", gr / br
}'
