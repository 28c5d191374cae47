// SPDX-License-Identifier: GPL-2.0
/*
 * model.c - the log ring on a simulated disk that loses power.
 *
 * The disk keeps two images: what is durable, and the writes started since
 * (every ring write is FUA, so a write is durable once it completed; until
 * then any subset of its blocks may have landed, in any order).  A crash
 * image is the durable contents plus a chosen subset of pending blocks.
 */
#include <stdlib.h>
#include <string.h>
#include "model.h"

/* ---- randomness ---- */

void rng_seed(struct rng *g, u64 seed)
{
	memset(g, 0, sizeof(*g));
	g->s = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
}

/* The input's bytes first, then a generator seeded by all of them. */
void rng_bytes(struct rng *g, const u8 *data, size_t len)
{
	rng_seed(g, rr_crc32c(~0u, data, len) | (u64)len << 32);
	g->data = data;
	g->len = len;
}

u64 rng_next(struct rng *g)
{
	u64 v;

	if (g->data && g->pos + 2 <= g->len) {
		v = (u64)g->data[g->pos] << 8 | g->data[g->pos + 1];
		g->pos += 2;
		return v;
	}
	g->s ^= g->s >> 12;
	g->s ^= g->s << 25;
	g->s ^= g->s >> 27;
	return (g->s * 0x2545F4914F6CDD1Dull) >> 16;
}

u64 rng_range(struct rng *g, u64 lo, u64 hi)
{
	if (hi <= lo)
		return lo;
	return lo + rng_next(g) % (hi - lo + 1);
}

static void *xmalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (!p) {
		perror("replay model");
		exit(2);
	}
	return p;
}

/* ---- expected logs ---- */

static void xlog_set(struct xlog *l, u64 index, const struct xent *e)
{
	if (index >= l->cap) {
		u64 cap = l->cap ? l->cap : 64;

		while (cap <= index)
			cap *= 2;
		l->v = realloc(l->v, cap * sizeof(*l->v));
		if (!l->v)
			exit(2);
		memset(l->v + l->cap, 0, (cap - l->cap) * sizeof(*l->v));
		l->cap = cap;
	}
	l->v[index] = *e;
}

static void xlog_copy(struct xlog *d, const struct xlog *s)
{
	u64 i;

	free(d->v);
	memset(d, 0, sizeof(*d));
	for (i = 1; i <= s->last; i++)
		xlog_set(d, i, &s->v[i]);
	d->last = s->last;
}

/* A record replaces the entries from its first index on. */
static void xlog_apply(struct xlog *l, const struct xrec *r)
{
	u32 i;

	for (i = 0; i < r->n; i++)
		xlog_set(l, r->first + i, &r->e[i]);
	l->last = r->first + r->n - 1;
}

/* ---- the disk ---- */

static u8 *disk_at(struct simdisk *d, u64 off)
{
	return d->durable + off;
}

static void disk_write(struct simdisk *d, u64 off, const void *buf, u64 len)
{
	struct pending *p;

	if (d->n_pend == d->cap_pend) {
		d->cap_pend = d->cap_pend ? d->cap_pend * 2 : 16;
		d->pend = realloc(d->pend, d->cap_pend * sizeof(*d->pend));
		if (!d->pend)
			exit(2);
	}
	p = &d->pend[d->n_pend++];
	p->off = off;
	p->len = len;
	p->data = xmalloc(len);
	memcpy(p->data, buf, len);
}

/* The first n pending writes completed (FUA): durable, in issue order. */
static void disk_complete(struct simdisk *d, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++) {
		memcpy(disk_at(d, d->pend[i].off), d->pend[i].data,
		       d->pend[i].len);
		free(d->pend[i].data);
	}
	if (n < d->n_pend)
		memmove(d->pend, d->pend + n,
			(d->n_pend - n) * sizeof(*d->pend));
	d->n_pend -= n;
}

static void ring_write(void *ctx, u64 phys, void *buf, u64 len)
{
	struct model *m = ctx;

	if (phys + len > m->disk.ring_bytes) {
		fprintf(stderr, "model: ring write %llu+%llu past the ring\n",
			(unsigned long long)phys, (unsigned long long)len);
		exit(2);
	}
	disk_write(&m->disk, DISK_RING_OFF + phys, buf, len);
}

static int ring_read(void *ctx, u64 phys, void *buf, u64 len)
{
	struct model *m = ctx;

	if (phys + len > m->disk.ring_bytes)
		return -EIO;
	memcpy(buf, m->disk.durable + DISK_RING_OFF + phys, len);
	return 0;
}

void model_raw_write(struct model *m, u64 phys, const void *buf, u64 len)
{
	memcpy(m->disk.durable + DISK_RING_OFF + phys, buf, len);
}

