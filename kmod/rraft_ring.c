// SPDX-License-Identifier: GPL-2.0
/*
 * rraft_ring.c - the log ring's placement and replay decisions
 * (environment-neutral; the block I/O is rraft_store.c's).
 *
 * Replay treats the ring as hostile: a record is used only if it has the
 * expected sequence number, chains to the record before it and has a valid
 * crc.  A torn record ends the log; a record that passes those checks but
 * breaks an invariant only corruption can break refuses the device.
 */
#include "rraft_ring.h"

void rraft_ring_init(struct rraft_ring *r, const u8 uuid[RR_UUID_LEN],
		     u64 bytes, u64 head, u64 head_seq)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->uuid, uuid, RR_UUID_LEN);
	r->bytes = bytes;
	r->head = head;
	r->head_seq = head_seq;
	r->tail = head;
	r->next_seq = head_seq;
}

void rraft_ring_destroy(struct rraft_ring *r)
{
	rraft_ring_free(r->recs);
	r->recs = NULL;
	r->n_recs = 0;
	r->cap_recs = 0;
}

/*
 * Make room for one more of n elements of size bytes in *v (capacity
 * *cap, doubled from min).  0 or -ENOMEM (*v unchanged).
 */
static int rr_grow(void **v, u32 n, u32 *cap, size_t size, u32 min,
		   bool noio)
{
	u32 ncap = *cap ? *cap * 2 : min;
	void *nv;

	if (n < *cap)
		return 0;
	nv = rraft_ring_alloc((size_t)ncap * size, noio);
	if (!nv)
		return -ENOMEM;
	if (n)
		memcpy(nv, *v, (size_t)n * size);
	rraft_ring_free(*v);
	*v = nv;
	*cap = ncap;
	return 0;
}

static int rr_recs_push(struct rraft_ring *r, const struct rraft_ring_rec *rec,
			bool noio)
{
	void *v = r->recs;
	int err = rr_grow(&v, r->n_recs, &r->cap_recs, sizeof(*rec), 64, noio);

	if (err)
		return err;
	r->recs = v;
	r->recs[r->n_recs++] = *rec;
	return 0;
}

/* ---- appender ---- */

static u64 rr_max_record(const struct rraft_ring *r)
{
	u64 max = r->bytes / 4;

	return max < (4ull << 20) ? max : 4ull << 20;
}

/* Where a record of b bytes written at tail goes: there, or the ring start. */
static u64 rr_place(const struct rraft_ring *r, u64 tail, u64 b)
{
	u64 phys = tail % r->bytes;

	return phys + b > r->bytes ? tail + (r->bytes - phys) : tail;
}

u64 rraft_ring_batch_bytes(const struct raft_entry *ents, u32 n)
{
	return (rr_blocks_up(rraft_log_record_bytes(ents, n)) + 1) << RR_BLOCK_SHIFT;
}

/* One record the appender is about to write. */
struct rr_ring_put {
	u32 n;			/* entries in the record */
	u64 bytes;		/* record size, padded to whole blocks */
	u64 pos;		/* logical position of the record */
	bool skip;		/* it goes to the ring start */
};

/* Plan the next record for ents[0..n), n >= 1. */
static void rr_ring_next(const struct rraft_ring *r,
			 const struct raft_entry *ents, u32 n,
			 struct rr_ring_put *p)
{
	u64 max = rr_max_record(r), b = RR_LOG_HDR_SIZE;
	u32 j = 0;

	/* a record holds at least one entry, and at most max bytes */
	while (j < n && (!j || b + RR_LOG_ENT_HDR_SIZE + ents[j].len <= max)) {
		b += RR_LOG_ENT_HDR_SIZE + ents[j].len;
		j++;
	}
	p->n = j;
	p->bytes = rr_blocks_up(b) << RR_BLOCK_SHIFT;
	p->pos = rr_place(r, r->tail, p->bytes);
	p->skip = p->pos != r->tail;
}

