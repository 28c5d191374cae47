#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DKMS packaging check: copy the module sources to /usr/src/rraft-<ver>,
# dkms add/build/install for the installed Debian 6.1 and 6.12 kernels,
# check that each installed module is ours and
# found by modinfo, then dkms remove --all.
# Cleans up after itself even on failure; serialised by a lock so two check
# runs do not share /usr/src/rraft-<ver>.  Needs root and dkms.
# Prints "ok/FAIL - name" lines and "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
nok() { fail=$((fail + 1)); echo "FAIL - $1"; }
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }

ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
src=/usr/src/rraft-$ver
marker=$src/.rraft-check
# Debian's 6.1 and 6.12 kernels (both in scripts/packages.txt)
k61=$("$top/scripts/kver.sh" 6.1)
k612=$("$top/scripts/kver.sh" 6.12)
kvers="$k61 $k612"

if [ -z "$ver" ]; then nok "dkms.conf has PACKAGE_VERSION"; finish; fi
if [ -z "$k61" ] || [ -z "$k612" ]; then
	nok "Debian 6.1 and 6.12 kernel headers are installed (scripts/kver.sh: '$k61' '$k612')"
	finish
fi
echo "kernels: $kvers"
if ! command -v dkms >/dev/null; then nok "dkms is installed (scripts/packages.txt)"; finish; fi
if [ "$(id -u)" -ne 0 ]; then nok "running as root (dkms install needs it)"; finish; fi

exec 9>/tmp/rraft-dkms-check.lock
if ! flock -w 600 9; then nok "got the DKMS check lock"; finish; fi

cleanup() {
	dkms remove -m rraft -v "$ver" --all >/dev/null 2>&1
	[ -e "$marker" ] && rm -rf "$src"
}

if [ -e "$src" ] && [ ! -e "$marker" ]; then
	nok "$src is not ours (no $marker): not touching an existing install"
	finish
fi
cleanup		# leftovers of a run that was killed
trap cleanup EXIT

mkdir -p "$src"
: >"$marker"
rsync -a --exclude '*.o' --exclude '*.ko' --exclude '*.cmd' --exclude '*.mod' \
	--exclude '*.mod.c' --exclude '*.gcda' --exclude '*.gcno' --exclude .git \
	"$top/dkms.conf" "$top/Kbuild" "$top/kmod" "$src/"
log=$(mktemp /tmp/rraft-dkms.XXXXXX)

if dkms add -m rraft -v "$ver" >"$log" 2>&1; then ok "dkms add rraft/$ver"; else
	nok "dkms add rraft/$ver"; cat "$log"; fi
for kver in $kvers; do
	if dkms build -m rraft -v "$ver" -k "$kver" >"$log" 2>&1; then
		ok "dkms build rraft/$ver for $kver"
	else
		nok "dkms build rraft/$ver for $kver"
		tail -n 30 "$log"
		tail -n 40 "/var/lib/dkms/rraft/$ver/$kver/x86_64/log/make.log" \
			"/var/lib/dkms/rraft/$ver/build/make.log" 2>/dev/null
		continue
	fi
	if dkms install -m rraft -v "$ver" -k "$kver" >"$log" 2>&1; then
		ok "dkms install rraft/$ver for $kver"
	else
		nok "dkms install rraft/$ver for $kver"
		tail -n 30 "$log"
	fi
	st=$(dkms status -m rraft -v "$ver" -k "$kver" 2>/dev/null)
	if grep -q "installed" <<<"$st"; then ok "dkms status: $st"; else
		nok "dkms status says installed for $kver (got '$st')"; fi
	path=$(modinfo -k "$kver" -n rraft 2>/dev/null)
	if [[ "$path" == /lib/modules/$kver/updates/dkms/rraft.ko* ]]; then
		ok "modinfo -k $kver finds $path"
	else
		nok "modinfo -k $kver finds rraft in updates/dkms (got '$path')"
	fi
	vm=$(modinfo -k "$kver" -F vermagic rraft 2>/dev/null)
	if [[ "$vm" == "$kver "* ]]; then ok "vermagic $kver"; else
		nok "vermagic is $kver (got '$vm')"; fi
done

dkms remove -m rraft -v "$ver" --all >"$log" 2>&1
rm -rf "$src"
left=
for kver in $kvers; do
	if ls /lib/modules/"$kver"/updates/dkms/rraft.ko* >/dev/null 2>&1 ||
		modinfo -k "$kver" -n rraft 2>/dev/null | grep -q updates/dkms; then
		left="$left $kver"
	fi
done
if [ ! -e "/var/lib/dkms/rraft" ] && [ ! -e "$src" ] && [ -z "$left" ]; then
	ok "dkms remove --all leaves nothing behind"
else
	nok "dkms remove --all leaves nothing behind"
	cat "$log"
fi
rm -f "$log"
finish
