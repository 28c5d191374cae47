#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The KUnit suites under UML against Debian's linux-source-6.1: see
# scripts/kunit.sh.
exec "$(dirname "$0")/../kunit.sh"
