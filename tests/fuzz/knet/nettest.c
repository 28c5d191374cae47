// SPDX-License-Identifier: GPL-2.0
/*
 * nettest.c - a test module that drives kmod/rraft_net.c (and the wire
 * codec) on its own, without a block device or Raft core: VM tests of
 * connection, handshake, authentication, bad peers, bulk versus control
 * traffic, peer removal, secret change and teardown (tests/vm/t-net-*.sh).
 *
 * Load:  insmod nettest.ko node=1 cluster=0x5eed listen=10.77.0.1:7789 \
 *		peers=2@10.77.0.2:7789,3@10.77.0.3:7789 secret=s3cret
 * Control (/sys/module/nettest/parameters/cmd):
 *	ping TO COUNT		heartbeats, answered by the peer; RTT recorded
 *	send TO KIND COUNT SIZE	KIND append (SIZE bytes in 4 KiB entries) or
 *				snap (one SIZE-byte chunk); waits for room
 *	bulk TO COUNT SIZE	like "send TO append" in a background work
 *	reset_rtt		zero the RTT statistics
 *	secret STR | secret -	change / clear the secret
 *	remove ID | add ID@IP:PORT
 * Status (/sys/module/nettest/parameters/status): one line per peer from
 * rraft_net_peer_stats, then delivery counters, content errors and RTTs.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/inet.h>
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/workqueue.h>
#include "rraft_net.h"

static uint node;
static unsigned long long cluster;
static char *listen = "";
static char *peers = "";
static char *secret = "";
module_param(node, uint, 0444);
module_param(cluster, ullong, 0444);
module_param(listen, charp, 0444);
module_param(peers, charp, 0444);
module_param(secret, charp, 0444);

static struct rraft_net *net;
static atomic64_t delivered, bad, bytes_in, ups, downs, rtt_n, rtt_sum_ns,
	rtt_max_ns, bulk_done, bulk_dropped;
static u64 seq_index = 1;

static u8 pattern(u64 index, u32 i)
{
	return (u8)(index * 31 + i * 7 + 1);
}

static void nt_deliver(void *ctx, const struct raft_msg *m)
{
	u32 i, j;

	atomic64_inc(&delivered);
	if (m->to != node)
		atomic64_inc(&bad);
	for (i = 0; i < m->n_entries; i++) {
		const struct raft_entry *e = &m->entries[i];

		atomic64_add(e->len, &bytes_in);
		for (j = 0; j < e->len; j++)
			if (e->data[j] != pattern(e->index, j)) {
				atomic64_inc(&bad);
				break;
			}
	}
	for (j = 0; j < m->len; j++)
		if (m->data[j] != pattern(m->offset, j)) {
			atomic64_inc(&bad);
			break;
		}
	atomic64_add(m->len, &bytes_in);
	if (m->type == RAFT_MSG_HEARTBEAT) {
		struct raft_msg r = { .type = RAFT_MSG_HEARTBEAT_RESP,
				      .from = node, .to = m->from,
				      .term = m->term, .ctx = m->ctx };

		rraft_net_send(net, &r);
	} else if (m->type == RAFT_MSG_HEARTBEAT_RESP) {
		s64 d = ktime_get_ns() - m->ctx;

		atomic64_inc(&rtt_n);
		atomic64_add(d, &rtt_sum_ns);
		if (d > atomic64_read(&rtt_max_ns))
			atomic64_set(&rtt_max_ns, d);
	}
}

static void nt_peer_state(void *ctx, u32 id, bool up)
{
	atomic64_inc(up ? &ups : &downs);
	pr_info("nettest: peer %u %s\n", id, up ? "up" : "down");
}

static const struct rraft_net_ops nt_ops = {
	.deliver = nt_deliver,
	.peer_state = nt_peer_state,
};

static int parse_sin(const char *s, struct sockaddr_in *sin)
{
	char ip[20];
	const char *colon = strchr(s, ':');
	unsigned int port = RRAFT_DEFAULT_PORT;
	size_t n = colon ? (size_t)(colon - s) : strlen(s);

	if (!n || n >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, s, n);
	ip[n] = 0;
	if (colon && kstrtouint(colon + 1, 10, &port))
		return -EINVAL;
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = in_aton(ip);
	sin->sin_port = htons(port);
	return 0;
}

static int add_peer(const char *s)
{
	struct rraft_net_peer_cfg pc;
	char buf[64];
	char *at;

	strscpy(buf, s, sizeof(buf));
	at = strchr(buf, '@');
	if (!at)
		return -EINVAL;
	*at = 0;
	if (kstrtou32(buf, 10, &pc.id) || parse_sin(at + 1, &pc.addr))
		return -EINVAL;
	return rraft_net_add_peer(net, &pc);
}

/* An append of size bytes in 4 KiB entries, or a snapshot chunk. */
static int send_one(u32 to, bool snap, u32 size)
{
	struct raft_msg m = { .from = node, .to = to, .term = 1 };
	struct raft_entry *e = NULL;
	u32 n = 0, i, j, left = size;
	u8 *data;
	int err, tries = 0;

	data = kvmalloc(size ? size : 1, GFP_KERNEL);
	if (!data)
		return -ENOMEM;
	if (snap) {
		m.type = RAFT_MSG_SNAPSHOT;
		m.snap.index = 1;
		m.snap.term = 1;
		m.offset = seq_index++;
		m.len = size;
		m.data = data;
		for (j = 0; j < size; j++)
			data[j] = pattern(m.offset, j);
	} else {
		n = size ? DIV_ROUND_UP(size, 4096) : 0;
		e = kcalloc(n ? n : 1, sizeof(*e), GFP_KERNEL);
		if (!e) {
			kvfree(data);
			return -ENOMEM;
		}
		m.type = RAFT_MSG_APPEND;
		m.index = seq_index - 1;
		m.log_term = 1;
		m.n_entries = n;
		m.entries = e;
		for (i = 0; i < n; i++) {
			e[i].term = 1;
			e[i].index = seq_index++;
			e[i].len = min(left, 4096u);
			e[i].data = data + i * 4096;
			for (j = 0; j < e[i].len; j++)
				e[i].data[j] = pattern(e[i].index, j);
			left -= e[i].len;
		}
	}
	/* Wait for room: a full queue drops (-ENOBUFS), Raft would resend. */
	while ((err = rraft_net_send(net, &m)) == -ENOBUFS && tries++ < 20000) {
		atomic64_inc(&bulk_dropped);
		usleep_range(500, 1000);
	}
	kfree(e);
	kvfree(data);
	return err;
}

