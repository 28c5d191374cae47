#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Userspace unit tests of the on-disk format and sysfs parser codecs
# (kmod/rraft_format.c, kmod/rraft_parse.c) under ASan and UBSan.
# Last line: "N passed, N failed".
top=$(cd "$(dirname "$0")/../.." && pwd)
make -s -C "$top/tests/codec" clean >/dev/null
out=$(make -s -C "$top/tests/codec" run 2>&1)
rc=$?
echo "$out"
if ! echo "$out" | grep -qE '^codec: [0-9]+ passed, [0-9]+ failed'; then
	echo "0 passed, 1 failed"
	exit 1
fi
echo "$out" | grep -E '^codec: ' | tail -n 1 | sed 's/^codec: //'
exit $rc
