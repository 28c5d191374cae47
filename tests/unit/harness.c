// SPDX-License-Identifier: GPL-2.0
/*
 * harness.c - in-memory cluster for the Raft core unit tests.
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "harness.h"

struct raft_config h_default_cfg = {
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

static void die(const char *s)
{
	fprintf(stderr, "harness: %s\n", s);
	abort();
}

static u64 mix(u64 h, u64 v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

static u64 ent_hash(u64 h, const struct raft_entry *e)
{
	u32 i;

	h = mix(h, e->term);
	h = mix(h, e->type);
	for (i = 0; i < e->len; i++)
		h = mix(h, e->data[i]);
	return h;
}

struct h_node *h_node(struct h_cluster *c, u32 id)
{
	if (id == 0 || id > c->n)
		die("bad id");
	return &c->nodes[id - 1];
}

static void boot_node(struct h_cluster *c, struct h_node *nd)
{
	struct raft_boot b;
	struct raft_entry *ents = NULL;
	struct raft_config cfg = c->cfg;
	u64 i, n = nd->last - nd->snap.index;
	int err;

	memset(&b, 0, sizeof(b));
	b.hs = nd->hs;
	b.snap = nd->snap;
	if (n) {
		ents = calloc(n, sizeof(*ents));
		for (i = 0; i < n; i++) {
			struct h_ent *he = &nd->log[nd->snap.index + 1 + i];

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
	free(ents);
	if (err)
		die("raft_create failed");
	nd->up = true;
	nd->applied = nd->snap.index;
	nd->hash = nd->snap_hash;
}

void h_init_conf(struct h_cluster *c, u32 n, const struct raft_config *cfg,
		 const struct raft_conf *conf)
{
	u32 i;

	memset(c, 0, sizeof(*c));
	c->n = n;
	c->cfg = cfg ? *cfg : h_default_cfg;
	c->q = calloc(H_MAX_MSGS, sizeof(*c->q));
	c->g_term = calloc(H_LOG_MAX, sizeof(u64));
	c->g_hash = calloc(H_LOG_MAX, sizeof(u64));
	for (i = 0; i < n; i++) {
		struct h_node *nd = &c->nodes[i];

		nd->id = i + 1;
		nd->log = calloc(H_LOG_MAX, sizeof(*nd->log));
		nd->hash_at = calloc(H_LOG_MAX, sizeof(u64));
		nd->snap.conf = *conf;
		nd->auto_snap = true;
		boot_node(c, nd);
	}
}

void h_init(struct h_cluster *c, u32 n, const struct raft_config *cfg)
{
	struct raft_conf conf;
	u32 i;

	memset(&conf, 0, sizeof(conf));
	for (i = 0; i < n; i++)
		conf.voters[i] = i + 1;
	conf.n_voters = n;
	h_init_conf(c, n, cfg, &conf);
}

static void free_msg(struct h_msg *hm)
{
	free(hm->blob);
	hm->blob = NULL;
}

void h_free(struct h_cluster *c)
{
	u32 i;

	for (i = 0; i < c->qn; i++)
		free_msg(&c->q[i]);
	for (i = 0; i < c->n; i++) {
		if (c->nodes[i].r)
			raft_destroy(c->nodes[i].r);
		free(c->nodes[i].log);
		free(c->nodes[i].hash_at);
	}
	free(c->q);
	free(c->g_term);
	free(c->g_hash);
}

static void enqueue(struct h_cluster *c, const struct raft_msg *m)
{
	struct h_msg *hm;
	size_t bytes = m->len;
	u32 i;
	u8 *p;

	if (m->to == 0 || m->to > c->n)
		die("message to unknown node");
	if (c->cut[m->from - 1][m->to - 1])
		return;
	if (c->qn >= H_MAX_MSGS)
		die("message queue full");
	if (m->n_entries > 64)
		die("too many entries in a message");
	hm = &c->q[c->qn++];
	hm->m = *m;
	for (i = 0; i < m->n_entries; i++)
		bytes += m->entries[i].len;
	hm->blob = malloc(bytes + 1);
	p = hm->blob;
	if (m->len) {
		memcpy(p, m->data, m->len);
		hm->m.data = p;
		p += m->len;
	}
	for (i = 0; i < m->n_entries; i++) {
		hm->ents[i] = m->entries[i];
		if (m->entries[i].len) {
			memcpy(p, m->entries[i].data, m->entries[i].len);
			hm->ents[i].data = p;
			p += m->entries[i].len;
		}
	}
	hm->m.entries = m->n_entries ? hm->ents : NULL;
}

void h_inject(struct h_cluster *c, const struct raft_msg *m)
{
	enqueue(c, m);
}

static void apply_entry(struct h_cluster *c, struct h_node *nd,
			const struct raft_entry *e)
{
	if (e->index != nd->applied + 1) {
		fprintf(stderr, "node %u applies %llu after %llu\n", nd->id,
			(unsigned long long)e->index,
			(unsigned long long)nd->applied);
		c->violations++;
	}
	if (e->index > nd->last || nd->log[e->index].term != e->term) {
		fprintf(stderr, "node %u applies %llu not durable\n", nd->id,
			(unsigned long long)e->index);
		c->violations++;
	}
	nd->hash = ent_hash(nd->hash, e);
	nd->applied = e->index;
	if (e->index < H_LOG_MAX)
		nd->hash_at[e->index] = nd->hash;
	if (e->type == RAFT_ENTRY_NORMAL)
		nd->n_applied_normal++;
	if (e->index < H_LOG_MAX) {
		if (c->g_term[e->index] == 0) {
			c->g_term[e->index] = e->term;
			c->g_hash[e->index] = nd->hash;
		} else if (c->g_term[e->index] != e->term ||
			   c->g_hash[e->index] != nd->hash) {
			fprintf(stderr,
				"SAFETY: node %u applied index %llu term %llu, another applied term %llu\n",
				nd->id, (unsigned long long)e->index,
				(unsigned long long)e->term,
				(unsigned long long)c->g_term[e->index]);
			c->violations++;
		}
	}
}

static void serve_snap(struct h_cluster *c, struct h_node *nd,
		       const struct raft_snap_send *s)
{
	u8 blob[16];
	u64 h = s->meta.index ? nd->hash_at[s->meta.index] : 0;
	u64 idx = s->meta.index;

	if (s->meta.index == nd->snap.index)
		h = nd->snap_hash;
	memcpy(blob, &h, 8);
	memcpy(blob + 8, &idx, 8);
	if (s->offset >= 16)
		return;
	raft_snapshot_chunk(nd->r, s->to, s->meta.index, s->offset,
			    blob + s->offset, 8, s->offset + 8,
			    s->offset + 8 >= 16);
	(void)c;
}

void h_serve_snaps(struct h_cluster *c, u32 id)
{
	struct h_node *nd = h_node(c, id);
	u32 i, n = nd->n_ss;

	nd->n_ss = 0;
	for (i = 0; i < n; i++)
		serve_snap(c, nd, &nd->ss[i]);
}

void h_process(struct h_cluster *c, u32 id)
{
	struct h_node *nd = h_node(c, id);
	u32 rounds;

	if (!nd->up)
		return;
	for (rounds = 0; rounds < 1000 && raft_has_ready(nd->r); rounds++) {
		struct raft_ready rd;
		u64 plast = 0, pterm = 0;
		bool chunk = false;
		struct raft_snap_install in;
		u32 i;

		if (raft_ready(nd->r, &rd))
			return;	/* out of memory injected: retry later */
		if (rd.hs_changed)
			nd->hs = rd.hs;
		nd->hs.commit = rd.hs.commit;
		for (i = 0; i < rd.n_entries; i++) {
			const struct raft_entry *e = &rd.entries[i];
			struct h_ent *he;

			if (e->index >= H_LOG_MAX)
				die("log too long");
			if (e->index <= nd->snap.index)
				die("entry below snapshot");
			if (i == 0 && e->index > nd->last + 1)
				die("hole in persisted log");
			he = &nd->log[e->index];
			he->term = e->term;
			he->type = e->type;
			he->len = e->len;
			if (e->len > sizeof(he->data))
				die("payload too large for harness");
			if (e->len)
				memcpy(he->data, e->data, e->len);
			nd->last = e->index;
			plast = e->index;
			pterm = e->term;
		}
		for (i = 0; i < rd.n_msgs; i++) {
			const struct raft_msg *m = &rd.msgs[i];

			/* contract: nothing of a term not yet durable */
			if (m->term > nd->hs.term &&
			    m->type != RAFT_MSG_PREVOTE &&
			    m->type != RAFT_MSG_PREVOTE_RESP) {
				fprintf(stderr, "node %u sends term %llu > hs %llu\n",
					id, (unsigned long long)m->term,
					(unsigned long long)nd->hs.term);
				c->violations++;
			}
			if (m->type == RAFT_MSG_VOTE_RESP &&
			    !(m->flags & RAFT_MSGF_REJECT) &&
			    (nd->hs.vote != m->to || nd->hs.term != m->term)) {
				fprintf(stderr, "node %u grants vote not durable\n", id);
				c->violations++;
			}
			if (m->from != id)
				die("message from wrong node");
			if (nd->up && h_node(c, m->to))
				enqueue(c, m);
		}
		for (i = 0; i < rd.n_committed; i++)
			apply_entry(c, nd, &rd.committed[i]);
		for (i = 0; i < rd.n_reads && nd->n_reads < 64; i++) {
			nd->read_ctx[nd->n_reads] = rd.reads[i].ctx;
			nd->read_idx[nd->n_reads] = rd.reads[i].index;
			nd->n_reads++;
		}
		for (i = 0; i < rd.n_snap_sends && nd->n_ss < 16; i++)
			nd->ss[nd->n_ss++] = rd.snap_sends[i];
		if (rd.has_snap_install) {
			in = rd.snap_install;
			if (in.offset + in.len <= sizeof(nd->inst))
				memcpy(nd->inst + in.offset, in.data, in.len);
			chunk = true;
			nd->n_installs++;
		}
		if (rd.snap_installed) {
			u64 h, idx;

			memcpy(&h, nd->inst, 8);
			memcpy(&idx, nd->inst + 8, 8);
			if (idx != rd.snap.index) {
				fprintf(stderr, "node %u installed wrong snapshot\n", id);
				c->violations++;
			}
			if (rd.snap.index < H_LOG_MAX && c->g_term[rd.snap.index] &&
			    c->g_hash[rd.snap.index] != h) {
				fprintf(stderr, "node %u snapshot hash differs\n", id);
				c->violations++;
			}
			nd->snap = rd.snap;
			nd->snap_hash = h;
			nd->hash = h;
			nd->applied = rd.snap.index;
			if (rd.snap.index < H_LOG_MAX)
				nd->hash_at[rd.snap.index] = h;
			if (nd->last < rd.snap.index ||
			    nd->log[rd.snap.index].term != rd.snap.term)
				nd->last = rd.snap.index;
			nd->n_snap_installed++;
		}
		raft_advance(nd->r, &rd);
		if (plast) {
			if (nd->manual_persist) {
				nd->pend_index = plast;
				nd->pend_term = pterm;
			} else {
				raft_persisted(nd->r, plast, pterm);
			}
		}
		if (chunk) {
			nd->inst_pending = !in.last;
			nd->inst_meta = in.meta;
			nd->inst_off = in.next_offset;
			nd->inst_base = in.base_applied;
			raft_snapshot_chunk_done(nd->r, in.meta.index, in.offset,
						 in.next_offset, in.last);
		}
		if (nd->auto_snap)
			h_serve_snaps(c, id);
	}
}

