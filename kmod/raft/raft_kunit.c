// SPDX-License-Identifier: GPL-2.0
/*
 * raft_kunit.c - KUnit suite for the Raft core, run as an in-memory cluster
 * inside the kernel.
 *
 * The cluster is the shared test host of tests/lib/rtc_cluster.c (the one
 * the userspace unit tests use, copied next to this file by
 * scripts/kunit.sh): real struct raft nodes driven through raft.h only,
 * with the host loop of raft.h, a FIFO network that can cut links, drop
 * message types and filter, and the safety checks on every ready and apply
 * (State Machine Safety, Election Safety, persistence before send).  This
 * file provides the host's environment (memory, failure reports into KUnit)
 * and the tests; Figure 8, fast backup and snapshot resume are the shared
 * scenarios of tests/lib/rtc_scenarios.c.
 */
#include <kunit/test.h>
#include <linux/prandom.h>
#include <linux/slab.h>
#include "raft.h"
#include "../../tests/lib/rtc_cluster.h"
#include "../../tests/lib/rtc_scenarios.h"

/* ------------------------------------------------------------------ */
/* the environment of the shared host: its failures go to the test */

static void *rr_kt_zalloc(size_t size)
{
	return kvzalloc(size, GFP_KERNEL);
}

static void rr_kt_free(void *p)
{
	kvfree(p);
}

static void rr_kt_fail(const struct rtc_env *env, const char *what, u32 id,
		       u64 a, u64 b)
{
	KUNIT_FAIL((struct kunit *)env->ctx, "node %u: %s (%llu, %llu)", id,
		   what, a, b);
}

static void rr_kt_check_failed(const struct rtc_env *env, const char *file,
			       int line, const char *expr, u64 a, u64 b)
{
	KUNIT_FAIL((struct kunit *)env->ctx, "%s:%d: %s (%llu, %llu)", file,
		   line, expr, a, b);
}

static const struct rtc_env *rr_kt_env(struct kunit *test)
{
	struct rtc_env *env = kunit_kzalloc(test, sizeof(*env), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, env);
	env->zalloc = rr_kt_zalloc;
	env->free = rr_kt_free;
	env->fail = rr_kt_fail;
	env->check_failed = rr_kt_check_failed;
	env->ctx = test;
	return env;
}

static struct kunit *rr_kt_test(struct rtc_cluster *c)
{
	return c->env->ctx;
}

/* ------------------------------------------------------------------ */
/* the cluster of a test */

static void rr_kt_exit(struct kunit *test)
{
	rtc_free(test->priv);
	test->priv = NULL;
}

/*
 * A cluster of n nodes with ids 1..n; the first `voters` are the initial
 * configuration, the others wait to be added.  Strict: a refused message
 * or snapshot chunk fails the test.
 */
static struct rtc_cluster *rr_kt_new(struct kunit *test, u32 n, u32 voters,
				     bool pre_vote, bool check_quorum)
{
	struct raft_config cfg = {
		.election_ticks = 10,
		.heartbeat_ticks = 2,
		.max_inflight = 4,
		.max_append_entries = 16,
		.max_append_bytes = 4096,
		.max_uncommitted = 256,
		.pre_vote = pre_vote,
		.check_quorum = check_quorum,
		.catchup_entries = 4,
		.seed = 0x5eed0000ull + n,
	};
	struct raft_conf conf;
	struct rtc_cluster *c;

	rtc_voters(&conf, voters);
	c = rtc_new(rr_kt_env(test), n, &cfg, &conf);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c);
	c->strict = true;
	test->priv = c;
	return c;
}

static void rr_kt_status(struct rtc_cluster *c, u32 id, struct raft_status *st)
{
	raft_get_status(rtc_r(c, id), st);
}

static u32 rr_kt_elect(struct rtc_cluster *c, u32 id)
{
	struct kunit *test = rr_kt_test(c);

	KUNIT_EXPECT_EQ(test, 0, raft_campaign(rtc_r(c, id)));
	rtc_settle(c);
	KUNIT_EXPECT_EQ(test, (u32)RAFT_LEADER, raft_role(rtc_r(c, id)));
	return id;
}

/* Tick until some node leads, at most ten rounds: its id, or 0. */
static u32 rr_kt_await_leader(struct rtc_cluster *c)
{
	u32 i;

	for (i = 0; i < 10 && !rtc_leader(c); i++)
		rtc_tick_settle(c, 10);
	return rtc_leader(c);
}

static u64 rr_kt_propose(struct rtc_cluster *c, u32 id, u64 val)
{
	u64 index = 0;

	KUNIT_EXPECT_EQ(rr_kt_test(c), 0,
			rtc_propose_val(c, id, val, &index));
	return index;
}

/* Restart from what the node persisted: hard state, checkpoint, log. */
static void rr_kt_restart(struct rtc_cluster *c, u32 id)
{
	KUNIT_ASSERT_EQ(rr_kt_test(c), 0, rtc_restart(c, id));
}

