# SPDX-License-Identifier: GPL-2.0
"""crc32c (Castagnoli, reflected polynomial 0x82F63B78) in Python,
independent of the C code under test, for the tests that write rraft
metadata or frames by hand: tests/vm/stateslot.py, tests/vm/t-net-transport.sh
and tests/tools/run.sh (which put this directory on PYTHONPATH / sys.path).

kernel(data): the kernel's crc32c(~0, data) without a final xor, as the
on-disk format stores it (Documentation/design/on-disk-format.rst).
wire(data): the standard crc32c (final xor), as a frame carries it
(Documentation/design/wire-protocol.rst).
"""
_T = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _T.append(_c)


def kernel(data, crc=0xFFFFFFFF):
    for x in data:
        crc = _T[(crc ^ x) & 0xFF] ^ (crc >> 8)
    return crc


def wire(data):
    return kernel(data) ^ 0xFFFFFFFF
