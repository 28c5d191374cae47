#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# One-member cluster with a 4 MiB log: 64 MiB of writes (16x the log: fio
# random 4k writes with verify, then three 16 MiB sequential passes) must
# wrap the log ring through checkpoints; the device keeps working, the log
# never exceeds its capacity, the data verifies, also after the device is
# taken down and brought up again.
. "$(dirname "$0")/lib.sh"
rr_single_start "log=4M"
cap=$(rr_attr 1 0 log_capacity)
[ "$cap" -le $((4 << 20)) ] && [ "$cap" -gt 0 ] || fail "log_capacity $cap for log=4M"

vm_ok 1 'fio --name=w --filename=/dev/rraft0 --rw=randwrite --bs=4k --size=16M --verify=crc32c --direct=1 --iodepth=8 --ioengine=libaio --output=/mnt/shared/fio.txt' 900 >/dev/null
for pass in 1 2 3; do
	vm_ok 1 "head -c 16M /dev/urandom >/tmp/pat && dd if=/tmp/pat of=/dev/rraft0 bs=1M oflag=direct status=none && md5sum </tmp/pat | cut -d' ' -f1 >/tmp/pat.md5" 900 >/dev/null
	used=$(rr_attr 1 0 log_used)
	[ "$used" -le "$cap" ] || fail "log_used $used > log_capacity $cap"
done
want=$(vm_ok 1 'cat /tmp/pat.md5')
expect_eq "content after wrap" "$(vm_ok 1 'rr_dev_sum 0 16')" "$want"
snap=$(rr_attr 1 0 snap_index)
last=$(rr_attr 1 0 last_index)
[ "$snap" -gt 0 ] || fail "no checkpoint after 64M of writes through a 4M log (snap_index $snap)"
log "log_capacity $cap, snap_index $snap, last_index $last, first_index $(rr_attr 1 0 first_index)"
vm_ok 1 "echo 0 >$RR_CTL_DIR/remove" >/dev/null
rr_create 1
rr_wait_role 1 leader
expect_eq "content after re-create" "$(vm_ok 1 'rr_dev_sum 0 16')" "$want"
vm_ok 1 "echo 0 >$RR_CTL_DIR/remove" >/dev/null
