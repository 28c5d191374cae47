#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make style: kernel coding style and static checks.
#
#  1. checkpatch.pl --strict --no-tree -f on every kmod/**/*.[ch] and
#     userspace-tools/*.[ch]: one test per file, passed only with 0 errors,
#     0 warnings and 0 checks.  checkpatch.pl (with spelling.txt and
#     const_structs.checkpatch, found relative to it) comes from Debian's
#     linux-source-6.1: the tree unpacked by scripts/kunit.sh if present,
#     otherwise those three files are extracted from the tarball once.
#     Options are in .checkpatch.conf (read from the top of the clone).
#     Ignored types, each justified:
#       LINUX_VERSION_CODE (all files, in .checkpatch.conf): the module is
#         built out of tree for both 6.1 and 6.12, so its compat header
#         tests the kernel version;
#       CONSTANT_COMPARISON, only on a line that tests LINUX_VERSION_CODE
#         (the same version checks: "#if LINUX_VERSION_CODE >= KERNEL_VERSION()"
#         is the idiom, and checkpatch takes KERNEL_VERSION() for a constant
#         on the wrong side); anywhere else it still fails;
#       PREFER_KERNEL_TYPES (userspace-tools/ and kmod/raft/raft_env.h
#         only): userspace code uses <stdint.h> types, and raft_env.h's
#         userspace half is where u8..s64 are defined from them;
#       PREFER_DEFINED_ATTRIBUTE_MACRO and VOLATILE (userspace-tools/ only):
#         __printf() and friends are kernel-internal macros that userspace
#         does not have, and C requires "volatile sig_atomic_t" for a flag
#         set by a signal handler.
#  2. W=1: the module built with make -C $KDIR M=<copy> W=1 modules; any
#     compiler warning (or a failed build) fails this test.
#  3. sparse: make -C $KDIR M=<copy> C=2 W=1 modules; any sparse warning or
#     error fails this test.
#  4. The KUnit suites are not part of the out-of-tree build: W=1 and sparse
#     over drivers/block/rraft/ in the UML tree of scripts/kunit.sh
#     (scripts/kunit.sh --check), module and suites.
# The module is built in a private copy of the tree (rsync to a temporary
# directory), never in the clone.  The last line is "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
cache=${RRAFT_KUNIT_CACHE:-/var/cache/rraft/kunit}
tarball=${RRAFT_KUNIT_SRC:-/usr/src/linux-source-6.1.tar.xz}
KERNEL=${KERNEL:-6.1}
KVER=${KVER:-$(scripts/kver.sh "$KERNEL" 2>/dev/null)}
KDIR=${KDIR:-/lib/modules/$KVER/build}
jobs=${RRAFT_STYLE_JOBS:-2}

pass=0
fail=0
failed=()
ok() { pass=$((pass + 1)); echo "PASS $1"; }
ko() { fail=$((fail + 1)); failed+=("$1"); echo "FAIL $1"; }

# --- checkpatch ------------------------------------------------------------
cp_pl=$cache/linux-source-6.1/scripts/checkpatch.pl
if [ ! -f "$cp_pl" ]; then
	cp_pl=$cache/checkpatch/linux-source-6.1/scripts/checkpatch.pl
	if [ ! -f "$cp_pl" ]; then
		mkdir -p "$cache/checkpatch" &&
		tar -C "$cache/checkpatch" -xf "$tarball" \
			linux-source-6.1/scripts/checkpatch.pl \
			linux-source-6.1/scripts/spelling.txt \
			linux-source-6.1/scripts/const_structs.checkpatch
	fi
fi
if [ ! -f "$cp_pl" ]; then
	echo "style: no checkpatch.pl (needs $tarball: apt-get install linux-source-6.1)"
	echo "0 passed, 1 failed"
	exit 1
fi

