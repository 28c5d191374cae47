#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Replace a dead voter under a mounted file system.  ext4 is mounted on the
# leader of three nodes and a writer creates files (each fsync'ed, its
# sha256 recorded after the write returned).  A follower's QEMU is killed
# for good; a brand-new node 4 (formatted without members=) is created and
# "replace <dead>:4@..." is written on the leader: 4 is added as a learner,
# catches up and is swapped in for the dead voter in one change.  The file
# system stays mounted and writable throughout; at the end every file's
# checksum matches, fsck is clean after unmount and the data areas of the
# three members are equal.
VM_DISK_SIZE=${VM_DISK_SIZE:-128M}
. "$(dirname "$0")/lib.sh"
N="1 2 3"
ALL="1 2 3 4"

# files: number of files the writer has written so far
files() { if [ -f "$(vm_dir "$L")/sums" ]; then wc -l <"$(vm_dir "$L")/sums"; else echo 0; fi; }
FILES=0
progress() {
	local c i
	for ((i = 0; i < 200; i++)); do
		c=$(files)
		[ "$c" -gt "$FILES" ] && break
		sleep 0.3
	done
	[ "$c" -gt "$FILES" ] || fail "no file written $1 ($c files)"
	[ -s "$(vm_dir "$L")/errors" ] && fail "writer errors: $(cat "$(vm_dir "$L")/errors")"
	log "files written $1: $FILES -> $c"
	FILES=$c
}

rr_cluster_start "$N" 4
F=$F1 K=$F2
log "vm$F dies and is replaced by vm4; vm$K stays"
vm_ok "$L" 'mkfs.ext4 -q -F /dev/rraft0 && mount /dev/rraft0 /mnt/test' 600 >/dev/null
W=$(vm_exec_bg "$L" 'i=0
	while [ ! -e /mnt/shared/stop ]; do
		i=$((i + 1))
		head -c $(( (RANDOM % 64 + 1) * 4096 )) /dev/urandom >/tmp/w
		if dd if=/tmp/w of=/mnt/test/f$i bs=64k conv=fsync status=none; then
			echo "$(sha256sum </tmp/w | cut -d" " -f1)  f$i" >>/mnt/shared/sums
		else
			echo "f$i: write failed" >>/mnt/shared/errors
		fi
	done' 1200)
progress "before the failure"
vm_kill "$F"
progress "with vm$F dead"

rr_join_blank 4 "$L $K 4"
t0=$(date +%s)
r=$(dev_ctl "$L" replace "$F:4@10.77.0.4:$RR_PORT")
expect_eq "replace $F:4 on vm$L" "$r" OK
WANT="voters=$(echo "$L $K 4" | tr ' ' '\n' | sort -n | paste -sd, -) old= learners="
for ((i = 0; i < 600; i++)); do
	m=$(rr_members "$L")
	p=$(rr_attr "$L" 0 conf_phase)
	[ "$m" = "$WANT" ] && [ "$p" = stable ] && break
	[ $((i % 20)) = 0 ] && log "vm$L: members '$m' $p; vm4: $(rr_attr 4 0 disk_state) $(rr_attr 4 0 sync_progress)"
	sleep 0.5
done
[ "$m" = "$WANT" ] && [ "$p" = stable ] || fail "replace did not finish: vm$L members '$m' $p"
log "vm$F replaced by vm4 after $(( $(date +%s) - t0 ))s: $m"
progress "after the replace"
expect_eq "members on vm4" "$(rr_members 4)" "$WANT"
expect_eq "members on vm$K" "$(rr_members "$K")" "$WANT"
vm_ok 4 'rr_wait_attr 0 disk_state UpToDate 120' 130 >/dev/null
progress "with vm4 a voter"
vm_ok "$L" 'mountpoint -q /mnt/test' 30 >/dev/null || fail "file system no longer mounted"

touch "$(vm_dir "$L")/stop"
vm_wait_cmd "$L" "$W" 300 >/dev/null || fail "writer failed"
[ -s "$(vm_dir "$L")/errors" ] && fail "writer errors: $(cat "$(vm_dir "$L")/errors")"
log "$(files) files written"
vm_ok "$L" 'cd /mnt/test && sha256sum --quiet -c /mnt/shared/sums && cd / && umount /mnt/test && fsck.ext4 -fn /dev/rraft0' 600 >/dev/null
log "checksums match, fsck clean"
rr_settle "$L $K 4" "$L"
rr_data_equal "$L $K 4" "$L"
