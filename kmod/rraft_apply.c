// SPDX-License-Identifier: GPL-2.0
/*
 * rraft_apply.c - asynchronous apply of committed entries to the data area.
 *
 * The ready handling queues committed entries here (their payload copied
 * into pages, since the core frees its buffers at raft_advance) and the
 * writes they stand for complete at once: committed is durable on a
 * majority.  The loop then writes the queue to the data area in index
 * order, one batch of non-overlapping writes at a time (rraft_wbatch), so
 * overlapping writes are never reordered; the last bio of a batch kicks the
 * loop, which moves dev->applied to the batch's last index (and applies
 * its configuration and writer claims) before it starts the next batch.
 * A zero range (discard or write-zeroes) is one item like a write: its
 * bios (__blkdev_issue_zeroout: REQ_OP_WRITE_ZEROES, or zero pages where
 * the backing device has no write-zeroes) are built when its batch starts,
 * and a later write to the range waits for them.
 * Reads wait for applied >= their read index; a checkpoint covers only
 * dev->applied, after a flush.  The loop never waits here except in
 * rraft_apply_drain (snapshot install and serve, teardown, failure).
 */
#include <linux/bio.h>
#include <linux/slab.h>
#include "rraft.h"

struct rraft_apply_item {
	struct list_head node;
	u64 index, term;
	u32 type;		/* enum raft_entry_type */
	bool claim;		/* normal entry: a writer claim */
	u32 writer;
	u8 *idents;		/* normal entry: member identities (kmalloc) */
	u32 n_idents;
	u64 offset;		/* block write or zero range */
	u32 len;		/* block write */
	u64 zero_len;		/* zero range */
	bool unmap;		/* zero range: the backing device may unmap */
	struct bio_list bios;	/* block write: built, not yet submitted */
	struct raft_conf conf;	/* RAFT_ENTRY_CONF */
};

void rraft_apply_init(struct rraft_dev *dev)
{
	struct rraft_applyq *q = &dev->applyq;

	INIT_LIST_HEAD(&q->queue);
	INIT_LIST_HEAD(&q->inflight);
	atomic_set(&q->pending, 0);
	init_completion(&q->done);
}

static void rr_item_free(struct rraft_apply_item *it)
{
	struct bio *bio;

	while ((bio = bio_list_pop(&it->bios))) {
		rraft_bio_free_pages(bio);
		bio_put(bio);
	}
	kfree(it->idents);
	kfree(it);
}

/* A bio of the batch is done (a zero-range bio has no pages of ours). */
static void rr_bio_done(struct bio *bio)
{
	struct rraft_dev *dev = bio->bi_private;
	struct rraft_applyq *q = &dev->applyq;

	if (bio->bi_status)
		WRITE_ONCE(q->error, blk_status_to_errno(bio->bi_status));
	bio_put(bio);
	if (atomic_dec_and_test(&q->pending)) {
		/* Kick before complete: a drainer may free dev right after. */
		rraft_kick(dev);
		complete(&q->done);
	}
}

static void rr_apply_end(struct bio *bio)
{
	rraft_bio_free_pages(bio);
	rr_bio_done(bio);
}

/*
 * Zero the data area range of a zero-range item.  Discard on the backing
 * device does not promise zeroes, so both discard and write-zeroes become
 * write-zeroes there (allowed to unmap for a discard, so thin backing
 * devices still free the space); the block layer writes zero pages where
 * the device has no write-zeroes.  Every member then reads zeroes.
 */
static void rr_zero_submit(struct rraft_dev *dev, struct rraft_apply_item *it)
{
	struct rraft_store *s = &dev->store;
	sector_t base = s->sb.data_off << (RR_BLOCK_SHIFT - SECTOR_SHIFT);
	struct bio *bio = NULL;
	int err;

	err = __blkdev_issue_zeroout(s->bdev, base + (it->offset >> SECTOR_SHIFT),
				     it->zero_len >> SECTOR_SHIFT, GFP_NOIO, &bio,
				     it->unmap ? 0 : BLKDEV_ZERO_NOUNMAP);
	if (err)
		WRITE_ONCE(dev->applyq.error, err);
	if (!bio)
		return;
	/* the earlier bios of the chain complete into this last one */
	bio->bi_end_io = rr_bio_done;
	bio->bi_private = dev;
	atomic_inc(&dev->applyq.pending);
	submit_bio(bio);
}

/* Build one item for a committed entry; -EUCLEAN for a bad block write. */
static int rr_item_make(struct rraft_dev *dev, const struct raft_entry *e,
			struct rraft_apply_item **itp)
{
	struct rraft_store *s = &dev->store;
	struct rraft_apply_item *it;
	struct rr_cmd c;

	it = kzalloc(sizeof(*it), GFP_NOIO | __GFP_NOFAIL);
	it->index = e->index;
	it->term = e->term;
	it->type = e->type;
	bio_list_init(&it->bios);
	if (e->type == RAFT_ENTRY_CONF) {
		if (raft_conf_decode(&it->conf, e->data, e->len))
			it->type = RAFT_ENTRY_NOOP;
	} else if (e->type == RAFT_ENTRY_NORMAL) {
		if (rraft_cmd_decode(&c, e->data, e->len,
				     rraft_store_data_bytes(s))) {
			rr_dev_err(dev, "committed entry %llu is not a valid block write",
				   e->index);
			kfree(it);
			return -EUCLEAN;
		}
		if (c.ident) {
			/* the core frees e->data at raft_advance: keep a copy */
			it->idents = kmemdup(c.data, (size_t)c.len * RR_IDENT_ENT_SIZE,
					     GFP_NOIO | __GFP_NOFAIL);
			it->n_idents = c.len;
			*itp = it;
			return 0;
		}
		it->claim = c.claim;
		it->writer = c.writer;
		it->offset = c.offset;
		it->len = c.len;
		it->zero_len = c.zero_len;
		it->unmap = c.unmap;
		if (!c.claim && !c.zero)
			rraft_store_data_bios(s, c.offset, c.data, c.len,
					      rr_apply_end, dev, &it->bios);
	}
	*itp = it;
	return 0;
}

