/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim.h - rraft deterministic cluster simulator (userspace).
 *
 * One process runs 3/5/7 nodes of the real Raft core (kmod/raft/raft.c)
 * against a simulated clock, network, disk and block-workload clients.
 * Everything is decided by one 64-bit seed.
 */
#ifndef RRAFT_SIM_H
#define RRAFT_SIM_H

#include <stdio.h>
#include <stdarg.h>
#include "../../kmod/raft/raft.h"
#include "../lib/rtc_host.h"

#define SIM_MAX_NODES	10		/* ids 1..9 */
#define SIM_NBLOCKS	8		/* blocks of the replicated "disk" */
#define SIM_IMG_BYTES	(SIM_NBLOCKS * 8)
#define SIM_CHUNK_BLOCKS 3		/* blocks per snapshot chunk */
#define SIM_REC		9		/* snapshot record: u8 block, le64 value */
#define SIM_TICK	1000ull		/* time units per nominal tick */
#define SIM_INF		(~0ull)
#define SIM_STORM	2000		/* messages one node may send per tick */
#define SIM_PAYLOAD	24		/* magic, block, value, op id */
#define SIM_MAGIC	0x6b6c4252u	/* "RBlk" */

/* Fault classes (--faults). */
enum {
	F_DROP = 1 << 0, F_DUP = 1 << 1, F_DELAY = 1 << 2, F_REORDER = 1 << 3,
	F_PARTITION = 1 << 4, F_ONEWAY = 1 << 5, F_CRASH = 1 << 6,
	F_DISK = 1 << 7, F_DRIFT = 1 << 8, F_CONF = 1 << 9,
	F_SNAPSHOT = 1 << 10, F_TRANSFER = 1 << 11, F_PAUSE = 1 << 12,
	F_ALL = (1 << 13) - 1,
};

struct prng {
	u64 s;
};

