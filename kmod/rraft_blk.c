// SPDX-License-Identifier: GPL-2.0
/*
 * rraft_blk.c - the blk-mq side of /dev/rraftN.
 *
 * queue_rq never blocks: it puts the request on the device's input list
 * and kicks the event loop.  The loop (rraft_main.c, under dev->lock)
 * turns writes into Raft proposals and reads into ReadIndex requests, and
 * completes them from here once they are committed (writes; rraft_apply.c
 * writes the data area afterwards)
 * or once the data area has caught up with the read index (reads).
 *
 * Request life cycle:
 *   in_reqs --admit--> wait_leader --propose--> proposed --commit--> done
 *                                  \--read_index--> reading --serve--> done
 * A request waits in wait_leader while this node is not leader; after
 * io_timeout seconds there it fails with EIO.  A proposed write whose entry
 * is overwritten by another leader's entry goes back to wait_leader and is
 * proposed again (it never took effect).  Proposed writes and confirmed
 * reads have no deadline: without a majority they stay suspended.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/blk-mq.h>
#include <linux/highmem.h>
#include <linux/delay.h>
#include <linux/mm.h>
#include "rraft.h"

static struct rraft_cmd *rr_rq_cmd(struct request *rq)
{
	return blk_mq_rq_to_pdu(rq);
}

static struct request *rr_cmd_rq(struct rraft_cmd *cmd)
{
	return blk_mq_rq_from_pdu(cmd);
}

static void rr_cmd_end(struct rraft_cmd *cmd, blk_status_t sts)
{
	list_del_init(&cmd->node);
	blk_mq_end_request(rr_cmd_rq(cmd), sts);
}

static void rr_cmd_wait(struct rraft_dev *dev, struct rraft_cmd *cmd)
{
	list_del_init(&cmd->node);
	cmd->wait_start = jiffies;
	cmd->read_ready = false;
	list_add_tail(&cmd->node, &dev->wait_leader);
}

static blk_status_t rr_queue_rq(struct blk_mq_hw_ctx *hctx,
				const struct blk_mq_queue_data *bd)
{
	struct rraft_dev *dev = hctx->queue->queuedata;
	struct request *rq = bd->rq;
	struct rraft_cmd *cmd = rr_rq_cmd(rq);
	unsigned long flags;

	blk_mq_start_request(rq);
	switch (req_op(rq)) {
	case REQ_OP_FLUSH:
		/* No volatile cache: completed writes are already durable. */
		blk_mq_end_request(rq, BLK_STS_OK);
		return BLK_STS_OK;
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		if (blk_rq_bytes(rq) > RRAFT_MAX_IO_BYTES)
			return BLK_STS_IOERR;
		break;
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		if (!blk_rq_bytes(rq))
			return BLK_STS_IOERR;
		break;
	default:
		return BLK_STS_NOTSUPP;
	}
	if ((blk_rq_bytes(rq) | (blk_rq_pos(rq) << SECTOR_SHIFT)) % RR_BLOCK_SIZE)
		return BLK_STS_IOERR;
	INIT_LIST_HEAD(&cmd->node);
	cmd->dev = dev;
	cmd->index = 0;
	cmd->term = 0;
	cmd->read_ctx = 0;
	cmd->read_index = 0;
	cmd->read_ready = false;
	cmd->status = BLK_STS_OK;
	cmd->wait_start = jiffies;
	spin_lock_irqsave(&dev->in_lock, flags);
	if (dev->dying || dev->failed) {
		spin_unlock_irqrestore(&dev->in_lock, flags);
		if (!dev->dying)
			pr_err_ratelimited("rraft%u: I/O error: the disk failed (disk_state Failed)\n",
					   dev->minor);
		return BLK_STS_IOERR;
	}
	list_add_tail(&cmd->node, &dev->in_reqs);
	spin_unlock_irqrestore(&dev->in_lock, flags);
	/* A burst is one wake-up: the last request (or commit_rqs) kicks. */
	if (bd->last)
		rraft_kick(dev);
	return BLK_STS_OK;
}

