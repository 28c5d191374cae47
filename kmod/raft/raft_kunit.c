// SPDX-License-Identifier: GPL-2.0
/*
 * raft_kunit.c - KUnit suite for the Raft core (raft.c), run as an
 * in-memory cluster inside the kernel.
 *
 * Every node is a real struct raft driven through raft.h only, with a host
 * loop that follows the contract in raft.h: hard state first, entries
 * "persisted" synchronously, messages queued on an in-memory network, then
 * committed entries applied, reads served, snapshot chunks produced and
 * installed.  The network is FIFO per run and can drop messages on a link,
 * isolate a node, or rewrite messages (a filter), which is enough to build
 * the classic scenarios by hand: Figure 8, fast log backup, pre-vote and
 * check-quorum, read index, leadership transfer, joint consensus, snapshot
 * install and crash/restart from what was persisted.
 *
 * Safety is checked on every apply: no two nodes ever apply different
 * entries at the same index (the cluster keeps the first entry applied at
 * each index and compares every later one with it), entries are applied in
 * order and only once persisted, and at most one leader exists per term.
 */
#include <kunit/test.h>
#include <linux/bits.h>
#include <linux/prandom.h>
#include <linux/slab.h>
#include "raft.h"

#define KT_MAX_NODES	5
#define KT_MAX_IDX	600
#define KT_DATA_MAX	128
#define KT_QCAP		4096
#define KT_CHUNK	48	/* snapshot chunk: two state-machine records */
#define KT_REC		24	/* serialized record: term u64, type u32, pad, val u64 */
#define KT_SETTLE_MAX	20000
#define KT_MAX_TERMS	256

struct kt_ent {
	u64 term;
	u32 type;
	u32 len;
	u8 data[KT_DATA_MAX];
};

/* One applied entry of the state machine. */
struct kt_rec {
	u64 term;
	u32 type;
	u64 val;
	bool set;
};

struct kt_node {
	u32 id;
	struct raft *r;
	bool up;
	/* durable: hard state, checkpoint, log */
	struct raft_hard_state hs;
	struct raft_snap_meta snap;
	u64 last;
	struct kt_ent *log;		/* [KT_MAX_IDX + 1] */
	/* state machine */
	u64 applied;
	struct kt_rec *sm;		/* [KT_MAX_IDX + 1] */
	/* snapshot receive staging */
	u8 *stage;			/* KT_MAX_IDX * KT_REC */
	/* reads served (ctx, index) */
	u64 read_ctx[32];
	u64 read_idx[32];
	u32 n_reads;
	u32 n_installs;
	/* durable record of an install in progress (chunks done so far) */
	bool pending;
	struct raft_snap_meta pend;
	u64 pend_off;
	u64 pend_base;
};

struct kt_qmsg {
	struct raft_msg m;
};

struct kt_cluster;
typedef bool (*kt_filter_fn)(struct kt_cluster *c, struct raft_msg *m);

struct kt_cluster {
	struct kunit *test;
	struct raft_config cfg;
	u32 n;
	struct kt_node node[KT_MAX_NODES + 1];	/* by id, 1-based */
	struct raft_conf conf0;
	/* network */
	struct kt_qmsg *q;
	u32 qh, qt;
	bool cut[KT_MAX_NODES + 1][KT_MAX_NODES + 1];
	u32 drop[KT_MAX_NODES + 1][KT_MAX_NODES + 1];	/* BIT(type) */
	kt_filter_fn filter;
	void *filter_ctx;
	/* observers */
	struct kt_rec *committed;	/* first entry applied at each index */
	u32 leader_of_term[KT_MAX_TERMS];
	u32 n_msgs[RAFT_MSG_TYPE_MAX + 1];
	u32 n_rejects;			/* APPEND_RESP with REJECT delivered */
};

/* ------------------------------------------------------------------ */
/* messages */

static void kt_msg_free(struct raft_msg *m)
{
	u32 i;

	if (m->entries) {
		for (i = 0; i < m->n_entries; i++)
			kfree(m->entries[i].data);
		kfree(m->entries);
	}
	kfree(m->data);
	m->entries = NULL;
	m->data = NULL;
}

/* Deep copy: a ready's messages point into the core until raft_advance. */
static int kt_msg_copy(struct raft_msg *d, const struct raft_msg *s)
{
	u32 i;

	*d = *s;
	d->entries = NULL;
	d->data = NULL;
	if (s->n_entries) {
		d->entries = kcalloc(s->n_entries, sizeof(*d->entries), GFP_KERNEL);
		if (!d->entries)
			return -ENOMEM;
		for (i = 0; i < s->n_entries; i++) {
			d->entries[i] = s->entries[i];
			d->entries[i].data = NULL;
			if (!s->entries[i].len)
				continue;
			d->entries[i].data = kmemdup(s->entries[i].data,
						     s->entries[i].len, GFP_KERNEL);
			if (!d->entries[i].data)
				goto nomem;
		}
	}
	if (s->len) {
		d->data = kmemdup(s->data, s->len, GFP_KERNEL);
		if (!d->data)
			goto nomem;
	}
	return 0;
nomem:
	kt_msg_free(d);
	return -ENOMEM;
}

static void kt_enqueue(struct kt_cluster *c, const struct raft_msg *m)
{
	struct kunit *test = c->test;

	if (c->qt == KT_QCAP && c->qh) {
		memmove(c->q, c->q + c->qh, (c->qt - c->qh) * sizeof(*c->q));
		c->qt -= c->qh;
		c->qh = 0;
	}
	KUNIT_ASSERT_LT(test, c->qt, (u32)KT_QCAP);
	KUNIT_ASSERT_EQ(test, 0, kt_msg_copy(&c->q[c->qt].m, m));
	c->qt++;
}

/* ------------------------------------------------------------------ */
/* one node's host loop */

static struct kt_node *kt_node(struct kt_cluster *c, u32 id)
{
	return &c->node[id];
}

static void kt_sm_apply(struct kt_cluster *c, struct kt_node *n,
			const struct raft_entry *e)
{
	struct kunit *test = c->test;
	struct kt_rec rec = { .term = e->term, .type = e->type, .set = true };
	struct kt_rec *g;

	KUNIT_ASSERT_EQ_MSG(test, e->index, n->applied + 1,
			    "node %u applies out of order", n->id);
	KUNIT_ASSERT_LE(test, e->index, (u64)KT_MAX_IDX);
	/* applied only once durable locally */
	KUNIT_EXPECT_LE_MSG(test, e->index, n->last,
			    "node %u applies %llu before persisting it", n->id,
			    e->index);
	if (e->type == RAFT_ENTRY_NORMAL && e->len == sizeof(u64))
		memcpy(&rec.val, e->data, sizeof(u64));
	n->sm[e->index] = rec;
	n->applied = e->index;
	/* State Machine Safety: one entry per index, cluster-wide */
	g = &c->committed[e->index];
	if (!g->set) {
		*g = rec;
		return;
	}
	KUNIT_EXPECT_EQ_MSG(test, g->term, rec.term,
			    "node %u applied a different entry at %llu", n->id,
			    e->index);
	KUNIT_EXPECT_EQ_MSG(test, g->type, rec.type, "index %llu", e->index);
	KUNIT_EXPECT_EQ_MSG(test, g->val, rec.val, "index %llu", e->index);
}

static void kt_persist_entries(struct kt_cluster *c, struct kt_node *n,
			       const struct raft_ready *rd)
{
	struct kunit *test = c->test;
	u32 i;

	for (i = 0; i < rd->n_entries; i++) {
		const struct raft_entry *e = &rd->entries[i];
		struct kt_ent *d;

		KUNIT_ASSERT_LE(test, e->index, (u64)KT_MAX_IDX);
		/* entries replace the same and later indexes: truncate there */
		KUNIT_ASSERT_LE_MSG(test, e->index, n->last + 1,
				    "node %u: gap in persisted log", n->id);
		KUNIT_ASSERT_GT(test, e->index, n->snap.index);
		KUNIT_ASSERT_LE(test, e->len, (u32)KT_DATA_MAX);
		d = &n->log[e->index];
		d->term = e->term;
		d->type = e->type;
		d->len = e->len;
		if (e->len)
			memcpy(d->data, e->data, e->len);
		n->last = e->index;
	}
}

