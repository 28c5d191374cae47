// SPDX-License-Identifier: GPL-2.0
/*
 * rraft_sysfs.c - /sys/block/rraftN/rraft/: state, tunables and cluster
 * control.  The contract is Documentation/ABI/testing/sysfs-block-rraft.
 *
 * Every attribute takes dev->lock (never the control mutex: remove holds
 * that while del_gendisk() drains these attributes).
 */
#include <linux/blkdev.h>
#include <linux/device.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include "rraft.h"

static struct rraft_dev *to_rdev(struct device *d)
{
	return dev_to_disk(d)->private_data;
}

/* Status snapshot under the device lock; kfree() the result. */
static struct raft_status *rr_status(struct rraft_dev *dev)
{
	struct raft_status *st = kmalloc(sizeof(*st), GFP_KERNEL);

	if (!st)
		return NULL;
	mutex_lock(&dev->lock);
	raft_get_status(dev->raft, st);
	mutex_unlock(&dev->lock);
	return st;
}

#define RR_STATUS_ATTR(name, fmt, expr)					\
static ssize_t name##_show(struct device *d, struct device_attribute *attr, \
			   char *buf)					\
{									\
	struct raft_status *st = rr_status(to_rdev(d));			\
	ssize_t ret;							\
									\
	if (!st)							\
		return -ENOMEM;						\
	ret = sysfs_emit(buf, fmt "\n", expr);				\
	kfree(st);							\
	return ret;							\
}									\
static DEVICE_ATTR_RO(name)

RR_STATUS_ATTR(role, "%s", raft_role_name(st->role));
RR_STATUS_ATTR(term, "%llu", st->term);
RR_STATUS_ATTR(vote, "%u", st->vote);
RR_STATUS_ATTR(leader, "%u", st->leader);
RR_STATUS_ATTR(commit_index, "%llu", st->commit);
RR_STATUS_ATTR(applied_index, "%llu", st->applied);
RR_STATUS_ATTR(persisted_index, "%llu", st->persisted);
RR_STATUS_ATTR(first_index, "%llu", st->first_index);
RR_STATUS_ATTR(last_index, "%llu", st->last_index);
RR_STATUS_ATTR(snap_index, "%llu", st->snap_index);
RR_STATUS_ATTR(snap_term, "%llu", st->snap_term);

static ssize_t node_id_show(struct device *d, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%u\n", to_rdev(d)->node_id);
}
static DEVICE_ATTR_RO(node_id);

static ssize_t writer_show(struct device *d, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_rdev(d)->writer));
}
static DEVICE_ATTR_RO(writer);

static ssize_t cluster_id_show(struct device *d, struct device_attribute *attr,
			       char *buf)
{
	return sysfs_emit(buf, "0x%llx\n", to_rdev(d)->cluster_id);
}
static DEVICE_ATTR_RO(cluster_id);

static ssize_t backing_show(struct device *d, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", to_rdev(d)->store.path);
}
static DEVICE_ATTR_RO(backing);

static ssize_t log_used_show(struct device *d, struct device_attribute *attr,
			     char *buf)
{
	struct rraft_dev *dev = to_rdev(d);
	u64 used;

	mutex_lock(&dev->lock);
	used = rraft_store_used(&dev->store);
	mutex_unlock(&dev->lock);
	return sysfs_emit(buf, "%llu\n", used);
}
static DEVICE_ATTR_RO(log_used);

static ssize_t log_capacity_show(struct device *d,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", to_rdev(d)->store.ring_bytes);
}
static DEVICE_ATTR_RO(log_capacity);

static int emit_ids(char *buf, int at, const char *name, const u32 *ids, u8 n)
{
	u8 i;

	at += sysfs_emit_at(buf, at, "%s=", name);
	for (i = 0; i < n; i++)
		at += sysfs_emit_at(buf, at, "%s%u", i ? "," : "", ids[i]);
	return at;
}

static ssize_t members_show(struct device *d, struct device_attribute *attr,
			    char *buf)
{
	struct raft_status *st = rr_status(to_rdev(d));
	int at = 0;

	if (!st)
		return -ENOMEM;
	at = emit_ids(buf, at, "voters", st->conf.voters, st->conf.n_voters);
	at += sysfs_emit_at(buf, at, " ");
	at = emit_ids(buf, at, "old", st->conf.voters_old,
		      st->conf.n_voters_old);
	at += sysfs_emit_at(buf, at, " ");
	at = emit_ids(buf, at, "learners", st->conf.learners,
		      st->conf.n_learners);
	at += sysfs_emit_at(buf, at, "\n");
	kfree(st);
	return at;
}
static DEVICE_ATTR_RO(members);

