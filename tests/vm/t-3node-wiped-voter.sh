#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Issue 14 item 3: a voter whose disk is formatted again and created under
# its old id must not rejoin.  Three nodes; the leader records every
# member's identity through the log.  Follower K is cut off while writes
# are acknowledged by the leader and follower W; W is then formatted again
# (force=1, same id) and created; the leader dies; K comes back.  Without
# member identities, K would win an election with the wiped W's vote and
# every write acknowledged while it was away would be lost.  Here K and W
# refuse each other (one dmesg line naming both identities) and no leader
# is elected.  The old leader returns, W's disk is formatted as node 4 and
# "replace W:4@..." restores three voters; every acknowledged write reads
# back and the data areas are equal.
. "$(dirname "$0")/lib.sh"
N="1 2 3"
SLOTS=512

rr_cluster_start "$N"
W=$F1 K=$F2
# identities recorded everywhere: every node shows all three
for n in $N; do
	vm_ok "$n" 'for i in $(seq 150); do [ $(rr_attr 0 identities | wc -w) = 3 ] && exit 0; sleep 0.2; done; exit 1' 60 >/dev/null ||
		fail "vm$n: identities not recorded: '$(rr_attr "$n" 0 identities)'"
done
IDS=$(rr_attr "$L" 0 identities)
log "identities recorded: $IDS"
for n in $N; do
	expect_eq "vm$n identities" "$(rr_attr "$n" 0 identities)" "$IDS"
	grep -q "$n=$(rr_attr "$n" 0 identity)" <<<"$IDS" || fail "vm$n's own identity not recorded"
done
OLD_W=$(rr_attr "$W" 0 identity)

writer_start
progress "with three nodes"
net_cut "$K"
progress "with vm$K cut off"
progress "with vm$K cut off, again"
writer_check

# W's disk formatted again, created under its old id: the leader refuses it
m=$(vm_exec "$L" 'dmesg | wc -l')
rr_remove "$W"
rr_ctl_ok "$W" format "backing=/dev/vda node=$W cluster=$RR_CLUSTER members=$(echo $N | tr ' ' ,) force=1"
rr_cluster_create "$W" "$N"
NEW_W=$(rr_attr "$W" 0 identity)
[ "$NEW_W" != "$OLD_W" ] || fail "format kept the identity $OLD_W"
sleep 5
vm_exec "$L" "dmesg | tail -n +$((m + 1))" | grep "peer $W " | tee "$RUNDIR/refused-by-leader.txt"
grep -q "member identity $NEW_W is not the recorded $OLD_W" "$RUNDIR/refused-by-leader.txt" ||
	fail "vm$L: no line refusing the wiped vm$W"
expect_eq "wiped vm$W learned no leader" "$(rr_attr "$W" 0 leader)" 0

# the leader dies, the stale K comes back: K and the wiped W refuse each other
vm_kill "$L"
m=$(vm_exec "$K" 'dmesg | wc -l')
net_heal "$K"
sleep 20
for n in "$K" "$W"; do
	[ "$(rr_attr "$n" 0 leader)" = 0 ] || fail "vm$n found a leader: $(rr_attr "$n" 0 leader)"
done
vm_exec "$K" "dmesg | tail -n +$((m + 1))" | grep "peer $W " | tee "$RUNDIR/refused-by-k.txt"
grep -q "member identity $NEW_W is not the recorded $OLD_W" "$RUNDIR/refused-by-k.txt" ||
	fail "vm$K: no line refusing the wiped vm$W"
expect_eq "one refusal line on vm$K" "$(grep -c 'member identity' "$RUNDIR/refused-by-k.txt")" 1
log "vm$K and the wiped vm$W elected nobody"

# the old leader returns; W's disk becomes node 4, which replaces W
L0=$L
rr_rejoin "$L" "$N"
L=$(rr_leader "$L $K" 120)
rr_remove "$W"
rr_ctl_ok "$W" format "backing=/dev/vda node=4 cluster=$RR_CLUSTER force=1"
rr_create "$W" "listen=10.77.0.$W:$RR_PORT peers=$(rr_peers 4 "$L $K") secret=$RR_SECRET"
r=$(dev_ctl "$L" replace "$W:4@10.77.0.$W:$RR_PORT")
expect_eq "replace $W:4 on vm$L" "$r" OK
rr_wait_voters "$L" "$L $K 4"
vm_ok "$W" 'for i in $(seq 300); do [ $(rr_attr 0 identities | wc -w) = 3 ] && exit 0; sleep 0.2; done; exit 1' 80 >/dev/null ||
	fail "vm$W (node 4): identities '$(rr_attr "$W" 0 identities)'"
grep -q "4=$(rr_attr "$W" 0 identity)" <<<"$(rr_attr "$L" 0 identities)" ||
	fail "node 4's identity not recorded: $(rr_attr "$L" 0 identities)"
grep -q "$W=" <<<"$(rr_attr "$L" 0 identities)" && fail "the replaced node $W is still recorded"
log "vm$W replaced by node 4: $(rr_attr "$L" 0 identities)"
[ "$L" = "$L0" ] || cp "$(vm_dir "$L0")/acks" "$(vm_dir "$L")/acks"
out=$(vm_exec "$L" "python3 $VM_LIB_DIR/blockio.py check /dev/rraft0 /mnt/shared/acks $SLOTS" 300) ||
	fail "acknowledged writes lost after the replace: $out"
log "every acknowledged write reads back on vm$L: $out"
rr_settle "$L $K $W" "$L"
rr_data_equal "$L $K $W" "$L"
