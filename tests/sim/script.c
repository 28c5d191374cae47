// SPDX-License-Identifier: GPL-2.0
/*
 * script.c - datadriven scenario scripts (in the style of etcd raft's
 * testdata): a command, optionally followed by "----" and the output it
 * must produce, up to a blank line.  A command without a block must
 * produce no output.  Every invariant of the random simulator is checked
 * after every event here too; a violation is printed into the output of
 * the command that caused it and so shows up as a mismatch.
 *
 * Commands (node ids are 1-based):
 *   nodes N [prevote=0|1] [checkquorum=0|1] [lease=T] [spares=K] [maxents=E]
 *         [appendtimeout=T] (ticks after which an append is lost; default 1)
 *   boot ID term=T [vote=V] [commit=C] log=T1,T2*3,... [voters=1,2,3] [learners=4]
 *   campaign ID | tick ID|all [N] | transfer ID TO | compact ID
 *   propose ID BLOCK VALUE | read ID BLOCK
 *   stabilize [TYPES] | deliver [TYPES] | persist ID | persist-one ID
 *   run N [TYPES]     N rounds of: tick every node once, stabilize
 *   deliver-msg A->B [TYPES] | drop A->B [TYPES] | dup A->B [TYPES]
 *                     deliver one / drop all / duplicate all queued messages
 *      TYPES: comma list of message types to print as they are delivered
 *      (append,append_resp,vote,vote_resp,prevote,prevote_resp,heartbeat,
 *       heartbeat_resp,snapshot,snapshot_resp,timeout_now) or "all"
 *   partition 1 2 | 3 | isolate ID | cut A->B [TYPES] | heal | crash ID [lose=N] | restart ID
 *      lose=N: the disk also loses its last N durable entries (a volatile
 *      write cache that ignored flushes: etcd #10166)
 *   conf ID voters=1,2,3 [old=..] [learners=..]
 *   log ID | status ID | states | blocks ID | history | check
 *   trace on|off      full simulator trace into the output (debugging)
 *
 * Each command is one cmd_<name> function, listed in script_cmds[] with
 * whether it needs a node id and how many words it takes.
 */
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include "sim.h"

#define LL(x) ((unsigned long long)(x))

void sim_start_all(struct sim *s);

struct cmd {
	int line;
	char *text;		/* command line */
	char *expect;		/* expected output or NULL */
	char *comments;		/* comment/blank lines preceding the command */
};

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		exit(2);
	return p;
}

static void strapp(char **dst, const char *s)
{
	size_t a = *dst ? strlen(*dst) : 0, b = strlen(s);

	*dst = realloc(*dst, a + b + 1);
	if (!*dst)
		exit(2);
	memcpy(*dst + a, s, b + 1);
}

static int parse_file(const char *path, struct cmd **out, char **tail)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	struct cmd *cmds = NULL;
	int n = 0, ln = 0;
	char *pending = NULL;

	if (!f) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		ln++;
		if (line[0] == '#' || line[0] == '\n') {
			strapp(&pending, line);
			continue;
		}
		cmds = realloc(cmds, (n + 1) * sizeof(*cmds));
		memset(&cmds[n], 0, sizeof(cmds[n]));
		cmds[n].line = ln;
		line[strcspn(line, "\n")] = 0;
		cmds[n].text = xstrdup(line);
		cmds[n].comments = pending;
		pending = NULL;
		/* optional expected block */
		{
			long pos = ftell(f);
			char l2[4096];

			if (fgets(l2, sizeof(l2), f) && !strcmp(l2, "----\n")) {
				char *exp = xstrdup("");

				ln++;
				while (fgets(l2, sizeof(l2), f)) {
					ln++;
					if (l2[0] == '\n')
						break;
					strapp(&exp, l2);
				}
				cmds[n].expect = exp;
			} else {
				fseek(f, pos, SEEK_SET);
			}
		}
		n++;
	}
	fclose(f);
	*out = cmds;
	*tail = pending;
	return n;
}

/* ------------------------------------------------------------------ */

struct ctx {
	struct sim *s;
	bool have;
	FILE *o;
};

static u32 type_mask(const char *list)
{
	static const char *const names[] = {
		"none", "prevote", "prevote_resp", "vote", "vote_resp", "append",
		"append_resp", "heartbeat", "heartbeat_resp", "snapshot",
		"snapshot_resp", "timeout_now", "transfer_req",
	};
	char buf[256], *t, *sv = NULL;
	u32 m = 0, i;

	if (!list)
		return 0;
	if (!strcmp(list, "all"))
		return ~0u;
	snprintf(buf, sizeof(buf), "%s", list);
	for (t = strtok_r(buf, ",", &sv); t; t = strtok_r(NULL, ",", &sv))
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (!strcmp(t, names[i]))
				m |= 1u << i;
	return m;
}