/* Every up node applied the same entries up to `index`. */
static void rr_kt_expect_applied(struct rtc_cluster *c, u64 index)
{
	struct kunit *test = rr_kt_test(c);
	u32 id;

	for (id = 1; id <= c->n; id++) {
		if (!rtc_node(c, id)->up)
			continue;
		KUNIT_EXPECT_GE_MSG(test, rtc_node(c, id)->applied, index,
				    "node %u", id);
	}
}

/* Nodes a and b applied the same history up to index. */
static void rr_kt_expect_same(struct rtc_cluster *c, u32 a, u32 b, u64 index)
{
	KUNIT_EXPECT_EQ_MSG(rr_kt_test(c),
			    rtc_node(c, a)->hash_at[index],
			    rtc_node(c, b)->hash_at[index], "index %llu", index);
}

/* ------------------------------------------------------------------ */
/* the shared scenarios (tests/lib/rtc_scenarios.c) */

static void rr_raft_figure8_test(struct kunit *test)
{
	rtc_scn_figure8(rr_kt_env(test), 0);
	rtc_scn_figure8(rr_kt_env(test), 1);
}

static const void *rr_backup_gen_params(const void *prev, char *desc)
{
	const struct rtc_backup_case *t = prev;

	t = t ? t + 1 : rtc_backup_cases;
	if (t >= rtc_backup_cases + rtc_n_backup_cases)
		return NULL;
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
	return t;
}

static void rr_raft_fast_backup_test(struct kunit *test)
{
	rtc_scn_fast_backup(rr_kt_env(test), test->param_value);
}

static void rr_raft_snapshot_resume_test(struct kunit *test)
{
	rtc_scn_snapshot_resume(rr_kt_env(test));
	rtc_scn_snapshot_resume_older(rr_kt_env(test), false);
	rtc_scn_snapshot_resume_older(rr_kt_env(test), true);
}

/* ------------------------------------------------------------------ */
/* tests */

static void rr_raft_election_test(struct kunit *test)
{
	struct rtc_cluster *c = rr_kt_new(test, 3, 3, false, false);
	struct raft_status st;
	u32 lead, id;

	/* nobody leads at boot; randomized timeouts elect exactly one */
	KUNIT_EXPECT_EQ(test, 0u, rtc_leader(c));
	rtc_tick_settle(c, 40);
	lead = rtc_leader(c);
	KUNIT_ASSERT_NE(test, lead, 0u);
	rr_kt_status(c, lead, &st);
	for (id = 1; id <= 3; id++) {
		struct raft_status o;

		rr_kt_status(c, id, &o);
		KUNIT_EXPECT_EQ(test, o.term, st.term);
		KUNIT_EXPECT_EQ(test, o.leader, lead);
		if (id != lead)
			KUNIT_EXPECT_EQ(test, o.role, (u32)RAFT_FOLLOWER);
	}
	/* the new leader's NOOP commits and is applied everywhere */
	rtc_tick_settle(c, 4);
	rr_kt_expect_applied(c, st.last_index);
	KUNIT_EXPECT_EQ(test, c->g[1].type, (u32)RAFT_ENTRY_NOOP);
	/* heartbeats keep the leader: no new election */
	rtc_tick_settle(c, 100);
	KUNIT_EXPECT_EQ(test, rtc_leader(c), lead);
	KUNIT_EXPECT_EQ(test, raft_term(rtc_r(c, lead)), st.term);
}

static void rr_raft_replication_test(struct kunit *test)
{
	struct rtc_cluster *c = rr_kt_new(test, 3, 3, true, true);
	u32 lead, f, i;
	u64 idx = 0, term;

	lead = rr_kt_elect(c, 1);
	f = 2;
	/* followers refuse proposals */
	KUNIT_EXPECT_EQ(test, -EPERM, raft_propose(rtc_r(c, f), &idx, 8, &idx,
						   &term));
	for (i = 0; i < 50; i++)
		idx = rr_kt_propose(c, lead, 1000 + i);
	rtc_settle(c);
	rtc_tick_settle(c, 2);
	rr_kt_expect_applied(c, idx);
	for (i = 0; i < 50; i++)
		KUNIT_EXPECT_EQ(test, c->g[idx - 49 + i].val, 1000ull + i);
	for (f = 1; f <= 3; f++) {
		struct raft_status st;

		rr_kt_status(c, f, &st);
		KUNIT_EXPECT_EQ(test, st.commit, idx);
		KUNIT_EXPECT_EQ(test, st.last_index, idx);
		KUNIT_EXPECT_EQ(test, rtc_node(c, f)->last, idx);
	}

	/* a follower that misses writes catches up when it is back */
	rtc_isolate(c, 3, true);
	for (i = 0; i < 30; i++)
		idx = rr_kt_propose(c, lead, 2000 + i);
	rtc_tick_settle(c, 3);
	KUNIT_EXPECT_GE(test, rtc_node(c, 1)->applied, idx);
	KUNIT_EXPECT_LT(test, rtc_node(c, 3)->applied, idx);
	rtc_heal(c);
	rtc_tick_settle(c, 6);
	rr_kt_expect_applied(c, idx);
}

