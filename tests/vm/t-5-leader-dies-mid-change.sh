#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The leader dies in the middle of a membership change.  Voters 1,2,3 and a
# learner 4 (brand new, caught up); every node knows every address.  A
# writer on the leader logs each acknowledged 4 KiB write
# (tests/vm/blockio.py).  The leader's outgoing traffic is delayed (netem
# 400ms) to widen the window, "promote_voter 4" is written, and the leader's
# QEMU is SIGKILLed as soon as its conf_phase reads joint.  A new leader is
# elected among the survivors; they end in exactly one configuration (equal
# members, conf_phase stable), every acknowledged write is there, the
# cluster takes new writes, the dead node boots, rejoins in the same
# configuration, and all four data areas are equal.
VM_DISK_SIZE=${VM_DISK_SIZE:-128M}
. "$(dirname "$0")/lib.sh"
rr_need_module
N="1 2 3"
ALL="1 2 3 4"
SLOTS=256
BIO=$VM_LIB_DIR/blockio.py

# one_conf NODES [TIMEOUT]: all NODES show the same members, conf_phase
# stable; prints the members
one_conf() {
	local i n m m0 ok
	for ((i = 0; i < ${2:-60}; i++)); do
		ok=1 m0=
		for n in $1; do
			m=$(rr_members "$n")
			[ "$(rr_attr "$n" 0 conf_phase)" = stable ] || ok=0
			[ -z "$m0" ] && m0=$m
			[ "$m" = "$m0" ] || ok=0
		done
		[ $ok = 1 ] && { echo "$m0"; return 0; }
		sleep 1
	done
	for n in $1; do echo "vm$n: $(rr_members "$n") $(rr_attr "$n" 0 conf_phase)" >&2; done
	fail "no single stable configuration on '$1' after ${2:-60}s"
}

vm_start $ALL
for n in $N; do
	rr_load "$n"
	rr_format "$n" "members=1,2,3"
done
for n in $N; do rr_cluster_create "$n" "$ALL"; done
L=$(rr_leader "$N" 120)
rr_join_blank 4 "$ALL"
dev_ctl_ok "$L" add_learner "4@10.77.0.4:$RR_PORT"
vm_ok 4 'for i in $(seq 1200); do [ "$(rr_attr 0 disk_state)" = UpToDate ] && [ $(rr_attr 0 leader) != 0 ] && case "$(rr_attr 0 members)" in *learners=4) exit 0 ;; esac; sleep 0.2; done; exit 1' 300 >/dev/null
expect_eq "members before the change" "$(one_conf "$ALL")" "voters=1,2,3 old= learners=4"
log "leader vm$L; vm4 is a caught-up learner"

vm_exec_bg "$L" "python3 $BIO write /dev/rraft0 /mnt/shared/acks $SLOTS" 1200 >/dev/null
for ((i = 0; i < 300; i++)); do
	[ "$(python3 "$BIO" lastgen "$(vm_dir "$L")/acks")" -ge 50 ] && break
	sleep 0.2
done
net_netem "$L" "delay 400ms"
ph=$(vm_dir "$L")/phase
rm -f "$ph"
vm_exec_bg "$L" 'wr /sys/block/rraft0/rraft/promote_voter 4 >/mnt/shared/promote
	while :; do cat /sys/block/rraft0/rraft/conf_phase >/mnt/shared/.phase; mv /mnt/shared/.phase /mnt/shared/phase; done' 300 >/dev/null
seen=
for ((i = 0; i < 3000; i++)); do
	p=$(cat "$ph" 2>/dev/null)
	case "$p" in
	joint) vm_kill "$L"; break ;;
	pending|stable) seen="$seen $p" ;;
	esac
	sleep 0.01
done
_vm_alive "$L" && fail "conf_phase of vm$L never read joint (promote_voter: $(cat "$(vm_dir "$L")/promote" 2>/dev/null), phases seen:$(echo $seen | tr ' ' '\n' | uniq | tr '\n' ' '))"
expect_eq "promote_voter 4 on vm$L" "$(cat "$(vm_dir "$L")/promote")" OK
acked=$(python3 "$BIO" lastgen "$(vm_dir "$L")/acks")
log "vm$L killed while joint, writer at acknowledged gen $acked"

S=$(echo $ALL | tr ' ' '\n' | grep -vx "$L" | tr '\n' ' ')
t0=$(date +%s)
L2=$(rr_leader "$S" 120)
log "new leader vm$L2 after $(( $(date +%s) - t0 ))s"
conf=$(one_conf "$S" 60)
log "survivors agree on '$conf', conf_phase stable"
case "$conf" in
"voters=1,2,3,4 old= learners="|"voters=1,2,3 old= learners=4") ;;
*) fail "unexpected configuration '$conf'" ;;
esac
cp "$(vm_dir "$L")/acks" "$(vm_dir "$L2")/acks"
out=$(vm_exec "$L2" "python3 $BIO check /dev/rraft0 /mnt/shared/acks $SLOTS" 300) ||
	fail "acknowledged writes lost: $out"
log "all acknowledged writes there: $out"
gen0=$((acked + 1))
vm_ok "$L2" "timeout 10 python3 $BIO write /dev/rraft0 /mnt/shared/acks $SLOTS $gen0; true" 60 >/dev/null
[ "$(python3 "$BIO" lastgen "$(vm_dir "$L2")/acks")" -gt "$acked" ] || fail "no write acknowledged by new leader vm$L2"
out=$(vm_exec "$L2" "python3 $BIO check /dev/rraft0 /mnt/shared/acks $SLOTS" 300) ||
	fail "acknowledged writes lost after new writes: $out"

rr_rejoin "$L" "$ALL"
expect_eq "leader after vm$L rejoined" "$(rr_leader "$ALL" 120)" "$L2"
expect_eq "configuration after vm$L rejoined" "$(one_conf "$ALL" 90)" "$conf"
rr_settle "$ALL" "$L2" 180
rr_data_equal "$ALL" "$L2"