/* blk-mq stopped a burst before its last request: start the loop. */
static void rr_commit_rqs(struct blk_mq_hw_ctx *hctx)
{
	rraft_kick(hctx->queue->queuedata);
}

/* The event loop owns every started request: just re-arm. */
static enum blk_eh_timer_return rr_timeout(struct request *rq)
{
	return BLK_EH_RESET_TIMER;
}

static const struct blk_mq_ops rr_mq_ops = {
	.queue_rq = rr_queue_rq,
	.commit_rqs = rr_commit_rqs,
	.timeout = rr_timeout,
};

/* Propose a writer claim for node (0: nobody); dev->lock held, leader. */
static int rr_propose_claim(struct rraft_dev *dev, u32 node)
{
	u8 buf[RR_CMD_HDR_SIZE];
	u64 index, term;

	rraft_cmd_encode_claim(buf, node);
	return raft_propose(dev->raft, buf, sizeof(buf), &index, &term);
}

#define RRAFT_CLAIM_WAIT_MAX	10	/* seconds */

/*
 * Auto-promote: an open for write makes this node the writer.  The leader
 * records its claim (replicated, so followers see who writes).  A follower
 * refuses with EBUSY while the current leader holds the claim; otherwise
 * it asks for leadership and waits (bounded) until it leads and its claim
 * is applied.  A claim held by a node that is not the current leader (dead
 * or deposed) blocks nobody.  With no leader known when the wait ends the
 * open succeeds: I/O then waits for a leader up to io_timeout, as before.
 * Called under disk->open_mutex; dev->lock is dropped while waiting.
 */
static int rr_claim_write(struct rraft_dev *dev)
{
	unsigned long end = jiffies + min(dev->cfg.io_timeout,
					 RRAFT_CLAIM_WAIT_MAX) * HZ;
	bool asked = false, proposed = false;
	u32 lead = RAFT_NONE;
	u64 term = 0;
	int err;

	for (;;) {
		mutex_lock(&dev->lock);
		if (dev->failed) {
			mutex_unlock(&dev->lock);
			return -EIO;
		}
		lead = raft_leader(dev->raft);
		if (raft_role(dev->raft) == RAFT_LEADER) {
			if (dev->writer == dev->cfg.node_id) {
				mutex_unlock(&dev->lock);
				return 0;
			}
			if (!proposed || term != raft_term(dev->raft)) {
				term = raft_term(dev->raft);
				proposed = !rr_propose_claim(dev,
								dev->cfg.node_id);
			}
			/* Already leading before this open: don't wait. */
			if (!asked && proposed) {
				mutex_unlock(&dev->lock);
				rraft_kick(dev);
				return 0;
			}
		} else if (dev->writer && dev->writer != dev->cfg.node_id &&
			   dev->writer == lead) {
			mutex_unlock(&dev->lock);
			pr_warn_ratelimited("rraft%u: open for write refused: node %u (leader) has it open for write\n",
					    dev->minor, lead);
			return -EBUSY;
		} else if (!asked) {
			asked = true;
			err = rraft_promote(dev);
			if (err)
				rr_dev_warn(dev, "auto-promote: asking for leadership failed (%d)",
					    err);
		}
		mutex_unlock(&dev->lock);
		rraft_kick(dev);
		if (time_after(jiffies, end))
			break;
		if (msleep_interruptible(RRAFT_TICK_MS))
			return -ERESTARTSYS;
	}
	if (lead == RAFT_NONE || lead == dev->cfg.node_id)
		return 0;
	pr_warn_ratelimited("rraft%u: open for write refused: leadership did not move here from node %u\n",
			    dev->minor, lead);
	return -EBUSY;
}

