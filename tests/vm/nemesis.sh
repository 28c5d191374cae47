#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make nemesis [SEED=N] [ROUNDS=N] [NODES=3|5]: a randomized fault campaign
# against an rraft cluster of NODES VMs (see Documentation/design/
# testing.rst, "The nemesis").  Host-side clients (tests/vm/nemesis_client.py)
# write unique values to BLOCKS 4 KiB blocks and read them back on the
# leader, following it across failovers, and log every operation with its
# host-clock interval and result in $RUNDIR/vmN/history.jsonl.  Each round
# draws one fault from SEED: power cuts (SIGKILL of QEMU) of one node, two,
# the whole cluster; an isolated node, a leader in a minority, one-way
# loss, netem loss/duplication/reordering/corruption/delay, a flapping
# link; a paused QEMU (SIGSTOP, with or without a partition, then SIGCONT
# and an immediate read on it if it still says leader); an ext4 on the
# leader during a power cut, checked with fsck.ext4 -n afterwards.  After
# each round everything is healed and every node must catch up.  At the end
# tests/vm/nemesis_check.py checks the whole history: every block
# linearizable as a register, no acknowledged write lost.
#
# Environment: SEED (1), NEMESIS_SEEDS (list, overrides SEED: ROUNDS rounds
# of each, one cluster), ROUNDS (10), NODES (3), NEMESIS_FAULTS (the fault
# names to draw from, default all), plus lib.sh's.
VM_DISK_SIZE=${VM_DISK_SIZE:-128M}
. "$(dirname "$0")/lib.sh"
rr_need_module

NODES=${NODES:-3}
SEEDS=${NEMESIS_SEEDS:-${SEED:-1}}
ROUNDS=${ROUNDS:-10}
BLOCKS=8
CLIENTS=3
IO_TIMEOUT=5
FAULTS=${NEMESIS_FAULTS:-"kill1 kill2 killall isolate minority oneway netem flap pause pause-part ext4"}
EXT4_OFF=1048576	# the ext4 lives past the first MiB; the blocks below it
EXT4_SIZE=33554432
case $NODES in 3 | 5) ;; *) fail "NODES must be 3 or 5" ;; esac
N=$(seq -s ' ' 1 "$NODES")
NEM=$RUNDIR/nemesis
CLIENT=$VM_LIB_DIR/nemesis_client.py
CHECK=$VM_LIB_DIR/nemesis_check.py
mkdir -p "$NEM"
python3 "$CHECK" selftest >"$NEM/selftest.txt" || fail "checker selftest: $(tail -n 1 "$NEM/selftest.txt")"
CLIENT_PID=
declare -A PAUSED=()

nem_cleanup() {
	local rc=$? n
	touch "$NEM/stop"
	[ -n "$CLIENT_PID" ] && kill "$CLIENT_PID" 2>/dev/null
	for n in "${!PAUSED[@]}"; do kill -CONT "${VM_PID[$n]}" 2>/dev/null; done
	(exit $rc)
	vm_cleanup
}
trap nem_cleanup EXIT

# the seeded generator must not run in subshells ($(...) reseeds it)
# pick VAR "LIST": VAR = a random element of LIST
pick() {
	local a=($2)
	printf -v "$1" %s "${a[RANDOM % ${#a[@]}]}"
}
histories() { ls "$RUNDIR"/vm*/history.jsonl 2>/dev/null; }
others() { echo $N | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' '; }
hint() { echo "$1" >"$NEM/leader.tmp" && mv "$NEM/leader.tmp" "$NEM/leader"; }
# victim: V = the leader half of the time, else any node
victim() { if ((RANDOM % 2)); then V=$L; else pick V "$N"; fi; }

# nem_up N: rraft on a freshly booted VM N, back in the cluster
nem_up() {
	rr_load "$1"
	vm_ok "$1" 'modprobe loop' 60 >/dev/null	# the ext4 rounds' loop device
	rr_cluster_create "$1" "$N"
	dev_ctl_ok "$1" io_timeout "$IO_TIMEOUT"
}

# nem_filter N "IPS": VM N drops what it sends to IPS; nem_clear N undoes
# every filter and qdisc (both directions)
nem_filter() {
	local cmd='tc qdisc replace dev eth0 root handle 1: prio' ip
	for ip in $2; do
		cmd="$cmd && tc filter add dev eth0 parent 1: protocol ip prio 1 u32 match ip dst $ip/32 action drop"
	done
	vm_ok "$1" "$cmd" 60 >/dev/null
}
nem_clear() { vm_ok "$1" 'tc qdisc del dev eth0 root 2>/dev/null; tc qdisc del dev eth0 ingress 2>/dev/null; true' 60 >/dev/null; }

