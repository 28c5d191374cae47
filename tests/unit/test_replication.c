// SPDX-License-Identifier: GPL-2.0
/*
 * test_replication.c - unit tests of the Raft core: log replication, commit,
 * persistence contract, reads.
 */
#include "unit.h"

/* A one-node cluster: campaign, propose, persist, commit, apply. */
static void test_single_node(void)
{
	struct rtc_cluster *c;
	struct rtc_node *n;
	u64 idx = 0, term = 0;
	int i;

	c = rtc_new(UENV, 1, NULL, NULL);
	n = rtc_node(c, 1);
	CHECK_EQ(raft_campaign(n->r), 0);
	rtc_process(c, 1);
	CHECK_EQ(raft_role(n->r), RAFT_LEADER);
	CHECK_EQ(raft_term(n->r), 1);
	CHECK_EQ(n->hs.term, 1);
	CHECK_EQ(n->hs.vote, 1);
	CHECK_EQ(rtc_commit(c, 1), 1);	/* the NOOP */
	CHECK_EQ(n->applied, 1);
	for (i = 0; i < 10; i++)
		CHECK_EQ(raft_propose(n->r, "abc", 3, &idx, &term), 0);
	CHECK_EQ(idx, 11);
	CHECK_EQ(term, 1);
	rtc_process(c, 1);
	CHECK_EQ(rtc_commit(c, 1), 11);
	CHECK_EQ(n->applied, 11);
	CHECK_EQ(n->n_applied_normal, 10);
	/* restart: log recovered, re-elected, everything re-applied */
	rtc_restart(c, 1);
	n = rtc_node(c, 1);
	CHECK_EQ(raft_term(n->r), 1);
	rtc_tick_all(c, 30);
	CHECK_EQ(raft_role(n->r), RAFT_LEADER);
	CHECK_EQ(raft_term(n->r), 2);
	CHECK_EQ(n->applied, 12);
	SAFE(c);
	rtc_free(c);
}

/* Single node with manual persistence: no commit before persisted. */
static void test_single_node_persist_gate(void)
{
	struct rtc_cluster *c;
	struct rtc_node *n;

	c = rtc_new(UENV, 1, NULL, NULL);
	n = rtc_node(c, 1);
	n->manual_persist = true;
	raft_campaign(n->r);
	rtc_process(c, 1);
	CHECK_EQ(raft_role(n->r), RAFT_LEADER);
	CHECK_EQ(rtc_commit(c, 1), 0);
	CHECK_EQ(n->applied, 0);
	rtc_persist(c, 1);
	CHECK_EQ(rtc_commit(c, 1), 1);
	CHECK_EQ(raft_propose(n->r, "x", 1, NULL, NULL), 0);
	rtc_process(c, 1);
	CHECK_EQ(rtc_commit(c, 1), 1);
	rtc_persist(c, 1);
	CHECK_EQ(rtc_commit(c, 1), 2);
	CHECK_EQ(n->applied, 2);
	SAFE(c);
	rtc_free(c);
}

/* Three nodes: election by timeout, replication, commit everywhere. */
static void test_three_node_basic(void)
{
	struct rtc_cluster *c;
	u32 l, i;
	int k;

	c = led_cluster(3, NULL, NULL, &l);
	if (!l)
		goto out;
	for (k = 0; k < 50; k++)
		CHECK_EQ(rtc_propose(c, l, "hello"), 0);
	rtc_stabilize(c);
	rtc_tick_all(c, 2);
	for (i = 1; i <= 3; i++) {
		CHECK_EQ(rtc_commit(c, i), 51);
		CHECK_EQ(rtc_node(c, i)->applied, 51);
		CHECK_EQ(raft_leader(rtc_node(c, i)->r), l);
	}
	/* followers refuse proposals */
	CHECK_EQ(rtc_propose(c, l % 3 + 1, "x"), -EPERM);
out:
	SAFE(c);
	rtc_free(c);
}

/*
 * Seed 000 log repair: S1 [3], S2 [3 3 4], S3 (leader) [3 3 5 6].
 * S1's log is too short (XLen), S2 has a term the leader lacks (XIndex).
 */
