#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Auto-promote: ext4 mounted on the leader L; on a follower F an open for
# write fails with EBUSY (one dmesg line names L) while a read-only open
# succeeds (follower reads are served through the leader only); every node
# shows writer = L; promote on F and transfer on L fail with EBUSY (one
# dmesg line each) while L has it mounted.  After umount on L the claim drops to 0; mounting on F
# makes F the leader by itself, and L's files are there.  (-t ext4: a
# probing mount would read the device before opening it for write.)
. "$(dirname "$0")/lib.sh"
N="1 2 3"
rr_cluster_start "$N"
F=$F1
vm_ok "$L" 'mkfs.ext4 -q -F /dev/rraft0 && mount /dev/rraft0 /mnt/test &&
	for f in $(seq 8); do head -c $((f * 7919)) /dev/urandom >/mnt/test/f$f; done &&
	sync && cd /mnt/test && sha256sum f* >/mnt/shared/sums' 600 >/dev/null
cp "$(vm_dir "$L")/sums" "$RUNDIR/sums"
commit=$(rr_attr "$L" 0 commit_index)
rr_wait_applied "$N" "$commit" 120
for n in $N; do
	expect_eq "writer on vm$n while L has it mounted" "$(rr_attr "$n" 0 writer)" "$L"
done
OPENW='import os, errno
try:
    os.close(os.open("/dev/rraft0", os.O_RDWR))
    print("opened")
except OSError as e:
    print(errno.errorcode[e.errno])'
expect_eq "O_RDWR on follower vm$F" "$(vm_exec "$F" "python3 -c '$OPENW'" 60)" EBUSY
vm_exec "$F" 'dmesg | grep -q "open for write refused: node '"$L"' (leader)"' 30 ||
	fail "no dmesg line on vm$F naming the writer"
# promote on F and transfer on L would pull the device from under L's mount
expect_eq "promote on follower vm$F" "$(vm_exec "$F" 'wr /sys/block/rraft0/rraft/promote 1' 60)" EBUSY
vm_exec "$F" 'dmesg | grep -q "promote refused: node '"$L"' (leader) has the device open for write"' 30 ||
	fail "no dmesg line on vm$F for the refused promote"
expect_eq "transfer on leader vm$L" "$(vm_exec "$L" "wr /sys/block/rraft0/rraft/transfer $F" 60)" EBUSY
vm_exec "$L" 'dmesg | grep -q "transfer refused: the device is open for write here"' 30 ||
	fail "no dmesg line on vm$L for the refused transfer"
OPENR='import os; os.close(os.open("/dev/rraft0", os.O_RDONLY)); print("opened")'
expect_eq "O_RDONLY on follower vm$F" "$(vm_exec "$F" "python3 -c '$OPENR'" 60)" opened
expect_eq "role of vm$F after refusal" "$(rr_attr "$F" 0 role)" follower
expect_eq "leader unchanged" "$(rr_leader "$N")" "$L"
vm_ok "$L" 'umount /mnt/test' 120 >/dev/null
ok=
for _ in $(seq 60); do
	[ "$(rr_attr "$F" 0 writer)" = 0 ] && { ok=1; break; }
	sleep 1
done
[ -n "$ok" ] || fail "writer on vm$F not 0 after umount on vm$L"
log "writer released"
t0=$(date +%s.%N)
vm_ok "$F" "mount -t ext4 /dev/rraft0 /mnt/test && cd /mnt/test && sha256sum --quiet -c $RUNDIR/sums" 300 >/dev/null
log "mount on vm$F with auto-promote took $(echo "$(date +%s.%N) - $t0" | bc | cut -c1-5)s; files intact"
expect_eq "role of vm$F after mount" "$(rr_attr "$F" 0 role)" leader
expect_eq "leader after auto-promote" "$(rr_leader "$N" 60)" "$F"
vm_ok "$F" 'head -c 1M /dev/urandom >/mnt/test/after && sync' 300 >/dev/null
commit=$(rr_attr "$F" 0 commit_index)
rr_wait_applied "$N" "$commit" 120
for n in $N; do
	expect_eq "writer on vm$n after auto-promote" "$(rr_attr "$n" 0 writer)" "$F"
done
expect_eq "O_RDWR on old leader vm$L" "$(vm_exec "$L" "python3 -c '$OPENW'" 60)" EBUSY
vm_ok "$F" 'umount /mnt/test' 120 >/dev/null