void h_persist(struct h_cluster *c, u32 id)
{
	struct h_node *nd = h_node(c, id);

	if (nd->pend_index)
		raft_persisted(nd->r, nd->pend_index, nd->pend_term);
	nd->pend_index = 0;
	h_process(c, id);
}

void h_process_all(struct h_cluster *c)
{
	u32 i;

	for (i = 1; i <= c->n; i++)
		h_process(c, i);
}

u32 h_deliver_one(struct h_cluster *c)
{
	struct h_msg hm;
	struct h_node *nd;

	if (!c->qn)
		return 0;
	hm = c->q[0];
	memmove(c->q, c->q + 1, (c->qn - 1) * sizeof(*c->q));
	c->qn--;
	hm.m.entries = hm.m.n_entries ? hm.ents : NULL;
	nd = h_node(c, hm.m.to);
	if (nd->up && !c->cut[hm.m.from - 1][hm.m.to - 1]) {
		raft_step(nd->r, &hm.m);
		h_process(c, hm.m.to);
	}
	free_msg(&hm);
	return 1;
}

void h_stabilize(struct h_cluster *c)
{
	u32 i;

	h_process_all(c);
	for (i = 0; i < 100000 && c->qn; i++)
		h_deliver_one(c);
	h_process_all(c);
}

