#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: speed goals live here, never in timed tests.
#  1. the Raft core alone: entries committed per second, in-memory 3-node cluster
#  2. the simulator: seeds per second
#  3. fio in VMs: local backing disk vs DRBD 8.4 protocol C vs rraft, same VMs,
#     same run, results as ratios (tests/vm/bench-fio.sh)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
rc=0
scripts/install-deps.sh >/dev/null || exit 1

echo "== Raft core"
make -s -C tests/unit bench || rc=1

echo "== simulator"
make -s -C tests/sim >/dev/null && tests/sim/rraft-sim --bench || rc=1

echo "== block devices in VMs (fio)"
if [ "${BENCH_VM:-1}" = 1 ]; then
	make -s all >/dev/null && tests/vm/bench-fio.sh || rc=1
fi
exit $rc