/*
 * The snapshot payload: the records 1..index of this node's state machine.
 * A ready may repeat a request (two rejects asked for the same offset);
 * the core refuses the second answer with -EINVAL, nothing else may fail.
 */
static void kt_snap_send(struct kt_cluster *c, struct kt_node *n,
			 const struct raft_snap_send *ss, bool dup)
{
	struct kunit *test = c->test;
	u64 total = ss->meta.index * KT_REC, off = ss->offset, i;
	u8 buf[KT_CHUNK];
	u32 len;
	int ret;

	KUNIT_ASSERT_LE(test, ss->meta.index, n->applied);
	KUNIT_ASSERT_LE(test, off, total);
	len = (u32)min_t(u64, KT_CHUNK, total - off);
	for (i = 0; i < len; i++) {
		u64 pos = off + i, idx = pos / KT_REC + 1, b = pos % KT_REC;
		u8 rec[KT_REC] = {};

		memcpy(rec, &n->sm[idx].term, 8);
		memcpy(rec + 8, &n->sm[idx].type, 4);
		memcpy(rec + 16, &n->sm[idx].val, 8);
		buf[i] = rec[b];
	}
	ret = raft_snapshot_chunk(n->r, ss->to, ss->meta.index, off, buf, len,
				  off + len, off + len == total);
	KUNIT_EXPECT_TRUE_MSG(test, ret == 0 || (dup && ret == -EINVAL),
			      "snapshot chunk %llu for %u: %d", off, ss->to, ret);
}

static void kt_snap_installed(struct kt_cluster *c, struct kt_node *n,
			      const struct raft_snap_meta *s)
{
	struct kunit *test = c->test;
	u64 i;

	KUNIT_ASSERT_LE(test, s->index, (u64)KT_MAX_IDX);
	for (i = 1; i <= s->index; i++) {
		const u8 *rec = n->stage + (i - 1) * KT_REC;
		struct kt_rec *g = &c->committed[i];

		memcpy(&n->sm[i].term, rec, 8);
		memcpy(&n->sm[i].type, rec + 8, 4);
		memcpy(&n->sm[i].val, rec + 16, 8);
		n->sm[i].set = true;
		/* the snapshot holds exactly what was committed */
		KUNIT_EXPECT_TRUE(test, g->set);
		KUNIT_EXPECT_EQ_MSG(test, g->term, n->sm[i].term, "snap index %llu", i);
		KUNIT_EXPECT_EQ_MSG(test, g->val, n->sm[i].val, "snap index %llu", i);
	}
	n->applied = s->index;
	/* durable checkpoint; the log continues it only if it matches */
	if (!(n->last >= s->index && s->index > n->snap.index &&
	      n->log[s->index].term == s->term) || n->last < s->index)
		n->last = s->index;
	n->snap = *s;
	n->n_installs++;
	n->pending = false;
}

/* Run one node's ready loop until it has nothing more to say. */
static bool kt_process(struct kt_cluster *c, struct kt_node *n)
{
	struct kunit *test = c->test;
	bool any = false;
	int guard = 0;

	while (n->up && raft_has_ready(n->r)) {
		struct raft_ready rd;
		struct raft_snap_install in;
		bool install = false;
		u64 pidx = 0, pterm = 0;
		struct raft_status st;
		u32 i;

		KUNIT_ASSERT_LT(test, guard++, 1000);
		KUNIT_ASSERT_EQ(test, 0, raft_ready(n->r, &rd));
		any = true;
		/* 1. hard state durable before any message goes out */
		if (rd.hs_changed) {
			KUNIT_EXPECT_GE(test, rd.hs.term, n->hs.term);
			n->hs.term = rd.hs.term;
			n->hs.vote = rd.hs.vote;
		}
		n->hs.commit = rd.hs.commit;
		/* 2. entries */
		kt_persist_entries(c, n, &rd);
		if (rd.n_entries) {
			pidx = rd.entries[rd.n_entries - 1].index;
			pterm = rd.entries[rd.n_entries - 1].term;
		}
		/* 3. messages */
		for (i = 0; i < rd.n_msgs; i++) {
			KUNIT_EXPECT_EQ(test, rd.msgs[i].from, n->id);
			kt_enqueue(c, &rd.msgs[i]);
		}
		/* 4. snapshot installed, then committed entries in order */
		if (rd.snap_installed)
			kt_snap_installed(c, n, &rd.snap);
		for (i = 0; i < rd.n_committed; i++)
			kt_sm_apply(c, n, &rd.committed[i]);
		/* 5. reads */
		for (i = 0; i < rd.n_reads; i++) {
			KUNIT_ASSERT_LT(test, n->n_reads, 32u);
			n->read_ctx[n->n_reads] = rd.reads[i].ctx;
			n->read_idx[n->n_reads] = rd.reads[i].index;
			n->n_reads++;
		}
		/* 6. snapshots */
		for (i = 0; i < rd.n_snap_sends; i++) {
			const struct raft_snap_send *ss = &rd.snap_sends[i];
			bool dup = false;
			u32 j;

			for (j = 0; j < i; j++)
				if (rd.snap_sends[j].to == ss->to &&
				    rd.snap_sends[j].offset == ss->offset &&
				    rd.snap_sends[j].meta.index == ss->meta.index)
					dup = true;
			kt_snap_send(c, n, ss, dup);
		}
		if (rd.has_snap_install) {
			in = rd.snap_install;
			KUNIT_ASSERT_LE(test, in.next_offset,
					(u64)KT_MAX_IDX * KT_REC);
			KUNIT_ASSERT_EQ(test, in.next_offset - in.offset, (u64)in.len);
			memcpy(n->stage + in.offset, in.data, in.len);
			install = true;
		}
		raft_advance(n->r, &rd);
		if (pidx)
			raft_persisted(n->r, pidx, pterm);
		if (install) {
			raft_snapshot_chunk_done(n->r, in.meta.index, in.offset,
						 in.next_offset, in.last);
			if (!in.last) {
				n->pending = true;
				n->pend = in.meta;
				n->pend_off = in.next_offset;
				n->pend_base = in.base_applied;
			}
		}
		/* Election Safety: one leader per term */
		raft_get_status(n->r, &st);
		if (st.role == RAFT_LEADER && st.term < KT_MAX_TERMS) {
			u32 *l = &c->leader_of_term[st.term];

			KUNIT_EXPECT_TRUE_MSG(test, !*l || *l == n->id,
					      "two leaders in term %llu: %u and %u",
					      st.term, *l, n->id);
			*l = n->id;
		}
	}
	return any;
}

/* ------------------------------------------------------------------ */
/* the cluster */

static bool kt_link_up(struct kt_cluster *c, u32 from, u32 to)
{
	if (!from || !to || from > c->n || to > c->n)
		return false;
	return c->node[from].up && c->node[to].up && !c->cut[from][to];
}

static bool kt_dropped(struct kt_cluster *c, const struct raft_msg *m)
{
	return m->type < 32 && (c->drop[m->from][m->to] & BIT(m->type));
}

/* Deliver what is queued now (not what that produces); true if any. */
static bool kt_deliver(struct kt_cluster *c)
{
	struct kunit *test = c->test;
	u32 end = c->qt;
	bool any = false;

	while (c->qh < end) {
		struct raft_msg *m = &c->q[c->qh].m;

		c->qh++;
		if (kt_link_up(c, m->from, m->to) && !kt_dropped(c, m) &&
		    (!c->filter || c->filter(c, m))) {
			if (m->type <= RAFT_MSG_TYPE_MAX)
				c->n_msgs[m->type]++;
			if (m->type == RAFT_MSG_APPEND_RESP &&
			    (m->flags & RAFT_MSGF_REJECT))
				c->n_rejects++;
			KUNIT_EXPECT_EQ_MSG(test, 0, raft_step(c->node[m->to].r, m),
					    "step %s %u->%u",
					    raft_msg_type_name(m->type), m->from,
					    m->to);
			any = true;
		}
		kt_msg_free(m);
		if (c->qt == KT_QCAP)
			break;	/* let kt_enqueue compact */
	}
	if (c->qh == c->qt) {
		c->qh = 0;
		c->qt = 0;
	}
	return any;
}

