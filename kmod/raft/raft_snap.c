// SPDX-License-Identifier: GPL-2.0
/*
 * raft_snap.c - snapshots: the leader streams its checkpoint (or continues
 * a follower's unfinished transfer) chunk by chunk through the host
 * (raft_snap_send / raft_snapshot_chunk); the follower queues chunks for
 * its host (raft_snap_install / raft_snapshot_chunk_done) and installs the
 * snapshot after the last one; raft_compact drops the log up to a
 * checkpoint.  See "Snapshots" in Documentation/design/raft-core.rst.
 */
#include "raft_int.h"

/* data of an empty chunk (never NULL in a raft_snap_install) */
static const u8 raft_empty[1];

static void snap_request(struct raft *r, struct raft_progress *pr, u64 offset)
{
	struct raft_snap_send *s;

	if (r->n_ss >= r->cap_ss)
		return;	/* ENOMEM earlier: the stall timer asks again */
	s = &r->ss[r->n_ss++];
	s->to = pr->id;
	s->meta = pr->snap.meta;
	s->offset = offset;
	s->base_applied = pr->snap.base;
	pr->snap.req_offset = offset;
	pr->snap.req_out = true;
}

/*
 * May the transfer a follower is in the middle of (meta s, computed against
 * its base applied index) go on from here, although s is not our
 * checkpoint?  Our host reads its live state machine, which is at or past s
 * once we applied s; s was a checkpoint of committed state, so our log
 * agrees with it wherever we still have that index.
 */
static bool can_resume(const struct raft *r, const struct raft_progress *pr,
		       const struct raft_snap_meta *s, u64 base)
{
	if (pr->snap.no_resume || !s->index || base > s->index)
		return false;
	if (s->index > r->applied || s->index > r->commit)
		return false;
	return s->index < r->snap.index || raft_log_term(r, s->index) == s->term;
}

/* (Re)start the transfer in pr->snap.meta at offset off. */
static void snap_restart(struct raft *r, struct raft_progress *pr, u64 off)
{
	pr->snap.stall = 0;
	pr->snap.inflight = 0;
	pr->snap.sent_last = false;
	pr->snap.restarted = false;
	pr->snap.sent_next = off;
	snap_request(r, pr, off);
}

void raft_prog_snapshot(struct raft *r, struct raft_progress *pr)
{
	u64 off = 0;

	pr->state = PROG_SNAPSHOT;
	pr->probe_sent = false;
	pr->infl_count = 0;
	pr->snap.meta = r->snap;
	/*
	 * The follower's last reported applied index (for a follower that is
	 * mid-install: the base of that transfer).  Fixed for the transfer:
	 * every chunk of one stream is computed against the same base.
	 */
	pr->snap.base = pr->applied;
	if (pr->snap.resume_valid && pr->snap.resume_index == r->snap.index) {
		off = pr->snap.resume_offset;
	} else if (pr->snap.resume_valid && pr->snap.resume_offset &&
		   can_resume(r, pr, &pr->snap.resume_meta, pr->applied)) {
		/*
		 * Continue the follower's unfinished transfer, even of an
		 * older checkpoint: starting over would throw away what it
		 * has, and a leader that keeps checkpointing under writes
		 * would restart a long copy forever.  Once it is installed,
		 * an incremental transfer from its index tops it up.
		 */
		pr->snap.meta = pr->snap.resume_meta;
		off = pr->snap.resume_offset;
	}
	snap_restart(r, pr, off);
}

void raft_note_inconsistent(struct raft_progress *pr, const struct raft_msg *m)
{
	if (m->flags & RAFT_MSGF_INCONSISTENT) {
		pr->snap.resume_valid = true;
		pr->snap.resume_index = m->snap.index;
		pr->snap.resume_offset = m->offset;
		pr->snap.resume_meta = m->snap;
	} else {
		pr->snap.resume_valid = false;
	}
}

/*
 * The follower got a chunk of our transfer in the middle of another one
 * (a previous leader's, or ours before a checkpoint and a lost connection):
 * continue that one if we can.  Several chunks in flight bring the same
 * offer: the first one moves the stream, the others match it.
 */
static void handle_resume_offer(struct raft *r, struct raft_progress *pr,
				const struct raft_msg *m)
{
	if (pr->snap.meta.index == m->snap.index && pr->snap.meta.term == m->snap.term &&
	    pr->snap.base == m->applied)
		return;	/* already continuing it (or the offer is stale) */
	if (can_resume(r, pr, &m->snap, m->applied)) {
		pr->snap.meta = m->snap;
		pr->snap.base = m->applied;
		snap_restart(r, pr, m->offset);
		return;
	}
	if (m->snap.index > r->applied || m->snap.index > r->commit)
		return;	/* not applied that far yet: the offer comes again */
	/* we cannot serve it: start over, telling the follower not to offer */
	if (!pr->snap.no_resume) {
		pr->snap.no_resume = true;
		snap_restart(r, pr, 0);
	}
}

