#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The first `make check` / `make demo` on a fresh machine: the kernel headers
# appear only when the first recipe (make deps) has run, so nothing derived
# from installed packages may be computed before it (issue 10).
#
# In a private mount namespace an empty tmpfs hides /usr/src (the headers,
# and with them every /lib/modules/<ver>/build link).  The "install" step of
# one make invocation is RRAFT_INSTALL_DEPS='umount /usr/src': the headers
# appear exactly where apt would put them, after make has started.  The same
# make must then find the version, build rraft.ko, and export no stale or
# empty KVER/KDIR to the scripts it runs.  Runs in a copy of the tree.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
pass=0 failn=0
ok() { pass=$((pass + 1)); echo "PASS $1"; }
ko() { failn=$((failn + 1)); echo "FAIL $1"; }

if [ "$(id -u)" -ne 0 ] || ! unshare -m true 2>/dev/null; then
	echo "fresh-order: needs root and mount namespaces (unshare -m)"
	echo "0 passed, 1 failed"
	exit 1
fi
real=$("$top/scripts/kver.sh" "${KERNEL:-6.1}") || {
	echo "fresh-order: no installed ${KERNEL:-6.1} headers to hide"
	echo "0 passed, 1 failed"
	exit 1
}
work=$(mktemp -d /tmp/rraft-fresh.XXXXXX)
trap 'rm -rf "$work"' EXIT
rsync -a --exclude .git --exclude build --exclude '*.o' --exclude '*.ko' \
	--exclude '.*.cmd' --exclude '*.mod*' "$top/" "$work/src/"

# Everything below runs with /usr/src hidden at the start; KVER/KDIR are
# removed from the environment, as on a fresh shell.
inner() {
	env -u KVER -u KDIR unshare -m --propagation private bash -c '
		set -u
		mount -t tmpfs rraft-no-headers /usr/src || exit 90
		cd "$1"; shift
		"$@"
	' inner "$work/src" "$@"
}

# 1. headers absent: the lookup says so (no empty value passed on)
out=$(inner make -s kernel-info 2>&1)
if echo "$out" | grep -q "^kver= kdir=/lib/modules//build env-KVER=unset env-KDIR=unset$"; then
	ok "headers absent: nothing resolved, nothing exported ($out)"
else
	ko "headers absent: got '$out'"
fi
out=$(inner make -s module 2>&1)
if [ $? -ne 0 ] && echo "$out" | grep -q "no kernel build dir"; then
	ok "headers absent: make module refuses with one clear line"
else
	ko "headers absent: make module said '$out'"
fi

# 2. one make: deps installs the headers, the next goals see them
out=$(inner make -s RRAFT_INSTALL_DEPS='umount /usr/src' deps kernel-info 2>&1)
want="kver=$real kdir=/lib/modules/$real/build env-KVER=unset env-KDIR=unset"
if [ "$out" = "$want" ]; then
	ok "headers installed by the first goal: resolved afterwards, not exported ($out)"
else
	ko "after deps: got '$out', want '$want'"
fi

# 3. the same order builds the module (the first `make check` built nothing)
log=$work/build.log
if inner make RRAFT_INSTALL_DEPS='umount /usr/src' deps module >"$log" 2>&1 &&
	[ -f "$work/src/rraft.ko" ] &&
	modinfo -F vermagic "$work/src/rraft.ko" | grep -q "^${real} "; then
	ok "make deps module in one make builds rraft.ko for $real"
else
	tail -n 20 "$log"
	ko "make deps module with headers appearing after start"
fi

echo "$pass passed, $failn failed"
[ "$failn" -eq 0 ]
