#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# An interrupted full copy continues where it stopped, across checkpoints
# (issue 5: it used to restart from zero whenever the leader's log had
# moved past the copy's snapshot, so under a steady writer a long copy on a
# loaded host could restart forever).  Three voters with a 4 MiB log and a
# writer on the leader (tests/vm/blockio.py: 4 KiB O_DIRECT|O_SYNC writes,
# every acknowledged one logged); a new node 4 is added as learner with a
# low sync_rate; at about 40% of its full copy its QEMU is killed; the
# leader checkpoints twice more (writes go on); node 4 boots, its device is
# created again and comes up Inconsistent:
#  - its sync_progress never goes back below where it was (it resumes);
#  - it installs the snapshot it had been copying (an index below the
#    leader's checkpoint), then a second, incremental one on top;
#  - it receives from the leader, after the reboot, at most what was left
#    of the copy plus 16 MiB;
# then every acknowledged write is there and the data areas are equal.
VM_DISK_SIZE=${VM_DISK_SIZE:-128M}
. "$(dirname "$0")/lib.sh"
N="1 2 3"
ALL="1 2 3 4"
SLOTS=256
RATE=6144	# KiB/s while node 4 copies

# done4: vm4's sync_progress done= (0 when not installing)
done4() { vm_ok 4 'rr_attr 0 sync_progress' 30 | sed -E 's/.*done=([0-9]+).*/\1/'; }

rr_cluster_start "$N" 4 "log=4M"
rr_join_blank 4 "$ALL" "log=4M"
dsize=$(( $(vm_ok "$L" 'rr_sb_u64 /dev/vda 104' 30) * 4096 ))

writer_start
progress "before the change"
dev_ctl_ok "$L" checkpoint 1
dev_ctl_ok "$L" sync_rate $RATE
dev_ctl_ok "$L" add_learner "4@10.77.0.4:$RR_PORT"

# wait for ~40% of the copy
want=$(( dsize * 2 / 5 ))
vm_ok 4 "for i in \$(seq 1500); do d=\$(rr_attr 0 sync_progress); d=\${d#done=}; d=\${d%% *}; [ \"\$d\" -ge $want ] && exit 0; sleep 0.1; done; exit 1" 200 >/dev/null ||
	fail "vm4 did not copy $want bytes"
done1=$(done4)
snap1=$(rr_attr "$L" 0 snap_index)
vm_kill 4
log "vm4 killed at sync_progress done=$done1 of $dsize; leader snap_index $snap1"

progress "while vm4 is down"
dev_ctl_ok "$L" checkpoint 1
progress "between checkpoints"
dev_ctl_ok "$L" checkpoint 1
snap2=$(rr_attr "$L" 0 snap_index)
[ "$snap2" -gt "$snap1" ] || fail "leader did not checkpoint past $snap1 (snap_index $snap2)"
log "leader checkpointed: snap_index $snap1 -> $snap2"

rr_rejoin 4 "$ALL"
expect_eq "vm4 disk_state after the reboot" "$(rr_attr 4 0 disk_state)" Inconsistent
vm_ok 4 'D=/sys/block/rraft0/rraft
	for i in $(seq 3000); do
		echo "$(cat $D/disk_state) $(cat $D/sync_progress)" >>/mnt/shared/states
		[ "$(cat $D/disk_state)" = UpToDate ] && exit 0
		sleep 0.1
	done; exit 1' 400 >/dev/null || fail "vm4 did not become UpToDate"
st=$(vm_dir 4)/states
# the resumed copy's progress, up to its end (a top-up transfer that may
# follow starts again from 0: cut where done first goes down)
min_after=$(awk '$1 == "Inconsistent" { sub("done=", "", $2); d = $2 + 0
		if (n && d < last) exit; if (!n || d < min) min = d; last = d; n++ }
	END { if (n) print min }' "$st")
log "vm4 after the reboot: smallest sync_progress done=${min_after:-none} of the resumed copy (before the kill: $done1)"
[ -n "$min_after" ] && [ "$min_after" -ge $(( done1 - 4 * 1048576 )) ] ||
	fail "vm4's copy restarted: done=$min_after after the reboot, $done1 before"
recv=$(vm_ok 4 "awk '\$1 == $L { for (i = 2; i <= NF; i++) if (\$i ~ /^recv=/) print substr(\$i, 6) }' /sys/block/rraft0/rraft/peers" 30)
bound=$(( dsize - done1 + 16 * 1048576 ))
log "vm4 received $recv bytes from vm$L after the reboot (left of the copy $(( dsize - done1 )), bound $bound)"
[ "$recv" -le "$bound" ] || fail "vm4 received $recv bytes after the reboot, more than $bound"
inst=$(vm_ok 4 'dmesg | grep -o "installed snapshot at index [0-9]*" | awk "{print \$NF}"' 30 | paste -sd' ')
log "vm4 installed snapshots at: $inst"
set -- $inst
[ $# -ge 2 ] || fail "vm4 installed '$inst': wanted the resumed snapshot and a top-up"
[ "$1" -lt "$snap2" ] && [ "$1" -lt "$2" ] ||
	fail "vm4 installed '$inst': the first should be the resumed older snapshot (< $snap2), then a newer one"
dev_ctl_ok "$L" sync_rate 102400
progress "after the catch-up"

writer_check
rr_settle "$ALL" "$L"
rr_data_equal "$ALL" "$L"
