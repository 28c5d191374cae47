// SPDX-License-Identifier: GPL-2.0
/*
 * raft.c - rraft's sans-I/O deterministic Raft core.
 *
 * See raft.h for the API and the host loop contract, and
 * Documentation/design/raft-core.rst for the invariants kept here and why.
 *
 * Only raft_env.h and raft.h are included: the same file builds into the
 * kernel module, KUnit and the userspace tests and simulator.  No clocks,
 * no recursion, every loop is bounded by the log, the member count or a
 * configured limit; every allocation may fail and is reported without a
 * change of state.
 */
#include "raft.h"

#define RAFT_INFL_MAX		64	/* cap on cfg.max_inflight */
#define RAFT_MAX_PRS		(3 * RAFT_MAX_MEMBERS)
#define RAFT_SNAP_WINDOW	2	/* snapshot chunks in flight per peer */
#define RAFT_INSTALL_Q		4	/* snapshot chunks queued for the host */
#define RAFT_SEQ_RING		128	/* heartbeat sequence -> send tick */
#define RAFT_SNAP_STALL		3	/* heartbeat rounds without snapshot progress */
#define RAFT_U64_MAX		(~(u64)0)

static const u8 raft_empty[1];

enum { PR_PROBE = 0, PR_REPLICATE = 1, PR_SNAPSHOT = 2 };

struct raft_pr {
	u32 id;
	bool is_learner;
	u32 state;
	u64 match;
	u64 next;
	bool recent_active;
	bool probe_sent;
	u64 infl[RAFT_INFL_MAX];
	u32 infl_head;
	u32 infl_count;
	u64 applied;		/* last reported by the peer (base for snapshots) */
	u64 acked_seq;		/* highest heartbeat sequence echoed */
	u64 hb_match;		/* match at the previous heartbeat response */
	/* snapshot state */
	struct raft_snap_meta snap;
	u64 snap_base;		/* base_applied of this transfer (fixed) */
	u64 snap_req_offset;	/* offset asked from the host */
	bool snap_req_out;	/* a raft_snap_send is waiting for a chunk */
	u32 snap_inflight;	/* chunks sent, not yet acknowledged */
	u64 snap_sent_next;	/* offset after the last chunk sent */
	bool snap_sent_last;
	u32 snap_stall;
	bool snap_restarted;	/* restarted at snap_restart_off, no ack yet */
	u64 snap_restart_off;
	/* where the follower's own (possibly interrupted) transfer stands */
	bool resume_valid;
	u64 resume_index;
	u64 resume_offset;
	struct raft_snap_meta resume_meta;
	bool no_resume;		/* the host could not serve resume_meta */
};

struct raft_read_pend {
	u64 ctx;
	u64 index;
	u64 seq;
};

struct raft_iq {
	struct raft_snap_install in;
	u8 *buf;
};

struct raft {
	struct raft_config cfg;
	u64 rng;
	u32 id;
	u32 role;
	u32 lead;
	u64 term;
	u32 vote;
	u64 commit;
	u64 applied;
	u64 persisted;
	u64 unstable;		/* first index not handed out for persistence */
	struct raft_hard_state prev_hs;
	bool soft_changed;

	/* log: index snap.index + 1 + k lives at ents[head + k], k < n */
	struct raft_entry *ents;
	u64 head;
	u64 n;
	u64 cap;
	struct raft_snap_meta snap;

	struct raft_conf conf;
	u64 conf_index;		/* index of the CONF entry in effect, 0: snap.conf */

	struct raft_pr prs[RAFT_MAX_PRS];
	u32 n_prs;

	u32 election_elapsed;
	u32 heartbeat_elapsed;
	bool boot_quiet;	/* lease: no votes for a timeout after start */
	u32 rand_timeout;
	u32 vote_ids[RAFT_MAX_PRS];
	bool vote_granted[RAFT_MAX_PRS];
	u32 n_votes;

	/* leader */
	u64 noop_index;
	u32 transferee;
	u32 transfer_elapsed;
	bool lease_off;		/* a transfer happened in this term */
	u64 now;
	u64 seq;
	bool seq_queued;
	u64 seq_id[RAFT_SEQ_RING];
	u64 seq_tick[RAFT_SEQ_RING];
	struct raft_read_pend *pend;
	u32 n_pend;
	u32 cap_pend;

	/* output: queues filled by events, swapped out by raft_ready */
	struct raft_read_state *reads;
	u32 n_reads;
	u32 cap_reads;
	struct raft_msg *msgs;
	u32 n_msgs;
	u32 cap_msgs;
	struct raft_snap_send *ss;
	u32 n_ss;
	u32 cap_ss;
	struct raft_read_state *oreads;
	u32 n_oreads;
	u32 cap_oreads;
	struct raft_msg *omsgs;
	u32 n_omsgs;
	u32 cap_omsgs;
	struct raft_snap_send *oss;
	u32 n_oss;
	u32 cap_oss;
	bool rd_out;		/* a ready is handed out, not yet advanced */
	bool bcast_pending;	/* proposals to replicate at the next ready */
	u64 compact_pending;	/* raft_compact deferred to raft_advance */
	bool done_pending;	/* raft_snapshot_chunk_done deferred */
	u64 done_args[3];
	bool done_last;

	/* follower */
	u64 ack_pending;	/* highest index known to match the leader */
	u64 ack_sent;		/* highest index acknowledged in this term */

	/* snapshot receive */
	bool inconsistent;
	bool receiving;
	struct raft_snap_meta recv;
	u64 recv_next;		/* offset expected next */
	u64 recv_done;		/* offset durable */
	u64 recv_base;
	bool recv_last;		/* the last chunk is queued or with the host */
	struct raft_iq iq[RAFT_INSTALL_Q];
	u32 iq_head;
	u32 iq_n;
	bool iq_out;		/* iq[iq_head] was handed out in a ready */
	bool snap_installed;
	struct raft_snap_meta installed;
};

/* ------------------------------------------------------------------ */
/* small helpers */

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

static u64 min_u64(u64 a, u64 b)
{
	return a < b ? a : b;
}

static u64 max_u64(u64 a, u64 b)
{
	return a > b ? a : b;
}

static u64 first_index(const struct raft *r)
{
	return r->snap.index + 1;
}

static u64 last_index(const struct raft *r)
{
	return r->snap.index + r->n;
}

static struct raft_entry *ent_at(const struct raft *r, u64 i)
{
	return &r->ents[r->head + (i - first_index(r))];
}

static u64 term_at(const struct raft *r, u64 i)
{
	if (i == r->snap.index)
		return r->snap.term;
	if (i < first_index(r) || i > last_index(r))
		return 0;
	return ent_at(r, i)->term;
}

static u64 last_term(const struct raft *r)
{
	return term_at(r, last_index(r));
}

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

/* Structural validity shared by decode and raft_change_conf. */
static bool conf_valid(const struct raft_conf *c)
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
	if (!conf_valid(&t))
		return -EINVAL;
	*c = t;
	return 0;
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

/* ------------------------------------------------------------------ */
/* output queues (capacity is reserved before any state changes) */

static int grow(void **arr, u32 *cap, u32 need, size_t size)
{
	u32 ncap;
	void *p;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 16;
	while (ncap < need)
		ncap *= 2;
	p = raft_calloc(ncap, size);
	if (!p)
		return -ENOMEM;
	if (*arr && *cap)
		memcpy(p, *arr, (size_t)*cap * size);
	raft_free(*arr);
	*arr = p;
	*cap = ncap;
	return 0;
}

/* Enough room for whatever one event can emit. */
static int reserve_out(struct raft *r)
{
	u32 per = r->cfg.max_inflight + 3;
	u32 need = 2 * (r->n_prs + 1) * per + 16;
	int err;

	err = grow((void **)&r->msgs, &r->cap_msgs, r->n_msgs + need,
		   sizeof(*r->msgs));
	if (err)
		return err;
	return grow((void **)&r->ss, &r->cap_ss, r->n_ss + r->n_prs + 1,
		    sizeof(*r->ss));
}

static struct raft_msg *new_msg(struct raft *r, u32 type, u32 to)
{
	struct raft_msg *m;

	if (r->n_msgs >= r->cap_msgs) {
		/*
		 * Capacity is reserved per event; only an event whose
		 * reservation failed (ENOMEM in a void call) gets here.  The
		 * protocol tolerates a lost message: it is retried.
		 */
		return NULL;
	}
	m = &r->msgs[r->n_msgs++];
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->from = r->id;
	m->to = to;
	m->term = r->term;
	m->applied = r->inconsistent ? r->recv_base : r->applied;
	if (r->inconsistent) {
		m->flags |= RAFT_MSGF_INCONSISTENT;
		m->snap = r->recv;
		m->offset = r->recv_done;
	}
	return m;
}

/* ------------------------------------------------------------------ */
/* configuration and progress */

static struct raft_pr *pr_get(struct raft *r, u32 id)
{
	u32 i;

	for (i = 0; i < r->n_prs; i++)
		if (r->prs[i].id == id)
			return &r->prs[i];
	return NULL;
}

