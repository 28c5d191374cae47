// SPDX-License-Identifier: GPL-2.0
/*
 * rraft_events.c - uevents for orchestrators: a KOBJ_CHANGE on the disk's
 * device with RRAFT_* properties on every role, term, leader, disk state,
 * membership and peer connection change.
 *
 * The loop compares the state after each pass with the last one it saw
 * (rraft_events_check, under dev->lock, no allocation) and queues the
 * device's event work on system_wq; the transport's peer up/down reports
 * queue it too.  The work takes dev->lock, snapshots the state, drops the
 * lock and sends the event when the snapshot differs from the last one
 * sent: events coalesce, and the last state is always reported.  Nothing
 * is queued before the disk was added or after rraft_events_stop, which
 * cancels the work before del_gendisk.  See
 * Documentation/design/kernel-glue.rst, "Events".
 */
#include <linux/kobject.h>
#include <linux/slab.h>
#include "rraft.h"

#define RR_EV_ENVS	11	/* RRAFT_* variables */
#define RR_EV_LEN	96
#define RR_EV_PEERS_LEN	(16 + RR_MAX_PEERS * 24)

static const char *const rr_disk_names[] = {
	[RRAFT_DISK_UPTODATE] = "UpToDate",
	[RRAFT_DISK_OUTDATED] = "Outdated",
	[RRAFT_DISK_INCONSISTENT] = "Inconsistent",
	[RRAFT_DISK_FAILED] = "Failed",
};

static const char *const rr_phase_names[] = { "stable", "pending", "joint" };

static const char *const rr_ev_conn_names[] = {
	[RRAFT_PEER_DISCONNECTED] = "disconnected",
	[RRAFT_PEER_CONNECTING] = "connecting",
	[RRAFT_PEER_HANDSHAKE] = "handshake",
	[RRAFT_PEER_CONNECTED] = "connected",
};

/* The disk state the disk_state attribute and the events report. */
u32 rraft_disk_state(const struct rraft_dev *dev, const struct raft_status *st)
{
	if (READ_ONCE(dev->failed))
		return RRAFT_DISK_FAILED;
	if (st->inconsistent || READ_ONCE(dev->inconsistent))
		return RRAFT_DISK_INCONSISTENT;
	if (st->role != RAFT_LEADER && st->leader == RAFT_NONE)
		return RRAFT_DISK_OUTDATED;
	return RRAFT_DISK_UPTODATE;
}

const char *rraft_disk_state_name(u32 disk)
{
	return disk < ARRAY_SIZE(rr_disk_names) ? rr_disk_names[disk] : "?";
}

/* The core's part of the state; dev->lock held. */
static void rr_ev_take(struct rraft_dev *dev, struct rraft_ev_state *s)
{
	struct raft_status *st = &dev->ev.st;

	raft_get_status(dev->raft, st);
	s->role = st->role;
	s->leader = st->leader;
	s->term = st->term;
	s->disk = rraft_disk_state(dev, st);
	s->phase = st->conf.n_voters_old ? 2 : st->conf_pending ? 1 : 0;
	s->conf = st->conf;
}

static bool rr_ev_ids_differ(const u32 *a, u8 na, const u32 *b, u8 nb)
{
	return na != nb || memcmp(a, b, na * sizeof(*a));
}

static bool rr_ev_conf_differs(const struct rraft_ev_state *a,
			       const struct rraft_ev_state *b)
{
	return a->phase != b->phase ||
	       rr_ev_ids_differ(a->conf.voters, a->conf.n_voters,
				b->conf.voters, b->conf.n_voters) ||
	       rr_ev_ids_differ(a->conf.voters_old, a->conf.n_voters_old,
				b->conf.voters_old, b->conf.n_voters_old) ||
	       rr_ev_ids_differ(a->conf.learners, a->conf.n_learners,
				b->conf.learners, b->conf.n_learners);
}

static bool rr_ev_peers_differ(const struct rraft_ev_state *a,
			       const struct rraft_ev_state *b)
{
	return a->n_peers != b->n_peers ||
	       memcmp(a->peer_id, b->peer_id, a->n_peers * sizeof(u32)) ||
	       memcmp(a->peer_conn, b->peer_conn, a->n_peers * sizeof(u32));
}

/* The loop's comparison: everything but the peer connections. */
static bool rr_ev_core_differs(const struct rraft_ev_state *a,
			       const struct rraft_ev_state *b)
{
	return a->role != b->role || a->leader != b->leader ||
	       a->term != b->term || a->disk != b->disk ||
	       rr_ev_conf_differs(a, b);
}

void rraft_events_kick(struct rraft_dev *dev)
{
	unsigned long flags;

	spin_lock_irqsave(&dev->ev.lock, flags);
	if (dev->ev.enabled)
		schedule_work(&dev->ev.work);
	spin_unlock_irqrestore(&dev->ev.lock, flags);
}

void rraft_events_check(struct rraft_dev *dev)
{
	struct rraft_ev_state now;

	memset(&now, 0, sizeof(now));
	rr_ev_take(dev, &now);
	if (!rr_ev_core_differs(&now, &dev->ev.seen))
		return;
	dev->ev.seen = now;
	rraft_events_kick(dev);
}

/* "name=1,2,3" into buf (RR_EV_LEN bytes). */
static void rr_ev_ids(char *buf, const char *name, const u32 *ids, u8 n)
{
	int at = scnprintf(buf, RR_EV_LEN, "%s=", name);
	u8 i;

	for (i = 0; i < n; i++)
		at += scnprintf(buf + at, RR_EV_LEN - at, "%s%u", i ? "," : "",
				ids[i]);
}

