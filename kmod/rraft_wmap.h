/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rraft_wmap.h - the write map of the data area and the choices made from
 * it: which bytes a catch-up chunk carries, and which committed writes may
 * be in flight together.
 *
 * Environment-neutral (raft/raft_env.h only): the same file builds into
 * rraft.ko and into the userspace unit tests (tests/wmap).  It allocates
 * nothing: the caller provides the map array of rraft_wmap.n entries.
 *
 * For each region (2^shift bytes) of the data area the map holds the index
 * of the last entry that wrote it, a bound: RRAFT_WMAP_UNKNOWN after a
 * snapshot chunk, the last log index for everything written before this
 * boot.  A follower that applied up to base needs only the regions written
 * after base; one that applied nothing (base 0) needs everything.
 */
#ifndef RRAFT_WMAP_H
#define RRAFT_WMAP_H

#include "raft/raft_env.h"

#define RRAFT_WMAP_UNKNOWN	(~0ull)
#define RRAFT_WMAP_MIN_SHIFT	16		/* 64 KiB regions at least */
#define RRAFT_WMAP_MAX		(1024u * 1024)	/* regions */
#define RRAFT_WBATCH_MAX	64		/* writes in flight together */

struct rraft_wmap {
	u64 *map;		/* n entries, allocated by the caller */
	u64 n;			/* regions */
	u64 total;		/* data area bytes */
	unsigned int shift;	/* log2 of the region size */
};

/* One catch-up chunk: bytes [pos, pos + len); next is the next cursor. */
struct rraft_wmap_range {
	u64 pos;
	u32 len;
	bool last;		/* nothing after it needs sending */
	u64 next;		/* total when last, else pos + len */
};

/* Committed writes in flight together: never two that overlap. */
struct rraft_wbatch {
	struct {
		u64 start, end;
	} r[RRAFT_WBATCH_MAX];
	u32 n;
};

/* Region size and count for a data area of total bytes (map untouched). */
void rraft_wmap_geometry(struct rraft_wmap *w, u64 total);
/* Every region written by mark. */
void rraft_wmap_fill(struct rraft_wmap *w, u64 mark);
/* Bytes [off, off + len) written by index (len > 0). */
void rraft_wmap_mark(struct rraft_wmap *w, u64 off, u64 len, u64 index);
/* Region r must be sent to a follower that applied up to base. */
bool rraft_wmap_dirty(const struct rraft_wmap *w, u64 r, u64 base);
/*
 * The chunk to send at cursor to a follower at base: the first run, at
 * most max bytes, of regions written after base, at or after cursor.  An
 * empty last chunk (len 0, pos total) when nothing is left.
 */
void rraft_wmap_next_range(const struct rraft_wmap *w, u64 cursor, u64 base,
			   u32 max, struct rraft_wmap_range *out);

static inline void rraft_wbatch_reset(struct rraft_wbatch *b)
{
	b->n = 0;
}

/*
 * Add the write [off, off + len) to the batch; false (batch unchanged)
 * when it overlaps a write in the batch or the batch is full: wait for the
 * batch, reset it, then add.
 */
bool rraft_wbatch_add(struct rraft_wbatch *b, u64 off, u64 len);

#endif /* RRAFT_WMAP_H */
