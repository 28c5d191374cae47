// SPDX-License-Identifier: GPL-2.0
/*
 * raft_progress.c - a leader's view of its peers: per-peer progress in
 * stable slots (probe, replicate with inflights, snapshot), quorum and the
 * commit rule, sending appends and heartbeats, the leader side of append
 * and heartbeat responses, and reads confirmed by a quorum (ReadIndex and
 * the leader lease).  Invariants: struct raft_progress in raft_int.h.
 */
#include "raft_int.h"

/* The progress of member id, NULL if id is not a member. */
struct raft_progress *raft_prog_get(struct raft *r, u32 id)
{
	u32 i;

	if (id == RAFT_NONE)
		return NULL;
	for (i = 0; i < RAFT_MAX_PRS; i++)
		if (r->prs[i].id == id)
			return &r->prs[i];
	return NULL;
}

void raft_prog_reset(struct raft *r, struct raft_progress *pr)
{
	u32 id = pr->id;
	bool learner = pr->is_learner;

	memset(pr, 0, sizeof(*pr));
	pr->id = id;
	pr->is_learner = learner;
	pr->state = PROG_PROBE;
	pr->next = raft_log_last(r) + 1;
	if (id == r->id)
		pr->match = r->persisted;
}

static void prog_add(struct raft *r, u32 id, bool learner)
{
	struct raft_progress *pr = raft_prog_get(r, id);

	if (pr) {
		pr->is_learner = learner;
		return;
	}
	/* the first free slot (a configuration has at most RAFT_MAX_PRS) */
	for (pr = r->prs; pr < r->prs + RAFT_MAX_PRS; pr++)
		if (pr->id == RAFT_NONE)
			break;
	if (pr == r->prs + RAFT_MAX_PRS)
		return;
	r->n_prs++;
	pr->id = id;
	pr->is_learner = learner;
	raft_prog_reset(r, pr);
}

/*
 * Rebuild the progress set from r->conf: free the slots of members that
 * left (the others never move), give new members a free slot.
 */
void raft_prog_sync(struct raft *r)
{
	const struct raft_conf *c = &r->conf;
	u32 i;

	for (i = 0; i < RAFT_MAX_PRS; i++) {
		struct raft_progress *pr = &r->prs[i];

		if (pr->id == RAFT_NONE || raft_conf_is_member(c, pr->id))
			continue;
		if (r->transferee == pr->id)
			r->transferee = RAFT_NONE;
		memset(pr, 0, sizeof(*pr));
		r->n_prs--;
	}
	for (i = 0; i < c->n_voters; i++)
		prog_add(r, c->voters[i], false);
	for (i = 0; i < c->n_voters_old; i++)
		prog_add(r, c->voters_old[i], false);
	for (i = 0; i < c->n_learners; i++)
		if (!raft_conf_is_voter(c, c->learners[i]))
			prog_add(r, c->learners[i], true);
	r->soft_changed = true;
}

static u64 match_of(const struct raft *r, u32 id)
{
	const struct raft_progress *pr;

	if (id == r->id)
		return r->persisted;
	pr = raft_prog_get((struct raft *)r, id);
	return pr ? pr->match : 0;
}

