/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rraft_events.h - uevents for orchestrators (rraft_events.c): a
 * KOBJ_CHANGE on the disk's device for every role, term, leader, disk
 * state, membership and peer connection change.  See
 * Documentation/design/kernel-glue.rst, "Events".
 */
#ifndef RRAFT_EVENTS_H
#define RRAFT_EVENTS_H

#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include "raft/raft.h"
#include "rraft_parse.h"

struct rraft_dev;

/* What an event reports about a device (and what the loop compares). */
struct rraft_ev_state {
	u32 role, leader;
	u64 term;
	u32 disk;		/* enum rraft_disk_state */
	u32 phase;		/* 0 stable, 1 pending, 2 joint */
	struct raft_conf conf;
	u32 n_peers;		/* peer connections: the work only */
	u32 peer_id[RR_MAX_PEERS];
	u32 peer_conn[RR_MAX_PEERS];
};

struct rraft_events {
	struct work_struct work;	/* on system_wq: sends the event */
	spinlock_t lock;		/* enabled */
	bool enabled;			/* between start and stop */
	struct rraft_ev_state seen;	/* loop's last state (dev->lock) */
	struct rraft_ev_state sent;	/* the work's last event */
	bool any_sent;
	struct raft_status st;		/* scratch, under dev->lock */
};

enum rraft_disk_state {
	RRAFT_DISK_UPTODATE,
	RRAFT_DISK_OUTDATED,
	RRAFT_DISK_INCONSISTENT,
	RRAFT_DISK_FAILED,	/* detached after an I/O error (rraft_diskfail.c) */
};

u32 rraft_disk_state(const struct rraft_dev *dev, const struct raft_status *st);
const char *rraft_disk_state_name(u32 disk);

void rraft_events_init(struct rraft_dev *dev);
void rraft_events_start(struct rraft_dev *dev);	/* the disk was added */
void rraft_events_stop(struct rraft_dev *dev);	/* before del_gendisk */
void rraft_events_check(struct rraft_dev *dev);	/* dev->lock held */
void rraft_events_kick(struct rraft_dev *dev);	/* any context */

#endif /* RRAFT_EVENTS_H */