static void pr_reset(struct raft *r, struct raft_pr *pr)
{
	u32 id = pr->id;
	bool learner = pr->is_learner;

	memset(pr, 0, sizeof(*pr));
	pr->id = id;
	pr->is_learner = learner;
	pr->state = PR_PROBE;
	pr->next = last_index(r) + 1;
	if (id == r->id)
		pr->match = r->persisted;
}

static void pr_add(struct raft *r, u32 id, bool learner)
{
	struct raft_pr *pr = pr_get(r, id);

	if (pr) {
		pr->is_learner = learner;
		return;
	}
	if (r->n_prs >= RAFT_MAX_PRS)
		return;
	pr = &r->prs[r->n_prs++];
	pr->id = id;
	pr->is_learner = learner;
	pr_reset(r, pr);
}

/* Rebuild the progress set from r->conf. */
static void prs_sync(struct raft *r)
{
	const struct raft_conf *c = &r->conf;
	u32 i;

	for (i = 0; i < r->n_prs;) {
		if (!raft_conf_is_member(c, r->prs[i].id)) {
			if (r->transferee == r->prs[i].id)
				r->transferee = RAFT_NONE;
			r->prs[i] = r->prs[--r->n_prs];
			continue;
		}
		i++;
	}
	for (i = 0; i < c->n_voters; i++)
		pr_add(r, c->voters[i], false);
	for (i = 0; i < c->n_voters_old; i++)
		pr_add(r, c->voters_old[i], false);
	for (i = 0; i < c->n_learners; i++)
		if (!raft_conf_is_voter(c, c->learners[i]))
			pr_add(r, c->learners[i], true);
	r->soft_changed = true;
}