# partition "A" "B": no traffic between the groups, both directions
partition() {
	local n m ips
	for n in $1; do
		ips=; for m in $2; do ips="$ips 10.77.0.$m"; done
		nem_filter "$n" "$ips"
	done
	for n in $2; do
		ips=; for m in $1; do ips="$ips 10.77.0.$m"; done
		nem_filter "$n" "$ips"
	done
}

heal_all() {
	local n
	for n in "${!PAUSED[@]}"; do kill -CONT "${VM_PID[$n]}"; unset "PAUSED[$n]"; done
	for n in $N; do
		if ! _vm_alive "$n"; then vm_start "$n"; nem_up "$n"; fi
		ns_exec ip link set "tap$n" up
		nem_clear "$n"
	done
}

# --- faults: each sets FAULT (a short description) ---------------------------

f_kill() {	# f_kill "VICTIMS": power cut, down 2-6 s, boot, create again
	local n
	for n in $1; do vm_kill "$n"; done
	sleep $((2 + RANDOM % 5))
	for n in $1; do vm_launch "$n"; done
	for n in $1; do vm_wait_up "$n"; done
	for n in $1; do nem_up "$n"; done
}
f_kill1() { victim; FAULT="kill vm$V"; f_kill "$V"; }
f_kill2() {
	local a b
	pick a "$N"
	pick b "$(others "$a")"
	FAULT="kill vm$a,vm$b"
	f_kill "$a $b"
}
f_killall() { FAULT="kill all"; f_kill "$N"; }
f_isolate() {
	local s=$((6 + RANDOM % 7))
	victim
	FAULT="isolate vm$V ${s}s"
	net_cut "$V" >/dev/null
	sleep "$s"
	net_heal "$V" >/dev/null
}
f_minority() {	# the leader (and in 5 nodes one follower) against the rest
	local min=$L rest s=$((8 + RANDOM % 5)) f
	if [ "$NODES" = 5 ]; then pick f "$(others "$L")"; min="$L $f"; fi
	rest=$(echo $N | tr ' ' '\n' | grep -vxF "$(echo $min | tr ' ' '\n')" | tr '\n' ' ')
	FAULT="minority {${min// /,}} leader vm$L ${s}s"
	partition "$min" "$rest"
	sleep "$s"
}
f_oneway() {
	local v s=$((6 + RANDOM % 7)) dir
	victim
	v=$V
	if ((RANDOM % 2)); then
		dir=out
		vm_ok "$v" 'tc qdisc replace dev eth0 root netem loss 100%' 60 >/dev/null
	else
		dir=in
		vm_ok "$v" 'tc qdisc replace dev eth0 handle ffff: ingress && tc filter add dev eth0 parent ffff: protocol ip prio 1 u32 match u32 0 0 action drop' 60 >/dev/null
	fi
	FAULT="one-way: vm$v drops all it $([ $dir = out ] && echo sends || echo receives) ${s}s"
	sleep "$s"
}
f_netem() {
	local n q s=$((8 + RANDOM % 8))
	q="delay $((10 + RANDOM % 150))ms $((1 + RANDOM % 40))ms"
	((RANDOM % 2)) && q="$q loss $((1 + RANDOM % 20))%"
	((RANDOM % 2)) && q="$q duplicate $((1 + RANDOM % 10))%"
	((RANDOM % 2)) && q="$q reorder $((5 + RANDOM % 40))%"
	((RANDOM % 2)) && q="$q corrupt $((1 + RANDOM % 5))%"
	FAULT="netem on all: $q ${s}s"
	for n in $N; do vm_ok "$n" "tc qdisc replace dev eth0 root netem $q" 60 >/dev/null; done
	sleep "$s"
}
f_flap() {
	local i k=$((4 + RANDOM % 5))
	victim
	FAULT="flap vm$V x$k"
	for ((i = 0; i < k; i++)); do
		ns_exec ip link set "tap$V" down
		sleep "$((1 + RANDOM % 3)).$((RANDOM % 10))"
		ns_exec ip link set "tap$V" up
		sleep "$((RANDOM % 3)).$((RANDOM % 10))"
	done
}
# f_pause PART: SIGSTOP a node (mostly the leader) for 6-11 s (several
# election timeouts; under the 21 s RCU stall limit), with its link cut if
# PART; meanwhile the others elect and the nemesis writes every block on
# their leader; then SIGCONT and at once, on the paused node, a read of
# every block if it still says leader (a stale lease shows here).
f_pause() {
	local part=$1 v s=$((6 + RANDOM % 6)) seq t_stop rest l2 b n left pids=() out
	if ((RANDOM % 5 == 0)); then victim; v=$V; else v=$L; fi
	FAULT="pause vm$v$([ "$part" = 1 ] && echo " cut off") ${s}s"
	seq=$(python3 "$CLIENT" pause-submit "$RUNDIR" "$v" "$BLOCKS")
	sleep 1
	[ "$part" = 1 ] && ns_exec ip link set "tap$v" down
	kill -STOP "${VM_PID[$v]}"
	PAUSED[$v]=1
	t_stop=$(date +%s)
	rest=$(others "$v")
	l2=
	while [ -z "$l2" ] && [ "$(date +%s)" -lt $((t_stop + 10)) ]; do
		for n in $rest; do
			[ "$(vm_exec "$n" 'cat /sys/block/rraft0/rraft/role' 5 2>/dev/null)" = leader ] && l2=$n
		done
		[ -n "$l2" ] || sleep 0.3
	done
	if [ -n "$l2" ]; then
		hint "$l2"
		for ((b = 0; b < BLOCKS; b++)); do
			python3 "$CLIENT" op "$RUNDIR" "$l2" w "$b" >>"$NEM/pause-writes" 2>&1 &
			pids+=($!)
		done
	fi
	# the writes get until 14 s after the stop: a guest stopped for 21 s
	# reports an RCU stall (with a Call Trace) when it continues
	while [ "$(date +%s)" -lt $((t_stop + 14)) ]; do
		left=0
		for n in "${pids[@]}"; do kill -0 "$n" 2>/dev/null && left=1; done
		[ $left = 1 ] || break
		sleep 0.2
	done
	sleep $((t_stop + s - $(date +%s) > 0 ? t_stop + s - $(date +%s) : 0))
	out=$(python3 "$CLIENT" pause-resume "$RUNDIR" "$v" "$seq" "${VM_PID[$v]}")
	unset "PAUSED[$v]"
	[ ${#pids[@]} -eq 0 ] || wait "${pids[@]}"
	FAULT="$FAULT (stopped $(( $(date +%s) - t_stop ))s, new leader ${l2:+vm}${l2:-none in 10 s}; $out)"
	[ "$part" = 1 ] && ns_exec ip link set "tap$v" up
	true
}

# ext4 in the blocks past EXT4_OFF (a loop device on /dev/rraft0); EXT4_DEV
# holds the loop device of the mount on vm$EXT4_ON
ext4_mkfs() {
	vm_ok "$1" "d=\$(losetup -f --show -o $EXT4_OFF --sizelimit $EXT4_SIZE /dev/rraft0) && mkfs.ext4 -q -F \$d && losetup -d \$d" 600 >/dev/null
}
# ext4_check N: replay the journal (mount, umount), then fsck.ext4 -fn
ext4_check() {
	vm_exec "$1" "mkdir -p /mnt/nem && d=\$(losetup -f --show -o $EXT4_OFF --sizelimit $EXT4_SIZE /dev/rraft0) || exit 9
		mount \$d /mnt/nem && umount /mnt/nem && fsck.ext4 -fn \$d; rc=\$?; losetup -d \$d; exit \$rc" 600
}
f_ext4() {
	local v seq out rc kind
	vm_ok "$L" "mkdir -p /mnt/nem && rm -f /tmp/nem-ext4-stop && d=\$(losetup -f --show --direct-io=on -o $EXT4_OFF --sizelimit $EXT4_SIZE /dev/rraft0) && mount \$d /mnt/nem && echo \$d" 120 >"$NEM/ext4-dev"
	seq=$(vm_exec_bg "$L" 'i=0; while [ ! -e /tmp/nem-ext4-stop ]; do i=$((i + 1)); mkdir -p /mnt/nem/d$((i % 7)); head -c $(( (RANDOM % 64 + 1) * 1024 )) /dev/urandom >/mnt/nem/d$((i % 7))/f$((i % 23)) || exit 1; [ $((i % 4)) = 0 ] && sync; [ $((i % 9)) = 0 ] && rm -f /mnt/nem/d$((i % 5))/f$((i % 11)); done' 300)
	sleep $((3 + RANDOM % 5))
	case $((RANDOM % 3)) in
	0) kind=leader; v=$L ;;
	1) kind=follower; pick v "$(others "$L")" ;;
	2) kind=all; v=$N ;;
	esac
	FAULT="ext4 on vm$L, kill $([ $kind = all ] && echo all || echo "vm$v")"
	f_kill "$v"
	if [ "$kind" = follower ]; then	# the mount survived: unmount it
		vm_ok "$L" "touch /tmp/nem-ext4-stop" 30 >/dev/null
		vm_wait_cmd "$L" "$seq" 120 >/dev/null || true
		vm_ok "$L" "umount /mnt/nem && losetup -d $(cat "$NEM/ext4-dev")" 300 >/dev/null
	fi
	L=$(rr_leader "$N" 180)
	hint "$L"
	out=$(ext4_check "$L" 2>&1)
	rc=$?
	if [ $rc -ne 0 ]; then
		printf '%s\n' "$out" | tail -n 30 >&2
		FAULT="$FAULT; fsck.ext4 -n on vm$L FAILED ($rc)"
		ROUND_BAD="fsck"
	else
		FAULT="$FAULT; fsck.ext4 -n on vm$L clean"
	fi
}

