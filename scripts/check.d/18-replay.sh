#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The log ring's replay and appender (kmod/rraft_ring.c) against power cuts:
# tests/replay under ASan and UBSan, the fixed scenarios then seeded crash
# campaigns for REPLAY_SECONDS (default 20).  Longer: make -C tests/replay
# long; the libFuzzer target: make -C tests/replay fuzz.
# Last line: "N passed, N failed".
top=$(cd "$(dirname "$0")/../.." && pwd)
make -s -C "$top/tests/replay" clean >/dev/null
out=$(make -s -C "$top/tests/replay" run REPLAY_SECONDS="${REPLAY_SECONDS:-20}" 2>&1)
rc=$?
echo "$out"
if ! echo "$out" | grep -qE '^replay: [0-9]+ passed, [0-9]+ failed'; then
	echo "0 passed, 1 failed"
	exit 1
fi
echo "$out" | grep -E '^replay: ' | tail -n 1 | sed 's/^replay: //'
exit $rc
