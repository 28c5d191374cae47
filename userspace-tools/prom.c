// SPDX-License-Identifier: GPL-2.0
/*
 * prom.c - "rraftctl status --prometheus": every device's state and
 * counters in the Prometheus text exposition format (version 0.0.4), read
 * from /sys/block/rraft<N>/rraft/ and the block layer's
 * /sys/block/rraft<N>/stat.  Every family gets its # HELP and # TYPE line
 * and then the samples of every device; labels are device (the resource
 * name) and minor, and peer for the per-peer families.  A device whose
 * state cannot be read (going away) is left out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rraftctl.h"

struct prom_dev {
	struct rr_dev_state st;
	bool has_ckpt;
	unsigned long long ckpt;
	int n_stat;			/* fields read (11, or 15 with discards) */
	unsigned long long stat[15];	/* Documentation/block/stat.rst */
};

static void prom_label_value(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			printf("\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", stdout);
		else
			putchar(*s);
	}
	putchar('"');
}

static void prom_family(const char *name, const char *type, const char *help)
{
	printf("# HELP rraft_%s %s\n# TYPE rraft_%s %s\n", name, help, name,
	       type);
}

/* rraft_NAME{device="r0",minor="0"[,KEY="VAL"] */
static void prom_sample_begin(const char *name, const struct prom_dev *d,
			      const char *key, const char *val)
{
	printf("rraft_%s{device=", name);
	prom_label_value(d->st.name);
	printf(",minor=\"%d\"", d->st.minor);
	if (key) {
		printf(",%s=", key);
		prom_label_value(val);
	}
	putchar('}');
}

static void prom_u64(const char *name, const struct prom_dev *d,
		     const char *key, const char *val, unsigned long long v)
{
	prom_sample_begin(name, d, key, val);
	printf(" %llu\n", v);
}

/* A numeric attribute as a gauge of every device. */
static void prom_attr(struct prom_dev *devs, int n, int idx, const char *name,
		      const char *help)
{
	unsigned long long v;
	int i;

	prom_family(name, "gauge", help);
	for (i = 0; i < n; i++)
		if (rr_state_u64(&devs[i].st, idx, &v))
			prom_u64(name, &devs[i], NULL, NULL, v);
}

/* A state set: one sample per known value, 1 for the current one. */
static void prom_set(struct prom_dev *devs, int n, int idx, const char *name,
		     const char *key, const char *const *vals, const char *help)
{
	int i, k;

	prom_family(name, "gauge", help);
	for (i = 0; i < n; i++) {
		if (!devs[i].st.present[idx])
			continue;
		for (k = 0; vals[k]; k++)
			prom_u64(name, &devs[i], key, vals[k],
				 !strcmp(devs[i].st.val[idx], vals[k]));
	}
}

/* The number of ids after "key=" in the members attribute. */
static unsigned int members_count(const char *m, const char *key)
{
	const char *p = m;
	size_t n = strlen(key);
	unsigned int c = 0;

	while ((p = strstr(p, key))) {
		if ((p == m || p[-1] == ' ') && p[n] == '=')
			break;
		p += n;
	}
	if (!p)
		return 0;
	for (p += n + 1; *p && *p != ' '; p++)
		if (*p != ',' && (p[-1] == '=' || p[-1] == ','))
			c++;
	return c;
}

static void prom_members(struct prom_dev *devs, int n)
{
	static const char *const kinds[][2] = {
		{ "voters", "voters" }, { "old", "voters_old" },
		{ "learners", "learners" },
	};
	size_t k;
	int i;

	prom_family("members", "gauge",
		    "Members of the configuration (voters_old: in a joint change).");
	for (i = 0; i < n; i++) {
		if (!devs[i].st.present[A_MEMBERS])
			continue;
		for (k = 0; k < ARRAY_SIZE(kinds); k++)
			prom_u64("members", &devs[i], "kind", kinds[k][1],
				 members_count(devs[i].st.val[A_MEMBERS],
					       kinds[k][0]));
	}
}

