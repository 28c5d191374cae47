/* SPDX-License-Identifier: GPL-2.0 */
/*
 * raft.h - rraft's sans-I/O, deterministic Raft core.
 *
 * Events go in (raft_tick, raft_step, raft_propose, raft_persisted, ...);
 * actions come out through raft_ready(): hard state and entries to persist,
 * messages to send, committed entries to apply, read states, snapshot work.
 * The core never does I/O, never sleeps and never reads a clock: time is
 * counted in ticks the host measures (raft_tick), and randomness comes
 * from a PRNG seeded by the host.
 *
 * The host loop (single-threaded per node; the caller serialises all calls):
 *
 *	feed events: raft_tick / raft_step / raft_propose / raft_persisted / ...
 *	while (raft_has_ready(r)) {
 *		raft_ready(r, &rd);
 *		1. if rd.hs_changed: persist rd.hs durably, synchronously, BEFORE
 *		   sending any message of this ready (votes and terms must be
 *		   durable before anyone hears of them);
 *		2. start persisting rd.entries (they may replace entries at the
 *		   same and later indexes: truncate there first); when durable,
 *		   call raft_persisted(r, last_index, last_term).  Leaders may
 *		   send before their own write completes (thesis 10.2.1): the
 *		   leader counts itself in a majority only once persisted;
 *		3. send rd.msgs (a follower's append acknowledgements are only
 *		   produced after raft_persisted, so they are never early);
 *		4. apply rd.committed in order (each one is at most the locally
 *		   persisted index);
 *		5. serve rd.reads once applied >= read.index;
 *		6. act on rd.snap_sends and rd.snap_install (see below);
 *		raft_advance(r, &rd);
 *	}
 *
 * Everything a ready points to stays valid until raft_advance(); a host that
 * keeps data (for example an entry payload in a send queue) copies it.
 *
 * Details of the contract (implementation notes, see
 * Documentation/design/raft-core.rst):
 *  - rd.hs_changed is set when term or vote changed.  rd.hs.commit is the
 *    commit index capped at the persisted index: the highest index up to
 *    which the locally durable log is known to match the log in memory
 *    (raft_persisted raises it; an append that replaces entries lowers it
 *    to just before them until the new ones are reported durable).  So the
 *    hard state never commits an entry this node does not hold durably, and
 *    the host may write rd.hs and rd.entries in either order (or rd.hs alone,
 *    e.g. with a checkpoint): a crash in between restarts with a commit
 *    index over entries it has.  It never decreases; persisting it is
 *    optional (it only saves re-applying on restart).  The core never puts
 *    a vote grant or a message of a term into a ready whose hs (same ready
 *    or earlier) lacks it.
 *  - Each raft_ready() must be followed by raft_advance() before the next
 *    raft_ready().  In between, the host may call raft_persisted(),
 *    raft_snapshot_chunk_done(), raft_compact() and the queries (the last
 *    two are deferred to raft_advance internally when they would free what
 *    the ready points to); other events go after raft_advance().
 *  - raft_persisted(index, term) is ignored when the entry at index no
 *    longer has that term (an old write finishing after an overwrite).
 *  - A ready with snap_installed carries no committed entries: install, then
 *    apply what the next ready hands out.
 *  - Proposals are replicated at the next raft_ready() (they batch up).
 *  - Bootstrap: with no snapshot, boot.snap.index = 0 and boot.snap.conf is
 *    the initial configuration.
 *
 * Error convention: functions return 0 or a negative errno (-ENOMEM,
 * -EINVAL, -EPERM "not leader", -EBUSY, -EAGAIN).  An allocation failure is
 * always reported; the core's state is unchanged by a failed call.
 */
#ifndef RRAFT_RAFT_H
#define RRAFT_RAFT_H

#include "raft_env.h"

/* Node ids are non-zero; 0 means "none". */
#define RAFT_NONE		0u
/* Members of one configuration (voters, outgoing voters or learners). */
#define RAFT_MAX_MEMBERS	9

