#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# One-member cluster, power loss: a writer overwrites 4 KiB blocks with
# O_DIRECT|O_SYNC and records every acknowledged write in the shared folder
# (fsync'ed, i.e. on the host).  QEMU is SIGKILLed mid-write, twice; after
# each restart every acknowledged write reads back (tests/vm/blockio.py).
. "$(dirname "$0")/lib.sh"
SLOTS=512
rr_single_start

for round in 1 2; do
	gen0=$(( $(python3 "$VM_LIB_DIR/blockio.py" lastgen "$(vm_dir 1)/acks") + 1 ))
	vm_exec_bg 1 "python3 $VM_LIB_DIR/blockio.py write /dev/rraft0 /mnt/shared/acks $SLOTS $gen0" 900 >/dev/null
	# let it get past one full pass of the slots, then pull the plug
	want=$((gen0 + SLOTS + 200 + RANDOM % 200))
	for ((i = 0; i < 3000; i++)); do
		last=$(python3 "$VM_LIB_DIR/blockio.py" lastgen "$(vm_dir 1)/acks")
		[ "$last" -ge "$want" ] && break
		sleep 0.2
	done
	[ "$last" -ge "$want" ] || fail "writer too slow: gen $last after 600s"
	vm_kill 1
	log "round $round: killed at acknowledged gen $last"
	vm_start 1
	rr_single_up
	out=$(vm_exec 1 "python3 $VM_LIB_DIR/blockio.py check /dev/rraft0 /mnt/shared/acks $SLOTS" 600) ||
		fail "round $round: acknowledged writes lost: $out"
	log "round $round: $out"
done
vm_ok 1 "echo 0 >$RR_CTL_DIR/remove" >/dev/null
