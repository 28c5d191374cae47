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

static u64 peer_next(struct h_cluster *c, u32 leader, u32 peer)
{
	struct raft_status *st = h_status(c, leader);
	u32 i;

	for (i = 0; i < st->n_peers; i++)
		if (st->peers[i].id == peer)
			return st->peers[i].next;
	return 0;
}

static u64 peer_match(struct h_cluster *c, u32 leader, u32 peer)
{
	struct raft_status *st = h_status(c, leader);
	u32 i;

	for (i = 0; i < st->n_peers; i++)
		if (st->peers[i].id == peer)
			return st->peers[i].match;
	return 0;
}

static bool logs_equal(struct h_cluster *c, u32 a, u32 b)
{
	struct h_node *x = h_node(c, a), *y = h_node(c, b);
	u64 i;

	if (x->last != y->last)
		return false;
	for (i = 1; i <= x->last; i++)
		if (x->log[i].term != y->log[i].term)
			return false;
	return true;
}

/*
 * Seed 000 log repair: S1 [3], S2 [3 3 4], S3 (leader) [3 3 5 6].
 * S1's log is too short (XLen), S2 has a term the leader lacks (XIndex).
 */
static void test_log_repair_seed000(void)
{
	struct raft_config cfg = cfg_nopv();
	struct h_cluster c;
	const u64 s1[] = { 3 }, s2[] = { 3, 3, 4 }, s3[] = { 3, 3, 5, 6 };
	struct h_msg *q;
	u32 i, rejects = 0;

	h_init(&c, 3, &cfg);
	h_load(&c, 1, s1, 1, 6);
	h_load(&c, 2, s2, 3, 6);
	h_load(&c, 3, s3, 4, 6);
	raft_campaign(h_node(&c, 3)->r);
	h_process(&c, 3);
	h_deliver_match(&c, RAFT_MSG_VOTE, 0, 0);
	h_deliver_match(&c, RAFT_MSG_VOTE_RESP, 0, 0);
	CHECK_EQ(raft_role(h_node(&c, 3)->r), RAFT_LEADER);
	/* first probes: prev = 4/6 for both; both reject */
	h_deliver_match(&c, RAFT_MSG_APPEND, 3, 0);
	for (i = 0; i < c.qn; i++) {
		q = &c.q[i];
		if (q->m.type != RAFT_MSG_APPEND_RESP)
			continue;
		CHECK(q->m.flags & RAFT_MSGF_REJECT);
		rejects++;
		/* prev 4 is past both logs: XLen */
		CHECK_EQ(q->m.hint_term, 0);
		CHECK_EQ(q->m.hint_len, q->m.from == 1 ? 2 : 4);
	}
	CHECK_EQ(rejects, 2);
	h_deliver_match(&c, RAFT_MSG_APPEND_RESP, 1, 3);
	CHECK_EQ(peer_next(&c, 3, 1), 2);	/* XLen */
	h_deliver_match(&c, RAFT_MSG_APPEND_RESP, 2, 3);
	CHECK_EQ(peer_next(&c, 3, 2), 4);
	/* S2 next probe: prev 3/5 against its 3/4: XTerm 4, XIndex 3 */
	h_deliver_match(&c, RAFT_MSG_APPEND, 3, 2);
	rejects = 0;
	for (i = 0; i < c.qn; i++) {
		q = &c.q[i];
		if (q->m.type != RAFT_MSG_APPEND_RESP || q->m.from != 2)
			continue;
		CHECK(q->m.flags & RAFT_MSGF_REJECT);
		CHECK_EQ(q->m.hint_term, 4);
		CHECK_EQ(q->m.hint_index, 3);
		rejects++;
	}
	CHECK_EQ(rejects, 1);
	h_deliver_match(&c, RAFT_MSG_APPEND_RESP, 2, 3);
	CHECK_EQ(peer_next(&c, 3, 2), 3);	/* XIndex: leader lacks term 4 */
	h_stabilize(&c);
	h_tick_all(&c, 2);
	CHECK(logs_equal(&c, 1, 3));
	CHECK(logs_equal(&c, 2, 3));
	CHECK_EQ(h_node(&c, 2)->log[3].term, 5);
	CHECK_EQ(h_node(&c, 1)->applied, 5);
	SAFE(&c);
	h_free(&c);
}

/* The three fast-backup cases, each against a fresh leader. */
static void fast_backup_case(const u64 *lt, u32 ln, const u64 *ft, u32 fn,
			     u64 want_next, u64 want_xterm)
{
	struct raft_config cfg = cfg_nopv();
	struct h_cluster c;
	u32 i;
	bool seen = false;

	h_init(&c, 3, &cfg);
	h_load(&c, 1, lt, ln, 7);
	h_load(&c, 2, lt, ln, 7);
	h_load(&c, 3, ft, fn, 7);
	raft_campaign(h_node(&c, 1)->r);
	h_process(&c, 1);
	h_deliver_match(&c, RAFT_MSG_VOTE, 1, 2);
	h_deliver_match(&c, RAFT_MSG_VOTE_RESP, 2, 1);
	h_filter(&c, RAFT_MSG_VOTE, 1, 3);
	CHECK_EQ(raft_role(h_node(&c, 1)->r), RAFT_LEADER);
	h_deliver_match(&c, RAFT_MSG_APPEND, 1, 3);
	for (i = 0; i < c.qn; i++)
		if (c.q[i].m.type == RAFT_MSG_APPEND_RESP && c.q[i].m.from == 3) {
			CHECK(c.q[i].m.flags & RAFT_MSGF_REJECT);
			CHECK_EQ(c.q[i].m.hint_term, want_xterm);
			seen = true;
		}
	CHECK(seen);
	h_deliver_match(&c, RAFT_MSG_APPEND_RESP, 3, 1);
	CHECK_EQ(peer_next(&c, 1, 3), want_next);
	h_stabilize(&c);
	h_tick_all(&c, 2);
	CHECK(logs_equal(&c, 1, 3));
	SAFE(&c);
	h_free(&c);
}

static void test_fast_backup_cases(void)
{
	const u64 leader[] = { 4, 6, 6, 6 };
	const u64 short_f[] = { 4 };
	const u64 lacks[] = { 4, 5, 5, 5 };
	const u64 has[] = { 4, 4, 4, 4 };
	const u64 leader2[] = { 4, 4, 6, 6 };

	/* follower too short: next = XLen = 2 (NOOP is at 5, probe prev 4) */
	fast_backup_case(leader, 4, short_f, 1, 2, 0);
	/* leader lacks XTerm 5: next = XIndex = 2 */
	fast_backup_case(leader, 4, lacks, 4, 2, 5);
	/* leader has XTerm 4 (its last one at index 2): next = 3 */
	fast_backup_case(leader2, 4, has, 4, 3, 4);
}

/*
 * Figure 8 (a)-(e): a leader must not commit an entry of an older term by
 * counting replicas; it commits it together with an entry of its own term.
 */
static void test_figure8(void)
{
	struct raft_config cfg = cfg_nopv();
	struct h_cluster c;
	const u64 base[] = { 1 };
	u32 i;
	int variant;

	cfg.max_append_entries = 1;
	for (variant = 0; variant < 2; variant++) {
		h_init(&c, 5, &cfg);
		for (i = 1; i <= 5; i++)
			h_load(&c, i, base, 1, 1);
		/* (a) S1 leader of term 2 (its NOOP, index 2, commits);
		 * index 3 of term 2 reaches S2 only */
		CHECK_EQ(h_elect(&c, 1), 1);
		CHECK_EQ(raft_term(h_node(&c, 1)->r), 2);
		CHECK_EQ(h_commit(&c, 1), 2);
		h_isolate(&c, 1, true);
		c.cut[0][1] = false;
		c.cut[1][0] = false;
		CHECK_EQ(h_propose(&c, 1, "a3"), 0);
		h_stabilize(&c);
		CHECK_EQ(h_node(&c, 2)->log[3].term, 2);
		CHECK_EQ(h_commit(&c, 1), 2);
		h_crash(&c, 1);
		h_isolate(&c, 1, false);
		/* (b) S5 leader of term 3 (votes S3 S4 S5), its NOOP at 3 stays local */
		h_isolate(&c, 5, true);
		c.cut[4][2] = c.cut[2][4] = false;
		c.cut[4][3] = c.cut[3][4] = false;
		raft_campaign(h_node(&c, 5)->r);
		h_process(&c, 5);
		h_deliver_match(&c, RAFT_MSG_VOTE, 5, 0);
		h_deliver_match(&c, RAFT_MSG_VOTE_RESP, 0, 5);
		CHECK_EQ(raft_role(h_node(&c, 5)->r), RAFT_LEADER);
		CHECK_EQ(raft_term(h_node(&c, 5)->r), 3);
		CHECK_EQ(h_node(&c, 5)->log[3].term, 3);
		h_drop_queue(&c);
		h_crash(&c, 5);
		h_isolate(&c, 5, false);
		/* (c) S1 restarts, leader of a later term (S1 S2 S3), copies
		 * 3/2 to S3 but not yet its own NOOP */
		h_restart(&c, 1);
		for (i = 0; i < 3 && raft_role(h_node(&c, 1)->r) != RAFT_LEADER; i++) {
			raft_campaign(h_node(&c, 1)->r);
			h_process(&c, 1);
			h_filter(&c, RAFT_MSG_VOTE, 1, 4);
			h_deliver_match(&c, RAFT_MSG_VOTE, 1, 0);
			h_deliver_match(&c, RAFT_MSG_VOTE_RESP, 0, 1);
		}
		CHECK_EQ(raft_role(h_node(&c, 1)->r), RAFT_LEADER);
		CHECK(raft_term(h_node(&c, 1)->r) > 3);
		h_filter(&c, 0, 1, 4);
		h_filter(&c, 0, 1, 2);
		for (i = 0; i < 10 && h_node(&c, 3)->log[3].term != 2; i++) {
			h_deliver_match(&c, RAFT_MSG_APPEND, 1, 3);
			h_deliver_match(&c, RAFT_MSG_APPEND_RESP, 3, 1);
			h_filter(&c, 0, 1, 4);
			h_filter(&c, 0, 1, 2);
		}
		CHECK_EQ(h_node(&c, 3)->log[3].term, 2);
		CHECK_EQ(h_node(&c, 3)->last, 3);	/* one entry per message */
		/* S2 (which has 3/2) learns the new term's NOOP: the leader now
		 * knows 3/2 is on S1 S2 S3 */
		h_filter(&c, 0, 1, 3);
		h_tick(&c, 1);
		h_filter(&c, 0, 1, 3);
		h_filter(&c, 0, 1, 4);
		h_deliver_match(&c, RAFT_MSG_HEARTBEAT, 1, 2);
		h_deliver_match(&c, RAFT_MSG_HEARTBEAT_RESP, 2, 1);
		h_deliver_match(&c, RAFT_MSG_APPEND, 1, 2);
		h_deliver_match(&c, RAFT_MSG_APPEND_RESP, 2, 1);
		h_filter(&c, 0, 1, 3);
		h_filter(&c, 0, 1, 4);
		CHECK_EQ(peer_match(&c, 1, 2), 4);
		CHECK_EQ(peer_match(&c, 1, 3), 3);
		/* 3/2 is on S1 S2 S3, a majority: it must not be committed */
		CHECK_EQ(h_commit(&c, 1), 2);
		CHECK_EQ(h_node(&c, 1)->applied, 2);
		if (variant == 0) {
			/* (d) S1 crashes, S5 (last term 3) wins and overwrites */
			h_drop_queue(&c);
			h_crash(&c, 1);
			h_restart(&c, 5);
			for (i = 0; i < 4 && h_leader(&c) != 5; i++)
				h_elect(&c, 5);
			CHECK_EQ(raft_role(h_node(&c, 5)->r), RAFT_LEADER);
			h_tick_all(&c, 3);
			for (i = 2; i <= 5; i++)
				CHECK_EQ(h_node(&c, i)->log[3].term, 3);
		} else {
			/* (e) S1's own-term entry reaches the majority: both commit */
			h_stabilize(&c);
			h_tick_all(&c, 3);
			CHECK(h_commit(&c, 1) >= 4);
			CHECK_EQ(h_node(&c, 2)->log[3].term, 2);
			h_restart(&c, 5);
			h_tick_all(&c, 30);
			CHECK_EQ(h_node(&c, 5)->log[3].term, 2);
		}
		SAFE(&c);
		h_free(&c);
	}
}