static inline u64 prng_next(struct prng *p)
{
	u64 z = (p->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* uniform in [0, n) (n > 0) */
static inline u64 rnd(struct prng *p, u64 n)
{
	return n ? prng_next(p) % n : 0;
}

/* true with probability pm/1000 */
static inline bool chance(struct prng *p, u32 pm)
{
	return rnd(p, 1000) < pm;
}

/* One slot of a node's durable log. */
struct dslot {
	bool valid;
	u64 term;
	u32 type;
	u32 len;
	u8 *data;
};

enum { DISK_APPEND = 1, DISK_SNAPCHUNK = 2 };

struct disk_op {
	int kind;
	u64 seq;
	u64 done_at;
	bool complete;
	bool truncate;
	/* append */
	u64 first, last, last_term;
	u32 n;
	struct raft_entry *ents;
	/* snapshot chunk */
	struct raft_snap_meta meta;
	u64 offset, next_offset, base;
	u32 len;
	u8 *data;
	bool last_chunk;
	struct disk_op *next;
};

/* A client operation waiting at a node. */
struct pend {
	u32 op;			/* index into the history */
	u64 index, term;	/* write: proposed at; read: confirmed index */
	bool confirmed;		/* read: read state received */
	struct pend *next;
};

/* A committed entry waiting to be applied (payload copied). */
struct aq {
	struct raft_entry e;
	struct aq *next;
};

struct sim;

struct node {
	struct sim *sim;
	u32 id;
	bool exists;		/* slot in use */
	bool alive;
	u32 incarnation;
	struct raft *r;
	struct raft_config cfg;

	/* ---- durable ---- */
	struct raft_hard_state hs;
	struct dslot *dlog;
	u64 dcap;
	struct raft_snap_meta ck_meta;	/* checkpoint (index 0: none) */
	u8 ck_img[SIM_IMG_BYTES];
	/* the checkpoint before it, kept to serve transfers that continue */
	struct raft_snap_meta ck_prev_meta;
	u8 ck_prev_img[SIM_IMG_BYTES];
	bool inst;			/* snapshot install in progress */
	struct raft_snap_meta inst_meta;
	u64 inst_off, inst_base;
	u8 inst_img[SIM_IMG_BYTES];
	u8 *wblk;			/* block written at index (+1; 0xff none; 0 unknown) */
	u64 wcap;			/* kept across crashes: committed history */

	/* ---- volatile ---- */
	u8 sm[SIM_IMG_BYTES];
	u64 applied;
	struct raft_conf conf_applied;
	u64 *mterm;			/* mirror of the log: term per index (0 = unknown) */
	u64 mcap, mlast, mfirst;
	u64 disk_seq;
	u64 disk_tail;			/* latest done_at of queued ops */
	u64 disk_barrier;
	struct disk_op *disk;		/* submission order */
	struct pend *writes, *reads;
	/* committed, not yet applied (rraft applies asynchronously) */
	struct aq *applyq, **applyq_tail;
	u64 last_commit;
	u32 last_role;
	u64 last_term;
	u64 tick_period;
	/*
	 * The host feeds the core the ticks that elapsed since tick_at (a
	 * multiple of tick_period; differences are taken mod 2^64), never
	 * one per timer event.  A paused node (its VM stopped: F_PAUSE)
	 * handles no event before paused_until; its clock then jumps.
	 */
	u64 tick_at;
	u64 paused_until;		/* 0: running */
	bool aimed;			/* an aimed crash is queued (sim_aimed_fault) */
	u64 reported;			/* persisted index reported */
	u64 storm_tick, storm_msgs;	/* messages sent in the current tick */
	struct raft_snap_send *ss;	/* snapshot sends of the current ready */
	u32 nss;
};

struct qmsg {
	u64 at;
	u64 seq;
	struct raft_msg m;
	bool is_tick;			/* heap also carries node ticks etc. */
	int kind;
	u32 node;
	u32 inc;
	u64 dseq;
};

/* Client history for the linearizability check. */
struct hop {
	u32 block;
	bool write;
	u64 value;		/* write: value written; read: value observed */
	u64 call, ret;		/* ret == SIM_INF: never completed (ambiguous) */
	int status;		/* 0 pending, 1 ok, 2 failed (definitely not applied) */
	u32 node;
	u64 index, term;	/* write: where it was proposed */
};

/*
 * Deliberate host bugs (--mutate), to prove the checkers catch what they
 * claim to catch.  Never set in normal runs.
 */
enum {
	M_STALE_READ = 1,	/* serve reads from any node without ReadIndex */
	M_EARLY_ACK = 2,	/* acknowledge writes when proposed */
	M_FORGET_VOTE = 4,	/* restart forgets the vote (term not with it) */
	M_LOSE_TAIL = 8,	/* a crash loses the last acknowledged entries */
	M_TICK_FIRINGS = 16,	/* one tick per timer event: a pause counts one */
};
extern u32 sim_mutate;
extern const char *sim_argv0;
extern const char *sim_faults_str;

struct kv {			/* (index, term) -> entry digest, prev term */
	u64 index, term, hash, prev;
	bool used;
};

struct sim {
	u64 seed;
	struct prng rng;
	u32 n;			/* initial voters 1..n */
	u32 nslots;		/* ids 1..nslots exist */
	u32 faults;
	bool trace;
	bool manual;		/* script mode: no automatic ticks, no random faults */
	bool lossless;		/* no network faults right now */
	bool faults_on;
	u64 now;
	u64 steps;		/* ticks of the fault phase */
	struct node nodes[SIM_MAX_NODES];

	/* event heap */
	struct qmsg **heap;
	u32 nheap, capheap;
	u64 evseq;

	/* network faults */
	bool blocked[SIM_MAX_NODES][SIM_MAX_NODES];
	u32 cutmask[SIM_MAX_NODES][SIM_MAX_NODES];	/* script: lose these types */
	u64 link_last[SIM_MAX_NODES][SIM_MAX_NODES];
	u64 heal_at;
	u64 restart_at[SIM_MAX_NODES];
	u32 drop_pm, dup_pm;

	/* global invariant state */
	u32 *leader_of;		/* term -> leader id */
	u64 nleader_of;
	u64 *gc_term, *gc_hash, *gc_cterm;	/* committed entries */
	u64 gc_cap, gc_max;
	u64 *ga_hash, *ga_term;		/* image after applying index */
	u64 ga_cap;
	u8 *ga_img;			/* that image (ga_cap of them) */
	struct kv *kv;
	u64 kv_cap, kv_n;

	/* workload */
	struct hop *hist;
	u32 nhist, caphist;
	u64 next_value;
	u32 client_busy_until[8];

	/* failure */
	bool failed;
	char why[512];
	u64 stat_msgs, stat_commits, stat_elections;
	FILE *out;		/* trace / script output */
	bool quiet_trace;	/* script: trace only when asked */
	u32 trace_filter;	/* script: message types to print (bitmask) */
	bool trace_msgs;
};

/* sim.c */
void sim_init(struct sim *s, u64 seed, u32 n, u32 spares, u32 faults,
	      bool manual);
void sim_free(struct sim *s);
void sim_boot_node(struct sim *s, u32 id, const struct raft_conf *conf);
void sim_set_checkpoint(struct node *nd, const struct raft_snap_meta *meta,
			const u8 *img);
void sim_crash(struct sim *s, u32 id);
void sim_lose_tail(struct sim *s, u32 id, u64 n);
void sim_restart(struct sim *s, u32 id);
void sim_process(struct sim *s, struct node *nd);
bool sim_step_event(struct sim *s, bool msgs_only);
void sim_fail(struct sim *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sim_trace(struct sim *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sim_check_node(struct sim *s, struct node *nd);
int sim_propose_write(struct sim *s, u32 id, u32 block, u64 value,
		      u64 *index, u64 *term);
enum { SIM_AIM_VOTE = 1, SIM_AIM_ACK, SIM_AIM_APPEND };
void sim_aimed_fault(struct sim *s, struct node *nd, u64 kind);
void sim_aim(struct sim *s, struct node *nd, u64 at, u64 kind);
void sim_pause(struct sim *s, u32 id, u64 until);
void sim_resume(struct sim *s, struct node *nd);
int sim_read(struct sim *s, u32 id, u32 block);
void sim_complete_disk(struct sim *s, u32 id);
void sim_complete_disk_one(struct sim *s, u32 id);
void sim_drop_msgs(struct sim *s, u32 from, u32 to, u32 mask);
bool sim_deliver_one(struct sim *s, u32 from, u32 to, u32 mask);
void sim_dup_msgs(struct sim *s, u32 from, u32 to, u32 mask);
void sim_fmt_msg(char *buf, size_t len, const struct raft_msg *m);
int sim_run_seed(u64 seed, u32 n, u64 steps, u32 faults, bool trace);
void sim_encode_payload(u8 *p, u32 block, u64 value, u64 op);
bool sim_decode_payload(const u8 *p, u32 len, u32 *block, u64 *value,
			u64 *op);
u64 sim_hash(const void *p, size_t len, u64 h);
void sim_set_durable(struct sim *s, u32 id, u64 term, u32 vote, u64 commit,
		     const u64 *terms, u64 n, const struct raft_conf *conf);

/* lin.c */
bool lin_check(struct sim *s, FILE *out);

/* script.c */
int script_run(const char *path, bool rewrite);

#endif