enum raft_role {
	RAFT_FOLLOWER = 0,
	RAFT_PRECANDIDATE,
	RAFT_CANDIDATE,
	RAFT_LEADER,
};

enum raft_entry_type {
	RAFT_ENTRY_NORMAL = 0,	/* opaque host command (rraft: block write) */
	RAFT_ENTRY_NOOP = 1,	/* appended by every new leader */
	RAFT_ENTRY_CONF = 2,	/* payload: struct raft_conf, see raft_conf_encode */
};

/*
 * A configuration.  In joint consensus (C_old,new) voters_old is non-empty
 * and a decision needs a majority of voters AND a majority of voters_old.
 * Learners receive the log but never vote and never count.
 * A configuration takes effect as soon as its entry is in a node's log
 * (appended, not committed); if that entry is truncated, the node returns to
 * the previous configuration.
 */
struct raft_conf {
	u32 voters[RAFT_MAX_MEMBERS];
	u32 voters_old[RAFT_MAX_MEMBERS];
	u32 learners[RAFT_MAX_MEMBERS];
	u8 n_voters;
	u8 n_voters_old;
	u8 n_learners;
};

/* Fixed-size little-endian encoding of a raft_conf (entry payloads, snapshots). */
#define RAFT_CONF_ENCODED_SIZE	(4 + 3 * 4 * RAFT_MAX_MEMBERS)
void raft_conf_encode(const struct raft_conf *c, u8 out[RAFT_CONF_ENCODED_SIZE]);
int raft_conf_decode(struct raft_conf *c, const u8 *in, u32 len);
bool raft_conf_is_voter(const struct raft_conf *c, u32 id);	/* in voters or voters_old */
bool raft_conf_is_member(const struct raft_conf *c, u32 id);	/* voter, old voter or learner */

struct raft_entry {
	u64 term;
	u64 index;
	u32 type;		/* enum raft_entry_type */
	u32 len;
	u8 *data;		/* len bytes, owned by the core */
};

struct raft_hard_state {
	u64 term;
	u32 vote;
	u64 commit;
};

/* What a snapshot (for rraft: the checkpointed data area) stands for. */
struct raft_snap_meta {
	u64 index;
	u64 term;
	struct raft_conf conf;
};

enum raft_msg_type {
	RAFT_MSG_NONE = 0,
	RAFT_MSG_PREVOTE = 1,
	RAFT_MSG_PREVOTE_RESP = 2,
	RAFT_MSG_VOTE = 3,
	RAFT_MSG_VOTE_RESP = 4,
	RAFT_MSG_APPEND = 5,
	RAFT_MSG_APPEND_RESP = 6,
	RAFT_MSG_HEARTBEAT = 7,
	RAFT_MSG_HEARTBEAT_RESP = 8,
	RAFT_MSG_SNAPSHOT = 9,
	RAFT_MSG_SNAPSHOT_RESP = 10,
	RAFT_MSG_TIMEOUT_NOW = 11,
	RAFT_MSG_TRANSFER_REQ = 12,
	RAFT_MSG_TYPE_MAX = 12,
};

/* raft_msg.flags */
#define RAFT_MSGF_REJECT	0x01	/* vote refused / append rejected */
#define RAFT_MSGF_TRANSFER	0x02	/* vote caused by leadership transfer */
#define RAFT_MSGF_LAST		0x04	/* snapshot: last chunk */
#define RAFT_MSGF_INCONSISTENT	0x08	/* sender's state machine is mid-install */
#define RAFT_MSGF_RESUME	0x10	/* snapshot_resp: continue my transfer */
#define RAFT_MSGF_FRESH		0x20	/* snapshot: start over, do not resume */