static void rr_ev_peers(char *buf, const struct rraft_ev_state *s)
{
	int at = scnprintf(buf, RR_EV_PEERS_LEN, "RRAFT_PEERS=");
	u32 i;

	for (i = 0; i < s->n_peers; i++)
		at += scnprintf(buf + at, RR_EV_PEERS_LEN - at, "%s%u:%s",
				i ? "," : "", s->peer_id[i],
				s->peer_conn[i] < ARRAY_SIZE(rr_ev_conn_names) ?
				rr_ev_conn_names[s->peer_conn[i]] : "unknown");
}

/* RRAFT_EVENT: what changed since the last event (all of it at first). */
static void rr_ev_what(struct rraft_dev *dev, char *buf,
		       const struct rraft_ev_state *s)
{
	const struct rraft_ev_state *o = &dev->ev.sent;
	bool all = !dev->ev.any_sent;
	int at = scnprintf(buf, RR_EV_LEN, "RRAFT_EVENT=");
	const char *sep = "";

#define RR_EV_WHAT(cond, name)						\
	do {								\
		if (all || (cond)) {					\
			at += scnprintf(buf + at, RR_EV_LEN - at, "%s%s", \
					sep, name);			\
			sep = ",";					\
		}							\
	} while (0)
	RR_EV_WHAT(s->role != o->role, "role");
	RR_EV_WHAT(s->term != o->term, "term");
	RR_EV_WHAT(s->leader != o->leader, "leader");
	RR_EV_WHAT(s->disk != o->disk, "disk");
	RR_EV_WHAT(rr_ev_conf_differs(s, o), "conf");
	RR_EV_WHAT(rr_ev_peers_differ(s, o), "peer");
#undef RR_EV_WHAT
}

/* The environment of one event. */
struct rr_ev_env {
	char *env[RR_EV_ENVS + 1];
	char var[RR_EV_ENVS - 1][RR_EV_LEN];
	char peers[RR_EV_PEERS_LEN];
};

/* Build the environment and send it; false when it was not sent. */
static bool rr_ev_send(struct rraft_dev *dev, const struct rraft_ev_state *s)
{
	struct rr_ev_env *e;
	int i;
	bool ok;

	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return false;
	for (i = 0; i < RR_EV_ENVS - 1; i++)
		e->env[i] = e->var[i];
	e->env[RR_EV_ENVS - 1] = e->peers;
	e->env[RR_EV_ENVS] = NULL;
	rr_ev_what(dev, e->var[0], s);
	scnprintf(e->var[1], RR_EV_LEN, "RRAFT_NODE_ID=%u", dev->cfg.node_id);
	scnprintf(e->var[2], RR_EV_LEN, "RRAFT_ROLE=%s", raft_role_name(s->role));
	scnprintf(e->var[3], RR_EV_LEN, "RRAFT_TERM=%llu", s->term);
	scnprintf(e->var[4], RR_EV_LEN, "RRAFT_LEADER=%u", s->leader);
	scnprintf(e->var[5], RR_EV_LEN, "RRAFT_DISK=%s",
		  rraft_disk_state_name(s->disk));
	scnprintf(e->var[6], RR_EV_LEN, "RRAFT_CONF=%s",
		  rr_phase_names[s->phase]);
	rr_ev_ids(e->var[7], "RRAFT_VOTERS", s->conf.voters, s->conf.n_voters);
	rr_ev_ids(e->var[8], "RRAFT_VOTERS_OLD", s->conf.voters_old,
		  s->conf.n_voters_old);
	rr_ev_ids(e->var[9], "RRAFT_LEARNERS", s->conf.learners,
		  s->conf.n_learners);
	rr_ev_peers(e->peers, s);
	ok = !kobject_uevent_env(&disk_to_dev(dev->disk)->kobj, KOBJ_CHANGE,
				 e->env);
	kfree(e);
	return ok;
}

static void rr_ev_work_fn(struct work_struct *w)
{
	struct rraft_dev *dev = container_of(w, struct rraft_dev, ev.work);
	struct rraft_net_peer_stats ns;
	struct rraft_ev_state *s;
	u32 i;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return;
	mutex_lock(&dev->lock);
	rr_ev_take(dev, s);
	for (i = 0; i < dev->n_peers; i++) {
		memset(&ns, 0, sizeof(ns));
		if (dev->net)
			rraft_net_peer_stats(dev->net, dev->peers[i].id, &ns);
		s->peer_id[i] = dev->peers[i].id;
		s->peer_conn[i] = ns.conn;
	}
	s->n_peers = dev->n_peers;
	mutex_unlock(&dev->lock);
	if (dev->ev.any_sent && !rr_ev_core_differs(s, &dev->ev.sent) &&
	    !rr_ev_peers_differ(s, &dev->ev.sent))
		goto out;
	if (rr_ev_send(dev, s)) {
		dev->ev.sent = *s;
		dev->ev.any_sent = true;
	}
out:
	kfree(s);
}

void rraft_events_init(struct rraft_dev *dev)
{
	INIT_WORK(&dev->ev.work, rr_ev_work_fn);
	spin_lock_init(&dev->ev.lock);
}

void rraft_events_start(struct rraft_dev *dev)
{
	unsigned long flags;

	spin_lock_irqsave(&dev->ev.lock, flags);
	dev->ev.enabled = true;
	schedule_work(&dev->ev.work);
	spin_unlock_irqrestore(&dev->ev.lock, flags);
}

void rraft_events_stop(struct rraft_dev *dev)
{
	unsigned long flags;

	spin_lock_irqsave(&dev->ev.lock, flags);
	dev->ev.enabled = false;
	spin_unlock_irqrestore(&dev->ev.lock, flags);
	cancel_work_sync(&dev->ev.work);
}
