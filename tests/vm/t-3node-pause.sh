#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Three nodes (issue 13 defect 4): the leader's link is cut and its QEMU
# stopped (SIGSTOP) for several election timeouts; the others elect a new
# leader that overwrites a block.  Right after SIGCONT a read on the old
# leader must never return the old contents: its clock jumps by the whole
# pause, so its lease has expired (it steps down or the read waits for a
# quorum it cannot reach and fails after io_timeout).  After healing it
# follows (reads are served by the leader) and has applied the overwrite.
. "$(dirname "$0")/lib.sh"
N="1 2 3"
rr_cluster_start "$N"
rd100='dd if=/dev/rraft0 bs=4096 skip=100 count=1 iflag=direct status=none | head -c 3'
vm_ok "$L" 'echo 5 >/sys/block/rraft0/rraft/io_timeout' >/dev/null
vm_ok "$L" 'yes old | head -c 4096 | dd of=/dev/rraft0 bs=4096 seek=100 oflag=direct status=none' 120 >/dev/null
# a read now renews nothing but shows the lease serves it
expect_eq "block 100 on vm$L before the pause" "$(vm_ok "$L" "$rd100" 60)" old
net_cut "$L"
kill -STOP "${VM_PID[$L]}"
log "vm$L: QEMU stopped (SIGSTOP)"
stopped=$(date +%s)
L2=$(rr_leader "$FOLLOWERS" 120)
log "new leader vm$L2 while vm$L is stopped"
vm_ok "$L2" 'yes new | head -c 4096 | dd of=/dev/rraft0 bs=4096 seek=100 oflag=direct status=none' 120 >/dev/null
expect_eq "block 100 on vm$L2" "$(vm_ok "$L2" "$rd100" 60)" new
# several election timeouts (2..4 s each) in all
while [ $(( $(date +%s) - stopped )) -lt 15 ]; do sleep 1; done
kill -CONT "${VM_PID[$L]}"
log "vm$L: QEMU continued (SIGCONT) after $(( $(date +%s) - stopped )) s"
got=$(vm_exec "$L" "$rd100" 60)
log "read on vm$L at once after the pause: '${got}'"
[ "$got" = old ] && fail "stale read: vm$L returned the old block after its pause"
net_heal "$L"
expect_eq "leader after heal" "$(rr_leader "$N" 120)" "$L2"
rr_wait_applied "$N" "$(rr_attr "$L2" 0 commit_index)" 120
expect_eq "block 100 on vm$L2 after heal" "$(vm_ok "$L2" "$rd100" 60)" new