static const char *kvget(char **argv, int argc, const char *key)
{
	size_t kl = strlen(key);
	int i;

	for (i = 1; i < argc; i++)
		if (!strncmp(argv[i], key, kl) && argv[i][kl] == '=')
			return argv[i] + kl + 1;
	return NULL;
}

static u8 parse_ids(const char *s, u32 *ids)
{
	u8 n = 0;

	while (s && *s && n < RAFT_MAX_MEMBERS) {
		ids[n++] = (u32)strtoul(s, (char **)&s, 10);
		if (*s == ',')
			s++;
		else
			break;
	}
	return n;
}

static u64 parse_terms(const char *s, u64 *terms, u64 max)
{
	u64 n = 0;

	while (s && *s) {
		u64 t = strtoull(s, (char **)&s, 10), rep = 1, k;

		if (*s == '*')
			rep = strtoull(s + 1, (char **)&s, 10);
		for (k = 0; k < rep && n < max; k++)
			terms[n++] = t;
		if (*s == ',')
			s++;
		else
			break;
	}
	return n;
}

static const char *role_name(u32 r)
{
	switch (r) {
	case RAFT_LEADER: return "leader";
	case RAFT_CANDIDATE: return "candidate";
	case RAFT_PRECANDIDATE: return "precandidate";
	default: return "follower";
	}
}

static void print_conf(FILE *o, const struct raft_conf *c)
{
	int i;

	fprintf(o, "voters=");
	for (i = 0; i < c->n_voters; i++)
		fprintf(o, "%s%u", i ? "," : "", c->voters[i]);
	if (c->n_voters_old) {
		fprintf(o, " old=");
		for (i = 0; i < c->n_voters_old; i++)
			fprintf(o, "%s%u", i ? "," : "", c->voters_old[i]);
	}
	if (c->n_learners) {
		fprintf(o, " learners=");
		for (i = 0; i < c->n_learners; i++)
			fprintf(o, "%s%u", i ? "," : "", c->learners[i]);
	}
}

static void print_log(struct sim *s, FILE *o, u32 id)
{
	struct node *nd = &s->nodes[id];
	struct raft_status st;
	u64 i;

	if (!nd->alive) {
		fprintf(o, "n%u is down\n", id);
		return;
	}
	raft_get_status(nd->r, &st);
	if (st.snap_index)
		fprintf(o, "snapshot %llu/%llu\n", LL(st.snap_index), LL(st.snap_term));
	for (i = st.first_index; i <= st.last_index; i++) {
		u64 t = raft_term_at(nd->r, i);
		const struct dslot *d = i < nd->dcap && nd->dlog[i].valid &&
					nd->dlog[i].term == t ? &nd->dlog[i] : NULL;

		fprintf(o, "%llu/%llu", LL(i), LL(t));
		if (d) {
			u32 b;
			u64 v, op;

			if (d->type == RAFT_ENTRY_NOOP)
				fprintf(o, " noop");
			else if (d->type == RAFT_ENTRY_CONF) {
				struct raft_conf c;

				if (!raft_conf_decode(&c, d->data, d->len)) {
					fprintf(o, " conf ");
					print_conf(o, &c);
				}
			} else if (sim_decode_payload(d->data, d->len, &b, &v, &op))
				fprintf(o, " b%u=%llu", b, LL(v));
		} else {
			fprintf(o, " (not durable)");
		}
		fputc('\n', o);
	}
	if (st.commit)
		fprintf(o, "commit=%llu applied=%llu\n", LL(st.commit), LL(nd->applied));
}

static void print_status(struct sim *s, FILE *o, u32 id)
{
	struct node *nd = &s->nodes[id];
	struct raft_status st;

	if (!nd->alive) {
		fprintf(o, "n%u down\n", id);
		return;
	}
	raft_get_status(nd->r, &st);
	fprintf(o, "n%u %s term=%llu vote=%u leader=%u commit=%llu applied=%llu last=%llu ",
		id, role_name(st.role), LL(st.term), st.vote, st.leader,
		LL(st.commit), LL(nd->applied), LL(st.last_index));
	print_conf(o, &st.conf);
	if (st.conf_pending)
		fprintf(o, " (pending)");
	if (st.inconsistent)
		fprintf(o, " INCONSISTENT");
	fputc('\n', o);
}

