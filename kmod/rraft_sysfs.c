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

static struct rraft_dev *rr_to_dev(struct device *d)
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
	struct raft_status *st = rr_status(rr_to_dev(d));			\
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
RR_STATUS_ATTR(persisted_index, "%llu", st->persisted);
RR_STATUS_ATTR(first_index, "%llu", st->first_index);
RR_STATUS_ATTR(last_index, "%llu", st->last_index);
RR_STATUS_ATTR(snap_index, "%llu", st->snap_index);
RR_STATUS_ATTR(snap_term, "%llu", st->snap_term);

/* A u64 expression of dev (struct rraft_dev), read under dev->lock. */
#define RR_DEV_U64_ATTR(name, expr)					\
static ssize_t name##_show(struct device *d, struct device_attribute *attr, \
			   char *buf)					\
{									\
	struct rraft_dev *dev = rr_to_dev(d);				\
	u64 v;								\
									\
	mutex_lock(&dev->lock);						\
	v = (expr);							\
	mutex_unlock(&dev->lock);					\
	return sysfs_emit(buf, "%llu\n", v);				\
}									\
static DEVICE_ATTR_RO(name)

/* The data area's applied index (the core hands entries out earlier). */
RR_DEV_U64_ATTR(applied_index, dev->applied);

static ssize_t node_id_show(struct device *d, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%u\n", rr_to_dev(d)->cfg.node_id);
}
static DEVICE_ATTR_RO(node_id);

static ssize_t writer_show(struct device *d, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(rr_to_dev(d)->writer));
}
static DEVICE_ATTR_RO(writer);

static ssize_t identity_show(struct device *d, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%16phN\n", rr_to_dev(d)->store.sb.ident);
}
static DEVICE_ATTR_RO(identity);

static ssize_t identities_show(struct device *d,
			       struct device_attribute *attr, char *buf)
{
	struct rraft_dev *dev = rr_to_dev(d);
	int n = 0;
	u32 i;

	mutex_lock(&dev->lock);
	for (i = 0; i < dev->idents.n; i++)
		n += sysfs_emit_at(buf, n, "%s%u=%16phN", i ? " " : "",
				   dev->idents.e[i].id, dev->idents.e[i].ident);
	mutex_unlock(&dev->lock);
	return n + sysfs_emit_at(buf, n, "\n");
}
static DEVICE_ATTR_RO(identities);

static ssize_t cluster_id_show(struct device *d, struct device_attribute *attr,
			       char *buf)
{
	return sysfs_emit(buf, "0x%llx\n", rr_to_dev(d)->cfg.cluster_id);
}
static DEVICE_ATTR_RO(cluster_id);

static ssize_t backing_show(struct device *d, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", rr_to_dev(d)->store.path);
}
static DEVICE_ATTR_RO(backing);

static ssize_t log_used_show(struct device *d, struct device_attribute *attr,
			     char *buf)
{
	struct rraft_dev *dev = rr_to_dev(d);
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
	return sysfs_emit(buf, "%llu\n", rr_to_dev(d)->store.ring_bytes);
}
static DEVICE_ATTR_RO(log_capacity);

RR_DEV_U64_ATTR(checkpoints, dev->stat_checkpoints);

static int rr_emit_ids(char *buf, int at, const char *name, const u32 *ids, u8 n)
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
	struct raft_status *st = rr_status(rr_to_dev(d));
	int at = 0;

	if (!st)
		return -ENOMEM;
	at = rr_emit_ids(buf, at, "voters", st->conf.voters, st->conf.n_voters);
	at += sysfs_emit_at(buf, at, " ");
	at = rr_emit_ids(buf, at, "old", st->conf.voters_old,
			 st->conf.n_voters_old);
	at += sysfs_emit_at(buf, at, " ");
	at = rr_emit_ids(buf, at, "learners", st->conf.learners,
			 st->conf.n_learners);
	at += sysfs_emit_at(buf, at, "\n");
	kfree(st);
	return at;
}
static DEVICE_ATTR_RO(members);

static ssize_t conf_phase_show(struct device *d, struct device_attribute *attr,
			       char *buf)
{
	struct raft_status *st = rr_status(rr_to_dev(d));
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
	struct rraft_dev *dev = rr_to_dev(d);
	struct raft_status *st = rr_status(dev);
	const char *p;

	if (!st)
		return -ENOMEM;
	p = rraft_disk_state_name(rraft_disk_state(dev, st));
	kfree(st);
	return sysfs_emit(buf, "%s\n", p);
}
static DEVICE_ATTR_RO(disk_state);

static ssize_t sync_progress_show(struct device *d,
				  struct device_attribute *attr, char *buf)
{
	struct rraft_dev *dev = rr_to_dev(d);
	u64 done = 0, left = 0;

	mutex_lock(&dev->lock);
	if (dev->inconsistent) {
		done = dev->catchup.done;
		left = dev->catchup.left;
	}
	mutex_unlock(&dev->lock);
	return sysfs_emit(buf, "done=%llu left=%llu\n", done, left);
}
static DEVICE_ATTR_RO(sync_progress);

