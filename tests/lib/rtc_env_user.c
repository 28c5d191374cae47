// SPDX-License-Identifier: GPL-2.0
/*
 * rtc_env_user.c - the userspace environment of the shared test host
 * (rtc_cluster.c): memory from libc (not through raft_test_malloc_hook, so
 * injected allocation failures hit the core only), failures on stderr.
 * Failed checks count in rtc_env_check_fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include "rtc_env_user.h"

unsigned int rtc_env_check_fails;

static void *user_zalloc(size_t size)
{
	return calloc(1, size ? size : 1);
}

static void user_fail(const struct rtc_env *env, const char *what, u32 id,
		      u64 a, u64 b)
{
	(void)env;
	fprintf(stderr, "  rtc: node %u: %s (%llu, %llu)\n", id, what,
		(unsigned long long)a, (unsigned long long)b);
}

static void user_check_failed(const struct rtc_env *env, const char *file,
			      int line, const char *expr, u64 a, u64 b)
{
	(void)env;
	fprintf(stderr, "  %s:%d: %s failed (%llu, %llu)\n", file, line, expr,
		(unsigned long long)a, (unsigned long long)b);
	rtc_env_check_fails++;
}

const struct rtc_env rtc_env_user = {
	.zalloc = user_zalloc,
	.free = free,
	.fail = user_fail,
	.check_failed = user_check_failed,
};
