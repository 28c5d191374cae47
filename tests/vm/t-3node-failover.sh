#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Three nodes: ext4 on the leader, files written and synced; the leader's
# QEMU is killed; the survivors elect a new leader; ext4 mounts there and
# every file is intact; the dead node boots again, rejoins as follower and
# catches up.
. "$(dirname "$0")/lib.sh"
N="1 2 3"
rr_cluster_start "$N"
vm_ok "$L" 'mkfs.ext4 -q -F /dev/rraft0 && mount /dev/rraft0 /mnt/test &&
	for d in 1 2 3 4; do mkdir /mnt/test/d$d; for f in $(seq 10); do head -c $((f * 9973)) /dev/urandom >/mnt/test/d$d/f$f; done; done &&
	sync && cd /mnt/test && find . -type f | sort | xargs sha256sum >/mnt/shared/sums' 900 >/dev/null
cp "$(vm_dir "$L")/sums" "$RUNDIR/sums"
t0=$(date +%s.%N)
vm_kill "$L"
L2=$(rr_leader "$FOLLOWERS" 120)
log "new leader vm$L2 after $(echo "$(date +%s.%N) - $t0" | bc | cut -c1-5)s"
[ "$L2" != "$L" ] || fail "dead node still leader"
vm_ok "$L2" "mount /dev/rraft0 /mnt/test && cd /mnt/test && sha256sum --quiet -c $RUNDIR/sums" 600 >/dev/null
log "$(wc -l <"$RUNDIR/sums") files intact on vm$L2"
vm_ok "$L2" 'head -c 1M /dev/urandom >/mnt/test/after-failover && sync' 300 >/dev/null
rr_rejoin "$L" "$N"
expect_eq "leader after rejoin" "$(rr_leader "$N" 120)" "$L2"
commit=$(rr_attr "$L2" 0 commit_index)
rr_wait_applied "$L" "$commit" 180
for n in $N; do rr_status "$n"; done
vm_ok "$L2" 'umount /mnt/test' 120 >/dev/null
