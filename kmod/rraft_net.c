// SPDX-License-Identifier: GPL-2.0
/*
 * rraft_net.c - in-kernel TCP transport: the API of rraft_net.h (create,
 * start, peers, secret, stats, destroy).  See
 * Documentation/design/wire-protocol.rst.
 *
 * The objects, their lifetimes and the other files: rraft_net_int.h.
 */
#include <linux/delay.h>
#include <linux/sched/mm.h>
#include <net/sock.h>
#include <net/net_namespace.h>

#include "rraft_net_int.h"

/* ---- API ----------------------------------------------------------------- */

struct rraft_net *rraft_net_create(const struct rraft_net_cfg *cfg,
				   const struct rraft_net_ops *ops, void *ctx)
{
	struct rraft_net *net;

	if (!cfg || !ops || !ops->deliver || cfg->node_id == RAFT_NONE ||
	    cfg->secret_len > RRAFT_SECRET_MAX ||
	    (cfg->data_bytes & (RRAFT_WIRE_SECTOR - 1)))
		return ERR_PTR(-EINVAL);
	net = kzalloc(sizeof(*net), GFP_KERNEL);
	if (!net)
		return ERR_PTR(-ENOMEM);
	net->cfg = *cfg;
	if (!net->cfg.listen.sin_port)
		net->cfg.listen.sin_port = htons(RRAFT_DEFAULT_PORT + cfg->minor);
	net->cfg.listen.sin_family = AF_INET;
	net->ops = ops;
	net->ctx = ctx;
	spin_lock_init(&net->lock);
	mutex_init(&net->state_mutex);
	INIT_LIST_HEAD(&net->peers);
	INIT_LIST_HEAD(&net->dead_peers);
	INIT_LIST_HEAD(&net->conns);
	INIT_LIST_HEAD(&net->dead);
	INIT_WORK(&net->accept_work, rraft_net_accept_work);
	INIT_WORK(&net->reap_work, rraft_net_reap_work);
	net->wq = alloc_workqueue("rraft_net%u", WQ_MEM_RECLAIM | WQ_HIGHPRI,
				  0, cfg->minor);
	if (!net->wq) {
		kfree_sensitive(net);	/* holds the secret */
		return ERR_PTR(-ENOMEM);
	}
	return net;
}

int rraft_net_start(struct rraft_net *net)
{
	struct socket *sock;
	struct rraft_net_peer *p;
	unsigned int noio;
	int err;

	spin_lock(&net->lock);
	if (net->started || net->stopping) {
		spin_unlock(&net->lock);
		return -EBUSY;
	}
	spin_unlock(&net->lock);

	noio = memalloc_noio_save();
	err = sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP,
			       &sock);
	if (err)
		goto out;
	rraft_net_sock_setup(sock, true);
	err = kernel_bind(sock, (struct sockaddr *)&net->cfg.listen,
			  sizeof(net->cfg.listen));
	if (!err)
		err = kernel_listen(sock, 16);
	if (err) {
		pr_warn("rraft%u: cannot listen on %pISpc (%d)\n",
			net->cfg.minor, &net->cfg.listen, err);
		sock_release(sock);
		goto out;
	}
	write_lock_bh(&sock->sk->sk_callback_lock);
	net->saved_listen_ready = sock->sk->sk_data_ready;
	sock->sk->sk_user_data = net;
	sock->sk->sk_data_ready = rraft_net_listen_data_ready;
	write_unlock_bh(&sock->sk->sk_callback_lock);

	spin_lock(&net->lock);
	net->lsock = sock;
	net->started = true;
	list_for_each_entry(p, &net->peers, node)
		if (rr_we_dial(net, p->id))
			rraft_net_schedule_dial(p, true);
	spin_unlock(&net->lock);
	queue_work(net->wq, &net->accept_work);	/* early connections */
out:
	memalloc_noio_restore(noio);
	return err;
}

int rraft_net_add_peer(struct rraft_net *net, const struct rraft_net_peer_cfg *pc)
{
	struct rraft_net_peer *p;

	if (!pc->id || pc->id == net->cfg.node_id)
		return -EINVAL;
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	p->net = net;
	p->id = pc->id;
	p->addr = pc->addr;
	p->addr.sin_family = AF_INET;
	if (!p->addr.sin_port)
		p->addr.sin_port = htons(RRAFT_DEFAULT_PORT + net->cfg.minor);
	p->backoff_ms = RR_BACKOFF_MIN_MS;
	p->st.id = pc->id;
	INIT_DELAYED_WORK(&p->dial_work, rraft_net_dial_work);

	spin_lock(&net->lock);
	if (net->stopping || rr_find_peer(net, pc->id) ||
	    net->n_peers >= RRAFT_NET_MAX_PEERS) {
		int err = net->stopping ? -ESHUTDOWN :
			  rr_find_peer(net, pc->id) ? -EEXIST : -ENOSPC;

		spin_unlock(&net->lock);
		kfree(p);
		return err;
	}
	list_add_tail(&p->node, &net->peers);
	net->n_peers++;
	if (net->started && rr_we_dial(net, p->id))
		rraft_net_schedule_dial(p, true);
	spin_unlock(&net->lock);
	return 0;
}

int rraft_net_remove_peer(struct rraft_net *net, u32 id)
{
	struct rraft_net_peer *p;

	spin_lock(&net->lock);
	p = rr_find_peer(net, id);
	if (!p) {
		spin_unlock(&net->lock);
		return -ENOENT;
	}
	p->removed = true;
	list_move_tail(&p->node, &net->dead_peers);
	net->n_peers--;
	if (p->conn)
		rraft_net_conn_fail_locked(p->conn);
	queue_work(net->wq, &net->reap_work);
	spin_unlock(&net->lock);
	return 0;
}