static void rr_raft_prevote_test(struct kunit *test)
{
	struct rtc_cluster *c = rr_kt_new(test, 3, 3, true, true);
	u64 term;
	u32 lead;

	rr_kt_elect(c, 1);
	rtc_tick_settle(c, 4);
	term = raft_term(rtc_r(c, 1));

	/* a partitioned node pre-votes forever without raising its term */
	rtc_isolate(c, 3, true);
	rtc_tick_settle(c, 100);
	KUNIT_EXPECT_EQ(test, raft_term(rtc_r(c, 3)), term);
	KUNIT_EXPECT_NE(test, raft_role(rtc_r(c, 3)), (u32)RAFT_LEADER);
	/* and does not disturb the leader when it comes back */
	rtc_heal(c);
	rtc_tick_settle(c, 20);
	KUNIT_EXPECT_EQ(test, rtc_leader(c), 1u);
	KUNIT_EXPECT_EQ(test, raft_term(rtc_r(c, 1)), term);

	/* a follower with a live leader ignores a campaign (stickiness) */
	KUNIT_EXPECT_EQ(test, 0, raft_campaign(rtc_r(c, 2)));
	rtc_settle(c);
	KUNIT_EXPECT_EQ(test, rtc_leader(c), 1u);
	KUNIT_EXPECT_EQ(test, raft_term(rtc_r(c, 1)), term);

	/* check quorum: an isolated leader steps down by itself */
	rtc_isolate(c, 1, true);
	rtc_tick_settle(c, 25);
	KUNIT_EXPECT_NE(test, raft_role(rtc_r(c, 1)), (u32)RAFT_LEADER);
	lead = rr_kt_await_leader(c);
	KUNIT_EXPECT_NE(test, lead, 0u);
	KUNIT_EXPECT_NE(test, lead, 1u);
	rtc_heal(c);
	rtc_tick_settle(c, 20);
	KUNIT_EXPECT_NE(test, rtc_leader(c), 0u);
	KUNIT_EXPECT_NE(test, raft_role(rtc_r(c, 1)), (u32)RAFT_LEADER);
	KUNIT_EXPECT_EQ(test, raft_term(rtc_r(c, 1)), raft_term(rtc_r(c, rtc_leader(c))));
}

static void rr_raft_read_index_test(struct kunit *test)
{
	struct rtc_cluster *c = rr_kt_new(test, 3, 3, true, true);
	u64 idx, ri = 0;
	u32 i;

	rr_kt_elect(c, 1);
	for (i = 0; i < 5; i++)
		idx = rr_kt_propose(c, 1, 10 + i);
	rtc_tick_settle(c, 2);
	KUNIT_ASSERT_EQ(test, rtc_commit(c, 1), idx);

	/* only the leader serves reads */
	KUNIT_EXPECT_EQ(test, -EPERM, raft_read_index(rtc_r(c, 2), 1));

	/* confirmed by a heartbeat round: at least the commit index */
	KUNIT_EXPECT_EQ(test, 0, raft_read_index(rtc_r(c, 1), 77));
	rtc_settle(c);
	rtc_tick_settle(c, 2);
	KUNIT_ASSERT_TRUE(test, rtc_has_read(rtc_node(c, 1), 77, &ri));
	KUNIT_EXPECT_GE(test, ri, idx);

	/* a leader cut off from the majority confirms nothing */
	rtc_isolate(c, 1, true);
	KUNIT_EXPECT_EQ(test, 0, raft_read_index(rtc_r(c, 1), 88));
	rtc_tick_settle(c, 6);
	KUNIT_EXPECT_FALSE(test, rtc_has_read(rtc_node(c, 1), 88, &ri));
	/* until the majority answers again */
	rtc_heal(c);
	rtc_tick_settle(c, 3);
	KUNIT_EXPECT_TRUE(test, rtc_has_read(rtc_node(c, 1), 88, &ri));
	KUNIT_EXPECT_GE(test, ri, idx);
}

