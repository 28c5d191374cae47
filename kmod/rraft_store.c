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
	if (atomic_dec_and_test(&w->pending))
		complete(&w->done);
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
	struct bvec_iter_all it;
	struct bio_vec *bv;

	bio_for_each_segment_all(bv, bio, it)
		__free_page(bv->bv_page);
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
			  struct rraft_iowait *w)
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
		bio->bi_end_io = rr_bio_end;
		bio->bi_private = w;
		while (len && bio->bi_vcnt < nr) {
			unsigned int off = offset_in_page(p);
			unsigned int n = min_t(size_t, len, PAGE_SIZE - off);

			if (bio_add_page(bio, rr_vpage(p), n, off) != n)
				break;
			p += n;
			len -= n;
			sector += n >> SECTOR_SHIFT;
		}
		atomic_inc(&w->pending);
		submit_bio(bio);
	}
}

static int rr_rw_sync(struct block_device *bdev, sector_t sector, void *buf,
		      size_t len, blk_opf_t opf)
{
	struct rraft_iowait w;
	int err;

	rraft_iowait_init(&w);
	rr_submit_buf(bdev, sector, buf, len, opf, &w);
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

int rraft_store_format(const struct rr_format_args *a)
{
	struct rraft_bdev_handle bh;
	struct block_device *bdev;
	struct rr_state st = {};
	struct rr_sb sb = {};
	u64 size, log_bytes;
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
	bdev = bh.bdev;
	size = bdev_nr_bytes(bdev);
	err = -EINVAL;
	if (bdev_logical_block_size(bdev) > RR_BLOCK_SIZE) {
		pr_warn("rraft: format: %s: logical block size %u > 4096\n",
			a->backing, bdev_logical_block_size(bdev));
		goto out;
	}
	log_bytes = a->log_bytes;
	if (!a->log_given) {
		/* default: 64 MiB, or an eighth of a small device */
		log_bytes = min_t(u64, log_bytes,
				  (size / 8) & ~(RR_MIN_LOG_BYTES - 1));
		log_bytes = max_t(u64, log_bytes, RR_MIN_LOG_BYTES);
	}
	err = rr_sb_layout(&sb, size, log_bytes);
	if (err) {
		pr_warn("rraft: format: %s: %llu bytes is too small for metadata, a %llu byte log and 1 MiB of data\n",
			a->backing, size, log_bytes);
		goto out;
	}
	if (size >= RR_BLOCK_SIZE) {
		err = rr_rw_sync(bdev, 0, blk, RR_BLOCK_SIZE, REQ_OP_READ);
		if (err) {
			pr_warn("rraft: format: %s: read error %d\n", a->backing, err);
			goto out;
		}
		if (rr_get_le64(blk) == RR_SB_MAGIC && !a->force) {
			pr_warn("rraft: format: %s already holds an rraft superblock (use force=1)\n",
				a->backing);
			err = -EEXIST;
			goto out;
		}
	}

	get_random_bytes(sb.uuid, RR_UUID_LEN);
	do	/* the member identity: a new one at every format */
		get_random_bytes(sb.ident, RR_IDENT_LEN);
	while (rr_ident_is_zero(sb.ident));
	sb.cluster_id = a->cluster;
	sb.node_id = a->node;
	for (i = 0; i < a->n_members; i++)
		sb.conf.voters[i] = a->members[i];
	sb.conf.n_voters = (u8)a->n_members;

	/* The data area starts out as zeroes on every member. */
	err = blkdev_issue_zeroout(bdev, RR_SECT(sb.data_off),
				   RR_SECT(sb.data_blocks), GFP_KERNEL, 0);
	if (err)
		goto io_err;
	/* Slot B and the first log block: no leftovers. */
	memset(blk, 0, RR_BLOCK_SIZE);
	err = rr_rw_sync(bdev, RR_SECT(sb.state_off + 1), blk, RR_BLOCK_SIZE,
			 REQ_OP_WRITE);
	if (!err)
		err = rr_rw_sync(bdev, RR_SECT(sb.log_off), blk, RR_BLOCK_SIZE,
				 REQ_OP_WRITE);
	if (err)
		goto io_err;
	st.seq = 1;
	memcpy(st.uuid, sb.uuid, RR_UUID_LEN);
	st.snap_conf = sb.conf;
	st.ring_head = 0;
	st.ring_head_seq = 1;
	rr_state_encode(&st, blk);
	err = rr_rw_sync(bdev, RR_SECT(sb.state_off), blk, RR_BLOCK_SIZE,
			 REQ_OP_WRITE | REQ_FUA);
	if (err)
		goto io_err;
	rr_sb_encode(&sb, blk);
	err = rr_rw_sync(bdev, 0, blk, RR_BLOCK_SIZE, REQ_OP_WRITE | REQ_FUA);
	if (err)
		goto io_err;
	pr_info("rraft: formatted %s: node %u cluster 0x%llx, %u voters, log %llu KiB, data %llu KiB\n",
		a->backing, sb.node_id, sb.cluster_id, sb.conf.n_voters,
		sb.log_blocks * 4, sb.data_blocks * 4);
	goto out;
io_err:
	pr_warn("rraft: format: %s: write error %d\n", a->backing, err);
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
	rraft_iowait_init(&s->append_wait);
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
	err = rr_sb_decode(&s->sb, s->blk, bdev_nr_bytes(s->bdev), &w);
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
		valid[i] = !rr_state_decode(&st[i], s->blk, s->sb.uuid, &why[i]);
	}
	i = rr_state_pick(st, valid);
	if (i < 0) {
		pr_warn("rraft: create: %s: refusing: no valid state slot (A: %s; B: %s)\n",
			path, why[0], why[1]);
		err = -EUCLEAN;
		goto fail;
	}
	s->st = st[i];
	s->slot = i;
	s->ring_bytes = s->sb.log_blocks << RR_BLOCK_SHIFT;
	if (s->st.ring_head_seq > (1ull << 62)) {
		pr_warn("rraft: create: %s: refusing: state slot: ring sequence out of range\n",
			path);
		err = -EUCLEAN;
		goto fail;
	}
	s->head = s->st.ring_head;
	s->head_seq = s->st.ring_head_seq;
	return 0;
fail:
	rraft_store_close(s);
	return err;
}

