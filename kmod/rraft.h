/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rraft.h - rraft's kernel glue: the device (configuration and runtime
 * state), its storage and the interfaces between the glue's files.
 *
 * Locking (see Documentation/design/kernel-glue.rst):
 *  - rr_ctl_mutex (rraft_main.c): the device table, format/create/remove.
 *  - dev->lock (mutex): every raft_* call, the store, the request lists
 *    owned by the event loop, the peer table.  Taken by the event loop work
 *    and by the per-device sysfs attributes, never from atomic context.
 *  - dev->in_lock (spinlock): the input queues filled by queue_rq, the
 *    transport's deliver callback and peer_state, drained by the work.
 */
#ifndef RRAFT_H
#define RRAFT_H

#include <linux/blkdev.h>
#include <linux/blk-mq.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/timer.h>
#include <linux/completion.h>
#include "raft/raft.h"
#include "rraft_net.h"
#include "rraft_ring.h"
#include "rraft_parse.h"
#include "rraft_compat.h"
#include "rraft_wmap.h"
#include "rraft_events.h"

#define RRAFT_NAME		"rraft"
#define RRAFT_TICK_MS		50
#define RRAFT_ELECTION_TICKS	40		/* 2 s: tolerant of starved VMs */
#define RRAFT_PROMOTE_SECS	10		/* promote keeps asking new leaders */
#define RRAFT_HEARTBEAT_TICKS	2
#define RRAFT_LEASE_DRIFT_TICKS	4
#define RRAFT_MAX_IO_BYTES	(128u << 10)	/* largest request */
#define RRAFT_MAX_ZERO_BYTES	(1024ull << 20)	/* largest discard/write-zeroes */
#define RRAFT_QUEUE_DEPTH	128
#define RRAFT_DEFAULT_IO_TIMEOUT 30		/* seconds */
#define RRAFT_DEFAULT_SYNC_RATE	102400		/* KiB/s */
#define RRAFT_SNAP_CHUNK	(256u << 10)
#define RRAFT_SNAP_PER_PASS	4		/* chunks read per loop pass */
#define RRAFT_MAX_INMSG_BYTES	(64u << 20)	/* receive queue bound */
#define RRAFT_SNAP_HDR		8		/* chunk: u64 data offset */

/* ---- storage: rraft_store.c ---- */

/*
 * Waits for a set of bios; kick (if set) is called, in atomic context,
 * when the last one completes, before done is completed.
 */
struct rraft_iowait {
	atomic_t pending;
	int error;
	struct completion done;
	void (*kick)(void *ctx);
	void *kick_ctx;
};

/*
 * One log append in flight: its records' buffer and the bios writing it
 * (w counts them plus one while the append is built; the last completion
 * kicks the loop through store->kick).
 */
struct rraft_append_unit {
	struct rraft_store *s;
	struct rraft_iowait w;
	u8 *buf;		/* the records (vmalloc), reused */
	size_t buf_size;
	u64 last_index, last_term;	/* the last entry it writes */
};

#define RRAFT_APPEND_UNITS	4	/* log appends in flight at most */

struct rraft_store {
	struct rraft_bdev_handle bh;
	struct block_device *bdev;
	char path[RR_PATH_MAX];
	struct rr_sb sb;
	struct rr_state st;	/* the state last written (or read) */
	int slot;		/* slot holding st */
	u64 ring_bytes;		/* the log ring's size (= ring.bytes) */
	struct rraft_ring ring;	/* placement and records: rraft_ring.c */
	u64 last_index;		/* last index written to the ring */
	u8 *blk;		/* one block of scratch (sb/state I/O) */
	/* appends in flight, oldest first: units[u_first], ... (u_n) */
	struct rraft_append_unit units[RRAFT_APPEND_UNITS];
	u32 u_first, u_n;
	void (*kick)(void *ctx);	/* an append completed (atomic context) */
	void *kick_ctx;
};

int rraft_store_format(const struct rr_format_args *a);
/* Open, validate sb and state (one dmesg line on -EUCLEAN). */
int rraft_store_open(struct rraft_store *s, const char *path, void *holder);
void rraft_store_close(struct rraft_store *s);
/* Replay the log ring into boot (entries allocated; free with _boot_free). */
int rraft_store_load(struct rraft_store *s, struct raft_boot *boot);
void rraft_store_boot_free(struct raft_boot *boot);
/*
 * Write nst (its seq set to s->st.seq + 1) to the older slot with FUA,
 * synchronously; on success it becomes s->st.
 */
