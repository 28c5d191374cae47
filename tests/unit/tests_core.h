/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tests_core.h - test bodies (included once by test_raft.c).
 */

/* A one-node cluster: campaign, propose, persist, commit, apply. */
static void test_single_node(void)
{
	struct h_cluster c;
	struct h_node *n;
	u64 idx = 0, term = 0;
	int i;

	h_init(&c, 1, NULL);
	n = h_node(&c, 1);
	CHECK_EQ(raft_campaign(n->r), 0);
	h_process(&c, 1);
	CHECK_EQ(raft_role(n->r), RAFT_LEADER);
	CHECK_EQ(raft_term(n->r), 1);
	CHECK_EQ(n->hs.term, 1);
	CHECK_EQ(n->hs.vote, 1);
	CHECK_EQ(h_commit(&c, 1), 1);	/* the NOOP */
	CHECK_EQ(n->applied, 1);
	for (i = 0; i < 10; i++)
		CHECK_EQ(raft_propose(n->r, "abc", 3, &idx, &term), 0);
	CHECK_EQ(idx, 11);
	CHECK_EQ(term, 1);
	h_process(&c, 1);
	CHECK_EQ(h_commit(&c, 1), 11);
	CHECK_EQ(n->applied, 11);
	CHECK_EQ(n->n_applied_normal, 10);
	/* restart: log recovered, re-elected, everything re-applied */
	h_restart(&c, 1);
	n = h_node(&c, 1);
	CHECK_EQ(raft_term(n->r), 1);
	h_tick_all(&c, 30);
	CHECK_EQ(raft_role(n->r), RAFT_LEADER);
	CHECK_EQ(raft_term(n->r), 2);
	CHECK_EQ(n->applied, 12);
	SAFE(&c);
	h_free(&c);
}

/* Single node with manual persistence: no commit before persisted. */
static void test_single_node_persist_gate(void)
{
	struct h_cluster c;
	struct h_node *n;

	h_init(&c, 1, NULL);
	n = h_node(&c, 1);
	n->manual_persist = true;
	raft_campaign(n->r);
	h_process(&c, 1);
	CHECK_EQ(raft_role(n->r), RAFT_LEADER);
	CHECK_EQ(h_commit(&c, 1), 0);
	CHECK_EQ(n->applied, 0);
	h_persist(&c, 1);
	CHECK_EQ(h_commit(&c, 1), 1);
	CHECK_EQ(raft_propose(n->r, "x", 1, NULL, NULL), 0);
	h_process(&c, 1);
	CHECK_EQ(h_commit(&c, 1), 1);
	h_persist(&c, 1);
	CHECK_EQ(h_commit(&c, 1), 2);
	CHECK_EQ(n->applied, 2);
	SAFE(&c);
	h_free(&c);
}

/* Three nodes: election by timeout, replication, commit everywhere. */
static void test_three_node_basic(void)
{
	struct h_cluster c;
	u32 l, i;
	int k;

	h_init(&c, 3, NULL);
	h_tick_all(&c, 40);
	l = h_leader(&c);
	CHECK(l != 0);
	if (!l)
		goto out;
	for (k = 0; k < 50; k++)
		CHECK_EQ(h_propose(&c, l, "hello"), 0);
	h_stabilize(&c);
	h_tick_all(&c, 2);
	for (i = 1; i <= 3; i++) {
		CHECK_EQ(h_commit(&c, i), 51);
		CHECK_EQ(h_node(&c, i)->applied, 51);
		CHECK_EQ(raft_leader(h_node(&c, i)->r), l);
	}
	/* followers refuse proposals */
	CHECK_EQ(h_propose(&c, l % 3 + 1, "x"), -EPERM);
out:
	SAFE(&c);
	h_free(&c);
}

static struct raft_config cfg_nopv(void)
{
	struct raft_config cfg = h_default_cfg;

	cfg.pre_vote = false;
	cfg.check_quorum = false;
	return cfg;
}

static u32 count_type(const struct raft_ready *rd, u32 type)
{
	u32 i, n = 0;

	for (i = 0; i < rd->n_msgs; i++)
		if (rd->msgs[i].type == type)
			n++;
	return n;
}

