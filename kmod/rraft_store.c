// SPDX-License-Identifier: GPL-2.0
/*
 * rraft_store.c - rraft's storage on the backing device: superblock, the
 * double-slotted state record (hard state + checkpoint), the log ring and
 * the data area.  The format itself is in rraft_format.c; this file does
 * the I/O.  See Documentation/design/on-disk-format.rst.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/vmalloc.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/highmem.h>
#include "rraft.h"
#include "rraft_compat.h"

#define RR_SECT(blk)	((sector_t)(blk) << (RR_BLOCK_SHIFT - SECTOR_SHIFT))

/* ---- bio helpers ---- */

void rraft_iowait_init(struct rraft_iowait *w)
{
	atomic_set(&w->pending, 1);
	w->error = 0;
	init_completion(&w->done);
	w->kick = NULL;
}

int rraft_iowait_wait(struct rraft_iowait *w)
{
	int err;

	if (!atomic_dec_and_test(&w->pending))
		wait_for_completion_io(&w->done);
	err = READ_ONCE(w->error);
	rraft_iowait_init(w);
	return err;
}

static void rr_iowait_put(struct rraft_iowait *w, blk_status_t sts)
{
	if (sts)
		WRITE_ONCE(w->error, blk_status_to_errno(sts));
	if (atomic_dec_and_test(&w->pending)) {
		/* kick first: a waiter may free what it uses once done */
		if (w->kick)
			w->kick(w->kick_ctx);
		complete(&w->done);
	}
}

static void rr_bio_end(struct bio *bio)
{
	struct rraft_iowait *w = bio->bi_private;
	blk_status_t sts = bio->bi_status;

	bio_put(bio);
	rr_iowait_put(w, sts);
}

static void rr_bio_end_free(struct bio *bio)
{
	struct rraft_iowait *w = bio->bi_private;
	blk_status_t sts = bio->bi_status;

	rraft_bio_free_pages(bio);
	bio_put(bio);
	rr_iowait_put(w, sts);
}

static struct page *rr_vpage(const void *p)
{
	return is_vmalloc_addr(p) ? vmalloc_to_page(p) : virt_to_page(p);
}

/*
 * Submit buf (kmalloc/vmalloc memory) at sector; no wait.  buf must be
 * sector aligned, so that every piece of it within a page, and so every
 * bio, is a whole number of sectors; len a multiple of 512.
 */
static void rr_submit_buf(struct block_device *bdev, sector_t sector,
			  void *buf, size_t len, blk_opf_t opf,
			  bio_end_io_t *end, void *priv, atomic_t *pending)
{
	u8 *p = buf;

	WARN_ON_ONCE(((unsigned long)buf | len) & (SECTOR_SIZE - 1));
	if (is_vmalloc_addr(buf) && op_is_write(opf))
		flush_kernel_vmap_range(buf, len);
	while (len) {
		unsigned int nr = min_t(size_t,
					DIV_ROUND_UP(offset_in_page(p) + len,
						     PAGE_SIZE),
					BIO_MAX_VECS);
		struct bio *bio = bio_alloc(bdev, nr, opf, GFP_NOIO);

		bio->bi_iter.bi_sector = sector;
		bio->bi_end_io = end;
		bio->bi_private = priv;
		while (len && bio->bi_vcnt < nr) {
			unsigned int off = offset_in_page(p);
			unsigned int n = min_t(size_t, len, PAGE_SIZE - off);

			if (bio_add_page(bio, rr_vpage(p), n, off) != n)
				break;
			p += n;
			len -= n;
			sector += n >> SECTOR_SHIFT;
		}
		atomic_inc(pending);
		submit_bio(bio);
	}
}

static int rr_rw_sync(struct block_device *bdev, sector_t sector, void *buf,
		      size_t len, blk_opf_t opf)
{
	struct rraft_iowait w;
	int err;

	rraft_iowait_init(&w);
	rr_submit_buf(bdev, sector, buf, len, opf, rr_bio_end, &w, &w.pending);
	err = rraft_iowait_wait(&w);
	if (is_vmalloc_addr(buf) && !op_is_write(opf))
		invalidate_kernel_vmap_range(buf, len);
	return err;
}

static int rr_open_bdev(struct rraft_bdev_handle *h, const char *path,
			void *holder)
{
	int err = rraft_bdev_open(h, path, holder);

	switch (err) {
	case -ENOENT:
	case -ENXIO:
	case -ENOTBLK:
	case -ENODEV:
		return -ENODEV;
	}
	return err;
}

/* ---- format ---- */

static int rr_format_holder;

