/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rtc_cluster.h - the one in-memory test host of the Raft core.
 *
 * A cluster of real struct raft nodes driven only through raft.h, with a host
 * loop (rtc_process, on rtc_host.c) that follows the contract of raft.h:
 * hard state first, entries written to a model of stable storage, messages
 * deep-copied onto one FIFO network queue, committed entries applied to a
 * hash-chain state machine, reads recorded, snapshot chunks served and
 * installed.  Tests decide every delivery, tick, crash and restart; nothing
 * is random.
 *
 * Used by the userspace unit tests (tests/unit), the KUnit suite
 * (kmod/raft/raft_kunit.c) and the shared scenarios (rtc_scenarios.c).  It
 * includes raft.h (and through it raft_env.h) only, no libc or kernel header,
 * so the same file builds in both worlds; the environment hands in a struct
 * rtc_env (memory, failure reports: tests/lib/rtc_env_user.c, raft_kunit.c).
 *
 * Checked on every ready and every apply (a failure calls env->fail and
 * counts in c->violations): entries applied in order, only once durable
 * locally, and the same entry at an index on every node (State Machine
 * Safety); a snapshot holds exactly what was committed; no message of a
 * term that is not durable, no vote grant that is not durable; at most one
 * leader per term (Election Safety).
 */
#ifndef RRAFT_RTC_CLUSTER_H
#define RRAFT_RTC_CLUSTER_H

#include "../../kmod/raft/raft.h"

#define RTC_MAX_NODES	10	/* ids 1..9 (and 10) */
#define RTC_DATA_MAX	128	/* payload bytes of one entry */
#define RTC_MAX_READS	64
#define RTC_MAX_SS	16	/* snapshot sends waiting to be served */
#define RTC_MAX_TERMS	256	/* terms tracked by the Election Safety check */
/* The snapshot payload: le64 state hash at the index, le64 index. */
#define RTC_SNAP_BYTES	16
#define RTC_SNAP_CHUNK	8

/* Sizes: the kernel (KUnit) gets small vmalloc'ed arrays. */
#ifdef __KERNEL__
#define RTC_LOG_MAX	600
#define RTC_QCAP	4096
#else
#define RTC_LOG_MAX	20000
#define RTC_QCAP	200000
#endif

struct rtc_cluster;

/* The environment of the shared host: memory and failure reports. */
struct rtc_env {
	void *(*zalloc)(size_t size);
	void (*free)(void *p);
	/* a contract or safety violation: what, node, two numbers for context */
	void (*fail)(const struct rtc_env *env, const char *what, u32 id, u64 a,
		     u64 b);
	/* a failed RTC_CHECK (rtc_scenarios.h) */
	void (*check_failed)(const struct rtc_env *env, const char *file,
			     int line, const char *expr, u64 a, u64 b);
	void *ctx;		/* the test (struct kunit *), or NULL */
};

/* One slot of the stable log. */
struct rtc_ent {
	u64 term;
	u32 type;
	u32 len;
	u8 data[RTC_DATA_MAX];
};

struct rtc_node {
	struct rtc_cluster *c;
	u32 id;
	struct raft *r;
	bool up;
	/* stable storage: hard state, checkpoint, log */
	struct raft_hard_state hs;
	struct raft_snap_meta snap;
	u64 snap_hash;		/* state machine hash at snap.index */
	struct rtc_ent *log;	/* index i at log[i], i > snap.index */
	u64 last;		/* stable last index */
	/* durable progress of an unfinished snapshot install */
	bool inst_pending;
	struct raft_snap_meta inst_meta;
	u64 inst_off;
	u64 inst_base;
	/*
	 * Persistence: by default raft_persisted follows each ready.  With
	 * manual_persist the last write waits in pend_* for rtc_persist (a
	 * disk that is late).
	 */
	bool manual_persist;
	u64 pend_index, pend_term;
	/* state machine: a running hash of applied entries */
	u64 applied;
	u64 hash;
	u64 *hash_at;		/* hash after applying index i */
	u64 n_applied_normal;
	u8 inst[RTC_SNAP_BYTES];	/* snapshot being received */
	/* reads served */
	u64 read_ctx[RTC_MAX_READS];
	u64 read_idx[RTC_MAX_READS];
	u32 n_reads;
	/* snapshot sends; served after each ready unless !auto_snap */
	bool auto_snap;
	struct raft_snap_send ss[RTC_MAX_SS];
	u32 n_ss;
	u32 n_installs;		/* chunks installed */
	u32 n_snap_installed;	/* whole snapshots installed */
};

/* A queued message: the copy owns its entries and payloads (one blob). */
struct rtc_msg {
	struct raft_msg m;
	void *blob;
};

/* Delivery filter: may rewrite m (drop entries); false drops it. */
typedef bool (*rtc_filter_fn)(struct rtc_cluster *c, struct raft_msg *m);

/* The committed history: first entry applied at each index. */
struct rtc_rec {
	u64 term;
	u64 hash;
	u64 val;		/* a NORMAL entry of 8 bytes: its value */
	u32 type;
	bool set;
};

