/* SPDX-License-Identifier: GPL-2.0 */
/*
 * model.h - a userspace model of rraft's log ring on a simulated disk that
 * can lose power: the appender and replay are kmod/rraft_ring.c itself, the
 * I/O around them follows kmod/rraft_store.c (FUA ring writes, completion
 * before acknowledgement, synchronous FUA state-slot writes).
 */
#ifndef RRAFT_REPLAY_MODEL_H
#define RRAFT_REPLAY_MODEL_H

#include <stdio.h>
#include "rraft_ring.h"

/* Randomness: a seeded generator, or the bytes of a fuzzer input. */
struct rng {
	u64 s;
	const u8 *data;
	size_t len, pos;
};

void rng_seed(struct rng *g, u64 seed);
void rng_bytes(struct rng *g, const u8 *data, size_t len);
u64 rng_next(struct rng *g);
/* uniform in [lo, hi] */
u64 rng_range(struct rng *g, u64 lo, u64 hi);

/* What the model expects of one log entry. */
struct xent {
	u64 term;
	u32 len;
	u32 sum;		/* crc32c of the data */
};

/* A log: v[i] describes index i, 1 <= i <= last. */
struct xlog {
	struct xent *v;
	u64 last, cap;
};

/* A write started but not yet known to be on stable storage. */
struct pending {
	u64 off, len;		/* device bytes */
	u8 *data;
};

/* The simulated disk: state slots A, B, then the ring. */
struct simdisk {
	u64 ring_bytes;
	u8 *durable;		/* what survives a power cut for sure */
	struct pending *pend;
	u32 n_pend, cap_pend;
};

#define DISK_RING_OFF	(2 * RR_BLOCK_SIZE)

/* Appends in flight at most (kmod: RRAFT_APPEND_UNITS). */
#define MODEL_APPENDS	4

/* A record written but not yet acknowledged: the log after it is known. */
struct xrec {
	u64 first;
	u32 n;
	struct xent *e;
};

struct model {
	struct simdisk disk;
	u8 uuid[RR_UUID_LEN];
	struct rr_state st;
	int slot;
	struct rraft_ring ring;
	u8 *buf;
	u64 buf_size;
	u64 commit;		/* entries up to it are never overwritten */
	struct xlog acked;	/* the log once every acknowledged record is in */
	struct xrec *inflight;	/* records of the appends in flight */
	u32 n_inflight;
	/* appends in flight, oldest first: their pending writes and records */
	u32 app_pend[MODEL_APPENDS], app_recs[MODEL_APPENDS], n_apps;
	u64 salt;		/* makes entry payloads of different runs differ */
	struct rraft_replay rp;	/* what model_boot() replayed, until checked */
	/* counters */
	u64 images, replays, acked_records;
};

/* Format a disk of ring_bytes and open a model on it. */
int model_format(struct model *m, u64 ring_bytes, u64 salt);
/* Free everything a model holds. */
void model_free(struct model *m);

/*
 * Crash images: the durable contents plus, for each block of a pending
 * write, whether it landed.  mask: one byte per pending block, 0 not
 * landed, 1 landed, 2..8 only its first 1..7 sectors landed (torn).
 */
u32 model_pending_blocks(const struct model *m);
u8 *model_image(const struct model *m, const u8 *mask);

/*
 * Boot a new model nm from a crash image of m (nm takes img): replay it.
 * Returns 0, or the error replay returned (*why: its reason).
 */
int model_boot(struct model *nm, const struct model *m, u8 *img,
	       const char **why);

/* Workload steps */
int model_set_term(struct model *m, u64 term);
/*
 * Start appending n (1..8) entries from index first (commit < first <=
 * last + 1, last including the appends in flight) in the current term,
 * each len bytes (~0u: random), behind the appends already in flight.
 * 0, -EINVAL, -EBUSY (MODEL_APPENDS in flight), -ENOSPC (the ring is full
 * of uncommitted entries).
 */
int model_append_start(struct model *m, u64 first, u32 n, u32 len,
		       struct rng *g);
/* Every write in flight completed: all the records are acknowledged. */
void model_append_done(struct model *m);
/*
 * The oldest append's writes completed (later ones may have landed in
 * part): its records are acknowledged, as the kernel retires units.
 */
void model_append_done_oldest(struct model *m);
/* The last index of the log once every append in flight is in. */
u64 model_mem_last(const struct model *m);
int model_checkpoint(struct model *m, u64 applied);
/*
 * One random step: term change, commit and checkpoint, or an append (left
 * in flight behind those already in flight: returns 1), possibly
 * overwriting the uncommitted suffix, in flight or acknowledged.
 */
int model_step(struct model *m, struct rng *g);

/*
 * Check a booted model nm against m's history: the log nm replayed must
 * be m's acknowledged log followed by a prefix of the records in flight
 * (none lost, nothing after a gap).  0 (nm can continue) or -1 with a
 * message in why (static buffer).
 */
int model_check(const struct model *m, struct model *nm, const char **why);

/*
 * Boot crash image i of the writes in flight in m into nm and check it:
 * i = 0 nothing landed, 1 everything, 2 + w the writes before w and the
 * first block (header) of write w, later i random blocks.  0, or -1 after
 * printing what failed to log.  Free nm with model_free() in every case.
 */
int model_crash_boot(struct model *m, u32 i, struct rng *g, struct model *nm,
		     FILE *log, const char *run);
/* Test helpers: write durably to the ring, bypassing the appender. */
void model_raw_write(struct model *m, u64 phys, const void *buf, u64 len);

/*
 * A random workload of steps appends on a ring of ring_bytes; at every
 * append, crash images (nothing, everything, each record's header alone,
 * random subsets of the blocks in flight) are booted and checked, and from
 * some of them a second run appends more and crashes again.  0, or -1
 * after printing what failed to log.
 */
int model_campaign(struct rng *g, u64 ring_bytes, int steps, FILE *log);

#endif
