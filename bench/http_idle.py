# SPDX-License-Identifier: MIT
# Opens N keep-alive connections to 127.0.0.1:PORT, makes one request on
# each (so the server has really set the connection up), then holds them
# open and writes "ready" to READY_FILE until killed.
#   python3 http_idle.py PORT N READY_FILE
import socket
import struct
import sys
import time

port, n, ready = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
req = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
socks = []
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # An RST on close: no TIME_WAIT eating the ephemeral ports of later runs.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.connect(("127.0.0.1", port))
    s.sendall(req)
    got = b""
    while b"Hello, world" not in got:
        chunk = s.recv(4096)
        if not chunk:
            sys.exit("server closed connection %d" % i)
        got += chunk
    socks.append(s)
with open(ready, "w") as f:
    f.write("ready %d\n" % len(socks))
while True:
    time.sleep(60)
