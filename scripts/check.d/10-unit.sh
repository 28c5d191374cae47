#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Unit tests of the Raft core (tests/unit, ASan+UBSan, -Werror).
# Last line: "N passed, N failed"; exits non-zero on any failure.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
if ! make -s -C "$top/tests/unit" build; then
	echo "unit: build failed"
	echo "0 passed, 1 failed"
	exit 1
fi
cd "$top/tests/unit" || exit 1
out=$(mktemp)
./test_raft >"$out" 2>&1
rc=$?
cat "$out"
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
rm -f "$out"
if [ $rc -ne 0 ]; then
	p=$(echo "${line:-0 passed, 0 failed}" | sed -E 's/^([0-9]+) passed.*/\1/')
	f=$(echo "${line:-0 passed, 0 failed}" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	[ "$f" -eq 0 ] && f=1	# crashed or leaked after the summary
	echo "$p passed, $f failed"
fi
exit $rc
