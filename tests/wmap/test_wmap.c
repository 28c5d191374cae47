// SPDX-License-Identifier: GPL-2.0
/*
 * test_wmap.c - userspace tests of kmod/rraft_wmap.c: the write map's
 * geometry and marking, the catch-up range selection (checked chunk by
 * chunk and, on random maps, against a byte-by-byte model: the chunks of a
 * walk cover exactly the regions written after the base, in order, never
 * more than the chunk limit at once) and the batch of non-overlapping
 * writes.  Prints one line per failed check and ends with
 * "wmap: N passed, N failed".
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "rraft_wmap.h"
#include "../lib/check.h"

#define KIB(x)	((u64)(x) << 10)
#define MIB(x)	((u64)(x) << 20)
#define RSIZE	KIB(64)			/* the smallest region */
#define CHUNK	((u32)KIB(256))		/* the kernel's chunk limit */

typedef unsigned long long ull;

static void wmap_new(struct rraft_wmap *w, u64 total, u64 mark)
{
	rraft_wmap_geometry(w, total);
	w->map = calloc(w->n ? w->n : 1, sizeof(u64));
	if (!w->map)
		abort();
	rraft_wmap_fill(w, mark);
}

static void wmap_free(struct rraft_wmap *w)
{
	free(w->map);
	w->map = NULL;
}

/* ---------------- geometry and marking ---------------- */

static void test_geometry(void)
{
	static const u64 sizes[] = {
		KIB(4), RSIZE, RSIZE + KIB(4), MIB(1), MIB(64) + KIB(12),
		RSIZE * RRAFT_WMAP_MAX - KIB(4), RSIZE * RRAFT_WMAP_MAX,
		1ull << 40, (1ull << 44) + KIB(4),
	};
	struct rraft_wmap w;
	unsigned int i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		u64 total = sizes[i];

		rraft_wmap_geometry(&w, total);
		CHECK(w.total == total, "total %llu", (ull)total);
		CHECK(w.shift >= RRAFT_WMAP_MIN_SHIFT, "shift %u", w.shift);
		CHECK(w.n <= RRAFT_WMAP_MAX, "%llu: %llu regions",
		      (ull)total, (ull)w.n);
		/* the regions cover the area, the last one not in vain */
		CHECK(w.n << w.shift >= total, "%llu: covered", (ull)total);
		CHECK((w.n - 1) << w.shift < total, "%llu: no spare region",
		      (ull)total);
		/* the smallest regions that fit */
		CHECK(w.shift == RRAFT_WMAP_MIN_SHIFT ||
		      (total >> (w.shift - 1)) >= RRAFT_WMAP_MAX,
		      "%llu: shift %u not minimal", (ull)total, w.shift);
	}
	rraft_wmap_geometry(&w, MIB(1));
	CHECK(w.shift == 16 && w.n == 16, "1 MiB: shift %u n %llu", w.shift,
	      (ull)w.n);
	rraft_wmap_geometry(&w, 1ull << 40);
	CHECK(w.shift == 21 && w.n == 1ull << 19, "1 TiB: shift %u n %llu",
	      w.shift, (ull)w.n);
}

static void test_mark(void)
{
	struct rraft_wmap w;
	u64 i;

	wmap_new(&w, MIB(1) + KIB(4), 7);
	CHECK(w.n == 17, "n %llu", (ull)w.n);
	for (i = 0; i < w.n; i++)
		CHECK(w.map[i] == 7, "fill: region %llu", (ull)i);
	/* one block inside region 2 */
	rraft_wmap_mark(&w, 2 * RSIZE + KIB(8), KIB(4), 10);
	CHECK(w.map[1] == 7 && w.map[2] == 10 && w.map[3] == 7, "one block");
	/* across the boundary of regions 4 and 5, ending at 6's start */
	rraft_wmap_mark(&w, 5 * RSIZE - KIB(4), RSIZE + KIB(4), 11);
	CHECK(w.map[4] == 11 && w.map[5] == 11 && w.map[6] == 7,
	      "boundary: %llu %llu %llu", (ull)w.map[4], (ull)w.map[5],
	      (ull)w.map[6]);
	/* the last, partial region */
	rraft_wmap_mark(&w, MIB(1), KIB(4), 12);
	CHECK(w.map[16] == 12 && w.map[15] == 7, "last region");
	/* a later write of a region replaces the index */
	rraft_wmap_mark(&w, 2 * RSIZE, 1, 13);
	CHECK(w.map[2] == 13, "rewrite");
	/* a snapshot chunk: newer than anything known */
	rraft_wmap_mark(&w, 0, 2 * RSIZE, RRAFT_WMAP_UNKNOWN);
	CHECK(w.map[0] == RRAFT_WMAP_UNKNOWN && w.map[1] == RRAFT_WMAP_UNKNOWN &&
	      w.map[2] == 13, "unknown");
	/* a range past the area marks nothing outside the map */
	rraft_wmap_mark(&w, MIB(1), MIB(4), 14);
	CHECK(w.map[16] == 14, "clipped");
	wmap_free(&w);
}

