// SPDX-License-Identifier: GPL-2.0
/*
 * test_raft.c - runs the unit tests of the Raft core, area by area
 * (test_election.c, test_replication.c, test_snapshot.c, test_conf.c,
 * test_api.c).  "./test_raft [substring]" runs the tests whose name
 * contains it.  Prints one line per test and a final "N passed, N failed".
 */
#include "unit.h"

static void run_led3(const struct unit_test *t)
{
	struct rtc_cluster *c;
	u32 l;

	c = led_cluster(3, NULL, NULL, &l);
	if (l)
		t->led3(c, l, l % 3 + 1);
	SAFE(c);
	rtc_free(c);
}

static const struct unit_suite *const suites[] = {
	&unit_replication, &unit_election, &unit_snapshot, &unit_conf,
	&unit_api,
};

int main(int argc, char **argv)
{
	int pass = 0, fail = 0;
	size_t s, i;

	for (s = 0; s < ARRAY_SIZE(suites); s++) {
		for (i = 0; i < suites[s]->n; i++) {
			const struct unit_test *t = &suites[s]->tests[i];
			unsigned int before = rtc_env_check_fails;

			if (argc > 1 && !strstr(t->name, argv[1]))
				continue;
			if (t->fn)
				t->fn();
			else
				run_led3(t);
			if (rtc_env_check_fails != before) {
				fail++;
				printf("FAIL %s/%s\n", suites[s]->area, t->name);
			} else {
				pass++;
				printf("ok   %s/%s\n", suites[s]->area, t->name);
			}
		}
	}
	printf("%d passed, %d failed\n", pass, fail);
	return fail ? 1 : 0;
}
