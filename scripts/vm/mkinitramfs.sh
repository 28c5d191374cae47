#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build (or reuse) the test-VM initramfs for kernel $1 (default: scripts/kver.sh)
# and print its path.  The image holds busybox-static, scripts/vm/init and the
# virtio/9p modules of that kernel in load order.  It is cached outside the
# clone (RRAFT_VM_CACHE, default /var/cache/rraft) under a name derived from
# the kernel version and a hash of this script and init, so it is rebuilt
# whenever either changes.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
kver=${1:-$("$here/../kver.sh")}
cache=${RRAFT_VM_CACHE:-/var/cache/rraft}
mods="virtio_pci virtio_blk virtio_net virtio_console 9pnet_virtio 9p overlay"
moddir=/lib/modules/$kver
[ -d "$moddir" ] || { echo "mkinitramfs: no $moddir" >&2; exit 1; }
bb=$(command -v busybox) || { echo "mkinitramfs: busybox-static missing" >&2; exit 1; }
file -L "$bb" 2>/dev/null | grep -q 'statically linked' || \
	{ ldd "$bb" 2>&1 | grep -q 'not a dynamic' || { echo "mkinitramfs: $bb is not static (install busybox-static)" >&2; exit 1; }; }
hash=$( (cat "$0" "$here/init"; echo "$mods"; ls -l --time-style=+%s "$bb" "$moddir/modules.dep") | sha256sum | cut -c1-12)
out=$cache/initramfs-$kver-$hash.cpio.gz
if [ -s "$out" ]; then
	echo "$out"
	exit 0
fi
mkdir -p "$cache"
work=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{bin,dev,proc,sys,newroot,lib/modules}
cp "$bb" "$work/bin/busybox"
cp "$here/init" "$work/init"
chmod 755 "$work/init"
: >"$work/modules.order"
for m in $mods; do
	modprobe -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' | while read -r ko; do
	base=$(basename "$ko")
	case "$ko" in
	*.ko.xz) xz -dc "$ko" >"$work/lib/modules/${base%.xz}"; base=${base%.xz} ;;
	*.ko.zst) zstd -qdc "$ko" >"$work/lib/modules/${base%.zst}"; base=${base%.zst} ;;
	*.ko.gz) gzip -dc "$ko" >"$work/lib/modules/${base%.gz}"; base=${base%.gz} ;;
	*) cp "$ko" "$work/lib/modules/$base" ;;
	esac
	echo "/lib/modules/$base" >>"$work/modules.order"
done
[ -s "$work/modules.order" ] || { echo "mkinitramfs: no modules found for $kver" >&2; exit 1; }
(cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.tmp"
mv "$out.tmp" "$out"
# drop stale images of the same kernel
for f in "$cache"/initramfs-"$kver"-*.cpio.gz; do
	[ "$f" = "$out" ] || rm -f "$f"
done
echo "$out"
