#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Conformance checks in the spirit of Autobahn's suite, offline, with
Python's wsproto (python3-wsproto) as the peer.

  test_ws_conformance.py server ws://127.0.0.1:PORT/echo
      drives gale's server (examples/websocket_echo) through fragmentation
      with control frames between fragments, UTF-8 split across fragments
      (valid and not), close codes, reserved bits, opcodes, oversized and
      fragmented control frames, and permessage-deflate with parameters.
  test_ws_conformance.py peer PORT
      runs a wsproto echo server for gale's client (prints its port).
Exits 0 when every check passed; prints one line per check."""
import os, socket, struct, sys

from wsproto import ConnectionType, WSConnection
from wsproto.events import (AcceptConnection, BytesMessage, CloseConnection, Message, Ping,
                            Pong, Request, TextMessage)
from wsproto.extensions import PerMessageDeflate

fails = 0


def check(name, ok):
    global fails
    print(("ok: " if ok else "FAIL: ") + name, flush=True)
    if not ok:
        fails += 1


def frame(op, payload=b"", fin=True, rsv=0):
    key = os.urandom(4)
    n = len(payload)
    head = bytes([(0x80 if fin else 0) | rsv << 4 | op])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class Raw:
    """A handshake done with wsproto, then raw frames both ways."""

    def __init__(self, host, port, path, extensions=None):
        self.s = socket.create_connection((host, port), timeout=5)
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.s.sendall(self.ws.send(Request(host=host, target=path, extensions=extensions or [])))
        self.buf = b""
        self.accepted = None
        while self.accepted is None:
            data = self.s.recv(65536)
            if not data:
                raise RuntimeError("closed in the handshake")
            self.ws.receive_data(data)
            for ev in self.ws.events():
                self.accepted = isinstance(ev, AcceptConnection)
        # wsproto keeps bytes after the head: none expected from an echo.

    def read_frame(self):
        while True:
            if len(self.buf) >= 2:
                b0, b1 = self.buf[0], self.buf[1]
                n, off = b1 & 0x7F, 2
                if n == 126 and len(self.buf) >= 4:
                    n, off = struct.unpack("!H", self.buf[2:4])[0], 4
                elif n == 127 and len(self.buf) >= 10:
                    n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
                if (b1 & 0x7F) < 126 or off > 2:
                    if len(self.buf) >= off + n:
                        payload, self.buf = self.buf[off:off + n], self.buf[off + n:]
                        return b0 & 0x0F, bool(b0 & 0x80), payload
            data = self.s.recv(65536)
            if not data:
                return None, True, b""
            self.buf += data

    def close_code(self):
        while True:
            op, _, payload = self.read_frame()
            if op is None:
                return 1006
            if op == 8:
                return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005


def server_checks(url):
    hostport, path = url[len("ws://"):].split("/", 1)
    host, port = hostport.split(":")
    port, path = int(port), "/" + path

    r = Raw(host, port, path)
    r.s.sendall(frame(1, "hé".encode(), fin=False) + frame(9, b"mid") +
                frame(0, "llo".encode(), fin=False) + frame(10, b"unsolicited") +
                frame(0, b"!", fin=True))
    op, fin, p = r.read_frame()
    check("a ping between fragments is answered at once", (op, p) == (10, b"mid"))
    op, fin, p = r.read_frame()
    check("fragments joined, controls between them", (op, fin, p) == (1, True, "héllo!".encode()))
    r.s.sendall(frame(1, b"\xc3", fin=False) + frame(0, b"\xa9"))
    op, fin, p = r.read_frame()
    check("UTF-8 split across fragments is valid", (op, p) == (1, b"\xc3\xa9"))
    r.s.sendall(frame(2, b"\xff\x00" * 40000))
    op, fin, p = r.read_frame()
    check("binary 80000 bytes echoed", (op, len(p)) == (2, 80000))
    r.s.sendall(frame(8, struct.pack("!H", 3000) + b"bye"))
    check("close 3000 echoed", r.close_code() == 3000)

    def fails_with(name, data, code):
        r = Raw(host, port, path)
        r.s.sendall(data)
        got = r.close_code()
        check("%s: closes %d (got %d)" % (name, code, got), got == code)

    fails_with("bad UTF-8 across fragments", frame(1, b"\xc3", fin=False) + frame(0, b"\x28"), 1007)
    fails_with("bad UTF-8 in a close reason", frame(8, struct.pack("!H", 1000) + b"\xff"), 1007)
    for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000):
        fails_with("close code %d" % code, frame(8, struct.pack("!H", code)), 1002)
    fails_with("a one-byte close payload", frame(8, b"\x03"), 1002)
    fails_with("rsv2 without an extension", frame(1, b"x", rsv=2), 1002)
    fails_with("rsv1 without an extension", frame(1, b"x", rsv=4), 1002)
    for op in (3, 7, 11, 15):
        fails_with("opcode %d" % op, frame(op, b""), 1002)
    fails_with("a ping of 126 bytes", frame(9, b"p" * 126), 1002)
    fails_with("a fragmented ping", frame(9, b"p", fin=False), 1002)
    fails_with("a continuation with nothing to continue", frame(0, b"x"), 1002)
    fails_with("a new message inside a fragmented one",
               frame(1, b"a", fin=False) + frame(1, b"b"), 1002)
    unmasked = bytes([0x81, 1]) + b"x"
    fails_with("an unmasked client frame", unmasked, 1002)

    for params in ({}, {"client_no_context_takeover": True, "server_no_context_takeover": True},
                   {"client_max_window_bits": 10, "server_max_window_bits": 12}):
        ext = PerMessageDeflate(**params)
        s = socket.create_connection((host, port), timeout=5)
        ws = WSConnection(ConnectionType.CLIENT)
        s.sendall(ws.send(Request(host=host, target=path, extensions=[ext])))
        got, agreed = [], None
        text = "compress me " * 200
        while len(got) < 3:
            data = s.recv(65536)
            if not data:
                break
            ws.receive_data(data)
            for ev in ws.events():
                if isinstance(ev, AcceptConnection):
                    agreed = any(isinstance(e, PerMessageDeflate) for e in ev.extensions)
                    for i in range(3):
                        s.sendall(ws.send(TextMessage(data=text + str(i))))
                elif isinstance(ev, TextMessage):
                    got.append(ev.data)
        check("permessage-deflate %s: agreed, 3 messages back" % params,
              agreed and got == [text + str(i) for i in range(3)])
        s.sendall(ws.send(CloseConnection(code=1000)))
        s.close()


def peer(port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(8)
    print(ls.getsockname()[1], flush=True)
    while True:
        s, _ = ls.accept()
        ws = WSConnection(ConnectionType.SERVER)
        done = False
        while not done:
            data = s.recv(65536)
            if not data:
                break
            ws.receive_data(data)
            out = b""
            for ev in ws.events():
                if isinstance(ev, Request):
                    out += ws.send(AcceptConnection(extensions=[PerMessageDeflate()]))
                elif isinstance(ev, Message):
                    out += ws.send(type(ev)(data=ev.data, message_finished=ev.message_finished))
                elif isinstance(ev, Ping):
                    out += ws.send(ev.response())
                elif isinstance(ev, CloseConnection):
                    out += ws.send(ev.response())
                    done = True
            s.sendall(out)
        s.close()


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server_checks(sys.argv[2])
        sys.exit(1 if fails else 0)
    peer(int(sys.argv[2]))