void h_drop_queue(struct h_cluster *c)
{
	u32 i;

	for (i = 0; i < c->qn; i++)
		free_msg(&c->q[i]);
	c->qn = 0;
}

u32 h_filter(struct h_cluster *c, u32 type, u32 from, u32 to)
{
	u32 i, k = 0, dropped = 0;

	for (i = 0; i < c->qn; i++) {
		struct h_msg *hm = &c->q[i];

		if ((!type || hm->m.type == type) &&
		    (!from || hm->m.from == from) && (!to || hm->m.to == to)) {
			free_msg(hm);
			dropped++;
			continue;
		}
		c->q[k++] = *hm;
	}
	c->qn = k;
	return dropped;
}

u32 h_count(struct h_cluster *c, u32 type, u32 from, u32 to)
{
	u32 i, n = 0;

	for (i = 0; i < c->qn; i++) {
		struct h_msg *hm = &c->q[i];

		if ((!type || hm->m.type == type) &&
		    (!from || hm->m.from == from) && (!to || hm->m.to == to))
			n++;
	}
	return n;
}

void h_tick(struct h_cluster *c, u32 id)
{
	struct h_node *nd = h_node(c, id);

	if (!nd->up)
		return;
	raft_tick(nd->r);
	h_process(c, id);
}

