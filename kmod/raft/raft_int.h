/* SPDX-License-Identifier: GPL-2.0 */
/*
 * raft_int.h - private to the Raft core (kmod/raft/raft*.c): the state of a
 * node and the calls between the core's files.  Hosts use raft.h only.
 *
 * Who owns what (Documentation/design/raft-core.rst, "Source files"):
 *	raft.c		create/destroy, tick, step dispatch, elections, the
 *			follower side of appends and heartbeats, queries
 *	raft_log.c	the log ring (ents/head/n/cap: touched nowhere else),
 *			term_at, append, truncate, compact_to, conflict search
 *	raft_progress.c	per-peer progress (stable slots), inflights, quorum,
 *			commit, the leader side of appends, ReadIndex/lease
 *	raft_conf.c	configuration codec, configuration in effect, joint
 *			consensus (raft_change_conf, C_new after C_old,new)
 *	raft_snap.c	snapshot streaming (leader), resume, receive and
 *			install (follower), raft_compact
 *	raft_ready.c	output queues, raft_ready/raft_advance
 */
#ifndef RRAFT_RAFT_INT_H
#define RRAFT_RAFT_INT_H

#include "raft.h"

#define RAFT_INFL_MAX		64	/* cap on cfg.max_inflight */
#define RAFT_MAX_PRS		(3 * RAFT_MAX_MEMBERS)
#define RAFT_SNAP_WINDOW	2	/* snapshot chunks in flight per peer */
#define RAFT_INSTALL_Q		4	/* snapshot chunks queued for the host */
#define RAFT_SEQ_RING		128	/* heartbeat sequence -> send tick */
#define RAFT_SNAP_STALL		3	/* heartbeat rounds without snapshot progress */
#define RAFT_U64_MAX		(~(u64)0)

/* struct raft_progress.state (the values raft_peer_status.state reports) */
enum { PROG_PROBE = 0, PROG_REPLICATE = 1, PROG_SNAPSHOT = 2 };

/*
 * A leader's snapshot stream to one peer (raft_snap.c).  The stream fields
 * mean something in PROG_SNAPSHOT only: meta is the snapshot being sent
 * (our checkpoint, or an older one the peer is in the middle of
 * installing), base the peer's applied index every chunk of this stream
 * is computed against (fixed for the stream), at most one raft_snap_send
 * is outstanding (req_out) and at most RAFT_SNAP_WINDOW chunks are sent
 * and not acknowledged (inflight).  resume_* and no_resume describe the
 * peer's own, possibly interrupted, transfer as its responses report it,
 * in every state.
 */
struct raft_snap_stream {
	struct raft_snap_meta meta;
	u64 base;		/* base_applied of this stream */
	u64 req_offset;		/* offset asked from the host */
	bool req_out;		/* a raft_snap_send is waiting for a chunk */
	u32 inflight;		/* chunks sent, not yet acknowledged */
	u64 sent_next;		/* offset after the last chunk sent */
	bool sent_last;		/* the last chunk was sent */
	u32 stall;		/* heartbeat rounds without progress */
	bool restarted;		/* restarted at restart_off, no ack yet */
	u64 restart_off;
	bool resume_valid;	/* the peer reports an unfinished transfer: */
	u64 resume_index;
	u64 resume_offset;	/* the next offset it needs */
	struct raft_snap_meta resume_meta;
	bool no_resume;		/* our host could not serve resume_meta */
};

