// SPDX-License-Identifier: GPL-2.0
/*
 * test_election.c - unit tests of the Raft core: elections, votes, pre-vote,
 * check-quorum, leadership transfer.
 */
#include "unit.h"

/* One vote per term; a repeated request from the same candidate is granted again. */
static void test_one_vote_per_term(void)
{
	struct raft_config cfg = rtc_cfg_nopv();
	struct raft *r = solo(1, NULL, 0, 0, &cfg);
	struct raft_msg m, out[8];
	struct raft_status st;
	u32 n;

	m = mk(RAFT_MSG_VOTE, 2, 1, 5);
	CHECK_EQ(raft_step(r, &m), 0);
	n = solo_drain(r, RAFT_MSG_VOTE_RESP, out, 8);
	CHECK_EQ(n, 1);
	CHECK(!(out[0].flags & RAFT_MSGF_REJECT));
	CHECK_EQ(out[0].term, 5);
	m = mk(RAFT_MSG_VOTE, 3, 1, 5);
	raft_step(r, &m);
	n = solo_drain(r, RAFT_MSG_VOTE_RESP, out, 8);
	CHECK_EQ(n, 1);
	CHECK(out[0].flags & RAFT_MSGF_REJECT);
	m = mk(RAFT_MSG_VOTE, 2, 1, 5);
	raft_step(r, &m);
	n = solo_drain(r, RAFT_MSG_VOTE_RESP, out, 8);
	CHECK_EQ(n, 1);
	CHECK(!(out[0].flags & RAFT_MSGF_REJECT));
	raft_get_status(r, &st);
	CHECK_EQ(st.vote, 2);
	CHECK_EQ(st.term, 5);
	raft_destroy(r);
}

/* The next ready persists term and vote and carries n messages of type. */
static void expect_hs_ready(struct raft *r, u64 term, u32 vote, u32 type,
			    u32 n)
{
	struct raft_ready rd;

	CHECK_EQ(raft_ready(r, &rd), 0);
	CHECK(rd.hs_changed);
	CHECK_EQ(rd.hs.term, term);
	CHECK_EQ(rd.hs.vote, vote);
	CHECK_EQ(count_type(&rd, type), n);
	raft_advance(r, &rd);
}

/* The vote and term are in the same ready as the grant (persist before send). */
static void test_vote_persist_contract(void)
{
	struct raft_config cfg = rtc_cfg_nopv();
	struct raft *r = solo(1, NULL, 0, 0, &cfg);
	struct raft_msg m;

	m = mk(RAFT_MSG_VOTE, 3, 1, 7);
	raft_step(r, &m);
	CHECK(raft_has_ready(r));
	expect_hs_ready(r, 7, 3, RAFT_MSG_VOTE_RESP, 1);
	/* candidate: term and self-vote come with the vote requests */
	raft_campaign(r);
	expect_hs_ready(r, 8, 1, RAFT_MSG_VOTE, 2);
	raft_destroy(r);

	/* restart after voting: the vote survives and binds */
	{
		struct rtc_cluster *c;
		struct raft_config cf = rtc_cfg_nopv();
		struct raft_msg o[4];

		c = rtc_new(UENV, 3, &cf, NULL);
		m = mk(RAFT_MSG_VOTE, 2, 1, 4);
		raft_step(rtc_node(c, 1)->r, &m);
		rtc_process(c, 1);
		rtc_drop_queue(c);
		rtc_restart(c, 1);
		CHECK_EQ(raft_term(rtc_node(c, 1)->r), 4);
		m = mk(RAFT_MSG_VOTE, 3, 1, 4);
		raft_step(rtc_node(c, 1)->r, &m);
		CHECK_EQ(solo_drain(rtc_node(c, 1)->r, RAFT_MSG_VOTE_RESP, o, 4), 1);
		CHECK(o[0].flags & RAFT_MSGF_REJECT);
		SAFE(c);
		rtc_free(c);
	}
}