/* ABA: an old-term append completing after a newer overwrite is ignored. */
static void test_persist_aba(void)
{
	struct raft *r = solo(1, NULL, 0, 0, NULL);
	struct raft_msg m = mk(RAFT_MSG_APPEND, 2, 1, 2);
	struct raft_entry e[2];
	struct raft_ready rd;
	struct raft_status st;
	u8 d = 1;
	u32 i;

	memset(e, 0, sizeof(e));
	e[0].term = 2; e[0].index = 1; e[0].len = 1; e[0].data = &d;
	e[1].term = 2; e[1].index = 2; e[1].len = 1; e[1].data = &d;
	m.entries = e;
	m.n_entries = 2;
	CHECK_EQ(raft_step(r, &m), 0);
	raft_ready(r, &rd);
	CHECK_EQ(rd.n_entries, 2);
	/* no acknowledgement before the entries are durable */
	for (i = 0; i < rd.n_msgs; i++)
		CHECK(rd.msgs[i].type != RAFT_MSG_APPEND_RESP || rd.msgs[i].index == 0);
	raft_advance(r, &rd);
	/* leader 3 of term 3 overwrites index 2 */
	m = mk(RAFT_MSG_APPEND, 3, 1, 3);
	m.index = 1;
	m.log_term = 2;
	e[0].term = 3; e[0].index = 2;
	m.entries = e;
	m.n_entries = 1;
	CHECK_EQ(raft_step(r, &m), 0);
	raft_ready(r, &rd);
	CHECK_EQ(rd.n_entries, 1);
	CHECK_EQ(rd.entries[0].index, 2);
	CHECK_EQ(rd.entries[0].term, 3);
	raft_advance(r, &rd);
	/* the old write (2, term 2) completes late: ignored */
	raft_persisted(r, 2, 2);
	raft_get_status(r, &st);
	CHECK_EQ(st.persisted, 0);
	raft_ready(r, &rd);
	for (i = 0; i < rd.n_msgs; i++)
		CHECK(rd.msgs[i].type != RAFT_MSG_APPEND_RESP);
	raft_advance(r, &rd);
	/* index 1 (term 2) is still the same entry: its completion counts */
	raft_persisted(r, 1, 2);
	raft_get_status(r, &st);
	CHECK_EQ(st.persisted, 1);
	raft_persisted(r, 2, 3);
	raft_get_status(r, &st);
	CHECK_EQ(st.persisted, 2);
	raft_ready(r, &rd);
	CHECK(count_type(&rd, RAFT_MSG_APPEND_RESP) >= 1);
	for (i = 0; i < rd.n_msgs; i++)
		if (rd.msgs[i].type == RAFT_MSG_APPEND_RESP) {
			CHECK_EQ(rd.msgs[i].to, 3);
			CHECK(rd.msgs[i].index <= 2);
		}
	raft_advance(r, &rd);
	raft_destroy(r);
}

/* A stale or duplicated append never truncates matching entries. */
static void test_stale_append_no_truncate(void)
{
	struct raft *r = solo(1, NULL, 0, 0, NULL);
	struct raft_msg m = mk(RAFT_MSG_APPEND, 2, 1, 2);
	struct raft_entry e[3];
	struct raft_status st;
	struct raft_msg o[8];
	u8 d = 1;
	u32 i;

	memset(e, 0, sizeof(e));
	for (i = 0; i < 3; i++) {
		e[i].term = 2;
		e[i].index = i + 1;
		e[i].len = 1;
		e[i].data = &d;
	}
	m.entries = e;
	m.n_entries = 3;
	m.commit = 0;
	raft_step(r, &m);
	solo_drain(r, 0, o, 8);
	/* a delayed copy of the first append carrying only entry 1 */
	m.n_entries = 1;
	raft_step(r, &m);
	solo_drain(r, 0, o, 8);
	raft_get_status(r, &st);
	CHECK_EQ(st.last_index, 3);
	CHECK_EQ(st.persisted, 3);
	/* commit = min(leader commit, last new entry) */
	m.commit = 3;
	raft_step(r, &m);
	raft_get_status(r, &st);
	CHECK_EQ(st.commit, 1);
	solo_drain(r, 0, o, 8);
	/* an append from an older term is refused */
	m = mk(RAFT_MSG_APPEND, 3, 1, 1);
	m.index = 0;
	e[0].term = 1;
	m.entries = e;
	m.n_entries = 1;
	raft_step(r, &m);
	raft_get_status(r, &st);
	CHECK_EQ(st.last_index, 3);
	CHECK_EQ(st.term, 2);
	CHECK_EQ(solo_drain(r, RAFT_MSG_APPEND_RESP, o, 8), 1);
	CHECK_EQ(o[0].term, 2);
	raft_destroy(r);
}

/* Responses from older terms and stale rejections are ignored by the leader. */
static void test_stale_responses(void)
{
	struct h_cluster c;
	struct raft_msg m;
	u32 l, f;
	u64 t, next, match;
	int k;

	h_init(&c, 3, NULL);
	h_tick_all(&c, 30);
	l = h_leader(&c);
	CHECK(l);
	if (!l)
		goto out;
	f = l % 3 + 1;
	for (k = 0; k < 5; k++)
		h_propose(&c, l, "x");
	h_stabilize(&c);
	t = raft_term(h_node(&c, l)->r);
	next = peer_next(&c, l, f);
	match = peer_match(&c, l, f);
	CHECK_EQ(match, 6);
	/* a rejection from an old term */
	m = mk(RAFT_MSG_APPEND_RESP, f, l, t - 1 ? t - 1 : 1);
	if (t > 1) {
		m.flags = RAFT_MSGF_REJECT;
		m.index = 2;
		m.hint_len = 1;
		raft_step(h_node(&c, l)->r, &m);
		CHECK_EQ(peer_next(&c, l, f), next);
		CHECK_EQ(raft_role(h_node(&c, l)->r), RAFT_LEADER);
	}
	/* a stale rejection in the current term (index <= match) */
	m = mk(RAFT_MSG_APPEND_RESP, f, l, t);
	m.flags = RAFT_MSGF_REJECT;
	m.index = 3;
	m.hint_len = 1;
	raft_step(h_node(&c, l)->r, &m);
	CHECK_EQ(peer_next(&c, l, f), next);
	CHECK_EQ(peer_match(&c, l, f), match);
	/* a duplicate old success does not move match back */
	m.flags = 0;
	m.index = 2;
	raft_step(h_node(&c, l)->r, &m);
	CHECK_EQ(peer_match(&c, l, f), match);
	/* a reject of a current append (prev >= match) showing a log shorter
	 * than match: the follower lost acknowledged entries (etcd #10166):
	 * the leader repairs it instead of ignoring the reject */
	m.flags = RAFT_MSGF_REJECT;
	m.index = match;
	m.hint_len = 3;
	raft_step(h_node(&c, l)->r, &m);
	CHECK_EQ(peer_match(&c, l, f), 2);
	CHECK_EQ(peer_next(&c, l, f), 3);
	h_stabilize(&c);
	CHECK_EQ(peer_match(&c, l, f), match);
	/* a response with a higher term makes the leader step down */
	m = mk(RAFT_MSG_HEARTBEAT_RESP, f, l, t + 1);
	raft_step(h_node(&c, l)->r, &m);
	CHECK_EQ(raft_role(h_node(&c, l)->r), RAFT_FOLLOWER);
	CHECK_EQ(raft_term(h_node(&c, l)->r), t + 1);
	h_tick_all(&c, 40);
	CHECK(h_leader(&c) != 0);
out:
	SAFE(&c);
	h_free(&c);
}

static u32 elect_stable(struct h_cluster *c)
{
	u32 l;

	h_tick_all(c, 40);
	l = h_leader(c);
	h_tick_all(c, 2);
	return l;
}

/* Pipelining and batching: max_inflight appends, each max_append_entries. */
static void test_pipeline_batching(void)
{
	struct raft_config cfg = h_default_cfg;
	struct h_cluster c;
	u32 l, f, i, n;
	int k;

	cfg.max_inflight = 4;
	cfg.max_append_entries = 10;
	h_init(&c, 3, &cfg);
	l = elect_stable(&c);
	CHECK(l);
	if (!l)
		goto out;
	f = l % 3 + 1;
	for (k = 0; k < 100; k++)
		CHECK_EQ(h_propose(&c, l, "batch"), 0);
	h_process(&c, l);
	n = h_count(&c, RAFT_MSG_APPEND, l, f);
	CHECK_EQ(n, 4);
	for (i = 0; i < c.qn; i++)
		if (c.q[i].m.type == RAFT_MSG_APPEND)
			CHECK_EQ(c.q[i].m.n_entries, 10);
	/* one response frees one slot: one more append goes out */
	h_deliver_match(&c, RAFT_MSG_APPEND, l, f);
	CHECK_EQ(h_count(&c, RAFT_MSG_APPEND_RESP, f, l), 4);
	h_deliver_one(&c);	/* append to the other follower */
	while (c.qn && !(c.q[0].m.type == RAFT_MSG_APPEND_RESP && c.q[0].m.from == f))
		h_deliver_one(&c);
	h_deliver_one(&c);
	CHECK(h_count(&c, RAFT_MSG_APPEND, l, f) >= 1);
	h_stabilize(&c);
	h_tick_all(&c, 2);
	for (i = 1; i <= 3; i++)
		CHECK_EQ(h_node(&c, i)->n_applied_normal, 100);
	/* byte limit: 3 entries of 40 bytes with a 100-byte budget -> 2 per msg */
	h_free(&c);
	cfg.max_append_bytes = 100;
	cfg.max_append_entries = 64;
	h_init(&c, 3, &cfg);
	l = elect_stable(&c);
	CHECK(l);
	if (!l)
		goto out;
	for (k = 0; k < 3; k++)
		h_propose(&c, l, "0123456789012345678901234567890123456789");
	h_process(&c, l);
	for (i = 0; i < c.qn; i++)
		if (c.q[i].m.type == RAFT_MSG_APPEND)
			CHECK(c.q[i].m.n_entries <= 2);
	h_stabilize(&c);
	h_tick_all(&c, 2);
	CHECK_EQ(h_node(&c, f)->n_applied_normal, 3);
out:
	SAFE(&c);
	h_free(&c);
}