/* Configuration in effect at index (latest CONF entry <= index). */
static void conf_at(const struct raft *r, u64 index, struct raft_conf *out,
		    u64 *at)
{
	u64 i = min_u64(index, last_index(r));

	for (; i >= first_index(r); i--) {
		const struct raft_entry *e = ent_at(r, i);

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

static void conf_recompute(struct raft *r)
{
	conf_at(r, last_index(r), &r->conf, &r->conf_index);
	prs_sync(r);
}

static bool is_voter(const struct raft *r, u32 id)
{
	return raft_conf_is_voter(&r->conf, id);
}

static bool promotable(const struct raft *r)
{
	return is_voter(r, r->id) && !r->inconsistent;
}

static u64 match_of(const struct raft *r, u32 id)
{
	const struct raft_pr *pr;

	if (id == r->id)
		return r->persisted;
	pr = pr_get((struct raft *)r, id);
	return pr ? pr->match : 0;
}

static u64 quorum_index_set(const struct raft *r, const u32 *ids, u32 n)
{
	u64 v[RAFT_MAX_MEMBERS];
	u32 i, j;

	if (n == 0)
		return RAFT_U64_MAX;
	for (i = 0; i < n; i++) {
		u64 x = match_of(r, ids[i]);

		/* insertion sort, descending */
		for (j = i; j > 0 && v[j - 1] < x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	return v[n / 2];
}

static u64 quorum_index(const struct raft *r)
{
	return min_u64(quorum_index_set(r, r->conf.voters, r->conf.n_voters),
		       quorum_index_set(r, r->conf.voters_old,
					r->conf.n_voters_old));
}

/* Does a quorum (joint: of both sets) satisfy pred? */
typedef bool (*raft_pred)(const struct raft *r, u32 id, u64 arg);

static bool quorum_set(const struct raft *r, const u32 *ids, u32 n,
		       raft_pred pred, u64 arg)
{
	u32 i, c = 0;

	if (n == 0)
		return true;
	for (i = 0; i < n; i++)
		if (pred(r, ids[i], arg))
			c++;
	return c >= n / 2 + 1;
}

static bool quorum(const struct raft *r, raft_pred pred, u64 arg)
{
	if (r->conf.n_voters == 0)
		return false;
	return quorum_set(r, r->conf.voters, r->conf.n_voters, pred, arg) &&
	       quorum_set(r, r->conf.voters_old, r->conf.n_voters_old, pred,
			  arg);
}

static bool pred_active(const struct raft *r, u32 id, u64 arg)
{
	const struct raft_pr *pr;

	(void)arg;
	if (id == r->id)
		return true;
	pr = pr_get((struct raft *)r, id);
	return pr && pr->recent_active;
}

static bool pred_seq(const struct raft *r, u32 id, u64 seq)
{
	const struct raft_pr *pr;

	if (id == r->id)
		return true;
	pr = pr_get((struct raft *)r, id);
	return pr && pr->acked_seq >= seq;
}

static bool pred_lease(const struct raft *r, u32 id, u64 arg)
{
	const struct raft_pr *pr;
	u64 s;

	if (id == r->id)
		return true;
	pr = pr_get((struct raft *)r, id);
	if (!pr || !pr->acked_seq)
		return false;
	s = pr->acked_seq;
	if (r->seq_id[s % RAFT_SEQ_RING] != s)
		return false;
	return r->seq_tick[s % RAFT_SEQ_RING] + arg > r->now;
}

/* ------------------------------------------------------------------ */
/* log storage */

static int log_reserve(struct raft *r, u64 extra)
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
static void log_push(struct raft *r, u64 term, u32 type, u8 *data, u32 len)
{
	struct raft_entry *e = &r->ents[r->head + r->n];

	e->term = term;
	e->index = last_index(r) + 1;
	e->type = type;
	e->len = len;
	e->data = data;
	r->n++;
	if (type == RAFT_ENTRY_CONF) {
		struct raft_conf c;

		if (raft_conf_decode(&c, data, len) == 0) {
			r->conf = c;
			r->conf_index = e->index;
			prs_sync(r);
		}
	}
}

/* Drop entries >= index (never committed ones: asserted by callers). */
static void log_truncate(struct raft *r, u64 index)
{
	u64 i;
	bool conf = r->conf_index >= index;

	RAFT_ASSERT(index > r->commit);
	for (i = index; i <= last_index(r); i++)
		raft_free(ent_at(r, i)->data);
	r->n = index - first_index(r);
	if (r->persisted >= index)
		r->persisted = index - 1;
	if (r->unstable > index)
		r->unstable = index;
	if (r->ack_pending >= index)
		r->ack_pending = index - 1;
	if (conf)
		conf_recompute(r);
}

static u8 *dup_data(const void *data, u32 len, int *err)
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

/* ------------------------------------------------------------------ */
/* roles */

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
	for (i = 0; i < r->n_prs; i++)
		pr_reset(r, &r->prs[i]);
	r->soft_changed = true;
}

static void become_follower(struct raft *r, u64 term, u32 lead)
{
	reset(r, term);
	r->role = RAFT_FOLLOWER;
	r->lead = lead;
}

static void bcast_vote(struct raft *r, bool pre, bool transfer);
static void bcast_append(struct raft *r);
static void bcast_heartbeat(struct raft *r, u64 seq);
static void send_append(struct raft *r, struct raft_pr *pr);
static void maybe_commit(struct raft *r);

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
	struct raft_pr *self;

	reset(r, r->term);
	r->role = RAFT_LEADER;
	r->lead = r->id;
	r->seq_queued = false;
	/* capacity for one entry was reserved by the caller */
	log_push(r, r->term, RAFT_ENTRY_NOOP, NULL, 0);
	r->noop_index = last_index(r);
	self = pr_get(r, r->id);	/* a voter, so a member */
	if (self) {
		self->state = PR_REPLICATE;
		self->recent_active = true;
	}
	bcast_append(r);
	maybe_commit(r);
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
		become_follower(r, r->term, RAFT_NONE);
	}
}

/* ------------------------------------------------------------------ */
/* sending */

static void bcast_vote(struct raft *r, bool pre, bool transfer)
{
	u32 i;

	for (i = 0; i < r->n_prs; i++) {
		struct raft_msg *m;
		u32 id = r->prs[i].id;

		if (id == r->id || !is_voter(r, id))
			continue;
		m = new_msg(r, pre ? RAFT_MSG_PREVOTE : RAFT_MSG_VOTE, id);
		if (!m)
			return;
		if (pre)
			m->term = r->term + 1;
		m->index = last_index(r);
		m->log_term = last_term(r);
		if (transfer)
			m->flags |= RAFT_MSGF_TRANSFER;
	}
}

static bool infl_full(const struct raft *r, const struct raft_pr *pr)
{
	return pr->infl_count >= r->cfg.max_inflight;
}

static void infl_add(struct raft_pr *pr, u64 last)
{
	pr->infl[(pr->infl_head + pr->infl_count) % RAFT_INFL_MAX] = last;
	pr->infl_count++;
}

static void infl_free_to(struct raft_pr *pr, u64 index)
{
	while (pr->infl_count && pr->infl[pr->infl_head] <= index) {
		pr->infl_head = (pr->infl_head + 1) % RAFT_INFL_MAX;
		pr->infl_count--;
	}
}

static void infl_free_first(struct raft_pr *pr)
{
	if (pr->infl_count) {
		pr->infl_head = (pr->infl_head + 1) % RAFT_INFL_MAX;
		pr->infl_count--;
	}
}

static void become_probe(struct raft *r, struct raft_pr *pr)
{
	pr->state = PR_PROBE;
	pr->probe_sent = false;
	pr->infl_count = 0;
	pr->infl_head = 0;
	pr->snap_req_out = false;
	pr->snap_inflight = 0;
	pr->next = max_u64(pr->match + 1, min_u64(pr->next, last_index(r) + 1));
}

static void become_replicate(struct raft_pr *pr)
{
	pr->state = PR_REPLICATE;
	pr->probe_sent = false;
	pr->infl_count = 0;
	pr->infl_head = 0;
	pr->next = pr->match + 1;
}

static void snap_request(struct raft *r, struct raft_pr *pr, u64 offset)
{
	struct raft_snap_send *s;

	if (r->n_ss >= r->cap_ss)
		return;	/* ENOMEM earlier: the stall timer asks again */
	s = &r->ss[r->n_ss++];
	s->to = pr->id;
	s->meta = pr->snap;
	s->offset = offset;
	s->base_applied = pr->snap_base;
	pr->snap_req_offset = offset;
	pr->snap_req_out = true;
}

/*
 * May the transfer a follower is in the middle of (meta s, computed against
 * its base applied index) go on from here, although s is not our
 * checkpoint?  Our host reads its live state machine, which is at or past s
 * once we applied s; s was a checkpoint of committed state, so our log
 * agrees with it wherever we still have that index.
 */
static bool can_resume(const struct raft *r, const struct raft_pr *pr,
		       const struct raft_snap_meta *s, u64 base)
{
	if (pr->no_resume || !s->index || base > s->index)
		return false;
	if (s->index > r->applied || s->index > r->commit)
		return false;
	return s->index < r->snap.index || term_at(r, s->index) == s->term;
}

/* (Re)start the transfer in pr->snap at offset off. */
static void snap_restart(struct raft *r, struct raft_pr *pr, u64 off)
{
	pr->snap_stall = 0;
	pr->snap_inflight = 0;
	pr->snap_sent_last = false;
	pr->snap_restarted = false;
	pr->snap_sent_next = off;
	snap_request(r, pr, off);
}

static void become_snapshot(struct raft *r, struct raft_pr *pr)
{
	u64 off = 0;

	pr->state = PR_SNAPSHOT;
	pr->probe_sent = false;
	pr->infl_count = 0;
	pr->snap = r->snap;
	/*
	 * The follower's last reported applied index (for a follower that is
	 * mid-install: the base of that transfer).  Fixed for the transfer:
	 * every chunk of one stream is computed against the same base.
	 */
	pr->snap_base = pr->applied;
	if (pr->resume_valid && pr->resume_index == r->snap.index) {
		off = pr->resume_offset;
	} else if (pr->resume_valid && pr->resume_offset &&
		   can_resume(r, pr, &pr->resume_meta, pr->applied)) {
		/*
		 * Continue the follower's unfinished transfer, even of an
		 * older checkpoint: starting over would throw away what it
		 * has, and a leader that keeps checkpointing under writes
		 * would restart a long copy forever.  Once it is installed,
		 * an incremental transfer from its index tops it up.
		 */
		pr->snap = pr->resume_meta;
		off = pr->resume_offset;
	}
	snap_restart(r, pr, off);
}

static void send_append(struct raft *r, struct raft_pr *pr)
{
	u32 rounds;

	if (pr->id == r->id)
		return;
	for (rounds = 0; rounds <= r->cfg.max_inflight; rounds++) {
		u64 prev, prev_term, i, bytes = 0, last = last_index(r);
		struct raft_msg *m;
		u32 cnt = 0;

		if (pr->state == PR_SNAPSHOT)
			return;
		if (pr->state == PR_PROBE && pr->probe_sent)
			return;
		if (pr->state == PR_REPLICATE &&
		    (infl_full(r, pr) || pr->next > last))
			return;
		if (pr->next > last + 1)
			pr->next = last + 1;
		prev = pr->next - 1;
		if (prev < r->snap.index) {
			become_snapshot(r, pr);
			return;
		}
		prev_term = term_at(r, prev);
		for (i = pr->next; i <= last && cnt < r->cfg.max_append_entries;
		     i++) {
			const struct raft_entry *e = ent_at(r, i);

			if (cnt && bytes + e->len > r->cfg.max_append_bytes)
				break;
			bytes += e->len;
			cnt++;
		}
		m = new_msg(r, RAFT_MSG_APPEND, pr->id);
		if (!m)
			return;
		m->index = prev;
		m->log_term = prev_term;
		m->commit = r->commit;
		m->n_entries = cnt;
		/* materialized in raft_ready; remember the last term to validate */
		m->hint_term = cnt ? ent_at(r, prev + cnt)->term : 0;
		if (pr->state != PR_REPLICATE) {
			pr->probe_sent = true;	/* one probe at a time */
			return;
		}
		/* replicate: next > last returned above, so cnt >= 1 */
		infl_add(pr, prev + cnt);
		pr->next = prev + cnt + 1;
	}
}

static void bcast_append(struct raft *r)
{
	u32 i;

	for (i = 0; i < r->n_prs; i++)
		send_append(r, &r->prs[i]);
}

static u64 next_seq(struct raft *r)
{
	if (!r->seq_queued) {
		r->seq++;
		r->seq_id[r->seq % RAFT_SEQ_RING] = r->seq;
		r->seq_tick[r->seq % RAFT_SEQ_RING] = r->now;
		r->seq_queued = true;
		bcast_heartbeat(r, r->seq);
	}
	return r->seq;
}

static void bcast_heartbeat(struct raft *r, u64 seq)
{
	u32 i;

	for (i = 0; i < r->n_prs; i++) {
		struct raft_pr *pr = &r->prs[i];
		struct raft_msg *m;

		if (pr->id == r->id)
			continue;
		m = new_msg(r, RAFT_MSG_HEARTBEAT, pr->id);
		if (!m)
			return;
		m->commit = min_u64(r->commit, pr->match);
		m->ctx = seq;
	}
}

/* ------------------------------------------------------------------ */
/* commit, reads, membership */

static bool committed_in_term(const struct raft *r)
{
	return r->role == RAFT_LEADER && r->commit >= r->noop_index;
}

static int push_read(struct raft *r, u64 ctx, u64 index)
{
	if (grow((void **)&r->reads, &r->cap_reads, r->n_reads + 1,
		 sizeof(*r->reads)))
		return -ENOMEM;
	r->reads[r->n_reads].ctx = ctx;
	r->reads[r->n_reads].index = index;
	r->n_reads++;
	return 0;
}

static void reads_poll(struct raft *r)
{
	u32 i, k = 0;

	if (!committed_in_term(r))
		return;
	for (i = 0; i < r->n_pend; i++) {
		struct raft_read_pend *p = &r->pend[i];

		if (quorum(r, pred_seq, p->seq) &&
		    push_read(r, p->ctx, max_u64(p->index, r->noop_index)) == 0)
			continue;
		r->pend[k++] = *p;
	}
	r->n_pend = k;
}

static void append_conf(struct raft *r, const struct raft_conf *c, u8 *buf)
{
	raft_conf_encode(c, buf);
	log_push(r, r->term, RAFT_ENTRY_CONF, buf, RAFT_CONF_ENCODED_SIZE);
}

/* Leader: after the commit index moved. */
static void after_commit(struct raft *r)
{
	struct raft_conf c;
	u8 *buf;

	if (r->role != RAFT_LEADER)
		return;
	reads_poll(r);
	if (r->conf_index > r->commit)
		return;
	if (r->conf.n_voters_old) {
		/*
		 * C_old,new committed: append C_new on our own (no realloc:
		 * this may run between raft_ready and raft_advance).
		 */
		if (r->head + r->n + 1 > r->cap)
			return;	/* retried on the next tick */
		buf = raft_malloc(RAFT_CONF_ENCODED_SIZE);
		if (!buf)
			return;
		c = r->conf;
		c.n_voters_old = 0;
		memset(c.voters_old, 0, sizeof(c.voters_old));
		append_conf(r, &c, buf);
		bcast_append(r);
		return;
	}
	if (!is_voter(r, r->id)) {
		/* removed by C_new, which is committed: step down */
		bcast_heartbeat(r, 0);
		become_follower(r, r->term, RAFT_NONE);
	}
}

static void maybe_commit(struct raft *r)
{
	u64 q;

	if (r->role != RAFT_LEADER)
		return;
	q = quorum_index(r);
	if (q == RAFT_U64_MAX || q <= r->commit)
		return;
	q = min_u64(q, last_index(r));
	/* Figure 8: only an entry of the current term commits by counting */
	if (term_at(r, q) != r->term)
		return;
	r->commit = q;
	after_commit(r);
}

/* ------------------------------------------------------------------ */
/* follower side of appends */

static void send_ack(struct raft *r, u32 to, bool force)
{
	u64 a = min_u64(r->persisted, r->ack_pending);
	struct raft_msg *m;

	if (!force && a <= r->ack_sent)
		return;
	m = new_msg(r, RAFT_MSG_APPEND_RESP, to);
	if (!m)
		return;
	m->index = a;
	if (a > r->ack_sent)
		r->ack_sent = a;
}

static void reject_append(struct raft *r, const struct raft_msg *m)
{
	struct raft_msg *o = new_msg(r, RAFT_MSG_APPEND_RESP, m->from);
	u64 last = last_index(r);

	if (!o)
		return;
	o->flags |= RAFT_MSGF_REJECT;
	o->index = m->index;
	o->hint_len = last + 1;
	if (m->index > last) {
		o->hint_term = 0;
		o->hint_index = 0;
	} else {
		u64 t = term_at(r, m->index), i = m->index;

		/* first index of our conflicting term (bounded by the log) */
		while (i > first_index(r) && term_at(r, i - 1) == t)
			i--;
		o->hint_term = t;
		o->hint_index = i;
	}
}

struct pre_ents {
	u8 **data;	/* copies for entries from index `from` of the message */
	u64 from;	/* message entry offset of the first new entry */
	bool none;
};

/* Where would the message's entries start to differ from our log? */
static u64 first_new(const struct raft *r, const struct raft_msg *m, u64 skip)
{
	u64 k;

	for (k = skip; k < m->n_entries; k++) {
		u64 idx = m->index + 1 + k;

		if (idx > last_index(r) || term_at(r, idx) != m->entries[k].term)
			return k;
	}
	return m->n_entries;
}

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
						 min_u64(r->commit, last_index(r)));
			send_ack(r, m->from, true);
			return;
		}
		prev = r->commit;
	} else if (term_at(r, prev) != m->log_term || prev > last_index(r)) {
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
		if (idx <= last_index(r))
			log_truncate(r, idx);
		for (j = k; j < m->n_entries; j++) {
			log_push(r, m->entries[j].term, m->entries[j].type,
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
	send_ack(r, m->from, r->persisted >= vlast);
}

/* ------------------------------------------------------------------ */
/* leader side */

static void maybe_send_timeout_now(struct raft *r, struct raft_pr *pr)
{
	struct raft_msg *m;

	if (r->transferee != pr->id || pr->match != last_index(r))
		return;
	m = new_msg(r, RAFT_MSG_TIMEOUT_NOW, pr->id);
	if (m)
		r->lease_off = true;
}

static void note_inconsistent(struct raft_pr *pr, const struct raft_msg *m)
{
	if (m->flags & RAFT_MSGF_INCONSISTENT) {
		pr->resume_valid = true;
		pr->resume_index = m->snap.index;
		pr->resume_offset = m->offset;
		pr->resume_meta = m->snap;
	} else {
		pr->resume_valid = false;
	}
}

static void handle_append_resp(struct raft *r, struct raft_pr *pr,
			       const struct raft_msg *m)
{
	bool updated = false;

	pr->recent_active = true;
	pr->applied = m->applied;
	note_inconsistent(pr, m);
	if (m->flags & RAFT_MSGF_REJECT) {
		u64 next;

		if (pr->state == PR_SNAPSHOT)
			return;
		if (m->hint_term == 0 && m->hint_len &&
		    m->hint_len <= pr->match && m->index >= pr->match) {
			/*
			 * A reject of an append sent after it acknowledged
			 * match (prev >= match), saying its log ends before
			 * match: it lost acknowledged entries (a broken write
			 * cache, etcd #10166).  Repair it; commit never goes
			 * back.  Older rejects (prev < match) are stale.
			 */
			pr->match = m->hint_len - 1;
		} else if (m->index <= pr->match) {
			return;	/* stale */
		} else if (pr->state == PR_PROBE && m->index != pr->next - 1) {
			return;	/* stale: not the probe outstanding */
		}
		if (m->hint_term == 0) {
			next = m->hint_len;	/* follower's log too short */
		} else {
			u64 i = min_u64(m->index, last_index(r));

			/* leader's last entry of XTerm, if it has that term */
			while (i >= first_index(r) && term_at(r, i) > m->hint_term)
				i--;
			if (i >= first_index(r) && term_at(r, i) == m->hint_term)
				next = i + 1;
			else if (i == r->snap.index && r->snap.term == m->hint_term)
				next = i + 1;
			else
				next = m->hint_index;
		}
		if (next > m->index)
			next = m->index;
		if (next < pr->match + 1)
			next = pr->match + 1;
		become_probe(r, pr);
		pr->next = next;
		send_append(r, pr);
		return;
	}
	if (m->flags & RAFT_MSGF_INCONSISTENT) {
		/* its state machine is mid-install: finish that first */
		if (m->index > pr->match)
			pr->match = m->index;
		if (pr->state != PR_SNAPSHOT)
			become_snapshot(r, pr);
		return;
	}
	if (m->index > pr->match) {
		pr->match = m->index;
		if (pr->next < pr->match + 1)
			pr->next = pr->match + 1;
		infl_free_to(pr, m->index);
		updated = true;
	}
	if (pr->state == PR_PROBE && (updated || m->index + 1 >= pr->next)) {
		/* answers the outstanding probe: the logs agree up to match */
		become_replicate(pr);
	} else if (pr->state == PR_SNAPSHOT && pr->match >= pr->snap.index) {
		become_probe(r, pr);
		pr->next = pr->match + 1;
	} else if (!updated) {
		return;	/* an older or partial answer: nothing new to do */
	}
	if (updated) {
		maybe_commit(r);
		/* a committed configuration may have reshuffled r->prs */
		pr = pr_get(r, m->from);
		if (r->role != RAFT_LEADER || !pr)
			return;
		maybe_send_timeout_now(r, pr);
	}
	send_append(r, pr);
}

static void handle_heartbeat_resp(struct raft *r, struct raft_pr *pr,
				  const struct raft_msg *m)
{
	pr->recent_active = true;
	pr->applied = m->applied;
	note_inconsistent(pr, m);
	if (m->ctx <= r->seq && m->ctx > pr->acked_seq)
		pr->acked_seq = m->ctx;
	if (pr->state == PR_SNAPSHOT && pr->match >= pr->snap.index &&
	    !(m->flags & RAFT_MSGF_INCONSISTENT)) {
		become_probe(r, pr);
		pr->next = pr->match + 1;
		send_append(r, pr);
	} else if (pr->state == PR_SNAPSHOT) {
		/*
		 * No progress: start again from where the follower says it
		 * is, with our current checkpoint unless we continue its own
		 * transfer (a stream of an older checkpoint may have become
		 * useless: below what the follower applied).
		 */
		if (++pr->snap_stall >= RAFT_SNAP_STALL && !pr->snap_req_out)
			become_snapshot(r, pr);
	} else if ((m->flags & RAFT_MSGF_INCONSISTENT)) {
		become_snapshot(r, pr);
	} else {
		if (pr->state == PR_PROBE) {
			pr->probe_sent = false;
		} else if (pr->match < last_index(r) &&
			   pr->hb_match == pr->match) {
			/* no progress for a heartbeat round: appends lost */
			become_probe(r, pr);
		}
		if (infl_full(r, pr))
			infl_free_first(pr);
		pr->hb_match = pr->match;
		if (pr->match < last_index(r) || pr->state == PR_PROBE)
			send_append(r, pr);
	}
	reads_poll(r);
}

/*
 * The follower got a chunk of our transfer in the middle of another one
 * (a previous leader's, or ours before a checkpoint and a lost connection):
 * continue that one if we can.  Several chunks in flight bring the same
 * offer: the first one moves the stream, the others match it.
 */
static void handle_resume_offer(struct raft *r, struct raft_pr *pr,
				const struct raft_msg *m)
{
	if (pr->snap.index == m->snap.index && pr->snap.term == m->snap.term &&
	    pr->snap_base == m->applied)
		return;	/* already continuing it (or the offer is stale) */
	if (can_resume(r, pr, &m->snap, m->applied)) {
		pr->snap = m->snap;
		pr->snap_base = m->applied;
		snap_restart(r, pr, m->offset);
		return;
	}
	if (m->snap.index > r->applied || m->snap.index > r->commit)
		return;	/* not applied that far yet: the offer comes again */
	/* we cannot serve it: start over, telling the follower not to offer */
	if (!pr->no_resume) {
		pr->no_resume = true;
		snap_restart(r, pr, 0);
	}
}

static void handle_snapshot_resp(struct raft *r, struct raft_pr *pr,
				 const struct raft_msg *m)
{
	pr->recent_active = true;
	pr->applied = m->applied;
	if ((m->flags & RAFT_MSGF_LAST) && !(m->flags & RAFT_MSGF_REJECT)) {
		/* installed durably */
		pr->resume_valid = false;
		pr->no_resume = false;
		if (m->snap.index > pr->match)
			pr->match = m->snap.index;
		if (pr->state == PR_SNAPSHOT) {
			become_probe(r, pr);
			pr->next = pr->match + 1;
		}
		maybe_commit(r);
		pr = pr_get(r, m->from);
		if (r->role != RAFT_LEADER || !pr)
			return;
		send_append(r, pr);
		return;
	}
	pr->resume_valid = true;
	pr->resume_index = m->snap.index;
	pr->resume_offset = m->offset;
	pr->resume_meta = m->snap;
	if (pr->state == PR_SNAPSHOT && (m->flags & RAFT_MSGF_RESUME)) {
		handle_resume_offer(r, pr, m);
		return;
	}
	if (pr->state != PR_SNAPSHOT || m->snap.index != pr->snap.index)
		return;
	pr->snap_stall = 0;
	if (m->flags & RAFT_MSGF_REJECT) {
		/* a restart is computed against what the follower has now */
		u64 base = m->offset == 0 ? m->applied : pr->snap_base;

		/*
		 * Every chunk in flight is rejected the same way: restart
		 * once per position, not once per reject (a storm); if the
		 * restarted chunks are refused too, the stall timer retries.
		 */
		if (pr->snap_restarted && pr->snap_restart_off == m->offset &&
		    pr->snap_base == base)
			return;
		pr->snap_base = base;
		snap_restart(r, pr, m->offset);
		pr->snap_restarted = true;
		pr->snap_restart_off = m->offset;
		return;
	}
	pr->snap_restarted = false;
	if (pr->snap_inflight)
		pr->snap_inflight--;
	if (!pr->snap_req_out && !pr->snap_sent_last &&
	    pr->snap_inflight < RAFT_SNAP_WINDOW)
		snap_request(r, pr, pr->snap_sent_next);
}

/* ------------------------------------------------------------------ */
/* snapshot receive */

static void iq_clear(struct raft *r)
{
	while (r->iq_n) {
		raft_free(r->iq[r->iq_head].buf);
		r->iq[r->iq_head].buf = NULL;
		r->iq_head = (r->iq_head + 1) % RAFT_INSTALL_Q;
		r->iq_n--;
	}
	r->iq_out = false;
}

static struct raft_msg *snap_resp(struct raft *r, u32 to, u64 index,
				  u64 offset, u32 flags)
{
	struct raft_msg *o = new_msg(r, RAFT_MSG_SNAPSHOT_RESP, to);

	if (!o)
		return NULL;
	o->flags |= flags;
	if (!(o->flags & RAFT_MSGF_INCONSISTENT))
		o->snap = r->snap;
	o->snap.index = index;
	o->offset = offset;
	o->index = index;
	return o;
}

static int handle_snapshot(struct raft *r, const struct raft_msg *m)
{
	struct raft_iq *q;
	u8 *buf = NULL;
	bool same;
	u64 have;
	int err;

	r->lead = m->from;
	r->election_elapsed = 0;
	if (!r->inconsistent && !r->receiving && m->snap.index <= r->commit) {
		/* we already have everything this snapshot covers */
		r->ack_pending = max_u64(r->ack_pending,
					 min_u64(r->commit, last_index(r)));
		send_ack(r, m->from, true);
		return 0;
	}
	if (m->snap.index < r->applied) {
		/*
		 * Older than our state machine (checkpoint or what we had
		 * applied before an install started): installing it would
		 * move the state machine back and could drop entries we
		 * acknowledged.  Ignore it; the leader retries, with a newer
		 * snapshot once it compacted further.
		 */
		return 0;
	}
	same = r->receiving && r->recv.index == m->snap.index &&
	       r->recv.term == m->snap.term && r->recv_base == m->applied;
	/*
	 * What our data area can serve as a base for: the applied state; in
	 * the middle of an install, the base of that install, as long as the
	 * new snapshot is not older than the one partly written (its blocks
	 * changed after the new snapshot would stay): else a full copy (0).
	 */
	have = r->applied;
	if (r->inconsistent)
		have = m->snap.index >= r->recv.index ? r->recv_base : 0;
	if (!same && r->receiving && r->recv_next &&
	    !(m->flags & RAFT_MSGF_FRESH)) {
		/*
		 * A chunk of another transfer while ours is unfinished: offer
		 * the leader to continue ours (snap, offset and applied of the
		 * reply describe it) instead of starting over.  A leader that
		 * cannot serve it says so with FRESH.
		 */
		struct raft_msg *o = snap_resp(r, m->from, r->recv.index,
					       r->recv_next,
					       RAFT_MSGF_REJECT |
					       RAFT_MSGF_RESUME);

		if (o) {
			o->snap = r->recv;
			o->applied = r->recv_base;
		}
		return 0;
	}
	if (!same) {
		/*
		 * A new stream starts at offset 0, and its base (incremental
		 * copy) must not be above what our data area reflects (a
		 * leader with a stale view of our applied index, SIM-1): the
		 * reply carries our applied index for the restart.
		 */
		if (r->iq_n && r->iq_out)
			return 0;	/* busy: the leader's stall timer retries */
		if (m->offset != 0 || m->applied > have) {
			struct raft_msg *o = snap_resp(r, m->from,
						       m->snap.index, 0,
						       RAFT_MSGF_REJECT);

			if (o)	/* the base to restart with */
				o->applied = have;
			return 0;
		}
	} else if (r->recv_last) {
		return 0;	/* complete: the install answers when durable */
	} else if (m->offset != r->recv_next) {
		snap_resp(r, m->from, m->snap.index, r->recv_next,
			  RAFT_MSGF_REJECT);
		return 0;
	}
	if (r->iq_n >= RAFT_INSTALL_Q) {
		snap_resp(r, m->from, m->snap.index, r->recv_next,
			  RAFT_MSGF_REJECT);
		return 0;
	}
	buf = dup_data(m->data, m->len, &err);
	if (err)
		return err;
	if (!same) {
		/* start (or restart) a transfer */
		iq_clear(r);
		r->recv_base = m->applied;
		r->receiving = true;
		r->recv = m->snap;
		r->recv_next = 0;
		r->recv_done = 0;
		r->recv_last = false;
	}
	r->inconsistent = true;
	q = &r->iq[(r->iq_head + r->iq_n) % RAFT_INSTALL_Q];
	r->iq_n++;
	q->buf = buf;
	q->in.meta = m->snap;
	q->in.offset = m->offset;
	q->in.next_offset = m->ctx;
	q->in.len = m->len;
	q->in.data = buf ? buf : raft_empty;
	q->in.last = !!(m->flags & RAFT_MSGF_LAST);
	q->in.base_applied = r->recv_base;
	r->recv_next = m->ctx;
	if (m->flags & RAFT_MSGF_LAST)
		r->recv_last = true;
	return 0;
}

static void install_snapshot(struct raft *r)
{
	const struct raft_snap_meta s = r->recv;
	u64 i, k;

	if (s.index >= r->snap.index && s.index <= last_index(r) &&
	    term_at(r, s.index) == s.term) {
		/* our log continues the snapshot: keep what follows */
		k = s.index - first_index(r) + 1;
		for (i = first_index(r); i <= s.index; i++)
			raft_free(ent_at(r, i)->data);
		r->head += k;
		r->n -= k;
	} else {
		for (i = first_index(r); i <= last_index(r); i++)
			raft_free(ent_at(r, i)->data);
		r->head = 0;
		r->n = 0;
	}
	r->snap = s;
	r->persisted = max_u64(s.index, min_u64(r->persisted, last_index(r)));
	r->unstable = max_u64(r->unstable, s.index + 1);
	if (r->unstable > last_index(r) + 1)
		r->unstable = last_index(r) + 1;
	r->ack_pending = min_u64(r->ack_pending, last_index(r));
	r->ack_sent = min_u64(r->ack_sent, last_index(r));
	/* entries <= commit match the snapshot, so they were kept */
	r->commit = max_u64(s.index, r->commit);
	r->applied = s.index;
	r->inconsistent = false;
	r->receiving = false;
	r->recv_last = false;
	iq_clear(r);
	r->snap_installed = true;
	r->installed = s;
	conf_recompute(r);
}

/* ------------------------------------------------------------------ */
/* message dispatch */

static bool in_lease(const struct raft *r)
{
	return (r->cfg.check_quorum || r->cfg.pre_vote) &&
	       (r->lead != RAFT_NONE || r->boot_quiet) &&
	       r->election_elapsed < r->cfg.election_ticks;
}

static void handle_vote(struct raft *r, const struct raft_msg *m)
{
	bool pre = m->type == RAFT_MSG_PREVOTE;
	bool can, utd;
	struct raft_msg *o;

	can = r->vote == m->from ||
	      (r->vote == RAFT_NONE && r->lead == RAFT_NONE) ||
	      (pre && m->term > r->term);
	utd = m->log_term > last_term(r) ||
	      (m->log_term == last_term(r) && m->index >= last_index(r));
	o = new_msg(r, pre ? RAFT_MSG_PREVOTE_RESP : RAFT_MSG_VOTE_RESP,
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

static int step_locked(struct raft *r, const struct raft_msg *m,
		       struct pre_ents *pe)
{
	struct raft_pr *pr;

	if (m->term > r->term) {
		bool vote_req = m->type == RAFT_MSG_PREVOTE ||
				m->type == RAFT_MSG_VOTE;

		if (vote_req) {
			/* hashicorp #526: non-voters cannot disturb us */
			if (!is_voter(r, m->from))
				return 0;
			/* leader stickiness */
			if (!(m->flags & RAFT_MSGF_TRANSFER) && in_lease(r))
				return 0;
		}
		if (m->type == RAFT_MSG_PREVOTE) {
			/* answered below without changing our term */
		} else if (m->type == RAFT_MSG_PREVOTE_RESP &&
			   !(m->flags & RAFT_MSGF_REJECT)) {
			/* a grant carries the future term */
		} else if (m->type == RAFT_MSG_APPEND ||
			   m->type == RAFT_MSG_HEARTBEAT ||
			   m->type == RAFT_MSG_SNAPSHOT) {
			become_follower(r, m->term, m->from);
		} else {
			become_follower(r, m->term, RAFT_NONE);
		}
	} else if (m->term < r->term) {
		if (m->type == RAFT_MSG_APPEND ||
		    m->type == RAFT_MSG_HEARTBEAT ||
		    m->type == RAFT_MSG_SNAPSHOT) {
			/*
			 * Tell a stale leader about our term.  Needed even
			 * without check-quorum: a node the leader does not
			 * count as a voter (its vote requests are ignored, see
			 * hashicorp #526) would otherwise never catch up.
			 */
			new_msg(r, RAFT_MSG_APPEND_RESP, m->from);
		} else if (m->type == RAFT_MSG_PREVOTE) {
			struct raft_msg *o = new_msg(r, RAFT_MSG_PREVOTE_RESP,
						     m->from);

			if (o)
				o->flags |= RAFT_MSGF_REJECT;
		}
		return 0;
	}

	switch (m->type) {
	case RAFT_MSG_PREVOTE:
	case RAFT_MSG_VOTE:
		if (!is_voter(r, m->from))
			return 0;
		if (r->role == RAFT_LEADER && m->type == RAFT_MSG_VOTE &&
		    m->term == r->term)
			goto reject_vote;
		handle_vote(r, m);
		return 0;
reject_vote:
		{
			struct raft_msg *o = new_msg(r, RAFT_MSG_VOTE_RESP,
						     m->from);

			if (o)
				o->flags |= RAFT_MSGF_REJECT;
		}
		return 0;
	case RAFT_MSG_PREVOTE_RESP:
		if (r->role != RAFT_PRECANDIDATE || !is_voter(r, m->from))
			return 0;
		if (!(m->flags & RAFT_MSGF_REJECT) && m->term != r->term + 1)
			return 0;
		record_vote(r, m->from, !(m->flags & RAFT_MSGF_REJECT));
		poll_won(r, true);
		return 0;
	case RAFT_MSG_VOTE_RESP:
		if (r->role != RAFT_CANDIDATE || !is_voter(r, m->from))
			return 0;
		record_vote(r, m->from, !(m->flags & RAFT_MSGF_REJECT));
		poll_won(r, false);
		return 0;
	case RAFT_MSG_APPEND:
	case RAFT_MSG_HEARTBEAT:
	case RAFT_MSG_SNAPSHOT:
		if (r->role == RAFT_LEADER)
			return 0;	/* two leaders in one term: impossible */
		if (r->role != RAFT_FOLLOWER)
			become_follower(r, r->term, m->from);
		if (r->lead != m->from) {
			r->lead = m->from;
			r->soft_changed = true;
		}
		if (m->type == RAFT_MSG_APPEND) {
			handle_append(r, m, pe);
		} else if (m->type == RAFT_MSG_HEARTBEAT) {
			struct raft_msg *o;

			r->election_elapsed = 0;
			if (m->commit > r->commit)
				r->commit = max_u64(r->commit,
						    min_u64(m->commit,
							    last_index(r)));
			o = new_msg(r, RAFT_MSG_HEARTBEAT_RESP, m->from);
			if (o)
				o->ctx = m->ctx;
			send_ack(r, m->from, false);
		} else {
			return handle_snapshot(r, m);
		}
		return 0;
	case RAFT_MSG_TIMEOUT_NOW:
		if (r->role == RAFT_LEADER || !promotable(r))
			return 0;
		campaign(r, false, true);
		return 0;
	case RAFT_MSG_TRANSFER_REQ:
		/* a voter asks for leadership: hand it over (catch-up first) */
		if (r->role == RAFT_LEADER && is_voter(r, m->from) &&
		    !(m->flags & RAFT_MSGF_INCONSISTENT) &&
		    r->transferee == RAFT_NONE)
			raft_transfer_leader(r, m->from);
		return 0;
	case RAFT_MSG_APPEND_RESP:
	case RAFT_MSG_HEARTBEAT_RESP:
	case RAFT_MSG_SNAPSHOT_RESP:
		if (r->role != RAFT_LEADER)
			return 0;
		pr = pr_get(r, m->from);
		if (!pr || pr->id == r->id)
			return 0;
		if (m->type == RAFT_MSG_APPEND_RESP)
			handle_append_resp(r, pr, m);
		else if (m->type == RAFT_MSG_HEARTBEAT_RESP)
			handle_heartbeat_resp(r, pr, m);
		else
			handle_snapshot_resp(r, pr, m);
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
	else if (m->index > last_index(r) ||
		 term_at(r, m->index) != m->log_term)
		return 0;	/* will be rejected */
	if (skip >= m->n_entries)
		return 0;
	pe->from = first_new(r, m, skip);
	if (pe->from == m->n_entries)
		return 0;
	cnt = m->n_entries - pe->from;
	err = log_reserve(r, cnt);
	if (err)
		return err;
	pe->data = raft_calloc(cnt, sizeof(u8 *));
	if (!pe->data)
		return -ENOMEM;
	pe->none = false;
	for (k = 0; k < cnt; k++) {
		const struct raft_entry *e = &m->entries[pe->from + k];

		pe->data[k] = dup_data(e->data, e->len, &err);
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
	err = reserve_out(r);
	if (!err)
		err = prepare_append(r, m, &pe);
	/* becoming leader (a VOTE_RESP/PREVOTE_RESP) appends one NOOP */
	if (!err)
		err = log_reserve(r, 2);
	if (!err)
		err = step_locked(r, m, &pe);
	if (pe.data) {
		for (k = 0; k < m->n_entries - pe.from; k++)
			raft_free(pe.data[k]);
		raft_free(pe.data);
	}
	return err;
}

/* ------------------------------------------------------------------ */
/* events */

void raft_tick(struct raft *r)
{
	if (reserve_out(r) || log_reserve(r, 2))
		return;	/* out of memory: this tick is skipped */
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
			if (r->cfg.check_quorum && !quorum(r, pred_active, 0)) {
				become_follower(r, r->term, RAFT_NONE);
				return;
			}
			for (i = 0; i < r->n_prs; i++)
				if (r->prs[i].id != r->id)
					r->prs[i].recent_active = false;
		}
		if (r->heartbeat_elapsed >= r->cfg.heartbeat_ticks) {
			r->heartbeat_elapsed = 0;
			r->seq_queued = false;
			next_seq(r);
		}
		/* a C_new that could not be appended earlier (ENOMEM) */
		if (r->conf.n_voters_old && r->conf_index <= r->commit)
			after_commit(r);
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

int raft_request_leadership(struct raft *r)
{
	int err;

	if (r->role == RAFT_LEADER)
		return 0;
	if (!promotable(r))
		return -EPERM;
	if (r->lead == RAFT_NONE || r->lead == r->id)
		return raft_campaign(r);
	err = reserve_out(r);
	if (err)
		return err;
	new_msg(r, RAFT_MSG_TRANSFER_REQ, r->lead);
	return 0;
}

int raft_campaign(struct raft *r)
{
	int err;

	if (r->role == RAFT_LEADER)
		return 0;
	if (!promotable(r))
		return -EPERM;
	err = reserve_out(r);
	if (!err)
		err = log_reserve(r, 2);
	if (err)
		return err;
	campaign(r, r->cfg.pre_vote, false);
	return 0;
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
	if (last_index(r) - r->commit >= r->cfg.max_uncommitted)
		return -EBUSY;
	err = reserve_out(r);
	if (err)
		return err;
	err = log_reserve(r, 1);
	if (err)
		return err;
	buf = dup_data(data, len, &err);
	if (err)
		return err;
	log_push(r, r->term, RAFT_ENTRY_NORMAL, buf, len);
	if (index)
		*index = last_index(r);
	if (term)
		*term = r->term;
	/* replicated at the next raft_ready: proposals batch up */
	r->bcast_pending = true;
	return 0;
}

void raft_persisted(struct raft *r, u64 index, u64 term)
{
	u64 lim;

	if (index == 0 || term_at(r, index) != term)
		return;	/* overwritten since (ABA) or compacted */
	lim = r->unstable - 1;	/* handed out for persistence */
	if (index > lim)
		index = lim;
	if (index <= r->persisted)
		return;
	/* on ENOMEM the acks go out later (heartbeats resend them) */
	reserve_out(r);
	r->persisted = index;
	if (r->role == RAFT_LEADER)
		maybe_commit(r);
	else if (r->lead != RAFT_NONE)
		send_ack(r, r->lead, false);
}

int raft_read_index(struct raft *r, u64 ctx)
{
	int err;

	if (r->inconsistent)
		return -EAGAIN;
	if (r->role != RAFT_LEADER)
		return -EPERM;
	err = grow((void **)&r->reads, &r->cap_reads,
		   r->n_reads + r->n_pend + 1, sizeof(*r->reads));
	if (err)
		return err;
	if (committed_in_term(r) && r->cfg.check_quorum && !r->lease_off &&
	    r->transferee == RAFT_NONE && r->cfg.lease_drift_ticks > 0 &&
	    r->cfg.lease_drift_ticks < r->cfg.election_ticks &&
	    quorum(r, pred_lease,
		   r->cfg.election_ticks - r->cfg.lease_drift_ticks)) {
		push_read(r, ctx, r->commit);
		return 0;
	}
	if (quorum(r, pred_seq, RAFT_U64_MAX) && committed_in_term(r)) {
		/* we alone are a quorum */
		push_read(r, ctx, r->commit);
		return 0;
	}
	err = grow((void **)&r->pend, &r->cap_pend, r->n_pend + 1,
		   sizeof(*r->pend));
	if (!err)
		err = reserve_out(r);
	if (err)
		return err;
	r->pend[r->n_pend].ctx = ctx;
	r->pend[r->n_pend].index = r->commit;
	r->pend[r->n_pend].seq = next_seq(r);
	r->n_pend++;
	return 0;
}

int raft_transfer_leader(struct raft *r, u32 to)
{
	struct raft_pr *pr;
	int err;

	if (r->role != RAFT_LEADER)
		return -EPERM;
	if (to == r->id)
		return 0;
	pr = pr_get(r, to);
	if (!pr || !raft_conf_is_voter(&r->conf, to))
		return -EINVAL;
	if (r->transferee != RAFT_NONE)
		return -EBUSY;
	err = reserve_out(r);
	if (err)
		return err;
	r->transferee = to;
	r->transfer_elapsed = 0;
	if (pr->match == last_index(r)) {
		maybe_send_timeout_now(r, pr);
	} else {
		/* catch it up now, even if appends to it were lost */
		if (pr->state == PR_REPLICATE)
			become_probe(r, pr);
		pr->probe_sent = false;
		send_append(r, pr);
	}
	return 0;
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
	    !conf_valid(target))
		return -EINVAL;
	if (!committed_in_term(r))
		return -EAGAIN;
	if (r->conf_index > r->commit || r->conf.n_voters_old)
		return -EBUSY;
	for (i = 0; i < target->n_voters; i++) {
		u32 id = target->voters[i];
		struct raft_pr *pr;

		if (is_voter(r, id) || id == r->id)
			continue;
		pr = pr_get(r, id);
		/* promoting a learner: it must be caught up */
		if (pr && pr->match + r->cfg.catchup_entries < last_index(r))
			return -EINVAL;
	}
	if (last_index(r) - r->commit >= r->cfg.max_uncommitted)
		return -EBUSY;
	err = reserve_out(r);
	if (!err)
		err = log_reserve(r, 1);
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
	bcast_append(r);
	maybe_commit(r);
	return 0;
}

/* ------------------------------------------------------------------ */
/* snapshots */

int raft_compact(struct raft *r, u64 index)
{
	struct raft_conf c;
	u64 i, t, k;

	if (index <= r->snap.index)
		return 0;
	if (index > r->applied || index > r->persisted || index > last_index(r))
		return -EINVAL;
	if (r->rd_out) {
		/* a ready may point at these entries: done in raft_advance */
		r->compact_pending = max_u64(r->compact_pending, index);
		return 0;
	}
	t = term_at(r, index);
	conf_at(r, index, &c, NULL);
	for (i = first_index(r); i <= index; i++)
		raft_free(ent_at(r, i)->data);
	k = index - first_index(r) + 1;
	r->head += k;
	r->n -= k;
	r->snap.index = index;
	r->snap.term = t;
	r->snap.conf = c;
	if (r->conf_index <= index)
		r->conf_index = 0;
	return 0;
}

int raft_snapshot_chunk(struct raft *r, u32 to, u64 snap_index, u64 offset,
			const void *data, u32 len, u64 next_offset, bool last)
{
	struct raft_pr *pr;
	struct raft_msg *m;
	u8 *buf;
	int err;

	if (r->role != RAFT_LEADER)
		return -EPERM;
	pr = pr_get(r, to);
	if (!pr || pr->state != PR_SNAPSHOT || pr->snap.index != snap_index ||
	    !pr->snap_req_out || pr->snap_req_offset != offset)
		return -EINVAL;
	if (len && !data)
		return -EINVAL;
	err = reserve_out(r);
	if (err)
		return err;
	buf = dup_data(data, len, &err);
	if (err)
		return err;
	m = new_msg(r, RAFT_MSG_SNAPSHOT, to);
	if (!m) {
		raft_free(buf);
		return -ENOMEM;
	}
	m->snap = pr->snap;
	m->offset = offset;
	m->ctx = next_offset;
	m->data = buf;
	m->len = len;
	m->applied = pr->snap_base;
	m->commit = r->commit;
	if (last)
		m->flags |= RAFT_MSGF_LAST;
	if (pr->no_resume)
		m->flags |= RAFT_MSGF_FRESH;
	pr->snap_req_out = false;
	pr->snap_inflight++;
	pr->snap_sent_next = next_offset;
	pr->snap_sent_last = last;
	if (!last && pr->snap_inflight < RAFT_SNAP_WINDOW)
		snap_request(r, pr, next_offset);
	return 0;
}

void raft_snapshot_chunk_done(struct raft *r, u64 snap_index, u64 offset,
			      u64 next_offset, bool last)
{
	struct raft_iq *q;

	if (!r->iq_n || !r->receiving)
		return;
	if (r->rd_out && last) {
		/* installing frees log entries a ready may point at */
		r->done_pending = true;
		r->done_args[0] = snap_index;
		r->done_args[1] = offset;
		r->done_args[2] = next_offset;
		r->done_last = last;
		return;
	}
	q = &r->iq[r->iq_head];
	if (q->in.meta.index != snap_index || q->in.offset != offset ||
	    q->in.next_offset != next_offset || r->recv.index != snap_index)
		return;
	if (reserve_out(r))
		return;	/* chunk stays queued: the host may call again */
	raft_free(q->buf);
	q->buf = NULL;
	r->iq_head = (r->iq_head + 1) % RAFT_INSTALL_Q;
	r->iq_n--;
	r->iq_out = false;
	r->recv_done = next_offset;
	if (last) {
		install_snapshot(r);
		if (r->lead != RAFT_NONE)
			snap_resp(r, r->lead, snap_index, next_offset,
				  RAFT_MSGF_LAST);
		return;
	}
	if (r->lead != RAFT_NONE)
		snap_resp(r, r->lead, snap_index, next_offset, 0);
}

/*
 * A leader's progress for peer `to` whose replication broke off (snapshot
 * given up, connection lost), with a snapshot stream abandoned: next falls
 * back to just after what the peer is known to hold.  NULL when we are not
 * leader or `to` is not a peer.
 */
static struct raft_pr *pr_broken(struct raft *r, u32 to)
{
	struct raft_pr *pr;

	if (r->role != RAFT_LEADER)
		return NULL;
	pr = pr_get(r, to);
	if (!pr || pr->id == r->id)
		return NULL;
	if (pr->state == PR_SNAPSHOT)
		pr->next = pr->match + 1;
	return pr;
}

void raft_snapshot_failed(struct raft *r, u32 to)
{
	struct raft_pr *pr = pr_broken(r, to);

	if (!pr)
		return;
	/* a follower's older transfer we took over: do not take it again */
	if (pr->state == PR_SNAPSHOT && pr->snap.index != r->snap.index)
		pr->no_resume = true;
	become_probe(r, pr);
}

void raft_report_unreachable(struct raft *r, u32 to)
{
	struct raft_pr *pr = pr_broken(r, to);

	if (!pr)
		return;
	if (pr->state != PR_PROBE)
		become_probe(r, pr);
	pr->probe_sent = false;
}

/* ------------------------------------------------------------------ */
/* output */

static u64 apply_limit(const struct raft *r)
{
	if (r->inconsistent)
		return r->applied;
	return max_u64(r->applied, min_u64(r->commit, r->persisted));
}

bool raft_has_ready(const struct raft *r)
{
	return r->term != r->prev_hs.term || r->vote != r->prev_hs.vote ||
	       r->unstable <= last_index(r) || r->n_msgs || r->n_reads ||
	       r->n_ss || (r->iq_n && !r->iq_out) || r->snap_installed ||
	       r->soft_changed || apply_limit(r) > r->applied ||
	       r->bcast_pending;
}

/* SNAPSHOT messages own a copy of their chunk. */
static void free_snap_data(struct raft_msg *msgs, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (msgs[i].type == RAFT_MSG_SNAPSHOT)
			raft_free(msgs[i].data);
}

/* Hand the queue to the ready (swap), or append it to what is out. */
static int take(void **q, u32 *nq, u32 *capq, void **o, u32 *no, u32 *capo,
		size_t size)
{
	void *t;
	u32 c;

	if (!*nq)
		return 0;
	if (!*no) {
		t = *q;
		*q = *o;
		*o = t;
		c = *capq;
		*capq = *capo;
		*capo = c;
		*no = *nq;
		*nq = 0;
		return 0;
	}
	if (grow(o, capo, *no + *nq, size))
		return -ENOMEM;
	memcpy((u8 *)*o + (size_t)*no * size, *q, (size_t)*nq * size);
	*no += *nq;
	*nq = 0;
	return 0;
}

int raft_ready(struct raft *r, struct raft_ready *rd)
{
	u32 i, k = 0;
	u64 lim;
	int err;

	memset(rd, 0, sizeof(*rd));
	if (r->bcast_pending && r->role == RAFT_LEADER) {
		err = reserve_out(r);
		if (err)
			return err;
		bcast_append(r);
	}
	r->bcast_pending = false;
	err = take((void **)&r->msgs, &r->n_msgs, &r->cap_msgs,
		   (void **)&r->omsgs, &r->n_omsgs, &r->cap_omsgs,
		   sizeof(*r->msgs));
	if (!err)
		err = take((void **)&r->reads, &r->n_reads, &r->cap_reads,
			   (void **)&r->oreads, &r->n_oreads, &r->cap_oreads,
			   sizeof(*r->reads));
	if (!err)
		err = take((void **)&r->ss, &r->n_ss, &r->cap_ss,
			   (void **)&r->oss, &r->n_oss, &r->cap_oss,
			   sizeof(*r->ss));
	if (err)
		return err;
	r->seq_queued = false;
	rd->hs.term = r->term;
	rd->hs.vote = r->vote;
	rd->hs.commit = r->commit;
	rd->hs_changed = r->term != r->prev_hs.term ||
			 r->vote != r->prev_hs.vote;
	if (r->unstable < first_index(r))
		r->unstable = first_index(r);
	if (r->unstable <= last_index(r)) {
		rd->entries = ent_at(r, r->unstable);
		rd->n_entries = (u32)(last_index(r) - r->unstable + 1);
		/* handed out: raft_persisted may arrive before raft_advance */
		r->unstable = last_index(r) + 1;
	}
	/* materialize append messages; drop those whose entries are gone */
	for (i = 0; i < r->n_omsgs; i++) {
		struct raft_msg *m = &r->omsgs[i];

		if (m->type == RAFT_MSG_APPEND && m->n_entries && !m->entries) {
			u64 lo = m->index + 1, hi = m->index + m->n_entries;

			if (lo < first_index(r) || hi > last_index(r) ||
			    term_at(r, hi) != m->hint_term ||
			    term_at(r, m->index) != m->log_term)
				continue;
			m->entries = ent_at(r, lo);
			m->hint_term = 0;
		}
		if (k != i)
			r->omsgs[k] = *m;
		k++;
	}
	r->n_omsgs = k;
	rd->msgs = r->omsgs;
	rd->n_msgs = r->n_omsgs;
	lim = apply_limit(r);
	/* the host installs a snapshot before applying what follows it */
	if (lim > r->applied && !r->snap_installed) {
		rd->committed = ent_at(r, r->applied + 1);
		rd->n_committed = (u32)min_u64(lim - r->applied, 0x100000);
	}
	rd->reads = r->oreads;
	rd->n_reads = r->n_oreads;
	rd->snap_sends = r->oss;
	rd->n_snap_sends = r->n_oss;
	if (r->iq_n && !r->iq_out) {
		/* one chunk at a time, each handed out once */
		rd->has_snap_install = true;
		rd->snap_install = r->iq[r->iq_head].in;
		r->iq_out = true;
	}
	rd->snap_installed = r->snap_installed;
	rd->snap = r->installed;
	rd->soft_changed = r->soft_changed;
	r->rd_out = true;
	return 0;
}

void raft_advance(struct raft *r, const struct raft_ready *rd)
{
	if (rd->hs_changed) {
		r->prev_hs.term = rd->hs.term;
		r->prev_hs.vote = rd->hs.vote;
	}
	r->prev_hs.commit = rd->hs.commit;
	free_snap_data(r->omsgs, r->n_omsgs);
	r->n_omsgs = 0;
	r->n_oreads = 0;
	r->n_oss = 0;
	if (rd->n_committed) {
		u64 a = rd->committed[rd->n_committed - 1].index;

		if (a > r->applied)
			r->applied = a;
	}
	if (rd->snap_installed)
		r->snap_installed = false;
	if (rd->soft_changed)
		r->soft_changed = false;
	r->rd_out = false;
	if (r->done_pending) {
		r->done_pending = false;
		raft_snapshot_chunk_done(r, r->done_args[0], r->done_args[1],
					 r->done_args[2], r->done_last);
	}
	if (r->compact_pending) {
		u64 c = r->compact_pending;

		r->compact_pending = 0;
		raft_compact(r, c);
	}
}

/* ------------------------------------------------------------------ */
/* life cycle and queries */

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
	if (!conf_valid(&boot->snap.conf))
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
	r = raft_calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->cfg = *cfg;
	if (r->cfg.max_inflight == 0)
		r->cfg.max_inflight = 1;
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
	err = log_reserve(r, boot->n_entries + 2);
	if (err)
		goto fail;
	for (i = 0; i < boot->n_entries; i++) {
		const struct raft_entry *e = &boot->entries[i];
		u8 *d = dup_data(e->data, e->len, &err);

		if (err)
			goto fail;
		log_push(r, e->term, e->type, d, e->len);
	}
	r->persisted = last_index(r);
	r->unstable = last_index(r) + 1;
	r->commit = min_u64(boot->hs.commit, last_index(r));
	r->commit = max_u64(r->snap.index, r->commit);
	r->applied = r->snap.index;
	r->prev_hs.commit = r->commit;
	conf_recompute(r);
	if (boot->inconsistent) {
		r->inconsistent = true;
		r->receiving = true;
		r->recv = boot->pending;
		r->recv_next = boot->pending_offset;
		r->recv_done = boot->pending_offset;
		r->recv_base = boot->pending_base;
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
	for (i = 0; i < r->n; i++)
		raft_free(r->ents[r->head + i].data);
	raft_free(r->ents);
	raft_free(r);
	return err;
}

void raft_destroy(struct raft *r)
{
	u64 k;

	if (!r)
		return;
	for (k = 0; k < r->n; k++)
		raft_free(r->ents[r->head + k].data);
	raft_free(r->ents);
	free_snap_data(r->msgs, r->n_msgs);
	free_snap_data(r->omsgs, r->n_omsgs);
	iq_clear(r);
	raft_free(r->msgs);
	raft_free(r->ss);
	raft_free(r->reads);
	raft_free(r->omsgs);
	raft_free(r->oss);
	raft_free(r->oreads);
	raft_free(r->pend);
	raft_free(r);
}

void raft_get_status(const struct raft *r, struct raft_status *st)
{
	u32 i;

	memset(st, 0, sizeof(*st));
	st->id = r->id;
	st->role = r->role;
	st->leader = r->lead;
	st->term = r->term;
	st->vote = r->vote;
	st->commit = r->commit;
	st->applied = r->applied;
	st->persisted = r->persisted;
	st->first_index = first_index(r);
	st->last_index = last_index(r);
	st->snap_index = r->snap.index;
	st->snap_term = r->snap.term;
	st->conf = r->conf;
	st->conf_pending = r->conf_index > r->commit ||
			   r->conf.n_voters_old != 0;
	st->inconsistent = r->inconsistent;
	st->transferee = r->transferee;
	for (i = 0; i < r->n_prs && i < 2 * RAFT_MAX_MEMBERS; i++) {
		const struct raft_pr *pr = &r->prs[i];
		struct raft_peer_status *ps = &st->peers[i];

		ps->id = pr->id;
		ps->match = pr->id == r->id ? r->persisted : pr->match;
		ps->next = pr->id == r->id ? last_index(r) + 1 : pr->next;
		ps->state = pr->state;
		ps->recent_active = pr->recent_active;
		ps->is_learner = pr->is_learner;
		ps->snap_offset = pr->snap_sent_next;
	}
	st->n_peers = i;
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

u64 raft_term_at(const struct raft *r, u64 index)
{
	if (index == 0 || index < r->snap.index)
		return 0;
	return term_at(r, index);
}