int rraft_ring_fits(const struct rraft_ring *r, const struct raft_entry *ents,
		    u32 n, u64 *buf_bytes)
{
	struct rraft_ring sim = *r;
	struct rr_ring_put p;

	*buf_bytes = 0;
	while (n) {
		rr_ring_next(&sim, ents, n, &p);
		*buf_bytes += p.bytes + (p.skip ? RR_BLOCK_SIZE : 0);
		sim.tail = p.pos + p.bytes;
		ents += p.n;
		n -= p.n;
	}
	return sim.tail - r->head <= r->bytes ? 0 : -ENOSPC;
}

/* Encode the planned record into buf and account for it. */
static int rr_ring_put(struct rraft_ring *r, const struct rr_ring_put *p,
		       const struct raft_entry *ents, u8 *buf)
{
	struct rraft_ring_rec rec;
	u64 used;
	int err;

	used = rraft_log_encode(buf, r->next_seq, r->uuid, r->last_crc, ents,
				p->n);
	memset(buf + used, 0, p->bytes - used);
	rec.pos = p->pos;
	rec.seq = r->next_seq;
	rec.first = ents[0].index;
	rec.last = ents[p->n - 1].index;
	rec.crc = rraft_log_crc(buf);
	err = rr_recs_push(r, &rec, true);
	if (err)
		return err;
	r->last_crc = rec.crc;
	r->next_seq++;
	r->tail = p->pos + p->bytes;
	return 0;
}

int rraft_ring_append(struct rraft_ring *r, const struct rraft_ring_io *io,
		      const struct raft_entry *ents, u32 n, u8 *buf)
{
	struct rr_ring_put p;
	int err;

	while (n) {
		rr_ring_next(r, ents, n, &p);
		if (p.skip) {
			/*
			 * A torn record left at the abandoned tail may carry the
			 * sequence number and chain this record reuses: replay
			 * would stop there and never reach the ring start.
			 */
			memset(buf, 0, RR_BLOCK_SIZE);
			io->write(io->ctx, rraft_ring_phys(r, r->tail), buf,
				  RR_BLOCK_SIZE);
			buf += RR_BLOCK_SIZE;
		}
		err = rr_ring_put(r, &p, ents, buf);
		if (err)
			return err;
		io->write(io->ctx, rraft_ring_phys(r, p.pos), buf, p.bytes);
		buf += p.bytes;
		ents += p.n;
		n -= p.n;
	}
	return 0;
}

/* ---- checkpoints ---- */

void rraft_ring_compact(const struct rraft_ring *r, u64 index, u64 *head,
			u64 *head_seq)
{
	u32 i;

	*head = r->head;
	*head_seq = r->head_seq;
	if (!r->n_recs)
		return;
	/*
	 * Records replace what follows their first index: the last one ends
	 * the log.  When it is covered too it stays the head, never the tail:
	 * the first record of a replay has no chain to check, and a stale
	 * record with the tail's sequence number can lie at the tail (written
	 * after a record that never landed, before a crash).
	 */
	if (index >= r->recs[r->n_recs - 1].last) {
		*head = r->recs[r->n_recs - 1].pos;
		*head_seq = r->recs[r->n_recs - 1].seq;
		return;
	}
	for (i = r->n_recs; i-- > 0;) {
		if (r->recs[i].first <= index + 1) {
			*head = r->recs[i].pos;
			*head_seq = r->recs[i].seq;
			return;
		}
	}
}

void rraft_ring_drop_before(struct rraft_ring *r, u64 head)
{
	u32 i = 0;

	while (i < r->n_recs && r->recs[i].pos < head)
		i++;
	if (i) {
		memmove(r->recs, r->recs + i, (r->n_recs - i) * sizeof(*r->recs));
		r->n_recs -= i;
	}
	r->head = head;
	r->head_seq = r->n_recs ? r->recs[0].seq : r->next_seq;
}

/* ---- replay ---- */