static ssize_t conf_phase_show(struct device *d, struct device_attribute *attr,
			       char *buf)
{
	struct raft_status *st = rr_status(to_rdev(d));
	const char *p;

	if (!st)
		return -ENOMEM;
	p = st->conf.n_voters_old ? "joint" :
	    st->conf_pending ? "pending" : "stable";
	kfree(st);
	return sysfs_emit(buf, "%s\n", p);
}
static DEVICE_ATTR_RO(conf_phase);

static ssize_t disk_state_show(struct device *d, struct device_attribute *attr,
			       char *buf)
{
	struct rraft_dev *dev = to_rdev(d);
	struct raft_status *st = rr_status(dev);
	const char *p;

	if (!st)
		return -ENOMEM;
	if (st->inconsistent || READ_ONCE(dev->inconsistent))
		p = "Inconsistent";
	else if (st->role != RAFT_LEADER && st->leader == RAFT_NONE)
		p = "Outdated";
	else
		p = "UpToDate";
	kfree(st);
	return sysfs_emit(buf, "%s\n", p);
}
static DEVICE_ATTR_RO(disk_state);

static ssize_t sync_progress_show(struct device *d,
				  struct device_attribute *attr, char *buf)
{
	struct rraft_dev *dev = to_rdev(d);
	u64 done = 0, left = 0;

	mutex_lock(&dev->lock);
	if (dev->inconsistent) {
		done = dev->snap_done;
		left = dev->snap_left;
	}
	mutex_unlock(&dev->lock);
	return sysfs_emit(buf, "done=%llu left=%llu\n", done, left);
}
static DEVICE_ATTR_RO(sync_progress);

static const char *const conn_names[] = {
	[RRAFT_PEER_DISCONNECTED] = "disconnected",
	[RRAFT_PEER_CONNECTING] = "connecting",
	[RRAFT_PEER_HANDSHAKE] = "handshake",
	[RRAFT_PEER_CONNECTED] = "connected",
};

static const char *const progress_names[] = { "probe", "replicate", "snapshot" };

static ssize_t peers_show(struct device *d, struct device_attribute *attr,
			  char *buf)
{
	struct rraft_dev *dev = to_rdev(d);
	struct rraft_net_peer_stats ns;
	struct raft_status *st;
	int at = 0;
	u32 i, j;

	st = kmalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	mutex_lock(&dev->lock);
	raft_get_status(dev->raft, st);
	for (i = 0; i < dev->n_peers; i++) {
		const struct rraft_peer *p = &dev->peers[i];
		const struct raft_peer_status *ps = NULL;

		memset(&ns, 0, sizeof(ns));
		if (dev->net)
			rraft_net_peer_stats(dev->net, p->id, &ns);
		for (j = 0; j < st->n_peers; j++)
			if (st->peers[j].id == p->id)
				ps = &st->peers[j];
		at += sysfs_emit_at(buf, at,
				    "%u addr=%pI4:%u conn=%s match=%llu next=%llu state=%s active=%d learner=%d sent=%llu recv=%llu\n",
				    p->id, &p->addr.sin_addr,
				    ntohs(p->addr.sin_port),
				    ns.conn < ARRAY_SIZE(conn_names) ?
				    conn_names[ns.conn] : "unknown",
				    ps ? ps->match : 0, ps ? ps->next : 0,
				    ps && ps->state < ARRAY_SIZE(progress_names) ?
				    progress_names[ps->state] : "probe",
				    ps ? ps->recent_active : 0,
				    ps ? ps->is_learner :
				    raft_conf_is_member(&st->conf, p->id) &&
				    !raft_conf_is_voter(&st->conf, p->id),
				    ns.bytes_sent, ns.bytes_received);
	}
	mutex_unlock(&dev->lock);
	kfree(st);
	return at;
}
static DEVICE_ATTR_RO(peers);

static void rr_perr_dev(struct rraft_dev *dev, const char *what,
			const struct rr_perr *e)
{
	if (e->tok[0])
		rr_dev_warn(dev, "%s: %s '%s'", what, e->msg, e->tok);
	else
		rr_dev_warn(dev, "%s: %s", what, e->msg);
}

static ssize_t io_timeout_show(struct device *d, struct device_attribute *attr,
			       char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_rdev(d)->io_timeout));
}

