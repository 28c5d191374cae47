// SPDX-License-Identifier: GPL-2.0
/*
 * campaign.c - random workloads on the ring model with a power cut at every
 * append: each crash image must boot, keep every acknowledged record and
 * use nothing after a gap, and the same must hold after a second run on
 * the recovered disk and a second crash.
 */
#include <stdlib.h>
#include <string.h>
#include "model.h"

#define RANDOM_IMAGES	2

/* Crash variants of the writes in flight. */
enum { V_NONE, V_ALL, V_HEADER, V_RANDOM };

static const char *const vname[] = { "nothing landed", "everything landed",
				     "one record's header alone",
				     "random blocks or sectors landed" };

/*
 * Fill mask (one byte per pending block).  V_HEADER: the writes before
 * write w landed whole, of w only its first block (a record's header).
 */
static void make_mask(const struct model *m, int v, u32 w, struct rng *g,
		      u8 *mask)
{
	u32 i, k = 0;
	u64 b;

	for (i = 0; i < m->disk.n_pend; i++) {
		for (b = 0; b < m->disk.pend[i].len; b += RR_BLOCK_SIZE, k++) {
			switch (v) {
			case V_NONE:
				mask[k] = 0;
				break;
			case V_ALL:
				mask[k] = 1;
				break;
			case V_HEADER:
				mask[k] = i < w || (i == w && !b);
				break;
			default:
				/* half land, an eighth torn within the block */
				mask[k] = rng_next(g) & 1;
				if (mask[k] && !rng_range(g, 0, 3))
					mask[k] = (u8)rng_range(g, 2, 8);
			}
		}
	}
}

/* How many crash images the writes in flight give. */
static u32 n_variants(const struct model *m)
{
	return 2 + m->disk.n_pend + RANDOM_IMAGES;
}

static int variant(const struct model *m, u32 i, u32 *w)
{
	*w = 0;
	if (i < 2)
		return (int)i;
	if (i < 2 + m->disk.n_pend) {
		*w = i - 2;
		return V_HEADER;
	}
	return V_RANDOM;
}

int model_crash_boot(struct model *m, u32 i, struct rng *g, struct model *nm,
		     FILE *log, const char *run)
{
	u8 *mask = calloc(1, model_pending_blocks(m) + 1);
	const char *why;
	u32 w;
	int v = variant(m, i, &w), err;

	if (!mask)
		exit(2);
	make_mask(m, v, w, g, mask);
	err = model_boot(nm, m, model_image(m, mask), &why);
	free(mask);
	m->images++;
	if (err) {
		fprintf(log, "%s: crash image (%s, write %u): boot refused (%d): %s\n",
			run, vname[v], w, err, why);
		return -1;
	}
	if (model_check(m, nm, &why)) {
		fprintf(log, "%s: crash image (%s, write %u): %s\n", run,
			vname[v], w, why);
		return -1;
	}
	return 0;
}

/* Steps on nm until an append is left in flight (at most steps). */
static int run_until_inflight(struct model *nm, struct rng *g, int steps)
{
	int s, r;

	for (s = 0; s < steps; s++) {
		r = model_step(nm, g);
		if (r < 0)
			return r;
		if (r == 1 && s + 1 < steps)
			model_append_done(nm);
		else if (r == 1)
			return 1;
	}
	return 0;
}

/*
 * From a recovered model: more appends (acknowledged), one left in flight,
 * then every crash image of that one must still hold everything.
 */
static int second_run(struct model *nm, struct rng *g, FILE *log)
{
	struct model nm2;
	u32 i, n;
	int r;

	r = run_until_inflight(nm, g, (int)rng_range(g, 1, 5));
	if (r < 0) {
		fprintf(log, "second run: workload step failed (%d)\n", r);
		return -1;
	}
	n = r == 1 ? n_variants(nm) : 1;
	for (i = 0; i < n; i++) {
		r = model_crash_boot(nm, i, g, &nm2, log, "second crash");
		model_free(&nm2);
		if (r)
			return r;
	}
	return 0;
}

int model_campaign(struct rng *g, u64 ring_bytes, int steps, FILE *log)
{
	struct model m, nm;
	int s, r = 0;
	u32 i;

	model_format(&m, ring_bytes, rng_next(g));
	for (s = 0; s < steps && !r; s++) {
		r = model_step(&m, g);
		if (r < 0) {
			fprintf(log, "step %d: workload step failed (%d)\n", s, r);
			break;
		}
		if (r != 1)
			continue;
		r = 0;
		for (i = 0; i < n_variants(&m) && !r; i++) {
			r = model_crash_boot(&m, i, g, &nm, log, "first crash");
			if (!r && (i >= 2 || rng_range(g, 0, 3) == 0))
				r = second_run(&nm, g, log);
			model_free(&nm);
		}
		if (r)
			fprintf(log, "  at step %d: ring %llu bytes, head %llu, tail %llu, acknowledged log ..%llu, commit %llu\n",
				s, (unsigned long long)ring_bytes,
				(unsigned long long)m.ring.head,
				(unsigned long long)m.ring.tail,
				(unsigned long long)m.acked.last,
				(unsigned long long)m.commit);
		/*
		 * Completions: all, the oldest append only (later ones stay
		 * in flight, possibly landed in part), or none yet: the next
		 * append starts behind the ones in flight.
		 */
		switch (rng_range(g, 0, 3)) {
		case 0:
			model_append_done(&m);
			break;
		case 1:
			model_append_done_oldest(&m);
			break;
		}
	}
	model_free(&m);
	return r ? -1 : 0;
}
