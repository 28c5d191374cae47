#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# rraftctl and packaging: build the tool with -Werror, run its tests against
# a fake sysfs tree (tests/tools/run.sh), once more with an ASan/UBSan
# build, then build/install/remove rraft.ko through DKMS for the 6.1 and
# 6.12 kernels (tests/tools/dkms.sh), and drive the real module in three
# VMs with rraftctl alone (tests/tools/vm-rraftctl.sh, about 4 minutes).
# Last line: "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
pass=0
fail=0
# the lock VM test runs take (tests/vm/run.sh callers, see
# Documentation/design/testing.rst)
lock=${RRAFT_VM_LOCK:-/tmp/rraft-vm.lock}

add_counts() { # log of a suite that ends with "N passed, N failed"
	local line
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
	if [ -z "$line" ]; then
		fail=$((fail + 1))
		return
	fi
	pass=$((pass + ${line%% passed*}))
	line=${line#*passed, }
	fail=$((fail + ${line%% failed*}))
}

echo "== build rraftctl"
if make -C "$top/userspace-tools" >/tmp/rraft-tools-build.$$ 2>&1; then
	pass=$((pass + 1))
	echo "ok - make -C userspace-tools (-Wall -Wextra -Werror)"
else
	fail=$((fail + 1))
	cat /tmp/rraft-tools-build.$$
	echo "FAIL - make -C userspace-tools"
fi
rm -f /tmp/rraft-tools-build.$$

# the same tests again with rraftctl built with ASan and UBSan
asan=$(mktemp -d /tmp/rraft-tools-asan.XXXXXX)
trap 'rm -rf "$asan"' EXIT
if make -C "$top/userspace-tools" asan ASAN_BIN="$asan/rraftctl" \
	>"$asan/build.log" 2>&1; then
	pass=$((pass + 1))
	echo "ok - rraftctl builds with -fsanitize=address,undefined"
else
	fail=$((fail + 1))
	cat "$asan/build.log"
	echo "FAIL - rraftctl builds with -fsanitize=address,undefined"
fi

for t in run run-asan dkms vm; do
	case $t in
	run-asan) echo "== tests/tools/run.sh with the ASan/UBSan build" ;;
	vm) echo "== tests/tools/vm-rraftctl.sh (three VMs, the real module)" ;;
	*) echo "== tests/tools/$t.sh" ;;
	esac
	log=$(mktemp /tmp/rraft-tools.XXXXXX)
	if [ "$t" = run-asan ]; then
		RRAFTCTL=$asan/rraftctl ASAN_OPTIONS=detect_leaks=1 \
			"$top/tests/tools/run.sh" >"$log" 2>&1
	elif [ "$t" = vm ]; then
		# RRAFT_KO: the module "make all" built (tests/vm/lib.sh)
		VM_TEST_TIMEOUT=${VM_TEST_TIMEOUT:-1200} flock "$lock" \
			"$top/tests/vm/run.sh" "$top/tests/tools/vm-rraftctl" >"$log" 2>&1
	elif [ "$t" = dkms ]; then
		# dkms install runs depmod on the host's /lib/modules, which
		# every VM guest reads over 9p: a guest's modprobe during the
		# rewrite fails.  Never while VMs run.
		flock "$lock" "$top/tests/tools/dkms.sh" >"$log" 2>&1
	else
		"$top/tests/tools/$t.sh" >"$log" 2>&1
	fi
	rc=$?
	cat "$log"
	before=$fail
	add_counts "$log"
	if [ $rc -ne 0 ] && [ $fail -eq $before ]; then fail=$((fail + 1)); fi
	rm -f "$log"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