# --- the campaign --------------------------------------------------------------

vm_start $N
rr_cluster_up "$N"
for n in $N; do
	dev_ctl_ok "$n" io_timeout "$IO_TIMEOUT"
	vm_ok "$n" 'modprobe loop' 60 >/dev/null
done
L=$(rr_leader "$N" 120)
hint "$L"
ext4_mkfs "$L"
echo 0 >"$NEM/round"
python3 "$CLIENT" run "$RUNDIR" "$N" "$BLOCKS" "$CLIENTS" "${SEEDS%% *}" >"$NEM/clients.log" 2>&1 &
CLIENT_PID=$!
log "nemesis: $NODES nodes, seeds $SEEDS, $ROUNDS rounds each, faults: $FAULTS"
R=0 BAD=
for seed in $SEEDS; do
	RANDOM=$seed
	for ((i = 0; i < ROUNDS; i++)); do
		R=$((R + 1))
		echo "$R" >"$NEM/round"
		L=$(rr_leader "$N" 180)
		hint "$L"
		sleep $((2 + RANDOM % 3))	# clients at work before the fault
		pick f "$FAULTS"
		FAULT=$f ROUND_BAD=
		case $f in
		pause) f_pause 0 ;;
		pause-part) f_pause 1 ;;
		*) "f_$f" ;;
		esac
		heal_all
		L=$(rr_leader "$N" 180)
		hint "$L"
		rr_wait_applied "$N" "$(rr_attr "$L" 0 commit_index)" 180
		sleep 2
		ops=$(python3 "$CHECK" round "$R" $(histories))
		if ! python3 "$CHECK" lin $(histories) >"$NEM/check-$R.txt" 2>&1; then
			ROUND_BAD="${ROUND_BAD:+$ROUND_BAD, }not linearizable"
		fi
		echo "nemesis: round $R (seed $seed): $FAULT; ops ok/failed/unknown $ops; ${ROUND_BAD:-ok}"
		if [ -n "$ROUND_BAD" ]; then
			BAD="round $R: $ROUND_BAD"
			grep -v '^    ' "$NEM/check-$R.txt" | head -n 20
			break 2
		fi
	done
