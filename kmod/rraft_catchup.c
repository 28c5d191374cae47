// SPDX-License-Identifier: GPL-2.0
/*
 * rraft_catchup.c - catch-up data: the leader serves snapshot chunks from
 * the live data area at sync_rate (the write map picks the bytes, see
 * rraft_wmap.h), the follower installs them durably and reports
 * sync_progress.  All under dev->lock, from the event loop.  See
 * Documentation/design/kernel-glue.rst, "Snapshots".
 */
#include <linux/vmalloc.h>
#include "rraft.h"

/* ---- leader: serve chunks ---- */

/*
 * Answer a chunk request.  The cursor is a byte offset into the data
 * area; the chunk holds {u64 data offset, data}: the first run (at most
 * RRAFT_SNAP_CHUNK bytes) of regions written after the follower's applied
 * index (ss->base_applied), at or after the cursor.  Regions not written
 * since are equal on both sides (every data area starts zeroed and applies
 * the same committed writes), so they are skipped: an incremental copy.
 * A follower that applied nothing (base 0: a new member) gets a full copy.
 */
static void rr_serve_chunk(struct rraft_dev *dev,
			   const struct raft_snap_send *ss)
{
	struct rraft_wmap_range rg;
	u8 *buf;
	int err;

	/*
	 * The data area is live: it serves any snapshot index we applied,
	 * also one older than our checkpoint (a transfer that continues
	 * across checkpoints, connection losses and leader changes; the
	 * follower then tops it up incrementally).  The core only asks for
	 * applied ones; the data area may still be catching up with them.
	 */
	if (ss->meta.index > dev->applied && rraft_apply_drain(dev))
		return;
	if (WARN_ON_ONCE(ss->meta.index > dev->applied)) {
		raft_snapshot_failed(dev->raft, ss->to);
		return;
	}
	if (!ss->offset)
		rr_dev_info(dev, "sending snapshot at index %llu to node %u (%s, base %llu)",
			    ss->meta.index, ss->to,
			    ss->base_applied ? "incremental" : "full copy",
			    ss->base_applied);
	rraft_wmap_next_range(&dev->wmap, ss->offset, ss->base_applied,
			      RRAFT_SNAP_CHUNK, &rg);
	/*
	 * The data is read into the page after the first one (reads need a
	 * sector-aligned buffer); the chunk's header goes just before it.
	 */
	buf = vmalloc(PAGE_SIZE + rg.len);
	if (!buf) {
		raft_snapshot_failed(dev->raft, ss->to);
		return;
	}
	rr_put_le64(rg.pos, buf + PAGE_SIZE - RRAFT_SNAP_HDR);
	err = rg.len ? rraft_store_data_read_sync(&dev->store, rg.pos,
						  buf + PAGE_SIZE, rg.len) : 0;
	if (err) {
		rr_dev_warn(dev, "snapshot for node %u: reading %u bytes at %llu failed (%d)",
			    ss->to, rg.len, rg.pos, err);
		raft_snapshot_failed(dev->raft, ss->to);
		if (err == -EIO)
			rraft_dev_disk_failed(dev, "data area read (snapshot)",
					      err);
	} else {
		err = raft_snapshot_chunk(dev->raft, ss->to, ss->meta.index,
					  ss->offset,
					  buf + PAGE_SIZE - RRAFT_SNAP_HDR,
					  RRAFT_SNAP_HDR + rg.len, rg.next,
					  rg.last);
		/*
		 * -EINVAL: the transfer moved on meanwhile (a newer request
		 * is queued).  Anything else (-ENOMEM) would leave the core
		 * waiting for this chunk forever: give up, it starts again.
		 */
		if (err && err != -EINVAL)
			raft_snapshot_failed(dev->raft, ss->to);
	}
	vfree(buf);
}

/* Queue the core's chunk requests: answered at sync_rate by the pump. */
void rraft_catchup_queue(struct rraft_dev *dev, const struct raft_snap_send *ss)
{
	struct rraft_catchup *cu = &dev->catchup;
	u32 i;

	for (i = 0; i < cu->n_q; i++)
		if (cu->q[i].to == ss->to)
			break;
	if (i == ARRAY_SIZE(cu->q))
		return;
	cu->q[i] = *ss;
	if (i == cu->n_q)
		cu->n_q++;
}

/* Refill the sync_rate budget by ticks and answer what it allows. */
void rraft_catchup_pump(struct rraft_dev *dev, int ticks)
{
	struct rraft_catchup *cu = &dev->catchup;
	u64 rate = (u64)READ_ONCE(dev->cfg.sync_rate) << 10;	/* bytes/s */
	s64 per_tick = (s64)(rate * RRAFT_TICK_MS / 1000);
	struct raft_snap_send ss;
	u32 sent = 0;

	if (rate) {
		cu->budget += per_tick * ticks;
		cu->budget = min_t(s64, cu->budget,
				   max_t(s64, per_tick, RRAFT_SNAP_CHUNK));
	}
	/* a few chunks per pass: the loop must keep up with heartbeats */
	while (cu->n_q && !dev->failed && (!rate || cu->budget > 0) &&
	       sent++ < RRAFT_SNAP_PER_PASS) {
		ss = cu->q[0];
		memmove(cu->q, cu->q + 1, (cu->n_q - 1) * sizeof(ss));
		cu->n_q--;
		rr_serve_chunk(dev, &ss);
		if (rate)
			cu->budget -= RRAFT_SNAP_CHUNK;
	}
}

