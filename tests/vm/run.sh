#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run the VM test suite: tests/vm/t-*.sh (or the tests named on the command
# line, with or without directory and .sh, e.g. "t-smoke" or
# "pending/t-3node-failover"), each in its own run dir build/vm/<test>/ with
# its log in build/vm/<test>.log (build/vm/<test>-<pid>[.log] while another
# run of the same test is using the first).  Prints PASS/FAIL per test with its time,
# ends with "N passed, N failed", exits non-zero on failure.
# Environment: KERNEL=6.12 (kernel series), VM_KERNEL, RRAFT_KO, and
# VM_TEST_TIMEOUT (seconds per test, default 600); see tests/vm/lib.sh.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
timeout_s=${VM_TEST_TIMEOUT:-600}

if [ "$(id -u)" -ne 0 ]; then
	echo "run.sh: VM tests need root (network namespaces, taps)"
	echo "0 passed, 1 failed"
	exit 1
fi
KERNEL=${KERNEL:-6.1}
export KERNEL
if [ -z "${VM_KERNEL:-}" ]; then
	VM_KERNEL=$("$top/scripts/kver.sh" "$KERNEL") || {
		echo "run.sh: no installed kernel for series $KERNEL"
		echo "0 passed, 1 failed"
		exit 1
	}
fi
export VM_KERNEL
export RRAFT_KO=${RRAFT_KO:-$top/rraft.ko}

tests=()
if [ $# -eq 0 ]; then
	for t in "$here"/t-*.sh; do tests+=("$t"); done
else
	for a in "$@"; do
		a=${a%.sh}
		if [ -f "$a.sh" ]; then tests+=("$(cd "$(dirname "$a")" && pwd)/$(basename "$a").sh")
		elif [ -f "$here/$a.sh" ]; then tests+=("$here/$a.sh")
		else echo "run.sh: no test $a"; echo "0 passed, 1 failed"; exit 1
		fi
	done
fi

mkdir -p "$top/build/vm"
echo "vm tests: kernel $VM_KERNEL, module $RRAFT_KO"
pass=0 failn=0 failed=()
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	# build/vm/<test>, or build/vm/<test>-<pid> while another run uses it
	rd=$top/build/vm/$name
	if [ -f "$rd/owner" ] && kill -0 "$(cat "$rd/owner")" 2>/dev/null; then
		rd=$rd-$$
	fi
	logf=$rd.log
	start=$(date +%s)
	RUNDIR=$rd timeout -k 60 "$timeout_s" bash "$t" >"$logf" 2>&1
	rc=$?
	# leftovers of a test that was SIGKILLed (after its timeout): QEMUs of
	# this run dir, by pid
	if [ -f "$rd/qemu-pids" ]; then
		while read -r pid; do
			if grep -qa "file:$rd/vm" "/proc/$pid/cmdline" 2>/dev/null; then
				kill -9 "$pid" && echo "  killed leftover QEMU $pid" >>"$logf"
			fi
		done <"$rd/qemu-pids"
	fi
	if [ -f "$rd/netns" ] && ip netns list | grep -qw "$(cat "$rd/netns")"; then
		sleep 0.5
		ip netns del "$(cat "$rd/netns")" && echo "  deleted leftover netns" >>"$logf"
	fi
	secs=$(( $(date +%s) - start ))
	if [ $rc -eq 0 ]; then
		echo "PASS $name (${secs}s)"
		pass=$((pass + 1))
	else
		[ $rc -eq 124 ] && echo "  $name: timed out after ${timeout_s}s" >>"$logf"
		echo "FAIL $name (${secs}s, rc=$rc), last lines of $logf:"
		tail -n 30 "$logf" | sed 's/^/  | /'
		failn=$((failn + 1))
		failed+=("$name")
	fi
done
[ $failn -ne 0 ] && echo "failed: ${failed[*]}"
echo "$pass passed, $failn failed"
[ $failn -eq 0 ]
