// SPDX-License-Identifier: GPL-2.0
/*
 * test_conf.c - unit tests of the Raft core: membership changes and the
 * configuration codec.
 */
#include "unit.h"

/* Joint consensus: learner add, promotion, removal of the leader, refusals. */
static void test_joint_consensus(void)
{
	const u32 v3[] = { 1, 2, 3 }, l4[] = { 4 }, v4[] = { 1, 2, 3, 4 };
	struct raft_conf init = mkconf(v3, 3, NULL, 0), t;
	struct rtc_cluster *c;
	struct raft_status *st;
	u32 l, i, nl, rest[3], nr = 0;
	int k;

	c = led_cluster(4, NULL, &init, &l);
	if (!l)
		goto out;
	CHECK(l <= 3);
	CHECK_EQ(raft_role(rtc_node(c, 4)->r), RAFT_FOLLOWER);
	CHECK_EQ(raft_term(rtc_node(c, 4)->r), 0);	/* not a member: never campaigns */
	/* promote a stranger straight away? allowed only as learner first here */
	t = mkconf(v3, 3, l4, 1);
	CHECK_EQ(raft_change_conf(rtc_node(c, l)->r, &t), 0);
	CHECK_EQ(raft_change_conf(rtc_node(c, l)->r, &t), -EBUSY);
	st = rtc_status(c, l);
	CHECK_EQ(st->conf.n_learners, 1);
	CHECK_EQ(st->conf.n_voters_old, 0);	/* learner-only: one entry */
	CHECK(st->conf_pending);
	rtc_tick_all(c, 5);
	CHECK(!rtc_status(c, l)->conf_pending);
	CHECK_EQ(rtc_status(c, 4)->conf.n_learners, 1);
	/* learner lagging -> promotion refused */
	rtc_isolate(c, 4, true);
	for (k = 0; k < 20; k++)
		rtc_propose(c, l, "p");
	rtc_tick_all(c, 2);
	t = mkconf(v4, 4, NULL, 0);
	CHECK_EQ(raft_change_conf(rtc_node(c, l)->r, &t), -EAGAIN);
	rtc_isolate(c, 4, false);
	rtc_tick_all(c, 5);
	CHECK_EQ(raft_change_conf(rtc_node(c, l)->r, &t), 0);
	st = rtc_status(c, l);
	CHECK_EQ(st->conf.n_voters_old, 3);	/* C_old,new */
	CHECK_EQ(st->conf.n_voters, 4);
	rtc_tick_all(c, 5);
	st = rtc_status(c, l);
	CHECK_EQ(st->conf.n_voters_old, 0);	/* C_new appended by the leader */
	CHECK_EQ(st->conf.n_voters, 4);
	CHECK(!st->conf_pending);
	for (i = 1; i <= 4; i++)
		CHECK_EQ(rtc_status(c, i)->conf.n_voters, 4);
	/* remove the leader itself */
	for (i = 1; i <= 4; i++)
		if (i != l)
			rest[nr++] = i;
	t = mkconf(rest, 3, NULL, 0);
	CHECK_EQ(raft_change_conf(rtc_node(c, l)->r, &t), 0);
	rtc_stabilize(c);
	rtc_tick_all(c, 3);
	CHECK(raft_role(rtc_node(c, l)->r) != RAFT_LEADER);
	rtc_tick_all(c, 40);
	nl = rtc_leader(c);
	CHECK(nl && nl != l);
	if (nl) {
		CHECK_EQ(rtc_status(c, nl)->conf.n_voters, 3);
		CHECK(!raft_conf_is_member(&rtc_status(c, nl)->conf, l));
		CHECK_EQ(rtc_propose(c, nl, "after"), 0);
		rtc_tick_all(c, 3);
		for (i = 0; i < 3; i++)
			CHECK_EQ(rtc_commit(c, rest[i]), rtc_commit(c, nl));
	}
	/* the removed node never campaigns */
	CHECK(raft_role(rtc_node(c, l)->r) == RAFT_FOLLOWER);
out:
	SAFE(c);
	rtc_free(c);
}

