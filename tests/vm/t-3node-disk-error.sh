#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Issue 13 defect 7: disk errors.  Three nodes, each on a device-mapper
# device over its /dev/vda.  A writer runs on the leader.  A follower's
# table is swapped to dm-error: it reports disk_state Failed (in sysfs and
# rraftctl status), its I/O fails with EIO, it stops acknowledging (its
# match on the leader freezes) and the cluster keeps serving.  The admin
# replaces its disk (the table back to a linear device), formats it as
# node 4 and replaces the failed member.  Then the leader's disk fails
# while the writer runs: leadership moves within an election timeout, the
# old leader steps down and reports Failed, writes continue through the new
# leader, and every acknowledged write reads back.
VM_DISK_SIZE=64M
. "$(dirname "$0")/lib.sh"
CTL=$VM_TOP/userspace-tools/rraftctl
[ -x "$CTL" ] || fail "no $CTL (make tools)"
N="1 2 3"
SLOTS=256
DM='export DM_DISABLE_UDEV=1;'	# no udev in the guest: nodes by libdevmapper
RR_BACKING=/dev/mapper/rrb
BIO="python3 $VM_LIB_DIR/blockio.py"
ACKS=	# the acknowledgements of the running writer (host path)

# dm_table N TARGET: (re)load VM N's rrb with one TARGET over all of vda
dm_table() {
	vm_ok "$1" "$DM"'s=$(blockdev --getsz /dev/vda) &&
		if dmsetup info rrb >/dev/null 2>&1; then
			dmsetup suspend rrb && dmsetup load rrb --table "0 $s '"$2"'" && dmsetup resume rrb
		else
			dmsetup create rrb --table "0 $s '"$2"'"
		fi &&
		{ test -b /dev/mapper/rrb || dmsetup mknodes rrb; } && test -b /dev/mapper/rrb' 120 >/dev/null
}

# writer N [GEN0]: the blockio.py writer on VM N, acknowledgements in N's
# shared acks (ACKS), its pid in N's shared writer.pid
writer() {
	ACKS=$(vm_dir "$1")/acks
	vm_exec_bg "$1" "$BIO write /dev/rraft0 /mnt/shared/acks $SLOTS ${2:-0} 2>/mnt/shared/writer.err & echo \$! >/mnt/shared/writer.pid; wait" 1200 >/dev/null
	vm_ok "$1" 'for i in $(seq 100); do test -s /mnt/shared/writer.pid && exit 0; sleep 0.1; done; exit 1' 30 >/dev/null
}

# writer_gone N: the writer on VM N ended (its device failed it with EIO)
writer_gone() {
	vm_ok "$1" 'p=$(cat /mnt/shared/writer.pid); for i in $(seq 300); do kill -0 $p 2>/dev/null || exit 0; sleep 0.2; done; exit 1' 90 >/dev/null
}

# events N: rraftctl events on VM N in the background (N's shared ev.out)
events() {
	vm_ok "$1" "RRAFT_CONF_DIR=/nonexistent setsid $CTL events >/mnt/shared/ev.out 2>&1 </dev/null & echo \$! >/mnt/shared/ev.pid" 30 >/dev/null
}

# acked WHAT: wait until the writer acknowledged more writes since the last call
GEN=-1
acked() {
	local g i
	for ((i = 0; i < 400; i++)); do
		g=$($BIO lastgen "$ACKS")
		[ "$g" -gt $((GEN + 20)) ] && break
		sleep 0.3
	done
	[ "$g" -gt $((GEN + 20)) ] || fail "no writes acknowledged $1 (gen $g)"
	log "writes acknowledged $1: gen $GEN -> $g"
	GEN=$g
}

# failed N: wait until VM N reports the failed disk (sysfs, rraftctl status,
# a uevent) and is a follower; its I/O fails with EIO and one dmesg line
failed() {
	local i
	vm_ok "$1" 'rr_wait_attr 0 disk_state Failed 120' 140 >/dev/null
	vm_ok "$1" 'rr_wait_attr 0 role follower 60' 80 >/dev/null
	vm_ok "$1" "RRAFT_CONF_DIR=/nonexistent $CTL status | grep ' disk:Failed'" 30 >/dev/null
	for ((i = 0; i < 300; i++)); do
		grep -q "disk:Failed" "$(vm_dir "$1")/ev.out" && break
		sleep 0.2
	done
	grep -q "disk:Failed" "$(vm_dir "$1")/ev.out" ||
		fail "vm$1: no event of the failed disk: $(cat "$(vm_dir "$1")/ev.out")"
	vm_exec "$1" 'dd if=/dev/rraft0 of=/dev/null bs=4k count=1 iflag=direct status=none' 30 &&
		fail "vm$1: a read succeeded on the failed node"
	vm_ok "$1" 'dmesg | grep "disk failed: .*detached" && dmesg | grep "I/O error: the disk failed"' 30 >/dev/null
	log "vm$1: disk_state Failed, follower, I/O fails with EIO"
}

