// SPDX-License-Identifier: GPL-2.0
/*
 * raft_ready.c - the Raft core's output: queues that events fill (room is
 * reserved before any state changes), handed to the host by raft_ready()
 * and released by raft_advance().  Queues are double-buffered, so events
 * between the two never move memory the current ready points to.
 */
#include "raft_int.h"

int raft_grow(void **arr, u32 *cap, u32 need, size_t size)
{
	u32 ncap;
	void *p;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 16;
	while (ncap < need)
		ncap *= 2;
	p = raft_calloc(ncap, size);
	if (!p)
		return -ENOMEM;
	if (*arr && *cap)
		memcpy(p, *arr, (size_t)*cap * size);
	raft_free(*arr);
	*arr = p;
	*cap = ncap;
	return 0;
}

/* Enough room for whatever one event can emit. */
int raft_reserve_out(struct raft *r)
{
	u32 per = r->cfg.max_inflight + 3;
	u32 need = 2 * (r->n_prs + 1) * per + 16;
	int err;

	err = raft_grow((void **)&r->msgs, &r->cap_msgs, r->n_msgs + need,
			sizeof(*r->msgs));
	if (err)
		return err;
	return raft_grow((void **)&r->ss, &r->cap_ss, r->n_ss + r->n_prs + 1,
		    sizeof(*r->ss));
}

/* Room for one event's output and for `entries` more log entries. */
int raft_reserve(struct raft *r, u64 entries)
{
	int err = raft_reserve_out(r);

	return err ? err : raft_log_reserve(r, entries);
}

struct raft_msg *raft_new_msg(struct raft *r, u32 type, u32 to)
{
	struct raft_msg *m;

	if (r->n_msgs >= r->cap_msgs) {
		/*
		 * Capacity is reserved per event; only an event whose
		 * reservation failed (ENOMEM in a void call) gets here.  The
		 * protocol tolerates a lost message: it is retried.
		 */
		return NULL;
	}
	m = &r->msgs[r->n_msgs++];
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->from = r->id;
	m->to = to;
	m->term = r->term;
	m->applied = r->inconsistent ? r->recv.base : r->applied;
	if (r->inconsistent) {
		m->flags |= RAFT_MSGF_INCONSISTENT;
		m->snap = r->recv.meta;
		m->offset = r->recv.done;
	}
	return m;
}

static u64 apply_limit(const struct raft *r)
{
	if (r->inconsistent)
		return r->applied;
	return max_u64(r->applied, min_u64(r->commit, r->persisted));
}

bool raft_has_ready(const struct raft *r)
{
	return r->term != r->prev_hs.term || r->vote != r->prev_hs.vote ||
	       r->unstable <= raft_log_last(r) || r->n_msgs || r->n_reads ||
	       r->n_ss || (r->recv.q_n && !r->recv.q_out) || r->snap_installed ||
	       r->soft_changed || apply_limit(r) > r->applied ||
	       r->bcast_pending;
}

/* SNAPSHOT messages own a copy of their chunk. */
void raft_free_snap_data(struct raft_msg *msgs, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (msgs[i].type == RAFT_MSG_SNAPSHOT)
			raft_free(msgs[i].data);
}

/* Hand the queue to the ready (swap), or append it to what is out. */
static int take(void **q, u32 *nq, u32 *capq, void **o, u32 *no, u32 *capo,
		size_t size)
{
	void *t;
	u32 c;

	if (!*nq)
		return 0;
	if (!*no) {
		t = *q;
		*q = *o;
		*o = t;
		c = *capq;
		*capq = *capo;
		*capo = c;
		*no = *nq;
		*nq = 0;
		return 0;
	}
	if (raft_grow(o, capo, *no + *nq, size))
		return -ENOMEM;
	memcpy((u8 *)*o + (size_t)*no * size, *q, (size_t)*nq * size);
	*no += *nq;
	*nq = 0;
	return 0;
}

/*
 * Appends carry entries from the log as it is now (send_append counted
 * them); drop those whose entries are gone (truncated or compacted since).
 */
static void materialize_appends(struct raft *r)
{
	u32 i, k = 0;

	for (i = 0; i < r->n_omsgs; i++) {
		struct raft_msg *m = &r->omsgs[i];

		if (m->type == RAFT_MSG_APPEND && m->n_entries && !m->entries) {
			u64 lo = m->index + 1, hi = m->index + m->n_entries;

			if (lo < raft_log_first(r) || hi > raft_log_last(r) ||
			    raft_log_term(r, hi) != m->hint_term ||
			    raft_log_term(r, m->index) != m->log_term)
				continue;
			m->entries = raft_log_entry(r, lo);
			m->hint_term = 0;
		}
		if (k != i)
			r->omsgs[k] = *m;
		k++;
	}
	r->n_omsgs = k;
}