/* Process and deliver until the cluster is quiet. */
static void kt_settle(struct kt_cluster *c)
{
	int i;

	for (i = 0; i < KT_SETTLE_MAX; i++) {
		bool any = false;
		u32 id;

		for (id = 1; id <= c->n; id++)
			any |= kt_process(c, &c->node[id]);
		any |= kt_deliver(c);
		if (!any)
			return;
	}
	KUNIT_FAIL(c->test, "cluster did not settle");
}

static void kt_tick(struct kt_cluster *c, u32 ticks)
{
	u32 t, id;

	for (t = 0; t < ticks; t++) {
		for (id = 1; id <= c->n; id++)
			if (c->node[id].up)
				raft_tick(c->node[id].r);
		kt_settle(c);
	}
}

static int kt_boot(struct kt_cluster *c, struct kt_node *n)
{
	struct raft_entry *ents = NULL;
	struct raft_config cfg = c->cfg;
	struct raft_boot boot = {};
	u64 i, cnt = n->last - n->snap.index;
	int err;

	if (cnt) {
		ents = kcalloc(cnt, sizeof(*ents), GFP_KERNEL);
		if (!ents)
			return -ENOMEM;
		for (i = 0; i < cnt; i++) {
			struct kt_ent *d = &n->log[n->snap.index + 1 + i];

			ents[i].index = n->snap.index + 1 + i;
			ents[i].term = d->term;
			ents[i].type = d->type;
			ents[i].len = d->len;
			ents[i].data = d->data;
		}
	}
	boot.hs = n->hs;
	boot.snap = n->snap;
	if (n->pending) {
		boot.inconsistent = true;
		boot.pending = n->pend;
		boot.pending_offset = n->pend_off;
		boot.pending_base = n->pend_base;
	}
	boot.entries = ents;
	boot.n_entries = (u32)cnt;
	cfg.id = n->id;
	err = raft_create(&n->r, &cfg, &boot);
	kfree(ents);
	if (!err) {
		n->up = true;
		n->applied = n->snap.index;
	}
	return err;
}

static void kt_exit(struct kunit *test)
{
	struct kt_cluster *c = test->priv;
	u32 id;

	if (!c)
		return;
	for (id = 1; id <= KT_MAX_NODES; id++) {
		raft_destroy(c->node[id].r);
		c->node[id].r = NULL;
	}
	while (c->qh < c->qt)
		kt_msg_free(&c->q[c->qh++].m);
}

static void kt_conf(struct raft_conf *conf, u32 n)
{
	u32 i;

	memset(conf, 0, sizeof(*conf));
	for (i = 0; i < n; i++)
		conf->voters[i] = i + 1;
	conf->n_voters = n;
}

/*
 * A cluster of n nodes with ids 1..n; the first `voters` are the initial
 * configuration, the others start empty (to be added later).
 */
static struct kt_cluster *kt_new(struct kunit *test, u32 n, u32 voters,
				 bool pre_vote, bool check_quorum)
{
	struct kt_cluster *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	u32 id;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c);
	test->priv = c;
	c->test = test;
	c->n = n;
	c->q = kunit_kcalloc(test, KT_QCAP, sizeof(*c->q), GFP_KERNEL);
	c->committed = kunit_kcalloc(test, KT_MAX_IDX + 1, sizeof(*c->committed),
				     GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c->q);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c->committed);
	c->cfg.election_ticks = 10;
	c->cfg.heartbeat_ticks = 2;
	c->cfg.max_inflight = 4;
	c->cfg.max_append_entries = 16;
	c->cfg.max_append_bytes = 4096;
	c->cfg.max_uncommitted = 256;
	c->cfg.pre_vote = pre_vote;
	c->cfg.check_quorum = check_quorum;
	c->cfg.catchup_entries = 4;
	c->cfg.seed = 0x5eed0000ull + n;
	kt_conf(&c->conf0, voters);
	for (id = 1; id <= n; id++) {
		struct kt_node *nd = &c->node[id];

		nd->id = id;
		nd->log = kunit_kcalloc(test, KT_MAX_IDX + 1, sizeof(*nd->log),
					GFP_KERNEL);
		nd->sm = kunit_kcalloc(test, KT_MAX_IDX + 1, sizeof(*nd->sm),
				       GFP_KERNEL);
		nd->stage = kunit_kzalloc(test, KT_MAX_IDX * KT_REC, GFP_KERNEL);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, nd->log);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, nd->sm);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, nd->stage);
		if (id <= voters)
			nd->snap.conf = c->conf0;
		KUNIT_ASSERT_EQ(test, 0, kt_boot(c, nd));
	}
	return c;
}

static struct raft *kt_r(struct kt_cluster *c, u32 id)
{
	return c->node[id].r;
}

static void kt_status(struct kt_cluster *c, u32 id, struct raft_status *st)
{
	raft_get_status(kt_r(c, id), st);
}

/* The single leader among the nodes that are up, or 0. */
static u32 kt_leader(struct kt_cluster *c)
{
	u32 id, lead = 0, n = 0;

	for (id = 1; id <= c->n; id++)
		if (c->node[id].up && raft_role(kt_r(c, id)) == RAFT_LEADER) {
			lead = id;
			n++;
		}
	return n == 1 ? lead : 0;
}

static u32 kt_elect(struct kt_cluster *c, u32 id)
{
	struct kunit *test = c->test;

	KUNIT_EXPECT_EQ(test, 0, raft_campaign(kt_r(c, id)));
	kt_settle(c);
	KUNIT_EXPECT_EQ(test, (u32)RAFT_LEADER, raft_role(kt_r(c, id)));
	return id;
}

static u64 kt_propose(struct kt_cluster *c, u32 id, u64 val)
{
	u64 index = 0, term = 0;

	KUNIT_EXPECT_EQ(c->test, 0, raft_propose(kt_r(c, id), &val, sizeof(val),
						 &index, &term));
	return index;
}

static void kt_isolate(struct kt_cluster *c, u32 id, bool cut)
{
	u32 o;

	for (o = 1; o <= c->n; o++) {
		c->cut[id][o] = cut;
		c->cut[o][id] = cut;
	}
}

static void kt_heal(struct kt_cluster *c)
{
	memset(c->cut, 0, sizeof(c->cut));
	memset(c->drop, 0, sizeof(c->drop));
}

static void kt_crash(struct kt_cluster *c, u32 id)
{
	struct kt_node *n = &c->node[id];

	raft_destroy(n->r);
	n->r = NULL;
	n->up = false;
}

/* Restart from what the node persisted: hard state, checkpoint, log. */
static void kt_restart(struct kt_cluster *c, u32 id)
{
	KUNIT_ASSERT_EQ(c->test, 0, kt_boot(c, &c->node[id]));
}

/* Every up node applied the same entries up to `index`. */
static void kt_expect_applied(struct kt_cluster *c, u64 index)
{
	struct kunit *test = c->test;
	u32 id;

	for (id = 1; id <= c->n; id++) {
		if (!c->node[id].up)
			continue;
		KUNIT_EXPECT_GE_MSG(test, c->node[id].applied, index,
				    "node %u", id);
	}
}

/* ------------------------------------------------------------------ */
/* tests */