void rraft_store_close(struct rraft_store *s)
{
	if (s->bdev)
		rraft_bdev_close(&s->bh);
	s->bdev = NULL;
	kfree(s->blk);
	s->blk = NULL;
	kvfree(s->recs);
	s->recs = NULL;
	vfree(s->rec_buf);
	s->rec_buf = NULL;
}

/* ---- state ---- */

int rraft_store_write_state(struct rraft_store *s, struct rr_state *nst)
{
	int slot = 1 - s->slot;
	int err;

	nst->seq = s->st.seq + 1;
	memcpy(nst->uuid, s->sb.uuid, RR_UUID_LEN);
	rr_state_encode(nst, s->blk);
	err = rr_rw_sync(s->bdev, RR_SECT(s->sb.state_off + slot), s->blk,
			 RR_BLOCK_SIZE, REQ_OP_WRITE | REQ_FUA | REQ_SYNC);
	if (err)
		return err;
	s->st = *nst;
	s->slot = slot;
	return 0;
}

/* ---- log ring ---- */

static u64 rr_max_record(const struct rraft_store *s)
{
	return min_t(u64, s->ring_bytes / 4, 4ull << 20);
}

static int rr_recs_push(struct rraft_store *s, const struct rraft_rec *r)
{
	if (s->n_recs == s->cap_recs) {
		u32 cap = max_t(u32, 64, s->cap_recs * 2);
		struct rraft_rec *n = kvmalloc_array(cap, sizeof(*n), GFP_NOIO);

		if (!n)
			return -ENOMEM;
		if (s->n_recs)
			memcpy(n, s->recs, s->n_recs * sizeof(*n));
		kvfree(s->recs);
		s->recs = n;
		s->cap_recs = cap;
	}
	s->recs[s->n_recs++] = *r;
	return 0;
}

