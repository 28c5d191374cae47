// SPDX-License-Identifier: GPL-2.0
/*
 * rraft_member.c - membership policy: the peer table, the membership
 * changes the sysfs attributes ask for (add_learner, promote_voter,
 * remove, replace), replace's catch-up wait and promote's retries.
 *
 * Every change builds the target configuration from the current one and
 * calls raft_change_conf (voter changes go through joint consensus inside
 * the core).  Each refusal logs one line naming the attribute.  All under
 * dev->lock.  See Documentation/design/kernel-glue.rst, "Membership".
 */
#include <linux/slab.h>
#include "rraft.h"

/* ---- the peer table ---- */

int rraft_member_add_peer(struct rraft_dev *dev, const struct rr_peer_arg *p)
{
	struct rraft_net_peer_cfg pc;
	unsigned long flags;
	u32 i;
	int err;

	if (p->id == dev->cfg.node_id)
		return -EINVAL;
	for (i = 0; i < dev->n_peers; i++)
		if (dev->peers[i].id == p->id)
			return -EEXIST;
	if (dev->n_peers == RR_MAX_PEERS)
		return -ENOSPC;
	if (!dev->net)
		return -ENOTCONN;
	pc.id = p->id;
	rraft_addr_to_sin(&p->addr, &pc.addr);
	/* in the table first: the transport may report it up at once */
	spin_lock_irqsave(&dev->in_lock, flags);
	dev->peers[dev->n_peers].id = p->id;
	dev->peers[dev->n_peers].addr = pc.addr;
	dev->peers[dev->n_peers].up = false;
	dev->peers[dev->n_peers].down_reported = false;
	dev->n_peers++;
	spin_unlock_irqrestore(&dev->in_lock, flags);
	err = rraft_net_add_peer(dev->net, &pc);
	if (!err)	/* cannot fail: the peer exists */
		rraft_net_set_peer_ident(dev->net, p->id,
					 rraft_idents_find(&dev->idents, p->id));
	if (err) {
		spin_lock_irqsave(&dev->in_lock, flags);
		dev->n_peers--;
		spin_unlock_irqrestore(&dev->in_lock, flags);
	}
	return err;
}

/* Undo rraft_member_add_peer of the last peer (a refused change). */
static void rr_drop_last_peer(struct rraft_dev *dev, u32 id)
{
	unsigned long flags;

	rraft_net_remove_peer(dev->net, id);
	spin_lock_irqsave(&dev->in_lock, flags);
	dev->n_peers--;
	spin_unlock_irqrestore(&dev->in_lock, flags);
}

/* ---- configuration changes ---- */

static bool rr_conf_del(u32 *ids, u8 *n, u32 id)
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

