# SPDX-License-Identifier: MIT
# Shared scaffolding for the shell tests, sourced after `set -u`:
#   . "$top_srcdir/tests/sh_lib.sh"
# Gives: B (build dir), GALE, PY, a temporary directory $tmp removed at
# exit with every process in $pids killed, free_port, wait_port, check,
# same (gale fetch beside curl) and finish (the summary and exit status).
top_builddir=${top_builddir:-.}
B=$(cd "$top_builddir" && pwd)
GALE=$B/tools/gale
PY=/usr/bin/python3
[ -x "$GALE" ] || { echo "no $GALE"; exit 1; }

tmp=$(mktemp -d)
pids=""
n=0
fails=0
sh_lib_cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap sh_lib_cleanup EXIT INT TERM

# Skips the test (exit 77) unless every named command exists.
need() {
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || { echo "$c missing: skip"; exit 77; }
  done
}

# track PID: kill PID at exit too (for a process the test also stops itself).
track() { pids="$pids $1"; }

# wait_line FILE: the first line of FILE once it has one (a server's
# address), waiting up to 10 s.
wait_line() {
  i=0
  while [ $i -lt 200 ] && ! [ -s "$1" ]; do
    sleep 0.05
    i=$((i + 1))
  done
  head -n 1 "$1"
}

# A TCP port free on 127.0.0.1 right now.
free_port() {
  $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Waits (up to 10 s) until something accepts on 127.0.0.1:PORT.
wait_port() {
  i=0
  while [ $i -lt 100 ]; do
    $PY -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1',$1)))" && return 0
    sleep 0.1
    i=$((i + 1))
  done
  echo "server on port $1 did not start"; exit 1
}

# check NAME COMMAND...: passes when the command succeeds.
check() {
  name=$1
  shift
  n=$((n + 1))
  if "$@"; then echo "ok $n: $name"; else echo "FAIL $n: $name"; fails=$((fails + 1)); fi
}

# same ARGS...: runs curl and gale fetch with ARGS in $tmp/c and $tmp/g
# (each its own working directory), compares stdout (Date and Server lines
# dropped) and exit codes.  SAME_FILES="f1 f2" also compares those files
# written in the working directories.
same() {
  n=$((n + 1))
  rm -rf "$tmp/c" "$tmp/g"
  mkdir -p "$tmp/c" "$tmp/g"
  (cd "$tmp/c" && curl "$@" >"$tmp/c.out" 2>"$tmp/c.err"); cr=$?
  (cd "$tmp/g" && "$GALE" fetch "$@" >"$tmp/g.out" 2>"$tmp/g.err"); gr=$?
  grep -a -v -i -e '^date:' -e '^server:' "$tmp/c.out" >"$tmp/c.cmp"
  grep -a -v -i -e '^date:' -e '^server:' "$tmp/g.out" >"$tmp/g.cmp"
  for f in ${SAME_FILES:-}; do
    for side in c g; do
      echo "== $f" >>"$tmp/$side.cmp"
      [ -f "$tmp/$side/$f" ] && grep -a -v -i -e '^date:' -e '^server:' "$tmp/$side/$f" >>"$tmp/$side.cmp"
    done
  done
  if [ "$cr" != "$gr" ]; then
    echo "FAIL $n: exit codes differ (curl $cr, gale $gr): $*"; head -3 "$tmp/g.err"; fails=$((fails + 1))
  elif ! cmp -s "$tmp/c.cmp" "$tmp/g.cmp"; then
    echo "FAIL $n: outputs differ: $*"; diff "$tmp/c.cmp" "$tmp/g.cmp" | head -10; fails=$((fails + 1))
  else
    echo "ok $n: exit $gr: $*"
  fi
}

# Prints the summary; the test's exit status.
finish() {
  echo "$n checks, $fails failed"
  [ "$fails" -eq 0 ]
}