u32 model_pending_blocks(const struct model *m)
{
	u32 i, n = 0;

	for (i = 0; i < m->disk.n_pend; i++)
		n += m->disk.pend[i].len / RR_BLOCK_SIZE;
	return n;
}

u8 *model_image(const struct model *m, const u8 *mask)
{
	u64 size = DISK_RING_OFF + m->disk.ring_bytes, b;
	u8 *img = xmalloc(size);
	u32 i, k = 0;

	memcpy(img, m->disk.durable, size);
	for (i = 0; i < m->disk.n_pend; i++) {
		const struct pending *p = &m->disk.pend[i];

		for (b = 0; b < p->len; b += RR_BLOCK_SIZE, k++)
			if (mask[k])
				memcpy(img + p->off + b, p->data + b,
				       mask[k] == 1 ? RR_BLOCK_SIZE :
				       (mask[k] - 1) * 512u);
	}
	return img;
}

/* ---- the store ---- */

static int write_state(struct model *m, struct rr_state *nst)
{
	u8 blk[RR_BLOCK_SIZE];
	int slot = 1 - m->slot;

	nst->seq = m->st.seq + 1;
	memcpy(nst->uuid, m->uuid, RR_UUID_LEN);
	rraft_state_encode(nst, blk);
	/* synchronous and FUA: durable when it returns */
	memcpy(disk_at(&m->disk, (u64)slot * RR_BLOCK_SIZE), blk,
	       RR_BLOCK_SIZE);
	m->st = *nst;
	m->slot = slot;
	return 0;
}

int model_format(struct model *m, u64 ring_bytes, u64 salt)
{
	u8 blk[RR_BLOCK_SIZE];
	int i;

	memset(m, 0, sizeof(*m));
	m->disk.ring_bytes = ring_bytes;
	m->disk.durable = xmalloc(DISK_RING_OFF + ring_bytes);
	for (i = 0; i < RR_UUID_LEN; i++)
		m->uuid[i] = (u8)(0xa5 ^ i ^ (salt >> (i % 8)));
	m->salt = salt;
	m->st.seq = 1;
	memcpy(m->st.uuid, m->uuid, RR_UUID_LEN);
	m->st.ring_head = 0;
	m->st.ring_head_seq = 1;
	rraft_state_encode(&m->st, blk);
	memcpy(m->disk.durable, blk, RR_BLOCK_SIZE);
	m->slot = 0;
	rraft_ring_init(&m->ring, m->uuid, ring_bytes, 0, 1);
	return 0;
}

static void inflight_free(struct model *m)
{
	u32 i;

	for (i = 0; i < m->n_inflight; i++)
		free(m->inflight[i].e);
	free(m->inflight);
	m->inflight = NULL;
	m->n_inflight = 0;
	m->n_apps = 0;
}

void model_free(struct model *m)
{
	u32 i;

	for (i = 0; i < m->disk.n_pend; i++)
		free(m->disk.pend[i].data);
	free(m->disk.pend);
	free(m->disk.durable);
	rraft_ring_destroy(&m->ring);
	rraft_replay_free(&m->rp);
	free(m->buf);
	free(m->acked.v);
	inflight_free(m);
	memset(m, 0, sizeof(*m));
}

int model_set_term(struct model *m, u64 term)
{
	struct rr_state nst = m->st;

	nst.term = term;
	nst.vote = 1;
	nst.commit = m->commit;
	return write_state(m, &nst);
}

int model_checkpoint(struct model *m, u64 applied)
{
	struct rr_state nst = m->st;
	u64 head, head_seq;

	if (applied <= m->st.snap_index)
		return 0;
	/* as rraft_checkpoint: the appends in flight complete first */
	model_append_done(m);
	rraft_ring_compact(&m->ring, applied, &head, &head_seq);
	nst.snap_index = applied;
	nst.snap_term = m->acked.v[applied].term;
	nst.commit = m->commit > applied ? m->commit : applied;
	nst.ring_head = head;
	nst.ring_head_seq = head_seq;
	write_state(m, &nst);
	rraft_ring_drop_before(&m->ring, head);
	return 0;
}

static void fill_data(u8 *d, u32 len, u64 index, u64 term, u64 salt)
{
	u64 x = index * 0x100000001B3ull ^ term << 32 ^ salt;
	u32 i;

	for (i = 0; i < len; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		d[i] = (u8)(x >> 56);
	}
}

u64 model_mem_last(const struct model *m)
{
	/* records replace what follows their first index: the last one ends the log */
	if (m->n_inflight)
		return m->inflight[m->n_inflight - 1].first +
		       m->inflight[m->n_inflight - 1].n - 1;
	return m->acked.last;
}

