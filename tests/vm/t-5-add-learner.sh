#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Membership change with writes running: three voters and a brand-new node 4
# (formatted without members=).  A writer on the leader overwrites 4 KiB
# slots with O_DIRECT|O_SYNC and logs every acknowledged write
# (tests/vm/blockio.py).  The leader checkpoints (so node 4 can only catch up
# by a copy of the data area), 4 is added with add_learner, caught up by a
# full copy (Inconsistent, then UpToDate, "installed snapshot", at least
# the data area's size received from the leader),
# promoted with promote_voter (members shows it as a voter on every node),
# then an old voter is removed with remove.
# Writes complete in every phase; every acknowledged write is there; the data
# areas of the final three members are equal.  Also: membership writes on a
# follower fail with EPERM.
VM_DISK_SIZE=${VM_DISK_SIZE:-128M}
. "$(dirname "$0")/lib.sh"
N="1 2 3"
ALL="1 2 3 4"
SLOTS=256

# wait_conf N WANT [TIMEOUT]: members (sorted) == WANT and conf_phase stable
wait_conf() {
	local i m p
	for ((i = 0; i < ${3:-60} * 2; i++)); do
		m=$(rr_members "$1")
		p=$(rr_attr "$1" 0 conf_phase)
		[ "$m" = "$2" ] && [ "$p" = stable ] && return 0
		sleep 0.5
	done
	fail "vm$1: members '$m' phase $p, wanted '$2' stable"
}

rr_cluster_start "$N" 4
R=$F1 K=$F2
log "vm$R will be removed, vm$K stays"
rr_join_blank 4 "$ALL"
expect_eq "vm4 members before joining" "$(rr_members 4)" "voters= old= learners="
expect_eq "vm4 role before joining" "$(rr_attr 4 0 role)" follower
dsize=$(( $(vm_ok "$L" 'rr_sb_u64 /dev/vda 104' 30) * 4096 ))

writer_start
progress "before the change"
expect_eq "add_learner on follower vm$R" "$(dev_ctl "$R" add_learner "4@10.77.0.4:$RR_PORT")" EPERM
expect_eq "remove on follower vm$R" "$(dev_ctl "$R" remove "$K")" EPERM
dev_ctl_ok "$L" checkpoint 1
first=$(rr_attr "$L" 0 first_index)
[ "$first" -gt 1 ] || fail "leader log not compacted by checkpoint (first_index $first)"
log "leader checkpointed: snap_index $(rr_attr "$L" 0 snap_index) first_index $first"

# a new member (base_applied 0) gets a full copy of the data area; 16 MiB/s
# keeps it long enough to watch vm4 being Inconsistent
dev_ctl_ok "$L" sync_rate 16384
t0=$(date +%s)
dev_ctl_ok "$L" add_learner "4@10.77.0.4:$RR_PORT"
vm_ok 4 'D=/sys/block/rraft0/rraft
	for i in $(seq 3000); do
		s=$(cat $D/disk_state); p=$(cat $D/sync_progress); m=$(cat $D/members)
		echo "$s $p applied=$(cat $D/applied_index) leader=$(cat $D/leader)" >>/mnt/shared/states
		case "$s $m" in "UpToDate "*learners=*4*) [ $(cat $D/leader) != 0 ] && grep -q Inconsistent /mnt/shared/states && exit 0 ;; esac
		sleep 0.1
	done; exit 1' 400 >/dev/null
st=$(vm_dir 4)/states
uniq -c <(awk '{print $1}' "$st") | sed 's/^/    /'
done_max=$(grep -o 'done=[0-9]*' "$st" | cut -d= -f2 | sort -n | tail -n1)
recv=$(vm_ok 4 "awk '\$1 == $L { for (i = 2; i <= NF; i++) if (\$i ~ /^recv=/) print substr(\$i, 6) }' /sys/block/rraft0/rraft/peers" 30)
log "vm4 caught up as learner in $(( $(date +%s) - t0 ))s: largest sync_progress done= seen $done_max, $recv bytes received from vm$L, data area $dsize"
vm_ok 4 'dmesg | grep -q "rraft0: installed snapshot at index"' 30 >/dev/null || fail "vm4 did not install a snapshot"
[ "$recv" -ge "$dsize" ] || fail "vm4 received $recv bytes from vm$L, less than the data area ($dsize): not a full copy"
dev_ctl_ok "$L" sync_rate 102400
wait_conf "$L" "voters=1,2,3 old= learners=4"
progress "while vm4 was a learner"

dev_ctl_ok "$L" promote_voter 4
wait_conf "$L" "voters=1,2,3,4 old= learners="
for n in $ALL; do wait_conf "$n" "voters=1,2,3,4 old= learners=" 60; done
log "vm4 is a voter on every node"
progress "after the promotion"

dev_ctl_ok "$L" remove "$R"
FINAL=$(echo "$L $K 4" | tr ' ' '\n' | sort -n | paste -sd, -)
for n in $L $K 4; do wait_conf "$n" "voters=$FINAL old= learners=" 60; done
log "vm$R removed: members 'voters=$FINAL' on vm$L, vm$K, vm4; vm$R: $(rr_status "$R")"
progress "after the removal"
expect_eq "leader after the changes" "$(rr_leader "$L $K 4" 60)" "$L"

writer_check
rr_settle "$L $K 4" "$L"
rr_data_equal "$L $K 4" "$L"