static void rr_raft_lease_read_test(struct kunit *test)
{
	struct rtc_cluster *c;
	u64 ri = 0;
	u32 lead;
	int ret;

	c = rr_kt_new(test, 3, 3, true, true);
	/* lease reads: restart with a lease of election - drift ticks */
	rtc_crash(c, 1);
	rtc_crash(c, 2);
	rtc_crash(c, 3);
	c->cfg.lease_drift_ticks = 4;
	rr_kt_restart(c, 1);
	rr_kt_restart(c, 2);
	rr_kt_restart(c, 3);

	/*
	 * A restarted node grants no vote for one election timeout (a lease
	 * it granted before the restart may still be running): a campaign
	 * right away fails, the normal timeouts then elect a leader.
	 */
	KUNIT_EXPECT_EQ(test, 0, raft_campaign(rtc_r(c, 1)));
	rtc_settle(c);
	KUNIT_EXPECT_NE(test, raft_role(rtc_r(c, 1)), (u32)RAFT_LEADER);
	lead = rr_kt_await_leader(c);
	KUNIT_ASSERT_NE(test, lead, 0u);
	rtc_tick_settle(c, 4);

	/* within the lease a read needs no round trip at all */
	rtc_isolate(c, lead, true);
	KUNIT_EXPECT_EQ(test, 0, raft_read_index(rtc_r(c, lead), 5));
	rtc_settle(c);
	KUNIT_EXPECT_TRUE(test, rtc_has_read(rtc_node(c, lead), 5, &ri));
	KUNIT_EXPECT_EQ(test, ri, rtc_commit(c, lead));

	/*
	 * Once the lease ran out it does: the read waits (or is refused if
	 * check-quorum already demoted the leader), it is never served.
	 */
	rtc_tick_settle(c, 7);
	ret = raft_read_index(rtc_r(c, lead), 6);
	KUNIT_EXPECT_TRUE(test, ret == 0 || ret == -EPERM);
	rtc_settle(c);
	KUNIT_EXPECT_FALSE(test, rtc_has_read(rtc_node(c, lead), 6, &ri));
}

static void rr_raft_transfer_test(struct kunit *test)
{
	struct rtc_cluster *c = rr_kt_new(test, 3, 3, true, true);
	u64 term, idx;
	u32 i;

	rr_kt_elect(c, 1);
	for (i = 0; i < 5; i++)
		idx = rr_kt_propose(c, 1, i);
	rtc_tick_settle(c, 2);
	term = raft_term(rtc_r(c, 1));

	KUNIT_EXPECT_EQ(test, -EINVAL, raft_transfer_leader(rtc_r(c, 1), 9));
	KUNIT_EXPECT_EQ(test, -EPERM, raft_transfer_leader(rtc_r(c, 2), 3));
	KUNIT_EXPECT_EQ(test, 0, raft_transfer_leader(rtc_r(c, 1), 2));
	/* no proposals while the leadership moves */
	KUNIT_EXPECT_EQ(test, -EPERM, raft_propose(rtc_r(c, 1), &idx, 8, NULL, NULL));
	rtc_settle(c);
	KUNIT_EXPECT_EQ(test, rtc_leader(c), 2u);
	KUNIT_EXPECT_EQ(test, raft_term(rtc_r(c, 2)), term + 1);

	/* to a lagging node: it is caught up first, then takes over */
	rtc_isolate(c, 3, true);
	for (i = 0; i < 20; i++)
		idx = rr_kt_propose(c, 2, 100 + i);
	rtc_tick_settle(c, 2);
	KUNIT_EXPECT_LT(test, rtc_last(c, 3), idx);
	rtc_heal(c);
	KUNIT_EXPECT_EQ(test, 0, raft_transfer_leader(rtc_r(c, 2), 3));
	rtc_settle(c);
	rtc_tick_settle(c, 4);
	KUNIT_EXPECT_EQ(test, rtc_leader(c), 3u);
	rr_kt_expect_applied(c, idx);
	idx = rr_kt_propose(c, 3, 999);
	rtc_tick_settle(c, 2);
	rr_kt_expect_applied(c, idx);
}

/*
 * After {1, 2, 3} + learner 4 became {1, 2, 4}: node 3 is ignored, the
 * others commit, then the leader removes itself and steps down.
 */
static void rr_joint_consensus_after(struct rtc_cluster *c, struct raft_conf *t)
{
	struct kunit *test = rr_kt_test(c);
	u64 idx, term;
	u32 lead;

	/*
	 * Node 3, removed, hears nothing any more and keeps campaigning: the
	 * voters ignore a non-member, the leader and its term stay.
	 */
	term = raft_term(rtc_r(c, 1));
	rtc_tick_settle(c, 100);
	KUNIT_EXPECT_EQ(test, raft_role(rtc_r(c, 1)), (u32)RAFT_LEADER);
	KUNIT_EXPECT_EQ(test, raft_term(rtc_r(c, 1)), term);
	KUNIT_EXPECT_EQ(test, raft_term(rtc_r(c, 2)), term);
	KUNIT_EXPECT_EQ(test, -EINVAL, raft_transfer_leader(rtc_r(c, 1), 3));

	/* node 3 is gone: {1, 2, 4} still commit */
	rtc_crash(c, 3);
	idx = rr_kt_propose(c, 1, 0xabc);
	rtc_tick_settle(c, 4);
	KUNIT_EXPECT_GE(test, rtc_commit(c, 1), idx);
	KUNIT_EXPECT_GE(test, rtc_node(c, 4)->applied, idx);

	/* 3. remove the leader itself: it steps down once C_new commits */
	t->voters[0] = 2;
	t->voters[1] = 4;
	t->n_voters = 2;
	KUNIT_ASSERT_EQ(test, 0, raft_change_conf(rtc_r(c, 1), t));
	rtc_tick_settle(c, 6);
	KUNIT_EXPECT_NE(test, raft_role(rtc_r(c, 1)), (u32)RAFT_LEADER);
	lead = rr_kt_await_leader(c);
	KUNIT_ASSERT_TRUE(test, lead == 2 || lead == 4);
	idx = rr_kt_propose(c, lead, 0xdef);
	rtc_tick_settle(c, 4);
	KUNIT_EXPECT_GE(test, rtc_node(c, 2)->applied, idx);
	KUNIT_EXPECT_GE(test, rtc_node(c, 4)->applied, idx);
}

