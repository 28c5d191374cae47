#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Power loss that drops what was not flushed, on a follower of a
# three-member cluster (see t-powerloss and Documentation/design/
# testing.rst).  vm2's backing disk is wrapped in dm-log-writes; vm2 joins
# after vm1 and vm3 elected a leader, then the other of vm1/vm3 is killed,
# so every write the leader commits was acknowledged by vm2.  After each
# acknowledged write of 1-64 blocks (the ring of 1 MiB wraps) vm2's log
# gets a mark i:C with the leader's commit index C.  Replay on vm2: at every
# fourth flush/FUA point (about 1,100: one per append) and torn variants,
# create succeeds on the image and the recovered log reaches every index
# acknowledged before the crash.
. "$(dirname "$0")/lib.sh"
. "$VM_LIB_DIR/powerloss.sh"
rr_need_module
NWRITES=40
F=2
pl_disks $F
vm_start 1 2 3
for n in 1 2 3; do rr_load $n; done
pl_record $F
for n in 1 3; do rr_format $n "members=1,2,3 log=1M"; done
RR_BACKING=/dev/mapper/lw rr_format $F "members=1,2,3 log=1M"
pl_mark $F formatted
rr_cluster_create 1 "1 2 3"
rr_cluster_create 3 "1 2 3"
L=$(rr_leader "1 3" 120)
RR_BACKING=/dev/mapper/lw rr_cluster_create $F "1 2 3"
expect_eq "leader after vm$F joined" "$(rr_leader "1 2 3" 120)" "$L"
vm_kill $((4 - L))	# from now on every commit needs vm2's acknowledgement
RANDOM=$PL_SEED
t0=$(date +%s)
for ((i = 0; i < NWRITES; i++)); do
	case $((RANDOM % 4)) in 0|1) cnt=1 ;; 2) cnt=16 ;; 3) cnt=64 ;; esac
	c=$(vm_ok $L "dd if=/dev/urandom of=/dev/rraft0 bs=4k count=$cnt seek=$((RANDOM % 1024)) oflag=direct,sync conv=notrunc status=none && cat /sys/block/rraft0/rraft/commit_index")
	pl_mark $F "i:$c"
done
log "workload: $NWRITES writes acknowledged up to index $c in $(( $(date +%s) - t0 ))s; $(rr_status $F)"
pl_mark $F blocks-done
rr_remove $F
vm_kill $L	# nothing to talk to (the images get no peers anyway)
pl_replay $F "on follower vm$F" 0 1 --follower --every 4
