#!/bin/sh
# SPDX-License-Identifier: MIT
# examples/chat on an ephemeral port: the wire format of Tornado's chat
# demo checked with curl (the page and its XSRF field, a long poll answered
# by a post made while it waits, the cursor, `next` redirecting, a post
# without _xsrf refused, a missing body 400), then two headless Chromium
# pages, one on the WebSocket and one long polling: each posts, the other
# shows it (tests/chat_browser.py); /chatsocket with python3-websockets.
# Browser and socket parts skip without chromium or python3-websockets.  Skips (exit 77) without
# curl.
set -u
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
B=$(cd "$top_builddir" && pwd)
CHAT=$B/examples/chat
PY=/usr/bin/python3
command -v curl >/dev/null 2>&1 || { echo "curl missing: skip"; exit 77; }
[ -x "$CHAT" ] || { echo "no $CHAT"; exit 1; }

tmp=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
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

: >"$tmp/out"
"$CHAT" 0 >"$tmp/out" 2>"$tmp/err" &
pid=$!
i=0
port=""
while [ $i -lt 200 ] && [ -z "$port" ] && kill -0 $pid 2>/dev/null; do
  port=$(sed -n 's|^chat: http://127.0.0.1:\([0-9]*\)/$|\1|p' "$tmp/out")
  [ -z "$port" ] && sleep 0.05
  i=$((i + 1))
done
[ -n "$port" ] || { echo "chat did not start"; cat "$tmp/err"; exit 1; }
URL=http://127.0.0.1:$port

curl -s -c "$tmp/jar" "$URL/" >"$tmp/page"
XSRF=$(awk '$6 == "_xsrf" { print $7 }' "$tmp/jar")
check "the page carries the form's _xsrf field" grep -q 'name="_xsrf" value="2|' "$tmp/page"
check "the page loads no external script" sh -c "! grep -q '<script src' '$tmp/page'"
check "the _xsrf cookie is set" test -n "$XSRF"

# A long poll: whether it reaches the server before or after the post, it
# answers with the new message (waiting first, or at once from the cache).
curl -s -m 20 -b "$tmp/jar" --data-urlencode "_xsrf=$XSRF" "$URL/a/message/updates" >"$tmp/poll1" &
poll=$!
curl -s -b "$tmp/jar" --data-urlencode "_xsrf=$XSRF" --data-urlencode "body=hi <b>&" \
  "$URL/a/message/new" >"$tmp/new1"
wait $poll
ID=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$tmp/new1" 2>/dev/null)
check "a new message answers its JSON with an id" test -n "$ID"
check "the message's html is escaped" $PY -c '
import json, sys
m = json.load(open(sys.argv[1]))
assert m["html"].endswith(">hi &lt;b&gt;&amp;</div>\n"), m' "$tmp/new1"
check "the waiting poll got the message" $PY -c '
import json, sys
m = json.load(open(sys.argv[1]))["messages"]
assert len(m) == 1 and m[0]["id"] == sys.argv[2] and m[0]["body"] == "hi <b>&", m
assert m[0]["html"].startswith("<div class=\"message\" id=\"m" + sys.argv[2]), m' "$tmp/poll1" "$ID"

# With the cursor at the first message, a poll waits for the second only.
curl -s -m 20 -b "$tmp/jar" --data-urlencode "_xsrf=$XSRF" --data-urlencode "cursor=$ID" \
  "$URL/a/message/updates" >"$tmp/poll2" &
poll=$!
curl -s -b "$tmp/jar" --data-urlencode "_xsrf=$XSRF" --data-urlencode "body=second" \
  "$URL/a/message/new" >/dev/null
wait $poll
check "a poll from a cursor gets only what is newer" $PY -c '
import json, sys
m = json.load(open(sys.argv[1]))["messages"]
assert [x["body"] for x in m] == ["second"], m' "$tmp/poll2"
check "an unknown cursor gets the whole cache at once" sh -c \
  "curl -s -m 5 -b '$tmp/jar' --data-urlencode '_xsrf=$XSRF' -d cursor=nope '$URL/a/message/updates' | grep -q '\"body\":\"second\"'"
check "the page lists the cached messages" sh -c "curl -s '$URL/' | grep -q '>second</div>'"
check "a form post with next redirects" sh -c \
  "test \"\$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -b '$tmp/jar' --data-urlencode '_xsrf=$XSRF' -d body=x -d next=/ '$URL/a/message/new')\" = '302 $URL/'"
check "a post without _xsrf is refused (403)" sh -c \
  "test \"\$(curl -s -o /dev/null -w '%{http_code}' -b '$tmp/jar' -d body=x '$URL/a/message/new')\" = 403"