static struct {
	struct work_struct work;
	u32 to, count, size;
	bool stop;
} bulk;

static void bulk_fn(struct work_struct *w)
{
	u32 i;

	for (i = 0; i < bulk.count && !READ_ONCE(bulk.stop); i++)
		if (!send_one(bulk.to, false, bulk.size))
			atomic64_inc(&bulk_done);
}

static int cmd_set(const char *val, const struct kernel_param *kp)
{
	char kind[16], arg[64];
	u32 to, count, size, i;
	int err = 0;

	if (!net)
		return -ENODEV;
	if (sscanf(val, "ping %u %u", &to, &count) == 2) {
		for (i = 0; i < count; i++) {
			struct raft_msg m = { .type = RAFT_MSG_HEARTBEAT,
					      .from = node, .to = to, .term = 1,
					      .ctx = ktime_get_ns() };

			err = rraft_net_send(net, &m);
			if (err)
				return err;
			msleep(20);
		}
		return 0;
	}
	if (sscanf(val, "send %u %15s %u %u", &to, kind, &count, &size) == 4) {
		for (i = 0; i < count && !err; i++)
			err = send_one(to, !strcmp(kind, "snap"), size);
		return err;
	}
	if (sscanf(val, "bulk %u %u %u", &bulk.to, &bulk.count, &bulk.size) == 3) {
		flush_work(&bulk.work);
		queue_work(system_unbound_wq, &bulk.work);
		return 0;
	}
	if (!strncmp(val, "reset_rtt", 9)) {
		atomic64_set(&rtt_n, 0);
		atomic64_set(&rtt_sum_ns, 0);
		atomic64_set(&rtt_max_ns, 0);
		return 0;
	}
	if (sscanf(val, "secret %63s", arg) == 1) {
		if (!strcmp(arg, "-"))
			return rraft_net_set_secret(net, NULL, 0);
		return rraft_net_set_secret(net, arg, strlen(arg));
	}
	if (sscanf(val, "remove %u", &to) == 1)
		return rraft_net_remove_peer(net, to);
	if (sscanf(val, "add %63s", arg) == 1)
		return add_peer(arg);
	return -EINVAL;
}

