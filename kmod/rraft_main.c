// SPDX-License-Identifier: GPL-2.0
/*
 * rraft_main.c - module init/exit, the rraft-control class (format, create,
 * remove) and the per-device event loop that drives the Raft core.
 *
 * One ordered workqueue (WQ_MEM_RECLAIM) and one work item per device.
 * Inputs - requests from queue_rq, messages from the transport, ticks from
 * a 50 ms timer, peer-down reports - are queued under dev->in_lock and the
 * work is kicked.  The work takes dev->lock, feeds the inputs to the core
 * and handles every ready in the order raft.h prescribes.  See
 * Documentation/design/kernel-glue.rst.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/idr.h>
#include <linux/random.h>
#include <linux/inet.h>
#include <linux/vmalloc.h>
#include "rraft.h"

int rraft_major;
static DEFINE_MUTEX(rraft_ctl_mutex);
static DEFINE_IDR(rraft_idr);

void rraft_kick(struct rraft_dev *dev)
{
	queue_work(dev->wq, &dev->work);
}

void rraft_addr_to_sin(const struct rr_addr *a, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	memcpy(&sin->sin_addr.s_addr, a->ip, 4);
	sin->sin_port = htons(a->port);
}

/* ---- inputs ---- */

static void rraft_tick_fn(struct timer_list *t)
{
	struct rraft_dev *dev = from_timer(dev, t, tick_timer);

	atomic_inc(&dev->ticks);
	rraft_kick(dev);
	mod_timer(&dev->tick_timer, jiffies + msecs_to_jiffies(RRAFT_TICK_MS));
}

static void rraft_deliver(void *ctx, const struct raft_msg *m)
{
	struct rraft_dev *dev = ctx;
	struct rraft_inmsg *im;
	unsigned long flags;
	size_t bytes = sizeof(*im);
	u8 *p;
	u32 i;

	if (m->n_entries > 65536)
		return;
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
	list_add_tail(&im->node, &dev->in_msgs);
	dev->in_msg_bytes += bytes;
	spin_unlock_irqrestore(&dev->in_lock, flags);
	rraft_kick(dev);
}

static void rraft_peer_state(void *ctx, u32 id, bool up)
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
	if (!up)
		rraft_kick(dev);
}

static const struct rraft_net_ops rraft_net_ops = {
	.deliver = rraft_deliver,
	.peer_state = rraft_peer_state,
};

/* ---- failure ---- */

static void rraft_fail(struct rraft_dev *dev, const char *what, int err)
{
	unsigned long flags;

	if (dev->failed)
		return;
	rr_dev_err(dev, "%s failed (%d): device fails all I/O until removed",
		   what, err);
	spin_lock_irqsave(&dev->in_lock, flags);
	dev->failed = true;
	spin_unlock_irqrestore(&dev->in_lock, flags);
	rraft_blk_fail_all(dev);
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
	err = rraft_store_flush(s);
	if (err)
		goto fail;
	rraft_store_compact(s, a, &head, &head_seq);
	nst = s->st;
	nst.snap_index = a;
	nst.snap_term = dev->applied_term;
	nst.snap_conf = dev->applied_conf;
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
	rraft_fail(dev, "checkpoint", err);
	return err;
}

/* ---- write map ---- */

static int rraft_wmap_init(struct rraft_dev *dev, u64 mark)
{
	u64 total = rraft_store_data_bytes(&dev->store), i;
	unsigned int shift = 16;	/* 64 KiB regions at least */

	while ((total >> shift) >= RRAFT_WMAP_MAX)
		shift++;
	dev->wmap_shift = shift;
	dev->wmap_n = (total + (1ull << shift) - 1) >> shift;
	dev->wmap = kvmalloc_array(dev->wmap_n, sizeof(u64), GFP_KERNEL);
	if (!dev->wmap)
		return -ENOMEM;
	for (i = 0; i < dev->wmap_n; i++)
		dev->wmap[i] = mark;
	return 0;
}

static void rraft_wmap_mark(struct rraft_dev *dev, u64 off, u64 len, u64 index)
{
	u64 i, end = (off + len - 1) >> dev->wmap_shift;

	for (i = off >> dev->wmap_shift; i <= end && i < dev->wmap_n; i++)
		dev->wmap[i] = index;
}

/* ---- apply ---- */

struct rr_range {
	u64 start, end;
};

#define RR_MAX_RANGES	64