static int rr_buf_reserve(struct rraft_store *s, size_t bytes)
{
	if (s->rec_buf_size >= bytes)
		return 0;
	bytes = roundup_pow_of_two(max_t(size_t, bytes, 64 << 10));
	vfree(s->rec_buf);
	s->rec_buf = vmalloc(bytes);
	s->rec_buf_size = s->rec_buf ? bytes : 0;
	return s->rec_buf ? 0 : -ENOMEM;
}

/* Entries of one record starting at ents[0]: how many, how many bytes. */
static u32 rr_split(const struct rraft_store *s, const struct raft_entry *ents,
		    u32 n, u64 *bytes)
{
	u64 max = rr_max_record(s), b = RR_LOG_HDR_SIZE;
	u32 j = 0;

	while (j < n && (!j || b + RR_LOG_ENT_HDR_SIZE + ents[j].len <= max)) {
		b += RR_LOG_ENT_HDR_SIZE + ents[j].len;
		j++;
	}
	*bytes = rr_blocks_up(b) << RR_BLOCK_SHIFT;
	return j;
}

u64 rraft_store_batch_bytes(const struct raft_entry *ents, u32 n)
{
	return (rr_blocks_up(rr_log_record_bytes(ents, n)) + 1) << RR_BLOCK_SHIFT;
}

u64 rraft_store_used(const struct rraft_store *s)
{
	return s->tail - s->head;
}

/* Space a batch needs including a wrap skip; 0 if it fits. */
static int rr_fits(const struct rraft_store *s, const struct raft_entry *ents,
		   u32 n, u64 *total)
{
	u64 tail = s->tail, b;
	u32 k;

	*total = 0;
	while (n) {
		k = rr_split(s, ents, n, &b);
		if ((tail % s->ring_bytes) + b > s->ring_bytes)
			tail += s->ring_bytes - tail % s->ring_bytes;
		tail += b;
		*total += b;
		ents += k;
		n -= k;
	}
	return tail - s->head <= s->ring_bytes ? 0 : -ENOSPC;
}

int rraft_store_append(struct rraft_store *s, const struct raft_entry *ents,
		       u32 n)
{
	u64 total, b, off = 0;
	struct rraft_rec r;
	u32 k;
	int err;

	if (!n)
		return 0;
	if (WARN_ON_ONCE(s->append_inflight))
		return -EBUSY;
	err = rr_fits(s, ents, n, &total);
	if (err)
		return err;
	err = rr_buf_reserve(s, total);
	if (err)
		return err;
	while (n) {
		u8 *buf = s->rec_buf + off;
		u64 used;

		k = rr_split(s, ents, n, &b);
		if ((s->tail % s->ring_bytes) + b > s->ring_bytes)
			s->tail += s->ring_bytes - s->tail % s->ring_bytes;
		used = rr_log_encode(buf, s->next_seq, s->sb.uuid, s->last_crc,
				     ents, k);
		memset(buf + used, 0, b - used);
		r.pos = s->tail;
		r.seq = s->next_seq;
		r.first = ents[0].index;
		r.last = ents[k - 1].index;
		r.crc = rr_log_crc(buf);
		err = rr_recs_push(s, &r);
		if (err)
			break;
		rr_submit_buf(s->bdev, RR_SECT(s->sb.log_off) +
			      ((s->tail % s->ring_bytes) >> SECTOR_SHIFT),
			      buf, b, REQ_OP_WRITE | REQ_FUA, &s->append_wait);
		s->append_inflight = true;
		s->last_crc = r.crc;
		s->next_seq++;
		s->tail += b;
		s->last_index = r.last;
		off += b;
		ents += k;
		n -= k;
	}
	return err;
}

int rraft_store_append_wait(struct rraft_store *s)
{
	if (!s->append_inflight)
		return 0;
	s->append_inflight = false;
	return rraft_iowait_wait(&s->append_wait);
}

void rraft_store_compact(struct rraft_store *s, u64 index, u64 *head,
			 u64 *head_seq)
{
	int i;

	*head = s->head;
	*head_seq = s->head_seq;
	if (index >= s->last_index) {
		*head = s->tail;
		*head_seq = s->next_seq;
		return;
	}
	for (i = (int)s->n_recs - 1; i >= 0; i--) {
		if (s->recs[i].first <= index + 1) {
			*head = s->recs[i].pos;
			*head_seq = s->recs[i].seq;
			return;
		}
	}
}

