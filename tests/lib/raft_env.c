// SPDX-License-Identifier: GPL-2.0
/*
 * raft_env.c - userspace side of kmod/raft/raft_env.h.
 *
 * Linked by the unit tests, the simulator and the benchmark.  Tests set
 * raft_test_malloc_hook to make allocations fail on purpose.
 */
#include "../../kmod/raft/raft_env.h"

void *(*raft_test_malloc_hook)(size_t size) = NULL;