static int rraft_apply(struct rraft_dev *dev, const struct raft_entry *ents,
		       u32 n)
{
	struct rraft_store *s = &dev->store;
	u64 dev_bytes = rraft_store_data_bytes(s);
	struct rr_range r[RR_MAX_RANGES];
	struct rraft_iowait w;
	struct rr_cmd c;
	u32 i, nr = 0, k;
	int err = 0;

	rraft_iowait_init(&w);
	for (i = 0; i < n; i++) {
		const struct raft_entry *e = &ents[i];

		if (e->type == RAFT_ENTRY_NORMAL) {
			if (rr_cmd_decode(&c, e->data, e->len, dev_bytes)) {
				rr_dev_err(dev, "committed entry %llu is not a valid block write",
					   e->index);
				err = -EUCLEAN;
				break;
			}
			if (c.claim) {
				dev->writer = c.writer;
				continue;
			}
			/* Overlapping writes are never reordered. */
			for (k = 0; k < nr; k++)
				if (c.offset < r[k].end &&
				    r[k].start < c.offset + c.len)
					break;
			if (k < nr || nr == RR_MAX_RANGES) {
				err = rraft_iowait_wait(&w);
				if (err)
					break;
				nr = 0;
			}
			r[nr].start = c.offset;
			r[nr].end = c.offset + c.len;
			nr++;
			rraft_wmap_mark(dev, c.offset, c.len, e->index);
			rraft_store_data_write(s, c.offset, c.data, c.len, &w);
		} else if (e->type == RAFT_ENTRY_CONF) {
			struct raft_conf conf;

			if (!raft_conf_decode(&conf, e->data, e->len))
				dev->applied_conf = conf;
		}
	}
	if (!err)
		err = rraft_iowait_wait(&w);
	else
		rraft_iowait_wait(&w);
	if (err)
		return err;
	dev->applied = ents[n - 1].index;
	dev->applied_term = ents[n - 1].term;
	rraft_blk_committed(dev, ents, n);
	return 0;
}

/*
 * Make this node leader: ask the leader for a transfer (it catches us up
 * and sends TimeoutNow), or campaign with pre-vote when no leader is known.
 * A node cut off from the cluster never raises its term by asking, so it
 * cannot force a re-election when it comes back.  For RRAFT_PROMOTE_SECS
 * the loop asks again whenever another leader shows up (the one asked may
 * have been dead: the survivors elect one, then it hands over).
 * dev->lock held.
 */
int rraft_promote(struct rraft_dev *dev)
{
	int err = raft_request_leadership(dev->raft);

	if (err)
		return err;
	dev->promote_pending = raft_role(dev->raft) != RAFT_LEADER;
	dev->promote_until = jiffies + RRAFT_PROMOTE_SECS * HZ;
	dev->promote_lead = raft_leader(dev->raft);
	return 0;
}

static void rraft_promote_step(struct rraft_dev *dev)
{
	u32 lead;

	if (!dev->promote_pending)
		return;
	if (raft_role(dev->raft) == RAFT_LEADER ||
	    time_after(jiffies, dev->promote_until)) {
		dev->promote_pending = false;
		return;
	}
	lead = raft_leader(dev->raft);
	if (lead == dev->promote_lead)
		return;
	dev->promote_lead = lead;
	if (lead != RAFT_NONE && lead != dev->node_id)
		raft_request_leadership(dev->raft);
}

/* ---- snapshots: block ranges of the data area ---- */

/* Region r must be sent to a follower at base (0: a full copy). */
static bool rr_wmap_dirty(const struct rraft_dev *dev, u64 r, u64 base)
{
	return !base || dev->wmap[r] > base;
}

/*
 * Answer a chunk request.  The cursor is a byte offset into the data
 * area; the chunk holds {u64 data offset, data}: the first run (at most
 * RRAFT_SNAP_CHUNK bytes) of regions written after the follower's applied
 * index (ss->base_applied), at or after the cursor.  Regions not written
 * since are equal on both sides (every data area starts zeroed and applies
 * the same committed writes), so they are skipped: an incremental copy.
 * A follower that applied nothing (base 0: a new member) gets a full copy.
 */
