/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rraft_net.h - in-kernel TCP transport between the members of one device.
 *
 * The transport knows nothing of block devices: it moves struct raft_msg
 * between node ids.  One listener per device, one connection per peer pair
 * (the node with the lower id dials, the other accepts), a handshake with
 * magic, protocol version, cluster id, node id and data area size, then an
 * HMAC challenge-response when a secret is set.  Messages are framed and
 * checksummed by the wire codec (rraft_wire.h).  Votes, heartbeats and their
 * responses go ahead of bulk appends and snapshot chunks: control messages
 * have their own queue that the sender always drains first, and bulk data
 * is sent in bounded slices so a control message never waits behind more
 * than one slice.
 */
#ifndef RRAFT_NET_H
#define RRAFT_NET_H

#include <linux/types.h>
#include <linux/socket.h>
#include <linux/in.h>
#include "raft/raft.h"

#define RRAFT_NET_MAX_PEERS	(2 * RAFT_MAX_MEMBERS)
#define RRAFT_SECRET_MAX	64
#define RRAFT_NET_IDENT_LEN	16

struct rraft_net;

struct rraft_net_peer_cfg {
	u32 id;
	struct sockaddr_in addr;
};

struct rraft_net_cfg {
	u32 node_id;
	u64 cluster_id;
	unsigned int minor;		/* for names and log messages */
	struct sockaddr_in listen;
	u8 secret[RRAFT_SECRET_MAX];
	u32 secret_len;			/* 0: no authentication */
	/*
	 * Size of our data area in bytes, sent in the HELLO.  A peer whose
	 * size differs is refused at the handshake.  0: not checked (test
	 * transports).
	 */
	u64 data_bytes;
	/*
	 * Our member identity, sent in the HELLO (all zero: none).  A peer
	 * for which rraft_net_set_peer_ident() recorded an identity is
	 * refused when its HELLO carries another one.
	 */
	u8 ident[RRAFT_NET_IDENT_LEN];
};

struct rraft_net_ops {
	/*
	 * A decoded message arrived from an authenticated peer.  Called from
	 * the transport's receive work (process context, may sleep).  The
	 * callee must copy what it keeps; m is freed after the call returns.
	 */
	void (*deliver)(void *ctx, const struct raft_msg *m);
	/* Connection to peer id went up (up = true) or down. */
	void (*peer_state)(void *ctx, u32 id, bool up);
};

enum rraft_peer_conn {
	RRAFT_PEER_DISCONNECTED = 0,
	RRAFT_PEER_CONNECTING,
	RRAFT_PEER_HANDSHAKE,
	RRAFT_PEER_CONNECTED,
};

struct rraft_net_peer_stats {
	u32 id;
	u32 conn;		/* enum rraft_peer_conn */
	u64 bytes_sent;
	u64 bytes_received;
	u64 msgs_sent;
	u64 msgs_received;
	u64 msgs_dropped;
	u32 reconnects;
};

/*
 * Calling contexts: every function here is for process context.
 * create returns an ERR_PTR on failure.  A zero listen port means
 * RRAFT_DEFAULT_PORT + minor (the same default applies to peer addresses).
 */
struct rraft_net *rraft_net_create(const struct rraft_net_cfg *cfg,
				   const struct rraft_net_ops *ops, void *ctx);
int rraft_net_start(struct rraft_net *net);	/* bind + listen + dial */
/*
 * Stops, closes and frees, with connections in any state.  It waits for a
 * deliver() or peer_state() in progress, so do not call it holding a lock
 * those callbacks take.  No callback runs after it returns.
 */
void rraft_net_destroy(struct rraft_net *net);

/*
 * Peers and secret can change at runtime.  remove_peer and set_secret do
 * not wait: the affected connections are closed by the transport's reaper.
 * A secret change drops every connection; peers reconnect with the new one.
 * Errors: -EINVAL (id 0 or our own, secret too long), -EEXIST, -ENOSPC,
 * -ENOENT.
 */
int rraft_net_add_peer(struct rraft_net *net, const struct rraft_net_peer_cfg *p);
int rraft_net_remove_peer(struct rraft_net *net, u32 id);
int rraft_net_set_secret(struct rraft_net *net, const u8 *secret, u32 len);

/*
 * The identity recorded for peer id (NULL: none, any identity is
 * accepted).  A connection whose identity differs is closed (one dmesg line
 * naming both) and every later one refused at the handshake.  Never waits.
 * rraft_net_peer_ident() gives the identity of the peer's current
 * connection: 0, -ENOTCONN (not connected) or -ENOENT (no such peer).
 */
int rraft_net_set_peer_ident(struct rraft_net *net, u32 id, const u8 *ident);
int rraft_net_peer_ident(struct rraft_net *net, u32 id,
			 u8 ident[RRAFT_NET_IDENT_LEN]);

/*
 * Queue a message for its destination (m->to).  Encodes (copies) the
 * message before returning, never sleeps on the network (it may sleep in
 * GFP_NOIO memory reclaim), and drops it (counting the drop) when the peer
 * is not connected or its queue is over its byte limit: Raft retransmits.
 * Safe to call under the device lock.  Returns 0 (queued), -ENOTCONN or
 * -ENOBUFS (dropped), -ENOMEM, -ENOENT (no such peer) or -EINVAL (the
 * message cannot be encoded, e.g. over RRAFT_WIRE_MAX_BODY).
 */
int rraft_net_send(struct rraft_net *net, const struct raft_msg *m);

int rraft_net_peer_stats(struct rraft_net *net, u32 id,
			 struct rraft_net_peer_stats *st);

#define RRAFT_DEFAULT_PORT	7789

#endif /* RRAFT_NET_H */
