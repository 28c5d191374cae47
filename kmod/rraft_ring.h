/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rraft_ring.h - the log ring's decisions: where the appender puts the next
 * record (and the skip to the ring start), and the replay at boot that walks
 * the records and decides where the log ends or refuses the device.
 *
 * Environment-neutral: builds into rraft.ko (rraft_store.c does the block
 * I/O and calls this) and into userspace (tests/replay: a crash model and a
 * fuzzer).  Record encoding is rraft_format.c's.  See
 * Documentation/design/on-disk-format.rst, "Log ring".
 */
#ifndef RRAFT_RING_H
#define RRAFT_RING_H

#include "rraft_format.h"

#ifdef __KERNEL__
#include <linux/slab.h>
#include <linux/mm.h>

/*
 * The appender runs on the block I/O path (GFP_NOIO); replay runs at
 * create, where large logs need kvmalloc's vmalloc fallback (GFP_KERNEL).
 */
static inline void *rraft_ring_alloc(size_t size, bool noio)
{
	return kvmalloc(size, noio ? GFP_NOIO : GFP_KERNEL);
}

static inline void rraft_ring_free(void *p)
{
	kvfree(p);
}
#else
static inline void *rraft_ring_alloc(size_t size, bool noio)
{
	(void)noio;
	return raft_malloc(size);
}

static inline void rraft_ring_free(void *p)
{
	raft_free(p);
}
#endif

/* A record in the ring (in ring order). */
struct rraft_ring_rec {
	u64 pos;		/* logical byte position */
	u64 seq;
	u64 first;		/* first entry index */
	u64 last;		/* last entry index */
	u32 crc;
};

struct rraft_ring {
	u8 uuid[RR_UUID_LEN];
	u64 bytes;		/* ring size, a multiple of RR_BLOCK_SIZE */
	u64 head, head_seq;	/* first live record: logical pos, seq */
	u64 tail, next_seq;	/* where the next record goes */
	u32 last_crc;		/* crc of the last record (chains records) */
	struct rraft_ring_rec *recs;	/* live records, ring order */
	u32 n_recs, cap_recs;
};

/* Start with an empty ring at head (from the newest state slot). */
void rraft_ring_init(struct rraft_ring *r, const u8 uuid[RR_UUID_LEN],
		     u64 bytes, u64 head, u64 head_seq);
void rraft_ring_destroy(struct rraft_ring *r);

/* ---- appender ---- */

/* How the ring reaches the device (physical byte offsets in the ring). */
struct rraft_ring_io {
	/* replay: read len bytes at phys, synchronously */
	int (*read)(void *ctx, u64 phys, void *buf, u64 len);
	/*
	 * append: start a FUA write of len bytes from buf at phys; the caller
	 * acknowledges the entries only once every write it started completed
	 */
	void (*write)(void *ctx, u64 phys, void *buf, u64 len);
	void *ctx;
};

/* Bytes a record for ents[0..n) takes on disk, padded, plus one block. */
u64 rraft_ring_batch_bytes(const struct raft_entry *ents, u32 n);
/*
 * Whether ents[0..n) fit in the free space; *buf_bytes: the buffer
 * rraft_ring_append() needs for their records and the zero blocks of skips.
 * Returns 0 or -ENOSPC.
 */
int rraft_ring_fits(const struct rraft_ring *r, const struct raft_entry *ents,
		    u32 n, u64 *buf_bytes);
/*
 * Encode ents[0..n) (n >= 1, consecutive indexes) into records in buf
 * (*buf_bytes from rraft_ring_fits()) and start their writes through io.
 * A batch is split into records of at most min(ring/4, 4 MiB); a record
 * never wraps: one that does not fit before the ring end goes to the ring
 * start.  Returns 0, or -ENOMEM with the records before the failure
 * written and accounted for.
 */
int rraft_ring_append(struct rraft_ring *r, const struct rraft_ring_io *io,
		      const struct raft_entry *ents, u32 n, u8 *buf);
/* Physical byte offset in the ring of a logical position. */
static inline u64 rraft_ring_phys(const struct rraft_ring *r, u64 pos)
{
	return pos % r->bytes;
}

/* ---- checkpoints ---- */

/*
 * The new head once a checkpoint covers index (see the format doc): never
 * past the last record.  Every record must have completed.
 */
void rraft_ring_compact(const struct rraft_ring *r, u64 index, u64 *head,
			u64 *head_seq);
/* The state with the new head is durable: forget the records before it. */
void rraft_ring_drop_before(struct rraft_ring *r, u64 head);

/* ---- replay ---- */

/* The log replay recovered. */
struct rraft_replay {
	struct raft_entry *ents;	/* snap_index+1 .. last, data owned */
	u32 n_ents, cap_ents;
	u64 last;		/* last index recovered (>= snap_index) */
	u64 commit;		/* stored commit, raised to snap_index */
	const char *stop;	/* why replay ended, or the failed check */
	u8 *buf;		/* one record's bytes */
	u64 buf_size;
};

/*
 * Replay the ring of r (rraft_ring_init'ed at st's head) against the state
 * record st.  On success the ring's tail is where the next record goes and
 * rp holds the log.  Returns 0, -EUCLEAN (corruption, not a torn write:
 * rp->stop names the check), -ENOMEM or a read error.  Free rp with
 * rraft_replay_free() in every case.
 */
int rraft_ring_replay(struct rraft_ring *r, const struct rr_state *st,
		      const struct rraft_ring_io *io, struct rraft_replay *rp);
void rraft_replay_free(struct rraft_replay *rp);
/* Free entries (and their data) allocated by replay. */
void rraft_ring_ents_free(struct raft_entry *v, u32 n);

#endif /* RRAFT_RING_H */
