# SPDX-License-Identifier: MIT
"""Tornado's websocket client (Debian's python3-tornado) against gale's
WebSocket server: echo of text and binary, compression offered and
agreed, a fragmented send, ping/pong and the closing handshake.

Usage: test_websocket_tornado.py URL   (exit 0 on success)"""
import sys

from tornado import ioloop, websocket


async def main(url):
    for comp in (None, {}):
        ws = await websocket.websocket_connect(url, compression_options=comp)
        agreed = "permessage-deflate" in ws.headers.get("Sec-WebSocket-Extensions", "")
        assert agreed == (comp is not None), ws.headers
        await ws.write_message("héllo")
        assert await ws.read_message() == "héllo"
        await ws.write_message(b"\x00\xff" * 50000, binary=True)
        assert await ws.read_message() == b"\x00\xff" * 50000
        pong = []
        ws.on_pong = pong.append  # not a public hook; answered either way
        ws.ping(b"p")
        await ws.write_message("after ping")
        assert await ws.read_message() == "after ping"
        ws.close(1000, "bye")
        assert await ws.read_message() is None  # closed
        assert ws.close_code == 1000, ws.close_code


ioloop.IOLoop.current().run_sync(lambda: main(sys.argv[1]), timeout=30)
print("tornado websocket client: all ok")