# new_leader VMS [TIMEOUT]: wait until one of VMS is leader and the others
# name its node id; print its VM number
new_leader() {
	local end n l id ok
	end=$(( $(date +%s) + ${2:-120} ))
	while [ "$(date +%s)" -lt "$end" ]; do
		for l in $1; do
			[ "$(rr_attr "$l" 0 role)" = leader ] || continue
			id=$(rr_attr "$l" 0 node_id) ok=1
			for n in $1; do
				[ "$(rr_attr "$n" 0 leader)" = "$id" ] || ok=0
			done
			[ $ok = 1 ] && { echo "$l"; return 0; }
		done
		sleep 0.3
	done
	fail "no agreed leader among vm '$1' after ${2:-120}s"
}

# match_of L P: node P's match index on leader L
match_of() { rr_attr "$1" 0 peers | awk -v p="$2" '$1 == p { for (i = 2; i <= NF; i++) if ($i ~ /^match=/) print substr($i, 7) }'; }

rr_need_module
vm_start $N
for n in $N; do
	vm_ok "$n" 'modprobe -a dm-mod' 60 >/dev/null
	dm_table "$n" "linear /dev/vda 0"
done
rr_cluster_up "$N"
L=$(rr_leader "$N")
read -r F G <<<"$(rr_others "$N" "$L")"
log "leader vm$L, followers vm$F vm$G"
writer "$L"
acked "with three nodes"

# 1. a follower's disk fails: it stops acknowledging, the others serve
events "$F"
dm_table "$F" error
failed "$F"
acked "with vm$F failed"
m=$(match_of "$L" "$F")
acked "with vm$F failed, again"
expect_eq "vm$F's match on the leader (no acknowledgement)" "$(match_of "$L" "$F")" "$m"
c=$(rr_attr "$L" 0 commit_index)
[ "$c" -gt "$m" ] || fail "commit $c not past the failed follower's match $m"
expect_eq "leader" "$(rr_attr "$L" 0 role)" leader
vm_ok "$F" 'kill $(cat /mnt/shared/ev.pid)' 30 >/dev/null

# the admin replaces the disk, formats it as node 4 and replaces node F
rr_remove "$F"
dm_table "$F" "linear /dev/vda 0"
rr_ctl_ok "$F" format "backing=$RR_BACKING node=4 cluster=$RR_CLUSTER force=1"
rr_create "$F" "listen=10.77.0.$F:$RR_PORT peers=$(rr_peers 4 "$L $G") secret=$RR_SECRET"
expect_eq "replace $F:4 on vm$L" "$(dev_ctl "$L" replace "$F:4@10.77.0.$F:$RR_PORT")" OK
rr_wait_voters "$L" "$L $G 4"
vm_ok "$F" 'rr_wait_attr 0 disk_state UpToDate 120' 140 >/dev/null
log "vm$F's new disk is node 4, UpToDate"
acked "with node 4"

# 2. the leader's disk fails while the writer runs: leadership moves
events "$L"
t0=$(date +%s.%N)
dm_table "$L" error
L2=$(new_leader "$F $G" 120)
log "new leader vm$L2 after $(echo "$(date +%s.%N) - $t0" | bc | cut -c1-5)s"
failed "$L"
expect_eq "the old leader's view of the leader" "$(rr_attr "$L" 0 leader)" 0
writer_gone "$L"
g=$($BIO lastgen "$ACKS")
log "the writer on vm$L ended at gen $g: $(tail -1 "$(vm_dir "$L")/writer.err")"
GEN=$g
writer "$L2" $((g + 1))
acked "through the new leader vm$L2"
acked "through the new leader vm$L2, again"
vm_ok "$L2" 'kill $(cat /mnt/shared/writer.pid)' 30 >/dev/null
writer_gone "$L2"
cat "$(vm_dir "$L")/acks" "$ACKS" >"$(vm_dir "$L2")/acks-all"
out=$(vm_exec "$L2" "$BIO check /dev/rraft0 /mnt/shared/acks-all $SLOTS" 300) ||
	fail "acknowledged writes lost: $out"
log "$(wc -l <"$(vm_dir "$L2")/acks-all") acknowledged writes; every one reads back on vm$L2: $out"
vm_ok "$L" 'kill $(cat /mnt/shared/ev.pid)' 30 >/dev/null
for n in $N; do rr_status "$n"; done
