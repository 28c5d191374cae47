// SPDX-License-Identifier: GPL-2.0
/*
 * test_api.c - unit tests of the Raft core: API validation, allocation
 * failures and edge cases.
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

/*
 * Every failing allocation is an error the caller sees, and the state stays
 * usable: four cases, one per entry point (see the table at the end).
 */

/* raft_create: every allocation may fail, nothing leaks */
static void test_alloc_create(void)
{
	const u64 terms[] = { 1, 1, 2 };
	u32 n, failures = 0;
	struct raft *r;

	for (n = 1; n < 20; n++) {
		am_set(n, 0);
		r = solo(1, terms, 3, 2, NULL);
		am_set(0, 0);
		if (r) {
			raft_destroy(r);
			break;
		}
		failures++;
	}
	CHECK(failures >= 2);
	CHECK(n < 20);
}

/* propose and ready on a single-node leader: a failed ready is retried */
static void test_alloc_propose_ready(void)
{
	struct rtc_cluster *c = rtc_new(UENV, 1, NULL, NULL);
	struct raft_status before, after;
	struct raft *r;
	u32 n;
	int err;

	raft_campaign(rtc_r(c, 1));
	rtc_process(c, 1);
	r = rtc_r(c, 1);
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
		rtc_process(c, 1);
		am_set(0, 0);
		rtc_process(c, 1);
		CHECK_EQ(rtc_commit(c, 1), after.last_index);
	}
	CHECK_EQ(rtc_node(c, 1)->applied, rtc_commit(c, 1));
	SAFE(c);
	rtc_free(c);
}

