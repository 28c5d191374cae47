#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The second kernel: build rraft.ko for Debian's other supported kernel
# (6.12 when the main build is 6.1, and the other way round) with W=1 and no
# warning allowed, then run the VM smoke tests there (format, replicate,
# fail over).  `make check KERNEL=6.12` runs the whole VM suite on 6.12.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
main=${KERNEL:-6.1}
case "$main" in 6.12) other=6.1 ;; *) other=6.12 ;; esac
kver=$("$top/scripts/kver.sh" "$other") || {
	echo "no installed $other kernel headers (scripts/install-deps.sh)"
	echo "0 passed, 1 failed"
	exit 1
}
pass=0 failn=0
b=$top/build/kernel-$other
mkdir -p "$b"
rsync -a --delete --exclude .git --exclude build --exclude '*.o' --exclude '*.ko' "$top/" "$b/src/"
log=$b/build.log
if make -C "$b/src" module KERNEL="$other" KVER="$kver" KDIR="/lib/modules/$kver/build" >"$log" 2>&1 &&
	! grep -E 'warning:|error:' "$log"; then
	echo "PASS build for $kver (W=1, no warnings)"
	pass=$((pass + 1))
else
	tail -n 30 "$log"
	echo "FAIL build for $kver"
	failn=$((failn + 1))
fi
if [ -f "$b/src/rraft.ko" ]; then
	out=$(KERNEL=$other VM_KERNEL=$kver RRAFT_KO=$b/src/rraft.ko \
		"$top/tests/vm/run.sh" ${RRAFT_SMOKE_TESTS:-t-3node-failover} 2>&1)
	echo "$out"
	line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
	p=${line%% passed*}
	f=${line#*, }
	f=${f%% failed*}
	pass=$((pass + ${p:-0}))
	failn=$((failn + ${f:-1}))
fi
echo "$pass passed, $failn failed"
[ "$failn" -eq 0 ]
