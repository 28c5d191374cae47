#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Two voters (issue 12 goal 7, the like-for-like peer of a two-node DRBD).
# Format and create members=1,2; a writer on the leader L logs every
# acknowledged 4 KiB write (tests/vm/blockio.py).  The follower F is
# crashed: with one of two voters left there is no majority, so no write
# is acknowledged until F is back; F rejoins, L leads again (promote),
# writes resume and F's applied index reaches L's commit index.  Then L is
# crashed in the middle of writing: the survivor F alone never becomes
# leader and a write on it fails (EIO after its io_timeout) instead of
# completing.  L boots and rejoins, a leader is elected, every
# acknowledged write reads back on both nodes (leadership transferred for
# the second check), and the cluster takes new writes.
. "$(dirname "$0")/lib.sh"
rr_need_module
N="1 2"
SLOTS=256
BIO=$VM_LIB_DIR/blockio.py
vm_start $N
rr_cluster_up "$N"
L=$(rr_leader "$N")
F=$(echo $N | tr ' ' '\n' | grep -vx "$L")
m=$(rr_attr "$L" 0 members)
case "$m" in "voters=1,2 old= learners=" | "voters=2,1 old= learners=") ;; *) fail "members on vm$L: '$m'" ;; esac
log "two voters: leader vm$L, follower vm$F"
# requests without a leader wait instead of failing (the writer keeps going)
for n in $N; do dev_ctl_ok "$n" io_timeout 600; done

# --- the follower crashes and comes back --------------------------------
vm_exec_bg "$L" "python3 $BIO write /dev/rraft0 /mnt/shared/acks $SLOTS" 1800 >/dev/null
progress "with two voters"
vm_kill "$F"
# an entry committed just before the crash may still be acknowledged
sleep 3
g1=$(lastgen)
sleep 12
g2=$(lastgen)
expect_eq "acknowledged gen with the follower down (no majority)" "$g2" "$g1"
log "no write acknowledged for 12 s with one voter of two (gen $g1)"
GEN=$g2
vm_start "$F"
rr_load "$F"
rr_cluster_create "$F" "$N"
dev_ctl_ok "$F" io_timeout 600
l=$(rr_leader "$N" 120)
if [ "$l" != "$L" ]; then
	log "vm$l won the election after the restart; promoting vm$L back"
	dev_ctl_ok "$L" promote 1
	vm_ok "$L" "rr_wait_attr 0 role leader 60" 70 >/dev/null
	expect_eq "leader after promote" "$(rr_leader "$N" 60)" "$L"
fi
progress "after the follower's restart"
commit=$(rr_attr "$L" 0 commit_index)
rr_wait_applied "$F" "$commit" 180
log "vm$F caught up to commit $commit"
progress "with the follower caught up"

# --- the leader crashes: the survivor alone must not serve writes ---------
vm_kill "$L"
last=$(lastgen)
log "leader vm$L killed at acknowledged gen $last"
dev_ctl_ok "$F" io_timeout 8
# until F notices, an open for write is refused (the dead leader holds the
# writer claim); afterwards the open succeeds and the write itself must fail
vm_ok "$F" "rr_wait_attr 0 leader 0 60" 70 >/dev/null
seq=$(vm_exec_bg "$F" "yes refused | head -c 4096 | dd of=/dev/rraft0 bs=4k count=1 seek=$((SLOTS + 16)) oflag=direct status=none && echo written" 120)
for i in $(seq 20); do
	role=$(rr_attr "$F" 0 role)
	[ "$role" = leader ] && fail "lone survivor vm$F became leader (one voter of two)"
	sleep 1
done
out=$(vm_wait_cmd "$F" "$seq" 120 2>&1)
rc=$?
[ $rc -ne 0 ] || fail "a write on the lone survivor vm$F completed: $out"
[ $rc -ne 124 ] || fail "the write on vm$F neither completed nor failed"
[ $rc -ne 255 ] || fail "vm$F died"
case "$out" in
*"Input/output error"*) ;;
*) fail "the write on the lone survivor vm$F: expected EIO, got '$out'" ;;
esac
log "lone survivor vm$F: role $(rr_attr "$F" 0 role) for 20 s, write failed (rc $rc: $out)"
dev_ctl_ok "$F" io_timeout 600

# --- the dead leader returns ---------------------------------------------
vm_start "$L"
rr_load "$L"
rr_cluster_create "$L" "$N"
dev_ctl_ok "$L" io_timeout 600
A=$(rr_leader "$N" 120)
B=$(echo $N | tr ' ' '\n' | grep -vx "$A")
log "leader after the return: vm$A"
for n in "$A" "$B"; do
	if [ "$(rr_attr "$n" 0 role)" != leader ]; then
		dev_ctl_ok "$(rr_leader "$N" 60)" transfer "$n"
		vm_ok "$n" "rr_wait_attr 0 role leader 60" 70 >/dev/null
		expect_eq "leader after transfer" "$(rr_leader "$N" 60)" "$n"
	fi
	out=$(vm_exec "$n" "python3 $BIO check /dev/rraft0 $(vm_dir "$L")/acks $SLOTS" 600) ||
		fail "acknowledged writes lost on vm$n: $out"
	log "vm$n (leader): $out"
done
expect_eq "refused writes found at block $((SLOTS + 16))" \
	"$(vm_ok "$B" "dd if=/dev/rraft0 bs=4k count=1 skip=$((SLOTS + 16)) iflag=direct status=none | grep -c refused; true")" 0
vm_ok "$B" "yes after | head -c 1M | dd of=/dev/rraft0 bs=64k seek=64 oflag=direct status=none" 300 >/dev/null
commit=$(rr_attr "$B" 0 commit_index)
rr_wait_applied "$N" "$commit" 180
for n in $N; do
	sum=$(vm_ok "$n" "rr_data_sum /dev/vda 2" 120)
	[ -z "${sum0:-}" ] && sum0=$sum
	expect_eq "first 2 MiB of the data area on vm$n" "$sum" "$sum0"
	rr_status "$n"
done
