#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A raw HTTP/2 server (h2c, prior knowledge) for tests/test_http_client_h2.c:
writes its frames by hand so it can break the protocol on purpose.

  test_http_client_h2_peer.py PORT

Answers by path, each request on its own:
  /ok          200 "ok"
  /rst         RST_STREAM INTERNAL_ERROR before any answer
  /trailers    200 "body" then trailers x-checksum: abc
  /big         200 with an 8 KB header field
  /badheader   200 with an upper-case field name (malformed, RFC 9113 8.2.1)
  /short       content-length: 10 and 3 bytes of DATA (malformed)
  /garbage     a DATA frame on stream 0 (connection PROTOCOL_ERROR)
  /flood       1,000 PINGs
  /goaway      the first HTTP/2 connection holds these until three are open, then
               sends GOAWAY(last_stream_id = the lowest), answers that one
               "first" and closes; later connections answer "again"
Anything else: 404.  Runs until killed."""
import socket
import struct
import sys
import threading

import hpack

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST, SETTINGS, PUSH, PING, GOAWAY, WUPD, CONT = range(10)
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1

conn_count = 0
count_lock = threading.Lock()


def frame(ftype, flags, sid, payload=b""):
    n = len(payload)
    return struct.pack(">BHBBI", n >> 16, n & 0xFFFF, ftype, flags, sid) + payload


def read_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def read_frame(sock):
    hd = read_exact(sock, 9)
    n = (hd[0] << 16) | (hd[1] << 8) | hd[2]
    ftype, flags, sid = hd[3], hd[4], struct.unpack(">I", hd[5:9])[0] & 0x7FFFFFFF
    return ftype, flags, sid, read_exact(sock, n) if n else b""


def serve(sock):
    global conn_count
    enc = hpack.Encoder()
    dec = hpack.Decoder()
    dec.max_header_list_size = 1 << 20

    def headers(sid, fields, end=False):
        sock.sendall(frame(HEADERS, END_HEADERS | (END_STREAM if end else 0), sid,
                           enc.encode(fields, huffman=False)))

    def answer(sid, body, status="200", extra=()):
        headers(sid, [(":status", status), ("content-length", str(len(body)))] + list(extra))
        sock.sendall(frame(DATA, END_STREAM, sid, body))

    held = []
    read_exact(sock, len(PREFACE))
    with count_lock:  # counted here: the test's port probe sends nothing
        conn_count += 1
        number = conn_count
    sock.sendall(frame(SETTINGS, 0, 0, struct.pack(">HI", 3, 100)))
    block = b""
    while True:
        ftype, flags, sid, payload = read_frame(sock)
        if ftype == SETTINGS and not flags & ACK:
            sock.sendall(frame(SETTINGS, ACK, 0))
            continue
        if ftype == PING and not flags & ACK:
            sock.sendall(frame(PING, ACK, 0, payload))
            continue
        if ftype not in (HEADERS, CONT):
            continue
        if ftype == HEADERS:
            if flags & 0x8:  # PADDED
                payload = payload[1:len(payload) - payload[0]]
            if flags & 0x20:  # PRIORITY
                payload = payload[5:]
            block = payload
        else:
            block += payload
        if not flags & END_HEADERS:
            continue
        fields = dict(dec.decode(block))
        path = fields.get(":path", "/")
        if path == "/ok":
            answer(sid, b"ok")
        elif path == "/rst":
            sock.sendall(frame(RST, 0, sid, struct.pack(">I", 2)))
        elif path == "/trailers":
            headers(sid, [(":status", "200")])
            sock.sendall(frame(DATA, 0, sid, b"body"))
            headers(sid, [("x-checksum", "abc")], end=True)
        elif path == "/big":
            answer(sid, b"big", extra=[("x-big", "b" * 8000)])
        elif path == "/badheader":
            answer(sid, b"bad", extra=[("X-Upper", "1")])
        elif path == "/short":
            headers(sid, [(":status", "200"), ("content-length", "10")])
            sock.sendall(frame(DATA, END_STREAM, sid, b"abc"))
        elif path == "/garbage":
            sock.sendall(frame(DATA, 0, 0, b"oops"))
        elif path == "/flood":
            sock.sendall(b"".join(frame(PING, 0, 0, b"12345678") for _ in range(1000)))
        elif path == "/goaway" and number == 1:
            held.append(sid)
            if len(held) == 3:
                first = min(held)
                sock.sendall(frame(GOAWAY, 0, 0, struct.pack(">II", first, 0)))
                answer(first, b"first")
                return
        elif path == "/goaway":
            answer(sid, b"again")
        else:
            answer(sid, b"no", status="404")


def handle(sock):
    try:
        serve(sock)
    except (EOFError, OSError):
        pass
    finally:
        try:
            sock.shutdown(socket.SHUT_WR)
            sock.settimeout(1)
            while sock.recv(65536):
                pass
        except OSError:
            pass
        sock.close()


def main():
    port = int(sys.argv[1])
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(64)
    while True:
        s, _ = ls.accept()
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=handle, args=(s,), daemon=True).start()


if __name__ == "__main__":
    main()
