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

static int exec_cmd(struct ctx *c, char *text)
{
	char buf[4096], *argv[64], *sv = NULL, *t;
	int argc = 0;
	struct sim *s = c->s;
	FILE *o = c->o;
	u32 id = 0;

	snprintf(buf, sizeof(buf), "%s", text);
	for (t = strtok_r(buf, " \t", &sv); t && argc < 63; t = strtok_r(NULL, " \t", &sv))
		argv[argc++] = t;
	argv[argc] = NULL;
	if (!argc)
		return 0;
	if (argc > 1)
		id = (u32)strtoul(argv[1], NULL, 10);
	if (strcmp(argv[0], "nodes") && !c->have) {
		fprintf(o, "error: no cluster (use nodes N first)\n");
		return 0;
	}
	if (id >= SIM_MAX_NODES)
		id = 0;
	s->out = o;

	if (!strcmp(argv[0], "nodes")) {
		u32 n = id, spares = 0, i;
		const char *v;

		if (c->have)
			sim_free(s);
		if ((v = kvget(argv, argc, "spares")))
			spares = (u32)atoi(v);
		sim_init(s, 1, n, spares, 0, true);
		s->out = o;
		for (i = 1; i <= s->nslots; i++) {
			struct raft_config *cf = &s->nodes[i].cfg;

			if ((v = kvget(argv, argc, "prevote")))
				cf->pre_vote = atoi(v);
			if ((v = kvget(argv, argc, "checkquorum")))
				cf->check_quorum = atoi(v);
			if ((v = kvget(argv, argc, "lease")))
				cf->lease_drift_ticks = (u32)atoi(v);
			if ((v = kvget(argv, argc, "election")))
				cf->election_ticks = (u32)atoi(v);
			if ((v = kvget(argv, argc, "maxents")))
				cf->max_append_entries = (u32)atoi(v);
		}
		sim_start_all(s);
		c->have = true;
	} else if (!strcmp(argv[0], "boot") && id) {
		u64 terms[512], n;
		struct raft_conf conf;
		const char *v;

		memset(&conf, 0, sizeof(conf));
		n = parse_terms(kvget(argv, argc, "log"), terms, 512);
		conf.n_voters = parse_ids(kvget(argv, argc, "voters"), conf.voters);
		conf.n_learners = parse_ids(kvget(argv, argc, "learners"), conf.learners);
		if (!conf.n_voters) {
			u32 i;

			for (i = 1; i <= s->n; i++)
				conf.voters[conf.n_voters++] = i;
		}
		v = kvget(argv, argc, "term");
		sim_set_durable(s, id, v ? strtoull(v, NULL, 10) : 0,
				kvget(argv, argc, "vote") ?
				(u32)atoi(kvget(argv, argc, "vote")) : 0,
				kvget(argv, argc, "commit") ?
				strtoull(kvget(argv, argc, "commit"), NULL, 10) : 0,
				terms, n, &conf);
	} else if (!strcmp(argv[0], "campaign") && id) {
		int err = raft_campaign(s->nodes[id].r);

		if (err)
			fprintf(o, "error %s\n", ename(err));
		sim_process(s, &s->nodes[id]);
	} else if (!strcmp(argv[0], "tick")) {
		u32 n = argc > 2 ? (u32)atoi(argv[2]) : 1, k, i;

		for (k = 0; k < n && !s->failed; k++) {
			for (i = 1; i <= s->nslots; i++) {
				if ((id && i != id) || !s->nodes[i].alive)
					continue;
				raft_tick(s->nodes[i].r);
				sim_process(s, &s->nodes[i]);
			}
		}
	} else if (!strcmp(argv[0], "propose") && id && argc >= 4) {
		u64 idx = 0, term = 0;
		int err = sim_propose_write(s, id, (u32)atoi(argv[2]) % SIM_NBLOCKS,
					    strtoull(argv[3], NULL, 10), &idx, &term);

		if (err)
			fprintf(o, "error %s\n", ename(err));
		else
			fprintf(o, "index %llu term %llu\n", LL(idx), LL(term));
	} else if (!strcmp(argv[0], "read") && id && argc >= 3) {
		int err = sim_read(s, id, (u32)atoi(argv[2]) % SIM_NBLOCKS);

		if (err)
			fprintf(o, "error %s\n", ename(err));
	} else if (!strcmp(argv[0], "stabilize")) {
		do_stabilize(s, argc > 1 ? argv[1] : NULL, false);
	} else if (!strcmp(argv[0], "deliver")) {
		do_stabilize(s, argc > 1 ? argv[1] : NULL, true);
	} else if (!strcmp(argv[0], "persist") && id) {
		sim_complete_disk(s, id);
	} else if (!strcmp(argv[0], "persist-one") && id) {
		sim_complete_disk_one(s, id);
	} else if (!strcmp(argv[0], "run")) {
		u32 n = argc > 1 ? (u32)atoi(argv[1]) : 1, k, i;

		for (k = 0; k < n && !s->failed; k++) {
			for (i = 1; i <= s->nslots; i++) {
				if (!s->nodes[i].alive)
					continue;
				raft_tick(s->nodes[i].r);
				sim_process(s, &s->nodes[i]);
			}
			do_stabilize(s, argc > 2 ? argv[2] : NULL, false);
		}
	} else if ((!strcmp(argv[0], "deliver-msg") || !strcmp(argv[0], "drop") ||
		    !strcmp(argv[0], "dup")) &&
		   argc > 1) {
		u32 a = (u32)atoi(argv[1]), b = (u32)atoi(strchr(argv[1], '>') ?
					       strchr(argv[1], '>') + 1 : "0");
		u32 mask = argc > 2 ? type_mask(argv[2]) : ~0u;

		if (!strcmp(argv[0], "drop"))
			sim_drop_msgs(s, a, b, mask);
		else if (!strcmp(argv[0], "dup"))
			sim_dup_msgs(s, a, b, mask);
		else if (!sim_deliver_one(s, a, b, mask))
			fprintf(o, "no message %u->%u\n", a, b);
	} else if (!strcmp(argv[0], "partition")) {
		u32 side[SIM_MAX_NODES] = { 0 }, i, j, g = 0;
		int k;

		for (k = 1; k < argc; k++) {
			if (!strcmp(argv[k], "|"))
				g++;
			else
				side[atoi(argv[k]) % SIM_MAX_NODES] = g;
		}
		memset(s->blocked, 0, sizeof(s->blocked));
		for (i = 1; i <= s->nslots; i++)
			for (j = 1; j <= s->nslots; j++)
				if (side[i] != side[j])
					s->blocked[i][j] = true;
	} else if (!strcmp(argv[0], "isolate") && id) {
		u32 j;

		for (j = 1; j <= s->nslots; j++)
			if (j != id)
				s->blocked[id][j] = s->blocked[j][id] = true;
	} else if (!strcmp(argv[0], "cut") && argc > 1) {
		u32 a = (u32)atoi(argv[1]), b = (u32)atoi(strchr(argv[1], '>') ?
					       strchr(argv[1], '>') + 1 : "0");

		if (a < SIM_MAX_NODES && b < SIM_MAX_NODES) {
			if (argc > 2)
				s->cutmask[a][b] |= type_mask(argv[2]);
			else
				s->blocked[a][b] = true;
		}
	} else if (!strcmp(argv[0], "trace")) {
		s->trace = argc > 1 && !strcmp(argv[1], "on");
	} else if (!strcmp(argv[0], "heal")) {
		memset(s->blocked, 0, sizeof(s->blocked));
		memset(s->cutmask, 0, sizeof(s->cutmask));
	} else if (!strcmp(argv[0], "crash") && id) {
		const char *lose = kvget(argv, argc, "lose");

		sim_crash(s, id);
		if (lose)
			sim_lose_tail(s, id, strtoull(lose, NULL, 10));
	} else if (!strcmp(argv[0], "restart") && id) {
		sim_restart(s, id);
	} else if (!strcmp(argv[0], "transfer") && id && argc > 2) {
		int err = raft_transfer_leader(s->nodes[id].r, (u32)atoi(argv[2]));

		if (err)
			fprintf(o, "error %s\n", ename(err));
		sim_process(s, &s->nodes[id]);
	} else if (!strcmp(argv[0], "conf") && id) {
		struct raft_conf cf;
		int err;

		memset(&cf, 0, sizeof(cf));
		cf.n_voters = parse_ids(kvget(argv, argc, "voters"), cf.voters);
		cf.n_voters_old = parse_ids(kvget(argv, argc, "old"), cf.voters_old);
		cf.n_learners = parse_ids(kvget(argv, argc, "learners"), cf.learners);
		err = raft_change_conf(s->nodes[id].r, &cf);
		fprintf(o, "%s%s\n", err ? "error " : "ok", err ? ename(err) : "");
		sim_process(s, &s->nodes[id]);
	} else if (!strcmp(argv[0], "compact") && id) {
		struct node *nd = &s->nodes[id];
		struct raft_snap_meta meta;
		int err;

		meta.index = nd->applied;
		meta.term = nd->applied < s->ga_cap ? s->ga_term[nd->applied] : 0;
		meta.conf = nd->conf_applied;
		sim_set_checkpoint(nd, &meta, nd->sm);
		err = raft_compact(nd->r, nd->applied);
		if (err)
			fprintf(o, "error %s\n", ename(err));
		sim_process(s, nd);
	} else if (!strcmp(argv[0], "log") && id) {
		print_log(s, o, id);
	} else if (!strcmp(argv[0], "status") && id) {
		print_status(s, o, id);
	} else if (!strcmp(argv[0], "states")) {
		u32 i;

		for (i = 1; i <= s->nslots; i++)
			print_status(s, o, i);
	} else if (!strcmp(argv[0], "blocks") && id) {
		u32 b;

		for (b = 0; b < SIM_NBLOCKS; b++) {
			u64 v = 0;
			int k;

			for (k = 7; k >= 0; k--)
				v = (v << 8) | s->nodes[id].sm[8 * b + k];
			fprintf(o, "%sb%u=%llu", b ? " " : "", b, LL(v));
		}
		fputc('\n', o);
	} else if (!strcmp(argv[0], "history")) {
		u32 i;

		for (i = 0; i < s->nhist; i++) {
			const struct hop *h = &s->hist[i];
			const char *stn = h->status == 1 ? "ok" :
					  h->status == 2 ? "failed" : "pending";

			if (h->write)
				fprintf(o, "op%u n%u write b%u=%llu %s\n", i, h->node,
					h->block, LL(h->value), stn);
			else
				fprintf(o, "op%u n%u read b%u -> %s%llu\n", i, h->node,
					h->block, h->status == 1 ? "" : "(pending) ",
					LL(h->value));
		}
	} else if (!strcmp(argv[0], "check")) {
		if (lin_check(s, o) && !s->failed)
			fprintf(o, "ok: invariants hold, history linearizable\n");
	} else {
		fprintf(o, "error: unknown command '%s'\n", argv[0]);
	}
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