static int rr_open(RRAFT_BDOPS_OPEN_ARGS)
{
	struct rraft_dev *dev = (RRAFT_BDOPS_OPEN_DISK)->private_data;
	bool write = RRAFT_BDOPS_OPEN_WRITE;
	int err;

	/* Called under disk->open_mutex, which remove also takes. */
	if (dev->removing)
		return -ENXIO;
	if (write) {
		err = rr_claim_write(dev);
		if (err)
			return err;
		dev->n_write++;
	}
	dev->n_open++;
	return 0;
}

static void rr_release(RRAFT_BDOPS_RELEASE_ARGS)
{
	struct rraft_dev *dev = disk->private_data;
	int write = RRAFT_BDOPS_RELEASE_WRITE;

	if (dev->n_open)
		dev->n_open--;
	if (write > 0) {
		if (dev->n_write)
			dev->n_write--;
		if (dev->n_write)
			return;
	} else if (write < 0) {
		/* Mode unknown (6.12): the last closer ends the claim. */
		if (dev->n_open)
			return;
		dev->n_write = 0;
	} else {
		return;
	}
	mutex_lock(&dev->lock);
	if (dev->writer == dev->cfg.node_id &&
	    raft_role(dev->raft) == RAFT_LEADER &&
	    !rr_propose_claim(dev, 0)) {
		mutex_unlock(&dev->lock);
		rraft_kick(dev);
		return;
	}
	mutex_unlock(&dev->lock);
}

const struct block_device_operations rraft_fops = {
	.owner = THIS_MODULE,
	.open = rr_open,
	.release = rr_release,
};

/* ---- called by the event loop, dev->lock held ---- */

void rraft_blk_admit(struct rraft_dev *dev)
{
	struct rraft_cmd *cmd, *tmp;
	unsigned long flags;
	LIST_HEAD(list);

	spin_lock_irqsave(&dev->in_lock, flags);
	list_splice_init(&dev->in_reqs, &list);
	spin_unlock_irqrestore(&dev->in_lock, flags);
	list_for_each_entry_safe(cmd, tmp, &list, node)
		rr_cmd_wait(dev, cmd);
}

void rraft_blk_fail_all(struct rraft_dev *dev)
{
	struct rraft_cmd *cmd, *tmp;

	/* teardown: write what is committed; failure: give it up */
	if (!dev->failed)
		rraft_apply_drain(dev);
	rraft_apply_discard(dev);
	rraft_blk_admit(dev);
	list_for_each_entry_safe(cmd, tmp, &dev->wait_leader, node)
		rr_cmd_end(cmd, BLK_STS_IOERR);
	list_for_each_entry_safe(cmd, tmp, &dev->proposed, node)
		rr_cmd_end(cmd, BLK_STS_IOERR);
	list_for_each_entry_safe(cmd, tmp, &dev->reading, node)
		rr_cmd_end(cmd, BLK_STS_IOERR);
}

/* A discard or write-zeroes: a zero-range command, no payload. */
static bool rr_rq_zero(struct request *rq)
{
	return req_op(rq) == REQ_OP_DISCARD || req_op(rq) == REQ_OP_WRITE_ZEROES;
}

/* Data bytes the request's command carries (a zero range: its range). */
static u32 rr_rq_cmd_bytes(struct request *rq)
{
	return rr_rq_zero(rq) ? RR_CMD_ZERO_SIZE - RR_CMD_HDR_SIZE :
				blk_rq_bytes(rq);
}