/*
 * The highest index that may be committed: acknowledged, and not about
 * to be replaced by an append in flight.
 */
static u64 commit_max(const struct model *m)
{
	u64 max = m->acked.last;
	u32 k;

	for (k = 0; k < m->n_inflight; k++)
		if (m->inflight[k].first - 1 < max)
			max = m->inflight[k].first - 1;
	return max > m->commit ? max : m->commit;
}

static int append_fits(struct model *m, const struct raft_entry *ents,
		       u32 n, u64 *buf_bytes)
{
	if (!rraft_ring_fits(&m->ring, ents, n, buf_bytes))
		return 0;
	model_checkpoint(m, m->commit);
	if (!rraft_ring_fits(&m->ring, ents, n, buf_bytes))
		return 0;
	/* everything acknowledged is committed in a single-node model */
	m->commit = commit_max(m);
	if (ents[0].index <= m->commit)
		return -ENOSPC;
	model_checkpoint(m, m->commit);
	return rraft_ring_fits(&m->ring, ents, n, buf_bytes);
}

int model_append_start(struct model *m, u64 first, u32 n, u32 len,
		       struct rng *g)
{
	struct raft_entry ents[8];
	struct rraft_ring_io io = { .read = ring_read, .write = ring_write,
				 .ctx = m };
	u32 i, r0, k, p0, k0;
	u64 bytes;
	int err = 0;

	if (n > 8 || !n || first <= m->commit || first > model_mem_last(m) + 1)
		return -EINVAL;
	if (m->n_apps == MODEL_APPENDS)
		return -EBUSY;
	for (i = 0; i < n; i++) {
		ents[i].index = first + i;
		ents[i].term = m->st.term;
		ents[i].type = RAFT_ENTRY_NORMAL;
		ents[i].len = len != ~0u ? len :
			rng_range(g, 0, 3) ? (u32)rng_range(g, 0, 300) :
			(u32)rng_range(g, 0, 3 * RR_BLOCK_SIZE);
		ents[i].data = ents[i].len ? xmalloc(ents[i].len) : NULL;
		fill_data(ents[i].data, ents[i].len, ents[i].index,
			  ents[i].term, m->salt);
	}
	/* (a checkpoint there completes the appends in flight) */
	err = append_fits(m, ents, n, &bytes);
	r0 = m->ring.n_recs;
	p0 = m->disk.n_pend;
	k0 = m->n_inflight;
	if (!err && bytes > m->buf_size) {
		free(m->buf);
		m->buf = xmalloc(bytes);
		m->buf_size = bytes;
	}
	if (!err)
		err = rraft_ring_append(&m->ring, &io, ents, n, m->buf);
	/* what the records in flight hold, as the ring split them */
	m->inflight = realloc(m->inflight, (k0 + m->ring.n_recs - r0) *
			      sizeof(*m->inflight) + 1);
	if (!m->inflight)
		exit(2);
	for (k = 0; !err && r0 + k < m->ring.n_recs; k++) {
		const struct rraft_ring_rec *rec = &m->ring.recs[r0 + k];
		struct xrec *x = &m->inflight[k0 + k];

		x->first = rec->first;
		x->n = (u32)(rec->last - rec->first + 1);
		x->e = xmalloc(x->n * sizeof(*x->e));
		for (i = 0; i < x->n; i++) {
			const struct raft_entry *e = &ents[rec->first - first + i];

			x->e[i].term = e->term;
			x->e[i].len = e->len;
			x->e[i].sum = rr_crc32c(~0u, e->data, e->len);
		}
	}
	if (!err) {
		m->n_inflight = k0 + k;
		m->app_pend[m->n_apps] = m->disk.n_pend - p0;
		m->app_recs[m->n_apps] = k;
		m->n_apps++;
	}
	for (i = 0; i < n; i++)
		free(ents[i].data);
	return err;
}

void model_append_done(struct model *m)
{
	u32 i;

	disk_complete(&m->disk, m->disk.n_pend);
	for (i = 0; i < m->n_inflight; i++)
		xlog_apply(&m->acked, &m->inflight[i]);
	m->acked_records += m->n_inflight;
	inflight_free(m);
}

void model_append_done_oldest(struct model *m)
{
	u32 i, n;

	if (!m->n_apps)
		return;
	n = m->app_recs[0];
	disk_complete(&m->disk, m->app_pend[0]);
	for (i = 0; i < n; i++) {
		xlog_apply(&m->acked, &m->inflight[i]);
		free(m->inflight[i].e);
	}
	if (n < m->n_inflight)
		memmove(m->inflight, m->inflight + n,
			(m->n_inflight - n) * sizeof(*m->inflight));
	m->n_inflight -= n;
	m->acked_records += n;
	m->n_apps--;
	memmove(m->app_pend, m->app_pend + 1, m->n_apps * sizeof(u32));
	memmove(m->app_recs, m->app_recs + 1, m->n_apps * sizeof(u32));
}