done

# --- final heal and check ----------------------------------------------------
touch "$NEM/stop"
for ((i = 0; i < 40; i++)); do kill -0 "$CLIENT_PID" 2>/dev/null || break; sleep 1; done
kill "$CLIENT_PID" 2>/dev/null
CLIENT_PID=
heal_all
L=$(rr_leader "$N" 180)
commit=$(rr_attr "$L" 0 commit_index)
rr_wait_applied "$N" "$commit" 300
echo $((R + 1)) >"$NEM/round"
for ((b = 0; b < BLOCKS; b++)); do
	python3 "$CLIENT" op "$RUNDIR" "$L" r "$b" final >>"$NEM/final-reads" || BAD="${BAD:+$BAD; }final read of block $b failed"
done
# every node's data area holds the same blocks
for n in $N; do
	vm_ok "$n" "off=\$(rr_sb_u64 /dev/vda 96); for b in \$(seq 0 $((BLOCKS - 1))); do dd if=/dev/vda bs=4096 skip=\$((off + b)) count=1 iflag=direct status=none | md5sum | cut -c1-32; done" 120 >"$NEM/blocks-vm$n"
done
for n in $N; do
	cmp -s "$NEM/blocks-vm$n" "$NEM/blocks-vm$L" || BAD="${BAD:+$BAD; }vm$n's data area differs from the leader's (see $NEM/blocks-vm*)"
done
python3 "$CHECK" check $(histories) >"$NEM/check-final.txt" 2>&1
crc=$?
grep -v -e "^    " -e "^acked=" "$NEM/check-final.txt" | tail -n 30
res=$(tail -n 1 "$NEM/check-final.txt")
W=$(echo "$res" | sed -n 's/^acked=\([0-9]*\) lost=\([0-9]*\) nonlin=\([0-9]*\)$/\1/p')
X=$(echo "$res" | sed -n 's/^acked=\([0-9]*\) lost=\([0-9]*\) nonlin=\([0-9]*\)$/\2/p')
[ -n "$W" ] || fail "checker gave no result (see $NEM/check-final.txt)"
[ $crc -eq 0 ] || BAD="${BAD:+$BAD; }checker: $(grep -c 'NOT linearizable' "$NEM/check-final.txt") blocks not linearizable, $X lost"
echo "nemesis: $R rounds, $W acknowledged writes, $X lost"
[ -z "$BAD" ] || fail "nemesis: $BAD (history: $RUNDIR/vm*/history.jsonl, checker output: $NEM/check-final.txt)"