static void rraft_snap_send(struct rraft_dev *dev,
			    const struct raft_snap_send *ss)
{
	u64 total = rraft_store_data_bytes(&dev->store);
	u64 base = ss->base_applied, pos, end, r, rsize;
	u32 len = 0;
	bool last;
	u8 *buf;
	int err;

	/*
	 * The data area is live: it serves any snapshot index we applied,
	 * also one older than our checkpoint (a transfer that continues
	 * across checkpoints, connection losses and leader changes; the
	 * follower then tops it up incrementally).  The core only asks for
	 * applied ones.
	 */
	if (WARN_ON_ONCE(ss->meta.index > dev->applied)) {
		raft_snapshot_failed(dev->raft, ss->to);
		return;
	}
	if (!ss->offset)
		rr_dev_info(dev, "sending snapshot at index %llu to node %u (%s, base %llu)",
			    ss->meta.index, ss->to,
			    ss->base_applied ? "incremental" : "full copy",
			    ss->base_applied);
	rsize = 1ull << dev->wmap_shift;
	pos = min(ss->offset, total);
	for (r = pos >> dev->wmap_shift; r < dev->wmap_n; r++)
		if (rr_wmap_dirty(dev, r, base))
			break;
	if (r < dev->wmap_n) {
		pos = max(pos, r << dev->wmap_shift);
		end = pos;
		while (end < total && end - pos < RRAFT_SNAP_CHUNK &&
		       rr_wmap_dirty(dev, end >> dev->wmap_shift, base))
			end = min3(total, pos + RRAFT_SNAP_CHUNK,
				   ((end >> dev->wmap_shift) + 1) * rsize);
		len = (u32)(end - pos);
	} else {
		pos = total;
	}
	for (r = (pos + len) >> dev->wmap_shift; r < dev->wmap_n; r++)
		if (rr_wmap_dirty(dev, r, base))
			break;
	last = r >= dev->wmap_n || pos + len >= total;
	/*
	 * The data is read into the page after the first one (reads need a
	 * sector-aligned buffer); the chunk's header goes just before it.
	 */
	buf = vmalloc(PAGE_SIZE + len);
	if (!buf) {
		raft_snapshot_failed(dev->raft, ss->to);
		return;
	}
	rr_put_le64(pos, buf + PAGE_SIZE - RRAFT_SNAP_HDR);
	err = len ? rraft_store_data_read_sync(&dev->store, pos,
					       buf + PAGE_SIZE, len) : 0;
	if (err) {
		rr_dev_warn(dev, "snapshot for node %u: reading %u bytes at %llu failed (%d)",
			    ss->to, len, pos, err);
		raft_snapshot_failed(dev->raft, ss->to);
	} else {
		raft_snapshot_chunk(dev->raft, ss->to, ss->meta.index,
				    ss->offset, buf + PAGE_SIZE - RRAFT_SNAP_HDR,
				    RRAFT_SNAP_HDR + len,
				    last ? total : pos + len, last);
	}
	vfree(buf);
}

/* Queue the core's chunk requests: answered at sync_rate by rraft_snap_pump. */
static void rraft_snap_queue(struct rraft_dev *dev,
			     const struct raft_snap_send *ss)
{
	u32 i;

	for (i = 0; i < dev->n_snap_q; i++)
		if (dev->snap_q[i].to == ss->to)
			break;
	if (i == ARRAY_SIZE(dev->snap_q))
		return;
	dev->snap_q[i] = *ss;
	if (i == dev->n_snap_q)
		dev->n_snap_q++;
}

static void rraft_snap_pump(struct rraft_dev *dev, int ticks)
{
	u64 rate = (u64)READ_ONCE(dev->sync_rate) << 10;	/* bytes/s */
	s64 per_tick = (s64)(rate * RRAFT_TICK_MS / 1000);
	struct raft_snap_send ss;
	u32 sent = 0;

	if (rate) {
		dev->sync_budget += per_tick * ticks;
		dev->sync_budget = min_t(s64, dev->sync_budget,
					 max_t(s64, per_tick, RRAFT_SNAP_CHUNK));
	}
	/* a few chunks per pass: the loop must keep up with heartbeats */
	while (dev->n_snap_q && (!rate || dev->sync_budget > 0) &&
	       sent++ < RRAFT_SNAP_PER_PASS) {
		ss = dev->snap_q[0];
		memmove(dev->snap_q, dev->snap_q + 1,
			(dev->n_snap_q - 1) * sizeof(ss));
		dev->n_snap_q--;
		rraft_snap_send(dev, &ss);
		if (rate)
			dev->sync_budget -= RRAFT_SNAP_CHUNK;
	}
}

/* sync_progress of an install that has everything before offset done. */
static void rraft_snap_progress(struct rraft_dev *dev, u64 done)
{
	u64 total = rraft_store_data_bytes(&dev->store);

	dev->snap_done = done;
	dev->snap_left = total > done ? total - done : 0;
}

