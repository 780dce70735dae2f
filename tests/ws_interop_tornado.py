# SPDX-License-Identifier: MIT
"""tests/ws_interop_tornado.py — Tornado's websocket client against a
WebSocket echo server: text and binary echoes (size boundaries up to 1 MiB),
a ping answered by a pong with its payload, a close whose code is echoed.  With --compress, offers permessage-deflate.  Exits 0 when
every check passed.
    python3 ws_interop_tornado.py ws://127.0.0.1:PORT/echo [--compress]
"""
import asyncio
import sys

from tornado.websocket import websocket_connect


async def main(url, compress):
    pongs = asyncio.Queue()
    conn = await websocket_connect(
        url, compression_options={} if compress else None,
        ping_interval=None, max_message_size=4 << 20)
    # Tornado exposes pongs on the handler side only; read them through
    # the protocol's hook.
    conn.on_pong = lambda data: pongs.put_nowait(data)
    for n in (0, 1, 125, 126, 65535, 65536, 1 << 20):
        text = "é" * (n // 2) + ("x" if n % 2 else "")
        await conn.write_message(text)
        got = await asyncio.wait_for(conn.read_message(), 10)
        assert got == text, f"text echo of {n} bytes"
        data = b"\xab" * n
        await conn.write_message(data, binary=True)
        got = await asyncio.wait_for(conn.read_message(), 10)
        assert got == data, f"binary echo of {n} bytes"
    conn.ping(b"are you there")
    assert await asyncio.wait_for(pongs.get(), 10) == b"are you there"
    conn.close(4001, "bye")
    assert await asyncio.wait_for(conn.read_message(), 10) is None
    assert conn.close_code == 4001, conn.close_code  # the code is echoed, not the reason
    print("ok: tornado" + (" (compression offered)" if compress else ""))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], "--compress" in sys.argv))