/*
 * What a leader knows about one member (raft_progress.c).  Every member of
 * the configuration in effect has one, in a stable slot of r->prs: a slot
 * is freed (id RAFT_NONE) when its member leaves the configuration and is
 * never moved, so a pointer stays valid for its member.  A caller that
 * holds one across a commit (which may append C_new and free the slot)
 * checks pr->id afterwards.  The fields are reset when a node becomes
 * leader and only mean something on a leader; the leader's own slot is
 * not used for replication (its match is r->persisted).
 *
 * Invariants (leader, member other than itself):
 *  - match: the highest index the peer acknowledged as durable and matching
 *    our log; match <= last index.  It only grows, except when the peer
 *    proves it lost acknowledged entries (a reject after the ack, etcd
 *    #10166), which lowers it to the peer's last index; commit never goes
 *    back.
 *  - next: the next index to send in PROBE/REPLICATE.  Entering PROBE or
 *    REPLICATE, a reject and an acknowledgment leave next >= match + 1;
 *    raft_send_append clamps it to last index + 1, and a next whose
 *    previous entry is compacted moves the peer to PROG_SNAPSHOT.
 *  - probe_sent: PROBE only; at most one append outstanding, cleared by a
 *    heartbeat response or an unreachable report.
 *  - infl[infl_head .. +infl_count): REPLICATE only; the last index of each
 *    append in flight, strictly ascending, all < next; infl_count <=
 *    cfg.max_inflight <= RAFT_INFL_MAX.  An acknowledgment of index i
 *    frees every entry <= i; entering PROBE/REPLICATE empties it.
 *  - snap: the snapshot stream (struct raft_snap_stream, raft_snap.c).
 */
struct raft_progress {
	u32 id;			/* RAFT_NONE: free slot */
	bool is_learner;
	u32 state;		/* PROG_* */
	u64 match;
	u64 next;
	bool recent_active;	/* heard from since the last check-quorum round */
	bool probe_sent;
	u64 infl[RAFT_INFL_MAX];
	u32 infl_head;
	u32 infl_count;
	u64 applied;		/* last reported by the peer (base for snapshots) */
	u64 acked_seq;		/* highest heartbeat sequence echoed */
	u64 infl_at[RAFT_INFL_MAX];	/* r->now when each append was sent */
	struct raft_snap_stream snap;
};

struct raft_read_pend {
	u64 ctx;
	u64 index;
	u64 seq;
};

/* A received snapshot chunk queued for the host (raft_snap.c). */
struct raft_iq {
	struct raft_snap_install in;
	u8 *buf;
};

/*
 * A follower's snapshot transfer (raft_snap.c): the stream being received
 * (active), whose chunks up to `done` are durable, and the chunks queued
 * for the host, handed out one at a time (q_out: q[q_head] is out).
 */
struct raft_snap_recv {
	bool active;
	struct raft_snap_meta meta;
	u64 next;		/* offset expected next */
	u64 done;		/* offset durable */
	u64 base;		/* base_applied of the transfer */
	bool last;		/* the last chunk is queued or with the host */
	struct raft_iq q[RAFT_INSTALL_Q];
	u32 q_head;
	u32 q_n;
	bool q_out;
};

struct raft {
	struct raft_config cfg;
	u64 rng;
	u32 id;
	u32 role;
	u32 lead;
	u64 term;
	u32 vote;
	/*
	 * commit: highest index known committed.  applied <= commit except
	 * right after a snapshot install sets both.  persisted: highest index
	 * up to which the locally durable log is known to match this log
	 * (lowered when a truncating append replaces entries); the hard state
	 * a ready hands out never commits past it (raft_ready.c).
	 */
	u64 commit;
	u64 applied;
	u64 persisted;
	u64 unstable;		/* first index not handed out for persistence */
	struct raft_hard_state prev_hs;
	bool soft_changed;

	/*
	 * The log (raft_log.c only): index snap.index + 1 + k lives at
	 * ents[head + k], k < n; head + n <= cap.
	 */
	struct raft_entry *ents;
	u64 head;
	u64 n;
	u64 cap;
	struct raft_snap_meta snap;	/* checkpoint: the log starts after it */

	struct raft_conf conf;
	u64 conf_index;		/* index of the CONF entry in effect, 0: snap.conf */

	/* stable slots, see struct raft_progress; n_prs: slots in use */
	struct raft_progress prs[RAFT_MAX_PRS];
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

	/* output (raft_ready.c): queues filled by events, swapped out by raft_ready */
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
	u64 unc_bytes;		/* leader: payload bytes of (commit, last] */