/* Write one received chunk durably; returns 0 if it may be acknowledged. */
static int rraft_snap_install(struct rraft_dev *dev,
			      const struct raft_snap_install *si)
{
	struct rraft_store *s = &dev->store;
	u64 total = rraft_store_data_bytes(s), pos = 0;
	struct rraft_iowait w;
	struct rr_state nst;
	u32 len = 0;
	int err;

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
		if (s->st.flags & RR_STF_INCONSISTENT)
			rr_dev_info(dev, "snapshot at index %llu abandoned at offset %llu",
				    s->st.pend_index, dev->snap_done);
		/* First chunk: the data area becomes Inconsistent, durably. */
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
	} else if (si->offset != dev->snap_done) {
		rr_dev_info(dev, "snapshot at index %llu: restarting at offset %llu (was at %llu)",
			    si->meta.index, si->offset, dev->snap_done);
	}
	if (len) {
		/* what a chunk brings is newer than anything we know */
		rraft_wmap_mark(dev, pos, len, RRAFT_WMAP_UNKNOWN);
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
	rraft_snap_progress(dev, si->next_offset);
	nst = s->st;
	nst.pend_offset = si->next_offset;
	return rraft_store_write_state(s, &nst);
}

/* The snapshot is installed: record the checkpoint and leave Inconsistent. */
static int rraft_snap_installed(struct rraft_dev *dev,
				const struct raft_snap_meta *snap)
{
	struct rraft_store *s = &dev->store;
	struct rr_state nst;
	u64 head, head_seq;
	int err;

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
	dev->snap_left = 0;
	rr_dev_info(dev, "installed snapshot at index %llu term %llu",
		    snap->index, snap->term);
	return 0;
}

/* ---- ready ---- */

static int rraft_handle_ready(struct rraft_dev *dev)
{
	struct rraft_store *s = &dev->store;
	struct raft *r = dev->raft;
	struct raft_snap_install si;
	struct raft_snap_meta snap;
	bool install = false, installed = false;
	struct raft_ready rd;
	u64 last_index = 0, last_term = 0;
	const char *what = "";
	struct rr_state nst;
	u32 i;
	int err;

	err = raft_ready(r, &rd);
	if (err)
		return err;
	/* 1. votes and terms are durable before anyone hears of them */
	dev->hs_commit = rd.hs.commit;
	if (rd.hs_changed) {
		if (rd.hs.term != s->st.term || rd.hs.vote != s->st.vote) {
			nst = s->st;
			nst.term = rd.hs.term;
			nst.vote = rd.hs.vote;
			nst.commit = rd.hs.commit;
			err = rraft_store_write_state(s, &nst);
			if (err) {
				what = "hard state write";
				goto fatal;
			}
		}
	}
	/* 2. start the log append */
	if (rd.n_entries) {
		last_index = rd.entries[rd.n_entries - 1].index;
		last_term = rd.entries[rd.n_entries - 1].term;
		err = rraft_store_append(s, rd.entries, rd.n_entries);
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
		err = rraft_snap_installed(dev, &rd.snap);
		if (err) {
			what = "snapshot checkpoint";
			goto fatal;
		}
		snap = rd.snap;
		installed = true;
	}
	/* 4. apply */
	if (rd.n_committed) {
		err = rraft_apply(dev, rd.committed, rd.n_committed);
		if (err) {
			what = "apply";
			goto fatal;
		}
	}
	/* 5. reads */
	if (rd.n_reads)
		rraft_blk_reads(dev, rd.reads, rd.n_reads);
	/* 6. snapshots */
	for (i = 0; i < rd.n_snap_sends; i++)
		rraft_snap_queue(dev, &rd.snap_sends[i]);
	if (rd.has_snap_install) {
		err = rraft_snap_install(dev, &rd.snap_install);
		if (err) {
			what = "snapshot chunk install";
			goto fatal;
		}
		si = rd.snap_install;
		install = true;
	}
	err = rraft_store_append_wait(s);
	if (err) {
		what = "log append";
		goto fatal;
	}
	raft_advance(r, &rd);
	if (last_index)
		raft_persisted(r, last_index, last_term);
	if (install)
		raft_snapshot_chunk_done(r, si.meta.index, si.offset,
					 si.next_offset, si.last);
	if (installed)
		raft_compact(r, snap.index);
	if (rd.soft_changed) {
		u32 role = raft_role(r);

		if (role != dev->role)
			rr_dev_info(dev, "%s in term %llu (leader %u)",
				    raft_role_name(role), raft_term(r),
				    raft_leader(r));
		dev->role = role;
	}
	rraft_blk_serve_reads(dev);
	return 0;
fatal:
	rraft_store_append_wait(s);
	rraft_fail(dev, what, err);
	return err;
}

