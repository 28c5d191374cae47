// SPDX-License-Identifier: GPL-2.0
/*
 * test_api.c - unit tests of the Raft core: API validation, allocation failures and edge cases.
 */
#include "unit.h"

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
	struct raft_config cfg = rtc_default_cfg;
	const u64 terms[] = { 1, 1, 2 };
	struct raft_status before, after;
	struct rtc_cluster *c;
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
	c = rtc_new(NULL, 1, NULL, NULL);
	raft_campaign(rtc_node(c, 1)->r);
	rtc_process(c, 1);
	r = rtc_node(c, 1)->r;
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
		rtc_process(c, 1);	/* a failing raft_ready is retried below */
		am_set(0, 0);
		rtc_process(c, 1);
		CHECK_EQ(rtc_commit(c, 1), after.last_index);
	}
	CHECK_EQ(rtc_node(c, 1)->applied, rtc_commit(c, 1));
	SAFE(c);
	rtc_free(c);

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
	c = rtc_new(NULL, 3, &cfg, NULL);
	am_set(0, 3);
	for (k = 0; k < 300; k++) {
		l = rtc_leader(c);
		if (l)
			rtc_propose(c, l, "chaos");
		if (l && k % 50 == 7)
			raft_read_index(rtc_node(c, l)->r, k);
		rtc_tick_all(c, 1);
	}
	am_set(0, 0);
	rtc_tick_all(c, 40);
	l = rtc_leader(c);
	CHECK(l);
	if (l) {
		rtc_propose(c, l, "final");
		rtc_tick_all(c, 5);
		for (i = 1; i <= 3; i++)
			CHECK_EQ(rtc_node(c, i)->applied, rtc_node(c, l)->applied);
		CHECK(rtc_node(c, l)->n_applied_normal > 10);
	}
	SAFE(c);
	rtc_free(c);
}

/* raft_create validates its configuration and boot state. */
static void test_create_validation(void)
{
	struct raft_config cfg = rtc_default_cfg;
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
	CHECK_EQ(rtc_default_cfg.id, 0);
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
	struct raft_config cfg = rtc_default_cfg;
	const u32 v3[] = { 1, 2, 3 }, l4[] = { 4 };
	struct raft_conf init = mkconf(v3, 3, l4, 1), t;
	struct rtc_cluster *c;
	struct raft *lr, *fr;
	struct raft_ready rd;
	struct raft_msg m;
	u32 l, f;
	int k;

	cfg.max_uncommitted = 3;
	cfg.lease_drift_ticks = 20;	/* >= election: lease off */
	c = rtc_new(NULL, 4, &cfg, &init);
	fr = rtc_node(c, 2)->r;
	CHECK_EQ(raft_read_index(fr, 1), -EPERM);
	CHECK_EQ(raft_transfer_leader(fr, 1), -EPERM);
	CHECK_EQ(raft_snapshot_chunk(fr, 1, 0, 0, "x", 1, 1, true), -EPERM);
	raft_snapshot_failed(fr, 1);
	raft_report_unreachable(fr, 1);
	l = rtc_elect_stable(c);
	CHECK(l >= 1 && l <= 3);
	if (!l)
		goto out;
	lr = rtc_node(c, l)->r;
	f = l % 3 + 1;
	fr = rtc_node(c, f)->r;
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
	raft_step(rtc_node(c, 4)->r, &m);
	CHECK_EQ(raft_role(rtc_node(c, 4)->r), RAFT_FOLLOWER);
	/* a lower-term pre-vote gets a rejection with our term */
	m = mk(RAFT_MSG_PREVOTE, l, f, 1);
	if (raft_term(fr) > 1) {
		raft_step(fr, &m);
		rtc_process(c, f);
		CHECK(rtc_count(c, RAFT_MSG_PREVOTE_RESP, f, l) >= 1);
	}
	rtc_stabilize(c);
	/* backpressure also refuses configuration changes */
	rtc_isolate(c, l, true);
	for (k = 0; k < 3; k++)
		rtc_propose(c, l, "u");
	t = mkconf(v3, 3, NULL, 0);
	CHECK_EQ(raft_change_conf(lr, &t), -EBUSY);
	rtc_isolate(c, l, false);
	rtc_tick_all(c, 3);
	/* calling raft_ready twice before raft_advance keeps every message */
	rtc_propose(c, l, "twice");
	raft_tick(lr);
	CHECK_EQ(raft_ready(lr, &rd), 0);
	CHECK(rd.n_msgs > 0);
	raft_propose(lr, "x", 1, NULL, NULL);
	CHECK_EQ(raft_ready(lr, &rd), 0);
	CHECK(rd.n_msgs > 0);
	raft_advance(lr, &rd);
	raft_persisted(lr, 0, 0);
	raft_persisted(lr, 1000, 1);
	rtc_tick_all(c, 10);
	CHECK_EQ(rtc_commit(c, f), rtc_commit(c, l));
	/* compaction between raft_ready and raft_advance is deferred */
	CHECK_EQ(raft_compact(lr, 1000), -EINVAL);
	rtc_propose(c, l, "y");
	CHECK_EQ(raft_ready(lr, &rd), 0);
	CHECK_EQ(raft_compact(lr, 3), 0);
	CHECK_EQ(rtc_status(c, l)->snap_index, 0);
	raft_advance(lr, &rd);
	CHECK_EQ(rtc_status(c, l)->snap_index, 3);
	raft_snapshot_chunk_done(lr, 1, 0, 1, true);	/* nothing pending */
	rtc_tick_all(c, 5);
out:
	rtc_drop_queue(c);
	rtc_free(c);
}

