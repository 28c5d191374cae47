#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench, VM part (issue 12): fio on four targets in the same three VMs,
# in one run, fio always on vm1:
#   local   vm1's raw virtio disk /dev/vdb (the baseline)
#   drbd    DRBD 8.4 protocol C, vm1 (primary) + vm2 on /dev/vdc
#   rraft2  /dev/rraft1: rraft with 2 voters, vm1 + vm2 on /dev/vdd
#   rraft3  /dev/rraft0: rraft with 3 voters, vm1 + vm2 + vm3 on /dev/vda
# Every target has its own disk in each VM and all are set up once, before
# the rounds (no recreation between targets); vm1 is made rraft leader
# (sysfs promote) and checked before every rraft job.  Each target is
# prefilled over the 64 MiB span fio uses.  The targets not being measured
# stay up and idle (vm3 carries only rraft3's heartbeats while drbd and
# rraft2 run).
#
# Jobs (libaio, O_DIRECT, 64 MiB span, time based), write jobs in two
# durability modes, "plain" and "sync" (--sync=1: O_DSYNC, every write FUA):
#   randwrite-qd1  randwrite-qd32  seqwrite-1m (1 MiB, QD4)  randread-qd8
# Rounds: BENCH_ROUNDS (3) rounds; in each, every job runs on every target
# (the target order rotates per round), so the targets interleave in time.
# Around every run the host reads the bytes the VMs sent (tap counters in
# the test namespace, summed over the VMs), the QEMU CPU time of the three
# VMs (/proc/PID/stat) and vm1's sectors written to the target
# (/sys/block/DEV/stat), and for rraft the bytes vm1 sent to its peers at
# the rraft level (peers attribute, sent=).  tests/vm/bench-report.py turns
# build/bench/ into fio.md (tables), summary.txt (ratio and value lines) and
# goals.md.
#
# Environment: BENCH_RUNTIME (seconds per job, default 15), BENCH_ROUNDS
# (default 3), BENCH_QUICK=1 (1 round, 3 s jobs: checks the script),
# BENCH_TARGETS (default "local drbd rraft2 rraft3"), BENCH_JOBS (default
# all seven job-modes, e.g. "randwrite-qd32-sync seqwrite-1m-plain").
VM_DISK_SIZE=1G
VM_EXTRA_DISKS="1G 1G 1G"
. "$(dirname "$0")/lib.sh"

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	RUNTIME=${BENCH_RUNTIME:-3} ROUNDS=${BENCH_ROUNDS:-1} RAMP=1
else
	RUNTIME=${BENCH_RUNTIME:-15} ROUNDS=${BENCH_ROUNDS:-3} RAMP=2
fi
TARGETS=${BENCH_TARGETS:-local drbd rraft2 rraft3}
JOBS=${BENCH_JOBS:-randwrite-qd1-plain randwrite-qd1-sync randwrite-qd32-plain randwrite-qd32-sync seqwrite-1m-plain seqwrite-1m-sync randread-qd8-plain}
SPAN=64M
OUT=$VM_TOP/build/bench
rm -rf "$OUT"
mkdir -p "$OUT"
RUNS=$OUT/runs.txt

# target -> device on vm1, rraft minor, backing disk, nodes, cluster id, port
declare -A DEV=([local]=vdb [drbd]=drbd0 [rraft2]=rraft1 [rraft3]=rraft0)
declare -A MINOR=([rraft2]=1 [rraft3]=0)
declare -A DISK=([rraft2]=vdd [rraft3]=vda)
declare -A NODES=([rraft2]="1 2" [rraft3]="1 2 3")
declare -A CLUSTER=([rraft2]=0x5eed2 [rraft3]=0x5eed3)
declare -A PORT=([rraft2]=7791 [rraft3]=7789)

fio_args() {
	local a="--ioengine=libaio --direct=1 --time_based --runtime=$RUNTIME --ramp_time=$RAMP --size=$SPAN --output-format=json"
	case "$1" in
	randwrite-qd1-*) a="$a --rw=randwrite --bs=4k --iodepth=1" ;;
	randwrite-qd32-*) a="$a --rw=randwrite --bs=4k --iodepth=32" ;;
	seqwrite-1m-*) a="$a --rw=write --bs=1M --iodepth=4" ;;
	randread-qd8-*) a="$a --rw=randread --bs=4k --iodepth=8" ;;
	*) fail "unknown job $1" ;;
	esac
	case "$1" in *-sync) a="$a --sync=1" ;; esac
	echo "$a"
}

# host-side counters: bytes the VMs sent (RX of the host end of tap1..3),
# CPU ticks of the three QEMUs
net_bytes() {
	ns_exec cat /proc/net/dev | awk '$1 ~ /^tap[0-9]+:$/ { s += $2 } END { printf "%d\n", s }'
}
cpu_ticks() {
	local n s=0 f
	for n in 1 2 3; do
		f=$(sed 's/.*) //' "/proc/${VM_PID[$n]}/stat") || fail "no QEMU for vm$n"
		set -- $f
		s=$((s + ${12} + ${13}))	# utime, stime (fields 14, 15)
	done
	echo "$s"
}

