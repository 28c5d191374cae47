/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rtc_host.h - the host contract of the Raft core (the loop at the top of
 * kmod/raft/raft.h), written once for every test host: the shared
 * in-memory cluster (rtc_cluster.c: unit tests and KUnit) and the
 * simulator (tests/sim/sim.c).
 *
 * rtc_host_ready() takes one ready and hands its parts to the host's
 * callbacks in the contract's order: hard state (kept synchronously in
 * *hs), entries, messages, committed entries, reads, snapshot sends and
 * chunks, an installed snapshot; then raft_advance; then raft_persisted
 * and raft_snapshot_chunk_done for what the host made durable at once (a
 * host with a slow disk reports those later itself).  On the way it checks
 * what every host would: the term never goes back, a vote is never
 * changed within a term, no message carries a term (and no vote grant) that
 * is not durable, every message is from this node.
 *
 * Env-neutral: raft.h only.
 */
#ifndef RRAFT_RTC_HOST_H
#define RRAFT_RTC_HOST_H

#include "../../kmod/raft/raft.h"

struct rtc_host_ops {
	/* a contract violation: what, and two numbers for context */
	void (*fail)(void *h, const char *what, u64 a, u64 b);
	/* 1. after *hs was updated (rd->hs_changed) or not: trace, commit */
	void (*hard_state)(void *h, const struct raft_ready *rd);
	/* 2. entries to persist; true if durable now */
	bool (*entries)(void *h, const struct raft_entry *e, u32 n);
	/* 3. one message (copy what is kept) */
	void (*send)(void *h, const struct raft_msg *m);
	/* 4. one committed entry, in order */
	void (*apply)(void *h, const struct raft_entry *e);
	/* 5. one confirmed read */
	void (*read)(void *h, const struct raft_read_state *rs);
	/* 6. a snapshot chunk to produce (keep it, serve it in advanced) */
	void (*snap_send)(void *h, const struct raft_snap_send *ss);
	/* 6. a chunk to install; true if durable now */
	bool (*snap_chunk)(void *h, const struct raft_snap_install *si);
	/* 6. the snapshot is installed: the state machine is at snap */
	void (*snap_installed)(void *h, const struct raft_snap_meta *snap);
	/* after raft_advance (and the immediate completions) */
	void (*advanced)(void *h, bool snap_installed,
			 const struct raft_snap_meta *snap);
};

struct rtc_host {
	struct raft *r;
	u32 id;
	struct raft_hard_state *hs;	/* the host's durable hard state */
	const struct rtc_host_ops *ops;	/* NULL callbacks: nothing to do */
	void *h;			/* handed to every callback */
};

/* One ready, the whole contract: 0, or raft_ready's error (nothing done). */
int rtc_host_ready(const struct rtc_host *x);

/* Little-endian u64 in host payloads (snapshot data, entry payloads). */
static inline void rtc_put_le64(u8 *p, u64 v)
{
	u32 i;

	for (i = 0; i < 8; i++)
		p[i] = (u8)(v >> (8 * i));
}

static inline u64 rtc_get_le64(const u8 *p)
{
	u64 v = 0;
	u32 i;

	for (i = 0; i < 8; i++)
		v |= (u64)p[i] << (8 * i);
	return v;
}

#endif /* RRAFT_RTC_HOST_H */