/* Backpressure and refusal codes of raft_propose. */
static void test_propose_refusals(void)
{
	struct raft_config cfg = h_default_cfg;
	struct h_cluster c;
	struct raft_status st;
	u32 l;
	int k;

	cfg.max_uncommitted = 5;
	h_init(&c, 3, &cfg);
	CHECK_EQ(h_propose(&c, 1, "x"), -EPERM);
	l = elect_stable(&c);
	CHECK(l);
	if (!l)
		goto out;
	h_isolate(&c, l, true);
	for (k = 0; k < 5; k++)
		CHECK_EQ(h_propose(&c, l, "x"), 0);
	CHECK_EQ(h_propose(&c, l, "x"), -EBUSY);
	raft_get_status(h_node(&c, l)->r, &st);
	CHECK_EQ(st.last_index, st.commit + 5);
	CHECK_EQ(raft_propose(h_node(&c, l)->r, NULL, 4, NULL, NULL), -EINVAL);
	h_isolate(&c, l, false);
	h_tick_all(&c, 3);
	CHECK_EQ(h_propose(&c, l, "x"), 0);
out:
	SAFE(&c);
	h_free(&c);
}

static bool has_read(struct h_node *n, u64 ctx, u64 *idx)
{
	u32 i;

	for (i = 0; i < n->n_reads; i++)
		if (n->read_ctx[i] == ctx) {
			if (idx)
				*idx = n->read_idx[i];
			return true;
		}
	return false;
}

/* ReadIndex: confirmed by a quorum round; lease: answered at once. */
static void test_read_index(void)
{
	struct raft_config cfg = h_default_cfg;
	struct h_cluster c;
	struct h_node *ln;
	u32 l, f;
	u64 idx = 0;

	h_init(&c, 3, &cfg);
	l = elect_stable(&c);
	CHECK(l);
	if (!l)
		goto out;
	ln = h_node(&c, l);
	f = l % 3 + 1;
	CHECK_EQ(raft_read_index(h_node(&c, f)->r, 1), -EPERM);
	h_propose(&c, l, "w");
	h_stabilize(&c);
	CHECK_EQ(raft_read_index(ln->r, 42), 0);
	h_process(&c, l);
	CHECK(!has_read(ln, 42, NULL));	/* needs a heartbeat round */
	CHECK(h_count(&c, RAFT_MSG_HEARTBEAT, l, 0) >= 2);
	h_stabilize(&c);
	CHECK(has_read(ln, 42, &idx));
	CHECK_EQ(idx, h_commit(&c, l));
	/* isolated leader: the read is never confirmed */
	h_isolate(&c, l, true);
	raft_read_index(ln->r, 43);
	h_stabilize(&c);
	CHECK(!has_read(ln, 43, NULL));
	h_free(&c);

	/* lease */
	cfg.lease_drift_ticks = 2;
	h_init(&c, 3, &cfg);
	l = elect_stable(&c);
	CHECK(l);
	if (!l)
		goto out;
	ln = h_node(&c, l);
	CHECK_EQ(raft_read_index(ln->r, 7), 0);
	h_process(&c, l);
	CHECK(has_read(ln, 7, &idx));	/* no round trip */
	CHECK_EQ(idx, h_commit(&c, l));
	/* lease expires without acks: falls back to ReadIndex (no answer) */
	h_isolate(&c, l, true);
	{
		u32 k;

		for (k = 0; k < cfg.election_ticks - 1; k++)
			h_tick(&c, l);
	}
	raft_read_index(ln->r, 8);
	h_process(&c, l);
	CHECK(!has_read(ln, 8, NULL));
	h_free(&c);

	/* a fresh leader answers only after committing an entry of its term */
	cfg.lease_drift_ticks = 0;
	h_init(&c, 3, &cfg);
	raft_campaign(h_node(&c, 1)->r);
	h_process(&c, 1);
	h_deliver_match(&c, RAFT_MSG_PREVOTE, 0, 0);
	h_deliver_match(&c, RAFT_MSG_PREVOTE_RESP, 0, 0);
	h_deliver_match(&c, RAFT_MSG_VOTE, 0, 0);
	h_deliver_match(&c, RAFT_MSG_VOTE_RESP, 0, 0);
	ln = h_node(&c, 1);
	CHECK_EQ(raft_role(ln->r), RAFT_LEADER);
	CHECK_EQ(raft_read_index(ln->r, 9), 0);
	h_filter(&c, RAFT_MSG_APPEND, 0, 0);
	h_deliver_match(&c, RAFT_MSG_HEARTBEAT, 0, 0);
	h_deliver_match(&c, RAFT_MSG_HEARTBEAT_RESP, 0, 0);
	CHECK(!has_read(ln, 9, NULL));
	h_tick_all(&c, 3);
	CHECK(has_read(ln, 9, &idx));
	CHECK(idx >= 1);
	CHECK(h_commit(&c, 1) >= idx);
out:
	SAFE(&c);
	h_free(&c);
}

/* Leadership transfer: proposals refused, target catches up and wins. */
/*
 * raft_request_leadership: a follower asks the leader (TRANSFER_REQ), which
 * catches it up and hands over; a follower cut off from the leader asks in
 * vain and keeps its term (it cannot force an election after the heal); a
 * learner may not ask; with no leader known it campaigns with pre-vote.
 */
static void test_request_leadership(void)
{
	struct h_cluster c;
	u32 l, t, i;
	u64 term;

	h_init(&c, 3, NULL);
	l = elect_stable(&c);
	CHECK(l);
	if (!l)
		goto out;
	t = l % 3 + 1;
	for (i = 0; i < 3; i++)
		h_propose(&c, l, "x");
	h_stabilize(&c);
	term = raft_term(h_node(&c, l)->r);
	CHECK_EQ(raft_request_leadership(h_node(&c, l)->r), 0);
	CHECK_EQ(raft_request_leadership(h_node(&c, t)->r), 0);
	h_process(&c, t);
	CHECK_EQ(h_count(&c, RAFT_MSG_TRANSFER_REQ, t, l), 1);
	h_stabilize(&c);
	CHECK_EQ(h_leader(&c), t);
	CHECK(raft_term(h_node(&c, t)->r) > term);
	CHECK_EQ(h_node(&c, t)->n_applied_normal, 3);
	/* cut off: the request is lost, the term does not move */
	l = t;
	t = l % 3 + 1;
	h_isolate(&c, t, true);
	term = raft_term(h_node(&c, t)->r);
	CHECK_EQ(raft_request_leadership(h_node(&c, t)->r), 0);
	h_stabilize(&c);
	CHECK_EQ(raft_term(h_node(&c, t)->r), term);
	h_isolate(&c, t, false);
	h_tick_all(&c, 3);
	CHECK_EQ(h_leader(&c), l);
	CHECK_EQ(raft_term(h_node(&c, l)->r), term);
	/* ignored by the leader: during a transfer, from a stranger */
	{
		struct raft_msg m = mk(RAFT_MSG_TRANSFER_REQ, t, l, term);

		CHECK_EQ(raft_transfer_leader(h_node(&c, l)->r, t), 0);
		CHECK_EQ(raft_step(h_node(&c, l)->r, &m), 0);
		CHECK_EQ(h_status(&c, l)->transferee, t);
		h_stabilize(&c);
		CHECK_EQ(h_leader(&c), t);
		l = t;
		m = mk(RAFT_MSG_TRANSFER_REQ, 7, l, raft_term(h_node(&c, l)->r));
		CHECK_EQ(raft_step(h_node(&c, l)->r, &m), 0);
		CHECK_EQ(h_status(&c, l)->transferee, 0);
		CHECK_EQ(h_leader(&c), l);
	}
out:
	SAFE(&c);
	h_free(&c);
}


static void test_transfer(void)
{
	struct h_cluster c;
	u32 l, t, i;
	u64 term;

	h_init(&c, 3, NULL);
	l = elect_stable(&c);
	CHECK(l);
	if (!l)
		goto out;
	t = l % 3 + 1;
	term = raft_term(h_node(&c, l)->r);
	/* make the target lag first */
	h_isolate(&c, t, true);
	for (i = 0; i < 5; i++)
		h_propose(&c, l, "lag");
	h_stabilize(&c);
	h_isolate(&c, t, false);
	CHECK_EQ(raft_transfer_leader(h_node(&c, l)->r, t), 0);
	CHECK_EQ(raft_transfer_leader(h_node(&c, l)->r, t), -EBUSY);
	CHECK_EQ(h_propose(&c, l, "no"), -EPERM);
	CHECK_EQ(raft_transfer_leader(h_node(&c, l)->r, 9), -EINVAL);
	if (getenv("DBG")) {
		u32 z;
		for (z = 0; z < c.qn; z++)
			fprintf(stderr, "q %u->%u %s idx %llu n %u\n", c.q[z].m.from, c.q[z].m.to, raft_msg_type_name(c.q[z].m.type), (unsigned long long)c.q[z].m.index, c.q[z].m.n_entries);
		fprintf(stderr, "match %llu next %llu last %llu\n", (unsigned long long)peer_match(&c, l, t), (unsigned long long)peer_next(&c, l, t), (unsigned long long)h_status(&c, l)->last_index);
	}
	h_stabilize(&c);
	CHECK_EQ(h_leader(&c), t);
	CHECK(raft_term(h_node(&c, t)->r) > term);
	h_tick_all(&c, 3);
	CHECK_EQ(raft_leader(h_node(&c, l)->r), t);
	CHECK_EQ(h_node(&c, l)->n_applied_normal, 5);
	CHECK_EQ(h_propose(&c, t, "yes"), 0);
	CHECK_EQ(raft_transfer_leader(h_node(&c, l)->r, t), -EPERM);
	/* an unreachable target: aborted after an election timeout */
	l = t;
	t = l % 3 + 1;
	h_isolate(&c, t, true);
	CHECK_EQ(raft_transfer_leader(h_node(&c, l)->r, t), 0);
	CHECK_EQ(h_propose(&c, l, "no"), -EPERM);
	h_tick_all(&c, c.cfg.election_ticks + 1);
	CHECK_EQ(h_leader(&c), l);
	CHECK_EQ(h_status(&c, l)->transferee, 0);
	CHECK_EQ(h_propose(&c, l, "again"), 0);
	h_isolate(&c, t, false);
	h_tick_all(&c, 5);
	SAFE(&c);
out:
	h_free(&c);
}

