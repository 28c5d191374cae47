#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Acknowledged-write checker for the rraft VM tests.

  blockio.py write DEV ACKLOG SLOTS [GEN0]
      Forever (until killed): write 4 KiB block (gen % SLOTS) with a pattern
      naming (slot, gen), O_DIRECT|O_SYNC; after each write returns, append
      "slot gen" to ACKLOG and fsync it (the acknowledgement record).
  blockio.py check DEV ACKLOG SLOTS
      Every slot's block must be well formed and hold a generation >= the
      last acknowledged one for that slot (an unacknowledged newer write may
      or may not have landed).  Prints a summary; exit 1 on any violation.
  blockio.py lastgen ACKLOG
      Print the highest acknowledged generation (or -1).
"""
import mmap
import os
import sys

BS = 4096


def block(slot, gen):
    head = b"rraft slot=%08d gen=%010d\n" % (slot, gen)
    buf = (head * (BS // len(head) + 1))[:BS - 8]
    return buf + b"%07d\n" % (gen % 10000000)


def parse(buf):
    head = bytes(buf[:len(block(0, 0).split(b"\n")[0]) + 1])
    try:
        f = head.split()
        slot = int(f[1].split(b"=")[1])
        gen = int(f[2].split(b"=")[1])
    except (IndexError, ValueError):
        return None
    return (slot, gen) if bytes(buf) == block(slot, gen) else None


def read_acks(path):
    acks = {}
    with open(path, "rb") as f:
        for line in f:
            p = line.split()
            if len(p) != 2:
                continue  # a torn last line: not acknowledged
            acks[int(p[0])] = max(acks.get(int(p[0]), -1), int(p[1]))
    return acks


def main():
    mode = sys.argv[1]
    if mode == "lastgen":
        acks = read_acks(sys.argv[2]) if os.path.exists(sys.argv[2]) else {}
        print(max(acks.values()) if acks else -1)
        return 0
    dev, acklog, slots = sys.argv[2], sys.argv[3], int(sys.argv[4])
    mm = mmap.mmap(-1, BS)
    if mode == "write":
        gen = int(sys.argv[5]) if len(sys.argv) > 5 else 0
        fd = os.open(dev, os.O_RDWR | os.O_DIRECT | os.O_SYNC)
        ack = os.open(acklog, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        while True:
            slot = gen % slots
            mm.seek(0)
            mm.write(block(slot, gen))
            if os.pwritev(fd, [mm], slot * BS) != BS:
                raise SystemExit("short write")
            os.write(ack, b"%d %d\n" % (slot, gen))
            os.fsync(ack)
            gen += 1
    if mode == "check":
        acks = read_acks(acklog)
        fd = os.open(dev, os.O_RDONLY | os.O_DIRECT)
        bad = 0
        newer = 0
        for slot in range(slots):
            os.preadv(fd, [mm], slot * BS)
            got = parse(mm)
            want = acks.get(slot, -1)
            if want < 0 and got is None:
                continue  # never written, never acknowledged
            if got is None or got[0] != slot or got[1] < want:
                bad += 1
                if bad <= 10:
                    print("slot %d: acknowledged gen %d, found %s" %
                          (slot, want, got))
            elif got[1] > want:
                newer += 1
        print("checked %d slots, %d with acknowledged writes, %d unacknowledged "
              "newer, %d bad" % (slots, sum(1 for _ in acks), newer, bad))
        return 1 if bad else 0
    raise SystemExit("bad mode")


if __name__ == "__main__":
    sys.exit(main())
