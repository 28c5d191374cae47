#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Userspace unit tests of the write map and catch-up range selection
# (kmod/rraft_wmap.c) under ASan and UBSan.
# Last line: "N passed, N failed".
exec "$(dirname "$0")/../lib/counted-suite.sh" tests/wmap wmap
