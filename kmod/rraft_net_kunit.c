// SPDX-License-Identifier: GPL-2.0
/*
 * rraft_net_kunit.c - KUnit suite for the in-kernel TCP transport
 * (rraft_net.c): three transport instances on 127.0.0.1, each on its own
 * port, connect as a full mesh (the lower id dials), authenticate with a
 * shared secret, and exchange raft messages: small control messages, an
 * append bigger than one wire slice (so it travels in fragments), and a
 * snapshot chunk.  Also: a wrong secret never connects, nor does a node of
 * another cluster or one whose data area has another size; a restarted
 * peer is reconnected, a message to a peer that is down is dropped and
 * counted.
 *
 * Runs under UML: the loopback device is brought up by the suite.
 */
#include <kunit/test.h>
#include <linux/crc32c.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <net/net_namespace.h>
#include "rraft_net_int.h"	/* RR_MAX_ACCEPTING */

#define NT_NODES	3
#define NT_MAX_RX	64
#define NT_WAIT		(10 * HZ)
#define NT_DATA_BYTES	(64ull << 20)	/* the common data area size */
#define NT_NOCHECK	1		/* rr_nt_ctx.data[]: configure 0 */

/* What a node received: the fields of each message plus data checksums. */
struct rr_nt_rx {
	u32 type, from, to, flags, n_entries, len;
	u64 term, index, commit, ctx, offset, snap_index;
	u32 ents_crc, data_crc;
	u64 ents_bytes;
};

struct rr_nt_node {
	u32 id;
	struct rraft_net *net;
	spinlock_t lock;		/* rx, n_rx, up */
	struct rr_nt_rx rx[NT_MAX_RX];
	u32 n_rx;
	bool up[NT_NODES + 1];
	u32 n_state;
};

struct rr_nt_ctx {
	struct rr_nt_node node[NT_NODES + 1];
	u16 port;
	wait_queue_head_t wq;
	void (*cleanup)(void *arg);	/* after the transports are stopped */
	void *cleanup_arg;
	u64 cluster[NT_NODES + 1];	/* 0: the common cluster id */
	u64 data[NT_NODES + 1];		/* 0: NT_DATA_BYTES */
	u8 ident[NT_NODES + 1][RRAFT_NET_IDENT_LEN];	/* member identities */
	bool bad_addr[NT_NODES + 1];	/* expects its peers at 127.0.0.9 */
};

static u32 rr_nt_ents_crc(const struct raft_msg *m, u64 *bytes)
{
	u32 crc = ~0u, i;

	*bytes = 0;
	for (i = 0; i < m->n_entries; i++) {
		crc = crc32c(crc, &m->entries[i].term, sizeof(u64));
		crc = crc32c(crc, &m->entries[i].index, sizeof(u64));
		crc = crc32c(crc, &m->entries[i].type, sizeof(u32));
		if (m->entries[i].len)
			crc = crc32c(crc, m->entries[i].data, m->entries[i].len);
		*bytes += m->entries[i].len;
	}
	return crc;
}

static struct rr_nt_ctx *rr_nt_ctx_of(struct rr_nt_node *n)
{
	return container_of(n - n->id, struct rr_nt_ctx, node[0]);
}

static void rr_nt_deliver(void *ctx, const struct raft_msg *m)
{
	struct rr_nt_node *n = ctx;
	struct rr_nt_rx r = {
		.type = m->type, .from = m->from, .to = m->to,
		.flags = m->flags, .n_entries = m->n_entries, .len = m->len,
		.term = m->term, .index = m->index, .commit = m->commit,
		.ctx = m->ctx, .offset = m->offset, .snap_index = m->snap.index,
	};

	r.ents_crc = rr_nt_ents_crc(m, &r.ents_bytes);
	r.data_crc = m->len ? crc32c(~0u, m->data, m->len) : 0;
	spin_lock(&n->lock);
	if (n->n_rx < NT_MAX_RX)
		n->rx[n->n_rx++] = r;
	spin_unlock(&n->lock);
	wake_up_all(&rr_nt_ctx_of(n)->wq);
}

static void rr_nt_peer_state(void *ctx, u32 id, bool up)
{
	struct rr_nt_node *n = ctx;

	spin_lock(&n->lock);
	if (id <= NT_NODES)
		n->up[id] = up;
	n->n_state++;
	spin_unlock(&n->lock);
	wake_up_all(&rr_nt_ctx_of(n)->wq);
}

static const struct rraft_net_ops rr_nt_ops = {
	.deliver = rr_nt_deliver,
	.peer_state = rr_nt_peer_state,
};

static void rr_nt_addr(struct sockaddr_in *a, u16 port)
{
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a->sin_port = htons(port);
}

/*
 * Create and start node id's transport with the given secret and the other
 * nodes as peers; messages go to ops->deliver(ctx, ...).
 */
static int rr_nt_start_ops(struct rr_nt_ctx *c, u32 id, const char *secret,
			   const struct rraft_net_ops *ops, void *ctx)
{
	struct rr_nt_node *n = &c->node[id];
	struct rraft_net_cfg cfg = {};
	u32 o;
	int err;

	n->id = id;
	cfg.node_id = id;
	cfg.cluster_id = c->cluster[id] ? c->cluster[id] : 0xc0ffee;
	cfg.data_bytes = !c->data[id] ? NT_DATA_BYTES :
			 c->data[id] == NT_NOCHECK ? 0 : c->data[id];
	cfg.minor = id;
	memcpy(cfg.ident, c->ident[id], sizeof(cfg.ident));
	rr_nt_addr(&cfg.listen, c->port + id);
	if (secret) {
		cfg.secret_len = strlen(secret);
		memcpy(cfg.secret, secret, cfg.secret_len);
	}
	n->net = rraft_net_create(&cfg, ops, ctx);
	if (IS_ERR(n->net)) {
		err = PTR_ERR(n->net);
		n->net = NULL;
		return err;
	}
	for (o = 1; o <= NT_NODES; o++) {
		struct rraft_net_peer_cfg pc = { .id = o };

		if (o == id)
			continue;
		rr_nt_addr(&pc.addr, c->port + o);
		if (c->bad_addr[id])
			pc.addr.sin_addr.s_addr = htonl(0x7f000009);
		err = rraft_net_add_peer(n->net, &pc);
		if (err)
			return err;
	}
	return rraft_net_start(n->net);
}