/* Seed 000 "why not longest log": S1 5 6 7, S2/S3 5 8. */
static void test_election_restriction(void)
{
	struct raft_config cfg = rtc_cfg_nopv();
	struct rtc_cluster *c;
	const u64 s1[] = { 5, 6, 7 }, s2[] = { 5, 8 };
	u32 i;

	c = rtc_new(UENV, 3, &cfg, NULL);
	rtc_load(c, 1, s1, 3, 8);
	rtc_load(c, 2, s2, 2, 8);
	rtc_load(c, 3, s2, 2, 8);
	CHECK_EQ(rtc_elect(c, 1), 0);	/* longer log, older last term: loses */
	CHECK(raft_role(rtc_node(c, 1)->r) != RAFT_LEADER);
	CHECK_EQ(rtc_elect(c, 2), 2);
	rtc_tick_all(c, 3);
	for (i = 1; i <= 3; i++) {
		CHECK_EQ(raft_term_at(rtc_node(c, i)->r, 2), 8);
		CHECK_EQ(rtc_node(c, i)->applied, 3);
	}
	/* S1's term-6/7 entries were replaced */
	CHECK_EQ(rtc_node(c, 1)->log[3].term, raft_term(rtc_node(c, 2)->r));
	SAFE(c);
	rtc_free(c);
}

/* Pre-vote: an isolated node does not inflate its term; rejoining is harmless. */
static void test_prevote_isolated(struct rtc_cluster *c, u32 l, u32 other)
{
	u64 t;

	t = raft_term(rtc_node(c, l)->r);
	rtc_isolate(c, other, true);
	rtc_tick_all(c, 100);
	CHECK_EQ(raft_term(rtc_node(c, other)->r), t);
	CHECK(raft_role(rtc_node(c, other)->r) != RAFT_LEADER);
	CHECK_EQ(raft_leader(rtc_node(c, other)->r), 0);	/* etcd #8334 */
	rtc_isolate(c, other, false);
	rtc_tick_all(c, 20);
	CHECK_EQ(rtc_leader(c), l);
	CHECK_EQ(raft_term(rtc_node(c, l)->r), t);
	CHECK_EQ(raft_leader(rtc_node(c, other)->r), l);
}

/* Check-quorum: an isolated leader steps down within an election timeout. */
static void test_check_quorum_stepdown(void)
{
	struct rtc_cluster *c;
	u32 l, l2;

	c = led_cluster(3, NULL, NULL, &l);
	if (!l)
		goto out;
	rtc_isolate(c, l, true);
	rtc_tick_all(c, 2 * c->cfg.election_ticks + 1);
	CHECK(raft_role(rtc_node(c, l)->r) != RAFT_LEADER);
	rtc_tick_all(c, 40);
	l2 = rtc_leader(c);
	CHECK(l2 && l2 != l);
	rtc_isolate(c, l, false);
	rtc_tick_all(c, 10);
	CHECK_EQ(raft_leader(rtc_node(c, l)->r), l2);
	CHECK_EQ(rtc_propose(c, l2, "after"), 0);
	rtc_tick_all(c, 3);
	CHECK_EQ(rtc_commit(c, l), rtc_commit(c, l2));
out:
	SAFE(c);
	rtc_free(c);
}

