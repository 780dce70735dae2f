# SPDX-License-Identifier: MIT
"""The coroutine cases of bench/coro_bench.c in Python, for bench/coro.sh:
asyncio (its own event loop) and Tornado (tornado.queues / tornado.locks on
the asyncio loop Tornado 6 runs on).  Prints the same lines as coro_bench:
  NAME  NS ns/op  (OPS ops)
"""
import asyncio
import resource
import sys
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
WHICH = sys.argv[2] if len(sys.argv) > 2 else "asyncio"


def report(name, seconds, ops):
    print("%-8s %9.1f ns/op  (%d ops)" % (name, seconds / ops * 1e9, ops), flush=True)


async def handoff(rounds):
    loop = asyncio.get_running_loop()
    box = {"to_pong": loop.create_future()}

    async def pinger():
        for _ in range(rounds):
            mine = box["to_ping"] = loop.create_future()
            box["to_pong"].set_result(None)
            await mine

    async def ponger():
        for _ in range(rounds):
            await box["to_pong"]
            box["to_pong"] = loop.create_future()
            box["to_ping"].set_result(None)

    t0 = time.perf_counter()
    await asyncio.gather(ponger(), pinger())
    report("handoff", time.perf_counter() - t0, rounds * 2)


async def spawn(n):
    async def nothing():
        return None

    t0 = time.perf_counter()
    for _ in range(0, n, 64):
        await asyncio.gather(*[asyncio.ensure_future(nothing()) for _ in range(64)])
    report("spawn", time.perf_counter() - t0, n)


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


async def memory():
    n = 100000
    before = rss()
    tasks = [asyncio.ensure_future(asyncio.sleep(3600)) for _ in range(n)]
    await asyncio.sleep(0)
    after = rss()
    print("memory   %9.0f B/coro  (%d suspended)" % ((after - before) / n, n), flush=True)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def queue(n):
    if WHICH == "tornado":
        from tornado.queues import Queue
    else:
        from asyncio import Queue
    q = Queue(maxsize=1)

    async def producer():
        for i in range(n):
            await q.put(i + 1)

    async def consumer():
        for _ in range(n):
            await q.get()

    t0 = time.perf_counter()
    await asyncio.gather(consumer(), producer())
    report("queue", time.perf_counter() - t0, n)


async def main():
    if WHICH == "asyncio":
        await handoff(N // 2)
        await spawn(N)
        await memory()
    await queue(N)


asyncio.run(main())