int rraft_store_write_state(struct rraft_store *s, struct rr_state *nst);
/* Ring space a batch needs, and what is free. */
u64 rraft_store_batch_bytes(const struct raft_entry *ents, u32 n);
u64 rraft_store_used(const struct rraft_store *s);
/*
 * Start writing entries (FUA) as a new append unit, without waiting:
 * 0, -ENOSPC (ring full), -ENOMEM, -EBUSY (RRAFT_APPEND_UNITS in flight).
 * After -ENOMEM the records before the failure are in flight.
 */
int rraft_store_append(struct rraft_store *s, const struct raft_entry *ents,
		       u32 n);
static inline bool rraft_store_append_full(const struct rraft_store *s)
{
	return s->u_n == RRAFT_APPEND_UNITS;
}

/*
 * Retire the oldest append unit if its writes completed (wait: sleep until
 * they did): 1 with its last entry in *index, *term; 0 if none is in
 * flight (or, without wait, the oldest is not done); the write's error if
 * it failed.  Units retire in the order they started, so what they report
 * is always a contiguous durable prefix of the ring.
 */
int rraft_store_append_retire(struct rraft_store *s, bool wait, u64 *index,
			      u64 *term);
/* Wait for every append in flight, forgetting their results. */
void rraft_store_append_wait_all(struct rraft_store *s);
/* Forget records no longer needed once the checkpoint covers index. */
void rraft_store_compact(struct rraft_store *s, u64 index, u64 *head,
			 u64 *head_seq);
void rraft_store_drop_before(struct rraft_store *s, u64 head);
/* Discard the whole ring (after installing a snapshot). */
void rraft_store_reset_ring(struct rraft_store *s, u64 *head, u64 *head_seq);
/* Data area I/O. */
void rraft_iowait_init(struct rraft_iowait *w);
int rraft_iowait_wait(struct rraft_iowait *w);
int rraft_store_data_write(struct rraft_store *s, u64 offset, const u8 *data,
			   u32 len, struct rraft_iowait *w);
/* Bios (not submitted) writing a copy of data at offset, onto bl. */
void rraft_store_data_bios(struct rraft_store *s, u64 offset, const u8 *data,
			   u32 len, bio_end_io_t *end, void *priv,
			   struct bio_list *bl);
/* Free the pages of a bio made by rraft_store_data_bios. */
void rraft_bio_free_pages(struct bio *bio);
int rraft_store_data_read_sync(struct rraft_store *s, u64 offset, u8 *buf,
			       u32 len);
int rraft_store_flush(struct rraft_store *s);
static inline u64 rraft_store_data_bytes(const struct rraft_store *s)
{
	return s->sb.data_blocks << RR_BLOCK_SHIFT;
}

/* ---- the device ---- */

struct rraft_peer {
	u32 id;
	struct sockaddr_in addr;
	bool up;
	bool down_reported;	/* connection lost: tell the core */
};

/* Per-request driver data (blk-mq pdu). */
struct rraft_cmd {
	struct list_head node;
	struct rraft_dev *dev;
	u64 index, term;	/* write: the proposal */
	u64 read_ctx;		/* read: the ReadIndex context */
	u64 read_index;		/* read: serve once applied >= this */
	bool read_ready;
	unsigned long wait_start; /* jiffies: started waiting for leadership */
	atomic_t bios;		/* read: backing bios in flight */
	blk_status_t status;
};

struct rraft_inmsg {
	struct list_head node;
	size_t bytes;
	u64 at_ns;		/* arrival (boottime): ticks up to it go first */
	struct raft_msg m;	/* entries and data follow in the same buffer */
};

/*
 * Configuration of a device (as null_blk's nullb_device): what create was
 * given and the superblock says, and the sysfs tunables.  Fixed after
 * create except the tunables (io_timeout, sync_rate: READ_ONCE/WRITE_ONCE)
 * and the secret (dev->lock).
 */
struct rraft_dev_config {
	u32 node_id;
	u64 cluster_id;
	struct sockaddr_in listen;
	bool has_listen;
	u8 secret[RR_SECRET_MAX];
	u32 secret_len;
	unsigned int io_timeout;	/* seconds */
	unsigned int sync_rate;		/* KiB/s, 0 = unlimited */
	struct raft_config raft;	/* the core's */
};