/* Format: size and block checks, the layout, no superblock unless force. */
static int rr_format_check(const struct rr_format_args *a,
			   struct block_device *bdev, struct rr_sb *sb, u8 *blk)
{
	u64 size = bdev_nr_bytes(bdev), log_bytes;
	int err;

	if (bdev_logical_block_size(bdev) > RR_BLOCK_SIZE) {
		pr_warn("rraft: format: %s: logical block size %u > 4096\n",
			a->backing, bdev_logical_block_size(bdev));
		return -EINVAL;
	}
	log_bytes = a->log_bytes;
	if (!a->log_given) {
		/* default: 64 MiB, or an eighth of a small device */
		log_bytes = min_t(u64, log_bytes,
				  (size / 8) & ~(RR_MIN_LOG_BYTES - 1));
		log_bytes = max_t(u64, log_bytes, RR_MIN_LOG_BYTES);
	}
	err = rraft_sb_layout(sb, size, log_bytes);
	if (err) {
		pr_warn("rraft: format: %s: %llu bytes is too small for metadata, a %llu byte log and 1 MiB of data\n",
			a->backing, size, log_bytes);
		return err;
	}
	if (size < RR_BLOCK_SIZE)
		return 0;
	err = rr_rw_sync(bdev, 0, blk, RR_BLOCK_SIZE, REQ_OP_READ);
	if (err) {
		pr_warn("rraft: format: %s: read error %d\n", a->backing, err);
		return err;
	}
	if (rr_get_le64(blk) == RR_SB_MAGIC && !a->force) {
		pr_warn("rraft: format: %s already holds an rraft superblock (use force=1)\n",
			a->backing);
		return -EEXIST;
	}
	return 0;
}

/*
 * Format: the data area, slot B and the first log block become zeroes, and
 * durable (a flush: they sit in the disk's volatile cache) before slot A and
 * the superblock say the device is formatted (catch-up assumes a zeroed data
 * area on every member).
 */
static int rr_format_zero(struct block_device *bdev, const struct rr_sb *sb,
			  u8 *blk)
{
	int err;

	err = blkdev_issue_zeroout(bdev, RR_SECT(sb->data_off),
				   RR_SECT(sb->data_blocks), GFP_KERNEL, 0);
	if (err)
		return err;
	memset(blk, 0, RR_BLOCK_SIZE);
	err = rr_rw_sync(bdev, RR_SECT(sb->state_off + 1), blk, RR_BLOCK_SIZE,
			 REQ_OP_WRITE);
	if (!err)
		err = rr_rw_sync(bdev, RR_SECT(sb->log_off), blk, RR_BLOCK_SIZE,
				 REQ_OP_WRITE);
	if (!err)
		err = blkdev_issue_flush(bdev);
	return err;
}

/* Format: slot A, then the superblock, each with FUA. */
static int rr_format_meta(struct block_device *bdev, const struct rr_sb *sb,
			  u8 *blk)
{
	struct rr_state st = {};
	int err;

	st.seq = 1;
	memcpy(st.uuid, sb->uuid, RR_UUID_LEN);
	st.snap_conf = sb->conf;
	st.ring_head = 0;
	st.ring_head_seq = 1;
	rraft_state_encode(&st, blk);
	err = rr_rw_sync(bdev, RR_SECT(sb->state_off), blk, RR_BLOCK_SIZE,
			 REQ_OP_WRITE | REQ_FUA);
	if (err)
		return err;
	rraft_sb_encode(sb, blk);
	return rr_rw_sync(bdev, 0, blk, RR_BLOCK_SIZE, REQ_OP_WRITE | REQ_FUA);
}

int rraft_store_format(const struct rr_format_args *a)
{
	struct rraft_bdev_handle bh;
	struct rr_sb sb = {};
	u8 *blk;
	u32 i;
	int err;

	blk = kzalloc(RR_BLOCK_SIZE, GFP_KERNEL);
	if (!blk)
		return -ENOMEM;
	err = rr_open_bdev(&bh, a->backing, &rr_format_holder);
	if (err) {
		pr_warn("rraft: format: cannot open %s exclusively (%d)\n",
			a->backing, err);
		kfree(blk);
		return err;
	}
	err = rr_format_check(a, bh.bdev, &sb, blk);
	if (err)
		goto out;

	get_random_bytes(sb.uuid, RR_UUID_LEN);
	do	/* the member identity: a new one at every format */
		get_random_bytes(sb.ident, RR_IDENT_LEN);
	while (rraft_ident_is_zero(sb.ident));
	sb.cluster_id = a->cluster;
	sb.node_id = a->node;
	for (i = 0; i < a->n_members; i++)
		sb.conf.voters[i] = a->members[i];
	sb.conf.n_voters = (u8)a->n_members;

	err = rr_format_zero(bh.bdev, &sb, blk);
	if (!err)
		err = rr_format_meta(bh.bdev, &sb, blk);
	if (err) {
		pr_warn("rraft: format: %s: write error %d\n", a->backing, err);
		goto out;
	}
	pr_info("rraft: formatted %s: node %u cluster 0x%llx, %u voters, log %llu KiB, data %llu KiB\n",
		a->backing, sb.node_id, sb.cluster_id, sb.conf.n_voters,
		sb.log_blocks * 4, sb.data_blocks * 4);
out:
	rraft_bdev_close(&bh);
	kfree(blk);
	return err;
}

