#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Deterministic cluster simulator suite (tests/sim):
#   1. build rraft-sim with ASan+UBSan (private output, so a concurrent
#      coverage build of tests/sim does not race with us);
#   2. every scenario script in tests/sim/scenarios (1 test each);
#   3. checker self-tests: deliberately broken hosts (--mutate) must be
#      caught on at least one seed (1 test each), and a seed's trace must
#      be identical in two runs (determinism);
#   4. random seeds, all faults: 300 x 2 nodes (two voters: membership
#      changes from two, BENCH-1 in tests/vm/KMOD_BUGS.md), 1200 x 3 nodes,
#      800 x 5 nodes, 100 x 7 nodes (1 test per seed);
#   5. long runs: 300 x 3, 200 x 5 and 100 x 7 nodes at 2000 steps (make
#      sim-long runs 100,000 of them).
# Last line: "N passed, N failed".  Exit status non-zero on any failure.
# SIM_STEPS / SIM_SEEDS2 / SIM_SEEDS3 / SIM_SEEDS5 / SIM_SEEDS7 override the sizes,
# SIM_LONG_STEPS / SIM_LONG3 / SIM_LONG5 / SIM_LONG7 those of the long runs.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${RRAFT_SIM_BUILD:-$top/build/sim}
sim=$out/rraft-sim
steps=${SIM_STEPS:-500}
n2=${SIM_SEEDS2:-300}
n3=${SIM_SEEDS3:-1200}
n5=${SIM_SEEDS5:-800}
n7=${SIM_SEEDS7:-100}
pass=0
fail=0
start=$(date +%s)

mkdir -p "$out"
if ! make -s -C "$top/tests/sim" OUT="$sim" "$sim"; then
	echo "sim: build failed"
	echo "0 passed, 1 failed"
	exit 1
fi

echo "== scenarios"
for f in "$top"/tests/sim/scenarios/*.txt; do
	if "$sim" --script "$f" >"$out/scenario.log" 2>&1; then
		pass=$((pass + 1))
		tail -n 1 "$out/scenario.log"
	else
		fail=$((fail + 1))
		cat "$out/scenario.log"
	fi
done

echo "== checker self-tests (broken hosts must be caught)"
selftest() {
	local mut=$1 nodes=$2 seeds=$3 caught
	caught=$("$sim" --nodes "$nodes" --seeds "$seeds" --steps 200 --mutate "$mut" 2>&1 |
		 grep -c '^seed [0-9]*: FAIL')
	if [ "$caught" -gt 0 ]; then
		echo "mutation $mut: caught on $caught of seeds $seeds ($nodes nodes)"
		pass=$((pass + 1))
	else
		echo "mutation $mut: NOT caught on seeds $seeds ($nodes nodes)"
		fail=$((fail + 1))
	fi
}
selftest stale-read 3 1-40
selftest early-ack 3 1-40
selftest lose-tail 3 1-40
selftest forget-vote 3 1-300
selftest tick-firings 3 1-200

echo "== determinism (one seed, two runs, identical traces)"
"$sim" --nodes 5 --seed 7 --steps 300 --trace >"$out/det1.log" 2>&1
"$sim" --nodes 5 --seed 7 --steps 300 --trace >"$out/det2.log" 2>&1
if cmp -s "$out/det1.log" "$out/det2.log" && [ "$(wc -l <"$out/det1.log")" -gt 1000 ]; then
	echo "determinism: seed 7 replays identically ($(wc -l <"$out/det1.log") trace lines)"
	pass=$((pass + 1))
else
	echo "determinism: seed 7 traces differ (or are too short)"
	diff "$out/det1.log" "$out/det2.log" | head -n 20
	fail=$((fail + 1))
fi

run_seeds() {
	local nodes=$1 count=$2 steps=${3:-$steps} line p f log
	[ "$count" -gt 0 ] || return 0
	log=$out/seeds$nodes-$steps.log
	echo "== random seeds: $count x $nodes nodes, $steps steps, all faults"
	"$sim" --nodes "$nodes" --seeds "1-$count" --steps "$steps" >"$log" 2>&1
	grep -v ' passed, ' "$log" | head -n 200
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "$nodes nodes: no summary (crashed?)"
		fail=$((fail + 1))
		return
	fi
	echo "$nodes nodes: $line"
	p=${line%% passed*}
	f=${line#*passed, }
	f=${f%% failed*}
	pass=$((pass + p))
	fail=$((fail + f))
}
run_seeds 2 "$n2"
run_seeds 3 "$n3"
run_seeds 5 "$n5"
run_seeds 7 "$n7"
long=${SIM_LONG_STEPS:-2000}
run_seeds 3 "${SIM_LONG3:-300}" "$long"
run_seeds 5 "${SIM_LONG5:-200}" "$long"
run_seeds 7 "${SIM_LONG7:-100}" "$long"

echo "sim: $(( $(date +%s) - start ))s"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