static int rr_nt_start(struct rr_nt_ctx *c, u32 id, const char *secret)
{
	return rr_nt_start_ops(c, id, secret, &rr_nt_ops, &c->node[id]);
}

static void rr_nt_stop(struct rr_nt_ctx *c, u32 id)
{
	struct rr_nt_node *n = &c->node[id];

	rraft_net_destroy(n->net);
	n->net = NULL;
	spin_lock(&n->lock);
	memset(n->up, 0, sizeof(n->up));
	spin_unlock(&n->lock);
}

static bool rr_nt_is_up(struct rr_nt_node *n, u32 peer)
{
	bool up;

	spin_lock(&n->lock);
	up = n->up[peer];
	spin_unlock(&n->lock);
	return up;
}

static bool rr_nt_mesh_up(struct rr_nt_ctx *c)
{
	u32 a, b;

	for (a = 1; a <= NT_NODES; a++)
		for (b = 1; b <= NT_NODES; b++)
			if (a != b && (!c->node[a].net || !rr_nt_is_up(&c->node[a], b)))
				return false;
	return true;
}

static u32 rr_nt_n_rx(struct rr_nt_node *n)
{
	u32 k;

	spin_lock(&n->lock);
	k = n->n_rx;
	spin_unlock(&n->lock);
	return k;
}

/* Bring lo up once: nothing in a KUnit boot does it. */
static int rr_nt_suite_init(struct kunit_suite *suite)
{
	struct net_device *lo = init_net.loopback_dev;
	int err = 0;

	if (!lo)
		return -ENODEV;
	rtnl_lock();
	if (!(lo->flags & IFF_UP))
		err = dev_change_flags(lo, lo->flags | IFF_UP, NULL);
	rtnl_unlock();
	return err;
}

static u16 rr_nt_next_port = 17700;

static int rr_nt_init(struct kunit *test)
{
	struct rr_nt_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	u32 id;

	if (!c)
		return -ENOMEM;
	init_waitqueue_head(&c->wq);
	/* fresh ports per test: no TIME_WAIT or lingering listener in the way */
	c->port = rr_nt_next_port;
	rr_nt_next_port += 10;
	for (id = 0; id <= NT_NODES; id++) {
		c->node[id].id = id;
		spin_lock_init(&c->node[id].lock);
	}
	test->priv = c;
	return 0;
}

static void rr_nt_exit(struct kunit *test)
{
	struct rr_nt_ctx *c = test->priv;
	u32 id;

	for (id = 1; id <= NT_NODES; id++)
		if (c->node[id].net)
			rr_nt_stop(c, id);
	if (c->cleanup)
		c->cleanup(c->cleanup_arg);
}

static void rr_nt_start_all(struct kunit *test, const char *secret)
{
	struct rr_nt_ctx *c = test->priv;
	u32 id;

	for (id = 1; id <= NT_NODES; id++)
		KUNIT_ASSERT_EQ(test, 0, rr_nt_start(c, id, secret));
	KUNIT_ASSERT_GT_MSG(test, wait_event_timeout(c->wq, rr_nt_mesh_up(c), NT_WAIT),
			    0L, "the three nodes did not connect");
}

/*
 * (Re)start node m->to, which received nothing yet: the mesh comes up and
 * m, sent by node 1, is the first message it receives.
 */
static void rr_nt_expect_rejoin(struct kunit *test, struct rr_nt_ctx *c,
				const struct raft_msg *m)
{
	struct rr_nt_node *n = &c->node[m->to];

	KUNIT_ASSERT_EQ(test, 0, rr_nt_start(c, m->to, NULL));
	KUNIT_ASSERT_GT(test, wait_event_timeout(c->wq, rr_nt_mesh_up(c), NT_WAIT), 0L);
	KUNIT_EXPECT_EQ(test, 0, rraft_net_send(c->node[1].net, m));
	KUNIT_ASSERT_GT(test, wait_event_timeout(c->wq, rr_nt_n_rx(n) >= 1,
						 NT_WAIT), 0L);
	KUNIT_EXPECT_EQ(test, n->rx[0].type, m->type);
	KUNIT_EXPECT_EQ(test, n->rx[0].term, m->term);
}

