# SPDX-License-Identifier: MIT
# Tornado's hello world, a peer for bench/http.sh:  python3 http_tornado.py PORT
import asyncio
import sys

import tornado.web


class MainHandler(tornado.web.RequestHandler):
    def get(self):
        self.write("Hello, world")


async def main():
    app = tornado.web.Application([(r"/", MainHandler)])
    app.listen(int(sys.argv[1]) if len(sys.argv) > 1 else 8888, address="127.0.0.1")
    await asyncio.Event().wait()


asyncio.run(main())
