// SPDX-License-Identifier: GPL-2.0
/*
 * test_raft.c - focused unit tests of the Raft core (kmod/raft/raft.c).
 *
 * Prints one line per test and a final "N passed, N failed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"

static int g_pass, g_fail;
static int t_fail;
static const char *t_name;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "  %s:%d: %s: CHECK(%s) failed\n",	\
			__FILE__, __LINE__, t_name, #cond);		\
		t_fail++;						\
	}								\
} while (0)

#define CHECK_EQ(a, b) do {						\
	unsigned long long _a = (unsigned long long)(a);		\
	unsigned long long _b = (unsigned long long)(b);		\
	if (_a != _b) {							\
		fprintf(stderr, "  %s:%d: %s: %s == %llu, expected %s == %llu\n", \
			__FILE__, __LINE__, t_name, #a, _a, #b, _b);	\
		t_fail++;						\
	}								\
} while (0)

#define SAFE(c) CHECK_EQ((c)->violations, 0)

#include "tests_core.h"

struct test {
	const char *name;
	void (*fn)(void);
};

#define T(x) { #x, x }
static const struct test tests[] = {
#include "tests_list.h"
};

int main(int argc, char **argv)
{
	size_t i;

	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (argc > 1 && !strstr(tests[i].name, argv[1]))
			continue;
		t_name = tests[i].name;
		t_fail = 0;
		tests[i].fn();
		if (t_fail) {
			g_fail++;
			printf("FAIL %s\n", tests[i].name);
		} else {
			g_pass++;
			printf("ok   %s\n", tests[i].name);
		}
	}
	printf("%d passed, %d failed\n", g_pass, g_fail);
	return g_fail ? 1 : 0;
}
