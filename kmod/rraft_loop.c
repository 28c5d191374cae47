// SPDX-License-Identifier: GPL-2.0
/*
 * rraft_loop.c - the per-device event loop that drives the Raft core: its
 * inputs, one pass, the handling of each ready, apply and checkpoints.
 *
 * One ordered workqueue (WQ_MEM_RECLAIM) and one work item per device.
 * Inputs - requests from queue_rq, messages from the transport (stamped
 * with their arrival time), a 50 ms timer, peer-down reports - are queued
 * under dev->in_lock and the work is kicked.  The timer only kicks: the
 * core is fed the ticks that elapsed on the boottime clock (rr_clock_to).
 * The work takes dev->lock, feeds the inputs to the core and handles every
 * ready in the order raft.h prescribes.  See
 * Documentation/design/kernel-glue.rst.
 */
#include <linux/math64.h>
#include <linux/slab.h>
#include <linux/sched/mm.h>
#include <linux/timekeeping.h>
#include "rraft.h"

void rraft_kick(struct rraft_dev *dev)
{
	queue_work(dev->wq, &dev->work);
}

/* ---- inputs ---- */

static void rr_tick_fn(struct timer_list *t)
{
	struct rraft_dev *dev = from_timer(dev, t, tick_timer);

	rraft_kick(dev);
	mod_timer(&dev->tick_timer, jiffies + msecs_to_jiffies(RRAFT_TICK_MS));
}

static void rr_deliver(void *ctx, const struct raft_msg *m)
{
	struct rraft_dev *dev = ctx;
	struct rraft_inmsg *im;
	unsigned long flags;
	size_t bytes = sizeof(*im);
	u64 bad;
	u8 *p;
	u32 i;

	if (m->n_entries > 65536)
		return;
	/* validated before persisting: a bad entry would fail every replay */
	if (rraft_entries_check(m->entries, m->n_entries,
				rraft_store_data_bytes(&dev->store), &bad)) {
		pr_warn_ratelimited("rraft%u: append from %u: entry %llu is not a valid command, dropped\n",
				    dev->minor, m->from, bad);
		return;
	}
	bytes += (size_t)m->n_entries * sizeof(struct raft_entry) + m->len;
	for (i = 0; i < m->n_entries; i++)
		bytes += m->entries[i].len;
	if (READ_ONCE(dev->in_msg_bytes) + bytes > RRAFT_MAX_INMSG_BYTES)
		return;		/* Raft retransmits */
	im = kvmalloc(bytes, GFP_NOIO);
	if (!im)
		return;
	im->bytes = bytes;
	im->m = *m;
	p = (u8 *)(im + 1);
	if (m->n_entries) {
		im->m.entries = (struct raft_entry *)p;
		memcpy(p, m->entries, m->n_entries * sizeof(struct raft_entry));
		p += m->n_entries * sizeof(struct raft_entry);
		for (i = 0; i < m->n_entries; i++) {
			im->m.entries[i].data = NULL;
			if (!m->entries[i].len)
				continue;
			memcpy(p, m->entries[i].data, m->entries[i].len);
			im->m.entries[i].data = p;
			p += m->entries[i].len;
		}
	} else {
		im->m.entries = NULL;
	}
	im->m.data = NULL;
	if (m->len) {
		memcpy(p, m->data, m->len);
		im->m.data = p;
	}
	spin_lock_irqsave(&dev->in_lock, flags);
	if (dev->dying) {
		spin_unlock_irqrestore(&dev->in_lock, flags);
		kvfree(im);
		return;
	}
	im->at_ns = ktime_get_boottime_ns();
	list_add_tail(&im->node, &dev->in_msgs);
	dev->in_msg_bytes += bytes;
	spin_unlock_irqrestore(&dev->in_lock, flags);
	rraft_kick(dev);
}

static void rr_peer_state(void *ctx, u32 id, bool up)
{
	struct rraft_dev *dev = ctx;
	unsigned long flags;
	u32 i;

	spin_lock_irqsave(&dev->in_lock, flags);
	for (i = 0; i < dev->n_peers; i++) {
		if (dev->peers[i].id != id)
			continue;
		dev->peers[i].up = up;
		if (!up)
			dev->peers[i].down_reported = true;
	}
	spin_unlock_irqrestore(&dev->in_lock, flags);
	rraft_events_kick(dev);
	if (!up)
		rraft_kick(dev);
}

const struct rraft_net_ops rraft_loop_net_ops = {
	.deliver = rr_deliver,
	.peer_state = rr_peer_state,
};

/* ---- log appends ---- */