static void test_dirty(void)
{
	struct rraft_wmap w;

	wmap_new(&w, MIB(1), 5);
	rraft_wmap_mark(&w, RSIZE, RSIZE, 9);
	CHECK(rraft_wmap_dirty(&w, 0, 0), "base 0 is a full copy");
	CHECK(!rraft_wmap_dirty(&w, 0, 5), "written at the base");
	CHECK(rraft_wmap_dirty(&w, 0, 4), "written after the base");
	CHECK(rraft_wmap_dirty(&w, 1, 8), "9 > 8");
	CHECK(!rraft_wmap_dirty(&w, 1, 9), "9 = 9");
	rraft_wmap_mark(&w, 0, 1, RRAFT_WMAP_UNKNOWN);
	CHECK(rraft_wmap_dirty(&w, 0, ~0ull - 1), "unknown is always sent");
	wmap_free(&w);
}

/* ---------------- range selection ---------------- */

static void test_range_full_copy(void)
{
	struct rraft_wmap_range rg;
	struct rraft_wmap w;
	u64 cursor = 0, total = MIB(1) + KIB(4);
	int n = 0;

	wmap_new(&w, total, 3);
	do {
		rraft_wmap_next_range(&w, cursor, 0, CHUNK, &rg);
		CHECK(rg.pos == cursor, "chunk %d at %llu, cursor %llu", n,
		      (ull)rg.pos, (ull)cursor);
		CHECK(rg.len == (rg.last ? total - cursor : CHUNK),
		      "chunk %d: %u bytes", n, rg.len);
		cursor = rg.next;
		n++;
	} while (!rg.last && n < 100);
	CHECK(n == 5, "%d chunks", n);
	CHECK(rg.next == total && rg.pos + rg.len == total, "ends at total");
	wmap_free(&w);
}

static void test_range_incremental(void)
{
	struct rraft_wmap_range rg;
	struct rraft_wmap w;

	wmap_new(&w, MIB(2), 10);		/* 32 regions, all at 10 */
	rraft_wmap_mark(&w, 3 * RSIZE, RSIZE, 20);
	rraft_wmap_mark(&w, 10 * RSIZE, 6 * RSIZE, 21);	/* 10..15 */
	/* base 10: region 3 first, alone (4 is clean) */
	rraft_wmap_next_range(&w, 0, 10, CHUNK, &rg);
	CHECK(rg.pos == 3 * RSIZE && rg.len == RSIZE && !rg.last &&
	      rg.next == 4 * RSIZE, "region 3: %llu+%u", (ull)rg.pos, rg.len);
	/* then 10..13 (the chunk limit), then 14..15, the last */
	rraft_wmap_next_range(&w, rg.next, 10, CHUNK, &rg);
	CHECK(rg.pos == 10 * RSIZE && rg.len == CHUNK && !rg.last,
	      "10..13: %llu+%u", (ull)rg.pos, rg.len);
	rraft_wmap_next_range(&w, rg.next, 10, CHUNK, &rg);
	CHECK(rg.pos == 14 * RSIZE && rg.len == 2 * RSIZE && rg.last &&
	      rg.next == w.total, "14..15: %llu+%u last %d", (ull)rg.pos,
	      rg.len, rg.last);
	/* a cursor inside a dirty region starts there, not at its start */
	rraft_wmap_next_range(&w, 10 * RSIZE + KIB(8), 10, CHUNK, &rg);
	CHECK(rg.pos == 10 * RSIZE + KIB(8) && rg.len == CHUNK,
	      "mid-region cursor: %llu+%u", (ull)rg.pos, rg.len);
	/* base 20: only 10..15 */
	rraft_wmap_next_range(&w, 0, 20, CHUNK, &rg);
	CHECK(rg.pos == 10 * RSIZE, "base 20: %llu", (ull)rg.pos);
	/* base 21: nothing: an empty last chunk at the end */
	rraft_wmap_next_range(&w, 0, 21, CHUNK, &rg);
	CHECK(rg.pos == w.total && rg.len == 0 && rg.last &&
	      rg.next == w.total, "nothing to send: %llu+%u", (ull)rg.pos,
	      rg.len);
	/* a cursor past the end is clamped */
	rraft_wmap_next_range(&w, w.total + KIB(4), 0, CHUNK, &rg);
	CHECK(rg.pos == w.total && rg.len == 0 && rg.last, "past the end");
	wmap_free(&w);
}

