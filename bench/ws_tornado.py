# SPDX-License-Identifier: MIT
"""bench/ws_tornado.py — Tornado's websocket module as the peer of
bench/websocket.sh: /echo echoes every message as it came, /broadcast sends
each message to every /broadcast socket.  Listens on 127.0.0.1:PORT (0: a
free port) and prints the port."""
import asyncio
import sys

import tornado.web
import tornado.websocket


class Echo(tornado.websocket.WebSocketHandler):
    def check_origin(self, origin):
        return True

    def on_message(self, message):
        self.write_message(message, binary=isinstance(message, bytes))


class Broadcast(tornado.websocket.WebSocketHandler):
    clients = set()

    def check_origin(self, origin):
        return True

    def open(self):
        Broadcast.clients.add(self)

    def on_close(self):
        Broadcast.clients.discard(self)

    def on_message(self, message):
        for peer in Broadcast.clients:
            peer.write_message(message, binary=isinstance(message, bytes))


async def main():
    app = tornado.web.Application([("/echo", Echo), ("/broadcast", Broadcast)])
    server = app.listen(int(sys.argv[1]) if len(sys.argv) > 1 else 0, "127.0.0.1")
    port = next(iter(server._sockets.values())).getsockname()[1]
    print(port, flush=True)
    await asyncio.Event().wait()


asyncio.run(main())
