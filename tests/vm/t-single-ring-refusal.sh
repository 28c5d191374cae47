#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Replay refuses, it does not truncate (issue 13, defect 2): the newest
# state slot of a one-member device is rewritten (valid crc) with a commit
# index above the last index in its log ring, as if acknowledged entries
# had vanished.  create must fail with EUCLEAN and exactly one dmesg line
# naming the check, and must not lower the commit index; with the original
# slot put back the device comes up with its data.
. "$(dirname "$0")/lib.sh"
rr_need_module
vm_start 1
rr_load 1
rr_format 1
rr_create 1
rr_wait_role 1 leader
vm_ok 1 'head -c 1M /dev/urandom >/tmp/pat && dd if=/tmp/pat of=/dev/rraft0 bs=64k oflag=direct status=none && md5sum </tmp/pat | cut -d" " -f1 >/tmp/pat.md5' 300 >/dev/null
last=$(rr_attr 1 0 last_index)
vm_ok 1 "echo 0 >$RR_CTL_DIR/remove" >/dev/null

commit=$(vm_ok 1 "blockdev --flushbufs /dev/vda && python3 $VM_LIB_DIR/stateslot.py /dev/vda get")
log "log ..$last, stored commit $commit"
bad=$((last + 1000))
vm_ok 1 "blockdev --flushbufs /dev/vda && python3 $VM_LIB_DIR/stateslot.py /dev/vda set $bad && sync && blockdev --flushbufs /dev/vda" >/dev/null
vm_ok 1 'dmesg -C' >/dev/null
r=$(rr_ctl 1 create "minor=0 backing=/dev/vda")
expect_eq "create with commit $bad above the log ..$last" "$r" EUCLEAN
lines=$(vm_ok 1 'dmesg' | grep -c 'rraft: create: /dev/vda: refusing: log ring: commit index above the recovered log')
expect_eq "dmesg lines naming the check" "$lines" 1
n=$(vm_ok 1 'dmesg' | grep -c 'rraft: create: /dev/vda: refusing')
expect_eq "refusal lines" "$n" 1
vm_ok 1 'test ! -b /dev/rraft0' >/dev/null
expect_eq "commit left as found" "$(vm_ok 1 "blockdev --flushbufs /dev/vda && python3 $VM_LIB_DIR/stateslot.py /dev/vda get")" "$bad"

vm_ok 1 "blockdev --flushbufs /dev/vda && python3 $VM_LIB_DIR/stateslot.py /dev/vda restore && sync && blockdev --flushbufs /dev/vda" >/dev/null
rr_create 1
rr_wait_role 1 leader
expect_eq "content after the slot is restored" "$(vm_ok 1 'rr_dev_sum 0 1')" "$(vm_ok 1 'cat /tmp/pat.md5')"
vm_ok 1 "echo 0 >$RR_CTL_DIR/remove" >/dev/null
