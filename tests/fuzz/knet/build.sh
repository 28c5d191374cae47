#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build nettest.ko (transport test driver) from the tree's transport, codec
# and Raft core sources in a private directory.  Prints the module path.
set -eu
top=$(cd "$(dirname "$0")/../../.." && pwd)
out=${NETTEST_DIR:-/tmp/rraft-nettest-$(id -u)}
kdir=${KDIR:-/lib/modules/$("$top/scripts/kver.sh" "${KERNEL:-6.1}")/build}
mkdir -p "$out/raft"
# the transport's files: rraft_net.h, rraft_net_int.h, rraft_net*.c (not
# its KUnit suite)
net_objs=
for f in "$top"/kmod/rraft_net*.c; do
	case $f in *_kunit.c) continue ;; esac
	cp "$f" "$out/"
	net_objs="$net_objs $(basename "$f" .c).o"
done
cp "$top/kmod/rraft_net.h" "$top/kmod/rraft_net_int.h" "$top/kmod/rraft_wire.c" \
   "$top/kmod/rraft_wire.h" "$top/kmod/rraft_codec.h" "$out/"
core=$(make -s -f "$top/kmod/raft/raft.mk" -f - <<<'all: ; @echo $(RAFT_CORE_SRCS) $(RAFT_CORE_HDRS) raft.mk')
for f in $core; do cp "$top/kmod/raft/$f" "$out/raft/"; done
cp "$top/tests/fuzz/knet/nettest.c" "$out/"
cat >"$out/Kbuild" <<KB
obj-m += nettest.o
include \$(src)/raft/raft.mk
nettest-y := nettest_main.o$net_objs rraft_wire.o \
	     \$(addprefix raft/,\$(RAFT_CORE_SRCS:.c=.o))
ccflags-y += -I\$(src)
KB
mv "$out/nettest.c" "$out/nettest_main.c"
make -s -C "$kdir" M="$out" W=1 modules >&2
echo "$out/nettest.ko"
