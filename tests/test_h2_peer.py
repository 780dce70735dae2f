#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A raw HTTP/2 peer for tests/test_h2_server.c: plays one hostile (or
plain) case against 127.0.0.1:PORT and checks what the server answers.

  test_h2_peer.py PORT CASE EXPECT

EXPECT is "goaway:CODE" (a GOAWAY with that error code), "rst:CODE" (a
RST_STREAM on stream 1 with that code) or "ok" (a 200 on stream 1).
Exit 0 when it came, 1 otherwise (what came is printed)."""
import socket
import struct
import sys
import time

import hpack

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST, SETTINGS, PUSH, PING, GOAWAY, WUPD, CONT = range(10)
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1


def frame(ftype, flags, sid, payload=b""):
    n = len(payload)
    return struct.pack(">BHBBI", n >> 16, n & 0xFFFF, ftype, flags, sid) + payload


enc = hpack.Encoder()


def req_block(path="/", method="GET", extra=()):
    return enc.encode([(":method", method), (":scheme", "http"), (":path", path),
                       (":authority", "localhost")] + list(extra))


def get(sid, path="/"):
    return frame(HEADERS, END_STREAM | END_HEADERS, sid, req_block(path))


def hpack_int(value, prefix_bits, first):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = [first | limit]
    value -= limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def case_frames(case):
    if case == "ok":
        return get(1)
    if case == "rapid_reset":
        out = b""
        for i in range(400):
            sid = 1 + 2 * i
            out += get(sid) + frame(RST, 0, sid, struct.pack(">I", 8))
        return out
    if case == "continuation":
        out = frame(HEADERS, 0, 1, req_block())
        crumb = enc.encode([("x-a", "b" * 90)])
        for _ in range(200):
            out += frame(CONT, 0, 1, crumb)
        return out
    if case == "hpack_bomb":
        # One 4000-byte entry in the dynamic table, then a block naming it
        # 2000 times: 2 KiB on the wire, 8 MB decoded.
        big = b"x-big"
        lit = b"\x40" + hpack_int(len(big), 7, 0) + big + hpack_int(4000, 7, 0) + b"v" * 4000
        block = req_block() + lit + b"\xbe" * 2000
        return frame(HEADERS, END_STREAM | END_HEADERS, 1, block)
    if case == "settings_flood":
        return b"".join(frame(SETTINGS, 0, 0) for _ in range(300))
    if case == "ping_flood":
        return b"".join(frame(PING, 0, 0, b"12345678") for _ in range(300))
    if case == "empty_data":
        out = frame(HEADERS, END_HEADERS, 1, req_block("/echo", "POST"))
        return out + b"".join(frame(DATA, 0, 1) for _ in range(300))
    if case == "zero_window":
        return get(1, "/huge")
    if case == "reuse_id":
        return get(1) + get(1)
    if case == "backwards":
        return get(5) + get(3)
    if case == "closed_stream":
        return get(1)
    if case == "oversize":
        return frame(HEADERS, END_HEADERS, 1, req_block("/echo", "POST")) + \
            frame(DATA, END_STREAM, 1, b"z" * 20000)
    raise SystemExit("unknown case " + case)


def main():
    port, case, expect = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    settings = b""
    if case == "zero_window":
        settings = struct.pack(">HI", 4, 0)  # SETTINGS_INITIAL_WINDOW_SIZE = 0
    s.sendall(PREFACE + frame(SETTINGS, 0, 0, settings))
    try:
        s.sendall(case_frames(case))
    except OSError:
        pass
    buf, seen, deadline, sent_late = b"", [], time.time() + 10, False
    while time.time() < deadline:
        try:
            chunk = s.recv(65536)
        except OSError:
            chunk = b""
        if not chunk:
            break
        buf += chunk
        while len(buf) >= 9:
            n = int.from_bytes(buf[0:3], "big")
            if len(buf) < 9 + n:
                break
            ftype, flags, sid = buf[3], buf[4], int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF
            payload, buf = buf[9:9 + n], buf[9 + n:]
            if ftype == SETTINGS and not flags & ACK:
                s.sendall(frame(SETTINGS, ACK, 0))
            if ftype == GOAWAY:
                seen.append("goaway:%d" % int.from_bytes(payload[4:8], "big"))
            elif ftype == RST and sid == 1:
                seen.append("rst:%d" % int.from_bytes(payload[0:4], "big"))
            elif ftype == HEADERS and sid == 1:
                seen.append("headers")
                if case == "closed_stream" and not sent_late:
                    sent_late = True
                    # DATA on the stream the server just closed.
                    s.sendall(frame(DATA, 0, 1, b"late"))
                elif case == "reuse_id" and not sent_late:
                    sent_late = True
            elif ftype == DATA and sid == 1 and flags & END_STREAM and expect == "ok":
                print("ok")
                return 0
            if expect in seen:
                print(" ".join(seen))
                return 0
    print("expected", expect, "got", " ".join(seen) or "nothing")
    return 1


if __name__ == "__main__":
    sys.exit(main())
