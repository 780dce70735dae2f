#!/bin/sh
# SPDX-License-Identifier: MIT
# examples/blog driven with curl as a visitor and an author would: the
# first author is created (and only the first), a wrong password gets the
# form again with no cookie, login redirects only to a local next=, a post
# without _xsrf is refused, an anonymous /compose redirects to the login,
# an entry with <script> in its title and body reaches every page escaped
# (Markdown through cmark's safe mode), the archive, the Atom feed and a
# 404, an edit, and everything (the login cookie too) survives a restart.
# Skips (exit 77) without curl.
set -u
top_builddir=${top_builddir:-.}
B=$(cd "$top_builddir" && pwd)
BLOG=$B/examples/blog/blog
command -v curl >/dev/null 2>&1 || { echo "curl missing: skip"; exit 77; }
[ -x "$BLOG" ] || { echo "no $BLOG"; exit 1; }

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

start() {
  : >"$tmp/out"
  "$BLOG" 0 "$tmp/blog.db" >"$tmp/out" 2>>"$tmp/err" &
  pid=$!
  i=0
  port=""
  while [ $i -lt 200 ] && [ -z "$port" ] && kill -0 $pid 2>/dev/null; do
    port=$(sed -n 's|^blog: http://127.0.0.1:\([0-9]*\)/$|\1|p' "$tmp/out")
    [ -z "$port" ] && sleep 0.05
    i=$((i + 1))
  done
  [ -n "$port" ] || { echo "blog did not start"; cat "$tmp/err"; exit 1; }
  URL=http://127.0.0.1:$port
}
stop() {
  kill "$pid" && wait "$pid"
  pid=""
}
xsrf() { awk '$6 == "_xsrf" { print $7 }' "$tmp/jar"; }
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
has() { grep -q -- "$1" "$2"; }
hasnt() { ! grep -q -- "$1" "$2"; }

start
curl -s -c "$tmp/jar" -o "$tmp/create" "$URL/auth/create"
check "the create-author form has an _xsrf field" has 'name="_xsrf"' "$tmp/create"
X=$(xsrf)
check "a post without _xsrf is refused (403)" \
  test "$(code -b "$tmp/jar" -d "email=a@b.c&name=Ann&password=pw" "$URL/auth/create")" = 403
check "the first author is created and logged in (302 to /)" \
  test "$(code -b "$tmp/jar" -c "$tmp/jar" --data-urlencode "_xsrf=$X" -d "email=a@b.c&name=Ann&password=secret1" "$URL/auth/create")" = 302
check "the login cookie is set" grep -q blogdemo_user "$tmp/jar"
check "a second author cannot be created (400)" \
  test "$(code -b "$tmp/jar" --data-urlencode "_xsrf=$X" -d "email=x@y.z&name=Eve&password=p" "$URL/auth/create")" = 400

# Logging in: a fresh jar, so no cookie but the XSRF one.
curl -s -c "$tmp/jar2" -o /dev/null "$URL/auth/login"
X2=$(awk '$6 == "_xsrf" { print $7 }' "$tmp/jar2")
curl -s -b "$tmp/jar2" -c "$tmp/jar2" --data-urlencode "_xsrf=$X2" -d "email=a@b.c&password=wrong" \
  -o "$tmp/badlogin" "$URL/auth/login"
check "a wrong password gets the form again with the error" has "incorrect email or password" "$tmp/badlogin"
check "... and no login cookie" sh -c "! grep -q blogdemo_user '$tmp/jar2'"
curl -s -b "$tmp/jar2" -c "$tmp/jar2" --data-urlencode "_xsrf=$X2" -d "email=a@b.c&password=secret1" \
  -D "$tmp/login_head" -o /dev/null "$URL/auth/login?next=//evil.example/x"
check "login with an external next= stays on this site" sh -c "tr -d '\\r' < '$tmp/login_head' | grep -qix 'location: /'"
curl -s -b "$tmp/jar2" -c "$tmp/jar2" --data-urlencode "_xsrf=$X2" -d "email=a@b.c&password=secret1" \
  -D "$tmp/login_head2" -o /dev/null "$URL/auth/login?next=/archive"
check "login with a local next= goes there" grep -qi '^location: /archive' "$tmp/login_head2"