static void rr_raft_joint_consensus_test(struct kunit *test)
{
	struct rtc_cluster *c = rr_kt_new(test, 4, 3, true, true);
	struct raft_conf t;
	struct raft_status st;
	u64 idx;
	u32 i, id;

	rr_kt_elect(c, 1);
	for (i = 0; i < 20; i++)
		idx = rr_kt_propose(c, 1, i);
	rtc_tick_settle(c, 2);

	/* refused: not leader, no voters, duplicate or zero ids */
	rtc_voters(&t, 3);
	KUNIT_EXPECT_EQ(test, -EPERM, raft_change_conf(rtc_r(c, 2), &t));
	t.n_voters = 0;
	KUNIT_EXPECT_EQ(test, -EINVAL, raft_change_conf(rtc_r(c, 1), &t));
	rtc_voters(&t, 3);
	t.voters[2] = 2;
	KUNIT_EXPECT_EQ(test, -EINVAL, raft_change_conf(rtc_r(c, 1), &t));
	t.voters[2] = 0;
	KUNIT_EXPECT_EQ(test, -EINVAL, raft_change_conf(rtc_r(c, 1), &t));

	/* 1. node 4 joins as a learner and receives the log */
	rtc_voters(&t, 3);
	t.learners[0] = 4;
	t.n_learners = 1;
	KUNIT_ASSERT_EQ(test, 0, raft_change_conf(rtc_r(c, 1), &t));
	rtc_tick_settle(c, 6);
	rr_kt_status(c, 4, &st);
	KUNIT_EXPECT_EQ(test, st.conf.n_learners, 1);
	KUNIT_EXPECT_EQ(test, st.conf.learners[0], 4u);
	KUNIT_EXPECT_FALSE(test, raft_conf_is_voter(&st.conf, 4));
	idx = rtc_last(c, 1);
	rr_kt_expect_applied(c, idx);
	/* a learner cannot take the leadership */
	KUNIT_EXPECT_EQ(test, -EINVAL, raft_transfer_leader(rtc_r(c, 1), 4));
	KUNIT_EXPECT_EQ(test, -EPERM, raft_campaign(rtc_r(c, 4)));

	/* a learner that is behind cannot be promoted */
	rtc_isolate(c, 4, true);
	for (i = 0; i < 10; i++)
		idx = rr_kt_propose(c, 1, 50 + i);
	rtc_tick_settle(c, 2);
	rtc_voters(&t, 4);
	KUNIT_EXPECT_EQ(test, -EAGAIN, raft_change_conf(rtc_r(c, 1), &t));
	rtc_heal(c);
	rtc_tick_settle(c, 6);

	/* 2. promote 4 and remove 3 at once: C_old,new then C_new */
	t.voters[2] = 4;
	t.n_voters = 3;
	KUNIT_ASSERT_EQ(test, 0, raft_change_conf(rtc_r(c, 1), &t));
	rr_kt_status(c, 1, &st);
	KUNIT_EXPECT_EQ(test, st.conf.n_voters_old, 3);
	KUNIT_EXPECT_TRUE(test, st.conf_pending);
	KUNIT_EXPECT_EQ(test, -EBUSY, raft_change_conf(rtc_r(c, 1), &t));
	rtc_tick_settle(c, 6);
	for (id = 1; id <= 4; id++) {
		if (id == 3)
			continue;
		rr_kt_status(c, id, &st);
		KUNIT_EXPECT_EQ_MSG(test, st.conf.n_voters_old, 0, "node %u", id);
		KUNIT_EXPECT_EQ_MSG(test, st.conf.n_voters, 3, "node %u", id);
		KUNIT_EXPECT_TRUE(test, raft_conf_is_voter(&st.conf, 4));
		KUNIT_EXPECT_FALSE(test, raft_conf_is_voter(&st.conf, 3));
		KUNIT_EXPECT_FALSE(test, st.conf_pending);
	}

	rr_joint_consensus_after(c, &t);
}