/* A standalone node (no harness): id 1 of voters {1,2,3}. */
static struct raft *solo(u32 id, const u64 *terms, u32 n, u64 hs_term,
			 const struct raft_config *cfgp)
{
	struct raft_config cfg = cfgp ? *cfgp : h_default_cfg;
	struct raft_entry ents[64];
	u8 byte[64];
	struct raft_boot b;
	struct raft *r = NULL;
	u32 i;

	memset(&b, 0, sizeof(b));
	memset(ents, 0, sizeof(ents));
	for (i = 0; i < n; i++) {
		ents[i].index = i + 1;
		ents[i].term = terms[i];
		byte[i] = (u8)i;
		ents[i].data = &byte[i];
		ents[i].len = 1;
	}
	b.entries = ents;
	b.n_entries = n;
	b.hs.term = hs_term;
	b.snap.conf.n_voters = 3;
	b.snap.conf.voters[0] = 1;
	b.snap.conf.voters[1] = 2;
	b.snap.conf.voters[2] = 3;
	cfg.id = id;
	if (raft_create(&r, &cfg, &b))
		return NULL;
	return r;
}

/* drain a solo node's ready, persisting everything, returning the msgs of type */
static u32 solo_drain(struct raft *r, u32 type, struct raft_msg *out, u32 max)
{
	u32 got = 0, rounds;

	for (rounds = 0; rounds < 20 && raft_has_ready(r); rounds++) {
		struct raft_ready rd;
		u64 li = 0, lt = 0;
		u32 i;

		if (raft_ready(r, &rd))
			break;
		for (i = 0; i < rd.n_msgs; i++)
			if ((!type || rd.msgs[i].type == type) && got < max) {
				out[got] = rd.msgs[i];
				out[got].entries = NULL;
				out[got].data = NULL;
				got++;
			}
		if (rd.n_entries) {
			li = rd.entries[rd.n_entries - 1].index;
			lt = rd.entries[rd.n_entries - 1].term;
		}
		raft_advance(r, &rd);
		if (li)
			raft_persisted(r, li, lt);
	}
	return got;
}

static struct raft_msg mk(u32 type, u32 from, u32 to, u64 term)
{
	struct raft_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.from = from;
	m.to = to;
	m.term = term;
	return m;
}

