#!/bin/sh
# SPDX-License-Identifier: MIT
# The bash completion (tools/completion/gale) offers the commands and each
# command's options as its --help lists them; the zsh one loads, when zsh
# is installed.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/sh_lib.sh"
need bash
comp() { # comp WORDS...: what bash offers for the last word
  bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _gale; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$top_srcdir/tools/completion/gale" "$@"
}
check "commands" sh -c "[ \"\$(cd '$tmp' && bash -c '. \"$top_srcdir/tools/completion/gale\"; COMP_WORDS=(\"$GALE\" f); COMP_CWORD=1; _gale; echo \${COMPREPLY[*]}')\" = fetch ]"
comp "$GALE" fetch --ret > "$tmp/o1"
check "fetch --ret offers the retry options" grep -qx -- '--retry-all-errors' "$tmp/o1"
comp "$GALE" fetch --http > "$tmp/o2"
check "fetch --http offers --http1.1" grep -qx -- '--http1.1' "$tmp/o2"
comp "$GALE" serve --wor > "$tmp/o3"
check "serve --wor offers --workers" grep -qx -- '--workers' "$tmp/o3"
mkdir -p "$tmp/dir/sub" && touch "$tmp/dir/file.txt"
comp "$GALE" fetch -o "$tmp/dir/fi" > "$tmp/o4"
check "-o completes file names" grep -qx -- "$tmp/dir/file.txt" "$tmp/o4"
if command -v zsh >/dev/null 2>&1; then
  check "the zsh completion parses" zsh -n "$top_srcdir/tools/completion/_gale"
fi
finish