void raft_handle_snapshot_resp(struct raft *r, struct raft_progress *pr,
			       const struct raft_msg *m)
{
	pr->recent_active = true;
	pr->applied = m->applied;
	if ((m->flags & RAFT_MSGF_LAST) && !(m->flags & RAFT_MSGF_REJECT)) {
		/* installed durably */
		pr->snap.resume_valid = false;
		pr->snap.no_resume = false;
		if (m->snap.index > pr->match)
			pr->match = m->snap.index;
		if (pr->state == PROG_SNAPSHOT) {
			raft_prog_probe(r, pr);
			pr->next = pr->match + 1;
		}
		raft_maybe_commit(r);
		/* a committed C_new may have removed the peer (freed its slot) */
		if (r->role != RAFT_LEADER || pr->id != m->from)
			return;
		raft_send_append(r, pr);
		return;
	}
	pr->snap.resume_valid = true;
	pr->snap.resume_index = m->snap.index;
	pr->snap.resume_offset = m->offset;
	pr->snap.resume_meta = m->snap;
	if (pr->state == PROG_SNAPSHOT && (m->flags & RAFT_MSGF_RESUME)) {
		handle_resume_offer(r, pr, m);
		return;
	}
	if (pr->state != PROG_SNAPSHOT || m->snap.index != pr->snap.meta.index)
		return;
	pr->snap.stall = 0;
	if (m->flags & RAFT_MSGF_REJECT) {
		/* a restart is computed against what the follower has now */
		u64 base = m->offset == 0 ? m->applied : pr->snap.base;

		/*
		 * Every chunk in flight is rejected the same way: restart
		 * once per position, not once per reject (a storm); if the
		 * restarted chunks are refused too, the stall timer retries.
		 */
		if (pr->snap.restarted && pr->snap.restart_off == m->offset &&
		    pr->snap.base == base)
			return;
		pr->snap.base = base;
		snap_restart(r, pr, m->offset);
		pr->snap.restarted = true;
		pr->snap.restart_off = m->offset;
		return;
	}
	pr->snap.restarted = false;
	if (pr->snap.inflight)
		pr->snap.inflight--;
	if (!pr->snap.req_out && !pr->snap.sent_last &&
	    pr->snap.inflight < RAFT_SNAP_WINDOW)
		snap_request(r, pr, pr->snap.sent_next);
}

void raft_iq_clear(struct raft *r)
{
	while (r->recv.q_n) {
		raft_free(r->recv.q[r->recv.q_head].buf);
		r->recv.q[r->recv.q_head].buf = NULL;
		r->recv.q_head = (r->recv.q_head + 1) % RAFT_INSTALL_Q;
		r->recv.q_n--;
	}
	r->recv.q_out = false;
}

static struct raft_msg *snap_resp(struct raft *r, u32 to, u64 index,
				  u64 offset, u32 flags)
{
	struct raft_msg *o = raft_new_msg(r, RAFT_MSG_SNAPSHOT_RESP, to);

	if (!o)
		return NULL;
	o->flags |= flags;
	if (!(o->flags & RAFT_MSGF_INCONSISTENT))
		o->snap = r->snap;
	o->snap.index = index;
	o->offset = offset;
	o->index = index;
	return o;
}

/*
 * May chunk m (of a transfer other than ours if !same) be queued?  If not,
 * answer what the leader should do instead.
 */