curl -s -D "$tmp/anon" -o /dev/null "$URL/compose"
check "an anonymous /compose redirects to the login" grep -qi '^location: /auth/login?next=%2Fcompose' "$tmp/anon"

TITLE='Hello <script>alert(1)</script> world'
MD='Some *text* and <script>alert(2)</script> and [x](javascript:alert(3))'
curl -s -b "$tmp/jar" -c "$tmp/jar" --data-urlencode "_xsrf=$X" --data-urlencode "title=$TITLE" \
  --data-urlencode "markdown=$MD" -D "$tmp/post_head" -o /dev/null "$URL/compose"
check "composing redirects to the entry's slug" grep -qi '^location: /entry/hello-script-alert-1-script-world' "$tmp/post_head"
curl -s -b "$tmp/jar" -o "$tmp/entry" "$URL/entry/hello-script-alert-1-script-world"
check "the entry page shows the title escaped" has 'Hello &lt;script&gt;alert(1)&lt;/script&gt; world' "$tmp/entry"
check "the Markdown is rendered" has '<em>text</em>' "$tmp/entry"
check "no <script> reaches the page" hasnt '<script' "$tmp/entry"
check "no javascript: link reaches the page" hasnt 'javascript:' "$tmp/entry"
check "the author sees the edit link" has '/compose?id=1' "$tmp/entry"
curl -s -o "$tmp/home" "$URL/"
check "the home page lists the entry" has 'href="/entry/hello-script-alert-1-script-world"' "$tmp/home"
check "a visitor sees no edit link" hasnt '/compose?id=' "$tmp/home"
check "no <script> on the home page" hasnt '<script' "$tmp/home"
curl -s -o "$tmp/archive" "$URL/archive"
check "the archive lists it" has 'Hello &lt;script&gt;' "$tmp/archive"
curl -s -D "$tmp/feed_head" -o "$tmp/feed" "$URL/feed"
check "the feed is Atom" grep -qi '^content-type: application/atom+xml' "$tmp/feed_head"
check "the feed carries the entry, escaped" has '<title type="text">Hello &lt;script&gt;' "$tmp/feed"
check "an unknown entry is 404" test "$(code "$URL/entry/nothing-here")" = 404
check "the same title gets a new slug" \
  sh -c "curl -s -b '$tmp/jar' --data-urlencode '_xsrf=$X' --data-urlencode 'title=$TITLE' -d markdown=again -D - -o /dev/null '$URL/compose' | grep -qi 'location: /entry/hello-script-alert-1-script-world-2'"
curl -s -b "$tmp/jar" --data-urlencode "_xsrf=$X" -d 'id=1&title=Edited&markdown=**new**' -D "$tmp/edit_head" \
  -o /dev/null "$URL/compose"
check "an edit keeps the slug" sh -c "tr -d '\\r' < '$tmp/edit_head' | grep -qix 'location: /entry/hello-script-alert-1-script-world'"
curl -s -o "$tmp/edited" "$URL/entry/hello-script-alert-1-script-world"
check "the edit shows" has '<strong>new</strong>' "$tmp/edited"

# A restart: the database file keeps the entries, the cookie secret and so
# the login.
stop
start
curl -s -b "$tmp/jar" -o "$tmp/entry2" "$URL/entry/hello-script-alert-1-script-world"
check "after a restart the entry is there" has 'Edited' "$tmp/entry2"
check "... and the author is still logged in" has '/compose?id=1' "$tmp/entry2"
curl -s -b "$tmp/jar" -c "$tmp/jar" -D "$tmp/out_head" -o /dev/null "$URL/auth/logout?next=/archive"
check "logout redirects to next" grep -qi '^location: /archive' "$tmp/out_head"
curl -s -b "$tmp/jar" -o "$tmp/entry3" "$URL/entry/hello-script-alert-1-script-world"
check "after logout no edit link" hasnt '/compose?id=1' "$tmp/entry3"
check "the server logged no template error" sh -c "! grep -q 'template' '$tmp/err'"

[ $fails -eq 0 ] || { echo "--- server stderr"; cat "$tmp/err"; exit 1; }
echo "blog: all $n checks passed"
