// SPDX-License-Identifier: GPL-2.0
/*
 * raft.c - rraft's sans-I/O deterministic Raft core: life cycle, ticks,
 * message dispatch (raft_step), elections, the follower side of appends
 * and heartbeats, proposals and queries.
 *
 * See raft.h for the API and the host loop contract, raft_int.h for the
 * state and which file owns what, and Documentation/design/raft-core.rst
 * for the invariants kept here and why.
 *
 * Only raft_env.h and raft.h are included (through raft_int.h): the same
 * files build into the kernel module, KUnit and the userspace tests and
 * simulator.  No clocks, no recursion, every loop is bounded by the log,
 * the member count or a configured limit; every allocation may fail and is
 * reported without a change of state.
 */
#include "raft_int.h"

static u64 rng_next(struct raft *r)
{
	/* splitmix64 */
	u64 z;

	r->rng += 0x9e3779b97f4a7c15ull;
	z = r->rng;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

const char *raft_role_name(u32 role)
{
	switch (role) {
	case RAFT_FOLLOWER:
		return "follower";
	case RAFT_PRECANDIDATE:
		return "precandidate";
	case RAFT_CANDIDATE:
		return "candidate";
	case RAFT_LEADER:
		return "leader";
	}
	return "unknown";
}

const char *raft_msg_type_name(u32 type)
{
	static const char * const names[] = {
		"none", "prevote", "prevote_resp", "vote", "vote_resp",
		"append", "append_resp", "heartbeat", "heartbeat_resp",
		"snapshot", "snapshot_resp", "timeout_now", "transfer_req",
	};

	if (type > RAFT_MSG_TYPE_MAX)
		return "unknown";
	return names[type];
}

/* Can this node become leader (campaign, answer TIMEOUT_NOW)? */
static bool promotable(const struct raft *r)
{
	return raft_is_voter(r, r->id) && !r->inconsistent;
}

static void reset_timeout(struct raft *r)
{
	u32 e = r->cfg.election_ticks;

	r->rand_timeout = e + (u32)(rng_next(r) % e);
}

static void reads_drop(struct raft *r)
{
	r->n_pend = 0;
}

static void reset(struct raft *r, u64 term)
{
	u32 i;

	if (r->term != term) {
		r->term = term;
		r->vote = RAFT_NONE;
		r->ack_sent = 0;
		r->ack_pending = 0;
		r->lease_off = false;
	}
	r->lead = RAFT_NONE;
	r->election_elapsed = 0;
	r->heartbeat_elapsed = 0;
	reset_timeout(r);
	r->transferee = RAFT_NONE;
	r->transfer_elapsed = 0;
	r->n_votes = 0;
	reads_drop(r);
	for (i = 0; i < RAFT_MAX_PRS; i++)
		if (r->prs[i].id != RAFT_NONE)
			raft_prog_reset(r, &r->prs[i]);
	r->soft_changed = true;
}

void raft_become_follower(struct raft *r, u64 term, u32 lead)
{
	reset(r, term);
	r->role = RAFT_FOLLOWER;
	r->lead = lead;
}

static void become_precandidate(struct raft *r)
{
	/* term unchanged; forget the leader (etcd #8334) */
	r->role = RAFT_PRECANDIDATE;
	r->lead = RAFT_NONE;
	r->n_votes = 0;
	r->election_elapsed = 0;
	reset_timeout(r);
	r->soft_changed = true;
}

static void become_candidate(struct raft *r)
{
	reset(r, r->term + 1);
	r->role = RAFT_CANDIDATE;
	r->vote = r->id;
}

static void become_leader(struct raft *r)
{
	struct raft_progress *self;

	u64 i;

	reset(r, r->term);
	r->role = RAFT_LEADER;
	r->lead = r->id;
	r->seq_queued = false;
	r->unc_bytes = 0;
	for (i = r->commit + 1; i <= raft_log_last(r); i++)
		r->unc_bytes += raft_log_entry(r, i)->len;
	/* capacity for one entry was reserved by the caller */
	raft_log_push(r, r->term, RAFT_ENTRY_NOOP, NULL, 0);
	r->noop_index = raft_log_last(r);
	self = raft_prog_get(r, r->id);	/* a voter, so a member */
	if (self) {
		self->state = PROG_REPLICATE;
		self->recent_active = true;
	}
	raft_bcast_append(r);
	raft_maybe_commit(r);
}

static void record_vote(struct raft *r, u32 id, bool granted)
{
	u32 i;

	for (i = 0; i < r->n_votes; i++)
		if (r->vote_ids[i] == id)
			return;
	if (r->n_votes >= RAFT_MAX_PRS)
		return;
	r->vote_ids[r->n_votes] = id;
	r->vote_granted[r->n_votes] = granted;
	r->n_votes++;
}

/* 1 won, -1 lost, 0 pending, for one voter set */
static int tally_set(const struct raft *r, const u32 *ids, u32 n)
{
	u32 i, j, yes = 0, no = 0;

	if (n == 0)
		return 1;
	for (i = 0; i < n; i++)
		for (j = 0; j < r->n_votes; j++)
			if (r->vote_ids[j] == ids[i]) {
				if (r->vote_granted[j])
					yes++;
				else
					no++;
			}
	if (yes >= n / 2 + 1)
		return 1;
	if (no > n - (n / 2 + 1))
		return -1;
	return 0;
}

static int tally(const struct raft *r)
{
	int a = tally_set(r, r->conf.voters, r->conf.n_voters);
	int b = tally_set(r, r->conf.voters_old, r->conf.n_voters_old);

	if (r->conf.n_voters == 0)
		return -1;
	if (a < 0 || b < 0)
		return -1;
	if (a > 0 && b > 0)
		return 1;
	return 0;
}

static void bcast_vote(struct raft *r, bool pre, bool transfer)
{
	u32 i;

	for (i = 0; i < RAFT_MAX_PRS; i++) {
		struct raft_msg *m;
		u32 id = r->prs[i].id;

		if (id == RAFT_NONE || id == r->id || !raft_is_voter(r, id))
			continue;
		m = raft_new_msg(r, pre ? RAFT_MSG_PREVOTE : RAFT_MSG_VOTE, id);
		if (!m)
			return;
		if (pre)
			m->term = r->term + 1;
		m->index = raft_log_last(r);
		m->log_term = raft_log_last_term(r);
		if (transfer)
			m->flags |= RAFT_MSGF_TRANSFER;
	}
}

/* Caller reserved output and log room (the NOOP of a new leader). */
static void campaign(struct raft *r, bool pre, bool transfer)
{
	if (pre) {
		become_precandidate(r);
		record_vote(r, r->id, true);
		if (tally(r) <= 0) {
			bcast_vote(r, true, false);
			return;
		}
	}
	become_candidate(r);
	record_vote(r, r->id, true);
	if (tally(r) > 0) {
		become_leader(r);
		return;
	}
	bcast_vote(r, false, transfer);
}

static void poll_won(struct raft *r, bool pre)
{
	int t = tally(r);

	if (t > 0) {
		if (pre)
			campaign(r, false, false);
		else
			become_leader(r);
	} else if (t < 0) {
		raft_become_follower(r, r->term, RAFT_NONE);
	}
}

void raft_send_ack(struct raft *r, u32 to, bool force)
{
	u64 a = min_u64(r->persisted, r->ack_pending);
	struct raft_msg *m;

	if (!force && a <= r->ack_sent)
		return;
	m = raft_new_msg(r, RAFT_MSG_APPEND_RESP, to);
	if (!m)
		return;
	m->index = a;
	if (a > r->ack_sent)
		r->ack_sent = a;
}

static void reject_append(struct raft *r, const struct raft_msg *m)
{
	struct raft_msg *o = raft_new_msg(r, RAFT_MSG_APPEND_RESP, m->from);
	u64 last = raft_log_last(r);

	if (!o)
		return;
	o->flags |= RAFT_MSGF_REJECT;
	o->index = m->index;
	o->hint_len = last + 1;
	if (m->index > last) {
		o->hint_term = 0;
		o->hint_index = 0;
	} else {
		/* our conflicting term and where it starts in our log */
		o->hint_term = raft_log_term(r, m->index);
		o->hint_index = raft_log_term_start(r, m->index);
	}
}

/* Payload copies and log room for an APPEND, made before any state change. */
struct pre_ents {
	u8 **data;	/* copies for entries from index `from` of the message */
	u64 from;	/* message entry offset of the first new entry */
	bool none;
};

static void handle_append(struct raft *r, const struct raft_msg *m,
			  struct pre_ents *pe)
{
	u64 skip = 0, prev = m->index, k, vlast;

	r->lead = m->from;
	r->election_elapsed = 0;
	vlast = m->index + m->n_entries;
	if (prev < r->commit) {
		/* committed entries match the leader's */
		skip = r->commit - prev;
		if (skip >= m->n_entries) {
			r->ack_pending = max_u64(r->ack_pending,
						 min_u64(r->commit, raft_log_last(r)));
			raft_send_ack(r, m->from, true);
			return;
		}
		prev = r->commit;
	} else if (raft_log_term(r, prev) != m->log_term || prev > raft_log_last(r)) {
		reject_append(r, m);
		return;
	}
	k = pe->none ? m->n_entries : pe->from;
	if (k < m->n_entries) {
		u64 idx = m->index + 1 + k;
		u64 j;

		if (idx <= r->commit) {
			/* would truncate a committed entry: leader is broken */
			RAFT_ASSERT(0);
			return;
		}
		if (idx <= raft_log_last(r))
			raft_log_truncate(r, idx);
		for (j = k; j < m->n_entries; j++) {
			raft_log_push(r, m->entries[j].term, m->entries[j].type,
				      pe->data[j - k], m->entries[j].len);
			pe->data[j - k] = NULL;
		}
	}
	r->ack_pending = max_u64(r->ack_pending, vlast);
	if (m->commit > r->commit) {
		u64 c = min_u64(m->commit, vlast);

		if (c > r->commit)
			r->commit = c;
	}
	raft_send_ack(r, m->from, r->persisted >= vlast);
}

void raft_maybe_send_timeout_now(struct raft *r, struct raft_progress *pr)
{
	struct raft_msg *m;

	if (r->transferee != pr->id || pr->match != raft_log_last(r))
		return;
	m = raft_new_msg(r, RAFT_MSG_TIMEOUT_NOW, pr->id);
	if (m)
		r->lease_off = true;
}

/* heard from a leader within an election timeout (a leader: always) */
static bool leader_recent(const struct raft *r)
{
	return (r->lead != RAFT_NONE || r->boot_quiet) &&
	       r->election_elapsed < r->cfg.election_ticks;
}

static bool in_lease(const struct raft *r)
{
	return (r->cfg.check_quorum || r->cfg.pre_vote) && leader_recent(r);
}

static void reject_vote(struct raft *r, const struct raft_msg *m, u32 type)
{
	struct raft_msg *o = raft_new_msg(r, type, m->from);

	if (o)
		o->flags |= RAFT_MSGF_REJECT;
}

static void handle_vote(struct raft *r, const struct raft_msg *m)
{
	bool pre = m->type == RAFT_MSG_PREVOTE;
	bool can, utd;
	struct raft_msg *o;

	can = r->vote == m->from ||
	      (r->vote == RAFT_NONE && r->lead == RAFT_NONE) ||
	      (pre && m->term > r->term);
	utd = m->log_term > raft_log_last_term(r) ||
	      (m->log_term == raft_log_last_term(r) && m->index >= raft_log_last(r));
	o = raft_new_msg(r, pre ? RAFT_MSG_PREVOTE_RESP : RAFT_MSG_VOTE_RESP,
			 m->from);
	if (!o)
		return;
	if (can && utd) {
		/* a granted pre-vote carries the term it was asked for */
		o->term = m->term;
		if (!pre) {
			r->vote = m->from;
			r->election_elapsed = 0;
		}
	} else {
		o->term = r->term;
		o->flags |= RAFT_MSGF_REJECT;
	}
}

static bool is_from_leader(const struct raft_msg *m)
{
	return m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_HEARTBEAT ||
	       m->type == RAFT_MSG_SNAPSHOT;
}

/* The term rules of every message; false when m is done with (ignored). */
static bool step_term(struct raft *r, const struct raft_msg *m)
{
	if (m->term > r->term) {
		bool vote_req = m->type == RAFT_MSG_PREVOTE ||
				m->type == RAFT_MSG_VOTE;

		if (vote_req) {
			/*
			 * hashicorp #526: a node outside the configuration
			 * (removed, or a stranger) cannot disturb a leader we
			 * hear from.  Without one we answer it: our
			 * configuration may be older than the candidate's,
			 * whose majority may need our vote (Raft thesis 4.1;
			 * scenario bug-stale-conf-vote).  A learner is
			 * answered always: it campaigns only once a newer
			 * configuration made it a voter.
			 */
			if (!raft_is_member(r, m->from) && leader_recent(r))
				return false;
			/* leader stickiness */
			if (!(m->flags & RAFT_MSGF_TRANSFER) && in_lease(r))
				return false;
		}
		if (m->type == RAFT_MSG_PREVOTE) {
			/* answered below without changing our term */
		} else if (m->type == RAFT_MSG_PREVOTE_RESP &&
			   !(m->flags & RAFT_MSGF_REJECT)) {
			/* a grant carries the future term */
		} else if (is_from_leader(m)) {
			raft_become_follower(r, m->term, m->from);
		} else if (m->type == RAFT_MSG_VOTE && r->role != RAFT_LEADER) {
			/*
			 * Only a granted vote restarts the election timer
			 * (handle_vote): candidates whose logs are behind must
			 * not hold off, term after term, the one that can win.
			 */
			u32 elapsed = r->election_elapsed;

			raft_become_follower(r, m->term, RAFT_NONE);
			r->election_elapsed = elapsed;
		} else {
			raft_become_follower(r, m->term, RAFT_NONE);
		}
	} else if (m->term < r->term) {
		if (is_from_leader(m)) {
			/*
			 * Tell a stale leader about our term.  Needed even
			 * without check-quorum: a node the leader does not
			 * count as a voter (its vote requests are ignored, see
			 * hashicorp #526) would otherwise never catch up.
			 */
			raft_new_msg(r, RAFT_MSG_APPEND_RESP, m->from);
		} else if (m->type == RAFT_MSG_PREVOTE) {
			reject_vote(r, m, RAFT_MSG_PREVOTE_RESP);
		}
		return false;
	}
	return true;
}

/* Vote requests and answers of our term (after step_term). */
static void step_vote(struct raft *r, const struct raft_msg *m)
{
	bool pre = m->type == RAFT_MSG_PREVOTE ||
		   m->type == RAFT_MSG_PREVOTE_RESP;

	if (m->type == RAFT_MSG_PREVOTE || m->type == RAFT_MSG_VOTE) {
		/*
		 * From any candidate, voter of our configuration or not:
		 * its configuration may be newer than ours (step_term).
		 */
		if (r->role == RAFT_LEADER && m->type == RAFT_MSG_VOTE &&
		    m->term == r->term)
			reject_vote(r, m, RAFT_MSG_VOTE_RESP);
		else
			handle_vote(r, m);
		return;
	}
	if (!raft_is_voter(r, m->from))
		return;
	if (r->role != (pre ? RAFT_PRECANDIDATE : RAFT_CANDIDATE))
		return;
	if (pre && !(m->flags & RAFT_MSGF_REJECT) && m->term != r->term + 1)
		return;
	record_vote(r, m->from, !(m->flags & RAFT_MSGF_REJECT));
	poll_won(r, pre);
}

static void handle_heartbeat(struct raft *r, const struct raft_msg *m)
{
	struct raft_msg *o;

	r->election_elapsed = 0;
	if (m->commit > r->commit)
		r->commit = max_u64(r->commit,
				    min_u64(m->commit, raft_log_last(r)));
	o = raft_new_msg(r, RAFT_MSG_HEARTBEAT_RESP, m->from);
	if (o)
		o->ctx = m->ctx;
	raft_send_ack(r, m->from, false);
}

/* APPEND, HEARTBEAT, SNAPSHOT of our term's leader. */
static int step_follower(struct raft *r, const struct raft_msg *m,
			 struct pre_ents *pe)
{
	if (r->role == RAFT_LEADER)
		return 0;	/* two leaders in one term: impossible */
	if (r->role != RAFT_FOLLOWER)
		raft_become_follower(r, r->term, m->from);
	if (r->lead != m->from) {
		r->lead = m->from;
		r->soft_changed = true;
	}
	if (m->type == RAFT_MSG_APPEND)
		handle_append(r, m, pe);
	else if (m->type == RAFT_MSG_HEARTBEAT)
		handle_heartbeat(r, m);
	else
		return raft_handle_snapshot(r, m);
	return 0;
}

/* Answers to a leader (progress of a peer). */
static void step_leader(struct raft *r, const struct raft_msg *m)
{
	struct raft_progress *pr;

	if (r->role != RAFT_LEADER)
		return;
	pr = raft_prog_get(r, m->from);
	if (!pr)
		return;
	if (m->type == RAFT_MSG_APPEND_RESP)
		raft_handle_append_resp(r, pr, m);
	else if (m->type == RAFT_MSG_HEARTBEAT_RESP)
		raft_handle_heartbeat_resp(r, pr, m);
	else
		raft_handle_snapshot_resp(r, pr, m);
}

static int step_locked(struct raft *r, const struct raft_msg *m,
		       struct pre_ents *pe)
{
	if (!step_term(r, m))
		return 0;
	switch (m->type) {
	case RAFT_MSG_PREVOTE:
	case RAFT_MSG_VOTE:
	case RAFT_MSG_PREVOTE_RESP:
	case RAFT_MSG_VOTE_RESP:
		step_vote(r, m);
		return 0;
	case RAFT_MSG_APPEND:
	case RAFT_MSG_HEARTBEAT:
	case RAFT_MSG_SNAPSHOT:
		return step_follower(r, m, pe);
	case RAFT_MSG_TIMEOUT_NOW:
		if (r->role == RAFT_LEADER || !promotable(r))
			return 0;
		campaign(r, false, true);
		return 0;
	case RAFT_MSG_TRANSFER_REQ:
		/* a voter asks for leadership: hand it over (catch-up first) */
		if (r->role == RAFT_LEADER && raft_is_voter(r, m->from) &&
		    !(m->flags & RAFT_MSGF_INCONSISTENT) &&
		    r->transferee == RAFT_NONE)
			raft_transfer_leader(r, m->from);
		return 0;
	case RAFT_MSG_APPEND_RESP:
	case RAFT_MSG_HEARTBEAT_RESP:
	case RAFT_MSG_SNAPSHOT_RESP:
		step_leader(r, m);
		return 0;
	}
	return 0;
}

static bool msg_valid(const struct raft *r, const struct raft_msg *m)
{
	u32 i;

	if (!m || m->type == RAFT_MSG_NONE || m->type > RAFT_MSG_TYPE_MAX)
		return false;
	if (m->from == RAFT_NONE || m->from == r->id || m->term == 0)
		return false;
	if (m->to != r->id && m->to != RAFT_NONE)
		return false;
	if (m->n_entries && !m->entries)
		return false;
	if (m->len && !m->data)
		return false;
	for (i = 0; i < m->n_entries; i++) {
		const struct raft_entry *e = &m->entries[i];

		if (e->len && !e->data)
			return false;
		if (e->type > RAFT_ENTRY_CONF || e->term > m->term)
			return false;
		if (e->index && e->index != m->index + 1 + i)
			return false;
		if (i ? e->term < m->entries[i - 1].term : e->term < m->log_term)
			return false;
	}
	if (m->index + m->n_entries < m->index)
		return false;
	return true;
}

/*
 * An APPEND may add entries: find where they start to be new and allocate
 * their copies and the log room before any state changes.
 */
static int prepare_append(struct raft *r, const struct raft_msg *m,
			  struct pre_ents *pe)
{
	u64 skip = 0, cnt, k;
	int err;

	if (m->type != RAFT_MSG_APPEND || m->term < r->term || !m->n_entries)
		return 0;
	if (m->index < r->commit)
		skip = r->commit - m->index;	/* known to match */
	else if (m->index > raft_log_last(r) ||
		 raft_log_term(r, m->index) != m->log_term)
		return 0;	/* will be rejected */
	if (skip >= m->n_entries)
		return 0;
	pe->from = raft_log_find_conflict(r, m, skip);
	if (pe->from == m->n_entries)
		return 0;
	cnt = m->n_entries - pe->from;
	err = raft_log_reserve(r, cnt);
	if (err)
		return err;
	pe->data = raft_calloc(cnt, sizeof(u8 *));
	if (!pe->data)
		return -ENOMEM;
	pe->none = false;
	for (k = 0; k < cnt; k++) {
		const struct raft_entry *e = &m->entries[pe->from + k];

		pe->data[k] = raft_dup_data(e->data, e->len, &err);
		if (err)
			return err;
	}
	return 0;
}

int raft_step(struct raft *r, const struct raft_msg *m)
{
	struct pre_ents pe = { .data = NULL, .from = 0, .none = true };
	int err;
	u64 k;

	if (!msg_valid(r, m))
		return -EINVAL;
	err = raft_reserve_out(r);
	if (!err)
		err = prepare_append(r, m, &pe);
	/* becoming leader (a VOTE_RESP/PREVOTE_RESP) appends one NOOP */
	if (!err)
		err = raft_log_reserve(r, 2);
	if (!err)
		err = step_locked(r, m, &pe);
	if (pe.data) {
		for (k = 0; k < m->n_entries - pe.from; k++)
			raft_free(pe.data[k]);
		raft_free(pe.data);
	}
	return err;
}

static void tick_one(struct raft *r)
{
	r->now++;
	if (r->role == RAFT_LEADER) {
		r->heartbeat_elapsed++;
		r->election_elapsed++;
		if (r->transferee) {
			if (++r->transfer_elapsed >= r->cfg.election_ticks) {
				r->transferee = RAFT_NONE;
				r->transfer_elapsed = 0;
			}
		}
		if (r->election_elapsed >= r->cfg.election_ticks) {
			u32 i;

			r->election_elapsed = 0;
			if (r->cfg.check_quorum && !raft_prog_quorum_active(r)) {
				raft_become_follower(r, r->term, RAFT_NONE);
				return;
			}
			for (i = 0; i < RAFT_MAX_PRS; i++)
				if (r->prs[i].id != r->id)
					r->prs[i].recent_active = false;
		}
		if (r->heartbeat_elapsed >= r->cfg.heartbeat_ticks) {
			r->heartbeat_elapsed = 0;
			r->seq_queued = false;
			raft_next_seq(r);
		}
		/* a C_new that could not be appended earlier (ENOMEM) */
		if (r->conf.n_voters_old && r->conf_index <= r->commit)
			raft_after_commit(r);
		return;
	}
	r->election_elapsed++;
	if (r->election_elapsed >= r->cfg.election_ticks)
		r->boot_quiet = false;
	if (promotable(r) && r->election_elapsed >= r->rand_timeout) {
		r->election_elapsed = 0;
		campaign(r, r->cfg.pre_vote, false);
	}
}

/*
 * ticks: the ticks of time that elapsed since the last call (not timer
 * firings).  r->now always advances by all of them, even when the
 * per-tick work is cut short (a long pause, or out of memory), so that a
 * lease is never counted from a clock that fell behind.
 */
void raft_tick(struct raft *r, u32 ticks)
{
	u32 cap = 4 * r->cfg.election_ticks;

	if (ticks > cap) {
		/* nothing in a tick outlives 2 election timeouts */
		r->now += ticks - cap;
		ticks = cap;
	}
	while (ticks) {
		/* room for a campaign that wins at once (its NOOP) */
		if (raft_reserve(r, 2)) {
			r->now += ticks;	/* out of memory: work skipped */
			return;
		}
		tick_one(r);
		ticks--;
	}
}

int raft_request_leadership(struct raft *r)
{
	int err;

	if (r->role == RAFT_LEADER)
		return 0;
	if (!promotable(r))
		return -EPERM;
	if (r->lead == RAFT_NONE || r->lead == r->id)
		return raft_campaign(r);
	err = raft_reserve_out(r);
	if (err)
		return err;
	raft_new_msg(r, RAFT_MSG_TRANSFER_REQ, r->lead);
	return 0;
}

int raft_campaign(struct raft *r)
{
	int err;

	if (r->role == RAFT_LEADER)
		return 0;
	if (!promotable(r))
		return -EPERM;
	err = raft_reserve(r, 2);
	if (err)
		return err;
	campaign(r, r->cfg.pre_vote, false);
	return 0;
}

/*
 * Room for a leader's new entry of len payload bytes (a proposal or a
 * configuration): -EBUSY while max_uncommitted entries or
 * max_uncommitted_bytes wait for commit (backpressure).
 */
int raft_reserve_entry(struct raft *r, u32 len)
{
	if (raft_log_last(r) - r->commit >= r->cfg.max_uncommitted)
		return -EBUSY;
	if (r->cfg.max_uncommitted_bytes && r->unc_bytes &&
	    r->unc_bytes + len > r->cfg.max_uncommitted_bytes)
		return -EBUSY;
	return raft_reserve(r, 1);
}

int raft_propose(struct raft *r, const void *data, u32 len, u64 *index,
		 u64 *term)
{
	u8 *buf;
	int err;

	if (r->role != RAFT_LEADER || r->transferee != RAFT_NONE)
		return -EPERM;
	if (len && !data)
		return -EINVAL;
	err = raft_reserve_entry(r, len);
	if (err)
		return err;
	buf = raft_dup_data(data, len, &err);
	if (err)
		return err;
	raft_log_push(r, r->term, RAFT_ENTRY_NORMAL, buf, len);
	if (index)
		*index = raft_log_last(r);
	if (term)
		*term = r->term;
	/* replicated at the next raft_ready: proposals batch up */
	r->bcast_pending = true;
	return 0;
}

void raft_persisted(struct raft *r, u64 index, u64 term)
{
	u64 lim;

	if (index == 0 || raft_log_term(r, index) != term)
		return;	/* overwritten since (ABA) or compacted */
	lim = r->unstable - 1;	/* handed out for persistence */
	if (index > lim)
		index = lim;
	if (index <= r->persisted)
		return;
	/* on ENOMEM the acks go out later (heartbeats resend them) */
	raft_reserve_out(r);
	r->persisted = index;
	if (r->role == RAFT_LEADER)
		raft_maybe_commit(r);
	else if (r->lead != RAFT_NONE)
		raft_send_ack(r, r->lead, false);
}

/*
 * The host can no longer persist (its disk failed): a leader becomes a
 * follower of its term with no leader known.  It keeps its term and vote;
 * the host then feeds it nothing more (no ticks, no messages), so it
 * neither campaigns nor answers.
 */
int raft_step_down(struct raft *r)
{
	if (r->role != RAFT_LEADER)
		return -EPERM;
	raft_become_follower(r, r->term, RAFT_NONE);
	return 0;
}

int raft_transfer_leader(struct raft *r, u32 to)
{
	struct raft_progress *pr;
	int err;

	if (r->role != RAFT_LEADER)
		return -EPERM;
	if (to == r->id)
		return 0;
	pr = raft_prog_get(r, to);
	if (!pr || !raft_conf_is_voter(&r->conf, to))
		return -EINVAL;
	if (r->transferee != RAFT_NONE)
		return -EBUSY;
	err = raft_reserve_out(r);
	if (err)
		return err;
	r->transferee = to;
	r->transfer_elapsed = 0;
	if (pr->match == raft_log_last(r)) {
		raft_maybe_send_timeout_now(r, pr);
	} else {
		/* catch it up now, even if appends to it were lost */
		if (pr->state == PROG_REPLICATE)
			raft_prog_probe(r, pr);
		pr->probe_sent = false;
		raft_send_append(r, pr);
	}
	return 0;
}

int raft_create(struct raft **out, const struct raft_config *cfg,
		const struct raft_boot *boot)
{
	struct raft *r;
	u64 i, expect;
	int err;

	*out = NULL;
	if (!cfg || !boot || cfg->id == RAFT_NONE || cfg->election_ticks < 2 ||
	    cfg->heartbeat_ticks == 0 ||
	    cfg->heartbeat_ticks >= cfg->election_ticks)
		return -EINVAL;
	if (!raft_conf_valid(&boot->snap.conf))
		return -EINVAL;
	if (boot->n_entries && !boot->entries)
		return -EINVAL;
	/* entries must follow the snapshot, contiguous, terms non-decreasing */
	expect = boot->snap.index + 1;
	for (i = 0; i < boot->n_entries; i++) {
		const struct raft_entry *e = &boot->entries[i];
		u64 pt = i ? boot->entries[i - 1].term : boot->snap.term;

		if (e->index != expect + i || e->term < pt || e->term == 0 ||
		    e->term > boot->hs.term || (e->len && !e->data) ||
		    e->type > RAFT_ENTRY_CONF)
			return -EINVAL;
	}
	if (boot->snap.term > boot->hs.term)
		return -EINVAL;
	r = raft_env_zalloc_large(sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->cfg = *cfg;
	if (r->cfg.max_inflight == 0)
		r->cfg.max_inflight = 1;
	if (r->cfg.append_timeout_ticks == 0)
		r->cfg.append_timeout_ticks =
			(u32)max_u64(r->cfg.election_ticks / 2,
				     2 * r->cfg.heartbeat_ticks);
	if (r->cfg.max_inflight > RAFT_INFL_MAX)
		r->cfg.max_inflight = RAFT_INFL_MAX;
	if (r->cfg.max_append_entries == 0)
		r->cfg.max_append_entries = 64;
	if (r->cfg.max_append_bytes == 0)
		r->cfg.max_append_bytes = 1u << 20;
	if (r->cfg.max_uncommitted == 0)
		r->cfg.max_uncommitted = ~0u;
	r->id = cfg->id;
	r->rng = cfg->seed ^ ((u64)cfg->id << 32) ^ 0x5851f42d4c957f2dull;
	r->term = boot->hs.term;
	r->vote = boot->hs.vote;
	r->prev_hs.term = r->term;
	r->prev_hs.vote = r->vote;
	r->snap = boot->snap;
	err = raft_log_reserve(r, boot->n_entries + 2);
	if (err)
		goto fail;
	for (i = 0; i < boot->n_entries; i++) {
		const struct raft_entry *e = &boot->entries[i];
		u8 *d = raft_dup_data(e->data, e->len, &err);

		if (err)
			goto fail;
		raft_log_push(r, e->term, e->type, d, e->len);
	}
	r->persisted = raft_log_last(r);
	r->unstable = raft_log_last(r) + 1;
	r->commit = min_u64(boot->hs.commit, raft_log_last(r));
	r->commit = max_u64(r->snap.index, r->commit);
	r->applied = r->snap.index;
	r->prev_hs.commit = r->commit;
	raft_conf_recompute(r);
	if (boot->inconsistent) {
		r->inconsistent = true;
		r->recv.active = true;
		r->recv.meta = boot->pending;
		r->recv.next = boot->pending_offset;
		r->recv.done = boot->pending_offset;
		r->recv.base = boot->pending_base;
	}
	r->role = RAFT_FOLLOWER;
	reset_timeout(r);
	/*
	 * With lease reads, a restarted node may have promised (before the
	 * crash) not to vote for a while: a leader may serve reads on that
	 * promise.  Keep it: no votes during the first election timeout.
	 */
	r->boot_quiet = cfg->check_quorum && cfg->lease_drift_ticks > 0;
	*out = r;
	return 0;
fail:
	raft_log_free(r);
	raft_env_free_large(r);
	return err;
}

void raft_destroy(struct raft *r)
{
	if (!r)
		return;
	raft_log_free(r);
	raft_free_snap_data(r->msgs, r->n_msgs);
	raft_free_snap_data(r->omsgs, r->n_omsgs);
	raft_iq_clear(r);
	raft_free(r->msgs);
	raft_free(r->ss);
	raft_free(r->reads);
	raft_free(r->omsgs);
	raft_free(r->oss);
	raft_free(r->oreads);
	raft_free(r->pend);
	raft_env_free_large(r);
}

void raft_get_status(const struct raft *r, struct raft_status *st)
{
	u32 i, n = 0;

	memset(st, 0, sizeof(*st));
	st->id = r->id;
	st->role = r->role;
	st->leader = r->lead;
	st->term = r->term;
	st->vote = r->vote;
	st->commit = r->commit;
	st->applied = r->applied;
	st->persisted = r->persisted;
	st->first_index = raft_log_first(r);
	st->last_index = raft_log_last(r);
	st->snap_index = r->snap.index;
	st->snap_term = r->snap.term;
	st->conf = r->conf;
	st->conf_pending = r->conf_index > r->commit ||
			   r->conf.n_voters_old != 0;
	st->inconsistent = r->inconsistent;
	st->transferee = r->transferee;
	for (i = 0; i < RAFT_MAX_PRS && n < 2 * RAFT_MAX_MEMBERS; i++) {
		const struct raft_progress *pr = &r->prs[i];
		struct raft_peer_status *ps = &st->peers[n];

		if (pr->id == RAFT_NONE)
			continue;
		n++;
		ps->id = pr->id;
		ps->match = pr->id == r->id ? r->persisted : pr->match;
		ps->next = pr->id == r->id ? raft_log_last(r) + 1 : pr->next;
		ps->state = pr->state;
		ps->recent_active = pr->recent_active;
		ps->is_learner = pr->is_learner;
		ps->snap_offset = pr->snap.sent_next;
	}
	st->n_peers = n;
}

u32 raft_role(const struct raft *r)
{
	return r->role;
}

u32 raft_leader(const struct raft *r)
{
	return r->lead;
}

u64 raft_term(const struct raft *r)
{
	return r->term;
}
