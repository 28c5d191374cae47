// SPDX-License-Identifier: GPL-2.0
/*
 * raft_conf.c - membership: the configuration codec, the configuration in
 * effect (the latest CONF entry in the log, else the checkpoint's) and
 * joint consensus (raft_change_conf, and C_new appended by the leader once
 * C_old,new commits).
 */
#include "raft_int.h"

static bool id_in(const u32 *ids, u32 n, u32 id)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

bool raft_conf_is_voter(const struct raft_conf *c, u32 id)
{
	return id_in(c->voters, c->n_voters, id) ||
	       id_in(c->voters_old, c->n_voters_old, id);
}

bool raft_conf_is_member(const struct raft_conf *c, u32 id)
{
	return raft_conf_is_voter(c, id) ||
	       id_in(c->learners, c->n_learners, id);
}

static void put_le32(u8 *p, u32 v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static u32 get_le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

/*
 * Layout: u8 n_voters, u8 n_voters_old, u8 n_learners, u8 version (0),
 * then voters[9], voters_old[9], learners[9] as le32 (unused slots 0).
 */
void raft_conf_encode(const struct raft_conf *c, u8 out[RAFT_CONF_ENCODED_SIZE])
{
	u32 i;

	memset(out, 0, RAFT_CONF_ENCODED_SIZE);
	out[0] = c->n_voters;
	out[1] = c->n_voters_old;
	out[2] = c->n_learners;
	out[3] = 0;
	for (i = 0; i < RAFT_MAX_MEMBERS; i++) {
		if (i < c->n_voters)
			put_le32(out + 4 + 4 * i, c->voters[i]);
		if (i < c->n_voters_old)
			put_le32(out + 4 + 4 * (RAFT_MAX_MEMBERS + i),
				 c->voters_old[i]);
		if (i < c->n_learners)
			put_le32(out + 4 + 4 * (2 * RAFT_MAX_MEMBERS + i),
				 c->learners[i]);
	}
}

static bool ids_valid(const u32 *ids, u32 n)
{
	u32 i, j;

	for (i = 0; i < n; i++) {
		if (ids[i] == RAFT_NONE)
			return false;
		for (j = 0; j < i; j++)
			if (ids[j] == ids[i])
				return false;
	}
	return true;
}

/* Structural validity shared by decode, raft_change_conf and raft_create. */
bool raft_conf_valid(const struct raft_conf *c)
{
	u32 i;

	if (c->n_voters > RAFT_MAX_MEMBERS ||
	    c->n_voters_old > RAFT_MAX_MEMBERS ||
	    c->n_learners > RAFT_MAX_MEMBERS)
		return false;
	if (!ids_valid(c->voters, c->n_voters) ||
	    !ids_valid(c->voters_old, c->n_voters_old) ||
	    !ids_valid(c->learners, c->n_learners))
		return false;
	/* a node is not a voter and a learner at once */
	for (i = 0; i < c->n_learners; i++)
		if (id_in(c->voters, c->n_voters, c->learners[i]))
			return false;
	return true;
}

int raft_conf_decode(struct raft_conf *c, const u8 *in, u32 len)
{
	struct raft_conf t;
	u32 i;

	if (!in || len < RAFT_CONF_ENCODED_SIZE)
		return -EINVAL;
	if (in[3] != 0)
		return -EINVAL;
	memset(&t, 0, sizeof(t));
	t.n_voters = in[0];
	t.n_voters_old = in[1];
	t.n_learners = in[2];
	if (t.n_voters > RAFT_MAX_MEMBERS || t.n_voters_old > RAFT_MAX_MEMBERS ||
	    t.n_learners > RAFT_MAX_MEMBERS)
		return -EINVAL;
	for (i = 0; i < RAFT_MAX_MEMBERS; i++) {
		u32 v = get_le32(in + 4 + 4 * i);
		u32 o = get_le32(in + 4 + 4 * (RAFT_MAX_MEMBERS + i));
		u32 l = get_le32(in + 4 + 4 * (2 * RAFT_MAX_MEMBERS + i));

		if (i < t.n_voters)
			t.voters[i] = v;
		else if (v)
			return -EINVAL;
		if (i < t.n_voters_old)
			t.voters_old[i] = o;
		else if (o)
			return -EINVAL;
		if (i < t.n_learners)
			t.learners[i] = l;
		else if (l)
			return -EINVAL;
	}
	if (!raft_conf_valid(&t))
		return -EINVAL;
	*c = t;
	return 0;
}

/* Configuration in effect at index (latest CONF entry <= index). */
void raft_conf_at(const struct raft *r, u64 index, struct raft_conf *out,
		  u64 *at)
{
	u64 i = min_u64(index, raft_log_last(r));

	for (; i >= raft_log_first(r); i--) {
		const struct raft_entry *e = raft_log_entry(r, i);

		if (e->type == RAFT_ENTRY_CONF &&
		    raft_conf_decode(out, e->data, e->len) == 0) {
			if (at)
				*at = i;
			return;
		}
	}
	*out = r->snap.conf;
	if (at)
		*at = 0;
}

/* The configuration in effect is the latest in the log (after a truncate). */
void raft_conf_recompute(struct raft *r)
{
	raft_conf_at(r, raft_log_last(r), &r->conf, &r->conf_index);
	raft_prog_sync(r);
}

bool raft_is_voter(const struct raft *r, u32 id)
{
	return raft_conf_is_voter(&r->conf, id);
}

/* a voter (old or new) or a learner of the configuration in effect */
bool raft_is_member(const struct raft *r, u32 id)
{
	return raft_is_voter(r, id) ||
	       id_in(r->conf.learners, r->conf.n_learners, id);
}

static void append_conf(struct raft *r, const struct raft_conf *c, u8 *buf)
{
	raft_conf_encode(c, buf);
	raft_log_push(r, r->term, RAFT_ENTRY_CONF, buf, RAFT_CONF_ENCODED_SIZE);
}

/* Leader: after the commit index moved. */
void raft_after_commit(struct raft *r)
{
	struct raft_conf c;
	u8 *buf;

	if (r->role != RAFT_LEADER)
		return;
	raft_reads_poll(r);
	if (r->conf_index > r->commit)
		return;
	if (r->conf.n_voters_old) {
		/*
		 * C_old,new committed: append C_new on our own (no realloc:
		 * this may run between raft_ready and raft_advance).
		 */
		if (!raft_log_has_room(r, 1))
			return;	/* retried on the next tick */
		buf = raft_malloc(RAFT_CONF_ENCODED_SIZE);
		if (!buf)
			return;
		c = r->conf;
		c.n_voters_old = 0;
		memset(c.voters_old, 0, sizeof(c.voters_old));
		append_conf(r, &c, buf);
		raft_bcast_append(r);
		return;
	}
	if (!raft_is_voter(r, r->id)) {
		/* removed by C_new, which is committed: step down */
		raft_bcast_heartbeat(r, 0);
		raft_become_follower(r, r->term, RAFT_NONE);
	}
}

/* the index a member must hold to know the configuration in effect */
static u64 raft_conf_known_index(const struct raft *r)
{
	return r->conf_index ? r->conf_index : raft_log_first(r) - 1;
}

/*
 * May learner id be promoted now?  It must be caught up (match within
 * catchup_entries of our last index) and hold the configuration in effect.
 * A learner that has received nothing yet (match 0 while the log is shorter
 * than catchup_entries) knows no configuration and would drop every vote
 * request: once its vote is needed the cluster could never elect again
 * (found with two voters).  Not yet is not never: the caller retries.
 */
bool raft_learner_caught_up(struct raft *r, u32 id)
{
	const struct raft_progress *pr;

	if (r->role != RAFT_LEADER)
		return false;
	pr = raft_prog_get(r, id);
	return pr && pr->match >= raft_conf_known_index(r) &&
	       pr->match + r->cfg.catchup_entries >= raft_log_last(r);
}

static bool conf_same_voters(const struct raft_conf *a, const struct raft_conf *b)
{
	u32 i;

	if (a->n_voters != b->n_voters)
		return false;
	for (i = 0; i < a->n_voters; i++)
		if (!id_in(b->voters, b->n_voters, a->voters[i]))
			return false;
	return true;
}

int raft_change_conf(struct raft *r, const struct raft_conf *target)
{
	struct raft_conf c;
	u32 i;
	u8 *buf;
	int err;

	if (r->role != RAFT_LEADER || r->transferee != RAFT_NONE)
		return -EPERM;
	if (!target || target->n_voters == 0 || target->n_voters_old ||
	    !raft_conf_valid(target))
		return -EINVAL;
	if (!raft_committed_in_term(r))
		return -EAGAIN;
	if (r->conf_index > r->commit || r->conf.n_voters_old)
		return -EBUSY;
	for (i = 0; i < target->n_voters; i++) {
		u32 id = target->voters[i];

		if (raft_is_voter(r, id) || id == r->id)
			continue;
		if (raft_prog_get(r, id) && !raft_learner_caught_up(r, id))
			return -EAGAIN;
	}
	err = raft_reserve_entry(r, RAFT_CONF_ENCODED_SIZE);
	if (err)
		return err;
	buf = raft_malloc(RAFT_CONF_ENCODED_SIZE);
	if (!buf)
		return -ENOMEM;
	memset(&c, 0, sizeof(c));
	memcpy(c.voters, target->voters, sizeof(c.voters));
	c.n_voters = target->n_voters;
	memcpy(c.learners, target->learners, sizeof(c.learners));
	c.n_learners = target->n_learners;
	if (!conf_same_voters(&r->conf, target)) {
		memcpy(c.voters_old, r->conf.voters, sizeof(c.voters_old));
		c.n_voters_old = r->conf.n_voters;
	}
	append_conf(r, &c, buf);
	raft_bcast_append(r);
	raft_maybe_commit(r);
	return 0;
}
