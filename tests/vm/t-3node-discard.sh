#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Three nodes: /dev/rraft0 advertises discard and write-zeroes.  On the
# leader: random data over the start of the device, mkfs.ext4 (which
# discards the device), files written, half of them deleted, fstrim; fsck
# clean and the kept files intact.  Then blkdiscard and blkdiscard -z on two
# ranges of random data: both read back as zeroes.  Every node applies
# everything and, with the devices down, the three data areas are equal.
. "$(dirname "$0")/lib.sh"
N="1 2 3"
rr_cluster_start "$N"
vm_ok "$L" 'q=/sys/block/rraft0/queue
	echo "discard_max_bytes $(cat $q/discard_max_bytes) write_zeroes_max_bytes $(cat $q/write_zeroes_max_bytes)"
	[ "$(cat $q/discard_max_bytes)" -gt 0 ] && [ "$(cat $q/write_zeroes_max_bytes)" -gt 0 ]' 60
t0=$(date +%s)
vm_ok "$L" 'set -e
	dd if=/dev/urandom of=/dev/rraft0 bs=1M count=8 oflag=direct status=none
	mkfs.ext4 -q -F -E discard /dev/rraft0
	mount /dev/rraft0 /mnt/test
	cd /mnt/test
	for f in $(seq 1 16); do head -c $(( f * 65536 + 4096 )) /dev/urandom >f$f; done
	sync
	rm -f f1 f3 f5 f7 f9 f11 f13 f15
	sync
	sha256sum f* >/mnt/shared/sums
	fstrim -v /mnt/test | tee /mnt/shared/fstrim.txt
	cd /
	umount /mnt/test
	fsck.ext4 -fn /dev/rraft0 >/dev/null
	mount /dev/rraft0 /mnt/test
	cd /mnt/test
	sha256sum --quiet -c /mnt/shared/sums
	cd /
	umount /mnt/test' 900
grep -Eq '\([1-9][0-9]* bytes\) trimmed' "$(vm_dir "$L")/fstrim.txt" || fail "fstrim trimmed nothing: $(cat "$(vm_dir "$L")/fstrim.txt")"
log "mkfs (discards), files, fstrim, fsck and sums on the leader: $(( $(date +%s) - t0 ))s"
# Two ranges of random data (100 MiB and 110 MiB in), then a discard of
# the first and a write-zeroes of the second: both read back as zeroes.
vm_ok "$L" 'set -e
	dd if=/dev/urandom of=/dev/rraft0 bs=1M seek=100 count=4 oflag=direct status=none
	dd if=/dev/urandom of=/dev/rraft0 bs=1M seek=110 count=4 oflag=direct status=none
	z() { dd if=/dev/rraft0 bs=1M skip=$1 count=$2 iflag=direct status=none | cmp -s -n $(($2 << 20)) - /dev/zero; }
	if z 100 4 || z 110 4; then echo "random data reads as zeroes"; exit 1; fi
	blkdiscard -o $((100 << 20)) -l $((4 << 20)) /dev/rraft0
	blkdiscard -z -o $((110 << 20)) -l $((3 << 20)) /dev/rraft0
	z 100 4 || { echo "discarded range is not zero"; exit 1; }
	z 110 3 || { echo "write-zeroed range is not zero"; exit 1; }
	if z 113 1; then echo "write-zeroes went past its range"; exit 1; fi
	s=$(cat /sys/block/rraft0/stat); set -- $s
	echo "discard requests completed: ${12}"
	[ "${12}" -gt 0 ]' 600
log "discarded and write-zeroed ranges read back as zeroes on the leader"
rr_settle "$N" "$L" 300
rr_data_equal "$N" "$L"
