#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run a userspace suite whose last line is "<name>: N passed, N failed"
# from a clean build:  counted-suite.sh <dir under the top> <name>
# Prints the suite's output, then "N passed, N failed" (a missing summary,
# e.g. a failed build or a crash, counts as one failure).
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=$1
name=$2
make -s -C "$top/$dir" clean >/dev/null
out=$(make -s -C "$top/$dir" run 2>&1)
rc=$?
echo "$out"
if ! echo "$out" | grep -qE "^$name: [0-9]+ passed, [0-9]+ failed"; then
	echo "0 passed, 1 failed"
	exit 1
fi
echo "$out" | grep -E "^$name: " | tail -n 1 | sed "s/^$name: //"
exit $rc