static void rr_raft_snapshot_test(struct kunit *test)
{
	struct rtc_cluster *c = rr_kt_new(test, 3, 3, true, true);
	struct raft_status st;
	u64 idx, snap;
	u32 i;

	rr_kt_elect(c, 1);
	rtc_tick_settle(c, 2);
	rtc_isolate(c, 3, true);
	for (i = 0; i < 40; i++)
		idx = rr_kt_propose(c, 1, 7000 + i);
	rtc_tick_settle(c, 2);
	KUNIT_ASSERT_EQ(test, rtc_commit(c, 1), idx);

	/* compacting beyond what is applied is refused */
	KUNIT_EXPECT_EQ(test, -EINVAL, raft_compact(rtc_r(c, 1), idx + 1));
	/* leader and node 2 checkpoint; node 3 now needs a snapshot */
	snap = idx - 5;
	KUNIT_ASSERT_EQ(test, 0, rtc_compact(c, 1, snap));
	KUNIT_ASSERT_EQ(test, 0, rtc_compact(c, 2, snap));
	rr_kt_status(c, 1, &st);
	KUNIT_EXPECT_EQ(test, st.snap_index, snap);
	KUNIT_EXPECT_EQ(test, st.first_index, snap + 1);
	KUNIT_EXPECT_EQ(test, raft_term_at(rtc_r(c, 1), snap - 1), 0ull);
	KUNIT_EXPECT_EQ(test, raft_term_at(rtc_r(c, 1), snap), st.snap_term);
	KUNIT_EXPECT_EQ(test, rtc_node(c, 1)->snap.term, st.snap_term);

	rtc_heal(c);
	rtc_tick_settle(c, 20);
	/* installed in two chunks, then the tail through appends */
	KUNIT_EXPECT_EQ(test, rtc_node(c, 3)->n_snap_installed, 1u);
	KUNIT_EXPECT_EQ(test, rtc_node(c, 3)->n_installs,
			(u32)(RTC_SNAP_BYTES / RTC_SNAP_CHUNK));
	KUNIT_EXPECT_EQ(test, rtc_node(c, 3)->snap.index, snap);
	rr_kt_expect_applied(c, idx);
	rr_kt_status(c, 3, &st);
	KUNIT_EXPECT_FALSE(test, st.inconsistent);
	KUNIT_EXPECT_EQ(test, st.snap_index, snap);
	KUNIT_EXPECT_EQ(test, st.last_index, idx);
	for (i = snap; i <= idx; i++)
		rr_kt_expect_same(c, 3, 1, i);

	/* node 3 restarts from its checkpoint plus log and keeps up */
	rtc_crash(c, 3);
	rr_kt_restart(c, 3);
	idx = rr_kt_propose(c, 1, 0x5a5a);
	rtc_tick_settle(c, 6);
	rr_kt_expect_applied(c, idx);
	KUNIT_EXPECT_EQ(test, c->g[idx].val, 0x5a5aull);
	rr_kt_expect_same(c, 3, 1, idx);
}

static void rr_raft_restart_test(struct kunit *test)
{
	struct rtc_cluster *c = rr_kt_new(test, 3, 3, true, true);
	u64 idx, commit;
	u32 i, id, lead;

	rr_kt_elect(c, 1);
	for (i = 0; i < 10; i++)
		idx = rr_kt_propose(c, 1, 300 + i);
	rtc_tick_settle(c, 2);
	commit = rtc_commit(c, 1);
	KUNIT_ASSERT_EQ(test, commit, idx);

	/* the leader crashes; the others elect a new one and go on */
	rtc_crash(c, 1);
	lead = rr_kt_await_leader(c);
	KUNIT_ASSERT_TRUE(test, lead == 2 || lead == 3);
	idx = rr_kt_propose(c, lead, 400);
	rtc_tick_settle(c, 2);

	/* it restarts from its own disk and converges (checked per apply) */
	rr_kt_restart(c, 1);
	KUNIT_EXPECT_EQ(test, raft_role(rtc_r(c, 1)), (u32)RAFT_FOLLOWER);
	rtc_tick_settle(c, 10);
	rr_kt_expect_applied(c, idx);

	/* the whole cluster restarts: nothing committed is lost */
	for (id = 1; id <= 3; id++)
		rtc_crash(c, id);
	for (id = 1; id <= 3; id++) {
		rr_kt_restart(c, id);
		KUNIT_EXPECT_GE(test, rtc_last(c, id), idx);
	}
	lead = rr_kt_await_leader(c);
	KUNIT_ASSERT_NE(test, lead, 0u);
	idx = rr_kt_propose(c, lead, 500);
	rtc_tick_settle(c, 4);
	rr_kt_expect_applied(c, idx);
	for (i = 0; i < 10; i++)
		KUNIT_EXPECT_EQ(test, c->g[commit - 9 + i].val, 300ull + i);
}

