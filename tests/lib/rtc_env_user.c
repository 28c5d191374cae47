// SPDX-License-Identifier: GPL-2.0
/*
 * rtc_env_user.c - the userspace environment of the shared test host
 * (rtc_cluster.c): memory from libc (not through raft_test_malloc_hook, so
 * injected allocation failures hit the core only), failures on stderr.
 * Checks of the shared scenarios count in rtc_env_check_fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include "rtc_cluster.h"

unsigned int rtc_env_check_fails;

void *rtc_env_zalloc(size_t size)
{
	return calloc(1, size ? size : 1);
}

void rtc_env_free(void *p)
{
	free(p);
}

void rtc_env_fail(struct rtc_cluster *c, const char *what, u32 id, u64 a,
		  u64 b)
{
	(void)c;
	fprintf(stderr, "  rtc: node %u: %s (%llu, %llu)\n", id, what,
		(unsigned long long)a, (unsigned long long)b);
}

void rtc_env_check_failed(void *host, const char *file, int line,
			  const char *expr, u64 a, u64 b)
{
	(void)host;
	fprintf(stderr, "  %s:%d: %s failed (%llu, %llu)\n", file, line, expr,
		(unsigned long long)a, (unsigned long long)b);
	rtc_env_check_fails++;
}
