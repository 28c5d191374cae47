#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Branch coverage of the Raft core (kmod/raft) by the unit tests and the
# simulator (scripts/coverage.sh); the goal is at least 90%.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
goal=${RRAFT_COVERAGE_GOAL:-90.0}
out=$("$top/scripts/coverage.sh" 2>&1)
rc=$?
echo "$out" | tail -n 12
pct=$(echo "$out" | sed -n 's/^kmod\/raft branch coverage: \([0-9.]*\)%$/\1/p' | tail -n 1)
if [ $rc -ne 0 ] || [ -z "$pct" ]; then
	echo "coverage: scripts/coverage.sh failed (rc=$rc)"
	echo "0 passed, 1 failed"
	exit 1
fi
if awk -v p="$pct" -v g="$goal" 'BEGIN { exit !(p >= g) }'; then
	echo "coverage: $pct% >= $goal%"
	echo "1 passed, 0 failed"
	exit 0
fi
echo "coverage: $pct% is below the goal of $goal%"
echo "0 passed, 1 failed"
exit 1