static void rr_net_mesh_test(struct kunit *test)
{
	struct rr_nt_ctx *c = test->priv;
	struct rraft_net_peer_stats st;
	struct raft_msg m = {};
	u32 a, b;

	rr_nt_start_all(test, NULL);
	for (a = 1; a <= NT_NODES; a++)
		for (b = 1; b <= NT_NODES; b++) {
			if (a == b)
				continue;
			KUNIT_ASSERT_EQ(test, 0, rraft_net_peer_stats(c->node[a].net,
								      b, &st));
			KUNIT_EXPECT_EQ(test, st.conn, (u32)RRAFT_PEER_CONNECTED);
		}
	KUNIT_EXPECT_EQ(test, -ENOENT, rraft_net_peer_stats(c->node[1].net, 9, &st));

	/* every node sends a heartbeat to every other one */
	for (a = 1; a <= NT_NODES; a++)
		for (b = 1; b <= NT_NODES; b++) {
			if (a == b)
				continue;
			m.type = RAFT_MSG_HEARTBEAT;
			m.from = a;
			m.to = b;
			m.term = 7;
			m.commit = 10 * a + b;
			m.ctx = 100 * a + b;
			KUNIT_EXPECT_EQ(test, 0, rraft_net_send(c->node[a].net, &m));
		}
	for (b = 1; b <= NT_NODES; b++) {
		struct rr_nt_node *n = &c->node[b];
		u32 i;

		KUNIT_ASSERT_GT(test, wait_event_timeout(c->wq,
							 rr_nt_n_rx(n) >= NT_NODES - 1,
							 NT_WAIT), 0L);
		KUNIT_EXPECT_EQ(test, rr_nt_n_rx(n), (u32)NT_NODES - 1);
		for (i = 0; i < n->n_rx; i++) {
			struct rr_nt_rx *r = &n->rx[i];

			KUNIT_EXPECT_EQ(test, r->type, (u32)RAFT_MSG_HEARTBEAT);
			KUNIT_EXPECT_EQ(test, r->to, b);
			KUNIT_EXPECT_EQ(test, r->term, 7ull);
			KUNIT_EXPECT_EQ(test, r->commit, 10ull * r->from + b);
			KUNIT_EXPECT_EQ(test, r->ctx, 100ull * r->from + b);
		}
	}
	KUNIT_ASSERT_EQ(test, 0, rraft_net_peer_stats(c->node[1].net, 2, &st));
	KUNIT_EXPECT_EQ(test, st.msgs_sent, 1ull);
	KUNIT_EXPECT_GT(test, st.bytes_sent, 0ull);
	KUNIT_ASSERT_EQ(test, 0, rraft_net_peer_stats(c->node[2].net, 1, &st));
	KUNIT_EXPECT_EQ(test, st.msgs_received, 1ull);

	/* messages that cannot be encoded or have no route are refused */
	m.type = 0;
	KUNIT_EXPECT_EQ(test, -EINVAL, rraft_net_send(c->node[1].net, &m));
	m.type = RAFT_MSG_HEARTBEAT;
	m.to = 9;
	KUNIT_EXPECT_EQ(test, -ENOENT, rraft_net_send(c->node[1].net, &m));
}

/* An append bigger than a wire slice, and a snapshot chunk, arrive intact. */
static void rr_net_bulk_test(struct kunit *test)
{
	const u32 n_ents = 5, ent_len = 40000;	/* 200 KB > RRAFT_WIRE_SLICE */
	struct rr_nt_ctx *c = test->priv;
	struct raft_entry *ents;
	struct raft_msg m = {};
	struct rr_nt_rx *r;
	u64 bytes;
	u32 i, j, crc;
	u8 *snap;

	rr_nt_start_all(test, "s3cret");
	ents = kunit_kcalloc(test, n_ents, sizeof(*ents), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ents);
	for (i = 0; i < n_ents; i++) {
		ents[i].term = 3;
		ents[i].index = 11 + i;
		ents[i].type = RAFT_ENTRY_NORMAL;
		ents[i].len = ent_len;
		ents[i].data = kunit_kmalloc(test, ent_len, GFP_KERNEL);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ents[i].data);
		for (j = 0; j < ent_len; j++)
			ents[i].data[j] = (u8)(i * 131 + j * 7);
	}
	m.type = RAFT_MSG_APPEND;
	m.from = 1;
	m.to = 3;
	m.term = 3;
	m.index = 10;
	m.log_term = 2;
	m.commit = 9;
	m.entries = ents;
	m.n_entries = n_ents;
	KUNIT_EXPECT_GT(test, rraft_wire_msg_size(&m), (u64)RRAFT_WIRE_SLICE);
	crc = rr_nt_ents_crc(&m, &bytes);
	KUNIT_ASSERT_EQ(test, 0, rraft_net_send(c->node[1].net, &m));

	snap = kunit_kmalloc(test, 3000, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, snap);
	for (j = 0; j < 3000; j++)
		snap[j] = (u8)(j ^ 0x5a);
	memset(&m, 0, sizeof(m));
	m.type = RAFT_MSG_SNAPSHOT;
	m.from = 2;
	m.to = 3;
	m.term = 3;
	m.snap.index = 500;
	m.snap.term = 2;
	m.snap.conf.voters[0] = 1;
	m.snap.conf.voters[1] = 2;
	m.snap.conf.voters[2] = 3;
	m.snap.conf.n_voters = 3;
	m.offset = 4096;
	m.ctx = 4096 + 3000;
	m.flags = RAFT_MSGF_LAST;
	m.data = snap;
	m.len = 3000;
	KUNIT_ASSERT_EQ(test, 0, rraft_net_send(c->node[2].net, &m));

	KUNIT_ASSERT_GT(test, wait_event_timeout(c->wq, rr_nt_n_rx(&c->node[3]) >= 2,
						 NT_WAIT), 0L);
	for (i = 0; i < 2; i++) {
		r = &c->node[3].rx[i];
		if (r->type == RAFT_MSG_APPEND) {
			KUNIT_EXPECT_EQ(test, r->from, 1u);
			KUNIT_EXPECT_EQ(test, r->n_entries, n_ents);
			KUNIT_EXPECT_EQ(test, r->index, 10ull);
			KUNIT_EXPECT_EQ(test, r->commit, 9ull);
			KUNIT_EXPECT_EQ(test, r->ents_bytes, bytes);
			KUNIT_EXPECT_EQ(test, r->ents_crc, crc);
		} else {
			KUNIT_EXPECT_EQ(test, r->type, (u32)RAFT_MSG_SNAPSHOT);
			KUNIT_EXPECT_EQ(test, r->from, 2u);
			KUNIT_EXPECT_EQ(test, r->snap_index, 500ull);
			KUNIT_EXPECT_EQ(test, r->offset, 4096ull);
			KUNIT_EXPECT_EQ(test, r->ctx, 4096ull + 3000);
			KUNIT_EXPECT_EQ(test, r->flags, (u32)RAFT_MSGF_LAST);
			KUNIT_EXPECT_EQ(test, r->len, 3000u);
			KUNIT_EXPECT_EQ(test, r->data_crc, crc32c(~0u, snap, 3000));
		}
	}
	KUNIT_EXPECT_NE(test, c->node[3].rx[0].type, c->node[3].rx[1].type);
}

