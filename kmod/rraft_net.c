// SPDX-License-Identifier: GPL-2.0
/*
 * rraft_net.c - in-kernel TCP transport (see rraft_net.h and
 * Documentation/design/wire-protocol.rst).
 *
 * Objects and their lifetimes:
 *
 *  - struct rraft_net: one per device.  net->lock (a spinlock) protects the
 *    peer list, every conn's queues and state, and the stats.
 *  - struct rraft_peer: one per configured peer.  Freed by the reaper once
 *    removed and no conn refers to it any more (peer->nref).
 *  - struct rraft_conn: one TCP connection.  Refcounted (kref); the owner
 *    reference belongs to the handshake while it runs, then to the peer it
 *    is attached to.  A failing conn is moved to net->dead and the reaper
 *    detaches it, shuts its socket down and drops the owner reference; the
 *    last put restores the socket callbacks, cancels the conn's rx/tx works
 *    and releases the socket.  rx/tx works never drop references, so that
 *    cancel_work_sync() never waits for itself.
 *
 * Works (all on one WQ_MEM_RECLAIM | WQ_HIGHPRI workqueue per device):
 * accept_work (listener), hs_work (handshake of an accepted socket),
 * dial_work (per peer: connect + handshake, exponential backoff), rx_work and
 * tx_work (per conn, kicked by the socket callbacks), reap_work.
 *
 * The handshake is done with blocking socket calls bounded by timeouts;
 * after it, all I/O is non-blocking (MSG_DONTWAIT) and driven by the
 * data_ready/write_space/state_change callbacks, which only queue work.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/workqueue.h>
#include <linux/net.h>
#include <linux/tcp.h>
#include <linux/random.h>
#include <linux/ratelimit.h>
#include <linux/kref.h>
#include <linux/delay.h>
#include <linux/sizes.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/net_namespace.h>
#include <crypto/hash.h>
#include <crypto/algapi.h>

#include "rraft_net.h"
#include "rraft_wire.h"

#define RR_HS_TIMEOUT		(5 * HZ)	/* connect and each handshake step */
#define RR_BACKOFF_MIN_MS	100
#define RR_BACKOFF_MAX_MS	5000
#define RR_SNDBUF		SZ_2M
#define RR_RCVBUF		SZ_1M
/*
 * Unsent bytes TCP may hold: beyond this the socket reports "full", so
 * queued bulk waits in our queues, where control frames overtake it.
 */
#define RR_NOTSENT_LOWAT	SZ_128K
#define RR_BULK_QUEUE_MAX	SZ_16M		/* bytes queued per peer */
#define RR_CTRL_QUEUE_MAX	SZ_1M
#define RR_MAX_ACCEPTING	16		/* unauthenticated sockets */
#define RR_RX_BUDGET		64		/* records per rx_work run */
#define RR_TX_BUDGET		SZ_1M		/* bytes per tx_work run */
#define RR_RXBUF_SIZE		(RRAFT_WIRE_HDR_SIZE + RRAFT_WIRE_SLICE + \
				 RRAFT_WIRE_TRAILER_SIZE)
#define RR_WHY_MAX		96		/* a formatted failure reason */

enum rr_conn_state { RR_CONN_HS, RR_CONN_UP, RR_CONN_DEAD };

struct rr_frame {
	struct list_head node;
	u32 len;
	u8 buf[];
};

struct rraft_peer;

struct rraft_conn {
	struct kref kref;
	struct rraft_net *net;
	struct socket *sock;
	struct rraft_peer *peer;	/* set once attached (or dialing) */
	u32 peer_id;
	bool dialer;
	bool cb_installed;
	bool shut;			/* destroy has shut it down */
	bool authed;			/* HMAC challenge-response done */
	enum rr_conn_state state;	/* net->lock */
	u32 secret_gen;
	struct list_head node;		/* net->conns or net->dead */
	struct sockaddr_in addr;	/* remote, for messages */
	char why_buf[RR_WHY_MAX];	/* handshake failure with details */
	struct work_struct hs_work;
	struct work_struct rx_work;
	struct work_struct tx_work;
	void (*saved_data_ready)(struct sock *sk);
	void (*saved_write_space)(struct sock *sk);
	void (*saved_state_change)(struct sock *sk);

	/* Receive state (rx_work only). */
	u8 *rxbuf;
	u32 rx_have;
	u32 rx_need;
	u8 *reasm;
	u32 reasm_len;
	u32 reasm_have;

	/* Send queues (net->lock). */
	struct list_head txq_ctrl;
	struct list_head txq_bulk;
	u32 ctrl_bytes;
	u32 bulk_bytes;

	/* Record being sent (tx_work only). */
	struct rr_frame *tx_ctrl;	/* control frame in flight */
	struct rr_frame *tx_bulk;	/* bulk frame being sliced */
	u32 tx_bulk_off;
	u32 tx_slice;
	struct kvec tx_vec[3];
	u32 tx_nvec;
	u32 tx_rec_len;
	u32 tx_rec_sent;
	u8 tx_fraghdr[RRAFT_WIRE_HDR_SIZE];
	u8 tx_fragcrc[RRAFT_WIRE_TRAILER_SIZE];
};

