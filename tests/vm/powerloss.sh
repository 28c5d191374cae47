# SPDX-License-Identifier: GPL-2.0
# Power-loss recording and replay for tests/vm/t-powerloss*.sh, sourced
# after lib.sh (see Documentation/design/testing.rst, "Power-loss replay").
# VM N's disks: vda the backing disk, vdb the dm-log-writes log, vdc the
# replay disk (starts out as vda did), vdd room for the snapshots' COW.
VM_DISK_SIZE=32M
VM_EXTRA_DISKS="256M 32M 512M"
PL_DM='export DM_DISABLE_UDEV=1;'	# no udev in the guest: nodes by libdevmapper
PL_SEED=${POWERLOSS_SEED:-1}
PL_PY="python3 $VM_LIB_DIR/logreplay.py"

# pl_disks N: before VM N boots, its vda and vdc hold the same stale bytes
# (not zeroes, no rraft metadata)
pl_disks() {
	local d
	d=$(vm_dir "$1")
	mkdir -p "$d"
	yes 'stale disk content' | head -c "$VM_DISK_SIZE" >"$d/vda.img"
	cp "$d/vda.img" "$d/vdc.img"
}

# pl_record N: wrap VM N's vda in dm-log-writes /dev/mapper/lw (log: vdb)
pl_record() {
	vm_ok "$1" 'modprobe -a dm-log-writes dm-snapshot' >/dev/null
	vm_ok "$1" "$PL_DM"'dmsetup create lw --table "0 $(blockdev --getsz /dev/vda) log-writes /dev/vda /dev/vdb" &&
		{ test -b /dev/mapper/lw || dmsetup mknodes lw; } &&
		{ test -b /dev/mapper/lw || { dmsetup ls; ls -la /dev/mapper; false; }; }' >/dev/null
}

# pl_mark N TEXT: a mark in VM N's log
pl_mark() { vm_ok "$1" "$PL_DM dmsetup message lw 0 mark $2" >/dev/null; }

# pl_replay N WHAT ARGS...: end the recording (rraft0 removed before),
# replay the log onto crash images (logreplay.py check ARGS), print the
# per-image report; fail the test if any image failed
pl_replay() {
	local n=$1 what=$2 out rc t0
	shift 2
	vm_ok "$n" "$PL_DM dmsetup status lw; dmsetup remove lw"
	vm_ok "$n" "$PL_PY dump /dev/vdb >/mnt/shared/log.txt" 300 >/dev/null
	t0=$(date +%s)
	out=$(vm_exec "$n" "$PL_PY check /dev/vdb /dev/vdc /dev/vdd $* --seed $PL_SEED 2>&1 |
		tee /mnt/shared/replay.txt; exit \${PIPESTATUS[0]}" 1500)
	rc=$?
	printf '%s\n' "$out"
	log "replay: $(( $(date +%s) - t0 ))s"
	[ $rc -eq 0 ] || fail "power-loss replay $what: $(printf '%s\n' "$out" | tail -n 1) (rc $rc; per image: $(vm_dir "$n")/replay.txt, the log: log.txt)"
}
