#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: the replicated-disk story, in three QEMU VMs on this machine.
#   install what is missing, build rraft.ko, boot three VMs, format + create
#   a 3-node rraft cluster, mkfs.ext4 + mount on the leader, write files,
#   kill the leader's VM (SIGKILL QEMU: a power cut), wait for a new
#   leader, mount there, verify every file, print each node's state and the
#   failover time.
# RRAFT_DEMO=single shows the one-node story instead (ext4 on /dev/rraft0,
# QEMU killed, VM restarted, files intact).  Needs root on Debian 12.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
mode=${RRAFT_DEMO:-3node}
say() { printf '\n==> %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "make demo needs root (QEMU, network namespace, taps)"; exit 1
fi
say "installing missing packages (scripts/install-deps.sh)"
scripts/install-deps.sh | grep -v 'passed,'
[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1
say "building rraft.ko and tools (make all)"
make -s -C "$top" all >build-demo.log 2>&1 || { tail -n 30 build-demo.log; echo "build failed (build-demo.log)"; exit 1; }
rm -f build-demo.log

export RUNDIR=${RUNDIR:-$top/build/vm/demo}
. "$top/tests/vm/lib.sh"

files() {
	echo 'mkdir -p /mnt/test/photos /mnt/test/docs
	for i in $(seq 1 20); do head -c $((i * 13001)) /dev/urandom >/mnt/test/photos/img$i.raw; done
	cp -r /usr/share/doc/bash /mnt/test/docs/ 2>/dev/null
	echo "the acknowledged write" >/mnt/test/hello.txt
	sync
	cd /mnt/test && find . -type f | sort | xargs sha256sum >/mnt/shared/sums && wc -l </mnt/shared/sums'
}

if [ "$mode" = single ]; then
	say "booting one VM (QEMU, TCG)"
	vm_start 1
	say "one-member rraft device on the VM's disk"
	rr_load 1; rr_format 1; rr_create 1; rr_wait_role 1 leader
	rr_status 1
	say "mkfs.ext4 + mount /dev/rraft0, writing files"
	vm_ok 1 'mkfs.ext4 -q -F /dev/rraft0 && mount /dev/rraft0 /mnt/test' 600 >/dev/null
	n=$(vm_ok 1 "$(files)" 600)
	echo "$n files written and synced"
	cp "$(vm_dir 1)/sums" "$RUNDIR/sums"
	say "power cut: SIGKILL of the VM's QEMU"
	vm_kill 1
	say "booting it again, bringing rraft0 back up"
	vm_start 1
	rr_load 1; rr_create 1; rr_wait_role 1 leader
	vm_ok 1 "mount /dev/rraft0 /mnt/test && cd /mnt/test && sha256sum --quiet -c $RUNDIR/sums && cat hello.txt" 600
	echo "all $n files intact after the crash"
	rr_status 1
	vm_ok 1 "umount /mnt/test && echo 0 >$RR_CTL_DIR/remove" >/dev/null
	say "demo done (single-node mode)"
	exit 0
fi

N="1 2 3"
say "booting three VMs (QEMU, TCG): 10.77.0.1-3 on a private bridge"
vm_start $N
say "formatting each VM's disk and creating a 3-node cluster (cluster $RR_CLUSTER)"
rr_cluster_up "$N"
L=$(rr_leader "$N")
for n in $N; do rr_status "$n"; done
say "mkfs.ext4 + mount /dev/rraft0 on the leader (vm$L), writing files"
vm_ok "$L" 'mkfs.ext4 -q -F /dev/rraft0 && mount /dev/rraft0 /mnt/test' 600 >/dev/null
n=$(vm_ok "$L" "$(files)" 600)
echo "$n files written and synced on vm$L"
cp "$(vm_dir "$L")/sums" "$RUNDIR/sums"
say "power cut: SIGKILL of the leader's QEMU (vm$L)"
t0=$(date +%s.%N)
vm_kill "$L"
rest=$(echo $N | tr ' ' '\n' | grep -vx "$L" | tr '\n' ' ')
L2=$(rr_leader "$rest" 120)
ft=$(echo "$(date +%s.%N) - $t0" | bc | cut -c1-5)
echo "new leader: vm$L2, elected ${ft}s after the crash"
say "mounting /dev/rraft0 on vm$L2 and verifying every file"
vm_ok "$L2" "mount /dev/rraft0 /mnt/test && cd /mnt/test && sha256sum --quiet -c $RUNDIR/sums && cat hello.txt" 600
echo "all $n files intact on vm$L2"
for n in $rest; do rr_status "$n"; done
echo "failover time: ${ft}s"
vm_ok "$L2" 'umount /mnt/test' >/dev/null
say "demo done"
