#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make kunit: run rraft's KUnit suites under UML (User Mode Linux) with the
# kernel's own runner, tools/testing/kunit/kunit.py, against Debian's
# linux-source-6.1.
#
#  - The source tarball is unpacked once into a cache outside the clone
#    ($RRAFT_KUNIT_CACHE, default /var/cache/rraft/kunit) and reused; it is
#    unpacked again only when the tarball changes (new Debian upload).
#  - rraft's sources (kmod/, and the shared test host tests/lib/rtc_*.[ch]
#    the Raft core suite runs on) are copied with rsync into
#    drivers/block/rraft/ on every run, by content (-c) and without keeping
#    modification times: a file whose content changed gets a new mtime and
#    rebuilds (even when it went back to an older version), an unchanged one
#    is not touched.  The build
#    directory (--build_dir) is cached as well.
#  - drivers/block/Kconfig and drivers/block/Makefile get one line each
#    (added once).
#
# The last line is "N passed, N failed" with kunit.py's own counts (crashed,
# skipped and error results count as failed, and so does every WARN_ON hit
# in rraft code and every BUG/KASAN/UBSAN report in the kernel log); the
# exit status is non-zero on any failure, and a build or boot failure counts
# as one failed test.
#
# scripts/kunit.sh --check does not run the tests: it builds the rraft
# directory of the UML tree (module and suites) with W=1 and sparse (C=2)
# and fails on any warning there; scripts/style.sh uses it, because the
# out-of-tree module build does not compile the KUnit files.
#
# Environment: RRAFT_KUNIT_CACHE, RRAFT_KUNIT_SRC (tarball),
# RRAFT_KUNIT_JOBS (default 2), RRAFT_KUNIT_TIMEOUT (seconds, default 600),
# RRAFT_KUNIT_FILTER (kunit.py filter glob, e.g. 'rraft_raft*'),
# RRAFT_KUNIT_KASAN=1 (build with KASAN, in its own cache, default
# /var/cache/rraft/kunit-kasan: slower, catches out-of-bounds and
# use-after-free in the code under test).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
mode=run
[ "${1:-}" = --check ] && mode=check
kasan=${RRAFT_KUNIT_KASAN:-0}
if [ "$kasan" = 1 ]; then
	cache=${RRAFT_KUNIT_CACHE:-/var/cache/rraft/kunit-kasan}
else
	cache=${RRAFT_KUNIT_CACHE:-/var/cache/rraft/kunit}
fi
tarball=${RRAFT_KUNIT_SRC:-/usr/src/linux-source-6.1.tar.xz}
jobs=${RRAFT_KUNIT_JOBS:-2}
timeout=${RRAFT_KUNIT_TIMEOUT:-600}
filter=${RRAFT_KUNIT_FILTER:-}
ksrc=$cache/linux-source-6.1
bdir=$cache/build
dst=$ksrc/drivers/block/rraft

die() {
	echo "kunit: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
}

start=$(date +%s)
for tool in python3 rsync tar flex bison bc make gcc; do
	command -v "$tool" >/dev/null || die "$tool is missing (scripts/install-deps.sh)"
done
[ -r "$tarball" ] || die "$tarball is missing (apt-get install linux-source-6.1)"
mkdir -p "$cache" || die "cannot create $cache"

# One run at a time per cache: several helpers may run make check at once.
exec 9>"$cache/.lock"
if ! flock -n 9; then
	echo "kunit: waiting for another run to finish ($cache/.lock)"
	flock 9
fi

# 1. Unpack once.
want="$(stat -c '%s %Y' "$tarball") $tarball"
if [ ! -f "$ksrc/Makefile" ] || [ "$(cat "$cache/.unpacked" 2>/dev/null)" != "$want" ]; then
	echo "kunit: unpacking $tarball into $cache"
	rm -rf "$ksrc" "$bdir" "$cache/.unpacked"
	tar -C "$cache" -xf "$tarball" || die "cannot unpack $tarball"
	[ -f "$ksrc/Makefile" ] || die "$tarball did not unpack to $ksrc"
	echo "$want" >"$cache/.unpacked"
fi

# 2. Place the sources in drivers/block/rraft/.
mkdir -p "$dst" || die "cannot create $dst"
excl=(--exclude '*.o' --exclude '*.ko' --exclude '*.mod' --exclude '*.mod.c'
      --exclude '.*.cmd' --exclude '*.a' --exclude '*.gcda' --exclude '*.gcno')
copy() { rsync -rlpc "$@"; }
copy --delete "${excl[@]}" "$top/kmod/" "$dst/kmod/" || die "rsync kmod/ failed"
mkdir -p "$dst/tests/lib" || die "cannot create $dst/tests/lib"
copy "$top"/tests/lib/rtc_host.[ch] "$top"/tests/lib/rtc_cluster.[ch] \
	"$top"/tests/lib/rtc_scenarios.[ch] "$dst/tests/lib/" || die "rsync tests/lib (shared test host) failed"