void rraft_ring_ents_free(struct raft_entry *v, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		rraft_ring_free(v[i].data);
	rraft_ring_free(v);
}

void rraft_replay_free(struct rraft_replay *rp)
{
	rraft_ring_ents_free(rp->ents, rp->n_ents);
	rp->ents = NULL;
	rp->n_ents = 0;
	rp->cap_ents = 0;
	rraft_ring_free(rp->buf);
	rp->buf = NULL;
	rp->buf_size = 0;
}

static void rr_ents_truncate(struct rraft_replay *rp, u64 keep_last)
{
	while (rp->n_ents && rp->ents[rp->n_ents - 1].index > keep_last) {
		rraft_ring_free(rp->ents[rp->n_ents - 1].data);
		rp->n_ents--;
	}
}

static int rr_ents_push(struct rraft_replay *rp, const struct raft_entry *src)
{
	void *v = rp->ents;
	struct raft_entry *d;
	int err;

	err = rr_grow(&v, rp->n_ents, &rp->cap_ents, sizeof(*d), 256, false);
	if (err)
		return err;
	rp->ents = v;
	d = &rp->ents[rp->n_ents];
	*d = *src;
	d->data = NULL;
	if (src->len) {
		d->data = rraft_ring_alloc(src->len, false);
		if (!d->data)
			return -ENOMEM;
		memcpy(d->data, src->data, src->len);
	}
	rp->n_ents++;
	return 0;
}

static int rr_replay_read(const struct rraft_ring_io *io,
			  struct rraft_replay *rp, u64 phys, u64 len)
{
	if (rp->buf_size < len) {
		u64 size = len > (64u << 10) ? len : 64u << 10;

		rraft_ring_free(rp->buf);
		rp->buf_size = 0;
		rp->buf = rraft_ring_alloc(size, false);
		if (!rp->buf)
			return -ENOMEM;
		rp->buf_size = size;
	}
	return io->read(io->ctx, phys, rp->buf, len);
}

static u64 rr_rec_bytes(const struct rr_log_hdr *h)
{
	return rr_blocks_up(RR_LOG_HDR_SIZE + (u64)h->payload_len) <<
		RR_BLOCK_SHIFT;
}

/*
 * Find the header of the record with sequence seq at *pos, or at the ring
 * start if the writer skipped there.  0: found (*pos is where it is),
 * 1: the log ends here (rp->stop says why), < 0: read error.
 */
static int rr_replay_locate(const struct rraft_ring *r,
			    const struct rraft_ring_io *io,
			    struct rraft_replay *rp, u64 *pos, u64 seq,
			    struct rr_log_hdr *h)
{
	u64 phys = rraft_ring_phys(r, *pos), skip = r->bytes - phys;
	int err, dec;

	err = rr_replay_read(io, rp, phys, RR_BLOCK_SIZE);
	if (err)
		return err;
	dec = rraft_log_decode_hdr(h, rp->buf, r->uuid, seq, r->bytes - phys);
	if (!dec)
		return 0;
	rp->stop = dec == -EUCLEAN ? "malformed record header" : "end of log";
	/*
	 * The writer skips to the ring start when a record does not fit
	 * before the end, and zeroes the block it skipped.
	 */
	if (!phys || *pos + skip - r->head >= r->bytes)
		return 1;
	err = rr_replay_read(io, rp, 0, RR_BLOCK_SIZE);
	if (err)
		return err;
	if (rraft_log_decode_hdr(h, rp->buf, r->uuid, seq, r->bytes))
		return 1;
	*pos += skip;
	return 0;
}

/*
 * Take the entries of a verified record into rp.  0 or -EUCLEAN (a record
 * with a valid crc and bad contents is corruption, not a torn write),
 * -ENOMEM.
 */
static int rr_replay_entries(const struct rr_state *st,
			     const struct rr_log_hdr *h,
			     struct rraft_replay *rp)
{
	struct raft_entry ent;
	u64 prev_term;
	u32 ip = 0, i;
	int err;