/* Snapshot: compaction, chunked install on a lagging follower, catch-up. */
static void test_snapshot_install(void)
{
	struct h_cluster c;
	u32 l, f, i;
	int k;

	h_init(&c, 3, NULL);
	l = elect_stable(&c);
	CHECK(l);
	if (!l)
		goto out;
	f = l % 3 + 1;
	h_crash(&c, f);
	for (k = 0; k < 30; k++)
		h_propose(&c, l, "s");
	h_stabilize(&c);
	h_tick_all(&c, 2);
	CHECK_EQ(raft_compact(h_node(&c, l)->r, h_node(&c, l)->applied + 1), -EINVAL);
	CHECK_EQ(h_compact(&c, l, 20), 0);
	CHECK_EQ(h_status(&c, l)->first_index, 21);
	CHECK_EQ(raft_term_at(h_node(&c, l)->r, 10), 0);
	CHECK(raft_term_at(h_node(&c, l)->r, 20) != 0);
	CHECK_EQ(h_compact(&c, l, 10), 0);	/* already compacted: no-op */
	h_restart(&c, f);
	h_tick_all(&c, 10);
	CHECK_EQ(h_node(&c, f)->n_snap_installed, 1);
	CHECK_EQ(h_node(&c, f)->n_installs, 2);	/* two chunks */
	CHECK_EQ(h_status(&c, f)->snap_index, 20);
	CHECK(!h_status(&c, f)->inconsistent);
	for (k = 0; k < 5; k++)
		h_propose(&c, l, "t");
	h_tick_all(&c, 5);
	for (i = 1; i <= 3; i++)
		CHECK_EQ(h_node(&c, i)->applied, h_node(&c, l)->applied);
	CHECK_EQ(h_node(&c, f)->hash, h_node(&c, l)->hash);
	/* the follower restarts from its installed snapshot */
	h_restart(&c, f);
	h_tick_all(&c, 5);
	CHECK_EQ(h_node(&c, f)->hash, h_node(&c, l)->hash);
out:
	SAFE(&c);
	h_free(&c);
}

/* An interrupted install resumes at the durable offset after a restart. */
/*
 * Leader l of a fresh 3-node cluster c compacts past a follower f that was
 * down; f restarts and makes the first chunk of the snapshot (index 8)
 * durable.  Returns l (0 if no leader), f in *fp.
 */
static u32 snap_mid_install(struct h_cluster *c, u32 *fp)
{
	struct h_node *fn;
	u32 l, f, i;
	int k;

	l = elect_stable(c);
	CHECK(l);
	if (!l)
		return 0;
	f = l % 3 + 1;
	fn = h_node(c, f);
	h_crash(c, f);
	for (k = 0; k < 10; k++)
		h_propose(c, l, "r");
	h_tick_all(c, 2);
	CHECK_EQ(h_compact(c, l, 8), 0);
	h_restart(c, f);
	for (i = 0; i < 200 && !fn->inst_pending; i++) {
		if (!h_deliver_one(c)) {
			h_tick(c, l);
			h_tick(c, f);
		}
	}
	CHECK(fn->inst_pending);
	*fp = f;
	return l;
}

static void test_snapshot_resume(void)
{
	struct h_cluster c;
	struct h_node *fn;
	u32 l, f, i;
	int k;
	bool resumed = false;

	h_init(&c, 3, NULL);
	l = snap_mid_install(&c, &f);
	if (!l)
		goto out;
	fn = h_node(&c, f);
	CHECK_EQ(fn->inst_off, 8);
	h_crash(&c, f);
	h_restart(&c, f);
	CHECK(h_status(&c, f)->inconsistent);
	CHECK_EQ(raft_read_index(fn->r, 1), -EAGAIN);
	CHECK_EQ(raft_campaign(fn->r), -EPERM);
	for (k = 0; k < 100 && h_status(&c, f)->inconsistent; k++) {
		for (i = 0; i < c.qn; i++)
			if (c.q[i].m.type == RAFT_MSG_SNAPSHOT && c.q[i].m.to == f &&
			    c.q[i].m.offset == 8)
				resumed = true;
		if (!h_deliver_one(&c)) {
			h_tick(&c, l);
			h_tick(&c, f);
		}
	}
	CHECK(resumed);
	CHECK(!h_status(&c, f)->inconsistent);
	h_tick_all(&c, 5);
	CHECK_EQ(fn->applied, h_node(&c, l)->applied);
	CHECK_EQ(fn->hash, h_node(&c, l)->hash);
out:
	SAFE(&c);
	h_free(&c);
}

/*
 * Issue 5: a follower interrupted mid-install while the leader checkpoints
 * further gets its own transfer continued (snapshot 8 from offset 8), not a
 * new full one of the newer checkpoint, then an incremental top-up (10
 * against base 8).  With fail, the host gives the older snapshot up
 * (raft_snapshot_failed): the leader starts over with FRESH.
 */
static void snapshot_resume_older(bool fail)
{
	struct h_cluster c;
	struct h_node *fn;
	u32 l, f, i;
	int k;
	bool resumed = false, topup = false, fresh = false;

	h_init(&c, 3, NULL);
	l = snap_mid_install(&c, &f);
	if (!l)
		goto out;
	fn = h_node(&c, f);
	CHECK_EQ(fn->inst_off, 8);
	h_crash(&c, f);
	raft_report_unreachable(h_node(&c, l)->r, f);
	for (k = 0; k < 4; k++)
		h_propose(&c, l, "s");
	h_tick_all(&c, 2);
	CHECK_EQ(h_compact(&c, l, h_node(&c, l)->applied), 0);
	CHECK(h_node(&c, l)->applied > 8);
	h_restart(&c, f);
	CHECK(h_status(&c, f)->inconsistent);
	for (k = 0; k < 300 && (h_status(&c, f)->inconsistent ||
				fn->applied < h_node(&c, l)->applied); k++) {
		for (i = 0; i < c.qn; i++) {
			const struct raft_msg *m = &c.q[i].m;

			if (m->type != RAFT_MSG_SNAPSHOT || m->to != f)
				continue;
			if (m->snap.index == 8 && m->offset == 8 && !resumed) {
				resumed = true;
				if (fail) {
					/* the host could not serve it after all */
					h_drop_queue(&c);
					raft_snapshot_failed(h_node(&c, l)->r, f);
					break;
				}
			}
			if (m->snap.index > 8 && m->applied == 8)
				topup = true;
			if (m->flags & RAFT_MSGF_FRESH)
				fresh = true;
		}
		if (!h_deliver_one(&c)) {
			h_tick(&c, l);
			h_tick(&c, f);
		}
	}
	CHECK(resumed);
	CHECK_EQ(topup, !fail);
	CHECK_EQ(fresh, fail);
	CHECK(!h_status(&c, f)->inconsistent);
	h_tick_all(&c, 5);
	CHECK_EQ(fn->applied, h_node(&c, l)->applied);
	CHECK_EQ(fn->hash, h_node(&c, l)->hash);
out:
	SAFE(&c);
	h_free(&c);
}

/* RESUME offers the leader must not take, and TRANSFER_REQ odds and ends. */
static void test_resume_offer_refusals(void)
{
	struct h_cluster c;
	struct h_node *fn;
	struct raft_msg m;
	u32 l, f, i;
	int k;

	h_init(&c, 3, NULL);
	l = snap_mid_install(&c, &f);
	if (!l)
		goto out;
	fn = h_node(&c, f);
	{
		struct raft_status *st = h_status(&c, l);

		for (i = 0; i < st->n_peers; i++)
			if (st->peers[i].id == f)
				CHECK_EQ(st->peers[i].state, 2);	/* snapshot */
	}
	m = mk(RAFT_MSG_SNAPSHOT_RESP, f, l, raft_term(h_node(&c, l)->r));
	m.flags = RAFT_MSGF_REJECT | RAFT_MSGF_RESUME | RAFT_MSGF_INCONSISTENT;
	m.offset = 8;
	/* not applied that far here: the offer comes again later */
	m.snap.index = 1000;
	m.snap.term = 1;
	CHECK_EQ(raft_step(h_node(&c, l)->r, &m), 0);
	/* base above its index: not servable, the leader starts over */
	m.snap.index = 5;
	m.applied = 6;
	CHECK_EQ(raft_step(h_node(&c, l)->r, &m), 0);
	CHECK_EQ(raft_step(h_node(&c, l)->r, &m), 0);
	m.snap.index = 0;
	m.applied = 0;
	CHECK_EQ(raft_step(h_node(&c, l)->r, &m), 0);
	/* TRANSFER_REQ: from a node mid-install, or to a follower: ignored */
	m = mk(RAFT_MSG_TRANSFER_REQ, f, l, raft_term(h_node(&c, l)->r));
	m.flags = RAFT_MSGF_INCONSISTENT;
	CHECK_EQ(raft_step(h_node(&c, l)->r, &m), 0);
	CHECK_EQ(h_status(&c, l)->transferee, 0);
	m = mk(RAFT_MSG_TRANSFER_REQ, l, l % 3 + 1 == f ? f % 3 + 1 : l % 3 + 1,
	       raft_term(h_node(&c, l)->r));
	CHECK_EQ(raft_step(h_node(&c, m.to)->r, &m), 0);
	/* the install still completes (a fresh transfer) */
	for (k = 0; k < 300 && h_status(&c, f)->inconsistent; k++) {
		if (!h_deliver_one(&c)) {
			h_tick(&c, l);
			h_tick(&c, f);
		}
	}
	CHECK(!h_status(&c, f)->inconsistent);
	h_tick_all(&c, 5);
	CHECK_EQ(fn->hash, h_node(&c, l)->hash);
out:
	SAFE(&c);
	h_free(&c);
}

static void test_snapshot_resume_older(void)
{
	snapshot_resume_older(false);
	snapshot_resume_older(true);
}