/* A peer with another secret never gets a connection, nor messages. */
static void rr_net_auth_test(struct kunit *test)
{
	struct rr_nt_ctx *c = test->priv;
	struct rraft_net_peer_stats st;
	struct raft_msg m = { .type = RAFT_MSG_VOTE, .from = 1, .to = 2,
			      .term = 4, .index = 3, .log_term = 2 };

	KUNIT_ASSERT_EQ(test, 0, rr_nt_start(c, 1, "right-secret"));
	KUNIT_ASSERT_EQ(test, 0, rr_nt_start(c, 2, "wrong-secret"));
	KUNIT_ASSERT_EQ(test, 0, rr_nt_start(c, 3, "right-secret"));
	/* 1 and 3 agree */
	KUNIT_ASSERT_GT(test, wait_event_timeout(c->wq,
						 rr_nt_is_up(&c->node[1], 3) &&
						 rr_nt_is_up(&c->node[3], 1),
						 NT_WAIT), 0L);
	/* 2 never comes up with either, even after several dial attempts */
	msleep(1500);
	KUNIT_EXPECT_FALSE(test, rr_nt_is_up(&c->node[1], 2));
	KUNIT_EXPECT_FALSE(test, rr_nt_is_up(&c->node[2], 1));
	KUNIT_EXPECT_FALSE(test, rr_nt_is_up(&c->node[2], 3));
	KUNIT_EXPECT_FALSE(test, rr_nt_is_up(&c->node[3], 2));
	/* a message to it is dropped and counted */
	KUNIT_EXPECT_EQ(test, -ENOTCONN, rraft_net_send(c->node[1].net, &m));
	KUNIT_ASSERT_EQ(test, 0, rraft_net_peer_stats(c->node[1].net, 2, &st));
	KUNIT_EXPECT_NE(test, st.conn, (u32)RRAFT_PEER_CONNECTED);
	KUNIT_EXPECT_GE(test, st.msgs_dropped, 1ull);
	KUNIT_EXPECT_EQ(test, rr_nt_n_rx(&c->node[2]), 0u);

	/* the right secret lets it in */
	KUNIT_ASSERT_EQ(test, 0, rraft_net_set_secret(c->node[2].net,
						      "right-secret", 12));
	KUNIT_ASSERT_GT(test, wait_event_timeout(c->wq, rr_nt_mesh_up(c), NT_WAIT), 0L);
	KUNIT_EXPECT_EQ(test, 0, rraft_net_send(c->node[1].net, &m));
	KUNIT_ASSERT_GT(test, wait_event_timeout(c->wq, rr_nt_n_rx(&c->node[2]) >= 1,
						 NT_WAIT), 0L);
	KUNIT_EXPECT_EQ(test, c->node[2].rx[0].type, (u32)RAFT_MSG_VOTE);
	KUNIT_EXPECT_EQ(test, c->node[2].rx[0].index, 3ull);
}

/* A peer that goes away is reported down, and reconnected when back. */
static void rr_net_reconnect_test(struct kunit *test)
{
	struct rr_nt_ctx *c = test->priv;
	struct raft_msg m = { .type = RAFT_MSG_TIMEOUT_NOW, .from = 1, .to = 2,
			      .term = 9 };

	rr_nt_start_all(test, NULL);
	rr_nt_stop(c, 2);
	KUNIT_ASSERT_GT(test, wait_event_timeout(c->wq,
						 !rr_nt_is_up(&c->node[1], 2) &&
						 !rr_nt_is_up(&c->node[3], 2),
						 NT_WAIT), 0L);
	KUNIT_EXPECT_EQ(test, -ENOTCONN, rraft_net_send(c->node[1].net, &m));
	rr_nt_expect_rejoin(test, c, &m);
}

/*
 * Three real Raft cores replicating through the transport: each core is
 * driven by the test thread (ticks every few milliseconds, ready loop,
 * proposals); the transport's receive work only copies messages into the
 * node's inbox.  A leader is elected over TCP, writes commit and are applied
 * in the same order everywhere, and after the leader's node goes away the
 * other two elect a new leader and go on.
 */
#define RT_MAX_APPLY	64

struct rr_rt_msg {
	struct list_head node;
	struct raft_msg m;
};

struct rr_rt_node {
	u32 id;
	struct rr_nt_node *nt;		/* peer_state goes there */
	struct raft *r;
	spinlock_t lock;		/* inbox */
	struct list_head inbox;
	u64 applied;
	u64 vals[RT_MAX_APPLY + 1];
	u64 last_persisted;
};

struct rr_rt_ctx {
	struct rr_nt_ctx *nc;
	struct rr_rt_node node[NT_NODES + 1];
};

static void rr_rt_msg_free(struct rr_rt_msg *q)
{
	u32 i;

	if (q->m.entries) {
		for (i = 0; i < q->m.n_entries; i++)
			kfree(q->m.entries[i].data);
		kfree(q->m.entries);
	}
	kfree(q->m.data);
	kfree(q);
}

