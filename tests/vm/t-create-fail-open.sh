#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Issue 14 item 7: a create that fails after its disk was added (listen
# address already in use) must not free the device while an opener (udev,
# blkid, here a loop of dd) holds it open.  rraft0 listens on the address;
# 30 creates of rraft1 on a second disk with the same listen address fail
# with EADDRINUSE while a loop keeps opening /dev/rraft1 whenever it exists.
# No oops, no KASAN/UAF report, rraft0 keeps working, rraft1 is gone.
# Issue 13 defect 6 (the control part): a create whose backing disk hangs
# (a suspended dm-linear on vdc) must not block the control class: while it
# waits, rraft1 is created and removed on vdb and rraft0's attributes read;
# once the disk resumes, the hung create completes.
. "$(dirname "$0")/lib.sh"
VM_EXTRA_DISKS="64M 64M"	# vdb: the creates that fail; vdc: the hung disk
rr_need_module
vm_start 1
rr_load 1
rr_ctl_ok 1 format "backing=/dev/vdb node=1 cluster=$RR_CLUSTER members=1 log=4M"
rr_format 1
rr_create 1 "listen=10.77.0.1:$RR_PORT insecure=1"
rr_wait_role 1 leader
vm_ok 1 'set -e
	(while [ ! -e /tmp/stop ]; do
		dd if=/dev/rraft1 of=/dev/null bs=4k count=1 iflag=direct status=none 2>/dev/null
		blkid /dev/rraft1 >/dev/null 2>&1
	done) &
	fails=0
	for i in $(seq 30); do
		r=$(wr /sys/class/rraft-control/create "minor=1 backing=/dev/vdb listen=10.77.0.1:'"$RR_PORT"' insecure=1")
		case "$r" in *EADDRINUSE*|*"in use"*) fails=$((fails + 1)) ;; *) echo "create $i: $r"; exit 1 ;; esac
	done
	touch /tmp/stop; wait
	[ ! -e /sys/block/rraft1 ] || { echo "rraft1 left behind"; exit 1; }
	echo "$fails failed creates"' 600 || fail "failed creates with an opener"
vm_ok 1 'yes ok | head -c 64k | dd of=/dev/rraft0 bs=64k oflag=direct status=none' 60 >/dev/null ||
	fail "rraft0 stopped working"
log "30 failed creates with a concurrent opener: no use after free"

# a hung backing disk under one create does not block the others
vm_ok 1 'export DM_DISABLE_UDEV=1; modprobe dm-mod &&
	dmsetup create hang --table "0 $(blockdev --getsz /dev/vdc) linear /dev/vdc 0" &&
	{ test -b /dev/mapper/hang || dmsetup mknodes hang; }' 60 >/dev/null || fail "dm-linear on vdc"
rr_ctl_ok 1 format "backing=/dev/mapper/hang node=1 cluster=$RR_CLUSTER members=1 log=4M"
vm_ok 1 'export DM_DISABLE_UDEV=1; dmsetup suspend --noflush hang &&
	(wr /sys/class/rraft-control/create "minor=2 backing=/dev/mapper/hang" >/tmp/hung.out 2>&1; touch /tmp/hung.done) &
	sleep 2; [ ! -e /tmp/hung.done ] || { echo "create on a suspended disk returned: $(cat /tmp/hung.out)"; exit 1; }' 60 ||
	fail "a create on the suspended disk did not wait for it"
out=$(vm_ok 1 'set -e
	t0=$(date +%s)
	r=$(wr /sys/class/rraft-control/create "minor=1 backing=/dev/vdb"); [ "$r" = OK ] || { echo "create rraft1: $r"; exit 1; }
	cat /sys/block/rraft0/rraft/role >/dev/null
	r=$(wr /sys/class/rraft-control/remove 1); [ "$r" = OK ] || { echo "remove rraft1: $r"; exit 1; }
	[ ! -e /tmp/hung.done ] || { echo "the hung create finished early"; exit 1; }
	echo "create+remove of rraft1 in $(( $(date +%s) - t0 )) s while a create hung"' 120) ||
	fail "the control class blocked behind a hung disk: $out"
log "$out"
vm_ok 1 'export DM_DISABLE_UDEV=1; dmsetup resume hang
	for i in $(seq 300); do [ -e /tmp/hung.done ] && break; sleep 0.2; done
	[ "$(cat /tmp/hung.out)" = OK ] || { echo "hung create: $(cat /tmp/hung.out)"; exit 1; }
	r=$(wr /sys/class/rraft-control/remove 2); [ "$r" = OK ] || { echo "remove rraft2: $r"; exit 1; }
	dmsetup remove hang' 120 >/dev/null || fail "the create on the resumed disk"
log "the create on the resumed disk completed; rraft2 removed"
vm_dmesg 1 | grep -E "BUG|KASAN|use-after-free|general protection|blocked for more" && fail "kernel error"
true