int raft_ready(struct raft *r, struct raft_ready *rd)
{
	u64 lim;
	int err;

	memset(rd, 0, sizeof(*rd));
	if (r->bcast_pending && r->role == RAFT_LEADER) {
		err = raft_reserve_out(r);
		if (err)
			return err;
		raft_bcast_append(r);
	}
	r->bcast_pending = false;
	err = take((void **)&r->msgs, &r->n_msgs, &r->cap_msgs,
		   (void **)&r->omsgs, &r->n_omsgs, &r->cap_omsgs,
		   sizeof(*r->msgs));
	if (!err)
		err = take((void **)&r->reads, &r->n_reads, &r->cap_reads,
			   (void **)&r->oreads, &r->n_oreads, &r->cap_oreads,
			   sizeof(*r->reads));
	if (!err)
		err = take((void **)&r->ss, &r->n_ss, &r->cap_ss,
			   (void **)&r->oss, &r->n_oss, &r->cap_oss,
			   sizeof(*r->ss));
	if (err)
		return err;
	r->seq_queued = false;
	rd->hs.term = r->term;
	rd->hs.vote = r->vote;
	/*
	 * Never a commit index past the persisted index: entries above it
	 * may not be durable yet, or durable with other terms (a truncating
	 * append not yet written).  A host that wrote this hard state before
	 * the entries and crashed would otherwise restart with a commit index
	 * over entries that were never committed (issue 13, defect 0).  This
	 * never goes back: a truncation lowers persisted to at least commit.
	 */
	rd->hs.commit = min_u64(r->commit, r->persisted);
	rd->hs_changed = r->term != r->prev_hs.term ||
			 r->vote != r->prev_hs.vote;
	if (r->unstable < raft_log_first(r))
		r->unstable = raft_log_first(r);
	if (r->unstable <= raft_log_last(r)) {
		rd->entries = raft_log_entry(r, r->unstable);
		rd->n_entries = (u32)(raft_log_last(r) - r->unstable + 1);
		/* handed out: raft_persisted may arrive before raft_advance */
		r->unstable = raft_log_last(r) + 1;
	}
	materialize_appends(r);
	rd->msgs = r->omsgs;
	rd->n_msgs = r->n_omsgs;
	lim = apply_limit(r);
	/* the host installs a snapshot before applying what follows it */
	if (lim > r->applied && !r->snap_installed) {
		rd->committed = raft_log_entry(r, r->applied + 1);
		rd->n_committed = (u32)min_u64(lim - r->applied, 0x100000);
	}
	rd->reads = r->oreads;
	rd->n_reads = r->n_oreads;
	rd->snap_sends = r->oss;
	rd->n_snap_sends = r->n_oss;
	if (r->recv.q_n && !r->recv.q_out) {
		/* one chunk at a time, each handed out once */
		rd->has_snap_install = true;
		rd->snap_install = r->recv.q[r->recv.q_head].in;
		r->recv.q_out = true;
	}
	rd->snap_installed = r->snap_installed;
	rd->snap = r->installed;
	rd->soft_changed = r->soft_changed;
	r->rd_out = true;
	return 0;
}

void raft_advance(struct raft *r, const struct raft_ready *rd)
{
	if (rd->hs_changed) {
		r->prev_hs.term = rd->hs.term;
		r->prev_hs.vote = rd->hs.vote;
	}
	r->prev_hs.commit = rd->hs.commit;
	raft_free_snap_data(r->omsgs, r->n_omsgs);
	r->n_omsgs = 0;
	r->n_oreads = 0;
	r->n_oss = 0;
	if (rd->n_committed) {
		u64 a = rd->committed[rd->n_committed - 1].index;

		if (a > r->applied)
			r->applied = a;
	}
	if (rd->snap_installed)
		r->snap_installed = false;
	if (rd->soft_changed)
		r->soft_changed = false;
	r->rd_out = false;
	if (r->done_pending) {
		r->done_pending = false;
		raft_snapshot_chunk_done(r, r->done_args[0], r->done_args[1],
					 r->done_args[2], r->done_last);
	}
	if (r->compact_pending) {
		u64 c = r->compact_pending;

		r->compact_pending = 0;
		raft_compact(r, c);
	}
}