/*
 * One message.  Field use by type:
 *  PREVOTE/VOTE:          term (pre-vote: the term it would campaign in),
 *                         index/log_term = candidate's last log index/term
 *  *_RESP to votes:       term, flags&REJECT
 *  APPEND:                index/log_term = prevLogIndex/prevLogTerm,
 *                         entries, commit = leader commit
 *  APPEND_RESP:           index = follower's persisted last index matching
 *                         the leader (success), or on reject the hints:
 *                         hint_term (XTerm, 0 if none), hint_index (XIndex),
 *                         hint_len (XLen = follower's last index + 1);
 *                         applied = follower's applied index
 *  HEARTBEAT:             commit = min(leader commit, follower match), ctx
 *                         (a leader sequence number: ReadIndex and lease)
 *  HEARTBEAT_RESP:        ctx echoed, applied
 *  SNAPSHOT:              snap (meta), offset, data/len = one chunk of the
 *                         opaque payload, ctx = the offset after this chunk,
 *                         flags&LAST on the final chunk,
 *                         applied = follower's base applied index the chunk
 *                         stream was computed against (incremental copies)
 *                         flags&FRESH: the leader will not continue the
 *                         follower's unfinished transfer (see below)
 *  SNAPSHOT_RESP:         snap.index, offset = next offset wanted,
 *                         flags&REJECT if the chunk was refused, applied;
 *                         flags&LAST (and index = snap.index) once the
 *                         whole snapshot is installed durably;
 *                         flags&REJECT|RESUME: a chunk of another transfer
 *                         reached a node in the middle of one: snap (whole
 *                         meta), offset and applied describe the unfinished
 *                         one, which the leader continues rather than
 *                         starting over (it may be older than the leader's
 *                         checkpoint: the host serves any index <= applied)
 *  TIMEOUT_NOW:           term
 *  TRANSFER_REQ:          term; a voter asks the leader to transfer
 *                         leadership to it (raft_request_leadership)
 * Any response from a node that is mid-install (Inconsistent) carries
 * flags&INCONSISTENT with snap = the snapshot being installed, offset = the
 * next offset it needs and applied = the base_applied of that transfer, so
 * that a leader (even a new one) resumes the transfer.
 */
struct raft_msg {
	u32 type;
	u32 from;
	u32 to;
	u32 flags;
	u64 term;
	u64 index;
	u64 log_term;
	u64 commit;
	u64 ctx;
	u64 applied;
	u64 hint_term;
	u64 hint_index;
	u64 hint_len;
	u32 n_entries;
	struct raft_entry *entries;
	struct raft_snap_meta snap;
	u64 offset;
	u32 len;
	u8 *data;
};

/* A confirmed linearizable read: serve it once applied >= index. */
struct raft_read_state {
	u64 ctx;
	u64 index;
};

/*
 * The leader asks its host for the next chunk of the snapshot for peer `to`:
 * the host reads the payload from `offset` (an opaque cursor it chose itself;
 * 0 starts a transfer) computed against the follower's `base_applied`
 * (0: full copy), and answers with raft_snapshot_chunk().  meta is usually
 * the leader's own checkpoint, but may be an older one (or one it never
 * took) that a follower is in the middle of installing: a host whose state
 * machine is a live image (rraft's data area) serves it, since its state is
 * at or past meta.index; a host that cannot calls raft_snapshot_failed(),
 * and the transfer starts over at the current checkpoint.
 */
struct raft_snap_send {
	u32 to;
	struct raft_snap_meta meta;
	u64 offset;
	u64 base_applied;
};

/*
 * A follower's host writes this chunk into its state machine and, once it is
 * durable, calls raft_snapshot_chunk_done().  The first chunk of a transfer
 * makes the node Inconsistent until the last one is installed.
 */
struct raft_snap_install {
	struct raft_snap_meta meta;
	u64 offset;
	u64 next_offset;
	u32 len;
	const u8 *data;
	bool last;
	u64 base_applied;
};

struct raft_ready {
	bool hs_changed;
	struct raft_hard_state hs;

	struct raft_entry *entries;	/* to persist, contiguous indexes */
	u32 n_entries;

	struct raft_msg *msgs;
	u32 n_msgs;

	struct raft_entry *committed;	/* to apply, in order */
	u32 n_committed;