/* One vote per term; a repeated request from the same candidate is granted again. */
static void test_one_vote_per_term(void)
{
	struct raft_config cfg = cfg_nopv();
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

/* The vote and term are in the same ready as the grant (persist before send). */
static void test_vote_persist_contract(void)
{
	struct raft_config cfg = cfg_nopv();
	struct raft *r = solo(1, NULL, 0, 0, &cfg);
	struct raft_msg m;
	struct raft_ready rd;

	m = mk(RAFT_MSG_VOTE, 3, 1, 7);
	raft_step(r, &m);
	CHECK(raft_has_ready(r));
	raft_ready(r, &rd);
	CHECK(rd.hs_changed);
	CHECK_EQ(rd.hs.term, 7);
	CHECK_EQ(rd.hs.vote, 3);
	CHECK_EQ(count_type(&rd, RAFT_MSG_VOTE_RESP), 1);
	raft_advance(r, &rd);
	/* candidate: term and self-vote come with the vote requests */
	raft_campaign(r);
	raft_ready(r, &rd);
	CHECK(rd.hs_changed);
	CHECK_EQ(rd.hs.term, 8);
	CHECK_EQ(rd.hs.vote, 1);
	CHECK_EQ(count_type(&rd, RAFT_MSG_VOTE), 2);
	raft_advance(r, &rd);
	raft_destroy(r);

	/* restart after voting: the vote survives and binds */
	{
		struct h_cluster c;
		struct raft_config cf = cfg_nopv();
		struct raft_msg o[4];

		h_init(&c, 3, &cf);
		m = mk(RAFT_MSG_VOTE, 2, 1, 4);
		raft_step(h_node(&c, 1)->r, &m);
		h_process(&c, 1);
		h_drop_queue(&c);
		h_restart(&c, 1);
		CHECK_EQ(raft_term(h_node(&c, 1)->r), 4);
		m = mk(RAFT_MSG_VOTE, 3, 1, 4);
		raft_step(h_node(&c, 1)->r, &m);
		CHECK_EQ(solo_drain(h_node(&c, 1)->r, RAFT_MSG_VOTE_RESP, o, 4), 1);
		CHECK(o[0].flags & RAFT_MSGF_REJECT);
		SAFE(&c);
		h_free(&c);
	}
}

/* Seed 000 "why not longest log": S1 5 6 7, S2/S3 5 8. */
static void test_election_restriction(void)
{
	struct raft_config cfg = cfg_nopv();
	struct h_cluster c;
	const u64 s1[] = { 5, 6, 7 }, s2[] = { 5, 8 };
	u32 i;

	h_init(&c, 3, &cfg);
	h_load(&c, 1, s1, 3, 8);
	h_load(&c, 2, s2, 2, 8);
	h_load(&c, 3, s2, 2, 8);
	CHECK_EQ(h_elect(&c, 1), 0);	/* longer log, older last term: loses */
	CHECK(raft_role(h_node(&c, 1)->r) != RAFT_LEADER);
	CHECK_EQ(h_elect(&c, 2), 2);
	h_tick_all(&c, 3);
	for (i = 1; i <= 3; i++) {
		CHECK_EQ(raft_term_at(h_node(&c, i)->r, 2), 8);
		CHECK_EQ(h_node(&c, i)->applied, 3);
	}
	/* S1's term-6/7 entries were replaced */
	CHECK_EQ(h_node(&c, 1)->log[3].term, raft_term(h_node(&c, 2)->r));
	SAFE(&c);
	h_free(&c);
}

/* Pre-vote: an isolated node does not inflate its term; rejoining is harmless. */
static void test_prevote_isolated(void)
{
	struct h_cluster c;
	u32 l, other;
	u64 t;

	h_init(&c, 3, NULL);
	h_tick_all(&c, 30);
	l = h_leader(&c);
	CHECK(l);
	if (!l)
		goto out;
	t = raft_term(h_node(&c, l)->r);
	other = l % 3 + 1;
	h_isolate(&c, other, true);
	h_tick_all(&c, 100);
	CHECK_EQ(raft_term(h_node(&c, other)->r), t);
	CHECK(raft_role(h_node(&c, other)->r) != RAFT_LEADER);
	CHECK_EQ(raft_leader(h_node(&c, other)->r), 0);	/* etcd #8334 */
	h_isolate(&c, other, false);
	h_tick_all(&c, 20);
	CHECK_EQ(h_leader(&c), l);
	CHECK_EQ(raft_term(h_node(&c, l)->r), t);
	CHECK_EQ(raft_leader(h_node(&c, other)->r), l);
out:
	SAFE(&c);
	h_free(&c);
}

/* Check-quorum: an isolated leader steps down within an election timeout. */
static void test_check_quorum_stepdown(void)
{
	struct h_cluster c;
	u32 l, l2;

	h_init(&c, 3, NULL);
	h_tick_all(&c, 30);
	l = h_leader(&c);
	CHECK(l);
	if (!l)
		goto out;
	h_isolate(&c, l, true);
	h_tick_all(&c, 2 * c.cfg.election_ticks + 1);
	CHECK(raft_role(h_node(&c, l)->r) != RAFT_LEADER);
	h_tick_all(&c, 40);
	l2 = h_leader(&c);
	CHECK(l2 && l2 != l);
	h_isolate(&c, l, false);
	h_tick_all(&c, 10);
	CHECK_EQ(raft_leader(h_node(&c, l)->r), l2);
	CHECK_EQ(h_propose(&c, l2, "after"), 0);
	h_tick_all(&c, 3);
	CHECK_EQ(h_commit(&c, l), h_commit(&c, l2));
out:
	SAFE(&c);
	h_free(&c);
}

/* Leader stickiness; a TRANSFER vote bypasses it; pre-vote term rules. */
static void test_stickiness_and_prevote_terms(void)
{
	struct h_cluster c;
	struct raft_msg m, o[8];
	struct raft *f;
	u32 l, fid, n;
	u64 t;

	h_init(&c, 3, NULL);
	h_tick_all(&c, 30);
	l = h_leader(&c);
	CHECK(l);
	if (!l)
		goto out;
	fid = l % 3 + 1;
	f = h_node(&c, fid)->r;
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
	h_drop_queue(&c);
	SAFE(&c);
	h_free(&c);

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

/* hashicorp #526: vote requests from non-members don't disturb; learners never campaign. */
static void test_nonvoter_votes(void)
{
	struct raft *r = solo(1, NULL, 0, 2, NULL);
	struct raft_msg m = mk(RAFT_MSG_VOTE, 7, 1, 50), o[4];
	struct raft_conf conf;
	struct raft_boot b;
	struct raft_config cfg = h_default_cfg;
	struct raft *lr = NULL;
	int i;

	m.index = 10;
	m.log_term = 40;
	raft_step(r, &m);
	CHECK_EQ(raft_term(r), 2);
	CHECK_EQ(solo_drain(r, RAFT_MSG_VOTE_RESP, o, 4), 0);
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
		raft_tick(lr);
	CHECK_EQ(raft_role(lr), RAFT_FOLLOWER);
	CHECK_EQ(raft_term(lr), 0);
	CHECK_EQ(raft_campaign(lr), -EPERM);
	raft_destroy(lr);
}
