// SPDX-License-Identifier: MIT
// tests/ws_interop_node.js — node's ws (Debian's node-ws) as a client of a
// WebSocket echo server: text and binary echoes (small, 125/126/65535/65536
// byte boundaries, 1 MiB), a message sent in fragments, a ping answered by
// a pong with its payload, then a close whose code the server echoes.
// With "--compress", also offers permessage-deflate (the server may
// decline).  Exits 0 when every check passed.
//   node ws_interop_node.js ws://127.0.0.1:PORT/echo [--compress]
"use strict";
const WebSocket = require("ws");

const url = process.argv[2];
const compress = process.argv.includes("--compress");
const ws = new WebSocket(url, { perMessageDeflate: compress, origin: url.replace(/^ws/, "http") });
const fail = (why) => { console.error("FAIL: " + why); process.exit(1); };
setTimeout(() => fail("timed out"), 20000).unref();

const replies = [];
let waiting = null;
ws.on("message", (data, isBinary) => {
  replies.push({ data: Buffer.from(data), isBinary });
  if (waiting) { const w = waiting; waiting = null; w(); }
});
const next = () => new Promise((resolve) => {
  if (replies.length) return resolve(replies.shift());
  waiting = () => resolve(replies.shift());
});

async function echoes() {
  for (const n of [0, 1, 125, 126, 65535, 65536, 1 << 20]) {
    const text = "é".repeat(Math.floor(n / 2)) + (n % 2 ? "x" : "");
    ws.send(text);
    const r = await next();
    if (r.isBinary || r.data.toString() !== text) fail(`text echo of ${n} bytes`);
    const bin = Buffer.alloc(n, 0xab);
    ws.send(bin);
    const b = await next();
    if (!b.isBinary || !b.data.equals(bin)) fail(`binary echo of ${n} bytes`);
  }
  // One text message in three fragments, the UTF-8 split across them.
  ws.send(Buffer.from([0xc3]), { binary: false, fin: false });
  ws.send(Buffer.from([0xa9, 0x41]), { fin: false });
  ws.send(Buffer.from("B"), { fin: true });
  const f = await next();
  if (f.data.toString() !== "éAB") fail("fragmented message: " + f.data.toString());
  await new Promise((resolve) => {
    ws.once("pong", (data) => {
      if (data.toString() !== "are you there") fail("pong payload");
      resolve();
    });
    ws.ping("are you there");
  });
}

ws.on("open", async () => {
  const ext = ws.extensions || "";
  if (compress && !ext.includes("permessage-deflate")) console.log("note: the server declined permessage-deflate");
  if (!compress && ext) fail("an extension not offered: " + ext);
  await echoes();
  ws.close(4001, "bye");
});
ws.on("close", (code, reason) => {
  // The answer echoes the code (RFC 6455 §5.5.1); the reason need not be
  // (Tornado sends none either).
  if (code !== 4001) fail(`close ${code} ${reason}`);
  console.log("ok: node ws" + (compress ? " (compression offered)" : ""));
  process.exit(0);
});
ws.on("error", (e) => fail(e.message));
