#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# rraftctl end to end against the real module in three VMs:
#   make module tools && tests/vm/run.sh tests/tools/vm-rraftctl
# Config-driven format/up (each VM finds itself by its local address),
# status text and --json, watch during a leadership transfer, a kernel
# refusal (exit 4 with the errno), data written on the leader and verify
# --local/--compare on all members, verify of a deliberately damaged member
# (down, via its superblock), remove of that member, format as a learner,
# add --voter (catch-up) and verify again, promote, down.
. "$(dirname "$0")/../vm/lib.sh"
rr_need_module
CTL=$VM_TOP/userspace-tools/rraftctl
[ -x "$CTL" ] || fail "no $CTL (make tools)"
N="1 2 3"
mkdir -p "$RUNDIR/conf"
cat >"$RUNDIR/conf/r0.conf" <<CONF
minor   = 0
cluster = 0x5eed
backing = /dev/vda
log     = 8M
secret  = rraftctl-vm-test
node 1 { address = 10.77.0.1 }
node 2 { address = 10.77.0.2 }
node 3 { address = 10.77.0.3 }
CONF
chmod 600 "$RUNDIR/conf/r0.conf"
C="RRAFT_CONF_DIR=$RUNDIR/conf $CTL"

vm_start $N
for n in $N; do
	rr_load "$n"
	out=$(vm_ok "$n" "$C format r0" 120)
	expect_eq "vm$n format" "$out" "formatted /dev/vda: node $n, cluster 0x5eed, members 1,2,3"
done
for n in $N; do
	out=$(vm_ok "$n" "$C up r0" 120)
	expect_eq "vm$n up" "$out" "rraft0 is up on /dev/vda"
done
L=$(rr_leader "$N" 180)
log "leader: vm$L"

# status: text like drbdadm status, and JSON
st=$(vm_ok "$L" "$C status" 60)
log "status on vm$L:"$'\n'"$st"
head -1 <<<"$st" | grep -qE "^r0 node:$L role:leader term:[0-9]+ leader:$L commit:[0-9]+ applied:[0-9]+ disk:UpToDate$" ||
	fail "status first line: $(head -1 <<<"$st")"
[ "$(grep -cE '^  peer [123] connection:Connected lag:[0-9]+$' <<<"$st")" = 2 ] ||
	fail "status peer lines: $st"
vm_ok "$L" "$C status r0 --json" 60 >"$RUNDIR/status.json"
python3 - "$RUNDIR/status.json" "$L" <<'PY' || fail "status --json content"
import json, sys
d = json.load(open(sys.argv[1]))
me = int(sys.argv[2])
assert len(d) == 1, d
r = d[0]
assert r["name"] == "r0" and r["node_id"] == me and r["role"] == "leader", r
assert r["leader"] == me and r["cluster_id"] == "0x5eed", r
assert sorted(r["members"]["voters"]) == [1, 2, 3], r["members"]
assert r["disk_state"] == "UpToDate" and r["conf_phase"] == "stable", r
assert len(r["peers"]) == 2 and all(p["conn"] == "connected" and p["lag"] is not None
                                    for p in r["peers"]), r["peers"]
assert r["commit_index"] <= r["last_index"], r
PY
for n in $N; do
	[ "$n" = "$L" ] && continue
	st=$(vm_ok "$n" "$C status r0" 60)
	grep -qE "^r0 node:$n role:follower term:[0-9]+ leader:$L " <<<"$st" || fail "vm$n status: $st"
done

# watch on a follower while the leader hands leadership to it
F=$(echo $N | tr ' ' '\n' | grep -vx "$L" | head -1)
vm_ok "$F" "RRAFT_CONF_DIR=$RUNDIR/conf setsid $CTL watch r0 >/mnt/shared/watch.out 2>&1 </dev/null & echo \$! >/mnt/shared/watch.pid" 30 >/dev/null
for i in $(seq 100); do grep -q '^exists -$' "$(vm_dir "$F")/watch.out" 2>/dev/null && break; sleep 0.2; done
grep -qE "^exists device r0 minor:0 role:follower term:[0-9]+ leader:$L disk:UpToDate conf:stable voters:1,2,3$" \
	"$(vm_dir "$F")/watch.out" || fail "watch initial state: $(cat "$(vm_dir "$F")/watch.out")"
out=$(vm_ok "$L" "$C transfer r0 $F --timeout 60" 90)
expect_eq "transfer" "$out" "r0: node $F is the leader"
expect_eq "leader after transfer" "$(rr_leader "$N" 60)" "$F"
# the watch reports from uevents: wait for the line, then stop it
for i in $(seq 300); do
	grep -qE "^change device r0 .*leader:$F" "$(vm_dir "$F")/watch.out" 2>/dev/null && break
	sleep 0.2
done
vm_ok "$F" 'p=$(cat /mnt/shared/watch.pid); kill -INT $p; for i in $(seq 50); do kill -0 $p 2>/dev/null || exit 0; sleep 0.1; done; exit 1' 30 >/dev/null
w=$(cat "$(vm_dir "$F")/watch.out")
log "watch on vm$F:"$'\n'"$w"
grep -qE "^change device r0 .*role:leader" <<<"$w" || fail "watch saw no role:leader"
grep -qE "^change device r0 .*leader:$F" <<<"$w" || fail "watch saw no leader:$F"