int rraft_apply_queue(struct rraft_dev *dev, const struct raft_entry *ents,
		      u32 n)
{
	struct rraft_applyq *q = &dev->applyq;
	struct rraft_apply_item *it;
	u32 i;
	int err;

	for (i = 0; i < n; i++) {
		err = rr_item_make(dev, &ents[i], &it);
		if (err)
			return err;
		q->bytes += it->len;
		list_add_tail(&it->node, &q->queue);
	}
	return 0;
}

/* The batch in flight is written: its effects take hold, in order. */
static int rr_batch_done(struct rraft_dev *dev)
{
	struct rraft_applyq *q = &dev->applyq;
	struct rraft_apply_item *it, *tmp;
	int err = READ_ONCE(q->error);

	q->busy = false;
	q->error = 0;
	list_for_each_entry_safe(it, tmp, &q->inflight, node) {
		list_del(&it->node);
		if (!err) {
			if (it->type == RAFT_ENTRY_CONF)
				dev->applied_conf = it->conf;
			else if (it->type == RAFT_ENTRY_NORMAL && it->claim)
				dev->writer = it->writer;
			else if (it->type == RAFT_ENTRY_NORMAL && it->idents)
				rraft_member_idents_apply(dev, it->idents,
							  it->n_idents);
			dev->applied = it->index;
			dev->applied_term = it->term;
		}
		rr_item_free(it);
	}
	return err;
}

/* Submit the longest prefix of the queue without overlapping writes. */
static void rr_batch_start(struct rraft_dev *dev)
{
	struct rraft_applyq *q = &dev->applyq;
	struct rraft_apply_item *it, *tmp;
	struct rraft_wbatch batch;
	struct bio *bio;

	rraft_wbatch_reset(&batch);
	atomic_set(&q->pending, 1);
	q->busy = true;
	list_for_each_entry_safe(it, tmp, &q->queue, node) {
		u64 span = it->len ? it->len : it->zero_len;

		if (span && !rraft_wbatch_add(&batch, it->offset, span))
			break;
		list_move_tail(&it->node, &q->inflight);
		q->bytes -= it->len;
		if (!span)
			continue;
		/* a zero range counts as written: catch-up sends its zeroes */
		rraft_wmap_mark(&dev->wmap, it->offset, span, it->index);
		if (it->zero_len)
			rr_zero_submit(dev, it);
		while ((bio = bio_list_pop(&it->bios))) {
			atomic_inc(&q->pending);
			submit_bio(bio);
		}
	}
	if (atomic_dec_and_test(&q->pending))
		complete(&q->done);
}

/* The batch's completion was consumed: apply its effects or fail. */
static int rr_batch_finish(struct rraft_dev *dev)
{
	int err = rr_batch_done(dev);

	if (err)
		rraft_dev_disk_failed(dev, "apply (data area write)", err);
	return err;
}

/*
 * Finish a written batch and start the next; never waits.  Returns true
 * when applied moved.  A data-area write error fails the device.  Every
 * batch completes q->done exactly once (after its last bio kicked the
 * loop), and exactly one of poll, drain and discard consumes it.
 */
bool rraft_apply_poll(struct rraft_dev *dev)
{
	struct rraft_applyq *q = &dev->applyq;
	u64 applied = dev->applied;

	while (!dev->failed) {
		if (q->busy) {
			if (!try_wait_for_completion(&q->done))
				break;
			if (rr_batch_finish(dev))
				break;
		}
		/* a dying device starts nothing it would have to wait for */
		if (list_empty(&q->queue) || READ_ONCE(dev->dying))
			break;
		rr_batch_start(dev);
	}
	return applied != dev->applied;
}

/*
 * Apply everything queued, waiting for it (snapshot work needs the data
 * area at the core's applied index).  Returns 0 or -EIO.
 */
int rraft_apply_drain(struct rraft_dev *dev)
{
	struct rraft_applyq *q = &dev->applyq;

	while (!dev->failed && (q->busy || !list_empty(&q->queue))) {
		if (q->busy) {
			wait_for_completion_io(&q->done);
			if (rr_batch_finish(dev))
				break;
		}
		if (!list_empty(&q->queue))
			rr_batch_start(dev);
	}
	return dev->failed ? -EIO : 0;
}

/* Failure or teardown: wait for the bios in flight, drop the rest. */
void rraft_apply_discard(struct rraft_dev *dev)
{
	struct rraft_applyq *q = &dev->applyq;
	struct rraft_apply_item *it, *tmp;

	if (q->busy) {
		wait_for_completion_io(&q->done);
		q->busy = false;
		q->error = 0;
	}
	list_splice_tail_init(&q->queue, &q->inflight);
	list_for_each_entry_safe(it, tmp, &q->inflight, node) {
		list_del(&it->node);
		rr_item_free(it);
	}
	q->bytes = 0;
}
