#!/bin/sh
# SPDX-License-Identifier: MIT
# `gale fetch` beside curl on the same requests: the same stdout (minus the
# Date header) and the same exit code.  The servers are started here: a
# small Tornado app (echo, redirects, a slow handler, gzip) and, when
# available, nginx serving files.  Skips (exit 77) without curl or Tornado.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$top_srcdir/tests/sh_lib.sh"
need curl
$PY -c 'import tornado' 2>/dev/null || { echo "tornado missing: skip"; exit 77; }

cat > "$tmp/app.py" <<'EOF'
import asyncio, sys
import tornado.ioloop, tornado.web

class Echo(tornado.web.RequestHandler):
    def handle(self):
        h = self.request.headers
        self.set_header("Content-Type", "text/plain")
        self.write("%s %s\n" % (self.request.method, self.request.uri))
        for name in ("Content-Type", "Authorization", "Referer", "X-Test", "Accept-Encoding"):
            if name in h:
                self.write("%s: %s\n" % (name, h[name]))
        self.write(self.request.body)
    get = post = put = delete = patch = handle

class Form(tornado.web.RequestHandler):
    def post(self):
        for k in sorted(self.request.arguments):
            self.write("%s=%s\n" % (k, self.get_argument(k)))
        for k in sorted(self.request.files):
            for f in self.request.files[k]:
                self.write("%s: %s %s %r\n" % (k, f.filename, f.content_type, f.body))

class Redirect(tornado.web.RequestHandler):
    def get(self, code):
        self.redirect("/echo?from=" + code, status=int(code))
    post = get

class Loop(tornado.web.RequestHandler):
    def get(self):
        self.redirect("/loop")

class Slow(tornado.web.RequestHandler):
    async def get(self):
        await asyncio.sleep(30)

class Status(tornado.web.RequestHandler):
    def get(self, code):
        self.set_status(int(code))
        self.write("status %s\n" % code)

class Big(tornado.web.RequestHandler):
    def get(self):
        self.write(b"0123456789abcdef" * 8192)

class Text(tornado.web.RequestHandler):
    def get(self):
        self.set_header("Content-Type", "text/plain")
        self.write("compress me " * 500)

app = tornado.web.Application([
    (r"/echo", Echo), (r"/form", Form), (r"/redirect/(\d+)", Redirect), (r"/loop", Loop),
    (r"/slow", Slow), (r"/status/(\d+)", Status), (r"/big", Big), (r"/text", Text),
], compress_response=True)
app.listen(int(sys.argv[1]), "127.0.0.1")
tornado.ioloop.IOLoop.current().start()
EOF

port=$(free_port)
$PY "$tmp/app.py" "$port" >"$tmp/app.log" 2>&1 &
pids="$pids $!"
wait_port "$port"
base="http://127.0.0.1:$port"

echo hello > "$tmp/data.txt"
printf '%%{http_code} %%{method}\n' > "$tmp/wfmt"
printf 'a=1\r\nb=2\n' > "$tmp/form.txt"

