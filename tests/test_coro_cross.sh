#!/bin/sh
# SPDX-License-Identifier: MIT
# The other architecture's hand-written coroutine switch, run under qemu:
# builds tests/test_coro_switch.c with core/coro_switch.c for aarch64 (from
# x86-64) or x86-64 (from aarch64), statically, and runs it with
# qemu-user.  Skips (77) when the cross compiler or qemu is not installed
# (apt-get install gcc-aarch64-linux-gnu qemu-user).
set -u
srcdir=${top_srcdir:-$(dirname "$0")/..}
case $(uname -m) in
  x86_64) cc=aarch64-linux-gnu-gcc qemu=qemu-aarch64 ;;
  aarch64) cc=x86_64-linux-gnu-gcc qemu=qemu-x86_64 ;;
  *) echo "no cross check from $(uname -m)"; exit 77 ;;
esac
if ! command -v "$cc" >/dev/null 2>&1 || ! command -v "$qemu" >/dev/null 2>&1; then
  echo "SKIP: $cc or $qemu not installed"
  exit 77
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$cc" -O2 -std=c11 -static -Wall -Wextra -Werror -I"$srcdir" -I"$srcdir/include" \
  "$srcdir/tests/test_coro_switch.c" "$srcdir/core/coro_switch.c" -o "$out/switch" || exit 1
"$qemu" "$out/switch"