/* Catch-up copies (rraft_catchup.c), under dev->lock. */
struct rraft_catchup {
	/* leader: chunk requests, answered at sync_rate */
	struct raft_snap_send q[RR_MAX_PEERS];
	u32 n_q;
	s64 budget;		/* bytes sync_rate still allows */
	/* follower: sync_progress while installing */
	u64 done, left;
};

/*
 * Committed entries waiting to be written to the data area (rraft_apply.c),
 * under dev->lock; pending and error are also touched by bio completions.
 */
struct rraft_applyq {
	struct list_head queue;		/* committed, not yet submitted */
	struct list_head inflight;	/* the batch being written */
	u64 bytes;			/* block data in queue */
	bool busy;			/* a batch is in flight */
	atomic_t pending;		/* its bios (+1 while submitting) */
	int error;
	struct completion done;		/* once per batch */
};

/* The runtime state of a device (as null_blk's nullb). */
struct rraft_dev {
	unsigned int minor;
	struct rraft_dev_config cfg;
	struct mutex lock;		/* raft_*, store, loop-owned lists */
	struct raft *raft;
	struct rraft_net *net;
	struct rraft_store store;

	/* block layer */
	struct blk_mq_tag_set tag_set;
	struct gendisk *disk;
	bool removing;		/* under disk->open_mutex */
	bool dying;		/* no new requests */
	bool failed;		/* disk failed: detached, all I/O gets EIO */
	int read_err;		/* a data-area read failed (any context) */
	bool handover_pending;	/* failed: a leader's handover to start */
	u64 handover_until;	/* failed leader: boottime ns, 0 when done */
	/* auto-promote: under disk->open_mutex */
	unsigned int n_open;	/* successful opens not yet released */
	unsigned int n_write;	/* of which for write */

	/* event loop inputs (in_lock) */
	struct workqueue_struct *wq;
	struct work_struct work;
	struct timer_list tick_timer;	/* kicks the loop; time is clock_ns */
	u64 clock_ns;		/* boottime the core's ticks reach (lock) */
	spinlock_t in_lock;		/* the input queues below */
	struct list_head in_reqs;
	struct list_head in_msgs;
	size_t in_msg_bytes;
	bool checkpoint_req;

	/* owned by the loop (lock) */
	struct list_head wait_leader;	/* requests not yet proposed/read */
	struct list_head proposed;	/* writes waiting for commit+apply */
	struct list_head reading;	/* reads waiting for index/apply */
	u64 next_read_ctx;
	u64 applied, applied_term;	/* written to the data area */
	struct raft_conf applied_conf;
	u64 committed;			/* last committed index handed out */
	struct rraft_applyq applyq;	/* committed, being applied */
	u64 hs_commit;			/* commit index, persisted lazily */
	u32 role;
	u32 writer;			/* applied writer claim: node id or 0 */
	struct rr_idents idents;	/* applied member identities */
	u64 ident_index;		/* leader: our last identity proposal */
	u64 ident_term;			/* and its term */
	bool inconsistent;
	/*
	 * Write map (rraft_wmap.h): catch-up copies send only regions written
	 * after the follower's applied index.
	 */
	struct rraft_wmap wmap;
	struct rraft_catchup catchup;

	/* membership (rraft_member.c), under lock */
	struct rraft_peer peers[RR_MAX_PEERS];	/* and in_lock to change */
	u32 n_peers;
	/* promote: asking each new leader for a transfer until this time */
	bool promote_pending;
	unsigned long promote_until;	/* jiffies */
	u32 promote_lead;		/* the leader last asked */
	u32 pending_replace_old;	/* replace: old id waiting for catch-up */
	u32 pending_replace_new;

	/* uevents (rraft_events.c) */
	struct rraft_events ev;

	/* statistics */
	u64 stat_checkpoints;
};

/* rraft_dev.c: device life cycle */
int rraft_dev_create(const struct rr_create_args *a, struct rraft_dev **devp);
void rraft_dev_destroy(struct rraft_dev *dev);
void rraft_addr_to_sin(const struct rr_addr *a, struct sockaddr_in *sin);