void rraft_store_drop_before(struct rraft_store *s, u64 head)
{
	u32 i = 0;

	while (i < s->n_recs && s->recs[i].pos < head)
		i++;
	if (i) {
		memmove(s->recs, s->recs + i, (s->n_recs - i) * sizeof(*s->recs));
		s->n_recs -= i;
	}
	s->head = head;
	s->head_seq = s->n_recs ? s->recs[0].seq : s->next_seq;
}

void rraft_store_reset_ring(struct rraft_store *s, u64 *head, u64 *head_seq)
{
	*head = s->tail;
	*head_seq = s->next_seq;
}

/* ---- replay ---- */

struct rr_ents {
	struct raft_entry *v;
	u32 n, cap;
};

static void rr_ents_truncate(struct rr_ents *e, u64 keep_last)
{
	while (e->n && e->v[e->n - 1].index > keep_last) {
		kvfree(e->v[e->n - 1].data);
		e->n--;
	}
}

static int rr_ents_push(struct rr_ents *e, const struct raft_entry *src)
{
	struct raft_entry *d;

	if (e->n == e->cap) {
		u32 cap = max_t(u32, 256, e->cap * 2);
		struct raft_entry *v = kvmalloc_array(cap, sizeof(*v), GFP_KERNEL);

		if (!v)
			return -ENOMEM;
		if (e->n)
			memcpy(v, e->v, e->n * sizeof(*v));
		kvfree(e->v);
		e->v = v;
		e->cap = cap;
	}
	d = &e->v[e->n];
	*d = *src;
	d->data = NULL;
	if (src->len) {
		d->data = kvmalloc(src->len, GFP_KERNEL);
		if (!d->data)
			return -ENOMEM;
		memcpy(d->data, src->data, src->len);
	}
	e->n++;
	return 0;
}

void rraft_store_boot_free(struct raft_boot *boot)
{
	struct raft_entry *v = (struct raft_entry *)boot->entries;
	u32 i;

	for (i = 0; i < boot->n_entries; i++)
		kvfree(v[i].data);
	kvfree(v);
	boot->entries = NULL;
	boot->n_entries = 0;
}