static void rraft_replace_step(struct rraft_dev *dev)
{
	struct raft_status *st;
	struct raft_conf c;
	u32 i, j;
	int err;

	if (!dev->pending_replace_new || raft_role(dev->raft) != RAFT_LEADER)
		return;
	st = kmalloc(sizeof(*st), GFP_NOIO);
	if (!st)
		return;
	raft_get_status(dev->raft, st);
	for (i = 0; i < st->n_peers; i++)
		if (st->peers[i].id == dev->pending_replace_new)
			break;
	if (i == st->n_peers || st->conf_pending ||
	    st->peers[i].match + dev->rcfg.catchup_entries < st->last_index)
		goto out;
	memset(&c, 0, sizeof(c));
	for (j = 0; j < st->conf.n_voters; j++)
		if (st->conf.voters[j] != dev->pending_replace_old)
			c.voters[c.n_voters++] = st->conf.voters[j];
	c.voters[c.n_voters++] = dev->pending_replace_new;
	for (j = 0; j < st->conf.n_learners; j++)
		if (st->conf.learners[j] != dev->pending_replace_new)
			c.learners[c.n_learners++] = st->conf.learners[j];
	err = raft_change_conf(dev->raft, &c);
	if (!err || (err != -EBUSY && err != -EAGAIN)) {
		if (err)
			rr_dev_warn(dev, "replace %u by %u failed (%d)",
				    dev->pending_replace_old,
				    dev->pending_replace_new, err);
		dev->pending_replace_new = 0;
		dev->pending_replace_old = 0;
	}
out:
	kfree(st);
}

static void rraft_pass(struct rraft_dev *dev)
{
	struct rraft_inmsg *im, *tmp;
	u32 down[RR_MAX_PEERS], n_down = 0, i;
	unsigned long flags;
	bool ckpt_req;
	int ticks, ticks_in, rounds;
	LIST_HEAD(msgs);

	ticks = atomic_xchg(&dev->ticks, 0);
	ticks_in = ticks;
	spin_lock_irqsave(&dev->in_lock, flags);
	list_splice_init(&dev->in_msgs, &msgs);
	dev->in_msg_bytes = 0;
	for (i = 0; i < dev->n_peers; i++) {
		if (dev->peers[i].down_reported) {
			dev->peers[i].down_reported = false;
			down[n_down++] = dev->peers[i].id;
		}
	}
	ckpt_req = dev->checkpoint_req;
	dev->checkpoint_req = false;
	spin_unlock_irqrestore(&dev->in_lock, flags);

	/*
	 * Messages first: they arrived during the ticks being fed now, and a
	 * leader must not count a slow pass as a lost quorum.
	 */
	list_for_each_entry_safe(im, tmp, &msgs, node) {
		list_del(&im->node);
		if (!dev->failed)
			raft_step(dev->raft, &im->m);
		kvfree(im);
	}
	if (ticks > 4 * RRAFT_ELECTION_TICKS)
		ticks = 4 * RRAFT_ELECTION_TICKS;
	while (ticks-- > 0 && !dev->failed)
		raft_tick(dev->raft);
	if (dev->failed) {
		rraft_blk_fail_all(dev);
		return;
	}
	for (i = 0; i < n_down; i++)
		raft_report_unreachable(dev->raft, down[i]);
	rraft_blk_admit(dev);
	rraft_promote_step(dev);
	if (ckpt_req || rraft_store_used(&dev->store) > dev->store.ring_bytes / 2)
		rraft_checkpoint(dev);
	rraft_replace_step(dev);
	for (rounds = 0; rounds < 4 && !dev->failed; rounds++) {
		u64 applied = dev->applied;

		rraft_blk_submit(dev);
		rraft_snap_pump(dev, rounds ? 0 : ticks_in);
		for (i = 0; i < 32 && raft_has_ready(dev->raft); i++)
			if (rraft_handle_ready(dev))
				break;
		if (dev->failed)
			return;
		/* Commits free ring space and proposal slots: go again. */
		if (applied == dev->applied || list_empty(&dev->wait_leader))
			break;
	}
	rraft_blk_check(dev);
	rraft_blk_serve_reads(dev);
	if (raft_has_ready(dev->raft) ||
	    (dev->n_snap_q && (!dev->sync_rate || dev->sync_budget > 0)))
		rraft_kick(dev);
}

static void rraft_work_fn(struct work_struct *w)
{
	struct rraft_dev *dev = container_of(w, struct rraft_dev, work);

	mutex_lock(&dev->lock);
	if (dev->raft)
		rraft_pass(dev);
	mutex_unlock(&dev->lock);
}

/* ---- devices ---- */