static void *rr_cmd_payload(struct request *rq, u32 *len)
{
	struct req_iterator iter;
	struct bio_vec bv;
	u32 n = rr_rq_cmd_bytes(rq), pos = RR_CMD_HDR_SIZE;
	u8 *buf = kvmalloc(RR_CMD_HDR_SIZE + n, GFP_NOIO);

	if (!buf)
		return NULL;
	*len = RR_CMD_HDR_SIZE + n;
	if (rr_rq_zero(rq)) {
		/* a discard may unmap; a write-zeroes only without NOUNMAP */
		rraft_cmd_encode_zero(buf, (u64)blk_rq_pos(rq) << SECTOR_SHIFT,
				      blk_rq_bytes(rq),
				      !(rq->cmd_flags & REQ_NOUNMAP));
		return buf;
	}
	rraft_cmd_encode_hdr(buf, (u64)blk_rq_pos(rq) << SECTOR_SHIFT, n);
	rq_for_each_segment(bv, rq, iter) {
		memcpy_from_bvec(buf + pos, &bv);
		pos += bv.bv_len;
	}
	return buf;
}

/* Ring bytes one more proposal of len data bytes may take. */
static u64 rr_prop_bytes(u32 len)
{
	return rr_blocks_up(RR_LOG_HDR_SIZE + RR_LOG_ENT_HDR_SIZE +
			    RR_CMD_HDR_SIZE + (u64)len) << RR_BLOCK_SHIFT;
}

static bool rr_ring_has_room(struct rraft_dev *dev, u64 extra)
{
	struct rraft_store *s = &dev->store;
	u64 slack = min_t(u64, s->ring_bytes / 4, 4ull << 20);
	u64 limit = min(s->ring_bytes / 4 * 3, s->ring_bytes - slack);

	/* Leave room for a wrap skip and for entries of other leaders. */
	return rraft_store_used(s) + extra <= limit;
}

void rraft_blk_submit(struct rraft_dev *dev)
{
	struct rraft_cmd *cmd, *tmp;
	LIST_HEAD(reads);
	u64 pending = 0, ctx;
	bool checkpointed = false;
	u32 len;
	int err;

	if (list_empty(&dev->wait_leader) || raft_role(dev->raft) != RAFT_LEADER)
		return;
	list_for_each_entry_safe(cmd, tmp, &dev->wait_leader, node) {
		struct request *rq = rr_cmd_rq(cmd);
		void *buf;

		if (req_op(rq) == REQ_OP_READ) {
			list_move_tail(&cmd->node, &reads);
			continue;
		}
		/* The data area lags too far behind: wait for apply. */
		if (dev->applyq.bytes > RRAFT_APPLY_MAX_BYTES)
			break;
		if (!rr_ring_has_room(dev, pending + rr_prop_bytes(rr_rq_cmd_bytes(rq)))) {
			/* Backpressure: free what is applied, else wait. */
			if (checkpointed || pending)
				break;
			checkpointed = true;
			rraft_checkpoint(dev);
			if (!rr_ring_has_room(dev, rr_prop_bytes(rr_rq_cmd_bytes(rq))))
				break;
		}
		buf = rr_cmd_payload(rq, &len);
		if (!buf)
			break;
		err = raft_propose(dev->raft, buf, len, &cmd->index, &cmd->term);
		kvfree(buf);
		if (err == -EPERM || err == -EBUSY || err == -EAGAIN ||
		    err == -ENOMEM)
			break;		/* retried on a later pass */
		if (err) {
			rr_dev_warn(dev, "proposal refused (%d), failing write", err);
			rr_cmd_end(cmd, BLK_STS_IOERR);
			continue;
		}
		pending += rr_prop_bytes(rr_rq_cmd_bytes(rq));
		list_move_tail(&cmd->node, &dev->proposed);
	}
	if (list_empty(&reads))
		return;
	ctx = ++dev->next_read_ctx;
	err = raft_read_index(dev->raft, ctx);
	list_for_each_entry_safe(cmd, tmp, &reads, node) {
		if (err) {
			list_move_tail(&cmd->node, &dev->wait_leader);
			continue;
		}
		cmd->read_ctx = ctx;
		cmd->read_ready = false;
		list_move_tail(&cmd->node, &dev->reading);
	}
}

