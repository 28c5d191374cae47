#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The short fixed nemesis set of make check: three fixed seeds x 1 round on
# one 3-node cluster, the faults drawn from a pause of the cut-off leader
# (the stale-read case), an ext4 on the leader during a power cut, a killed
# node and a leader in the minority; the whole history must be linearizable
# and no acknowledged write lost (tests/vm/nemesis.sh, make nemesis).
export NEMESIS_SEEDS=${NEMESIS_SEEDS:-"7 12 31"} ROUNDS=${ROUNDS:-1} NODES=3
export NEMESIS_FAULTS=${NEMESIS_FAULTS:-"pause-part ext4 kill1 minority"}
d=$(dirname "$0")
[ -f "$d/nemesis.sh" ] || d=$d/..	# also from tests/vm/pending/
exec bash "$d/nemesis.sh"
