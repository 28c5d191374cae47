#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The log ring's replay and appender (kmod/rraft_ring.c) against power cuts:
# tests/replay under ASan and UBSan, the fixed scenarios then seeded crash
# campaigns for REPLAY_SECONDS (default 20).  Longer: make -C tests/replay
# long; the libFuzzer target: make -C tests/replay fuzz.
# Last line: "N passed, N failed".
exec "$(dirname "$0")/../lib/counted-suite.sh" tests/replay replay