static void raft_kunit_election_test(struct kunit *test)
{
	struct kt_cluster *c = kt_new(test, 3, 3, false, false);
	struct raft_status st;
	u32 lead, id;

	/* nobody leads at boot; randomized timeouts elect exactly one */
	KUNIT_EXPECT_EQ(test, 0u, kt_leader(c));
	kt_tick(c, 40);
	lead = kt_leader(c);
	KUNIT_ASSERT_NE(test, lead, 0u);
	kt_status(c, lead, &st);
	for (id = 1; id <= 3; id++) {
		struct raft_status o;

		kt_status(c, id, &o);
		KUNIT_EXPECT_EQ(test, o.term, st.term);
		KUNIT_EXPECT_EQ(test, o.leader, lead);
		if (id != lead)
			KUNIT_EXPECT_EQ(test, o.role, (u32)RAFT_FOLLOWER);
	}
	/* the new leader's NOOP commits and is applied everywhere */
	kt_tick(c, 4);
	kt_expect_applied(c, st.last_index);
	KUNIT_EXPECT_EQ(test, c->committed[1].type, (u32)RAFT_ENTRY_NOOP);
	/* heartbeats keep the leader: no new election */
	kt_tick(c, 100);
	KUNIT_EXPECT_EQ(test, kt_leader(c), lead);
	KUNIT_EXPECT_EQ(test, raft_term(kt_r(c, lead)), st.term);
}

static void raft_kunit_replication_test(struct kunit *test)
{
	struct kt_cluster *c = kt_new(test, 3, 3, true, true);
	u32 lead, f, i;
	u64 idx = 0, term;

	lead = kt_elect(c, 1);
	f = 2;
	/* followers refuse proposals */
	KUNIT_EXPECT_EQ(test, -EPERM, raft_propose(kt_r(c, f), &idx, 8, &idx,
						   &term));
	for (i = 0; i < 50; i++)
		idx = kt_propose(c, lead, 1000 + i);
	kt_settle(c);
	kt_tick(c, 2);
	kt_expect_applied(c, idx);
	for (i = 0; i < 50; i++)
		KUNIT_EXPECT_EQ(test, c->committed[idx - 49 + i].val, 1000ull + i);
	for (f = 1; f <= 3; f++) {
		struct raft_status st;

		kt_status(c, f, &st);
		KUNIT_EXPECT_EQ(test, st.commit, idx);
		KUNIT_EXPECT_EQ(test, st.last_index, idx);
		KUNIT_EXPECT_EQ(test, c->node[f].last, idx);
	}

	/* a follower that misses writes catches up when it is back */
	kt_isolate(c, 3, true);
	for (i = 0; i < 30; i++)
		idx = kt_propose(c, lead, 2000 + i);
	kt_tick(c, 3);
	KUNIT_EXPECT_GE(test, c->node[1].applied, idx);
	KUNIT_EXPECT_LT(test, c->node[3].applied, idx);
	kt_heal(c);
	kt_tick(c, 6);
	kt_expect_applied(c, idx);
}

static u64 kt_last(struct kt_cluster *c, u32 id)
{
	struct raft_status st;

	kt_status(c, id, &st);
	return st.last_index;
}

static u64 kt_commit(struct kt_cluster *c, u32 id)
{
	struct raft_status st;

	kt_status(c, id, &st);
	return st.commit;
}

/* Campaign until id leads (a first try may only raise its term). */
static void kt_win(struct kt_cluster *c, u32 id)
{
	int i;

	for (i = 0; i < 3 && raft_role(kt_r(c, id)) != RAFT_LEADER; i++) {
		KUNIT_EXPECT_EQ(c->test, 0, raft_campaign(kt_r(c, id)));
		kt_settle(c);
	}
	KUNIT_ASSERT_EQ(c->test, (u32)RAFT_LEADER, raft_role(kt_r(c, id)));
}

#define KT_BULK	(BIT(RAFT_MSG_APPEND) | BIT(RAFT_MSG_HEARTBEAT) | \
		 BIT(RAFT_MSG_SNAPSHOT) | BIT(RAFT_MSG_TIMEOUT_NOW))

/*
 * Raft Figure 8 with three nodes: a leader must not commit an entry of an
 * earlier term by counting replicas, because a later leader can still
 * overwrite it.  Appends from 1 to 3 are cut short after index 2 while
 * node 1 leads in term t3, so X (index 2, term t1) sits on a majority
 * without any entry of t3 there.
 */
static u64 fig8_max_index;

static bool fig8_filter(struct kt_cluster *c, struct raft_msg *m)
{
	if (m->type == RAFT_MSG_APPEND && m->from == 1 && m->to == 3) {
		while (m->n_entries && m->index + m->n_entries > fig8_max_index) {
			m->n_entries--;
			kfree(m->entries[m->n_entries].data);
			m->entries[m->n_entries].data = NULL;
		}
	}
	return true;
}

static void raft_kunit_figure8_test(struct kunit *test)
{
	struct kt_cluster *c = kt_new(test, 3, 3, false, false);
	u64 x, t1, t3;

	kt_elect(c, 1);
	kt_tick(c, 2);
	kt_expect_applied(c, 1);		/* the NOOP of term t1 */
	t1 = raft_term(kt_r(c, 1));

	/* t1: node 1 appends X at index 2; nobody else hears of it */
	kt_isolate(c, 1, true);
	x = kt_propose(c, 1, 0xbad);
	KUNIT_ASSERT_EQ(test, x, 2ull);
	kt_settle(c);

	/* t2: node 2 wins with node 3's vote; its NOOP reaches nobody */
	c->drop[2][3] = KT_BULK;
	kt_win(c, 2);
	KUNIT_ASSERT_EQ(test, kt_last(c, 2), 2ull);
	KUNIT_ASSERT_EQ(test, c->node[3].last, 1ull);

	/*
	 * t3: node 1 restarts (a follower again, X on its disk) and wins with
	 * node 3: log 1:t1 2:t1 against 1:t1.
	 */
	kt_crash(c, 1);
	kt_restart(c, 1);
	kt_heal(c);
	kt_isolate(c, 2, true);
	fig8_max_index = 2;
	c->filter = fig8_filter;
	kt_win(c, 1);
	t3 = raft_term(kt_r(c, 1));
	KUNIT_EXPECT_GT(test, t3, t1 + 1);
	kt_tick(c, 6);
	/* X is on a majority (1 and 3) but must not be committed */
	KUNIT_ASSERT_EQ(test, c->node[3].last, 2ull);
	KUNIT_EXPECT_EQ(test, c->node[3].log[2].term, t1);
	KUNIT_EXPECT_EQ(test, kt_commit(c, 1), 1ull);
	KUNIT_EXPECT_EQ(test, kt_commit(c, 3), 1ull);
	KUNIT_EXPECT_FALSE(test, c->committed[2].set);

	/* t4: node 2 restarts, wins with node 3 (t2 > t1), overwrites X */
	c->filter = NULL;
	kt_crash(c, 2);
	kt_restart(c, 2);
	kt_heal(c);
	kt_isolate(c, 1, true);
	kt_win(c, 2);
	kt_tick(c, 4);
	KUNIT_ASSERT_TRUE(test, c->committed[2].set);
	KUNIT_EXPECT_EQ(test, c->committed[2].type, (u32)RAFT_ENTRY_NOOP);
	KUNIT_EXPECT_NE(test, c->committed[2].val, 0xbadull);
	/* node 1 takes that history when it is back (checked per apply) */
	kt_heal(c);
	kt_tick(c, 30);
	kt_expect_applied(c, 3);
	KUNIT_EXPECT_NE(test, c->node[1].sm[2].val, 0xbadull);
	KUNIT_EXPECT_NE(test, c->node[1].log[2].term, t1);
}

/*
 * Fast log backup (the XTerm/XIndex/XLen hints): each reject carries the
 * follower's conflicting term and its first index, or its log length, so
 * the leader skips a whole term per round trip.
 */
static bool hints_filter(struct kt_cluster *c, struct raft_msg *m)
{
	struct kunit *test = c->test;
	struct kt_node *f;
	u64 i;

	if (m->type != RAFT_MSG_APPEND_RESP || !(m->flags & RAFT_MSGF_REJECT))
		return true;
	f = kt_node(c, m->from);
	KUNIT_EXPECT_EQ(test, m->hint_len, f->last + 1);
	if (m->index > f->last) {
		KUNIT_EXPECT_EQ(test, m->hint_term, 0ull);
		return true;
	}
	KUNIT_EXPECT_EQ(test, m->hint_term, f->log[m->index].term);
	i = m->index;
	while (i > f->snap.index + 1 && f->log[i - 1].term == f->log[i].term)
		i--;
	KUNIT_EXPECT_EQ(test, m->hint_index, i);
	return true;
}

