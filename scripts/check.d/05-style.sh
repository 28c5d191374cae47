#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# checkpatch --strict on every kernel and tools source file, the module
# built with W=1, and sparse (C=2): see scripts/style.sh.
exec "$(dirname "$0")/../style.sh"
