#!/bin/sh
# SPDX-License-Identifier: MIT
# gale fetch's curl flags beyond the basics (tests/test_cli.sh has those),
# each run through curl and through gale fetch against the same Tornado
# peer (tests/cli_flags_app.py): the same output, files and exit code.
# Skips (exit 77) without curl, openssl or Tornado.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/sh_lib.sh"
need curl openssl
$PY -c 'import tornado' 2>/dev/null || { echo "tornado missing: skip"; exit 77; }

mkdir -p "$tmp/www"
(cd "$tmp" && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc -keyout key.pem \
  -out cert.pem -days 2 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 2>/dev/null)
port=$(free_port); tport=$(free_port); rport=$(free_port)
$PY "$top_srcdir/tests/cli_flags_app.py" "$port" "$tport" "$rport" "$tmp/www" \
  "$tmp/cert.pem" "$tmp/key.pem" >"$tmp/app.log" 2>&1 &
pids="$pids $!"
wait_port "$port"; wait_port "$tport"; wait_port "$rport"
base="http://127.0.0.1:$port"

echo hello > "$tmp/data.txt"
printf 'X-From-File: one\r\nX-Test: two\n\nAccept:\n' > "$tmp/headers.txt"
touch -d '2021-03-04 05:06:07 UTC' "$tmp/data.txt"

# -H: "Name:" removes what curl/gale would add; @file reads one per line.
same -s -H "Accept:" "$base/echo"
same -s -H "User-Agent:" "$base/echo"
same -s -H "Content-Type:" -d "a=1" "$base/echo"
same -s -H @"$tmp/headers.txt" "$base/echo"
same -s -H @"$tmp/missing" "$base/echo"
# -z: a date, a file's time, If-Unmodified-Since with '-', neither.
same -s -z "Thu, 04 Mar 2021 05:06:07 GMT" "$base/echo"
same -s -z "$tmp/data.txt" "$base/echo"
same -s -z "-$tmp/data.txt" "$base/echo"
same -s -z "not a date" "$base/echo"
# --data-urlencode's five forms.
printf 'a b&c=d' > "$tmp/enc.txt"
same -s --data-urlencode "x y" "$base/echo"
same -s --data-urlencode "=x y" "$base/echo"
same -s --data-urlencode "n=x y" "$base/echo"
same -s --data-urlencode "@$tmp/enc.txt" "$base/echo"
same -s --data-urlencode "n@$tmp/enc.txt" "$base/echo"
# -F with ;filename= and ;type= in either order, quoted values.
same -s -F "f=@$tmp/data.txt;filename=renamed.txt" "$base/form"
same -s -F "f=@$tmp/data.txt;type=text/x-test;filename=r.bin" "$base/form"
same -s -F "f=@$tmp/data.txt;filename=\"semi;colon.txt\";type=a/b" "$base/form"
same -s -F "f=<$tmp/data.txt;filename=inline.txt" "$base/form"
# -T URL/ appends the file name.
same -s -T "$tmp/data.txt" "$base/up/"
same -s -T "$tmp/data.txt" "$base/up/given"
# -L -T: 307/308 send the file again (PUT kept); 301/302 too (PUT is no
# POST); 303 turns it into a GET; --post301/302/303 keep a POST and its body.
same -s -L -T "$tmp/data.txt" "$base/redirect/307"
same -s -L -T "$tmp/data.txt" "$base/redirect/308"
same -s -L -T "$tmp/data.txt" "$base/redirect/302"
same -s -L -T "$tmp/data.txt" "$base/redirect/303"
same -s -L -d "x=1" --post301 "$base/redirect/301"
same -s -L -d "x=1" --post302 "$base/redirect/302"
same -s -L -d "x=1" --post303 "$base/redirect/303"
same -s -L -d "x=1" --post301 "$base/redirect/302"
# -i -o FILE: the headers go to the file too.
SAME_FILES=out same -s -i -o out "$base/status/201"
# -D gets the trailers.
same -s -D - "http://127.0.0.1:$rport/"
SAME_FILES=h same -s -D h -o /dev/null "http://127.0.0.1:$rport/"
# A CA file that cannot be read: 77 as curl.
same -s --cacert "$tmp/missing.pem" "https://127.0.0.1:$tport/echo"
same -s --cacert "$tmp/cert.pem" "https://127.0.0.1:$tport/echo"
# -w: %{redirect_url} is absolute; %{json} and %{header_json} hold the
# same keys and values as curl's (times and versions aside).
same -s -o /dev/null -w '%{redirect_url}\n' "$base/redirect/302"
same -s -o /dev/null -w '%{redirect_url}|%{num_headers}|%{urlnum}\n' "$base/status/200" "$base/echo"
json_same() { # json_same ARGS...: the JSON objects agree on the keys compared
  n=$((n + 1))
  curl "$@" >"$tmp/c.json" 2>/dev/null
  "$GALE" fetch "$@" >"$tmp/g.json" 2>/dev/null
  if $PY - "$tmp/c.json" "$tmp/g.json" <<'PYEOF'
import json, sys
c, g = (json.load(open(f)) for f in sys.argv[1:3])
skip = {"curl_version", "date", "server"}
def norm(d):
    if d.get("errormsg"):  # the wording differs; whether there is one must not
        d["errormsg"] = "yes"
    if "time_total" in d:  # %{json}: the variables gale knows, no times
        return {k: v for k, v in d.items() if k in g and not k.startswith(("time_", "speed_"))
                and k not in skip and k not in ("local_port", "size_request", "size_upload")}
    return {k: v for k, v in d.items() if k not in skip}
if norm(c) != norm(g):
    print("curl:", norm(c)); print("gale:", norm(g)); sys.exit(1)
PYEOF
  then echo "ok $n: json: $*"; else echo "FAIL $n: json: $*"; fails=$((fails + 1)); fi
}
json_same -s -o /dev/null -w '%{json}' "$base/redirect/302"
json_same -s -o out.txt -w '%{json}' -L "$base/redirect/301"
json_same -s -o /dev/null -w '%{json}' "http://127.0.0.1:1/"
json_same -s -o /dev/null -w '%{header_json}' "$base/status/404"