/* Leader stickiness; a TRANSFER vote bypasses it; pre-vote term rules. */
static void test_stickiness_and_prevote_terms(void)
{
	struct rtc_cluster *c;
	struct raft_msg m, o[8];
	struct raft *f;
	u32 l, fid, n;
	u64 t;

	c = led_cluster(3, NULL, NULL, &l);
	if (!l)
		goto out;
	fid = l % 3 + 1;
	f = rtc_node(c, fid)->r;
	t = raft_term(f);
	/* a vote request with a higher term while we hear the leader: ignored */
	m = mk(RAFT_MSG_VOTE, 6 - l - fid, fid, t + 5);
	m.index = 100;
	m.log_term = t;
	raft_step(f, &m);
	CHECK_EQ(raft_term(f), t);
	CHECK_EQ(raft_leader(f), l);
	/* pre-vote with a higher term: rejected, no term change */
	m.type = RAFT_MSG_PREVOTE;
	raft_step(f, &m);
	CHECK_EQ(raft_term(f), t);
	/* with the TRANSFER flag the vote is granted */
	m.type = RAFT_MSG_VOTE;
	m.flags = RAFT_MSGF_TRANSFER;
	raft_step(f, &m);
	CHECK_EQ(raft_term(f), t + 5);
	n = solo_drain(f, RAFT_MSG_VOTE_RESP, o, 8);
	CHECK_EQ(n, 1);
	CHECK(!(o[0].flags & RAFT_MSGF_REJECT));
out:
	rtc_drop_queue(c);
	SAFE(c);
	rtc_free(c);

	{
		/* follower without a leader: a pre-vote with a higher term is
		 * granted without bumping our term; the grant carries its term */
		struct raft *r = solo(1, NULL, 0, 3, NULL);
		struct raft_msg pm = mk(RAFT_MSG_PREVOTE, 2, 1, 4);

		raft_step(r, &pm);
		CHECK_EQ(raft_term(r), 3);
		n = solo_drain(r, RAFT_MSG_PREVOTE_RESP, o, 8);
		CHECK_EQ(n, 1);
		CHECK(!(o[0].flags & RAFT_MSGF_REJECT));
		CHECK_EQ(o[0].term, 4);
		/* a pre-candidate: a rejected pre-vote answer with a higher term
		 * makes it a follower of that term */
		raft_campaign(r);
		CHECK_EQ(raft_role(r), RAFT_PRECANDIDATE);
		CHECK_EQ(raft_term(r), 3);
		CHECK_EQ(raft_leader(r), 0);
		pm = mk(RAFT_MSG_PREVOTE_RESP, 2, 1, 4);	/* grant: future term */
		raft_step(r, &pm);
		CHECK_EQ(raft_role(r), RAFT_CANDIDATE);	/* 2 of 3 */
		CHECK_EQ(raft_term(r), 4);
		pm = mk(RAFT_MSG_VOTE_RESP, 3, 1, 9);
		pm.flags = RAFT_MSGF_REJECT;
		raft_step(r, &pm);
		CHECK_EQ(raft_role(r), RAFT_FOLLOWER);
		CHECK_EQ(raft_term(r), 9);
		raft_destroy(r);
	}
	{
		struct raft *r = solo(1, NULL, 0, 3, NULL);
		struct raft_msg pm;

		raft_campaign(r);
		pm = mk(RAFT_MSG_PREVOTE_RESP, 2, 1, 6);
		pm.flags = RAFT_MSGF_REJECT;
		raft_step(r, &pm);
		CHECK_EQ(raft_term(r), 6);
		CHECK_EQ(raft_role(r), RAFT_FOLLOWER);
		raft_destroy(r);
	}
}

/*
 * hashicorp #526: vote requests from non-members don't disturb a node that
 * hears from a leader; without one they are answered (the candidate's
 * configuration may be newer than ours); learners never campaign.
 */
static void test_nonvoter_votes(void)
{
	struct raft *r = solo(1, NULL, 0, 2, NULL);
	struct raft_msg m = mk(RAFT_MSG_VOTE, 7, 1, 50), o[4];
	struct raft_msg hb = mk(RAFT_MSG_HEARTBEAT, 2, 1, 2);
	struct raft_conf conf;
	struct raft_boot b;
	struct raft_config cfg = rtc_default_cfg;
	struct raft *lr = NULL;
	u32 i;

	raft_step(r, &hb);
	solo_drain(r, RAFT_MSG_HEARTBEAT_RESP, o, 4);
	m.index = 10;
	m.log_term = 40;
	raft_step(r, &m);
	CHECK_EQ(raft_term(r), 2);
	CHECK_EQ(solo_drain(r, RAFT_MSG_VOTE_RESP, o, 4), 0);
	for (i = 0; i < cfg.election_ticks; i++)
		raft_tick(r, 1);
	solo_drain(r, RAFT_MSG_VOTE_RESP, o, 4);
	raft_step(r, &m);
	CHECK_EQ(raft_term(r), 50);
	CHECK_EQ(solo_drain(r, RAFT_MSG_VOTE_RESP, o, 4), 1);
	CHECK_EQ(o[0].to, 7);
	CHECK_EQ(o[0].flags & RAFT_MSGF_REJECT, 0);
	raft_destroy(r);

	memset(&b, 0, sizeof(b));
	memset(&conf, 0, sizeof(conf));
	conf.n_voters = 1;
	conf.voters[0] = 1;
	conf.n_learners = 1;
	conf.learners[0] = 2;
	b.snap.conf = conf;
	cfg.id = 2;
	CHECK_EQ(raft_create(&lr, &cfg, &b), 0);
	for (i = 0; i < 100; i++)
		raft_tick(lr, 1);
	CHECK_EQ(raft_role(lr), RAFT_FOLLOWER);
	CHECK_EQ(raft_term(lr), 0);
	CHECK_EQ(raft_campaign(lr), -EPERM);
	raft_destroy(lr);
}

