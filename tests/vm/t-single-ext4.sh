#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# One-member cluster: ext4 on /dev/rraft0, a generated file tree, sha256
# list; umount, fsck -fn clean; remount and compare; then device down, VM
# rebooted cleanly, device up again: fsck clean and every file intact.
. "$(dirname "$0")/lib.sh"
rr_single_start

vm_ok 1 'mkfs.ext4 -q -F /dev/rraft0 && mount /dev/rraft0 /mnt/test' 600 >/dev/null
vm_ok 1 'set -e
	cd /mnt/test
	for d in $(seq 1 8); do
		mkdir -p dir$d/sub
		for f in $(seq 1 12); do
			head -c $(( (d * 7919 + f * 104729) % 200000 + 1 )) /dev/urandom >dir$d/f$f
		done
		cp -a /usr/share/doc/bash dir$d/sub/ 2>/dev/null || true
	done
	ln -s dir1/f1 link1
	find . -type f | sort | xargs sha256sum >/mnt/shared/sums
	wc -l </mnt/shared/sums' 900 >/dev/null
nfiles=$(wc -l <"$(vm_dir 1)/sums")
[ "$nfiles" -ge 96 ] || fail "only $nfiles files written"
vm_ok 1 'umount /mnt/test && fsck.ext4 -fn /dev/rraft0' 600 >/dev/null
vm_ok 1 'mount /dev/rraft0 /mnt/test && cd /mnt/test && sha256sum --quiet -c /mnt/shared/sums' 600 >/dev/null
vm_ok 1 "umount /mnt/test && echo 0 >$RR_CTL_DIR/remove" >/dev/null
vm_reboot 1
rr_single_up
vm_ok 1 'fsck.ext4 -fn /dev/rraft0' 600 >/dev/null
vm_ok 1 'mount /dev/rraft0 /mnt/test && cd /mnt/test && sha256sum --quiet -c /mnt/shared/sums && test -L link1' 600 >/dev/null
log "$nfiles files intact after remount and reboot"
vm_ok 1 "umount /mnt/test && echo 0 >$RR_CTL_DIR/remove" >/dev/null