/* raft_snapshot_failed / raft_report_unreachable move the peer to probe. */
static void test_snapshot_failed(void)
{
	struct h_cluster c;
	u32 l, f, i;
	int k;
	struct raft_status *st;

	h_init(&c, 3, NULL);
	l = elect_stable(&c);
	CHECK(l);
	if (!l)
		goto out;
	f = l % 3 + 1;
	h_node(&c, l)->auto_snap = false;
	h_crash(&c, f);
	for (k = 0; k < 10; k++)
		h_propose(&c, l, "f");
	h_tick_all(&c, 2);
	CHECK_EQ(h_compact(&c, l, 8), 0);
	h_restart(&c, f);
	h_tick_all(&c, 3);
	st = h_status(&c, l);
	for (i = 0; i < st->n_peers; i++)
		if (st->peers[i].id == f)
			CHECK_EQ(st->peers[i].state, 2);
	CHECK(h_node(&c, l)->n_ss >= 1);
	/* two chunks rejected the same way restart the stream once */
	{
		struct raft_msg rj = mk(RAFT_MSG_SNAPSHOT_RESP, f, l,
					raft_term(h_node(&c, l)->r));
		u32 before;

		rj.flags = RAFT_MSGF_REJECT;
		rj.snap.index = 8;
		rj.offset = 0;
		h_node(&c, l)->n_ss = 0;
		raft_step(h_node(&c, l)->r, &rj);
		raft_step(h_node(&c, l)->r, &rj);
		h_process(&c, l);
		before = h_node(&c, l)->n_ss;
		CHECK_EQ(before, 1);
	}
	/* a chunk for an offset nobody asked for is refused */
	CHECK_EQ(raft_snapshot_chunk(h_node(&c, l)->r, f, 8, 999, "x", 1, 1000, false),
		 -EINVAL);
	raft_snapshot_failed(h_node(&c, l)->r, f);
	st = h_status(&c, l);
	for (i = 0; i < st->n_peers; i++)
		if (st->peers[i].id == f)
			CHECK(st->peers[i].state != 2);
	h_node(&c, l)->n_ss = 0;
	h_node(&c, l)->auto_snap = true;
	raft_report_unreachable(h_node(&c, l)->r, f);
	h_tick_all(&c, 10);
	CHECK_EQ(h_node(&c, f)->applied, h_node(&c, l)->applied);
out:
	SAFE(&c);
	h_free(&c);
}

static struct raft_conf mkconf(const u32 *v, u32 nv, const u32 *lr, u32 nl)
{
	struct raft_conf cf;
	u32 i;

	memset(&cf, 0, sizeof(cf));
	for (i = 0; i < nv; i++)
		cf.voters[i] = v[i];
	cf.n_voters = (u8)nv;
	for (i = 0; i < nl; i++)
		cf.learners[i] = lr[i];
	cf.n_learners = (u8)nl;
	return cf;
}

/* A learner may not ask; with no leader known, asking is a pre-vote campaign. */
static void test_request_leadership_edges(void)
{
	const u32 v3[] = { 1, 2, 3 }, l4[] = { 4 };
	struct raft_conf conf = mkconf(v3, 3, l4, 1);
	struct h_cluster c;
	u64 term;

	h_init_conf(&c, 4, NULL, &conf);
	CHECK_EQ(raft_request_leadership(h_node(&c, 4)->r), -EPERM);
	term = raft_term(h_node(&c, 1)->r);
	CHECK_EQ(raft_request_leadership(h_node(&c, 1)->r), 0);
	CHECK_EQ(h_status(&c, 1)->role, RAFT_PRECANDIDATE);
	CHECK_EQ(raft_term(h_node(&c, 1)->r), term);
	h_stabilize(&c);
	CHECK_EQ(h_leader(&c), 1);
	CHECK_EQ(raft_request_leadership(h_node(&c, 1)->r), 0);
	SAFE(&c);
	h_free(&c);
}

/* Joint consensus: learner add, promotion, removal of the leader, refusals. */
static void test_joint_consensus(void)
{
	const u32 v3[] = { 1, 2, 3 }, l4[] = { 4 }, v4[] = { 1, 2, 3, 4 };
	struct raft_conf init = mkconf(v3, 3, NULL, 0), t;
	struct h_cluster c;
	struct raft_status *st;
	u32 l, i, nl, rest[3], nr = 0;
	int k;

	h_init_conf(&c, 4, NULL, &init);
	l = elect_stable(&c);
	CHECK(l >= 1 && l <= 3);
	if (!l)
		goto out;
	CHECK_EQ(raft_role(h_node(&c, 4)->r), RAFT_FOLLOWER);
	CHECK_EQ(raft_term(h_node(&c, 4)->r), 0);	/* not a member: never campaigns */
	/* promote a stranger straight away? allowed only as learner first here */
	t = mkconf(v3, 3, l4, 1);
	CHECK_EQ(raft_change_conf(h_node(&c, l)->r, &t), 0);
	CHECK_EQ(raft_change_conf(h_node(&c, l)->r, &t), -EBUSY);
	st = h_status(&c, l);
	CHECK_EQ(st->conf.n_learners, 1);
	CHECK_EQ(st->conf.n_voters_old, 0);	/* learner-only: one entry */
	CHECK(st->conf_pending);
	h_tick_all(&c, 5);
	CHECK(!h_status(&c, l)->conf_pending);
	CHECK_EQ(h_status(&c, 4)->conf.n_learners, 1);
	/* learner lagging -> promotion refused */
	h_isolate(&c, 4, true);
	for (k = 0; k < 20; k++)
		h_propose(&c, l, "p");
	h_tick_all(&c, 2);
	t = mkconf(v4, 4, NULL, 0);
	CHECK_EQ(raft_change_conf(h_node(&c, l)->r, &t), -EINVAL);
	h_isolate(&c, 4, false);
	h_tick_all(&c, 5);
	CHECK_EQ(raft_change_conf(h_node(&c, l)->r, &t), 0);
	st = h_status(&c, l);
	CHECK_EQ(st->conf.n_voters_old, 3);	/* C_old,new */
	CHECK_EQ(st->conf.n_voters, 4);
	h_tick_all(&c, 5);
	st = h_status(&c, l);
	CHECK_EQ(st->conf.n_voters_old, 0);	/* C_new appended by the leader */
	CHECK_EQ(st->conf.n_voters, 4);
	CHECK(!st->conf_pending);
	for (i = 1; i <= 4; i++)
		CHECK_EQ(h_status(&c, i)->conf.n_voters, 4);
	/* remove the leader itself */
	for (i = 1; i <= 4; i++)
		if (i != l)
			rest[nr++] = i;
	t = mkconf(rest, 3, NULL, 0);
	CHECK_EQ(raft_change_conf(h_node(&c, l)->r, &t), 0);
	h_stabilize(&c);
	h_tick_all(&c, 3);
	CHECK(raft_role(h_node(&c, l)->r) != RAFT_LEADER);
	h_tick_all(&c, 40);
	nl = h_leader(&c);
	CHECK(nl && nl != l);
	if (nl) {
		CHECK_EQ(h_status(&c, nl)->conf.n_voters, 3);
		CHECK(!raft_conf_is_member(&h_status(&c, nl)->conf, l));
		CHECK_EQ(h_propose(&c, nl, "after"), 0);
		h_tick_all(&c, 3);
		for (i = 0; i < 3; i++)
			CHECK_EQ(h_commit(&c, rest[i]), h_commit(&c, nl));
	}
	/* the removed node never campaigns */
	CHECK(raft_role(h_node(&c, l)->r) == RAFT_FOLLOWER);
out:
	SAFE(&c);
	h_free(&c);
}

/* -EAGAIN before the leader committed an entry of its term; -EINVAL targets; -EPERM. */
static void test_conf_refusals(void)
{
	const u32 v3[] = { 1, 2, 3 }, dup[] = { 1, 1, 2 }, z[] = { 1, 0 };
	struct raft_conf t = mkconf(v3, 3, NULL, 0), bad;
	struct h_cluster c;
	struct raft *r;

	h_init(&c, 3, NULL);
	CHECK_EQ(raft_change_conf(h_node(&c, 1)->r, &t), -EPERM);
	raft_campaign(h_node(&c, 1)->r);
	h_process(&c, 1);
	h_deliver_match(&c, RAFT_MSG_PREVOTE, 0, 0);
	h_deliver_match(&c, RAFT_MSG_PREVOTE_RESP, 0, 0);
	h_deliver_match(&c, RAFT_MSG_VOTE, 0, 0);
	h_deliver_match(&c, RAFT_MSG_VOTE_RESP, 0, 0);
	r = h_node(&c, 1)->r;
	CHECK_EQ(raft_role(r), RAFT_LEADER);
	CHECK_EQ(raft_change_conf(r, &t), -EAGAIN);
	h_stabilize(&c);
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
	CHECK_EQ(h_status(&c, 1)->conf.n_voters_old, 0);
	h_tick_all(&c, 3);
	SAFE(&c);
	h_free(&c);
}

static u64 prng_s = 88172645463325252ull;

