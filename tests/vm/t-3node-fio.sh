#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Three nodes: fio random writes with verify on the leader; then every node
# applies everything and, with the devices down, the three data areas on the
# backing disks are identical.
. "$(dirname "$0")/lib.sh"
N="1 2 3"
rr_cluster_start "$N"
t0=$(date +%s)
vm_ok "$L" 'fio --name=v --filename=/dev/rraft0 --rw=randwrite --bs=4k --size=16M --verify=crc32c --direct=1 --iodepth=8 --ioengine=libaio --output=/mnt/shared/fio.txt' 900 >/dev/null
log "fio 16M write+verify on the leader: $(( $(date +%s) - t0 ))s, $(grep -m1 -o 'WRITE: bw=[^,]*' "$(vm_dir "$L")/fio.txt")"
commit=$(rr_attr "$L" 0 commit_index)
rr_wait_applied "$N" "$commit" 120
for n in $N; do rr_status "$n"; done
for n in $N; do vm_ok "$n" "echo 0 >$RR_CTL_DIR/remove" 120 >/dev/null; done
s1=$(vm_ok 1 'rr_data_sum /dev/vda' 300)
for n in 2 3; do
	expect_eq "data area vm$n vs vm1" "$(vm_ok "$n" 'rr_data_sum /dev/vda' 300)" "$s1"
done