check "a post without body is a 400" sh -c \
  "test \"\$(curl -s -o /dev/null -w '%{http_code}' -b '$tmp/jar' --data-urlencode '_xsrf=$XSRF' '$URL/a/message/new')\" = 400"
# A poll at the newest message waits (curl gives up after a second with
# nothing), and its leaving mid-wait leaves the server serving.
LAST=$(curl -s -m 5 -b "$tmp/jar" --data-urlencode "_xsrf=$XSRF" -d cursor=unknown "$URL/a/message/updates" |
  $PY -c 'import json,sys; print(json.load(sys.stdin)["messages"][-1]["id"])')
check "a poll at the newest message waits" sh -c \
  "test -z \"\$(curl -s -m 1 -b '$tmp/jar' --data-urlencode '_xsrf=$XSRF' --data-urlencode 'cursor=$LAST' '$URL/a/message/updates')\""
check "a poller leaving mid-wait leaves the server serving" sh -c "curl -s -m 5 '$URL/' | grep -q messageform"

# /chatsocket (Tornado's websocket demo): a socket gets what a form posts,
# a socket's post reaches a long poll, and a malformed message closes 1003.
if $PY -c 'import websockets' 2>/dev/null; then
  check "/chatsocket shares the cache with long polling" $PY - "$port" "$XSRF" "$tmp/jar" <<'PYEOF'
import asyncio, json, sys, urllib.parse, urllib.request
import websockets
port, xsrf, jar = sys.argv[1:4]
base = f"http://127.0.0.1:{port}"
cookie = "; ".join(f"{l.split(chr(9))[5]}={l.split(chr(9))[6].strip()}"
                   for l in open(jar) if l.strip() and not l.startswith("#"))
def post(path, **fields):
    req = urllib.request.Request(base + path, urllib.parse.urlencode(fields).encode(),
                                 headers={"Cookie": cookie})
    return json.load(urllib.request.urlopen(req, timeout=10))
async def main():
    origin = base
    async with websockets.connect(f"ws://127.0.0.1:{port}/chatsocket", origin=origin) as ws:
        sent = await asyncio.get_running_loop().run_in_executor(
            None, lambda: post("/a/message/new", body="from a form", _xsrf=xsrf))
        got = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert got == sent, (got, sent)
        cursor = got["id"]
        poll = asyncio.get_running_loop().run_in_executor(
            None, lambda: post("/a/message/updates", cursor=cursor, _xsrf=xsrf))
        await ws.send(json.dumps({"body": "from a socket", "_xsrf": "ignored"}))
        echo = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert echo["body"] == "from a socket" and echo["html"].endswith(">from a socket</div>\n"), echo
        polled = await asyncio.wait_for(poll, 10)
        assert [m["id"] for m in polled["messages"]] == [echo["id"]], polled
    async with websockets.connect(f"ws://127.0.0.1:{port}/chatsocket", origin=origin) as ws:
        await ws.send("not json")
        try:
            await asyncio.wait_for(ws.recv(), 10)
            raise AssertionError("no close")
        except websockets.ConnectionClosed as e:
            assert e.code == 1003, e.code
asyncio.run(main())
PYEOF
  check "/chatsocket refuses a cross-origin handshake" $PY - "$port" <<'PYEOF'
import asyncio, sys
import websockets
async def main():
    try:
        await websockets.connect(f"ws://127.0.0.1:{sys.argv[1]}/chatsocket", origin="http://evil.example")
        raise AssertionError("accepted")
    except websockets.InvalidStatusCode as e:
        assert e.status_code == 403, e.status_code
asyncio.run(main())
PYEOF
else
  echo "skip: python3-websockets missing"
fi

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$CHROMIUM" ] && $PY -c 'import websockets' 2>/dev/null; then
  mkdir -p "$tmp/profile"
  $PY "$top_srcdir/tests/chat_browser.py" "$CHROMIUM" "$URL/" "$tmp/profile"
  rc=$?
  if [ $rc -eq 77 ]; then
    echo "skip: chromium could not start"; cat "$tmp/chromium.log" 2>/dev/null | tail -5
  else
    check "two Chromium pages, socket and polling, see each other's posts" test $rc -eq 0
  fi
else
  echo "skip: chromium or python3-websockets missing"
fi

kill -TERM $pid
wait $pid
st=$?
pid=""
check "SIGTERM exits 0 with long polls open" test $st -eq 0
if grep -q "ERROR: \(AddressSanitizer\|LeakSanitizer\)" "$tmp/err"; then
  cat "$tmp/err"
  check "no sanitizer report" false
fi

echo "$n checks, $fails failed"
[ $fails -eq 0 ]
