// SPDX-License-Identifier: MIT
// bench/ws_node.js — node's ws (Debian's node-ws) as the peer of
// bench/websocket.sh: /echo echoes every message as it came (text or
// binary), /broadcast sends each message to every /broadcast socket.
// Listens on 127.0.0.1:PORT (0: a free port) and prints the port.
"use strict";
const http = require("http");
const { WebSocketServer } = require("ws");

const port = Number(process.argv[2] || 0);
const server = http.createServer((req, res) => { res.writeHead(404); res.end(); });
const echo = new WebSocketServer({ noServer: true, perMessageDeflate: false });
const broadcast = new WebSocketServer({ noServer: true, perMessageDeflate: false });

echo.on("connection", (ws) => {
  ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
});
broadcast.on("connection", (ws) => {
  ws.on("message", (data, isBinary) => {
    for (const peer of broadcast.clients) peer.send(data, { binary: isBinary });
  });
});
server.on("upgrade", (req, socket, head) => {
  const wss = req.url === "/echo" ? echo : req.url === "/broadcast" ? broadcast : null;
  if (!wss) return socket.destroy();
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
});
server.listen(port, "127.0.0.1", () => console.log(server.address().port));
