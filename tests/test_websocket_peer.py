# SPDX-License-Identifier: MIT
"""Python's websockets (Debian's python3-websockets) as a client of gale's
WebSocket server: echo of text and binary, large and fragmented messages,
permessage-deflate agreed (and not used when not offered), ping/pong, the closing handshake
with a code, and the 1009 of a message over the default 10 MiB.

Usage: test_websocket_peer.py URL   (exit 0 on success)"""
import asyncio
import sys

import websockets


async def main(url):
    # Without compression offered, none is used.
    async with websockets.connect(url, compression=None) as ws:
        assert ws.extensions == [], ws.extensions
        await ws.send("plain")
        assert await ws.recv() == "plain"

    async with websockets.connect(url, max_size=None) as ws:
        # websockets offers permessage-deflate by default; the server agrees.
        assert [e.name for e in ws.extensions] == ["permessage-deflate"], ws.extensions
        await ws.send("héllo")
        assert await ws.recv() == "héllo"
        await ws.send(b"\x00\x01\xff")
        assert await ws.recv() == b"\x00\x01\xff"
        big = bytes(range(256)) * 4096  # 1 MiB
        await ws.send(big)
        assert await ws.recv() == big
        await ws.send(["frag", "mented", " é"])  # three frames
        assert await ws.recv() == "fragmented é"
        await asyncio.wait_for(await ws.ping(b"beat"), 5)
        await ws.close(4000, "bye")
        assert ws.close_code == 4000, ws.close_code

    # A message over the server's 10 MiB limit (after inflation): 1009.
    async with websockets.connect(url, max_size=None) as ws:
        try:
            await ws.send(b"x" * (10 * 1024 * 1024 + 1))
            await asyncio.wait_for(ws.recv(), 10)
        except websockets.ConnectionClosed:
            pass
        assert ws.close_code == 1009, ws.close_code

    # Many at once.
    async def one(i):
        async with websockets.connect(url) as ws:
            for k in range(20):
                msg = f"{i}:{k}"
                await ws.send(msg)
                assert await ws.recv() == msg
    await asyncio.gather(*(one(i) for i in range(20)))


asyncio.run(main(sys.argv[1]))
print("python websockets: all ok")
