// SPDX-License-Identifier: GPL-2.0
/*
 * lin.c - linearizability of the block history against a register model.
 *
 * Blocks are independent registers, so the history is checked per block
 * (P-compositionality).  The search is Wing & Gong's with Lowe's memoisation
 * (the approach of Porcupine): linearize, one by one, an operation whose
 * call precedes every pending return; remember (set, value) configurations
 * that failed.  Writes that never returned may take effect at any point
 * after their call, or never.  Writes known not to be committed and reads
 * that never returned are left out.  On a violation the history is shrunk
 * greedily (drop one operation at a time while it still fails).
 */
#include <stdlib.h>
#include <string.h>
#include "sim.h"

#define LL(x) ((unsigned long long)(x))

struct lop {
	bool write;
	u64 value;
	u64 call, ret;
	u32 node;
	u32 id;
};

struct lsearch {
	struct lop *ops;
	u32 n, words;
	u64 *seen;		/* memo: pairs of hashes */
	u64 cap, used;
	u64 visits;
	bool blown;
};

static u64 mix(u64 h, u64 v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

static bool memo_test_set(struct lsearch *ls, const u64 *set, u64 value)
{
	u64 h1 = 1469598103934665603ull, h2 = 0x1234567ull, i;

	for (i = 0; i < ls->words; i++) {
		h1 = mix(h1, set[i]);
		h2 = mix(h2 ^ 0xabcdef, set[i] * 31 + i);
	}
	h1 = mix(h1, value);
	h2 = mix(h2, value ^ 0x55);
	if (!h1)
		h1 = 1;
	if (2 * (ls->used + 1) >= ls->cap) {
		u64 *old = ls->seen, oc = ls->cap, j;

		ls->cap = oc ? 2 * oc : 4096;
		ls->seen = calloc(2 * ls->cap, sizeof(u64));
		if (!ls->seen) {
			fprintf(stderr, "rraft-sim: out of memory\n");
			exit(2);
		}
		ls->used = 0;
		for (j = 0; j < oc; j++) {
			u64 a = old[2 * j], b = old[2 * j + 1], k;

			if (!a)
				continue;
			for (k = a & (ls->cap - 1); ls->seen[2 * k]; k = (k + 1) & (ls->cap - 1))
				;
			ls->seen[2 * k] = a;
			ls->seen[2 * k + 1] = b;
			ls->used++;
		}
		free(old);
	}
	for (i = h1 & (ls->cap - 1);; i = (i + 1) & (ls->cap - 1)) {
		if (!ls->seen[2 * i]) {
			ls->seen[2 * i] = h1;
			ls->seen[2 * i + 1] = h2;
			ls->used++;
			return false;
		}
		if (ls->seen[2 * i] == h1 && ls->seen[2 * i + 1] == h2)
			return true;
	}
}

static bool dfs(struct lsearch *ls, u64 *set, u64 value, u32 done_ok, u32 need_ok)
{
	u64 minret = SIM_INF;
	u32 i;

	if (done_ok == need_ok)
		return true;
	if (++ls->visits > 4000000) {
		ls->blown = true;
		return false;
	}
	if (memo_test_set(ls, set, value))
		return false;
	for (i = 0; i < ls->n; i++)
		if (!(set[i / 64] & (1ull << (i % 64))) && ls->ops[i].ret < minret)
			minret = ls->ops[i].ret;
	for (i = 0; i < ls->n; i++) {
		struct lop *o = &ls->ops[i];
		bool ok;

		if (set[i / 64] & (1ull << (i % 64)))
			continue;
		if (o->call > minret)
			continue;
		if (!o->write && o->value != value)
			continue;
		set[i / 64] |= 1ull << (i % 64);
		ok = dfs(ls, set, o->write ? o->value : value,
			 done_ok + (o->ret != SIM_INF), need_ok);
		set[i / 64] &= ~(1ull << (i % 64));
		if (ok || ls->blown)
			return ok;
	}
	return false;
}

/* 1: linearizable, 0: not, -1: search too large */
static int check_ops(struct lop *ops, u32 n)
{
	struct lsearch ls;
	u64 *set;
	u32 need = 0, i;
	bool ok;

	memset(&ls, 0, sizeof(ls));
	ls.ops = ops;
	ls.n = n;
	ls.words = (n + 63) / 64 + 1;
	set = calloc(ls.words, sizeof(u64));
	if (!set)
		exit(2);
	for (i = 0; i < n; i++)
		if (ops[i].ret != SIM_INF)
			need++;
	ok = dfs(&ls, set, 0, 0, need);
	free(set);
	free(ls.seen);
	if (ls.blown)
		return -1;
	return ok ? 1 : 0;
}

static void print_ops(FILE *out, const struct lop *ops, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++) {
		const struct lop *o = &ops[i];

		if (o->ret == SIM_INF)
			fprintf(out, "    op %-5u n%u [%9.3f,      never] write %llu (outcome unknown)\n",
				o->id, o->node, (double)o->call / SIM_TICK, LL(o->value));
		else
			fprintf(out, "    op %-5u n%u [%9.3f, %10.3f] %s %llu\n",
				o->id, o->node, (double)o->call / SIM_TICK,
				(double)o->ret / SIM_TICK,
				o->write ? "write" : "read ->", LL(o->value));
	}
}

bool lin_check(struct sim *s, FILE *out)
{
	struct lop *ops = calloc(s->nhist + 1, sizeof(*ops));
	u32 b, i, n;
	bool all_ok = true;

	if (!ops)
		exit(2);
	for (b = 0; b < SIM_NBLOCKS && all_ok; b++) {
		int r;

		n = 0;
		for (i = 0; i < s->nhist; i++) {
			const struct hop *h = &s->hist[i];

			if (h->block != b || h->status == 2)
				continue;
			if (!h->write && h->status != 1)
				continue;
			ops[n].write = h->write;
			ops[n].value = h->value;
			ops[n].call = h->call;
			ops[n].ret = h->status == 1 ? h->ret : SIM_INF;
			ops[n].node = h->node;
			ops[n].id = i;
			n++;
		}
		r = check_ops(ops, n);
		if (r == 1)
			continue;
		all_ok = false;
		if (r < 0) {
			sim_fail(s, "linearizability: search for block %u (%u ops) too large",
				 b, n);
			break;
		}
		/* shrink */
		for (;;) {
			bool changed = false;

			for (i = 0; i < n; i++) {
				struct lop keep = ops[i];

				memmove(ops + i, ops + i + 1, (n - i - 1) * sizeof(*ops));
				if (check_ops(ops, n - 1) == 0) {
					n--;
					changed = true;
					break;
				}
				memmove(ops + i + 1, ops + i, (n - i - 1) * sizeof(*ops));
				ops[i] = keep;
			}
			if (!changed)
				break;
		}
		sim_fail(s, "linearizability: block %u history is not linearizable (%u-op core shown)",
			 b, n);
		fprintf(out, "seed %llu: linearizability violation on block %u; smallest failing sub-history (times in ticks):\n",
			LL(s->seed), b);
		print_ops(out, ops, n);
	}
	free(ops);
	return all_ok;
}
