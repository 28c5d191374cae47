#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check suite: the QEMU VM tests (tests/vm/run.sh, default set).
top=$(cd "$(dirname "$0")/../.." && pwd)
exec "$top/tests/vm/run.sh"
