// SPDX-License-Identifier: GPL-2.0
/*
 * rraft_diskfail.c - the policy for a failed backing disk, in one place.
 *
 * An I/O error of the backing device (a log append or flush, a hard state
 * or checkpoint write, a data-area write at apply, a data-area read for a
 * user or a peer) detaches the disk: rraft_dev_disk_failed() is the one
 * entry point.  From then on the node persists nothing, so it must not
 * vote or acknowledge: the loop feeds its core no more messages or ticks
 * (a follower falls silent at once; the others count it as down), every
 * request on the node fails with EIO, and disk_state reads "Failed" (a
 * uevent says so).  A leader first hands over, within an election
 * timeout: it asks the most caught-up voter to take over
 * (raft_transfer_leader: catch-up, then TimeoutNow), taking only the
 * answers of its own term and sending what its core produces without
 * persisting anything; then it steps down (raft_step_down) and falls
 * silent too.  If nobody can take over, the others elect a leader after
 * their election timeout.  Its log and data area are not trusted again:
 * the admin replaces the disk, formats it and lets the node rejoin.  See
 * Documentation/design/kernel-glue.rst, "Disk failure".
 */
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include "rraft.h"

#define RR_HANDOVER_NS	((u64)RRAFT_ELECTION_TICKS * RRAFT_TICK_MS * NSEC_PER_MSEC)

/* The one entry point of the failure policy; dev->lock held. */
void rraft_dev_disk_failed(struct rraft_dev *dev, const char *what, int err)
{
	unsigned long flags;

	if (dev->failed)
		return;
	rr_dev_err(dev, "disk failed: %s (%d): detached (disk_state Failed): no votes, no acknowledgements, I/O here fails with EIO; replace the disk, format it and rejoin",
		   what, err);
	spin_lock_irqsave(&dev->in_lock, flags);
	dev->failed = true;
	spin_unlock_irqrestore(&dev->in_lock, flags);
	dev->handover_pending = true;
	rraft_blk_fail_all(dev);
	rraft_kick(dev);
}

/* A read of the data area failed (bio completion, any context). */
void rraft_dev_read_failed(struct rraft_dev *dev, int err)
{
	WRITE_ONCE(dev->read_err, err);
	rraft_kick(dev);
}

/* The voter (not us) whose log matches ours furthest, or RAFT_NONE. */
static u32 rr_most_caught_up(struct rraft_dev *dev)
{
	struct raft_status *st = kmalloc(sizeof(*st), GFP_NOIO);
	u32 best = RAFT_NONE, i, k;
	u64 match = 0;

	if (!st)
		return RAFT_NONE;
	raft_get_status(dev->raft, st);
	for (i = 0; i < st->n_peers; i++) {
		const struct raft_peer_status *p = &st->peers[i];

		if (p->id == st->id || p->is_learner)
			continue;
		for (k = 0; k < st->conf.n_voters; k++)
			if (st->conf.voters[k] == p->id)
				break;
		if (k == st->conf.n_voters)
			continue;
		if (best == RAFT_NONE || p->match > match) {
			best = p->id;
			match = p->match;
		}
	}
	kfree(st);
	return best;
}

/*
 * Hand out what the core produced: its messages only (nothing is
 * persisted, applied or served).  A ready that changes the term or vote
 * is not sent (it could not be made durable).  Returns true when a
 * TimeoutNow went out or the ready could not be sent: the handover ends.
 */
static bool rr_handover_send(struct rraft_dev *dev)
{
	struct raft *r = dev->raft;
	struct raft_ready rd;
	bool done = false;
	u32 i, k;

	for (k = 0; k < 32 && raft_has_ready(r); k++) {
		if (raft_ready(r, &rd))
			break;
		if (rd.hs_changed)
			done = true;
		for (i = 0; !rd.hs_changed && i < rd.n_msgs; i++) {
			if (dev->net)
				rraft_net_send(dev->net, &rd.msgs[i]);
			if (rd.msgs[i].type == RAFT_MSG_TIMEOUT_NOW)
				done = true;
		}
		raft_advance(r, &rd);
	}
	return done;
}

static void rr_handover_start(struct rraft_dev *dev, u64 now)
{
	u32 to;
	int err;

	if (raft_role(dev->raft) != RAFT_LEADER)
		return;
	to = rr_most_caught_up(dev);
	err = to == RAFT_NONE ? -ENOENT : raft_transfer_leader(dev->raft, to);
	if (err) {
		rr_dev_warn(dev, "disk failed: no handover (%d): stepping down", err);
		return;
	}
	rr_dev_info(dev, "disk failed: handing leadership over to node %u", to);
	dev->handover_until = now + RR_HANDOVER_NS;
}

/*
 * Messages the core of a failed node may still take: a handing-over
 * leader's answers of its own term (progress of its followers).
 */
bool rraft_diskfail_may_step(struct rraft_dev *dev, const struct raft_msg *m)
{
	return dev->handover_until && m->term == raft_term(dev->raft) &&
	       (m->type == RAFT_MSG_APPEND_RESP ||
		m->type == RAFT_MSG_HEARTBEAT_RESP);
}

/* May the core of a failed node be ticked (a handover in progress)? */
bool rraft_diskfail_may_tick(struct rraft_dev *dev)
{
	return dev->handover_until;
}

/* The loop's pass on a failed node; dev->lock held. */
void rraft_diskfail_pass(struct rraft_dev *dev)
{
	struct raft *r = dev->raft;
	u64 now = ktime_get_boottime_ns();
	bool done = true;

	rraft_blk_fail_all(dev);
	if (dev->handover_pending) {
		dev->handover_pending = false;
		rr_handover_start(dev, now);
	}
	if (dev->handover_until)
		done = rr_handover_send(dev) || now >= dev->handover_until;
	if (done)
		dev->handover_until = 0;
	if (done && raft_role(r) == RAFT_LEADER) {
		raft_step_down(r);
		rr_handover_send(dev);	/* nothing to send: consumes the ready */
		rr_dev_info(dev, "disk failed: stepped down in term %llu",
			    raft_term(r));
	}
	rraft_events_check(dev);
}