int rraft_dev_add_peer(struct rraft_dev *dev, const struct rr_peer_arg *p)
{
	struct rraft_net_peer_cfg pc;
	unsigned long flags;
	u32 i;
	int err;

	if (p->id == dev->node_id)
		return -EINVAL;
	for (i = 0; i < dev->n_peers; i++)
		if (dev->peers[i].id == p->id)
			return -EEXIST;
	if (dev->n_peers == RR_MAX_PEERS)
		return -ENOSPC;
	if (!dev->net)
		return -ENOTCONN;
	pc.id = p->id;
	rraft_addr_to_sin(&p->addr, &pc.addr);
	/* in the table first: the transport may report it up at once */
	spin_lock_irqsave(&dev->in_lock, flags);
	dev->peers[dev->n_peers].id = p->id;
	dev->peers[dev->n_peers].addr = pc.addr;
	dev->peers[dev->n_peers].up = false;
	dev->peers[dev->n_peers].down_reported = false;
	dev->n_peers++;
	spin_unlock_irqrestore(&dev->in_lock, flags);
	err = rraft_net_add_peer(dev->net, &pc);
	if (err) {
		spin_lock_irqsave(&dev->in_lock, flags);
		dev->n_peers--;
		spin_unlock_irqrestore(&dev->in_lock, flags);
	}
	return err;
}

static void rraft_dev_free(struct rraft_dev *dev)
{
	struct rraft_inmsg *im, *tmp;

	if (dev->wq)
		destroy_workqueue(dev->wq);
	list_for_each_entry_safe(im, tmp, &dev->in_msgs, node)
		kvfree(im);
	if (dev->raft)
		raft_destroy(dev->raft);
	kvfree(dev->wmap);
	rraft_store_close(&dev->store);
	kfree(dev);
}

static void rraft_dev_destroy(struct rraft_dev *dev)
{
	struct rraft_net *net;
	unsigned long flags;

	spin_lock_irqsave(&dev->in_lock, flags);
	dev->dying = true;
	spin_unlock_irqrestore(&dev->in_lock, flags);
	timer_shutdown_sync(&dev->tick_timer);

	mutex_lock(&dev->lock);
	net = dev->net;
	dev->net = NULL;
	mutex_unlock(&dev->lock);
	if (net)
		rraft_net_destroy(net);

	flush_workqueue(dev->wq);
	mutex_lock(&dev->lock);
	rraft_blk_fail_all(dev);
	mutex_unlock(&dev->lock);
	rraft_blk_exit(dev);
	flush_workqueue(dev->wq);
	rr_dev_info(dev, "removed (applied %llu, checkpoints %llu)",
		    dev->applied, dev->stat_checkpoints);
	rraft_dev_free(dev);
}

static bool rraft_sole_voter(struct rraft_dev *dev)
{
	struct raft_status *st = kmalloc(sizeof(*st), GFP_KERNEL);
	bool sole;

	if (!st)
		return false;
	raft_get_status(dev->raft, st);
	sole = st->conf.n_voters == 1 && !st->conf.n_voters_old &&
	       st->conf.voters[0] == dev->node_id;
	kfree(st);
	return sole;
}