/* Transport receive work: copy (m is freed after we return) and queue. */
static void rr_rt_deliver(void *ctx, const struct raft_msg *m)
{
	struct rr_rt_node *n = ctx;
	struct rr_rt_msg *q = kzalloc(sizeof(*q), GFP_KERNEL);
	u32 i;

	if (!q)
		return;		/* Raft retransmits */
	q->m = *m;
	q->m.entries = NULL;
	q->m.data = NULL;
	q->m.n_entries = 0;
	q->m.len = 0;
	if (m->n_entries) {
		q->m.entries = kcalloc(m->n_entries, sizeof(*m->entries),
				       GFP_KERNEL);
		if (!q->m.entries)
			goto drop;
		for (i = 0; i < m->n_entries; i++) {
			q->m.entries[i] = m->entries[i];
			q->m.entries[i].data = NULL;
			q->m.n_entries = i + 1;
			if (m->entries[i].len) {
				q->m.entries[i].data = kmemdup(m->entries[i].data,
							       m->entries[i].len,
							       GFP_KERNEL);
				if (!q->m.entries[i].data)
					goto drop;
			}
		}
	}
	if (m->len) {
		q->m.data = kmemdup(m->data, m->len, GFP_KERNEL);
		if (!q->m.data)
			goto drop;
		q->m.len = m->len;
	}
	spin_lock(&n->lock);
	list_add_tail(&q->node, &n->inbox);
	spin_unlock(&n->lock);
	return;
drop:
	rr_rt_msg_free(q);
}

static void rr_rt_peer_state(void *ctx, u32 id, bool up)
{
	struct rr_rt_node *n = ctx;

	rr_nt_peer_state(n->nt, id, up);
}

static const struct rraft_net_ops rr_rt_ops = {
	.deliver = rr_rt_deliver,
	.peer_state = rr_rt_peer_state,
};

static void rr_rt_step_inbox(struct kunit *test, struct rr_rt_node *n)
{
	struct rr_rt_msg *q, *t;
	LIST_HEAD(todo);

	spin_lock(&n->lock);
	list_splice_init(&n->inbox, &todo);
	spin_unlock(&n->lock);
	list_for_each_entry_safe(q, t, &todo, node) {
		list_del(&q->node);
		if (n->r)
			KUNIT_EXPECT_EQ(test, 0, raft_step(n->r, &q->m));
		rr_rt_msg_free(q);
	}
}

static void rr_rt_ready(struct kunit *test, struct rr_rt_ctx *rc, struct rr_rt_node *n)
{
	struct rraft_net *net = rc->nc->node[n->id].net;

	while (n->r && raft_has_ready(n->r)) {
		struct raft_ready rd;
		u64 pidx = 0, pterm = 0;
		u32 i;

		KUNIT_ASSERT_EQ(test, 0, raft_ready(n->r, &rd));
		if (rd.n_entries) {
			pidx = rd.entries[rd.n_entries - 1].index;
			pterm = rd.entries[rd.n_entries - 1].term;
		}
		for (i = 0; i < rd.n_msgs; i++)
			rraft_net_send(net, &rd.msgs[i]);	/* may drop */
		for (i = 0; i < rd.n_committed; i++) {
			const struct raft_entry *e = &rd.committed[i];

			KUNIT_ASSERT_EQ(test, e->index, n->applied + 1);
			KUNIT_ASSERT_LE(test, e->index, (u64)RT_MAX_APPLY);
			if (e->type == RAFT_ENTRY_NORMAL && e->len == sizeof(u64))
				memcpy(&n->vals[e->index], e->data, sizeof(u64));
			n->applied = e->index;
		}
		raft_advance(n->r, &rd);
		if (pidx)
			raft_persisted(n->r, pidx, pterm);
	}
}

/* One round: deliver what arrived, tick, run the ready loops. */
static void rr_rt_round(struct kunit *test, struct rr_rt_ctx *rc, bool tick)
{
	u32 id;

	for (id = 1; id <= NT_NODES; id++) {
		struct rr_rt_node *n = &rc->node[id];

		if (!n->r)
			continue;
		rr_rt_step_inbox(test, n);
		if (tick)
			raft_tick(n->r, 1);
		rr_rt_ready(test, rc, n);
	}
}

static u32 rr_rt_leader(struct rr_rt_ctx *rc)
{
	u32 id, lead = 0, cnt = 0;

	for (id = 1; id <= NT_NODES; id++)
		if (rc->node[id].r && raft_role(rc->node[id].r) == RAFT_LEADER) {
			lead = id;
			cnt++;
		}
	return cnt == 1 ? lead : 0;
}

/* Run rounds (a tick every 5 ms) until cond holds or 10 s passed. */
#define RT_RUN_UNTIL(test, rc, cond) ({					\
	unsigned long __end = jiffies + NT_WAIT;			\
	bool __ok;							\
	while (!(__ok = (cond)) && time_before(jiffies, __end)) {	\
		rr_rt_round(test, rc, true);				\
		usleep_range(4000, 6000);				\
	}								\
	__ok;								\
})

static bool rr_rt_all_applied(struct rr_rt_ctx *rc, u64 index)
{
	u32 id;

	for (id = 1; id <= NT_NODES; id++)
		if (rc->node[id].r && rc->node[id].applied < index)
			return false;
	return true;
}

static void rr_rt_destroy(struct rr_rt_node *n)
{
	struct rr_rt_msg *q, *t;

	raft_destroy(n->r);
	n->r = NULL;
	list_for_each_entry_safe(q, t, &n->inbox, node) {
		list_del(&q->node);
		rr_rt_msg_free(q);
	}
}

static void rr_rt_cleanup(void *arg)
{
	struct rr_rt_ctx *rc = arg;
	u32 id;

	for (id = 1; id <= NT_NODES; id++)
		rr_rt_destroy(&rc->node[id]);
}

