/* SPDX-License-Identifier: GPL-2.0 */
/*
 * harness.h - a tiny in-memory cluster for the Raft core unit tests.
 *
 * Separate from the simulator on purpose: deterministic, explicit control of
 * every message, persistence and tick, so tests can build exact scenarios
 * (Figure 8, fast backup, ABA races).  Every node checks the state machine
 * safety property on apply: all nodes apply the same entry at an index.
 */
#ifndef RRAFT_UNIT_HARNESS_H
#define RRAFT_UNIT_HARNESS_H

#include <stdio.h>
#include "../../kmod/raft/raft.h"

#define H_MAX_NODES	10
#define H_MAX_MSGS	200000
#define H_LOG_MAX	20000

struct h_ent {
	u64 term;
	u32 type;
	u32 len;
	u8 data[128];
};

struct h_node {
	u32 id;
	struct raft *r;
	bool up;
	/* stable storage */
	struct raft_hard_state hs;
	struct raft_snap_meta snap;
	u64 snap_hash;		/* state machine hash at snap.index */
	struct h_ent *log;	/* index i at log[i], i > snap.index */
	u64 last;		/* stable last index */
	/* persistence control */
	bool manual_persist;	/* tests call h_persist themselves */
	u64 pend_index, pend_term;
	/* state machine: running hash of applied entries */
	u64 applied;
	u64 hash;
	u64 *hash_at;		/* hash after applying index i */
	u64 n_applied_normal;
	/* snapshot install scratch */
	u8 inst[16];
	bool inconsistent_boot;
	/* reads served */
	u64 read_ctx[64];
	u64 read_idx[64];
	u32 n_reads;
	/* outbox of snap sends to serve */
	bool auto_snap;
	struct raft_snap_send ss[16];
	u32 n_ss;
	u32 n_installs;
	u32 n_snap_installed;
	/* durable progress of an unfinished snapshot install (for restart) */
	bool inst_pending;
	struct raft_snap_meta inst_meta;
	u64 inst_off;
	u64 inst_base;
};

struct h_msg {
	struct raft_msg m;
	struct raft_entry ents[64];
	u8 *blob;	/* entry payloads and snapshot data */
};

struct h_cluster {
	u32 n;
	struct h_node nodes[H_MAX_NODES];
	struct raft_config cfg;
	struct h_msg *q;
	u32 qn;
	bool cut[H_MAX_NODES][H_MAX_NODES];	/* cut[a][b]: a -> b dropped */
	/* global committed record for safety checks */
	u64 *g_term;
	u64 *g_hash;
	u32 violations;
	u64 hs_votes_sent_before_persist;	/* contract checks */
};

void h_init(struct h_cluster *c, u32 n, const struct raft_config *cfg);
void h_init_conf(struct h_cluster *c, u32 n, const struct raft_config *cfg,
		 const struct raft_conf *conf);
void h_free(struct h_cluster *c);
struct h_node *h_node(struct h_cluster *c, u32 id);
void h_process(struct h_cluster *c, u32 id);
void h_process_all(struct h_cluster *c);
/* deliver queued messages (and process) until quiet or max rounds */
void h_stabilize(struct h_cluster *c);
u32 h_deliver_one(struct h_cluster *c);
void h_tick(struct h_cluster *c, u32 id);
void h_tick_all(struct h_cluster *c, u32 n);
u32 h_leader(struct h_cluster *c);
u32 h_elect(struct h_cluster *c, u32 id);
void h_persist(struct h_cluster *c, u32 id);
void h_crash(struct h_cluster *c, u32 id);
void h_restart(struct h_cluster *c, u32 id);
void h_isolate(struct h_cluster *c, u32 id, bool cut);
void h_drop_queue(struct h_cluster *c);
int h_propose(struct h_cluster *c, u32 id, const char *s);
void h_serve_snaps(struct h_cluster *c, u32 id);
u64 h_commit(struct h_cluster *c, u32 id);
struct raft_status *h_status(struct h_cluster *c, u32 id);
/* queue a raw message as if it were sent */
void h_inject(struct h_cluster *c, const struct raft_msg *m);
/* remove queued messages matching type (0: any) from a to b (0: any) */
u32 h_filter(struct h_cluster *c, u32 type, u32 from, u32 to);
u32 h_count(struct h_cluster *c, u32 type, u32 from, u32 to);

/* replace a node's stable log by entries of the given terms (1..n), restart */
void h_load(struct h_cluster *c, u32 id, const u64 *terms, u32 n, u64 hs_term);
/* deliver queued messages matching (type, from, to; 0 = any), in order */
u32 h_deliver_match(struct h_cluster *c, u32 type, u32 from, u32 to);
/* leader compacts its log at index */
int h_compact(struct h_cluster *c, u32 id, u64 index);

extern struct raft_config h_default_cfg;

#endif
