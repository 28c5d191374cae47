#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bad input to the control files and per-device attributes (ABI:
# Documentation/ABI/testing/sysfs-*-rraft*): every bad write fails with the
# documented errno, logs exactly one dmesg line, and changes nothing (no new
# device, backing disks unchanged, attribute values unchanged); no oops.
# Disks: vda 256M (good), vdb 1M (too small), vdc 64M with ext4 (foreign),
# vdd 64M rraft-formatted, then its superblock corrupted.
. "$(dirname "$0")/lib.sh"
rr_need_module
VM_EXTRA_DISKS="1M 64M 64M"
vm_start 1
rr_load 1

vm_ok 1 'set -e
	mkfs.ext4 -q -F /dev/vdc
	mount /dev/vdc /mnt/test; echo precious >/mnt/test/file; umount /mnt/test
	r=$(wr /sys/class/rraft-control/format "backing=/dev/vdd node=1 cluster=7 members=1 log=4M"); [ "$r" = OK ] || { echo "format vdd: $r"; exit 1; }
	printf "\377\377" | dd of=/dev/vdd bs=1 seek=44 conv=notrunc,fsync status=none
	blockdev --flushbufs /dev/vdd' 300 >/dev/null

script=$(cat <<'GUEST'
C=/sys/class/rraft-control
fails=0
state() {
	echo "devs=$(ls /sys/block | grep -c rraft)"
	echo "vda=$(dd if=/dev/vda bs=1M count=2 iflag=direct status=none | md5sum)"
	echo "vdc=$(dd if=/dev/vdc bs=1M count=4 iflag=direct status=none | md5sum)"
	echo "vdd=$(dd if=/dev/vdd bs=1M count=2 iflag=direct status=none | md5sum)"
	[ -d /sys/block/rraft0 ] && echo "io_timeout=$(cat /sys/block/rraft0/rraft/io_timeout)"
	[ -d /sys/block/rraft0 ] && echo "sync_rate=$(cat /sys/block/rraft0/rraft/sync_rate)"
	[ -d /sys/block/rraft0 ] && echo "members=$(cat /sys/block/rraft0/rraft/members)"
}
# bad EXPECTED(|ALT) FILE VALUE
# (the state after one bad write is the state before the next one; anything
# else that changes state clears $last)
last=
bad() {
	local want=$1 f=$2 v=$3 n0 n1 r s0 s1
	s0=${last:-$(state)}
	n0=$(dmesg | wc -l)
	r=$(wr "$f" "$v")
	n1=$(dmesg | wc -l)
	s1=$(state)
	last=$s1
	if ! [[ "|$want|" == *"|$r|"* ]]; then
		echo "BAD: ${f##*/} '$v' -> $r, want $want"; fails=$((fails + 1))
	elif [ $((n1 - n0)) -ne 1 ]; then
		echo "BAD: ${f##*/} '$v' -> $r but $((n1 - n0)) new dmesg lines:"
		dmesg | tail -n +$((n0 + 1)) | sed 's/^/    /'
		fails=$((fails + 1))
	elif [ "$s0" != "$s1" ]; then
		echo "BAD: ${f##*/} '$v' -> $r but state changed:"; diff <(echo "$s0") <(echo "$s1")
		fails=$((fails + 1))
	else
		echo "ok:  ${f##*/} '$v' -> $r: $(dmesg | tail -n 1 | cut -c1-150)"
	fi
}
good() {
	local r
	last=
	r=$(wr "$1" "$2")
	if [ "$r" = OK ]; then echo "ok:  ${1##*/} '$2' -> OK"; else echo "BAD: ${1##*/} '$2' -> $r, want OK"; fails=$((fails + 1)); fi
}
F="backing=/dev/vda node=1 cluster=0x5eed members=1"
# --- format
bad EINVAL $C/format ""
bad EINVAL $C/format "$F colour=blue"
bad EINVAL $C/format "node=1 cluster=0x5eed members=1"
bad EINVAL $C/format "backing= node=1 cluster=0x5eed members=1"
bad ENODEV\|ENOENT\|EINVAL $C/format "backing=/dev/nonexistent node=1 cluster=0x5eed members=1"
bad EINVAL $C/format "backing=/dev/vda node=0 cluster=0x5eed members=1"
bad EINVAL $C/format "backing=/dev/vda node=65536 cluster=0x5eed members=1"
bad EINVAL $C/format "backing=/dev/vda node=abc cluster=0x5eed members=1"
bad EINVAL $C/format "backing=/dev/vda node=1 cluster=abc members=1"
bad EINVAL $C/format "backing=/dev/vda node=1 cluster=0 members=1"
bad EINVAL $C/format "backing=/dev/vda node=1 cluster=0x1ffffffffffffffff members=1"
bad EINVAL $C/format "backing=/dev/vda node=1 node=2 cluster=0x5eed members=1"
bad EINVAL $C/format "$F cluster=0x5eee"
bad EINVAL $C/format "backing=/dev/vda node=1 cluster=0x5eed members=1,x"
bad EINVAL $C/format "backing=/dev/vda node=1 cluster=0x5eed members=0"
bad EINVAL $C/format "$F log=abc"
bad EINVAL $C/format "$F log=1K"
bad EINVAL $C/format "$F log=-4M"
bad ENOSPC $C/format "$F log=1G"
bad ENOSPC $C/format "backing=/dev/vdb node=1 cluster=0x5eed members=1 log=1M"
bad EINVAL $C/format "$F force=2"
good $C/format "$F log=8M"
bad EEXIST $C/format "$F log=8M"
bad EEXIST $C/format "backing=/dev/vdd node=1 cluster=0x5eed members=1 log=4M"
good $C/format "$F log=8M force=1"
# --- create
bad EINVAL $C/create ""
bad EINVAL $C/create "backing=/dev/vda"
bad EINVAL $C/create "minor=0"
bad EINVAL $C/create "minor=256 backing=/dev/vda"
bad EINVAL $C/create "minor=-1 backing=/dev/vda"
bad EINVAL $C/create "minor=abc backing=/dev/vda"
bad EINVAL $C/create "minor=0 minor=1 backing=/dev/vda"
bad EINVAL $C/create "minor=0 backing=/dev/vda colour=blue"
bad ENODEV $C/create "minor=0 backing=/dev/nonexistent"
bad EINVAL $C/create "minor=0 backing=/dev/vda listen=not-an-address"
bad EINVAL $C/create "minor=0 backing=/dev/vda listen=10.77.0.1:99999"
bad EINVAL $C/create "minor=0 backing=/dev/vda peers=2@"
bad EINVAL $C/create "minor=0 backing=/dev/vda peers=garbage"
bad EINVAL $C/create "minor=0 backing=/dev/vda secret=$(printf 'x%.0s' $(seq 65))"
bad EINVAL $C/create "minor=0 backing=/dev/vda listen=10.77.0.1"
bad EINVAL $C/create "minor=0 backing=/dev/vda peers=2@10.77.0.2 insecure=0"
bad EINVAL $C/create "minor=0 backing=/dev/vda listen=10.77.0.1 secret=s insecure=1"
dmesg | grep -q 'needs secret=.*insecure=1' || { echo "BAD: no line for a create without a secret"; fails=$((fails + 1)); }
bad EUCLEAN $C/create "minor=0 backing=/dev/vdc"
bad EUCLEAN $C/create "minor=0 backing=/dev/vdd"
bad EUCLEAN $C/create "minor=0 backing=/dev/vdb"
good $C/create "minor=0 backing=/dev/vda"
for i in $(seq 50); do [ -b /dev/rraft0 ] && break; sleep 0.2; done
bad EEXIST $C/create "minor=0 backing=/dev/vda"
bad EBUSY $C/create "minor=1 backing=/dev/vda"
bad EBUSY $C/format "$F force=1"
# --- per-device attributes
A=/sys/block/rraft0/rraft
for v in 0 -1 abc 3601 "" 1.5 99999999999999999999; do bad EINVAL $A/io_timeout "$v"; done
for v in abc -5 ""; do bad EINVAL $A/sync_rate "$v"; done
bad EINVAL $A/secret ""
bad EINVAL $A/secret "$(printf 'y%.0s' $(seq 65))"
bad EINVAL $A/transfer abc
bad EINVAL $A/add_learner garbage
bad EINVAL $A/add_learner "0@10.77.0.9:7789"
bad EINVAL $A/promote_voter abc
bad EINVAL $A/remove abc
bad EINVAL $A/replace "1:"
bad EINVAL $A/checkpoint abc
[ "$(cat $A/security)" = local ] || { echo "BAD: security '$(cat $A/security)', want local"; fails=$((fails + 1)); }
good $A/io_timeout 3600
[ "$(cat $A/io_timeout)" = 3600 ] || { echo "BAD: io_timeout not 3600"; fails=$((fails + 1)); }
good $A/io_timeout 30
# --- remove
bad EINVAL $C/remove abc
bad EINVAL $C/remove -1
bad ENODEV $C/remove 7
last=
exec 3</dev/rraft0
bad EBUSY $C/remove 0
exec 3<&-
good $C/remove 0
[ -e /sys/block/rraft0 ] && { echo "BAD: rraft0 still there"; fails=$((fails + 1)); }
echo "$fails bad"
exit $((fails != 0))
GUEST
)
out=$(vm_exec 1 "$script" 900)
rc=$?
printf '%s\n' "$out"
[ $rc -eq 0 ] || fail "$(printf '%s\n' "$out" | grep -c '^BAD') bad-input cases failed"
vm_ok 1 'mount /dev/vdc /mnt/test && grep -qx precious /mnt/test/file && umount /mnt/test' >/dev/null
vm_ok 1 'rmmod rraft' >/dev/null