static void rr_net_raft_test(struct kunit *test)
{
	struct rr_nt_ctx *c = test->priv;
	struct rr_rt_ctx *rc = kunit_kzalloc(test, sizeof(*rc), GFP_KERNEL);
	struct raft_config cfg = {
		.election_ticks = 20, .heartbeat_ticks = 3, .max_inflight = 8,
		.pre_vote = true, .check_quorum = true, .seed = 42,
	};
	struct raft_boot boot = {};
	u64 idx = 0, term, v;
	u32 id, lead, i, old;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, rc);
	rc->nc = c;
	for (id = 1; id <= NT_NODES; id++) {
		struct rr_rt_node *n = &rc->node[id];

		n->id = id;
		n->nt = &c->node[id];
		spin_lock_init(&n->lock);
		INIT_LIST_HEAD(&n->inbox);
		boot.snap.conf.voters[id - 1] = id;
	}
	boot.snap.conf.n_voters = NT_NODES;
	c->cleanup = rr_rt_cleanup;
	c->cleanup_arg = rc;
	for (id = 1; id <= NT_NODES; id++) {
		cfg.id = id;
		KUNIT_ASSERT_EQ(test, 0, raft_create(&rc->node[id].r, &cfg, &boot));
	}
	for (id = 1; id <= NT_NODES; id++)
		KUNIT_ASSERT_EQ(test, 0, rr_nt_start_ops(c, id, "raft", &rr_rt_ops,
							 &rc->node[id]));
	KUNIT_ASSERT_GT(test, wait_event_timeout(c->wq, rr_nt_mesh_up(c), NT_WAIT), 0L);

	KUNIT_ASSERT_TRUE_MSG(test, RT_RUN_UNTIL(test, rc, rr_rt_leader(rc) != 0),
			      "no leader elected over TCP");
	lead = rr_rt_leader(rc);
	for (i = 0; i < 20; i++) {
		v = 0x1000 + i;
		KUNIT_EXPECT_EQ(test, 0, raft_propose(rc->node[lead].r, &v,
						      sizeof(v), &idx, &term));
	}
	KUNIT_ASSERT_TRUE_MSG(test, RT_RUN_UNTIL(test, rc, rr_rt_all_applied(rc, idx)),
			      "writes not applied everywhere");
	for (id = 1; id <= NT_NODES; id++)
		for (i = 1; i <= idx; i++)
			KUNIT_EXPECT_EQ(test, rc->node[id].vals[i], rc->node[lead].vals[i]);
	KUNIT_EXPECT_EQ(test, rc->node[lead].vals[idx], 0x1000ull + 19);

	/* the leader's node goes away: the other two take over */
	old = lead;
	rr_nt_stop(c, old);
	rr_rt_destroy(&rc->node[old]);
	KUNIT_ASSERT_TRUE_MSG(test, RT_RUN_UNTIL(test, rc, rr_rt_leader(rc) != 0),
			      "no new leader after the old one left");
	lead = rr_rt_leader(rc);
	KUNIT_EXPECT_NE(test, lead, old);
	v = 0x2000;
	KUNIT_EXPECT_EQ(test, 0, raft_propose(rc->node[lead].r, &v, sizeof(v),
					      &idx, &term));
	KUNIT_ASSERT_TRUE(test, RT_RUN_UNTIL(test, rc, rr_rt_all_applied(rc, idx)));
	for (id = 1; id <= NT_NODES; id++)
		if (rc->node[id].r)
			KUNIT_EXPECT_EQ(test, rc->node[id].vals[idx], 0x2000ull);
}

/*
 * Control messages go ahead of bulk data: with megabytes of appends queued
 * for a peer, a heartbeat sent after them still arrives before the last
 * of them (it waits behind at most one slice on the wire).
 */
static void rr_net_priority_test(struct kunit *test)
{
	const u32 n_app = 40, ent_len = 200000;
	struct rr_nt_ctx *c = test->priv;
	struct rr_nt_node *n2 = &c->node[2];
	struct raft_entry e = {};
	struct raft_msg m = {};
	u32 i, hb_pos = ~0u, apps_after = 0;

	rr_nt_start_all(test, NULL);
	e.term = 5;
	e.type = RAFT_ENTRY_NORMAL;
	e.len = ent_len;
	e.data = kunit_kzalloc(test, ent_len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, e.data);
	m.type = RAFT_MSG_APPEND;
	m.from = 1;
	m.to = 2;
	m.term = 5;
	m.log_term = 5;
	m.entries = &e;
	m.n_entries = 1;
	for (i = 0; i < n_app; i++) {
		m.index = 100 + i;
		e.index = m.index + 1;
		KUNIT_ASSERT_EQ(test, 0, rraft_net_send(c->node[1].net, &m));
	}
	memset(&m, 0, sizeof(m));
	m.type = RAFT_MSG_HEARTBEAT;
	m.from = 1;
	m.to = 2;
	m.term = 5;
	m.ctx = 0xbeef;
	KUNIT_ASSERT_EQ(test, 0, rraft_net_send(c->node[1].net, &m));
	KUNIT_ASSERT_GT(test, wait_event_timeout(c->wq, rr_nt_n_rx(n2) >= n_app + 1,
						 NT_WAIT), 0L);
	for (i = 0; i < n2->n_rx; i++) {
		if (n2->rx[i].type == RAFT_MSG_HEARTBEAT)
			hb_pos = i;
		else if (hb_pos != ~0u)
			apps_after++;
	}
	KUNIT_ASSERT_NE(test, hb_pos, ~0u);
	KUNIT_EXPECT_EQ(test, n2->rx[hb_pos].ctx, 0xbeefull);
	/* appends arrive in order, and at least one after the heartbeat */
	for (i = 0, hb_pos = 0; i < n2->n_rx; i++)
		if (n2->rx[i].type == RAFT_MSG_APPEND)
			KUNIT_EXPECT_EQ(test, n2->rx[i].index, 100ull + hb_pos++);
	KUNIT_EXPECT_GE(test, apps_after, 1u);
	kunit_info(test, "heartbeat overtook %u of %u queued appends\n",
		   apps_after, n_app);
}