static ssize_t io_timeout_store(struct device *d, struct device_attribute *attr,
				const char *buf, size_t count)
{
	struct rraft_dev *dev = to_rdev(d);
	struct rr_perr e;
	u64 v;

	if (rr_parse_u64(buf, count, 1, 3600, &v, &e)) {
		rr_perr_dev(dev, "io_timeout", &e);
		return -EINVAL;
	}
	WRITE_ONCE(dev->io_timeout, (unsigned int)v);
	return count;
}
static DEVICE_ATTR_RW(io_timeout);

static ssize_t sync_rate_show(struct device *d, struct device_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_rdev(d)->sync_rate));
}

static ssize_t sync_rate_store(struct device *d, struct device_attribute *attr,
			       const char *buf, size_t count)
{
	struct rraft_dev *dev = to_rdev(d);
	struct rr_perr e;
	u64 v;

	if (rr_parse_u64(buf, count, 0, 1u << 30, &v, &e)) {
		rr_perr_dev(dev, "sync_rate", &e);
		return -EINVAL;
	}
	WRITE_ONCE(dev->sync_rate, (unsigned int)v);
	return count;
}
static DEVICE_ATTR_RW(sync_rate);

static ssize_t secret_store(struct device *d, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	struct rraft_dev *dev = to_rdev(d);
	u8 sec[RR_SECRET_MAX];
	struct rr_perr e;
	u32 len;
	int err = 0;

	if (rr_parse_secret(buf, count, sec, &len, &e)) {
		rr_perr_dev(dev, "secret", &e);
		return -EINVAL;
	}
	mutex_lock(&dev->lock);
	if (dev->net)
		err = rraft_net_set_secret(dev->net, sec, len);
	if (!err) {
		memcpy(dev->secret, sec, len);
		dev->secret_len = len;
	}
	mutex_unlock(&dev->lock);
	memzero_explicit(sec, sizeof(sec));
	return err ? err : count;
}
static DEVICE_ATTR_WO(secret);

static int parse_one(struct rraft_dev *dev, const char *what, const char *buf,
		     size_t count, u64 min, u64 max, u64 *v)
{
	struct rr_perr e;

	if (rr_parse_u64(buf, count, min, max, v, &e)) {
		rr_perr_dev(dev, what, &e);
		return -EINVAL;
	}
	return 0;
}

static ssize_t promote_store(struct device *d, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	struct rraft_dev *dev = to_rdev(d);
	int err = 0;
	u64 v;

	if (parse_one(dev, "promote", buf, count, 1, 1, &v))
		return -EINVAL;
	mutex_lock(&dev->lock);
	if (dev->failed) {
		err = -EIO;
	} else if (dev->writer && dev->writer != dev->node_id &&
		   dev->writer == raft_leader(dev->raft)) {
		/* like an open for write here (auto-promote) */
		rr_dev_warn(dev, "promote refused: node %u (leader) has the device open for write (unmount there first)",
			    dev->writer);
		err = -EBUSY;
	} else {
		err = rraft_promote(dev);
	}
	mutex_unlock(&dev->lock);
	rraft_kick(dev);
	return err ? err : count;
}
static DEVICE_ATTR_WO(promote);

static ssize_t transfer_store(struct device *d, struct device_attribute *attr,
			      const char *buf, size_t count)
{
	struct rraft_dev *dev = to_rdev(d);
	int err;
	u64 v;

	if (parse_one(dev, "transfer", buf, count, 1, RR_MAX_NODE_ID, &v))
		return -EINVAL;
	mutex_lock(&dev->lock);
	/*
	 * A file system mounted here would get I/O errors once we are not
	 * leader any more: like DRBD's "secondary", refuse while open for
	 * write (unmount first).
	 */
	if (raft_role(dev->raft) == RAFT_LEADER && READ_ONCE(dev->n_write) &&
	    v != dev->node_id) {
		rr_dev_warn(dev, "transfer refused: the device is open for write here (unmount first)");
		mutex_unlock(&dev->lock);
		return -EBUSY;
	}
	err = raft_transfer_leader(dev->raft, (u32)v);
	mutex_unlock(&dev->lock);
	if (err == -EINVAL)
		rr_dev_warn(dev, "transfer: %llu is not a voter", v);
	rraft_kick(dev);
	return err ? err : count;
}
static DEVICE_ATTR_WO(transfer);