/* ---- open / close ---- */

int rraft_store_open(struct rraft_store *s, const char *path, void *holder)
{
	struct rr_state st[2];
	const char *why[2] = { NULL, NULL };
	bool valid[2];
	const char *w;
	int i, err;

	memset(s, 0, sizeof(*s));
	strscpy(s->path, path, sizeof(s->path));
	for (i = 0; i < RRAFT_APPEND_UNITS; i++)
		s->units[i].s = s;
	s->blk = kzalloc(RR_BLOCK_SIZE, GFP_KERNEL);
	if (!s->blk)
		return -ENOMEM;
	err = rr_open_bdev(&s->bh, path, holder);
	if (err) {
		pr_warn("rraft: create: cannot open %s exclusively (%d)\n",
			path, err);
		goto fail;
	}
	s->bdev = s->bh.bdev;
	err = -EUCLEAN;
	if (bdev_nr_bytes(s->bdev) < RR_BLOCK_SIZE ||
	    bdev_logical_block_size(s->bdev) > RR_BLOCK_SIZE) {
		pr_warn("rraft: create: %s: not an rraft device (too small or block size > 4096)\n",
			path);
		goto fail;
	}
	err = rr_rw_sync(s->bdev, 0, s->blk, RR_BLOCK_SIZE, REQ_OP_READ);
	if (err) {
		pr_warn("rraft: create: %s: read error %d\n", path, err);
		goto fail;
	}
	err = rraft_sb_decode(&s->sb, s->blk, bdev_nr_bytes(s->bdev), &w);
	if (err) {
		pr_warn("rraft: create: %s: refusing: %s\n", path, w);
		err = -EUCLEAN;
		goto fail;
	}
	for (i = 0; i < 2; i++) {
		err = rr_rw_sync(s->bdev, RR_SECT(s->sb.state_off + i), s->blk,
				 RR_BLOCK_SIZE, REQ_OP_READ);
		if (err) {
			pr_warn("rraft: create: %s: read error %d\n", path, err);
			goto fail;
		}
		valid[i] = !rraft_state_decode(&st[i], s->blk, s->sb.uuid, &why[i]);
	}
	i = rraft_state_pick(st, valid);
	if (i < 0) {
		pr_warn("rraft: create: %s: refusing: no valid state slot (A: %s; B: %s)\n",
			path, why[0], why[1]);
		err = -EUCLEAN;
		goto fail;
	}
	s->st = st[i];
	s->slot = i;
	s->ring_bytes = s->sb.log_blocks << RR_BLOCK_SHIFT;
	rraft_ring_init(&s->ring, s->sb.uuid, s->ring_bytes, s->st.ring_head,
			s->st.ring_head_seq);
	return 0;
fail:
	rraft_store_close(s);
	return err;
}

void rraft_store_close(struct rraft_store *s)
{
	int i;

	rraft_store_append_wait_all(s);
	if (s->bdev)
		rraft_bdev_close(&s->bh);
	s->bdev = NULL;
	kfree(s->blk);
	s->blk = NULL;
	rraft_ring_destroy(&s->ring);
	for (i = 0; i < RRAFT_APPEND_UNITS; i++) {
		vfree(s->units[i].buf);
		s->units[i].buf = NULL;
		s->units[i].buf_size = 0;
	}
}

/* ---- state ---- */

int rraft_store_write_state(struct rraft_store *s, struct rr_state *nst)
{
	int slot = 1 - s->slot;
	int err;

	nst->seq = s->st.seq + 1;
	memcpy(nst->uuid, s->sb.uuid, RR_UUID_LEN);
	rraft_state_encode(nst, s->blk);
	err = rr_rw_sync(s->bdev, RR_SECT(s->sb.state_off + slot), s->blk,
			 RR_BLOCK_SIZE, REQ_OP_WRITE | REQ_FUA | REQ_SYNC);
	if (err)
		return err;
	s->st = *nst;
	s->slot = slot;
	return 0;
}