# --url, --output-dir, --create-dirs.
same -s --url "$base/status/200" "$base/status/201"
SAME_FILES="d/x.txt" same -s --output-dir d -o x.txt "$base/status/200"
SAME_FILES="d/e/x.txt" same -s --create-dirs --output-dir d/e -o x.txt "$base/status/200"
SAME_FILES="a/b/c.txt" same -s --create-dirs -o a/b/c.txt "$base/status/200"
# --fail-with-body: the body written, exit 22.
same -s --fail-with-body "$base/status/404"
same -s --fail-with-body "$base/status/200"
# --json: POST with JSON content types, pieces joined as they are.
printf '{"b":2}' > "$tmp/j.json"
same -s --json '{"a":1}' "$base/echo"
same -s --json '[1,' --json '2]' "$base/echo"
same -s --json @"$tmp/j.json" "$base/echo"
same -s --json '{}' -H "Content-Type: text/x" "$base/echo"
# -r and -C on a file Tornado serves with ranges.
seq 1 2000 > "$tmp/www/n.txt"
same -s -r 0-9 "$base/files/n.txt"
same -s -r 100- -i "$base/files/n.txt"
same -s -C 5 "$base/files/n.txt"
head -c 1000 "$tmp/www/n.txt" > "$tmp/part"
resume() { cp "$tmp/part" part.txt; }
n=$((n + 1))
(cd "$tmp" && cp part p.c && curl -s -C - -o p.c "$base/files/n.txt"; echo "rc $?" >> p.c
 cp part p.g && "$GALE" fetch -s -C - -o p.g "$base/files/n.txt"; echo "rc $?" >> p.g
 cmp -s p.c p.g && head -c 8893 p.g | cmp -s - www/n.txt) && echo "ok $n: -C - resumes" ||
  { echo "FAIL $n: -C - resumes"; fails=$((fails + 1)); }