/*
 * A refused vote request of a higher term does not restart the election
 * timer (only a grant does): candidates with shorter logs cannot hold off,
 * term after term, the node that can win (a liveness failure the
 * simulator found once pauses were simulated).
 */
static void test_refused_vote_keeps_timer(void)
{
	struct raft_config cfg = rtc_default_cfg;
	struct rtc_cluster *c = rtc_new(UENV, 3, &cfg, NULL);
	struct raft_msg m;
	struct raft *r;
	const u64 t1[] = { 1 };
	u32 k;

	rtc_load(c, 1, t1, 1, 1);
	r = rtc_r(c, 1);
	for (k = 0; k + 1 < cfg.election_ticks; k++) {
		raft_tick(r, 1);
		rtc_process(c, 1);
	}
	CHECK_EQ(raft_role(r), RAFT_FOLLOWER);
	memset(&m, 0, sizeof(m));
	m.type = RAFT_MSG_VOTE;
	m.from = 3;
	m.to = 1;
	m.term = 5;	/* last log 0/0: behind node 1 */
	CHECK_EQ(raft_step(r, &m), 0);
	rtc_process(c, 1);
	CHECK_EQ(raft_term(r), 5);
	CHECK_EQ(rtc_status(c, 1)->vote, 0);
	/* the timeout ([E, 2E) ticks) runs on from before the request */
	raft_tick(r, cfg.election_ticks);
	rtc_process(c, 1);
	CHECK(raft_role(r) != RAFT_FOLLOWER);
	SAFE(c);
	rtc_free(c);
}

/* With lease reads, a restarted node keeps its promise not to vote for a timeout. */
static void test_lease_boot_quiet(void)
{
	struct raft_config cfg = rtc_default_cfg;
	struct raft *r;
	struct raft_msg m, o[4];
	u32 k;

	cfg.lease_drift_ticks = 2;
	r = solo(1, NULL, 0, 3, &cfg);
	m = mk(RAFT_MSG_VOTE, 2, 1, 4);
	raft_step(r, &m);
	CHECK_EQ(raft_term(r), 3);
	CHECK_EQ(solo_drain(r, RAFT_MSG_VOTE_RESP, o, 4), 0);
	for (k = 0; k < cfg.election_ticks; k++)
		raft_tick(r, 1);
	solo_drain(r, 0, o, 4);
	if (raft_role(r) == RAFT_FOLLOWER) {
		raft_step(r, &m);
		CHECK_EQ(raft_term(r), 4);
		CHECK_EQ(solo_drain(r, RAFT_MSG_VOTE_RESP, o, 4), 1);
		CHECK(!(o[0].flags & RAFT_MSGF_REJECT));
	}
	raft_destroy(r);
	/* without lease reads there is no quiet period */
	r = solo(1, NULL, 0, 3, NULL);
	raft_step(r, &m);
	CHECK_EQ(raft_term(r), 4);
	raft_destroy(r);
}

/* Figure 8 (a)-(e): see tests/lib/rtc_scenarios.c. */
static void test_figure8(void)
{
	rtc_scn_figure8(UENV, 0);
	rtc_scn_figure8(UENV, 1);
}

