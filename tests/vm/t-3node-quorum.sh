#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Three nodes: with one follower down, writes on the leader complete; with
# both followers down, a write suspends (does not complete) and completes
# once one follower is back; the data is there.
. "$(dirname "$0")/lib.sh"
N="1 2 3"
rr_cluster_start "$N"
vm_ok "$L" 'echo 600 >/sys/block/rraft0/rraft/io_timeout' >/dev/null
vm_kill "$F1"
vm_ok "$L" 'yes one-down | head -c 1M | dd of=/dev/rraft0 bs=64k oflag=direct status=none' 120 >/dev/null
vm_kill "$F2"
seq=$(vm_exec_bg "$L" 'yes two-down | head -c 64k | dd of=/dev/rraft0 bs=64k seek=100 oflag=direct status=none && echo written' 900)
sleep 15
[ -f "$(vm_dir "$L")/out/$seq.rc" ] && fail "write completed without a quorum"
log "write suspended with two nodes down"
rr_rejoin "$F1" "$N"
out=$(vm_wait_cmd "$L" "$seq" 300) || fail "suspended write failed after quorum came back"
expect_eq "resumed write" "$out" written
expect_eq "data" "$(vm_ok "$L" 'dd if=/dev/rraft0 bs=64k skip=100 count=1 iflag=direct status=none | head -c 8')" two-down
expect_eq "data" "$(vm_ok "$L" 'dd if=/dev/rraft0 bs=64k count=1 iflag=direct status=none | head -c 8')" one-down
