#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Wire codec: userspace round-trip/corruption/truncation/garbage tests under
# ASan+UBSan (tests/fuzz/wire_test), then the libFuzzer target for
# FUZZ_SECONDS (default 30) when clang is available.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top/tests/fuzz" || exit 1
pass=0
fail=0

if ! make -s wire_test; then
	echo "wire_test: build failed"
	echo "0 passed, 1 failed"
	exit 1
fi
out=$(./wire_test -n "${WIRE_GARBAGE:-200000}" 2>&1)
rc=$?
echo "$out"
line=$(echo "$out" | grep -E '^wire: [0-9]+ passed, [0-9]+ failed' | tail -n 1)
if [ -n "$line" ]; then
	pass=$((pass + $(echo "$line" | sed -E 's/^wire: ([0-9]+) passed.*/\1/')))
	fail=$((fail + $(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')))
fi
if [ $rc -ne 0 ] && [ -z "$line" -o "$fail" -eq 0 ]; then
	fail=$((fail + 1))
fi

if command -v clang >/dev/null 2>&1; then
	if make -s wire_fuzz && make -s corpus >/dev/null &&
	   ./wire_fuzz -max_total_time="${FUZZ_SECONDS:-30}" -max_len=70000 \
		-artifact_prefix=/tmp/rraft-wire-fuzz- -print_final_stats=1 \
		corpus >fuzz.log 2>&1; then
		grep -E 'stat::(number_of_executed_units|new_units_added)' fuzz.log
		echo "ok libFuzzer wire_fuzz (${FUZZ_SECONDS:-30}s)"
		pass=$((pass + 1))
	else
		tail -n 40 fuzz.log
		echo "not ok libFuzzer wire_fuzz"
		fail=$((fail + 1))
	fi
else
	echo "clang not installed: libFuzzer target not built (scripts/packages.txt lists clang)"
	fail=$((fail + 1))
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
