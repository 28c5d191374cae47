# SPDX-License-Identifier: GPL-2.0
# rraft VM test harness, sourced by tests/vm/t-*.sh (see
# Documentation/design/testing.rst).
#
# Environment:
#   RUNDIR       run directory of this test (default build/vm/<test name>)
#   KERNEL       kernel series for scripts/kver.sh (6.1 default, 6.12)
#   VM_KERNEL    kernel version to boot (default: scripts/kver.sh $KERNEL)
#   RRAFT_KO     module to test (default <top>/rraft.ko)
#   VM_MEM       guest RAM in MiB (768)
#   VM_DISK_SIZE default size of each VM's backing disk /dev/vda (256M)
#   VM_EXTRA_DISKS  sizes of further disks (vdb, vdc, ...), e.g. "1M"
#
# Every VM gets its own shared folder $RUNDIR/vmN (mounted at /mnt/shared in
# the guest), its own disk(s) $RUNDIR/vmN/vd?.img (kept across restarts) and
# a tap tapN on a bridge inside a private network namespace; guest N has
# 10.77.0.N/24, the namespace side of the bridge 10.77.0.254.  Nothing
# leaves the namespace.  On exit (normal, failure or signal) the harness
# collects dmesg and consoles, kills the QEMUs it started (by pid), deletes
# the namespace (taps, bridge) and fails the test if any kernel log shows an
# oops, BUG, WARNING, ...

set -u -o pipefail