static ssize_t checkpoint_store(struct device *d, struct device_attribute *attr,
				const char *buf, size_t count)
{
	struct rraft_dev *dev = to_rdev(d);
	int err;
	u64 v;

	if (parse_one(dev, "checkpoint", buf, count, 1, 1, &v))
		return -EINVAL;
	mutex_lock(&dev->lock);
	err = rraft_checkpoint(dev);
	mutex_unlock(&dev->lock);
	rraft_kick(dev);
	return err ? err : count;
}
static DEVICE_ATTR_WO(checkpoint);

/* ---- membership ---- */

static bool conf_del(u32 *ids, u8 *n, u32 id)
{
	u8 i;

	for (i = 0; i < *n; i++) {
		if (ids[i] == id) {
			ids[i] = ids[--(*n)];
			return true;
		}
	}
	return false;
}

static int conf_change(struct rraft_dev *dev, struct raft_conf *c,
		       const char *what)
{
	int err;

	c->n_voters_old = 0;
	err = raft_change_conf(dev->raft, c);
	switch (err) {
	case 0:
		break;
	case -EINVAL:
		rr_dev_warn(dev, "%s: the core refused the configuration", what);
		break;
	case -EBUSY:
		rr_dev_warn(dev, "%s: another membership change is in progress",
			    what);
		break;
	case -EAGAIN:
		rr_dev_warn(dev, "%s: the leader has not committed an entry of its term yet, retry",
			    what);
		break;
	case -EPERM:
		rr_dev_warn(dev, "%s: not the leader", what);
		break;
	default:
		rr_dev_warn(dev, "%s: refused (%d)", what, err);
		break;
	}
	return err;
}

/*
 * Current configuration; -EPERM unless leader, -EBUSY while joint.  Each
 * refusal logs one line naming the attribute.  dev->lock held.
 */
static int conf_get(struct rraft_dev *dev, struct raft_conf *c,
		    const char *what)
{
	struct raft_status *st;

	if (raft_role(dev->raft) != RAFT_LEADER) {
		rr_dev_warn(dev, "%s: not the leader (leader is %u)", what,
			    raft_leader(dev->raft));
		return -EPERM;
	}
	st = kmalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	raft_get_status(dev->raft, st);
	*c = st->conf;
	kfree(st);
	if (c->n_voters_old) {
		rr_dev_warn(dev, "%s: a membership change is in progress",
			    what);
		return -EBUSY;
	}
	return 0;
}

static int add_learner(struct rraft_dev *dev, const struct rr_peer_arg *p,
		       const char *what)
{
	struct raft_conf c;
	bool added = false;
	u32 i;
	int err;

	err = conf_get(dev, &c, what);
	if (err)
		return err;
	if (raft_conf_is_member(&c, p->id) || p->id == dev->node_id) {
		rr_dev_warn(dev, "%s: %u is already a member", what, p->id);
		return -EINVAL;
	}
	if (c.n_learners == RAFT_MAX_MEMBERS) {
		rr_dev_warn(dev, "%s: too many learners", what);
		return -EINVAL;
	}
	for (i = 0; i < dev->n_peers; i++)
		if (dev->peers[i].id == p->id)
			break;
	if (i == dev->n_peers) {
		err = rraft_dev_add_peer(dev, p);
		if (err) {
			rr_dev_warn(dev, "%s: cannot add peer %u (%d)", what,
				    p->id, err);
			return err == -ENOTCONN ? -EINVAL : err;
		}
		added = true;
	}
	c.learners[c.n_learners++] = p->id;
	err = conf_change(dev, &c, what);
	if (err && added && dev->net) {
		unsigned long flags;

		rraft_net_remove_peer(dev->net, p->id);
		spin_lock_irqsave(&dev->in_lock, flags);
		dev->n_peers--;
		spin_unlock_irqrestore(&dev->in_lock, flags);
	}
	return err;
}

static ssize_t add_learner_store(struct device *d,
				 struct device_attribute *attr,
				 const char *buf, size_t count)
{
	struct rraft_dev *dev = to_rdev(d);
	struct rr_peer_arg p;
	struct rr_perr e;
	int err;

	if (rr_parse_peer(buf, count, &p, &e)) {
		rr_perr_dev(dev, "add_learner", &e);
		return -EINVAL;
	}
	mutex_lock(&dev->lock);
	err = add_learner(dev, &p, "add_learner");
	mutex_unlock(&dev->lock);
	rraft_kick(dev);
	return err ? err : count;
}
static DEVICE_ATTR_WO(add_learner);