static void rr_raft_single_node_test(struct kunit *test)
{
	struct rtc_cluster *c = rr_kt_new(test, 1, 1, true, true);
	u64 idx = 0, ri = 0;
	u32 i;

	/* a one-node cluster elects itself and commits on its own write */
	rtc_tick_settle(c, 30);
	KUNIT_ASSERT_EQ(test, rtc_leader(c), 1u);
	for (i = 0; i < 8; i++)
		idx = rr_kt_propose(c, 1, i);
	rtc_settle(c);
	KUNIT_EXPECT_EQ(test, rtc_commit(c, 1), idx);
	rr_kt_expect_applied(c, idx);
	KUNIT_EXPECT_EQ(test, 0, raft_read_index(rtc_r(c, 1), 3));
	rtc_settle(c);
	KUNIT_EXPECT_TRUE(test, rtc_has_read(rtc_node(c, 1), 3, &ri));
	KUNIT_EXPECT_EQ(test, ri, idx);
}

static void rr_raft_create_errors_test(struct kunit *test)
{
	struct raft_config cfg = { .id = 1, .election_ticks = 10,
				   .heartbeat_ticks = 1 };
	struct raft_entry e[2] = {};
	struct raft_boot boot = {};
	struct raft *r = NULL;

	rtc_voters(&boot.snap.conf, 3);
	cfg.id = 0;
	KUNIT_EXPECT_EQ(test, -EINVAL, raft_create(&r, &cfg, &boot));
	cfg.id = 1;
	cfg.heartbeat_ticks = 10;
	KUNIT_EXPECT_EQ(test, -EINVAL, raft_create(&r, &cfg, &boot));
	cfg.heartbeat_ticks = 1;
	/* boot entries must follow the checkpoint without gaps */
	boot.hs.term = 2;
	e[0].index = 1;
	e[0].term = 1;
	e[1].index = 3;
	e[1].term = 1;
	boot.entries = e;
	boot.n_entries = 2;
	KUNIT_EXPECT_EQ(test, -EINVAL, raft_create(&r, &cfg, &boot));
	/* and carry no term above the hard state's */
	e[1].index = 2;
	e[1].term = 3;
	KUNIT_EXPECT_EQ(test, -EINVAL, raft_create(&r, &cfg, &boot));
	e[1].term = 2;
	KUNIT_ASSERT_EQ(test, 0, raft_create(&r, &cfg, &boot));
	KUNIT_EXPECT_EQ(test, raft_term_at(r, 2), 2ull);
	KUNIT_EXPECT_EQ(test, raft_term_at(r, 3), 0ull);
	KUNIT_EXPECT_EQ(test, raft_role(r), (u32)RAFT_FOLLOWER);
	KUNIT_EXPECT_EQ(test, raft_leader(r), (u32)RAFT_NONE);
	KUNIT_EXPECT_STREQ(test, raft_role_name(RAFT_LEADER), "leader");
	KUNIT_EXPECT_NOT_ERR_OR_NULL(test, raft_msg_type_name(RAFT_MSG_APPEND));
	/* a malformed message is refused without a change of state */
	{
		struct raft_msg m = { .type = RAFT_MSG_TYPE_MAX + 1, .from = 2,
				      .to = 1, .term = 5 };

		KUNIT_EXPECT_EQ(test, -EINVAL, raft_step(r, &m));
		m.type = RAFT_MSG_APPEND;
		m.from = 0;
		KUNIT_EXPECT_EQ(test, -EINVAL, raft_step(r, &m));
		KUNIT_EXPECT_EQ(test, raft_term(r), 2ull);
	}
	raft_destroy(r);
}

static void rr_raft_backpressure_test(struct kunit *test)
{
	struct rtc_cluster *c = rr_kt_new(test, 3, 3, true, true);
	u64 v = 1, idx = 0, first;
	u32 n = 0;
	int err;

	rr_kt_elect(c, 1);
	rtc_tick_settle(c, 2);
	first = rtc_commit(c, 1);
	/* without a majority nothing commits: proposals stop at the limit */
	rtc_isolate(c, 1, true);
	while ((err = raft_propose(rtc_r(c, 1), &v, sizeof(v), &idx, NULL)) == 0) {
		KUNIT_ASSERT_LT(test, n++, 1000u);
		rtc_settle(c);
	}
	KUNIT_EXPECT_EQ(test, err, -EBUSY);
	KUNIT_EXPECT_EQ(test, idx - first, (u64)c->cfg.max_uncommitted);
	KUNIT_EXPECT_EQ(test, rtc_commit(c, 1), first);
	/* with the majority back, they all commit and room opens again */
	rtc_heal(c);
	rtc_tick_settle(c, 10);
	rr_kt_expect_applied(c, idx);
	KUNIT_EXPECT_EQ(test, 0, raft_propose(rtc_r(c, 1), &v, sizeof(v), NULL, NULL));
}