static void test_range_last_region_partial(void)
{
	struct rraft_wmap_range rg;
	struct rraft_wmap w;

	wmap_new(&w, 3 * RSIZE + KIB(4), 1);
	rraft_wmap_mark(&w, 3 * RSIZE, KIB(4), 2);
	rraft_wmap_next_range(&w, 0, 1, CHUNK, &rg);
	CHECK(rg.pos == 3 * RSIZE && rg.len == KIB(4) && rg.last &&
	      rg.next == w.total, "partial last region: %llu+%u",
	      (ull)rg.pos, rg.len);
	wmap_free(&w);
}

/* Deterministic: the same maps on every run (srandom(1) in main). */
static u64 rnd(void)
{
	return (u64)random() << 31 | (u64)random();
}

/* One walk from cursor 0: the chunks cover exactly the dirty bytes. */
static int walk_matches_model(const struct rraft_wmap *w, u64 base, u32 max)
{
	u64 total = w->total, cursor = 0, covered = 0, expect = 0, r, b;
	struct rraft_wmap_range rg;
	u8 *seen = calloc(total / KIB(4) + 1, 1);
	int ok = 1, n = 0;

	if (!seen)
		abort();
	for (;;) {
		rraft_wmap_next_range(w, cursor, base, max, &rg);
		if (rg.pos < cursor || rg.len > max || rg.pos + rg.len > total ||
		    (rg.len && rg.pos % KIB(4)) || rg.len % KIB(4))
			ok = 0;
		for (b = rg.pos; b < rg.pos + rg.len; b += KIB(4)) {
			if (!rraft_wmap_dirty(w, b >> w->shift, base))
				ok = 0;		/* sent a clean region */
			seen[b / KIB(4)]++;
			covered += KIB(4);
		}
		if (rg.last)
			break;
		if (rg.next != rg.pos + rg.len || !rg.len || ++n > 100000) {
			ok = 0;
			break;
		}
		cursor = rg.next;
	}
	if (rg.next != total)
		ok = 0;
	for (b = 0; b < total; b += KIB(4)) {
		r = b >> w->shift;
		if (rraft_wmap_dirty(w, r, base)) {
			expect += KIB(4);
			if (seen[b / KIB(4)] != 1)
				ok = 0;		/* missed or sent twice */
		}
	}
	free(seen);
	return ok && covered == expect;
}

static void test_range_random(void)
{
	static const u32 maxes[] = { CHUNK, (u32)KIB(4), (u32)RSIZE,
				     (u32)KIB(100) };
	struct rraft_wmap w;
	int iter;
	u64 i;

	for (iter = 0; iter < 400; iter++) {
		u64 total = KIB(4) * (1 + rnd() % 1024);	/* up to 4 MiB */
		u64 base = rnd() % 40;
		u32 max = maxes[iter % 4];

		wmap_new(&w, total, rnd() % 20);
		for (i = 0; i < w.n; i++)
			if (rnd() % 3 == 0)
				w.map[i] = rnd() % 40;
		if (iter % 7 == 0)
			w.map[rnd() % w.n] = RRAFT_WMAP_UNKNOWN;
		CHECK(walk_matches_model(&w, base, max),
		      "iter %d: total %llu base %llu max %u", iter, (ull)total,
		      (ull)base, max);
		wmap_free(&w);
	}
}

