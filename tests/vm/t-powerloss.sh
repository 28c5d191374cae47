#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Power loss that drops what was not flushed (one-member cluster).  The
# backing disk is wrapped in dm-log-writes, which records every write,
# flush, FUA and discard rraft issues on a log disk, in the order they
# reached the media; a mark follows every acknowledged write.  Workload:
# acknowledged O_DIRECT|O_SYNC block writes through a 1 MiB log ring (it
# wraps and checkpoints), then mkfs.ext4 and fsync'ed files.  Then
# tests/vm/logreplay.py rebuilds the disk at every flush/FUA point (all
# unflushed writes dropped) and torn variants in between, and brings rraft
# up on each image (dm snapshots of a replay disk): create succeeds, every
# write acknowledged before the crash reads back, never-written blocks
# read zero, ext4 mounts (journal replay) and passes fsck -n with every
# fsync'ed file intact.  See Documentation/design/testing.rst.
. "$(dirname "$0")/lib.sh"
. "$VM_LIB_DIR/powerloss.sh"
rr_need_module
FIRST=4096	# block slots at 16 MiB of /dev/rraft0 (ext4 uses the first 12 MiB)
SLOTS=256
NWRITES=60
NFILES=8
pl_disks 1
vm_start 1
rr_load 1
pl_record 1
RR_BACKING=/dev/mapper/lw
rr_format 1 "log=1M"
pl_mark 1 formatted
rr_create 1
rr_wait_role 1 leader
t0=$(date +%s)
vm_ok 1 "$PL_DM $PL_PY blocks /dev/rraft0 lw $FIRST $SLOTS $NWRITES $PL_SEED" 600
pl_mark 1 blocks-done
vm_ok 1 "$PL_DM mkfs.ext4 -q -F -b 4096 -N 128 -E nodiscard /dev/rraft0 12M &&
	dmsetup message lw 0 mark mkfs && mkdir -p /tmp/fs && mount -t ext4 /dev/rraft0 /tmp/fs &&
	$PL_PY files /tmp/fs lw $NFILES $PL_SEED && umount /tmp/fs" 600
log "workload: $(( $(date +%s) - t0 ))s"
rr_remove 1
pl_replay 1 "" "$FIRST $SLOTS --batch 12"
