#!/bin/sh
# SPDX-License-Identifier: MIT
# `gale serve` stops gracefully: SIGTERM during 10 slow downloads (curl
# --limit-rate) stops accepting at once, lets every download finish with
# all its bytes, and exits 0; a second signal stops at once.  Under
# valgrind when available, and the server must leak
# nothing (both runs, graceful and cut short).  Events are waited for
# through fifos, never by sleeping.
# Skips (exit 77) without curl.
set -u
top_builddir=${top_builddir:-.}
B=$(cd "$top_builddir" && pwd)
GALE=$B/tools/gale
command -v curl >/dev/null 2>&1 || { echo "curl missing: skip"; exit 77; }
[ -x "$GALE" ] || { echo "no $GALE"; exit 1; }
# Under valgrind when it is there (GALE_VALGRIND=0: never), unless the
# build has ASan, whose leak check runs at exit anyway.
use_vg=${GALE_VALGRIND:-1}
command -v valgrind >/dev/null 2>&1 || use_vg=0
# tools/gale is libtool's wrapper script around tools/.libs/gale, which
# links the shared libgale: look at the real binary, and run valgrind through
# libtool so it checks that binary, not the wrapper's shell.
GALE_ELF=$GALE
[ -x "$B/tools/.libs/gale" ] && GALE_ELF=$B/tools/.libs/gale
ldd "$GALE_ELF" 2>/dev/null | grep -q libasan && use_vg=0
VG=""

tmp=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
  exec 3<&- 4<&- 2>/dev/null
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

n=0
fails=0
check() { # check NAME COMMAND...: passes when the command succeeds
  name=$1
  shift
  n=$((n + 1))
  if "$@"; then echo "ok $n: $name"; else echo "FAIL $n: $name"; fails=$((fails + 1)); fi
}

root=$tmp/root
mkdir -p "$root"
# Larger than what loopback's socket buffers hold, so each download is
# still being sent when the signal comes.
head -c 16000000 /dev/urandom >"$root/data.bin"
want=$(cksum <"$root/data.bin")
mkfifo "$tmp/err" "$tmp/go"
exec 4<>"$tmp/go" # held open both ways: writers and the reader never block on open

# Starts gale serve (under $VG) with the given arguments; sets pid and
# port.  Its stderr comes through a fifo on fd 3: wait_log reads it line by
# line (into $tmp/log), end_log takes the rest once it exited.
start_serve() {
  : >"$tmp/log"
  $VG "$GALE" serve -p 0 -b 127.0.0.1 "$@" "$root" 2>"$tmp/err" &
  pid=$!
  exec 3<"$tmp/err"
  wait_log "^Serving "
  port=$(sed -n 's|^Serving .* on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$tmp/log")
  [ -n "$port" ] || { echo "gale serve did not start:"; cat "$tmp/log"; exit 1; }
}

wait_log() { # wait_log PATTERN: reads stderr lines until one matches
  while IFS= read -r line <&3; do
    printf '%s\n' "$line" >>"$tmp/log"
    printf '%s\n' "$line" | grep -q "$1" && return 0
  done
  echo "gale serve's stderr ended before: $1"
  cat "$tmp/log"
  return 1
}

end_log() {
  cat <&3 >>"$tmp/log"
  exec 3<&-
}

# Starts download $1 at $2 bytes/s; says "started" on the go fifo once its
# first byte arrived, and leaves curl's exit status in $tmp/rc$1.
download() {
  { curl -s --limit-rate "$2" "http://127.0.0.1:$port/data.bin"; echo $? >"$tmp/rc$1"; } |
    { dd bs=1 count=1 2>/dev/null; echo started >&4; cat; } | cksum >"$tmp/out$1" &
}

wait_started() { # wait_started N: until N downloads have their first byte
  k=0
  while [ $k -lt "$1" ] && read -r _ <&4; do k=$((k + 1)); done
}

all_complete() { # all_complete N: every download exited 0 with every byte
  for i in $(seq 1 "$1"); do
    [ "$(cat "$tmp/rc$i" 2>/dev/null)" = 0 ] || { echo "download $i: curl status $(cat "$tmp/rc$i" 2>/dev/null)"; return 1; }
    [ "$(cat "$tmp/out$i")" = "$want" ] || { echo "download $i: cksum $(cat "$tmp/out$i")"; return 1; }
  done
}

# ---- SIGTERM during 10 slow downloads: all finish, exit 0 ---------------
vg() { # vg N: the valgrind command for run N (none without valgrind)
  [ "$use_vg" = 1 ] || return 0
  echo "$B/libtool --mode=execute valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --log-file=$tmp/vg$1"
}
no_vg_report() { # no_vg_report N
  [ -z "$VG" ] && return 0
  # Errors and leaks are "==PID==" lines; "--PID--" lines are valgrind's
  # own notes (valgrind 3.19 does not know openat2, which the static
  # handler then replaces with its fallback path).
  grep -q '^==' "$tmp/vg$1" && { grep '^==' "$tmp/vg$1"; return 1; }
  return 0
}
VG=$(vg 1)
start_serve
for i in $(seq 1 10); do download "$i" 4M; done
wait_started 10
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=""
end_log
check "exit status 0 after SIGTERM (got $rc)" [ "$rc" -eq 0 ]
wait # the downloads
check "all 10 downloads complete with every byte" all_complete 10
check "the stop is logged" grep -q "stopping" "$tmp/log"
[ -n "$VG" ] && check "valgrind: no leak, no error" no_vg_report 1
VG=$(vg 2)

# ---- listening stops at once; a second signal stops now -----------------
rm -f "$tmp"/rc* "$tmp"/out*
start_serve
download 1 1M
wait_started 1
kill -TERM "$pid"
wait_log "stopping" # logged once the listening socket is closed
curl -s -o /dev/null "http://127.0.0.1:$port/data.bin"
crc=$?
check "a new client is refused while draining (curl status $crc)" [ "$crc" -eq 7 ]
kill -INT "$pid"
wait "$pid"
rc=$?
pid=""
end_log
check "a second signal stops at once, exit 0 (got $rc)" [ "$rc" -eq 0 ]
wait
check "the cut download is reported by curl" [ "$(cat "$tmp/rc1")" != 0 ]
[ -n "$VG" ] && check "valgrind after a stop cut short: no leak, no error" no_vg_report 2

echo "$n checks, $fails failed"
[ "$fails" -eq 0 ]