/* raft_step of an append: -ENOMEM leaves the log unchanged */
static void test_alloc_step_append(void)
{
	struct raft_msg m = mk(RAFT_MSG_APPEND, 2, 1, 3);
	struct raft_status after;
	struct raft_entry e[3];
	u8 d[3] = { 7, 8, 9 };
	struct raft *r;
	u32 n, i;
	int err;

	memset(e, 0, sizeof(e));
	for (i = 0; i < 3; i++) {
		e[i].term = 3;
		e[i].len = 1;
		e[i].data = &d[i];
	}
	m.entries = e;
	m.n_entries = 3;
	for (n = 1; n < 10; n++) {
		r = solo(1, NULL, 0, 0, NULL);
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
}

/* a 3-node cluster under 3% random allocation failures */
static void test_alloc_random_cluster(void)
{
	struct rtc_cluster *c = rtc_new(UENV, 3, NULL, NULL);
	u32 l, i;
	int k;

	am_set(0, 3);
	for (k = 0; k < 300; k++) {
		l = rtc_leader(c);
		if (l)
			rtc_propose(c, l, "chaos");
		if (l && k % 50 == 7)
			raft_read_index(rtc_r(c, l), k);
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

/* Malformed headers raft_step refuses with -EINVAL (node 1, term 1). */
static const struct bad_msg {
	const char *what;
	u32 type, from, to;
	u64 term;
	u32 n_entries, len;	/* counts without arrays behind them */
} bad_msgs[] = {
	{ "type none", RAFT_MSG_NONE, 2, 1, 1, 0, 0 },
	{ "type past the last", RAFT_MSG_TYPE_MAX + 1, 2, 1, 1, 0, 0 },
	{ "from node 0", RAFT_MSG_HEARTBEAT, 0, 1, 1, 0, 0 },
	{ "from itself", RAFT_MSG_HEARTBEAT, 1, 1, 1, 0, 0 },
	{ "term 0", RAFT_MSG_HEARTBEAT, 2, 1, 0, 0, 0 },
	{ "to another node", RAFT_MSG_HEARTBEAT, 2, 3, 1, 0, 0 },
	{ "n_entries without entries", RAFT_MSG_APPEND, 2, 1, 2, 1, 0 },
	{ "len without data", RAFT_MSG_SNAPSHOT, 2, 1, 2, 0, 4 },
};

/*
 * Malformed entries in an append of two entries (term 2, from 2): each row
 * is the whole append, refused with -EINVAL.
 */
static const struct bad_entries {
	const char *what;
	bool data0;		/* entry 0 has its byte */
	u32 type0;
	u64 term0, index0, term1;
	u64 prev_index, prev_term;
} bad_entries[] = {
	{ "len without data", false, 0, 2, 0, 2, 0, 0 },
	{ "unknown entry type", true, 7, 2, 0, 2, 0, 0 },
	{ "entry term > message term", true, 0, 3, 0, 2, 0, 0 },
	{ "wrong index", true, 0, 2, 5, 2, 0, 0 },
	{ "terms decrease", true, 0, 2, 1, 1, 0, 0 },
	{ "index overflow", true, 0, 2, 0, 2, ~0ull, 0 },
	{ "entry term < prev term", true, 0, 2, 1, 2, 0, 5 },
};

static int step_bad_entries(struct raft *r, const struct bad_entries *t)
{
	struct raft_msg m = mk(RAFT_MSG_APPEND, 2, 1, 2);
	struct raft_entry e[2];
	u8 d = 1;

	memset(e, 0, sizeof(e));
	e[0].term = t->term0;
	e[0].index = t->index0;
	e[0].type = t->type0;
	e[0].len = 1;
	e[0].data = t->data0 ? &d : NULL;
	e[1].term = t->term1;
	e[1].len = 1;
	e[1].data = &d;
	m.entries = e;
	m.n_entries = 2;
	m.index = t->prev_index;
	m.log_term = t->prev_term;
	return raft_step(r, &m);
}

/* raft_step refuses malformed messages with -EINVAL and no state change. */
static void test_step_validation(void)
{
	struct raft *r = solo(1, NULL, 0, 1, NULL);
	struct raft_msg m;
	size_t i;

	CHECK_EQ(raft_step(r, NULL), -EINVAL);
	for (i = 0; i < ARRAY_SIZE(bad_msgs); i++) {
		const struct bad_msg *b = &bad_msgs[i];

		int err;

		m = mk(b->type, b->from, b->to, b->term);
		m.n_entries = b->n_entries;
		m.len = b->len;
		err = raft_step(r, &m);
		if (err != -EINVAL)
			fprintf(stderr, "  accepted: %s\n", b->what);
		CHECK_EQ(err, -EINVAL);
	}
	for (i = 0; i < ARRAY_SIZE(bad_entries); i++) {
		int err = step_bad_entries(r, &bad_entries[i]);

		if (err != -EINVAL)
			fprintf(stderr, "  accepted: %s\n", bad_entries[i].what);
		CHECK_EQ(err, -EINVAL);
	}
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

/*
 * Calls on one node that must return one value, as a table.  Nodes are
 * named by their part: the leader, a voting follower, the learner (4),
 * a node that does not exist (9).
 */
enum api_node { AN_LEADER, AN_FOLLOWER, AN_LEARNER, AN_UNKNOWN };

enum api_op {
	OP_READ_INDEX, OP_CAMPAIGN, OP_TRANSFER, OP_CHANGE_CONF_NULL,
	OP_CHUNK, OP_CHUNK_NO_DATA, OP_SNAP_FAILED, OP_UNREACHABLE,
	OP_TERM_AT_0,
};

struct api_call {
	const char *what;
	enum api_op op;
	enum api_node on, to;
	int want;
};

struct api_nodes {
	u32 id[4];	/* by enum api_node */
};

static int api_do(struct rtc_cluster *c, const struct api_nodes *nd,
		  const struct api_call *a)
{
	struct raft *r = rtc_r(c, nd->id[a->on]);
	u32 to = nd->id[a->to];

	switch (a->op) {
	case OP_READ_INDEX:
		return raft_read_index(r, 1);
	case OP_CAMPAIGN:
		return raft_campaign(r);
	case OP_TRANSFER:
		return raft_transfer_leader(r, to);
	case OP_CHANGE_CONF_NULL:
		return raft_change_conf(r, NULL);
	case OP_CHUNK:
		return raft_snapshot_chunk(r, to, 0, 0, "x", 1, 1, true);
	case OP_CHUNK_NO_DATA:
		return raft_snapshot_chunk(r, to, 0, 0, NULL, 1, 1, true);
	case OP_SNAP_FAILED:
		raft_snapshot_failed(r, to);
		return 0;
	case OP_UNREACHABLE:
		raft_report_unreachable(r, to);
		return 0;
	case OP_TERM_AT_0:
		return (int)raft_term_at(r, 0);
	}
	return -1;
}

static void api_run(struct rtc_cluster *c, const struct api_nodes *nd,
		    const struct api_call *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int got = api_do(c, nd, &t[i]);

		if (got != t[i].want)
			fprintf(stderr, "  %s: %d, expected %d\n", t[i].what,
				got, t[i].want);
		CHECK_EQ(got, t[i].want);
	}
}

/* Before any election: node 2 follows nobody. */
static const struct api_call follower_calls[] = {
	{ "a follower serves no read", OP_READ_INDEX, AN_FOLLOWER, AN_LEADER, -EPERM },
	{ "a follower transfers nothing", OP_TRANSFER, AN_FOLLOWER, AN_LEADER, -EPERM },
	{ "a follower sends no chunk", OP_CHUNK, AN_FOLLOWER, AN_LEADER, -EPERM },
	{ "snapshot_failed on a follower", OP_SNAP_FAILED, AN_FOLLOWER, AN_LEADER, 0 },
	{ "unreachable on a follower", OP_UNREACHABLE, AN_FOLLOWER, AN_LEADER, 0 },
};

static const struct api_call leader_calls[] = {
	{ "campaign: already leader", OP_CAMPAIGN, AN_LEADER, AN_LEADER, 0 },
	{ "transfer to itself: nothing", OP_TRANSFER, AN_LEADER, AN_LEADER, 0 },
	{ "transfer to a learner", OP_TRANSFER, AN_LEADER, AN_LEARNER, -EINVAL },
	{ "change_conf(NULL)", OP_CHANGE_CONF_NULL, AN_LEADER, AN_LEADER, -EINVAL },
	{ "chunk to a stranger", OP_CHUNK, AN_LEADER, AN_UNKNOWN, -EINVAL },
	{ "chunk nobody asked for", OP_CHUNK, AN_LEADER, AN_FOLLOWER, -EINVAL },
	{ "chunk without data", OP_CHUNK_NO_DATA, AN_LEADER, AN_FOLLOWER, -EINVAL },
	{ "snapshot_failed, stranger", OP_SNAP_FAILED, AN_LEADER, AN_UNKNOWN, 0 },
	{ "snapshot_failed, itself", OP_SNAP_FAILED, AN_LEADER, AN_LEADER, 0 },
	{ "snapshot_failed: replicate -> probe", OP_SNAP_FAILED, AN_LEADER, AN_FOLLOWER, 0 },
	{ "unreachable, stranger", OP_UNREACHABLE, AN_LEADER, AN_UNKNOWN, 0 },
	{ "unreachable, follower", OP_UNREACHABLE, AN_LEADER, AN_FOLLOWER, 0 },
	{ "term of index 0", OP_TERM_AT_0, AN_LEADER, AN_LEADER, 0 },
};

/*
 * Stray election messages the leader (and the learner) ignore: after each
 * one, node `check` still has role `role`.
 */
struct api_stray {
	const char *what;
	u32 type;
	enum api_node from, to, check;
	int dterm;		/* term: the leader's + dterm */
	bool long_log;		/* index 100 at the leader's term */
	u32 role;
};

static const struct api_stray strays[] = {
	{ "vote request for the leader's own term", RAFT_MSG_VOTE,
	  AN_FOLLOWER, AN_LEADER, AN_LEADER, 0, true, RAFT_LEADER },
	{ "vote answer to a leader", RAFT_MSG_VOTE_RESP,
	  AN_FOLLOWER, AN_LEADER, AN_LEADER, 0, false, RAFT_LEADER },
	{ "pre-vote answer to a follower", RAFT_MSG_PREVOTE_RESP,
	  AN_LEADER, AN_FOLLOWER, AN_LEADER, 1, false, RAFT_LEADER },
	{ "timeout_now to a leader", RAFT_MSG_TIMEOUT_NOW,
	  AN_FOLLOWER, AN_LEADER, AN_LEADER, 0, false, RAFT_LEADER },
	{ "timeout_now to a learner", RAFT_MSG_TIMEOUT_NOW,
	  AN_LEADER, AN_LEARNER, AN_LEARNER, 0, false, RAFT_FOLLOWER },
};

static void api_strays(struct rtc_cluster *c, const struct api_nodes *nd)
{
	u64 term = raft_term(rtc_r(c, nd->id[AN_LEADER]));
	size_t i;

	for (i = 0; i < ARRAY_SIZE(strays); i++) {
		const struct api_stray *s = &strays[i];
		struct raft_msg m = mk(s->type, nd->id[s->from], nd->id[s->to],
				       term + s->dterm);

		if (s->long_log) {
			m.index = 100;
			m.log_term = term;
		}
		raft_step(rtc_r(c, m.to), &m);
		if (raft_role(rtc_r(c, nd->id[s->check])) != s->role)
			fprintf(stderr, "  after %s\n", s->what);
		CHECK_EQ(raft_role(rtc_r(c, nd->id[s->check])), s->role);
	}
}

/* A lower-term pre-vote gets a rejection with our term. */
static void api_low_prevote(struct rtc_cluster *c, u32 l, u32 f)
{
	struct raft_msg m = mk(RAFT_MSG_PREVOTE, l, f, 1);

	if (raft_term(rtc_r(c, f)) > 1) {
		raft_step(rtc_r(c, f), &m);
		rtc_process(c, f);
		CHECK(rtc_count(c, RAFT_MSG_PREVOTE_RESP, f, l) >= 1);
	}
	rtc_stabilize(c);
}

/* Backpressure (max_uncommitted 3) also refuses configuration changes. */
static void api_backpressure_conf(struct rtc_cluster *c, u32 l)
{
	const u32 v3[] = { 1, 2, 3 };
	struct raft_conf t = mkconf(v3, 3, NULL, 0);
	int k;

	rtc_isolate(c, l, true);
	for (k = 0; k < 3; k++)
		rtc_propose(c, l, "u");
	CHECK_EQ(raft_change_conf(rtc_r(c, l), &t), -EBUSY);
	rtc_isolate(c, l, false);
	rtc_tick_all(c, 3);
}

/*
 * raft_ready twice before raft_advance keeps every message; odd
 * raft_persisted calls are ignored; compaction between raft_ready and
 * raft_advance is deferred.
 */
static void api_ready_order(struct rtc_cluster *c, u32 l, u32 f)
{
	struct raft *lr = rtc_r(c, l);
	struct raft_ready rd;

	rtc_propose(c, l, "twice");
	raft_tick(lr, 1);
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
	CHECK_EQ(raft_compact(lr, 1000), -EINVAL);
	rtc_propose(c, l, "y");
	CHECK_EQ(raft_ready(lr, &rd), 0);
	CHECK_EQ(raft_compact(lr, 3), 0);
	CHECK_EQ(rtc_status(c, l)->snap_index, 0);
	raft_advance(lr, &rd);
	CHECK_EQ(rtc_status(c, l)->snap_index, 3);
	raft_snapshot_chunk_done(lr, 1, 0, 1, true);	/* nothing pending */
	rtc_tick_all(c, 5);
}

/* Voters {1, 2, 3}, learner 4. */
static struct rtc_cluster *api_cluster(void)
{
	const u32 v3[] = { 1, 2, 3 }, l4[] = { 4 };
	struct raft_conf init = mkconf(v3, 3, l4, 1);
	struct raft_config cfg = rtc_default_cfg;

	cfg.max_uncommitted = 3;
	cfg.lease_drift_ticks = 20;	/* >= election: lease off */
	return rtc_new(UENV, 4, &cfg, &init);
}

/* Follower and leader API refusals (tables above) and corner cases. */
static void test_leader_api_edges(void)
{
	struct rtc_cluster *c = api_cluster();
	struct api_nodes nd;
	u32 l, f;

	api_run(c, &(struct api_nodes){ { 1, 2, 4, 9 } }, follower_calls,
		ARRAY_SIZE(follower_calls));
	l = rtc_elect_stable(c);
	CHECK(l >= 1 && l <= 3);
	if (!l)
		goto out;
	f = l % 3 + 1;
	nd = (struct api_nodes){ { l, f, 4, 9 } };
	api_run(c, &nd, leader_calls, ARRAY_SIZE(leader_calls));
	api_strays(c, &nd);
	api_low_prevote(c, l, f);
	api_backpressure_conf(c, l);
	api_ready_order(c, l, f);
out:
	rtc_drop_queue(c);
	rtc_free(c);
}

/* Single node: read index answered after the NOOP is durable; compaction limits. */
static void test_single_node_read_and_compact(void)
{
	struct rtc_cluster *c = rtc_new(UENV, 1, NULL, NULL);
	struct rtc_node *n = rtc_node(c, 1);
	u64 idx = 0;

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
}

static const struct unit_test tests[] = {
	T(test_names),
	T(test_alloc_create),
	T(test_alloc_propose_ready),
	T(test_alloc_step_append),
	T(test_alloc_random_cluster),
	T(test_create_validation),
	T(test_step_validation),
	T(test_leader_api_edges),
	T(test_single_node_read_and_compact),
};

UNIT_SUITE(api);
