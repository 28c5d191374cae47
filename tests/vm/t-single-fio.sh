#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# One-member cluster: fio random writes with crc32c verify on /dev/rraft0;
# clean reboot of the VM; the device comes back with the same content (fio
# --verify_only and an md5 of the written region) and equals the data area
# on the backing disk.
. "$(dirname "$0")/lib.sh"
rr_single_start
expect_eq "node_id" "$(rr_attr 1 0 node_id)" 1

FIO="fio --name=v --filename=/dev/rraft0 --rw=randwrite --bs=4k --size=32M \
 --verify=crc32c --direct=1 --iodepth=8 --ioengine=libaio --randseed=4242"
t0=$(date +%s)
vm_ok 1 "$FIO --output=/mnt/shared/fio-write.txt" 900 >/dev/null
log "fio write+verify of 32M took $(( $(date +%s) - t0 ))s: $(grep -m1 -o 'WRITE: bw=[^,]*' "$(vm_dir 1)/fio-write.txt")"
sum=$(vm_ok 1 'rr_dev_sum 0 32')
expect_eq "applied == commit" "$(rr_attr 1 0 applied_index)" "$(rr_attr 1 0 commit_index)"

vm_ok 1 "echo 0 >$RR_CTL_DIR/remove" >/dev/null
expect_eq "data area after remove" "$(vm_ok 1 'rr_data_sum /dev/vda 32')" "$sum"
vm_reboot 1
rr_single_up
expect_eq "md5 after reboot" "$(vm_ok 1 'rr_dev_sum 0 32')" "$sum"
vm_ok 1 "$FIO --verify_only --output=/mnt/shared/fio-verify.txt" 900 >/dev/null
grep -q 'err= 0' "$(vm_dir 1)/fio-verify.txt" || fail "fio verify_only reported errors"
vm_ok 1 "echo 0 >$RR_CTL_DIR/remove && rmmod rraft" >/dev/null