same -s "$base/echo"
same -s "$base/echo?x=1&y=2"
same -s -X DELETE "$base/echo"
same -s -H "X-Test: yes" -A "agent/1" -e "http://ref.example/" "$base/echo"
same -s -d "a=1" -d "b=2" "$base/echo"
same -s -d @"$tmp/form.txt" "$base/echo"
same -s --data-binary @"$tmp/form.txt" "$base/echo"
same -s --data-urlencode "q=a b&c" "$base/echo"
same -s -G -d "q=1" "$base/echo"
same -s -X PUT -d "put body" -H "Content-Type: text/plain" "$base/echo"
same -s -u "user:secret" "$base/echo"
same -s -F "a=1" -F "b=two words" -F "f=@$tmp/data.txt" -F "g=@$tmp/form.txt;type=text/csv" "$base/form"
# -F beyond name=value and name=@file: <file (a field with the file's
# content), ;type= on both, types guessed from the extension, bad arguments.
printf '<p>x</p>' > "$tmp/page.html"
printf 'PNG' > "$tmp/pic.png"
same -s -F "c=<$tmp/data.txt" -F "d=<$tmp/form.txt;type=text/csv" "$base/form"
same -s -F "h=@$tmp/page.html" -F "p=@$tmp/pic.png" -F "e=" "$base/form"
same -s -F "noequals" "$base/form"
same -s -F "f=@$tmp/missing" "$base/form"
same -s -w '%{method} %{http_code}\n' -o /dev/null -F "a=1" "$base/form"
same -s -T "$tmp/data.txt" "$base/echo"
same -s -D - "$base/status/201"
same -s -G -d "q=1" "$base/echo?x=2"
same -s -w @"$tmp/wfmt" -o /dev/null "$base/status/203"
same -s -i "$base/status/201"
same -s -I "$base/echo"
same -s "$base/status/404"
same -s -f "$base/status/404"
same -s -f "$base/status/500"
same -s "$base/redirect/302"
same -s -L "$base/redirect/301"
same -s -L -d "x=1" "$base/redirect/302"
same -s -L -d "x=1" "$base/redirect/303"
same -s -L -d "x=1" "$base/redirect/307"
same -s -L -d "x=1" "$base/redirect/308"
same -s -L -i "$base/redirect/302"
same -s -L --max-redirs 3 "$base/loop"
same -s -L --max-redirs 0 "$base/redirect/302"
same -s --compressed "$base/text"
same -s --compressed -i "$base/status/200"
same -s -m 1 "$base/slow"
same -s "$base/big"
same -s --max-filesize 1000 "$base/big"
same -s -w '%{http_code} %{size_download} %{num_redirects} %{url_effective} %{content_type} %{exitcode}\n' -o /dev/null -L "$base/redirect/302"
same -s -w '%{http_code} %{method} %{scheme}\n' -o /dev/null -X POST "$base/echo"
same -s -o "$tmp/nodir/x" "$base/echo"
same -s -d @"$tmp/missing" "$base/echo"
same -s "$base/echo" "$base/status/203"
n=$((n + 1)) # -Z: the order of the outputs is not fixed; compare sorted
curl -s -Z "$base/echo" "$base/status/203" 2>/dev/null | sort >"$tmp/c.cmp"
"$GALE" fetch -s -Z "$base/echo" "$base/status/203" | sort >"$tmp/g.cmp"
cmp -s "$tmp/c.cmp" "$tmp/g.cmp" && echo "ok $n: -Z" || { echo "FAIL $n: -Z"; fails=$((fails + 1)); }
same -s --resolve "example.test:$port:127.0.0.1" "http://example.test:$port/echo"
same -s "http://127.0.0.1:1/"
same -s "http://[::1"
same -s --bogus-option "$base/echo"
same -s
same -s "http://nonexistent.invalid/"

# -o and -O write files with the same bytes.
n=$((n + 1))
(cd "$tmp" && curl -s -O "$base/big" && mv big big.curl && "$GALE" fetch -s -O "$base/big" && cmp -s big big.curl) \
  && echo "ok $n: -O" || { echo "FAIL $n: -O"; fails=$((fails + 1)); }

# -v puts the request and response heads on stderr with curl's prefixes.
n=$((n + 1))
"$GALE" fetch -s -v "$base/echo" >/dev/null 2>"$tmp/v.err"
if grep -q '^> GET /echo HTTP/1.1' "$tmp/v.err" && grep -q '^< HTTP/1.1 200 OK' "$tmp/v.err" &&
   grep -q '^\* Connected to' "$tmp/v.err"; then echo "ok $n: -v"; else echo "FAIL $n: -v"; cat "$tmp/v.err"; fails=$((fails + 1)); fi

# --help and the man page's exit-code table exist.
n=$((n + 1))
if "$GALE" fetch --help | grep -q -- '--write-out' && "$GALE" --help | grep -q '47 too many redirects'; then
  echo "ok $n: help"; else echo "FAIL $n: help"; fails=$((fails + 1)); fi

finish