/* Odds and ends: single-node reads, stray votes, conf rules, compaction limits. */
static void test_misc_paths(void)
{
	const u32 v3[] = { 1, 2, 3 }, v35[] = { 1, 2, 3, 5 };
	struct raft_conf init = mkconf(v3, 3, NULL, 0), t;
	struct rtc_cluster *c;
	struct rtc_node *n;
	struct raft_msg m;
	u64 idx = 0;
	u32 l;

	/* single node: read index answered at once, after the NOOP commits */
	c = rtc_new(NULL, 1, NULL, NULL);
	n = rtc_node(c, 1);
	n->manual_persist = true;
	raft_campaign(n->r);
	rtc_process(c, 1);
	CHECK_EQ(raft_read_index(n->r, 5), 0);
	rtc_process(c, 1);
	CHECK(!rtc_has_read(n, 5, NULL));
	rtc_persist(c, 1);
	CHECK(rtc_has_read(n, 5, &idx));
	CHECK_EQ(idx, 1);
	CHECK_EQ(raft_read_index(n->r, 6), 0);
	rtc_process(c, 1);
	CHECK(rtc_has_read(n, 6, NULL));
	CHECK_EQ(raft_compact(n->r, 1), 0);
	raft_propose(n->r, "z", 1, NULL, NULL);
	rtc_process(c, 1);
	CHECK_EQ(raft_compact(n->r, 2), -EINVAL);	/* not yet persisted */
	rtc_persist(c, 1);
	CHECK_EQ(raft_compact(n->r, 2), 0);
	SAFE(c);
	rtc_free(c);

	/* stray election answers and votes from non-voters */
	c = led_cluster(5, NULL, &init, &l);
	if (!l)
		goto out;
	CHECK(l <= 3);
	m = mk(RAFT_MSG_PREVOTE_RESP, 5, l, raft_term(rtc_node(c, l)->r) + 1);
	raft_step(rtc_node(c, l)->r, &m);
	m = mk(RAFT_MSG_PREVOTE, 5, l % 3 + 1, raft_term(rtc_node(c, l)->r) + 1);
	raft_step(rtc_node(c, l % 3 + 1)->r, &m);
	CHECK_EQ(raft_term(rtc_node(c, l % 3 + 1)->r), raft_term(rtc_node(c, l)->r));
	/* adding a brand-new voter directly (not a lagging learner) is allowed */
	t = mkconf(v35, 4, NULL, 0);
	CHECK_EQ(raft_transfer_leader(rtc_node(c, l)->r, l % 3 + 1), 0);
	CHECK_EQ(raft_change_conf(rtc_node(c, l)->r, &t), -EPERM);
	rtc_stabilize(c);
	rtc_tick_all(c, 5);
	l = rtc_leader(c);
	CHECK(l);
	if (!l)
		goto out;
	CHECK_EQ(raft_change_conf(rtc_node(c, l)->r, &t), 0);
	CHECK_EQ(rtc_status(c, l)->conf.n_voters_old, 3);
	CHECK_EQ(raft_change_conf(rtc_node(c, l)->r, &t), -EBUSY);
	rtc_tick_all(c, 10);
	CHECK_EQ(rtc_status(c, 5)->conf.n_voters, 4);
	CHECK_EQ(rtc_node(c, 5)->applied, rtc_node(c, l)->applied);
	CHECK_EQ(raft_term(rtc_node(c, 4)->r), 0);	/* never a member */
out:
	SAFE(c);
	rtc_free(c);
}

static const struct unit_test tests[] = {
	T(test_names),
	T(test_alloc_failures),
	T(test_create_validation),
	T(test_step_validation),
	T(test_leader_api_edges),
	T(test_misc_paths),
};

const struct unit_suite unit_api = { "api", tests, ARRAY_SIZE(tests) };
