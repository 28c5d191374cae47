#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: speed goals live here, never in timed tests.
#  1. the Raft core alone: entries committed per second, in-memory 3-node cluster
#  2. the simulator: seeds per second
#  3. fio in VMs (tests/vm/bench-fio.sh): local disk, DRBD 8.4 protocol C on
#     two nodes, rraft with 2 and with 3 voters, in the same VMs and run,
#     rounds interleaved; tables in build/bench/fio.md, ratios in
#     build/bench/summary.txt, issue 12's goals in build/bench/goals.md.
#     BENCH_RUNTIME, BENCH_ROUNDS, BENCH_QUICK=1, BENCH_TARGETS, BENCH_JOBS:
#     see tests/vm/bench-fio.sh.  BENCH_VM=0 skips it.
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