mapfile -t files < <( { find kmod -name '*.[ch]'; find userspace-tools -maxdepth 1 -name '*.[ch]' 2>/dev/null; } | sort)
for f in "${files[@]}"; do
	extra=()
	case "$f" in
	userspace-tools/*)
		extra=(--ignore PREFER_KERNEL_TYPES,PREFER_DEFINED_ATTRIBUTE_MACRO,VOLATILE) ;;
	kmod/raft/raft_env.h) extra=(--ignore PREFER_KERNEL_TYPES) ;;
	esac
	out=$(perl "$cp_pl" --terse -f "${extra[@]}" "$f" 2>&1)
	rc=$?
	# --terse prints one line per finding and a total line, nothing if clean
	findings=$(echo "$out" | grep -E '^[^ ]+:[0-9]+: (ERROR|WARNING|CHECK):' |
		while IFS= read -r l; do
			n=$(echo "$l" | cut -d: -f2)
			case "$l" in
			*WARNING:CONSTANT_COMPARISON:*)
				sed -n "${n}p" "$f" | grep -q LINUX_VERSION_CODE && continue ;;
			esac
			echo "$l"
		done)
	other=$(echo "$out" | grep -vE '^[^ ]+:[0-9]+: (ERROR|WARNING|CHECK):|^total: |^$')
	if [ $rc -le 1 ] && [ -z "$findings" ] && [ -z "$other" ]; then
		ok "checkpatch $f"
	else
		[ -n "$findings" ] && echo "$findings" | sed 's/^/  /'
		[ -n "$other" ] && echo "$other" | sed 's/^/  /'
		ko "checkpatch $f ($(echo "$findings" | grep -c .) findings, rc=$rc)"
	fi
done

# --- W=1 and sparse, in a private copy -------------------------------------
if [ ! -d "$KDIR" ]; then
	echo "style: no kernel build dir '$KDIR'"
	ko "W=1 build"
	ko "sparse"
else
	copy=$(mktemp -d /tmp/rraft-style.XXXXXX)
	trap 'rm -rf "$copy"' EXIT
	rsync -a --delete --exclude .git --exclude build/ "$top/" "$copy/"
	log=$copy/.w1.log
	make -C "$KDIR" M="$copy" W=1 -j"$jobs" modules >"$log" 2>&1
	rc=$?
	nw=$(grep -cE '(warning|error):' "$log")
	if [ $rc -eq 0 ] && [ "$nw" -eq 0 ]; then
		ok "W=1 build"
	else
		grep -E '(warning|error):' "$log" | sed "s|$copy/||; s/^/  /"
		[ $rc -ne 0 ] && tail -n 5 "$log" | sed "s|$copy/||; s/^/  /"
		ko "W=1 build (rc=$rc, $nw warnings/errors)"
	fi
	if [ $rc -ne 0 ]; then
		ko "sparse (module does not build)"
	elif ! command -v sparse >/dev/null; then
		ko "sparse (not installed: apt-get install sparse)"
	else
		log=$copy/.sparse.log
		make -C "$KDIR" M="$copy" W=1 C=2 -j"$jobs" modules >"$log" 2>&1
		rc=$?
		nw=$(grep -cE '(warning|error):' "$log")
		if [ $rc -eq 0 ] && [ "$nw" -eq 0 ] && grep -q '  CHECK ' "$log"; then
			ok "sparse ($(grep -c '  CHECK ' "$log") files)"
		else
			grep -E '(warning|error):' "$log" | sed "s|$copy/||; s/^/  /"
			ko "sparse (rc=$rc, $nw warnings/errors)"
		fi
	fi
fi

# --- W=1 and sparse over the KUnit build (UML) ------------------------------
out=$("$top/scripts/kunit.sh" --check 2>&1)
rc=$?
echo "$out" | grep -E '^  |^kunit --check:'
if [ $rc -eq 0 ]; then
	ok "W=1 + sparse, KUnit build (UML)"
else
	echo "$out" | tail -n 25 | sed 's/^/  /'
	ko "W=1 + sparse, KUnit build (UML)"
fi

[ ${#failed[@]} -ne 0 ] && printf 'failed: %s\n' "${failed[@]}"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
