#!/bin/sh
# SPDX-License-Identifier: MIT
# The layering of DESIGN.md, checked: every #include "dir/..." of a source
# file names its own folder or one below it.  Order, lowest first:
#   core < resolver < iostream < http/util < http/wire
#        < http/server, http/client (siblings: neither includes the other)
#        < http/web < tools
# tools/ and examples/ use the public headers only ("gale.h", "gale/...").
# Fails with the offending lines.
set -u
top=${top_srcdir:-.}
cd "$top" || exit 1

rank() {
  case $1 in
    core) echo 1 ;; resolver) echo 2 ;; iostream) echo 3 ;;
    http/util) echo 4 ;; http/wire|http/h2) echo 5 ;;
    http/server|http/client|http/websocket|http/template) echo 6 ;;
    http/web) echo 7 ;;
    *) echo 0 ;;
  esac
}

# The folder of a path: http/ rooms are two levels deep, the rest one.
folder() {
  case $1 in
    http/*/*) echo "$1" | cut -d/ -f1-2 ;;
    *) echo "$1" | cut -d/ -f1 ;;
  esac
}

check() {
for f in $(find core resolver iostream http tools examples -name '*.[ch]' | sort); do
  from=$(folder "$f")
  rf=$(rank "$from")
  grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
  sed 's/^\([0-9]*\):.*"\(.*\)".*/\1 \2/' | while read -r line inc; do
    case $inc in gale.h|gale/*|*/*) ;; *) continue ;; esac
    case $inc in gale.h|gale/*) continue ;; esac
    case $from in
      tools|examples)
        # The CLI's own headers sit beside it; nothing internal.
        echo "$f:$line: $from includes internal \"$inc\" (public API only)"
        continue ;;
    esac
    to=$(folder "$inc")
    rt=$(rank "$to")
    if [ "$rt" -eq 0 ]; then
      echo "$f:$line: includes \"$inc\" from an unknown folder"
    elif [ "$to" != "$from" ] && [ "$rt" -ge "$rf" ]; then
      echo "$f:$line: $from includes \"$inc\" ($to is not below $from)"
    fi
  done
done
}
out=$(check)
if [ -n "$out" ]; then
  echo "$out"
  echo "layers: includes must run downward (DESIGN.md, Layers)"
  exit 1
fi
echo "layers: every include runs downward"
