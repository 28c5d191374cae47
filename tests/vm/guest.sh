# SPDX-License-Identifier: GPL-2.0
# Helpers sourced by every command the host runs in a test VM (see lib.sh).

RR_CTL=/sys/class/rraft-control

# errname: strerror text on stdin -> E-name
rr_errname() {
	case "$1" in
	*"Invalid argument"*) echo EINVAL ;;
	*"No space left on device"*) echo ENOSPC ;;
	*"File exists"*) echo EEXIST ;;
	*"Device or resource busy"*) echo EBUSY ;;
	*"No such device or address"*) echo ENXIO ;;
	*"No such device"*) echo ENODEV ;;
	*"Structure needs cleaning"*) echo EUCLEAN ;;
	*"Operation not permitted"*) echo EPERM ;;
	*"Permission denied"*) echo EACCES ;;
	*"Input/output error"*) echo EIO ;;
	*"No such file or directory"*) echo ENOENT ;;
	*"Numerical result out of range"*) echo ERANGE ;;
	*"Argument list too long"*) echo E2BIG ;;
	*"Read-only file system"*) echo EROFS ;;
	*"Connection timed out"*) echo ETIMEDOUT ;;
	*) echo "E?($1)" ;;
	esac
}

# wr PATH VALUE: one write(2) of "VALUE\n"; prints OK or the errno name.
wr() {
	local err
	err=$( { printf '%s\n' "$2" >"$1"; } 2>&1 )
	if [ -z "$err" ]; then echo OK; else rr_errname "$err"; fi
}

# rr_attr MINOR NAME: read /sys/block/rraftMINOR/rraft/NAME
rr_attr() {
	cat "/sys/block/rraft$1/rraft/$2"
}

# rr_wait_attr MINOR NAME VALUE [TIMEOUT]: wait until the attribute equals VALUE
rr_wait_attr() {
	local i v
	for ((i = 0; i < ${4:-60} * 5; i++)); do
		v=$(cat "/sys/block/rraft$1/rraft/$2" 2>/dev/null)
		[ "$v" = "$3" ] && return 0
		sleep 0.2
	done
	echo "rr_wait_attr: rraft$1/$2 is '$v', wanted '$3'" >&2
	return 1
}

# klog_mark: print the current number of kernel log lines
klog_lines() {
	dmesg | wc -l
}

# rr_sb_u64 DEV OFFSET: a little-endian u64 of the superblock (block 0)
rr_sb_u64() {
	od -An -t u8 -j "$2" -N 8 "$1" | tr -d ' '
}

# rr_data_sum DEV [MIB]: md5 of the data area of a formatted backing device
# (the first MIB MiB of it, default all), read directly from the disk (in
# 1 MiB requests: 4 KiB ones made this minutes of a test under TCG)
rr_data_sum() {
	local off n
	off=$(rr_sb_u64 "$1" 96)
	n=$(rr_sb_u64 "$1" 104)
	[ -n "$2" ] && n=$(($2 * 256))
	dd if="$1" bs=1M iflag=direct,skip_bytes,count_bytes skip=$((off * 4096)) \
		count=$((n * 4096)) status=none | md5sum | cut -d' ' -f1
}

# rr_dev_sum MINOR MIB: md5 of the first MIB MiB of /dev/rraftMINOR
rr_dev_sum() {
	dd if="/dev/rraft$1" bs=1M count="$2" iflag=direct status=none | md5sum | cut -d' ' -f1
}