/* ---------------- write batches ---------------- */

/*
 * A zero range (discard / write-zeroes, up to the whole data area, beyond
 * 4 GiB) counts as written at its index: catch-up sends its regions (the
 * leader's zeroes), partial regions at both ends included, and a write to
 * the range waits for it.
 */
static void test_zero_range(void)
{
	struct rraft_wmap_range rg;
	struct rraft_wbatch b;
	struct rraft_wmap w;
	u64 total = (8ull << 30) + KIB(4), off = RSIZE * 3 + KIB(4);
	u64 len = total - off - KIB(8), r0, r1;

	wmap_new(&w, total, 4);
	r0 = off >> w.shift;
	r1 = (off + len - 1) >> w.shift;
	rraft_wmap_mark(&w, off, len, 30);
	CHECK(w.map[r0] == 30 && w.map[r1] == 30 && w.map[(r0 + r1) / 2] == 30,
	      "zero range marked: %llu..%llu", (ull)r0, (ull)r1);
	CHECK(r0 == 0 || w.map[r0 - 1] == 4, "before the range untouched");
	CHECK(r1 + 1 == w.n || w.map[r1 + 1] == 4, "after the range untouched");
	/* a follower at 29 gets the range from its first region on */
	rraft_wmap_next_range(&w, 0, 29, CHUNK, &rg);
	CHECK(rg.pos == r0 << w.shift && rg.len == CHUNK,
	      "base 29: %llu+%u", (ull)rg.pos, rg.len);
	/* one at 30 already zeroed it: nothing to send */
	rraft_wmap_next_range(&w, 0, 30, CHUNK, &rg);
	CHECK(rg.len == 0 && rg.last, "base 30: nothing");
	wmap_free(&w);

	rraft_wbatch_reset(&b);
	CHECK(rraft_wbatch_add(&b, off, len), "zero range in a batch");
	CHECK(!rraft_wbatch_add(&b, total - KIB(12), KIB(4)),
	      "a write at its end waits");
	CHECK(rraft_wbatch_add(&b, total - KIB(8), KIB(4)),
	      "a write past it does not");
}

static void test_wbatch(void)
{
	struct rraft_wbatch b;
	u32 i;

	rraft_wbatch_reset(&b);
	CHECK(rraft_wbatch_add(&b, KIB(8), KIB(8)), "first");
	CHECK(rraft_wbatch_add(&b, 0, KIB(8)), "adjacent below");
	CHECK(rraft_wbatch_add(&b, KIB(16), KIB(4)), "adjacent above");
	CHECK(!rraft_wbatch_add(&b, KIB(12), KIB(8)), "overlaps the end");
	CHECK(!rraft_wbatch_add(&b, KIB(4), KIB(8)), "overlaps two");
	CHECK(!rraft_wbatch_add(&b, KIB(8), KIB(8)), "the same range");
	CHECK(!rraft_wbatch_add(&b, KIB(9), KIB(1)), "inside");
	CHECK(!rraft_wbatch_add(&b, 0, KIB(64)), "around all");
	CHECK(b.n == 3, "refused writes are not added: %u", b.n);
	rraft_wbatch_reset(&b);
	CHECK(rraft_wbatch_add(&b, KIB(12), KIB(8)), "after the wait");
	rraft_wbatch_reset(&b);
	for (i = 0; i < RRAFT_WBATCH_MAX; i++)
		if (!rraft_wbatch_add(&b, i * KIB(4), KIB(4)))
			break;
	CHECK(i == RRAFT_WBATCH_MAX, "%u fit", i);
	CHECK(!rraft_wbatch_add(&b, MIB(1), KIB(4)), "full");
	CHECK(b.n == RRAFT_WBATCH_MAX, "n %u", b.n);
}

int main(void)
{
	srandom(1);
	test_geometry();
	test_mark();
	test_dirty();
	test_range_full_copy();
	test_range_incremental();
	test_range_last_region_partial();
	test_range_random();
	test_wbatch();
	test_zero_range();
	printf("wmap: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
