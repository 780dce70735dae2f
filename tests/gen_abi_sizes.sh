#!/bin/sh
# SPDX-License-Identifier: MIT
# Writes tests/abi_sizes.h (the frozen sizes test_abi checks) from the
# headers as they are: run it only when the ABI is meant to change (a new
# soname), never to make test_abi pass.  Usage: tests/gen_abi_sizes.sh BUILDDIR
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
b=$(cd "${1:-.}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
list=$(sed -n '/^#define ABI_STRUCTS/,/^$/p' "$top/tests/test_abi.c" | grep -o 'X(gale_[a-z_0-9]*)' | sed 's/X(\(.*\))/\1/')
{
  echo '#include <stdio.h>'
  echo '#include "gale.h"'
  echo 'int main(void) {'
  for t in $list; do printf '  printf("#define ABI_SIZE_%s %%zu\\n", sizeof(%s));\n' "$t" "$t"; done
  echo '  return 0;'
  echo '}'
} > "$tmp/gen.c"
cc -std=c11 -D_GNU_SOURCE -I"$top/include" -I"$b/include" "$tmp/gen.c" -o "$tmp/gen"
{
  echo '/* SPDX-License-Identifier: MIT */'
  echo '/* The frozen sizes of the public structs under the ABI policy, x86-64'
  echo ' * Linux; written by tests/gen_abi_sizes.sh when the ABI changes. */'
  "$tmp/gen"
} > "$top/tests/abi_sizes.h"
