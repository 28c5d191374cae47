/* SPDX-License-Identifier: GPL-2.0 */
/*
 * unit.h - what the unit tests of the Raft core share: the checks (the
 * same ones the shared scenarios use, tests/lib/rtc_scenarios.h), the
 * shared test host (tests/lib/rtc_cluster.h), standalone-node helpers
 * (helpers.c) and one table of tests per area (test_<area>.c).
 */
#ifndef RRAFT_UNIT_H
#define RRAFT_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../lib/rtc_cluster.h"
#include "../lib/rtc_scenarios.h"
#include "../lib/rtc_env_user.h"

/* the environment of every cluster and scenario here */
#define UENV		(&rtc_env_user)
#define CHECK(cond)	RTC_CHECK(UENV, cond)
#define CHECK_EQ(a, b)	RTC_CHECK_EQ(UENV, a, b)
/* no safety or contract violation seen by the cluster */
#define SAFE(c)		CHECK_EQ((c)->violations, 0)

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * A test: fn runs on its own, or led3 runs on a fresh cluster of three
 * nodes that elected leader l (f: another node, l % 3 + 1); the runner
 * checks the cluster saw no violation and frees it.
 */
struct unit_test {
	const char *name;
	void (*fn)(void);
	void (*led3)(struct rtc_cluster *c, u32 l, u32 f);
};
#define T(x) { #x, x, NULL }
#define TL(x) { #x, NULL, x }

struct unit_suite {
	const char *area;
	const struct unit_test *tests;
	size_t n;
};

/* test_<area>.c ends with its table tests[] and UNIT_SUITE(<area>) */
#define UNIT_SUITE(area) \
	const struct unit_suite unit_##area = { #area, tests, ARRAY_SIZE(tests) }

extern const struct unit_suite unit_election, unit_replication,
	unit_snapshot, unit_conf, unit_api;

/* helpers.c */
u32 count_type(const struct raft_ready *rd, u32 type);
/* a standalone node (no cluster): id of voters {1,2,3} */
struct raft *solo(u32 id, const u64 *terms, u32 n, u64 hs_term,
		  const struct raft_config *cfgp);
/* drain a solo node's ready, persisting everything, returning the msgs of type */
u32 solo_drain(struct raft *r, u32 type, struct raft_msg *out, u32 max);
struct raft_msg mk(u32 type, u32 from, u32 to, u64 term);
struct raft_conf mkconf(const u32 *v, u32 nv, const u32 *lr, u32 nl);
u64 prng(void);
struct rtc_cluster *led_cluster(u32 n, const struct raft_config *cfg,
				const struct raft_conf *conf, u32 *l);
void campaign_votes(struct rtc_cluster *c, u32 id);

#endif /* RRAFT_UNIT_H */