static u64 prng(void)
{
	prng_s ^= prng_s << 13;
	prng_s ^= prng_s >> 7;
	prng_s ^= prng_s << 17;
	return prng_s;
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

/* Names and small queries. */
static void test_names(void)
{
	u32 i;

	CHECK(strcmp(raft_role_name(RAFT_LEADER), "leader") == 0);
	CHECK(strcmp(raft_role_name(RAFT_PRECANDIDATE), "precandidate") == 0);
	CHECK(strcmp(raft_role_name(99), "unknown") == 0);
	for (i = 0; i <= RAFT_MSG_TYPE_MAX; i++)
		CHECK(strcmp(raft_msg_type_name(i), "unknown") != 0);
	CHECK(strcmp(raft_msg_type_name(RAFT_MSG_TIMEOUT_NOW), "timeout_now") == 0);
	CHECK(strcmp(raft_msg_type_name(RAFT_MSG_TYPE_MAX + 1), "unknown") == 0);
}

static u32 am_count, am_fail_at, am_pct;

static void *failing_malloc(size_t size)
{
	am_count++;
	if (am_fail_at && am_count == am_fail_at)
		return NULL;
	if (am_pct && prng() % 100 < am_pct)
		return NULL;
	return malloc(size);
}

static void am_set(u32 fail_at, u32 pct)
{
	am_count = 0;
	am_fail_at = fail_at;
	am_pct = pct;
	raft_test_malloc_hook = (fail_at || pct) ? failing_malloc : NULL;
}

/* Every failing allocation is an error the caller sees; state stays usable. */
static void test_alloc_failures(void)
{
	struct raft_config cfg = h_default_cfg;
	const u64 terms[] = { 1, 1, 2 };
	struct raft_status before, after;
	struct h_cluster c;
	struct raft *r;
	u32 n, l, i, failures = 0;
	int err, k;

	/* raft_create: every allocation may fail, nothing leaks */
	for (n = 1; n < 20; n++) {
		am_set(n, 0);
		r = solo(1, terms, 3, 2, &cfg);
		am_set(0, 0);
		if (r) {
			raft_destroy(r);
			break;
		}
		failures++;
	}
	CHECK(failures >= 2);
	CHECK(n < 20);

	/* propose / ready on a single-node leader */
	h_init(&c, 1, NULL);
	raft_campaign(h_node(&c, 1)->r);
	h_process(&c, 1);
	r = h_node(&c, 1)->r;
	for (n = 1; n < 10; n++) {
		raft_get_status(r, &before);
		am_set(n, 0);
		err = raft_propose(r, "data", 4, NULL, NULL);
		am_set(0, 0);
		raft_get_status(r, &after);
		if (err) {
			CHECK_EQ(err, -ENOMEM);
			CHECK_EQ(after.last_index, before.last_index);
		} else {
			CHECK_EQ(after.last_index, before.last_index + 1);
		}
		am_set(n, 0);
		h_process(&c, 1);	/* a failing raft_ready is retried below */
		am_set(0, 0);
		h_process(&c, 1);
		CHECK_EQ(h_commit(&c, 1), after.last_index);
	}
	CHECK_EQ(h_node(&c, 1)->applied, h_commit(&c, 1));
	SAFE(&c);
	h_free(&c);

	/* raft_step of an append: -ENOMEM leaves the log unchanged */
	for (n = 1; n < 10; n++) {
		struct raft_msg m = mk(RAFT_MSG_APPEND, 2, 1, 3);
		struct raft_entry e[3];
		u8 d[3] = { 7, 8, 9 };

		r = solo(1, NULL, 0, 0, NULL);
		memset(e, 0, sizeof(e));
		for (i = 0; i < 3; i++) {
			e[i].term = 3;
			e[i].len = 1;
			e[i].data = &d[i];
		}
		m.entries = e;
		m.n_entries = 3;
		am_set(n, 0);
		err = raft_step(r, &m);
		am_set(0, 0);
		raft_get_status(r, &after);
		if (err) {
			CHECK_EQ(err, -ENOMEM);
			CHECK_EQ(after.last_index, 0);
			CHECK_EQ(raft_step(r, &m), 0);
			raft_get_status(r, &after);
		}
		CHECK_EQ(after.last_index, 3);
		raft_destroy(r);
	}

	/* a 3-node cluster under 3% random allocation failures */
	h_init(&c, 3, &cfg);
	am_set(0, 3);
	for (k = 0; k < 300; k++) {
		l = h_leader(&c);
		if (l)
			h_propose(&c, l, "chaos");
		if (l && k % 50 == 7)
			raft_read_index(h_node(&c, l)->r, k);
		h_tick_all(&c, 1);
	}
	am_set(0, 0);
	h_tick_all(&c, 40);
	l = h_leader(&c);
	CHECK(l);
	if (l) {
		h_propose(&c, l, "final");
		h_tick_all(&c, 5);
		for (i = 1; i <= 3; i++)
			CHECK_EQ(h_node(&c, i)->applied, h_node(&c, l)->applied);
		CHECK(h_node(&c, l)->n_applied_normal > 10);
	}
	SAFE(&c);
	h_free(&c);
}

/* raft_create validates its configuration and boot state. */
static void test_create_validation(void)
{
	struct raft_config cfg = h_default_cfg;
	struct raft_boot b;
	struct raft_entry e[3];
	struct raft *r = NULL;
	struct raft_status st;
	u8 d = 1;
	u32 i;

	memset(&b, 0, sizeof(b));
	b.snap.conf.n_voters = 1;
	b.snap.conf.voters[0] = 1;
	cfg.id = 1;
	CHECK_EQ(raft_create(&r, NULL, &b), -EINVAL);
	CHECK_EQ(raft_create(&r, &cfg, NULL), -EINVAL);
	cfg.id = 0;
	CHECK_EQ(raft_create(&r, &cfg, &b), -EINVAL);
	cfg.id = 1;
	cfg.election_ticks = 1;
	CHECK_EQ(raft_create(&r, &cfg, &b), -EINVAL);
	cfg.election_ticks = 10;
	cfg.heartbeat_ticks = 0;
	CHECK_EQ(raft_create(&r, &cfg, &b), -EINVAL);
	cfg.heartbeat_ticks = 10;
	CHECK_EQ(raft_create(&r, &cfg, &b), -EINVAL);
	cfg.heartbeat_ticks = 2;
	b.snap.conf.voters[0] = 0;
	CHECK_EQ(raft_create(&r, &cfg, &b), -EINVAL);
	b.snap.conf.voters[0] = 1;
	b.n_entries = 3;
	CHECK_EQ(raft_create(&r, &cfg, &b), -EINVAL);
	memset(e, 0, sizeof(e));
	for (i = 0; i < 3; i++) {
		e[i].index = i + 1;
		e[i].term = 1;
		e[i].len = 1;
		e[i].data = &d;
	}
	b.entries = e;
	b.hs.term = 1;
	e[1].index = 5;
	CHECK_EQ(raft_create(&r, &cfg, &b), -EINVAL);	/* not contiguous */
	e[1].index = 2;
	e[2].term = 0;
	CHECK_EQ(raft_create(&r, &cfg, &b), -EINVAL);	/* term decreases */
	e[2].term = 2;
	CHECK_EQ(raft_create(&r, &cfg, &b), -EINVAL);	/* term > hs.term */
	e[2].term = 1;
	e[2].data = NULL;
	CHECK_EQ(raft_create(&r, &cfg, &b), -EINVAL);
	e[2].data = &d;
	e[2].type = 9;
	CHECK_EQ(raft_create(&r, &cfg, &b), -EINVAL);
	e[2].type = 0;
	e[0].term = 0;
	CHECK_EQ(raft_create(&r, &cfg, &b), -EINVAL);	/* term 0 */
	e[0].term = 1;
	b.n_entries = 0;
	b.snap.term = 5;
	b.snap.index = 0;
	CHECK_EQ(raft_create(&r, &cfg, &b), -EINVAL);	/* snap term > hs */
	b.n_entries = 3;
	b.snap.term = 0;
	/* zero limits take defaults; max_inflight is capped */
	cfg.max_inflight = 1000;
	cfg.max_append_entries = 0;
	cfg.max_append_bytes = 0;
	cfg.max_uncommitted = 0;
	b.hs.commit = 99;
	CHECK_EQ(raft_create(&r, &cfg, &b), 0);
	raft_get_status(r, &st);
	CHECK_EQ(st.last_index, 3);
	CHECK_EQ(st.commit, 3);	/* boot commit clamped to the log */
	CHECK_EQ(st.persisted, 3);
	CHECK_EQ(raft_term_at(r, 0), 0);
	CHECK_EQ(raft_term_at(r, 2), 1);
	CHECK_EQ(raft_term_at(r, 4), 0);
	raft_destroy(r);
	raft_destroy(NULL);
	cfg.max_inflight = 0;
	b.n_entries = 0;
	CHECK_EQ(raft_create(&r, &cfg, &b), 0);
	raft_destroy(r);
}

/* raft_step refuses malformed messages with -EINVAL and no state change. */
static void test_step_validation(void)
{
	struct raft *r = solo(1, NULL, 0, 1, NULL);
	struct raft_entry e[2];
	struct raft_msg m;
	u8 d = 1;

	CHECK_EQ(raft_step(r, NULL), -EINVAL);
	m = mk(RAFT_MSG_NONE, 2, 1, 1);
	CHECK_EQ(raft_step(r, &m), -EINVAL);
	m = mk(RAFT_MSG_TYPE_MAX + 1, 2, 1, 1);
	CHECK_EQ(raft_step(r, &m), -EINVAL);
	m = mk(RAFT_MSG_HEARTBEAT, 0, 1, 1);
	CHECK_EQ(raft_step(r, &m), -EINVAL);
	m = mk(RAFT_MSG_HEARTBEAT, 1, 1, 1);
	CHECK_EQ(raft_step(r, &m), -EINVAL);
	m = mk(RAFT_MSG_HEARTBEAT, 2, 1, 0);
	CHECK_EQ(raft_step(r, &m), -EINVAL);
	m = mk(RAFT_MSG_HEARTBEAT, 2, 3, 1);
	CHECK_EQ(raft_step(r, &m), -EINVAL);
	m = mk(RAFT_MSG_APPEND, 2, 1, 2);
	m.n_entries = 1;
	CHECK_EQ(raft_step(r, &m), -EINVAL);
	m = mk(RAFT_MSG_SNAPSHOT, 2, 1, 2);
	m.len = 4;
	CHECK_EQ(raft_step(r, &m), -EINVAL);
	memset(e, 0, sizeof(e));
	e[0].term = 2;
	e[0].len = 1;
	e[1].term = 2;
	e[1].len = 1;
	e[1].data = &d;
	m = mk(RAFT_MSG_APPEND, 2, 1, 2);
	m.entries = e;
	m.n_entries = 2;
	CHECK_EQ(raft_step(r, &m), -EINVAL);	/* len without data */
	e[0].data = &d;
	e[0].type = 7;
	CHECK_EQ(raft_step(r, &m), -EINVAL);
	e[0].type = 0;
	e[0].term = 3;
	CHECK_EQ(raft_step(r, &m), -EINVAL);	/* entry term > message term */
	e[0].term = 2;
	e[0].index = 5;
	CHECK_EQ(raft_step(r, &m), -EINVAL);	/* wrong index */
	e[0].index = 1;
	e[1].term = 1;
	CHECK_EQ(raft_step(r, &m), -EINVAL);	/* terms decrease */
	e[1].term = 2;
	e[0].index = 0;
	m.index = ~0ull;
	CHECK_EQ(raft_step(r, &m), -EINVAL);	/* index overflow */
	e[0].index = 1;
	m.index = 0;
	m.log_term = 5;
	CHECK_EQ(raft_step(r, &m), -EINVAL);	/* entry term < prev term */
	CHECK_EQ(raft_term(r), 1);
	CHECK_EQ(h_default_cfg.id, 0);
	/* to = 0 (unaddressed) is accepted */
	m = mk(RAFT_MSG_HEARTBEAT, 2, 0, 1);
	CHECK_EQ(raft_step(r, &m), 0);
	CHECK_EQ(raft_leader(r), 2);
	raft_destroy(r);

	/* stray and malformed election answers */
	r = solo(1, NULL, 0, 1, NULL);
	raft_campaign(r);
	CHECK_EQ(raft_role(r), RAFT_PRECANDIDATE);
	m = mk(RAFT_MSG_PREVOTE_RESP, 7, 1, 2);	/* not a voter */
	raft_step(r, &m);
	m = mk(RAFT_MSG_PREVOTE_RESP, 2, 1, 1);	/* grant must carry term+1 */
	raft_step(r, &m);
	CHECK_EQ(raft_role(r), RAFT_PRECANDIDATE);
	m = mk(RAFT_MSG_PREVOTE_RESP, 2, 1, 2);
	raft_step(r, &m);
	CHECK_EQ(raft_role(r), RAFT_CANDIDATE);
	m = mk(RAFT_MSG_VOTE_RESP, 7, 1, 2);	/* not a voter */
	raft_step(r, &m);
	CHECK_EQ(raft_role(r), RAFT_CANDIDATE);
	m = mk(RAFT_MSG_VOTE_RESP, 3, 1, 2);
	raft_step(r, &m);
	CHECK_EQ(raft_role(r), RAFT_LEADER);
	CHECK_EQ(raft_compact(r, 5), -EINVAL);	/* beyond the log */
	CHECK_EQ(raft_propose(r, NULL, 0, NULL, NULL), 0);	/* empty entry */
	raft_destroy(r);
}

/* Leader-side API refusals and corner cases. */
static void test_leader_api_edges(void)
{
	struct raft_config cfg = h_default_cfg;
	const u32 v3[] = { 1, 2, 3 }, l4[] = { 4 };
	struct raft_conf init = mkconf(v3, 3, l4, 1), t;
	struct h_cluster c;
	struct raft *lr, *fr;
	struct raft_ready rd;
	struct raft_msg m;
	u32 l, f;
	int k;

	cfg.max_uncommitted = 3;
	cfg.lease_drift_ticks = 20;	/* >= election: lease off */
	h_init_conf(&c, 4, &cfg, &init);
	fr = h_node(&c, 2)->r;
	CHECK_EQ(raft_read_index(fr, 1), -EPERM);
	CHECK_EQ(raft_transfer_leader(fr, 1), -EPERM);
	CHECK_EQ(raft_snapshot_chunk(fr, 1, 0, 0, "x", 1, 1, true), -EPERM);
	raft_snapshot_failed(fr, 1);
	raft_report_unreachable(fr, 1);
	l = elect_stable(&c);
	CHECK(l >= 1 && l <= 3);
	if (!l)
		goto out;
	lr = h_node(&c, l)->r;
	f = l % 3 + 1;
	fr = h_node(&c, f)->r;
	CHECK_EQ(raft_campaign(lr), 0);	/* already leader */
	CHECK_EQ(raft_transfer_leader(lr, l), 0);	/* to itself: nothing */
	CHECK_EQ(raft_transfer_leader(lr, 4), -EINVAL);	/* learner */
	CHECK_EQ(raft_change_conf(lr, NULL), -EINVAL);
	CHECK_EQ(raft_snapshot_chunk(lr, 9, 0, 0, "x", 1, 1, true), -EINVAL);
	CHECK_EQ(raft_snapshot_chunk(lr, f, 0, 0, "x", 1, 1, true), -EINVAL);
	CHECK_EQ(raft_snapshot_chunk(lr, f, 0, 0, NULL, 1, 1, true), -EINVAL);
	raft_snapshot_failed(lr, 9);
	raft_snapshot_failed(lr, l);
	raft_snapshot_failed(lr, f);	/* replicate -> probe */
	raft_report_unreachable(lr, 9);
	raft_report_unreachable(lr, f);
	CHECK_EQ(raft_term_at(lr, 0), 0);
	/* a vote request for the leader's own term is refused */
	m = mk(RAFT_MSG_VOTE, f, l, raft_term(lr));
	m.index = 100;
	m.log_term = raft_term(lr);
	raft_step(lr, &m);
	CHECK_EQ(raft_role(lr), RAFT_LEADER);
	/* stray answers to elections are ignored by leader and followers */
	m = mk(RAFT_MSG_VOTE_RESP, f, l, raft_term(lr));
	raft_step(lr, &m);
	m = mk(RAFT_MSG_PREVOTE_RESP, l, f, raft_term(lr) + 1);
	raft_step(fr, &m);
	m = mk(RAFT_MSG_TIMEOUT_NOW, f, l, raft_term(lr));
	raft_step(lr, &m);
	CHECK_EQ(raft_role(lr), RAFT_LEADER);
	/* a learner that is told to time out does not campaign */
	m = mk(RAFT_MSG_TIMEOUT_NOW, l, 4, raft_term(lr));
	raft_step(h_node(&c, 4)->r, &m);
	CHECK_EQ(raft_role(h_node(&c, 4)->r), RAFT_FOLLOWER);
	/* a lower-term pre-vote gets a rejection with our term */
	m = mk(RAFT_MSG_PREVOTE, l, f, 1);
	if (raft_term(fr) > 1) {
		raft_step(fr, &m);
		h_process(&c, f);
		CHECK(h_count(&c, RAFT_MSG_PREVOTE_RESP, f, l) >= 1);
	}
	h_stabilize(&c);
	/* backpressure also refuses configuration changes */
	h_isolate(&c, l, true);
	for (k = 0; k < 3; k++)
		h_propose(&c, l, "u");
	t = mkconf(v3, 3, NULL, 0);
	CHECK_EQ(raft_change_conf(lr, &t), -EBUSY);
	h_isolate(&c, l, false);
	h_tick_all(&c, 3);
	/* calling raft_ready twice before raft_advance keeps every message */
	h_propose(&c, l, "twice");
	raft_tick(lr);
	CHECK_EQ(raft_ready(lr, &rd), 0);
	CHECK(rd.n_msgs > 0);
	raft_propose(lr, "x", 1, NULL, NULL);
	CHECK_EQ(raft_ready(lr, &rd), 0);
	CHECK(rd.n_msgs > 0);
	raft_advance(lr, &rd);
	raft_persisted(lr, 0, 0);
	raft_persisted(lr, 1000, 1);
	h_tick_all(&c, 10);
	CHECK_EQ(h_commit(&c, f), h_commit(&c, l));
	/* compaction between raft_ready and raft_advance is deferred */
	CHECK_EQ(raft_compact(lr, 1000), -EINVAL);
	h_propose(&c, l, "y");
	CHECK_EQ(raft_ready(lr, &rd), 0);
	CHECK_EQ(raft_compact(lr, 3), 0);
	CHECK_EQ(h_status(&c, l)->snap_index, 0);
	raft_advance(lr, &rd);
	CHECK_EQ(h_status(&c, l)->snap_index, 3);
	raft_snapshot_chunk_done(lr, 1, 0, 1, true);	/* nothing pending */
	h_tick_all(&c, 5);
out:
	h_drop_queue(&c);
	h_free(&c);
}

static bool h_status_solo_inconsistent(struct raft *r)
{
	struct raft_status st;

	raft_get_status(r, &st);
	return st.inconsistent;
}

static struct raft_msg snapmsg(u64 term, u64 idx, u64 sterm, u64 off, u64 next,
			       const void *data, u32 len, bool last)
{
	struct raft_msg m = mk(RAFT_MSG_SNAPSHOT, 2, 1, term);

	m.snap.index = idx;
	m.snap.term = sterm;
	m.snap.conf.n_voters = 3;
	m.snap.conf.voters[0] = 1;
	m.snap.conf.voters[1] = 2;
	m.snap.conf.voters[2] = 3;
	m.offset = off;
	m.ctx = next;
	m.data = (u8 *)data;
	m.len = len;
	if (last)
		m.flags |= RAFT_MSGF_LAST;
	return m;
}

static u32 last_snap_resp(struct raft *r, u64 *offset, u32 *flags)
{
	struct raft_msg o[16];
	u32 n = solo_drain(r, RAFT_MSG_SNAPSHOT_RESP, o, 16);

	if (n) {
		*offset = o[n - 1].offset;
		*flags = o[n - 1].flags;
	}
	return n;
}

/* Follower side of snapshot transfer, message by message. */
static void test_snapshot_follower_edges(void)
{
	const u64 terms[] = { 1, 1, 1 };
	struct raft *r = solo(1, terms, 3, 2, NULL);
	struct raft_ready rd;
	struct raft_status st;
	struct raft_msg m, o[8];
	u64 off = 0;
	u32 fl = 0, k;

	/* 1. a snapshot we already have (index <= commit): acknowledged */
	m = mk(RAFT_MSG_HEARTBEAT, 2, 1, 2);
	m.commit = 3;
	raft_step(r, &m);
	solo_drain(r, 0, o, 8);
	m = snapmsg(2, 2, 1, 0, 8, "abcdefgh", 8, false);
	raft_step(r, &m);
	CHECK_EQ(solo_drain(r, RAFT_MSG_APPEND_RESP, o, 8), 1);
	CHECK_EQ(o[0].index, 3);
	CHECK(!h_status_solo_inconsistent(r));
	/* 2. a new transfer must start at offset 0 */
	m = snapmsg(2, 10, 2, 8, 16, "abcdefgh", 8, false);
	raft_step(r, &m);
	CHECK_EQ(last_snap_resp(r, &off, &fl), 1);
	CHECK(fl & RAFT_MSGF_REJECT);
	CHECK_EQ(off, 0);
	/* 3. offset 0: handed to the host once, node Inconsistent */
	m = snapmsg(2, 10, 2, 0, 8, "abcdefgh", 8, false);
	raft_step(r, &m);
	raft_get_status(r, &st);
	CHECK(st.inconsistent);
	CHECK_EQ(raft_ready(r, &rd), 0);
	CHECK(rd.has_snap_install);
	CHECK_EQ(rd.snap_install.offset, 0);
	CHECK_EQ(rd.snap_install.next_offset, 8);
	raft_advance(r, &rd);
	CHECK(!raft_has_ready(r) || (raft_ready(r, &rd) == 0 && !rd.has_snap_install &&
				     (raft_advance(r, &rd), 1)));
	/* 4. wrong offset: rejected with the offset expected */
	m = snapmsg(2, 10, 2, 16, 24, "abcdefgh", 8, false);
	raft_step(r, &m);
	CHECK_EQ(last_snap_resp(r, &off, &fl), 1);
	CHECK(fl & RAFT_MSGF_REJECT);
	CHECK_EQ(off, 8);
	/* 5. another snapshot mid-install: the reply offers to resume ours
	 * (snapshot 10 at offset 8), even while a chunk is with the host */
	m = snapmsg(2, 12, 2, 0, 8, "abcdefgh", 8, false);
	raft_step(r, &m);
	CHECK_EQ(last_snap_resp(r, &off, &fl), 1);
	CHECK(fl & RAFT_MSGF_REJECT);
	CHECK(fl & RAFT_MSGF_RESUME);
	CHECK_EQ(off, 8);
	CHECK(h_status_solo_inconsistent(r));
	/* with FRESH while a chunk is with the host: dropped silently (a
	 * reject would make the leader restart in a loop) */
	m.flags |= RAFT_MSGF_FRESH;
	raft_step(r, &m);
	CHECK_EQ(last_snap_resp(r, &off, &fl), 0);
	/* 6. queue the next chunks; the queue holds 4 */
	for (k = 1; k < 4; k++) {
		m = snapmsg(2, 10, 2, 8 * k, 8 * (k + 1), "abcdefgh", 8, false);
		CHECK_EQ(raft_step(r, &m), 0);
	}
	m = snapmsg(2, 10, 2, 32, 40, "abcdefgh", 8, false);
	raft_step(r, &m);
	CHECK_EQ(last_snap_resp(r, &off, &fl), 1);
	CHECK(fl & RAFT_MSGF_REJECT);
	CHECK_EQ(off, 32);
	/* 7. wrong completion reports are ignored; right ones advance */
	raft_snapshot_chunk_done(r, 99, 0, 8, false);
	raft_snapshot_chunk_done(r, 10, 8, 16, false);
	CHECK_EQ(last_snap_resp(r, &off, &fl), 0);
	raft_snapshot_chunk_done(r, 10, 0, 8, false);
	CHECK_EQ(last_snap_resp(r, &off, &fl), 1);
	CHECK_EQ(off, 8);
	/* (the drain above handed out the chunk at 8) */
	for (k = 1; k < 4; k++) {
		raft_snapshot_chunk_done(r, 10, 8 * k, 8 * (k + 1), false);
		CHECK_EQ(last_snap_resp(r, &off, &fl), 1);
		CHECK_EQ(off, 8 * (k + 1));
	}
	CHECK_EQ(raft_read_index(r, 1), -EAGAIN);
	/* 8. the last chunk (empty), completed between ready and advance */
	m = snapmsg(2, 10, 2, 32, 32, NULL, 0, true);
	CHECK_EQ(raft_step(r, &m), 0);
	m = snapmsg(2, 10, 2, 32, 32, NULL, 0, true);
	CHECK_EQ(raft_step(r, &m), 0);	/* after the last: ignored */
	CHECK_EQ(raft_ready(r, &rd), 0);
	CHECK(rd.has_snap_install);
	CHECK(rd.snap_install.last);
	CHECK(rd.snap_install.data != NULL);
	raft_snapshot_chunk_done(r, 10, 32, 32, true);	/* deferred */
	raft_get_status(r, &st);
	CHECK(st.inconsistent);
	raft_advance(r, &rd);
	raft_get_status(r, &st);
	CHECK(!st.inconsistent);
	CHECK_EQ(st.snap_index, 10);
	CHECK_EQ(st.commit, 10);
	CHECK_EQ(st.applied, 10);
	CHECK_EQ(st.last_index, 10);
	CHECK_EQ(raft_ready(r, &rd), 0);
	CHECK(rd.snap_installed);
	CHECK_EQ(rd.snap.index, 10);
	CHECK_EQ(rd.n_committed, 0);
	CHECK_EQ(count_type(&rd, RAFT_MSG_SNAPSHOT_RESP), 1);
	raft_advance(r, &rd);
	/* 9. an older snapshot than what we applied: ignored */
	m = snapmsg(2, 5, 1, 0, 8, "abcdefgh", 8, false);
	raft_step(r, &m);
	raft_get_status(r, &st);
	CHECK(!st.inconsistent);
	raft_destroy(r);
}

static u32 last_snap_resp_applied(struct raft *r, u64 *offset, u32 *flags,
				  u64 *applied)
{
	struct raft_msg o[16];
	u32 n = solo_drain(r, RAFT_MSG_SNAPSHOT_RESP, o, 16);

	if (n) {
		*offset = o[n - 1].offset;
		*flags = o[n - 1].flags;
		*applied = o[n - 1].applied;
	}
	return n;
}

/* Incremental snapshot bases (SIM-1 and follow-up). */
static void test_snapshot_bases(void)
{
	const u64 terms[] = { 1, 1, 1 };
	struct raft *r = solo(1, terms, 3, 2, NULL);
	struct raft_msg m, o[8];
	struct raft_status st;
	u64 off = 0, ap = 0;
	u32 fl = 0;

	m = mk(RAFT_MSG_HEARTBEAT, 2, 1, 2);
	m.commit = 3;
	raft_step(r, &m);
	solo_drain(r, 0, o, 8);
	raft_get_status(r, &st);
	CHECK_EQ(st.applied, 3);
	/* a stream computed against base 5: we only have 3 -> refused */
	m = snapmsg(2, 10, 2, 0, 8, "abcdefgh", 8, false);
	m.applied = 5;
	raft_step(r, &m);
	CHECK_EQ(last_snap_resp_applied(r, &off, &fl, &ap), 1);
	CHECK(fl & RAFT_MSGF_REJECT);
	CHECK_EQ(off, 0);
	CHECK_EQ(ap, 3);
	CHECK(!h_status_solo_inconsistent(r));
	/* base 3: accepted; the install reports base 3 */
	m.applied = 3;
	raft_step(r, &m);
	CHECK(h_status_solo_inconsistent(r));
	{
		struct raft_ready rd;

		raft_ready(r, &rd);
		CHECK(rd.has_snap_install);
		CHECK_EQ(rd.snap_install.base_applied, 3);
		raft_advance(r, &rd);
	}
	raft_snapshot_chunk_done(r, 10, 0, 8, false);
	CHECK_EQ(last_snap_resp_applied(r, &off, &fl, &ap), 1);
	CHECK_EQ(ap, 3);	/* mid-install: reports the transfer's base */
	CHECK_EQ(off, 8);
	/* the same snapshot with another base: offer to resume ours */
	m = snapmsg(2, 10, 2, 8, 16, "abcdefgh", 8, false);
	m.applied = 2;
	raft_step(r, &m);
	CHECK_EQ(last_snap_resp_applied(r, &off, &fl, &ap), 1);
	CHECK(fl & RAFT_MSGF_RESUME);
	CHECK_EQ(off, 8);
	CHECK_EQ(ap, 3);
	/* FRESH (the leader will not resume): restart at 0 */
	m.flags |= RAFT_MSGF_FRESH;
	raft_step(r, &m);
	CHECK_EQ(last_snap_resp_applied(r, &off, &fl, &ap), 1);
	CHECK(fl & RAFT_MSGF_REJECT);
	CHECK(!(fl & RAFT_MSGF_RESUME));
	CHECK_EQ(off, 0);
	/* an older snapshot (8 < 10) over a partial install: resume offer;
	 * with FRESH a full copy only */
	m = snapmsg(3, 8, 2, 0, 8, "abcdefgh", 8, false);
	m.applied = 3;
	raft_step(r, &m);
	CHECK_EQ(last_snap_resp_applied(r, &off, &fl, &ap), 1);
	CHECK(fl & RAFT_MSGF_RESUME);
	CHECK_EQ(ap, 3);
	m.flags |= RAFT_MSGF_FRESH;
	raft_step(r, &m);
	CHECK_EQ(last_snap_resp_applied(r, &off, &fl, &ap), 1);
	CHECK(fl & RAFT_MSGF_REJECT);
	CHECK_EQ(ap, 0);
	m.applied = 0;
	raft_step(r, &m);
	{
		struct raft_ready rd;

		raft_ready(r, &rd);
		CHECK(rd.has_snap_install);
		CHECK_EQ(rd.snap_install.meta.index, 8);
		CHECK_EQ(rd.snap_install.base_applied, 0);
		raft_advance(r, &rd);
	}
	raft_destroy(r);
}

/* Odds and ends: single-node reads, stray votes, conf rules, compaction limits. */
static void test_misc_paths(void)
{
	const u32 v3[] = { 1, 2, 3 }, v35[] = { 1, 2, 3, 5 };
	struct raft_conf init = mkconf(v3, 3, NULL, 0), t;
	struct h_cluster c;
	struct h_node *n;
	struct raft_msg m;
	u64 idx = 0;
	u32 l;

	/* single node: read index answered at once, after the NOOP commits */
	h_init(&c, 1, NULL);
	n = h_node(&c, 1);
	n->manual_persist = true;
	raft_campaign(n->r);
	h_process(&c, 1);
	CHECK_EQ(raft_read_index(n->r, 5), 0);
	h_process(&c, 1);
	CHECK(!has_read(n, 5, NULL));
	h_persist(&c, 1);
	CHECK(has_read(n, 5, &idx));
	CHECK_EQ(idx, 1);
	CHECK_EQ(raft_read_index(n->r, 6), 0);
	h_process(&c, 1);
	CHECK(has_read(n, 6, NULL));
	CHECK_EQ(raft_compact(n->r, 1), 0);
	raft_propose(n->r, "z", 1, NULL, NULL);
	h_process(&c, 1);
	CHECK_EQ(raft_compact(n->r, 2), -EINVAL);	/* not yet persisted */
	h_persist(&c, 1);
	CHECK_EQ(raft_compact(n->r, 2), 0);
	SAFE(&c);
	h_free(&c);

	/* stray election answers and votes from non-voters */
	h_init_conf(&c, 5, NULL, &init);
	l = elect_stable(&c);
	CHECK(l >= 1 && l <= 3);
	if (!l)
		goto out;
	m = mk(RAFT_MSG_PREVOTE_RESP, 5, l, raft_term(h_node(&c, l)->r) + 1);
	raft_step(h_node(&c, l)->r, &m);
	m = mk(RAFT_MSG_PREVOTE, 5, l % 3 + 1, raft_term(h_node(&c, l)->r) + 1);
	raft_step(h_node(&c, l % 3 + 1)->r, &m);
	CHECK_EQ(raft_term(h_node(&c, l % 3 + 1)->r), raft_term(h_node(&c, l)->r));
	/* adding a brand-new voter directly (not a lagging learner) is allowed */
	t = mkconf(v35, 4, NULL, 0);
	CHECK_EQ(raft_transfer_leader(h_node(&c, l)->r, l % 3 + 1), 0);
	CHECK_EQ(raft_change_conf(h_node(&c, l)->r, &t), -EPERM);
	h_stabilize(&c);
	h_tick_all(&c, 5);
	l = h_leader(&c);
	CHECK(l);
	if (!l)
		goto out;
	CHECK_EQ(raft_change_conf(h_node(&c, l)->r, &t), 0);
	CHECK_EQ(h_status(&c, l)->conf.n_voters_old, 3);
	CHECK_EQ(raft_change_conf(h_node(&c, l)->r, &t), -EBUSY);
	h_tick_all(&c, 10);
	CHECK_EQ(h_status(&c, 5)->conf.n_voters, 4);
	CHECK_EQ(h_node(&c, 5)->applied, h_node(&c, l)->applied);
	CHECK_EQ(raft_term(h_node(&c, 4)->r), 0);	/* never a member */
out:
	SAFE(&c);
	h_free(&c);
}

/* With lease reads, a restarted node keeps its promise not to vote for a timeout. */
static void test_lease_boot_quiet(void)
{
	struct raft_config cfg = h_default_cfg;
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
		raft_tick(r);
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