# --- targets ---------------------------------------------------------------

drbd_conf() {
	cat <<EOF
global { usage-count no; }
resource r0 {
	protocol C;
	device /dev/drbd0;
	disk /dev/vdc;
	meta-disk internal;
	net { cram-hmac-alg sha256; shared-secret "bench"; }
	on vm1 { address 10.77.0.1:7790; }
	on vm2 { address 10.77.0.2:7790; }
}
EOF
}

drbd_up() {
	local n
	for n in 1 2; do
		drbd_conf >"$(vm_dir "$n")/drbd.conf"
		vm_ok "$n" 'mkdir -p /run/lock; mountpoint -q /var/lib/drbd || mount -t tmpfs tmpfs /var/lib/drbd
			modprobe drbd && D="drbdadm -c /mnt/shared/drbd.conf" &&
			$D create-md --force r0 </dev/null && $D up r0' 180 >/dev/null
	done
	vm_ok 1 'D="drbdadm -c /mnt/shared/drbd.conf"
		for i in $(seq 300); do $D cstate r0 | grep -q Connected && break; sleep 0.2; done
		$D cstate r0
		# both sides are new and empty: skip the initial sync
		$D -- --clear-bitmap new-current-uuid r0 && $D primary r0 &&
		for i in $(seq 300); do $D dstate r0 | grep -q UpToDate/UpToDate && exit 0; sleep 0.2; done
		$D dstate r0; exit 1' 120 >/dev/null
	log "drbd: $(vm_ok 1 'cat /proc/drbd' 30 | tail -n 2 | head -n 1)"
}

# rraft_up TARGET: format and create /dev/rraftMINOR on its disk on its nodes
rraft_up() {
	local t=$1 n m peers members
	members=$(echo ${NODES[$t]} | tr ' ' ',')
	for n in ${NODES[$t]}; do
		rr_ctl_ok "$n" format "backing=/dev/${DISK[$t]} node=$n cluster=${CLUSTER[$t]} members=$members"
	done
	for n in ${NODES[$t]}; do
		peers=
		for m in ${NODES[$t]}; do
			[ "$m" = "$n" ] || peers="$peers${peers:+,}$m@10.77.0.$m:${PORT[$t]}"
		done
		rr_ctl_ok "$n" create "minor=${MINOR[$t]} backing=/dev/${DISK[$t]} listen=10.77.0.$n:${PORT[$t]} peers=$peers secret=$RR_SECRET"
	done
	rraft_lead_vm1 "$t"
	log "$t: $(vm_ok 1 "cat /sys/block/rraft${MINOR[$t]}/rraft/members" 30), leader vm1"
}

# rraft_lead_vm1 TARGET: make vm1 the leader (promote) unless it is; wait
# until every node of the target names vm1
rraft_lead_vm1() {
	local t=$1 m=${MINOR[$1]} n i ok
	if [ "$(vm_exec 1 "cat /sys/block/rraft$m/rraft/role 2>/dev/null" 30)" != leader ]; then
		vm_exec 1 "test -b /dev/rraft$m" 30 || fail "$t: no /dev/rraft$m on vm1"
		vm_ok 1 "for i in \$(seq 300); do [ \$(rr_attr $m leader) != 0 ] && break; sleep 0.2; done
			[ \$(rr_attr $m role) = leader ] || wr /sys/block/rraft$m/rraft/promote 1
			rr_wait_attr $m role leader 60" 140 >/dev/null
		log "$t: leadership moved to vm1"
		echo "leader_move $t" >>"$RUNS"
	fi
	for ((i = 0; i < 100; i++)); do
		ok=1
		for n in ${NODES[$t]}; do
			[ "$(vm_exec "$n" "cat /sys/block/rraft$m/rraft/leader" 10)" = 1 ] || ok=0
		done
		[ $ok = 1 ] && return 0
		sleep 0.3
	done
	fail "$t: not every node names vm1 leader"
}

target_up() {
	case $1 in
	local) ;;
	drbd) drbd_up ;;
	rraft2 | rraft3) rraft_up "$1" ;;
	*) fail "unknown target $1" ;;
	esac
}

# --- runs ------------------------------------------------------------------