static int rr_replay(struct rraft_store *s, struct rr_ents *e, u64 *last,
		     const char **stop)
{
	u64 pos = s->head, seq = s->head_seq, phys, b;
	u32 prev_crc = 0, ip, i;
	u64 prev_term;
	bool first = true;
	struct rr_log_hdr h;
	struct raft_entry ent;
	struct rraft_rec r;
	int err;

	*stop = "end of log";
	for (;;) {
		if (pos - s->head >= s->ring_bytes)
			break;
		phys = pos % s->ring_bytes;
		err = rr_rw_sync(s->bdev, RR_SECT(s->sb.log_off) +
				 (phys >> SECTOR_SHIFT), s->blk, RR_BLOCK_SIZE,
				 REQ_OP_READ);
		if (err)
			return err;
		err = rr_log_decode_hdr(&h, s->blk, s->sb.uuid, seq,
					s->ring_bytes - phys);
		if (err && phys &&
		    pos + (s->ring_bytes - phys) - s->head < s->ring_bytes) {
			/* The writer skips to the ring start when a record
			 * does not fit before the end.
			 */
			err = rr_rw_sync(s->bdev, RR_SECT(s->sb.log_off),
					 s->blk, RR_BLOCK_SIZE, REQ_OP_READ);
			if (err)
				return err;
			err = rr_log_decode_hdr(&h, s->blk, s->sb.uuid, seq,
						s->ring_bytes);
			if (!err) {
				pos += s->ring_bytes - phys;
				phys = 0;
			}
		}
		if (err) {
			if (err == -EUCLEAN)
				*stop = "malformed record header";
			break;
		}
		if (!first && h.prev_crc != prev_crc) {
			*stop = "stale record (chain)";
			break;
		}
		b = rr_blocks_up(RR_LOG_HDR_SIZE + (u64)h.payload_len) <<
			RR_BLOCK_SHIFT;
		if (pos - s->head + b > s->ring_bytes) {
			*stop = "record beyond ring";
			break;
		}
		err = rr_buf_reserve(s, b);
		if (err)
			return err;
		err = rr_rw_sync(s->bdev, RR_SECT(s->sb.log_off) +
				 (phys >> SECTOR_SHIFT), s->rec_buf, b,
				 REQ_OP_READ);
		if (err)
			return err;
		if (!rr_log_crc_ok(&h, s->rec_buf)) {
			*stop = "torn record (crc)";
			break;
		}
		if (h.first_index > *last + 1) {
			*stop = "gap in indexes";
			break;
		}
		rr_ents_truncate(e, max(h.first_index - 1, s->st.snap_index));
		if (h.first_index <= *last)
			*last = max(h.first_index - 1, s->st.snap_index);
		ip = 0;
		for (i = 0; ; i++) {
			err = rr_log_next_entry(&h, s->rec_buf, &ip, i, &ent);
			if (err <= 0)
				break;
			if (ent.index <= s->st.snap_index)
				continue;
			prev_term = e->n ? e->v[e->n - 1].term : s->st.snap_term;
			if (ent.term < prev_term || ent.term > s->st.term) {
				err = -EUCLEAN;
				break;
			}
			err = rr_ents_push(e, &ent);
			if (err)
				return err;
			*last = ent.index;
		}
		if (err < 0) {
			*stop = "malformed entries or bad terms";
			/* crc was fine: this is corruption, not a torn write */
			return -EUCLEAN;
		}
		r.pos = pos;
		r.seq = seq;
		r.first = h.first_index;
		r.last = h.first_index + h.n_entries - 1;
		r.crc = h.crc;
		err = rr_recs_push(s, &r);
		if (err)
			return err;
		prev_crc = h.crc;
		first = false;
		pos += b;
		seq++;
	}
	s->tail = pos;
	s->next_seq = seq;
	s->last_crc = prev_crc;
	s->last_index = *last;
	return 0;
}

int rraft_store_load(struct rraft_store *s, struct raft_boot *boot)
{
	struct rr_ents e = {};
	const char *stop;
	u64 last = s->st.snap_index;
	int err;

	memset(boot, 0, sizeof(*boot));
	err = rr_replay(s, &e, &last, &stop);
	if (err) {
		if (err == -EUCLEAN)
			pr_warn("rraft: create: %s: refusing: log ring: %s\n",
				s->path, stop);
		boot->entries = e.v;
		boot->n_entries = e.n;
		rraft_store_boot_free(boot);
		return err;
	}
	boot->hs.term = s->st.term;
	boot->hs.vote = s->st.vote;
	boot->hs.commit = clamp(s->st.commit, s->st.snap_index, last);
	boot->snap.index = s->st.snap_index;
	boot->snap.term = s->st.snap_term;
	boot->snap.conf = s->st.snap_conf;
	boot->entries = e.v;
	boot->n_entries = e.n;
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
		last, s->n_recs, stop);
	return 0;
}

/* ---- data area ---- */

int rraft_store_data_write(struct rraft_store *s, u64 offset, const u8 *data,
			   u32 len, struct rraft_iowait *w)
{
	sector_t sector = RR_SECT(s->sb.data_off) + (offset >> SECTOR_SHIFT);

	while (len) {
		unsigned int nr = min_t(u32, DIV_ROUND_UP(len, PAGE_SIZE),
					BIO_MAX_VECS);
		struct bio *bio = bio_alloc(s->bdev, nr, REQ_OP_WRITE, GFP_NOIO);

		bio->bi_iter.bi_sector = sector;
		bio->bi_end_io = rr_bio_end_free;
		bio->bi_private = w;
		while (len && bio->bi_vcnt < nr) {
			unsigned int n = min_t(u32, len, PAGE_SIZE);
			struct page *pg = alloc_page(GFP_NOIO | __GFP_NOFAIL);

			memcpy(page_address(pg), data, n);
			__bio_add_page(bio, pg, n, 0);
			data += n;
			len -= n;
			sector += n >> SECTOR_SHIFT;
		}
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