n=$((n + 1))
(cd "$tmp" && cp www/n.txt w.c && curl -s -C - -o w.c "$base/files/n.txt"; echo "rc $?" >> w.c
 cp www/n.txt w.g && "$GALE" fetch -s -C - -o w.g "$base/files/n.txt"; echo "rc $?" >> w.g
 cmp -s w.c w.g) && echo "ok $n: -C - on a whole file" ||
  { echo "FAIL $n: -C - on a whole file"; fails=$((fails + 1)); }
same -s -C 10 "$base/status/200"
# --etag-save / --etag-compare (Tornado answers 304 to a matching ETag).
SAME_FILES=e.txt same -s --etag-save e.txt "$base/etag"
SAME_FILES=e.txt same -s --etag-save e.txt "$base/status/200"
n=$((n + 1))
"$GALE" fetch -s --etag-save "$tmp/etag.txt" -o /dev/null "$base/etag"
same -s -w '%{http_code}\n' --etag-compare "$tmp/etag.txt" "$base/etag"
same -s --etag-compare "$tmp/missing.txt" "$base/etag"
# --retry: a 503 twice, then 200 (the peer counts; /reset zeroes it).
retry_same() {
  curl -s "$base/reset" >/dev/null; cp /dev/null "$tmp/reset"
  n=$((n + 1))
  curl "$@" >"$tmp/rc.out" 2>/dev/null; cr=$?
  curl -s "$base/reset" >/dev/null
  "$GALE" fetch "$@" >"$tmp/rg.out" 2>/dev/null; gr=$?
  if [ "$cr" = "$gr" ] && cmp -s "$tmp/rc.out" "$tmp/rg.out"; then echo "ok $n: exit $gr: $*"
  else echo "FAIL $n: $* (curl $cr, gale $gr)"; diff "$tmp/rc.out" "$tmp/rg.out" | head -5; fails=$((fails + 1)); fi
}
# (curl 7.88 takes whole seconds of --retry-delay.)
retry_same -s --retry 2 --retry-delay 1 "$base/fail/2"
retry_same -s --retry 1 --retry-delay 1 "$base/fail/2"
retry_same -s -f --retry 1 --retry-delay 1 -o out "$base/fail/1"
retry_same -s --retry 2 --retry-delay 1 "$base/status/404"
retry_same -s --retry 1 --retry-delay 1 --retry-all-errors "$base/status/404"
retry_same -s --retry 1 --retry-delay 1 "http://127.0.0.1:1/"
retry_same -s --retry 1 --retry-delay 1 --retry-connrefused "http://127.0.0.1:1/"
retry_same -s --retry 5 --retry-delay 1 --retry-max-time 1 "$base/fail/9"

# The proxy environment (the peer answers absolute-form requests as a
# proxy would), --noproxy, and -x "" turning it off.
export http_proxy="$base"
same -s "http://example.test/echo"
same -s --noproxy example.test "http://example.test/echo"
same -s --noproxy test "http://example.test/echo"
same -s --noproxy "other, *" "http://example.test/echo"
same -s -x "" "http://example.test/echo"
export NO_PROXY="example.test"
same -s "http://example.test/echo"
same -s -x "$base" "http://example.test/echo"
unset http_proxy NO_PROXY
export HTTP_PROXY="$base"   # ignored in uppercase (httpoxy), as curl
same -s "http://example.test/echo"
unset HTTP_PROXY
export ALL_PROXY="$base"
same -s "http://example.test/echo"
export no_proxy="*"
same -s "http://example.test/echo"
unset ALL_PROXY no_proxy
export http_proxy="ftp://127.0.0.1:1"
same -s "http://example.test/echo"
unset http_proxy

# -K: curl's config syntax (names with or without --, = or : or blanks,
# quoted values with escapes, comments), nested files, stdin.
cat > "$tmp/inner.cfg" <<CFG
header = "X-Test: inner \"quoted\""
CFG
cat > "$tmp/main.cfg" <<CFG
# a comment
url = "$base/echo"
--user-agent: agent/1
  referer http://ref.example/