/*
 * raft_request_leadership: a follower asks the leader (TRANSFER_REQ), which
 * catches it up and hands over; a follower cut off from the leader asks in
 * vain and keeps its term (it cannot force an election after the heal); a
 * learner may not ask; with no leader known it campaigns with pre-vote.
 */
static void test_request_leadership(struct rtc_cluster *c, u32 l, u32 t)
{
	u32 i;
	u64 term;

	for (i = 0; i < 3; i++)
		rtc_propose(c, l, "x");
	rtc_stabilize(c);
	term = raft_term(rtc_node(c, l)->r);
	CHECK_EQ(raft_request_leadership(rtc_node(c, l)->r), 0);
	CHECK_EQ(raft_request_leadership(rtc_node(c, t)->r), 0);
	rtc_process(c, t);
	CHECK_EQ(rtc_count(c, RAFT_MSG_TRANSFER_REQ, t, l), 1);
	rtc_stabilize(c);
	CHECK_EQ(rtc_leader(c), t);
	CHECK(raft_term(rtc_node(c, t)->r) > term);
	CHECK_EQ(rtc_node(c, t)->n_applied_normal, 3);
	/* cut off: the request is lost, the term does not move */
	l = t;
	t = l % 3 + 1;
	rtc_isolate(c, t, true);
	term = raft_term(rtc_node(c, t)->r);
	CHECK_EQ(raft_request_leadership(rtc_node(c, t)->r), 0);
	rtc_stabilize(c);
	CHECK_EQ(raft_term(rtc_node(c, t)->r), term);
	rtc_isolate(c, t, false);
	rtc_tick_all(c, 3);
	CHECK_EQ(rtc_leader(c), l);
	CHECK_EQ(raft_term(rtc_node(c, l)->r), term);
	/* ignored by the leader: during a transfer, from a stranger */
	{
		struct raft_msg m = mk(RAFT_MSG_TRANSFER_REQ, t, l, term);

		CHECK_EQ(raft_transfer_leader(rtc_node(c, l)->r, t), 0);
		CHECK_EQ(raft_step(rtc_node(c, l)->r, &m), 0);
		CHECK_EQ(rtc_status(c, l)->transferee, t);
		rtc_stabilize(c);
		CHECK_EQ(rtc_leader(c), t);
		l = t;
		m = mk(RAFT_MSG_TRANSFER_REQ, 7, l, raft_term(rtc_node(c, l)->r));
		CHECK_EQ(raft_step(rtc_node(c, l)->r, &m), 0);
		CHECK_EQ(rtc_status(c, l)->transferee, 0);
		CHECK_EQ(rtc_leader(c), l);
	}
}

/* A learner may not ask; with no leader known, asking is a pre-vote campaign. */
static void test_request_leadership_edges(void)
{
	const u32 v3[] = { 1, 2, 3 }, l4[] = { 4 };
	struct raft_conf conf = mkconf(v3, 3, l4, 1);
	struct rtc_cluster *c;
	u64 term;

	c = rtc_new(UENV, 4, NULL, &conf);
	CHECK_EQ(raft_request_leadership(rtc_node(c, 4)->r), -EPERM);
	term = raft_term(rtc_node(c, 1)->r);
	CHECK_EQ(raft_request_leadership(rtc_node(c, 1)->r), 0);
	CHECK_EQ(rtc_status(c, 1)->role, RAFT_PRECANDIDATE);
	CHECK_EQ(raft_term(rtc_node(c, 1)->r), term);
	rtc_stabilize(c);
	CHECK_EQ(rtc_leader(c), 1);
	CHECK_EQ(raft_request_leadership(rtc_node(c, 1)->r), 0);
	SAFE(c);
	rtc_free(c);
}