static void do_stabilize(struct sim *s, const char *types, bool msgs_only)
{
	u32 guard = 0;

	s->trace_filter = type_mask(types);
	s->trace_msgs = s->trace_filter != 0;
	while (!s->failed && sim_step_event(s, msgs_only))
		if (++guard > 200000) {
			sim_fail(s, "stabilize: no quiescence after 200000 events");
			break;
		}
	s->trace_msgs = false;
}

static const char *ename(int err)
{
	switch (err) {
	case -EPERM: return "-EPERM";
	case -EAGAIN: return "-EAGAIN";
	case -EBUSY: return "-EBUSY";
	case -EINVAL: return "-EINVAL";
	case -ENOMEM: return "-ENOMEM";
	default: return "-E?";
	}
}

/*
 * One script command: its words, the node id of the first argument (0 if
 * none or out of range), the simulator and where its output goes.
 */
struct args {
	int argc;
	char **argv;
	u32 id;
	struct sim *s;
	FILE *o;
	struct ctx *c;
};

/* "error -E..." if err, for the commands that print only failures */
static void print_err(FILE *o, int err)
{
	if (err)
		fprintf(o, "error %s\n", ename(err));
}

/* "A->B" of deliver-msg, drop, dup and cut */
static void parse_link(const char *s, u32 *a, u32 *b)
{
	const char *gt = strchr(s, '>');

	*a = (u32)atoi(s);
	*b = (u32)atoi(gt ? gt + 1 : "0");
}

static void cmd_nodes(struct args *a)
{
	struct sim *s = a->s;
	u32 spares = 0, i;
	const char *v;

	if (a->c->have)
		sim_free(s);
	v = kvget(a->argv, a->argc, "spares");
	if (v)
		spares = (u32)atoi(v);
	sim_init(s, 1, a->id, spares, 0, true);
	s->out = a->o;
	for (i = 1; i <= s->nslots; i++) {
		struct raft_config *cf = &s->nodes[i].cfg;

		if ((v = kvget(a->argv, a->argc, "prevote")))
			cf->pre_vote = atoi(v);
		if ((v = kvget(a->argv, a->argc, "checkquorum")))
			cf->check_quorum = atoi(v);
		if ((v = kvget(a->argv, a->argc, "lease")))
			cf->lease_drift_ticks = (u32)atoi(v);
		if ((v = kvget(a->argv, a->argc, "election")))
			cf->election_ticks = (u32)atoi(v);
		if ((v = kvget(a->argv, a->argc, "maxents")))
			cf->max_append_entries = (u32)atoi(v);
		/* scripts count rounds: an append is lost after one */
		cf->append_timeout_ticks = 1;
		if ((v = kvget(a->argv, a->argc, "appendtimeout")))
			cf->append_timeout_ticks = (u32)atoi(v);
	}
	sim_start_all(s);
	a->c->have = true;
}

static u64 kv_u64(struct args *a, const char *key)
{
	const char *v = kvget(a->argv, a->argc, key);

	return v ? strtoull(v, NULL, 10) : 0;
}

static void cmd_boot(struct args *a)
{
	struct raft_conf conf;
	u64 terms[512], n;
	u32 i;

	memset(&conf, 0, sizeof(conf));
	n = parse_terms(kvget(a->argv, a->argc, "log"), terms, 512);
	conf.n_voters = parse_ids(kvget(a->argv, a->argc, "voters"), conf.voters);
	conf.n_learners = parse_ids(kvget(a->argv, a->argc, "learners"),
				    conf.learners);
	if (!conf.n_voters)
		for (i = 1; i <= a->s->n; i++)
			conf.voters[conf.n_voters++] = i;
	sim_set_durable(a->s, a->id, kv_u64(a, "term"), (u32)kv_u64(a, "vote"),
			kv_u64(a, "commit"), terms, n, &conf);
}

static void cmd_campaign(struct args *a)
{
	print_err(a->o, raft_campaign(a->s->nodes[a->id].r));
	sim_process(a->s, &a->s->nodes[a->id]);
}

/* one tick of every live node (or of node only), each processed */
static void tick_nodes(struct sim *s, u32 only)
{
	u32 i;

	for (i = 1; i <= s->nslots; i++) {
		if ((only && i != only) || !s->nodes[i].alive)
			continue;
		raft_tick(s->nodes[i].r, 1);
		sim_process(s, &s->nodes[i]);
	}
}