data=a=1
config "$tmp/inner.cfg"
silent
CFG
same -K "$tmp/main.cfg"
same -K "$tmp/main.cfg" "$base/status/200"
n=$((n + 1))
printf 'url = "%s/status/203"\n-s\n' "$base" > "$tmp/stdin.cfg"
curl -K - < "$tmp/stdin.cfg" > "$tmp/c.out" 2>&1; cr=$?
"$GALE" fetch -K - < "$tmp/stdin.cfg" > "$tmp/g.out" 2>&1; gr=$?
[ "$cr" = "$gr" ] && cmp -s "$tmp/c.out" "$tmp/g.out" && echo "ok $n: -K -" || { echo "FAIL $n: -K -"; fails=$((fails + 1)); }
same -s -K "$tmp/missing.cfg" "$base/echo"
printf 'no-such-option\n' > "$tmp/bad.cfg"
same -s -K "$tmp/bad.cfg" "$base/echo"
# .netrc: the host's machine entry, the default one, quoted values; -u and
# credentials in the URL win; a missing file is fine.
printf 'machine 127.0.0.1 login bob password "s3 cret"\nmacdef init\nmachine x\n\ndefault login dflt password dp\n' > "$tmp/netrc"
same -s --netrc-file "$tmp/netrc" "$base/echo"
same -s --netrc-file "$tmp/netrc" "http://localhost:$port/echo"
same -s --netrc-file "$tmp/netrc" -u me:pw "$base/echo"
# (curl 7.88 mixes the URL's user with the netrc's default password here;
# gale uses the URL's credentials whole.)
check "URL credentials win over .netrc" sh -c \
  "'$GALE' fetch -s --netrc-file '$tmp/netrc' 'http://u:p@127.0.0.1:$port/echo' | grep -q 'Basic dTpw'"
same -s --netrc-file "$tmp/missing" "$base/echo"
mkdir -p "$tmp/home" && cp "$tmp/netrc" "$tmp/home/.netrc"
HOME="$tmp/home"; export HOME
same -s -n "$base/echo"
same -s --netrc-optional "$base/echo"

# URL globbing: sets, numeric and letter ranges with steps and widths, #N
# in -o names, -g, malformed globs, an IPv6 literal left alone.
same -s "$base/status/20{0,1,3}"
same -s "$base/status/20[0-3]"
same -s "$base/status/2[00-10:5]"
same -s "$base/echo?x=[a-c]&y={p,q}"
SAME_FILES="s200.txt s201.txt" same -s -o "s#1.txt" "$base/status/20[0-1]"
SAME_FILES="a_1 a_2 b_1 b_2" same -s -o "#2_#1" "$base/echo?n=[1-2]&l={a,b}"
same -s -g "$base/echo?x={a}&y=[1]"
same -s "$base/echo?x=\{a\}"
same -s "$base/status/{200"
same -s "$base/status/[3-1]"
same -s "$base/status/200}"
same -s "http://[::1]:1/"

# Cookies: -b pairs as they are; -c writes the jar (compared without the
# comment lines); -b FILE sends what matches host and path, most specific
# path first; expired and Secure cookies stay home over http; -j.
jar_same() { # jar_same NAME ARGS...: same output, and the same jar in NAME
  f=$1; shift
  n=$((n + 1))
  (cd "$tmp" && curl "$@" -c "c.$f" >c.out 2>/dev/null; echo "rc $?" >>c.out
   "$GALE" fetch "$@" -c "g.$f" >g.out 2>/dev/null; echo "rc $?" >>g.out
   # a Max-Age expiry is "now + N": the two runs' nows may differ by a second
   for side in c g; do
     grep -v -e '^#' -e '^$' "$side.$f" |
       awk -F'\t' -v now="$(date +%s)" 'BEGIN { OFS = "\t" }
         { if ($5 > now + 50 && $5 < now + 150) $5 = "now+100"; print }' | sort >>$side.out
   done
   cmp -s c.out g.out) && echo "ok $n: jar: $*" ||
    { echo "FAIL $n: jar: $*"; diff "$tmp/c.out" "$tmp/g.out" | head -8; fails=$((fails + 1)); }
}
same -s -b "x=1; y=2" "$base/echo"
same -s -b "x=1" -b "y=2" "$base/echo"
jar_same jar1 -s "$base/cookie/set"
cp "$tmp/g.jar1" "$tmp/jar"
same -s -b "$tmp/jar" "$base/cookie/show"
same -s -b "$tmp/jar" "$base/echo"
same -s -b "$tmp/jar" -b "z=9" "$base/echo"
same -s -j -b "$tmp/jar" "$base/cookie/show"
same -s -b "$tmp/missing.jar" "$base/echo"
printf '127.0.0.1\tFALSE\t/\tFALSE\t1\told\tgone\n127.0.0.1\tFALSE\t/\tTRUE\t0\tsec\tret\n#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t4102444800\tho\tyes\nbad line\n' > "$tmp/jar2"
same -s -b "$tmp/jar2" "$base/echo"
jar_same jar3 -s -b "$tmp/jar2" "$base/cookie/set"
jar_same jar4 -s "$base/cookie/weird"

