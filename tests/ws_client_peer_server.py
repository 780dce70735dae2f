# SPDX-License-Identifier: MIT
"""Python's websockets (Debian's python3-websockets) as a SERVER for gale's
WebSocket client: echoes every message; on the path /close it closes at
once with 4001 "bye".  permessage-deflate is accepted unless
--no-compress; the subprotocol "chat" is picked when offered; messages
over 1 MiB (websockets' default max_size) close with 1009.

Usage: ws_client_peer_server.py PORT [--no-compress]
PORT 0 picks a free port; the port is printed on the first line."""
import asyncio
import sys

import websockets


async def handler(ws, path=None):
    path = path if path is not None else ws.path
    if path.startswith("/close"):
        await ws.close(4001, "bye")
        return
    try:
        async for message in ws:
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass


async def main(port, compression):
    async with websockets.serve(handler, "127.0.0.1", port, compression=compression,
                                subprotocols=["chat"]) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    comp = None if "--no-compress" in sys.argv[2:] else "deflate"
    try:
        asyncio.run(main(int(sys.argv[1]), comp))
    except KeyboardInterrupt:
        pass
