# SPDX-License-Identifier: MIT
# The peer for tests/test_cli_flags.sh:
#   cli_flags_app.py PORT TLS_PORT RAW_PORT DIR CERT KEY
# a Tornado app on PORT (echo, uploads, cookies, status codes, redirects,
# files with ranges and ETags from DIR), the same over HTTPS on TLS_PORT,
# and a raw server on RAW_PORT answering a chunked body with trailers.
import asyncio, sys
import tornado.ioloop, tornado.web

port, tls_port, raw_port = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
root, cert, key = sys.argv[4], sys.argv[5], sys.argv[6]

SHOWN = ("Content-Type", "Authorization", "Referer", "X-Test", "Accept", "Accept-Encoding",
         "If-Modified-Since", "If-Unmodified-Since", "Range", "Cookie", "X-From-File", "Host")

class Echo(tornado.web.RequestHandler):
    def handle(self, *args):
        h = self.request.headers
        self.set_header("Content-Type", "text/plain")
        self.write("%s %s %s\n" % (self.request.method, self.request.uri, self.request.version))
        self.write("user-agent: %s\n" % ("yes" if "User-Agent" in h else "none"))
        for name in SHOWN:
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

class Status(tornado.web.RequestHandler):
    def get(self, code):
        self.set_status(int(code))
        self.write("status %s\n" % code)

class Redirect(tornado.web.RequestHandler):
    def handle(self, code):
        self.redirect("/echo?from=" + code, status=int(code))
    get = post = put = handle

class SetCookie(tornado.web.RequestHandler):
    def get(self):
        self.set_cookie("a", "1")
        self.set_cookie("b", "two", path="/cookie")
        self.write("set\n")

class WeirdCookies(tornado.web.RequestHandler):
    def get(self):
        for v in ("=novalue", "noeq", "a=1; Domain=.other.example", "b=2; Path=/x; Max-Age=-1",
                  "c=3; expires=garbage; max-age=abc", 'd="q"; Secure; HttpOnly', "e=" + "v" * 3000,
                  "f=6; Max-Age=100; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
                  "h = 8 ; path = /cookie ;", "i=9; Domain=127.0.0.1"):
            self.add_header("Set-Cookie", v)
        self.write("weird\n")

class Fail(tornado.web.RequestHandler):
    count = 0
    def get(self, n):
        # fails (503) the first n times for one client run, then 200
        Fail.count += 1
        if Fail.count <= int(n):
            self.set_status(503)
            self.write("busy %d\n" % Fail.count)
        else:
            Fail.count = 0
            self.write("ok after retries\n")

class Reset(tornado.web.RequestHandler):
    def get(self):
        Fail.count = 0
        self.write("reset\n")

class Etag(tornado.web.RequestHandler):
    def get(self):
        self.write("versioned body\n")

def app():
    return tornado.web.Application([
        (r"/echo", Echo), (r"/up/(.*)", Echo), (r"/form", Form), (r"/status/(\d+)", Status),
        (r"/redirect/(\d+)", Redirect), (r"/cookie/set", SetCookie), (r"/cookie/weird", WeirdCookies), (r"/cookie/show", Echo),
        (r"/fail/(\d+)", Fail), (r"/reset", Reset), (r"/etag", Etag),
        (r"/files/(.*)", tornado.web.StaticFileHandler, {"path": root}),
        # an absolute-form target: the request came as to a proxy
        (r"(http://[^/]+/.*)", Echo),
    ])

async def trailers(reader, writer):
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
                 b"Trailer: X-Checksum\r\n\r\n6\r\nhello\n\r\n0\r\nX-Checksum: 42\r\n\r\n")
    await writer.drain()
    writer.close()

async def main():
    app().listen(port, "127.0.0.1")
    import ssl
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    app().listen(tls_port, "127.0.0.1", ssl_options=ctx)
    await asyncio.start_server(trailers, "127.0.0.1", raw_port)
    await asyncio.Event().wait()

asyncio.run(main())
