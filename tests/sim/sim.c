// SPDX-License-Identifier: GPL-2.0
/*
 * sim.c - the simulated cluster: nodes running the real core, their hosts
 * (following the loop contract of raft.h exactly), a simulated network and
 * disk, and the invariant checks run after every event.
 */
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include "sim.h"

enum { EV_MSG = 1, EV_TICK, EV_DISK, EV_DRIVER, EV_AIMED };

#define LL(x) ((unsigned long long)(x))

u32 sim_mutate;

/* ------------------------------------------------------------------ */
/* utilities */

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (!p) {
		fprintf(stderr, "rraft-sim: out of memory\n");
		exit(2);
	}
	return p;
}

static void *xrealloc(void *p, size_t sz)
{
	p = realloc(p, sz);
	if (!p) {
		fprintf(stderr, "rraft-sim: out of memory\n");
		exit(2);
	}
	return p;
}

u64 sim_hash(const void *p, size_t len, u64 h)
{
	const u8 *b = p;
	size_t i;

	h ^= 0xcbf29ce484222325ull;
	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h ^ (h >> 29);
}

static u64 entry_hash(const struct raft_entry *e)
{
	u64 h = sim_hash(&e->type, sizeof(e->type), e->len);

	return sim_hash(e->data, e->len, h);
}

void sim_encode_payload(u8 *p, u32 block, u64 value, u64 op)
{
	rtc_put_le64(p, SIM_MAGIC | ((u64)block << 32));
	rtc_put_le64(p + 8, value);
	rtc_put_le64(p + 16, op);
}

bool sim_decode_payload(const u8 *p, u32 len, u32 *block, u64 *value,
			u64 *op)
{
	u64 w;

	if (len != SIM_PAYLOAD || !p)
		return false;
	w = rtc_get_le64(p);
	if ((u32)w != SIM_MAGIC || (w >> 32) >= SIM_NBLOCKS)
		return false;
	*block = (u32)(w >> 32);
	*value = rtc_get_le64(p + 8);
	*op = rtc_get_le64(p + 16);
	return true;
}

static u64 img_get(const u8 *img, u32 b)
{
	return rtc_get_le64(img + 8 * b);
}

static void img_set(u8 *img, u32 b, u64 v)
{
	rtc_put_le64(img + 8 * b, v);
}

void sim_trace(struct sim *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->trace)
		return;
	fprintf(s->out, "%9.3f ", (double)s->now / SIM_TICK);
	va_start(ap, fmt);
	vfprintf(s->out, fmt, ap);
	va_end(ap);
	fputc('\n', s->out);
}

void sim_fail(struct sim *s, const char *fmt, ...)
{
	va_list ap;

	if (s->failed)
		return;
	s->failed = true;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
	if (s->trace || s->manual)
		fprintf(s->out, "VIOLATION at t=%.3f: %s\n",
			(double)s->now / SIM_TICK, s->why);
}

static const char *errname(int e)
{
	switch (e) {
	case 0: return "ok";
	case -ENOMEM: return "-ENOMEM";
	case -EINVAL: return "-EINVAL";
	case -EPERM: return "-EPERM";
	case -EBUSY: return "-EBUSY";
	case -EAGAIN: return "-EAGAIN";
	default: return "-E?";
	}
}

static void fmt_conf(char *buf, size_t len, const struct raft_conf *c)
{
	size_t o = 0;
	int i;

	o += snprintf(buf + o, len - o, "voters=");
	for (i = 0; i < c->n_voters && o < len; i++)
		o += snprintf(buf + o, len - o, "%s%u", i ? "," : "", c->voters[i]);
	if (c->n_voters_old && o < len) {
		o += snprintf(buf + o, len - o, " old=");
		for (i = 0; i < c->n_voters_old && o < len; i++)
			o += snprintf(buf + o, len - o, "%s%u", i ? "," : "",
				      c->voters_old[i]);
	}
	if (c->n_learners && o < len) {
		o += snprintf(buf + o, len - o, " learners=");
		for (i = 0; i < c->n_learners && o < len; i++)
			o += snprintf(buf + o, len - o, "%s%u", i ? "," : "",
				      c->learners[i]);
	}
}