/*
 * Log appends that completed, oldest first: the core hears of the
 * contiguous durable prefix only (the last entry of the newest unit of
 * it: a later append that replaced entries is the log as it stands).
 * wait: until no append is in flight.  A failed append fails the disk.
 */
static int rr_persist_poll(struct rraft_dev *dev, bool wait)
{
	u64 index = 0, term = 0;
	int ret;

	do
		ret = rraft_store_append_retire(&dev->store, wait, &index,
						&term);
	while (ret > 0);
	if (index && !dev->failed)
		raft_persisted(dev->raft, index, term);
	if (ret < 0)
		rraft_dev_disk_failed(dev, "log append", ret);
	return ret;
}

/* ---- checkpoint ---- */

int rraft_checkpoint(struct rraft_dev *dev)
{
	struct rraft_store *s = &dev->store;
	struct rr_state nst;
	u64 a = dev->applied, head, head_seq;
	int err;

	if (dev->failed)
		return -EIO;
	if (a <= s->st.snap_index || dev->inconsistent)
		return 0;
	/*
	 * The new head may be the first record after applied: never one
	 * still in flight (a crash would lose what it replaces).
	 */
	err = rr_persist_poll(dev, true);
	if (err)
		return err;
	err = rraft_store_flush(s);
	if (err)
		goto fail;
	rraft_store_compact(s, a, &head, &head_seq);
	nst = s->st;
	nst.snap_index = a;
	nst.snap_term = dev->applied_term;
	nst.snap_conf = dev->applied_conf;
	nst.idents = dev->idents;
	nst.ring_head = head;
	nst.ring_head_seq = head_seq;
	nst.commit = max(dev->hs_commit, a);
	err = rraft_store_write_state(s, &nst);
	if (err)
		goto fail;
	rraft_store_drop_before(s, head);
	err = raft_compact(dev->raft, a);
	if (err && err != -EINVAL)
		rr_dev_warn(dev, "raft_compact(%llu) returned %d", a, err);
	dev->stat_checkpoints++;
	return 0;
fail:
	rraft_dev_disk_failed(dev, "checkpoint", err);
	return err;
}

/* ---- ready ---- */

/* Votes and terms are durable before anyone hears of them. */
static int rr_ready_hard_state(struct rraft_dev *dev,
			       const struct raft_ready *rd)
{
	struct rraft_store *s = &dev->store;
	struct rr_state nst;

	dev->hs_commit = rd->hs.commit;
	if (!rd->hs_changed ||
	    (rd->hs.term == s->st.term && rd->hs.vote == s->st.vote))
		return 0;
	nst = s->st;
	nst.term = rd->hs.term;
	nst.vote = rd->hs.vote;
	nst.commit = rd->hs.commit;
	return rraft_store_write_state(s, &nst);
}

/*
 * The ring is full (a follower takes what its leader sends): let the
 * appends in flight finish, apply what is committed, checkpoint it so the
 * ring can be reused, and try again.
 */
static int rr_append_make_room(struct rraft_dev *dev,
			       const struct raft_ready *rd)
{
	int err = rr_persist_poll(dev, true);

	if (!err)
		err = rraft_apply_drain(dev);

	if (!err)
		err = rraft_checkpoint(dev);
	if (err)
		return err;
	return rraft_store_append(&dev->store, rd->entries, rd->n_entries);
}

static void rr_ready_role(struct rraft_dev *dev)
{
	struct raft *r = dev->raft;
	u32 role = raft_role(r);

	if (role != dev->role)
		rr_dev_info(dev, "%s in term %llu (leader %u)",
			    raft_role_name(role), raft_term(r), raft_leader(r));
	dev->role = role;
}