/*
 * ents are committed (durable on a majority, in a leader's term): the
 * writes they carry complete; the data area follows (rraft_apply.c).
 */
void rraft_blk_committed(struct rraft_dev *dev, const struct raft_entry *ents,
			 u32 n)
{
	struct rraft_cmd *cmd, *tmp;
	u64 first, last;

	if (!n)
		return;
	first = ents[0].index;
	last = ents[n - 1].index;
	list_for_each_entry_safe(cmd, tmp, &dev->proposed, node) {
		if (cmd->index > last)
			continue;
		if (cmd->index >= first &&
		    ents[cmd->index - first].term == cmd->term)
			rr_cmd_end(cmd, BLK_STS_OK);
		else
			rr_cmd_wait(dev, cmd);	/* overwritten: propose again */
	}
}

void rraft_blk_reads(struct rraft_dev *dev, const struct raft_read_state *rs,
		     u32 n)
{
	struct rraft_cmd *cmd;
	u32 i;

	for (i = 0; i < n; i++) {
		list_for_each_entry(cmd, &dev->reading, node) {
			if (!cmd->read_ready && cmd->read_ctx == rs[i].ctx) {
				cmd->read_index = rs[i].index;
				cmd->read_ready = true;
			}
		}
	}
}

static void rr_read_end(struct bio *bio)
{
	struct rraft_cmd *cmd = bio->bi_private;

	if (bio->bi_status) {
		cmd->status = bio->bi_status;
		rraft_dev_read_failed(cmd->dev,
				      blk_status_to_errno(bio->bi_status));
	}
	bio_put(bio);
	if (atomic_dec_and_test(&cmd->bios))
		blk_mq_end_request(rr_cmd_rq(cmd), cmd->status);
}

static void rr_read_submit(struct rraft_dev *dev, struct rraft_cmd *cmd)
{
	struct request *rq = rr_cmd_rq(cmd);
	struct rraft_store *s = &dev->store;
	sector_t sector = (s->sb.data_off << (RR_BLOCK_SHIFT - SECTOR_SHIFT)) +
			  blk_rq_pos(rq);
	unsigned int nr = clamp_t(unsigned int, blk_rq_nr_phys_segments(rq),
				  1, BIO_MAX_VECS);
	struct req_iterator iter;
	struct bio *bio = NULL;
	struct bio_vec bv;

	list_del_init(&cmd->node);
	cmd->status = BLK_STS_OK;
	atomic_set(&cmd->bios, 1);
	rq_for_each_segment(bv, rq, iter) {
		if (bio && bio_add_page(bio, bv.bv_page, bv.bv_len,
					bv.bv_offset) == bv.bv_len) {
			sector += bv.bv_len >> SECTOR_SHIFT;
			continue;
		}
		if (bio) {
			atomic_inc(&cmd->bios);
			submit_bio(bio);
		}
		bio = bio_alloc(s->bdev, nr, REQ_OP_READ, GFP_NOIO);
		bio->bi_iter.bi_sector = sector;
		bio->bi_end_io = rr_read_end;
		bio->bi_private = cmd;
		__bio_add_page(bio, bv.bv_page, bv.bv_len, bv.bv_offset);
		sector += bv.bv_len >> SECTOR_SHIFT;
	}
	if (bio) {
		atomic_inc(&cmd->bios);
		submit_bio(bio);
	}
	if (atomic_dec_and_test(&cmd->bios))
		blk_mq_end_request(rq, cmd->status);
}

void rraft_blk_serve_reads(struct rraft_dev *dev)
{
	struct rraft_cmd *cmd, *tmp;

	list_for_each_entry_safe(cmd, tmp, &dev->reading, node) {
		if (cmd->read_ready && dev->applied >= cmd->read_index &&
		    !dev->inconsistent)
			rr_read_submit(dev, cmd);
	}
}

/*
 * Periodic checks: proposals overwritten by another leader go back to
 * wait for leadership; unconfirmed reads of a deposed leader too; requests
 * that waited longer than io_timeout for leadership fail.
 */