# --connect-to: the connection goes elsewhere, Host stays the URL's.
same -s --connect-to "example.test:80:127.0.0.1:$port" "http://example.test/echo"
same -s --connect-to "::127.0.0.1:$port" "http://example.test/echo"
same -s --connect-to "other:80:127.0.0.1:$port" --connect-to "example.test::127.0.0.1:$port" "http://example.test/echo"
same -s --connect-to "example.test:81:127.0.0.1:$port" "http://127.0.0.1:$port/echo"
same -s --connect-to "127.0.0.1:$port::$port" "http://127.0.0.1:$port/echo"
same -s --connect-to "bad" "http://example.test/echo"
same -s --connect-to "example.test:80:[::1]:1" "http://example.test/echo"

# --http1.0: the request line says so, the connection is not kept.
same -s --http1.0 "$base/echo"
same -s -0 -i "$base/status/201"
same -s --http1.0 -w '%{http_version} %{num_connects}\n' -o /dev/null "$base/echo" "$base/echo"
same -s --http1.0 -d "a=1" "$base/echo"
same -s --http1.0 -T "$tmp/data.txt" "$base/up/"

# --limit-rate: the same bytes, and 2 MiB at 4 MiB/s take at least 0.3 s
# (a lower bound: a slow machine only adds to it).
head -c 2097152 /dev/zero > "$tmp/www/two.bin"
same -s --limit-rate 4M -o /dev/null -w '%{size_download}\n' "$base/files/two.bin"
n=$((n + 1))
t=$($PY -c 'import subprocess, sys, time; t = time.monotonic(); subprocess.run(sys.argv[1:], check=True); print(time.monotonic() - t)' \
  "$GALE" fetch -s --limit-rate 4M -o /dev/null "$base/files/two.bin")
if $PY -c "import sys; sys.exit(0 if float('$t') >= 0.3 else 1)"; then echo "ok $n: --limit-rate holds ($t s)"
else echo "FAIL $n: --limit-rate: $t s"; fails=$((fails + 1)); fi
same -s --limit-rate 0x "$base/echo"

# An international host name goes out in its ASCII form (IDNA 2008, UTS 46).
same -s --resolve "xn--bcher-kva.example:$port:127.0.0.1" "http://bücher.example:$port/echo"
same -s --resolve "xn--strae-oqa.example:$port:127.0.0.1" "http://straße.example:$port/echo"
bad_host=$(printf 'a\377b.example')  # not UTF-8: refused (3)
same -s "http://$bad_host:$port/echo"

# -# draws curl's '#' bar on a terminal (script(1) gives it one).
if command -v script >/dev/null 2>&1; then
  script -qec "'$GALE' fetch -# -o /dev/null '$base/files/n.txt'" /dev/null > "$tmp/bar.out" 2>&1
  check "-# draws a full bar" sh -c "tr '\r' '\n' < '$tmp/bar.out' | grep -q '^#\{72\} 100.0%'"
fi

finish
