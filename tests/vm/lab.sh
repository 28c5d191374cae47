#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A lab of VMs to try rraft by hand (the admin guide's "machines"): boots
# LAB_VMS (default 3) guests like the VM tests do (host root read-only over
# 9p, guest N at 10.77.0.N on a private bridge, a blank disk /dev/vda of
# VM_DISK_SIZE), prints how to reach them, and keeps them up until
# `tests/vm/lab-exec.sh stop` or LAB_TIME seconds (default 3600).  Ctrl-C
# also ends it; the VMs, taps and namespace go with it.
#
#   tests/vm/lab.sh &                       # run dir build/vm/lab
#   tests/vm/lab-exec.sh 1 'lsblk; ip addr' # a command in vm1
#   tests/vm/lab-exec.sh stop
#
# In the guests / is read-only except /tmp, /run, /root, /mnt, /var/tmp and
# /var/lib/rraft; the host's files (rraft.ko, rraftctl) are visible at the
# same paths.  Nothing leaves the namespace.
. "$(dirname "$0")/lib.sh"
n=${LAB_VMS:-3}
vms=$(seq 1 "$n" | paste -sd' ')
# shellcheck disable=SC2086
vm_start $vms
log "lab up: vm$(echo "$vms" | sed 's/ /, vm/g') at 10.77.0.1..$n; run commands with"
log "  $VM_LIB_DIR/lab-exec.sh N 'COMMAND'   (RUNDIR=$RUNDIR)"
rm -f "$RUNDIR/stop"
end=$(( $(date +%s) + ${LAB_TIME:-3600} ))
while [ ! -e "$RUNDIR/stop" ] && [ "$(date +%s)" -lt "$end" ]; do
	for v in $vms; do
		_vm_alive "$v" || log "vm$v is not running (run: lab-exec.sh boot $v)"
		if [ -e "$RUNDIR/boot-$v" ]; then
			rm -f "$RUNDIR/boot-$v"
			_vm_alive "$v" && vm_kill "$v"
			vm_start "$v"
		fi
	done
	sleep 1
done
log "lab: stopping"