static void kt_set_log(struct kt_node *n, const u8 *terms, u32 len)
{
	u32 i;

	memset(n->log, 0, (KT_MAX_IDX + 1) * sizeof(*n->log));
	for (i = 0; i < len; i++) {
		/* same index and term, same entry (Log Matching) */
		u64 v = 1000ull * terms[i] + i + 1;

		n->log[i + 1].term = terms[i];
		n->log[i + 1].type = RAFT_ENTRY_NORMAL;
		n->log[i + 1].len = sizeof(v);
		memcpy(n->log[i + 1].data, &v, sizeof(v));
		if (terms[i] > n->hs.term)
			n->hs.term = terms[i];
	}
	n->last = len;
	n->hs.vote = 0;
	n->hs.commit = 0;
}

struct backup_case {
	const char *name;
	u8 lead[16];
	u32 n_lead;
	u8 foll[64];
	u32 n_foll;
};

static const struct backup_case backup_cases[] = {
	{
		/* case 1: the leader has no entry of the follower's term */
		.name = "xterm unknown to leader",
		.lead = { 1, 1, 1, 4, 4, 4, 4 }, .n_lead = 7,
		.foll = { 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
			  3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3 },
		.n_foll = 34,
	}, {
		/* case 2: the leader has the term: resume after its last one */
		.name = "xterm known to leader",
		.lead = { 1, 1, 1, 4, 4, 4, 6, 6, 6 }, .n_lead = 9,
		.foll = { 1, 1, 1, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5 },
		.n_foll = 17,
	}, {
		/* case 3: the follower's log is too short */
		.name = "follower log short",
		.lead = { 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2 },
		.n_lead = 16,
		.foll = { 1 }, .n_foll = 1,
	},
};

