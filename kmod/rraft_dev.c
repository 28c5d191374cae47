// SPDX-License-Identifier: GPL-2.0
/*
 * rraft_dev.c - device life cycle: create (open and validate the backing
 * device, replay the log, create the core, the write map, the workqueue,
 * the transport and the disk, then start) and destroy.
 *
 * Create unwinds with one label per step, in reverse order (as zram_add);
 * destroy is the same teardown after stopping a running device.  The caller
 * (rraft_main.c) holds rr_ctl_mutex.  See
 * Documentation/design/kernel-glue.rst, "Control".
 */
#include <linux/delay.h>
#include <linux/random.h>
#include <linux/slab.h>
#include "rraft.h"

void rraft_addr_to_sin(const struct rr_addr *a, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	memcpy(&sin->sin_addr.s_addr, a->ip, 4);
	sin->sin_port = htons(a->port);
}

static struct rraft_dev *rr_dev_alloc(const struct rr_create_args *a)
{
	struct rraft_dev *dev = kzalloc(sizeof(*dev), GFP_KERNEL);

	if (!dev)
		return NULL;
	dev->minor = a->minor;
	rraft_loop_init(dev);
	rraft_events_init(dev);
	dev->cfg.io_timeout = RRAFT_DEFAULT_IO_TIMEOUT;
	dev->cfg.sync_rate = RRAFT_DEFAULT_SYNC_RATE;
	memcpy(dev->cfg.secret, a->secret, a->secret_len);
	dev->cfg.secret_len = a->secret_len;
	return dev;
}

static int rr_dev_check_peers(struct rraft_dev *dev,
			      const struct rr_create_args *a)
{
	u32 i;

	for (i = 0; i < a->n_peers; i++) {
		if (a->peers[i].id == dev->cfg.node_id) {
			pr_warn("rraft: create: peers lists this node's own id %u\n",
				dev->cfg.node_id);
			return -EINVAL;
		}
	}
	return 0;
}

/* Replay the log ring and create the core with the recovered state. */
static int rr_dev_core_create(struct rraft_dev *dev,
			      const struct rr_create_args *a)
{
	struct rraft_store *s = &dev->store;
	u64 per_ent = 2 * RR_BLOCK_SIZE;	/* record overhead, payload aside */
	struct raft_boot boot;
	int err;

	err = rraft_store_load(s, &boot);
	if (err)
		return err;
	dev->cfg.raft = (struct raft_config) {
		.id = dev->cfg.node_id,
		.election_ticks = RRAFT_ELECTION_TICKS,
		.heartbeat_ticks = RRAFT_HEARTBEAT_TICKS,
		.max_inflight = 32,
		.max_append_bytes = 1u << 20,
		.max_append_entries = 64,
		.max_uncommitted = (u32)clamp_t(u64, s->ring_bytes / 8 / per_ent,
						2, 4096),
		.max_uncommitted_bytes = s->ring_bytes / 8,
		.pre_vote = true,
		.check_quorum = true,
		.lease_drift_ticks = RRAFT_LEASE_DRIFT_TICKS,
		.catchup_entries = 64,
		.seed = get_random_u64(),
	};
	err = raft_create(&dev->raft, &dev->cfg.raft, &boot);
	rraft_store_boot_free(&boot);
	if (err) {
		pr_warn("rraft: create: %s: the Raft core refused the recovered state (%d)\n",
			a->backing, err);
		dev->raft = NULL;
	}
	return err;
}

/*
 * Writes before this boot are not tracked: every region may have been
 * written by any entry up to the last one in the log.
 */
static int rr_dev_wmap_create(struct rraft_dev *dev)
{
	struct rraft_store *s = &dev->store;
	struct rraft_wmap *w = &dev->wmap;

	rraft_wmap_geometry(w, rraft_store_data_bytes(s));
	w->map = kvmalloc_array(w->n, sizeof(u64), GFP_KERNEL);
	if (!w->map)
		return -ENOMEM;
	rraft_wmap_fill(w, (s->st.flags & RR_STF_INCONSISTENT) ?
			RRAFT_WMAP_UNKNOWN :
			max(s->last_index, s->st.snap_index));
	return 0;
}