static void prom_sync(struct prom_dev *devs, int n)
{
	unsigned long long done, left;
	int i, pass;

	for (pass = 0; pass < 2; pass++) {
		const char *name = pass ? "sync_left_bytes" : "sync_done_bytes";

		prom_family(name, "gauge", pass ?
			    "Bytes of the catch-up copy still to receive (0 unless Inconsistent)." :
			    "Bytes of the catch-up copy received (0 unless Inconsistent).");
		for (i = 0; i < n; i++)
			if (devs[i].st.present[A_SYNC] &&
			    sscanf(devs[i].st.val[A_SYNC], "done=%llu left=%llu",
				   &done, &left) == 2)
				prom_u64(name, &devs[i], NULL, NULL,
					 pass ? left : done);
	}
}

enum { P_CONNECTED, P_MATCH, P_LAG, P_SENT, P_RECV, P_MSENT, P_MRECV,
	P_DROPPED, P_RECONN, P_N };

static const struct {
	const char *name, *type, *key, *help;
} prom_peer_fam[P_N] = {
	[P_CONNECTED] = { "peer_connected", "gauge", "conn",
		"1 while the connection to the peer is up." },
	[P_MATCH] = { "peer_match_index", "gauge", "match",
		"The leader's match index of the peer (on the leader)." },
	[P_LAG] = { "peer_lag_entries", "gauge", NULL,
		"The leader's last index minus the peer's match index (on the leader)." },
	[P_SENT] = { "peer_sent_bytes_total", "counter", "sent",
		"Bytes sent to the peer." },
	[P_RECV] = { "peer_received_bytes_total", "counter", "recv",
		"Bytes received from the peer." },
	[P_MSENT] = { "peer_messages_sent_total", "counter", "msgs_sent",
		"Raft messages sent to the peer." },
	[P_MRECV] = { "peer_messages_received_total", "counter", "msgs_recv",
		"Raft messages received from the peer." },
	[P_DROPPED] = { "peer_messages_dropped_total", "counter", "dropped",
		"Messages to the peer dropped (queue full or not connected)." },
	[P_RECONN] = { "peer_reconnects_total", "counter", "reconnects",
		"Connections to the peer made after the first." },
};

static bool prom_peer_value(const struct rr_dev_state *st,
			    const struct rr_peer *p, int f,
			    unsigned long long *v)
{
	const char *s;

	if (f == P_LAG)
		return rr_peer_lag(st, p, v);
	s = rr_peer_get(p, prom_peer_fam[f].key);
	if (!s)
		return false;
	if (f == P_CONNECTED) {
		*v = !strcmp(s, "connected");
		return true;
	}
	if (f == P_MATCH && (!st->present[A_ROLE] ||
			     strcmp(st->val[A_ROLE], "leader")))
		return false;
	return !rr_arg_u64(s, 0, ULLONG_MAX, v);
}

static void prom_peers(struct prom_dev *devs, int n)
{
	unsigned long long v;
	char id[16];
	int f, i, k;

	for (f = 0; f < P_N; f++) {
		prom_family(prom_peer_fam[f].name, prom_peer_fam[f].type,
			    prom_peer_fam[f].help);
		for (i = 0; i < n; i++) {
			for (k = 0; k < devs[i].st.npeers; k++) {
				const struct rr_peer *p = &devs[i].st.peers[k];

				if (!prom_peer_value(&devs[i].st, p, f, &v))
					continue;
				snprintf(id, sizeof(id), "%u", p->id);
				prom_u64(prom_peer_fam[f].name, &devs[i],
					 "peer", id, v);
			}
		}
	}
}

/* /sys/block/rraftN/stat: reads, writes and their sectors, in flight */
static void prom_io(struct prom_dev *devs, int n)
{
	static const struct {
		const char *name, *type, *help;
		int field;
		unsigned int mul;
	} io[] = {
		{ "io_reads_total", "counter", "Read requests completed.", 0, 1 },
		{ "io_read_bytes_total", "counter", "Bytes read.", 2, 512 },
		{ "io_writes_total", "counter", "Write requests completed.", 4, 1 },
		{ "io_written_bytes_total", "counter", "Bytes written.", 6, 512 },
		{ "io_in_flight", "gauge", "Requests in flight.", 8, 1 },
		{ "io_discards_total", "counter",
		  "Discard requests completed.", 11, 1 },
		{ "io_discarded_bytes_total", "counter", "Bytes discarded.", 13, 512 },
	};
	size_t k;
	int i;

	for (k = 0; k < ARRAY_SIZE(io); k++) {
		prom_family(io[k].name, io[k].type, io[k].help);
		for (i = 0; i < n; i++)
			if (devs[i].n_stat > io[k].field)
				prom_u64(io[k].name, &devs[i], NULL, NULL,
					 devs[i].stat[io[k].field] * io[k].mul);
	}
}

