#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Module reload with devices present: rmmod of rraft with two devices
# created (not open) succeeds and removes them; insmod again, create again,
# the data written before is intact.  An open device keeps the module in
# (rmmod fails, nothing breaks).
. "$(dirname "$0")/lib.sh"
rr_need_module
VM_EXTRA_DISKS="64M"
vm_start 1
rr_load 1
rr_format 1
rr_ctl_ok 1 format "backing=/dev/vdb node=1 cluster=0x77 members=1 log=4M"
rr_create 1
rr_ctl_ok 1 create "minor=1 backing=/dev/vdb"
rr_wait_role 1 leader
vm_ok 1 'rr_wait_attr 1 role leader 60' 80 >/dev/null
vm_ok 1 'head -c 8M /dev/urandom >/tmp/a && head -c 8M /dev/urandom >/tmp/b &&
	dd if=/tmp/a of=/dev/rraft0 bs=1M oflag=direct status=none &&
	dd if=/tmp/b of=/dev/rraft1 bs=1M oflag=direct status=none' 600 >/dev/null
a=$(vm_ok 1 'md5sum </tmp/a | cut -d" " -f1')
b=$(vm_ok 1 'md5sum </tmp/b | cut -d" " -f1')

# open device: the module must stay
vm_exec 1 'exec 3</dev/rraft1; rmmod rraft' >/dev/null 2>&1 && fail "rmmod succeeded with /dev/rraft1 open"
vm_ok 1 'test -b /dev/rraft0 && test -b /dev/rraft1' >/dev/null

for round in 1 2; do
	vm_ok 1 'rmmod rraft' 120 >/dev/null
	vm_exec 1 'ls /sys/block | grep rraft' && fail "devices left after rmmod"
	rr_load 1
	rr_create 1
	rr_ctl_ok 1 create "minor=1 backing=/dev/vdb"
	rr_wait_role 1 leader
	vm_ok 1 'rr_wait_attr 1 role leader 60' 80 >/dev/null
	expect_eq "rraft0 after reload $round" "$(vm_ok 1 'rr_dev_sum 0 8')" "$a"
	expect_eq "rraft1 after reload $round" "$(vm_ok 1 'rr_dev_sum 1 8')" "$b"
done
vm_ok 1 'rmmod rraft' 120 >/dev/null