static bool snap_accept(struct raft *r, const struct raft_msg *m, bool same)
{
	u64 have;

	/*
	 * What our data area can serve as a base for: the applied state; in
	 * the middle of an install, the base of that install, as long as the
	 * new snapshot is not older than the one partly written (its blocks
	 * changed after the new snapshot would stay): else a full copy (0).
	 */
	have = r->applied;
	if (r->inconsistent)
		have = m->snap.index >= r->recv.meta.index ? r->recv.base : 0;
	if (!same && r->recv.active && r->recv.next &&
	    !(m->flags & RAFT_MSGF_FRESH)) {
		/*
		 * A chunk of another transfer while ours is unfinished: offer
		 * the leader to continue ours (snap, offset and applied of the
		 * reply describe it) instead of starting over.  A leader that
		 * cannot serve it says so with FRESH.
		 */
		struct raft_msg *o = snap_resp(r, m->from, r->recv.meta.index,
					       r->recv.next,
					       RAFT_MSGF_REJECT |
					       RAFT_MSGF_RESUME);

		if (o) {
			o->snap = r->recv.meta;
			o->applied = r->recv.base;
		}
		return false;
	}
	if (!same) {
		/*
		 * A new stream starts at offset 0, and its base (incremental
		 * copy) must not be above what our data area reflects (a
		 * leader with a stale view of our applied index, SIM-1): the
		 * reply carries our applied index for the restart.
		 */
		if (r->recv.q_n && r->recv.q_out)
			return false;	/* busy: the leader's stall timer retries */
		if (m->offset != 0 || m->applied > have) {
			struct raft_msg *o = snap_resp(r, m->from,
						       m->snap.index, 0,
						       RAFT_MSGF_REJECT);

			if (o)	/* the base to restart with */
				o->applied = have;
			return false;
		}
	} else if (r->recv.last) {
		return false;	/* complete: the install answers when durable */
	} else if (m->offset != r->recv.next) {
		snap_resp(r, m->from, m->snap.index, r->recv.next,
			  RAFT_MSGF_REJECT);
		return false;
	}
	if (r->recv.q_n >= RAFT_INSTALL_Q) {
		snap_resp(r, m->from, m->snap.index, r->recv.next,
			  RAFT_MSGF_REJECT);
		return false;
	}
	return true;
}

/* Queue chunk m (its payload copy buf) for the host; !same starts a transfer. */
static void snap_enqueue(struct raft *r, const struct raft_msg *m, u8 *buf,
			 bool same)
{
	struct raft_iq *q;

	if (!same) {
		raft_iq_clear(r);
		r->recv.base = m->applied;
		r->recv.active = true;
		r->recv.meta = m->snap;
		r->recv.next = 0;
		r->recv.done = 0;
		r->recv.last = false;
	}
	r->inconsistent = true;
	q = &r->recv.q[(r->recv.q_head + r->recv.q_n) % RAFT_INSTALL_Q];
	r->recv.q_n++;
	q->buf = buf;
	q->in.meta = m->snap;
	q->in.offset = m->offset;
	q->in.next_offset = m->ctx;
	q->in.len = m->len;
	q->in.data = buf ? buf : raft_empty;
	q->in.last = !!(m->flags & RAFT_MSGF_LAST);
	q->in.base_applied = r->recv.base;
	r->recv.next = m->ctx;
	if (m->flags & RAFT_MSGF_LAST)
		r->recv.last = true;
}

/* Follower: a SNAPSHOT message of the current leader. */
int raft_handle_snapshot(struct raft *r, const struct raft_msg *m)
{
	bool same;
	u8 *buf;
	int err;

	r->lead = m->from;
	r->election_elapsed = 0;
	if (!r->inconsistent && !r->recv.active && m->snap.index <= r->commit) {
		/* we already have everything this snapshot covers */
		r->ack_pending = max_u64(r->ack_pending,
					 min_u64(r->commit, raft_log_last(r)));
		raft_send_ack(r, m->from, true);
		return 0;
	}
	if (m->snap.index < r->applied) {
		/*
		 * Older than our state machine (checkpoint or what we had
		 * applied before an install started): installing it would
		 * move the state machine back and could drop entries we
		 * acknowledged.  Ignore it; the leader retries, with a newer
		 * snapshot once it compacted further.
		 */
		return 0;
	}
	same = r->recv.active && r->recv.meta.index == m->snap.index &&
	       r->recv.meta.term == m->snap.term && r->recv.base == m->applied;
	if (!snap_accept(r, m, same))
		return 0;
	buf = raft_dup_data(m->data, m->len, &err);
	if (err)
		return err;
	snap_enqueue(r, m, buf, same);
	return 0;
}

static void install_snapshot(struct raft *r)
{
	const struct raft_snap_meta s = r->recv.meta;

	/* keeps what follows s if our log continues it */
	raft_log_restore(r, &s);
	r->persisted = max_u64(s.index, min_u64(r->persisted, raft_log_last(r)));
	r->unstable = max_u64(r->unstable, s.index + 1);
	if (r->unstable > raft_log_last(r) + 1)
		r->unstable = raft_log_last(r) + 1;
	r->ack_pending = min_u64(r->ack_pending, raft_log_last(r));
	r->ack_sent = min_u64(r->ack_sent, raft_log_last(r));
	/* entries <= commit match the snapshot, so they were kept */
	r->commit = max_u64(s.index, r->commit);
	r->applied = s.index;
	r->inconsistent = false;
	r->recv.active = false;
	r->recv.last = false;
	raft_iq_clear(r);
	r->snap_installed = true;
	r->installed = s;
	raft_conf_recompute(r);
}