copy "$top/Kbuild" "$dst/Kbuild.rraft" || die "rsync Kbuild failed"
copy "$top/kmod/Makefile.kunit" "$dst/Makefile" || die "rsync Makefile.kunit failed"
copy "$top/kmod/Kconfig" "$dst/Kconfig" || die "rsync Kconfig failed"
copy "$top/kmod/.kunitconfig" "$dst/.kunitconfig" || die "rsync .kunitconfig failed"

# 3. Hook it into drivers/block (idempotent).
kc=$ksrc/drivers/block/Kconfig
mk=$ksrc/drivers/block/Makefile
grep -qxF 'source "drivers/block/rraft/Kconfig"' "$kc" ||
	echo 'source "drivers/block/rraft/Kconfig"' >>"$kc"
grep -qxF 'obj-$(CONFIG_BLK_DEV_RRAFT)	+= rraft/' "$mk" ||
	printf 'obj-$(CONFIG_BLK_DEV_RRAFT)\t+= rraft/\n' >>"$mk"

# --check: W=1 and sparse over drivers/block/rraft/ only.
if [ "$mode" = check ]; then
	clog=${RRAFT_KUNIT_LOG:-$top/build/kunit/check.log}
	mkdir -p "$(dirname "$clog")"
	(cd "$ksrc" && python3 tools/testing/kunit/kunit.py config \
		--kunitconfig=drivers/block/rraft --build_dir="$bdir") >"$clog" 2>&1 ||
		{ tail -n 20 "$clog"; die "kunit.py config failed"; }
	make -C "$ksrc" ARCH=um O="$bdir" W=1 C=2 -j"$jobs" drivers/block/rraft/ >>"$clog" 2>&1
	rc=$?
	pat="drivers/block/rraft/[^:]*:[0-9]+:([0-9]+:)? (warning|error):"
	nw=$(grep -cE "$pat" "$clog")
	nc=$(grep -c '  CHECK .*drivers/block/rraft/' "$clog")
	grep -E "$pat" "$clog" | sed "s|$ksrc/drivers/block/rraft/||; s|^|  |"
	echo "kunit --check: W=1 and sparse over $nc rraft files (UML), $nw warnings/errors, make rc=$rc (log $clog)"
	if [ "$rc" -eq 0 ] && [ "$nw" -eq 0 ] && [ "$nc" -gt 0 ]; then
		echo "1 passed, 0 failed"
		exit 0
	fi
	[ "$rc" -ne 0 ] && tail -n 20 "$clog"
	echo "0 passed, 1 failed"
	exit 1
fi

# 4. Build and run under UML.
log=${RRAFT_KUNIT_LOG:-$top/build/kunit/kunit.log}
mkdir -p "$(dirname "$log")"
args=(run --kunitconfig=drivers/block/rraft --build_dir="$bdir"
      --jobs "$jobs" --timeout "$timeout")
[ "$kasan" = 1 ] && args+=(--kconfig_add CONFIG_KASAN=y --kconfig_add CONFIG_KASAN_GENERIC=y)
[ -n "$filter" ] && args+=("$filter")
echo "kunit: tools/testing/kunit/kunit.py ${args[*]}"
(cd "$ksrc" && python3 tools/testing/kunit/kunit.py "${args[@]}") 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
secs=$(( $(date +%s) - start ))

# 5. Counts: "Testing complete. Ran 12 tests: passed: 11, failed: 1"
line=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep 'Testing complete\.' | tail -n 1)
if [ -z "$line" ]; then
	echo "kunit: no test results (build or boot failure, rc=$rc); see $log and $bdir/test.log"
	echo "kunit: ${secs}s"
	echo "0 passed, 1 failed"
	exit 1
fi
count() {
	local n
	n=$(echo "$line" | grep -oE "$1: [0-9]+" | grep -oE '[0-9]+')
	echo "${n:-0}"
}
passed=$(count passed)
failed=$(( $(count failed) + $(count crashed) + $(count skipped) + $(count errors) ))
total=$(echo "$line" | grep -oE 'Ran [0-9]+' | grep -oE '[0-9]+')
if [ "${total:-0}" -eq 0 ]; then
	echo "kunit: kunit.py ran no tests"
	failed=$((failed + 1))
fi
# A WARN_ON (RAFT_ASSERT) in rraft code, a BUG or a KASAN report does not
# fail a KUnit case by itself: count each one as a failure.
tlog=$bdir/test.log
if [ -f "$tlog" ]; then
	warns=$(grep -cE 'WARNING: .* at drivers/block/rraft/|BUG: |KASAN: |UBSAN: ' "$tlog")
	if [ "$warns" -ne 0 ]; then
		echo "kunit: $warns kernel warning(s) or error report(s) in $tlog:"
		grep -E 'WARNING: .* at drivers/block/rraft/|BUG: |KASAN: |UBSAN: ' "$tlog" | head -n 20
		failed=$((failed + warns))
	fi
fi
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	echo "kunit: kunit.py exited with $rc"
	failed=1
fi
echo "kunit: ${secs}s (build dir $bdir, log $log)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