static void cmd_tick(struct args *a)
{
	u32 n = a->argc > 2 ? (u32)atoi(a->argv[2]) : 1, k;

	for (k = 0; k < n && !a->s->failed; k++)
		tick_nodes(a->s, a->id);
}

static void cmd_run(struct args *a)
{
	u32 n = a->argc > 1 ? (u32)atoi(a->argv[1]) : 1, k;

	for (k = 0; k < n && !a->s->failed; k++) {
		tick_nodes(a->s, 0);
		do_stabilize(a->s, a->argc > 2 ? a->argv[2] : NULL, false);
	}
}

static void cmd_propose(struct args *a)
{
	u64 idx = 0, term = 0;
	int err = sim_propose_write(a->s, a->id,
				    (u32)atoi(a->argv[2]) % SIM_NBLOCKS,
				    strtoull(a->argv[3], NULL, 10), &idx, &term);

	if (err)
		fprintf(a->o, "error %s\n", ename(err));
	else
		fprintf(a->o, "index %llu term %llu\n", LL(idx), LL(term));
}

static void cmd_read(struct args *a)
{
	print_err(a->o, sim_read(a->s, a->id, (u32)atoi(a->argv[2]) % SIM_NBLOCKS));
}

static void cmd_stabilize(struct args *a)
{
	do_stabilize(a->s, a->argc > 1 ? a->argv[1] : NULL, false);
}

static void cmd_deliver(struct args *a)
{
	do_stabilize(a->s, a->argc > 1 ? a->argv[1] : NULL, true);
}

static void cmd_persist(struct args *a)
{
	sim_complete_disk(a->s, a->id);
}

static void cmd_persist_one(struct args *a)
{
	sim_complete_disk_one(a->s, a->id);
}

static u32 arg_mask(struct args *a)
{
	return a->argc > 2 ? type_mask(a->argv[2]) : ~0u;
}

static void cmd_deliver_msg(struct args *a)
{
	u32 from, to;

	parse_link(a->argv[1], &from, &to);
	if (!sim_deliver_one(a->s, from, to, arg_mask(a)))
		fprintf(a->o, "no message %u->%u\n", from, to);
}

static void cmd_drop(struct args *a)
{
	u32 from, to;

	parse_link(a->argv[1], &from, &to);
	sim_drop_msgs(a->s, from, to, arg_mask(a));
}

static void cmd_dup(struct args *a)
{
	u32 from, to;

	parse_link(a->argv[1], &from, &to);
	sim_dup_msgs(a->s, from, to, arg_mask(a));
}

static void cmd_partition(struct args *a)
{
	u32 side[SIM_MAX_NODES] = { 0 }, i, j, g = 0;
	struct sim *s = a->s;
	int k;

	for (k = 1; k < a->argc; k++) {
		if (!strcmp(a->argv[k], "|"))
			g++;
		else
			side[atoi(a->argv[k]) % SIM_MAX_NODES] = g;
	}
	memset(s->blocked, 0, sizeof(s->blocked));
	for (i = 1; i <= s->nslots; i++)
		for (j = 1; j <= s->nslots; j++)
			if (side[i] != side[j])
				s->blocked[i][j] = true;
}

static void cmd_isolate(struct args *a)
{
	u32 j;

	for (j = 1; j <= a->s->nslots; j++)
		if (j != a->id)
			a->s->blocked[a->id][j] = a->s->blocked[j][a->id] = true;
}

static void cmd_cut(struct args *a)
{
	u32 from, to;

	parse_link(a->argv[1], &from, &to);
	if (from >= SIM_MAX_NODES || to >= SIM_MAX_NODES)
		return;
	if (a->argc > 2)
		a->s->cutmask[from][to] |= type_mask(a->argv[2]);
	else
		a->s->blocked[from][to] = true;
}

static void cmd_trace(struct args *a)
{
	a->s->trace = a->argc > 1 && !strcmp(a->argv[1], "on");
}

static void cmd_heal(struct args *a)
{
	memset(a->s->blocked, 0, sizeof(a->s->blocked));
	memset(a->s->cutmask, 0, sizeof(a->s->cutmask));
}

static void cmd_crash(struct args *a)
{
	const char *lose = kvget(a->argv, a->argc, "lose");

	sim_crash(a->s, a->id);
	if (lose)
		sim_lose_tail(a->s, a->id, strtoull(lose, NULL, 10));
}