/* Requests are queued that sync_rate allows to answer now. */
bool rraft_catchup_pending(const struct rraft_dev *dev)
{
	const struct rraft_catchup *cu = &dev->catchup;

	return cu->n_q && (!READ_ONCE(dev->cfg.sync_rate) || cu->budget > 0);
}

/* ---- follower: install chunks ---- */

/* sync_progress of an install that has everything before offset done. */
void rraft_catchup_progress(struct rraft_dev *dev, u64 done)
{
	u64 total = rraft_store_data_bytes(&dev->store);

	dev->catchup.done = done;
	dev->catchup.left = total > done ? total - done : 0;
}

/* The first chunk of a snapshot: the data area becomes Inconsistent. */
static int rr_install_begin(struct rraft_dev *dev,
			    const struct raft_snap_install *si)
{
	struct rraft_store *s = &dev->store;
	struct rr_state nst;
	int err;

	if (s->st.flags & RR_STF_INCONSISTENT)
		rr_dev_info(dev, "snapshot at index %llu abandoned at offset %llu",
			    s->st.pend_index, dev->catchup.done);
	nst = s->st;
	nst.flags |= RR_STF_INCONSISTENT;
	nst.pend_index = si->meta.index;
	nst.pend_term = si->meta.term;
	nst.pend_conf = si->meta.conf;
	nst.pend_offset = si->offset;
	nst.pend_base = si->base_applied;
	err = rraft_store_write_state(s, &nst);
	if (err)
		return err;
	dev->inconsistent = true;
	rr_dev_info(dev, "receiving snapshot at index %llu term %llu (%s, base %llu)",
		    si->meta.index, si->meta.term,
		    si->base_applied ? "incremental" : "full copy",
		    si->base_applied);
	return 0;
}

/* Write one received chunk durably; returns 0 if it may be acknowledged. */
int rraft_catchup_install(struct rraft_dev *dev,
			  const struct raft_snap_install *si)
{
	struct rraft_store *s = &dev->store;
	u64 total = rraft_store_data_bytes(s), pos = 0;
	struct rraft_iowait w;
	struct rr_state nst;
	u32 len = 0;
	int err;

	/* chunks overwrite the data area: queued writes go first */
	err = rraft_apply_drain(dev);
	if (err)
		return err;
	if (si->len >= RRAFT_SNAP_HDR) {
		pos = rr_get_le64(si->data);
		len = si->len - RRAFT_SNAP_HDR;
	}
	if (si->len < RRAFT_SNAP_HDR || pos > total || len > total - pos ||
	    pos % RR_BLOCK_SIZE || len % RR_BLOCK_SIZE) {
		rr_dev_warn(dev, "snapshot chunk at %llu+%u outside the data area",
			    pos, len);
		return -EINVAL;
	}
	if (!(s->st.flags & RR_STF_INCONSISTENT) ||
	    s->st.pend_index != si->meta.index) {
		err = rr_install_begin(dev, si);
		if (err)
			return err;
	} else if (si->offset != dev->catchup.done) {
		rr_dev_info(dev, "snapshot at index %llu: restarting at offset %llu (was at %llu)",
			    si->meta.index, si->offset, dev->catchup.done);
	}
	if (len) {
		/* what a chunk brings is newer than anything we know */
		rraft_wmap_mark(&dev->wmap, pos, len, RRAFT_WMAP_UNKNOWN);
		rraft_iowait_init(&w);
		rraft_store_data_write(s, pos, si->data + RRAFT_SNAP_HDR, len,
				       &w);
		err = rraft_iowait_wait(&w);
		if (err)
			return err;
		err = rraft_store_flush(s);
		if (err)
			return err;
	}
	rraft_catchup_progress(dev, si->next_offset);
	nst = s->st;
	nst.pend_offset = si->next_offset;
	return rraft_store_write_state(s, &nst);
}

/* The snapshot is installed: record the checkpoint and leave Inconsistent. */
int rraft_catchup_installed(struct rraft_dev *dev,
			    const struct raft_snap_meta *snap)
{
	struct rraft_store *s = &dev->store;
	struct rr_state nst;
	u64 head, head_seq;
	int err;

	/* applied moves to the snapshot: nothing older may land after it */
	err = rraft_apply_drain(dev);
	if (err)
		return err;
	err = rraft_store_flush(s);
	if (err)
		return err;
	/*
	 * If the core kept log entries after the snapshot, the ring keeps
	 * them; otherwise the whole ring is stale (it may hold entries that
	 * conflict with the snapshot) and is discarded.
	 */
	if (raft_term_at(dev->raft, snap->index + 1))
		rraft_store_compact(s, snap->index, &head, &head_seq);
	else
		rraft_store_reset_ring(s, &head, &head_seq);
	nst = s->st;
	nst.flags &= ~RR_STF_INCONSISTENT;
	nst.snap_index = snap->index;
	nst.snap_term = snap->term;
	nst.snap_conf = snap->conf;
	rraft_member_idents_prune(dev, &snap->conf);
	nst.idents = dev->idents;
	nst.commit = max(nst.commit, snap->index);
	nst.ring_head = head;
	nst.ring_head_seq = head_seq;
	err = rraft_store_write_state(s, &nst);
	if (err)
		return err;
	rraft_store_drop_before(s, head);
	dev->inconsistent = false;
	dev->applied = snap->index;
	dev->applied_term = snap->term;
	dev->applied_conf = snap->conf;
	dev->catchup.left = 0;
	rr_dev_info(dev, "installed snapshot at index %llu term %llu",
		    snap->index, snap->term);
	return 0;
}
