#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Three nodes: the leader is cut off the network.  The other two elect a new
# leader in a higher term and accept writes; a write on the isolated old
# leader never completes successfully (EIO after io_timeout) and never
# becomes visible; after healing, the old leader follows and the data areas
# converge.  Then promote on a follower cut off from the leader asks in
# vain and changes no term: the cluster is not disturbed when it is back.
. "$(dirname "$0")/lib.sh"
N="1 2 3"
rr_cluster_start "$N"
term0=$(rr_attr "$L" 0 term)
vm_ok "$L" 'echo 5 >/sys/block/rraft0/rraft/io_timeout' >/dev/null
net_cut "$L"
L2=$(rr_leader "$FOLLOWERS" 120)
term2=$(rr_attr "$L2" 0 term)
[ "$term2" -gt "$term0" ] || fail "new leader term $term2 not above $term0"
log "partition: vm$L isolated, new leader vm$L2 term $term2"
vm_exec "$L" 'yes isolated | head -c 4096 | dd of=/dev/rraft0 bs=4096 seek=100 oflag=direct status=none' 60 \
	&& fail "write on the isolated old leader succeeded"
vm_ok "$L2" 'yes majority | head -c 4096 | dd of=/dev/rraft0 bs=4096 seek=100 oflag=direct status=none' 120 >/dev/null
net_heal "$L"
expect_eq "leader after heal" "$(rr_leader "$N" 120)" "$L2"
commit=$(rr_attr "$L2" 0 commit_index)
rr_wait_applied "$N" "$commit" 120
# A write the old leader proposed while it still thought it led stays
# suspended through the partition (no majority; vm_exec gave up after 60 s);
# once the new leader's log overwrites its entry it fails after io_timeout.
# Wait for that writer to end: it holds the device open.
vm_ok "$L" 'for i in $(seq 240); do pgrep -x dd >/dev/null || exit 0; sleep 0.5; done; echo "dd still running"; exit 1' 150 >/dev/null
expect_eq "block 100 on new leader" "$(vm_ok "$L2" 'dd if=/dev/rraft0 bs=4096 skip=100 count=1 iflag=direct status=none | head -c 8')" majority
# promote on a follower cut off from the leader asks in vain: no term bump,
# so no forced election when it comes back
read -r F _ <<<"$(rr_others "$N" "$L2")"
termF=$(rr_attr "$F" 0 term)
net_cut "$F"
expect_eq "promote on isolated vm$F" "$(vm_exec "$F" 'wr /sys/block/rraft0/rraft/promote 1' 30)" OK
sleep 11	# past the 10 s in which promote asks each new leader again
expect_eq "term of isolated vm$F after promote" "$(rr_attr "$F" 0 term)" "$termF"
net_heal "$F"
sleep 3
expect_eq "leader after vm$F is back" "$(rr_leader "$N" 60)" "$L2"
expect_eq "term after vm$F is back" "$(rr_attr "$L2" 0 term)" "$termF"
log "promote on isolated vm$F: term stayed $termF, vm$L2 still leader"
for n in $N; do vm_ok "$n" "echo 0 >$RR_CTL_DIR/remove" 120 >/dev/null; done
s=$(vm_ok "$L2" 'rr_data_sum /dev/vda 32' 300)
for n in $N; do expect_eq "data area vm$n" "$(vm_ok "$n" 'rr_data_sum /dev/vda 32' 300)" "$s"; done
