#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Userspace unit tests of the on-disk format and sysfs parser codecs
# (kmod/rraft_format.c, kmod/rraft_parse.c) under ASan and UBSan.
# Last line: "N passed, N failed".
exec "$(dirname "$0")/../lib/counted-suite.sh" tests/codec codec
