# SPDX-License-Identifier: MIT
"""Drives examples/chat in headless Chromium over the DevTools protocol:
two pages open the chat, one on the WebSocket and one long polling (?poll=1);
each posts a message through its form and the other must show it.  Also
checks that the page loads no external script.

usage: chat_browser.py CHROMIUM CHAT_URL PROFILE_DIR
Exit 0 on success, 1 on failure, 77 when the browser cannot start here.
Needs python3-websockets (the DevTools protocol runs over a WebSocket).
"""
import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request

import websockets

TIMEOUT = 30.0


class Page:
    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0

    async def call(self, method, **params):
        self.next_id += 1
        my_id = self.next_id
        await self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            reply = json.loads(await self.ws.recv())
            if reply.get("id") == my_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    async def eval(self, expression):
        result = await self.call("Runtime.evaluate", expression=expression,
                                 returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression, what):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if await self.eval(expression):
                return
            await asyncio.sleep(0.05)
        raise RuntimeError(f"timed out waiting for {what}")


def devtools_port(profile, proc):
    path = os.path.join(profile, "DevToolsActivePort")
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return None
        try:
            with open(path) as f:
                return int(f.readline())
        except (OSError, ValueError):
            time.sleep(0.05)
    return None


def new_target(port, url):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/json/new?{url}", method="PUT")
    with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
        return json.load(r)["webSocketDebuggerUrl"]


async def run(port, url):
    message = "hello from page one <&>"
    # One page after the other: both share the profile's cookie jar, and
    # two first visits at once would each be handed a different _xsrf
    # cookie, the second overwriting the one the first page's form holds.
    async with websockets.connect(new_target(port, url), max_size=None) as ws1:
        one = Page(ws1)
        await loaded(one)
        async with websockets.connect(new_target(port, url + "?poll=1"), max_size=None) as ws2:
            two = Page(ws2)
            await loaded(two)
            await exchange(one, two, message)
            await exchange(two, one, "and back from the poller")


async def loaded(page):
    await page.wait_for("document.readyState === 'complete' && "
                        "document.body.dataset.ready === '1'", "the page")
    if await page.eval("[...document.scripts].filter(s => s.src).length"):
        raise RuntimeError("the page loads an external script")


async def exchange(one, two, message):
    """Page two loaded before the post, so the message can only reach it
    through its socket or long poll (whether that is already waiting or
    not)."""
    await one.eval(f"document.getElementById('message').value = {json.dumps(message)};"
                   "document.querySelector('#messageform input[type=submit]').click();")
    text = json.dumps(message)
    shown = f"document.getElementById('inbox').innerText.includes({text})"
    await two.wait_for(shown, "the other page to show the message")
    await one.wait_for(shown, "the posting page to show its own message")
    count = await two.eval("[...document.querySelectorAll('#inbox .message')]"
                           f".filter(m => m.innerText === {text}).length")
    if count != 1:
        raise RuntimeError(f"the other page shows the message {count} times, wanted once")


def main():
    chromium, url, profile = sys.argv[1:4]
    proc = subprocess.Popen(
        [chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
         "--no-first-run", "--disable-extensions", "--remote-debugging-port=0",
         f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(profile, "..", "chromium.log"), "w"))
    try:
        port = devtools_port(profile, proc)
        if port is None:
            print("chromium did not start: skip")
            return 77
        asyncio.run(asyncio.wait_for(run(port, url), TIMEOUT * 2))
        print("ok: messages crossed between the WebSocket page and the polling page")
        return 0
    except Exception as e:  # report, then fail
        print(f"FAIL: {e}")
        return 1
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    sys.exit(main())