int raft_compact(struct raft *r, u64 index)
{
	if (index <= r->snap.index)
		return 0;
	if (index > r->applied || index > r->persisted || index > raft_log_last(r))
		return -EINVAL;
	if (r->rd_out) {
		/* a ready may point at these entries: done in raft_advance */
		r->compact_pending = max_u64(r->compact_pending, index);
		return 0;
	}
	raft_log_compact_to(r, index);
	if (r->conf_index <= index)
		r->conf_index = 0;
	return 0;
}

int raft_snapshot_chunk(struct raft *r, u32 to, u64 snap_index, u64 offset,
			const void *data, u32 len, u64 next_offset, bool last)
{
	struct raft_progress *pr;
	struct raft_msg *m;
	u8 *buf;
	int err;

	if (r->role != RAFT_LEADER)
		return -EPERM;
	pr = raft_prog_get(r, to);
	if (!pr || pr->state != PROG_SNAPSHOT || pr->snap.meta.index != snap_index ||
	    !pr->snap.req_out || pr->snap.req_offset != offset)
		return -EINVAL;
	if (len && !data)
		return -EINVAL;
	err = raft_reserve_out(r);
	if (err)
		return err;
	buf = raft_dup_data(data, len, &err);
	if (err)
		return err;
	m = raft_new_msg(r, RAFT_MSG_SNAPSHOT, to);
	if (!m) {
		raft_free(buf);
		return -ENOMEM;
	}
	m->snap = pr->snap.meta;
	m->offset = offset;
	m->ctx = next_offset;
	m->data = buf;
	m->len = len;
	m->applied = pr->snap.base;
	m->commit = r->commit;
	if (last)
		m->flags |= RAFT_MSGF_LAST;
	if (pr->snap.no_resume)
		m->flags |= RAFT_MSGF_FRESH;
	pr->snap.req_out = false;
	pr->snap.inflight++;
	pr->snap.sent_next = next_offset;
	pr->snap.sent_last = last;
	if (!last && pr->snap.inflight < RAFT_SNAP_WINDOW)
		snap_request(r, pr, next_offset);
	return 0;
}

void raft_snapshot_chunk_done(struct raft *r, u64 snap_index, u64 offset,
			      u64 next_offset, bool last)
{
	struct raft_iq *q;

	if (!r->recv.q_n || !r->recv.active)
		return;
	if (r->rd_out && last) {
		/* installing frees log entries a ready may point at */
		r->done_pending = true;
		r->done_args[0] = snap_index;
		r->done_args[1] = offset;
		r->done_args[2] = next_offset;
		r->done_last = last;
		return;
	}
	q = &r->recv.q[r->recv.q_head];
	if (q->in.meta.index != snap_index || q->in.offset != offset ||
	    q->in.next_offset != next_offset || r->recv.meta.index != snap_index)
		return;
	if (raft_reserve_out(r))
		return;	/* chunk stays queued: the host may call again */
	raft_free(q->buf);
	q->buf = NULL;
	r->recv.q_head = (r->recv.q_head + 1) % RAFT_INSTALL_Q;
	r->recv.q_n--;
	r->recv.q_out = false;
	r->recv.done = next_offset;
	if (last) {
		install_snapshot(r);
		if (r->lead != RAFT_NONE)
			snap_resp(r, r->lead, snap_index, next_offset,
				  RAFT_MSGF_LAST);
		return;
	}
	if (r->lead != RAFT_NONE)
		snap_resp(r, r->lead, snap_index, next_offset, 0);
}

/*
 * A leader's progress for peer `to` whose replication broke off (snapshot
 * given up, connection lost), with a snapshot stream abandoned: next falls
 * back to just after what the peer is known to hold.  NULL when we are not
 * leader or `to` is not a peer.
 */
static struct raft_progress *prog_broken(struct raft *r, u32 to)
{
	struct raft_progress *pr;

	if (r->role != RAFT_LEADER)
		return NULL;
	pr = raft_prog_get(r, to);
	if (!pr || pr->id == r->id)
		return NULL;
	if (pr->state == PROG_SNAPSHOT)
		pr->next = pr->match + 1;
	return pr;
}

void raft_snapshot_failed(struct raft *r, u32 to)
{
	struct raft_progress *pr = prog_broken(r, to);

	if (!pr)
		return;
	/* a follower's older transfer we took over: do not take it again */
	if (pr->state == PROG_SNAPSHOT && pr->snap.meta.index != r->snap.index)
		pr->snap.no_resume = true;
	raft_prog_probe(r, pr);
}

void raft_report_unreachable(struct raft *r, u32 to)
{
	struct raft_progress *pr = prog_broken(r, to);

	if (!pr)
		return;
	if (pr->state != PROG_PROBE)
		raft_prog_probe(r, pr);
	pr->probe_sent = false;
}