/* -EAGAIN before the leader committed an entry of its term; -EINVAL targets; -EPERM. */
static void test_conf_refusals(void)
{
	const u32 v3[] = { 1, 2, 3 }, dup[] = { 1, 1, 2 }, z[] = { 1, 0 };
	struct raft_conf t = mkconf(v3, 3, NULL, 0), bad;
	struct rtc_cluster *c;
	struct raft *r;

	c = rtc_new(UENV, 3, NULL, NULL);
	CHECK_EQ(raft_change_conf(rtc_node(c, 1)->r, &t), -EPERM);
	campaign_votes(c, 1);
	r = rtc_node(c, 1)->r;
	CHECK_EQ(raft_role(r), RAFT_LEADER);
	CHECK_EQ(raft_change_conf(r, &t), -EAGAIN);
	rtc_stabilize(c);
	bad = mkconf(dup, 3, NULL, 0);
	CHECK_EQ(raft_change_conf(r, &bad), -EINVAL);
	bad = mkconf(z, 2, NULL, 0);
	CHECK_EQ(raft_change_conf(r, &bad), -EINVAL);
	bad = mkconf(NULL, 0, v3, 3);
	CHECK_EQ(raft_change_conf(r, &bad), -EINVAL);	/* no voters */
	bad = mkconf(v3, 3, v3, 1);
	CHECK_EQ(raft_change_conf(r, &bad), -EINVAL);	/* voter and learner */
	bad = mkconf(v3, 3, NULL, 0);
	bad.n_voters_old = 1;
	bad.voters_old[0] = 2;
	CHECK_EQ(raft_change_conf(r, &bad), -EINVAL);
	CHECK_EQ(raft_change_conf(r, &t), 0);	/* same voters: one entry */
	CHECK_EQ(rtc_status(c, 1)->conf.n_voters_old, 0);
	rtc_tick_all(c, 3);
	SAFE(c);
	rtc_free(c);
}

/* Configuration encoding: round trips and defensive decoding. */
static void test_conf_codec(void)
{
	u8 buf[RAFT_CONF_ENCODED_SIZE], b2[RAFT_CONF_ENCODED_SIZE];
	struct raft_conf a, b;
	u32 i, j, ok = 0, bad = 0;

	CHECK_EQ(RAFT_CONF_ENCODED_SIZE, 112);
	for (i = 0; i < 2000; i++) {
		memset(&a, 0, sizeof(a));
		a.n_voters = (u8)(1 + prng() % RAFT_MAX_MEMBERS);
		a.n_voters_old = (u8)(prng() % (RAFT_MAX_MEMBERS + 1));
		a.n_learners = (u8)(prng() % (RAFT_MAX_MEMBERS + 1));
		for (j = 0; j < a.n_voters; j++)
			a.voters[j] = j + 1;
		for (j = 0; j < a.n_voters_old; j++)
			a.voters_old[j] = 100 + j;
		for (j = 0; j < a.n_learners; j++)
			a.learners[j] = 200 + j;
		raft_conf_encode(&a, buf);
		CHECK_EQ(raft_conf_decode(&b, buf, sizeof(buf)), 0);
		CHECK(memcmp(&a, &b, sizeof(a)) == 0);
		CHECK_EQ(raft_conf_decode(&b, buf, sizeof(buf) - 1), -EINVAL);
		/* flip random bytes: either rejected or a valid conf that
		 * re-encodes to the same bytes */
		buf[prng() % sizeof(buf)] ^= (u8)(1 + prng() % 255);
		if (raft_conf_decode(&b, buf, sizeof(buf)) == 0) {
			raft_conf_encode(&b, b2);
			CHECK(memcmp(buf, b2, sizeof(buf)) == 0);
			CHECK(b.n_voters <= RAFT_MAX_MEMBERS);
			ok++;
		} else {
			bad++;
		}
	}
	CHECK(ok > 0 && bad > 0);
	/* little-endian layout */
	memset(&a, 0, sizeof(a));
	a.n_voters = 1;
	a.voters[0] = 0x04030201;
	raft_conf_encode(&a, buf);
	CHECK_EQ(buf[0], 1);
	CHECK_EQ(buf[4], 1);
	CHECK_EQ(buf[7], 4);
	/* specific rejects */
	buf[0] = 10;
	CHECK_EQ(raft_conf_decode(&b, buf, sizeof(buf)), -EINVAL);
	a.n_voters = 2;
	a.voters[1] = 0x04030201;
	raft_conf_encode(&a, buf);
	CHECK_EQ(raft_conf_decode(&b, buf, sizeof(buf)), -EINVAL);	/* dup */
	a.voters[1] = 0;
	raft_conf_encode(&a, buf);
	CHECK_EQ(raft_conf_decode(&b, buf, sizeof(buf)), -EINVAL);	/* zero */
	a.n_voters = 1;
	raft_conf_encode(&a, buf);
	buf[4 + 4 * 5] = 9;	/* garbage in an unused slot */
	CHECK_EQ(raft_conf_decode(&b, buf, sizeof(buf)), -EINVAL);
	CHECK_EQ(raft_conf_decode(&b, NULL, 0), -EINVAL);
	CHECK(raft_conf_is_voter(&a, 0x04030201));
	CHECK(!raft_conf_is_member(&a, 5));
}

