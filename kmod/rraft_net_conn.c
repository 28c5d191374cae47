// SPDX-License-Identifier: GPL-2.0
/*
 * rraft_net_conn.c - the transport's connection life cycle: socket set-up
 * and callbacks, conn objects and their references, peer state reports,
 * the reaper, the listener (accept) and dialing with backoff.  See
 * rraft_net_int.h for the objects and their lifetimes.
 */
#include <linux/random.h>
#include <linux/ratelimit.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <linux/tcp.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/net_namespace.h>

#include "rraft_net_int.h"

/*
 * Log a failure about a known peer once per episode: a repeat of the
 * failure logged last (same text; reconnect loops) stays quiet until a
 * success.
 */
void rraft_net_log_peer_failure(struct rraft_net *net, u32 id,
				const struct sockaddr_in *addr, int err,
				const char *what, const char *why)
{
	struct rraft_net_peer *p;
	bool known, quiet = false;

	spin_lock(&net->lock);
	p = rr_find_peer(net, id);
	known = p;
	if (p) {
		quiet = !strcmp(p->last_why, why);
		strscpy(p->last_why, why, sizeof(p->last_why));
	}
	spin_unlock(&net->lock);
	if (quiet)
		return;
	if (known)
		pr_warn_ratelimited("rraft%u: peer %u (%pISpc): %s: %s (%d)\n",
				    net->cfg.minor, id, addr, what, why, err);
	else
		pr_warn_ratelimited("rraft%u: connection from %pISpc: %s: %s (%d)\n",
				    net->cfg.minor, addr, what, why, err);
}

/* ---- socket setup and callbacks ---------------------------------------- */

void rraft_net_sock_setup(struct socket *sock, bool listener)
{
	struct sock *sk = sock->sk;

	sk->sk_allocation = GFP_NOIO;
	sk->sk_use_task_frag = false;
	lock_sock(sk);
	sk->sk_sndbuf = RR_SNDBUF;
	sk->sk_rcvbuf = RR_RCVBUF;
	sk->sk_userlocks |= SOCK_SNDBUF_LOCK | SOCK_RCVBUF_LOCK;
	sk->sk_rcvtimeo = RR_HS_TIMEOUT;
	sk->sk_sndtimeo = RR_HS_TIMEOUT;
	if (!listener)
		tcp_sk(sk)->notsent_lowat = RR_NOTSENT_LOWAT;
	release_sock(sk);
	if (listener) {
		sock_set_reuseaddr(sk);
		return;
	}
	tcp_sock_set_nodelay(sk);
	sock_set_keepalive(sk);
	tcp_sock_set_keepidle(sk, 5);
	tcp_sock_set_keepintvl(sk, 2);
	tcp_sock_set_keepcnt(sk, 3);
	/* void in 6.1, int in 6.12: the result is not needed */
	tcp_sock_set_user_timeout(sk, 10000);
}

static void rr_data_ready(struct sock *sk)
{
	struct rraft_conn *conn;

	read_lock_bh(&sk->sk_callback_lock);
	conn = sk->sk_user_data;
	if (conn)
		queue_work(conn->net->wq, &conn->rx_work);
	read_unlock_bh(&sk->sk_callback_lock);
}