/* ---- log ring: the decisions are rraft_ring.c's, the I/O is here ---- */

static void rr_store_ring_write(void *ctx, u64 phys, void *buf, u64 len)
{
	struct rraft_append_unit *u = ctx;
	struct rraft_store *s = u->s;

	rr_submit_buf(s->bdev, RR_SECT(s->sb.log_off) + (phys >> SECTOR_SHIFT),
		      buf, len, REQ_OP_WRITE | REQ_FUA, rr_bio_end, &u->w,
		      &u->w.pending);
}

static int rr_store_ring_read(void *ctx, u64 phys, void *buf, u64 len)
{
	struct rraft_store *s = ctx;

	return rr_rw_sync(s->bdev, RR_SECT(s->sb.log_off) +
			  (phys >> SECTOR_SHIFT), buf, len, REQ_OP_READ);
}

static int rr_buf_reserve(struct rraft_append_unit *u, size_t bytes)
{
	if (u->buf_size >= bytes)
		return 0;
	bytes = roundup_pow_of_two(max_t(size_t, bytes, 64 << 10));
	vfree(u->buf);
	u->buf = vmalloc(bytes);
	u->buf_size = u->buf ? bytes : 0;
	return u->buf ? 0 : -ENOMEM;
}

u64 rraft_store_batch_bytes(const struct raft_entry *ents, u32 n)
{
	return rraft_ring_batch_bytes(ents, n);
}

u64 rraft_store_used(const struct rraft_store *s)
{
	return s->ring.tail - s->ring.head;
}

/*
 * Appends need no ordering among themselves: replay takes records in
 * sequence order and stops at the first one missing, and units retire in
 * start order, so an append that replaces entries is never reported
 * durable before the records it replaces, whatever order the disk
 * completes them in.  A unit's buffer is reused only once it retired.
 */
int rraft_store_append(struct rraft_store *s, const struct raft_entry *ents,
		       u32 n)
{
	struct rraft_ring_io io = { .write = rr_store_ring_write };
	struct rraft_append_unit *u;
	u64 total;
	int err;

	if (!n)
		return 0;
	if (WARN_ON_ONCE(rraft_store_append_full(s)))
		return -EBUSY;
	err = rraft_ring_fits(&s->ring, ents, n, &total);
	if (err)
		return err;
	u = &s->units[(s->u_first + s->u_n) % RRAFT_APPEND_UNITS];
	err = rr_buf_reserve(u, total);
	if (err)
		return err;
	rraft_iowait_init(&u->w);
	u->w.kick = s->kick;
	u->w.kick_ctx = s->kick_ctx;
	u->last_index = ents[n - 1].index;
	u->last_term = ents[n - 1].term;
	io.ctx = u;
	err = rraft_ring_append(&s->ring, &io, ents, n, u->buf);
	s->u_n++;
	if (err)
		WRITE_ONCE(u->w.error, err);
	else
		s->last_index = ents[n - 1].index;
	rr_iowait_put(&u->w, BLK_STS_OK);	/* the builder's reference */
	return err;
}

int rraft_store_append_retire(struct rraft_store *s, bool wait, u64 *index,
			      u64 *term)
{
	struct rraft_append_unit *u;
	int err;

	if (!s->u_n)
		return 0;
	u = &s->units[s->u_first];
	if (wait)
		wait_for_completion_io(&u->w.done);
	else if (!completion_done(&u->w.done))
		return 0;
	s->u_first = (s->u_first + 1) % RRAFT_APPEND_UNITS;
	s->u_n--;
	err = READ_ONCE(u->w.error);
	if (err)
		return err;
	*index = u->last_index;
	*term = u->last_term;
	return 1;
}

void rraft_store_append_wait_all(struct rraft_store *s)
{
	u64 index, term;

	while (s->u_n)
		rraft_store_append_retire(s, true, &index, &term);
}

void rraft_store_compact(struct rraft_store *s, u64 index, u64 *head,
			 u64 *head_seq)
{
	rraft_ring_compact(&s->ring, index, head, head_seq);
}

void rraft_store_drop_before(struct rraft_store *s, u64 head)
{
	rraft_ring_drop_before(&s->ring, head);
}

void rraft_store_reset_ring(struct rraft_store *s, u64 *head, u64 *head_seq)
{
	*head = s->ring.tail;
	*head_seq = s->ring.next_seq;
}

/* ---- replay ---- */