	/* snapshot receive (raft_snap.c); inconsistent: mid-install */
	bool inconsistent;
	struct raft_snap_recv recv;
	bool snap_installed;	/* reported in the next ready */
	struct raft_snap_meta installed;
};

static inline u64 min_u64(u64 a, u64 b)
{
	return a < b ? a : b;
}

static inline u64 max_u64(u64 a, u64 b)
{
	return a > b ? a : b;
}

/* raft.c */
void raft_become_follower(struct raft *r, u64 term, u32 lead);
void raft_send_ack(struct raft *r, u32 to, bool force);
void raft_maybe_send_timeout_now(struct raft *r, struct raft_progress *pr);
int raft_reserve_entry(struct raft *r, u32 len);

/* raft_log.c */
u64 raft_log_first(const struct raft *r);
u64 raft_log_last(const struct raft *r);
struct raft_entry *raft_log_entry(const struct raft *r, u64 i);
u64 raft_log_term(const struct raft *r, u64 i);
u64 raft_log_last_term(const struct raft *r);
bool raft_log_has_room(const struct raft *r, u64 extra);
int raft_log_reserve(struct raft *r, u64 extra);
void raft_log_push(struct raft *r, u64 term, u32 type, u8 *data, u32 len);
void raft_log_truncate(struct raft *r, u64 index);
void raft_log_compact_to(struct raft *r, u64 index);
void raft_log_restore(struct raft *r, const struct raft_snap_meta *s);
void raft_log_free(struct raft *r);
u64 raft_log_find_conflict(const struct raft *r, const struct raft_msg *m,
			   u64 skip);
u64 raft_log_find_conflict_by_term(const struct raft *r, u64 index, u64 term);
u64 raft_log_term_start(const struct raft *r, u64 index);
u8 *raft_dup_data(const void *data, u32 len, int *err);

/* raft_progress.c */
struct raft_progress *raft_prog_get(struct raft *r, u32 id);
void raft_prog_reset(struct raft *r, struct raft_progress *pr);
void raft_prog_sync(struct raft *r);
bool raft_prog_quorum_active(const struct raft *r);
void raft_prog_probe(struct raft *r, struct raft_progress *pr);
void raft_send_append(struct raft *r, struct raft_progress *pr);
void raft_bcast_append(struct raft *r);
void raft_bcast_heartbeat(struct raft *r, u64 seq);
void raft_maybe_commit(struct raft *r);
void raft_handle_append_resp(struct raft *r, struct raft_progress *pr,
			     const struct raft_msg *m);
void raft_handle_heartbeat_resp(struct raft *r, struct raft_progress *pr,
				const struct raft_msg *m);
bool raft_committed_in_term(const struct raft *r);
void raft_reads_poll(struct raft *r);
u64 raft_next_seq(struct raft *r);

/* raft_conf.c */
bool raft_conf_valid(const struct raft_conf *c);
void raft_conf_at(const struct raft *r, u64 index, struct raft_conf *out,
		  u64 *at);
void raft_conf_recompute(struct raft *r);
bool raft_is_voter(const struct raft *r, u32 id);
bool raft_is_member(const struct raft *r, u32 id);
void raft_after_commit(struct raft *r);

/* raft_snap.c */
void raft_prog_snapshot(struct raft *r, struct raft_progress *pr);
void raft_note_inconsistent(struct raft_progress *pr, const struct raft_msg *m);
void raft_handle_snapshot_resp(struct raft *r, struct raft_progress *pr,
			       const struct raft_msg *m);
int raft_handle_snapshot(struct raft *r, const struct raft_msg *m);
void raft_iq_clear(struct raft *r);

/* raft_ready.c */
int raft_grow(void **arr, u32 *cap, u32 need, size_t size);
int raft_reserve_out(struct raft *r);
int raft_reserve(struct raft *r, u64 entries);
struct raft_msg *raft_new_msg(struct raft *r, u32 type, u32 to);
void raft_free_snap_data(struct raft_msg *msgs, u32 n);

#endif /* RRAFT_RAFT_INT_H */
