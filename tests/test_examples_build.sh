#!/bin/sh
# SPDX-License-Identifier: MIT
# What a user copying examples/ meets: each example compiles with gcc and
# with clang (when installed) at -Wall -Wextra -Werror, against the public
# headers only, and links against the shared libgale alone (plus jansson
# for the one that calls it) — no internal header, no hidden symbol.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/sh_lib.sh"
lib=$B/.libs/libgale.so
[ -f "$lib" ] || { echo "no shared $lib: skip"; exit 77; }
for cc in gcc clang-14 clang; do
  command -v "$cc" >/dev/null 2>&1 || continue
  for e in hello echo_server fetch resolve coro_echo crawler chat websocket_echo; do
    extra=""
    [ "$e" = chat ] && extra=$(pkg-config --libs jansson)
    check "$cc builds examples/$e.c" "$cc" -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror \
      -I"$top_srcdir/include" -I"$B/include" "$top_srcdir/examples/$e.c" -o "$tmp/$e" \
      -L"$B/.libs" -lgale $extra -Wl,-rpath,"$B/.libs"
  done
  [ "$cc" = clang-14 ] && break # clang is the same compiler
done
check "hello loads the shared libgale" \
  sh -c "LD_LIBRARY_PATH='$B/.libs' ldd '$tmp/hello' | grep -q libgale"
finish