/*
 * Chaos: five nodes, a seeded random schedule of crashes, restarts, cut
 * links, heals and checkpoints while proposals keep coming.  The safety
 * checks run on every apply and every ready; at the end, with everybody
 * back and connected, the cluster must elect a leader and commit again.
 */
static void rr_kt_compact_node(struct rtc_cluster *c, u32 id)
{
	struct raft_status st;

	rr_kt_status(c, id, &st);
	if (st.applied < st.snap_index + 3)
		return;
	KUNIT_ASSERT_EQ(rr_kt_test(c), 0,
			rtc_compact(c, id, st.applied - 2));
}

static void rr_raft_chaos_test(struct kunit *test)
{
	struct rtc_cluster *c = rr_kt_new(test, 5, 5, true, true);
	struct rnd_state rs;
	u32 round, id, props = 0, a, b, i;
	u64 v, idx = 0;

	prandom_seed_state(&rs, 0x5eedc4a05ull);
	for (round = 0; round < 1500; round++) {
		u32 dice = prandom_u32_state(&rs) % 100;

		id = prandom_u32_state(&rs) % 5 + 1;
		if (dice < 4 && rtc_node(c, id)->up) {
			rtc_crash(c, id);
		} else if (dice < 5 && rtc_leader(c)) {
			rtc_crash(c, rtc_leader(c));
		} else if (dice < 13 && !rtc_node(c, id)->up) {
			rr_kt_restart(c, id);
		} else if (dice < 23) {
			a = prandom_u32_state(&rs) % 5 + 1;
			b = prandom_u32_state(&rs) % 5 + 1;
			c->cut[a - 1][b - 1] = true;
			c->cut[b - 1][a - 1] = true;
		} else if (dice < 27) {
			rtc_heal(c);
		} else if (dice < 30 && rtc_node(c, id)->up) {
			rr_kt_compact_node(c, id);
		}
		if (prandom_u32_state(&rs) % 4)
			goto tick;
		for (id = 1; id <= 5 && props < 250; id++) {
			if (!rtc_node(c, id)->up || raft_role(rtc_r(c, id)) != RAFT_LEADER)
				continue;
			v = 0xc0000000ull + props;
			if (!raft_propose(rtc_r(c, id), &v, sizeof(v), NULL, NULL))
				props++;
			break;
		}
tick:
		rtc_tick_settle(c, 1);
	}
	/* everybody back, every link up: liveness */
	rtc_heal(c);
	for (id = 1; id <= 5; id++)
		if (!rtc_node(c, id)->up)
			rr_kt_restart(c, id);
	for (i = 0; i < 20 && !rtc_leader(c); i++)
		rtc_tick_settle(c, 10);
	id = rtc_leader(c);
	KUNIT_ASSERT_NE(test, id, 0u);
	v = 0xe0d;
	KUNIT_ASSERT_EQ(test, 0, raft_propose(rtc_r(c, id), &v, sizeof(v), &idx, NULL));
	rtc_tick_settle(c, 30);
	rr_kt_expect_applied(c, idx);
	KUNIT_EXPECT_EQ(test, c->g[idx].val, 0xe0dull);
	KUNIT_EXPECT_GT(test, props, 50u);
	kunit_info(test, "chaos: %u proposals accepted, final index %llu, term %llu\n",
		   props, idx, raft_term(rtc_r(c, id)));
}

static struct kunit_case rr_raft_cases[] = {
	KUNIT_CASE(rr_raft_create_errors_test),
	KUNIT_CASE(rr_raft_single_node_test),
	KUNIT_CASE(rr_raft_election_test),
	KUNIT_CASE(rr_raft_replication_test),
	KUNIT_CASE(rr_raft_figure8_test),
	KUNIT_CASE_PARAM(rr_raft_fast_backup_test, rr_backup_gen_params),
	KUNIT_CASE(rr_raft_prevote_test),
	KUNIT_CASE(rr_raft_read_index_test),
	KUNIT_CASE(rr_raft_lease_read_test),
	KUNIT_CASE(rr_raft_transfer_test),
	KUNIT_CASE(rr_raft_joint_consensus_test),
	KUNIT_CASE(rr_raft_snapshot_test),
	KUNIT_CASE(rr_raft_snapshot_resume_test),
	KUNIT_CASE(rr_raft_restart_test),
	KUNIT_CASE(rr_raft_backpressure_test),
	KUNIT_CASE(rr_raft_chaos_test),
	{}
};

static struct kunit_suite rr_raft_suite = {
	.name = "rraft_raft",
	.exit = rr_kt_exit,
	.test_cases = rr_raft_cases,
};

kunit_test_suite(rr_raft_suite);