/* Where the loop starts: the checkpoint, and an unfinished install. */
static void rr_dev_recover_state(struct rraft_dev *dev)
{
	struct rraft_store *s = &dev->store;

	dev->applied = s->st.snap_index;
	dev->applied_term = s->st.snap_term;
	dev->applied_conf = s->st.snap_conf;
	dev->idents = s->st.idents;
	dev->hs_commit = s->st.commit;
	dev->inconsistent = !!(s->st.flags & RR_STF_INCONSISTENT);
	if (dev->inconsistent)
		rraft_catchup_progress(dev, s->st.pend_offset);
	dev->role = raft_role(dev->raft);
}

/*
 * The transport and the configured peers, when listen or peers is given;
 * nothing is left behind on failure.
 */
static int rr_dev_net_create(struct rraft_dev *dev,
			     const struct rr_create_args *a)
{
	struct rr_addr any = { .port = RR_DEFAULT_PORT };
	struct rraft_net_cfg ncfg;
	u32 i;
	int err;

	if (!a->has_listen && !a->n_peers)
		return 0;
	memset(&ncfg, 0, sizeof(ncfg));
	ncfg.node_id = dev->cfg.node_id;
	ncfg.cluster_id = dev->cfg.cluster_id;
	ncfg.data_bytes = rraft_store_data_bytes(&dev->store);
	memcpy(ncfg.ident, dev->store.sb.ident, sizeof(ncfg.ident));
	ncfg.minor = dev->minor;
	rraft_addr_to_sin(a->has_listen ? &a->listen : &any, &ncfg.listen);
	dev->cfg.listen = ncfg.listen;
	dev->cfg.has_listen = true;
	memcpy(ncfg.secret, a->secret, a->secret_len);
	ncfg.secret_len = a->secret_len;
	dev->net = rraft_net_create(&ncfg, &rraft_loop_net_ops, dev);
	memzero_explicit(ncfg.secret, sizeof(ncfg.secret));
	if (IS_ERR_OR_NULL(dev->net)) {
		err = dev->net ? PTR_ERR(dev->net) : -ENOMEM;
		dev->net = NULL;
		pr_warn("rraft: create: transport setup failed (%d)\n", err);
		return err;
	}
	for (i = 0; i < a->n_peers; i++) {
		err = rraft_member_add_peer(dev, &a->peers[i]);
		if (err) {
			pr_warn("rraft: create: cannot add peer %u (%d)\n",
				a->peers[i].id, err);
			rraft_net_destroy(dev->net);
			dev->net = NULL;
			return err;
		}
	}
	return 0;
}

static void rr_dev_net_destroy(struct rraft_dev *dev)
{
	struct rraft_net *net;

	mutex_lock(&dev->lock);
	net = dev->net;
	dev->net = NULL;
	mutex_unlock(&dev->lock);
	if (net)
		rraft_net_destroy(net);
}

static void rr_dev_wq_destroy(struct rraft_dev *dev)
{
	struct rraft_inmsg *im, *tmp;

	destroy_workqueue(dev->wq);
	list_for_each_entry_safe(im, tmp, &dev->in_msgs, node)
		kvfree(im);
}

/*
 * Stop a device whose disk was added: no new requests or deliveries, no
 * ticks, no transport, every waiting request failed, the disk deleted.
 */
/* A log append completed (bio completion, atomic context). */
static void rr_dev_append_done(void *ctx)
{
	rraft_kick(ctx);
}

static void rr_dev_stop(struct rraft_dev *dev)
{
	unsigned long flags;

	spin_lock_irqsave(&dev->in_lock, flags);
	dev->dying = true;
	spin_unlock_irqrestore(&dev->in_lock, flags);
	timer_shutdown_sync(&dev->tick_timer);
	rr_dev_net_destroy(dev);
	flush_workqueue(dev->wq);
	mutex_lock(&dev->lock);
	rraft_blk_fail_all(dev);
	/* their completions kick the loop: done before the queue goes */
	rraft_store_append_wait_all(&dev->store);
	mutex_unlock(&dev->lock);
	rraft_events_stop(dev);		/* no event once the disk is gone */
	rraft_blk_exit(dev);
	flush_workqueue(dev->wq);
}

