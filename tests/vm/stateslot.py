#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""stateslot.py DEV get | set COMMIT | restore

The newest valid state slot of an rraft backing device DEV (blocks 1 and 2,
Documentation/design/on-disk-format.rst): print its commit index, rewrite it
with another commit index and a valid crc32c (the original is saved in
/tmp/slot.orig), or put the saved original back.  For tests that corrupt
metadata on purpose (tests/vm/t-single-ring-refusal.sh).
"""
import struct, sys
from rr_crc32c import kernel as crc     # kernel crc32c(~0, ...), no final xor
dev, op = sys.argv[1], sys.argv[2]
with open(dev, "r+b", buffering=0) as f:
    best = None
    for slot in (1, 2):
        f.seek(slot * 4096)
        blk = bytearray(f.read(4096))
        size, stored = struct.unpack_from("<II", blk, 8)
        if struct.unpack_from("<I", blk, 0)[0] != 0x54535252 or size > 4096:
            continue
        z = bytearray(blk[:size]); z[12:16] = b"\0" * 4
        if crc(z) != stored:
            continue
        seq = struct.unpack_from("<Q", blk, 16)[0]
        if best is None or seq > best[0]:
            best = (seq, slot, blk)
    if op == "restore":
        orig = open("/tmp/slot.orig", "rb").read()
        f.seek(int(open("/tmp/slot.no").read()) * 4096); f.write(orig)
        sys.exit(0)
    seq, slot, blk = best
    if op == "get":
        print(struct.unpack_from("<Q", blk, 56)[0]); sys.exit(0)
    open("/tmp/slot.orig", "wb").write(bytes(blk)); open("/tmp/slot.no", "w").write(str(slot))
    struct.pack_into("<Q", blk, 56, int(sys.argv[3]))
    size = struct.unpack_from("<I", blk, 8)[0]
    blk[12:16] = b"\0" * 4
    struct.pack_into("<I", blk, 12, crc(blk[:size]))
    f.seek(slot * 4096); f.write(blk)
