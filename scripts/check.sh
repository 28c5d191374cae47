#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: install what is missing, build everything, run every suite.
# Each suite prints its own "N passed, N failed" line; a suite that exits
# non-zero without one counts as one failure.  The last line is the total.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
logdir=${RRAFT_LOGDIR:-$top/build/check}
mkdir -p "$logdir"
total_pass=0
total_fail=0
failed_suites=()

run_suite() {
	local name=$1; shift
	local log=$logdir/$name.log start rc line p f
	start=$(date +%s)
	echo "=== $name: $*"
	"$@" >"$log" 2>&1
	rc=$?
	line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -n "$line" ]; then
		p=$(echo "$line" | sed -E 's/^([A-Za-z-]+: )?([0-9]+) passed, ([0-9]+) failed.*/\2/')
		f=$(echo "$line" | sed -E 's/^([A-Za-z-]+: )?([0-9]+) passed, ([0-9]+) failed.*/\3/')
	else
		p=$([ $rc -eq 0 ] && echo 1 || echo 0)
		f=$([ $rc -eq 0 ] && echo 0 || echo 1)
	fi
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	if [ "$f" -ne 0 ]; then
		failed_suites+=("$name")
		echo "--- $name FAILED (rc=$rc), last lines of $log:"
		tail -n 40 "$log"
	fi
	echo "=== $name: $p passed, $f failed ($(( $(date +%s) - start ))s)"
}

run_suite deps scripts/install-deps.sh
run_suite build make -C "$top" all
for s in scripts/check.d/*.sh; do
	[ -x "$s" ] || continue
	run_suite "$(basename "$s" .sh | sed 's/^[0-9]*-//')" "$s"
done

if [ ${#failed_suites[@]} -ne 0 ]; then
	echo "failed suites: ${failed_suites[*]}"
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