static int rraft_create(const struct rr_create_args *a)
{
	struct raft_boot boot;
	struct rraft_net_cfg ncfg;
	struct rraft_dev *dev;
	struct rraft_store *s;
	u64 per_ent;
	u32 i;
	int err;

	if (idr_find(&rraft_idr, a->minor)) {
		pr_warn("rraft: create: minor %u is in use\n", a->minor);
		return -EEXIST;
	}
	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	dev->minor = a->minor;
	mutex_init(&dev->lock);
	spin_lock_init(&dev->in_lock);
	INIT_LIST_HEAD(&dev->in_reqs);
	INIT_LIST_HEAD(&dev->in_msgs);
	INIT_LIST_HEAD(&dev->wait_leader);
	INIT_LIST_HEAD(&dev->proposed);
	INIT_LIST_HEAD(&dev->reading);
	INIT_WORK(&dev->work, rraft_work_fn);
	timer_setup(&dev->tick_timer, rraft_tick_fn, 0);
	dev->io_timeout = RRAFT_DEFAULT_IO_TIMEOUT;
	dev->sync_rate = RRAFT_DEFAULT_SYNC_RATE;
	memcpy(dev->secret, a->secret, a->secret_len);
	dev->secret_len = a->secret_len;
	s = &dev->store;

	err = rraft_store_open(s, a->backing, dev);
	if (err) {
		kfree(dev);
		return err;
	}
	dev->node_id = s->sb.node_id;
	dev->cluster_id = s->sb.cluster_id;
	for (i = 0; i < a->n_peers; i++) {
		if (a->peers[i].id == dev->node_id) {
			pr_warn("rraft: create: peers lists this node's own id %u\n",
				dev->node_id);
			err = -EINVAL;
			goto fail;
		}
	}
	dev->wq = alloc_ordered_workqueue("rraft%u", WQ_MEM_RECLAIM | WQ_HIGHPRI,
					  dev->minor);
	if (!dev->wq) {
		err = -ENOMEM;
		goto fail;
	}

	err = rraft_store_load(s, &boot);
	if (err)
		goto fail;
	per_ent = RRAFT_MAX_IO_BYTES + 2 * RR_BLOCK_SIZE;
	dev->rcfg = (struct raft_config) {
		.id = dev->node_id,
		.election_ticks = RRAFT_ELECTION_TICKS,
		.heartbeat_ticks = RRAFT_HEARTBEAT_TICKS,
		.max_inflight = 32,
		.max_append_bytes = 1u << 20,
		.max_append_entries = 64,
		.max_uncommitted = (u32)clamp_t(u64, s->ring_bytes / 4 / per_ent,
						2, 256),
		.pre_vote = true,
		.check_quorum = true,
		.lease_drift_ticks = RRAFT_LEASE_DRIFT_TICKS,
		.catchup_entries = 64,
		.seed = get_random_u64(),
	};
	err = raft_create(&dev->raft, &dev->rcfg, &boot);
	rraft_store_boot_free(&boot);
	if (err) {
		pr_warn("rraft: create: %s: the Raft core refused the recovered state (%d)\n",
			a->backing, err);
		dev->raft = NULL;
		goto fail;
	}
	/*
	 * Writes before this boot are not tracked: every region may have
	 * been written by any entry up to the last one in the log.
	 */
	err = rraft_wmap_init(dev, (s->st.flags & RR_STF_INCONSISTENT) ?
			      RRAFT_WMAP_UNKNOWN :
			      max(s->last_index, s->st.snap_index));
	if (err)
		goto fail;
	dev->applied = s->st.snap_index;
	dev->applied_term = s->st.snap_term;
	dev->applied_conf = s->st.snap_conf;
	dev->hs_commit = s->st.commit;
	dev->inconsistent = !!(s->st.flags & RR_STF_INCONSISTENT);
	if (dev->inconsistent)
		rraft_snap_progress(dev, s->st.pend_offset);
	dev->role = raft_role(dev->raft);

	if (a->has_listen || a->n_peers) {
		memset(&ncfg, 0, sizeof(ncfg));
		ncfg.node_id = dev->node_id;
		ncfg.cluster_id = dev->cluster_id;
		ncfg.data_bytes = rraft_store_data_bytes(&dev->store);
		ncfg.minor = dev->minor;
		if (a->has_listen) {
			rraft_addr_to_sin(&a->listen, &ncfg.listen);
		} else {
			struct rr_addr any = { .port = RR_DEFAULT_PORT };

			rraft_addr_to_sin(&any, &ncfg.listen);
		}
		dev->listen = ncfg.listen;
		dev->has_listen = true;
		memcpy(ncfg.secret, a->secret, a->secret_len);
		ncfg.secret_len = a->secret_len;
		dev->net = rraft_net_create(&ncfg, &rraft_net_ops, dev);
		if (IS_ERR_OR_NULL(dev->net)) {
			err = dev->net ? PTR_ERR(dev->net) : -ENOMEM;
			dev->net = NULL;
			pr_warn("rraft: create: transport setup failed (%d)\n", err);
			goto fail;
		}
		for (i = 0; i < a->n_peers; i++) {
			err = rraft_dev_add_peer(dev, &a->peers[i]);
			if (err) {
				pr_warn("rraft: create: cannot add peer %u (%d)\n",
					a->peers[i].id, err);
				goto fail;
			}
		}
	}

	err = idr_alloc(&rraft_idr, dev, a->minor, a->minor + 1, GFP_KERNEL);
	if (err < 0)
		goto fail;
	err = rraft_blk_init(dev);
	if (err) {
		idr_remove(&rraft_idr, a->minor);
		pr_warn("rraft: create: adding the disk failed (%d)\n", err);
		goto fail;
	}
	if (dev->net) {
		err = rraft_net_start(dev->net);
		if (err) {
			pr_warn("rraft: create: transport start failed (%d)\n",
				err);
			idr_remove(&rraft_idr, a->minor);
			rraft_dev_destroy(dev);
			return err;
		}
	}
	mutex_lock(&dev->lock);
	if (rraft_sole_voter(dev))
		raft_campaign(dev->raft);
	mutex_unlock(&dev->lock);
	mod_timer(&dev->tick_timer, jiffies + msecs_to_jiffies(RRAFT_TICK_MS));
	rraft_kick(dev);
	rr_dev_info(dev, "up on %s: node %u cluster 0x%llx, %llu KiB, %u peers",
		    a->backing, dev->node_id, dev->cluster_id,
		    s->sb.data_blocks * 4, dev->n_peers);
	return 0;
fail:
	if (dev->net)
		rraft_net_destroy(dev->net);
	dev->net = NULL;
	rraft_dev_free(dev);
	return err;
}