# a kernel refusal: format while the device is up
rc=0
out=$(vm_exec "$F" "$C format r0 --force 2>&1" 60) || rc=$?
expect_eq "format of a busy backing device exits 4" "$rc" 4
grep -qE '^rraftctl format: kernel refused format: .* \(E[A-Z]+\); see dmesg$' <<<"$out" ||
	fail "refusal message: $out"
log "refusal: $out"

# data on the leader, then verify every member
vm_ok "$F" 'dd if=/dev/urandom of=/dev/rraft0 bs=1M count=6 seek=3 oflag=direct status=none && sync' 600 >/dev/null
commit=$(rr_attr "$F" 0 commit_index)
rr_wait_applied "$N" "$commit" 180
for n in $N; do
	vm_ok "$n" "$C verify r0 >/mnt/shared/r0.sums" 600 >/dev/null
done
out=$("$CTL" verify --compare "$(vm_dir 1)/r0.sums" "$(vm_dir 2)/r0.sums" "$(vm_dir 3)/r0.sums") ||
	fail "verify --compare of healthy members: $out"
log "verify: $out"
grep -qE '^verify: 3 members, [0-9]+ ranges of 1048576 bytes, all identical$' <<<"$out" || fail "verify summary: $out"
head -1 "$(vm_dir 1)/r0.sums" | grep -qE '^# rraft-verify 1 name=r0 node=1 applied=[0-9]+ alg=crc32c range=1048576 offset=[0-9]+ size=[0-9]+ backing=/dev/vda$' ||
	fail "verify header: $(head -1 "$(vm_dir 1)/r0.sums")"

# take a follower down, damage one byte of its data area, verify finds it
P=$(echo $N | tr ' ' '\n' | grep -vx "$L" | grep -vx "$F")
D=$L
out=$(vm_ok "$D" "$C down r0" 120)
expect_eq "down" "$out" "rraft0 is down"
vm_exec "$D" 'test -e /sys/block/rraft0' && fail "rraft0 still there after down"
off=$(sed -n 's/.* offset=\([0-9]*\) .*/\1/p' "$(vm_dir "$D")/r0.sums")
vm_ok "$D" "printf Z | dd of=/dev/vda bs=1 seek=$((off + 4 * 1048576 + 7)) conv=notrunc status=none && sync" 60 >/dev/null
vm_ok "$D" "$CTL verify --local --backing /dev/vda >/mnt/shared/r0.sums" 600 >/dev/null
rc=0
out=$("$CTL" verify --compare "$(vm_dir 1)/r0.sums" "$(vm_dir 2)/r0.sums" "$(vm_dir 3)/r0.sums") || rc=$?
log "verify after damage:"$'\n'"$out"
expect_eq "verify --compare with a damaged member exits 1" "$rc" 1
grep -qE "^differ offset:4194304 length:1048576 " <<<"$out" || fail "differ line: $out"
grep -qE '^verify: 3 members, [0-9]+ ranges of 1048576 bytes, 1 differ$' <<<"$out" || fail "summary: $out"

# the damaged node is removed, formatted afresh as a learner-to-be, brought
# up and added back as a voter; it catches up and verify agrees again
out=$(vm_ok "$F" "$C remove r0 $D --timeout 120" 150)
expect_eq "remove" "$out" "r0: node $D removed"
out=$(vm_ok "$D" "$C format r0 --force --learner" 120)
expect_eq "format --learner" "$out" "formatted /dev/vda: node $D, cluster 0x5eed, joins later as a learner"
vm_ok "$D" "$C up r0" 120 >/dev/null
out=$(vm_ok "$F" "$C add r0 $D --voter --timeout 900" 960)
log "add --voter:"$'\n'"$out"
tail -1 <<<"$out" | grep -qx "r0: node $D is a voter" || fail "add --voter: $out"
st=$(vm_ok "$F" "$C status r0" 60)
log "status after re-adding vm$D:"$'\n'"$st"
grep -qE "^  peer $D connection:Connected lag:[0-9]+$" <<<"$st" || fail "peer $D after add: $st"
commit=$(rr_attr "$F" 0 commit_index)
rr_wait_applied "$N" "$commit" 300
for n in $N; do
	vm_ok "$n" "$C verify r0 >/mnt/shared/r0.sums" 600 >/dev/null
done
out=$("$CTL" verify --compare "$(vm_dir 1)/r0.sums" "$(vm_dir 2)/r0.sums" "$(vm_dir 3)/r0.sums") ||
	fail "verify --compare after re-adding vm$D: $out"
log "verify after re-adding vm$D: $out"

# promote the third node
out=$(vm_ok "$P" "$C promote r0 --timeout 60" 90)
expect_eq "promote" "$out" "r0: this node is the leader"
expect_eq "leader after promote" "$(rr_leader "$N" 60)" "$P"

for n in $N; do
	vm_ok "$n" "$C down r0" 120 >/dev/null
	expect_eq "vm$n status after down" "$(vm_ok "$n" "$C status" 30)" ""
done
for n in $N; do vm_save_dmesg "$n"; done
log "rraftctl end to end: ok"
