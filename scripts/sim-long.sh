#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make sim-long: the long simulator sweep (issue 13 defect 0).
#   - SIM_LONG_SEEDS seeds in all (default 100000), split 50% / 35% / 15%
#     over 3, 5 and 7 nodes, SIM_LONG_STEPS steps (default 2000), all
#     faults, in chunks of SIM_LONG_CHUNK seeds (default 250) run
#     SIM_LONG_JOBS at a time (default: the number of cores);
#   - resumable: each finished chunk leaves build/sim-long/<n>-<first>.log
#     with its summary line and is skipped by the next run (SIM_LONG_FRESH=1
#     starts over); one progress line per finished chunk;
#   - then the catch rate of every deliberate mutation (--mutate) over
#     SIM_LONG_MUT_SEEDS seeds (default 200) at default steps, 3 nodes.
# Last line: "N passed, N failed" (seeds).  Failing seeds are listed with
# their replay command.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
out=${SIM_LONG_OUT:-$top/build/sim-long}
total=${SIM_LONG_SEEDS:-100000}
steps=${SIM_LONG_STEPS:-2000}
chunk=${SIM_LONG_CHUNK:-250}
jobs=${SIM_LONG_JOBS:-$(nproc)}
mseeds=${SIM_LONG_MUT_SEEDS:-200}
sim=$out/rraft-sim

mkdir -p "$out"
[ "${SIM_LONG_FRESH:-0}" = 1 ] && rm -f "$out"/*.log
make -s -C "$top/tests/sim" OUT="$sim" "$sim" || { echo "sim-long: build failed"; exit 1; }

# chunk list: "nodes first last"
plan() {
	local n share count first
	for n in 3 5 7; do
		case $n in 3) share=50 ;; 5) share=35 ;; 7) share=15 ;; esac
		count=$(( total * share / 100 ))
		for (( first = 1; first <= count; first += chunk )); do
			echo "$n $first $(( first + chunk - 1 < count ? first + chunk - 1 : count ))"
		done
	done
}

run_chunk() {
	local n=$1 a=$2 b=$3 log=$out/$1-$2.log t0=$SECONDS
	if grep -qE '^[0-9]+ passed, [0-9]+ failed' "$log" 2>/dev/null; then
		return 0
	fi
	"$sim" --nodes "$n" --seeds "$a-$b" --steps "$steps" >"$log.tmp" 2>&1
	mv "$log.tmp" "$log"
	echo "sim-long: $n nodes, seeds $a-$b: $(grep -E '^[0-9]+ passed' "$log" | tail -n 1) ($((SECONDS - t0)) s)"
}
export -f run_chunk
export out sim steps

start=$SECONDS
plan | xargs -P "$jobs" -L 1 bash -c 'run_chunk "$@"' _
pass=0
fail=0
for log in "$out"/[357]-*.log; do
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "sim-long: $log has no summary (crashed?)"
		fail=$((fail + 1))
		continue
	fi
	pass=$((pass + ${line%% passed*}))
	f=${line#*passed, }
	fail=$((fail + ${f%% failed*}))
	grep ': FAIL' "$log"
done
echo "sim-long: seeds done in $((SECONDS - start)) s ($steps steps, all faults)"

echo "== mutation catch rates ($mseeds seeds, 3 nodes, default steps)"
for m in stale-read early-ack lose-tail forget-vote tick-firings; do
	c=$("$sim" --nodes 3 --seeds "1-$mseeds" --mutate "$m" 2>&1 | grep -c '^seed [0-9]*: FAIL')
	echo "mutation $m: caught by $c of $mseeds seeds ($(( 100 * c / mseeds ))%)"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
