#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Smoke: the module loads in a VM, its control class appears with the three
# write-only files of the ABI, it unloads cleanly (twice), no kernel warning.
. "$(dirname "$0")/lib.sh"
rr_need_module
vm_start 1
for round in 1 2; do
	rr_load 1
	vm_ok 1 'for f in format create remove; do
		test -e /sys/class/rraft-control/$f || { echo "missing $f"; exit 1; }
		p=$(stat -c %a /sys/class/rraft-control/$f)
		[ "$p" = 200 ] || { echo "$f mode $p, want 200"; exit 1; }
	done' >/dev/null
	vm_ok 1 'grep -qw "^rraft" /proc/modules' >/dev/null
	vm_ok 1 'rmmod rraft' >/dev/null
	vm_exec 1 'test -e /sys/class/rraft-control' && fail "class left after rmmod (round $round)"
done
vm_save_dmesg 1
