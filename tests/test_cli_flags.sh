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

finish