static void test_log_repair_seed000(void)
{
	struct raft_config cfg = rtc_cfg_nopv();
	struct rtc_cluster *c;
	const u64 s1[] = { 3 }, s2[] = { 3, 3, 4 }, s3[] = { 3, 3, 5, 6 };
	struct rtc_msg *q;
	u32 i, rejects = 0;

	c = rtc_new(UENV, 3, &cfg, NULL);
	rtc_load(c, 1, s1, 1, 6);
	rtc_load(c, 2, s2, 3, 6);
	rtc_load(c, 3, s3, 4, 6);
	raft_campaign(rtc_node(c, 3)->r);
	rtc_process(c, 3);
	rtc_deliver_match(c, RAFT_MSG_VOTE, 0, 0);
	rtc_deliver_match(c, RAFT_MSG_VOTE_RESP, 0, 0);
	CHECK_EQ(raft_role(rtc_node(c, 3)->r), RAFT_LEADER);
	/* first probes: prev = 4/6 for both; both reject */
	rtc_deliver_match(c, RAFT_MSG_APPEND, 3, 0);
	for (i = 0; i < c->qn; i++) {
		q = &c->q[i];
		if (q->m.type != RAFT_MSG_APPEND_RESP)
			continue;
		CHECK(q->m.flags & RAFT_MSGF_REJECT);
		rejects++;
		/* prev 4 is past both logs: XLen */
		CHECK_EQ(q->m.hint_term, 0);
		CHECK_EQ(q->m.hint_len, q->m.from == 1 ? 2 : 4);
	}
	CHECK_EQ(rejects, 2);
	rtc_deliver_match(c, RAFT_MSG_APPEND_RESP, 1, 3);
	CHECK_EQ(rtc_peer_next(c, 3, 1), 2);	/* XLen */
	rtc_deliver_match(c, RAFT_MSG_APPEND_RESP, 2, 3);
	CHECK_EQ(rtc_peer_next(c, 3, 2), 4);
	/* S2 next probe: prev 3/5 against its 3/4: XTerm 4, XIndex 3 */
	rtc_deliver_match(c, RAFT_MSG_APPEND, 3, 2);
	rejects = 0;
	for (i = 0; i < c->qn; i++) {
		q = &c->q[i];
		if (q->m.type != RAFT_MSG_APPEND_RESP || q->m.from != 2)
			continue;
		CHECK(q->m.flags & RAFT_MSGF_REJECT);
		CHECK_EQ(q->m.hint_term, 4);
		CHECK_EQ(q->m.hint_index, 3);
		rejects++;
	}
	CHECK_EQ(rejects, 1);
	rtc_deliver_match(c, RAFT_MSG_APPEND_RESP, 2, 3);
	CHECK_EQ(rtc_peer_next(c, 3, 2), 3);	/* XIndex: leader lacks term 4 */
	rtc_stabilize(c);
	rtc_tick_all(c, 2);
	CHECK(rtc_logs_equal(c, 1, 3));
	CHECK(rtc_logs_equal(c, 2, 3));
	CHECK_EQ(rtc_node(c, 2)->log[3].term, 5);
	CHECK_EQ(rtc_node(c, 1)->applied, 5);
	SAFE(c);
	rtc_free(c);
}