static const char *const rr_conn_names[] = {
	[RRAFT_PEER_DISCONNECTED] = "disconnected",
	[RRAFT_PEER_CONNECTING] = "connecting",
	[RRAFT_PEER_HANDSHAKE] = "handshake",
	[RRAFT_PEER_CONNECTED] = "connected",
};

static const char *const rr_progress_names[] = { "probe", "replicate", "snapshot" };

static ssize_t peers_show(struct device *d, struct device_attribute *attr,
			  char *buf)
{
	struct rraft_dev *dev = rr_to_dev(d);
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
				    "%u addr=%pI4:%u conn=%s match=%llu next=%llu state=%s active=%d learner=%d sent=%llu recv=%llu msgs_sent=%llu msgs_recv=%llu dropped=%llu reconnects=%u\n",
				    p->id, &p->addr.sin_addr,
				    ntohs(p->addr.sin_port),
				    ns.conn < ARRAY_SIZE(rr_conn_names) ?
				    rr_conn_names[ns.conn] : "unknown",
				    ps ? ps->match : 0, ps ? ps->next : 0,
				    ps && ps->state < ARRAY_SIZE(rr_progress_names) ?
				    rr_progress_names[ps->state] : "probe",
				    ps ? ps->recent_active : 0,
				    ps ? ps->is_learner :
				    raft_conf_is_member(&st->conf, p->id) &&
				    !raft_conf_is_voter(&st->conf, p->id),
				    ns.bytes_sent, ns.bytes_received,
				    ns.msgs_sent, ns.msgs_received,
				    ns.msgs_dropped, ns.reconnects);
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
	return sysfs_emit(buf, "%u\n", READ_ONCE(rr_to_dev(d)->cfg.io_timeout));
}

static ssize_t io_timeout_store(struct device *d, struct device_attribute *attr,
				const char *buf, size_t count)
{
	struct rraft_dev *dev = rr_to_dev(d);
	struct rr_perr e;
	u64 v;

	if (rraft_parse_u64(buf, count, 1, 3600, &v, &e)) {
		rr_perr_dev(dev, "io_timeout", &e);
		return -EINVAL;
	}
	WRITE_ONCE(dev->cfg.io_timeout, (unsigned int)v);
	return count;
}
static DEVICE_ATTR_RW(io_timeout);

static ssize_t sync_rate_show(struct device *d, struct device_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(rr_to_dev(d)->cfg.sync_rate));
}

static ssize_t sync_rate_store(struct device *d, struct device_attribute *attr,
			       const char *buf, size_t count)
{
	struct rraft_dev *dev = rr_to_dev(d);
	struct rr_perr e;
	u64 v;

	if (rraft_parse_u64(buf, count, 0, 1u << 30, &v, &e)) {
		rr_perr_dev(dev, "sync_rate", &e);
		return -EINVAL;
	}
	WRITE_ONCE(dev->cfg.sync_rate, (unsigned int)v);
	return count;
}
static DEVICE_ATTR_RW(sync_rate);

static ssize_t secret_store(struct device *d, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	struct rraft_dev *dev = rr_to_dev(d);
	u8 sec[RR_SECRET_MAX];
	struct rr_perr e;
	u32 len;
	int err = 0;

	if (rraft_parse_secret(buf, count, sec, &len, &e)) {
		rr_perr_dev(dev, "secret", &e);
		return -EINVAL;
	}
	mutex_lock(&dev->lock);
	if (dev->net)
		err = rraft_net_set_secret(dev->net, sec, len);
	if (!err) {
		memcpy(dev->cfg.secret, sec, len);
		dev->cfg.secret_len = len;
	}
	mutex_unlock(&dev->lock);
	memzero_explicit(sec, sizeof(sec));
	return err ? err : count;
}
static DEVICE_ATTR_WO(secret);

/*
 * How peers are authenticated: "local" (no transport), "insecure" (created
 * with insecure=1 and no secret set since) or "authenticated".
 */
static ssize_t security_show(struct device *d, struct device_attribute *attr,
			     char *buf)
{
	struct rraft_dev *dev = rr_to_dev(d);
	const char *s;

	mutex_lock(&dev->lock);
	if (!dev->cfg.has_listen)
		s = "local";
	else if (!dev->cfg.secret_len)
		s = "insecure";
	else
		s = "authenticated";
	mutex_unlock(&dev->lock);
	return sysfs_emit(buf, "%s\n", s);
}
static DEVICE_ATTR_RO(security);

static int rr_parse_one(struct rraft_dev *dev, const char *what,
			const char *buf, size_t count, u64 min, u64 max, u64 *v)
{
	struct rr_perr e;

	if (rraft_parse_u64(buf, count, min, max, v, &e)) {
		rr_perr_dev(dev, what, &e);
		return -EINVAL;
	}
	return 0;
}