static void backup_desc(const struct backup_case *t, char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(backup, backup_cases, backup_desc);

static void raft_kunit_fast_backup_test(struct kunit *test)
{
	const struct backup_case *t = test->param_value;
	struct kt_cluster *c = kt_new(test, 3, 3, false, false);
	u32 id;
	u64 i, last;

	for (id = 1; id <= 3; id++)
		kt_crash(c, id);
	kt_set_log(kt_node(c, 1), t->lead, t->n_lead);
	kt_set_log(kt_node(c, 2), t->lead, t->n_lead);
	kt_set_log(kt_node(c, 3), t->foll, t->n_foll);
	/* node 3 knows the highest term, so only its log can lose */
	kt_node(c, 1)->hs.term = max(kt_node(c, 1)->hs.term, kt_node(c, 3)->hs.term);
	for (id = 1; id <= 3; id++)
		kt_restart(c, id);
	c->filter = hints_filter;
	kt_win(c, 1);
	kt_tick(c, 10);
	last = kt_last(c, 1);
	KUNIT_EXPECT_EQ(test, last, (u64)t->n_lead + 1);
	/* converged: node 3's log is the leader's */
	KUNIT_ASSERT_EQ(test, c->node[3].last, last);
	for (i = 1; i <= last; i++)
		KUNIT_EXPECT_EQ_MSG(test, c->node[3].log[i].term,
				    c->node[1].log[i].term, "index %llu", i);
	kt_expect_applied(c, last);
	/* one term skipped per round trip: at most one reject per term */
	KUNIT_EXPECT_GE(test, c->n_rejects, 1u);
	KUNIT_EXPECT_LE(test, c->n_rejects, 2u);
}

static void raft_kunit_prevote_test(struct kunit *test)
{
	struct kt_cluster *c = kt_new(test, 3, 3, true, true);
	u64 term;
	u32 i;

	kt_elect(c, 1);
	kt_tick(c, 4);
	term = raft_term(kt_r(c, 1));

	/* a partitioned node pre-votes forever without raising its term */
	kt_isolate(c, 3, true);
	kt_tick(c, 100);
	KUNIT_EXPECT_EQ(test, raft_term(kt_r(c, 3)), term);
	KUNIT_EXPECT_NE(test, raft_role(kt_r(c, 3)), (u32)RAFT_LEADER);
	/* and does not disturb the leader when it comes back */
	kt_heal(c);
	kt_tick(c, 20);
	KUNIT_EXPECT_EQ(test, kt_leader(c), 1u);
	KUNIT_EXPECT_EQ(test, raft_term(kt_r(c, 1)), term);

	/* a follower with a live leader ignores a campaign (stickiness) */
	KUNIT_EXPECT_EQ(test, 0, raft_campaign(kt_r(c, 2)));
	kt_settle(c);
	KUNIT_EXPECT_EQ(test, kt_leader(c), 1u);
	KUNIT_EXPECT_EQ(test, raft_term(kt_r(c, 1)), term);

	/* check quorum: an isolated leader steps down by itself */
	kt_isolate(c, 1, true);
	kt_tick(c, 25);
	KUNIT_EXPECT_NE(test, raft_role(kt_r(c, 1)), (u32)RAFT_LEADER);
	for (i = 0; i < 10 && !kt_leader(c); i++)
		kt_tick(c, 10);
	KUNIT_EXPECT_NE(test, kt_leader(c), 0u);
	KUNIT_EXPECT_NE(test, kt_leader(c), 1u);
	kt_heal(c);
	kt_tick(c, 20);
	KUNIT_EXPECT_NE(test, kt_leader(c), 0u);
	KUNIT_EXPECT_NE(test, raft_role(kt_r(c, 1)), (u32)RAFT_LEADER);
	KUNIT_EXPECT_EQ(test, raft_term(kt_r(c, 1)), raft_term(kt_r(c, kt_leader(c))));
}

static bool kt_has_read(struct kt_node *n, u64 ctx, u64 *index)
{
	u32 i;

	for (i = 0; i < n->n_reads; i++)
		if (n->read_ctx[i] == ctx) {
			*index = n->read_idx[i];
			return true;
		}
	return false;
}

static void raft_kunit_read_index_test(struct kunit *test)
{
	struct kt_cluster *c = kt_new(test, 3, 3, true, true);
	u64 idx, ri = 0;
	u32 i;

	kt_elect(c, 1);
	for (i = 0; i < 5; i++)
		idx = kt_propose(c, 1, 10 + i);
	kt_tick(c, 2);
	KUNIT_ASSERT_EQ(test, kt_commit(c, 1), idx);

	/* only the leader serves reads */
	KUNIT_EXPECT_EQ(test, -EPERM, raft_read_index(kt_r(c, 2), 1));

	/* confirmed by a heartbeat round: at least the commit index */
	KUNIT_EXPECT_EQ(test, 0, raft_read_index(kt_r(c, 1), 77));
	kt_settle(c);
	kt_tick(c, 2);
	KUNIT_ASSERT_TRUE(test, kt_has_read(kt_node(c, 1), 77, &ri));
	KUNIT_EXPECT_GE(test, ri, idx);

	/* a leader cut off from the majority confirms nothing */
	kt_isolate(c, 1, true);
	KUNIT_EXPECT_EQ(test, 0, raft_read_index(kt_r(c, 1), 88));
	kt_tick(c, 6);
	KUNIT_EXPECT_FALSE(test, kt_has_read(kt_node(c, 1), 88, &ri));
	/* until the majority answers again */
	kt_heal(c);
	kt_tick(c, 3);
	KUNIT_EXPECT_TRUE(test, kt_has_read(kt_node(c, 1), 88, &ri));
	KUNIT_EXPECT_GE(test, ri, idx);
}

static void raft_kunit_lease_read_test(struct kunit *test)
{
	struct kt_cluster *c;
	u64 ri = 0;
	u32 i, lead;
	int ret;

	c = kt_new(test, 3, 3, true, true);
	/* lease reads: restart with a lease of election - drift ticks */
	kt_crash(c, 1);
	kt_crash(c, 2);
	kt_crash(c, 3);
	c->cfg.lease_drift_ticks = 4;
	kt_restart(c, 1);
	kt_restart(c, 2);
	kt_restart(c, 3);

	/*
	 * A restarted node grants no vote for one election timeout (a lease
	 * it granted before the restart may still be running): a campaign
	 * right away fails, the normal timeouts then elect a leader.
	 */
	KUNIT_EXPECT_EQ(test, 0, raft_campaign(kt_r(c, 1)));
	kt_settle(c);
	KUNIT_EXPECT_NE(test, raft_role(kt_r(c, 1)), (u32)RAFT_LEADER);
	for (i = 0; i < 10 && !kt_leader(c); i++)
		kt_tick(c, 10);
	lead = kt_leader(c);
	KUNIT_ASSERT_NE(test, lead, 0u);
	kt_tick(c, 4);

	/* within the lease a read needs no round trip at all */
	kt_isolate(c, lead, true);
	KUNIT_EXPECT_EQ(test, 0, raft_read_index(kt_r(c, lead), 5));
	kt_settle(c);
	KUNIT_EXPECT_TRUE(test, kt_has_read(kt_node(c, lead), 5, &ri));
	KUNIT_EXPECT_EQ(test, ri, kt_commit(c, lead));

	/*
	 * Once the lease ran out it does: the read waits (or is refused if
	 * check-quorum already demoted the leader), it is never served.
	 */
	kt_tick(c, 7);
	ret = raft_read_index(kt_r(c, lead), 6);
	KUNIT_EXPECT_TRUE(test, ret == 0 || ret == -EPERM);
	kt_settle(c);
	KUNIT_EXPECT_FALSE(test, kt_has_read(kt_node(c, lead), 6, &ri));
}

static void raft_kunit_transfer_test(struct kunit *test)
{
	struct kt_cluster *c = kt_new(test, 3, 3, true, true);
	u64 term, idx;
	u32 i;

	kt_elect(c, 1);
	for (i = 0; i < 5; i++)
		idx = kt_propose(c, 1, i);
	kt_tick(c, 2);
	term = raft_term(kt_r(c, 1));

	KUNIT_EXPECT_EQ(test, -EINVAL, raft_transfer_leader(kt_r(c, 1), 9));
	KUNIT_EXPECT_EQ(test, -EPERM, raft_transfer_leader(kt_r(c, 2), 3));
	KUNIT_EXPECT_EQ(test, 0, raft_transfer_leader(kt_r(c, 1), 2));
	/* no proposals while the leadership moves */
	KUNIT_EXPECT_EQ(test, -EPERM, raft_propose(kt_r(c, 1), &idx, 8, NULL, NULL));
	kt_settle(c);
	KUNIT_EXPECT_EQ(test, kt_leader(c), 2u);
	KUNIT_EXPECT_EQ(test, raft_term(kt_r(c, 2)), term + 1);

	/* to a lagging node: it is caught up first, then takes over */
	kt_isolate(c, 3, true);
	for (i = 0; i < 20; i++)
		idx = kt_propose(c, 2, 100 + i);
	kt_tick(c, 2);
	KUNIT_EXPECT_LT(test, kt_last(c, 3), idx);
	kt_heal(c);
	KUNIT_EXPECT_EQ(test, 0, raft_transfer_leader(kt_r(c, 2), 3));
	kt_settle(c);
	kt_tick(c, 4);
	KUNIT_EXPECT_EQ(test, kt_leader(c), 3u);
	kt_expect_applied(c, idx);
	idx = kt_propose(c, 3, 999);
	kt_tick(c, 2);
	kt_expect_applied(c, idx);
}

static void raft_kunit_joint_consensus_test(struct kunit *test)
{
	struct kt_cluster *c = kt_new(test, 4, 3, true, true);
	struct raft_conf t;
	struct raft_status st;
	u64 idx, term;
	u32 i, id, lead;

	kt_elect(c, 1);
	for (i = 0; i < 20; i++)
		idx = kt_propose(c, 1, i);
	kt_tick(c, 2);

	/* refused: not leader, no voters, duplicate or zero ids */
	kt_conf(&t, 3);
	KUNIT_EXPECT_EQ(test, -EPERM, raft_change_conf(kt_r(c, 2), &t));
	t.n_voters = 0;
	KUNIT_EXPECT_EQ(test, -EINVAL, raft_change_conf(kt_r(c, 1), &t));
	kt_conf(&t, 3);
	t.voters[2] = 2;
	KUNIT_EXPECT_EQ(test, -EINVAL, raft_change_conf(kt_r(c, 1), &t));
	t.voters[2] = 0;
	KUNIT_EXPECT_EQ(test, -EINVAL, raft_change_conf(kt_r(c, 1), &t));

	/* 1. node 4 joins as a learner and receives the log */
	kt_conf(&t, 3);
	t.learners[0] = 4;
	t.n_learners = 1;
	KUNIT_ASSERT_EQ(test, 0, raft_change_conf(kt_r(c, 1), &t));
	kt_tick(c, 6);
	kt_status(c, 4, &st);
	KUNIT_EXPECT_EQ(test, st.conf.n_learners, 1);
	KUNIT_EXPECT_EQ(test, st.conf.learners[0], 4u);
	KUNIT_EXPECT_FALSE(test, raft_conf_is_voter(&st.conf, 4));
	idx = kt_last(c, 1);
	kt_expect_applied(c, idx);
	/* a learner cannot take the leadership */
	KUNIT_EXPECT_EQ(test, -EINVAL, raft_transfer_leader(kt_r(c, 1), 4));
	KUNIT_EXPECT_EQ(test, -EPERM, raft_campaign(kt_r(c, 4)));

	/* a learner that is behind cannot be promoted */
	kt_isolate(c, 4, true);
	for (i = 0; i < 10; i++)
		idx = kt_propose(c, 1, 50 + i);
	kt_tick(c, 2);
	kt_conf(&t, 4);
	KUNIT_EXPECT_EQ(test, -EINVAL, raft_change_conf(kt_r(c, 1), &t));
	kt_heal(c);
	kt_tick(c, 6);

	/* 2. promote 4 and remove 3 at once: C_old,new then C_new */
	t.voters[2] = 4;
	t.n_voters = 3;
	KUNIT_ASSERT_EQ(test, 0, raft_change_conf(kt_r(c, 1), &t));
	kt_status(c, 1, &st);
	KUNIT_EXPECT_EQ(test, st.conf.n_voters_old, 3);
	KUNIT_EXPECT_TRUE(test, st.conf_pending);
	KUNIT_EXPECT_EQ(test, -EBUSY, raft_change_conf(kt_r(c, 1), &t));
	kt_tick(c, 6);
	for (id = 1; id <= 4; id++) {
		if (id == 3)
			continue;
		kt_status(c, id, &st);
		KUNIT_EXPECT_EQ_MSG(test, st.conf.n_voters_old, 0, "node %u", id);
		KUNIT_EXPECT_EQ_MSG(test, st.conf.n_voters, 3, "node %u", id);
		KUNIT_EXPECT_TRUE(test, raft_conf_is_voter(&st.conf, 4));
		KUNIT_EXPECT_FALSE(test, raft_conf_is_voter(&st.conf, 3));
		KUNIT_EXPECT_FALSE(test, st.conf_pending);
	}

	/*
	 * Node 3, removed, hears nothing any more and keeps campaigning: the
	 * voters ignore a non-member, the leader and its term stay.
	 */
	term = raft_term(kt_r(c, 1));
	kt_tick(c, 100);
	KUNIT_EXPECT_EQ(test, raft_role(kt_r(c, 1)), (u32)RAFT_LEADER);
	KUNIT_EXPECT_EQ(test, raft_term(kt_r(c, 1)), term);
	KUNIT_EXPECT_EQ(test, raft_term(kt_r(c, 2)), term);
	KUNIT_EXPECT_EQ(test, -EINVAL, raft_transfer_leader(kt_r(c, 1), 3));

	/* node 3 is gone: {1, 2, 4} still commit */
	kt_crash(c, 3);
	idx = kt_propose(c, 1, 0xabc);
	kt_tick(c, 4);
	KUNIT_EXPECT_GE(test, kt_commit(c, 1), idx);
	KUNIT_EXPECT_GE(test, c->node[4].applied, idx);

	/* 3. remove the leader itself: it steps down once C_new commits */
	t.voters[0] = 2;
	t.voters[1] = 4;
	t.n_voters = 2;
	KUNIT_ASSERT_EQ(test, 0, raft_change_conf(kt_r(c, 1), &t));
	kt_tick(c, 6);
	KUNIT_EXPECT_NE(test, raft_role(kt_r(c, 1)), (u32)RAFT_LEADER);
	for (i = 0; i < 10 && !kt_leader(c); i++)
		kt_tick(c, 10);
	lead = kt_leader(c);
	KUNIT_ASSERT_TRUE(test, lead == 2 || lead == 4);
	idx = kt_propose(c, lead, 0xdef);
	kt_tick(c, 4);
	KUNIT_EXPECT_GE(test, c->node[2].applied, idx);
	KUNIT_EXPECT_GE(test, c->node[4].applied, idx);
}

static void raft_kunit_snapshot_test(struct kunit *test)
{
	struct kt_cluster *c = kt_new(test, 3, 3, true, true);
	struct raft_status st;
	u64 idx, snap;
	u32 i;

	kt_elect(c, 1);
	kt_tick(c, 2);
	kt_isolate(c, 3, true);
	for (i = 0; i < 40; i++)
		idx = kt_propose(c, 1, 7000 + i);
	kt_tick(c, 2);
	KUNIT_ASSERT_EQ(test, kt_commit(c, 1), idx);

	/* compacting beyond what is applied is refused */
	KUNIT_EXPECT_EQ(test, -EINVAL, raft_compact(kt_r(c, 1), idx + 1));
	/* leader and node 2 checkpoint; node 3 now needs a snapshot */
	snap = idx - 5;
	KUNIT_ASSERT_EQ(test, 0, raft_compact(kt_r(c, 1), snap));
	KUNIT_ASSERT_EQ(test, 0, raft_compact(kt_r(c, 2), snap));
	kt_status(c, 1, &st);
	KUNIT_EXPECT_EQ(test, st.snap_index, snap);
	KUNIT_EXPECT_EQ(test, st.first_index, snap + 1);
	KUNIT_EXPECT_EQ(test, raft_term_at(kt_r(c, 1), snap - 1), 0ull);
	KUNIT_EXPECT_EQ(test, raft_term_at(kt_r(c, 1), snap), st.snap_term);
	c->node[1].snap.index = snap;
	c->node[1].snap.term = st.snap_term;
	c->node[1].snap.conf = c->conf0;
	c->node[2].snap = c->node[1].snap;

	kt_heal(c);
	kt_tick(c, 20);
	/* installed in many chunks, then the tail through appends */
	KUNIT_EXPECT_EQ(test, c->node[3].n_installs, 1u);
	KUNIT_EXPECT_EQ(test, c->node[3].snap.index, snap);
	kt_expect_applied(c, idx);
	kt_status(c, 3, &st);
	KUNIT_EXPECT_FALSE(test, st.inconsistent);
	KUNIT_EXPECT_EQ(test, st.snap_index, snap);
	KUNIT_EXPECT_EQ(test, st.last_index, idx);
	for (i = 1; i <= idx; i++)
		KUNIT_EXPECT_EQ_MSG(test, c->node[3].sm[i].val, c->node[1].sm[i].val,
				    "index %u", i);

	/* node 3 restarts from its checkpoint plus log and keeps up */
	kt_crash(c, 3);
	kt_restart(c, 3);
	idx = kt_propose(c, 1, 0x5a5a);
	kt_tick(c, 6);
	kt_expect_applied(c, idx);
	KUNIT_EXPECT_EQ(test, c->node[3].sm[idx].val, 0x5a5aull);
}

static void raft_kunit_restart_test(struct kunit *test)
{
	struct kt_cluster *c = kt_new(test, 3, 3, true, true);
	u64 idx, commit;
	u32 i, id, lead;

	kt_elect(c, 1);
	for (i = 0; i < 10; i++)
		idx = kt_propose(c, 1, 300 + i);
	kt_tick(c, 2);
	commit = kt_commit(c, 1);
	KUNIT_ASSERT_EQ(test, commit, idx);

	/* the leader crashes; the others elect a new one and go on */
	kt_crash(c, 1);
	for (i = 0; i < 10 && !kt_leader(c); i++)
		kt_tick(c, 10);
	lead = kt_leader(c);
	KUNIT_ASSERT_TRUE(test, lead == 2 || lead == 3);
	idx = kt_propose(c, lead, 400);
	kt_tick(c, 2);

	/* it restarts from its own disk and converges (checked per apply) */
	kt_restart(c, 1);
	KUNIT_EXPECT_EQ(test, raft_role(kt_r(c, 1)), (u32)RAFT_FOLLOWER);
	kt_tick(c, 10);
	kt_expect_applied(c, idx);

	/* the whole cluster restarts: nothing committed is lost */
	for (id = 1; id <= 3; id++)
		kt_crash(c, id);
	for (id = 1; id <= 3; id++) {
		kt_restart(c, id);
		KUNIT_EXPECT_GE(test, kt_last(c, id), idx);
	}
	for (i = 0; i < 10 && !kt_leader(c); i++)
		kt_tick(c, 10);
	lead = kt_leader(c);
	KUNIT_ASSERT_NE(test, lead, 0u);
	idx = kt_propose(c, lead, 500);
	kt_tick(c, 4);
	kt_expect_applied(c, idx);
	for (i = 0; i < 10; i++)
		KUNIT_EXPECT_EQ(test, c->committed[commit - 9 + i].val, 300ull + i);
}

static void raft_kunit_single_node_test(struct kunit *test)
{
	struct kt_cluster *c = kt_new(test, 1, 1, true, true);
	u64 idx = 0, ri = 0;
	u32 i;

	/* a one-node cluster elects itself and commits on its own write */
	kt_tick(c, 30);
	KUNIT_ASSERT_EQ(test, kt_leader(c), 1u);
	for (i = 0; i < 8; i++)
		idx = kt_propose(c, 1, i);
	kt_settle(c);
	KUNIT_EXPECT_EQ(test, kt_commit(c, 1), idx);
	kt_expect_applied(c, idx);
	KUNIT_EXPECT_EQ(test, 0, raft_read_index(kt_r(c, 1), 3));
	kt_settle(c);
	KUNIT_EXPECT_TRUE(test, kt_has_read(kt_node(c, 1), 3, &ri));
	KUNIT_EXPECT_EQ(test, ri, idx);
}

static void raft_kunit_create_errors_test(struct kunit *test)
{
	struct raft_config cfg = { .id = 1, .election_ticks = 10,
				   .heartbeat_ticks = 1 };
	struct raft_entry e[2] = {};
	struct raft_boot boot = {};
	struct raft *r = NULL;

	kt_conf(&boot.snap.conf, 3);
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

static void raft_kunit_backpressure_test(struct kunit *test)
{
	struct kt_cluster *c = kt_new(test, 3, 3, true, true);
	u64 v = 1, idx = 0, first;
	u32 n = 0;
	int err;

	kt_elect(c, 1);
	kt_tick(c, 2);
	first = kt_commit(c, 1);
	/* without a majority nothing commits: proposals stop at the limit */
	kt_isolate(c, 1, true);
	while ((err = raft_propose(kt_r(c, 1), &v, sizeof(v), &idx, NULL)) == 0) {
		KUNIT_ASSERT_LT(test, n++, 1000u);
		kt_settle(c);
	}
	KUNIT_EXPECT_EQ(test, err, -EBUSY);
	KUNIT_EXPECT_EQ(test, idx - first, (u64)c->cfg.max_uncommitted);
	KUNIT_EXPECT_EQ(test, kt_commit(c, 1), first);
	/* with the majority back, they all commit and room opens again */
	kt_heal(c);
	kt_tick(c, 10);
	kt_expect_applied(c, idx);
	KUNIT_EXPECT_EQ(test, 0, raft_propose(kt_r(c, 1), &v, sizeof(v), NULL, NULL));
}

/*
 * Chaos: five nodes, a seeded random schedule of crashes, restarts, cut
 * links, heals and checkpoints while proposals keep coming.  The safety
 * checks run on every apply and every ready; at the end, with everybody
 * back and connected, the cluster must elect a leader and commit again.
 */
static void kt_compact_node(struct kt_cluster *c, u32 id)
{
	struct kt_node *n = kt_node(c, id);
	struct raft_status st;
	u64 idx, term;

	kt_status(c, id, &st);
	if (st.applied < st.snap_index + 3)
		return;
	idx = st.applied - 2;
	term = raft_term_at(n->r, idx);
	KUNIT_ASSERT_EQ(c->test, 0, raft_compact(n->r, idx));
	n->snap.index = idx;
	n->snap.term = term;
	n->snap.conf = c->conf0;
}

static void raft_kunit_chaos_test(struct kunit *test)
{
	struct kt_cluster *c = kt_new(test, 5, 5, true, true);
	struct rnd_state rs;
	u32 round, id, props = 0, a, b, i;
	u64 v, idx = 0;

	prandom_seed_state(&rs, 0x5eedc4a05ull);
	for (round = 0; round < 1500; round++) {
		u32 dice = prandom_u32_state(&rs) % 100;

		id = prandom_u32_state(&rs) % 5 + 1;
		if (dice < 4 && c->node[id].up) {
			kt_crash(c, id);
		} else if (dice < 5 && kt_leader(c)) {
			kt_crash(c, kt_leader(c));
		} else if (dice < 13 && !c->node[id].up) {
			kt_restart(c, id);
		} else if (dice < 23) {
			a = prandom_u32_state(&rs) % 5 + 1;
			b = prandom_u32_state(&rs) % 5 + 1;
			c->cut[a][b] = true;
			c->cut[b][a] = true;
		} else if (dice < 27) {
			kt_heal(c);
		} else if (dice < 30 && c->node[id].up) {
			kt_compact_node(c, id);
		}
		if (prandom_u32_state(&rs) % 4)
			goto tick;
		for (id = 1; id <= 5 && props < 250; id++) {
			if (!c->node[id].up || raft_role(kt_r(c, id)) != RAFT_LEADER)
				continue;
			v = 0xc0000000ull + props;
			if (!raft_propose(kt_r(c, id), &v, sizeof(v), NULL, NULL))
				props++;
			break;
		}
tick:
		kt_tick(c, 1);
	}
	/* everybody back, every link up: liveness */
	kt_heal(c);
	for (id = 1; id <= 5; id++)
		if (!c->node[id].up)
			kt_restart(c, id);
	for (i = 0; i < 20 && !kt_leader(c); i++)
		kt_tick(c, 10);
	id = kt_leader(c);
	KUNIT_ASSERT_NE(test, id, 0u);
	v = 0xe0d;
	KUNIT_ASSERT_EQ(test, 0, raft_propose(kt_r(c, id), &v, sizeof(v), &idx, NULL));
	kt_tick(c, 30);
	kt_expect_applied(c, idx);
	KUNIT_EXPECT_EQ(test, c->committed[idx].val, 0xe0dull);
	KUNIT_EXPECT_GT(test, props, 50u);
	kunit_info(test, "chaos: %u proposals accepted, final index %llu, term %llu\n",
		   props, idx, raft_term(kt_r(c, id)));
}

/*
 * A snapshot install interrupted by a crash: the node restarts
 * Inconsistent (it refuses reads), tells the leader where it stands, and
 * the transfer resumes at the offset it had reached instead of starting
 * over.
 */
static u32 snap_chunks_allowed;
static u32 snap_chunks_seen;
static u64 snap_first_offset;

static bool snap_cut_filter(struct kt_cluster *c, struct raft_msg *m)
{
	if (m->type != RAFT_MSG_SNAPSHOT || m->to != 3)
		return true;
	if (snap_chunks_seen == 0)
		snap_first_offset = m->offset;
	if (snap_chunks_seen >= snap_chunks_allowed)
		return false;
	snap_chunks_seen++;
	return true;
}

static void raft_kunit_snapshot_resume_test(struct kunit *test)
{
	struct kt_cluster *c = kt_new(test, 3, 3, true, true);
	struct raft_status st;
	u64 idx, snap, off;
	u32 i;

	kt_elect(c, 1);
	kt_tick(c, 2);
	kt_isolate(c, 3, true);
	for (i = 0; i < 60; i++)
		idx = kt_propose(c, 1, 9000 + i);
	kt_tick(c, 2);
	kt_compact_node(c, 1);
	kt_compact_node(c, 2);
	snap = c->node[1].snap.index;
	KUNIT_ASSERT_GE(test, snap, idx - 4);

	/* node 3 gets five chunks of the checkpoint, then the link stalls */
	snap_chunks_allowed = 5;
	snap_chunks_seen = 0;
	c->filter = snap_cut_filter;
	kt_heal(c);
	kt_tick(c, 10);
	KUNIT_ASSERT_EQ(test, snap_chunks_seen, 5u);
	KUNIT_ASSERT_TRUE(test, c->node[3].pending);
	off = c->node[3].pend_off;
	KUNIT_EXPECT_GT(test, off, 0ull);
	kt_status(c, 3, &st);
	KUNIT_EXPECT_TRUE(test, st.inconsistent);
	KUNIT_EXPECT_EQ(test, -EAGAIN, raft_read_index(kt_r(c, 3), 1));

	/* it crashes and comes back Inconsistent, from its own disk */
	kt_crash(c, 3);
	kt_restart(c, 3);
	kt_status(c, 3, &st);
	KUNIT_EXPECT_TRUE(test, st.inconsistent);
	snap_chunks_allowed = ~0u;
	snap_chunks_seen = 0;
	kt_tick(c, 40);
	KUNIT_EXPECT_EQ(test, snap_first_offset, off);
	KUNIT_EXPECT_EQ(test, c->node[3].n_installs, 1u);
	KUNIT_EXPECT_FALSE(test, c->node[3].pending);
	kt_status(c, 3, &st);
	KUNIT_EXPECT_FALSE(test, st.inconsistent);
	KUNIT_EXPECT_EQ(test, st.snap_index, snap);
	kt_expect_applied(c, idx);
	for (i = 1; i <= idx; i++)
		KUNIT_EXPECT_EQ_MSG(test, c->node[3].sm[i].val, c->node[1].sm[i].val,
				    "index %u", i);
}

static struct kunit_case raft_kunit_cases[] = {
	KUNIT_CASE(raft_kunit_create_errors_test),
	KUNIT_CASE(raft_kunit_single_node_test),
	KUNIT_CASE(raft_kunit_election_test),
	KUNIT_CASE(raft_kunit_replication_test),
	KUNIT_CASE(raft_kunit_figure8_test),
	KUNIT_CASE_PARAM(raft_kunit_fast_backup_test, backup_gen_params),
	KUNIT_CASE(raft_kunit_prevote_test),
	KUNIT_CASE(raft_kunit_read_index_test),
	KUNIT_CASE(raft_kunit_lease_read_test),
	KUNIT_CASE(raft_kunit_transfer_test),
	KUNIT_CASE(raft_kunit_joint_consensus_test),
	KUNIT_CASE(raft_kunit_snapshot_test),
	KUNIT_CASE(raft_kunit_snapshot_resume_test),
	KUNIT_CASE(raft_kunit_restart_test),
	KUNIT_CASE(raft_kunit_backpressure_test),
	KUNIT_CASE(raft_kunit_chaos_test),
	{}
};

static struct kunit_suite raft_kunit_suite = {
	.name = "rraft_raft",
	.exit = kt_exit,
	.test_cases = raft_kunit_cases,
};

kunit_test_suite(raft_kunit_suite);