static ssize_t promote_voter_store(struct device *d,
				   struct device_attribute *attr,
				   const char *buf, size_t count)
{
	struct rraft_dev *dev = to_rdev(d);
	struct raft_conf c;
	int err;
	u64 v;

	if (parse_one(dev, "promote_voter", buf, count, 1, RR_MAX_NODE_ID, &v))
		return -EINVAL;
	mutex_lock(&dev->lock);
	err = conf_get(dev, &c, "promote_voter");
	if (!err) {
		if (!conf_del(c.learners, &c.n_learners, (u32)v) ||
		    c.n_voters == RAFT_MAX_MEMBERS) {
			rr_dev_warn(dev, "promote_voter: %llu is not a learner", v);
			err = -EINVAL;
		} else {
			c.voters[c.n_voters++] = (u32)v;
			err = conf_change(dev, &c, "promote_voter");
		}
	}
	mutex_unlock(&dev->lock);
	rraft_kick(dev);
	return err ? err : count;
}
static DEVICE_ATTR_WO(promote_voter);

static ssize_t remove_store(struct device *d, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	struct rraft_dev *dev = to_rdev(d);
	struct raft_conf c;
	int err;
	u64 v;

	if (parse_one(dev, "remove", buf, count, 1, RR_MAX_NODE_ID, &v))
		return -EINVAL;
	mutex_lock(&dev->lock);
	err = conf_get(dev, &c, "remove");
	if (!err) {
		if (!conf_del(c.voters, &c.n_voters, (u32)v) &&
		    !conf_del(c.learners, &c.n_learners, (u32)v)) {
			rr_dev_warn(dev, "remove: %llu is not a member", v);
			err = -EINVAL;
		} else {
			err = conf_change(dev, &c, "remove");
		}
	}
	mutex_unlock(&dev->lock);
	rraft_kick(dev);
	return err ? err : count;
}
static DEVICE_ATTR_WO(remove);

static ssize_t replace_store(struct device *d, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	struct rraft_dev *dev = to_rdev(d);
	struct rr_peer_arg p;
	struct raft_conf c;
	struct rr_perr e;
	u32 old;
	int err;

	if (rr_parse_replace(buf, count, &old, &p, &e)) {
		rr_perr_dev(dev, "replace", &e);
		return -EINVAL;
	}
	mutex_lock(&dev->lock);
	err = conf_get(dev, &c, "replace");
	if (!err && dev->pending_replace_new) {
		rr_dev_warn(dev, "replace: replacing %u by %u is in progress",
			    dev->pending_replace_old, dev->pending_replace_new);
		err = -EBUSY;
	}
	if (!err && !raft_conf_is_voter(&c, old)) {
		rr_dev_warn(dev, "replace: %u is not a voter", old);
		err = -EINVAL;
	}
	if (!err)
		err = add_learner(dev, &p, "replace");
	if (!err) {
		dev->pending_replace_old = old;
		dev->pending_replace_new = p.id;
	}
	mutex_unlock(&dev->lock);
	rraft_kick(dev);
	return err ? err : count;
}
static DEVICE_ATTR_WO(replace);

static struct attribute *rraft_attrs[] = {
	&dev_attr_node_id.attr,
	&dev_attr_cluster_id.attr,
	&dev_attr_role.attr,
	&dev_attr_term.attr,
	&dev_attr_vote.attr,
	&dev_attr_leader.attr,
	&dev_attr_commit_index.attr,
	&dev_attr_applied_index.attr,
	&dev_attr_persisted_index.attr,
	&dev_attr_first_index.attr,
	&dev_attr_last_index.attr,
	&dev_attr_snap_index.attr,
	&dev_attr_snap_term.attr,
	&dev_attr_log_used.attr,
	&dev_attr_log_capacity.attr,
	&dev_attr_members.attr,
	&dev_attr_conf_phase.attr,
	&dev_attr_disk_state.attr,
	&dev_attr_sync_progress.attr,
	&dev_attr_backing.attr,
	&dev_attr_writer.attr,
	&dev_attr_peers.attr,
	&dev_attr_io_timeout.attr,
	&dev_attr_sync_rate.attr,
	&dev_attr_secret.attr,
	&dev_attr_promote.attr,
	&dev_attr_transfer.attr,
	&dev_attr_add_learner.attr,
	&dev_attr_promote_voter.attr,
	&dev_attr_remove.attr,
	&dev_attr_replace.attr,
	&dev_attr_checkpoint.attr,
	NULL,
};

static const struct attribute_group rraft_attr_group = {
	.name = "rraft",
	.attrs = rraft_attrs,
};

const struct attribute_group *rraft_disk_groups[] = {
	&rraft_attr_group,
	NULL,
};