	struct raft_read_state *reads;
	u32 n_reads;

	struct raft_snap_send *snap_sends;
	u32 n_snap_sends;

	bool has_snap_install;
	struct raft_snap_install snap_install;

	/* A snapshot was installed: the state machine is now at snap.index. */
	bool snap_installed;
	struct raft_snap_meta snap;

	/* Soft state (informational): role, leader, or configuration changed. */
	bool soft_changed;
};

struct raft_config {
	u32 id;
	u32 election_ticks;	/* timeout is random in [election, 2*election) */
	u32 heartbeat_ticks;	/* < election_ticks */
	u32 max_inflight;	/* appends in flight per peer in replicate state */
	u32 max_append_bytes;	/* payload bytes per append message */
	u32 max_append_entries;	/* entries per append message */
	/*
	 * Backpressure on a leader: raft_propose answers -EBUSY while
	 * max_uncommitted entries, or entries of max_uncommitted_bytes
	 * payload bytes (0: no byte limit; one entry always fits), wait for
	 * commit.
	 */
	u32 max_uncommitted;
	u64 max_uncommitted_bytes;
	/*
	 * An append unacknowledged for this many ticks was lost: the peer is
	 * probed again (0: election_ticks / 2, at least 2 heartbeats).  Only
	 * the age of the oldest append in flight counts, so appends queued
	 * behind others (heartbeats overtake bulk data) are not resent.
	 */
	u32 append_timeout_ticks;
	bool pre_vote;
	bool check_quorum;
	/*
	 * Leader lease reads: a read is served without a round trip while a
	 * quorum has acknowledged the leader within
	 * election_ticks - lease_drift_ticks ticks.  0 disables the lease
	 * (every read pays a ReadIndex heartbeat round).  Requires check_quorum.
	 * With the lease on, a node grants no (non-transfer) vote during the
	 * first election timeout after raft_create() (a restarted follower
	 * keeps the promise the lease relies on).
	 */
	u32 lease_drift_ticks;
	/* Learner promotion: a learner within this many entries counts as caught up. */
	u32 catchup_entries;
	u64 seed;		/* PRNG seed: randomized timeouts */
};

/* What the host recovered from stable storage at start. */
struct raft_boot {
	struct raft_hard_state hs;
	struct raft_snap_meta snap;	/* state machine checkpoint; index 0: none */
	/* Log entries snap.index+1 .. in order (copied by raft_init). */
	const struct raft_entry *entries;
	u32 n_entries;
	/* A snapshot install was interrupted: node is Inconsistent. */
	bool inconsistent;
	struct raft_snap_meta pending;	/* the snapshot being installed */
	u64 pending_offset;		/* next offset it still needs */
	u64 pending_base;		/* base_applied of that transfer */
};

struct raft;	/* opaque */

/* Status for sysfs, tools and tests. */
struct raft_peer_status {
	u32 id;
	u64 match;
	u64 next;
	u32 state;		/* 0 probe, 1 replicate, 2 snapshot */
	bool recent_active;
	bool is_learner;
	u64 snap_offset;	/* snapshot cursor while in snapshot state */
};

struct raft_status {
	u32 id;
	u32 role;
	u32 leader;
	u64 term;
	u32 vote;
	u64 commit;
	u64 applied;		/* highest index handed out for apply */
	u64 persisted;		/* highest index durable locally */
	u64 first_index;	/* first index still in the log (snap.index + 1) */
	u64 last_index;
	u64 snap_index;
	u64 snap_term;
	struct raft_conf conf;
	bool conf_pending;	/* a configuration entry is not yet committed */
	bool inconsistent;
	u32 transferee;		/* leadership transfer in progress to */
	u32 n_peers;
	struct raft_peer_status peers[2 * RAFT_MAX_MEMBERS];
};

/* Life cycle. */
int raft_create(struct raft **out, const struct raft_config *cfg,
		const struct raft_boot *boot);
void raft_destroy(struct raft *r);

