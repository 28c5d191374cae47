// SPDX-License-Identifier: GPL-2.0
/*
 * rtc_cluster.c - the one in-memory test host of the Raft core: nodes,
 * stable storage, network queue and the host loop.  See rtc_cluster.h.
 */
#include "rtc_cluster.h"
#include "rtc_host.h"

#define RTC_BIT(n)	(1u << (n))

const struct raft_config rtc_default_cfg = {
	.election_ticks = 10,
	.heartbeat_ticks = 1,
	.max_inflight = 8,
	.max_append_bytes = 1 << 20,
	.max_append_entries = 32,
	.max_uncommitted = 1000,
	.pre_vote = true,
	.check_quorum = true,
	.lease_drift_ticks = 0,
	.catchup_entries = 10,
	.seed = 1,
};

static u64 rtc_mix(u64 h, u64 v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

static u64 rtc_ent_hash(u64 h, const struct raft_entry *e)
{
	u32 i;

	h = rtc_mix(h, e->term);
	h = rtc_mix(h, e->type);
	for (i = 0; i < e->len; i++)
		h = rtc_mix(h, e->data[i]);
	return h;
}

static void rtc_violation(struct rtc_cluster *c, const char *what, u32 id,
			  u64 a, u64 b)
{
	c->violations++;
	c->env->fail(c->env, what, id, a, b);
}

struct rtc_node *rtc_node(struct rtc_cluster *c, u32 id)
{
	if (id == 0 || id > c->n) {
		rtc_violation(c, "bad node id", id, c->n, 0);
		id = 1;
	}
	return &c->nodes[id - 1];
}

struct raft *rtc_r(struct rtc_cluster *c, u32 id)
{
	return rtc_node(c, id)->r;
}

void rtc_voters(struct raft_conf *conf, u32 n)
{
	u32 i;

	memset(conf, 0, sizeof(*conf));
	for (i = 0; i < n; i++)
		conf->voters[i] = i + 1;
	conf->n_voters = (u8)n;
}

/* ------------------------------------------------------------------ */
/* booting from stable storage */

static int rtc_boot(struct rtc_cluster *c, struct rtc_node *nd)
{
	struct raft_config cfg = c->cfg;
	struct raft_entry *ents = NULL;
	struct raft_boot b;
	u64 i, n = nd->last - nd->snap.index;
	int err;

	memset(&b, 0, sizeof(b));
	b.hs = nd->hs;
	b.snap = nd->snap;
	if (n) {
		ents = c->env->zalloc(n * sizeof(*ents));
		if (!ents)
			return -ENOMEM;
		for (i = 0; i < n; i++) {
			struct rtc_ent *he = &nd->log[nd->snap.index + 1 + i];

			ents[i].index = nd->snap.index + 1 + i;
			ents[i].term = he->term;
			ents[i].type = he->type;
			ents[i].len = he->len;
			ents[i].data = he->data;
		}
	}
	b.entries = ents;
	b.n_entries = (u32)n;
	if (nd->inst_pending) {
		b.inconsistent = true;
		b.pending = nd->inst_meta;
		b.pending_offset = nd->inst_off;
		b.pending_base = nd->inst_base;
	}
	cfg.id = nd->id;
	cfg.seed = c->cfg.seed * 131 + nd->id;
	err = raft_create(&nd->r, &cfg, &b);
	c->env->free(ents);
	if (err) {
		rtc_violation(c, "raft_create failed", nd->id, (u64)-err, 0);
		return err;
	}
	nd->up = true;
	nd->applied = nd->snap.index;
	nd->hash = nd->snap_hash;
	return 0;
}

struct rtc_cluster *rtc_new(const struct rtc_env *env, u32 n,
			    const struct raft_config *cfg,
			    const struct raft_conf *conf)
{
	struct rtc_cluster *c = env->zalloc(sizeof(*c));
	u32 i;

	if (!c)
		return NULL;
	c->env = env;
	c->n = n;
	c->cfg = cfg ? *cfg : rtc_default_cfg;
	if (conf)
		c->conf0 = *conf;
	else
		rtc_voters(&c->conf0, n);
	c->q = c->env->zalloc((size_t)RTC_QCAP * sizeof(*c->q));
	c->g = c->env->zalloc((size_t)RTC_LOG_MAX * sizeof(*c->g));
	if (!c->q || !c->g || n == 0 || n > RTC_MAX_NODES)
		goto fail;
	for (i = 0; i < n; i++) {
		struct rtc_node *nd = &c->nodes[i];

		nd->id = i + 1;
		nd->c = c;
		nd->log = c->env->zalloc((size_t)RTC_LOG_MAX * sizeof(*nd->log));
		nd->hash_at = c->env->zalloc((size_t)RTC_LOG_MAX * sizeof(u64));
		if (!nd->log || !nd->hash_at)
			goto fail;
		nd->snap.conf = c->conf0;
		nd->auto_snap = true;
		if (rtc_boot(c, nd))
			goto fail;
	}
	return c;
fail:
	rtc_free(c);
	return NULL;
}

static void rtc_msg_free(struct rtc_cluster *c, struct rtc_msg *qm)
{
	c->env->free(qm->blob);
	qm->blob = NULL;
}

void rtc_free(struct rtc_cluster *c)
{
	u32 i;

	if (!c)
		return;
	for (i = 0; i < c->qn; i++)
		rtc_msg_free(c, &c->q[i]);
	for (i = 0; i < RTC_MAX_NODES; i++) {
		if (c->nodes[i].r)
			raft_destroy(c->nodes[i].r);
		c->env->free(c->nodes[i].log);
		c->env->free(c->nodes[i].hash_at);
	}
	c->env->free(c->q);
	c->env->free(c->g);
	c->env->free(c);
}

/* ------------------------------------------------------------------ */
/* the network */

/* Deep copy: a ready's messages point into the core until raft_advance. */
static void rtc_enqueue(struct rtc_cluster *c, const struct raft_msg *m)
{
	size_t bytes = m->len + (size_t)m->n_entries * sizeof(struct raft_entry);
	struct raft_entry *ents;
	struct rtc_msg *qm;
	u8 *p;
	u32 i;

	if (m->to == 0 || m->to > c->n || m->from == 0 || m->from > c->n) {
		rtc_violation(c, "message to or from an unknown node", m->to,
			      m->from, m->type);
		return;
	}
	if (c->cut[m->from - 1][m->to - 1])
		return;
	if (c->qn >= RTC_QCAP) {
		rtc_violation(c, "message queue full", m->from, c->qn, 0);
		return;
	}
	for (i = 0; i < m->n_entries; i++)
		bytes += m->entries[i].len;
	qm = &c->q[c->qn];
	qm->m = *m;
	qm->blob = c->env->zalloc(bytes + 1);
	if (!qm->blob) {
		rtc_violation(c, "out of memory queueing a message", m->from, 0, 0);
		return;
	}
	c->qn++;
	ents = qm->blob;
	p = (u8 *)(ents + m->n_entries);
	qm->m.entries = m->n_entries ? ents : NULL;
	for (i = 0; i < m->n_entries; i++) {
		ents[i] = m->entries[i];
		ents[i].data = NULL;
		if (m->entries[i].len) {
			memcpy(p, m->entries[i].data, m->entries[i].len);
			ents[i].data = p;
			p += m->entries[i].len;
		}
	}
	qm->m.data = NULL;
	if (m->len) {
		memcpy(p, m->data, m->len);
		qm->m.data = p;
	}
}

void rtc_inject(struct rtc_cluster *c, const struct raft_msg *m)
{
	rtc_enqueue(c, m);
}

static bool rtc_match(const struct rtc_msg *qm, u32 type, u32 from, u32 to)
{
	return (!type || qm->m.type == type) && (!from || qm->m.from == from) &&
	       (!to || qm->m.to == to);
}

/* Take message i off the queue and step it into its receiver. */
static bool rtc_deliver_at(struct rtc_cluster *c, u32 i, bool process)
{
	struct rtc_msg qm = c->q[i];
	struct raft_msg *m = &qm.m;
	struct rtc_node *nd;
	bool stepped = false;
	int err;

	memmove(c->q + i, c->q + i + 1, (c->qn - i - 1) * sizeof(*c->q));
	c->qn--;
	nd = rtc_node(c, m->to);
	if (!nd->up || c->cut[m->from - 1][m->to - 1] ||
	    (m->type < 32 && (c->drop[m->from - 1][m->to - 1] & RTC_BIT(m->type))) ||
	    (c->filter && !c->filter(c, m)))
		goto out;
	if (m->type <= RAFT_MSG_TYPE_MAX)
		c->n_msgs[m->type]++;
	if (m->type == RAFT_MSG_APPEND_RESP && (m->flags & RAFT_MSGF_REJECT))
		c->n_rejects++;
	err = raft_step(nd->r, m);
	if (err && c->strict)
		rtc_violation(c, "raft_step failed", m->to, (u64)-err, m->type);
	stepped = true;
	if (process)
		rtc_process(c, m->to);
out:
	rtc_msg_free(c, &qm);
	return stepped;
}

u32 rtc_deliver_one(struct rtc_cluster *c)
{
	if (!c->qn)
		return 0;
	rtc_deliver_at(c, 0, true);
	return 1;
}

u32 rtc_deliver_match(struct rtc_cluster *c, u32 type, u32 from, u32 to)
{
	u32 i, n = 0, rounds;

	for (rounds = 0; rounds < 100000; rounds++) {
		for (i = 0; i < c->qn; i++)
			if (rtc_match(&c->q[i], type, from, to))
				break;
		if (i == c->qn)
			break;
		rtc_deliver_at(c, i, true);
		n++;
	}
	return n;
}

u32 rtc_filter(struct rtc_cluster *c, u32 type, u32 from, u32 to)
{
	u32 i, k = 0, dropped = 0;

	for (i = 0; i < c->qn; i++) {
		if (rtc_match(&c->q[i], type, from, to)) {
			rtc_msg_free(c, &c->q[i]);
			dropped++;
			continue;
		}
		c->q[k++] = c->q[i];
	}
	c->qn = k;
	return dropped;
}

u32 rtc_count(struct rtc_cluster *c, u32 type, u32 from, u32 to)
{
	u32 i, n = 0;

	for (i = 0; i < c->qn; i++)
		if (rtc_match(&c->q[i], type, from, to))
			n++;
	return n;
}

void rtc_drop_queue(struct rtc_cluster *c)
{
	rtc_filter(c, 0, 0, 0);
}

void rtc_isolate(struct rtc_cluster *c, u32 id, bool cut)
{
	u32 i;

	for (i = 0; i < c->n; i++) {
		if (i == id - 1)
			continue;
		c->cut[id - 1][i] = cut;
		c->cut[i][id - 1] = cut;
	}
}

void rtc_heal(struct rtc_cluster *c)
{
	memset(c->cut, 0, sizeof(c->cut));
	memset(c->drop, 0, sizeof(c->drop));
}

/* ------------------------------------------------------------------ */
/* one node's host loop */

static void rtc_apply(void *h, const struct raft_entry *e)
{
	struct rtc_node *nd = h;
	struct rtc_cluster *c = nd->c;
	struct rtc_rec *g;

	if (e->index != nd->applied + 1)
		rtc_violation(c, "applies out of order (index, applied)", nd->id,
			      e->index, nd->applied);
	if (e->index > nd->last || nd->log[e->index].term != e->term)
		rtc_violation(c, "applies an entry not durable (index, last)",
			      nd->id, e->index, nd->last);
	nd->hash = rtc_ent_hash(nd->hash, e);
	nd->applied = e->index;
	if (e->type == RAFT_ENTRY_NORMAL)
		nd->n_applied_normal++;
	if (e->index >= RTC_LOG_MAX)
		return;
	nd->hash_at[e->index] = nd->hash;
	g = &c->g[e->index];
	if (!g->set) {
		g->set = true;
		g->term = e->term;
		g->type = e->type;
		g->hash = nd->hash;
		g->val = e->len == 8 ? rtc_get_le64(e->data) : 0;
	} else if (g->term != e->term || g->hash != nd->hash) {
		rtc_violation(c, "SAFETY: applied another entry (index, term)",
			      nd->id, e->index, e->term);
	}
}

static bool rtc_persist_entries(void *h, const struct raft_entry *ents,
				u32 n)
{
	struct rtc_node *nd = h;
	u32 i;

	for (i = 0; i < n; i++) {
		const struct raft_entry *e = &ents[i];
		struct rtc_ent *he;

		if (e->index >= RTC_LOG_MAX || e->len > RTC_DATA_MAX ||
		    e->index <= nd->snap.index ||
		    (i == 0 && e->index > nd->last + 1)) {
			rtc_violation(nd->c, "cannot persist entry (index, last)",
				      nd->id, e->index, nd->last);
			return false;
		}
		he = &nd->log[e->index];
		he->term = e->term;
		he->type = e->type;
		he->len = e->len;
		if (e->len)
			memcpy(he->data, e->data, e->len);
		nd->last = e->index;
	}
	if (!nd->manual_persist)
		return true;
	/* a late disk: rtc_persist reports it */
	nd->pend_index = ents[n - 1].index;
	nd->pend_term = ents[n - 1].term;
	return false;
}

static void rtc_send(void *h, const struct raft_msg *m)
{
	struct rtc_node *nd = h;

	rtc_enqueue(nd->c, m);
}

static void rtc_snap_installed(void *host_node,
			       const struct raft_snap_meta *s)
{
	struct rtc_node *nd = host_node;
	struct rtc_cluster *c = nd->c;
	u64 h = rtc_get_le64(nd->inst), idx = rtc_get_le64(nd->inst + 8);

	if (idx != s->index)
		rtc_violation(c, "installed another snapshot (index, want)",
			      nd->id, idx, s->index);
	if (s->index < RTC_LOG_MAX && c->g[s->index].set &&
	    c->g[s->index].hash != h)
		rtc_violation(c, "snapshot differs from what committed", nd->id,
			      s->index, 0);
	nd->snap = *s;
	nd->snap_hash = h;
	nd->hash = h;
	nd->applied = s->index;
	if (s->index < RTC_LOG_MAX)
		nd->hash_at[s->index] = h;
	if (nd->last < s->index || nd->log[s->index].term != s->term)
		nd->last = s->index;
	nd->n_snap_installed++;
}

static void rtc_read(void *h, const struct raft_read_state *rs)
{
	struct rtc_node *nd = h;

	if (nd->n_reads >= RTC_MAX_READS) {
		rtc_violation(nd->c, "too many reads", nd->id, 0, 0);
		return;
	}
	nd->read_ctx[nd->n_reads] = rs->ctx;
	nd->read_idx[nd->n_reads] = rs->index;
	nd->n_reads++;
}

static void rtc_snap_send(void *h, const struct raft_snap_send *ss)
{
	struct rtc_node *nd = h;

	if (nd->n_ss < RTC_MAX_SS)
		nd->ss[nd->n_ss++] = *ss;
}

/* A chunk is durable at once; so is the record of the install's progress. */
static bool rtc_snap_chunk(void *h, const struct raft_snap_install *in)
{
	struct rtc_node *nd = h;

	if (in->offset + in->len <= sizeof(nd->inst))
		memcpy(nd->inst + in->offset, in->data, in->len);
	nd->n_installs++;
	nd->inst_pending = !in->last;
	nd->inst_meta = in->meta;
	nd->inst_off = in->next_offset;
	nd->inst_base = in->base_applied;
	return true;
}

static void rtc_hard_state(void *h, const struct raft_ready *rd)
{
	struct rtc_node *nd = h;

	nd->hs.commit = rd->hs.commit;
}

static void rtc_host_failed(void *h, const char *what, u64 a, u64 b)
{
	struct rtc_node *nd = h;

	rtc_violation(nd->c, what, nd->id, a, b);
}

/* After each ready.  Election Safety: one leader per term. */
static void rtc_advanced(void *h, bool installed,
			 const struct raft_snap_meta *snap)
{
	struct rtc_node *nd = h;
	struct rtc_cluster *c = nd->c;
	u64 term;
	u32 *l;

	(void)installed;
	(void)snap;
	if (raft_role(nd->r) != RAFT_LEADER)
		return;
	term = raft_term(nd->r);
	if (term >= RTC_MAX_TERMS)
		return;
	l = &c->leader_of_term[term];
	if (*l && *l != nd->id)
		rtc_violation(c, "two leaders in one term (term, other)", nd->id,
			      term, *l);
	*l = nd->id;
}

static const struct rtc_host_ops rtc_ops = {
	.fail = rtc_host_failed,
	.hard_state = rtc_hard_state,
	.entries = rtc_persist_entries,
	.send = rtc_send,
	.apply = rtc_apply,
	.read = rtc_read,
	.snap_send = rtc_snap_send,
	.snap_chunk = rtc_snap_chunk,
	.snap_installed = rtc_snap_installed,
	.advanced = rtc_advanced,
};

void rtc_process(struct rtc_cluster *c, u32 id)
{
	struct rtc_node *nd = rtc_node(c, id);
	u32 rounds;

	if (!nd->up)
		return;
	for (rounds = 0; rounds < 1000 && raft_has_ready(nd->r); rounds++) {
		struct rtc_host x = {
			.r = nd->r, .id = id, .hs = &nd->hs, .ops = &rtc_ops,
			.h = nd,
		};

		if (rtc_host_ready(&x))
			return;	/* out of memory injected: retry later */
		if (nd->auto_snap)
			rtc_serve_snaps(c, id);
	}
	if (rounds == 1000)
		rtc_violation(c, "ready loop does not end", id, 0, 0);
}

void rtc_process_all(struct rtc_cluster *c)
{
	u32 i;

	for (i = 1; i <= c->n; i++)
		rtc_process(c, i);
}

void rtc_persist(struct rtc_cluster *c, u32 id)
{
	struct rtc_node *nd = rtc_node(c, id);

	if (nd->pend_index)
		raft_persisted(nd->r, nd->pend_index, nd->pend_term);
	nd->pend_index = 0;
	rtc_process(c, id);
}

/*
 * The snapshot payload: the state hash at the index and the index, in
 * RTC_SNAP_CHUNK-byte chunks.  A batch may repeat a request (two rejects
 * asked for the same offset): the core refuses the second answer.
 */
static void rtc_serve_snap(struct rtc_cluster *c, struct rtc_node *nd,
			   const struct raft_snap_send *s, bool dup)
{
	u8 blob[RTC_SNAP_BYTES];
	u64 h = 0;
	bool last;
	int err;

	if (s->meta.index == nd->snap.index)
		h = nd->snap_hash;
	else if (s->meta.index && s->meta.index < RTC_LOG_MAX)
		h = nd->hash_at[s->meta.index];
	rtc_put_le64(blob, h);
	rtc_put_le64(blob + 8, s->meta.index);
	if (s->offset >= RTC_SNAP_BYTES)
		return;
	last = s->offset + RTC_SNAP_CHUNK >= RTC_SNAP_BYTES;
	err = raft_snapshot_chunk(nd->r, s->to, s->meta.index, s->offset,
				  blob + s->offset, RTC_SNAP_CHUNK,
				  s->offset + RTC_SNAP_CHUNK, last);
	if (err && c->strict && !(dup && err == -EINVAL))
		rtc_violation(c, "raft_snapshot_chunk failed (to, offset)",
			      nd->id, s->to, s->offset);
}

void rtc_serve_snaps(struct rtc_cluster *c, u32 id)
{
	struct rtc_node *nd = rtc_node(c, id);
	u32 i, j, n = nd->n_ss;

	nd->n_ss = 0;
	for (i = 0; i < n; i++) {
		const struct raft_snap_send *s = &nd->ss[i];
		bool dup = false;

		for (j = 0; j < i; j++)
			if (nd->ss[j].to == s->to && nd->ss[j].offset == s->offset &&
			    nd->ss[j].meta.index == s->meta.index)
				dup = true;
		rtc_serve_snap(c, nd, s, dup);
	}
}

/* ------------------------------------------------------------------ */
/* schedules */

void rtc_stabilize(struct rtc_cluster *c)
{
	u32 i;

	rtc_process_all(c);
	for (i = 0; i < 100000 && c->qn; i++)
		rtc_deliver_one(c);
	rtc_process_all(c);
}

void rtc_tick(struct rtc_cluster *c, u32 id)
{
	struct rtc_node *nd = rtc_node(c, id);

	if (!nd->up)
		return;
	raft_tick(nd->r, 1);
	rtc_process(c, id);
}

void rtc_tick_all(struct rtc_cluster *c, u32 n)
{
	u32 k, i;

	for (k = 0; k < n; k++) {
		for (i = 1; i <= c->n; i++)
			rtc_tick(c, i);
		rtc_stabilize(c);
	}
}

void rtc_settle(struct rtc_cluster *c)
{
	u32 round, id, i, end;
	bool any;

	for (round = 0; round < 20000; round++) {
		any = c->qn != 0;
		for (id = 1; id <= c->n; id++) {
			struct rtc_node *nd = rtc_node(c, id);

			if (nd->up && raft_has_ready(nd->r)) {
				rtc_process(c, id);
				any = true;
			}
		}
		/* deliver what is queued now, not what that produces */
		end = c->qn;
		for (i = 0; i < end; i++)
			rtc_deliver_at(c, 0, false);
		if (!any)
			return;
	}
	rtc_violation(c, "cluster does not settle", 0, c->qn, 0);
}

void rtc_tick_settle(struct rtc_cluster *c, u32 n)
{
	u32 k, id;

	for (k = 0; k < n; k++) {
		for (id = 1; id <= c->n; id++)
			if (rtc_node(c, id)->up)
				raft_tick(rtc_r(c, id), 1);
		rtc_settle(c);
	}
}

/* ------------------------------------------------------------------ */
/* nodes */

void rtc_crash(struct rtc_cluster *c, u32 id)
{
	struct rtc_node *nd = rtc_node(c, id);
	u32 i, k = 0;

	if (!nd->up)
		return;
	raft_destroy(nd->r);
	nd->r = NULL;
	nd->up = false;
	nd->n_ss = 0;
	for (i = 0; i < c->qn; i++) {
		if (c->q[i].m.to == id) {
			rtc_msg_free(c, &c->q[i]);
			continue;
		}
		c->q[k++] = c->q[i];
	}
	c->qn = k;
}

int rtc_restart(struct rtc_cluster *c, u32 id)
{
	struct rtc_node *nd = rtc_node(c, id);

	if (nd->up)
		rtc_crash(c, id);
	return rtc_boot(c, nd);
}

int rtc_load(struct rtc_cluster *c, u32 id, const u64 *terms, u32 n,
	     u64 hs_term)
{
	struct rtc_node *nd = rtc_node(c, id);
	u32 i;

	if (nd->up)
		rtc_crash(c, id);
	memset(nd->log, 0, (size_t)RTC_LOG_MAX * sizeof(*nd->log));
	for (i = 0; i < n && i + 1 < RTC_LOG_MAX; i++) {
		nd->log[i + 1].term = terms[i];
		nd->log[i + 1].type = RAFT_ENTRY_NORMAL;
		nd->log[i + 1].len = 1;
		/* same index and term, same entry (Log Matching) */
		nd->log[i + 1].data[0] = (u8)(terms[i] * 16 + i);
	}
	nd->last = n;
	nd->hs.term = hs_term;
	nd->hs.vote = 0;
	nd->hs.commit = 0;
	return rtc_boot(c, nd);
}

int rtc_propose(struct rtc_cluster *c, u32 id, const char *s)
{
	u32 len = 0;

	while (s[len])
		len++;
	return raft_propose(rtc_r(c, id), s, len, NULL, NULL);
}

int rtc_propose_val(struct rtc_cluster *c, u32 id, u64 val, u64 *index)
{
	u8 b[8];

	rtc_put_le64(b, val);
	return raft_propose(rtc_r(c, id), b, sizeof(b), index, NULL);
}

int rtc_compact(struct rtc_cluster *c, u32 id, u64 index)
{
	struct rtc_node *nd = rtc_node(c, id);
	int err = raft_compact(nd->r, index);

	if (!err && index > nd->snap.index && index < RTC_LOG_MAX) {
		nd->snap.index = index;
		nd->snap.term = nd->log[index].term;
		nd->snap_hash = nd->hash_at[index];
		/* the conf at index: ask the core's status after compaction */
		nd->snap.conf = rtc_status(c, id)->conf;
	}
	return err;
}

/* ------------------------------------------------------------------ */
/* queries */

u32 rtc_leader(struct rtc_cluster *c)
{
	u32 i, lead = 0;
	u64 t = 0;

	for (i = 1; i <= c->n; i++) {
		struct rtc_node *nd = rtc_node(c, i);

		if (nd->up && raft_role(nd->r) == RAFT_LEADER &&
		    raft_term(nd->r) >= t) {
			t = raft_term(nd->r);
			lead = i;
		}
	}
	return lead;
}

u32 rtc_elect(struct rtc_cluster *c, u32 id)
{
	raft_campaign(rtc_r(c, id));
	rtc_stabilize(c);
	return rtc_leader(c);
}

u32 rtc_elect_stable(struct rtc_cluster *c)
{
	u32 l;

	rtc_tick_all(c, 40);
	l = rtc_leader(c);
	rtc_tick_all(c, 2);
	return l;
}

struct raft_status *rtc_status(struct rtc_cluster *c, u32 id)
{
	struct raft_status *st = &c->st[c->st_k];

	c->st_k = (c->st_k + 1) % 4;
	raft_get_status(rtc_r(c, id), st);
	return st;
}

u64 rtc_commit(struct rtc_cluster *c, u32 id)
{
	return rtc_status(c, id)->commit;
}

u64 rtc_last(struct rtc_cluster *c, u32 id)
{
	return rtc_status(c, id)->last_index;
}

static const struct raft_peer_status *rtc_peer(struct rtc_cluster *c,
					       u32 leader, u32 peer)
{
	struct raft_status *st = rtc_status(c, leader);
	u32 i;

	for (i = 0; i < st->n_peers; i++)
		if (st->peers[i].id == peer)
			return &st->peers[i];
	return NULL;
}

u64 rtc_peer_next(struct rtc_cluster *c, u32 leader, u32 peer)
{
	const struct raft_peer_status *p = rtc_peer(c, leader, peer);

	return p ? p->next : 0;
}

u64 rtc_peer_match(struct rtc_cluster *c, u32 leader, u32 peer)
{
	const struct raft_peer_status *p = rtc_peer(c, leader, peer);

	return p ? p->match : 0;
}

bool rtc_logs_equal(struct rtc_cluster *c, u32 a, u32 b)
{
	struct rtc_node *x = rtc_node(c, a), *y = rtc_node(c, b);
	u64 i;

	if (x->last != y->last)
		return false;
	for (i = 1; i <= x->last; i++)
		if (x->log[i].term != y->log[i].term)
			return false;
	return true;
}

bool rtc_has_read(struct rtc_node *n, u64 ctx, u64 *index)
{
	u32 i;

	for (i = 0; i < n->n_reads; i++)
		if (n->read_ctx[i] == ctx) {
			if (index)
				*index = n->read_idx[i];
			return true;
		}
	return false;
}

bool rtc_all_applied(struct rtc_cluster *c, u64 index)
{
	u32 id;

	for (id = 1; id <= c->n; id++)
		if (rtc_node(c, id)->up && rtc_node(c, id)->applied < index)
			return false;
	return true;
}
