/* SPDX-License-Identifier: GPL-2.0 */
/*
 * check.h - the check counter of the userspace codec and write-map suites:
 * CHECK(cond, fmt, ...) counts a pass, or counts a failure and prints one
 * line naming the function, line, condition and the formatted details.
 * Include from exactly one file of a suite; main() prints the totals.
 */
#ifndef RRAFT_TEST_CHECK_H
#define RRAFT_TEST_CHECK_H

#include <stdio.h>

static int passed, failed;

#define CHECK(cond, ...) do {						\
	if (cond) {							\
		passed++;						\
	} else {							\
		failed++;						\
		printf("FAIL %s:%d: %s: ", __func__, __LINE__, #cond);	\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

#endif /* RRAFT_TEST_CHECK_H */
