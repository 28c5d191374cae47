// SPDX-License-Identifier: GPL-2.0
/*
 * rtc_host.c - one ready of the Raft core's host contract, for every test
 * host.  See rtc_host.h.
 */
#include "rtc_host.h"

static void rtc_host_fail(const struct rtc_host *x, const char *what, u64 a,
			  u64 b)
{
	if (x->ops->fail)
		x->ops->fail(x->h, what, a, b);
}

/* 1. Hard state: durable before any message of this ready goes out. */
static void rtc_host_hs(const struct rtc_host *x, const struct raft_ready *rd)
{
	struct raft_hard_state *hs = x->hs;

	if (rd->hs_changed) {
		if (rd->hs.term < hs->term)
			rtc_host_fail(x, "term goes back (from, to)", hs->term,
				      rd->hs.term);
		if (rd->hs.term == hs->term && hs->vote &&
		    rd->hs.vote != hs->vote)
			rtc_host_fail(x, "vote changed within a term (from, to)",
				      hs->vote, rd->hs.vote);
		*hs = rd->hs;
	}
	if (x->ops->hard_state)
		x->ops->hard_state(x->h, rd);
}

/* 3. Nothing of a term, and no vote grant, that is not durable. */
static void rtc_host_send(const struct rtc_host *x, const struct raft_msg *m)
{
	const struct raft_hard_state *hs = x->hs;

	if (m->term > hs->term && m->type != RAFT_MSG_PREVOTE &&
	    m->type != RAFT_MSG_PREVOTE_RESP)
		rtc_host_fail(x, "sends a term not durable (term, durable)",
			      m->term, hs->term);
	if (m->type == RAFT_MSG_VOTE_RESP && !(m->flags & RAFT_MSGF_REJECT) &&
	    (hs->vote != m->to || hs->term != m->term))
		rtc_host_fail(x, "grants a vote not durable (to, term)", m->to,
			      m->term);
	if (m->from != x->id) {
		rtc_host_fail(x, "message from another node (from, type)",
			      m->from, m->type);
		return;
	}
	if (x->ops->send)
		x->ops->send(x->h, m);
}

/* 4-6: apply, reads, snapshot sends, a chunk to install (true: durable). */
static bool rtc_host_outputs(const struct rtc_host *x,
			     const struct raft_ready *rd)
{
	const struct rtc_host_ops *ops = x->ops;
	u32 i;

	for (i = 0; i < rd->n_committed && ops->apply; i++)
		ops->apply(x->h, &rd->committed[i]);
	for (i = 0; i < rd->n_reads && ops->read; i++)
		ops->read(x->h, &rd->reads[i]);
	for (i = 0; i < rd->n_snap_sends && ops->snap_send; i++)
		ops->snap_send(x->h, &rd->snap_sends[i]);
	return rd->has_snap_install && ops->snap_chunk &&
	       ops->snap_chunk(x->h, &rd->snap_install);
}

int rtc_host_ready(const struct rtc_host *x)
{
	const struct rtc_host_ops *ops = x->ops;
	struct raft_snap_install in;
	struct raft_snap_meta snap;
	bool durable = false, chunk_done, installed;
	u64 plast = 0, pterm = 0;
	struct raft_ready rd;
	u32 i;
	int err;

	err = raft_ready(x->r, &rd);
	if (err)
		return err;
	rtc_host_hs(x, &rd);
	if (rd.n_entries) {
		plast = rd.entries[rd.n_entries - 1].index;
		pterm = rd.entries[rd.n_entries - 1].term;
		durable = ops->entries && ops->entries(x->h, rd.entries,
						       rd.n_entries);
	}
	for (i = 0; i < rd.n_msgs; i++)
		rtc_host_send(x, &rd.msgs[i]);
	chunk_done = rtc_host_outputs(x, &rd);
	in = rd.snap_install;
	installed = rd.snap_installed;
	snap = rd.snap;
	if (installed && ops->snap_installed)
		ops->snap_installed(x->h, &snap);
	raft_advance(x->r, &rd);
	if (durable)
		raft_persisted(x->r, plast, pterm);
	if (chunk_done)
		raft_snapshot_chunk_done(x->r, in.meta.index, in.offset,
					 in.next_offset, in.last);
	if (ops->advanced)
		ops->advanced(x->h, installed, &snap);
	return 0;
}