static u64 quorum_index_set(const struct raft *r, const u32 *ids, u32 n)
{
	u64 v[RAFT_MAX_MEMBERS];
	u32 i, j;

	if (n == 0)
		return RAFT_U64_MAX;
	for (i = 0; i < n; i++) {
		u64 x = match_of(r, ids[i]);

		/* insertion sort, descending */
		for (j = i; j > 0 && v[j - 1] < x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	return v[n / 2];
}

static u64 quorum_index(const struct raft *r)
{
	return min_u64(quorum_index_set(r, r->conf.voters, r->conf.n_voters),
		       quorum_index_set(r, r->conf.voters_old,
					r->conf.n_voters_old));
}

/* Does a quorum (joint: of both sets) satisfy pred? */
typedef bool (*raft_pred)(const struct raft *r, u32 id, u64 arg);

static bool quorum_set(const struct raft *r, const u32 *ids, u32 n,
		       raft_pred pred, u64 arg)
{
	u32 i, c = 0;

	if (n == 0)
		return true;
	for (i = 0; i < n; i++)
		if (pred(r, ids[i], arg))
			c++;
	return c >= n / 2 + 1;
}

static bool quorum(const struct raft *r, raft_pred pred, u64 arg)
{
	if (r->conf.n_voters == 0)
		return false;
	return quorum_set(r, r->conf.voters, r->conf.n_voters, pred, arg) &&
	       quorum_set(r, r->conf.voters_old, r->conf.n_voters_old, pred,
			  arg);
}

static bool pred_active(const struct raft *r, u32 id, u64 arg)
{
	const struct raft_progress *pr;

	(void)arg;
	if (id == r->id)
		return true;
	pr = raft_prog_get((struct raft *)r, id);
	return pr && pr->recent_active;
}

/* check-quorum: has a quorum been heard from in this election timeout? */
bool raft_prog_quorum_active(const struct raft *r)
{
	return quorum(r, pred_active, 0);
}

static bool pred_seq(const struct raft *r, u32 id, u64 seq)
{
	const struct raft_progress *pr;

	if (id == r->id)
		return true;
	pr = raft_prog_get((struct raft *)r, id);
	return pr && pr->acked_seq >= seq;
}

static bool pred_lease(const struct raft *r, u32 id, u64 arg)
{
	const struct raft_progress *pr;
	u64 s;

	if (id == r->id)
		return true;
	pr = raft_prog_get((struct raft *)r, id);
	if (!pr || !pr->acked_seq)
		return false;
	s = pr->acked_seq;
	if (r->seq_id[s % RAFT_SEQ_RING] != s)
		return false;
	return r->seq_tick[s % RAFT_SEQ_RING] + arg > r->now;
}

static bool infl_full(const struct raft *r, const struct raft_progress *pr)
{
	return pr->infl_count >= r->cfg.max_inflight;
}

static void infl_add(struct raft_progress *pr, u64 last, u64 now)
{
	u32 k = (pr->infl_head + pr->infl_count) % RAFT_INFL_MAX;

	pr->infl[k] = last;
	pr->infl_at[k] = now;
	pr->infl_count++;
}

static void infl_free_to(struct raft_progress *pr, u64 index)
{
	while (pr->infl_count && pr->infl[pr->infl_head] <= index) {
		pr->infl_head = (pr->infl_head + 1) % RAFT_INFL_MAX;
		pr->infl_count--;
	}
}

void raft_prog_probe(struct raft *r, struct raft_progress *pr)
{
	pr->state = PROG_PROBE;
	pr->probe_sent = false;
	pr->infl_count = 0;
	pr->infl_head = 0;
	pr->snap.req_out = false;
	pr->snap.inflight = 0;
	pr->next = max_u64(pr->match + 1, min_u64(pr->next, raft_log_last(r) + 1));
}

static void prog_replicate(struct raft_progress *pr)
{
	pr->state = PROG_REPLICATE;
	pr->probe_sent = false;
	pr->infl_count = 0;
	pr->infl_head = 0;
	pr->next = pr->match + 1;
}

void raft_send_append(struct raft *r, struct raft_progress *pr)
{
	u32 rounds;

	if (pr->id == r->id)
		return;
	for (rounds = 0; rounds <= r->cfg.max_inflight; rounds++) {
		u64 prev, prev_term, i, bytes = 0, last = raft_log_last(r);
		struct raft_msg *m;
		u32 cnt = 0;

		if (pr->state == PROG_SNAPSHOT)
			return;
		if (pr->state == PROG_PROBE && pr->probe_sent)
			return;
		if (pr->state == PROG_REPLICATE &&
		    (infl_full(r, pr) || pr->next > last))
			return;
		if (pr->next > last + 1)
			pr->next = last + 1;
		prev = pr->next - 1;
		if (prev < r->snap.index) {
			raft_prog_snapshot(r, pr);
			return;
		}
		prev_term = raft_log_term(r, prev);
		for (i = pr->next; i <= last && cnt < r->cfg.max_append_entries;
		     i++) {
			const struct raft_entry *e = raft_log_entry(r, i);

			if (cnt && bytes + e->len > r->cfg.max_append_bytes)
				break;
			bytes += e->len;
			cnt++;
		}
		m = raft_new_msg(r, RAFT_MSG_APPEND, pr->id);
		if (!m)
			return;
		m->index = prev;
		m->log_term = prev_term;
		m->commit = r->commit;
		m->n_entries = cnt;
		/* materialized in raft_ready; remember the last term to validate */
		m->hint_term = cnt ? raft_log_entry(r, prev + cnt)->term : 0;
		if (pr->state != PROG_REPLICATE) {
			pr->probe_sent = true;	/* one probe at a time */
			return;
		}
		/* replicate: next > last returned above, so cnt >= 1 */
		infl_add(pr, prev + cnt, r->now);
		pr->next = prev + cnt + 1;
	}
}

void raft_bcast_append(struct raft *r)
{
	u32 i;

	for (i = 0; i < RAFT_MAX_PRS; i++)
		if (r->prs[i].id != RAFT_NONE)
			raft_send_append(r, &r->prs[i]);
}

void raft_bcast_heartbeat(struct raft *r, u64 seq)
{
	u32 i;

	for (i = 0; i < RAFT_MAX_PRS; i++) {
		struct raft_progress *pr = &r->prs[i];
		struct raft_msg *m;

		if (pr->id == RAFT_NONE || pr->id == r->id)
			continue;
		m = raft_new_msg(r, RAFT_MSG_HEARTBEAT, pr->id);
		if (!m)
			return;
		m->commit = min_u64(r->commit, pr->match);
		m->ctx = seq;
	}
}

void raft_maybe_commit(struct raft *r)
{
	u64 q;

	if (r->role != RAFT_LEADER)
		return;
	q = quorum_index(r);
	if (q == RAFT_U64_MAX || q <= r->commit)
		return;
	q = min_u64(q, raft_log_last(r));
	/* Figure 8: only an entry of the current term commits by counting */
	if (raft_log_term(r, q) != r->term)
		return;
	while (r->commit < q)
		r->unc_bytes -= raft_log_entry(r, ++r->commit)->len;
	raft_after_commit(r);
}

/* The peer rejected an append: back up next with its hints, probe. */
static void handle_append_reject(struct raft *r, struct raft_progress *pr,
				 const struct raft_msg *m)
{
	u64 next;

	if (pr->state == PROG_SNAPSHOT)
		return;
	if (m->hint_term == 0 && m->hint_len &&
	    m->hint_len <= pr->match && m->index >= pr->match) {
		/*
		 * A reject of an append sent after it acknowledged match
		 * (prev >= match), saying its log ends before match: it lost
		 * acknowledged entries (a broken write cache, etcd #10166).
		 * Repair it; commit never goes back.  Older rejects
		 * (prev < match) are stale.
		 */
		pr->match = m->hint_len - 1;
	} else if (m->index <= pr->match) {
		return;	/* stale */
	} else if (pr->state == PROG_PROBE && m->index != pr->next - 1) {
		return;	/* stale: not the probe outstanding */
	}
	if (m->hint_term == 0) {
		next = m->hint_len;	/* follower's log too short */
	} else {
		/* after our last entry of XTerm, if we have that term */
		next = raft_log_find_conflict_by_term(r, m->index, m->hint_term);
		next = next ? next + 1 : m->hint_index;
	}
	if (next > m->index)
		next = m->index;
	if (next < pr->match + 1)
		next = pr->match + 1;
	raft_prog_probe(r, pr);
	pr->next = next;
	raft_send_append(r, pr);
}

void raft_handle_append_resp(struct raft *r, struct raft_progress *pr,
			     const struct raft_msg *m)
{
	bool updated = false;

	pr->recent_active = true;
	pr->applied = m->applied;
	raft_note_inconsistent(pr, m);
	if (m->flags & RAFT_MSGF_REJECT) {
		handle_append_reject(r, pr, m);
		return;
	}
	if (m->flags & RAFT_MSGF_INCONSISTENT) {
		/* its state machine is mid-install: finish that first */
		if (m->index > pr->match)
			pr->match = m->index;
		if (pr->state != PROG_SNAPSHOT)
			raft_prog_snapshot(r, pr);
		return;
	}
	if (m->index > pr->match) {
		pr->match = m->index;
		if (pr->next < pr->match + 1)
			pr->next = pr->match + 1;
		infl_free_to(pr, m->index);
		updated = true;
	}
	if (pr->state == PROG_PROBE && (updated || m->index + 1 >= pr->next)) {
		/* answers the outstanding probe: the logs agree up to match */
		prog_replicate(pr);
	} else if (pr->state == PROG_SNAPSHOT && pr->match >= pr->snap.meta.index) {
		raft_prog_probe(r, pr);
		pr->next = pr->match + 1;
	} else if (!updated) {
		return;	/* an older or partial answer: nothing new to do */
	}
	if (updated) {
		raft_maybe_commit(r);
		/* a committed C_new may have removed the peer (freed its slot) */
		if (r->role != RAFT_LEADER || pr->id != m->from)
			return;
		raft_maybe_send_timeout_now(r, pr);
	}
	raft_send_append(r, pr);
}

void raft_handle_heartbeat_resp(struct raft *r, struct raft_progress *pr,
				const struct raft_msg *m)
{
	pr->recent_active = true;
	pr->applied = m->applied;
	raft_note_inconsistent(pr, m);
	if (m->ctx <= r->seq && m->ctx > pr->acked_seq)
		pr->acked_seq = m->ctx;
	if (pr->state == PROG_SNAPSHOT && pr->match >= pr->snap.meta.index &&
	    !(m->flags & RAFT_MSGF_INCONSISTENT)) {
		raft_prog_probe(r, pr);
		pr->next = pr->match + 1;
		raft_send_append(r, pr);
	} else if (pr->state == PROG_SNAPSHOT) {
		/*
		 * No progress: start again from where the follower says it
		 * is, with our current checkpoint unless we continue its own
		 * transfer (a stream of an older checkpoint may have become
		 * useless: below what the follower applied).
		 */
		if (++pr->snap.stall >= RAFT_SNAP_STALL && !pr->snap.req_out)
			raft_prog_snapshot(r, pr);
	} else if ((m->flags & RAFT_MSGF_INCONSISTENT)) {
		raft_prog_snapshot(r, pr);
	} else {
		if (pr->state == PROG_PROBE) {
			pr->probe_sent = false;
		} else if (pr->infl_count &&
			   r->now - pr->infl_at[pr->infl_head] >=
			   r->cfg.append_timeout_ticks) {
			/*
			 * The oldest append in flight is overdue: lost (the
			 * peer answers heartbeats).  Appends merely queued
			 * behind others are younger and not resent.
			 */
			raft_prog_probe(r, pr);
		}
		if (pr->match < raft_log_last(r) || pr->state == PROG_PROBE)
			raft_send_append(r, pr);
	}
	raft_reads_poll(r);
}

/* ReadIndex and lease reads: confirmed by a quorum of heartbeat acks. */

bool raft_committed_in_term(const struct raft *r)
{
	return r->role == RAFT_LEADER && r->commit >= r->noop_index;
}

static int push_read(struct raft *r, u64 ctx, u64 index)
{
	if (raft_grow((void **)&r->reads, &r->cap_reads, r->n_reads + 1,
		      sizeof(*r->reads)))
		return -ENOMEM;
	r->reads[r->n_reads].ctx = ctx;
	r->reads[r->n_reads].index = index;
	r->n_reads++;
	return 0;
}

void raft_reads_poll(struct raft *r)
{
	u32 i, k = 0;

	if (!raft_committed_in_term(r))
		return;
	for (i = 0; i < r->n_pend; i++) {
		struct raft_read_pend *p = &r->pend[i];

		if (quorum(r, pred_seq, p->seq) &&
		    push_read(r, p->ctx, max_u64(p->index, r->noop_index)) == 0)
			continue;
		r->pend[k++] = *p;
	}
	r->n_pend = k;
}

u64 raft_next_seq(struct raft *r)
{
	if (!r->seq_queued) {
		r->seq++;
		r->seq_id[r->seq % RAFT_SEQ_RING] = r->seq;
		r->seq_tick[r->seq % RAFT_SEQ_RING] = r->now;
		r->seq_queued = true;
		raft_bcast_heartbeat(r, r->seq);
	}
	return r->seq;
}

int raft_read_index(struct raft *r, u64 ctx)
{
	int err;

	if (r->inconsistent)
		return -EAGAIN;
	if (r->role != RAFT_LEADER)
		return -EPERM;
	err = raft_grow((void **)&r->reads, &r->cap_reads,
			r->n_reads + r->n_pend + 1, sizeof(*r->reads));
	if (err)
		return err;
	if (raft_committed_in_term(r) && r->cfg.check_quorum && !r->lease_off &&
	    r->transferee == RAFT_NONE && r->cfg.lease_drift_ticks > 0 &&
	    r->cfg.lease_drift_ticks < r->cfg.election_ticks &&
	    quorum(r, pred_lease,
		   r->cfg.election_ticks - r->cfg.lease_drift_ticks)) {
		push_read(r, ctx, r->commit);
		return 0;
	}
	if (quorum(r, pred_seq, RAFT_U64_MAX) && raft_committed_in_term(r)) {
		/* we alone are a quorum */
		push_read(r, ctx, r->commit);
		return 0;
	}
	err = raft_grow((void **)&r->pend, &r->cap_pend, r->n_pend + 1,
			sizeof(*r->pend));
	if (!err)
		err = raft_reserve_out(r);
	if (err)
		return err;
	r->pend[r->n_pend].ctx = ctx;
	r->pend[r->n_pend].index = r->commit;
	r->pend[r->n_pend].seq = raft_next_seq(r);
	r->n_pend++;
	return 0;
}
