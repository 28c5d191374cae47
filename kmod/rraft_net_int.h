/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rraft_net_int.h - the transport's private objects and the interfaces
 * between its files (the public interface is rraft_net.h):
 *
 *  rraft_net.c       the API: create, start, peers, secret, stats, destroy
 *  rraft_net_conn.c  connection life cycle: sockets and their callbacks,
 *                    conn objects, the reaper, listener/accept, dialing
 *  rraft_net_hs.c    the handshake: HELLO, HMAC challenge-response, AUTH_OK
 *  rraft_net_io.c    framing: receive (records, fragments, deliver) and
 *                    send (queues, slicing, rraft_net_send)
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
#ifndef RRAFT_NET_INT_H
#define RRAFT_NET_INT_H

#include <linux/kernel.h>
#include <linux/kref.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <linux/uio.h>
#include <linux/in.h>
#include <linux/sizes.h>

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
#define RR_MAX_ACCEPTING	16		/* handshakes from strangers */
#define RR_MAX_ACCEPTING_PER_ADDR 4		/* handshakes from one address */
#define RR_RX_BUDGET		64		/* records per rx_work run */
#define RR_TX_BUDGET		SZ_1M		/* bytes per tx_work run */
#define RR_RXBUF_SIZE		(RRAFT_WIRE_HDR_SIZE + RRAFT_WIRE_SLICE + \
				 RRAFT_WIRE_TRAILER_SIZE)
#define RR_WHY_MAX		128		/* a formatted failure reason */

enum rr_conn_state { RR_CONN_HS, RR_CONN_UP, RR_CONN_DEAD };

struct rr_frame {
	struct list_head node;
	u32 len;
	u8 buf[];
};

struct rraft_net_peer;

struct rraft_conn {
	struct kref kref;
	struct rraft_net *net;
	struct socket *sock;
	struct rraft_net_peer *peer;	/* set once attached (or dialing) */
	u32 peer_id;
	bool dialer;
	bool cb_installed;
	bool shut;			/* destroy has shut it down */
	bool authed;			/* HMAC challenge-response done */
	bool stranger;			/* accepted from no peer's address */
	enum rr_conn_state state;	/* net->lock */
	u32 secret_gen;
	struct list_head node;		/* net->conns or net->dead */
	struct sockaddr_in addr;	/* remote, for messages */
	u8 ident[RRAFT_NET_IDENT_LEN];	/* the peer's, from its HELLO */
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

struct rraft_net_peer {
	struct list_head node;		/* net->peers or net->dead_peers */
	struct rraft_net *net;
	u32 id;
	struct sockaddr_in addr;
	struct rraft_conn *conn;	/* attached, up */
	unsigned int nref;		/* conns pointing here */
	bool removed;
	bool reported_up;		/* state_mutex */
	bool ever_up;
	bool has_want;			/* ident_want recorded by the owner */
	u8 ident_want[RRAFT_NET_IDENT_LEN];
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
	unsigned int n_accepting;	/* handshakes of accepted strangers */
	bool started;
	bool stopping;
	struct socket *lsock;
	void (*saved_listen_ready)(struct sock *sk);
	struct work_struct accept_work;
	struct work_struct reap_work;
};

static inline struct rraft_net_peer *rr_find_peer(struct rraft_net *net, u32 id)
{
	struct rraft_net_peer *p;

	list_for_each_entry(p, &net->peers, node)
		if (p->id == id)
			return p;
	return NULL;
}

static inline bool rr_we_dial(struct rraft_net *net, u32 id)
{
	return net->cfg.node_id < id;
}

/* rraft_net_conn.c: connection life cycle */
void rraft_net_sock_setup(struct socket *sock, bool listener);
void rraft_net_install_callbacks(struct rraft_conn *conn);
struct rraft_conn *rraft_net_conn_alloc(struct rraft_net *net,
					struct socket *sock, bool dialer);
void rraft_net_conn_put(struct rraft_conn *conn);
bool rraft_net_conn_fail_locked(struct rraft_conn *conn);
void rraft_net_conn_fail(struct rraft_conn *conn, int err, const char *why);
void rraft_net_report_state(struct rraft_net *net, struct rraft_net_peer *p);
void rraft_net_schedule_dial(struct rraft_net_peer *p, bool now);
void rraft_net_log_peer_failure(struct rraft_net *net, u32 id,
				const struct sockaddr_in *addr, int err,
				const char *what, const char *why);
void rraft_net_reap_work(struct work_struct *w);
void rraft_net_listen_data_ready(struct sock *sk);
void rraft_net_accept_work(struct work_struct *w);
void rraft_net_dial_work(struct work_struct *w);

/* rraft_net_hs.c: the handshake */
void rraft_net_hs_run(struct rraft_conn *conn);
void rraft_net_hs_work(struct work_struct *w);

/* rraft_net_io.c: framing */
void rraft_net_rx_work(struct work_struct *w);
void rraft_net_tx_work(struct work_struct *w);

#endif /* RRAFT_NET_INT_H */