static ssize_t promote_store(struct device *d, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	struct rraft_dev *dev = rr_to_dev(d);
	int err = 0;
	u64 v;

	if (rr_parse_one(dev, "promote", buf, count, 1, 1, &v))
		return -EINVAL;
	mutex_lock(&dev->lock);
	if (dev->failed) {
		err = -EIO;
	} else if (dev->writer && dev->writer != dev->cfg.node_id &&
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
	struct rraft_dev *dev = rr_to_dev(d);
	int err;
	u64 v;

	if (rr_parse_one(dev, "transfer", buf, count, 1, RR_MAX_NODE_ID, &v))
		return -EINVAL;
	mutex_lock(&dev->lock);
	/*
	 * A file system mounted here would get I/O errors once we are not
	 * leader any more: like DRBD's "secondary", refuse while open for
	 * write (unmount first).
	 */
	if (raft_role(dev->raft) == RAFT_LEADER && READ_ONCE(dev->n_write) &&
	    v != dev->cfg.node_id) {
		rr_dev_warn(dev, "transfer refused: the device is open for write here (unmount first)");
		mutex_unlock(&dev->lock);
		return -EBUSY;
	}
	err = dev->failed ? -EIO : raft_transfer_leader(dev->raft, (u32)v);
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
	struct rraft_dev *dev = rr_to_dev(d);
	int err;
	u64 v;

	if (rr_parse_one(dev, "checkpoint", buf, count, 1, 1, &v))
		return -EINVAL;
	mutex_lock(&dev->lock);
	err = rraft_checkpoint(dev);
	mutex_unlock(&dev->lock);
	rraft_kick(dev);
	return err ? err : count;
}
static DEVICE_ATTR_WO(checkpoint);

/* ---- membership (policy in rraft_member.c) ---- */

static ssize_t add_learner_store(struct device *d,
				 struct device_attribute *attr,
				 const char *buf, size_t count)
{
	struct rraft_dev *dev = rr_to_dev(d);
	struct rr_peer_arg p;
	struct rr_perr e;
	int err;

	if (rraft_parse_peer(buf, count, &p, &e)) {
		rr_perr_dev(dev, "add_learner", &e);
		return -EINVAL;
	}
	mutex_lock(&dev->lock);
	err = rraft_member_add_learner(dev, &p);
	mutex_unlock(&dev->lock);
	rraft_kick(dev);
	return err ? err : count;
}
static DEVICE_ATTR_WO(add_learner);

static ssize_t promote_voter_store(struct device *d,
				   struct device_attribute *attr,
				   const char *buf, size_t count)
{
	struct rraft_dev *dev = rr_to_dev(d);
	int err;
	u64 v;

	if (rr_parse_one(dev, "promote_voter", buf, count, 1, RR_MAX_NODE_ID, &v))
		return -EINVAL;
	mutex_lock(&dev->lock);
	err = rraft_member_promote_voter(dev, (u32)v);
	mutex_unlock(&dev->lock);
	rraft_kick(dev);
	return err ? err : count;
}
static DEVICE_ATTR_WO(promote_voter);

static ssize_t remove_store(struct device *d, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	struct rraft_dev *dev = rr_to_dev(d);
	int err;
	u64 v;

	if (rr_parse_one(dev, "remove", buf, count, 1, RR_MAX_NODE_ID, &v))
		return -EINVAL;
	mutex_lock(&dev->lock);
	err = rraft_member_remove(dev, (u32)v);
	mutex_unlock(&dev->lock);
	rraft_kick(dev);
	return err ? err : count;
}
static DEVICE_ATTR_WO(remove);

static ssize_t replace_store(struct device *d, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	struct rraft_dev *dev = rr_to_dev(d);
	struct rr_peer_arg p;
	struct rr_perr e;
	u32 old;
	int err;

	if (rraft_parse_replace(buf, count, &old, &p, &e)) {
		rr_perr_dev(dev, "replace", &e);
		return -EINVAL;
	}
	mutex_lock(&dev->lock);
	err = rraft_member_replace(dev, old, &p);
	mutex_unlock(&dev->lock);
	rraft_kick(dev);
	return err ? err : count;
}
static DEVICE_ATTR_WO(replace);

static struct attribute *rr_attrs[] = {
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
	&dev_attr_checkpoints.attr,
	&dev_attr_members.attr,
	&dev_attr_conf_phase.attr,
	&dev_attr_disk_state.attr,
	&dev_attr_sync_progress.attr,
	&dev_attr_backing.attr,
	&dev_attr_writer.attr,
	&dev_attr_identity.attr,
	&dev_attr_identities.attr,
	&dev_attr_peers.attr,
	&dev_attr_io_timeout.attr,
	&dev_attr_sync_rate.attr,
	&dev_attr_secret.attr,
	&dev_attr_security.attr,
	&dev_attr_promote.attr,
	&dev_attr_transfer.attr,
	&dev_attr_add_learner.attr,
	&dev_attr_promote_voter.attr,
	&dev_attr_remove.attr,
	&dev_attr_replace.attr,
	&dev_attr_checkpoint.attr,
	NULL,
};

static const struct attribute_group rr_attr_group = {
	.name = "rraft",
	.attrs = rr_attrs,
};

const struct attribute_group *rraft_disk_groups[] = {
	&rr_attr_group,
	NULL,
};
