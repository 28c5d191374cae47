#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The network's own limits between two bench VMs (tests/vm/bench-fio.sh).

  netprobe.py serve PORT
      Serve two connections, then exit: the first echoes an 8-byte reply
      to every 4 KiB message, the second counts bytes until EOF and
      replies with the count.
  netprobe.py probe HOST PORT SECONDS
      Half the time 4 KiB ping-pong (one message in flight: the round trip
      a QD1 replicated write pays at least once), half the time a TCP stream
      of 1 MiB sends.  Prints "rtt4k_p50_us N", "rtt4k_p99_us N" and
      "stream_mibps N".
"""
import socket
import sys
import time

MSG = 4096


def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        b = s.recv(n - len(buf))
        if not b:
            return None
        buf += b
    return bytes(buf)


def serve(port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(2)
    s, _ = ls.accept()
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while recv_exact(s, MSG) is not None:
        s.sendall(b"ack-4096")
    s.close()
    s, _ = ls.accept()
    total = 0
    while True:
        b = s.recv(1 << 20)
        if not b:
            break
        total += len(b)
    s.sendall(b"%d\n" % total)
    s.close()


def probe(host, port, secs):
    s = socket.create_connection((host, port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    msg = b"p" * MSG
    rtts = []
    end = time.monotonic() + secs / 2
    while time.monotonic() < end:
        t0 = time.monotonic()
        s.sendall(msg)
        if recv_exact(s, 8) is None:
            raise SystemExit("ping-pong: connection closed")
        rtts.append(time.monotonic() - t0)
    s.close()
    rtts.sort()
    s = socket.create_connection((host, port))
    chunk = b"s" * (1 << 20)
    t0 = time.monotonic()
    end = t0 + secs / 2
    while time.monotonic() < end:
        s.sendall(chunk)
    s.shutdown(socket.SHUT_WR)
    total = int(s.makefile().readline())
    dt = time.monotonic() - t0
    s.close()
    print("rtt4k_p50_us %.1f" % (rtts[len(rtts) // 2] * 1e6))
    print("rtt4k_p99_us %.1f" % (rtts[min(len(rtts) - 1, len(rtts) * 99 // 100)] * 1e6))
    print("stream_mibps %.1f" % (total / dt / (1 << 20)))


def main():
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    elif sys.argv[1] == "probe":
        probe(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    else:
        raise SystemExit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main())