# run_job ROUND TARGET JOB: one fio run on vm1 with the counters around it
run_job() {
	local r=$1 t=$2 j=$3 dev=${DEV[$2]} name n0 c0 n1 c1 sect t0 t1
	case $t in rraft*) rraft_lead_vm1 "$t" ;; esac
	name=fio-$t-$j-r$r.json
	log "round $r: $t $j"
	n0=$(net_bytes) c0=$(cpu_ticks) t0=$(date +%s.%N)
	# sectors written to the device, and for rraft the bytes its leader
	# sent to its peers (the peers attribute's sent=), -1 otherwise
	read -r sect rsent < <(vm_ok 1 "rsent() { awk '{ for (i = 1; i <= NF; i++) if (\$i ~ /^sent=/) s += substr(\$i, 6) } END { printf \"%d\\n\", s }' /sys/block/$dev/rraft/peers 2>/dev/null || echo 0; }
		s0=\$(awk '{print \$7}' /sys/block/$dev/stat) r0=\$(rsent)
		fio --name=$j --filename=/dev/$dev $(fio_args "$j") --output=/mnt/shared/$name >/dev/null 2>/tmp/fio.err ||
			{ cat /tmp/fio.err; exit 1; }
		echo \$(( \$(awk '{print \$7}' /sys/block/$dev/stat) - s0 )) \$(( \$(rsent) - r0 ))" $((RUNTIME * 4 + 120)))
	[[ $sect =~ ^[0-9]+$ ]] || fail "$t $j: sectors written '$sect'"
	case $t in rraft*) ;; *) rsent=-1 ;; esac
	n1=$(net_bytes) c1=$(cpu_ticks) t1=$(date +%s.%N)
	mv "$(vm_dir 1)/$name" "$OUT/" || fail "no fio output $name"
	echo "run $r $t $j $name $((n1 - n0)) $((c1 - c0)) $((sect * 512)) $(echo "$t1 - $t0" | bc) $rsent" >>"$RUNS"
}

# prefill TARGET: write the span once (not measured)
prefill() {
	local t=$1
	case $t in rraft*) rraft_lead_vm1 "$t" ;; esac
	t0=$(date +%s)
	vm_ok 1 "fio --name=prefill --filename=/dev/${DEV[$t]} --ioengine=libaio --direct=1 --rw=write --bs=1M --iodepth=4 --size=$SPAN >/dev/null" 900 >/dev/null
	log "$t: prefilled $SPAN in $(( $(date +%s) - t0 ))s"
}

# idle_rates SECONDS: network bytes/s and CPU s/s of the three VMs with
# every target up and nothing running
idle_rates() {
	local n0 c0
	n0=$(net_bytes) c0=$(cpu_ticks)
	sleep "$1"
	echo "idle $1 $(( $(net_bytes) - n0 )) $(( $(cpu_ticks) - c0 ))" >>"$RUNS"
}

# net_bound: TCP stream and 4 KiB ping-pong from vm1 to vm2, the network's
# own limits (tests/vm/netprobe.py)
net_bound() {
	local seq
	seq=$(vm_exec_bg 2 "timeout 60 python3 $VM_LIB_DIR/netprobe.py serve 7799" 90)
	sleep 1
	vm_ok 1 "python3 $VM_LIB_DIR/netprobe.py probe 10.77.0.2 7799 $RUNTIME" $((RUNTIME * 3 + 60)) |
		sed 's/^/net /' >>"$RUNS"
	vm_wait_cmd 2 "$seq" 90 >/dev/null
	log "network bound: $(grep '^net ' "$RUNS" | tr '\n' ' ')"
}

set -- $TARGETS
ntargets=$#
set -- $JOBS
njobs=$#
# per run: fio's time plus ~3 s (agent round trips, fio start, leader check);
# setup: boot, targets, prefill (~30 s per rraft target), network probe
est=$(( ROUNDS * ntargets * njobs * (RUNTIME + RAMP + 3) + 120 + ntargets * 25 + RUNTIME ))
log "bench: targets '$TARGETS', $njobs jobs, $ROUNDS round(s) of ${RUNTIME}s (+${RAMP}s ramp) each; estimated total $((est / 60)) min $((est % 60)) s"
echo "config runtime=$RUNTIME ramp=$RAMP rounds=$ROUNDS span=$SPAN targets=${TARGETS// /,} jobs=${JOBS// /,} kernel=$VM_KERNEL date=$(date -u +%FT%TZ) host_load=$(cut -d' ' -f1 /proc/loadavg)" >"$RUNS"
start=$(date +%s)

vm_start 1 2 3
case " $TARGETS " in *" rraft"*) for n in 1 2 3; do rr_load "$n"; done ;; esac
for t in $TARGETS; do target_up "$t"; done
for t in $TARGETS; do prefill "$t"; done
net_bound
idle_rates 5

for ((r = 1; r <= ROUNDS; r++)); do
	set -- $TARGETS
	for ((k = 1; k < r; k++)); do set -- "${@:2}" "$1"; done	# rotate
	for j in $JOBS; do
		for t in "$@"; do run_job "$r" "$t" "$j"; done
	done
done
case " $TARGETS " in *" rraft"*)
	for t in rraft2 rraft3; do
		case " $TARGETS " in *" $t "*) ;; *) continue ;; esac
		for n in ${NODES[$t]}; do
			vm_exec "$n" "echo \"$t node \$(rr_attr ${MINOR[$t]} node_id): role=\$(rr_attr ${MINOR[$t]} role) term=\$(rr_attr ${MINOR[$t]} term) commit=\$(rr_attr ${MINOR[$t]} commit_index) applied=\$(rr_attr ${MINOR[$t]} applied_index)\"" 30
		done
	done ;;
esac
echo "host_load_end $(cut -d' ' -f1 /proc/loadavg) elapsed $(( $(date +%s) - start ))" >>"$RUNS"
log "measured in $(( $(date +%s) - start ))s (estimate was ${est}s)"
python3 "$VM_LIB_DIR/bench-report.py" "$OUT" || fail "bench-report.py failed"