/* rraft_diskfail.c: a failed backing disk (detach, hand over, EIO) */
void rraft_dev_disk_failed(struct rraft_dev *dev, const char *what, int err);
void rraft_dev_read_failed(struct rraft_dev *dev, int err);	/* any context */
void rraft_diskfail_pass(struct rraft_dev *dev);
bool rraft_diskfail_may_step(struct rraft_dev *dev, const struct raft_msg *m);
bool rraft_diskfail_may_tick(struct rraft_dev *dev);

/* rraft_loop.c: the event loop */
extern const struct rraft_net_ops rraft_loop_net_ops;
void rraft_loop_init(struct rraft_dev *dev);
void rraft_loop_start(struct rraft_dev *dev);
void rraft_kick(struct rraft_dev *dev);
int rraft_checkpoint(struct rraft_dev *dev);		/* dev->lock held */

/* rraft_apply.c: asynchronous apply; dev->lock held */
#define RRAFT_APPLY_MAX_BYTES	(16u << 20)	/* queued: stop proposing */
void rraft_apply_init(struct rraft_dev *dev);
int rraft_apply_queue(struct rraft_dev *dev, const struct raft_entry *ents,
		      u32 n);
bool rraft_apply_poll(struct rraft_dev *dev);
int rraft_apply_drain(struct rraft_dev *dev);
void rraft_apply_discard(struct rraft_dev *dev);

/* rraft_catchup.c: catch-up data; dev->lock held */
void rraft_catchup_queue(struct rraft_dev *dev, const struct raft_snap_send *ss);
void rraft_catchup_pump(struct rraft_dev *dev, int ticks);
bool rraft_catchup_pending(const struct rraft_dev *dev);
void rraft_catchup_progress(struct rraft_dev *dev, u64 done);
int rraft_catchup_install(struct rraft_dev *dev,
			  const struct raft_snap_install *si);
int rraft_catchup_installed(struct rraft_dev *dev,
			    const struct raft_snap_meta *snap);

/* rraft_member.c: membership policy; dev->lock held */
int rraft_member_add_peer(struct rraft_dev *dev, const struct rr_peer_arg *p);
int rraft_member_add_learner(struct rraft_dev *dev, const struct rr_peer_arg *p);
int rraft_member_promote_voter(struct rraft_dev *dev, u32 id);
int rraft_member_remove(struct rraft_dev *dev, u32 id);
int rraft_member_replace(struct rraft_dev *dev, u32 old,
			 const struct rr_peer_arg *p);
void rraft_member_replace_step(struct rraft_dev *dev);
void rraft_member_ident_step(struct rraft_dev *dev);
int rraft_member_idents_apply(struct rraft_dev *dev, const u8 *data, u32 n);
void rraft_member_idents_prune(struct rraft_dev *dev,
			       const struct raft_conf *conf);
int rraft_promote(struct rraft_dev *dev);
void rraft_promote_step(struct rraft_dev *dev);

/* rraft_blk.c */
int rraft_blk_init(struct rraft_dev *dev);
void rraft_blk_exit(struct rraft_dev *dev);
void rraft_blk_fail_all(struct rraft_dev *dev);		/* dev->lock held */
void rraft_blk_admit(struct rraft_dev *dev);		/* dev->lock held */
void rraft_blk_submit(struct rraft_dev *dev);		/* dev->lock held */
void rraft_blk_committed(struct rraft_dev *dev, const struct raft_entry *ents,
			 u32 n);			/* dev->lock held */
void rraft_blk_reads(struct rraft_dev *dev, const struct raft_read_state *rs,
		     u32 n);				/* dev->lock held */
void rraft_blk_serve_reads(struct rraft_dev *dev);	/* dev->lock held */
void rraft_blk_check(struct rraft_dev *dev);		/* dev->lock held */
extern const struct block_device_operations rraft_fops;

/* rraft_sysfs.c */
extern const struct attribute_group *rraft_disk_groups[];

/* rraft_main.c */
extern int rraft_major;

#define rr_dev_warn(dev, fmt, ...) \
	pr_warn("rraft%u: " fmt "\n", (dev)->minor, ##__VA_ARGS__)
#define rr_dev_info(dev, fmt, ...) \
	pr_info("rraft%u: " fmt "\n", (dev)->minor, ##__VA_ARGS__)
#define rr_dev_err(dev, fmt, ...) \
	pr_err("rraft%u: " fmt "\n", (dev)->minor, ##__VA_ARGS__)

#endif /* RRAFT_H */