/*
 * Stray election answers and votes from non-voters change nothing; a
 * brand-new voter (not a lagging learner) may be added directly.
 */
static void test_stray_votes_and_new_voter(void)
{
	const u32 v3[] = { 1, 2, 3 }, v35[] = { 1, 2, 3, 5 };
	struct raft_conf init = mkconf(v3, 3, NULL, 0), t;
	struct rtc_cluster *c;
	struct raft_msg m;
	u32 l;

	c = led_cluster(5, NULL, &init, &l);
	if (!l)
		goto out;
	CHECK(l <= 3);
	m = mk(RAFT_MSG_PREVOTE_RESP, 5, l, raft_term(rtc_r(c, l)) + 1);
	raft_step(rtc_r(c, l), &m);
	m = mk(RAFT_MSG_PREVOTE, 5, l % 3 + 1, raft_term(rtc_r(c, l)) + 1);
	raft_step(rtc_r(c, l % 3 + 1), &m);
	CHECK_EQ(raft_term(rtc_r(c, l % 3 + 1)), raft_term(rtc_r(c, l)));
	t = mkconf(v35, 4, NULL, 0);
	CHECK_EQ(raft_transfer_leader(rtc_r(c, l), l % 3 + 1), 0);
	CHECK_EQ(raft_change_conf(rtc_r(c, l), &t), -EPERM);
	rtc_stabilize(c);
	rtc_tick_all(c, 5);
	l = rtc_leader(c);
	CHECK(l);
	if (!l)
		goto out;
	CHECK_EQ(raft_change_conf(rtc_r(c, l), &t), 0);
	CHECK_EQ(rtc_status(c, l)->conf.n_voters_old, 3);
	CHECK_EQ(raft_change_conf(rtc_r(c, l), &t), -EBUSY);
	rtc_tick_all(c, 10);
	CHECK_EQ(rtc_status(c, 5)->conf.n_voters, 4);
	CHECK_EQ(rtc_node(c, 5)->applied, rtc_node(c, l)->applied);
	CHECK_EQ(raft_term(rtc_r(c, 4)), 0);	/* never a member */
out:
	SAFE(c);
	rtc_free(c);
}

static const struct unit_test tests[] = {
	T(test_joint_consensus),
	T(test_conf_refusals),
	T(test_conf_codec),
	T(test_stray_votes_and_new_voter),
};

UNIT_SUITE(conf);