/* Fast backup (XTerm/XIndex/XLen), every case of the shared table. */
static void test_fast_backup_cases(void)
{
	u32 i;

	for (i = 0; i < rtc_n_backup_cases; i++)
		rtc_scn_fast_backup(UENV, &rtc_backup_cases[i]);
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
static void test_stale_responses(struct rtc_cluster *c, u32 l, u32 f)
{
	struct raft_msg m;
	u64 t, next, match;
	int k;

	for (k = 0; k < 5; k++)
		rtc_propose(c, l, "x");
	rtc_stabilize(c);
	t = raft_term(rtc_node(c, l)->r);
	next = rtc_peer_next(c, l, f);
	match = rtc_peer_match(c, l, f);
	CHECK_EQ(match, 6);
	/* a rejection from an old term */
	m = mk(RAFT_MSG_APPEND_RESP, f, l, t - 1 ? t - 1 : 1);
	if (t > 1) {
		m.flags = RAFT_MSGF_REJECT;
		m.index = 2;
		m.hint_len = 1;
		raft_step(rtc_node(c, l)->r, &m);
		CHECK_EQ(rtc_peer_next(c, l, f), next);
		CHECK_EQ(raft_role(rtc_node(c, l)->r), RAFT_LEADER);
	}
	/* a stale rejection in the current term (index <= match) */
	m = mk(RAFT_MSG_APPEND_RESP, f, l, t);
	m.flags = RAFT_MSGF_REJECT;
	m.index = 3;
	m.hint_len = 1;
	raft_step(rtc_node(c, l)->r, &m);
	CHECK_EQ(rtc_peer_next(c, l, f), next);
	CHECK_EQ(rtc_peer_match(c, l, f), match);
	/* a duplicate old success does not move match back */
	m.flags = 0;
	m.index = 2;
	raft_step(rtc_node(c, l)->r, &m);
	CHECK_EQ(rtc_peer_match(c, l, f), match);
	/* a reject of a current append (prev >= match) showing a log shorter
	 * than match: the follower lost acknowledged entries (etcd #10166):
	 * the leader repairs it instead of ignoring the reject */
	m.flags = RAFT_MSGF_REJECT;
	m.index = match;
	m.hint_len = 3;
	raft_step(rtc_node(c, l)->r, &m);
	CHECK_EQ(rtc_peer_match(c, l, f), 2);
	CHECK_EQ(rtc_peer_next(c, l, f), 3);
	rtc_stabilize(c);
	CHECK_EQ(rtc_peer_match(c, l, f), match);
	/* a response with a higher term makes the leader step down */
	m = mk(RAFT_MSG_HEARTBEAT_RESP, f, l, t + 1);
	raft_step(rtc_node(c, l)->r, &m);
	CHECK_EQ(raft_role(rtc_node(c, l)->r), RAFT_FOLLOWER);
	CHECK_EQ(raft_term(rtc_node(c, l)->r), t + 1);
	rtc_tick_all(c, 40);
	CHECK(rtc_leader(c) != 0);
}

/* Pipelining and batching: max_inflight appends, each max_append_entries. */
static void test_pipeline_batching(void)
{
	struct raft_config cfg = rtc_default_cfg;
	struct rtc_cluster *c;
	u32 l, f, i, n;
	int k;

	cfg.max_inflight = 4;
	cfg.max_append_entries = 10;
	c = led_cluster(3, &cfg, NULL, &l);
	if (!l)
		goto out;
	f = l % 3 + 1;
	for (k = 0; k < 100; k++)
		CHECK_EQ(rtc_propose(c, l, "batch"), 0);
	rtc_process(c, l);
	n = rtc_count(c, RAFT_MSG_APPEND, l, f);
	CHECK_EQ(n, 4);
	for (i = 0; i < c->qn; i++)
		if (c->q[i].m.type == RAFT_MSG_APPEND)
			CHECK_EQ(c->q[i].m.n_entries, 10);
	/* one response frees one slot: one more append goes out */
	rtc_deliver_match(c, RAFT_MSG_APPEND, l, f);
	CHECK_EQ(rtc_count(c, RAFT_MSG_APPEND_RESP, f, l), 4);
	rtc_deliver_one(c);	/* append to the other follower */
	while (c->qn && !(c->q[0].m.type == RAFT_MSG_APPEND_RESP && c->q[0].m.from == f))
		rtc_deliver_one(c);
	rtc_deliver_one(c);
	CHECK(rtc_count(c, RAFT_MSG_APPEND, l, f) >= 1);
	rtc_stabilize(c);
	rtc_tick_all(c, 2);
	for (i = 1; i <= 3; i++)
		CHECK_EQ(rtc_node(c, i)->n_applied_normal, 100);
	/* byte limit: 3 entries of 40 bytes with a 100-byte budget -> 2 per msg */
	rtc_free(c);
	cfg.max_append_bytes = 100;
	cfg.max_append_entries = 64;
	c = led_cluster(3, &cfg, NULL, &l);
	if (!l)
		goto out;
	for (k = 0; k < 3; k++)
		rtc_propose(c, l, "0123456789012345678901234567890123456789");
	rtc_process(c, l);
	for (i = 0; i < c->qn; i++)
		if (c->q[i].m.type == RAFT_MSG_APPEND)
			CHECK(c->q[i].m.n_entries <= 2);
	rtc_stabilize(c);
	rtc_tick_all(c, 2);
	CHECK_EQ(rtc_node(c, f)->n_applied_normal, 3);
out:
	SAFE(c);
	rtc_free(c);
}

/* Backpressure and refusal codes of raft_propose. */
static void test_propose_refusals(void)
{
	struct raft_config cfg = rtc_default_cfg;
	struct rtc_cluster *c;
	struct raft_status st;
	u32 l;
	int k;

	cfg.max_uncommitted = 5;
	c = rtc_new(UENV, 3, &cfg, NULL);
	CHECK_EQ(rtc_propose(c, 1, "x"), -EPERM);
	l = rtc_elect_stable(c);
	CHECK(l);
	if (!l)
		goto out;
	rtc_isolate(c, l, true);
	for (k = 0; k < 5; k++)
		CHECK_EQ(rtc_propose(c, l, "x"), 0);
	CHECK_EQ(rtc_propose(c, l, "x"), -EBUSY);
	raft_get_status(rtc_node(c, l)->r, &st);
	CHECK_EQ(st.last_index, st.commit + 5);
	CHECK_EQ(raft_propose(rtc_node(c, l)->r, NULL, 4, NULL, NULL), -EINVAL);
	rtc_isolate(c, l, false);
	rtc_tick_all(c, 3);
	CHECK_EQ(rtc_propose(c, l, "x"), 0);
out:
	SAFE(c);
	rtc_free(c);
}

/* ReadIndex: confirmed by a quorum round; lease: answered at once. */
static void test_read_index(void)
{
	struct raft_config cfg = rtc_default_cfg;
	struct rtc_cluster *c;
	struct rtc_node *ln;
	u32 l, f;
	u64 idx = 0;

	c = led_cluster(3, &cfg, NULL, &l);
	if (!l)
		goto out;
	ln = rtc_node(c, l);
	f = l % 3 + 1;
	CHECK_EQ(raft_read_index(rtc_node(c, f)->r, 1), -EPERM);
	rtc_propose(c, l, "w");
	rtc_stabilize(c);
	CHECK_EQ(raft_read_index(ln->r, 42), 0);
	rtc_process(c, l);
	CHECK(!rtc_has_read(ln, 42, NULL));	/* needs a heartbeat round */
	CHECK(rtc_count(c, RAFT_MSG_HEARTBEAT, l, 0) >= 2);
	rtc_stabilize(c);
	CHECK(rtc_has_read(ln, 42, &idx));
	CHECK_EQ(idx, rtc_commit(c, l));
	/* isolated leader: the read is never confirmed */
	rtc_isolate(c, l, true);
	raft_read_index(ln->r, 43);
	rtc_stabilize(c);
	CHECK(!rtc_has_read(ln, 43, NULL));
	rtc_free(c);

	/* lease */
	cfg.lease_drift_ticks = 2;
	c = led_cluster(3, &cfg, NULL, &l);
	if (!l)
		goto out;
	ln = rtc_node(c, l);
	CHECK_EQ(raft_read_index(ln->r, 7), 0);
	rtc_process(c, l);
	CHECK(rtc_has_read(ln, 7, &idx));	/* no round trip */
	CHECK_EQ(idx, rtc_commit(c, l));
	/* lease expires without acks: falls back to ReadIndex (no answer) */
	rtc_isolate(c, l, true);
	{
		u32 k;

		for (k = 0; k < cfg.election_ticks - 1; k++)
			rtc_tick(c, l);
	}
	raft_read_index(ln->r, 8);
	rtc_process(c, l);
	CHECK(!rtc_has_read(ln, 8, NULL));
	rtc_free(c);

	/* a fresh leader answers only after committing an entry of its term */
	cfg.lease_drift_ticks = 0;
	c = rtc_new(UENV, 3, &cfg, NULL);
	campaign_votes(c, 1);
	ln = rtc_node(c, 1);
	CHECK_EQ(raft_role(ln->r), RAFT_LEADER);
	CHECK_EQ(raft_read_index(ln->r, 9), 0);
	rtc_filter(c, RAFT_MSG_APPEND, 0, 0);
	rtc_deliver_match(c, RAFT_MSG_HEARTBEAT, 0, 0);
	rtc_deliver_match(c, RAFT_MSG_HEARTBEAT_RESP, 0, 0);
	CHECK(!rtc_has_read(ln, 9, NULL));
	rtc_tick_all(c, 3);
	CHECK(rtc_has_read(ln, 9, &idx));
	CHECK(idx >= 1);
	CHECK(rtc_commit(c, 1) >= idx);
out:
	SAFE(c);
	rtc_free(c);
}

/* Only heartbeat acks reach a paused leader's queue (its link is down). */
static void lease_keep_acks_only(struct rtc_cluster *c, u32 l)
{
	u32 t;

	for (t = 1; t <= RAFT_MSG_TYPE_MAX; t++)
		if (t != RAFT_MSG_HEARTBEAT_RESP)
			rtc_filter(c, t, 0, l);
}

/*
 * Issue 13 defect 4: a leader paused (no ticks, no messages) for several
 * election timeouts while the others elect a leader that overwrites a
 * block.  It resumes with the acks of its last heartbeat round queued
 * before its timer: the host feeds the elapsed ticks first (raft_tick(r,
 * n), not one per firing), and no lease read is served from stale state.
 * Then the clock alone: a jump of the lease period, in one call, ends it.
 */
static void test_lease_pause(void)
{
	struct raft_config cfg = rtc_default_cfg;
	struct rtc_cluster *c;
	struct rtc_node *ln;
	u32 l, k, i, nl = 0, paused = 0;
	u64 idx = 0;

	cfg.lease_drift_ticks = 2;
	c = led_cluster(3, &cfg, NULL, &l);
	if (!l)
		goto out;
	ln = rtc_node(c, l);
	rtc_propose(c, l, "old");
	rtc_stabilize(c);
	CHECK_EQ(raft_read_index(ln->r, 1), 0);
	rtc_process(c, l);
	CHECK(rtc_has_read(ln, 1, NULL));	/* the lease holds */
	/* a heartbeat round whose acks wait in l's queue */
	rtc_tick(c, l);
	rtc_deliver_match(c, RAFT_MSG_HEARTBEAT, l, 0);
	CHECK(rtc_count(c, RAFT_MSG_HEARTBEAT_RESP, 0, l) >= 1);
	/* l is paused: the others run on and elect a new leader */
	for (k = 0; k < 6 * cfg.election_ticks && !nl; k++, paused++) {
		for (i = 1; i <= 3; i++) {
			if (i == l)
				continue;
			rtc_tick(c, i);
			lease_keep_acks_only(c, l);
			while (rtc_deliver_match(c, 0, i, 6 - l - i))
				;	/* to the third node (ids 1..3) */
		}
		for (i = 1; i <= 3; i++)
			if (i != l && raft_role(rtc_r(c, i)) == RAFT_LEADER)
				nl = i;
	}
	CHECK(nl);
	if (!nl)
		goto out;
	rtc_propose(c, nl, "new");
	for (k = 0; k < 4; k++) {
		lease_keep_acks_only(c, l);
		rtc_deliver_match(c, 0, nl, 0);
		for (i = 1; i <= 3; i++)
			if (i != l)
				rtc_deliver_match(c, 0, i, nl);
	}
	lease_keep_acks_only(c, l);
	CHECK(rtc_commit(c, nl) > rtc_commit(c, l));
	/* resume: the clock first, then the queued acks, then a read */
	raft_tick(ln->r, paused);
	rtc_process(c, l);
	rtc_deliver_match(c, RAFT_MSG_HEARTBEAT_RESP, 0, l);
	raft_read_index(ln->r, 2);
	rtc_process(c, l);
	CHECK(!rtc_has_read(ln, 2, NULL));
	rtc_free(c);

	/* a jump of the lease period in one call expires the lease */
	c = led_cluster(3, &cfg, NULL, &l);
	if (!l)
		goto out;
	ln = rtc_node(c, l);
	rtc_tick(c, l);
	rtc_stabilize(c);
	CHECK_EQ(raft_read_index(ln->r, 3), 0);
	rtc_process(c, l);
	CHECK(rtc_has_read(ln, 3, &idx));
	rtc_isolate(c, l, true);
	raft_tick(ln->r, cfg.election_ticks - cfg.lease_drift_ticks);
	rtc_process(c, l);
	raft_read_index(ln->r, 4);
	rtc_process(c, l);
	CHECK(!rtc_has_read(ln, 4, NULL));
	/* a jump of many timeouts: the cut-off leader steps down */
	raft_tick(ln->r, 1000 * cfg.election_ticks);
	rtc_process(c, l);
	CHECK(raft_role(ln->r) != RAFT_LEADER);
	CHECK_EQ(raft_read_index(ln->r, 5), -EPERM);
out:
	SAFE(c);
	rtc_free(c);
}

static u32 peer_state(struct rtc_cluster *c, u32 l, u32 id)
{
	struct raft_status *st = rtc_status(c, l);
	u32 i;

	for (i = 0; i < st->n_peers; i++)
		if (st->peers[i].id == id)
			return st->peers[i].state;
	return ~0u;
}

/* One heartbeat round of leader l that overtakes everything queued. */
static void hb_round(struct rtc_cluster *c, u32 l)
{
	rtc_tick(c, l);
	rtc_deliver_match(c, RAFT_MSG_HEARTBEAT, l, 0);
	rtc_deliver_match(c, RAFT_MSG_HEARTBEAT_RESP, 0, l);
	rtc_process(c, l);
}

/*
 * Issue 12 item 5: appends queued behind others while heartbeats overtake
 * them are not resent (the old "a heartbeat round without progress" rule
 * probed here); a lost append is found by the age of the oldest in flight.
 */
static void test_append_loss_by_age(void)
{
	struct raft_config cfg = rtc_default_cfg;
	struct rtc_cluster *c;
	u32 l, f, k, n0;

	c = led_cluster(3, &cfg, NULL, &l);
	if (!l)
		goto out;
	f = l % 3 + 1;
	rtc_stabilize(c);
	for (k = 0; k < 4; k++)
		rtc_propose(c, l, "q");
	rtc_process(c, l);
	n0 = rtc_count(c, RAFT_MSG_APPEND, l, f);
	CHECK(n0 >= 1);
	for (k = 0; k < 3; k++)
		hb_round(c, l);
	CHECK_EQ(rtc_count(c, RAFT_MSG_APPEND, l, f), n0);	/* not resent */
	CHECK_EQ(peer_state(c, l, f), 1u);			/* replicate */
	/* now they are lost: once overdue, the follower is probed again */
	rtc_filter(c, RAFT_MSG_APPEND, l, f);
	for (k = 0; k < cfg.election_ticks / 2; k++)
		hb_round(c, l);
	CHECK(rtc_count(c, RAFT_MSG_APPEND, l, f) >= 1);
	rtc_stabilize(c);
	rtc_tick_all(c, 2);
	CHECK_EQ(rtc_peer_match(c, l, f), rtc_last(c, l));
out:
	SAFE(c);
	rtc_free(c);
}

/* max_uncommitted_bytes: payload bytes waiting for commit; one entry fits. */
static void test_uncommitted_bytes(void)
{
	struct raft_config cfg = rtc_default_cfg;
	struct rtc_cluster *c;
	static u8 buf[RTC_DATA_MAX];
	struct raft *r;
	u32 l;

	cfg.max_uncommitted_bytes = 50;
	c = led_cluster(3, &cfg, NULL, &l);
	if (!l)
		goto out;
	r = rtc_r(c, l);
	rtc_stabilize(c);
	rtc_isolate(c, l, true);	/* nothing commits */
	CHECK_EQ(raft_propose(r, buf, 30, NULL, NULL), 0);
	CHECK_EQ(raft_propose(r, buf, 20, NULL, NULL), 0);
	CHECK_EQ(raft_propose(r, buf, 1, NULL, NULL), -EBUSY);
	rtc_stabilize(c);
	rtc_isolate(c, l, false);
	rtc_tick_all(c, cfg.election_ticks / 2 + 2);
	CHECK_EQ(rtc_commit(c, l), rtc_last(c, l));
	CHECK_EQ(raft_role(r), RAFT_LEADER);
	/* with nothing uncommitted, one entry above the limit still fits */
	CHECK_EQ(raft_propose(r, buf, RTC_DATA_MAX, NULL, NULL), 0);
	CHECK_EQ(raft_propose(r, buf, 1, NULL, NULL), -EBUSY);
	rtc_tick_all(c, 2);
	CHECK_EQ(rtc_commit(c, l), rtc_last(c, l));
	CHECK_EQ(raft_propose(r, buf, 50, NULL, NULL), 0);
out:
	SAFE(c);
	rtc_free(c);
}

static const struct unit_test tests[] = {
	T(test_single_node),
	T(test_single_node_persist_gate),
	T(test_three_node_basic),
	T(test_log_repair_seed000),
	T(test_fast_backup_cases),
	T(test_persist_aba),
	T(test_stale_append_no_truncate),
	TL(test_stale_responses),
	T(test_pipeline_batching),
	T(test_propose_refusals),
	T(test_read_index),
	T(test_lease_pause),
	T(test_append_loss_by_age),
	T(test_uncommitted_bytes),
};

UNIT_SUITE(replication);