struct rraft_peer {
	struct list_head node;		/* net->peers or net->dead_peers */
	struct rraft_net *net;
	u32 id;
	struct sockaddr_in addr;
	struct rraft_conn *conn;	/* attached, up */
	unsigned int nref;		/* conns pointing here */
	bool removed;
	bool reported_up;		/* state_mutex */
	bool ever_up;
	u32 hs_state;			/* enum rraft_peer_conn while dialing */
	char last_why[RR_WHY_MAX];	/* last logged failure, "" after success */
	unsigned int backoff_ms;
	struct delayed_work dial_work;
	struct rraft_net_peer_stats st;
};

struct rraft_net {
	struct rraft_net_cfg cfg;	/* secret under lock */
	u32 secret_gen;
	const struct rraft_net_ops *ops;
	void *ctx;
	struct workqueue_struct *wq;
	spinlock_t lock;		/* peers, conns, queues, stats */
	struct mutex state_mutex;	/* orders peer_state() reports */
	struct list_head peers;
	struct list_head dead_peers;
	struct list_head conns;		/* handshaking and up */
	struct list_head dead;
	unsigned int n_peers;
	unsigned int n_accepting;
	bool started;
	bool stopping;
	struct socket *lsock;
	void (*saved_listen_ready)(struct sock *sk);
	struct work_struct accept_work;
	struct work_struct reap_work;
};

static void rr_conn_release(struct kref *kref);

static struct rraft_peer *rr_find_peer(struct rraft_net *net, u32 id)
{
	struct rraft_peer *p;

	list_for_each_entry(p, &net->peers, node)
		if (p->id == id)
			return p;
	return NULL;
}

static bool rr_we_dial(struct rraft_net *net, u32 id)
{
	return net->cfg.node_id < id;
}

/*
 * Log a failure about a known peer once per episode: a repeat of the
 * failure logged last (same text; reconnect loops) stays quiet until a
 * success.
 */