void h_tick_all(struct h_cluster *c, u32 n)
{
	u32 k, i;

	for (k = 0; k < n; k++) {
		for (i = 1; i <= c->n; i++)
			h_tick(c, i);
		h_stabilize(c);
	}
}

u32 h_leader(struct h_cluster *c)
{
	u32 i, lead = 0;
	u64 t = 0;

	for (i = 1; i <= c->n; i++) {
		struct h_node *nd = h_node(c, i);

		if (nd->up && raft_role(nd->r) == RAFT_LEADER &&
		    raft_term(nd->r) >= t) {
			t = raft_term(nd->r);
			lead = i;
		}
	}
	return lead;
}

u32 h_elect(struct h_cluster *c, u32 id)
{
	raft_campaign(h_node(c, id)->r);
	h_stabilize(c);
	return h_leader(c);
}

void h_crash(struct h_cluster *c, u32 id)
{
	struct h_node *nd = h_node(c, id);
	u32 i, k = 0;

	if (!nd->up)
		return;
	/* unpersisted entries are lost */
	if (nd->manual_persist && nd->pend_index) {
		/* entries beyond the last durable point vanish */
	}
	raft_destroy(nd->r);
	nd->r = NULL;
	nd->up = false;
	nd->n_ss = 0;
	for (i = 0; i < c->qn; i++) {
		if (c->q[i].m.to == id) {
			free_msg(&c->q[i]);
			continue;
		}
		c->q[k++] = c->q[i];
	}
	c->qn = k;
}

void h_restart(struct h_cluster *c, u32 id)
{
	struct h_node *nd = h_node(c, id);

	if (nd->up)
		h_crash(c, id);
	boot_node(c, nd);
}

void h_isolate(struct h_cluster *c, u32 id, bool cut)
{
	u32 i;

	for (i = 0; i < c->n; i++) {
		if (i == id - 1)
			continue;
		c->cut[id - 1][i] = cut;
		c->cut[i][id - 1] = cut;
	}
}

int h_propose(struct h_cluster *c, u32 id, const char *s)
{
	struct h_node *nd = h_node(c, id);

	return raft_propose(nd->r, s, (u32)strlen(s), NULL, NULL);
}

u64 h_commit(struct h_cluster *c, u32 id)
{
	struct raft_status st;

	raft_get_status(h_node(c, id)->r, &st);
	return st.commit;
}

struct raft_status *h_status(struct h_cluster *c, u32 id)
{
	static struct raft_status st[4];
	static int k;

	k = (k + 1) % 4;
	raft_get_status(h_node(c, id)->r, &st[k]);
	return &st[k];
}

void h_load(struct h_cluster *c, u32 id, const u64 *terms, u32 n, u64 hs_term)
{
	struct h_node *nd = h_node(c, id);
	u32 i;

	if (nd->up)
		h_crash(c, id);
	memset(nd->log, 0, H_LOG_MAX * sizeof(*nd->log));
	for (i = 0; i < n; i++) {
		nd->log[i + 1].term = terms[i];
		nd->log[i + 1].type = RAFT_ENTRY_NORMAL;
		nd->log[i + 1].len = 1;
		nd->log[i + 1].data[0] = (u8)(terms[i] * 16 + i);
	}
	nd->last = n;
	nd->hs.term = hs_term;
	nd->hs.vote = 0;
	nd->hs.commit = 0;
	boot_node(c, nd);
}

u32 h_deliver_match(struct h_cluster *c, u32 type, u32 from, u32 to)
{
	u32 i, n = 0, rounds;

	for (rounds = 0; rounds < 100000; rounds++) {
		struct h_msg hm;
		struct h_node *nd;

		for (i = 0; i < c->qn; i++) {
			struct h_msg *q = &c->q[i];

			if ((!type || q->m.type == type) &&
			    (!from || q->m.from == from) &&
			    (!to || q->m.to == to))
				break;
		}
		if (i == c->qn)
			break;
		hm = c->q[i];
		memmove(c->q + i, c->q + i + 1, (c->qn - i - 1) * sizeof(*c->q));
		c->qn--;
		hm.m.entries = hm.m.n_entries ? hm.ents : NULL;
		nd = h_node(c, hm.m.to);
		if (nd->up) {
			raft_step(nd->r, &hm.m);
			h_process(c, hm.m.to);
		}
		free_msg(&hm);
		n++;
	}
	return n;
}

int h_compact(struct h_cluster *c, u32 id, u64 index)
{
	struct h_node *nd = h_node(c, id);
	int err = raft_compact(nd->r, index);

	if (!err) {
		nd->snap.index = index;
		nd->snap.term = nd->log[index].term;
		nd->snap_hash = nd->hash_at[index];
		/* the conf at index: ask the core's status after compaction */
		nd->snap.conf = h_status(c, id)->conf;
	}
	return err;
}