/*
 * Start the three nodes where node 3 must never connect: 1 and 2 connect,
 * and after several dial attempts node 3 is connected to nobody, a message
 * to it is refused and it received nothing.  what names the case.
 */
static void rr_nt_expect_isolated(struct kunit *test, struct rr_nt_ctx *c,
				  const char *what)
{
	struct raft_msg m = { .type = RAFT_MSG_HEARTBEAT, .from = 1, .to = 3,
			      .term = 2 };
	u32 id;

	for (id = 1; id <= NT_NODES; id++)
		KUNIT_ASSERT_EQ(test, 0, rr_nt_start(c, id, NULL));
	KUNIT_ASSERT_GT(test, wait_event_timeout(c->wq,
						 rr_nt_is_up(&c->node[1], 2) &&
						 rr_nt_is_up(&c->node[2], 1),
						 NT_WAIT), 0L);
	/* several dial attempts, all refused */
	msleep(1500);
	for (id = 1; id <= 2; id++) {
		KUNIT_EXPECT_FALSE_MSG(test, rr_nt_is_up(&c->node[id], 3),
				       "%s: %u sees 3 up", what, id);
		KUNIT_EXPECT_FALSE_MSG(test, rr_nt_is_up(&c->node[3], id),
				       "%s: 3 sees %u up", what, id);
	}
	KUNIT_EXPECT_EQ_MSG(test, -ENOTCONN,
			    rraft_net_send(c->node[1].net, &m), "%s", what);
	KUNIT_EXPECT_EQ_MSG(test, rr_nt_n_rx(&c->node[3]), 0u, "%s", what);
}

/* A node of another cluster (same ids, same addresses) never connects. */
static void rr_net_stranger_test(struct kunit *test)
{
	struct rr_nt_ctx *c = test->priv;

	c->cluster[3] = 0xbadc0de;
	rr_nt_expect_isolated(test, c, "other cluster");
}

/*
 * Members whose data areas differ in size never connect: node 3's is one
 * block bigger (both sides refuse), then node 3 does not check (node 1 and
 * 2 refuse its HELLO on their own), then node 3 gets the common size and
 * the refused peers reconnect.
 */
static void rr_net_size_test(struct kunit *test)
{
	struct rr_nt_ctx *c = test->priv;
	struct rraft_net_peer_stats st;
	struct rraft_net_cfg bad = { .node_id = 1, .data_bytes = 4096 + 100 };
	struct raft_msg m = { .type = RAFT_MSG_HEARTBEAT, .from = 1, .to = 3,
			      .term = 2 };
	struct rraft_net *net;
	int round;

	/* a size the HELLO cannot carry is refused at create */
	net = rraft_net_create(&bad, &rr_nt_ops, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(net), -EINVAL);
	if (!IS_ERR(net))
		rraft_net_destroy(net);

	for (round = 0; round < 2; round++) {
		c->data[3] = round ? NT_NOCHECK : NT_DATA_BYTES + 4096;
		rr_nt_expect_isolated(test, c, round ? "3 does not check" :
					      "3 is one block bigger");
		KUNIT_ASSERT_EQ(test, 0, rraft_net_peer_stats(c->node[1].net, 3, &st));
		KUNIT_EXPECT_NE(test, st.conn, (u32)RRAFT_PEER_CONNECTED);
		KUNIT_EXPECT_GE(test, st.msgs_dropped, 1ull);
		if (!round) {
			rr_nt_stop(c, 1);
			rr_nt_stop(c, 2);
		}
		rr_nt_stop(c, 3);
	}

	/* the same size lets it in: 1 and 2 redial it after their backoff */
	c->data[3] = 0;
	rr_nt_expect_rejoin(test, c, &m);
}

/* Neither a sees b up nor b sees a up, for 1.5 s of dial attempts. */
static void rr_nt_expect_apart(struct kunit *test, struct rr_nt_ctx *c,
			       u32 a, u32 b, const char *what)
{
	msleep(1500);
	KUNIT_EXPECT_FALSE_MSG(test, rr_nt_is_up(&c->node[a], b),
			       "%s: %u sees %u up", what, a, b);
	KUNIT_EXPECT_FALSE_MSG(test, rr_nt_is_up(&c->node[b], a),
			       "%s: %u sees %u up", what, b, a);
}

/*
 * Member identities: the identity of a peer's connection is readable; a
 * recorded identity that matches changes nothing; a node that comes back
 * with another identity (a wiped disk) is refused by both members that
 * recorded the old one; recording another identity for a connected peer
 * drops it; clearing the record lets the new identity in.
 */