/* Leadership transfer: proposals refused, target catches up and wins. */
static void test_transfer(struct rtc_cluster *c, u32 l, u32 t)
{
	u32 i;
	u64 term;

	term = raft_term(rtc_node(c, l)->r);
	/* make the target lag first */
	rtc_isolate(c, t, true);
	for (i = 0; i < 5; i++)
		rtc_propose(c, l, "lag");
	rtc_stabilize(c);
	rtc_isolate(c, t, false);
	CHECK_EQ(raft_transfer_leader(rtc_node(c, l)->r, t), 0);
	CHECK_EQ(raft_transfer_leader(rtc_node(c, l)->r, t), -EBUSY);
	CHECK_EQ(rtc_propose(c, l, "no"), -EPERM);
	CHECK_EQ(raft_transfer_leader(rtc_node(c, l)->r, 9), -EINVAL);
	rtc_stabilize(c);
	CHECK_EQ(rtc_leader(c), t);
	CHECK(raft_term(rtc_node(c, t)->r) > term);
	rtc_tick_all(c, 3);
	CHECK_EQ(raft_leader(rtc_node(c, l)->r), t);
	CHECK_EQ(rtc_node(c, l)->n_applied_normal, 5);
	CHECK_EQ(rtc_propose(c, t, "yes"), 0);
	CHECK_EQ(raft_transfer_leader(rtc_node(c, l)->r, t), -EPERM);
	/* an unreachable target: aborted after an election timeout */
	l = t;
	t = l % 3 + 1;
	rtc_isolate(c, t, true);
	CHECK_EQ(raft_transfer_leader(rtc_node(c, l)->r, t), 0);
	CHECK_EQ(rtc_propose(c, l, "no"), -EPERM);
	rtc_tick_all(c, c->cfg.election_ticks + 1);
	CHECK_EQ(rtc_leader(c), l);
	CHECK_EQ(rtc_status(c, l)->transferee, 0);
	CHECK_EQ(rtc_propose(c, l, "again"), 0);
	rtc_isolate(c, t, false);
	rtc_tick_all(c, 5);
}

/*
 * raft_step_down (a leader whose disk failed): follower of its term with
 * no leader, nothing more to send; the others elect a new leader and keep
 * committing.  Only a leader may step down.
 */
static void test_step_down(void)
{
	struct rtc_cluster *c;
	u64 term;
	u32 l, f, l2;

	c = led_cluster(3, NULL, NULL, &l);
	if (!l)
		goto out;
	f = l % 3 + 1;
	CHECK_EQ(raft_step_down(rtc_node(c, f)->r), -EPERM);
	term = raft_term(rtc_node(c, l)->r);
	CHECK_EQ(raft_step_down(rtc_node(c, l)->r), 0);
	CHECK_EQ(rtc_status(c, l)->role, RAFT_FOLLOWER);
	CHECK_EQ(rtc_status(c, l)->leader, RAFT_NONE);
	CHECK_EQ(raft_term(rtc_node(c, l)->r), term);
	CHECK_EQ(raft_step_down(rtc_node(c, l)->r), -EPERM);
	CHECK_EQ(raft_propose(rtc_node(c, l)->r, "x", 1, NULL, NULL), -EPERM);
	/* the host feeds a failed node nothing more: cut it off */
	rtc_isolate(c, l, true);
	rtc_tick_all(c, 4 * c->cfg.election_ticks);
	l2 = rtc_leader(c);
	CHECK(l2 && l2 != l);
	CHECK(raft_term(rtc_node(c, l2)->r) > term);
	CHECK_EQ(rtc_propose(c, l2, "after"), 0);
	rtc_tick_all(c, 3);
	CHECK_EQ(rtc_commit(c, f), rtc_commit(c, l2));
	rtc_isolate(c, l, false);
	rtc_tick_all(c, 10);
out:
	SAFE(c);
	rtc_free(c);
}

static const struct unit_test tests[] = {
	T(test_one_vote_per_term),
	T(test_vote_persist_contract),
	T(test_election_restriction),
	TL(test_prevote_isolated),
	T(test_check_quorum_stepdown),
	T(test_stickiness_and_prevote_terms),
	T(test_nonvoter_votes),
	T(test_lease_boot_quiet),
	T(test_refused_vote_keeps_timer),
	T(test_figure8),
	TL(test_request_leadership),
	T(test_request_leadership_edges),
	TL(test_transfer),
	T(test_step_down),
};

UNIT_SUITE(election);