/*
 * A failed create whose disk was already added: udev or blkid may hold it
 * open.  Refuse new opens, then wait for those openers to close before
 * the device is freed (their release uses it).
 */
static void rr_dev_wait_closed(struct rraft_dev *dev)
{
	unsigned int waited = 0;

	mutex_lock(&dev->disk->open_mutex);
	dev->removing = true;
	while (disk_openers(dev->disk)) {
		mutex_unlock(&dev->disk->open_mutex);
		if (++waited == 100)
			rr_dev_warn(dev, "create failed: waiting for the device to be closed");
		msleep(20);
		mutex_lock(&dev->disk->open_mutex);
	}
	mutex_unlock(&dev->disk->open_mutex);
}

int rraft_dev_create(const struct rr_create_args *a, struct rraft_dev **devp)
{
	struct rraft_dev *dev;
	int err;

	dev = rr_dev_alloc(a);
	if (!dev)
		return -ENOMEM;
	err = rraft_store_open(&dev->store, a->backing, dev);
	if (err)
		goto out_free_dev;
	dev->store.kick = rr_dev_append_done;
	dev->store.kick_ctx = dev;
	dev->cfg.node_id = dev->store.sb.node_id;
	dev->cfg.cluster_id = dev->store.sb.cluster_id;
	err = rr_dev_check_peers(dev, a);
	if (err)
		goto out_close_store;
	err = rr_dev_core_create(dev, a);
	if (err)
		goto out_close_store;
	err = rr_dev_wmap_create(dev);
	if (err)
		goto out_destroy_core;
	rr_dev_recover_state(dev);
	dev->wq = alloc_ordered_workqueue("rraft%u", WQ_MEM_RECLAIM | WQ_HIGHPRI,
					  dev->minor);
	if (!dev->wq) {
		err = -ENOMEM;
		goto out_free_wmap;
	}
	err = rr_dev_net_create(dev, a);
	if (err)
		goto out_destroy_wq;
	err = rraft_blk_init(dev);
	if (err) {
		pr_warn("rraft: create: adding the disk failed (%d)\n", err);
		goto out_destroy_net;
	}
	if (dev->net) {
		err = rraft_net_start(dev->net);
		if (err) {
			pr_warn("rraft: create: transport start failed (%d)\n",
				err);
			goto out_stop;
		}
	}
	rraft_events_start(dev);
	rraft_loop_start(dev);
	rr_dev_info(dev, "up on %s: node %u cluster 0x%llx, %llu KiB, %u peers",
		    a->backing, dev->cfg.node_id, dev->cfg.cluster_id,
		    dev->store.sb.data_blocks * 4, dev->n_peers);
	*devp = dev;
	return 0;

out_stop:
	rr_dev_wait_closed(dev);
	rr_dev_stop(dev);
out_destroy_net:
	rr_dev_net_destroy(dev);
out_destroy_wq:
	rr_dev_wq_destroy(dev);
out_free_wmap:
	kvfree(dev->wmap.map);
out_destroy_core:
	raft_destroy(dev->raft);
out_close_store:
	rraft_store_close(&dev->store);
out_free_dev:
	kfree_sensitive(dev);	/* cfg.secret */
	return err;
}

void rraft_dev_destroy(struct rraft_dev *dev)
{
	rr_dev_stop(dev);
	rr_dev_info(dev, "removed (applied %llu, checkpoints %llu)",
		    dev->applied, dev->stat_checkpoints);
	rr_dev_wq_destroy(dev);
	kvfree(dev->wmap.map);
	raft_destroy(dev->raft);
	rraft_store_close(&dev->store);
	kfree_sensitive(dev);	/* cfg.secret */
}
