#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Branch coverage of kmod/raft/ by the userspace suites (unit tests and the
# simulator), built with --coverage.  Last line:
#   kmod/raft branch coverage: NN.N%
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
COV="--coverage -O0"

find "$top/tests/unit" "$top/tests/sim" -name '*.gcda' -delete 2>/dev/null

echo "=== unit tests (coverage build)"
make -s -C tests/unit clean
if make -s -C tests/unit build SAN= EXTRA_CFLAGS="$COV" EXTRA_LDFLAGS=--coverage; then
	(cd tests/unit && ./test_raft | tail -n 1)
else
	echo "unit build failed"
fi

if [ -f tests/sim/Makefile ]; then
	echo "=== simulator (coverage build)"
	make -s -C tests/sim clean
	if make -s -C tests/sim SAN= EXTRA_CFLAGS="$COV" EXTRA_LDFLAGS=--coverage; then
		tests/sim/rraft-sim --nodes 3 --seeds 1-300 | tail -n 1
		tests/sim/rraft-sim --nodes 5 --seeds 1-200 | tail -n 1
		if [ -d tests/sim/scenarios ]; then
			for f in tests/sim/scenarios/*; do
				[ -f "$f" ] || continue
				tests/sim/rraft-sim --script "$f" >/dev/null 2>&1 ||
					echo "scenario $(basename "$f") failed"
			done
		fi
	else
		echo "simulator build failed (coverage from unit tests only)"
	fi
else
	echo "=== no simulator (tests/sim missing): unit tests only"
fi

echo "=== gcovr $(gcovr --version | head -n 1)"
out=$(mktemp)
# gcovr 5.x: --branches reports branch coverage (7.x also has --txt-metric)
gcovr -r "$top" --filter "$top/kmod/raft/" --branches \
	--exclude-unreachable-branches "$top/tests/unit" "$top/tests/sim" \
	>"$out" 2>/dev/null
cat "$out"
pct=$(awk '/^TOTAL/ { if ($2 > 0) printf "%.1f", 100 * $3 / $2; else print "0.0" }' "$out")
rm -f "$out"
# the coverage objects must not leak into normal builds
make -s -C tests/unit clean
[ -f tests/sim/Makefile ] && make -s -C tests/sim clean
echo "kmod/raft branch coverage: ${pct:-0.0}%"