static void rr_write_space(struct sock *sk)
{
	struct rraft_conn *conn;

	read_lock_bh(&sk->sk_callback_lock);
	conn = sk->sk_user_data;
	if (conn && sk_stream_is_writeable(sk)) {
		clear_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		queue_work(conn->net->wq, &conn->tx_work);
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

static void rr_state_change(struct sock *sk)
{
	struct rraft_conn *conn;
	void (*orig)(struct sock *sk) = NULL;

	read_lock_bh(&sk->sk_callback_lock);
	conn = sk->sk_user_data;
	if (conn) {
		orig = conn->saved_state_change;
		switch (sk->sk_state) {
		case TCP_CLOSE:
		case TCP_CLOSE_WAIT:
		case TCP_LAST_ACK:
		case TCP_FIN_WAIT1:
		case TCP_FIN_WAIT2:
			/* rx_work sees EOF or the error and fails the conn */
			queue_work(conn->net->wq, &conn->rx_work);
			break;
		default:
			break;
		}
	}
	read_unlock_bh(&sk->sk_callback_lock);
	if (orig)
		orig(sk);
}

void rraft_net_install_callbacks(struct rraft_conn *conn)
{
	struct sock *sk = conn->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	conn->saved_data_ready = sk->sk_data_ready;
	conn->saved_write_space = sk->sk_write_space;
	conn->saved_state_change = sk->sk_state_change;
	sk->sk_user_data = conn;
	sk->sk_data_ready = rr_data_ready;
	sk->sk_write_space = rr_write_space;
	sk->sk_state_change = rr_state_change;
	conn->cb_installed = true;
	write_unlock_bh(&sk->sk_callback_lock);
}

static void rr_restore_callbacks(struct rraft_conn *conn)
{
	struct sock *sk = conn->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = NULL;
	sk->sk_data_ready = conn->saved_data_ready;
	sk->sk_write_space = conn->saved_write_space;
	sk->sk_state_change = conn->saved_state_change;
	conn->cb_installed = false;
	write_unlock_bh(&sk->sk_callback_lock);
}

/* ---- connection objects ------------------------------------------------ */

struct rraft_conn *rraft_net_conn_alloc(struct rraft_net *net,
					struct socket *sock, bool dialer)
{
	struct rraft_conn *conn = kzalloc(sizeof(*conn), GFP_NOIO);

	if (!conn)
		return NULL;
	kref_init(&conn->kref);
	conn->net = net;
	conn->sock = sock;
	conn->dialer = dialer;
	conn->state = RR_CONN_HS;
	INIT_LIST_HEAD(&conn->node);
	INIT_LIST_HEAD(&conn->txq_ctrl);
	INIT_LIST_HEAD(&conn->txq_bulk);
	INIT_WORK(&conn->hs_work, rraft_net_hs_work);
	INIT_WORK(&conn->rx_work, rraft_net_rx_work);
	INIT_WORK(&conn->tx_work, rraft_net_tx_work);
	conn->rx_need = RRAFT_WIRE_HDR_SIZE;
	return conn;
}

static void rr_free_frames(struct list_head *q)
{
	struct rr_frame *f, *n;

	list_for_each_entry_safe(f, n, q, node) {
		list_del(&f->node);
		kvfree(f);
	}
}

static void rr_conn_release(struct kref *kref)
{
	struct rraft_conn *conn = container_of(kref, struct rraft_conn, kref);
	struct rraft_net *net = conn->net;
	struct rraft_net_peer *p = conn->peer;

	if (conn->cb_installed)
		rr_restore_callbacks(conn);
	cancel_work_sync(&conn->rx_work);
	cancel_work_sync(&conn->tx_work);
	kernel_sock_shutdown(conn->sock, SHUT_RDWR);
	sock_release(conn->sock);
	rr_free_frames(&conn->txq_ctrl);
	rr_free_frames(&conn->txq_bulk);
	kvfree(conn->tx_ctrl);
	kvfree(conn->tx_bulk);
	kvfree(conn->rxbuf);
	kvfree(conn->reasm);
	spin_lock(&net->lock);
	list_del_init(&conn->node);
	if (p && !--p->nref && p->removed)
		queue_work(net->wq, &net->reap_work);
	spin_unlock(&net->lock);
	kfree(conn);
}

void rraft_net_conn_put(struct rraft_conn *conn)
{
	kref_put(&conn->kref, rr_conn_release);
}

/* Fail an up connection: the reaper takes it down.  Caller holds net->lock. */
bool rraft_net_conn_fail_locked(struct rraft_conn *conn)
{
	if (conn->state != RR_CONN_UP)
		return false;
	conn->state = RR_CONN_DEAD;
	list_move_tail(&conn->node, &conn->net->dead);
	queue_work(conn->net->wq, &conn->net->reap_work);
	return true;
}

void rraft_net_conn_fail(struct rraft_conn *conn, int err, const char *why)
{
	struct rraft_net *net = conn->net;
	bool failed;

	spin_lock(&net->lock);
	failed = rraft_net_conn_fail_locked(conn);
	spin_unlock(&net->lock);
	if (failed && why)
		pr_warn_ratelimited("rraft%u: peer %u (%pISpc): %s (%d), disconnecting\n",
				    net->cfg.minor, conn->peer_id, &conn->addr,
				    why, err);
}

/* Tell the host about a change of a peer's reachability, in order. */
void rraft_net_report_state(struct rraft_net *net, struct rraft_net_peer *p)
{
	bool up, report = false;

	mutex_lock(&net->state_mutex);
	spin_lock(&net->lock);
	up = p->conn && p->conn->state == RR_CONN_UP;
	if (!net->stopping && !p->removed && up != p->reported_up) {
		p->reported_up = up;
		report = true;
	}
	spin_unlock(&net->lock);
	if (report && net->ops->peer_state)
		net->ops->peer_state(net->ctx, p->id, up);
	mutex_unlock(&net->state_mutex);
}

void rraft_net_schedule_dial(struct rraft_net_peer *p, bool now)
{
	unsigned long delay = 0;

	if (!now) {
		unsigned int ms = p->backoff_ms;

		ms += get_random_u32_below(ms / 2 + 1);
		delay = msecs_to_jiffies(ms);
		p->backoff_ms = min(p->backoff_ms * 2, (unsigned int)RR_BACKOFF_MAX_MS);
	}
	queue_delayed_work(p->net->wq, &p->dial_work, delay);
}

void rraft_net_reap_work(struct work_struct *w)
{
	struct rraft_net *net = container_of(w, struct rraft_net, reap_work);
	struct rraft_conn *conn;
	struct rraft_net_peer *p;

	for (;;) {
		spin_lock(&net->lock);
		conn = list_first_entry_or_null(&net->dead, struct rraft_conn,
						node);
		if (!conn) {
			spin_unlock(&net->lock);
			break;
		}
		list_del_init(&conn->node);
		p = conn->peer;
		if (p && p->conn == conn) {
			p->conn = NULL;
			p->hs_state = RRAFT_PEER_DISCONNECTED;
			if (!net->stopping && !p->removed && rr_we_dial(net, p->id))
				rraft_net_schedule_dial(p, false);
		}
		spin_unlock(&net->lock);
		kernel_sock_shutdown(conn->sock, SHUT_RDWR);
		if (p)
			rraft_net_report_state(net, p);
		rraft_net_conn_put(conn);
	}
	for (;;) {
		spin_lock(&net->lock);
		p = NULL;
		list_for_each_entry(p, &net->dead_peers, node)
			if (!p->nref)
				break;
		if (list_entry_is_head(p, &net->dead_peers, node)) {
			spin_unlock(&net->lock);
			break;
		}
		list_del(&p->node);
		spin_unlock(&net->lock);
		cancel_delayed_work_sync(&p->dial_work);
		kfree(p);
	}
}

/* ---- listener, dialing --------------------------------------------------- */

void rraft_net_listen_data_ready(struct sock *sk)
{
	struct rraft_net *net;

	read_lock_bh(&sk->sk_callback_lock);
	net = sk->sk_user_data;
	if (net && sk->sk_state == TCP_LISTEN)
		queue_work(net->wq, &net->accept_work);
	read_unlock_bh(&sk->sk_callback_lock);
}

/*
 * May an accepted socket start a handshake (net->lock held)?  At most
 * RR_MAX_ACCEPTING_PER_ADDR at once from one address, and at most
 * RR_MAX_ACCEPTING from addresses that are no configured peer's: idle
 * strangers cannot take the slots a restarting peer needs.
 */
static bool rr_accept_slot(struct rraft_net *net, struct rraft_conn *conn)
{
	__be32 ip = conn->addr.sin_addr.s_addr;
	struct rraft_net_peer *p;
	struct rraft_conn *c;
	u32 same = 0;

	conn->stranger = true;
	list_for_each_entry(p, &net->peers, node)
		if (p->addr.sin_addr.s_addr == ip)
			conn->stranger = false;
	list_for_each_entry(c, &net->conns, node)
		if (!c->dialer && c->state == RR_CONN_HS &&
		    c->addr.sin_addr.s_addr == ip)
			same++;
	if (same >= RR_MAX_ACCEPTING_PER_ADDR)
		return false;
	return !conn->stranger || net->n_accepting < RR_MAX_ACCEPTING;
}

void rraft_net_accept_work(struct work_struct *w)
{
	struct rraft_net *net = container_of(w, struct rraft_net, accept_work);
	struct socket *sock;
	struct rraft_conn *conn;
	struct sockaddr_in addr;
	unsigned int noio = memalloc_noio_save();
	bool ok;
	int err;

	for (;;) {
		err = kernel_accept(net->lsock, &sock, O_NONBLOCK);
		if (err)
			break;
		/*
		 * The child is a clone of the listener: it inherited our
		 * listen callback and sk_user_data.  Give it back the
		 * default data_ready, or blocking reads would never wake.
		 */
		write_lock_bh(&sock->sk->sk_callback_lock);
		sock->sk->sk_user_data = NULL;
		sock->sk->sk_data_ready = net->saved_listen_ready;
		write_unlock_bh(&sock->sk->sk_callback_lock);
		memset(&addr, 0, sizeof(addr));
		kernel_getpeername(sock, (struct sockaddr *)&addr);
		rraft_net_sock_setup(sock, false);
		conn = rraft_net_conn_alloc(net, sock, false);
		ok = false;
		if (conn) {
			conn->addr = addr;
			spin_lock(&net->lock);
			if (!net->stopping && rr_accept_slot(net, conn)) {
				net->n_accepting += conn->stranger;
				list_add_tail(&conn->node, &net->conns);
				ok = true;
			}
			spin_unlock(&net->lock);
		}
		if (!ok) {
			pr_warn_ratelimited("rraft%u: connection from %pISpc refused: %s\n",
					    net->cfg.minor, &addr,
					    conn ? "too many handshakes in progress" :
					    "out of memory");
			if (conn)
				rraft_net_conn_put(conn);	/* releases sock */
			else
				sock_release(sock);
			continue;
		}
		queue_work(net->wq, &conn->hs_work);
	}
	memalloc_noio_restore(noio);
}

static const char *rr_connect_why(int err)
{
	switch (err) {
	case -ECONNREFUSED:
		return "refused";
	case -ETIMEDOUT:
		return "timed out";
	case -EHOSTUNREACH:
	case -ENETUNREACH:
		return "unreachable";
	default:
		return "error";
	}
}

void rraft_net_dial_work(struct work_struct *w)
{
	struct rraft_net_peer *p = container_of(to_delayed_work(w),
					    struct rraft_net_peer, dial_work);
	struct rraft_net *net = p->net;
	struct rraft_conn *conn = NULL;
	struct socket *sock;
	struct sockaddr_in addr;
	unsigned int noio;
	int err;

	spin_lock(&net->lock);
	if (net->stopping || p->removed || p->conn) {
		spin_unlock(&net->lock);
		return;
	}
	addr = p->addr;
	p->hs_state = RRAFT_PEER_CONNECTING;
	spin_unlock(&net->lock);

	noio = memalloc_noio_save();
	err = sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP,
			       &sock);
	if (!err) {
		rraft_net_sock_setup(sock, false);
		conn = rraft_net_conn_alloc(net, sock, true);
		if (!conn) {
			sock_release(sock);
			err = -ENOMEM;
		}
	}
	if (conn) {
		conn->addr = addr;
		conn->peer_id = p->id;
		spin_lock(&net->lock);
		conn->peer = p;
		p->nref++;
		list_add_tail(&conn->node, &net->conns);
		err = net->stopping ? -ESHUTDOWN : 0;
		spin_unlock(&net->lock);
		if (!err)
			err = kernel_connect(sock, (struct sockaddr *)&addr,
					     sizeof(addr), 0);
		/* a blocking connect that ran out of sk_sndtimeo */
		if (err == -EINPROGRESS)
			err = -ETIMEDOUT;
		if (err) {
			if (!net->stopping && !conn->shut)
				rraft_net_log_peer_failure(net, p->id, &addr, err,
							   "connect failed",
							   rr_connect_why(err));
			spin_lock(&net->lock);
			list_del_init(&conn->node);
			spin_unlock(&net->lock);
			rraft_net_conn_put(conn);
		} else {
			spin_lock(&net->lock);
			p->hs_state = RRAFT_PEER_HANDSHAKE;
			spin_unlock(&net->lock);
			rraft_net_hs_run(conn);	/* consumes the reference */
		}
	} else {
		rraft_net_log_peer_failure(net, p->id, &addr, err, "connect failed",
					   "cannot create socket");
	}
	memalloc_noio_restore(noio);

	spin_lock(&net->lock);
	if (!p->conn) {
		p->hs_state = RRAFT_PEER_DISCONNECTED;
		if (!net->stopping && !p->removed)
			rraft_net_schedule_dial(p, false);
	}
	spin_unlock(&net->lock);
}