	if (h->first_index > rp->last + 1) {
		rp->stop = "gap in indexes";
		return -EUCLEAN;
	}
	/* a record at or below the last index replaces the entries from there */
	rr_ents_truncate(rp, h->first_index - 1);
	if (h->first_index <= rp->last)
		rp->last = h->first_index - 1 > st->snap_index ?
			   h->first_index - 1 : st->snap_index;
	for (i = 0; ; i++) {
		err = rraft_log_next_entry(h, rp->buf, &ip, i, &ent);
		if (err <= 0)
			break;
		if (ent.index <= st->snap_index)
			continue;
		prev_term = rp->n_ents ? rp->ents[rp->n_ents - 1].term :
					 st->snap_term;
		if (ent.term < prev_term || ent.term > st->term) {
			err = -EUCLEAN;
			break;
		}
		err = rr_ents_push(rp, &ent);
		if (err)
			return err;
		rp->last = ent.index;
	}
	if (err < 0)
		rp->stop = "malformed entries or bad terms";
	return err;
}

/*
 * One record at *pos: 0 taken, 1 the log ends before it, < 0 refuse or
 * error.
 */
static int rr_replay_record(struct rraft_ring *r, const struct rr_state *st,
			    const struct rraft_ring_io *io,
			    struct rraft_replay *rp, u64 *pos, u32 *prev_crc)
{
	struct rraft_ring_rec rec;
	struct rr_log_hdr h;
	u64 at = *pos, b;
	int err;

	/*
	 * If the log ends here, it ends at *pos even when the record was
	 * looked for at the ring start: the next record goes where it fits.
	 */
	err = rr_replay_locate(r, io, rp, &at, r->next_seq, &h);
	if (err)
		return err;
	if (r->n_recs && h.prev_crc != *prev_crc) {
		rp->stop = "stale record (chain)";
		return 1;
	}
	b = rr_rec_bytes(&h);
	err = rr_replay_read(io, rp, rraft_ring_phys(r, at), b);
	if (err)
		return err;
	if (!rraft_log_crc_ok(&h, rp->buf)) {
		rp->stop = "torn record (crc)";
		return 1;
	}
	if (at - r->head + b > r->bytes) {
		rp->stop = "record runs past the ring";
		return -EUCLEAN;
	}
	err = rr_replay_entries(st, &h, rp);
	if (err)
		return err;
	rec.pos = at;
	rec.seq = r->next_seq;
	rec.first = h.first_index;
	rec.last = h.first_index + h.n_entries - 1;
	rec.crc = h.crc;
	err = rr_recs_push(r, &rec, false);
	if (err)
		return err;
	*prev_crc = h.crc;
	*pos = at + b;
	r->next_seq++;
	return 0;
}

int rraft_ring_replay(struct rraft_ring *r, const struct rr_state *st,
		      const struct rraft_ring_io *io, struct rraft_replay *rp)
{
	u64 pos = r->head;
	u32 prev_crc = 0;
	int err = 0;

	memset(rp, 0, sizeof(*rp));
	rp->last = st->snap_index;
	rp->stop = "end of log";
	if (r->head_seq > (1ull << 62)) {
		rp->stop = "ring sequence out of range";
		return -EUCLEAN;
	}
	while (pos - r->head < r->bytes) {
		err = rr_replay_record(r, st, io, rp, &pos, &prev_crc);
		if (err)
			break;
	}
	if (err < 0)
		return err;
	if (pos - r->head >= r->bytes)
		rp->stop = "ring full";
	r->tail = pos;
	r->last_crc = prev_crc;
	/*
	 * The commit index is persisted only once the entries it covers are
	 * durable: above the recovered log, part of the log is gone.
	 */
	rp->commit = st->commit > st->snap_index ? st->commit : st->snap_index;
	if (rp->commit > rp->last) {
		rp->stop = "commit index above the recovered log";
		return -EUCLEAN;
	}
	return 0;
}