VM_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_TOP=$(cd "$VM_LIB_DIR/../.." && pwd)
VM_TEST=$(basename "$0" .sh)
RUNDIR=${RUNDIR:-$VM_TOP/build/vm/$VM_TEST}
KERNEL=${KERNEL:-6.1}
VM_KERNEL=${VM_KERNEL:-$("$VM_TOP/scripts/kver.sh" "$KERNEL")}
RRAFT_KO=${RRAFT_KO:-$VM_TOP/rraft.ko}
VM_MEM=${VM_MEM:-768}
VM_DISK_SIZE=${VM_DISK_SIZE:-256M}
VM_EXTRA_DISKS=${VM_EXTRA_DISKS:-}
VM_NS=rraft-$$-${VM_TEST//[^a-zA-Z0-9]/}
VM_NS=${VM_NS:0:40}
declare -A VM_PID=()	# N -> QEMU pid (running)
declare -A VM_BOOT=()	# N -> boot count

log() { echo "[$(date +%T)] $*"; }
. "$VM_LIB_DIR/agent-host.sh"

VM_MAIN_PID=$$
# fail MSG: fail the test; works from subshells ($(...)) too: it marks the
# run dir and signals the main test shell, whose trap cleans up.
fail() {
	echo "FAIL: $*" >&2
	echo "$*" >>"$RUNDIR/FAILED"
	if [ "$BASHPID" != "$VM_MAIN_PID" ]; then
		kill -TERM "$VM_MAIN_PID"
	fi
	exit 1
}

# --- setup / teardown --------------------------------------------------------

vm_setup() {
	local vmlinuz=/boot/vmlinuz-$VM_KERNEL
	[ -n "$VM_KERNEL" ] || fail "no kernel for series $KERNEL (scripts/kver.sh)"
	[ -r "$vmlinuz" ] || fail "no $vmlinuz"
	[ -d "/lib/modules/$VM_KERNEL" ] || fail "no /lib/modules/$VM_KERNEL"
	VM_VMLINUZ=$vmlinuz
	VM_INITRD=$("$VM_TOP/scripts/vm/mkinitramfs.sh" "$VM_KERNEL") || fail "initramfs build failed"
	if [ -f "$RUNDIR/owner" ] && kill -0 "$(cat "$RUNDIR/owner")" 2>/dev/null; then
		echo "FAIL: run dir $RUNDIR in use by pid $(cat "$RUNDIR/owner"); set RUNDIR" >&2
		exit 1
	fi
	rm -rf "$RUNDIR"
	mkdir -p "$RUNDIR"
	echo $$ >"$RUNDIR/owner"
	# a copy for the whole test: the cached image is replaced (and the old
	# one deleted) when modules.dep changes, e.g. by a depmod meanwhile
	cp "$VM_INITRD" "$RUNDIR/initramfs.cpio.gz" || fail "cannot copy $VM_INITRD"
	VM_INITRD=$RUNDIR/initramfs.cpio.gz
	ip netns add "$VM_NS" || fail "cannot create netns $VM_NS"
	echo "$VM_NS" >"$RUNDIR/netns"	# for run.sh, should this shell be SIGKILLed
	ip netns exec "$VM_NS" ip link set lo up
	ip netns exec "$VM_NS" ip link add br0 type bridge
	ip netns exec "$VM_NS" ip addr add 10.77.0.254/24 dev br0
	ip netns exec "$VM_NS" ip link set br0 up
	exec 8>&1 9>&2	# the test's own stdout/stderr, for the cleanup report
	trap vm_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	log "setup: kernel $VM_KERNEL, netns $VM_NS, run dir $RUNDIR"
}

# Kernel log lines that fail a test wherever they appear.
VM_BAD_RE='BUG:|WARNING:|general protection|Call Trace|Oops|Kernel panic|KASAN|UBSAN|kernel BUG|list_add corruption|list_del corruption|refcount_t:|soft lockup|hung_task|blocked for more than|stack-protector|segfault at .* in (insmod|modprobe)|RIP: '

vm_check_logs() {
	local f bad=0
	for f in "$RUNDIR"/vm*/console-*.log "$RUNDIR"/vm*/dmesg-*.txt; do
		[ -f "$f" ] || continue
		if grep -aEq "$VM_BAD_RE" "$f"; then
			echo "kernel log problem in $f:" >&2
			grep -aE -m 20 -B 2 -A 8 "$VM_BAD_RE" "$f" >&2
			bad=1
		fi
	done
	return $bad
}

vm_cleanup() {
	local rc=$? n
	trap - EXIT INT TERM
	exec 1>&8 2>&9
	for n in "${!VM_PID[@]}"; do
		vm_save_dmesg "$n" 2>/dev/null
	done
	for n in "${!VM_PID[@]}"; do
		kill -9 "${VM_PID[$n]}" 2>/dev/null
	done
	for n in "${!VM_PID[@]}"; do
		_pid_gone "${VM_PID[$n]}"
	done
	ip netns del "$VM_NS" 2>/dev/null
	if [ -s "$RUNDIR/FAILED" ] && [ $rc -eq 0 ]; then rc=1; fi
	if ! vm_check_logs; then
		echo "FAIL: kernel log shows an oops/BUG/WARNING (see above)" >&2
		[ $rc -eq 0 ] && rc=1
	fi
	if [ $rc -eq 0 ]; then
		log "PASS $VM_TEST"
	else
		log "FAIL $VM_TEST (rc=$rc); logs in $RUNDIR"
	fi
	exit $rc
}

# --- VM lifecycle ------------------------------------------------------------

vm_dir() { echo "$RUNDIR/vm$1"; }

# _pid_gone PID: wait (up to 30 s) until a SIGKILLed QEMU has gone
_pid_gone() {
	local i
	for ((i = 0; i < 300; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

_vm_alive() {
	local pid=${VM_PID[$1]:-}
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# vm_launch N: start QEMU for VM N (no wait)
vm_launch() {
	local n=$1 d boot tap mac disks=() i=0 letter sz
	d=$(vm_dir "$n")
	_vm_alive "$n" && fail "vm$n already running"
	mkdir -p "$d/cmd" "$d/out"
	rm -f "$d/ready" "$d"/cmd/* "$d"/out/*
	boot=$(( ${VM_BOOT[$n]:-0} + 1 ))
	VM_BOOT[$n]=$boot
	for sz in "$VM_DISK_SIZE" $VM_EXTRA_DISKS; do
		letter=$(printf "\\x$(printf %x $((97 + i)))")
		if [ ! -e "$d/vd$letter.img" ]; then
			truncate -s "$sz" "$d/vd$letter.img" || fail "cannot create disk"
		fi
		disks+=(-drive "file=$d/vd$letter.img,format=raw,if=virtio,cache=writeback,aio=threads")
		i=$((i + 1))
	done
	tap=tap$n
	if ! ip netns exec "$VM_NS" ip link show "$tap" >/dev/null 2>&1; then
		ip netns exec "$VM_NS" ip tuntap add "$tap" mode tap || fail "cannot create $tap"
		ip netns exec "$VM_NS" ip link set "$tap" master br0
		ip netns exec "$VM_NS" ip link set "$tap" up
	fi
	mac=$(printf '52:54:00:77:00:%02x' "$n")
	# romfile=: no iPXE option ROM on the NIC (the kernel is booted with
	# -kernel; the ROM's start under TCG is boot time for nothing)
	ip netns exec "$VM_NS" qemu-system-x86_64 \
		-name "rraft-$VM_TEST-vm$n" -nodefaults -no-user-config \
		-accel tcg -M pc -cpu max -smp 1 -m "$VM_MEM" \
		-display none -monitor none -no-reboot \
		-serial "file:$d/console-$boot.log" \
		-kernel "$VM_VMLINUZ" -initrd "$VM_INITRD" \
		-append "console=ttyS0 panic=-1 mitigations=off no_timer_check rraft.vm=$n rraft.ip=10.77.0.$n/24 rraft.agent=$VM_LIB_DIR/agent.sh" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,id=hostroot \
		-virtfs "local,path=$d,mount_tag=shared,security_model=none,id=shared" \
		"${disks[@]}" \
		-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no" \
		-device "virtio-net-pci,netdev=n0,mac=$mac,romfile=" \
		>"$d/qemu-$boot.log" 2>&1 &
	VM_PID[$n]=$!
	disown "$!"	# no job notices ("Killed ...") when we SIGKILL it
	echo "$!" >>"$RUNDIR/qemu-pids"	# for run.sh, should this shell be SIGKILLed
	date +%s.%N >"$d/start-$boot"
	log "vm$n: boot $boot, qemu pid ${VM_PID[$n]}"
}

# vm_wait_up N [TIMEOUT]: wait for the agent of VM N
vm_wait_up() {
	local n=$1 t=${2:-180} d i t0
	d=$(vm_dir "$n")
	for ((i = 0; i < t * 5; i++)); do
		if [ -f "$d/ready" ]; then
			t0=$(cat "$d/start-${VM_BOOT[$n]}")
			log "vm$n: up after $(echo "$(date +%s.%N) - $t0" | bc | cut -c1-5)s"
			return 0
		fi
		_vm_alive "$n" || { tail -n 30 "$d/console-${VM_BOOT[$n]}.log" "$d/qemu-${VM_BOOT[$n]}.log" >&2; fail "vm$n died while booting"; }
		sleep 0.2
	done
	tail -n 30 "$d/console-${VM_BOOT[$n]}.log" >&2
	fail "vm$n not up after ${t}s"
}

# vm_start N...: boot VMs (in parallel) and wait until each agent is up
vm_start() {
	local n
	for n in "$@"; do vm_launch "$n"; done
	for n in "$@"; do vm_wait_up "$n"; done
}

# vm_kill N: SIGKILL the QEMU of VM N (a crash / power loss of the VM)
vm_kill() {
	local n=$1 pid=${VM_PID[$1]:-}
	[ -n "$pid" ] || fail "vm$n not running"
	kill -9 "$pid" 2>/dev/null
	_pid_gone "$pid"
	unset "VM_PID[$n]"
	log "vm$n: killed"
}

# vm_stop N: clean shutdown (sync, poweroff); dmesg is saved first
vm_stop() {
	local n=$1 pid=${VM_PID[$1]:-} i
	[ -n "$pid" ] || fail "vm$n not running"
	vm_save_dmesg "$n"
	vm_exec_bg "$n" "sync; sleep 0.2; busybox poweroff -f" >/dev/null
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid"
		_pid_gone "$pid"
		unset "VM_PID[$n]"
		fail "vm$n did not power off"
	fi
	unset "VM_PID[$n]"
	log "vm$n: stopped"
}

# vm_restart N: crash (SIGKILL) and boot again; vm_reboot N: clean
vm_restart() { vm_kill "$1"; vm_start "$1"; }
vm_reboot() { vm_stop "$1"; vm_start "$1"; }

# --- running commands --------------------------------------------------------

# vm_submit N CMD [TIMEOUT]: queue CMD in VM N; prints the sequence number
vm_submit() { agent_submit "$(vm_dir "$1")" "$2" "${3:-300}"; }

# vm_wait_cmd N SEQ [TIMEOUT]: wait for a submitted command; prints its
# stdout (stderr to stderr) and returns its exit code (255: VM died,
# 124: timed out)
vm_wait_cmd() {
	agent_wait "vm$1" "$(vm_dir "$1")" "$2" "${3:-300}" "_vm_alive $1"
}

# vm_exec N CMD [TIMEOUT]: run CMD (bash) in VM N, return its exit code
vm_exec() {
	local seq
	_vm_alive "$1" || { echo "vm$1 not running" >&2; return 255; }
	seq=$(vm_submit "$1" "$2" "${3:-300}")
	vm_wait_cmd "$1" "$seq" "${3:-300}"
}

# vm_exec_bg N CMD [TIMEOUT]: start CMD, print the SEQ for vm_wait_cmd
vm_exec_bg() {
	vm_submit "$1" "$2" "${3:-300}"
}

# vm_ok N CMD [TIMEOUT]: like vm_exec, but the test fails on non-zero
vm_ok() {
	local out rc
	out=$(vm_exec "$@" 2>&1)
	rc=$?
	if [ $rc -ne 0 ]; then
		printf '%s\n' "$out" | tail -n 40 >&2
		fail "vm$1: '$2' exited $rc"
	fi
	printf '%s\n' "$out"
}

# vm_dmesg N: the kernel log of VM N
vm_dmesg() { vm_exec "$1" "dmesg" 30; }

# vm_save_dmesg N: store the kernel log of the running boot of VM N
vm_save_dmesg() {
	local n=$1 d
	d=$(vm_dir "$n")
	_vm_alive "$n" || return 0
	vm_exec "$n" "dmesg" 10 >"$d/dmesg-${VM_BOOT[$n]}.txt" 2>/dev/null
}

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}

# --- network (all inside the namespace) --------------------------------------

net_cut() { ip netns exec "$VM_NS" ip link set "tap$1" down && log "net: vm$1 cut"; }
net_heal() { ip netns exec "$VM_NS" ip link set "tap$1" up && log "net: vm$1 healed"; }
# net_netem N "delay 20ms loss 5%": shape the traffic VM N sends (netem in
# the guest: the host kernel may lack sch_netem); net_clear N undoes it
net_netem() { vm_ok "$1" "tc qdisc replace dev eth0 root netem $2" 60 >/dev/null && log "net: vm$1 netem $2"; }
net_clear() { vm_ok "$1" "tc qdisc del dev eth0 root 2>/dev/null; true" 60 >/dev/null; }
# ns_exec CMD...: run a command in the test namespace (host side)
ns_exec() { ip netns exec "$VM_NS" "$@"; }

# --- rraft helpers -----------------------------------------------------------

# rr_need_module: fail unless RRAFT_KO exists
rr_need_module() {
	[ -f "$RRAFT_KO" ] || fail "no module $RRAFT_KO (make module, or set RRAFT_KO)"
}

# _rr_ko_snapshot: a snapshot of the module for the whole test (a rebuild
# meanwhile does not change what is tested), loaded from the shared folder
_rr_ko_snapshot() {
	rr_need_module
	[ -f "$RUNDIR/rraft.ko" ] || cp "$RRAFT_KO" "$RUNDIR/rraft.ko" || fail "cannot copy $RRAFT_KO"
}

# rr_load N: load rraft.ko's dependencies and the module in VM N
rr_load() {
	local deps
	_rr_ko_snapshot
	deps=$(modinfo -F depends "$RRAFT_KO" 2>/dev/null | tr ',' ' ')
	cp "$RUNDIR/rraft.ko" "$(vm_dir "$1")/rraft.ko"
	vm_ok "$1" "modprobe -a crc32c_generic libcrc32c $deps && insmod /mnt/shared/rraft.ko && test -d /sys/class/rraft-control" 120 >/dev/null
}

# rr_ctl N OP "key=value ...": write to /sys/class/rraft-control/OP in VM N;
# prints OK or the errno name
rr_ctl() {
	vm_exec "$1" "wr $RR_CTL_DIR/$2 $(printf %q "$3")" 120
}
RR_CTL_DIR=/sys/class/rraft-control

# rr_ctl_ok N OP "settings": the write must succeed
rr_ctl_ok() {
	local r
	r=$(rr_ctl "$@")
	[ "$r" = OK ] || fail "vm$1: $2 '$3' -> $r"
}

# dev_ctl N ATTR VALUE: write a per-device attribute of /dev/rraft0, print
# OK or the errno name; dev_ctl_ok: the write must succeed
dev_ctl() { vm_exec "$1" "wr /sys/block/rraft0/rraft/$2 $(printf %q "$3")" 60; }
dev_ctl_ok() {
	local r
	r=$(dev_ctl "$@")
	[ "$r" = OK ] || fail "vm$1: $2 '$3' -> $r"
}

# The tests/vm/blockio.py writer on vm$L logs its acknowledged writes in
# the shared acks file: lastgen prints the last generation; progress WHAT
# waits until it moved since the last call (GEN).
lastgen() { python3 "$VM_LIB_DIR/blockio.py" lastgen "$(vm_dir "$L")/acks"; }
GEN=-1
progress() {
	local g i
	for ((i = 0; i < 100; i++)); do
		g=$(lastgen)
		[ "$g" -gt "$GEN" ] && break
		sleep 0.3
	done
	[ "$g" -gt "$GEN" ] || fail "no write acknowledged $1 (gen $g)"
	log "writes acknowledged $1: gen $GEN -> $g"
	GEN=$g
}

# writer_start: start the writer on vm$L over SLOTS 4 KiB slots of
# /dev/rraft0, its pid in the shared writer.pid
writer_start() {
	vm_exec_bg "$L" "python3 $VM_LIB_DIR/blockio.py write /dev/rraft0 /mnt/shared/acks $SLOTS & echo \$! >/mnt/shared/writer.pid; wait" 1200 >/dev/null
}

# writer_check: stop the writer on vm$L (started with its pid in the
# shared writer.pid) and check that every acknowledged write of its SLOTS
# reads back
writer_check() {
	local out
	# shellcheck disable=SC2016
	vm_ok "$L" 'kill $(cat /mnt/shared/writer.pid)' 30 >/dev/null
	sleep 1
	out=$(vm_exec "$L" "python3 $VM_LIB_DIR/blockio.py check /dev/rraft0 /mnt/shared/acks $SLOTS" 300) ||
		fail "acknowledged writes lost: $out"
	log "writer: $(wc -l <"$(vm_dir "$L")/acks") acknowledged writes; check: $out"
}

# rr_attr N MINOR NAME: read a per-device attribute
rr_attr() { vm_exec "$1" "cat /sys/block/rraft$2/rraft/$3" 30; }

RR_CLUSTER=0x5eed
# the backing device rr_format and rr_create use (a test may set it, e.g.
# to a device-mapper device stacked on /dev/vda)
RR_BACKING=${RR_BACKING:-/dev/vda}

# rr_format N [EXTRA]: format $RR_BACKING of VM N as a one-member cluster
# (node N, members=N) unless EXTRA overrides members
rr_format() {
	local extra=${2:-}
	case "$extra" in *members=*) ;; *) extra="members=$1 $extra" ;; esac
	rr_ctl_ok "$1" format "backing=$RR_BACKING node=$1 cluster=$RR_CLUSTER $extra"
}

# rr_create N [EXTRA]: bring up /dev/rraft0 on $RR_BACKING
rr_create() {
	rr_ctl_ok "$1" create "minor=0 backing=$RR_BACKING ${2:-}"
	vm_ok "$1" 'for i in $(seq 50); do test -b /dev/rraft0 && exit 0; sleep 0.2; done; exit 1' 60 >/dev/null
}

# rr_wait_role N ROLE [TIMEOUT]
rr_wait_role() {
	vm_ok "$1" "rr_wait_attr 0 role $2 ${3:-60}" $(( ${3:-60} + 10 )) >/dev/null
}

# rr_remove N: tear down /dev/rraft0
rr_remove() { rr_ctl_ok "$1" remove 0; }

RR_PORT=7789
RR_SECRET=rraft-test-secret

# rr_peers N "NODES": the peers= value for node N in a cluster of NODES
rr_peers() {
	local m p=
	for m in $2; do
		[ "$m" = "$1" ] && continue
		p="$p${p:+,}$m@10.77.0.$m:$RR_PORT"
	done
	echo "$p"
}

# rr_cluster_create N "NODES": create /dev/rraft0 on node N of the cluster
rr_cluster_create() {
	rr_create "$1" "listen=10.77.0.$1:$RR_PORT peers=$(rr_peers "$1" "$2") secret=$RR_SECRET"
}

# rr_cluster_up "NODES" [FORMAT-EXTRA]: load and format (members=NODES)
# on every node (the nodes concurrently), create on every node in turn,
# then wait for a leader; prints nothing
rr_cluster_up() {
	local n members pid
	local -A pids=()
	members=$(echo $1 | tr ' ' ',')
	_rr_ko_snapshot
	for n in $1; do
		{ rr_load "$n"; rr_format "$n" "members=$members ${2:-}"; } &
		pids[$n]=$!
	done
	for n in $1; do
		pid=${pids[$n]}
		wait "$pid" || fail "vm$n: load and format failed"
	done
	for n in $1; do
		rr_cluster_create "$n" "$1"
	done
	rr_leader "$1" 120 >/dev/null
}

# rr_cluster_start "NODES" ["ALSO"] [FORMAT-EXTRA]: the start of a cluster
# test: boot the VMs of NODES (and of ALSO, left blank), rr_cluster_up NODES,
# then set L to the leader, FOLLOWERS to the other NODES and F1, F2 to the
# first two of them
rr_cluster_start() {
	local f
	rr_need_module
	# shellcheck disable=SC2086
	vm_start $1 ${2:-}
	rr_cluster_up "$1" "${3:-}"
	L=$(rr_leader "$1")
	FOLLOWERS=$(rr_others "$1" "$L")
	read -r F1 F2 f <<<"$FOLLOWERS"
	log "leader vm$L, followers: $FOLLOWERS"
}

# rr_others "NODES" N: NODES without N
rr_others() {
	local m out=
	for m in $1; do [ "$m" = "$2" ] || out="$out${out:+ }$m"; done
	echo "$out"
}

# rr_rejoin N "NODES": boot VM N again (its disk kept), load the module and
# create its device in the cluster of NODES
rr_rejoin() {
	vm_start "$1"
	rr_load "$1"
	rr_cluster_create "$1" "$2"
}

# rr_single_start [FORMAT-EXTRA]: boot vm1 and bring up a one-member
# cluster on it (node 1, leader)
rr_single_start() {
	rr_need_module
	vm_start 1
	rr_load 1
	rr_format 1 "${1:-}"
	rr_create 1
	rr_wait_role 1 leader
}

# rr_single_up: bring node 1's device back up after a restart of vm1
rr_single_up() {
	rr_load 1
	rr_create 1
	rr_wait_role 1 leader
}

# rr_join_blank N "NODES" [FORMAT-EXTRA]: load the module on node N, format
# it without members (a node that joins later, as a learner) and create its
# device in the cluster of NODES
rr_join_blank() {
	rr_load "$1"
	rr_ctl_ok "$1" format "backing=/dev/vda node=$1 cluster=$RR_CLUSTER ${3:-}"
	rr_cluster_create "$1" "$2"
}

# rr_members N: node N's members attribute, each id list sorted
rr_members() {
	# shellcheck disable=SC2016
	vm_ok "$1" 'for kv in $(rr_attr 0 members); do echo -n "${kv%%=*}=$(echo ${kv#*=} | tr , "\n" | sort -n | paste -sd, -) "; done' 30 | sed 's/ $//'
}

# rr_wait_voters N "IDS": wait (up to 300 s) until node N's members are
# the voters IDS, no learners, and its configuration is stable
rr_wait_voters() {
	local want mm i
	want="voters=$(echo $2 | tr ' ' '\n' | sort -n | paste -sd, -) old= learners="
	for ((i = 0; i < 600; i++)); do
		mm=$(rr_members "$1")
		[ "$mm" = "$want" ] && [ "$(rr_attr "$1" 0 conf_phase)" = stable ] && break
		sleep 0.5
	done
	expect_eq "members after the replace" "$mm" "$want"
}

# rr_settle "NODES" REF [TIMEOUT]: every node has applied REF's commit
# index; their status lines are logged and their devices taken down
rr_settle() {
	local n
	rr_wait_applied "$1" "$(rr_attr "$2" 0 commit_index)" "${3:-120}"
	for n in $1; do rr_status "$n"; done
	for n in $1; do vm_ok "$n" "echo 0 >$RR_CTL_DIR/remove" 120 >/dev/null; done
}

# rr_data_equal "NODES" REF: (devices down) the data area of every node
# equals REF's (the nodes sum their data areas concurrently)
rr_data_equal() {
	local n s got rc
	local -A seq=()
	for n in $2 $(rr_others "$1" "$2"); do
		seq[$n]=$(vm_exec_bg "$n" 'rr_data_sum /dev/vda' 300)
	done
	for n in $2 $(rr_others "$1" "$2"); do
		got=$(vm_wait_cmd "$n" "${seq[$n]}" 300)
		rc=$?
		[ $rc -eq 0 ] || fail "vm$n: 'rr_data_sum /dev/vda' exited $rc"
		if [ "$n" = "$2" ]; then s=$got; continue; fi
		expect_eq "data area vm$n vs vm$2" "$got" "$s"
	done
	log "data areas of vm$(echo $1 | sed 's/ /, vm/g') equal"
}

# rr_leader "NODES" [TIMEOUT]: wait until exactly one of the (running)
# NODES is leader and every running node names it; print its number
rr_leader() {
	local nodes=$1 t=${2:-60} end n l role lead agree
	end=$(( $(date +%s) + t ))
	while [ "$(date +%s)" -lt "$end" ]; do
		l= agree=1
		for n in $nodes; do
			_vm_alive "$n" || continue
			read -r role lead < <(vm_exec "$n" 'echo $(rr_attr 0 role) $(rr_attr 0 leader)' 10 2>/dev/null)
			if [ "$role" = leader ]; then
				[ -n "$l" ] && [ "$l" != "$n" ] && agree=0
				l=$n
			fi
			[ -n "$l" ] && [ "$lead" != "$l" ] && agree=0
			[ "$lead" = 0 ] && agree=0
		done
		if [ -n "$l" ] && [ $agree = 1 ]; then
			# re-check the followers that were asked before the leader was known
			for n in $nodes; do
				_vm_alive "$n" || continue
				lead=$(vm_exec "$n" 'cat /sys/block/rraft0/rraft/leader' 10 2>/dev/null)
				[ "$lead" = "$l" ] || agree=0
			done
			[ $agree = 1 ] && { echo "$l"; return 0; }
		fi
		sleep 0.5
	done
	for n in $nodes; do
		_vm_alive "$n" && vm_exec "$n" 'echo "$(hostname): role=$(rr_attr 0 role) term=$(rr_attr 0 term) leader=$(rr_attr 0 leader)"' 10 >&2
	done
	fail "no agreed leader among '$nodes' after ${t}s"
}

# rr_status N: one line of the node's Raft state
rr_status() {
	vm_exec "$1" 'echo "node $(rr_attr 0 node_id): role=$(rr_attr 0 role) term=$(rr_attr 0 term) leader=$(rr_attr 0 leader) commit=$(rr_attr 0 commit_index) applied=$(rr_attr 0 applied_index)"' 10
}

# rr_wait_applied "NODES" INDEX [TIMEOUT]: every node applied >= INDEX
rr_wait_applied() {
	local n
	for n in $1; do
		vm_ok "$n" "for i in \$(seq $(( ${3:-60} * 5 ))); do [ \$(rr_attr 0 applied_index) -ge $2 ] && exit 0; sleep 0.2; done; echo applied \$(rr_attr 0 applied_index) \< $2; exit 1" $(( ${3:-60} + 10 )) >/dev/null
	done
}

vm_setup