int model_step(struct model *m, struct rng *g)
{
	u64 r = rng_range(g, 0, 99), first;
	int err;

	if (m->ring.tail - m->ring.head > m->ring.bytes / 2)
		model_checkpoint(m, m->commit);
	if (r < 8 || !m->st.term)
		return model_set_term(m, m->st.term + 1);
	if (r < 20) {
		m->commit = rng_range(g, m->commit, commit_max(m));
		if (rng_range(g, 0, 1))
			model_checkpoint(m, m->commit);
		return 0;
	}
	if (m->n_apps == MODEL_APPENDS)	/* the loop waits for a unit */
		model_append_done_oldest(m);
	first = model_mem_last(m) + 1;
	if (r < 30) {
		/* a new leader overwrites the uncommitted suffix */
		model_set_term(m, m->st.term + 1);
		first = rng_range(g, m->commit + 1, model_mem_last(m) + 1);
	}
	err = model_append_start(m, first, (u32)rng_range(g, 1, 4), ~0u, g);
	if (err == -ENOSPC)	/* the commit moved past first to make room */
		err = model_append_start(m, model_mem_last(m) + 1, 1, ~0u, g);
	if (err == -ENOSPC && m->n_apps) {
		/* a full ring: the appends in flight finish first */
		model_append_done(m);
		err = model_append_start(m, model_mem_last(m) + 1, 1, ~0u, g);
	}
	return err ? err : 1;
}

/* ---- boot and check ---- */

int model_boot(struct model *nm, const struct model *m, u8 *img,
	       const char **why)
{
	struct rraft_ring_io io = { .read = ring_read, .ctx = nm };
	struct rr_state st[2];
	const char *w[2];
	bool valid[2];
	int i, err;

	memset(nm, 0, sizeof(*nm));
	memcpy(nm->uuid, m->uuid, RR_UUID_LEN);
	nm->salt = m->salt + 0x1000;
	nm->disk.ring_bytes = m->disk.ring_bytes;
	nm->disk.durable = img;
	for (i = 0; i < 2; i++)
		valid[i] = !rraft_state_decode(&st[i],
					    img + (u64)i * RR_BLOCK_SIZE,
					    nm->uuid, &w[i]);
	i = rraft_state_pick(st, valid);
	if (i < 0) {
		*why = "no valid state slot";
		return -EUCLEAN;
	}
	nm->st = st[i];
	nm->slot = i;
	rraft_ring_init(&nm->ring, nm->uuid, nm->disk.ring_bytes,
		     nm->st.ring_head, nm->st.ring_head_seq);
	err = rraft_ring_replay(&nm->ring, &nm->st, &io, &nm->rp);
	*why = nm->rp.stop;
	return err;
}

static char msg[256];

/* Does the replayed log equal l above the checkpoint? */
static int same_log(const struct model *nm, const struct xlog *l)
{
	const struct rraft_replay *rp = &nm->rp;
	u64 snap = nm->st.snap_index, i;

	if (rp->last != l->last || rp->n_ents != rp->last - snap)
		return 0;
	for (i = 0; i < rp->n_ents; i++) {
		const struct raft_entry *e = &rp->ents[i];
		const struct xent *x = &l->v[snap + 1 + i];

		if (e->index != snap + 1 + i || e->term != x->term ||
		    e->len != x->len ||
		    rr_crc32c(~0u, e->data, e->len) != x->sum)
			return 0;
	}
	return 1;
}

int model_check(const struct model *m, struct model *nm, const char **why)
{
	struct xlog l = {};
	u32 k;

	xlog_copy(&l, &m->acked);
	for (k = 0; ; k++) {
		if (same_log(nm, &l))
			break;
		if (k == m->n_inflight) {
			snprintf(msg, sizeof(msg),
				 "recovered log ends at %llu (checkpoint %llu, stop: %s); acknowledged log ends at %llu, in flight up to %llu: acknowledged entries lost or a wrong entry used",
				 (unsigned long long)nm->rp.last,
				 (unsigned long long)nm->st.snap_index,
				 nm->rp.stop,
				 (unsigned long long)m->acked.last,
				 (unsigned long long)l.last);
			*why = msg;
			free(l.v);
			return -1;
		}
		xlog_apply(&l, &m->inflight[k]);
	}
	/* nm continues from here */
	free(nm->acked.v);
	nm->acked = l;
	nm->commit = m->commit > nm->rp.commit ? m->commit : nm->rp.commit;
	if (nm->commit > l.last)
		nm->commit = l.last;
	rraft_replay_free(&nm->rp);
	return 0;
}