static void rr_log_peer_failure(struct rraft_net *net, u32 id,
				const struct sockaddr_in *addr, int err,
				const char *what, const char *why)
{
	struct rraft_peer *p;
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

static void rr_sock_setup(struct socket *sock, bool listener)
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

static void rr_install_callbacks(struct rraft_conn *conn)
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

static void rr_rx_work(struct work_struct *w);
static void rr_tx_work(struct work_struct *w);
static void rr_hs_work(struct work_struct *w);

static struct rraft_conn *rr_conn_alloc(struct rraft_net *net,
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
	INIT_WORK(&conn->hs_work, rr_hs_work);
	INIT_WORK(&conn->rx_work, rr_rx_work);
	INIT_WORK(&conn->tx_work, rr_tx_work);
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
	struct rraft_peer *p = conn->peer;

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

static void rr_conn_put(struct rraft_conn *conn)
{
	kref_put(&conn->kref, rr_conn_release);
}

/* Fail an up connection: the reaper takes it down.  Caller holds net->lock. */
static bool rr_conn_fail_locked(struct rraft_conn *conn)
{
	if (conn->state != RR_CONN_UP)
		return false;
	conn->state = RR_CONN_DEAD;
	list_move_tail(&conn->node, &conn->net->dead);
	queue_work(conn->net->wq, &conn->net->reap_work);
	return true;
}

static void rr_conn_fail(struct rraft_conn *conn, int err, const char *why)
{
	struct rraft_net *net = conn->net;
	bool failed;

	spin_lock(&net->lock);
	failed = rr_conn_fail_locked(conn);
	spin_unlock(&net->lock);
	if (failed && why)
		pr_warn_ratelimited("rraft%u: peer %u (%pISpc): %s (%d), disconnecting\n",
				    net->cfg.minor, conn->peer_id, &conn->addr,
				    why, err);
}

/* Tell the host about a change of a peer's reachability, in order. */
static void rr_report_state(struct rraft_net *net, struct rraft_peer *p)
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

static void rr_schedule_dial(struct rraft_peer *p, bool now)
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

static void rr_reap_work(struct work_struct *w)
{
	struct rraft_net *net = container_of(w, struct rraft_net, reap_work);
	struct rraft_conn *conn;
	struct rraft_peer *p;

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
				rr_schedule_dial(p, false);
		}
		spin_unlock(&net->lock);
		kernel_sock_shutdown(conn->sock, SHUT_RDWR);
		if (p)
			rr_report_state(net, p);
		rr_conn_put(conn);
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

/* ---- handshake ------------------------------------------------------------ */

static int rr_send_all(struct socket *sock, const void *buf, size_t len)
{
	struct kvec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	int n = kernel_sendmsg(sock, &msg, &iov, 1, len);

	if (n == len)
		return 0;
	if (n == -EAGAIN)
		return -ETIMEDOUT;
	return n < 0 ? n : -ECONNRESET;
}

static int rr_recv_all(struct socket *sock, void *buf, size_t len,
		       const char **why)
{
	struct kvec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	int n = kernel_recvmsg(sock, &msg, &iov, 1, len,
			       MSG_WAITALL | MSG_NOSIGNAL);

	if (n == len)
		return 0;
	if (n == -EAGAIN) {
		*why = "timed out";
		return -ETIMEDOUT;
	}
	if (n < 0) {
		*why = "receive error";
		return n;
	}
	if (n >= 4 && rr_get_le32(buf) != RRAFT_WIRE_MAGIC) {
		*why = "not an rraft peer (bad magic)";
		return -EPROTO;
	}
	*why = "connection closed by peer";
	return -ECONNRESET;
}

/* Receive one handshake frame of the given type into buf. */
static int rr_hs_recv(struct socket *sock, u8 *buf, u16 type, u32 body_len,
		      const char **why)
{
	struct rraft_wire_hdr h;
	int err;

	err = rr_recv_all(sock, buf, RRAFT_WIRE_HDR_SIZE, why);
	if (err)
		return err;
	err = rraft_wire_check_header(buf, RRAFT_WIRE_HDR_SIZE, &h);
	if (err) {
		*why = rr_get_le32(buf) != RRAFT_WIRE_MAGIC ?
		       "not an rraft peer (bad magic)" : "bad frame header";
		return err;
	}
	if (h.type != type) {
		*why = "unexpected frame during handshake";
		return -EPROTO;
	}
	if (h.body_len != body_len) {
		*why = "bad handshake frame length";
		return -EBADMSG;
	}
	err = rr_recv_all(sock, buf + RRAFT_WIRE_HDR_SIZE,
			  body_len + RRAFT_WIRE_TRAILER_SIZE, why);
	if (err)
		return err;
	return 0;
}

static int rr_mac(const u8 *key, u32 klen, const u8 *in, u32 len, u8 *out)
{
	struct crypto_shash *tfm;
	int err;

	tfm = crypto_alloc_shash("hmac(sha256)", 0, 0);
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	err = crypto_shash_setkey(tfm, key, klen);
	if (!err)
		err = crypto_shash_tfm_digest(tfm, in, len, out);
	crypto_free_shash(tfm);
	return err;
}

struct rr_hs {
	struct rraft_wire_hello mine;
	struct rraft_wire_hello theirs;
	u8 secret[RRAFT_SECRET_MAX];
	u32 secret_len;
	u8 buf[RRAFT_WIRE_HS_MAX_FRAME];
	u8 in[RRAFT_WIRE_AUTH_INPUT_SIZE];
	u8 mac[RRAFT_WIRE_MAC_SIZE];
	u8 peer_mac[RRAFT_WIRE_MAC_SIZE];
};

static int rr_hs_check_hello(struct rraft_conn *conn, struct rr_hs *hs,
			     const char **why)
{
	struct rraft_net *net = conn->net;
	struct rraft_wire_hello *t = &hs->theirs;
	int err;

	err = rraft_wire_decode_hello(hs->buf, RRAFT_WIRE_HELLO_FRAME, t);
	if (err) {
		*why = "malformed HELLO";
		return err;
	}
	if (t->proto != RRAFT_WIRE_VERSION) {
		*why = "unsupported protocol version";
		return -EPROTONOSUPPORT;
	}
	if (t->cluster_id != net->cfg.cluster_id) {
		*why = "wrong cluster id";
		return -EACCES;
	}
	if (t->to != net->cfg.node_id) {
		*why = "peer expects another node id here";
		return -EACCES;
	}
	if (conn->dialer) {
		if (t->from != conn->peer_id) {
			*why = "unexpected node id at this address";
			return -EACCES;
		}
	} else {
		bool known;

		spin_lock(&net->lock);
		known = rr_find_peer(net, t->from);
		spin_unlock(&net->lock);
		conn->peer_id = t->from;
		if (!known) {
			*why = "unknown node id";
			return -EACCES;
		}
		if (rr_we_dial(net, t->from)) {
			*why = "peer with higher id dialed (the lower id dials)";
			return -EACCES;
		}
	}
	if (hs->secret_len && !(t->flags & RRAFT_WIRE_HELLO_AUTH)) {
		*why = "peer has no secret, authentication required";
		return -EKEYREJECTED;
	}
	if (!hs->secret_len && (t->flags & RRAFT_WIRE_HELLO_AUTH)) {
		*why = "peer requires authentication, no secret set here";
		return -EKEYREJECTED;
	}
	/*
	 * Last check, so that a mismatch here means everything else matched:
	 * the acceptor then still answers with its HELLO, and both sides log
	 * both sizes.  Replicating between different sizes would fail the
	 * smaller member at the first write or snapshot chunk past its end.
	 */
	if (net->cfg.data_bytes && t->data_bytes != net->cfg.data_bytes) {
		snprintf(conn->why_buf, sizeof(conn->why_buf),
			 "data area size differs (peer %llu KiB, ours %llu KiB)",
			 t->data_bytes >> 10, net->cfg.data_bytes >> 10);
		*why = conn->why_buf;
		return -EMEDIUMTYPE;
	}
	return 0;
}

static int rr_hs_send_auth(struct rraft_conn *conn, struct rr_hs *hs,
			   const char **why)
{
	int err;

	rraft_wire_auth_input(hs->in, conn->net->cfg.cluster_id,
			      conn->net->cfg.node_id, conn->peer_id,
			      hs->theirs.nonce, hs->mine.nonce);
	err = rr_mac(hs->secret, hs->secret_len, hs->in, sizeof(hs->in),
		     hs->mac);
	if (err) {
		*why = "hmac(sha256) unavailable";
		return err;
	}
	rraft_wire_encode_auth(hs->mac, hs->buf);
	err = rr_send_all(conn->sock, hs->buf, RRAFT_WIRE_AUTH_FRAME);
	if (err)
		*why = "send failed";
	return err;
}

static int rr_hs_recv_auth(struct rraft_conn *conn, struct rr_hs *hs,
			   const char **why)
{
	int err;

	err = rr_hs_recv(conn->sock, hs->buf, RRAFT_WT_AUTH,
			 RRAFT_WIRE_MAC_SIZE, why);
	if (err) {
		if (err == -ECONNRESET)
			*why = "closed by peer during authentication (wrong secret?)";
		return err;
	}
	err = rraft_wire_decode_auth(hs->buf, RRAFT_WIRE_AUTH_FRAME,
				     hs->peer_mac);
	if (err) {
		*why = "malformed AUTH";
		return err;
	}
	rraft_wire_auth_input(hs->in, conn->net->cfg.cluster_id, conn->peer_id,
			      conn->net->cfg.node_id, hs->mine.nonce,
			      hs->theirs.nonce);
	err = rr_mac(hs->secret, hs->secret_len, hs->in, sizeof(hs->in),
		     hs->mac);
	if (err) {
		*why = "hmac(sha256) unavailable";
		return err;
	}
	if (crypto_memneq(hs->mac, hs->peer_mac, RRAFT_WIRE_MAC_SIZE)) {
		*why = "authentication failed (wrong secret)";
		return -EKEYREJECTED;
	}
	return 0;
}

/*
 * The handshake, dialer D and acceptor A:
 *	D->A HELLO, A->D HELLO, [D->A AUTH, A->D AUTH], D->A AUTH_OK.
 * A answers only after checking D's HELLO (and D's AUTH), so D knows it is
 * accepted once it has A's HELLO (and A's AUTH).
 */
static int rr_handshake(struct rraft_conn *conn, struct rr_hs *hs,
			const char **why)
{
	struct rraft_net *net = conn->net;
	struct socket *sock = conn->sock;
	int err;

	spin_lock(&net->lock);
	hs->secret_len = net->cfg.secret_len;
	memcpy(hs->secret, net->cfg.secret, hs->secret_len);
	conn->secret_gen = net->secret_gen;
	spin_unlock(&net->lock);

	hs->mine.proto = RRAFT_WIRE_VERSION;
	hs->mine.flags = hs->secret_len ? RRAFT_WIRE_HELLO_AUTH : 0;
	hs->mine.cluster_id = net->cfg.cluster_id;
	hs->mine.from = net->cfg.node_id;
	hs->mine.data_bytes = net->cfg.data_bytes;
	get_random_bytes(hs->mine.nonce, sizeof(hs->mine.nonce));

	if (conn->dialer) {
		hs->mine.to = conn->peer_id;
		rraft_wire_encode_hello(&hs->mine, hs->buf);
		err = rr_send_all(sock, hs->buf, RRAFT_WIRE_HELLO_FRAME);
		if (err) {
			*why = "send failed";
			return err;
		}
	}
	err = rr_hs_recv(sock, hs->buf, RRAFT_WT_HELLO, RRAFT_WIRE_HELLO_SIZE,
			 why);
	if (err)
		return err;
	err = rr_hs_check_hello(conn, hs, why);
	/* on a size mismatch the dialer gets our HELLO, to log it too */
	if (err && (err != -EMEDIUMTYPE || conn->dialer))
		return err;
	if (!conn->dialer) {
		int serr;

		hs->mine.to = conn->peer_id;
		rraft_wire_encode_hello(&hs->mine, hs->buf);
		serr = rr_send_all(sock, hs->buf, RRAFT_WIRE_HELLO_FRAME);
		if (err)
			return err;
		if (serr) {
			*why = "send failed";
			return serr;
		}
	}
	if (hs->secret_len) {
		if (conn->dialer) {
			err = rr_hs_send_auth(conn, hs, why);
			if (!err)
				err = rr_hs_recv_auth(conn, hs, why);
		} else {
			err = rr_hs_recv_auth(conn, hs, why);
			if (!err)
				err = rr_hs_send_auth(conn, hs, why);
		}
		if (err)
			return err;
		conn->authed = true;
	}
	if (conn->dialer) {
		rraft_wire_encode_auth_ok(hs->buf);
		err = rr_send_all(sock, hs->buf, RRAFT_WIRE_AUTH_OK_FRAME);
		if (err)
			*why = "send failed";
		return err;
	}
	err = rr_hs_recv(sock, hs->buf, RRAFT_WT_AUTH_OK, 0, why);
	if (!err)
		err = rraft_wire_decode_auth_ok(hs->buf, RRAFT_WIRE_AUTH_OK_FRAME);
	if (err && !*why)
		*why = "malformed AUTH_OK";
	return err;
}

/*
 * Attach a handshaken conn to its peer and start callback-driven I/O.
 * Consumes the caller's (owner) reference.
 */
static int rr_conn_up(struct rraft_conn *conn, const char **why)
{
	struct rraft_net *net = conn->net;
	struct rraft_conn *old = NULL;
	struct rraft_peer *p;

	conn->rxbuf = kvmalloc(RR_RXBUF_SIZE, GFP_KERNEL);
	if (!conn->rxbuf) {
		*why = "out of memory";
		return -ENOMEM;
	}
	spin_lock(&net->lock);
	p = rr_find_peer(net, conn->peer_id);
	if (net->stopping || !p || (conn->peer && conn->peer != p) ||
	    conn->secret_gen != net->secret_gen) {
		spin_unlock(&net->lock);
		*why = "configuration changed during handshake";
		return -ESTALE;
	}
	if (!conn->peer) {
		conn->peer = p;
		p->nref++;
	}
	if (p->conn && p->conn != conn) {
		old = p->conn;
		rr_conn_fail_locked(old);
	}
	p->conn = conn;
	p->hs_state = RRAFT_PEER_CONNECTED;
	p->last_why[0] = '\0';
	p->backoff_ms = RR_BACKOFF_MIN_MS;
	if (p->ever_up)
		p->st.reconnects++;
	p->ever_up = true;
	conn->state = RR_CONN_UP;
	kref_get(&conn->kref);	/* the peer's reference */
	spin_unlock(&net->lock);

	pr_info("rraft%u: peer %u (%pISpc) connected%s\n", net->cfg.minor,
		p->id, &conn->addr, conn->authed ? ", authenticated" : "");
	rr_install_callbacks(conn);
	queue_work(net->wq, &conn->rx_work);	/* data that came early */
	rr_report_state(net, p);
	rr_conn_put(conn);			/* the handshake's reference */
	return 0;
}

static void rr_hs_run(struct rraft_conn *conn)
{
	struct rraft_net *net = conn->net;
	const char *why = NULL;
	struct rr_hs *hs;
	unsigned int noio;
	int err;

	noio = memalloc_noio_save();
	hs = kzalloc(sizeof(*hs), GFP_KERNEL);
	if (!hs) {
		err = -ENOMEM;
		why = "out of memory";
	} else {
		err = rr_handshake(conn, hs, &why);
		memzero_explicit(hs, sizeof(*hs));
		kfree(hs);
	}
	if (!err)
		err = rr_conn_up(conn, &why);
	memalloc_noio_restore(noio);
	if (!err)
		return;
	if (!READ_ONCE(net->stopping) && !conn->shut)
		rr_log_peer_failure(net, conn->peer_id, &conn->addr, err,
				    "handshake failed", why ? why : "error");
	spin_lock(&net->lock);
	list_del_init(&conn->node);
	spin_unlock(&net->lock);
	rr_conn_put(conn);
}

static void rr_hs_work(struct work_struct *w)
{
	struct rraft_conn *conn = container_of(w, struct rraft_conn, hs_work);
	struct rraft_net *net = conn->net;

	rr_hs_run(conn);
	spin_lock(&net->lock);
	net->n_accepting--;
	spin_unlock(&net->lock);
}

/* ---- receive ------------------------------------------------------------- */

static void rr_deliver(struct rraft_conn *conn, const u8 *buf, u32 len)
{
	struct rraft_net *net = conn->net;
	struct raft_msg m;
	int err;

	err = rraft_wire_decode(buf, len, &m);
	if (err) {
		rr_conn_fail(conn, err, err == -ENOMEM ?
			     "out of memory decoding a message" :
			     "malformed message");
		return;
	}
	if (m.from != conn->peer_id || m.to != net->cfg.node_id) {
		rraft_wire_msg_free(&m);
		rr_conn_fail(conn, -EBADMSG, "message with wrong sender or destination");
		return;
	}
	spin_lock(&net->lock);
	conn->peer->st.msgs_received++;
	spin_unlock(&net->lock);
	if (!READ_ONCE(net->stopping))
		net->ops->deliver(net->ctx, &m);
	rraft_wire_msg_free(&m);
}

static void rr_rx_frag(struct rraft_conn *conn, u32 len)
{
	struct rraft_wire_hdr h, ih;
	const u8 *body = conn->rxbuf + RRAFT_WIRE_HDR_SIZE;
	bool last;
	int err;

	err = rraft_wire_check_frame(conn->rxbuf, len, &h);
	if (err) {
		rr_conn_fail(conn, err, "corrupt fragment");
		return;
	}
	last = h.flags & RRAFT_WF_LAST;
	if (!conn->reasm) {
		err = rraft_wire_check_header(body, h.body_len, &ih);
		if (err || !rraft_wire_type_is_msg(ih.type) || last ||
		    ih.body_len + RRAFT_WIRE_OVERHEAD <= h.body_len) {
			rr_conn_fail(conn, err ? err : -EBADMSG,
				     "bad first fragment");
			return;
		}
		conn->reasm_len = ih.body_len + RRAFT_WIRE_OVERHEAD;
		conn->reasm = kvmalloc(conn->reasm_len, GFP_KERNEL);
		if (!conn->reasm) {
			rr_conn_fail(conn, -ENOMEM, "out of memory");
			return;
		}
		conn->reasm_have = 0;
	}
	if (h.body_len > conn->reasm_len - conn->reasm_have ||
	    (last && h.body_len != conn->reasm_len - conn->reasm_have) ||
	    (!last && h.body_len == conn->reasm_len - conn->reasm_have)) {
		rr_conn_fail(conn, -EBADMSG, "fragment overruns its message");
		return;
	}
	memcpy(conn->reasm + conn->reasm_have, body, h.body_len);
	conn->reasm_have += h.body_len;
	if (!last)
		return;
	rr_deliver(conn, conn->reasm, conn->reasm_len);
	kvfree(conn->reasm);
	conn->reasm = NULL;
}

/* Returns >0 on progress, 0 when the socket is drained, <0 after failing. */
static int rr_rx_step(struct rraft_conn *conn)
{
	struct rraft_net *net = conn->net;
	struct kvec iov;
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct rraft_wire_hdr h;
	int n, err;

	iov.iov_base = conn->rxbuf + conn->rx_have;
	iov.iov_len = conn->rx_need - conn->rx_have;
	n = kernel_recvmsg(conn->sock, &msg, &iov, 1, iov.iov_len,
			   MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n == -EAGAIN)
		return 0;
	if (n <= 0) {
		rr_conn_fail(conn, n ? n : -ECONNRESET,
			     n ? "receive error" : "connection closed by peer");
		return -ECONNRESET;
	}
	spin_lock(&net->lock);
	conn->peer->st.bytes_received += n;
	spin_unlock(&net->lock);
	conn->rx_have += n;
	if (conn->rx_have < conn->rx_need)
		return 1;
	if (conn->rx_need == RRAFT_WIRE_HDR_SIZE) {
		err = rraft_wire_check_header(conn->rxbuf, RRAFT_WIRE_HDR_SIZE, &h);
		if (err) {
			rr_conn_fail(conn, err, "bad frame header");
			return err;
		}
		if (h.body_len > RRAFT_WIRE_SLICE ||
		    (!rraft_wire_type_is_msg(h.type) && h.type != RRAFT_WT_FRAG)) {
			rr_conn_fail(conn, -EPROTO, "unexpected frame");
			return -EPROTO;
		}
		conn->rx_need += h.body_len + RRAFT_WIRE_TRAILER_SIZE;
		return 1;
	}
	/* A whole record. */
	n = conn->rx_need;
	conn->rx_have = 0;
	conn->rx_need = RRAFT_WIRE_HDR_SIZE;
	if (rr_get_le16(conn->rxbuf + 6) == RRAFT_WT_FRAG)
		rr_rx_frag(conn, n);
	else
		rr_deliver(conn, conn->rxbuf, n);
	return 1;
}

static void rr_rx_work(struct work_struct *w)
{
	struct rraft_conn *conn = container_of(w, struct rraft_conn, rx_work);
	unsigned int noio = memalloc_noio_save();
	int budget = RR_RX_BUDGET, ret = 0;

	while (budget-- > 0) {
		if (READ_ONCE(conn->state) != RR_CONN_UP)
			break;
		ret = rr_rx_step(conn);
		if (ret <= 0)
			break;
	}
	if (ret > 0 && budget < 0)
		queue_work(conn->net->wq, &conn->rx_work);
	memalloc_noio_restore(noio);
}

/* ---- send ---------------------------------------------------------------- */

/* Pick the next record; false if there is nothing to send. */
static bool rr_tx_next(struct rraft_conn *conn)
{
	struct rraft_net *net = conn->net;
	struct rr_frame *f;
	u32 left;

	spin_lock(&net->lock);
	if (conn->state != RR_CONN_UP) {
		spin_unlock(&net->lock);
		return false;
	}
	f = list_first_entry_or_null(&conn->txq_ctrl, struct rr_frame, node);
	if (f) {
		list_del(&f->node);
		conn->ctrl_bytes -= f->len;
		spin_unlock(&net->lock);
		conn->tx_ctrl = f;
		conn->tx_vec[0].iov_base = f->buf;
		conn->tx_vec[0].iov_len = f->len;
		conn->tx_nvec = 1;
		conn->tx_rec_len = f->len;
		conn->tx_rec_sent = 0;
		return true;
	}
	if (!conn->tx_bulk) {
		f = list_first_entry_or_null(&conn->txq_bulk, struct rr_frame,
					     node);
		if (!f) {
			spin_unlock(&net->lock);
			return false;
		}
		list_del(&f->node);
		conn->bulk_bytes -= f->len;
		conn->tx_bulk = f;
		conn->tx_bulk_off = 0;
	}
	spin_unlock(&net->lock);
	f = conn->tx_bulk;
	if (f->len <= RRAFT_WIRE_SLICE + RRAFT_WIRE_OVERHEAD) {
		conn->tx_slice = f->len;
		conn->tx_vec[0].iov_base = f->buf;
		conn->tx_vec[0].iov_len = f->len;
		conn->tx_nvec = 1;
		conn->tx_rec_len = f->len;
	} else {
		left = f->len - conn->tx_bulk_off;
		conn->tx_slice = min(left, RRAFT_WIRE_SLICE);
		rraft_wire_put_header(conn->tx_fraghdr, RRAFT_WT_FRAG,
				      conn->tx_slice == left ? RRAFT_WF_LAST : 0,
				      conn->tx_slice);
		rr_put_le32(rraft_wire_crc(f->buf + conn->tx_bulk_off,
					   conn->tx_slice), conn->tx_fragcrc);
		conn->tx_vec[0].iov_base = conn->tx_fraghdr;
		conn->tx_vec[0].iov_len = RRAFT_WIRE_HDR_SIZE;
		conn->tx_vec[1].iov_base = f->buf + conn->tx_bulk_off;
		conn->tx_vec[1].iov_len = conn->tx_slice;
		conn->tx_vec[2].iov_base = conn->tx_fragcrc;
		conn->tx_vec[2].iov_len = RRAFT_WIRE_TRAILER_SIZE;
		conn->tx_nvec = 3;
		conn->tx_rec_len = conn->tx_slice + RRAFT_WIRE_OVERHEAD;
	}
	conn->tx_rec_sent = 0;
	return true;
}

static void rr_tx_done(struct rraft_conn *conn)
{
	struct rraft_net *net = conn->net;
	struct rr_frame *done = NULL;

	if (conn->tx_ctrl) {
		done = conn->tx_ctrl;
		conn->tx_ctrl = NULL;
	} else {
		conn->tx_bulk_off += conn->tx_slice;
		if (conn->tx_bulk_off == conn->tx_bulk->len) {
			done = conn->tx_bulk;
			conn->tx_bulk = NULL;
		}
	}
	conn->tx_rec_len = 0;
	if (done) {
		spin_lock(&net->lock);
		conn->peer->st.msgs_sent++;
		spin_unlock(&net->lock);
		kvfree(done);
	}
}

static void rr_tx_work(struct work_struct *w)
{
	struct rraft_conn *conn = container_of(w, struct rraft_conn, tx_work);
	struct rraft_net *net = conn->net;
	unsigned int noio = memalloc_noio_save();
	u32 budget = RR_TX_BUDGET;
	struct kvec vec[3];
	struct msghdr msg;
	u32 skip, i, nv;
	int n;

	while (budget) {
		if (READ_ONCE(conn->state) != RR_CONN_UP)
			break;
		if (!conn->tx_rec_len && !rr_tx_next(conn))
			break;
		/* The unsent part of the record. */
		skip = conn->tx_rec_sent;
		for (i = 0, nv = 0; i < conn->tx_nvec; i++) {
			if (skip >= conn->tx_vec[i].iov_len) {
				skip -= conn->tx_vec[i].iov_len;
				continue;
			}
			vec[nv].iov_base = (u8 *)conn->tx_vec[i].iov_base + skip;
			vec[nv].iov_len = conn->tx_vec[i].iov_len - skip;
			skip = 0;
			nv++;
		}
		memset(&msg, 0, sizeof(msg));
		msg.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL;
		n = kernel_sendmsg(conn->sock, &msg, vec, nv,
				   conn->tx_rec_len - conn->tx_rec_sent);
		if (n == -EAGAIN)
			break;		/* write_space requeues us */
		if (n <= 0) {
			rr_conn_fail(conn, n ? n : -EIO, "send error");
			break;
		}
		spin_lock(&net->lock);
		conn->peer->st.bytes_sent += n;
		spin_unlock(&net->lock);
		conn->tx_rec_sent += n;
		budget -= min_t(u32, budget, n);
		if (conn->tx_rec_sent == conn->tx_rec_len)
			rr_tx_done(conn);
	}
	if (!budget)
		queue_work(net->wq, &conn->tx_work);
	memalloc_noio_restore(noio);
}

int rraft_net_send(struct rraft_net *net, const struct raft_msg *m)
{
	struct rraft_conn *conn;
	struct rraft_peer *p;
	struct rr_frame *f;
	unsigned int noio;
	bool bulk, queued = false;
	u64 size;
	int err;

	size = rraft_wire_msg_size(m);
	if (!size)
		return -EINVAL;
	bulk = rraft_wire_msg_is_bulk(m->type) ||
	       size > RRAFT_WIRE_SLICE + RRAFT_WIRE_OVERHEAD;

	/* Cheap check first: do not encode what would be dropped. */
	spin_lock(&net->lock);
	p = rr_find_peer(net, m->to);
	if (!p) {
		spin_unlock(&net->lock);
		return -ENOENT;
	}
	conn = p->conn;
	if (!conn || conn->state != RR_CONN_UP ||
	    (bulk ? conn->bulk_bytes + size > RR_BULK_QUEUE_MAX :
		    conn->ctrl_bytes + size > RR_CTRL_QUEUE_MAX)) {
		p->st.msgs_dropped++;
		spin_unlock(&net->lock);
		return conn && conn->state == RR_CONN_UP ? -ENOBUFS : -ENOTCONN;
	}
	spin_unlock(&net->lock);

	noio = memalloc_noio_save();
	f = kvmalloc(sizeof(*f) + size, GFP_KERNEL | __GFP_NOWARN);
	memalloc_noio_restore(noio);
	if (f) {
		f->len = size;
		err = rraft_wire_encode(m, f->buf, size);
		if (WARN_ON_ONCE(err != size)) {
			kvfree(f);
			f = NULL;
		}
	}

	spin_lock(&net->lock);
	p = rr_find_peer(net, m->to);
	conn = p ? p->conn : NULL;
	if (f && conn && conn->state == RR_CONN_UP &&
	    (bulk ? conn->bulk_bytes + size <= RR_BULK_QUEUE_MAX :
		    conn->ctrl_bytes + size <= RR_CTRL_QUEUE_MAX)) {
		if (bulk) {
			list_add_tail(&f->node, &conn->txq_bulk);
			conn->bulk_bytes += size;
		} else {
			list_add_tail(&f->node, &conn->txq_ctrl);
			conn->ctrl_bytes += size;
		}
		queue_work(net->wq, &conn->tx_work);
		queued = true;
	} else if (p) {
		p->st.msgs_dropped++;
	}
	spin_unlock(&net->lock);
	if (queued)
		return 0;
	kvfree(f);
	return f ? -ENOTCONN : -ENOMEM;
}

/* ---- listener, dialing --------------------------------------------------- */

static void rr_listen_data_ready(struct sock *sk)
{
	struct rraft_net *net;

	read_lock_bh(&sk->sk_callback_lock);
	net = sk->sk_user_data;
	if (net && sk->sk_state == TCP_LISTEN)
		queue_work(net->wq, &net->accept_work);
	read_unlock_bh(&sk->sk_callback_lock);
}

static void rr_accept_work(struct work_struct *w)
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
		rr_sock_setup(sock, false);
		conn = rr_conn_alloc(net, sock, false);
		ok = false;
		if (conn) {
			conn->addr = addr;
			spin_lock(&net->lock);
			if (!net->stopping && net->n_accepting < RR_MAX_ACCEPTING) {
				net->n_accepting++;
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
				rr_conn_put(conn);	/* releases sock */
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

static void rr_dial_work(struct work_struct *w)
{
	struct rraft_peer *p = container_of(to_delayed_work(w),
					    struct rraft_peer, dial_work);
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
		rr_sock_setup(sock, false);
		conn = rr_conn_alloc(net, sock, true);
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
				rr_log_peer_failure(net, p->id, &addr, err,
						    "connect failed",
						    rr_connect_why(err));
			spin_lock(&net->lock);
			list_del_init(&conn->node);
			spin_unlock(&net->lock);
			rr_conn_put(conn);
		} else {
			spin_lock(&net->lock);
			p->hs_state = RRAFT_PEER_HANDSHAKE;
			spin_unlock(&net->lock);
			rr_hs_run(conn);	/* consumes the reference */
		}
	} else {
		rr_log_peer_failure(net, p->id, &addr, err, "connect failed",
				    "cannot create socket");
	}
	memalloc_noio_restore(noio);

	spin_lock(&net->lock);
	if (!p->conn) {
		p->hs_state = RRAFT_PEER_DISCONNECTED;
		if (!net->stopping && !p->removed)
			rr_schedule_dial(p, false);
	}
	spin_unlock(&net->lock);
}

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
	INIT_WORK(&net->accept_work, rr_accept_work);
	INIT_WORK(&net->reap_work, rr_reap_work);
	net->wq = alloc_workqueue("rraft_net%u", WQ_MEM_RECLAIM | WQ_HIGHPRI,
				  0, cfg->minor);
	if (!net->wq) {
		kfree(net);
		return ERR_PTR(-ENOMEM);
	}
	return net;
}

int rraft_net_start(struct rraft_net *net)
{
	struct socket *sock;
	struct rraft_peer *p;
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
	rr_sock_setup(sock, true);
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
	sock->sk->sk_data_ready = rr_listen_data_ready;
	write_unlock_bh(&sock->sk->sk_callback_lock);

	spin_lock(&net->lock);
	net->lsock = sock;
	net->started = true;
	list_for_each_entry(p, &net->peers, node)
		if (rr_we_dial(net, p->id))
			rr_schedule_dial(p, true);
	spin_unlock(&net->lock);
	queue_work(net->wq, &net->accept_work);	/* early connections */
out:
	memalloc_noio_restore(noio);
	return err;
}

int rraft_net_add_peer(struct rraft_net *net, const struct rraft_net_peer_cfg *pc)
{
	struct rraft_peer *p;

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
	INIT_DELAYED_WORK(&p->dial_work, rr_dial_work);

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
		rr_schedule_dial(p, true);
	spin_unlock(&net->lock);
	return 0;
}

int rraft_net_remove_peer(struct rraft_net *net, u32 id)
{
	struct rraft_peer *p;

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
		rr_conn_fail_locked(p->conn);
	queue_work(net->wq, &net->reap_work);
	spin_unlock(&net->lock);
	return 0;
}

int rraft_net_set_secret(struct rraft_net *net, const u8 *secret, u32 len)
{
	struct rraft_peer *p;

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
			rr_conn_fail_locked(p->conn);
	spin_unlock(&net->lock);
	return 0;
}

int rraft_net_peer_stats(struct rraft_net *net, u32 id,
			 struct rraft_net_peer_stats *st)
{
	struct rraft_peer *p;

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
	struct rraft_peer *p;

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
		rr_conn_fail_locked(conn);
		spin_unlock(&net->lock);
		kernel_sock_shutdown(conn->sock, SHUT_RDWR);
		rr_conn_put(conn);
	}
	spin_lock(&net->lock);
	list_for_each_entry(p, &net->peers, node)
		if (p->conn)
			rr_conn_fail_locked(p->conn);
	spin_unlock(&net->lock);
}

/*
 * Stop everything and free.  Waits for the transport's works, including a
 * deliver() or peer_state() in progress: do not call it holding a lock
 * those callbacks take.
 */
void rraft_net_destroy(struct rraft_net *net)
{
	struct rraft_peer *p, *n;
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