static int rr_conf_change(struct rraft_dev *dev, struct raft_conf *c,
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

/* Current configuration; -EPERM unless leader, -EBUSY while joint. */
static int rr_conf_get(struct rraft_dev *dev, struct raft_conf *c,
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

static int rr_add_learner(struct rraft_dev *dev, const struct rr_peer_arg *p,
			  const char *what)
{
	struct raft_conf c;
	bool added = false;
	u32 i;
	int err;

	err = rr_conf_get(dev, &c, what);
	if (err)
		return err;
	if (raft_conf_is_member(&c, p->id) || p->id == dev->cfg.node_id) {
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
		err = rraft_member_add_peer(dev, p);
		if (err) {
			rr_dev_warn(dev, "%s: cannot add peer %u (%d)", what,
				    p->id, err);
			return err == -ENOTCONN ? -EINVAL : err;
		}
		added = true;
	}
	c.learners[c.n_learners++] = p->id;
	err = rr_conf_change(dev, &c, what);
	if (err && added && dev->net)
		rr_drop_last_peer(dev, p->id);
	return err;
}

int rraft_member_add_learner(struct rraft_dev *dev, const struct rr_peer_arg *p)
{
	return rr_add_learner(dev, p, "add_learner");
}

int rraft_member_promote_voter(struct rraft_dev *dev, u32 id)
{
	struct raft_conf c;
	int err;

	err = rr_conf_get(dev, &c, "promote_voter");
	if (err)
		return err;
	if (!rr_conf_del(c.learners, &c.n_learners, id) ||
	    c.n_voters == RAFT_MAX_MEMBERS) {
		rr_dev_warn(dev, "promote_voter: %u is not a learner", id);
		return -EINVAL;
	}
	if (!raft_learner_caught_up(dev->raft, id)) {
		rr_dev_info(dev, "promote_voter: learner %u has not caught up yet, retry",
			    id);
		return -EAGAIN;
	}
	c.voters[c.n_voters++] = id;
	return rr_conf_change(dev, &c, "promote_voter");
}

int rraft_member_remove(struct rraft_dev *dev, u32 id)
{
	struct raft_conf c;
	int err;

	err = rr_conf_get(dev, &c, "remove");
	if (err)
		return err;
	if (!rr_conf_del(c.voters, &c.n_voters, id) &&
	    !rr_conf_del(c.learners, &c.n_learners, id)) {
		rr_dev_warn(dev, "remove: %u is not a member", id);
		return -EINVAL;
	}
	return rr_conf_change(dev, &c, "remove");
}

/* ---- replace old:new@addr ---- */

/*
 * Add new as a learner; rraft_member_replace_step then waits until it is
 * within catchup_entries of the leader's log and swaps it for old.
 */
int rraft_member_replace(struct rraft_dev *dev, u32 old,
			 const struct rr_peer_arg *p)
{
	struct raft_conf c;
	int err;

	err = rr_conf_get(dev, &c, "replace");
	if (err)
		return err;
	if (dev->pending_replace_new) {
		rr_dev_warn(dev, "replace: replacing %u by %u is in progress",
			    dev->pending_replace_old, dev->pending_replace_new);
		return -EBUSY;
	}
	if (!raft_conf_is_voter(&c, old)) {
		rr_dev_warn(dev, "replace: %u is not a voter", old);
		return -EINVAL;
	}
	err = rr_add_learner(dev, p, "replace");
	if (err)
		return err;
	dev->pending_replace_old = old;
	dev->pending_replace_new = p->id;
	return 0;
}

/* From the loop: propose the swap once the new member caught up. */
void rraft_member_replace_step(struct rraft_dev *dev)
{
	struct raft_status *st;
	struct raft_conf c;
	u32 j;
	int err;

	/* caught up: also false while the new member has no progress yet */
	if (!dev->pending_replace_new || raft_role(dev->raft) != RAFT_LEADER ||
	    !raft_learner_caught_up(dev->raft, dev->pending_replace_new))
		return;
	st = kmalloc(sizeof(*st), GFP_NOIO);
	if (!st)
		return;
	raft_get_status(dev->raft, st);
	if (st->conf_pending)
		goto out;
	memset(&c, 0, sizeof(c));
	for (j = 0; j < st->conf.n_voters; j++)
		if (st->conf.voters[j] != dev->pending_replace_old)
			c.voters[c.n_voters++] = st->conf.voters[j];
	c.voters[c.n_voters++] = dev->pending_replace_new;
	for (j = 0; j < st->conf.n_learners; j++)
		if (st->conf.learners[j] != dev->pending_replace_new)
			c.learners[c.n_learners++] = st->conf.learners[j];
	err = raft_change_conf(dev->raft, &c);
	if (!err || (err != -EBUSY && err != -EAGAIN)) {
		if (err)
			rr_dev_warn(dev, "replace %u by %u failed (%d)",
				    dev->pending_replace_old,
				    dev->pending_replace_new, err);
		dev->pending_replace_new = 0;
		dev->pending_replace_old = 0;
	}
out:
	kfree(st);
}

/* ---- member identities ---- */

/* Drop the identities of ids that are not members of conf. */
void rraft_member_idents_prune(struct rraft_dev *dev,
			       const struct raft_conf *conf)
{
	u32 i = 0;

	while (i < dev->idents.n) {
		u32 id = dev->idents.e[i].id;

		if (raft_conf_is_member(conf, id) || id == dev->cfg.node_id)
			i++;
		else
			rraft_idents_set(&dev->idents, id, NULL);
	}
}

/*
 * An applied identity table (validated by rraft_cmd_decode) replaces ours; the
 * transport refuses every peer whose identity differs from its entry.
 */
int rraft_member_idents_apply(struct rraft_dev *dev, const u8 *data, u32 n)
{
	struct rr_idents t;
	const u8 *was, *now;
	u32 i;

	if (rraft_idents_decode(&t, data, n))
		return -EUCLEAN;
	for (i = 0; i < t.n; i++) {
		was = rraft_idents_find(&dev->idents, t.e[i].id);
		if (!was || memcmp(was, t.e[i].ident, RR_IDENT_LEN))
			rr_dev_info(dev, "member %u has identity %16phN",
				    t.e[i].id, t.e[i].ident);
	}
	now = rraft_idents_find(&t, dev->cfg.node_id);
	if (now && memcmp(now, dev->store.sb.ident, RR_IDENT_LEN))
		rr_dev_warn(dev, "the cluster records identity %16phN for node %u, this disk is %16phN: the others refuse it",
			    now, dev->cfg.node_id, dev->store.sb.ident);
	dev->idents = t;
	if (!dev->net)
		return 0;
	for (i = 0; i < dev->n_peers; i++)
		rraft_net_set_peer_ident(dev->net, dev->peers[i].id,
					 rraft_idents_find(&t, dev->peers[i].id));
	return 0;
}

/* The identity to record for member id, NULL: unknown for now. */
static const u8 *rr_ident_of(struct rraft_dev *dev, u32 id, u8 *buf)
{
	const u8 *rec;

	if (id == dev->cfg.node_id)
		return dev->store.sb.ident;
	rec = rraft_idents_find(&dev->idents, id);
	if (rec)
		return rec;
	if (dev->net && !rraft_net_peer_ident(dev->net, id, buf) &&
	    !rraft_ident_is_zero(buf))
		return buf;
	return NULL;
}

static void rr_idents_add_ids(struct rraft_dev *dev, struct rr_idents *t,
			      const u32 *ids, u32 n)
{
	u8 buf[RR_IDENT_LEN];
	const u8 *ident;
	u32 i;

	for (i = 0; i < n; i++) {
		ident = rr_ident_of(dev, ids[i], buf);
		if (ident)
			rraft_idents_set(t, ids[i], ident);
	}
}

/*
 * From the loop, once per tick: the leader records the identity of every
 * member of the applied configuration, as first seen on its connection,
 * drops those of former members, and restates the table once per term (a
 * follower that installed a snapshot missed the entries before it).
 */
void rraft_member_ident_step(struct rraft_dev *dev)
{
	const struct raft_conf *c = &dev->applied_conf;
	u8 buf[RR_CMD_IDENT_MAX_SIZE];
	u64 term = raft_term(dev->raft), index;
	struct rr_idents want = {};
	u32 len;

	if (raft_role(dev->raft) != RAFT_LEADER || dev->inconsistent ||
	    (dev->ident_term == term && dev->ident_index > dev->applied))
		return;
	rr_idents_add_ids(dev, &want, c->voters, c->n_voters);
	rr_idents_add_ids(dev, &want, c->voters_old, c->n_voters_old);
	rr_idents_add_ids(dev, &want, c->learners, c->n_learners);
	if (dev->ident_term == term &&
	    !memcmp(&want, &dev->idents, sizeof(want)))
		return;
	len = rraft_cmd_encode_idents(buf, &want);
	if (raft_propose(dev->raft, buf, len, &index, &term))
		return;
	dev->ident_index = index;
	dev->ident_term = term;
}

/* ---- promote ---- */

/*
 * Make this node leader: ask the leader for a transfer (it catches us up
 * and sends TimeoutNow), or campaign with pre-vote when no leader is known.
 * A node cut off from the cluster never raises its term by asking, so it
 * cannot force a re-election when it comes back.  For RRAFT_PROMOTE_SECS
 * the loop asks again whenever another leader shows up (the one asked may
 * have been dead: the survivors elect one, then it hands over).
 */
int rraft_promote(struct rraft_dev *dev)
{
	int err = raft_request_leadership(dev->raft);

	if (err)
		return err;
	dev->promote_pending = raft_role(dev->raft) != RAFT_LEADER;
	dev->promote_until = jiffies + RRAFT_PROMOTE_SECS * HZ;
	dev->promote_lead = raft_leader(dev->raft);
	return 0;
}

/* From the loop: ask each new leader again until promote_until. */
void rraft_promote_step(struct rraft_dev *dev)
{
	u32 lead;

	if (!dev->promote_pending)
		return;
	if (raft_role(dev->raft) == RAFT_LEADER ||
	    time_after(jiffies, dev->promote_until)) {
		dev->promote_pending = false;
		return;
	}
	lead = raft_leader(dev->raft);
	if (lead == dev->promote_lead)
		return;
	dev->promote_lead = lead;
	if (lead != RAFT_NONE && lead != dev->cfg.node_id)
		raft_request_leadership(dev->raft);
}
