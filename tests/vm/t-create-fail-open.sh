#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Issue 14 item 7: a create that fails after its disk was added (listen
# address already in use) must not free the device while an opener (udev,
# blkid, here a loop of dd) holds it open.  rraft0 listens on the address;
# 30 creates of rraft1 on a second disk with the same listen address fail
# with EADDRINUSE while a loop keeps opening /dev/rraft1 whenever it exists.
# No oops, no KASAN/UAF report, rraft0 keeps working, rraft1 is gone.
. "$(dirname "$0")/lib.sh"
VM_EXTRA_DISKS="64M"	# vdb: the disk of the creates that fail
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
vm_dmesg 1 | grep -E "BUG|KASAN|use-after-free|general protection" && fail "kernel error"
log "30 failed creates with a concurrent opener: no use after free"