void sim_fmt_msg(char *buf, size_t len, const struct raft_msg *m)
{
	const char *rej = (m->flags & RAFT_MSGF_REJECT) ? " REJECT" : "";
	size_t o;
	u32 i;

	o = snprintf(buf, len, "%u->%u %s t%llu", m->from, m->to,
		     raft_msg_type_name(m->type), LL(m->term));
	if (o >= len)
		return;
	switch (m->type) {
	case RAFT_MSG_PREVOTE:
	case RAFT_MSG_VOTE:
		snprintf(buf + o, len - o, " last=%llu/%llu%s", LL(m->index),
			 LL(m->log_term),
			 (m->flags & RAFT_MSGF_TRANSFER) ? " TRANSFER" : "");
		break;
	case RAFT_MSG_PREVOTE_RESP:
	case RAFT_MSG_VOTE_RESP:
		snprintf(buf + o, len - o, "%s", rej);
		break;
	case RAFT_MSG_APPEND:
		o += snprintf(buf + o, len - o, " prev=%llu/%llu commit=%llu",
			      LL(m->index), LL(m->log_term), LL(m->commit));
		if (m->n_entries && o < len)
			o += snprintf(buf + o, len - o, " ents=");
		for (i = 0; i < m->n_entries && o < len; i++)
			o += snprintf(buf + o, len - o, "%s%llu/%llu",
				      i ? "," : "", LL(m->entries[i].index),
				      LL(m->entries[i].term));
		break;
	case RAFT_MSG_APPEND_RESP:
		if (m->flags & RAFT_MSGF_REJECT)
			snprintf(buf + o, len - o,
				 " REJECT index=%llu xterm=%llu xindex=%llu xlen=%llu",
				 LL(m->index), LL(m->hint_term),
				 LL(m->hint_index), LL(m->hint_len));
		else
			snprintf(buf + o, len - o, " index=%llu", LL(m->index));
		break;
	case RAFT_MSG_HEARTBEAT:
		snprintf(buf + o, len - o, " commit=%llu", LL(m->commit));
		break;
	case RAFT_MSG_HEARTBEAT_RESP:
		break;
	case RAFT_MSG_SNAPSHOT:
		snprintf(buf + o, len - o, " snap=%llu/%llu off=%llu len=%u%s%s",
			 LL(m->snap.index), LL(m->snap.term), LL(m->offset),
			 m->len, (m->flags & RAFT_MSGF_LAST) ? " LAST" : "",
			 (m->flags & RAFT_MSGF_FRESH) ? " FRESH" : "");
		break;
	case RAFT_MSG_SNAPSHOT_RESP:
		if (m->flags & RAFT_MSGF_RESUME)
			snprintf(buf + o, len - o, " RESUME snap=%llu/%llu next=%llu base=%llu",
				 LL(m->snap.index), LL(m->snap.term),
				 LL(m->offset), LL(m->applied));
		else
			snprintf(buf + o, len - o, " snap=%llu next=%llu%s",
				 LL(m->snap.index), LL(m->offset), rej);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* event heap, ordered by (at, seq) */

static bool ev_less(const struct qmsg *a, const struct qmsg *b)
{
	if (a->at != b->at)
		return a->at < b->at;
	return a->seq < b->seq;
}

static void heap_swap(struct sim *s, u32 a, u32 b)
{
	struct qmsg *t = s->heap[a];

	s->heap[a] = s->heap[b];
	s->heap[b] = t;
}

static void heap_up(struct sim *s, u32 i)
{
	while (i > 0) {
		u32 p = (i - 1) / 2;

		if (!ev_less(s->heap[i], s->heap[p]))
			break;
		heap_swap(s, i, p);
		i = p;
	}
}

static void heap_down(struct sim *s, u32 i)
{
	for (;;) {
		u32 l = 2 * i + 1, r = l + 1, m = i;

		if (l < s->nheap && ev_less(s->heap[l], s->heap[m]))
			m = l;
		if (r < s->nheap && ev_less(s->heap[r], s->heap[m]))
			m = r;
		if (m == i)
			break;
		heap_swap(s, i, m);
		i = m;
	}
}

static void heap_push(struct sim *s, struct qmsg *q)
{
	if (s->nheap == s->capheap) {
		s->capheap = s->capheap ? 2 * s->capheap : 256;
		s->heap = xrealloc(s->heap, s->capheap * sizeof(*s->heap));
	}
	q->seq = s->evseq++;
	s->heap[s->nheap++] = q;
	heap_up(s, s->nheap - 1);
}

static struct qmsg *heap_remove(struct sim *s, u32 i)
{
	struct qmsg *q = s->heap[i];

	s->nheap--;
	if (i != s->nheap) {
		s->heap[i] = s->heap[s->nheap];
		heap_down(s, i);
		heap_up(s, i);
	}
	return q;
}

static void free_msg(struct raft_msg *m)
{
	u32 i;

	for (i = 0; i < m->n_entries; i++)
		free(m->entries[i].data);
	free(m->entries);
	free(m->data);
	m->entries = NULL;
	m->data = NULL;
	m->n_entries = 0;
}

static void free_ev(struct qmsg *q)
{
	if (q->kind == EV_MSG)
		free_msg(&q->m);
	free(q);
}

static void schedule(struct sim *s, int kind, u32 node, u64 at, u64 dseq)
{
	struct qmsg *q = xcalloc(1, sizeof(*q));

	q->kind = kind;
	q->node = node;
	q->at = at;
	q->dseq = dseq;
	q->inc = node ? s->nodes[node].incarnation : 0;
	heap_push(s, q);
}

/* ------------------------------------------------------------------ */
/* global invariant records */

static void grow_u64(u64 **a, u64 *cap, u64 need)
{
	u64 nc = *cap ? *cap : 64;

	if (need < *cap)
		return;
	while (nc <= need)
		nc *= 2;
	*a = xrealloc(*a, nc * sizeof(u64));
	memset(*a + *cap, 0, (nc - *cap) * sizeof(u64));
	*cap = nc;
}

/* Grow the n arrays of *cap entries each to hold index need: the new *cap. */
static void grow_u64s(u64 **const arrs[], u32 n, u64 *cap, u64 need)
{
	u64 c = *cap;
	u32 i;

	for (i = 0; i < n; i++) {
		c = *cap;
		grow_u64(arrs[i], &c, need);
	}
	*cap = c;
}

static void gc_grow(struct sim *s, u64 idx)
{
	u64 **const arrs[] = { &s->gc_term, &s->gc_hash, &s->gc_cterm };

	grow_u64s(arrs, sizeof(arrs) / sizeof(arrs[0]), &s->gc_cap, idx);
}

static void ga_grow(struct sim *s, u64 idx)
{
	u64 **const arrs[] = { &s->ga_hash, &s->ga_term };
	u64 old = s->ga_cap;

	grow_u64s(arrs, sizeof(arrs) / sizeof(arrs[0]), &s->ga_cap, idx);
	if (s->ga_cap == old)
		return;
	s->ga_img = xrealloc(s->ga_img, s->ga_cap * SIM_IMG_BYTES);
	memset(s->ga_img + old * SIM_IMG_BYTES, 0, (s->ga_cap - old) * SIM_IMG_BYTES);
}

/*
 * Record node nd's block image as the one applied at index idx (State
 * Machine Safety at the block level): false when another node recorded a
 * different image there.
 */
static bool ga_record(struct sim *s, struct node *nd, u64 idx)
{
	u64 h = sim_hash(nd->sm, SIM_IMG_BYTES, 7);
	bool same;

	ga_grow(s, idx);
	same = !s->ga_hash[idx] || s->ga_hash[idx] == h;
	s->ga_hash[idx] = h;
	return same;
}

static struct kv *kv_slot(struct sim *s, u64 index, u64 term)
{
	u64 h = (index * 0x9e3779b97f4a7c15ull) ^ (term * 0xc2b2ae3d27d4eb4full);
	u64 i;

	if (2 * (s->kv_n + 1) >= s->kv_cap) {
		struct kv *old = s->kv;
		u64 oc = s->kv_cap, j;

		s->kv_cap = oc ? 2 * oc : 1024;
		s->kv = xcalloc(s->kv_cap, sizeof(*s->kv));
		s->kv_n = 0;
		for (j = 0; j < oc; j++)
			if (old[j].used)
				*kv_slot(s, old[j].index, old[j].term) = old[j];
		free(old);
	}
	for (i = h & (s->kv_cap - 1);; i = (i + 1) & (s->kv_cap - 1)) {
		if (!s->kv[i].used) {
			s->kv[i].used = true;
			s->kv[i].index = index;
			s->kv[i].term = term;
			s->kv[i].hash = 0;
			s->kv[i].prev = SIM_INF;
			s->kv_n++;
			return &s->kv[i];
		}
		if (s->kv[i].index == index && s->kv[i].term == term)
			return &s->kv[i];
	}
}

/*
 * Log Matching, checked incrementally: an entry is identified by (index,
 * term); every node that holds (index, term) must hold the same payload and
 * the same term at index - 1.  By induction the logs are identical up to
 * any (index, term) they share.
 */
static void kv_check(struct sim *s, struct node *nd, u64 index, u64 term,
		     u64 hash, u64 prev)
{
	struct kv *k = kv_slot(s, index, term);

	if (k->hash == 0 && k->prev == SIM_INF) {
		k->hash = hash;
		k->prev = prev;
		return;
	}
	if (k->hash != hash)
		sim_fail(s, "log matching: node %u entry %llu/%llu differs in payload from another node's",
			 nd->id, LL(index), LL(term));
	else if (prev != SIM_INF && k->prev != SIM_INF && prev != k->prev)
		sim_fail(s, "log matching: node %u entry %llu/%llu follows term %llu, another node's follows term %llu",
			 nd->id, LL(index), LL(term), LL(prev), LL(k->prev));
	else if (k->prev == SIM_INF)
		k->prev = prev;
}

/* ------------------------------------------------------------------ */
/* node mirror log (what the host was handed; terms only) */

static void mirror_set(struct node *nd, u64 idx, u64 term)
{
	grow_u64(&nd->mterm, &nd->mcap, idx);
	nd->mterm[idx] = term;
}

static u64 mirror_term(const struct node *nd, u64 idx)
{
	return idx < nd->mcap ? nd->mterm[idx] : 0;
}

static void dlog_grow(struct node *nd, u64 idx)
{
	u64 nc = nd->dcap ? nd->dcap : 64;

	if (idx < nd->dcap)
		return;
	while (nc <= idx)
		nc *= 2;
	nd->dlog = xrealloc(nd->dlog, nc * sizeof(*nd->dlog));
	memset(nd->dlog + nd->dcap, 0, (nc - nd->dcap) * sizeof(*nd->dlog));
	nd->dcap = nc;
}

static void dlog_clear_from(struct node *nd, u64 idx)
{
	u64 i;

	for (i = idx; i < nd->dcap; i++) {
		if (nd->dlog[i].valid) {
			free(nd->dlog[i].data);
			memset(&nd->dlog[i], 0, sizeof(nd->dlog[i]));
		}
	}
}

static void dlog_put(struct node *nd, const struct raft_entry *e)
{
	struct dslot *d;

	dlog_grow(nd, e->index);
	d = &nd->dlog[e->index];
	free(d->data);
	d->valid = true;
	d->term = e->term;
	d->type = e->type;
	d->len = e->len;
	d->data = NULL;
	if (e->len) {
		d->data = xcalloc(1, e->len);
		memcpy(d->data, e->data, e->len);
	}
}

/* ------------------------------------------------------------------ */
/* node life cycle */

static void free_disk(struct node *nd)
{
	struct disk_op *op, *nx;
	u32 i;

	for (op = nd->disk; op; op = nx) {
		nx = op->next;
		for (i = 0; i < op->n; i++)
			free(op->ents[i].data);
		free(op->ents);
		free(op->data);
		free(op);
	}
	nd->disk = NULL;
}

static void free_pends(struct pend **l)
{
	struct pend *p, *nx;

	for (p = *l; p; p = nx) {
		nx = p->next;
		free(p);
	}
	*l = NULL;
}

static u64 default_tick_period(struct sim *s)
{
	if (!s->manual && (s->faults & F_DRIFT))
		return SIM_TICK - 30 + rnd(&s->rng, 61);
	return SIM_TICK;
}

/* Build the core from the node's durable state (fresh start or restart). */
static void node_start(struct sim *s, struct node *nd)
{
	struct raft_boot boot;
	struct raft_entry *ents;
	struct raft_status st;
	u64 i, n = 0, first = nd->ck_meta.index + 1;
	int err;

	memset(&boot, 0, sizeof(boot));
	boot.hs = nd->hs;
	if (sim_mutate & M_FORGET_VOTE)
		boot.hs.vote = 0;
	boot.snap = nd->ck_meta;
	for (i = first; i < nd->dcap && nd->dlog[i].valid; i++)
		n++;
	ents = xcalloc(n ? n : 1, sizeof(*ents));
	for (i = 0; i < n; i++) {
		struct dslot *d = &nd->dlog[first + i];

		ents[i].index = first + i;
		ents[i].term = d->term;
		ents[i].type = d->type;
		ents[i].len = d->len;
		ents[i].data = d->data;
	}
	/* whatever lies past a hole is unreadable: a real log scan stops there */
	dlog_clear_from(nd, first + n);
	boot.entries = ents;
	boot.n_entries = (u32)n;
	boot.inconsistent = nd->inst;
	if (nd->inst) {
		boot.pending = nd->inst_meta;
		boot.pending_offset = nd->inst_off;
		boot.pending_base = nd->inst_base;
	}
	nd->incarnation++;
	nd->cfg.seed = s->seed * 1000003ull + nd->id * 7919ull + nd->incarnation;
	err = raft_create(&nd->r, &nd->cfg, &boot);
	free(ents);
	if (err) {
		sim_fail(s, "raft_create of node %u failed: %s", nd->id, errname(err));
		nd->r = NULL;
		nd->alive = false;
		return;
	}
	nd->alive = true;
	memcpy(nd->sm, nd->ck_img, SIM_IMG_BYTES);
	nd->applied = nd->ck_meta.index;
	nd->conf_applied = nd->ck_meta.conf;
	if (nd->mterm)
		memset(nd->mterm, 0, nd->mcap * sizeof(u64));
	mirror_set(nd, nd->ck_meta.index, nd->ck_meta.term);
	for (i = 0; i < n; i++)
		mirror_set(nd, first + i, nd->dlog[first + i].term);
	nd->mfirst = first;
	nd->mlast = first + n - 1;
	nd->reported = nd->mlast;
	nd->disk_tail = s->now;
	nd->disk_barrier = s->now;
	raft_get_status(nd->r, &st);
	nd->last_commit = st.commit;
	nd->last_role = st.role;
	nd->last_term = st.term;
	if (st.last_index != nd->mlast)
		sim_fail(s, "node %u booted with %llu entries after %llu but reports last index %llu",
			 nd->id, LL(n), LL(nd->ck_meta.index), LL(st.last_index));
	if (st.term != nd->hs.term)
		sim_fail(s, "node %u booted with term %llu but reports term %llu",
			 nd->id, LL(nd->hs.term), LL(st.term));
	sim_trace(s, "n%u start (incarnation %u): term %llu vote %u commit %llu snap %llu/%llu log %llu..%llu%s",
		  nd->id, nd->incarnation, LL(nd->hs.term), nd->hs.vote,
		  LL(nd->hs.commit), LL(nd->ck_meta.index), LL(nd->ck_meta.term),
		  LL(first), LL(nd->mlast), nd->inst ? " INCONSISTENT" : "");
	nd->paused_until = 0;
	if (!s->manual) {
		u64 at = s->now + rnd(&s->rng, nd->tick_period) + 1;

		nd->tick_at = at - nd->tick_period;	/* one tick due at `at` */
		schedule(s, EV_TICK, nd->id, at, 0);
	}
	sim_process(s, nd);
}

/* A new durable checkpoint; the previous one is kept (see ck_prev_meta). */
void sim_set_checkpoint(struct node *nd, const struct raft_snap_meta *meta,
			const u8 *img)
{
	nd->ck_prev_meta = nd->ck_meta;
	memcpy(nd->ck_prev_img, nd->ck_img, SIM_IMG_BYTES);
	nd->ck_meta = *meta;
	memcpy(nd->ck_img, img, SIM_IMG_BYTES);
}

void sim_boot_node(struct sim *s, u32 id, const struct raft_conf *conf)
{
	struct node *nd = &s->nodes[id];

	nd->exists = true;
	nd->id = id;
	nd->ck_meta.conf = *conf;
	node_start(s, nd);
}

static void free_applyq(struct node *nd);

void sim_crash(struct sim *s, u32 id)
{
	struct node *nd = &s->nodes[id];
	struct pend *p;

	if (!nd->alive)
		return;
	sim_trace(s, "n%u CRASH (loses %s unfinished disk writes)", id,
		  nd->disk ? "its" : "no");
	raft_destroy(nd->r);
	nd->r = NULL;
	nd->alive = false;
	nd->paused_until = 0;
	free_disk(nd);
	if (sim_mutate & M_LOSE_TAIL) {
		u64 last = nd->ck_meta.index;

		while (last + 1 < nd->dcap && nd->dlog[last + 1].valid)
			last++;
		if (last > nd->ck_meta.index + 2)
			dlog_clear_from(nd, last - 1);
	}
	/* client operations in flight there stay ambiguous (writes) */
	for (p = nd->reads; p; p = p->next)
		s->hist[p->op].status = 2;	/* a read that never returned: no effect */
	free_pends(&nd->writes);
	free_pends(&nd->reads);
	free_applyq(nd);
}

void sim_lose_tail(struct sim *s, u32 id, u64 n)
{
	struct node *nd = &s->nodes[id];
	u64 last = nd->ck_meta.index;

	while (last + 1 < nd->dcap && nd->dlog[last + 1].valid)
		last++;
	if (n > last - nd->ck_meta.index)
		n = last - nd->ck_meta.index;
	dlog_clear_from(nd, last + 1 - n);
	sim_trace(s, "n%u disk LOST durable entries %llu..%llu", id,
		  LL(last + 1 - n), LL(last));
}

void sim_restart(struct sim *s, u32 id)
{
	struct node *nd = &s->nodes[id];

	if (nd->alive || !nd->exists)
		return;
	sim_trace(s, "n%u RESTART", id);
	node_start(s, nd);
}

void sim_set_durable(struct sim *s, u32 id, u64 term, u32 vote, u64 commit,
		     const u64 *terms, u64 n, const struct raft_conf *conf)
{
	struct node *nd = &s->nodes[id];
	struct raft_entry e;
	u8 buf[SIM_PAYLOAD];
	u64 i;

	sim_crash(s, id);
	nd->exists = true;
	nd->id = id;
	nd->hs.term = term;
	nd->hs.vote = vote;
	nd->hs.commit = commit;
	memset(&nd->ck_meta, 0, sizeof(nd->ck_meta));
	nd->ck_meta.conf = *conf;
	memset(nd->ck_img, 0, sizeof(nd->ck_img));
	memset(&nd->ck_prev_meta, 0, sizeof(nd->ck_prev_meta));
	nd->inst = false;
	dlog_clear_from(nd, 0);
	for (i = 0; i < n; i++) {
		sim_encode_payload(buf, (u32)((i + 1) % SIM_NBLOCKS),
				   terms[i] * 1000 + i + 1, 0);
		e.index = i + 1;
		e.term = terms[i];
		e.type = RAFT_ENTRY_NORMAL;
		e.len = SIM_PAYLOAD;
		e.data = buf;
		dlog_put(nd, &e);
		kv_check(s, nd, e.index, e.term, entry_hash(&e),
			 i ? terms[i - 1] : 0);
	}
	node_start(s, nd);
}

/* ------------------------------------------------------------------ */
/* network */

static void send_msg(struct sim *s, struct node *from, const struct raft_msg *m)
{
	struct qmsg *q;
	u64 at = s->now;
	u32 i, copies = 1, c;
	char buf[256];

	s->stat_msgs++;
	if (from->storm_tick != s->now / SIM_TICK) {
		from->storm_tick = s->now / SIM_TICK;
		from->storm_msgs = 0;
	}
	if (++from->storm_msgs > SIM_STORM && !s->manual)
		sim_fail(s, "message storm: node %u sent more than %d messages within one tick",
			 from->id, SIM_STORM);
	if (m->from != from->id)
		sim_fail(s, "node %u emitted a message with from=%u", from->id, m->from);
	if (m->to == 0 || m->to >= SIM_MAX_NODES || !s->nodes[m->to].exists) {
		sim_trace(s, "n%u -> unknown node %u: dropped", from->id, m->to);
		return;
	}
	if (m->to == from->id) {
		sim_fail(s, "node %u sent a message to itself", from->id);
		return;
	}
	if (!s->manual && s->faults_on) {
		if ((s->faults & F_DROP) && chance(&s->rng, s->drop_pm)) {
			if (s->trace) {
				sim_fmt_msg(buf, sizeof(buf), m);
				sim_trace(s, "DROP %s", buf);
			}
			return;
		}
		if ((s->faults & F_DUP) && chance(&s->rng, s->dup_pm))
			copies = 2;
	}
	if (!s->manual && s->faults_on && s->blocked[m->from][m->to] &&
	    chance(&s->rng, 200))
		raft_report_unreachable(from->r, m->to);
	for (c = 0; c < copies; c++) {
		q = xcalloc(1, sizeof(*q));
		q->kind = EV_MSG;
		q->m = *m;
		q->m.entries = NULL;
		q->m.data = NULL;
		if (m->n_entries) {
			q->m.entries = xcalloc(m->n_entries, sizeof(*m->entries));
			for (i = 0; i < m->n_entries; i++) {
				q->m.entries[i] = m->entries[i];
				q->m.entries[i].data = NULL;
				if (m->entries[i].len) {
					q->m.entries[i].data = xcalloc(1, m->entries[i].len);
					memcpy(q->m.entries[i].data, m->entries[i].data,
					       m->entries[i].len);
				}
			}
		}
		if (m->len && m->data) {
			q->m.data = xcalloc(1, m->len);
			memcpy(q->m.data, m->data, m->len);
		}
		if (!s->manual) {
			at = s->now + 30 + rnd(&s->rng, 150);
			if (s->faults_on && (s->faults & F_DELAY) && chance(&s->rng, 150))
				at += rnd(&s->rng, 3 * SIM_TICK);
			if (s->faults_on && (s->faults & F_DELAY) && chance(&s->rng, 5))
				at += rnd(&s->rng, 25 * SIM_TICK);
			if (!(s->faults_on && (s->faults & F_REORDER))) {
				if (at <= s->link_last[m->from][m->to])
					at = s->link_last[m->from][m->to] + 1;
				s->link_last[m->from][m->to] = at;
			}
		}
		q->at = at;
		q->node = m->to;
		heap_push(s, q);
	}
}

static void deliver(struct sim *s, struct qmsg *q)
{
	struct node *nd = &s->nodes[q->m.to];
	char buf[256];
	int err;

	if (s->trace || (s->trace_msgs && (s->trace_filter & (1u << q->m.type))))
		sim_fmt_msg(buf, sizeof(buf), &q->m);
	if (s->blocked[q->m.from][q->m.to] || !nd->alive ||
	    (s->cutmask[q->m.from][q->m.to] & (1u << q->m.type))) {
		sim_trace(s, "LOST %s (%s)", buf,
			  nd->alive ? "partitioned" : "node down");
		return;
	}
	sim_trace(s, "recv %s", buf);
	if (s->trace_msgs && (s->trace_filter & (1u << q->m.type)))
		fprintf(s->out, "%s\n", buf);
	err = raft_step(nd->r, &q->m);
	if (err && err != -EINVAL && err != -EPERM)
		sim_fail(s, "raft_step on node %u returned %s", nd->id, errname(err));
	sim_process(s, nd);
}

/* ------------------------------------------------------------------ */
/* disk */

static u64 disk_done_at(struct sim *s, struct node *nd, bool barrier)
{
	u64 at;

	if (s->manual)
		return s->now;
	if (s->faults_on && (s->faults & F_DISK)) {
		at = s->now + 20 + rnd(&s->rng, chance(&s->rng, 100) ? 6 * SIM_TICK : 600);
		if (at <= nd->disk_barrier)
			at = nd->disk_barrier + 1;
		if (barrier) {
			if (at <= nd->disk_tail)
				at = nd->disk_tail + 1;
			nd->disk_barrier = at;
		}
	} else {
		at = s->now + 20 + rnd(&s->rng, 150);
		if (at <= nd->disk_tail)
			at = nd->disk_tail + 1;
	}
	if (at > nd->disk_tail)
		nd->disk_tail = at;
	return at;
}

static void disk_enqueue(struct sim *s, struct node *nd, struct disk_op *op)
{
	struct disk_op **pp = &nd->disk;

	op->seq = ++nd->disk_seq;
	while (*pp)
		pp = &(*pp)->next;
	*pp = op;
	schedule(s, EV_DISK, nd->id, op->done_at, op->seq);
}

static void disk_complete(struct sim *s, struct node *nd, u64 seq)
{
	struct disk_op *op;
	u64 pidx = 0, pterm = 0;
	u32 i;

	for (op = nd->disk; op && op->seq != seq; op = op->next)
		;
	if (!op)
		return;
	op->complete = true;
	/* the write is durable now */
	if (op->kind == DISK_APPEND) {
		if (op->truncate)
			dlog_clear_from(nd, op->first);
		for (i = 0; i < op->n; i++)
			dlog_put(nd, &op->ents[i]);
		sim_trace(s, "n%u disk: entries %llu..%llu durable", nd->id,
			  LL(op->first), LL(op->last));
	} else {
		if (!nd->inst && (op->offset != 0 || op->meta.index <= nd->ck_meta.index)) {
			/* late duplicate of a chunk of a finished install */
			sim_trace(s, "n%u disk: stale snapshot %llu chunk %llu ignored",
				  nd->id, LL(op->meta.index), LL(op->offset));
			goto report;
		}
		/*
		 * In place, like rraft's data area: the first chunk of a
		 * transfer starts from the node's current blocks (an
		 * incremental stream only carries blocks changed since the
		 * base it was computed against); a transfer that replaces an
		 * unfinished one keeps writing over the same area.
		 */
		if (!nd->inst)
			memcpy(nd->inst_img, nd->sm, SIM_IMG_BYTES);
		if (!nd->inst || nd->inst_meta.index != op->meta.index ||
		    nd->inst_meta.term != op->meta.term) {
			nd->inst_meta = op->meta;
			nd->inst_base = op->base;
		}
		nd->inst = true;
		if (op->len % SIM_REC) {
			sim_fail(s, "node %u: snapshot chunk of %u bytes is not whole records",
				 nd->id, op->len);
		} else {
			for (i = 0; i < op->len / SIM_REC; i++) {
				const u8 *rec = op->data + i * SIM_REC;

				if (rec[0] >= SIM_NBLOCKS || rec[0] < op->offset ||
				    rec[0] >= op->next_offset) {
					sim_fail(s, "node %u: snapshot chunk [%llu,%llu) carries block %u",
						 nd->id, LL(op->offset), LL(op->next_offset), rec[0]);
					break;
				}
				img_set(nd->inst_img, rec[0], rtc_get_le64(rec + 1));
			}
		}
		nd->inst_off = op->next_offset;
		sim_trace(s, "n%u disk: snapshot %llu chunk %llu..%llu durable%s",
			  nd->id, LL(op->meta.index), LL(op->offset),
			  LL(op->next_offset), op->last_chunk ? " (last)" : "");
	}
report:
	/* report completions in submission order */
	while (nd->disk && nd->disk->complete && nd->alive) {
		op = nd->disk;
		nd->disk = op->next;
		if (op->kind == DISK_APPEND) {
			pidx = op->last;
			pterm = op->last_term;
			if (!nd->disk || nd->disk->kind != DISK_APPEND ||
			    !nd->disk->complete) {
				nd->reported = pidx;
				raft_persisted(nd->r, pidx, pterm);
				sim_process(s, nd);
			}
		} else {
			raft_snapshot_chunk_done(nd->r, op->meta.index, op->offset,
						 op->next_offset, op->last_chunk);
			sim_process(s, nd);
		}
		for (i = 0; i < op->n; i++)
			free(op->ents[i].data);
		free(op->ents);
		free(op->data);
		free(op);
	}
}

void sim_complete_disk(struct sim *s, u32 id)
{
	u32 i;
	bool again = true;

	while (again) {
		again = false;
		for (i = 0; i < s->nheap; i++) {
			struct qmsg *q = s->heap[i];

			if (q->kind == EV_DISK && q->node == id) {
				q = heap_remove(s, i);
				if (q->inc == s->nodes[id].incarnation)
					disk_complete(s, &s->nodes[id], q->dseq);
				free_ev(q);
				again = true;
				break;
			}
		}
	}
}

/* complete the oldest queued disk write of node id */
void sim_complete_disk_one(struct sim *s, u32 id)
{
	u32 i, best = 0;
	bool found = false;
	struct qmsg *q;

	for (i = 0; i < s->nheap; i++) {
		if (s->heap[i]->kind != EV_DISK || s->heap[i]->node != id)
			continue;
		if (!found || ev_less(s->heap[i], s->heap[best]))
			best = i;
		found = true;
	}
	if (!found)
		return;
	q = heap_remove(s, best);
	if (q->inc == s->nodes[id].incarnation)
		disk_complete(s, &s->nodes[id], q->dseq);
	free_ev(q);
}

static bool msg_match(const struct qmsg *q, u32 from, u32 to, u32 mask)
{
	return q->kind == EV_MSG && q->m.from == from && q->m.to == to &&
	       (mask & (1u << q->m.type));
}

void sim_drop_msgs(struct sim *s, u32 from, u32 to, u32 mask)
{
	u32 i = 0;

	while (i < s->nheap) {
		if (msg_match(s->heap[i], from, to, mask)) {
			free_ev(heap_remove(s, i));
			i = 0;
			continue;
		}
		i++;
	}
}

void sim_dup_msgs(struct sim *s, u32 from, u32 to, u32 mask)
{
	u32 i, n = s->nheap;
	struct qmsg **copy = xcalloc(n ? n : 1, sizeof(*copy));

	memcpy(copy, s->heap, n * sizeof(*copy));
	for (i = 0; i < n; i++)
		if (msg_match(copy[i], from, to, mask))
			send_msg(s, &s->nodes[from], &copy[i]->m);
	free(copy);
}

/*
 * Take the earliest message event off the heap: any message with any, else
 * one from -> to of a type in mask.  NULL when there is none.
 */
static struct qmsg *take_first_msg(struct sim *s, bool any, u32 from, u32 to,
				   u32 mask)
{
	u32 i, best = 0;
	bool found = false;

	for (i = 0; i < s->nheap; i++) {
		if (s->heap[i]->kind != EV_MSG ||
		    (!any && !msg_match(s->heap[i], from, to, mask)))
			continue;
		if (!found || ev_less(s->heap[i], s->heap[best]))
			best = i;
		found = true;
	}
	return found ? heap_remove(s, best) : NULL;
}

bool sim_deliver_one(struct sim *s, u32 from, u32 to, u32 mask)
{
	struct qmsg *q = take_first_msg(s, false, from, to, mask);

	if (!q)
		return false;
	deliver(s, q);
	free_ev(q);
	return true;
}

/* ------------------------------------------------------------------ */
/* state machine, client operations */

static void hist_add(struct sim *s, u32 node, u32 block, bool write, u64 value)
{
	struct hop *h;

	if (s->nhist == s->caphist) {
		s->caphist = s->caphist ? 2 * s->caphist : 256;
		s->hist = xrealloc(s->hist, s->caphist * sizeof(*s->hist));
	}
	h = &s->hist[s->nhist++];
	memset(h, 0, sizeof(*h));
	h->node = node;
	h->block = block;
	h->write = write;
	h->value = value;
	h->call = s->now;
	h->ret = SIM_INF;
}

int sim_propose_write(struct sim *s, u32 id, u32 block, u64 value,
		      u64 *index, u64 *term)
{
	struct node *nd = &s->nodes[id];
	u8 buf[SIM_PAYLOAD];
	struct pend *p;
	int err;

	if (!nd->alive)
		return -EPERM;
	sim_encode_payload(buf, block, value, s->nhist);
	err = raft_propose(nd->r, buf, SIM_PAYLOAD, index, term);
	sim_trace(s, "client: write b%u=%llu at n%u -> %s index %llu term %llu",
		  block, LL(value), id, errname(err), LL(err ? 0 : *index),
		  LL(err ? 0 : *term));
	if (err) {
		sim_process(s, nd);
		return err;
	}
	p = xcalloc(1, sizeof(*p));
	p->op = s->nhist;
	p->index = *index;
	p->term = *term;
	p->next = nd->writes;
	nd->writes = p;
	hist_add(s, id, block, true, value);
	s->hist[p->op].index = *index;
	s->hist[p->op].term = *term;
	if (sim_mutate & M_EARLY_ACK) {
		s->hist[p->op].status = 1;
		s->hist[p->op].ret = s->now;
	}
	sim_process(s, nd);
	return 0;
}

int sim_read(struct sim *s, u32 id, u32 block)
{
	struct node *nd = &s->nodes[id];
	struct pend *p;
	int err;

	if (!nd->alive)
		return -EPERM;
	if (sim_mutate & M_STALE_READ) {
		hist_add(s, id, block, false, img_get(nd->sm, block));
		s->hist[s->nhist - 1].ret = s->now;
		s->hist[s->nhist - 1].status = 1;
		return 0;
	}
	err = raft_read_index(nd->r, s->nhist);
	sim_trace(s, "client: read b%u at n%u (op %u) -> %s", block, id,
		  s->nhist, errname(err));
	if (err) {
		sim_process(s, nd);
		return err;
	}
	p = xcalloc(1, sizeof(*p));
	p->op = s->nhist;
	p->next = nd->reads;
	nd->reads = p;
	hist_add(s, id, block, false, 0);
	sim_process(s, nd);
	return 0;
}

static void serve_reads(struct sim *s, struct node *nd)
{
	struct pend **pp = &nd->reads, *p;

	while ((p = *pp)) {
		if (p->confirmed && p->index <= nd->applied && !nd->inst) {
			struct hop *h = &s->hist[p->op];

			h->value = img_get(nd->sm, h->block);
			h->ret = s->now;
			h->status = 1;
			sim_trace(s, "client: read b%u at n%u = %llu (read index %llu, applied %llu)",
				  h->block, nd->id, LL(h->value), LL(p->index),
				  LL(nd->applied));
			*pp = p->next;
			free(p);
			continue;
		}
		pp = &p->next;
	}
}

/* A committed entry: check it against history, complete its writes. */
static void commit_entry(struct sim *s, struct node *nd, const struct raft_entry *e)
{
	struct pend **pp, *p;
	u32 block;
	u64 value, op, h;

	gc_grow(s, e->index);
	h = entry_hash(e);
	if (s->gc_term[e->index] && s->gc_term[e->index] != e->term)
		sim_fail(s, "state machine safety: node %u applies %llu/%llu, committed entry there has term %llu",
			 nd->id, LL(e->index), LL(e->term), LL(s->gc_term[e->index]));
	if (s->gc_hash[e->index] && s->gc_hash[e->index] != h)
		sim_fail(s, "state machine safety: node %u applies a different payload at %llu",
			 nd->id, LL(e->index));
	if (!s->gc_hash[e->index])
		s->stat_commits++;
	s->gc_term[e->index] = e->term;
	s->gc_hash[e->index] = h;
	/* complete client writes proposed at this index */
	pp = &nd->writes;
	while ((p = *pp)) {
		if (p->index == e->index) {
			struct hop *ho = &s->hist[p->op];

			if (p->term == e->term) {
				if (sim_mutate & M_EARLY_ACK)
					ho->ret = SIM_INF;
				if (e->type != RAFT_ENTRY_NORMAL ||
				    !sim_decode_payload(e->data, e->len, &block, &value, &op) ||
				    op != p->op)
					sim_fail(s, "node %u: entry %llu/%llu is not the write proposed there",
						 nd->id, LL(e->index), LL(e->term));
				if (s->gc_term[e->index] != p->term)
					sim_fail(s, "write acknowledged at %llu/%llu but committed term differs",
						 LL(e->index), LL(p->term));
				ho->ret = s->now;
				ho->status = 1;
				sim_trace(s, "client: write b%u=%llu ACK at n%u (%llu/%llu)",
					  ho->block, LL(ho->value), nd->id,
					  LL(e->index), LL(e->term));
			} else {
				ho->status = 2;	/* definitely lost */
				sim_trace(s, "client: write b%u=%llu FAILED at n%u (%llu has term %llu, proposed %llu)",
					  ho->block, LL(ho->value), nd->id,
					  LL(e->index), LL(e->term), LL(p->term));
			}
			*pp = p->next;
			free(p);
			continue;
		}
		pp = &p->next;
	}
}

static void apply_entry(struct sim *s, struct node *nd, const struct raft_entry *e)
{
	u32 block;
	u64 value, op;

	if (nd->inst)
		sim_fail(s, "node %u applies entry %llu while a snapshot install is unfinished",
			 nd->id, LL(e->index));
	if (e->index != nd->applied + 1) {
		sim_fail(s, "node %u applies index %llu after %llu", nd->id,
			 LL(e->index), LL(nd->applied));
		return;
	}
	if (e->index > nd->reported)
		sim_fail(s, "node %u applies index %llu beyond its persisted index %llu",
			 nd->id, LL(e->index), LL(nd->reported));
	if (mirror_term(nd, e->index) && mirror_term(nd, e->index) != e->term)
		sim_fail(s, "node %u applies %llu/%llu but its log holds term %llu there",
			 nd->id, LL(e->index), LL(e->term),
			 LL(mirror_term(nd, e->index)));
	if (e->type == RAFT_ENTRY_NORMAL) {
		if (sim_decode_payload(e->data, e->len, &block, &value, &op))
			img_set(nd->sm, block, value);
		else
			sim_fail(s, "node %u applies a corrupt payload at %llu (len %u)",
				 nd->id, LL(e->index), e->len);
	} else if (e->type == RAFT_ENTRY_CONF) {
		struct raft_conf c;
		char buf[200];

		if (raft_conf_decode(&c, e->data, e->len))
			sim_fail(s, "node %u applies an undecodable conf at %llu",
				 nd->id, LL(e->index));
		else
			nd->conf_applied = c;
		fmt_conf(buf, sizeof(buf), &c);
		sim_trace(s, "n%u applies conf %llu/%llu: %s", nd->id,
			  LL(e->index), LL(e->term), buf);
	} else if (e->type != RAFT_ENTRY_NOOP) {
		sim_fail(s, "node %u applies an entry of unknown type %u", nd->id,
			 e->type);
	}
	if (e->index >= nd->wcap) {
		u64 nc = nd->wcap ? nd->wcap : 256;

		while (nc <= e->index)
			nc *= 2;
		nd->wblk = xrealloc(nd->wblk, nc);
		memset(nd->wblk + nd->wcap, 0, nc - nd->wcap);
		nd->wcap = nc;
	}
	nd->wblk[e->index] = e->type == RAFT_ENTRY_NORMAL &&
			     sim_decode_payload(e->data, e->len, &block, &value, &op) ?
			     (u8)(block + 1) : 0xff;
	nd->applied = e->index;
	if (!ga_record(s, nd, e->index))
		sim_fail(s, "state machine safety: node %u's block image after index %llu differs from another node's",
			 nd->id, LL(e->index));
	s->ga_term[e->index] = e->term;
	memcpy(s->ga_img + e->index * SIM_IMG_BYTES, nd->sm, SIM_IMG_BYTES);
}

/*
 * rraft completes a write at commit and applies it later, in order: the
 * queue is applied at the node's next event (reads wait for applied).
 */
static void queue_apply(struct node *nd, const struct raft_entry *e)
{
	struct aq *q = xcalloc(1, sizeof(*q));

	q->e = *e;
	q->e.data = NULL;
	if (e->len) {
		q->e.data = xcalloc(1, e->len);
		memcpy(q->e.data, e->data, e->len);
	}
	if (!nd->applyq)
		nd->applyq_tail = &nd->applyq;
	*nd->applyq_tail = q;
	nd->applyq_tail = &q->next;
}

static void free_applyq(struct node *nd)
{
	struct aq *q;

	while ((q = nd->applyq)) {
		nd->applyq = q->next;
		free(q->e.data);
		free(q);
	}
}

static void apply_queued(struct sim *s, struct node *nd)
{
	struct aq *q;

	if (!nd->applyq)
		return;
	while ((q = nd->applyq) && nd->alive && !s->failed) {
		nd->applyq = q->next;
		apply_entry(s, nd, &q->e);
		free(q->e.data);
		free(q);
	}
	free_applyq(nd);
	serve_reads(s, nd);
}

/* ------------------------------------------------------------------ */
/* the host loop (raft.h contract) */

struct deferred_chunk {
	struct raft_snap_send ss;
};

/* blocks written by entries (base, upto]; all blocks when unknown */
static u32 changed_blocks(const struct node *nd, u64 base, u64 upto)
{
	u32 mask = 0;
	u64 i;

	if (!base || base >= upto || upto >= nd->wcap)
		return (1u << SIM_NBLOCKS) - 1;
	for (i = base + 1; i <= upto; i++) {
		if (!nd->wblk[i])
			return (1u << SIM_NBLOCKS) - 1;
		if (nd->wblk[i] != 0xff)
			mask |= 1u << (nd->wblk[i] - 1);
	}
	return mask;
}

static void send_snapshot_chunk(struct sim *s, struct node *nd,
				const struct raft_snap_send *ss)
{
	u64 off = ss->offset, next;
	u8 buf[SIM_NBLOCKS * SIM_REC];
	const u8 *img = nd->ck_img;
	u32 len, mask, b;
	int err;

	/*
	 * The sim's hosts serve exact images.  A snapshot other than the
	 * current checkpoint is a follower's unfinished transfer the core
	 * took over: most hosts serve any index they applied, like rraft's
	 * live data area (from the committed history, which is the same on
	 * every node); one in four keeps only its previous checkpoint and
	 * fails anything older, and the core starts over.
	 */
	if (nd->ck_meta.index == ss->meta.index && nd->ck_meta.term == ss->meta.term)
		img = nd->ck_img;
	else if (nd->ck_prev_meta.index && nd->ck_prev_meta.index == ss->meta.index &&
		 nd->ck_prev_meta.term == ss->meta.term)
		img = nd->ck_prev_img;
	else if ((nd->id + s->seed) % 4 && ss->meta.index <= nd->applied &&
		 ss->meta.index < s->ga_cap && s->ga_hash[ss->meta.index] &&
		 s->ga_term[ss->meta.index] == ss->meta.term)
		img = s->ga_img + ss->meta.index * SIM_IMG_BYTES;
	else
		img = NULL;
	if (!img || off >= SIM_NBLOCKS) {
		sim_trace(s, "n%u host: snapshot %llu/%llu for n%u unavailable (checkpoint %llu): failed",
			  nd->id, LL(ss->meta.index), LL(ss->meta.term), ss->to,
			  LL(nd->ck_meta.index));
		raft_snapshot_failed(nd->r, ss->to);
		return;
	}
	/*
	 * The payload is a run of (block, value) records in block order; the
	 * cursor is a block number.  Against base_applied B > 0 only blocks
	 * written in (B, snapshot index] are sent (incremental copy), when
	 * this node knows which blocks those entries wrote; otherwise, and
	 * for B == 0, every block of the chunk's range is sent.
	 */
	mask = changed_blocks(nd, ss->base_applied, ss->meta.index);
	next = off + SIM_CHUNK_BLOCKS < SIM_NBLOCKS ? off + SIM_CHUNK_BLOCKS : SIM_NBLOCKS;
	len = 0;
	for (b = (u32)off; b < next; b++) {
		if (!(mask & (1u << b)))
			continue;
		buf[len] = (u8)b;
		rtc_put_le64(buf + len + 1, img_get(img, b));
		len += SIM_REC;
	}
	err = raft_snapshot_chunk(nd->r, ss->to, ss->meta.index, off,
				  buf, len, next, next == SIM_NBLOCKS);
	sim_trace(s, "n%u host: snapshot %llu chunk %llu..%llu for n%u (base_applied %llu, %u blocks) -> %s",
		  nd->id, LL(ss->meta.index), LL(off), LL(next), ss->to,
		  LL(ss->base_applied), len / SIM_REC, errname(err));
	if (err && err != -EINVAL && err != -EPERM)
		sim_fail(s, "raft_snapshot_chunk on node %u: %s", nd->id, errname(err));
}

/*
 * The host's side of one ready (tests/lib/rtc_host.c runs the contract):
 * hard state synchronously, entries and snapshot chunks to the simulated
 * disk (raft_persisted and raft_snapshot_chunk_done come when it completes),
 * messages into the network, committed entries into the block image.
 */
static void host_failed(void *h, const char *what, u64 a, u64 b)
{
	struct node *nd = h;

	sim_fail(nd->sim, "node %u: %s (%llu, %llu)", nd->id, what, LL(a), LL(b));
}

static void host_hard_state(void *h, const struct raft_ready *rd)
{
	struct node *nd = h;

	if (rd->hs_changed)
		sim_trace(nd->sim, "n%u persist hs: term %llu vote %u commit %llu",
			  nd->id, LL(rd->hs.term), rd->hs.vote, LL(rd->hs.commit));
}

static void host_copy_entries(struct sim *s, struct node *nd,
			      struct disk_op *op, const struct raft_entry *ents,
			      u32 n)
{
	u64 first = ents[0].index;
	u32 i;

	op->ents = xcalloc(n, sizeof(*op->ents));
	for (i = 0; i < n; i++) {
		const struct raft_entry *e = &ents[i];

		if (e->index != first + i)
			sim_fail(s, "node %u: entries to persist not contiguous", nd->id);
		if (i && e->term < ents[i - 1].term)
			sim_fail(s, "node %u: entry terms decrease in its log", nd->id);
		kv_check(s, nd, e->index, e->term, entry_hash(e),
			 i ? ents[i - 1].term :
			 mirror_term(nd, e->index - 1) ?
			 mirror_term(nd, e->index - 1) : SIM_INF);
		op->ents[i] = *e;
		op->ents[i].data = NULL;
		if (e->len) {
			op->ents[i].data = xcalloc(1, e->len);
			memcpy(op->ents[i].data, e->data, e->len);
		}
		mirror_set(nd, e->index, e->term);
	}
}

static bool host_entries(void *h, const struct raft_entry *ents, u32 n)
{
	struct disk_op *op = xcalloc(1, sizeof(*op));
	u64 first = ents[0].index;
	struct node *nd = h;
	struct sim *s = nd->sim;
	u32 i;

	if (first > nd->mlast + 1 || first < nd->mfirst)
		sim_fail(s, "node %u: entries to persist start at %llu, log is %llu..%llu",
			 nd->id, LL(first), LL(nd->mfirst), LL(nd->mlast));
	if (first <= nd->mlast && raft_role(nd->r) == RAFT_LEADER)
		sim_fail(s, "leader append-only: leader %u overwrites its log at %llu (last %llu)",
			 nd->id, LL(first), LL(nd->mlast));
	op->kind = DISK_APPEND;
	op->truncate = first <= nd->mlast;
	op->first = first;
	op->n = n;
	host_copy_entries(s, nd, op, ents, n);
	for (i = 0; i < nd->mcap && first + n + i < nd->mcap &&
	     first + n + i <= nd->mlast; i++)
		nd->mterm[first + n + i] = 0;
	nd->mlast = op->last = first + n - 1;
	op->last_term = ents[n - 1].term;
	if (op->truncate && nd->reported >= first)
		nd->reported = first - 1;
	op->done_at = disk_done_at(s, nd, op->truncate);
	sim_trace(s, "n%u persist entries %llu..%llu (term %llu)%s, done at %.3f",
		  nd->id, LL(first), LL(op->last), LL(op->last_term),
		  op->truncate ? " TRUNCATING" : "",
		  (double)op->done_at / SIM_TICK);
	disk_enqueue(s, nd, op);
	return false;
}

/*
 * Crashes aimed at the moments that matter (with F_CRASH): right after a
 * node sent a vote grant, an append acknowledgement, or (a leader) new
 * entries.  Queued at the current time, after the message itself; run.c
 * (sim_aimed_fault) decides what crashes and who campaigns.
 */
static void aim_fault(struct sim *s, struct node *nd, const struct raft_msg *m)
{
	bool grant = !(m->flags & RAFT_MSGF_REJECT);
	u64 kind = 0;

	if (s->manual || !s->faults_on || !(s->faults & F_CRASH) || nd->aimed)
		return;
	if (m->type == RAFT_MSG_VOTE_RESP && grant && chance(&s->rng, 950))
		kind = SIM_AIM_VOTE;
	else if (m->type == RAFT_MSG_APPEND_RESP && grant && chance(&s->rng, 15))
		kind = SIM_AIM_ACK;
	else if (m->type == RAFT_MSG_APPEND && m->n_entries &&
		 chance(&s->rng, 4))
		kind = SIM_AIM_APPEND;
	if (kind)
		sim_aim(s, nd, s->now, kind);
}

void sim_aim(struct sim *s, struct node *nd, u64 at, u64 kind)
{
	if (nd->aimed)
		return;
	nd->aimed = true;
	schedule(s, EV_AIMED, nd->id, at, kind);
}

static void host_send(void *h, const struct raft_msg *m)
{
	struct node *nd = h;

	if (nd->sim->trace) {
		char buf[256];

		sim_fmt_msg(buf, sizeof(buf), m);
		sim_trace(nd->sim, "send %s", buf);
	}
	send_msg(nd->sim, nd, m);
	aim_fault(nd->sim, nd, m);
}

static void host_apply(void *h, const struct raft_entry *e)
{
	struct node *nd = h;

	commit_entry(nd->sim, nd, e);
	queue_apply(nd, e);
}

static void host_read(void *h, const struct raft_read_state *rs)
{
	struct node *nd = h;
	struct pend *p;

	for (p = nd->reads; p; p = p->next) {
		if (p->op == rs->ctx && !p->confirmed) {
			p->confirmed = true;
			p->index = rs->index;
			sim_trace(nd->sim, "n%u read %llu confirmed at index %llu",
				  nd->id, LL(p->op), LL(p->index));
		}
	}
}

/* kept until after raft_advance (host_advanced serves them) */
static void host_snap_send(void *h, const struct raft_snap_send *ss)
{
	struct node *nd = h;

	nd->ss = xrealloc(nd->ss, (nd->nss + 1) * sizeof(*nd->ss));
	nd->ss[nd->nss++] = *ss;
}

static bool host_snap_chunk(void *h, const struct raft_snap_install *si)
{
	struct disk_op *op = xcalloc(1, sizeof(*op));
	struct node *nd = h;
	struct sim *s = nd->sim;

	apply_queued(s, nd);	/* rraft drains apply before a chunk */
	op->kind = DISK_SNAPCHUNK;
	op->meta = si->meta;
	op->offset = si->offset;
	op->next_offset = si->next_offset;
	op->base = si->base_applied;
	op->len = si->len;
	op->last_chunk = si->last;
	if (si->len) {
		op->data = xcalloc(1, si->len);
		memcpy(op->data, si->data, si->len);
	}
	op->done_at = disk_done_at(s, nd, true);
	sim_trace(s, "n%u install snapshot %llu/%llu chunk %llu..%llu base_applied %llu (applied %llu)%s",
		  nd->id, LL(si->meta.index), LL(si->meta.term),
		  LL(si->offset), LL(si->next_offset),
		  LL(si->base_applied), LL(nd->applied),
		  si->last ? " LAST" : "");
	disk_enqueue(s, nd, op);
	return false;
}

/* The installed image is the state machine; check it against history. */
static void host_snap_check(struct sim *s, struct node *nd,
			    const struct raft_snap_meta *snap)
{
	if (!ga_record(s, nd, snap->index))
		sim_fail(s, "state machine safety: node %u installed snapshot %llu whose blocks differ from the image applied elsewhere at that index",
			 nd->id, LL(snap->index));
	memcpy(s->ga_img + snap->index * SIM_IMG_BYTES, nd->sm, SIM_IMG_BYTES);
	gc_grow(s, snap->index);
	if (s->gc_term[snap->index] && s->gc_term[snap->index] != snap->term)
		sim_fail(s, "node %u installed snapshot %llu/%llu, committed term there is %llu",
			 nd->id, LL(snap->index), LL(snap->term),
			 LL(s->gc_term[snap->index]));
}

static void host_snap_installed(void *h, const struct raft_snap_meta *snap)
{
	struct node *nd = h;
	struct sim *s = nd->sim;
	struct pend **pp = &nd->writes, *p;

	if (!nd->inst || nd->inst_meta.index != snap->index ||
	    nd->inst_meta.term != snap->term) {
		sim_fail(s, "node %u: snapshot %llu/%llu reported installed but not all chunks were made durable",
			 nd->id, LL(snap->index), LL(snap->term));
		return;
	}
	sim_set_checkpoint(nd, snap, nd->inst_img);
	nd->inst = false;
	memcpy(nd->sm, nd->ck_img, SIM_IMG_BYTES);
	if (snap->index < nd->applied)
		sim_fail(s, "node %u: snapshot %llu installed below applied %llu",
			 nd->id, LL(snap->index), LL(nd->applied));
	nd->applied = snap->index;
	nd->conf_applied = snap->conf;
	host_snap_check(s, nd, snap);
	sim_trace(s, "n%u snapshot %llu/%llu INSTALLED", nd->id,
		  LL(snap->index), LL(snap->term));
	while ((p = *pp)) {
		if (p->index <= snap->index) {
			*pp = p->next;
			free(p);	/* outcome unknown here */
			continue;
		}
		pp = &p->next;
	}
}

static void host_advanced(void *h, bool installed,
			  const struct raft_snap_meta *snap)
{
	struct node *nd = h;
	struct sim *s = nd->sim;
	struct raft_status st;
	u32 i;

	if (installed && !s->failed) {
		raft_get_status(nd->r, &st);
		mirror_set(nd, snap->index, snap->term);
		nd->mfirst = snap->index + 1;
		if (st.last_index == snap->index) {
			u64 j;

			for (j = snap->index + 1; j <= nd->mlast && j < nd->mcap; j++)
				nd->mterm[j] = 0;
			nd->mlast = snap->index;
			dlog_clear_from(nd, snap->index + 1);
		}
		if (nd->reported < snap->index)
			nd->reported = snap->index;
	}
	if (nd->nss)
		apply_queued(s, nd);	/* rraft serves what it applied */
	serve_reads(s, nd);
	for (i = 0; i < nd->nss && nd->alive; i++)
		send_snapshot_chunk(s, nd, &nd->ss[i]);
	nd->nss = 0;
}

static const struct rtc_host_ops sim_host_ops = {
	.fail = host_failed,
	.hard_state = host_hard_state,
	.entries = host_entries,
	.send = host_send,
	.apply = host_apply,
	.read = host_read,
	.snap_send = host_snap_send,
	.snap_chunk = host_snap_chunk,
	.snap_installed = host_snap_installed,
	.advanced = host_advanced,
};

void sim_process(struct sim *s, struct node *nd)
{
	u32 rounds = 0;
	int err;

	apply_queued(s, nd);	/* what the last event committed */
	while (nd->alive && !s->failed && raft_has_ready(nd->r)) {
		struct rtc_host x = {
			.r = nd->r, .id = nd->id, .hs = &nd->hs,
			.ops = &sim_host_ops, .h = nd,
		};

		if (++rounds > 10000) {
			sim_fail(s, "node %u: raft_has_ready never becomes false", nd->id);
			break;
		}
		err = rtc_host_ready(&x);
		if (err) {
			sim_fail(s, "raft_ready on node %u: %s", nd->id, errname(err));
			break;
		}
	}
	/* scripts state exact applied indexes: no lag there */
	if (s->manual)
		apply_queued(s, nd);
	if (nd->alive && !s->failed)
		sim_check_node(s, nd);
}

/* ------------------------------------------------------------------ */
/* per-step invariant checks (the state of one node changed) */

void sim_check_node(struct sim *s, struct node *nd)
{
	struct raft_status st;
	u64 i;

	raft_get_status(nd->r, &st);
	if (st.last_index != nd->mlast && !st.inconsistent)
		sim_fail(s, "node %u: core log ends at %llu, host was handed entries up to %llu",
			 nd->id, LL(st.last_index), LL(nd->mlast));
	if (st.term < nd->last_term)
		sim_fail(s, "node %u: term decreased %llu -> %llu", nd->id,
			 LL(nd->last_term), LL(st.term));
	/* Election Safety over all history */
	if (st.role == RAFT_LEADER) {
		if (st.term >= s->nleader_of) {
			u64 nc = s->nleader_of ? s->nleader_of : 64;

			while (nc <= st.term)
				nc *= 2;
			s->leader_of = xrealloc(s->leader_of, nc * sizeof(u32));
			memset(s->leader_of + s->nleader_of, 0,
			       (nc - s->nleader_of) * sizeof(u32));
			s->nleader_of = nc;
		}
		if (s->leader_of[st.term] && s->leader_of[st.term] != nd->id)
			sim_fail(s, "election safety: nodes %u and %u both leaders in term %llu",
				 s->leader_of[st.term], nd->id, LL(st.term));
		if (!s->leader_of[st.term]) {
			s->leader_of[st.term] = nd->id;
			s->stat_elections++;
			sim_trace(s, "n%u becomes LEADER of term %llu (log %llu..%llu, commit %llu)",
				  nd->id, LL(st.term), LL(st.first_index),
				  LL(st.last_index), LL(st.commit));
			/* Leader Completeness */
			for (i = 1; i <= s->gc_max && i < s->gc_cap; i++) {
				u64 t;

				if (!s->gc_term[i] || s->gc_cterm[i] >= st.term)
					continue;
				if (i < st.first_index) {
					if (i == st.snap_index && st.snap_term != s->gc_term[i])
						sim_fail(s, "leader completeness: leader %u of term %llu has snapshot %llu/%llu, committed %llu/%llu",
							 nd->id, LL(st.term), LL(i), LL(st.snap_term),
							 LL(i), LL(s->gc_term[i]));
					continue;
				}
				t = raft_term_at(nd->r, i);
				if (t != s->gc_term[i]) {
					sim_fail(s, "leader completeness: leader %u of term %llu lacks committed entry %llu/%llu (has term %llu)",
						 nd->id, LL(st.term), LL(i), LL(s->gc_term[i]), LL(t));
					break;
				}
			}
		}
	}
	/* committed prefix never shrinks, committed entries never change */
	if (st.commit < nd->last_commit)
		sim_fail(s, "node %u: commit index went back from %llu to %llu",
			 nd->id, LL(nd->last_commit), LL(st.commit));
	if (st.commit > st.last_index && !st.inconsistent)
		sim_fail(s, "node %u: commit %llu beyond last index %llu",
			 nd->id, LL(st.commit), LL(st.last_index));
	for (i = nd->last_commit + 1; i <= st.commit; i++) {
		u64 t = raft_term_at(nd->r, i);

		if (!t)
			continue;	/* compacted or covered by a snapshot */
		gc_grow(s, i);
		if (s->gc_term[i] && s->gc_term[i] != t) {
			sim_fail(s, "committed entry changed: node %u commits %llu/%llu, committed elsewhere with term %llu",
				 nd->id, LL(i), LL(t), LL(s->gc_term[i]));
			break;
		}
		if (!s->gc_term[i]) {
			s->gc_term[i] = t;
			s->gc_cterm[i] = st.term;
		} else if (!s->gc_cterm[i] || s->gc_cterm[i] > st.term) {
			s->gc_cterm[i] = st.term;
		}
		if (i > s->gc_max)
			s->gc_max = i;
	}
	if (st.commit > nd->last_commit)
		sim_trace(s, "n%u commit %llu -> %llu", nd->id, LL(nd->last_commit),
			  LL(st.commit));
	nd->last_commit = st.commit;
	nd->last_role = st.role;
	nd->last_term = st.term;
}

/* ------------------------------------------------------------------ */

void sim_init(struct sim *s, u64 seed, u32 n, u32 spares, u32 faults,
	      bool manual)
{
	struct raft_conf conf, none;
	u32 i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < SIM_MAX_NODES; i++)
		s->nodes[i].sim = s;
	s->seed = seed;
	s->rng.s = seed ^ 0x5eed5eed12345678ull;
	s->n = n;
	s->nslots = n + spares;
	s->faults = faults;
	s->manual = manual;
	s->out = stdout;
	s->next_value = 1;
	s->drop_pm = 20 + (u32)rnd(&s->rng, 80);
	s->dup_pm = 10 + (u32)rnd(&s->rng, 40);
	memset(&conf, 0, sizeof(conf));
	memset(&none, 0, sizeof(none));
	for (i = 1; i <= n; i++)
		conf.voters[conf.n_voters++] = i;
	for (i = 1; i <= s->nslots; i++) {
		struct node *nd = &s->nodes[i];
		struct raft_config *c = &nd->cfg;

		nd->id = i;
		nd->tick_period = default_tick_period(s);
		c->id = i;
		c->election_ticks = 10;
		c->heartbeat_ticks = 1;
		c->max_inflight = 4;
		c->max_append_bytes = 8 * SIM_PAYLOAD;
		c->max_append_entries = 8;
		c->max_uncommitted = 64;
		c->max_uncommitted_bytes = 24 * SIM_PAYLOAD;
		c->pre_vote = true;
		c->check_quorum = true;
		c->lease_drift_ticks = 0;
		c->catchup_entries = 8;
	}
	if (!manual) {
		bool pv = chance(&s->rng, 750), cq = chance(&s->rng, 750);
		u32 lease = cq && chance(&s->rng, 500) ? 2 : 0;

		for (i = 1; i <= s->nslots; i++) {
			s->nodes[i].cfg.pre_vote = pv;
			s->nodes[i].cfg.check_quorum = cq;
			s->nodes[i].cfg.lease_drift_ticks = lease;
		}
	}
	(void)none;
}

void sim_start_all(struct sim *s);
void sim_start_all(struct sim *s)
{
	struct raft_conf conf, none;
	u32 i;

	memset(&conf, 0, sizeof(conf));
	memset(&none, 0, sizeof(none));
	for (i = 1; i <= s->n; i++)
		conf.voters[conf.n_voters++] = i;
	for (i = 1; i <= s->nslots; i++)
		sim_boot_node(s, i, i <= s->n ? &conf : &none);
}

void sim_free(struct sim *s)
{
	u32 i;

	for (i = 1; i < SIM_MAX_NODES; i++) {
		struct node *nd = &s->nodes[i];

		if (nd->r)
			raft_destroy(nd->r);
		nd->r = NULL;
		free_disk(nd);
		free_pends(&nd->writes);
		free_pends(&nd->reads);
		free_applyq(nd);
		dlog_clear_from(nd, 0);
		free(nd->dlog);
		free(nd->mterm);
		free(nd->wblk);
		free(nd->ss);
	}
	while (s->nheap)
		free_ev(heap_remove(s, s->nheap - 1));
	free(s->heap);
	free(s->leader_of);
	free(s->gc_term);
	free(s->gc_hash);
	free(s->gc_cterm);
	free(s->ga_hash);
	free(s->ga_term);
	free(s->ga_img);
	free(s->kv);
	free(s->hist);
	memset(s, 0, sizeof(*s));
}

/*
 * Feed the ticks elapsed since the last ones (the kernel's rr_clock_to):
 * a node that was paused catches up the whole pause at once.
 */
static void feed_ticks(struct sim *s, struct node *nd)
{
	u64 n = (s->now - nd->tick_at) / nd->tick_period;

	if (!n)
		return;
	nd->tick_at += n * nd->tick_period;
	if (n > 1)
		sim_trace(s, "n%u clock jumps %llu ticks", nd->id, LL(n));
	if (sim_mutate & M_TICK_FIRINGS)
		n = 1;
	raft_tick(nd->r, (u32)(n < 100000 ? n : 100000));
	sim_process(s, nd);
}

void sim_pause(struct sim *s, u32 id, u64 until)
{
	struct node *nd = &s->nodes[id];

	if (!nd->alive || nd->paused_until)
		return;
	nd->paused_until = until;
	sim_trace(s, "n%u PAUSE until %.3f", id, (double)until / SIM_TICK);
}

/* The VM runs again: its clock first, before any queued event. */
void sim_resume(struct sim *s, struct node *nd)
{
	if (!nd->paused_until || s->now < nd->paused_until)
		return;
	nd->paused_until = 0;
	sim_trace(s, "n%u RESUME", nd->id);
	if (nd->alive && !s->manual)
		feed_ticks(s, nd);
}

/* An event for a paused node waits until it resumes; true if deferred. */
static bool defer_paused(struct sim *s, struct qmsg *q)
{
	u32 id = q->kind == EV_MSG ? q->m.to : q->node;
	struct node *nd;

	if (!id || id >= SIM_MAX_NODES)
		return false;
	nd = &s->nodes[id];
	if (!nd->paused_until)
		return false;
	if (s->now < nd->paused_until) {
		q->at = nd->paused_until;
		heap_push(s, q);
		return true;
	}
	sim_resume(s, nd);
	return false;
}

/* Run one event. msgs_only: only message deliveries (script "deliver"). */
bool sim_step_event(struct sim *s, bool msgs_only)
{
	struct qmsg *q;

	if (!s->nheap)
		return false;
	if (msgs_only) {
		q = take_first_msg(s, true, 0, 0, 0);
		if (!q)
			return false;
	} else {
		q = heap_remove(s, 0);
	}
	if (q->at > s->now)
		s->now = q->at;
	if (defer_paused(s, q))
		return true;
	switch (q->kind) {
	case EV_MSG:
		deliver(s, q);
		break;
	case EV_DISK:
		if (q->inc == s->nodes[q->node].incarnation && s->nodes[q->node].alive)
			disk_complete(s, &s->nodes[q->node], q->dseq);
		break;
	case EV_TICK: {
		struct node *nd = &s->nodes[q->node];

		if (q->inc != nd->incarnation || !nd->alive)
			break;
		feed_ticks(s, nd);
		schedule(s, EV_TICK, nd->id, nd->tick_at + nd->tick_period, 0);
		break;
	}
	case EV_AIMED: {
		struct node *nd = &s->nodes[q->node];

		nd->aimed = false;
		if (q->inc == nd->incarnation && nd->alive)
			sim_aimed_fault(s, nd, q->dseq);
		break;
	}
	default:
		break;
	}
	free_ev(q);
	return true;
}
