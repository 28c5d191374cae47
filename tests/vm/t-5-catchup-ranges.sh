#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Incremental catch-up by block ranges.  Three nodes with a 4 MiB log; a
# follower's QEMU is killed; the leader rewrites five 1 MiB regions five
# times (25 MiB, the log wraps and is compacted past the follower's last
# entry); the follower boots again, its device is created again and it
# catches up through a snapshot transfer: disk_state Inconsistent while
# installing, then UpToDate.  What the leader sent it must be close to the
# regions written (<= 2 x 5 MiB + the log capacity), far less than the
# device; the regions hold the last pass and the three data areas are equal.
VM_DISK_SIZE=${VM_DISK_SIZE:-128M}
. "$(dirname "$0")/lib.sh"
N="1 2 3"
REGIONS="3 17 40 77 111"	# MiB offsets of the regions written
PASSES=5
RATE=1024			# leader's sync_rate (KiB/s) during the catch-up
rr_cluster_start "$N" "" "log=4M"
F=$F1
log "follower to stop: vm$F"
cap=$(rr_attr "$L" 0 log_capacity)
dsize=$(( $(vm_ok "$L" 'rr_sb_u64 /dev/vda 104' 30) * 4096 ))
log "log_capacity $cap, data area $dsize bytes"
vm_ok "$L" 'dd if=/dev/urandom of=/dev/rraft0 bs=1M count=2 oflag=direct status=none' 120 >/dev/null
commit=$(rr_attr "$L" 0 commit_index)
rr_wait_applied "$N" "$commit" 60
f_last=$(rr_attr "$F" 0 last_index)
vm_kill "$F"

mkdir -p "$RUNDIR/data"
for p in $(seq $PASSES); do
	for r in $REGIONS; do
		head -c 1M /dev/urandom >"$RUNDIR/data/p$p-r$r"
	done
done
t0=$(date +%s)
cmd=
for p in $(seq $PASSES); do
	for r in $REGIONS; do
		cmd="$cmd dd if=$RUNDIR/data/p$p-r$r of=/dev/rraft0 bs=1M seek=$r oflag=direct conv=notrunc status=none &&"
	done
done
vm_ok "$L" "$cmd true" 900 >/dev/null
written=$(( $(echo $REGIONS | wc -w) * PASSES ))
log "leader wrote ${written} MiB into $(echo $REGIONS | wc -w) regions in $(( $(date +%s) - t0 ))s"
first=$(rr_attr "$L" 0 first_index)
snap=$(rr_attr "$L" 0 snap_index)
log "leader: first_index $first snap_index $snap last_index $(rr_attr "$L" 0 last_index); vm$F had last_index $f_last"
[ "$first" -gt $((f_last + 1)) ] || fail "log not compacted past vm$F's last entry ($first <= $f_last + 1)"
vm_ok "$L" "echo $RATE >/sys/block/rraft0/rraft/sync_rate" 30 >/dev/null
sent0=$(vm_ok "$L" "awk '\$1 == $F { for (i = 2; i <= NF; i++) if (\$i ~ /^sent=/) print substr(\$i, 6) }' /sys/block/rraft0/rraft/peers" 30)
commit=$(rr_attr "$L" 0 commit_index)

vm_start "$F"
rr_load "$F"
t0=$(date +%s)
# create and watch disk_state / sync_progress from the first moment on
vm_ok "$F" "r=\$(wr $RR_CTL_DIR/create $(printf %q "minor=0 backing=/dev/vda listen=10.77.0.$F:$RR_PORT peers=$(rr_peers "$F" "$N") secret=$RR_SECRET"))
	[ \"\$r\" = OK ] || { echo create: \$r >&2; exit 1; }
	D=/sys/block/rraft0/rraft
	for i in \$(seq 3000); do
		s=\$(cat \$D/disk_state 2>/dev/null); p=\$(cat \$D/sync_progress 2>/dev/null); a=\$(cat \$D/applied_index 2>/dev/null)
		echo \"\$s \$p applied=\$a\" >>/mnt/shared/states
		[ \"\$s\" = UpToDate ] && [ \"\${a:-0}\" -ge $commit ] && exit 0
		sleep 0.05
	done
	echo not caught up >&2; exit 1" 400 >/dev/null
secs=$(( $(date +%s) - t0 ))
st=$(vm_dir "$F")/states
uniq -c <(awk '{print $1}' "$st") | sed 's/^/    /'
grep -q '^Inconsistent' "$st" || fail "vm$F never reported Inconsistent while catching up"
done_max=$(grep -o 'done=[0-9]*' "$st" | cut -d= -f2 | sort -n | tail -n1)
recv=$(vm_ok "$F" "awk '\$1 == $L { for (i = 2; i <= NF; i++) if (\$i ~ /^recv=/) print substr(\$i, 6) }' /sys/block/rraft0/rraft/peers" 30)
sent1=$(vm_ok "$L" "awk '\$1 == $F { for (i = 2; i <= NF; i++) if (\$i ~ /^sent=/) print substr(\$i, 6) }' /sys/block/rraft0/rraft/peers" 30)
bound=$(( 2 * $(echo $REGIONS | wc -w) * 1048576 + cap ))
log "vm$F caught up in ${secs}s: sync_progress done max ${done_max:-none}, received $recv bytes from vm$L (leader sent $((sent1 - sent0))), bound $bound, data area $dsize"

# every node applies everything; the regions hold the last pass
rr_settle "$N" "$L"
for r in $REGIONS; do
	want=$(md5sum <"$RUNDIR/data/p$PASSES-r$r" | cut -d' ' -f1)
	got=$(vm_ok "$F" "dd if=/dev/vda bs=4096 skip=\$(( \$(rr_sb_u64 /dev/vda 96) + $r * 256 )) count=256 iflag=direct status=none | md5sum | cut -d' ' -f1" 60)
	expect_eq "vm$F region at ${r} MiB" "$got" "$want"
done
rr_data_equal "$N" "$L"
[ "$recv" -le "$bound" ] || fail "catch-up of vm$F took $recv bytes from vm$L, more than $bound (2 x regions written + log capacity; a full copy is $dsize)"
[ $((sent1 - sent0)) -le "$bound" ] || fail "leader sent $((sent1 - sent0)) bytes to vm$F, more than $bound"