static int rr_handle_ready(struct rraft_dev *dev)
{
	struct rraft_store *s = &dev->store;
	struct raft *r = dev->raft;
	struct raft_snap_install si;
	struct raft_snap_meta snap;
	bool install = false, installed = false;
	struct raft_ready rd;
	const char *what = "";
	u32 i;
	int err;

	err = raft_ready(r, &rd);
	if (err)
		return err;
	/* 1. votes and terms */
	err = rr_ready_hard_state(dev, &rd);
	if (err) {
		what = "hard state write";
		goto fatal;
	}
	/*
	 * 2. start the log append; rr_persist_poll reports it once it and
	 * every append before it completed
	 */
	if (rd.n_entries) {
		err = rraft_store_append(s, rd.entries, rd.n_entries);
		if (err == -ENOSPC)
			err = rr_append_make_room(dev, &rd);
		if (err) {
			what = err == -ENOSPC ? "log append (ring full)" :
						"log append";
			goto fatal;
		}
	}
	/* 3. messages (a leader may send before its own append completes) */
	if (dev->net)
		for (i = 0; i < rd.n_msgs; i++)
			rraft_net_send(dev->net, &rd.msgs[i]);
	/* a completed install moves applied to the snapshot, before entries */
	if (rd.snap_installed) {
		/* the ring may be reset under it: nothing stays in flight */
		err = rr_persist_poll(dev, true);
		if (!err)
			err = rraft_catchup_installed(dev, &rd.snap);
		if (err) {
			what = "snapshot checkpoint";
			goto fatal;
		}
		snap = rd.snap;
		installed = true;
	}
	/*
	 * 4. committed: durable on a majority, so the writes complete now;
	 * the data area follows asynchronously, in order (rraft_apply.c).
	 */
	if (rd.n_committed) {
		err = rraft_apply_queue(dev, rd.committed, rd.n_committed);
		if (err) {
			what = "apply";
			goto fatal;
		}
		dev->committed = rd.committed[rd.n_committed - 1].index;
		rraft_blk_committed(dev, rd.committed, rd.n_committed);
	}
	/* 5. reads */
	if (rd.n_reads)
		rraft_blk_reads(dev, rd.reads, rd.n_reads);
	/* 6. snapshots */
	for (i = 0; i < rd.n_snap_sends; i++)
		rraft_catchup_queue(dev, &rd.snap_sends[i]);
	if (rd.has_snap_install) {
		err = rraft_catchup_install(dev, &rd.snap_install);
		if (err) {
			what = "snapshot chunk install";
			goto fatal;
		}
		si = rd.snap_install;
		install = true;
	}
	raft_advance(r, &rd);
	if (install)
		raft_snapshot_chunk_done(r, si.meta.index, si.offset,
					 si.next_offset, si.last);
	if (installed)
		raft_compact(r, snap.index);
	if (rd.soft_changed)
		rr_ready_role(dev);
	rraft_blk_serve_reads(dev);
	return 0;
fatal:
	rraft_store_append_wait_all(s);
	rraft_dev_disk_failed(dev, what, err);
	raft_advance(r, &rd);	/* nothing persisted: the handover goes on */
	return err;
}

/* ---- one pass ---- */

#define RR_TICK_NS	((u64)RRAFT_TICK_MS * NSEC_PER_MSEC)

/*
 * Feed the core the ticks that elapsed up to `until` (boottime ns, which
 * runs on while the node is suspended, starved or its VM paused): never a
 * count of timer firings, so a lease cannot outlive real time (issue 13
 * defect 4).  Returns the ticks fed.
 */
static int rr_clock_to(struct rraft_dev *dev, u64 until)
{
	u64 n;

	if (!dev->clock_ns)
		dev->clock_ns = until;	/* first pass: the clock starts */
	if (until <= dev->clock_ns)
		return 0;
	n = div64_u64(until - dev->clock_ns, RR_TICK_NS);
	dev->clock_ns += n * RR_TICK_NS;
	n = min_t(u64, n, 100 * RRAFT_ELECTION_TICKS);	/* the core caps too */
	if (n && (!dev->failed || rraft_diskfail_may_tick(dev)))
		raft_tick(dev->raft, (u32)n);
	return (int)n;
}

/*
 * Feed what arrived since the last pass: each message after the ticks up
 * to its arrival (a late pass neither makes it look fresh nor counts as a
 * lost quorum), the ticks up to now, then peer-down reports.  Returns the
 * ticks fed and whether a checkpoint was asked for.
 */
static int rr_feed_inputs(struct rraft_dev *dev, bool *ckpt_req)
{
	struct rraft_inmsg *im, *tmp;
	u32 down[RR_MAX_PEERS], n_down = 0, i;
	unsigned long flags;
	int ticks = 0;
	LIST_HEAD(msgs);

	spin_lock_irqsave(&dev->in_lock, flags);
	list_splice_init(&dev->in_msgs, &msgs);
	dev->in_msg_bytes = 0;
	for (i = 0; i < dev->n_peers; i++) {
		if (dev->peers[i].down_reported) {
			dev->peers[i].down_reported = false;
			down[n_down++] = dev->peers[i].id;
		}
	}
	*ckpt_req = dev->checkpoint_req;
	dev->checkpoint_req = false;
	spin_unlock_irqrestore(&dev->in_lock, flags);

	list_for_each_entry_safe(im, tmp, &msgs, node) {
		list_del(&im->node);
		ticks += rr_clock_to(dev, im->at_ns);
		if (!dev->failed || rraft_diskfail_may_step(dev, &im->m))
			raft_step(dev->raft, &im->m);
		kvfree(im);
	}
	ticks += rr_clock_to(dev, ktime_get_boottime_ns());
	if (!dev->failed)
		for (i = 0; i < n_down; i++)
			raft_report_unreachable(dev->raft, down[i]);
	return ticks;
}