static void rr_net_ident_test(struct kunit *test)
{
	struct rr_nt_ctx *c = test->priv;
	u8 got[RRAFT_NET_IDENT_LEN], other[RRAFT_NET_IDENT_LEN];
	u32 id;

	for (id = 1; id <= NT_NODES; id++)
		memset(c->ident[id], 0x10 * id, RRAFT_NET_IDENT_LEN);
	rr_nt_start_all(test, NULL);
	KUNIT_ASSERT_EQ(test, 0, rraft_net_peer_ident(c->node[1].net, 3, got));
	KUNIT_EXPECT_EQ(test, 0, memcmp(got, c->ident[3], sizeof(got)));
	KUNIT_EXPECT_EQ(test, -ENOENT,
			rraft_net_peer_ident(c->node[1].net, 9, got));
	for (id = 1; id <= 2; id++)
		KUNIT_EXPECT_EQ(test, 0, rraft_net_set_peer_ident(c->node[id].net,
								  3, c->ident[3]));
	msleep(300);
	KUNIT_EXPECT_TRUE(test, rr_nt_mesh_up(c));

	/* 3 wiped: formatted again, same id, new identity */
	rr_nt_stop(c, 3);
	c->ident[3][0] ^= 0xff;
	KUNIT_ASSERT_EQ(test, 0, rr_nt_start(c, 3, NULL));
	rr_nt_expect_apart(test, c, 1, 3, "wiped 3");
	rr_nt_expect_apart(test, c, 2, 3, "wiped 3");
	KUNIT_EXPECT_EQ(test, -ENOTCONN,
			rraft_net_peer_ident(c->node[1].net, 3, got));

	/* another identity recorded for a connected peer: dropped */
	memset(other, 0x77, sizeof(other));
	KUNIT_EXPECT_EQ(test, 0, rraft_net_set_peer_ident(c->node[1].net, 2,
							  other));
	rr_nt_expect_apart(test, c, 1, 2, "1 records another identity for 2");

	/* the records cleared: everyone connects again */
	for (id = 1; id <= 2; id++)
		KUNIT_EXPECT_EQ(test, 0, rraft_net_set_peer_ident(c->node[id].net,
								  3, NULL));
	KUNIT_EXPECT_EQ(test, 0, rraft_net_set_peer_ident(c->node[1].net, 2,
							  c->ident[2]));
	KUNIT_EXPECT_GT(test, wait_event_timeout(c->wq, rr_nt_mesh_up(c),
						 NT_WAIT), 0L);
	KUNIT_ASSERT_EQ(test, 0, rraft_net_peer_ident(c->node[2].net, 3, got));
	KUNIT_EXPECT_EQ(test, 0, memcmp(got, c->ident[3], sizeof(got)));
}

/*
 * Without a secret the acceptor checks the source address: node 3 expects
 * its peers at 127.0.0.9, they dial from 127.0.0.1 and are refused.  With
 * a secret the handshake proves who the peer is: they connect.
 */
static void rr_net_addr_test(struct kunit *test)
{
	struct rr_nt_ctx *c = test->priv;
	u32 id;

	c->bad_addr[3] = true;
	rr_nt_expect_isolated(test, c, "no secret, other source address");
	for (id = 1; id <= NT_NODES; id++)
		rr_nt_stop(c, id);
	rr_nt_start_all(test, "addr-test-secret");
}

#define NT_SQUATTERS	(RR_MAX_ACCEPTING + 2)

/*
 * Idle connections from a stranger's address (127.0.0.2) hold their
 * handshake slots for up to 5 s; node 2, restarted meanwhile, is a
 * configured peer and still gets one at once: 2 and 3 are up again well
 * within that time.
 */
static void rr_net_squatters_test(struct kunit *test)
{
	struct rr_nt_ctx *c = test->priv;
	struct socket **sq;
	struct sockaddr_in src, dst;
	unsigned long t0;
	u32 i, n = 0;
	int err;

	sq = kunit_kcalloc(test, NT_SQUATTERS, sizeof(*sq), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sq);
	rr_nt_start_all(test, "squat-secret");
	rr_nt_stop(c, 2);
	rr_nt_addr(&src, 0);
	src.sin_addr.s_addr = htonl(0x7f000002);
	rr_nt_addr(&dst, c->port + 3);
	for (i = 0; i < NT_SQUATTERS; i++) {
		err = sock_create_kern(&init_net, AF_INET, SOCK_STREAM,
				       IPPROTO_TCP, &sq[i]);
		if (err) {
			sq[i] = NULL;
			break;
		}
		if (!kernel_bind(sq[i], (struct sockaddr *)&src, sizeof(src)) &&
		    !kernel_connect(sq[i], (struct sockaddr *)&dst,
				    sizeof(dst), 0))
			n++;
	}
	KUNIT_EXPECT_EQ(test, n, (u32)NT_SQUATTERS);
	msleep(300);	/* node 3 accepts them: their slots are taken */
	t0 = jiffies;
	KUNIT_EXPECT_EQ(test, 0, rr_nt_start(c, 2, "squat-secret"));
	KUNIT_EXPECT_GT_MSG(test, wait_event_timeout(c->wq,
						     rr_nt_is_up(&c->node[3], 2),
						     3 * HZ), 0L,
			    "node 2 shut out by %u idle connections", n);
	kunit_info(test, "node 2 back after %u ms with %u idle connections\n",
		   jiffies_to_msecs(jiffies - t0), n);
	for (i = 0; i < NT_SQUATTERS && sq[i]; i++)
		sock_release(sq[i]);
}

static struct kunit_case rr_net_cases[] = {
	KUNIT_CASE(rr_net_mesh_test),
	KUNIT_CASE(rr_net_bulk_test),
	KUNIT_CASE(rr_net_auth_test),
	KUNIT_CASE(rr_net_stranger_test),
	KUNIT_CASE(rr_net_size_test),
	KUNIT_CASE(rr_net_ident_test),
	KUNIT_CASE(rr_net_addr_test),
	KUNIT_CASE(rr_net_squatters_test),
	KUNIT_CASE(rr_net_reconnect_test),
	KUNIT_CASE(rr_net_priority_test),
	KUNIT_CASE(rr_net_raft_test),
	{}
};

static struct kunit_suite rr_net_suite = {
	.name = "rraft_net",
	.suite_init = rr_nt_suite_init,
	.init = rr_nt_init,
	.exit = rr_nt_exit,
	.test_cases = rr_net_cases,
};

kunit_test_suite(rr_net_suite);