struct rtc_cluster {
	const struct rtc_env *env;
	u32 n;
	struct rtc_node nodes[RTC_MAX_NODES];
	struct raft_config cfg;
	struct raft_conf conf0;
	/* network: FIFO, cut links, per-link type masks, filter */
	struct rtc_msg *q;
	u32 qn;
	bool cut[RTC_MAX_NODES][RTC_MAX_NODES];	/* cut[a-1][b-1]: a -> b lost */
	u32 drop[RTC_MAX_NODES][RTC_MAX_NODES];	/* BIT(type) lost a -> b */
	rtc_filter_fn filter;
	void *filter_ctx;
	/* strict: raft_step and raft_snapshot_chunk errors are violations */
	bool strict;
	/* observers */
	struct rtc_rec *g;	/* [RTC_LOG_MAX] */
	u32 leader_of_term[RTC_MAX_TERMS];
	u32 n_msgs[RAFT_MSG_TYPE_MAX + 1];	/* delivered, by type */
	u32 n_rejects;		/* APPEND_RESP with REJECT delivered */
	u32 violations;
	struct raft_status st[4];
	u32 st_k;
};

extern const struct raft_config rtc_default_cfg;

/*
 * A cluster of n nodes, ids 1..n, that all boot with configuration conf
 * (NULL: voters 1..n); a node outside it waits to be added.  cfg NULL:
 * rtc_default_cfg.  NULL if out of memory.
 */
struct rtc_cluster *rtc_new(const struct rtc_env *env, u32 n,
			    const struct raft_config *cfg,
			    const struct raft_conf *conf);
void rtc_free(struct rtc_cluster *c);
struct rtc_node *rtc_node(struct rtc_cluster *c, u32 id);
struct raft *rtc_r(struct rtc_cluster *c, u32 id);
void rtc_voters(struct raft_conf *conf, u32 n);	/* voters 1..n */

/* the host loop of one node; all nodes */
void rtc_process(struct rtc_cluster *c, u32 id);
void rtc_process_all(struct rtc_cluster *c);
void rtc_persist(struct rtc_cluster *c, u32 id);	/* manual_persist */
void rtc_serve_snaps(struct rtc_cluster *c, u32 id);

/* network */
void rtc_inject(struct rtc_cluster *c, const struct raft_msg *m);
u32 rtc_deliver_one(struct rtc_cluster *c);
/* deliver queued messages matching (type, from, to; 0 = any), in order */
u32 rtc_deliver_match(struct rtc_cluster *c, u32 type, u32 from, u32 to);
/* remove / count queued messages matching (type, from, to; 0 = any) */
u32 rtc_filter(struct rtc_cluster *c, u32 type, u32 from, u32 to);
u32 rtc_count(struct rtc_cluster *c, u32 type, u32 from, u32 to);
void rtc_drop_queue(struct rtc_cluster *c);
void rtc_isolate(struct rtc_cluster *c, u32 id, bool cut);
void rtc_heal(struct rtc_cluster *c);	/* no cut link, no dropped type */

/*
 * Two schedules.  rtc_stabilize: one message at a time, the receiver
 * processed at once, until the queue is empty; rtc_tick_all: ticks of
 * every node, each followed by rtc_stabilize.  rtc_settle: rounds of
 * "process every node, deliver everything queued", until quiet;
 * rtc_tick_settle: ticks, each followed by rtc_settle.
 */
void rtc_stabilize(struct rtc_cluster *c);
void rtc_tick(struct rtc_cluster *c, u32 id);
void rtc_tick_all(struct rtc_cluster *c, u32 n);
void rtc_settle(struct rtc_cluster *c);
void rtc_tick_settle(struct rtc_cluster *c, u32 n);

/* nodes */
void rtc_crash(struct rtc_cluster *c, u32 id);
int rtc_restart(struct rtc_cluster *c, u32 id);	/* from stable storage */
/* replace a node's stable log by entries of the given terms (1..n), restart */
int rtc_load(struct rtc_cluster *c, u32 id, const u64 *terms, u32 n,
	     u64 hs_term);
int rtc_propose(struct rtc_cluster *c, u32 id, const char *s);
int rtc_propose_val(struct rtc_cluster *c, u32 id, u64 val, u64 *index);
int rtc_compact(struct rtc_cluster *c, u32 id, u64 index);

/* queries */
u32 rtc_leader(struct rtc_cluster *c);	/* of the highest term, or 0 */
u32 rtc_elect(struct rtc_cluster *c, u32 id);	/* campaign, stabilize */
u32 rtc_elect_stable(struct rtc_cluster *c);	/* tick until a leader */
struct raft_status *rtc_status(struct rtc_cluster *c, u32 id);
u64 rtc_commit(struct rtc_cluster *c, u32 id);
u64 rtc_last(struct rtc_cluster *c, u32 id);
u64 rtc_peer_next(struct rtc_cluster *c, u32 leader, u32 peer);
u64 rtc_peer_match(struct rtc_cluster *c, u32 leader, u32 peer);
bool rtc_logs_equal(struct rtc_cluster *c, u32 a, u32 b);
bool rtc_has_read(struct rtc_node *n, u64 ctx, u64 *index);
bool rtc_all_applied(struct rtc_cluster *c, u64 index);	/* every up node */

#endif /* RRAFT_RTC_CLUSTER_H */