static void rr_pass(struct rraft_dev *dev)
{
	bool ckpt_req;
	int ticks_in, rounds;
	u32 i;

	ticks_in = rr_feed_inputs(dev, &ckpt_req);
	if (READ_ONCE(dev->read_err))
		rraft_dev_disk_failed(dev, "data area read", dev->read_err);
	if (dev->failed) {
		rraft_diskfail_pass(dev);
		return;
	}
	rraft_blk_admit(dev);
	rraft_promote_step(dev);
	if (ckpt_req || rraft_store_used(&dev->store) > dev->store.ring_bytes / 2)
		rraft_checkpoint(dev);
	rraft_member_replace_step(dev);
	if (ticks_in)
		rraft_member_ident_step(dev);
	rraft_apply_poll(dev);
	for (rounds = 0; rounds < 4 && !dev->failed; rounds++) {
		u64 committed = dev->committed;

		/* the clock reaches every admitted read before its lease check */
		ticks_in = (rounds ? 0 : ticks_in) +
			   rr_clock_to(dev, ktime_get_boottime_ns());
		if (rr_persist_poll(dev, false))
			return;
		rraft_blk_submit(dev);
		rraft_catchup_pump(dev, ticks_in);
		/*
		 * With every append unit in flight the ready waits (its
		 * proposals batch up): the next completion kicks the loop.
		 */
		for (i = 0; i < 32 && raft_has_ready(dev->raft) &&
		     !rraft_store_append_full(&dev->store); i++)
			if (dev->failed || rr_handle_ready(dev))
				break;
		if (dev->failed)
			return;
		rraft_apply_poll(dev);
		/* Commits free proposal slots (and applies ring space): again. */
		if (committed == dev->committed || list_empty(&dev->wait_leader))
			break;
	}
	rraft_blk_check(dev);
	rraft_blk_serve_reads(dev);
	rraft_events_check(dev);
	if ((raft_has_ready(dev->raft) &&
	     !rraft_store_append_full(&dev->store)) ||
	    rraft_catchup_pending(dev))
		rraft_kick(dev);
}

static void rr_work_fn(struct work_struct *w)
{
	struct rraft_dev *dev = container_of(w, struct rraft_dev, work);
	unsigned int noio;

	/* The loop serves writeback: its allocations must not recurse. */
	noio = memalloc_noio_save();
	mutex_lock(&dev->lock);
	if (dev->raft)
		rr_pass(dev);
	mutex_unlock(&dev->lock);
	memalloc_noio_restore(noio);
}

/* ---- life cycle ---- */

/* The loop's locks, lists, work and timer (nothing runs yet). */
void rraft_loop_init(struct rraft_dev *dev)
{
	mutex_init(&dev->lock);
	spin_lock_init(&dev->in_lock);
	INIT_LIST_HEAD(&dev->in_reqs);
	INIT_LIST_HEAD(&dev->in_msgs);
	INIT_LIST_HEAD(&dev->wait_leader);
	INIT_LIST_HEAD(&dev->proposed);
	INIT_LIST_HEAD(&dev->reading);
	rraft_apply_init(dev);
	INIT_WORK(&dev->work, rr_work_fn);
	timer_setup(&dev->tick_timer, rr_tick_fn, 0);
}

static bool rr_sole_voter(struct rraft_dev *dev)
{
	struct raft_status *st = kmalloc(sizeof(*st), GFP_KERNEL);
	bool sole;

	if (!st)
		return false;
	raft_get_status(dev->raft, st);
	sole = st->conf.n_voters == 1 && !st->conf.n_voters_old &&
	       st->conf.voters[0] == dev->cfg.node_id;
	kfree(st);
	return sole;
}

/* Start ticking; a node that is the only voter campaigns at once. */
void rraft_loop_start(struct rraft_dev *dev)
{
	mutex_lock(&dev->lock);
	if (rr_sole_voter(dev))
		raft_campaign(dev->raft);
	mutex_unlock(&dev->lock);
	mod_timer(&dev->tick_timer, jiffies + msecs_to_jiffies(RRAFT_TICK_MS));
	rraft_kick(dev);
}