static int rraft_remove(unsigned int minor)
{
	struct rraft_dev *dev = idr_find(&rraft_idr, minor);

	if (!dev) {
		pr_warn("rraft: remove: no device rraft%u\n", minor);
		return -ENODEV;
	}
	mutex_lock(&dev->disk->open_mutex);
	if (disk_openers(dev->disk)) {
		mutex_unlock(&dev->disk->open_mutex);
		pr_warn("rraft: remove: rraft%u is open\n", minor);
		return -EBUSY;
	}
	dev->removing = true;
	mutex_unlock(&dev->disk->open_mutex);
	idr_remove(&rraft_idr, minor);
	rraft_dev_destroy(dev);
	return 0;
}

/* ---- rraft-control class ---- */

static void rraft_perr(const char *what, const struct rr_perr *e)
{
	if (e->tok[0])
		pr_warn("rraft: %s: %s '%s'\n", what, e->msg, e->tok);
	else
		pr_warn("rraft: %s: %s\n", what, e->msg);
}

static ssize_t format_store(RRAFT_CLASS_CONST struct class *class,
			    RRAFT_CLASS_CONST struct class_attribute *attr,
			    const char *buf, size_t count)
{
	struct rr_format_args *a;
	struct rr_perr e;
	int err;

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	err = rr_parse_format(a, buf, count, &e);
	if (err) {
		rraft_perr("format", &e);
	} else {
		mutex_lock(&rraft_ctl_mutex);
		err = rraft_store_format(a);
		mutex_unlock(&rraft_ctl_mutex);
	}
	kfree(a);
	return err ? err : count;
}

static ssize_t create_store(RRAFT_CLASS_CONST struct class *class,
			    RRAFT_CLASS_CONST struct class_attribute *attr,
			    const char *buf, size_t count)
{
	struct rr_create_args *a;
	struct rr_perr e;
	int err;

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	err = rr_parse_create(a, buf, count, &e);
	if (err) {
		rraft_perr("create", &e);
	} else {
		mutex_lock(&rraft_ctl_mutex);
		err = rraft_create(a);
		mutex_unlock(&rraft_ctl_mutex);
	}
	memzero_explicit(a->secret, sizeof(a->secret));
	kfree(a);
	return err ? err : count;
}

static ssize_t remove_store(RRAFT_CLASS_CONST struct class *class,
			    RRAFT_CLASS_CONST struct class_attribute *attr,
			    const char *buf, size_t count)
{
	struct rr_perr e;
	u64 minor;
	int err;

	err = rr_parse_u64(buf, count, 0, RR_MAX_MINOR, &minor, &e);
	if (err) {
		rraft_perr("remove", &e);
		return err;
	}
	mutex_lock(&rraft_ctl_mutex);
	err = rraft_remove((unsigned int)minor);
	mutex_unlock(&rraft_ctl_mutex);
	return err ? err : count;
}

static CLASS_ATTR_WO(format);
static CLASS_ATTR_WO(create);
static CLASS_ATTR_WO(remove);

static struct attribute *rraft_control_class_attrs[] = {
	&class_attr_format.attr,
	&class_attr_create.attr,
	&class_attr_remove.attr,
	NULL,
};
ATTRIBUTE_GROUPS(rraft_control_class);

static struct class rraft_control_class = {
	.name = "rraft-control",
#if KERNEL_VERSION(6, 4, 0) > LINUX_VERSION_CODE
	.owner = THIS_MODULE,
#endif
	.class_groups = rraft_control_class_groups,
};

static int __init rraft_init(void)
{
	int err;

	rraft_major = register_blkdev(0, RRAFT_NAME);
	if (rraft_major < 0)
		return rraft_major;
	err = class_register(&rraft_control_class);
	if (err) {
		unregister_blkdev(rraft_major, RRAFT_NAME);
		return err;
	}
	pr_info("rraft: loaded (major %d)\n", rraft_major);
	return 0;
}

static int rraft_exit_cb(int id, void *p, void *data)
{
	rraft_dev_destroy(p);
	return 0;
}

static void __exit rraft_exit(void)
{
	class_unregister(&rraft_control_class);
	mutex_lock(&rraft_ctl_mutex);
	idr_for_each(&rraft_idr, rraft_exit_cb, NULL);
	idr_destroy(&rraft_idr);
	mutex_unlock(&rraft_ctl_mutex);
	unregister_blkdev(rraft_major, RRAFT_NAME);
	pr_info("rraft: unloaded\n");
}

module_init(rraft_init);
module_exit(rraft_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rraft: a block device replicated with Raft");
MODULE_SOFTDEP("pre: crc32c");