void rraft_store_boot_free(struct raft_boot *boot)
{
	rraft_ring_ents_free((struct raft_entry *)boot->entries, boot->n_entries);
	boot->entries = NULL;
	boot->n_entries = 0;
}

int rraft_store_load(struct rraft_store *s, struct raft_boot *boot)
{
	struct rraft_ring_io io = { .read = rr_store_ring_read, .ctx = s };
	struct rraft_replay rp;
	int err;

	memset(boot, 0, sizeof(*boot));
	err = rraft_ring_replay(&s->ring, &s->st, &io, &rp);
	if (err) {
		if (err == -EUCLEAN)
			pr_warn("rraft: create: %s: refusing: log ring: %s (commit %llu, checkpoint %llu, log ..%llu, %u records)\n",
				s->path, rp.stop, s->st.commit,
				s->st.snap_index, rp.last, s->ring.n_recs);
		rraft_replay_free(&rp);
		return err;
	}
	s->last_index = rp.last;
	boot->hs.term = s->st.term;
	boot->hs.vote = s->st.vote;
	boot->hs.commit = rp.commit;
	boot->snap.index = s->st.snap_index;
	boot->snap.term = s->st.snap_term;
	boot->snap.conf = s->st.snap_conf;
	boot->entries = rp.ents;
	boot->n_entries = rp.n_ents;
	rp.ents = NULL;
	rp.n_ents = 0;
	rraft_replay_free(&rp);
	if (s->st.flags & RR_STF_INCONSISTENT) {
		boot->inconsistent = true;
		boot->pending.index = s->st.pend_index;
		boot->pending.term = s->st.pend_term;
		boot->pending.conf = s->st.pend_conf;
		boot->pending_offset = s->st.pend_offset;
		boot->pending_base = s->st.pend_base;
		pr_info("rraft: %s: snapshot install at index %llu unfinished: Inconsistent, continues at offset %llu\n",
			s->path, s->st.pend_index, s->st.pend_offset);
	}
	pr_info("rraft: %s: recovered term %llu, checkpoint %llu, log %llu..%llu (%u records, replay stopped: %s)\n",
		s->path, s->st.term, s->st.snap_index, s->st.snap_index + 1,
		s->last_index, s->ring.n_recs, rp.stop);
	return 0;
}

/* ---- data area ---- */

void rraft_bio_free_pages(struct bio *bio)
{
	struct bvec_iter_all it;
	struct bio_vec *bv;

	bio_for_each_segment_all(bv, bio, it)
		__free_page(bv->bv_page);
}

void rraft_store_data_bios(struct rraft_store *s, u64 offset, const u8 *data,
			   u32 len, bio_end_io_t *end, void *priv,
			   struct bio_list *bl)
{
	sector_t sector = RR_SECT(s->sb.data_off) + (offset >> SECTOR_SHIFT);

	while (len) {
		unsigned int nr = min_t(u32, DIV_ROUND_UP(len, PAGE_SIZE),
					BIO_MAX_VECS);
		struct bio *bio = bio_alloc(s->bdev, nr, REQ_OP_WRITE, GFP_NOIO);

		bio->bi_iter.bi_sector = sector;
		bio->bi_end_io = end;
		bio->bi_private = priv;
		while (len && bio->bi_vcnt < nr) {
			unsigned int n = min_t(u32, len, PAGE_SIZE);
			struct page *pg = alloc_page(GFP_NOIO | __GFP_NOFAIL);

			memcpy(page_address(pg), data, n);
			__bio_add_page(bio, pg, n, 0);
			data += n;
			len -= n;
			sector += n >> SECTOR_SHIFT;
		}
		bio_list_add(bl, bio);
	}
}

int rraft_store_data_write(struct rraft_store *s, u64 offset, const u8 *data,
			   u32 len, struct rraft_iowait *w)
{
	struct bio_list bl;
	struct bio *bio;

	bio_list_init(&bl);
	rraft_store_data_bios(s, offset, data, len, rr_bio_end_free, w, &bl);
	while ((bio = bio_list_pop(&bl))) {
		atomic_inc(&w->pending);
		submit_bio(bio);
	}
	return 0;
}

int rraft_store_data_read_sync(struct rraft_store *s, u64 offset, u8 *buf,
			       u32 len)
{
	return rr_rw_sync(s->bdev, RR_SECT(s->sb.data_off) +
			  (offset >> SECTOR_SHIFT), buf, len, REQ_OP_READ);
}

int rraft_store_flush(struct rraft_store *s)
{
	return blkdev_issue_flush(s->bdev);
}