void rraft_blk_check(struct rraft_dev *dev)
{
	unsigned long tmo = (unsigned long)dev->cfg.io_timeout * HZ;
	bool leader = raft_role(dev->raft) == RAFT_LEADER;
	struct rraft_cmd *cmd, *tmp;

	list_for_each_entry_safe(cmd, tmp, &dev->proposed, node) {
		/*
		 * At or below applied and still here: the index was covered
		 * by an installed snapshot, so whether it held this write is
		 * unknown; proposing it again is harmless (same data, and
		 * the write has not completed yet).
		 */
		if (cmd->index <= dev->applied ||
		    raft_term_at(dev->raft, cmd->index) != cmd->term)
			rr_cmd_wait(dev, cmd);
	}
	if (!leader) {
		list_for_each_entry_safe(cmd, tmp, &dev->reading, node)
			if (!cmd->read_ready)
				rr_cmd_wait(dev, cmd);
	}
	list_for_each_entry_safe(cmd, tmp, &dev->wait_leader, node) {
		if (leader && !dev->inconsistent)
			break;
		if (time_after(jiffies, cmd->wait_start + tmo))
			rr_cmd_end(cmd, BLK_STS_IOERR);
	}
}

/*
 * The largest discard / write-zeroes request, one log entry: the data
 * area, at most RRAFT_MAX_ZERO_BYTES (a request's length is 32 bits, and
 * the entry's apply is one batch).
 */
static unsigned int rr_zero_max_sectors(struct rraft_dev *dev)
{
	u64 bytes = min_t(u64, rraft_store_data_bytes(&dev->store),
			  RRAFT_MAX_ZERO_BYTES);

	return (unsigned int)(bytes >> SECTOR_SHIFT);
}

int rraft_blk_init(struct rraft_dev *dev)
{
	struct blk_mq_tag_set *set = &dev->tag_set;
	struct gendisk *disk;
	int err;

	memset(set, 0, sizeof(*set));
	set->ops = &rr_mq_ops;
	set->nr_hw_queues = 1;
	set->queue_depth = RRAFT_QUEUE_DEPTH;
	set->numa_node = NUMA_NO_NODE;
	set->cmd_size = sizeof(struct rraft_cmd);
	set->flags = BLK_MQ_F_SHOULD_MERGE;
	set->timeout = 30 * HZ;
	set->driver_data = dev;
	err = blk_mq_alloc_tag_set(set);
	if (err)
		return err;
	disk = rraft_alloc_disk(set, dev, RR_BLOCK_SIZE,
				RRAFT_MAX_IO_BYTES >> SECTOR_SHIFT, 128,
				rr_zero_max_sectors(dev));
	if (IS_ERR(disk)) {
		blk_mq_free_tag_set(set);
		return PTR_ERR(disk);
	}
	disk->major = rraft_major;
	disk->first_minor = dev->minor;
	disk->minors = 1;
	disk->fops = &rraft_fops;
	disk->private_data = dev;
	disk->flags |= GENHD_FL_NO_PART;
	snprintf(disk->disk_name, DISK_NAME_LEN, "rraft%u", dev->minor);
	set_capacity(disk, dev->store.sb.data_blocks <<
		     (RR_BLOCK_SHIFT - SECTOR_SHIFT));
	dev->disk = disk;
	err = device_add_disk(NULL, disk, rraft_disk_groups);
	if (err) {
		put_disk(disk);
		blk_mq_free_tag_set(set);
		dev->disk = NULL;
		return err;
	}
	return 0;
}

void rraft_blk_exit(struct rraft_dev *dev)
{
	if (!dev->disk)
		return;
	del_gendisk(dev->disk);
	put_disk(dev->disk);
	blk_mq_free_tag_set(&dev->tag_set);
	dev->disk = NULL;
}
