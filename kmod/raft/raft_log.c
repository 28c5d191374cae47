// SPDX-License-Identifier: GPL-2.0
/*
 * raft_log.c - the Raft core's log: a growable array indexed from the first
 * index after the checkpoint (r->snap).  Only this file touches the array
 * (ents, head, n, cap); the rest of the core reads entries through
 * raft_log_entry()/raft_log_term() and changes the log through append,
 * truncate, compact_to and restore.  Payloads are owned by the log.
 */
#include "raft_int.h"

u64 raft_log_first(const struct raft *r)
{
	return r->snap.index + 1;
}

u64 raft_log_last(const struct raft *r)
{
	return r->snap.index + r->n;
}

struct raft_entry *raft_log_entry(const struct raft *r, u64 i)
{
	return &r->ents[r->head + (i - raft_log_first(r))];
}

u64 raft_log_term(const struct raft *r, u64 i)
{
	if (i == r->snap.index)
		return r->snap.term;
	if (i < raft_log_first(r) || i > raft_log_last(r))
		return 0;
	return raft_log_entry(r, i)->term;
}

u64 raft_log_last_term(const struct raft *r)
{
	return raft_log_term(r, raft_log_last(r));
}

/* Room for `extra` more entries without moving or growing the array? */
bool raft_log_has_room(const struct raft *r, u64 extra)
{
	return r->head + r->n + extra <= r->cap;
}

/* Room for `extra` more entries (moves or grows the array: no ready out). */
int raft_log_reserve(struct raft *r, u64 extra)
{
	u64 need = r->n + extra, ncap;
	struct raft_entry *p;

	if (r->head + need <= r->cap)
		return 0;
	if (need <= r->cap && r->head >= r->cap / 2) {
		memmove(r->ents, r->ents + r->head, r->n * sizeof(*r->ents));
		r->head = 0;
		return 0;
	}
	ncap = r->cap ? r->cap : 64;
	while (ncap < need * 2)
		ncap *= 2;
	if (ncap > (u64)(~(size_t)0) / sizeof(*p))
		return -ENOMEM;
	p = raft_malloc((size_t)ncap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (r->n)
		memcpy(p, r->ents + r->head, r->n * sizeof(*p));
	raft_free(r->ents);
	r->ents = p;
	r->cap = ncap;
	r->head = 0;
	return 0;
}

/* Caller reserved room; data is owned by the log from now on. */
void raft_log_push(struct raft *r, u64 term, u32 type, u8 *data, u32 len)
{
	struct raft_entry *e = &r->ents[r->head + r->n];

	e->term = term;
	e->index = raft_log_last(r) + 1;
	e->type = type;
	e->len = len;
	e->data = data;
	r->n++;
	if (r->role == RAFT_LEADER)
		r->unc_bytes += len;
	if (type == RAFT_ENTRY_CONF) {
		struct raft_conf c;

		if (raft_conf_decode(&c, data, len) == 0) {
			r->conf = c;
			r->conf_index = e->index;
			raft_prog_sync(r);
		}
	}
}

/* Drop entries >= index (never committed ones: asserted by callers). */
void raft_log_truncate(struct raft *r, u64 index)
{
	u64 i;
	bool conf = r->conf_index >= index;

	RAFT_ASSERT(index > r->commit);
	for (i = index; i <= raft_log_last(r); i++)
		raft_free(raft_log_entry(r, i)->data);
	r->n = index - raft_log_first(r);
	if (r->persisted >= index)
		r->persisted = index - 1;
	if (r->unstable > index)
		r->unstable = index;
	if (r->ack_pending >= index)
		r->ack_pending = index - 1;
	if (conf)
		raft_conf_recompute(r);
}

u8 *raft_dup_data(const void *data, u32 len, int *err)
{
	u8 *p;

	*err = 0;
	if (!len)
		return NULL;
	p = raft_malloc(len);
	if (!p) {
		*err = -ENOMEM;
		return NULL;
	}
	memcpy(p, data, len);
	return p;
}

/* Where would the message's entries start to differ from our log? */
u64 raft_log_find_conflict(const struct raft *r, const struct raft_msg *m,
			   u64 skip)
{
	u64 k;

	for (k = skip; k < m->n_entries; k++) {
		u64 idx = m->index + 1 + k;

		if (idx > raft_log_last(r) ||
		    raft_log_term(r, idx) != m->entries[k].term)
			return k;
	}
	return m->n_entries;
}

/*
 * Follower side of fast backup (the XIndex hint): the first index of the
 * run of entries that have the same term as the entry at index, bounded
 * by the start of the log.
 */
u64 raft_log_term_start(const struct raft *r, u64 index)
{
	u64 t = raft_log_term(r, index), i = index;

	while (i > raft_log_first(r) && raft_log_term(r, i - 1) == t)
		i--;
	return i;
}

/*
 * Leader side of fast backup: the last index <= index (and <= our last
 * index) whose entry has term `term`, the checkpoint's own index included;
 * 0 if we have no entry of that term (term is not 0).
 */
u64 raft_log_find_conflict_by_term(const struct raft *r, u64 index, u64 term)
{
	u64 i = min_u64(index, raft_log_last(r));

	while (i >= raft_log_first(r) && raft_log_term(r, i) > term)
		i--;
	if (i >= raft_log_first(r) && raft_log_term(r, i) == term)
		return i;
	if (i == r->snap.index && r->snap.term == term)
		return i;
	return 0;
}

/* Drop entries first..index from the start of the log (the one place). */
static void log_drop_to(struct raft *r, u64 index)
{
	u64 i, k;

	if (index < raft_log_first(r))
		return;
	for (i = raft_log_first(r); i <= index; i++)
		raft_free(raft_log_entry(r, i)->data);
	k = index - raft_log_first(r) + 1;
	r->head += k;
	r->n -= k;
	r->snap.index = index;
}

/*
 * The host checkpointed up to index (<= last index): drop the entries up
 * to it; the checkpoint records the term there and the configuration in
 * effect there.
 */
void raft_log_compact_to(struct raft *r, u64 index)
{
	u64 t = raft_log_term(r, index);
	struct raft_conf c;

	raft_conf_at(r, index, &c, NULL);
	log_drop_to(r, index);
	r->snap.term = t;
	r->snap.conf = c;
}

/*
 * A snapshot s was installed: the log starts after it.  If our log
 * continues s (same term at s.index) the entries that follow are kept,
 * else the whole log goes.
 */
void raft_log_restore(struct raft *r, const struct raft_snap_meta *s)
{
	if (s->index >= r->snap.index && s->index <= raft_log_last(r) &&
	    raft_log_term(r, s->index) == s->term)
		log_drop_to(r, s->index);
	else
		log_drop_to(r, raft_log_last(r));
	r->snap = *s;
}

/* Free every entry and the array (raft_destroy, a failed raft_create). */
void raft_log_free(struct raft *r)
{
	log_drop_to(r, raft_log_last(r));
	raft_free(r->ents);
	r->ents = NULL;
	r->cap = 0;
	r->head = 0;
}

u64 raft_term_at(const struct raft *r, u64 index)
{
	if (index == 0 || index < r->snap.index)
		return 0;
	return raft_log_term(r, index);
}