static int status_get(char *buf, const struct kernel_param *kp)
{
	struct rraft_net_peer_stats st;
	int n = 0;
	u32 id;

	if (!net)
		return -ENODEV;
	for (id = 1; id < 64; id++) {
		if (rraft_net_peer_stats(net, id, &st))
			continue;
		n += scnprintf(buf + n, PAGE_SIZE - n,
			       "peer %u conn %u msgs_sent %llu msgs_received %llu msgs_dropped %llu bytes_sent %llu bytes_received %llu reconnects %u\n",
			       st.id, st.conn, st.msgs_sent, st.msgs_received,
			       st.msgs_dropped, st.bytes_sent, st.bytes_received,
			       st.reconnects);
	}
	n += scnprintf(buf + n, PAGE_SIZE - n,
		       "delivered %lld bad %lld bytes_in %lld ups %lld downs %lld rtt_n %lld rtt_avg_us %lld rtt_max_us %lld bulk_done %lld bulk_retries %lld\n",
		       atomic64_read(&delivered), atomic64_read(&bad),
		       atomic64_read(&bytes_in), atomic64_read(&ups),
		       atomic64_read(&downs), atomic64_read(&rtt_n),
		       atomic64_read(&rtt_n) ?
		       div64_s64(atomic64_read(&rtt_sum_ns), atomic64_read(&rtt_n)) / 1000 : 0,
		       atomic64_read(&rtt_max_ns) / 1000,
		       atomic64_read(&bulk_done), atomic64_read(&bulk_dropped));
	return n;
}

static const struct kernel_param_ops cmd_ops = { .set = cmd_set };
static const struct kernel_param_ops status_ops = { .get = status_get };
module_param_cb(cmd, &cmd_ops, NULL, 0200);
module_param_cb(status, &status_ops, NULL, 0444);

static int __init nt_init(void)
{
	struct rraft_net_cfg cfg = { .node_id = node, .cluster_id = cluster };
	char *p, *s, *tok;
	int err;

	INIT_WORK(&bulk.work, bulk_fn);
	if (parse_sin(listen, &cfg.listen))
		return -EINVAL;
	cfg.secret_len = min_t(u32, strlen(secret), RRAFT_SECRET_MAX);
	memcpy(cfg.secret, secret, cfg.secret_len);
	net = rraft_net_create(&cfg, &nt_ops, NULL);
	if (IS_ERR(net)) {
		err = PTR_ERR(net);
		net = NULL;
		return err;
	}
	s = kstrdup(peers, GFP_KERNEL);
	p = s;
	while (p && (tok = strsep(&p, ",")) != NULL) {
		if (!*tok)
			continue;
		err = add_peer(tok);
		if (err) {
			kfree(s);
			rraft_net_destroy(net);
			return err;
		}
	}
	kfree(s);
	err = rraft_net_start(net);
	if (err) {
		rraft_net_destroy(net);
		return err;
	}
	return 0;
}

static void __exit nt_exit(void)
{
	struct rraft_net *n = net;

	WRITE_ONCE(bulk.stop, true);
	flush_work(&bulk.work);
	net = NULL;
	rraft_net_destroy(n);
}

module_init(nt_init);
module_exit(nt_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rraft transport test driver");