static void prom_read_extra(struct prom_dev *d)
{
	char path[RR_PATH_LEN], buf[256];
	FILE *f;

	if (!rr_dev_read(d->st.minor, "checkpoints", buf, sizeof(buf)) &&
	    !rr_arg_u64(buf, 0, ULLONG_MAX, &d->ckpt))
		d->has_ckpt = true;
	snprintf(path, sizeof(path), "%s/block/rraft%d/stat", rr_sysfs_root(),
		 d->st.minor);
	f = fopen(path, "re");
	if (!f)
		return;
	for (d->n_stat = 0; d->n_stat < (int)ARRAY_SIZE(d->stat); d->n_stat++)
		if (fscanf(f, "%llu", &d->stat[d->n_stat]) != 1)
			break;
	if (d->n_stat < 11)
		d->n_stat = 0;
	fclose(f);
}

/* The numeric attributes, all gauges. */
static const struct {
	int idx;
	const char *name, *help;
} prom_attrs[] = {
	{ A_NODE_ID, "node_id", "This node's id." },
	{ A_TERM, "term", "The current Raft term." },
	{ A_LEADER, "leader", "The leader this node knows (0: none)." },
	{ A_COMMIT, "commit_index",
	  "The highest log index known to be committed." },
	{ A_APPLIED, "applied_index",
	  "The highest log index applied to the data area." },
	{ A_PERSISTED, "persisted_index",
	  "The highest log index durable in the local log." },
	{ A_LAST, "last_index", "The last index in the local log." },
	{ A_SNAP_INDEX, "checkpoint_index", "The index of the last checkpoint." },
	{ A_LOG_USED, "log_used_bytes", "Bytes of the log region in use." },
	{ A_LOG_CAP, "log_capacity_bytes", "Size of the log region." },
};

static void prom_print(struct prom_dev *devs, int n)
{
	static const char *const roles[] = {
		"follower", "precandidate", "candidate", "leader", NULL,
	};
	static const char *const disks[] = {
		"UpToDate", "Outdated", "Inconsistent", "Failed", NULL,
	};
	static const char *const phases[] = { "stable", "pending", "joint", NULL };
	size_t k;
	int i;

	prom_set(devs, n, A_ROLE, "role", "role", roles,
		 "This node's Raft role (1 for the current one).");
	for (k = 0; k < ARRAY_SIZE(prom_attrs); k++)
		prom_attr(devs, n, prom_attrs[k].idx, prom_attrs[k].name,
			  prom_attrs[k].help);
	prom_family("checkpoints_total", "counter",
		    "Checkpoints written since the device was created.");
	for (i = 0; i < n; i++)
		if (devs[i].has_ckpt)
			prom_u64("checkpoints_total", &devs[i], NULL, NULL,
				 devs[i].ckpt);
	prom_set(devs, n, A_DISK, "disk_state", "state", disks,
		 "The disk state (1 for the current one).");
	prom_set(devs, n, A_CONF_PHASE, "conf_phase", "phase", phases,
		 "The configuration phase (1 for the current one).");
	prom_members(devs, n);
	prom_sync(devs, n);
	prom_peers(devs, n);
	prom_io(devs, n);
}

int rr_cmd_prometheus(int argc, char **argv, bool all)
{
	struct prom_dev *devs;
	int minors[256], nm = 0, n = 0, i, rc;
	char label[64];

	rc = rr_select_devices(argc, argv, all, minors, &nm, label, sizeof(label));
	if (rc)
		return rc;
	devs = calloc((size_t)nm + 1, sizeof(*devs));
	if (!devs) {
		rr_err("out of memory");
		return RR_EFAIL;
	}
	for (i = 0; i < nm; i++) {
		if (rr_state_read(minors[i], &devs[n].st) ||
		    !devs[n].st.present[A_ROLE])
			continue;	/* went away meanwhile */
		if (argc == 1)
			snprintf(devs[n].st.name, sizeof(devs[n].st.name), "%s",
				 label);
		prom_read_extra(&devs[n]);
		n++;
	}
	prom_print(devs, n);
	free(devs);
	if (fflush(stdout)) {
		rr_err("write error: %s", strerror(errno));
		return RR_EFAIL;
	}
	return RR_OK;
}