static void cmd_restart(struct args *a)
{
	sim_restart(a->s, a->id);
}

static void cmd_transfer(struct args *a)
{
	print_err(a->o, raft_transfer_leader(a->s->nodes[a->id].r,
					     (u32)atoi(a->argv[2])));
	sim_process(a->s, &a->s->nodes[a->id]);
}

static void cmd_conf(struct args *a)
{
	struct raft_conf cf;
	int err;

	memset(&cf, 0, sizeof(cf));
	cf.n_voters = parse_ids(kvget(a->argv, a->argc, "voters"), cf.voters);
	cf.n_voters_old = parse_ids(kvget(a->argv, a->argc, "old"), cf.voters_old);
	cf.n_learners = parse_ids(kvget(a->argv, a->argc, "learners"), cf.learners);
	err = raft_change_conf(a->s->nodes[a->id].r, &cf);
	fprintf(a->o, "%s%s\n", err ? "error " : "ok", err ? ename(err) : "");
	sim_process(a->s, &a->s->nodes[a->id]);
}

static void cmd_compact(struct args *a)
{
	struct node *nd = &a->s->nodes[a->id];
	struct raft_snap_meta meta;

	meta.index = nd->applied;
	meta.term = nd->applied < a->s->ga_cap ? a->s->ga_term[nd->applied] : 0;
	meta.conf = nd->conf_applied;
	sim_set_checkpoint(nd, &meta, nd->sm);
	print_err(a->o, raft_compact(nd->r, nd->applied));
	sim_process(a->s, nd);
}

static void cmd_log(struct args *a)
{
	print_log(a->s, a->o, a->id);
}

static void cmd_status(struct args *a)
{
	print_status(a->s, a->o, a->id);
}

static void cmd_states(struct args *a)
{
	u32 i;

	for (i = 1; i <= a->s->nslots; i++)
		print_status(a->s, a->o, i);
}

static void cmd_blocks(struct args *a)
{
	const u8 *sm = a->s->nodes[a->id].sm;
	u32 b;
	int k;

	for (b = 0; b < SIM_NBLOCKS; b++) {
		u64 v = 0;

		for (k = 7; k >= 0; k--)
			v = (v << 8) | sm[8 * b + k];
		fprintf(a->o, "%sb%u=%llu", b ? " " : "", b, LL(v));
	}
	fputc('\n', a->o);
}

static void cmd_history(struct args *a)
{
	u32 i;

	for (i = 0; i < a->s->nhist; i++) {
		const struct hop *h = &a->s->hist[i];
		const char *stn = h->status == 1 ? "ok" :
				  h->status == 2 ? "failed" : "pending";

		if (h->write)
			fprintf(a->o, "op%u n%u write b%u=%llu %s\n", i, h->node,
				h->block, LL(h->value), stn);
		else
			fprintf(a->o, "op%u n%u read b%u -> %s%llu\n", i, h->node,
				h->block, h->status == 1 ? "" : "(pending) ",
				LL(h->value));
	}
}

static void cmd_check(struct args *a)
{
	if (lin_check(a->s, a->o) && !a->s->failed)
		fprintf(a->o, "ok: invariants hold, history linearizable\n");
}

/*
 * The commands.  need_id: the first argument must be a node id (1..);
 * min_argc: words including the command.  A command that misses either
 * is reported as unknown, as before the table existed.
 */
static const struct script_cmd {
	const char *name;
	void (*fn)(struct args *a);
	bool need_id;
	int min_argc;
} script_cmds[] = {
	{ "nodes", cmd_nodes, false, 1 },
	{ "boot", cmd_boot, true, 2 },
	{ "campaign", cmd_campaign, true, 2 },
	{ "tick", cmd_tick, false, 1 },
	{ "propose", cmd_propose, true, 4 },
	{ "read", cmd_read, true, 3 },
	{ "stabilize", cmd_stabilize, false, 1 },
	{ "deliver", cmd_deliver, false, 1 },
	{ "persist", cmd_persist, true, 2 },
	{ "persist-one", cmd_persist_one, true, 2 },
	{ "run", cmd_run, false, 1 },
	{ "deliver-msg", cmd_deliver_msg, false, 2 },
	{ "drop", cmd_drop, false, 2 },
	{ "dup", cmd_dup, false, 2 },
	{ "partition", cmd_partition, false, 1 },
	{ "isolate", cmd_isolate, true, 2 },
	{ "cut", cmd_cut, false, 2 },
	{ "trace", cmd_trace, false, 1 },
	{ "heal", cmd_heal, false, 1 },
	{ "crash", cmd_crash, true, 2 },
	{ "restart", cmd_restart, true, 2 },
	{ "transfer", cmd_transfer, true, 3 },
	{ "conf", cmd_conf, true, 2 },
	{ "compact", cmd_compact, true, 2 },
	{ "log", cmd_log, true, 2 },
	{ "status", cmd_status, true, 2 },
	{ "states", cmd_states, false, 1 },
	{ "blocks", cmd_blocks, true, 2 },
	{ "history", cmd_history, false, 1 },
	{ "check", cmd_check, false, 1 },
};