int rraft_net_set_secret(struct rraft_net *net, const u8 *secret, u32 len)
{
	struct rraft_net_peer *p;

	if (len > RRAFT_SECRET_MAX || (len && !secret))
		return -EINVAL;
	spin_lock(&net->lock);
	memzero_explicit(net->cfg.secret, sizeof(net->cfg.secret));
	if (len)
		memcpy(net->cfg.secret, secret, len);
	net->cfg.secret_len = len;
	net->secret_gen++;
	list_for_each_entry(p, &net->peers, node)
		if (p->conn)
			rraft_net_conn_fail_locked(p->conn);
	spin_unlock(&net->lock);
	return 0;
}

int rraft_net_set_peer_ident(struct rraft_net *net, u32 id, const u8 *ident)
{
	struct rraft_net_peer *p;
	struct rraft_conn *bad = NULL;

	spin_lock(&net->lock);
	p = rr_find_peer(net, id);
	if (!p) {
		spin_unlock(&net->lock);
		return -ENOENT;
	}
	p->has_want = !!ident;
	memset(p->ident_want, 0, sizeof(p->ident_want));
	if (ident)
		memcpy(p->ident_want, ident, sizeof(p->ident_want));
	if (ident && p->conn &&
	    memcmp(p->conn->ident, ident, sizeof(p->ident_want))) {
		bad = p->conn;
		pr_warn("rraft%u: peer %u: member identity %16phN differs from the recorded %16phN, disconnecting\n",
			net->cfg.minor, id, bad->ident, ident);
		rraft_net_conn_fail_locked(bad);
	}
	spin_unlock(&net->lock);
	return 0;
}

int rraft_net_peer_ident(struct rraft_net *net, u32 id,
			 u8 ident[RRAFT_NET_IDENT_LEN])
{
	struct rraft_net_peer *p;
	int err = -ENOENT;

	spin_lock(&net->lock);
	p = rr_find_peer(net, id);
	if (p) {
		err = -ENOTCONN;
		if (p->conn && p->conn->state == RR_CONN_UP) {
			memcpy(ident, p->conn->ident, RRAFT_NET_IDENT_LEN);
			err = 0;
		}
	}
	spin_unlock(&net->lock);
	return err;
}

int rraft_net_peer_stats(struct rraft_net *net, u32 id,
			 struct rraft_net_peer_stats *st)
{
	struct rraft_net_peer *p;

	spin_lock(&net->lock);
	p = rr_find_peer(net, id);
	if (p) {
		*st = p->st;
		st->conn = p->conn && p->conn->state == RR_CONN_UP ?
			   RRAFT_PEER_CONNECTED : p->hs_state;
	}
	spin_unlock(&net->lock);
	return p ? 0 : -ENOENT;
}

/* Shut down every socket not yet shut: handshakes fail, up conns are reaped. */
static void rr_shut_all(struct rraft_net *net)
{
	struct rraft_conn *conn;
	struct rraft_net_peer *p;

	for (;;) {
		spin_lock(&net->lock);
		conn = NULL;
		list_for_each_entry(conn, &net->conns, node)
			if (!conn->shut)
				break;
		if (list_entry_is_head(conn, &net->conns, node)) {
			spin_unlock(&net->lock);
			break;
		}
		conn->shut = true;
		kref_get(&conn->kref);
		rraft_net_conn_fail_locked(conn);
		spin_unlock(&net->lock);
		kernel_sock_shutdown(conn->sock, SHUT_RDWR);
		rraft_net_conn_put(conn);
	}
	spin_lock(&net->lock);
	list_for_each_entry(p, &net->peers, node)
		if (p->conn)
			rraft_net_conn_fail_locked(p->conn);
	spin_unlock(&net->lock);
}

/*
 * Stop everything and free.  Waits for the transport's works, including a
 * deliver() or peer_state() in progress: do not call it holding a lock
 * those callbacks take.
 */
void rraft_net_destroy(struct rraft_net *net)
{
	struct rraft_net_peer *p, *n;
	struct socket *lsock;
	bool busy;

	if (!net)
		return;
	spin_lock(&net->lock);
	net->stopping = true;
	lsock = net->lsock;
	spin_unlock(&net->lock);

	/* No new connections. */
	if (lsock) {
		write_lock_bh(&lsock->sk->sk_callback_lock);
		lsock->sk->sk_user_data = NULL;
		lsock->sk->sk_data_ready = net->saved_listen_ready;
		write_unlock_bh(&lsock->sk->sk_callback_lock);
		kernel_sock_shutdown(lsock, SHUT_RDWR);
		cancel_work_sync(&net->accept_work);
		net->lsock = NULL;
		sock_release(lsock);
	}
	/* Unblock handshakes (also a dial's) before waiting for any work. */
	rr_shut_all(net);
	list_for_each_entry(p, &net->peers, node)
		cancel_delayed_work_sync(&p->dial_work);

	for (;;) {
		rr_shut_all(net);
		flush_workqueue(net->wq);
		queue_work(net->wq, &net->reap_work);
		flush_work(&net->reap_work);
		spin_lock(&net->lock);
		busy = !list_empty(&net->conns) || !list_empty(&net->dead) ||
		       !list_empty(&net->dead_peers);
		spin_unlock(&net->lock);
		if (!busy)
			break;
		msleep(20);
	}
	list_for_each_entry_safe(p, n, &net->peers, node) {
		cancel_delayed_work_sync(&p->dial_work);
		list_del(&p->node);
		kfree(p);
	}
	destroy_workqueue(net->wq);
	memzero_explicit(net->cfg.secret, sizeof(net->cfg.secret));
	kfree(net);
}
