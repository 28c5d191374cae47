// SPDX-License-Identifier: GPL-2.0
/*
 * rraft_wmap.c - the data area's write map, catch-up range selection and
 * the batch of committed writes in flight (see rraft_wmap.h).
 *
 * Environment-neutral (raft/raft_env.h only): builds into rraft.ko and into
 * the userspace unit tests (tests/wmap).
 */
#include "rraft_wmap.h"

void rraft_wmap_geometry(struct rraft_wmap *w, u64 total)
{
	unsigned int shift = RRAFT_WMAP_MIN_SHIFT;

	while ((total >> shift) >= RRAFT_WMAP_MAX)
		shift++;
	w->shift = shift;
	w->total = total;
	w->n = (total + (1ull << shift) - 1) >> shift;
}

void rraft_wmap_fill(struct rraft_wmap *w, u64 mark)
{
	u64 i;

	for (i = 0; i < w->n; i++)
		w->map[i] = mark;
}

void rraft_wmap_mark(struct rraft_wmap *w, u64 off, u64 len, u64 index)
{
	u64 i, end = (off + len - 1) >> w->shift;

	for (i = off >> w->shift; i <= end && i < w->n; i++)
		w->map[i] = index;
}

bool rraft_wmap_dirty(const struct rraft_wmap *w, u64 r, u64 base)
{
	return !base || w->map[r] > base;
}

/* The first region at or after r that is dirty for base, or n. */
static u64 rr_wmap_next_dirty(const struct rraft_wmap *w, u64 r, u64 base)
{
	for (; r < w->n; r++)
		if (rraft_wmap_dirty(w, r, base))
			break;
	return r;
}

static u64 rr_min(u64 a, u64 b)
{
	return a < b ? a : b;
}

void rraft_wmap_next_range(const struct rraft_wmap *w, u64 cursor, u64 base,
			   u32 max, struct rraft_wmap_range *out)
{
	u64 rsize = 1ull << w->shift, total = w->total;
	u64 pos = rr_min(cursor, total), end, r;

	r = rr_wmap_next_dirty(w, pos >> w->shift, base);
	out->len = 0;
	if (r < w->n) {
		if (pos < r << w->shift)
			pos = r << w->shift;
		end = pos;
		while (end < total && end - pos < max &&
		       rraft_wmap_dirty(w, end >> w->shift, base))
			end = rr_min(rr_min(total, pos + max),
				     ((end >> w->shift) + 1) * rsize);
		out->len = (u32)(end - pos);
	} else {
		pos = total;
	}
	out->pos = pos;
	r = rr_wmap_next_dirty(w, (pos + out->len) >> w->shift, base);
	out->last = r >= w->n || pos + out->len >= total;
	out->next = out->last ? total : pos + out->len;
}

bool rraft_wbatch_add(struct rraft_wbatch *b, u64 off, u64 len)
{
	u32 k;

	if (b->n == RRAFT_WBATCH_MAX)
		return false;
	for (k = 0; k < b->n; k++)
		if (off < b->r[k].end && b->r[k].start < off + len)
			return false;
	b->r[b->n].start = off;
	b->r[b->n].end = off + len;
	b->n++;
	return true;
}