static int exec_cmd(struct ctx *c, char *text)
{
	char buf[4096], *argv[64], *sv = NULL, *t;
	struct args a = { .argv = argv, .s = c->s, .o = c->o, .c = c };
	size_t i;

	snprintf(buf, sizeof(buf), "%s", text);
	for (t = strtok_r(buf, " \t", &sv); t && a.argc < 63;
	     t = strtok_r(NULL, " \t", &sv))
		argv[a.argc++] = t;
	argv[a.argc] = NULL;
	if (!a.argc)
		return 0;
	if (a.argc > 1)
		a.id = (u32)strtoul(argv[1], NULL, 10);
	if (strcmp(argv[0], "nodes") && !c->have) {
		fprintf(c->o, "error: no cluster (use nodes N first)\n");
		return 0;
	}
	if (a.id >= SIM_MAX_NODES)
		a.id = 0;
	c->s->out = c->o;
	for (i = 0; i < sizeof(script_cmds) / sizeof(script_cmds[0]); i++) {
		const struct script_cmd *sc = &script_cmds[i];

		if (strcmp(argv[0], sc->name))
			continue;
		if ((sc->need_id && !a.id) || a.argc < sc->min_argc)
			break;
		sc->fn(&a);
		return 0;
	}
	fprintf(c->o, "error: unknown command '%s'\n", argv[0]);
	return 0;
}

int script_run(const char *path, bool rewrite)
{
	struct cmd *cmds;
	char *tail = NULL;
	int n, i, bad = 0;
	struct ctx c;
	FILE *rw = NULL;
	char *rwbuf = NULL;
	size_t rwlen = 0;

	n = parse_file(path, &cmds, &tail);
	if (n < 0)
		return 1;
	memset(&c, 0, sizeof(c));
	c.s = calloc(1, sizeof(*c.s));
	if (!c.s)
		exit(2);
	if (rewrite)
		rw = open_memstream(&rwbuf, &rwlen);
	for (i = 0; i < n; i++) {
		char *out = NULL;
		size_t olen = 0;
		bool was_failed = c.s->failed;

		c.o = open_memstream(&out, &olen);
		exec_cmd(&c, cmds[i].text);
		if (c.s->failed && !was_failed)
			bad++;
		fclose(c.o);
		if (rw) {
			if (cmds[i].comments)
				fputs(cmds[i].comments, rw);
			fprintf(rw, "%s\n", cmds[i].text);
			if (olen)
				fprintf(rw, "----\n%s\n", out);
		} else if (strcmp(out, cmds[i].expect ? cmds[i].expect : "")) {
			char *e = cmds[i].expect ? cmds[i].expect : "";

			bad++;
			printf("%s:%d: %s\n  expected:\n", path, cmds[i].line, cmds[i].text);
			for (; *e; ) {
				size_t l = strcspn(e, "\n");

				printf("  - %.*s\n", (int)l, e);
				e += l + (e[l] == '\n');
			}
			printf("  actual:\n");
			for (e = out; *e; ) {
				size_t l = strcspn(e, "\n");

				printf("  + %.*s\n", (int)l, e);
				e += l + (e[l] == '\n');
			}
		}
		free(out);
	}
	if (rw) {
		FILE *f;

		if (tail)
			fputs(tail, rw);
		fclose(rw);
		f = fopen(path, "w");
		if (!f || fwrite(rwbuf, 1, rwlen, f) != rwlen) {
			perror(path);
			bad++;
		}
		if (f)
			fclose(f);
		free(rwbuf);
	}
	if (c.have)
		sim_free(c.s);
	free(c.s);
	for (i = 0; i < n; i++) {
		free(cmds[i].text);
		free(cmds[i].expect);
		free(cmds[i].comments);
	}
	free(cmds);
	free(tail);
	printf("scenario %s: %s\n", path, bad ? "FAIL" : "ok");
	return bad ? 1 : 0;
}
