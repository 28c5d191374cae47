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
rr_settle "$N" "$L"
rr_data_equal "$N" "$L"