/* Events. */
/*
 * Time: ticks is the number of ticks that really elapsed since the last
 * call, measured on a clock that keeps running while the node does not
 * (a paused VM, a starved loop): never "one per timer firing".  The host
 * catches the clock up before it steps a message (timestamped on arrival:
 * feed the ticks up to its arrival first) and before raft_read_index, so
 * that neither a late message nor a lease read looks fresher than it is.
 * A leader's lease counts from when the heartbeats that renewed it were
 * queued (before they were sent), for election_ticks - lease_drift_ticks.
 */
void raft_tick(struct raft *r, u32 ticks);
/* copies m; -EINVAL for a malformed message, -ENOMEM (state unchanged) */
int raft_step(struct raft *r, const struct raft_msg *m);
int raft_propose(struct raft *r, const void *data, u32 len,
		 u64 *index, u64 *term);
void raft_persisted(struct raft *r, u64 index, u64 term);
int raft_read_index(struct raft *r, u64 ctx);
int raft_campaign(struct raft *r);		/* start an election now */
/*
 * Make this node leader without disturbing a working cluster: ask the
 * known leader for a transfer (it runs raft_transfer_leader: catch-up,
 * TimeoutNow), or, with no leader known, campaign (with pre-vote).  A node
 * cut off from the leader thus never raises its term by asking.  0 when
 * asked (or already leader), -EPERM for a learner or an Inconsistent node.
 */
int raft_request_leadership(struct raft *r);
int raft_transfer_leader(struct raft *r, u32 to);
/*
 * A leader whose host can no longer persist (a failed disk) steps down:
 * follower of its term, no leader known; -EPERM if not leader.  The host
 * hands leadership over first (raft_transfer_leader) when it can, and
 * afterwards feeds the node no events at all.
 */
int raft_step_down(struct raft *r);
/*
 * Propose a new configuration.  Learner-only changes take one entry; any
 * change of voters goes through joint consensus (C_old,new then C_new, which
 * the leader appends by itself once C_old,new commits).  Refused with
 * -EPERM (not leader), -EAGAIN (no entry of the leader's term committed
 * yet, or a learner promoted to voter has not caught up yet: both pass,
 * retry), -EBUSY (a change is in progress), -EINVAL (no voters, an id is 0
 * or listed twice).
 * "Caught up" (raft_learner_caught_up): the learner's match is within
 * cfg.catchup_entries of the leader's last index and at or past the
 * configuration in effect.  A voter set equal to the current one is a single
 * entry (learner-only change).  A node may not be a voter and a learner in
 * the same target.
 */
int raft_change_conf(struct raft *r, const struct raft_conf *target);
bool raft_learner_caught_up(struct raft *r, u32 id);

/* Snapshots. */
int raft_compact(struct raft *r, u64 index);	/* host checkpointed up to index */
int raft_snapshot_chunk(struct raft *r, u32 to, u64 snap_index, u64 offset,
			const void *data, u32 len, u64 next_offset, bool last);
void raft_snapshot_chunk_done(struct raft *r, u64 snap_index, u64 offset,
			      u64 next_offset, bool last);
void raft_snapshot_failed(struct raft *r, u32 to);	/* host gave up: retry later */
void raft_report_unreachable(struct raft *r, u32 to);	/* connection lost */

/* Output. */
bool raft_has_ready(const struct raft *r);
int raft_ready(struct raft *r, struct raft_ready *rd);
void raft_advance(struct raft *r, const struct raft_ready *rd);

/* Queries. */
void raft_get_status(const struct raft *r, struct raft_status *st);
u32 raft_role(const struct raft *r);
u32 raft_leader(const struct raft *r);
u64 raft_term(const struct raft *r);
/* Term of the entry at index, or 0 if not in the log (or compacted). */
u64 raft_term_at(const struct raft *r, u64 index);

const char *raft_role_name(u32 role);
const char *raft_msg_type_name(u32 type);

#endif /* RRAFT_RAFT_H */
